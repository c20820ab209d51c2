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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.MultiNodeTest.await;
import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.MultiNodeTest.quietly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A drain (PROTOCOL.md section 12) on nodes of the test's own Redis: {@code POST /drain} hands every route to the peer
 * while the sources, following their routes' owners as the clients do, move over with no datagram lost or delivered
 * twice; with no peer the node stops at once and keeps its routes for its restart; a Redis outage in the middle of a
 * drain leaves every route with exactly one owner.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DrainTest
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

    private NodeFixture node(final String id, final String... settings) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", id);
        for (int i = 0; i < settings.length; i += 2)
        {
            env.put(settings[i], settings[i + 1]);
        }
        return keep(NodeFixture.start(env));
    }

    /**
     * Moves each source to its route's owner, as the clients do: every 100 ms it asks the node the source sends to who
     * owns the route. That node answers with the new owner only once the new owner holds the route (its own copy is
     * gone once it forwards), where another node would answer from Redis as soon as the hand-off began.
     */
    static final class Follower implements AutoCloseable
    {
        private final Thread thread;
        private volatile boolean running = true;

        Follower(final Map<String, NodeFixture> nodes, final Map<Long, MultiNodeTest.Source> sources)
        {
            thread = new Thread(() ->
            {
                while (running)
                {
                    for (final Map.Entry<Long, MultiNodeTest.Source> e : sources.entrySet())
                    {
                        NodeFixture asked = null;
                        for (final NodeFixture node : nodes.values())
                        {
                            asked = node.relay().equals(e.getValue().destination) ? node : asked;
                        }
                        try
                        {
                            final Object owner = json(asked.authed("GET", "/route/" + Long.toUnsignedString(e.getKey()),
                                null)).get("node_id");
                            final NodeFixture node = nodes.get(owner);
                            if (node != null)
                            {
                                e.getValue().destination = node.relay();
                            }
                        }
                        catch (final Exception ex)
                        {
                            // the node asked is going: ask again next round
                        }
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
            }, "follower");
            thread.start();
        }

        @Override
        public void close() throws Exception
        {
            running = false;
            thread.join(5000);
        }
    }

    @Test
    void postDrainHandsEveryRouteToThePeerWhileTheSourcesFollowAndLosesNothing() throws Exception
    {
        final NodeFixture a = node("drain-a");
        final NodeFixture b = node("drain-b");
        await("both nodes listed", 10, quietly(() -> MultiNodeTest.nodeIds(a).size() == 2));
        final int streams = 10;
        final Map<Long, MultiNodeTest.Source> sources = new HashMap<>();
        final Map<Long, MultiNodeTest.Sink> sinks = new HashMap<>();
        for (int i = 0; i < streams; i++)
        {
            final long streamId = 0xD8A1_0000_0000_0000L + i;
            final DatagramChannel source = keep(NodeFixture.udp());
            final DatagramChannel target = keep(NodeFixture.udp());
            assertEquals(201, a.createRoute(streamId, source, "framed", target).statusCode());
            sinks.put(streamId, keep(new MultiNodeTest.Sink(target)));
            sources.put(streamId, keep(new MultiNodeTest.Source(source, streamId, a.relay())));
        }
        for (final MultiNodeTest.Source source : sources.values())
        {
            source.awaitSent(25);
        }
        keep(new Follower(Map.of("drain-a", a, "drain-b", b), sources));

        final HttpResponse<String> unauthenticated = a.call("POST", "/drain", null);
        assertEquals(401, unauthenticated.statusCode(), unauthenticated.body());
        assertEquals("ok", a.health("status"), "a refused POST /drain starts nothing");

        final HttpResponse<String> drain = a.authed("POST", "/drain", null);
        assertEquals(202, drain.statusCode(), drain.body());
        assertEquals("draining", json(drain).get("status"));
        assertEquals("drain started", json(drain).get("message"));
        final HttpResponse<String> again = a.authed("POST", "/drain", null);
        assertEquals(202, again.statusCode(), again.body());
        assertEquals("a drain is already in progress", json(again).get("message"));

        // While it drains: not ready, no new route, /health says so; still live.
        final HttpResponse<String> ready = a.call("GET", "/readyz", null);
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("draining"), ready.body());
        assertEquals(200, a.call("GET", "/livez", null).statusCode());
        final HttpResponse<String> create = a.createRoute(0xD8A1_FFFFL, keep(NodeFixture.udp()), "framed",
            keep(NodeFixture.udp()));
        assertEquals(503, create.statusCode(), create.body());
        assertTrue(create.body().contains("draining"), create.body());
        assertEquals("draining", a.health("status"));

        await("every route handed over (relay_drain_migrations_total{result=\"ok\"})", 60, quietly(() ->
            a.metricNow("relay_drain_migrations_total{result=\"ok\"}") == streams));
        assertTrue(a.node.awaitClose(60, TimeUnit.SECONDS), "node-a stops once its sources moved on");

        for (final Map.Entry<Long, MultiNodeTest.Source> e : sources.entrySet())
        {
            assertEquals(b.relay(), e.getValue().destination, "the source of " + e.getKey() + " follows its route");
            e.getValue().awaitSent(e.getValue().sent + 25);
        }
        for (final Map.Entry<Long, MultiNodeTest.Source> e : sources.entrySet())
        {
            e.getValue().close();
            final long total = e.getValue().sent;
            final MultiNodeTest.Sink sink = sinks.get(e.getKey());
            await("every frame of " + e.getKey() + " received", 10, () -> sink.received().size() >= total);
            final List<Long> expected = new ArrayList<>();
            for (long seq = 0; seq < total; seq++)
            {
                expected.add(seq);
            }
            assertEquals(expected, sink.received(), "stream " + Long.toUnsignedString(e.getKey()) +
                ": every sequence exactly once, in order, across the drain");
            assertEquals("drain-b", redisOwner(e.getKey()));
        }
    }

    @Test
    void withNoPeerTheNodeStopsAtOnceAndItsRestartTakesItsRoutesBack() throws Exception
    {
        final NodeFixture a = node("drain-alone");
        final Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 3; i++)
        {
            final long streamId = 0xA10E_0000L + i;
            ids.add(streamId);
            assertEquals(201, a.createRoute(streamId, keep(NodeFixture.udp()), "framed", keep(NodeFixture.udp()))
                .statusCode());
        }
        assertEquals(202, a.authed("POST", "/drain", null).statusCode());
        assertTrue(a.node.awaitClose(30, TimeUnit.SECONDS), "a node with no peer stops at once");
        for (final long streamId : ids)
        {
            assertEquals("drain-alone", redisOwner(streamId), "the route stays the node's in Redis");
        }

        final NodeFixture again = node("drain-alone");
        assertEquals(ids, routesOf(again), "the restart takes its routes back");
    }

    @Test
    void aRedisOutageInTheMiddleOfADrainLeavesEveryRouteWithExactlyOneOwner() throws Exception
    {
        final RedisServer own = keep(RedisServer.start());
        final NodeFixture a = keep(NodeFixture.start(Map.of("REDIS_URL", own.url(), "NODE_ID", "outage-a")));
        final NodeFixture b = keep(NodeFixture.start(Map.of("REDIS_URL", own.url(), "NODE_ID", "outage-b")));
        await("both nodes listed", 10, quietly(() -> MultiNodeTest.nodeIds(a).size() == 2));
        final int streams = 400;
        final Set<Long> ids = new HashSet<>();
        final DatagramChannel source = keep(NodeFixture.udp());
        final DatagramChannel target = keep(NodeFixture.udp());
        for (int i = 0; i < streams; i++)
        {
            final long streamId = 0x0D7A_0000L + i;
            ids.add(streamId);
            assertEquals(201, a.createRoute(streamId, source, "framed", target).statusCode());
        }
        assertEquals(202, a.authed("POST", "/drain", null).statusCode());
        await("the first route handed over", 30, quietly(() ->
            a.metricNow("relay_drain_migrations_total{result=\"ok\"}") >= 1));
        own.freeze();
        try
        {
            assertTrue(a.node.awaitClose(120, TimeUnit.SECONDS), "the drain ends though Redis is away");
            assertEquals(200, b.call("GET", "/livez", null).statusCode(), "a Redis outage never fails /livez");
        }
        finally
        {
            own.thaw();
        }
        final Set<Long> onB = routesOf(b);
        assertTrue(onB.size() < streams, "the outage came before every route was handed over: " + onB.size());
        assertFalse(onB.isEmpty(), "routes handed over before the outage stay handed over");

        // node-a comes back: it takes what Redis names its own, and together the two nodes hold every route once.
        final NodeFixture again = keep(NodeFixture.start(Map.of("REDIS_URL", own.url(), "NODE_ID", "outage-a")));
        await("node-b and node-a hold every route between them", 30, quietly(() ->
        {
            final Set<Long> backOnA = routesOf(again);
            final Set<Long> nowOnB = routesOf(b);
            final Set<Long> both = new HashSet<>(backOnA);
            both.retainAll(nowOnB);
            final Set<Long> all = new HashSet<>(backOnA);
            all.addAll(nowOnB);
            return both.isEmpty() && all.equals(ids);
        }));
        for (final long streamId : ids)
        {
            final String owner = own.cli().get(io.soundrelay.control.redis.StoredRoute.key(streamId));
            assertTrue(owner != null && owner.contains(routesOf(b).contains(streamId) ? "outage-b" : "outage-a"),
                "Redis names the node that holds " + streamId + ": " + owner);
        }
    }

    @Test
    void sigtermDrainsTheNodeToItsPeerAndItExitsZero() throws Exception
    {
        final NodeProcess a = keep(NodeProcess.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", "term-a")));
        final NodeFixture b = node("term-b");
        await("both nodes listed", 10, quietly(() -> MultiNodeTest.nodeIds(b).size() == 2));
        final Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 5; i++)
        {
            final long streamId = 0x7E2A_0000L + i;
            ids.add(streamId);
            final HttpResponse<String> created = a.call("POST", "/route", NodeFixture.routeJson(streamId,
                keep(NodeFixture.udp()), "framed", keep(NodeFixture.udp())));
            assertEquals(201, created.statusCode(), created.body());
        }

        assertEquals(0, a.stop(), "a drained node exits 0:\n" + a.log());
        assertTrue(a.log().contains("drain (SIGTERM): handing 5 route(s) to 1 live peer(s)"), a.log());
        assertEquals(ids, routesOf(b), "every route moved to the peer");
        for (final long streamId : ids)
        {
            assertEquals("term-b", redisOwner(streamId));
        }
    }

    @Test
    void aSecondSigtermStopsADrainAtOnce() throws Exception
    {
        final NodeProcess a = keep(NodeProcess.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", "twice-a",
            "MIGRATION_GRACE_SECONDS", "3600", "DRAIN_TIMEOUT_SECONDS", "3600")));
        final NodeFixture b = node("twice-b");
        await("both nodes listed", 10, quietly(() -> MultiNodeTest.nodeIds(b).size() == 2));
        final long streamId = 0x7E2B_0001L;
        final DatagramChannel sourceChannel = keep(NodeFixture.udp());
        assertEquals(201, a.call("POST", "/route", NodeFixture.routeJson(streamId, sourceChannel, "framed",
            keep(NodeFixture.udp()))).statusCode());
        // A source that never follows: the drain would forward to node-b for the whole hour of grace.
        keep(new MultiNodeTest.Source(sourceChannel, streamId, a.relay()));

        a.sigterm();
        await("the drain forwards", 30, quietly(() -> a.log().contains("forwarding until their sources")));
        assertEquals(-1, a.awaitExit(0), "still draining: its source still sends to it");
        a.sigterm();
        assertEquals(0, a.awaitExit(60), "a second SIGTERM stops the node at once:\n" + a.log());
        assertTrue(a.log().contains("SIGTERM: stopping now"), a.log());
    }

    private static String redisOwner(final long streamId)
    {
        final String json = redis.cli().get(io.soundrelay.control.redis.StoredRoute.key(streamId));
        return json == null ? null : (String)((Map<?, ?>)io.soundrelay.core.json.Json.parse(json)).get("node_id");
    }

    @SuppressWarnings("unchecked")
    static Set<Long> routesOf(final NodeFixture node) throws Exception
    {
        final Set<Long> ids = new HashSet<>();
        for (final Map<String, Object> route : (List<Map<String, Object>>)json(node.authed("GET", "/routes?limit=1000", null))
            .get("routes"))
        {
            ids.add(Long.parseUnsignedLong(route.get("stream_id").toString()));
        }
        return ids;
    }
}
