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

import io.lettuce.core.api.sync.RedisCommands;
import io.soundrelay.core.config.ConfigurationException;
import io.soundrelay.core.json.Json;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.soundrelay.control.NodeFixture.frame;
import static io.soundrelay.control.NodeFixture.receive;
import static io.soundrelay.control.NodeFixture.udp;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routes in a real Redis (a redis-server of the test's own): written before the API answers, loaded at start-up,
 * kept through outages and Redis restarts, expired, and never mixed up between nodes. Redis is checked from
 * outside, with a client of the test's own; traffic is checked with real datagrams.
 */
class RedisPersistenceTest
{
    private static NodeFixture node(final RedisServer redis, final String nodeId, final String... more) throws Exception
    {
        return node(redis.url(), nodeId, more);
    }

    private static NodeFixture node(final String url, final String nodeId, final String... more) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", url);
        env.put("NODE_ID", nodeId);
        for (int i = 0; i < more.length; i += 2)
        {
            env.put(more[i], more[i + 1]);
        }
        return NodeFixture.start(env);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(final String text)
    {
        return (Map<String, Object>)Json.parse(text);
    }

    private static String owner(final RedisCommands<String, String> cli, final long id)
    {
        final String value = cli.get("route:" + id);
        return value == null ? null : (String)json(value).get("node_id");
    }

    private static Set<String> routeKeys(final RedisCommands<String, String> cli)
    {
        return new TreeSet<>(cli.keys("route:*"));
    }

    private static String health(final NodeFixture node) throws Exception
    {
        return (String)json(node.authed("GET", "/health", null).body()).get("redis"); // polled: with the key
    }

    private static void assertRelays(final NodeFixture node, final long id, final DatagramChannel src,
        final DatagramChannel target, final int seq) throws Exception
    {
        final byte[] payload = ("seq-" + seq).getBytes();
        node.send(src, frame(id, 0, seq, payload));
        assertArrayEquals(payload, receive(target), "stream " + id + " relays");
    }

    @Test
    void everyChangeIsInRedisBeforeTheAnswerAndTheHeartbeatNamesTheNode() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            NodeFixture node = node(redis, "node-a", "ROUTE_TTL_SECONDS", "120");
            DatagramChannel src = udp(); DatagramChannel t1 = udp(); DatagramChannel t2 = udp())
        {
            final RedisCommands<String, String> cli = redis.cli();
            assertEquals("connected", health(node));

            assertEquals(201, node.createRoute(7, src, null, t1).statusCode());
            final Map<String, Object> stored = json(cli.get("route:7")); // no wait: written before the 201
            assertEquals("node-a", stored.get("node_id"));
            assertEquals(NodeFixture.addr(src), stored.get("source_addr"));
            assertEquals(List.of(NodeFixture.addr(t1)), stored.get("target_addrs"));
            final long ttl = cli.ttl("route:7");
            assertTrue(ttl > 100 && ttl <= 120, "expiry is ROUTE_TTL_SECONDS, was " + ttl);

            assertEquals(200, node.authed("PUT", "/route/7", NodeFixture.routeJson(7, src, "framed", t2)).statusCode());
            final Map<String, Object> replaced = json(cli.get("route:7"));
            assertEquals(List.of(NodeFixture.addr(t2)), replaced.get("target_addrs"));
            assertEquals("framed", replaced.get("deliver"));

            assertEquals(204, node.authed("DELETE", "/route/7", null).statusCode());
            assertNull(cli.get("route:7"), "deleted before the 204");

            waitFor("a heartbeat", () -> cli.exists("node:node-a:heartbeat") == 1);
            final Map<String, Object> beat = json(cli.get("node:node-a:heartbeat"));
            assertEquals("node-a", beat.get("node_id"));
            assertEquals("127.0.0.1:" + node.relay().getPort(), beat.get("relay_addr"));
            assertEquals("127.0.0.1:" + node.node.apiAddress().getPort(), beat.get("control_addr"));
            assertTrue(beat.containsKey("active_routes") && beat.containsKey("started_at"), beat.toString());
            final long beatTtl = cli.ttl("node:node-a:heartbeat");
            assertTrue(beatTtl > 0 && beatTtl <= 10, "heartbeat expires in 10 s, was " + beatTtl);

            final String metrics = node.metrics();
            assertTrue(NodeFixture.metric(metrics, "relay_redis_operations_total{op=\"set\",result=\"ok\"}") >= 2);
            assertTrue(NodeFixture.metric(metrics, "relay_redis_operations_total{op=\"del\",result=\"ok\"}") >= 1);
        }
    }

    @Test
    void aRestartedNodeLoadsItsRoutesAndRelaysAtOnce() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            try (NodeFixture first = node(redis, "node-r"))
            {
                assertEquals(201, first.createRoute(11, src, null, target).statusCode());
                assertEquals(201, first.createRoute(12, src, "framed", target).statusCode());
                assertRelays(first, 11, src, target, 0);
            }
            assertEquals(Set.of("route:11", "route:12"), routeKeys(redis.cli()), "a graceful stop keeps the routes");
            assertEquals(0, redis.cli().exists("node:node-r:heartbeat"), "a stopped node is no longer live");

            try (NodeFixture second = node(redis, "node-r"))
            {
                final HttpResponse<String> route = second.authed("GET", "/route/12", null);
                assertEquals(200, route.statusCode());
                assertEquals("framed", json(route.body()).get("deliver"));
                assertRelays(second, 11, src, target, 1);
                assertEquals("2", json(second.call("GET", "/health", null).body()).get("active_routes").toString());
            }
        }
    }

    @Test
    void aNodeStartedWithoutRedisServesFromMemoryThenLoadsAndWritesWhenRedisArrives() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            // A route this node made in an earlier life, saved to disk; then Redis goes away.
            try (NodeFixture earlier = node(redis, "node-s"))
            {
                assertEquals(201, earlier.createRoute(21, src, null, target).statusCode());
            }
            redis.cli().save();
            redis.kill();

            try (NodeFixture node = node(redis, "node-s"))
            {
                assertEquals("unavailable", health(node));
                assertEquals("degraded", json(node.call("GET", "/health", null).body()).get("status"));
                assertEquals(201, node.createRoute(22, src, null, target).statusCode(), "answers from memory");
                assertEquals(201, node.createRoute(23, src, null, target).statusCode());
                assertEquals(204, node.authed("DELETE", "/route/23", null).statusCode());
                assertRelays(node, 22, src, target, 0);

                redis.startProcess(); // comes back with route 21 from its dump
                waitFor("Redis connected", () -> "connected".equals(healthUnchecked(node)));
                assertEquals(Set.of("route:21", "route:22"), routeKeys(redis.cli()),
                    "the queued create is replayed, the queued delete stays deleted");
                assertEquals(200, node.authed("GET", "/route/21", null).statusCode(), "the saved route is loaded");
                assertRelays(node, 21, src, target, 1);
                assertRelays(node, 22, src, target, 2);
                assertEquals("ok", json(node.call("GET", "/health", null).body()).get("status"));
            }
        }
    }

    @Test
    void redisKilledAndRestartedEmptyGetsExactlyTheNodesRoutesBack() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            NodeFixture node = node(redis, "node-k");
            DatagramChannel src = udp(); DatagramChannel t1 = udp(); DatagramChannel t2 = udp())
        {
            for (long id = 31; id <= 33; id++)
            {
                assertEquals(201, node.createRoute(id, src, null, t1).statusCode());
            }
            redis.cli().set("route:99", "{\"stream_id\":99,\"node_id\":\"someone-else\"}");

            redis.kill();
            redis.wipe();
            // Changes during the outage: each answers at once from memory.
            assertEquals(201, node.createRoute(34, src, null, t1).statusCode());
            assertEquals("unavailable", health(node));
            assertEquals(204, node.authed("DELETE", "/route/32", null).statusCode());
            assertEquals(200, node.authed("PUT", "/route/33", NodeFixture.routeJson(33, src, null, t2)).statusCode());
            assertEquals(201, node.createRoute(35, src, null, t1).statusCode());
            assertEquals(204, node.authed("DELETE", "/route/35", null).statusCode());
            assertRelays(node, 31, src, t1, 0);
            assertRelays(node, 33, src, t2, 1);
            assertTrue(NodeFixture.metric(node.metrics(), "relay_redis_operations_total{op=\"set\",result=\"queued\"}")
                >= 3);

            redis.startProcess(); // empty
            waitFor("Redis connected", () -> "connected".equals(healthUnchecked(node)));
            final RedisCommands<String, String> cli = redis.cli();
            assertEquals(Set.of("route:31", "route:33", "route:34"), routeKeys(cli));
            for (final long id : new long[]{31, 33, 34})
            {
                assertEquals("node-k", owner(cli, id));
                assertTrue(cli.ttl("route:" + id) > 0, "written with an expiry");
            }
            assertEquals(List.of(NodeFixture.addr(t2)), json(cli.get("route:33")).get("target_addrs"),
                "the replacement made during the outage is what Redis holds");
            waitFor("heartbeat back", () -> cli.exists("node:node-k:heartbeat") == 1);
            assertEquals(0.0, NodeFixture.metric(node.metrics(), "relay_redis_queued_writes"));
            assertRelays(node, 34, src, t1, 2);
        }
    }

    @Test
    void aFullWriteQueueIsSaidInHealthAndLosesNoRouteWhenRedisReturns() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            NodeFixture node = node(redis, "node-q", "REDIS_QUEUE_MAX", "64");
            DatagramChannel src = udp(); DatagramChannel t = udp())
        {
            assertEquals(List.of(0L, 64L, 0L), queue(node));
            redis.kill();
            redis.wipe();
            // 100 changes during the outage: the queue of 64 overflows; each still answers at once.
            for (long id = 500; id < 600; id++)
            {
                assertEquals(201, node.createRoute(id, src, null, t).statusCode());
            }
            final List<Long> queue = queue(node); // queued, max, dropped
            assertEquals(64L, queue.get(1));
            assertTrue(queue.get(2) >= 64, queue.toString());
            assertTrue(queue.get(0) < 64, queue.toString());
            assertTrue(NodeFixture.metric(node.metrics(), "relay_redis_operations_total{op=\"set\",result=\"dropped\"}")
                >= 64);

            redis.startProcess(); // empty: the reconcile that replaced the dropped writes puts every route back
            waitFor("Redis connected", () -> "connected".equals(healthUnchecked(node)));
            final RedisCommands<String, String> cli = redis.cli();
            waitFor("all 100 routes in Redis", () -> routeKeys(cli).size() == 100);
            assertEquals(0L, queue(node).get(0));
        }
    }

    /** /health's redis_queue as {queued, max, dropped}. */
    private static List<Long> queue(final NodeFixture node)
    {
        final Map<?, ?> queue = (Map<?, ?>)node.health("redis_queue");
        return List.of(Long.parseLong(queue.get("queued").toString()), Long.parseLong(queue.get("max").toString()),
            Long.parseLong(queue.get("dropped").toString()));
    }

    @Test
    void aRouteNobodySendsOnExpiresFromMemoryAndRedisWhileABusyOneIsRefreshed() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            NodeFixture node = node(redis, "node-e", "ROUTE_TTL_SECONDS", "2");
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            final RedisCommands<String, String> cli = redis.cli();
            assertEquals(201, node.createRoute(41, src, null, target).statusCode());
            assertEquals(201, node.createRoute(42, src, null, target).statusCode());

            // Keep 42 busy until the idle 41 has expired and 42's expiry was extended at least twice.
            final int[] seq = {0};
            waitFor("route 41 expired", () ->
            {
                try
                {
                    assertRelays(node, 42, src, target, seq[0]++);
                    return node.authed("GET", "/route/41", null).statusCode() == 404 &&
                        NodeFixture.metric(node.metrics(), "relay_redis_operations_total{op=\"expire\",result=\"ok\"}")
                        >= 2;
                }
                catch (final Exception ex)
                {
                    throw new AssertionError(ex);
                }
            });
            assertEquals(0, cli.exists("route:41"), "an expired route leaves Redis too");
            assertEquals(1.0, NodeFixture.metric(node.metrics(), "relay_routes_expired_total"));
            assertEquals(200, node.authed("GET", "/route/42", null).statusCode(), "a busy route stays");
            assertEquals("node-e", owner(cli, 42));
            assertTrue(cli.ttl("route:42") > 0);
        }
    }

    @Test
    void twoNodesOnOneRedisNeverLoadOrDeleteEachOthersRoutes() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            final RedisCommands<String, String> cli = redis.cli();
            try (NodeFixture a = node(redis, "node-a"); NodeFixture b = node(redis, "node-b"))
            {
                assertEquals(201, a.createRoute(51, src, null, target).statusCode());
                assertEquals(201, a.createRoute(52, src, null, target).statusCode());
                assertEquals(201, b.createRoute(53, src, null, target).statusCode());

                final HttpResponse<String> taken = b.createRoute(51, src, null, target);
                assertEquals(409, taken.statusCode(), taken.body());
                assertTrue(taken.body().contains("node-a"), taken.body());
                final HttpResponse<String> fromRedis = b.authed("GET", "/route/51", null);
                assertEquals(200, fromRedis.statusCode(), "any node answers for a route in Redis");
                assertTrue(fromRedis.body().contains("\"node_id\":\"node-a\""), fromRedis.body());
                assertFalse(b.authed("GET", "/routes", null).body().contains("\"stream_id\":\"51\""), "b did not keep it");
                assertEquals("node-a", owner(cli, 51));
                assertEquals(404, b.authed("DELETE", "/route/52", null).statusCode());
                assertEquals("node-a", owner(cli, 52));
            }
            assertEquals(Set.of("route:51", "route:52", "route:53"), routeKeys(cli));

            try (NodeFixture b = node(redis, "node-b"))
            {
                assertFalse(b.authed("GET", "/routes", null).body().contains("\"stream_id\":\"51\""),
                    "b loads only its own");
                assertTrue(b.authed("GET", "/route/51", null).body().contains("\"node_id\":\"node-a\""),
                    "and answers for a's from Redis");
                assertEquals(200, b.authed("GET", "/route/53", null).statusCode());
                assertEquals(204, b.authed("DELETE", "/route/53", null).statusCode());

                // Redis restarts empty while only b runs: b's reconcile writes b's routes and no one else's.
                redis.kill();
                redis.wipe();
                redis.startProcess();
                assertEquals(201, b.createRoute(54, src, null, target).statusCode());
                waitFor("b reconciled", () -> redis.cli().exists("route:54") == 1);
            }
            assertEquals(Set.of("route:54"), routeKeys(redis.cli()));
            assertEquals("node-b", owner(redis.cli(), 54));
        }
    }

    @Test
    void aPasswordInTheUrlIsUsedAndAWrongOneStopsTheNodeNamingRedisUrl() throws Exception
    {
        try (RedisServer redis = RedisServer.start("--requirepass", "s3cret-pw"))
        {
            final String withPassword = "redis://:s3cret-pw@127.0.0.1:" + redis.port();
            try (NodeFixture node = node(withPassword, "node-p"); DatagramChannel src = udp(); DatagramChannel t = udp())
            {
                assertEquals("connected", health(node));
                assertEquals(201, node.createRoute(61, src, null, t).statusCode());
            }

            final ConfigurationException wrong = assertThrows(ConfigurationException.class,
                () -> node("redis://:not-the-pw-1234@127.0.0.1:" + redis.port(), "node-p").close());
            assertTrue(wrong.getMessage().startsWith("REDIS_URL="), wrong.getMessage());
            assertFalse(wrong.getMessage().contains("not-the-pw-1234"), "the password is never shown: " + wrong.getMessage());

            final ConfigurationException none = assertThrows(ConfigurationException.class,
                () -> node(redis.url(), "node-p").close());
            assertTrue(none.getMessage().startsWith("REDIS_URL="), none.getMessage());
        }
    }

    private static String healthUnchecked(final NodeFixture node)
    {
        try
        {
            return health(node);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }
}
