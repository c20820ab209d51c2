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

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.RelayPortKit.addr;
import static io.soundrelay.control.RelayPortKit.assertNothingWaiting;
import static io.soundrelay.control.RelayPortKit.await;
import static io.soundrelay.control.RelayPortKit.create;
import static io.soundrelay.control.RelayPortKit.dropped;
import static io.soundrelay.control.RelayPortKit.get;
import static io.soundrelay.control.RelayPortKit.json;
import static io.soundrelay.control.RelayPortKit.receive;
import static io.soundrelay.control.RelayPortKit.rtp;
import static io.soundrelay.control.RelayPortKit.send;
import static io.soundrelay.control.RelayPortKit.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 29, finding 6: a port-0 source's latch, as a stranger behind the same IP (carrier-grade NAT) would take it.
 * A fake voice server on 127.0.0.2, the real bot and a stranger both on 127.0.0.3 (different ports), the route's
 * {@code source_addr} {@code 127.0.0.3:0}. {@code PUT} with {@code "source_latched": null} undoes a stranger's latch;
 * {@code "latch": "discovery"} lets only an IP discovery request with the route's SSRC latch.
 * <p>
 * Where a test shows that something was NOT forwarded, a datagram that is forwarded follows: the node handles
 * datagrams in the order they arrive, so once the later one is through, the earlier one was dropped.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LatchTest
{
    private static final String SERVER_IP = "127.0.0.2";
    private static final String SOURCE_IP = "127.0.0.3";
    private static final long SSRC = 0x5EED_0029L;

    private static byte[] audio(final int seq)
    {
        return rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, seq, SSRC, 40, seq);
    }

    private static String withLatch(final String routeJson, final String extra)
    {
        return routeJson.substring(0, routeJson.length() - 1) + "," + extra + "}";
    }

    @Test
    void aPutWithSourceLatchedNullUndoesAStrangersLatchAndTheRealSourceLatchesNext() throws Exception
    {
        try (NodeFixture node = NodeFixture.start();
            DatagramChannel server = udp(SERVER_IP);
            DatagramChannel stranger = udp(SOURCE_IP);
            DatagramChannel bot = udp(SOURCE_IP))
        {
            final String body = RelayPortKit.routeJson(SSRC, SOURCE_IP + ":0", false, addr(server));
            final HttpResponse<String> created = node.authed("POST", "/route", body);
            assertEquals(201, created.statusCode(), created.body());

            // The stranger sends first and latches; the real source is then a mismatch.
            send(stranger, audio(1), node.relay());
            assertArrayEquals(audio(1), receive(server).bytes());
            assertEquals(addr(stranger), get(node, SSRC).get("source_latched"));
            send(bot, audio(2), node.relay());
            send(stranger, audio(3), node.relay());
            assertArrayEquals(audio(3), receive(server).bytes(), "the bot's datagram was dropped");
            assertEquals(1.0, dropped(node, "source_mismatch"));

            // A PUT without the field keeps the latch (as before); with "source_latched": null it clears it.
            final HttpResponse<String> kept = node.authed("PUT", "/route/" + SSRC, body);
            assertEquals(200, kept.statusCode(), kept.body());
            assertEquals(addr(stranger), json(kept).get("source_latched"));
            final HttpResponse<String> cleared =
                node.authed("PUT", "/route/" + SSRC, withLatch(body, "\"source_latched\":null"));
            assertEquals(200, cleared.statusCode(), cleared.body());
            assertEquals(Json.NULL, json(cleared).get("source_latched"), cleared.body());

            // The real source sends next and latches; now the stranger is the mismatch.
            send(bot, audio(4), node.relay());
            assertArrayEquals(audio(4), receive(server).bytes(), "the bot latched and is forwarded");
            assertEquals(addr(bot), get(node, SSRC).get("source_latched"));
            send(stranger, audio(5), node.relay());
            send(bot, audio(6), node.relay());
            assertArrayEquals(audio(6), receive(server).bytes(), "the stranger's datagram was dropped");
            assertEquals(2.0, dropped(node, "source_mismatch"));
            assertNothingWaiting(server, "nothing else reached the voice server");
        }
    }

    @Test
    void sourceLatchedAndLatchAreValidatedNamingTheField() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(); DatagramChannel server = udp(SERVER_IP))
        {
            final String pinned = RelayPortKit.routeJson(SSRC, SOURCE_IP + ":5000", false, addr(server));
            final String portZero = RelayPortKit.routeJson(SSRC, SOURCE_IP + ":0", false, addr(server));
            final Map<String, String> refused = Map.of(
                withLatch(portZero, "\"source_latched\":\"127.0.0.3:5000\""), "source_latched",
                withLatch(pinned, "\"source_latched\":null"), "source_latched",
                withLatch(portZero, "\"latch\":\"last\""), "latch",
                withLatch(portZero, "\"latch\":1"), "latch",
                withLatch(pinned, "\"latch\":\"discovery\""), "latch");
            for (final Map.Entry<String, String> bad : refused.entrySet())
            {
                final HttpResponse<String> r = node.authed("POST", "/route", bad.getKey());
                assertEquals(400, r.statusCode(), bad.getKey() + ": " + r.body());
                assertEquals(bad.getValue(), json(r).get("field"), r.body());
            }
            final HttpResponse<String> plain = node.authed("POST", "/route", pinned);
            assertEquals(201, plain.statusCode(), plain.body());
            assertEquals("first", json(plain).get("latch"), "the default, in every route: " + plain.body());
            assertEquals(204, node.authed("DELETE", "/route/" + SSRC, null).statusCode());
            assertEquals(201, node.authed("POST", "/route", withLatch(portZero, "\"latch\":\"discovery\""))
                .statusCode());
            final HttpResponse<String> r =
                node.authed("PUT", "/route/" + SSRC, withLatch(pinned, "\"source_latched\":null"));
            assertEquals(400, r.statusCode(), r.body());
            assertEquals("source_latched", json(r).get("field"), r.body());
            assertEquals("discovery", get(node, SSRC).get("latch"), "a refused PUT leaves the route as it was");
        }
    }

    @Test
    void withLatchDiscoveryOnlyADiscoveryRequestWithTheRoutesSsrcLatchesOnTheRelayPort() throws Exception
    {
        final int[] range = RelayPortKit.freeRange(2);
        try (NodeFixture node = NodeFixture.start(Map.of("RELAY_PORTS", RelayPortKit.setting(range)));
            FakeVoiceServer server = new FakeVoiceServer(SERVER_IP);
            DatagramChannel stranger = udp(SOURCE_IP);
            DatagramChannel bot = udp(SOURCE_IP))
        {
            final int port = create(node, withLatch(RelayPortKit.routeJson(SSRC, SOURCE_IP + ":0", server.addr()),
                "\"latch\":\"discovery\""), range);
            final InetSocketAddress relay = RelayPortKit.relayPort(port);
            assertEquals("discovery", get(node, SSRC).get("latch"));

            // Audio, a keep-alive and a discovery request for another SSRC from the source's IP: none latches.
            send(stranger, audio(1), relay);
            send(stranger, new byte[] { 0, 0, 0, 0, 0, 0, 0, 42 }, relay);
            send(stranger, FakeVoiceServer.discoveryRequest(SSRC + 1), relay);
            send(stranger, audio(2), node.relay());
            await("four datagrams dropped as not_latched", 10, () -> dropped(node, "not_latched") == 4.0);
            assertEquals(Json.NULL, get(node, SSRC).get("source_latched"));

            // The bot's discovery request with the route's SSRC latches it, and goes on to the voice server.
            final byte[] discovery = FakeVoiceServer.discoveryRequest(SSRC);
            send(bot, discovery, relay);
            final Datagram first = server.next();
            assertArrayEquals(discovery, first.bytes(), "the first datagram through is the bot's discovery request");
            assertEquals(relay, FakeVoiceServer.parseDiscovery(receive(bot).bytes()), "and the bot gets the answer");
            assertEquals(addr(bot), get(node, SSRC).get("source_latched"));

            // From now on the stranger's discovery request with the right SSRC is only a mismatch.
            send(stranger, discovery, relay);
            send(bot, audio(3), relay);
            assertArrayEquals(audio(3), server.next().bytes(), "the stranger's request was dropped");
            assertTrue(dropped(node, "source_mismatch") >= 1.0);
        }
    }

    @Test
    void withLatchDiscoveryADiscoveryRequestToTheMainPortLatchesByItsSsrc() throws Exception
    {
        try (NodeFixture node = NodeFixture.start();
            DatagramChannel server = udp(SERVER_IP);
            DatagramChannel stranger = udp(SOURCE_IP);
            DatagramChannel bot = udp(SOURCE_IP))
        {
            final HttpResponse<String> created = node.authed("POST", "/route", withLatch(
                RelayPortKit.routeJson(SSRC, SOURCE_IP + ":0", false, addr(server)), "\"latch\":\"discovery\""));
            assertEquals(201, created.statusCode(), created.body());

            send(stranger, audio(1), node.relay());
            send(stranger, FakeVoiceServer.discoveryRequest(SSRC + 1), node.relay());
            await("the audio dropped as not_latched, the wrong request as malformed", 10,
                () -> dropped(node, "not_latched") == 1.0 && dropped(node, "malformed") == 1.0);
            assertEquals(Json.NULL, get(node, SSRC).get("source_latched"));

            send(bot, FakeVoiceServer.discoveryRequest(SSRC), node.relay());
            await("the bot's discovery request latched", 10,
                () -> addr(bot).equals(get(node, SSRC).get("source_latched")));
            send(stranger, audio(2), node.relay());
            send(bot, audio(3), node.relay());
            assertArrayEquals(audio(3), receive(server).bytes(), "the bot is forwarded, the stranger was not");
            assertEquals(1.0, dropped(node, "source_mismatch"));
            assertNothingWaiting(server, "the main port relays no discovery request");
        }
    }
}
