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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.RelayPortKit.assertNothingWaiting;
import static io.soundrelay.control.RelayPortKit.await;
import static io.soundrelay.control.RelayPortKit.dropped;
import static io.soundrelay.control.RelayPortKit.get;
import static io.soundrelay.control.RelayPortKit.json;
import static io.soundrelay.control.RelayPortKit.longOf;
import static io.soundrelay.control.RelayPortKit.metric;
import static io.soundrelay.control.RelayPortKit.receive;
import static io.soundrelay.control.RelayPortKit.rtcp;
import static io.soundrelay.control.RelayPortKit.rtp;
import static io.soundrelay.control.RelayPortKit.send;
import static io.soundrelay.control.RelayPortKit.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The return path end to end (PROTOCOL.md section 9), as a Discord bot behind a relay uses it: a fake voice server on
 * 127.0.0.2, a bot on 127.0.0.3 whose route has a return path and a source with port 0, a stranger on 127.0.0.4. The
 * voice server must see the relay, and only the relay, from the bot's first datagram on (IP discovery included), and
 * everything it sends back must reach the bot byte for byte; the stranger gets nothing through either way. Once per
 * transport the node supports on this machine.
 * <p>
 * Where a test shows that something was NOT forwarded, a marker follows on the same socket: the node handles a
 * socket's datagrams in order, so once the marker is through, the earlier datagram was dropped.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class ReturnPathTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

    private static final String SERVER_IP = "127.0.0.2";
    private static final String BOT_IP = "127.0.0.3";
    private static final String STRANGER_IP = "127.0.0.4";
    private static final long SSRC = 0x5EED_0016L;

    @ParameterizedTest(name = "TRANSPORT={0}")
    @ValueSource(strings = { "epoll", "nio" })
    void aBotTalksToAVoiceServerThroughItsRelayPortAndNobodyElseGetsThrough(final String transport) throws Exception
    {
        // With 2 pipelines an odd SSRC: pipeline 1 owns the route, not the first socket of the group.
        final long ssrc = pipelines == 1 ? SSRC : SSRC + 1;
        assumeTrue(RelayPortKit.available(transport), () -> transport + " is not available on this machine");
        final int[] range = RelayPortKit.freeRange(4);
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of(
                "TRANSPORT", transport, "RELAY_PORTS", RelayPortKit.setting(range)));
            FakeVoiceServer server = new FakeVoiceServer(SERVER_IP);
            DatagramChannel bot = udp(BOT_IP);
            DatagramChannel stranger = udp(STRANGER_IP))
        {
            assertEquals(transport, json(node.call("GET", "/health", null)).get("transport"));
            assertEquals(4.0, metric(node, "relay_ports_capacity"));
            assertEquals(0.0, metric(node, "relay_ports_in_use"));

            // The bot knows its IP but not yet the port it will send from: port 0, latched by its first datagram.
            final int port = RelayPortKit.create(node,
                RelayPortKit.routeJson(ssrc, BOT_IP + ":0", server.addr()), range);
            final InetSocketAddress relay = RelayPortKit.relayPort(port);
            Map<String, Object> route = get(node, ssrc);
            assertEquals(port, RelayPortKit.relayPortOf(route));
            assertEquals(Boolean.TRUE, route.get("return_path"));
            assertEquals(Json.NULL, route.get("source_latched"), "nothing latched yet: " + route);
            assertEquals(0L, longOf(route.get("packets_returned")));
            assertEquals(1.0, metric(node, "relay_ports_in_use"));

            // IP discovery through the relay port: the server answers with what it saw, the relay's IP and port.
            final byte[] discovery = FakeVoiceServer.discoveryRequest(ssrc);
            send(bot, discovery, relay);
            final Datagram request = server.next();
            assertArrayEquals(discovery, request.bytes(), "the discovery request arrives byte for byte");
            assertEquals(relay, request.from(), "the voice server sees the relay port");
            final Datagram answer = receive(bot);
            assertEquals(relay, answer.from(), "the answer comes back from the relay port");
            assertEquals(relay, FakeVoiceServer.parseDiscovery(answer.bytes()),
                "discovery names the relay's IP and relay_port");
            final String botAddr = RelayPortKit.addr(bot);
            assertEquals(botAddr, get(node, ssrc).get("source_latched"), "the first datagram latched the bot's port");

            // A keep-alive, echoed.
            final byte[] keepAlive = { 0, 0, 0, 0, 0, 0, 0, 42 };
            send(bot, keepAlive, relay);
            assertArrayEquals(keepAlive, server.next().bytes());
            final Datagram echo = receive(bot);
            assertArrayEquals(keepAlive, echo.bytes(), "the keep-alive echo reaches the bot");
            assertEquals(relay, echo.from());

            // Audio to the relay port, byte for byte.
            for (int seq = 0; seq < 20; seq++)
            {
                final byte[] audio = rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, seq, ssrc, 60 + seq * 13, seq);
                send(bot, audio, relay);
                final Datagram got = server.next();
                assertArrayEquals(audio, got.bytes(), "audio " + seq);
                assertEquals(relay, got.from(), "audio " + seq + " leaves from the relay port");
            }
            // What the bot sends to the main port for the route (RTP by SSRC, a SoundRelay frame by stream id) also
            // leaves from the relay port.
            final byte[] mainRtp = rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, 100, ssrc, 120, 100);
            send(bot, mainRtp, node.relay());
            Datagram got = server.next();
            assertArrayEquals(mainRtp, got.bytes(), "RTP to the main port, byte for byte");
            assertEquals(relay, got.from(), "RTP to the main port leaves from the relay port");
            final byte[] payload = rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, 101, ssrc, 140, 101);
            send(bot, NodeFixture.frame(ssrc, 0, 101, payload), node.relay());
            got = server.next();
            assertArrayEquals(payload, got.bytes(), "a frame to the main port: its payload");
            assertEquals(relay, got.from(), "a frame to the main port leaves from the relay port");
            assertEquals(relay, server.latched(), "the voice server latched the relay port");

            // The voice server's audio and RTCP go to the address it latched: they reach the bot byte for byte.
            final List<byte[]> back = new ArrayList<>();
            for (int seq = 0; seq < 10; seq++)
            {
                back.add(rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, 5000 + seq, 0x0BADF00DL, 80 + seq, seq));
            }
            back.add(rtcp(200, 0x0BADF00DL, 1)); // sender report
            back.add(rtcp(201, 0x0BADF00DL, 2)); // receiver report
            for (final byte[] d : back)
            {
                server.sendToLatched(d);
                final Datagram in = receive(bot);
                assertArrayEquals(d, in.bytes(), "the server's datagram reaches the bot byte for byte");
                assertEquals(relay, in.from(), "from the relay port, the address the bot talks to");
            }
            final long returned = 2 + back.size(); // the discovery answer, the echo, the server's datagrams
            await("packets_returned counts what went back", 10, () ->
                longOf(get(node, ssrc).get("packets_returned")) == returned);
            assertEquals((double)returned, metric(node, "relay_packets_returned_total"));

            // A stranger on another address: to the relay port and to the main port, nothing gets through.
            final double mismatchBefore = dropped(node, "source_mismatch");
            final List<byte[]> hostile = List.of(
                FakeVoiceServer.discoveryRequest(ssrc),
                new byte[]{ 0, 0, 0, 0, 0, 0, 0, 7 },
                rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, 9000, ssrc, 50, 9),
                new byte[]{ 1, 2, 3 });
            for (final byte[] d : hostile)
            {
                send(stranger, d, relay);
            }
            send(stranger, rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, 9001, ssrc, 50, 10), node.relay());
            send(stranger, NodeFixture.frame(ssrc, 0, 9002, new byte[]{ 9 }), node.relay());
            final int strangerDatagrams = hostile.size() + 2;

            final byte[] markerPort = rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, 200, ssrc, 33, 200);
            final byte[] markerMain = rtp(FakeVoiceServer.AUDIO_PAYLOAD_TYPE, 201, ssrc, 34, 201);
            send(bot, markerPort, relay);
            send(bot, markerMain, node.relay());
            final Set<String> markers = Set.of(new String(markerPort, StandardCharsets.ISO_8859_1), new String(markerMain, StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 2; i++)
            {
                final Datagram marker = server.next();
                assertTrue(markers.contains(new String(marker.bytes(), StandardCharsets.ISO_8859_1)),
                    "nothing but the bot's markers reaches the server: " + marker);
            }
            await("the stranger's datagrams counted as source_mismatch", 10, () ->
                dropped(node, "source_mismatch") == mismatchBefore + strangerDatagrams);
            assertNull(server.poll(), "nothing else reached the server");
            assertEquals(Set.of(relay), server.senders(), "the voice server only ever heard from the relay port");
            assertEquals(relay, server.latched(), "the stranger's audio did not move the server's latch");
            assertEquals(botAddr, get(node, ssrc).get("source_latched"), "the stranger did not move the node's latch");

            // The server answers: the bot gets it, the stranger nothing, neither now nor for its own datagrams.
            final byte[] last = rtcp(200, 0x0BADF00DL, 3);
            server.sendToLatched(last);
            assertArrayEquals(last, receive(bot).bytes());
            assertNothingWaiting(stranger, "the stranger received something");
            assertNothingWaiting(bot, "the bot received more than was sent back");
        }
    }
}
