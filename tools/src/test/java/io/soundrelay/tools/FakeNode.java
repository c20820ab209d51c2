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

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal node for tests: {@code POST /route} and {@code DELETE /route/{id}} with bearer-key authentication, and
 * a relay socket that forwards SoundRelay frames of a routed stream, from the route's source only, to its target
 * (deliver payload or framed). Everything else is dropped, as PROTOCOL.md asks.
 */
final class FakeNode implements AutoCloseable
{
    record Route(long streamId, InetSocketAddress source, InetSocketAddress target, String deliver)
    {
    }

    private static final Pattern STREAM_ID = Pattern.compile("\"stream_id\":(\\d+)");
    private static final Pattern SOURCE = Pattern.compile("\"source_addr\":\"([^\"]+)\"");
    private static final Pattern TARGETS = Pattern.compile("\"target_addrs\":\\[\"([^\"]+)\"]");
    private static final Pattern DELIVER = Pattern.compile("\"deliver\":\"(\\w+)\"");

    private final String apiKey;
    private final long refusedStreamId;
    private final HttpServer http;
    private final DatagramChannel relay;
    private final Thread relayThread;
    private final Map<Long, Route> routes = new ConcurrentHashMap<>();
    final List<String> postedBodies = new CopyOnWriteArrayList<>();
    final List<Long> deleted = new CopyOnWriteArrayList<>();

    /**
     * @param refusedStreamId a stream id whose POST is answered 409, or 0.
     */
    FakeNode(final String apiKey, final long refusedStreamId) throws IOException
    {
        this.apiKey = apiKey;
        this.refusedStreamId = refusedStreamId;
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/route", this::handle);
        http.start();
        relay = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        relayThread = new Thread(this::relay, "fake-node-relay");
        relayThread.setDaemon(true);
        relayThread.start();
    }

    String api()
    {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    String relayHostPort() throws IOException
    {
        return "127.0.0.1:" + ((InetSocketAddress)relay.getLocalAddress()).getPort();
    }

    Map<Long, Route> routes()
    {
        return routes;
    }

    public void close() throws Exception
    {
        http.stop(0);
        relay.close();
        relayThread.join();
    }

    private void handle(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (!("Bearer " + apiKey).equals(exchange.getRequestHeaders().getFirst("Authorization")))
            {
                respond(exchange, 401, "{\"error\":\"missing or wrong API key\"}");
                return;
            }
            if ("POST".equals(exchange.getRequestMethod()))
            {
                final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                postedBodies.add(body);
                final long streamId = Long.parseLong(find(STREAM_ID, body));
                if (streamId == refusedStreamId || routes.containsKey(streamId))
                {
                    respond(exchange, 409, "{\"error\":\"stream " + streamId + " exists\"}");
                    return;
                }
                routes.put(streamId, new Route(streamId, GeneratorOptions.parseSocketAddress(find(SOURCE, body)),
                    GeneratorOptions.parseSocketAddress(find(TARGETS, body)), find(DELIVER, body)));
                respond(exchange, 201, body);
            }
            else if ("DELETE".equals(exchange.getRequestMethod()))
            {
                final String path = exchange.getRequestURI().getPath();
                final long streamId = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
                if (null == routes.remove(streamId))
                {
                    respond(exchange, 404, "{\"error\":\"no route\"}");
                    return;
                }
                deleted.add(streamId);
                exchange.sendResponseHeaders(204, -1);
            }
            else
            {
                respond(exchange, 405, "{\"error\":\"method\"}");
            }
        }
    }

    private void relay()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65_536);
        try
        {
            while (true)
            {
                buffer.clear();
                final InetSocketAddress source = (InetSocketAddress)relay.receive(buffer);
                buffer.flip();
                if (buffer.limit() < FrameFlyweight.HEADER_LENGTH || buffer.getShort(0) != FrameFlyweight.MAGIC)
                {
                    continue;
                }
                final Route route = routes.get(buffer.getLong(FrameFlyweight.STREAM_ID_OFFSET));
                if (null == route || !route.source().equals(source))
                {
                    continue;
                }
                buffer.position("framed".equals(route.deliver()) ? 0 : FrameFlyweight.HEADER_LENGTH);
                relay.send(buffer, route.target());
            }
        }
        catch (final ClosedChannelException ex)
        {
            // closed by the test
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static String find(final Pattern pattern, final String body)
    {
        final Matcher matcher = pattern.matcher(body);
        if (!matcher.find())
        {
            throw new IllegalArgumentException(pattern + " not in " + body);
        }
        return matcher.group(1);
    }

    private static void respond(final HttpExchange exchange, final int status, final String body) throws IOException
    {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }
}
