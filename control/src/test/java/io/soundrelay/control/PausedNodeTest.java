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

import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.core.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.soundrelay.control.MultiNodeTest.await;
import static io.soundrelay.control.MultiNodeTest.quietly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 32: a node that was only paused (SIGSTOP) long enough for AUTO_FAILOVER to give its routes to a peer sends
 * nothing of what went stale while it slept once it wakes (SIGCONT), and counts it as {@code stale}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PausedNodeTest
{
    private static final int STREAMS = 4;
    private static final String STALE = "relay_packet_errors_total{reason=\"stale\"}";
    private static final String UNKNOWN = "relay_packet_errors_total{reason=\"unknown_stream\"}";

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    private NodeProcess node(final RedisServer redis, final String id) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", id);
        env.put("AUTO_FAILOVER", "true");
        return keep(NodeProcess.start(env));
    }

    @Test
    void aPausedNodeWhoseRoutesWereAdoptedSendsNothingStaleWhenItWakes() throws Exception
    {
        final RedisServer redis = keep(RedisServer.start());
        final NodeProcess a = node(redis, "node-a");
        final NodeProcess b = node(redis, "node-b");
        await("both nodes listed", 20, quietly(() -> b.call("GET", "/nodes", null).body().contains("\"node-a\"") &&
            a.call("GET", "/nodes", null).body().contains("\"node-b\"")));

        final DatagramChannel voice = keep(DatagramChannel.open());
        voice.bind(new InetSocketAddress("127.0.0.2", 0));
        voice.socket().setSoTimeout(100);
        final DatagramChannel source = keep(DatagramChannel.open());
        source.bind(new InetSocketAddress("127.0.0.3", 0));
        final int voicePort = ((InetSocketAddress)voice.getLocalAddress()).getPort();
        final int sourcePort = ((InetSocketAddress)source.getLocalAddress()).getPort();
        for (long id = 1; id <= STREAMS; id++)
        {
            final HttpResponse<String> created = a.call("POST", "/route", "{\"stream_id\":" + id +
                ",\"source_addr\":\"127.0.0.3:" + sourcePort + "\",\"target_addrs\":[\"127.0.0.2:" + voicePort + "\"]}");
            assertEquals(201, created.statusCode(), created.body());
        }

        final Sink sink = keep(new Sink(voice));
        final Source sender = keep(new Source(source, a.relay()));
        await("A relays every stream", 20, () -> sink.received.get() >= STREAMS * 10);

        kill("-STOP", a.pid());
        final long pausedAtSeq = sender.nextSeq.get();
        await("B adopts every route of the paused A", 60, quietly(() ->
        {
            for (long id = 1; id <= STREAMS; id++)
            {
                final HttpResponse<String> route = b.call("GET", "/route/" + id, null);
                if (route.statusCode() != 200 || !"node-b".equals(
                    ((Map<?, ?>)Json.parse(route.body())).get("node_id")))
                {
                    return false;
                }
            }
            return true;
        }));
        final long wakeSeq = sender.nextSeq.get(); // every sequence below this was sent before the wake
        sink.woke = wakeSeq;
        kill("-CONT", a.pid());

        // A notices, drops what its socket held, re-reads ownership and lets go of the routes B owns now.
        await("A stops relaying the adopted routes", 30, quietly(() ->
            a.call("GET", "/routes?limit=1000", null).body().contains("\"routes\":[]")));
        // A's router is past the routes' removal once it drops a later datagram as unknown_stream; all it sent before
        // is in the voice server's socket, ahead of a marker sent now.
        await("A drops the streams it let go of", 30, quietly(() ->
            a.metrics().getOrDefault(UNKNOWN, 0.0) > 0));
        sender.close();
        final long lastSeq = sender.nextSeq.get();
        try (DatagramChannel marker = DatagramChannel.open())
        {
            marker.send(ByteBuffer.allocate(12).putInt(0, -1), voice.getLocalAddress());
        }
        await("the voice server took everything A sent", 10, () -> sink.marker);
        sink.close();

        final double stale = a.metrics().getOrDefault(STALE, 0.0);
        final long sentWhileAsleep = (wakeSeq - pausedAtSeq) * STREAMS;
        System.out.printf("paused node: %d datagrams sent to A while it slept (%d per stream), %d of them after the" +
            " wake at the voice server, stale counted %.0f, %d after the wake sent after it (seq %d..%d)%n",
            sentWhileAsleep, wakeSeq - pausedAtSeq, sink.staleAfterWake.get(), stale, sink.freshAfterWake.get(),
            wakeSeq, lastSeq);
        for (final String line : a.log().split("\n"))
        {
            if (line.contains("lapsed") || line.contains("not scheduled") || line.contains("let go of") ||
                line.contains("stopped relaying"))
            {
                System.out.println("node-a: " + line);
            }
        }
        assertEquals(0, sink.staleAfterWake.get(), "datagrams sent before the wake that A sent after it");
        assertTrue(stale > 0, "A counted what its socket held as stale: " + stale);
    }

    /**
     * What a node that slept past its heartbeat's TTL finds when a peer's adoption announcement never reached it: its
     * heartbeat gone, a route it relays owned by another node in Redis. It re-reads ownership and lets go.
     */
    @Test
    void aNodeWhoseHeartbeatLapsedReReadsWhatItOwnsBeforeTrustingItsRoutes() throws Exception
    {
        final RedisServer redis = keep(RedisServer.start());
        final NodeFixture a = keep(NodeFixture.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", "node-a")));
        final DatagramChannel source = keep(NodeFixture.udp());
        final DatagramChannel target = keep(NodeFixture.udp());
        final HttpResponse<String> created = a.authed("POST", "/route", NodeFixture.routeJson(7, source, null, target));
        assertEquals(201, created.statusCode(), created.body());
        await("route 7 in Redis", 10, () -> redis.cli().get("route:7") != null);

        // A peer adopted it while this node slept (no announcement arrives), and the heartbeat expired.
        redis.cli().set("route:7", redis.cli().get("route:7").replace("node-a", "node-b"));
        redis.cli().del(RedisRouteStore.heartbeatKey("node-a"));

        await("node-a lets go of the route node-b owns", 15, quietly(() ->
            a.authed("GET", "/routes?limit=1000", null).body().contains("\"routes\":[]")));
        assertTrue(redis.cli().get("route:7").contains("node-b"), "node-b's route left as it is");
    }

    private static void kill(final String signal, final long pid) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill " + signal + " " + pid);
    }

    /** A source: every stream at 50 pps, its sequence in the payload. */
    private static final class Source implements AutoCloseable
    {
        final AtomicLong nextSeq = new AtomicLong();
        private final DatagramChannel channel;
        private final InetSocketAddress to;
        private final Thread thread;
        private volatile boolean running = true;

        Source(final DatagramChannel channel, final InetSocketAddress to)
        {
            this.channel = channel;
            this.to = to;
            this.thread = new Thread(this::run, "source");
            thread.start();
        }

        private void run()
        {
            long next = System.nanoTime();
            while (running)
            {
                final long seq = nextSeq.get();
                try
                {
                    for (long id = 1; id <= STREAMS; id++)
                    {
                        final byte[] payload = ByteBuffer.allocate(12).putInt((int)id).putLong(seq).array();
                        channel.send(ByteBuffer.wrap(NodeFixture.frame(id, 0, seq, payload)), to);
                    }
                }
                catch (final Exception ex)
                {
                    return;
                }
                nextSeq.incrementAndGet();
                next += TimeUnit.MILLISECONDS.toNanos(20);
                LockSupport.parkNanos(next - System.nanoTime());
            }
        }

        public void close() throws Exception
        {
            running = false;
            thread.join(5000);
        }
    }

    /** The voice server: counts what arrives, and what arrives after the wake though it was sent before it. */
    private static final class Sink implements AutoCloseable
    {
        final AtomicInteger received = new AtomicInteger();
        final AtomicInteger staleAfterWake = new AtomicInteger();
        final AtomicInteger freshAfterWake = new AtomicInteger();
        volatile long woke = Long.MAX_VALUE;
        volatile boolean marker;
        private final DatagramChannel channel;
        private final Thread thread;
        private volatile boolean running = true;

        Sink(final DatagramChannel channel)
        {
            this.channel = channel;
            this.thread = new Thread(this::run, "voice-server");
            thread.start();
        }

        private void run()
        {
            final byte[] buf = new byte[2048];
            final java.net.DatagramPacket packet = new java.net.DatagramPacket(buf, buf.length);
            while (running)
            {
                try
                {
                    channel.socket().receive(packet);
                }
                catch (final SocketTimeoutException ex)
                {
                    continue;
                }
                catch (final Exception ex)
                {
                    return;
                }
                if (ByteBuffer.wrap(buf).getInt(0) == -1)
                {
                    marker = true;
                    continue;
                }
                final long seq = ByteBuffer.wrap(buf).getLong(4);
                final long wake = woke;
                if (wake != Long.MAX_VALUE)
                {
                    (seq < wake ? staleAfterWake : freshAfterWake).incrementAndGet();
                }
                received.incrementAndGet();
            }
        }

        public void close() throws Exception
        {
            running = false;
            thread.join(5000);
        }
    }
}
