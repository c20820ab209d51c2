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

import io.soundrelay.core.json.Json;
import io.soundrelay.protocol.FrameFlyweight;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several nodes on one real Redis (PROTOCOL.md section 7): the registry, any node answering for any route, live
 * migration under 50 pps with nothing lost or repeated, refusals, SIGKILL and failover, manual and automatic.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MultiNodeTest
{
    private static RedisServer redis;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception
    {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception
    {
        redis.close();
    }

    @BeforeEach
    void emptyRedis()
    {
        redis.cli().flushall();
    }

    @org.junit.jupiter.api.AfterEach
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

    private NodeFixture node(final String id, final String... settings) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", id);
        env.put("MIGRATION_GRACE_SECONDS", "3");
        for (int i = 0; i < settings.length; i += 2)
        {
            env.put(settings[i], settings[i + 1]);
        }
        return keep(NodeFixture.start(env));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(final HttpResponse<String> response)
    {
        return (Map<String, Object>)Json.parse(response.body());
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> nodes(final NodeFixture node) throws Exception
    {
        final HttpResponse<String> response = node.authed("GET", "/nodes", null);
        assertEquals(200, response.statusCode(), response.body());
        return (List<Map<String, Object>>)json(response).get("nodes");
    }

    static Set<String> nodeIds(final NodeFixture node) throws Exception
    {
        final Set<String> ids = new HashSet<>();
        for (final Map<String, Object> n : nodes(node))
        {
            ids.add((String)n.get("node_id"));
        }
        return ids;
    }

    static String relay(final NodeFixture node)
    {
        return "127.0.0.1:" + node.relay().getPort();
    }

    static String migrateBody(final long streamId, final String newNodeAddr)
    {
        return "{\"stream_id\":\"" + Long.toUnsignedString(streamId) + "\",\"new_node_addr\":\"" + newNodeAddr + "\"}";
    }

    static void await(final String what, final long seconds, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + seconds + " s: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    interface Check
    {
        boolean test() throws Exception;
    }

    static BooleanSupplier quietly(final Check check)
    {
        return () ->
        {
            try
            {
                return check.test();
            }
            catch (final Exception ex)
            {
                return false;
            }
        };
    }

    @Test
    void nodesListsEveryLiveNodeAndAnyNodeAnswersForAnyRoute() throws Exception
    {
        final NodeFixture a = node("node-a");
        final NodeFixture b = node("node-b");
        await("both nodes listed", 10, quietly(() -> nodeIds(a).equals(Set.of("node-a", "node-b"))));

        for (final Map<String, Object> n : nodes(b))
        {
            final NodeFixture which = "node-a".equals(n.get("node_id")) ? a : b;
            assertEquals(relay(which), n.get("relay_addr"));
            assertEquals("127.0.0.1:" + which.node.apiAddress().getPort(), n.get("control_addr"));
            assertTrue(toLong(n.get("last_heartbeat_ms_ago")) <= 10_000);
            assertTrue(n.get("started_at") instanceof String);
        }

        try (DatagramChannel source = NodeFixture.udp(); DatagramChannel target = NodeFixture.udp())
        {
            assertEquals(201, a.createRoute(77, source, null, target).statusCode());
            final HttpResponse<String> remote = b.authed("GET", "/route/77", null);
            assertEquals(200, remote.statusCode(), remote.body());
            assertEquals("node-a", json(remote).get("node_id"));
            assertEquals(NodeFixture.addr(source), json(remote).get("source_addr"));
            assertEquals(404, b.authed("GET", "/route/78", null).statusCode());

            // A change sent to the wrong node says which node owns the route.
            final HttpResponse<String> wrongNode = b.authed("DELETE", "/route/77", null);
            assertEquals(404, wrongNode.statusCode());
            assertTrue(wrongNode.body().contains("node node-a owns it"), wrongNode.body());
        }
        await("active_routes of node-a heartbeat", 10, quietly(() ->
        {
            for (final Map<String, Object> n : nodes(b))
            {
                if ("node-a".equals(n.get("node_id")))
                {
                    return toLong(n.get("active_routes")) == 1;
                }
            }
            return false;
        }));
    }

    static long toLong(final Object value)
    {
        return Long.parseLong(value.toString());
    }

    /** Sends one stream at 50 frames a second to whichever node it is told, sequence numbers from 0. */
    static final class Source implements AutoCloseable
    {
        final DatagramChannel channel;
        final long streamId;
        final Thread thread;
        volatile InetSocketAddress destination;
        volatile boolean running = true;
        volatile long sent;

        Source(final DatagramChannel channel, final long streamId, final InetSocketAddress destination)
        {
            this.channel = channel;
            this.streamId = streamId;
            this.destination = destination;
            this.thread = new Thread(this::run, "source-" + streamId);
            thread.start();
        }

        private void run()
        {
            long next = System.nanoTime();
            long seq = 0;
            while (running)
            {
                final byte[] payload = ("frame-" + seq).getBytes();
                try
                {
                    channel.send(ByteBuffer.wrap(NodeFixture.frame(streamId, 0, seq, payload)), destination);
                }
                catch (final Exception ex)
                {
                    return;
                }
                seq++;
                sent = seq;
                next += TimeUnit.MILLISECONDS.toNanos(20); // 50 pps, on a deadline schedule
                LockSupport.parkNanos(next - System.nanoTime());
            }
        }

        void awaitSent(final long count)
        {
            await(count + " frames sent", 30, () -> sent >= count);
        }

        public void close() throws Exception
        {
            running = false;
            thread.join(5000);
        }
    }

    /** Collects the sequence numbers a target receives (deliver framed). */
    static final class Sink implements AutoCloseable
    {
        final DatagramChannel channel;
        final List<Long> sequences = new ArrayList<>();
        final Thread thread;
        volatile boolean running = true;

        Sink(final DatagramChannel channel)
        {
            this.channel = channel;
            this.thread = new Thread(this::run, "sink");
            thread.start();
        }

        private void run()
        {
            while (running)
            {
                try
                {
                    final byte[] datagram = NodeFixture.receive(channel);
                    final long seq = ByteBuffer.wrap(datagram).getInt(12) & 0xFFFF_FFFFL;
                    assertEquals(0, datagram[3] & FrameFlyweight.HOP_FLAG, "the target sees no HOP flag");
                    synchronized (sequences)
                    {
                        sequences.add(seq);
                    }
                }
                catch (final Exception ex)
                {
                    // timeout: look at running again
                }
            }
        }

        List<Long> received()
        {
            synchronized (sequences)
            {
                return new ArrayList<>(sequences);
            }
        }

        public void close() throws Exception
        {
            running = false;
            thread.join(10_000);
        }
    }

    /**
     * Two streams migrated together under 50 pps each, one of an even and one of an odd stream id: with 2 pipelines
     * on both nodes (PROTOCOL.md section 11) each pipeline of each node hands off or adopts one of them.
     */
    @ParameterizedTest(name = "DATA_PLANE_PIPELINES={0}")
    @ValueSource(ints = {1, 2})
    void migrationUnderSteadyTrafficDeliversEverySequenceExactlyOnceInOrder(final int pipelines) throws Exception
    {
        final NodeFixture a = node("node-a", "DATA_PLANE_PIPELINES", Integer.toString(pipelines));
        final NodeFixture b = node("node-b", "DATA_PLANE_PIPELINES", Integer.toString(pipelines));
        await("both nodes listed", 10, quietly(() -> nodeIds(a).size() == 2));
        final long[] streamIds = {0xFEED_0000_0000_0001L, 0xFEED_0000_0000_0002L};
        final Source[] sources = new Source[streamIds.length];
        final Sink[] sinks = new Sink[streamIds.length];
        final DatagramChannel firstSource = keep(NodeFixture.udp());
        for (int i = 0; i < streamIds.length; i++)
        {
            final DatagramChannel sourceChannel = i == 0 ? firstSource : keep(NodeFixture.udp());
            final DatagramChannel targetChannel = keep(NodeFixture.udp());
            assertEquals(201, a.createRoute(streamIds[i], sourceChannel, "framed", targetChannel).statusCode());
            sinks[i] = keep(new Sink(targetChannel));
            sources[i] = keep(new Source(sourceChannel, streamIds[i], a.relay()));
        }
        for (final Source source : sources)
        {
            source.awaitSent(25);
        }

        for (final long streamId : streamIds)
        {
            final HttpResponse<String> migrated = a.authed("POST", "/migrate", migrateBody(streamId, relay(b)));
            assertEquals(200, migrated.statusCode(), migrated.body());
            final Map<String, Object> answer = json(migrated);
            assertEquals(Long.toUnsignedString(streamId), answer.get("stream_id").toString());
            assertEquals("node-a", answer.get("from_node"));
            assertEquals("node-b", answer.get("to_node"));
            assertEquals(relay(b), answer.get("new_node_addr"));
            assertEquals("migrating", answer.get("status"));
            assertEquals("forwarding", answer.get("handoff"));

            // The route is node-b's now, whichever node is asked; node-a no longer lists it.
            assertEquals("node-b", json(a.authed("GET", "/route/" + Long.toUnsignedString(streamId), null))
                .get("node_id"));
            assertFalse(a.authed("GET", "/routes", null).body().contains(Long.toUnsignedString(streamId)));
        }

        // The sources keep sending to node-a for a while (forwarded as HOP frames), then switch.
        for (final Source source : sources)
        {
            source.awaitSent(source.sent + 40);
        }
        for (final Source source : sources)
        {
            source.destination = b.relay();
        }
        for (final Source source : sources)
        {
            source.awaitSent(source.sent + 40);
        }
        for (int i = 0; i < streamIds.length; i++)
        {
            sources[i].close();
            final long total = sources[i].sent;
            final Sink sink = sinks[i];
            await("every frame of stream " + i + " received", 10, () -> sink.received().size() >= total);
            sink.close();

            final List<Long> expected = new ArrayList<>();
            for (long seq = 0; seq < total; seq++)
            {
                expected.add(seq);
            }
            assertEquals(expected, sink.received(), "stream " + Long.toUnsignedString(streamIds[i]) +
                ": every sequence exactly once, in order");
        }
        assertTrue(NodeFixture.metric(b.metrics(), "relay_packets_sent_total") > 0);

        // After the grace window node-a lets go: what still reaches it is an unknown stream.
        final String unknown = "relay_packet_errors_total{reason=\"unknown_stream\"}";
        final double before = NodeFixture.metric(a.metrics(), unknown);
        await("node-a drops the stream after MIGRATION_GRACE_SECONDS", 20, quietly(() ->
        {
            a.send(firstSource, NodeFixture.frame(streamIds[0], 0, 1_000_000, new byte[]{1}));
            return NodeFixture.metric(a.metrics(), unknown) > before;
        }));
    }

    @Test
    void badMigrationsGetAClearError() throws Exception
    {
        final NodeFixture a = node("node-a");
        final NodeFixture b = node("node-b");
        await("both nodes listed", 10, quietly(() -> nodeIds(a).size() == 2));
        try (DatagramChannel source = NodeFixture.udp(); DatagramChannel target = NodeFixture.udp())
        {
            assertEquals(201, a.createRoute(5, source, null, target).statusCode());

            final HttpResponse<String> noNode = a.authed("POST", "/migrate", migrateBody(5, "127.0.0.1:9"));
            assertEquals(400, noNode.statusCode(), noNode.body());
            assertEquals("new_node_addr", json(noNode).get("field"));
            assertTrue(noNode.body().contains("not the relay address of a live node"), noNode.body());

            final HttpResponse<String> unknown = a.authed("POST", "/migrate", migrateBody(6, relay(b)));
            assertEquals(404, unknown.statusCode(), unknown.body());
            assertEquals("stream_id", json(unknown).get("field"));

            final HttpResponse<String> itself = a.authed("POST", "/migrate", migrateBody(5, relay(a)));
            assertEquals(400, itself.statusCode(), itself.body());
            assertEquals("new_node_addr", json(itself).get("field"));

            final HttpResponse<String> notOwner = b.authed("POST", "/migrate", migrateBody(5, relay(b)));
            assertEquals(409, notOwner.statusCode(), notOwner.body());
            assertTrue(notOwner.body().contains("owned by live node node-a"), notOwner.body());

            final HttpResponse<String> badAddr =
                a.authed("POST", "/migrate", "{\"stream_id\":5,\"new_node_addr\":\"x\"}");
            assertEquals(400, badAddr.statusCode());
            assertEquals("new_node_addr", json(badAddr).get("field"));
            final HttpResponse<String> extra = a.authed("POST", "/migrate",
                "{\"stream_id\":5,\"new_node_addr\":\"" + relay(b) + "\",\"force\":true}");
            assertEquals(400, extra.statusCode());
            assertEquals("force", json(extra).get("field"));
            final HttpResponse<String> zero = a.authed("POST", "/migrate", migrateBody(0, relay(b)));
            assertEquals(400, zero.statusCode());
            assertEquals("stream_id", json(zero).get("field"));
            assertEquals(405, a.authed("GET", "/migrate", null).statusCode());
            assertEquals(401, a.call("POST", "/migrate", migrateBody(5, relay(b))).statusCode());

            // Nothing moved.
            assertEquals("node-a", json(b.authed("GET", "/route/5", null)).get("node_id"));
        }

        try (NodeFixture alone = NodeFixture.start())
        {
            final HttpResponse<String> noRedis = alone.authed("POST", "/migrate", migrateBody(5, relay(a)));
            assertEquals(409, noRedis.statusCode(), noRedis.body());
            assertTrue(noRedis.body().contains("Redis"), noRedis.body());
            final List<Map<String, Object>> onlyItself = nodes(alone);
            assertEquals(1, onlyItself.size());
            assertEquals(relay(alone), onlyItself.get(0).get("relay_addr"));
        }
    }

    @Test
    void aNodeWhoseSubscriptionDroppedReReadsWhatItOwns() throws Exception
    {
        final NodeFixture b = node("node-b");
        try (DatagramChannel source = NodeFixture.udp(); DatagramChannel target = NodeFixture.udp())
        {
            assertEquals(201, b.createRoute(31, source, null, target).statusCode());
            assertEquals(201, b.createRoute(32, source, null, target).statusCode());
            await("node-b subscribed", 10, () -> redis.cli().pubsubNumsub("soundrelay:routes")
                .getOrDefault("soundrelay:routes", 0L) == 1);

            // Redis changes with no announcement, as if node-b's subscription had missed them: a route handed to it
            // (33) and one of its routes taken by another node (32). Then its subscription drops and comes back.
            final String json31 = redis.cli().get("route:31");
            redis.cli().set("route:33", json31.replace("\"stream_id\":31", "\"stream_id\":33"));
            redis.cli().set("route:32", redis.cli().get("route:32").replace("node-b", "node-z"));
            assertEquals(Set.of(31L, 32L), routesOf(b), "nothing announced, nothing known yet");
            redis.cli().clientKill(io.lettuce.core.KillArgs.Builder.typePubsub());

            await("node-b re-read what it owns after resubscribing", 15,
                quietly(() -> routesOf(b).equals(Set.of(31L, 33L))));
            source.send(ByteBuffer.wrap(NodeFixture.frame(33, 0, 1, new byte[]{33})), b.relay());
            assertArrayEquals(new byte[]{33}, NodeFixture.receive(target), "the route it missed relays");
            assertEquals("node-z", redisOwner(32), "node-b let go without touching the other node's key");
        }
    }

    private NodeProcess process(final String id, final String... settings) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", id);
        env.put("API_KEYS", NodeProcess.KEY);
        for (int i = 0; i < settings.length; i += 2)
        {
            env.put(settings[i], settings[i + 1]);
        }
        return keep(NodeProcess.start(env));
    }

    @Test
    void aKilledNodeExpiresAndManualMigrateRestoresRelaying() throws Exception
    {
        final NodeProcess doomed = process("node-doomed");
        final NodeFixture a = node("node-a");
        await("both nodes listed", 15, quietly(() -> nodeIds(a).equals(Set.of("node-a", "node-doomed"))));
        try (DatagramChannel source = NodeFixture.udp(); DatagramChannel target = NodeFixture.udp())
        {
            final HttpResponse<String> created = doomed.call("POST", "/route",
                NodeFixture.routeJson(42, source, "framed", target));
            assertEquals(201, created.statusCode(), created.body());
            final HttpResponse<String> tooEarly = a.authed("POST", "/migrate", migrateBody(42, relay(a)));
            assertEquals(409, tooEarly.statusCode(), "the owner is alive: " + tooEarly.body());

            doomed.kill9();
            await("the killed node's heartbeat expires and /nodes drops it", 30,
                quietly(() -> nodeIds(a).equals(Set.of("node-a"))));

            final HttpResponse<String> failover = a.authed("POST", "/migrate", migrateBody(42, relay(a)));
            assertEquals(200, failover.statusCode(), failover.body());
            assertEquals("node-doomed", json(failover).get("from_node"));
            assertEquals("node-a", json(failover).get("to_node"));
            assertEquals("failover", json(failover).get("handoff"));
            assertEquals("node-a", redisOwner(42));

            source.send(ByteBuffer.wrap(NodeFixture.frame(42, 0, 7, new byte[]{7})), a.relay());
            final byte[] relayed = NodeFixture.receive(target);
            assertEquals(7, ByteBuffer.wrap(relayed).getInt(12), "the adopter relays the stream");
        }
    }

    private static String redisOwner(final long streamId)
    {
        final String value = redis.cli().get("route:" + Long.toUnsignedString(streamId));
        return value == null ? null : (String)((Map<?, ?>)Json.parse(value)).get("node_id");
    }

    @SuppressWarnings("unchecked")
    private static Set<Long> routesOf(final NodeFixture node) throws Exception
    {
        final Set<Long> ids = new HashSet<>();
        final Map<String, Object> page = json(node.authed("GET", "/routes?limit=1000", null));
        for (final Map<String, Object> route : (List<Map<String, Object>>)page.get("routes"))
        {
            ids.add(Long.parseUnsignedLong(route.get("stream_id").toString()));
        }
        return ids;
    }

    @Test
    void autoFailoverGivesEachRouteOfADeadNodeToExactlyOneLiveNode() throws Exception
    {
        final NodeProcess doomed = process("node-doomed");
        final NodeFixture a = node("node-a", "AUTO_FAILOVER", "true");
        final NodeFixture b = node("node-b", "AUTO_FAILOVER", "true");
        await("three nodes listed", 15, quietly(() -> nodeIds(a).size() == 3 && nodeIds(b).size() == 3));
        final int routes = 12;
        try (DatagramChannel source = NodeFixture.udp(); DatagramChannel target = NodeFixture.udp())
        {
            for (long id = 1; id <= routes; id++)
            {
                assertEquals(201, doomed.call("POST", "/route", NodeFixture.routeJson(id, source, null, target))
                    .statusCode());
            }
            doomed.kill9();
            await("every route adopted", 40, quietly(() ->
            {
                for (long id = 1; id <= routes; id++)
                {
                    final String owner = redisOwner(id);
                    if (!"node-a".equals(owner) && !"node-b".equals(owner))
                    {
                        return false;
                    }
                }
                return routesOf(a).size() + routesOf(b).size() == routes;
            }));
            final Set<Long> onA = routesOf(a);
            final Set<Long> onB = routesOf(b);
            for (long id = 1; id <= routes; id++)
            {
                final boolean inA = onA.contains(id);
                final boolean inB = onB.contains(id);
                assertTrue(inA ^ inB, "stream " + id + " relayed by exactly one node: a=" + inA + " b=" + inB);
                assertEquals(inA ? "node-a" : "node-b", redisOwner(id));
            }
            assertFalse(onA.isEmpty(), "the least loaded first: both idle nodes take a share");
            assertFalse(onB.isEmpty(), "the least loaded first: both idle nodes take a share");

            final long someId = onB.iterator().next();
            source.send(ByteBuffer.wrap(NodeFixture.frame(someId, 0, 3, new byte[]{3})), b.relay());
            assertArrayEquals(new byte[]{3}, NodeFixture.receive(target), "the adopter relays the stream");
        }
    }
}
