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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.MultiNodeTest.await;
import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.MultiNodeTest.migrateBody;
import static io.soundrelay.control.MultiNodeTest.nodeIds;
import static io.soundrelay.control.MultiNodeTest.quietly;
import static io.soundrelay.control.MultiNodeTest.relay;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redis is a bounded trust boundary (issue 29, finding 4): whoever can write to Redis can register nodes and write
 * keys, but cannot stop migration and failover with heartbeats beyond the peer limit, cannot make a route's own source
 * count as a loop, and cannot mark Redis down for the nodes with one oversize value. Real nodes on loopback, a real
 * redis-server of the test's own; the source and target have loopback addresses of their own (127.0.0.3, .2).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RedisTrustTest
{
    private static final String SKIPPED = "relay_redis_skipped_total{reason=\"%s\"}";

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
        env.put("MIGRATION_GRACE_SECONDS", "3");
        for (int i = 0; i < settings.length; i += 2)
        {
            env.put(settings[i], settings[i + 1]);
        }
        return keep(NodeFixture.start(env));
    }

    static DatagramChannel udp(final String ip) throws Exception
    {
        final DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(ip, 0));
        ch.socket().setSoTimeout(5000);
        return ch;
    }

    static String addr(final DatagramChannel ch) throws Exception
    {
        final InetSocketAddress a = (InetSocketAddress)ch.getLocalAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    static String routeJson(final long streamId, final DatagramChannel source, final DatagramChannel target)
        throws Exception
    {
        return "{\"stream_id\":" + streamId + ",\"source_addr\":\"" + addr(source) + "\",\"target_addrs\":[\"" +
            addr(target) + "\"],\"deliver\":\"framed\"}";
    }

    /** A heartbeat as a node writes it, listed in the index: what anybody with write access to Redis can forge. */
    private static void fakeHeartbeat(final RedisCommands<String, String> cli, final String id, final String relayAddr)
    {
        cli.setex("node:" + id + ":heartbeat", 3600, "{\"node_id\":\"" + id + "\",\"instance_id\":\"fake\"," +
            "\"relay_addr\":\"" + relayAddr + "\",\"control_addr\":null,\"active_routes\":0," +
            "\"started_at\":\"2026-01-01T00:00:00Z\"}");
        cli.zadd("soundrelay:nodes", (double)System.currentTimeMillis(), id);
    }

    /** Send one frame from the source to a node and expect it at the target, byte for byte. */
    static void relays(final DatagramChannel source, final InetSocketAddress node, final DatagramChannel target,
        final long streamId, final long seq) throws Exception
    {
        final byte[] frame = NodeFixture.frame(streamId, 0, seq, ("frame-" + seq).getBytes());
        source.send(ByteBuffer.wrap(frame), node);
        assertArrayEquals(frame, NodeFixture.receive(target), "frame " + seq + " relayed");
    }

    @SuppressWarnings("unchecked")
    private static boolean holds(final NodeFixture node, final long streamId) throws Exception
    {
        final Map<String, Object> page = json(node.authed("GET", "/routes?limit=1000", null));
        for (final Map<String, Object> route : (List<Map<String, Object>>)page.get("routes"))
        {
            if (Long.parseUnsignedLong(route.get("stream_id").toString()) == streamId)
            {
                return true;
            }
        }
        return false;
    }

    private static String owner(final long streamId)
    {
        final String value = redis.cli().get("route:" + streamId);
        return value == null ? null : (String)((Map<?, ?>)io.soundrelay.core.json.Json.parse(value)).get("node_id");
    }

    @Test
    void elevenHundredFakeHeartbeatsLeaveMigrationAndFailoverWorking() throws Exception
    {
        final RedisCommands<String, String> cli = redis.cli();
        for (int i = 0; i < 1100; i++)
        {
            fakeHeartbeat(cli, String.format("fake-%04d", i), "10.99." + (i >> 8) + "." + (i & 0xFF) + ":4000");
        }
        try (DatagramChannel source = udp("127.0.0.3"); DatagramChannel target = udp("127.0.0.2"))
        {
            // A node that stopped leaves its route in Redis, owned by nobody live: failover's work.
            try (NodeFixture seed = NodeFixture.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", "node-seed")))
            {
                assertEquals(201, seed.authed("POST", "/route", routeJson(901, source, target)).statusCode());
            }
            assertEquals("node-seed", owner(901));

            final NodeFixture a = node("node-a", "AUTO_FAILOVER", "true");
            final NodeFixture b = node("node-b", "AUTO_FAILOVER", "true");
            await("both nodes listed among the fakes", 15,
                quietly(() -> nodeIds(a).containsAll(List.of("node-a", "node-b"))));

            await("failover adopts the stopped node's route", 60,
                quietly(() -> "node-a".equals(owner(901)) || "node-b".equals(owner(901))));
            final NodeFixture adopter = "node-a".equals(owner(901)) ? a : b;
            await("the adopter holds it", 10,
                quietly(() -> holds(adopter, 901)));
            relays(source, adopter.relay(), target, 901, 1);

            // A migration between the two real nodes still goes through.
            assertEquals(201, a.authed("POST", "/route", routeJson(902, source, target)).statusCode());
            relays(source, a.relay(), target, 902, 1);
            final HttpResponse<String> migrated = a.authed("POST", "/migrate", migrateBody(902, relay(b)));
            assertEquals(200, migrated.statusCode(), migrated.body());
            assertEquals("node-b", json(migrated).get("to_node"));
            relays(source, b.relay(), target, 902, 2);

            assertTrue(a.metricNow(String.format(SKIPPED, "heartbeat_excess")) >= 1100 - 1024,
                "the heartbeats beyond the limit are counted");
        }
    }

    @Test
    void aHeartbeatNamingARouteSourceDoesNotCutTheStream() throws Exception
    {
        final NodeFixture a = node("node-a");
        try (DatagramChannel source = udp("127.0.0.3"); DatagramChannel target = udp("127.0.0.2"))
        {
            assertEquals(201, a.authed("POST", "/route", routeJson(77, source, target)).statusCode());
            relays(source, a.relay(), target, 77, 0);

            fakeHeartbeat(redis.cli(), "node-forged", addr(source));
            await("the forged node is live for node-a", 10, quietly(() -> nodeIds(a).contains("node-forged")));
            // Each refresh of the peer set reads the heartbeats once (a /nodes call once more): two reads from here
            // on mean the router's peer set has been renewed with the forged address in it.
            final String reads = "relay_redis_operations_total{op=\"read\",result=\"ok\"}";
            final double readsBefore = a.metricNow(reads);
            await("the peer set renewed", 10, () -> a.metricNow(reads) >= readsBefore + 2);

            for (int seq = 1; seq <= 1000; seq++)
            {
                relays(source, a.relay(), target, 77, seq);
            }
            assertEquals(0, a.metricNow("relay_packet_errors_total{reason=\"loop\"}"), "nothing dropped as loop");
        }
    }

    @Test
    void anOversizeRouteValueIsSkippedUnreadAndBothNodesStayOk() throws Exception
    {
        final RedisCommands<String, String> cli = redis.cli();
        final int size = 8 * 1024 * 1024; // over the 64 KiB bound many times: reading it whole would show below
        final char[] filler = new char[size];
        Arrays.fill(filler, 'x');
        cli.set("route:999", "{\"node_id\":\"node-a\",\"pad\":\"" + new String(filler) + "\"}");
        cli.hset("route:998", "node_id", "node-a"); // not even a string
        final long outBefore = netOutputBytes(cli);

        final NodeFixture a = node("node-a", "AUTO_FAILOVER", "true");
        final NodeFixture b = node("node-b", "AUTO_FAILOVER", "true");
        await("both nodes see each other", 15,
            quietly(() -> nodeIds(a).containsAll(List.of("node-a", "node-b")) &&
                nodeIds(b).containsAll(List.of("node-a", "node-b"))));
        final long sentAtStart = netOutputBytes(cli) - outBefore;
        assertTrue(sentAtStart < size, "Redis sent " + sentAtStart + " bytes while both nodes loaded their routes: " +
            "the " + size + "-byte value was read");
        // Start-up load, the subscription's re-read and a failover round have each scanned route:* by now.
        await("the oversize key counted as skipped by both", 15,
            () -> a.metricNow(String.format(SKIPPED, "value_too_large")) >= 2 &&
                b.metricNow(String.format(SKIPPED, "value_too_large")) >= 2);
        assertEquals(404, a.authed("GET", "/route/999", null).statusCode(), "never read, so no route");
        assertEquals(404, b.authed("GET", "/route/998", null).statusCode());

        try (DatagramChannel source = udp("127.0.0.3"); DatagramChannel target = udp("127.0.0.2"))
        {
            assertEquals(201, a.authed("POST", "/route", routeJson(5, source, target)).statusCode());
            relays(source, a.relay(), target, 5, 1);
            final HttpResponse<String> migrated = a.authed("POST", "/migrate", migrateBody(5, relay(b)));
            assertEquals(200, migrated.statusCode(), migrated.body());
        }
        for (final NodeFixture node : List.of(a, b))
        {
            assertEquals("ok", node.health("status"));
            assertEquals("connected", node.health("redis"));
        }
        assertTrue(cli.exists("node:node-a:heartbeat", "node:node-b:heartbeat") == 2, "both heartbeats there");
        final long sent = netOutputBytes(cli) - outBefore;
        assertTrue(sent < size, "Redis sent " + sent + " bytes in all: the " + size + "-byte value never left it");
    }

    private static long netOutputBytes(final RedisCommands<String, String> cli)
    {
        for (final String line : cli.info("stats").split("\r?\n"))
        {
            if (line.startsWith("total_net_output_bytes:"))
            {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new AssertionError("no total_net_output_bytes in INFO stats");
    }
}
