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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.RelayPortKit.addr;
import static io.soundrelay.control.RelayPortKit.assertNothingWaiting;
import static io.soundrelay.control.RelayPortKit.await;
import static io.soundrelay.control.RelayPortKit.create;
import static io.soundrelay.control.RelayPortKit.dropped;
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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A relay port's life (PROTOCOL.md section 9) as a user sees it over HTTP, in /metrics and on the wire: bound before
 * the 201, a 503 naming RELAY_PORTS when the range is used up, kept by PUT, freed by DELETE, expiry and a PUT that
 * drops the return path, and a source with port 0 latched by its first datagram. "Freed" means what a user can check:
 * the port can be bound by someone else, and a new route can get it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class RelayPortLifecycleTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

    private NodeFixture node(final int[] range, final String... settings) throws Exception
    {
        final Map<String, String> env = new java.util.HashMap<>();
        env.put("RELAY_PORTS", RelayPortKit.setting(range));
        for (int i = 0; i < settings.length; i += 2)
        {
            env.put(settings[i], settings[i + 1]);
        }
        return NodeFixture.start(NodeFixture.withPipelines(pipelines, env));
    }

    /**
     * Source to relay port to target, and target to relay port to source, each byte for byte and from the relay port.
     */
    private static void assertBothWays(final DatagramChannel source, final DatagramChannel target, final int port,
        final int seed) throws Exception
    {
        final InetSocketAddress relay = RelayPortKit.relayPort(port);
        final byte[] out = RelayEndToEndTest.payload(seed, 90);
        send(source, out, relay);
        final Datagram there = receive(target);
        assertArrayEquals(out, there.bytes(), "source to target through relay port " + port);
        assertEquals(relay, there.from(), "the target sees the relay port");
        final byte[] back = RelayEndToEndTest.payload(seed + 1, 70);
        send(target, back, relay);
        final Datagram home = receive(source);
        assertArrayEquals(back, home.bytes(), "target back to source through relay port " + port);
        assertEquals(relay, home.from(), "the source sees the relay port");
    }

    @Test
    void anExhaustedRangeIsA503NamingRelayPortsAndAFreedPortIsReused() throws Exception
    {
        final int[] range = RelayPortKit.freeRange(2);
        try (NodeFixture node = node(range);
            DatagramChannel src = udp("127.0.0.1"); DatagramChannel t = udp("127.0.0.1"))
        {
            assertEquals(2.0, metric(node, "relay_ports_capacity"));
            assertEquals(0.0, metric(node, "relay_ports_in_use"));
            final int p1 = create(node, routeJson(1, addr(src), addr(t)), range);
            final int p2 = create(node, routeJson(2, addr(src), addr(t)), range);
            assertNotEquals(p1, p2, "each route has a port of its own");
            assertFalse(isFree(p1) || isFree(p2), "both ports are bound before the 201");
            assertEquals(2.0, metric(node, "relay_ports_in_use"));

            final HttpResponse<String> refused = node.authed("POST", "/route", routeJson(3, addr(src), addr(t)));
            assertEquals(503, refused.statusCode(), refused.body());
            assertTrue(refused.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            assertEquals("return_path", json(refused).get("field"), refused.body());
            assertTrue(((String)json(refused).get("error")).contains("RELAY_PORTS"), refused.body());
            assertEquals(404, node.authed("GET", "/route/3", null).statusCode(), "nothing was created");
            assertEquals(2.0, metric(node, "relay_ports_in_use"));
            final HttpResponse<String> again = node.authed("POST", "/route", routeJson(1, addr(src), addr(t)));
            assertEquals(409, again.statusCode(), "a route that exists is a 409 even on a full range: " + again.body());
            assertEquals("stream_id", json(again).get("field"), again.body());
            assertEquals(2L, RelayPortKit.longOf(json(node.call("GET", "/health", null)).get("active_routes")));

            // A route without a return path needs no port.
            final HttpResponse<String> plain =
                node.authed("POST", "/route", routeJson(4, addr(src), false, addr(t)));
            assertEquals(201, plain.statusCode(), plain.body());
            assertEquals(Json.NULL, json(plain).get("relay_port"));
            assertEquals(2.0, metric(node, "relay_ports_in_use"));
            final HttpResponse<String> gain = node.authed("PUT", "/route/4", routeJson(4, addr(src), addr(t)));
            assertEquals(503, gain.statusCode(), gain.body());
            assertEquals("return_path", json(gain).get("field"), gain.body());
            assertEquals(Boolean.FALSE, get(node, 4).get("return_path"), "the refused PUT changed nothing");

            // Delete one: the next create gets the freed port, and it relays.
            assertEquals(204, node.authed("DELETE", "/route/1", null).statusCode());
            assertEquals(1.0, metric(node, "relay_ports_in_use"), "freed when the DELETE is answered");
            final int p3 = create(node, routeJson(3, addr(src), addr(t)), range);
            assertEquals(p1, p3, "the only free port is the deleted route's");
            assertEquals(2.0, metric(node, "relay_ports_in_use"));
            assertBothWays(src, t, p3, 3);
        }
    }

    @Test
    void putKeepsTheRelayPortAndDroppingTheReturnPathFreesIt() throws Exception
    {
        final int[] range = RelayPortKit.freeRange(4);
        try (NodeFixture node = node(range);
            DatagramChannel src = udp("127.0.0.1"); DatagramChannel a = udp("127.0.0.1");
            DatagramChannel b = udp("127.0.0.1"))
        {
            final int port = create(node, routeJson(11, addr(src), addr(a)), range);
            assertBothWays(src, a, port, 1);
            final HttpResponse<String> exists = node.authed("POST", "/route", routeJson(11, addr(src), addr(b)));
            assertEquals(409, exists.statusCode(), exists.body());
            assertEquals(1.0, metric(node, "relay_ports_in_use"), "a refused create holds no relay port");

            final HttpResponse<String> moved = node.authed("PUT", "/route/11", routeJson(11, addr(src), addr(b)));
            assertEquals(200, moved.statusCode(), moved.body());
            assertEquals(port, relayPortOf(json(moved)), "PUT keeps the relay port");
            assertEquals(port, relayPortOf(get(node, 11)));
            assertEquals(1.0, metric(node, "relay_ports_in_use"));
            assertBothWays(src, b, port, 2);
            assertNothingWaiting(a, "the old target got a datagram after the PUT");

            // The old target is no target any more: its datagrams to the relay port go nowhere.
            final double mismatch = dropped(node, "source_mismatch");
            send(a, new byte[]{ 1, 2, 3 }, RelayPortKit.relayPort(port));
            await("the old target's datagram dropped as source_mismatch", 10,
                () -> dropped(node, "source_mismatch") == mismatch + 1);
            assertNothingWaiting(src, "the old target's datagram reached the source");

            // Without the return path the route keeps relaying through the main socket, and its port is free.
            final HttpResponse<String> dropped = node.authed("PUT", "/route/11",
                routeJson(11, addr(src), false, addr(b)));
            assertEquals(200, dropped.statusCode(), dropped.body());
            assertEquals(Json.NULL, json(dropped).get("relay_port"));
            await("the relay port freed after the PUT", 10,
                () -> metric(node, "relay_ports_in_use") == 0 && isFree(port));
            node.send(src, NodeFixture.frame(11, 0, 1, new byte[]{ 42 }));
            final Datagram plain = receive(b);
            assertArrayEquals(new byte[]{ 42 }, plain.bytes());
            assertEquals(node.relay().getPort(), plain.from().getPort(), "from the main socket now");

            // Gaining the return path on PUT binds a port.
            final HttpResponse<String> gained = node.authed("PUT", "/route/11", routeJson(11, addr(src), addr(b)));
            assertEquals(200, gained.statusCode(), gained.body());
            final int again = relayPortOf(json(gained));
            assertTrue(again >= range[0] && again <= range[1], gained.body());
            assertEquals(1.0, metric(node, "relay_ports_in_use"));
            assertBothWays(src, b, again, 3);
        }
    }

    @Test
    void aRouteCannotPointAtARelayPortTheNodeHolds() throws Exception
    {
        final int[] range = RelayPortKit.freeRange(4);
        try (NodeFixture node = node(range);
            DatagramChannel src = udp("127.0.0.1"); DatagramChannel t = udp("127.0.0.1"))
        {
            final int port = create(node, routeJson(50, addr(src), addr(t)), range);
            final String own = RelayPortKit.NODE_IP + ":" + port;

            final HttpResponse<String> toIt = node.authed("POST", "/route", routeJson(51, addr(src), false, own));
            assertEquals(400, toIt.statusCode(), toIt.body());
            assertEquals("target_addrs[0]", json(toIt).get("field"), toIt.body());
            final HttpResponse<String> fromIt = node.authed("POST", "/route", routeJson(52, own, false, addr(t)));
            assertEquals(400, fromIt.statusCode(), fromIt.body());
            assertEquals("source_addr", json(fromIt).get("field"), fromIt.body());
            final HttpResponse<String> putToIt = node.authed("PUT", "/route/50", routeJson(50, addr(src), own));
            assertEquals(400, putToIt.statusCode(), putToIt.body());
            assertEquals(port, relayPortOf(get(node, 50)), "the refused PUT changed nothing");
            assertBothWays(src, t, port, 1);
        }
    }

    @Test
    void deleteFreesTheRelayPort() throws Exception
    {
        final int[] range = RelayPortKit.freeRange(4);
        try (NodeFixture node = node(range);
            DatagramChannel src = udp("127.0.0.1"); DatagramChannel t = udp("127.0.0.1"))
        {
            final int port = create(node, routeJson(20, addr(src), addr(t)), range);
            assertBothWays(src, t, port, 1);
            assertFalse(isFree(port));

            assertEquals(204, node.authed("DELETE", "/route/20", null).statusCode());
            await("the deleted route's relay port can be bound", 10,
                () -> metric(node, "relay_ports_in_use") == 0 && isFree(port));
            assertEquals(404, node.authed("GET", "/route/20", null).statusCode());
        }
    }

    /**
     * When DELETE (or a PUT that drops the return path) is answered, the port is free: relay_ports_in_use no longer
     * counts it, anyone can bind it, and the next route of a one-port range gets it at once. Repeated, because the port
     * is closed on another thread (the receiver's) than the one that answers.
     */
    @ParameterizedTest(name = "TRANSPORT={0}")
    @ValueSource(strings = { "epoll", "nio" })
    void thePortIsFreeWhenTheDeleteIsAnswered(final String transport) throws Exception
    {
        cycleOnePortRange(transport);
    }

    private void cycleOnePortRange(final String transport) throws Exception
    {
        assumeTrue(RelayPortKit.available(transport), () -> transport + " is not available on this machine");
        final int[] range = RelayPortKit.freeRange(1);
        try (NodeFixture node = node(range, "TRANSPORT", transport);
            DatagramChannel src = udp("127.0.0.1"); DatagramChannel t = udp("127.0.0.1"))
        {
            for (int i = 1; i <= 100; i++)
            {
                final int port = create(node, routeJson(i, addr(src), addr(t)), range);
                if (i % 2 == 0)
                {
                    assertEquals(204, node.authed("DELETE", "/route/" + i, null).statusCode());
                }
                else
                {
                    final HttpResponse<String> put = node.authed("PUT", "/route/" + i,
                        routeJson(i, addr(src), false, addr(t)));
                    assertEquals(200, put.statusCode(), put.body());
                }
                assertEquals(0.0, metric(node, "relay_ports_in_use"), "round " + i + ": the port is not counted free");
                assertTrue(isFree(port), "round " + i + ": relay port " + port + " still bound after the answer");
                if (i % 2 == 1)
                {
                    assertEquals(204, node.authed("DELETE", "/route/" + i, null).statusCode());
                }
            }
        }
    }

    @Test
    void expiryFreesTheRelayPort() throws Exception
    {
        final int[] range = RelayPortKit.freeRange(4);
        try (NodeFixture node = node(range, "ROUTE_TTL_SECONDS", "1");
            DatagramChannel src = udp("127.0.0.1"); DatagramChannel t = udp("127.0.0.1"))
        {
            final int port = create(node, routeJson(31, addr(src), addr(t)), range);
            assertBothWays(src, t, port, 1);

            await("the idle route expires", 15,
                () -> node.authed("GET", "/route/31", null).statusCode() == 404);
            await("the expired route's relay port can be bound", 10,
                () -> metric(node, "relay_ports_in_use") == 0 && isFree(port));
            assertEquals(1.0, metric(node, "relay_routes_expired_total"));
        }
    }

    @Test
    void aSourceWithPortZeroLatchesTheFirstPortThatSendsFromItsIp() throws Exception
    {
        final int[] range = RelayPortKit.freeRange(4);
        try (NodeFixture node = node(range);
            DatagramChannel bot = udp("127.0.0.3"); DatagramChannel sameIpLater = udp("127.0.0.3");
            DatagramChannel stranger = udp("127.0.0.4"); DatagramChannel t = udp("127.0.0.2"))
        {
            final int port = create(node, routeJson(40, "127.0.0.3:0", addr(t)), range);
            final InetSocketAddress relay = RelayPortKit.relayPort(port);
            assertEquals(Json.NULL, get(node, 40).get("source_latched"));

            // Before anything is latched a target has nobody to answer.
            final double notLatched = dropped(node, "not_latched");
            send(t, new byte[]{ 9 }, relay);
            await("the answer with no latched source dropped", 10,
                () -> dropped(node, "not_latched") == notLatched + 1);

            // Another IP is never latched.
            final double mismatch = dropped(node, "source_mismatch");
            send(stranger, new byte[]{ 4, 4 }, relay);
            await("the stranger counted as source_mismatch", 10,
                () -> dropped(node, "source_mismatch") == mismatch + 1);
            assertEquals(Json.NULL, get(node, 40).get("source_latched"), "127.0.0.4 is not latched");

            // The first datagram from 127.0.0.3 latches its port.
            final byte[] first = { 3, 3, 3 };
            send(bot, first, relay);
            final Datagram there = receive(t);
            assertArrayEquals(first, there.bytes(), "only the bot's datagram reached the target");
            assertEquals(relay, there.from());
            assertEquals(addr(bot), get(node, 40).get("source_latched"));

            // Return traffic goes to the latched port.
            final byte[] back = { 5, 6, 7, 8 };
            send(t, back, relay);
            final Datagram home = receive(bot);
            assertArrayEquals(back, home.bytes());
            assertEquals(relay, home.from());

            // Once latched, another port on the same IP is somebody else.
            send(sameIpLater, new byte[]{ 1 }, relay);
            await("a second port of 127.0.0.3 counted as source_mismatch", 10,
                () -> dropped(node, "source_mismatch") == mismatch + 2);
            assertEquals(addr(bot), get(node, 40).get("source_latched"), "the latch holds");
            send(t, back, relay);
            assertArrayEquals(back, receive(bot).bytes(), "return traffic still goes to the first port");
            assertNothingWaiting(sameIpLater, "the later port of 127.0.0.3 got return traffic");
            assertNothingWaiting(stranger, "the stranger got return traffic");
            final byte[] marker = { 11 };
            send(bot, marker, relay);
            assertArrayEquals(marker, receive(t).bytes(), "nothing but the bot's datagrams reached the target");
            assertEquals(2L, RelayPortKit.longOf(get(node, 40).get("packets_returned")));
            assertEquals(List.of(), RelayPortKit.drain(t));

            // A PUT that keeps the source keeps the latch (and the port).
            try (DatagramChannel t2 = udp("127.0.0.2"))
            {
                final HttpResponse<String> put = node.authed("PUT", "/route/40",
                    routeJson(40, "127.0.0.3:0", addr(t2)));
                assertEquals(200, put.statusCode(), put.body());
                assertEquals(addr(bot), json(put).get("source_latched"));
                assertEquals(port, relayPortOf(json(put)));
                send(t2, back, relay);
                assertArrayEquals(back, receive(bot).bytes(), "the new target reaches the latched source");
            }
        }
    }
}
