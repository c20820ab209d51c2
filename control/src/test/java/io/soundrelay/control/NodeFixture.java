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
package io.soundrelay.control;

import io.soundrelay.control.api.ControlServer;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.protocol.FrameFlyweight;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real node on loopback with ephemeral ports, and the client side of the tests: HTTP calls and UDP sockets.
 */
final class NodeFixture implements AutoCloseable
{
    static final String KEY = "test-key-0123456789abcdef";

    final SoundRelayNode node;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private NodeFixture(final SoundRelayNode node)
    {
        this.node = node;
    }

    static NodeFixture start(final Map<String, String> overrides) throws Exception
    {
        return start(overrides, ControlServer.Timeouts.DEFAULTS);
    }

    static NodeFixture start(final Map<String, String> overrides, final ControlServer.Timeouts timeouts)
        throws Exception
    {
        return new NodeFixture(SoundRelayNode.start(config(overrides), timeouts));
    }

    static NodeFixture start(final Map<String, String> overrides, final NodeTracing tracing) throws Exception
    {
        return new NodeFixture(SoundRelayNode.start(config(overrides), ControlServer.Timeouts.DEFAULTS, tracing));
    }

    /**
     * Loopback, ephemeral ports, no Redis, {@link #KEY}; then the overrides.
     */
    private static Configuration config(final Map<String, String> overrides)
    {
        final Map<String, String> env = new HashMap<>();
        env.put("BIND_ADDR", "127.0.0.1:0");
        env.put("CONTROL_API_ADDR", "127.0.0.1:0");
        env.put("METRICS_ADDR", "127.0.0.1:0");
        env.put("REDIS_URL", "");
        env.put("API_KEYS", KEY);
        env.putAll(overrides);
        return Configuration.load(env, null);
    }

    static NodeFixture start() throws Exception
    {
        return start(Map.of());
    }

    /**
     * @param pipelines DATA_PLANE_PIPELINES (PROTOCOL.md section 11).
     * @param overrides the test's own settings.
     * @return a node started as {@link #start(Map)} does, with that many data-plane pipelines.
     * @throws Exception when it does not start.
     */
    static NodeFixture start(final int pipelines, final Map<String, String> overrides) throws Exception
    {
        return start(withPipelines(pipelines, overrides));
    }

    /**
     * Settings with {@code DATA_PLANE_PIPELINES} (PROTOCOL.md section 11) added, for {@link #start(Map)} or
     * {@link NodeProcess#start(Map, String...)}: an end-to-end test run with 1 and with 2 pipelines passes its
     * parameter here.
     *
     * @param pipelines DATA_PLANE_PIPELINES.
     * @param settings  the test's own settings.
     * @return a new map of both.
     */
    static Map<String, String> withPipelines(final int pipelines, final Map<String, String> settings)
    {
        final Map<String, String> env = new HashMap<>(settings);
        env.put("DATA_PLANE_PIPELINES", Integer.toString(pipelines));
        return env;
    }

    InetSocketAddress relay()
    {
        return node.relayAddress();
    }

    String api(final String path)
    {
        return "http://127.0.0.1:" + node.apiAddress().getPort() + path;
    }

    HttpResponse<String> call(final String method, final String path, final String body, final String... headers)
        throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api(path)))
            .timeout(Duration.ofSeconds(10))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0)
        {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> authed(final String method, final String path, final String body) throws Exception
    {
        return call(method, path, body, "Authorization", "Bearer " + KEY);
    }

    HttpResponse<String> createRoute(final long streamId, final DatagramChannel source, final String deliver,
        final DatagramChannel... targets) throws Exception
    {
        return authed("POST", "/route", routeJson(streamId, source, deliver, targets));
    }

    static String routeJson(final long streamId, final DatagramChannel source, final String deliver,
        final DatagramChannel... targets) throws Exception
    {
        final StringBuilder sb = new StringBuilder("{\"stream_id\":").append(Long.toUnsignedString(streamId))
            .append(",\"source_addr\":\"").append(addr(source)).append("\",\"target_addrs\":[");
        for (int i = 0; i < targets.length; i++)
        {
            sb.append(i == 0 ? "" : ",").append('"').append(addr(targets[i])).append('"');
        }
        sb.append(']');
        if (deliver != null)
        {
            sb.append(",\"deliver\":\"").append(deliver).append('"');
        }
        return sb.append('}').toString();
    }

    static String addr(final DatagramChannel ch) throws Exception
    {
        final InetSocketAddress a = (InetSocketAddress)ch.getLocalAddress();
        return "127.0.0.1:" + a.getPort();
    }

    static DatagramChannel udp() throws Exception
    {
        final DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress("127.0.0.1", 0));
        ch.socket().setSoTimeout(5000);
        return ch;
    }

    static byte[] frame(final long streamId, final int flags, final long seq, final byte[] payload)
    {
        final byte[] bytes = new byte[FrameFlyweight.HEADER_LENGTH + payload.length];
        FrameFlyweight.writeHeader(ByteBuffer.wrap(bytes), 0, flags, streamId, seq, seq * 960);
        System.arraycopy(payload, 0, bytes, FrameFlyweight.HEADER_LENGTH, payload.length);
        return bytes;
    }

    void send(final DatagramChannel from, final byte[] datagram) throws Exception
    {
        from.send(ByteBuffer.wrap(datagram), relay());
    }

    static byte[] receive(final DatagramChannel ch) throws Exception
    {
        final byte[] buf = new byte[70_000];
        final java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
        ch.socket().receive(p);
        return Arrays.copyOf(buf, p.getLength());
    }

    static void waitFor(final String what, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * @return one field of {@code /health} now (for waiting on it in a condition: no checked exception).
     */
    Object health(final String field)
    {
        try
        {
            // With the key: a test that polls is not an unauthenticated flood (UNAUTH_RATE_PER_SECOND).
            return ((java.util.Map<?, ?>)io.soundrelay.core.json.Json.parse(authed("GET", "/health", null).body()))
                .get(field);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return the value of one series in {@code /metrics} now (for waiting on it in a condition).
     */
    double metricNow(final String series)
    {
        try
        {
            return metric(metrics(), series);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    String metrics() throws Exception
    {
        return authed("GET", "/metrics", null).body(); // polled: with the key, never rate limited
    }

    static double metric(final String text, final String series)
    {
        for (final String line : text.split("\n"))
        {
            if (line.startsWith(series + " "))
            {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no series " + series);
    }

    public void close()
    {
        node.close();
    }
}
