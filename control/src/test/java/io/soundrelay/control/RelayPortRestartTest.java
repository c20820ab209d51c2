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

import io.soundrelay.control.RelayPortKit.Datagram;
import io.soundrelay.core.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.RelayPortKit.addr;
import static io.soundrelay.control.RelayPortKit.assertNothingWaiting;
import static io.soundrelay.control.RelayPortKit.await;
import static io.soundrelay.control.RelayPortKit.create;
import static io.soundrelay.control.RelayPortKit.get;
import static io.soundrelay.control.RelayPortKit.isFree;
import static io.soundrelay.control.RelayPortKit.json;
import static io.soundrelay.control.RelayPortKit.metric;
import static io.soundrelay.control.RelayPortKit.receive;
import static io.soundrelay.control.RelayPortKit.relayPortOf;
import static io.soundrelay.control.RelayPortKit.routeJson;
import static io.soundrelay.control.RelayPortKit.send;
import static io.soundrelay.control.RelayPortKit.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node restarted with the same settings gets its return-path routes back from Redis (a redis-server of the test's
 * own) with the relay ports they had, and traffic flows both ways again; a port someone else took while the node was
 * down is replaced by another, and Redis learns the new one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RelayPortRestartTest
{
    private static RedisServer redis;
    private int[] range;

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
        range = RelayPortKit.freeRange(4);
    }

    /** The same settings every time: a restart, not another node. */
    private NodeFixture node() throws Exception
    {
        return node(redis);
    }

    private NodeFixture node(final RedisServer redis) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", "node-r");
        env.put("RELAY_PORTS", RelayPortKit.setting(range));
        return NodeFixture.start(env);
    }

    private static Map<String, Object> stored(final long streamId)
    {
        final String value = redis.cli().get("route:" + streamId);
        assertNotNull(value, "route:" + streamId + " in Redis");
        return json(value);
    }

    private static void assertBothWays(final DatagramChannel source, final DatagramChannel target, final int port,
        final int seed) throws Exception
    {
        final InetSocketAddress relay = RelayPortKit.relayPort(port);
        final byte[] out = RelayEndToEndTest.payload(seed, 64);
        send(source, out, relay);
        final Datagram there = receive(target);
        assertArrayEquals(out, there.bytes(), "source to target through relay port " + port);
        assertEquals(relay, there.from());
        final byte[] back = RelayEndToEndTest.payload(seed + 100, 48);
        send(target, back, relay);
        final Datagram home = receive(source);
        assertArrayEquals(back, home.bytes(), "target back to source through relay port " + port);
        assertEquals(relay, home.from());
    }

    @Test
    void aRestartedNodeRebindsTheSameRelayPortsAndRelaysBothWays() throws Exception
    {
        try (DatagramChannel src1 = udp("127.0.0.1"); DatagramChannel t1 = udp("127.0.0.1");
            DatagramChannel src2 = udp("127.0.0.1"); DatagramChannel t2 = udp("127.0.0.2"))
        {
            final int p1;
            final int p2;
            try (NodeFixture first = node())
            {
                p1 = create(first, routeJson(1, addr(src1), addr(t1)), range);
                p2 = create(first, routeJson(2, addr(src2), addr(t2)), range);
                assertEquals(p1, relayPortOf(stored(1)), "Redis holds the relay port before the 201");
                assertEquals(Boolean.TRUE, stored(1).get("return_path"));
                assertEquals(p2, relayPortOf(stored(2)));
                assertBothWays(src1, t1, p1, 1);
                assertBothWays(src2, t2, p2, 2);
            }
            assertTrue(isFree(p1) && isFree(p2), "a stopped node holds no relay port");
            assertEquals(p1, relayPortOf(stored(1)), "a graceful stop keeps the routes");

            try (NodeFixture second = node())
            {
                assertEquals(p1, relayPortOf(get(second, 1)), "the same relay port after the restart");
                assertEquals(p2, relayPortOf(get(second, 2)));
                assertEquals(2.0, metric(second, "relay_ports_in_use"));
                assertBothWays(src1, t1, p1, 3);
                assertBothWays(src2, t2, p2, 4);
                assertEquals(p1, relayPortOf(stored(1)));
                assertEquals(p2, relayPortOf(stored(2)));
            }
        }
    }

    @Test
    void aPortTakenWhileTheNodeWasDownIsReplacedAndRedisLearnsTheNewOne() throws Exception
    {
        try (DatagramChannel src = udp("127.0.0.1"); DatagramChannel t = udp("127.0.0.1"))
        {
            final int old;
            try (NodeFixture first = node())
            {
                old = create(first, routeJson(7, addr(src), addr(t)), range);
                assertBothWays(src, t, old, 1);
            }
            try (DatagramChannel squatter = udp("127.0.0.1", old); NodeFixture second = node())
            {
                final int now = relayPortOf(get(second, 7));
                assertNotEquals(0, now, "the route still has a return path");
                assertNotEquals(old, now, "the port the squatter holds cannot be the route's");
                assertTrue(now >= range[0] && now <= range[1], "relay_port " + now + " in RELAY_PORTS");
                await("Redis holds the new relay port", 10, () -> relayPortOf(stored(7)) == now);
                assertBothWays(src, t, now, 2);
                assertNothingWaiting(squatter, "the squatter on the old port got traffic");
            }
            try (NodeFixture third = node())
            {
                final int port = relayPortOf(get(third, 7));
                assertEquals(relayPortOf(stored(7)), port, "the next restart asks for the port Redis names");
                assertBothWays(src, t, port, 3);
            }
        }
    }

    /**
     * A source with port 0 latched by its first datagram: Redis learns the latched address (as it learns the relay
     * port), so a restart or a hand-off can take it along.
     */
    @Test
    void aLatchReachesRedis() throws Exception
    {
        try (NodeFixture node = node(); DatagramChannel bot = udp("127.0.0.3"); DatagramChannel t = udp("127.0.0.2"))
        {
            final int port = create(node, routeJson(9, "127.0.0.3:0", addr(t)), range);
            assertBothWays(bot, t, port, 1);
            assertEquals(addr(bot), get(node, 9).get("source_latched"));
            await("Redis holds the latched source", 15, () -> addr(bot).equals(stored(9).get("source_latched")));
        }
    }

    /**
     * Issue 29, finding 6: a PUT with {@code "source_latched": null} forgets a stranger's latch in Redis too, so a
     * restart comes back unlatched and the real source, sending next, latches; a route option {@code latch} is kept.
     */
    @Test
    void aClearedLatchLeavesRedisAndARestartedNodeLetsTheNextSenderLatch() throws Exception
    {
        try (DatagramChannel stranger = udp("127.0.0.3"); DatagramChannel bot = udp("127.0.0.3");
            DatagramChannel t = udp("127.0.0.2"))
        {
            final String body = routeJson(19, "127.0.0.3:0", addr(t));
            final int port;
            try (NodeFixture first = node())
            {
                port = create(first, body, range);
                assertBothWays(stranger, t, port, 1);
                await("Redis holds the stranger's latch", 15,
                    () -> addr(stranger).equals(stored(19).get("source_latched")));
                final HttpResponse<String> cleared =
                    first.authed("PUT", "/route/19", body.replace("}", ",\"source_latched\":null}"));
                assertEquals(200, cleared.statusCode(), cleared.body());
                assertEquals(Json.NULL, json(cleared).get("source_latched"), cleared.body());
                assertEquals(port, relayPortOf(json(cleared)), "the PUT keeps the relay port");
                assertFalse(stored(19).containsKey("source_latched"), "a PUT answers once Redis has the change");
            }
            try (NodeFixture second = node())
            {
                assertEquals(Json.NULL, get(second, 19).get("source_latched"), "a restart comes back unlatched");
                assertBothWays(bot, t, port, 2);
                assertEquals(addr(bot), get(second, 19).get("source_latched"), "the next sender latched");
                await("Redis holds the bot's latch", 15, () -> addr(bot).equals(stored(19).get("source_latched")));
            }
        }
    }

    /**
     * A route whose latched source is in Redis comes back latched: after the restart the targets' datagrams reach the
     * source without the source having to send first.
     */
    @Test
    void aLatchedSourceInRedisIsRestored() throws Exception
    {
        try (DatagramChannel bot = udp("127.0.0.3"); DatagramChannel t = udp("127.0.0.2"))
        {
            final int port;
            try (NodeFixture first = node())
            {
                port = create(first, routeJson(9, "127.0.0.3:0", addr(t)), range);
                assertBothWays(bot, t, port, 1);
            }
            // What Redis holds once the latch is written (aLatchReachesRedis), written here by hand.
            final String json = redis.cli().get("route:9");
            if (!json.contains("source_latched"))
            {
                redis.cli().set("route:9", json.replace(",\"node_id\"",
                    ",\"source_latched\":\"" + addr(bot) + "\",\"node_id\""));
            }
            assertEquals(addr(bot), stored(9).get("source_latched"));
            try (NodeFixture second = node())
            {
                assertEquals(port, relayPortOf(get(second, 9)));
                assertEquals(addr(bot), get(second, 9).get("source_latched"), "the latch is restored");
                final byte[] back = { 1, 2, 3 };
                send(t, back, RelayPortKit.relayPort(port));
                assertArrayEquals(back, receive(bot).bytes(), "the target reaches the latched source");
            }
        }
    }

    /**
     * A node that starts while Redis is down serves from memory; when Redis comes back it loads its return-path
     * routes with their relay ports (the same port, free here) and their latched sources, and both directions flow.
     */
    @Test
    void aReturnPathRouteLoadedWhenRedisComesBackGetsItsRelayPortAndLatch() throws Exception
    {
        try (RedisServer own = RedisServer.start();
            DatagramChannel bot = udp("127.0.0.3"); DatagramChannel t = udp("127.0.0.2"))
        {
            final int port;
            try (NodeFixture first = node(own))
            {
                port = create(first, routeJson(31, "127.0.0.3:0", addr(t)), range);
                assertBothWays(bot, t, port, 1);
                await("Redis holds the latched source", 15, () ->
                    addr(bot).equals(json(own.cli().get("route:31")).get("source_latched")));
            }
            own.cli().save();
            own.kill();

            try (NodeFixture second = node(own))
            {
                assertEquals(404, second.authed("GET", "/route/31", null).statusCode(), "Redis is down");
                own.startProcess(); // comes back with route 31 from its dump
                await("route 31 loaded", 30, () -> second.authed("GET", "/route/31", null).statusCode() == 200);
                assertEquals(port, relayPortOf(get(second, 31)), "the relay port it had, which is free");
                assertEquals(addr(bot), get(second, 31).get("source_latched"), "the latch comes back");
                assertEquals(1.0, metric(second, "relay_ports_in_use"));
                final byte[] back = { 7, 8, 9 };
                send(t, back, RelayPortKit.relayPort(port));
                assertArrayEquals(back, receive(bot).bytes(), "the target reaches the latched source at once");
                assertBothWays(bot, t, port, 2);
            }
        }
    }
}
