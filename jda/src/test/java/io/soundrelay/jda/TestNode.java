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
package io.soundrelay.jda;

import io.soundrelay.control.SoundRelayNode;
import io.soundrelay.core.config.Configuration;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real SoundRelay node in-process on loopback with ephemeral ports, no Redis and {@link #KEY}; and the test side
 * of the network: REST calls, "voice server" sockets, waiting on conditions with a deadline.
 */
final class TestNode implements AutoCloseable
{
    static final String KEY = "jda-test-key-0123456789abcdef";
    static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    final SoundRelayNode node;
    private final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    private TestNode(final SoundRelayNode node)
    {
        this.node = node;
    }

    static TestNode start() throws Exception
    {
        return start(Map.of());
    }

    /**
     * @param settings more environment, e.g. {@code REDIS_URL} and {@code NODE_ID} for a node of a cluster.
     */
    static TestNode start(final Map<String, String> settings) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("BIND_ADDR", "127.0.0.1:0");
        env.put("CONTROL_API_ADDR", "127.0.0.1:0");
        env.put("METRICS_ADDR", "127.0.0.1:0");
        env.put("REDIS_URL", "");
        env.put("API_KEYS", KEY);
        env.putAll(settings);
        return new TestNode(SoundRelayNode.start(Configuration.load(env, null)));
    }

    String relayAddr()
    {
        return "127.0.0.1:" + relay().getPort();
    }

    InetSocketAddress relay()
    {
        return node.relayAddress();
    }

    String controlUrl()
    {
        return "http://127.0.0.1:" + node.apiAddress().getPort();
    }

    SoundRelaySendFactory.Builder factory()
    {
        // Enough held packets that none is dropped while a route is created, however slow the first request.
        return SoundRelaySendFactory.builder(relay(), controlUrl()).apiKey(KEY).maxHeldPackets(500);
    }

    HttpResponse<String> call(final String method, final String path, final String body) throws Exception
    {
        final HttpRequest request = HttpRequest.newBuilder(URI.create(controlUrl() + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + KEY)
            .method(method, null == body ?
                HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    int routeStatus(final long streamId) throws Exception
    {
        return call("GET", "/route/" + Long.toUnsignedString(streamId), null).statusCode();
    }

    /**
     * @return the route's members, or null when the node has no such route.
     */
    Map<String, Object> route(final long streamId) throws Exception
    {
        final HttpResponse<String> response = call("GET", "/route/" + Long.toUnsignedString(streamId), null);
        return response.statusCode() == 200 ? Json.object(response.body()) : null;
    }

    Map<String, Object> health() throws Exception
    {
        return Json.object(call("GET", "/health", null).body());
    }

    static boolean routeIs(final Map<String, Object> route, final String source, final String target)
    {
        return null != route && source.equals(route.get("source_addr")) &&
            List.of(target).equals(route.get("target_addrs"));
    }

    static DatagramChannel voiceServer() throws Exception
    {
        final DatagramChannel channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress("127.0.0.1", 0));
        channel.configureBlocking(false);
        return channel;
    }

    static InetSocketAddress address(final DatagramChannel channel) throws Exception
    {
        return (InetSocketAddress)channel.getLocalAddress();
    }

    static String addr(final DatagramChannel channel) throws Exception
    {
        return "127.0.0.1:" + address(channel).getPort();
    }

    /**
     * @return the next datagram, waiting for it up to {@link #WAIT_NS}.
     */
    static byte[] receive(final DatagramChannel channel) throws Exception
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        byte[] datagram;
        while (null == (datagram = poll(channel)))
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("no datagram within 10 s at " + channel.getLocalAddress());
            }
            Thread.sleep(1);
        }
        return datagram;
    }

    /**
     * @return the next datagram if one is there now, else null.
     */
    static byte[] poll(final DatagramChannel channel) throws Exception
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65_536);
        if (null == channel.receive(buffer))
        {
            return null;
        }
        buffer.flip();
        return Arrays.copyOfRange(buffer.array(), 0, buffer.limit());
    }

    static void waitFor(final String what, final Check condition) throws Exception
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (!condition.holds())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * A condition that may throw.
     */
    @FunctionalInterface
    interface Check
    {
        boolean holds() throws Exception;
    }

    @Override
    public void close()
    {
        node.close();
    }
}
