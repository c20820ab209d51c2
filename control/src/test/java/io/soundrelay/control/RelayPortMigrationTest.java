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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.RelayPortKit.addr;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A route with a relay port handed from one node to another (PROTOCOL.md sections 7 and 9), both nodes on one
 * redis-server of the test's own, each with a RELAY_PORTS range of its own: the new node binds a relay port and names
 * it in the /migrate answer and in GET; during the grace window what still reaches the old node's relay port is
 * forwarded to the new node in both directions and leaves from the new node's relay port; after the window the old
 * node's port is free.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class RelayPortMigrationTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

    /** Long enough for the exchanges of the grace window on a busy machine; the test never waits it out idly. */
    private static final String GRACE_SECONDS = "5";

    private static RedisServer redis;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private int[] rangeA;
    private int[] rangeB;
    private NodeFixture a;
    private NodeFixture b;

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
    void twoNodes() throws Exception
    {
        redis.cli().flushall();
        rangeA = RelayPortKit.freeRange(4);
        do
        {
            rangeB = RelayPortKit.freeRange(4);
        }
        while (rangeB[0] <= rangeA[1] && rangeA[0] <= rangeB[1]);
        a = node("node-a", rangeA);
        b = node("node-b", rangeB);
        await("both nodes listed", 15, () -> MultiNodeTest.nodeIds(a).size() == 2 &&
            MultiNodeTest.nodeIds(b).size() == 2);
    }

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    private NodeFixture node(final String id, final int[] range) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", id);
        env.put("MIGRATION_GRACE_SECONDS", GRACE_SECONDS);
        env.put("RELAY_PORTS", RelayPortKit.setting(range));
        final NodeFixture node = NodeFixture.start(NodeFixture.withPipelines(pipelines, env));
        closeables.add(node);
        return node;
    }

    private static Map<String, Object> stored(final long streamId)
    {
        return json(redis.cli().get("route:" + streamId));
    }

    /**
     * One datagram from one socket into a relay port, and where it must come out: byte for byte, from the given port.
     */
    private static void through(final DatagramChannel from, final int inPort, final DatagramChannel to,
        final int outPort, final byte[] d, final String what) throws Exception
    {
        send(from, d, RelayPortKit.relayPort(inPort));
        final Datagram got = receive(to);
        assertArrayEquals(d, got.bytes(), what + ": byte for byte");
        assertEquals(RelayPortKit.relayPort(outPort), got.from(), what + ": leaves from relay port " + outPort);
    }

    @Test
    void theNewNodeNamesItsRelayPortAndTheOldPortForwardsBothWaysUntilTheGraceEnds() throws Exception
    {
        final long id = 0xAB_0016L;
        try (DatagramChannel src = udp("127.0.0.3"); DatagramChannel t = udp("127.0.0.2"))
        {
            final int pa = create(a, routeJson(id, addr(src), addr(t)), rangeA);
            through(src, pa, t, pa, RelayEndToEndTest.payload(1, 100), "before: source to target");
            through(t, pa, src, pa, RelayEndToEndTest.payload(2, 60), "before: target to source");

            final HttpResponse<String> migrated = a.authed("POST", "/migrate",
                MultiNodeTest.migrateBody(id, MultiNodeTest.relay(b)));
            assertEquals(200, migrated.statusCode(), migrated.body());
            final Map<String, Object> answer = json(migrated);
            assertEquals("node-b", answer.get("to_node"));
            assertEquals("forwarding", answer.get("handoff"));
            final int pb = relayPortOf(answer);
            assertTrue(pb >= rangeB[0] && pb <= rangeB[1], "relay_port in the /migrate answer is node-b's: " +
                migrated.body());

            final Map<String, Object> onB = get(b, id);
            assertEquals("node-b", onB.get("node_id"));
            assertEquals(pb, relayPortOf(onB), "GET on the new node names its relay port");
            assertEquals(pb, relayPortOf(get(a, id)), "the old node answers from Redis with the new port");
            await("Redis holds node-b's relay port", 10, () -> relayPortOf(stored(id)) == pb);
            assertFalse(isFree(pa), "the old node keeps its relay port through the grace window");
            assertEquals(1.0, metric(b, "relay_ports_in_use"));

            // Within the grace window: what reaches the old port is forwarded, both ways, and leaves from the new one.
            through(src, pa, t, pb, RelayEndToEndTest.payload(3, 120), "grace: source to old port");
            through(t, pa, src, pb, RelayEndToEndTest.payload(4, 80), "grace: target to old port");
            final byte[] payload = RelayEndToEndTest.payload(5, 90);
            a.send(src, NodeFixture.frame(id, 0, 5, payload));
            final Datagram viaMain = receive(t);
            assertArrayEquals(payload, viaMain.bytes(), "grace: a frame to the old node's main port");
            assertEquals(RelayPortKit.relayPort(pb), viaMain.from());
            // Source and target switch to the new port whenever they like.
            through(src, pb, t, pb, RelayEndToEndTest.payload(6, 110), "after the switch: source to target");
            through(t, pb, src, pb, RelayEndToEndTest.payload(7, 70), "after the switch: target to source");
            through(t, pa, src, pb, RelayEndToEndTest.payload(8, 75), "grace: a late answer to the old port");

            // After the grace window the old node lets go of its port; the new one keeps relaying.
            await("the old node's relay port is free after MIGRATION_GRACE_SECONDS", 30,
                () -> metric(a, "relay_ports_in_use") == 0 && isFree(pa));
            assertEquals(1.0, metric(b, "relay_ports_in_use"));
            through(src, pb, t, pb, RelayEndToEndTest.payload(9, 50), "after the grace: source to target");
            through(t, pb, src, pb, RelayEndToEndTest.payload(10, 40), "after the grace: target to source");
            assertEquals(pb, relayPortOf(get(b, id)));
        }
    }

    @Test
    void aLatchedSourceMovesWithTheRoute() throws Exception
    {
        final long id = 0xAB_0017L;
        try (DatagramChannel bot = udp("127.0.0.3"); DatagramChannel t = udp("127.0.0.2"))
        {
            final int pa = create(a, routeJson(id, "127.0.0.3:0", addr(t)), rangeA);
            through(bot, pa, t, pa, RelayEndToEndTest.payload(1, 100), "the first datagram latches the bot");
            assertEquals(addr(bot), get(a, id).get("source_latched"));

            final HttpResponse<String> migrated = a.authed("POST", "/migrate",
                MultiNodeTest.migrateBody(id, MultiNodeTest.relay(b)));
            assertEquals(200, migrated.statusCode(), migrated.body());
            final int pb = relayPortOf(json(migrated));
            assertEquals(addr(bot), get(b, id).get("source_latched"), "the new node knows the latched source");
            // The target answers to the new port before the bot ever sent there: it still reaches the bot.
            through(t, pb, bot, pb, RelayEndToEndTest.payload(2, 64), "target to the new port");
        }
    }

    @Test
    void aNodeWithNoFreeRelayPortRefusesTheRouteAndTheOldNodeKeepsIt() throws Exception
    {
        try (DatagramChannel src = udp("127.0.0.3"); DatagramChannel t = udp("127.0.0.2"))
        {
            // node-b's range used up by routes of its own.
            for (int i = 0; i < 4; i++)
            {
                create(b, routeJson(0xBB_0000L + i, addr(src), addr(t)), rangeB);
            }
            final long id = 0xAB_0018L;
            final int pa = create(a, routeJson(id, addr(src), addr(t)), rangeA);

            final HttpResponse<String> refused = a.authed("POST", "/migrate",
                MultiNodeTest.migrateBody(id, MultiNodeTest.relay(b)));
            assertTrue(refused.statusCode() == 503 || refused.statusCode() == 409, refused.statusCode() + " " +
                refused.body());
            assertTrue(refused.body().contains("RELAY_PORTS"), refused.body());
            assertEquals("node-a", get(a, id).get("node_id"), "the route stays with node-a");
            assertEquals("node-a", stored(id).get("node_id"));
            assertEquals(pa, relayPortOf(get(a, id)));
            through(src, pa, t, pa, RelayEndToEndTest.payload(1, 30), "node-a still relays: source to target");
            through(t, pa, src, pa, RelayEndToEndTest.payload(2, 30), "node-a still relays: target to source");
        }
    }
}
