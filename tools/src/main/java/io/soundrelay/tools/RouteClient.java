/*
 * Copyright 2026 The SoundRelay Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.soundrelay.tools;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Creates, deletes and migrates routes through a node's control API (PROTOCOL.md sections 2 and 7). Any answer but
 * the documented success fails with the method, URL, status and body; a migration's answer is returned whatever it
 * is, for the caller to judge.
 */
final class RouteClient
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final URI api;
    private final String apiKey;
    private final int paceMs;
    private final int jitterMs;

    /**
     * @param apiKey sent as {@code Authorization: Bearer}, or null for none.
     */
    RouteClient(final URI api, final String apiKey)
    {
        this(api, apiKey, GeneratorOptions.PACE_MS_NOT_SENT, GeneratorOptions.JITTER_MS_NOT_SENT);
    }

    /**
     * @param paceMs   the {@code pace_ms} every route this client creates asks for, or
     *                 {@link GeneratorOptions#PACE_MS_NOT_SENT} to leave it out (the node's default applies).
     * @param jitterMs the {@code jitter_ms} every route this client creates asks for, or
     *                 {@link GeneratorOptions#JITTER_MS_NOT_SENT} to leave it out (the node's default applies).
     */
    RouteClient(final URI api, final String apiKey, final int paceMs, final int jitterMs)
    {
        this.api = api;
        this.apiKey = apiKey;
        this.paceMs = paceMs;
        this.jitterMs = jitterMs;
    }

    /**
     * POST /route, expecting 201.
     */
    void create(
        final long streamId,
        final InetSocketAddress source,
        final InetSocketAddress target,
        final GeneratorOptions.Deliver deliver) throws IOException, InterruptedException
    {
        create(streamId, source, List.of(target), deliver);
    }

    /**
     * POST /route with several targets, expecting 201.
     */
    void create(
        final long streamId,
        final InetSocketAddress source,
        final List<InetSocketAddress> targets,
        final GeneratorOptions.Deliver deliver) throws IOException, InterruptedException
    {
        create(streamId, source, targets, deliver, null, false);
    }

    /**
     * POST /route of a route that may be a mixer room's member, expecting 201.
     *
     * @param roomCode the route's {@code room_code}, or null for none.
     * @param mixMinus sent as {@code "mix_minus": true} when set.
     */
    void create(
        final long streamId,
        final InetSocketAddress source,
        final List<InetSocketAddress> targets,
        final GeneratorOptions.Deliver deliver,
        final String roomCode,
        final boolean mixMinus) throws IOException, InterruptedException
    {
        final String body =
            routeJson(streamId, source, targets, deliver, roomCode, mixMinus, false, paceMs, jitterMs);
        final HttpRequest request = request("/route")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        expect(request, 201);
    }

    /**
     * POST /route with {@code "return_path": true} (PROTOCOL.md section 9), expecting 201.
     *
     * @return the route's {@code relay_port}, from the answer: the port on the node's relay IP that the stream
     * sends to and its targets answer to; 0 when the node made the route but its answer has no port 1-65535.
     * @throws IOException when the node refuses the route.
     */
    int createWithReturnPath(
        final long streamId,
        final InetSocketAddress source,
        final InetSocketAddress target,
        final GeneratorOptions.Deliver deliver) throws IOException, InterruptedException
    {
        final String body =
            routeJson(streamId, source, List.of(target), deliver, null, false, true, paceMs, jitterMs);
        final HttpRequest request = request("/route")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        final long port = Json.findCount(expect(request, 201).body(), "relay_port");
        return port < 0 || port > 65_535 ? 0 : (int)port;
    }

    /**
     * DELETE /route/{id}, expecting 204.
     */
    void delete(final long streamId) throws IOException, InterruptedException
    {
        expect(request("/route/" + Long.toUnsignedString(streamId)).DELETE().build(), 204);
    }

    /**
     * DELETE /route/{id}, expecting 204 or 404.
     *
     * @return true when the node deleted the route, false when it had none (404).
     */
    boolean deleteIfPresent(final long streamId) throws IOException, InterruptedException
    {
        final HttpRequest request = request("/route/" + Long.toUnsignedString(streamId)).DELETE().build();
        final HttpResponse<String> response = send(request);
        if (response.statusCode() == 404)
        {
            return false;
        }
        check(request, response, 204);
        return true;
    }

    /**
     * GET /nodes, expecting 200.
     *
     * @return the answer's body: {@code {"nodes":[…]}}, the live nodes.
     */
    String nodes() throws IOException, InterruptedException
    {
        return expect(request("/nodes").GET().build(), 200).body();
    }

    /**
     * POST /migrate {@code {"stream_id":"<decimal>","new_node_addr":"<addr>"}}, to the route's owner.
     *
     * @return the node's answer, whatever its status: 200 once the new node holds the route.
     * @throws IOException when the node cannot be reached.
     */
    HttpResponse<String> migrate(final long streamId, final String newNodeAddr)
        throws IOException, InterruptedException
    {
        return send(request("/migrate")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(migrateJson(streamId, newNodeAddr)))
            .build());
    }

    /**
     * POST /route of a framed route, whatever the answer.
     *
     * @return the node's answer: 201 when it made the route.
     * @throws IOException when the node cannot be reached.
     */
    HttpResponse<String> tryCreate(final long streamId, final InetSocketAddress source, final InetSocketAddress target)
        throws IOException, InterruptedException
    {
        final String body = routeJson(streamId, source, List.of(target), GeneratorOptions.Deliver.FRAMED, null, false,
            false, paceMs, jitterMs);
        return send(request("/route")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
    }

    /**
     * GET /route/{id} with a short timeout: a source that polls its route's owner asks another node when this one
     * is slow.
     *
     * @return the node's answer, whatever its status.
     * @throws IOException when the node cannot be reached or does not answer within {@link #POLL_TIMEOUT}.
     */
    HttpResponse<String> route(final long streamId) throws IOException, InterruptedException
    {
        return send(request("/route/" + Long.toUnsignedString(streamId)).timeout(POLL_TIMEOUT).GET().build());
    }

    /**
     * GET /readyz, no key needed.
     *
     * @return its status.
     * @throws IOException when the node cannot be reached.
     */
    int readyz() throws IOException, InterruptedException
    {
        return send(request("/readyz").timeout(POLL_TIMEOUT).GET().build()).statusCode();
    }

    /**
     * @return the migration request's JSON, the stream id a decimal string (a u64 does not fit a JSON number).
     */
    static String migrateJson(final long streamId, final String newNodeAddr)
    {
        return Json.write((json) ->
        {
            json.writeStartObject();
            json.writeStringField("stream_id", Long.toUnsignedString(streamId));
            json.writeStringField("new_node_addr", newNodeAddr);
            json.writeEndObject();
        });
    }

    /**
     * GET /route/{id}, expecting 200.
     *
     * @return the route's {@code packets_in}: datagrams the node took in on it, or -1 when the answer has none.
     */
    long packetsIn(final long streamId) throws IOException, InterruptedException
    {
        final String body = expect(request("/route/" + Long.toUnsignedString(streamId)).GET().build(), 200).body();
        return Json.findCount(body, "packets_in");
    }

    static String routeJson(
        final long streamId,
        final InetSocketAddress source,
        final InetSocketAddress target,
        final GeneratorOptions.Deliver deliver)
    {
        return routeJson(streamId, source, List.of(target), deliver);
    }

    static String routeJson(
        final long streamId,
        final InetSocketAddress source,
        final List<InetSocketAddress> targets,
        final GeneratorOptions.Deliver deliver)
    {
        return routeJson(streamId, source, targets, deliver, null, false);
    }

    /**
     * @param roomCode a code {@link RoomCode#check} accepts (no JSON escaping needed), or null for none.
     * @param mixMinus written only when true.
     * @return the route request's JSON.
     */
    static String routeJson(
        final long streamId,
        final InetSocketAddress source,
        final List<InetSocketAddress> targets,
        final GeneratorOptions.Deliver deliver,
        final String roomCode,
        final boolean mixMinus)
    {
        return routeJson(streamId, source, targets, deliver, roomCode, mixMinus, false);
    }

    /**
     * @param returnPath written as {@code "return_path": true} only when true.
     * @return the route request's JSON.
     */
    static String routeJson(
        final long streamId,
        final InetSocketAddress source,
        final List<InetSocketAddress> targets,
        final GeneratorOptions.Deliver deliver,
        final String roomCode,
        final boolean mixMinus,
        final boolean returnPath)
    {
        return routeJson(streamId, source, targets, deliver, roomCode, mixMinus, returnPath,
            GeneratorOptions.PACE_MS_NOT_SENT, GeneratorOptions.JITTER_MS_NOT_SENT);
    }

    /**
     * @param paceMs   written as {@code "pace_ms": paceMs} unless {@link GeneratorOptions#PACE_MS_NOT_SENT}.
     * @param jitterMs written as {@code "jitter_ms": jitterMs} unless {@link GeneratorOptions#JITTER_MS_NOT_SENT}.
     * @return the route request's JSON.
     */
    static String routeJson(
        final long streamId,
        final InetSocketAddress source,
        final List<InetSocketAddress> targets,
        final GeneratorOptions.Deliver deliver,
        final String roomCode,
        final boolean mixMinus,
        final boolean returnPath,
        final int paceMs,
        final int jitterMs)
    {
        return Json.write((json) ->
        {
            json.writeStartObject();
            Json.writeUnsigned(json, "stream_id", streamId);
            json.writeStringField("source_addr", format(source));
            json.writeArrayFieldStart("target_addrs");
            for (final InetSocketAddress target : targets)
            {
                json.writeString(format(target));
            }
            json.writeEndArray();
            json.writeStringField("deliver", deliver.wireName());
            if (null != roomCode)
            {
                json.writeStringField("room_code", roomCode);
            }
            if (mixMinus)
            {
                json.writeBooleanField("mix_minus", true);
            }
            if (returnPath)
            {
                json.writeBooleanField("return_path", true);
            }
            if (paceMs != GeneratorOptions.PACE_MS_NOT_SENT)
            {
                json.writeNumberField("pace_ms", paceMs);
            }
            if (jitterMs != GeneratorOptions.JITTER_MS_NOT_SENT)
            {
                json.writeNumberField("jitter_ms", jitterMs);
            }
            json.writeEndObject();
        });
    }

    /**
     * @return {@code a.b.c.d:port} or {@code [v6]:port}, as the API reads addresses.
     */
    static String format(final InetSocketAddress address)
    {
        String host = address.getAddress().getHostAddress();
        if (address.getAddress() instanceof Inet6Address)
        {
            final int zone = host.indexOf('%');
            host = "[" + (zone < 0 ? host : host.substring(0, zone)) + "]";
        }
        return host + ":" + address.getPort();
    }

    private HttpRequest.Builder request(final String path)
    {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(api.resolve(path)).timeout(TIMEOUT);
        if (null != apiKey)
        {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        return builder;
    }

    private HttpResponse<String> expect(final HttpRequest request, final int status)
        throws IOException, InterruptedException
    {
        return check(request, send(request), status);
    }

    private HttpResponse<String> send(final HttpRequest request) throws IOException, InterruptedException
    {
        try
        {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
        catch (final IOException ex)
        {
            // HttpClient's ConnectException often has no message: name the failure ourselves.
            throw new IOException(request.method() + " " + request.uri() + ": cannot reach the node (" + ex + ")", ex);
        }
    }

    private static HttpResponse<String> check(
        final HttpRequest request, final HttpResponse<String> response, final int status) throws IOException
    {
        if (response.statusCode() != status)
        {
            throw new NodeRefusedException(request.method() + " " + request.uri() + ": expected " + status +
                ", node answered " + response.statusCode() + " " + response.body(), response.statusCode(),
                response.body());
        }
        return response;
    }
}
