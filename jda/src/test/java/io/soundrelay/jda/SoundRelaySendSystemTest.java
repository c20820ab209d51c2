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
package io.soundrelay.jda;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.soundrelay.jda.TestNode.addr;
import static io.soundrelay.jda.TestNode.address;
import static io.soundrelay.jda.TestNode.poll;
import static io.soundrelay.jda.TestNode.receive;
import static io.soundrelay.jda.TestNode.routeIs;
import static io.soundrelay.jda.TestNode.voiceServer;
import static io.soundrelay.jda.TestNode.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The send system against a real node on loopback: real UDP, real REST, a fake JDA packet provider, and datagram
 * sockets standing in for Discord voice servers.
 */
final class SoundRelaySendSystemTest
{
    /** Above 2^31: the stream id must be read as an unsigned u32. */
    private static final long SSRC = 0xCAFE_BABEL;

    private TestNode node;
    private final List<DatagramChannel> sockets = new ArrayList<>();
    private final List<SoundRelaySendSystem> systems = new ArrayList<>();

    @BeforeEach
    void startNode() throws Exception
    {
        node = TestNode.start();
    }

    @AfterEach
    void stop() throws Exception
    {
        for (final SoundRelaySendSystem system : systems)
        {
            system.shutdown();
            system.awaitTermination(Duration.ofSeconds(10));
        }
        for (final DatagramChannel socket : sockets)
        {
            socket.close();
        }
        node.close();
    }

    @Test
    void routeFollowsTheConnectionAndPacketsArriveByteExact() throws Exception
    {
        final DatagramChannel first = socket();
        final DatagramChannel second = socket();
        final FakePacketProvider provider = new FakePacketProvider("conn-1", SSRC, address(first));
        final SoundRelaySendSystem system = start(node.factory().build(), provider);

        final String source = Addresses.format(system.sourceAddress());
        assertEquals("127.0.0.1:" + system.sourceAddress().getPort(), source);
        waitFor("the route on the node", () -> routeIs(node.route(SSRC), source, addr(first)));
        final Map<String, Object> route = node.route(SSRC);
        assertEquals(Long.toUnsignedString(SSRC), route.get("stream_id"));
        assertTrue(system.isRouteConfirmed());

        // Every packet JDA would send arrives at the voice server byte for byte, in order, from the first one.
        final List<byte[]> atFirst = new ArrayList<>();
        for (int i = 0; i < 50; i++)
        {
            atFirst.add(receive(first));
        }
        assertSameAsHandedOut(provider.handedOut(), 0, atFirst);

        // The voice server moves: the route follows (PUT) and the packets with it.
        provider.moveTo(address(second));
        waitFor("the route's new target", () -> routeIs(node.route(SSRC), source, addr(second)));
        final byte[] firstAtSecond = receive(second);
        // Whatever the node sent before the change is at the first server already: together, no gap, no double.
        byte[] late;
        while (null != (late = poll(first)))
        {
            atFirst.add(late);
        }
        final List<byte[]> atSecond = new ArrayList<>();
        atSecond.add(firstAtSecond);
        for (int i = 0; i < 30; i++)
        {
            atSecond.add(receive(second));
        }
        final List<byte[]> handedOut = provider.handedOut();
        assertSameAsHandedOut(handedOut, 0, atFirst);
        assertSameAsHandedOut(handedOut, atFirst.size(), atSecond);
        assertEquals(0, provider.connectionErrors());
        assertEquals(1, ((Number)node.health().get("active_routes")).intValue());

        // The connection ends: the route goes, the socket closes.
        system.shutdown();
        assertTrue(system.awaitTermination(Duration.ofSeconds(10)));
        assertEquals(404, node.routeStatus(SSRC));
        assertFalse(system.socketOpen());
        assertEquals(0, ((Number)node.health().get("active_routes")).intValue());
    }

    @Test
    void withPaceMsTheRouteIsPacedAndEveryPacketStillArrivesInOrder() throws Exception
    {
        // Only what the library does: the route asks for pace_ms and the send thread runs ahead. Whether the node
        // plays the packets out on their slots or forwards them at once, they all arrive, byte exact, in order.
        final DatagramChannel voice = socket();
        final FakePacketProvider provider = new FakePacketProvider("conn-paced", SSRC, address(voice));
        final SoundRelaySendSystem system = start(node.factory().paceMs(500).build(), provider);
        final String source = Addresses.format(system.sourceAddress());
        waitFor("the paced route", () -> routeIs(node.route(SSRC), source, addr(voice)));
        assertEquals(500.0, node.route(SSRC).get("pace_ms"));

        final List<byte[]> received = new ArrayList<>();
        for (int i = 0; i < 60; i++)
        {
            received.add(receive(voice));
        }
        assertSameAsHandedOut(provider.handedOut(), 0, received);
        assertNull(system.lastRouteError());

        system.shutdown();
        assertTrue(system.awaitTermination(Duration.ofSeconds(10)));
        assertEquals(404, node.routeStatus(SSRC));
    }

    @Test
    void anExistingRouteIsTakenOverWithPut() throws Exception
    {
        final DatagramChannel voice = socket();
        final DatagramChannel oldSource = socket();
        final DatagramChannel oldTarget = socket();
        assertEquals(201, node.call("POST", "/route",
            Json.routeRequest(SSRC, addr(oldSource), List.of(addr(oldTarget)))).statusCode());

        final FakePacketProvider provider = new FakePacketProvider("conn-409", SSRC, address(voice));
        final SoundRelaySendSystem system = start(node.factory().build(), provider);
        final String source = Addresses.format(system.sourceAddress());
        waitFor("the route taken over", () -> routeIs(node.route(SSRC), source, addr(voice)));

        final List<byte[]> received = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            received.add(receive(voice));
        }
        assertSameAsHandedOut(provider.handedOut(), 0, received);
        assertNull(system.lastRouteError());

        system.shutdown();
        assertTrue(system.awaitTermination(Duration.ofSeconds(10)));
        assertEquals(404, node.routeStatus(SSRC));
        assertNull(poll(oldTarget), "the old target gets nothing");
    }

    @Test
    void aRefusedRouteIsReportedWithItsStatusAndNothingIsSent() throws Exception
    {
        final String wrongKey = "wrong-key-5f3a9c";
        final DatagramChannel voice = socket();
        final FakePacketProvider provider = new FakePacketProvider("conn-401", SSRC, address(voice));
        final SoundRelaySendSystem system = start(node.factory().apiKey(wrongKey).build(), provider);

        waitFor("the refusal", () -> null != system.lastRouteError());
        final SoundRelayRouteException error = system.lastRouteError();
        assertEquals(401, error.status());
        assertEquals("POST", error.method());
        assertEquals("/route", error.path());
        assertFalse(error.isTransient());
        assertTrue(error.getMessage().contains("401"), error.getMessage());
        assertFalse(error.toString().contains(wrongKey), error.toString());
        assertFalse(error.toString().contains(TestNode.KEY), error.toString());

        // Many more ticks, and still nothing has left the system, reached the node or the voice server.
        final int callsAtRefusal = provider.calls();
        waitFor("25 more ticks", () -> provider.calls() >= callsAtRefusal + 25);
        assertFalse(system.isRouteConfirmed());
        assertEquals(0, system.packetsSent());
        assertTrue(system.packetsDropped() > 0);
        assertEquals(0, ((Number)node.health().get("packets_received")).intValue());
        assertNull(poll(voice));
        assertEquals(404, node.routeStatus(SSRC));

        system.shutdown();
        assertTrue(system.awaitTermination(Duration.ofSeconds(10)));
        assertFalse(system.socketOpen());
    }

    @Test
    void aNodeThatDoesNotAnswerIsATransientErrorAndNothingIsSent() throws Exception
    {
        final int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            closedPort = probe.getLocalPort();
        }
        final DatagramChannel voice = socket();
        final FakePacketProvider provider = new FakePacketProvider("conn-down", SSRC, address(voice));
        final SoundRelaySendFactory factory = SoundRelaySendFactory
            .builder(node.relay(), "http://127.0.0.1:" + closedPort + "/")
            .apiKey(TestNode.KEY)
            .build();
        final SoundRelaySendSystem system = start(factory, provider);

        waitFor("the failure", () -> null != system.lastRouteError());
        final SoundRelayRouteException error = system.lastRouteError();
        assertEquals(SoundRelayRouteException.NO_ANSWER, error.status());
        assertTrue(error.isTransient());
        assertTrue(error.getMessage().contains("127.0.0.1:" + closedPort), error.getMessage());
        assertFalse(error.toString().contains(TestNode.KEY));
        assertEquals(0, system.packetsSent());

        system.shutdown();
        assertTrue(factory.awaitShutdown(Duration.ofSeconds(10)));
        assertTrue(system.isTerminated());
    }

    @Test
    void aNewSsrcGetsItsOwnRouteAndTheOldOneGoes() throws Exception
    {
        final long otherSsrc = 0x1234_5678L;
        final DatagramChannel voice = socket();
        final FakePacketProvider provider = new FakePacketProvider("conn-ssrc", SSRC, address(voice));
        provider.quirks(false);
        final SoundRelaySendSystem system = start(node.factory().build(), provider);
        final String source = Addresses.format(system.sourceAddress());
        waitFor("the first route", () -> routeIs(node.route(SSRC), source, addr(voice)));
        receive(voice);

        provider.changeSsrc(otherSsrc);
        waitFor("the new stream's route", () -> routeIs(node.route(otherSsrc), source, addr(voice)));
        waitFor("the old route gone", () -> node.routeStatus(SSRC) == 404);
        waitFor("a packet of the new stream", () ->
        {
            final byte[] packet = receive(voice);
            return (packet[8] & 0xFF) == 0x12 && (packet[11] & 0xFF) == 0x78;
        });
    }

    @Test
    void shutdownLeavesARouteANewerConnectionTookOver() throws Exception
    {
        final DatagramChannel voice = socket();
        final DatagramChannel newVoice = socket();
        final SoundRelaySendFactory factory = node.factory().build();
        final SoundRelaySendSystem older = start(factory, new FakePacketProvider("old", SSRC, address(voice)));
        final String olderSource = Addresses.format(older.sourceAddress());
        waitFor("the older route", () -> routeIs(node.route(SSRC), olderSource, addr(voice)));

        // JDA reconnected: a new connection with the same SSRC, before the old one is shut down.
        final SoundRelaySendSystem newer = start(factory, new FakePacketProvider("new", SSRC, address(newVoice)));
        final String newerSource = Addresses.format(newer.sourceAddress());
        waitFor("the newer route", () -> routeIs(node.route(SSRC), newerSource, addr(newVoice)));

        older.shutdown();
        assertTrue(older.awaitTermination(Duration.ofSeconds(10)));
        assertTrue(routeIs(node.route(SSRC), newerSource, addr(newVoice)), "the newer connection keeps its route");
        assertNotNull(receive(newVoice));
    }

    @Test
    void aVoiceServerThatMovesAndComesBackEndsWhereItIs() throws Exception
    {
        final DatagramChannel first = socket();
        final DatagramChannel second = socket();
        final FakePacketProvider provider = new FakePacketProvider("conn-back", SSRC, address(first));
        final SoundRelaySendSystem system = start(node.factory().build(), provider);
        final String source = Addresses.format(system.sourceAddress());
        waitFor("the route", () -> routeIs(node.route(SSRC), source, addr(first)));

        provider.moveTo(address(second));
        provider.moveTo(address(first));
        waitFor("the route back on the first server and confirmed",
            () -> system.isRouteConfirmed() && routeIs(node.route(SSRC), source, addr(first)));
        final int handedOut = provider.handedOut().size();
        waitFor("a packet handed out after the moves, at the first server", () ->
        {
            final byte[] packet = receive(first);
            final List<byte[]> all = provider.handedOut();
            for (int i = handedOut; i < all.size(); i++)
            {
                if (Arrays.equals(all.get(i), packet))
                {
                    return true;
                }
            }
            return false;
        });
    }

    @Test
    void aSilentConnectionKeepsItsRouteAliveWithoutSendingAudio() throws Exception
    {
        final DatagramChannel voice = socket();
        final FakePacketProvider provider = new FakePacketProvider("conn-quiet", SSRC, address(voice));
        provider.quirks(false);
        final SoundRelaySendSystem system =
            start(node.factory().keepAliveInterval(Duration.ofMillis(40)).build(), provider);
        final String source = Addresses.format(system.sourceAddress());
        waitFor("the route", () -> routeIs(node.route(SSRC), source, addr(voice)));
        receive(voice);
        provider.silent(true);
        final int callsWhenSilenced = provider.calls();
        waitFor("a silent tick", () -> provider.calls() > callsWhenSilenced); // every earlier call has finished
        final int audio = provider.handedOut().size();
        waitFor("every packet through the node", () ->
            system.packetsSent() == audio && ((Number)node.route(SSRC).get("packets_out")).intValue() == audio);

        // Keep-alives reach the node (packets_in grows) and are never forwarded (packets_out does not).
        waitFor("three keep-alives", () -> ((Number)node.route(SSRC).get("packets_in")).intValue() >= audio + 3);
        assertEquals(audio, ((Number)node.route(SSRC).get("packets_out")).intValue());
        assertEquals(audio, system.packetsSent());
        int atVoice = 1;
        while (null != poll(voice))
        {
            atVoice++;
        }
        assertEquals(audio, atVoice, "the voice server got the audio and nothing else");
    }

    @Test
    void shutdownBeforeStartEndsAtOnce() throws Exception
    {
        final SoundRelaySendFactory factory = node.factory().build();
        final SoundRelaySendSystem system =
            factory.createSendSystem(new FakePacketProvider("never", SSRC, address(socket())));
        system.shutdown();
        system.shutdown();
        assertTrue(system.isTerminated());
        system.start();
        assertNull(system.sourceAddress());
        assertTrue(factory.awaitShutdown(Duration.ofSeconds(1)));
    }

    private SoundRelaySendSystem start(final SoundRelaySendFactory factory, final FakePacketProvider provider)
    {
        final SoundRelaySendSystem system = factory.createSendSystem(provider);
        systems.add(system);
        system.start();
        return system;
    }

    private DatagramChannel socket() throws Exception
    {
        final DatagramChannel socket = voiceServer();
        sockets.add(socket);
        return socket;
    }

    private static void assertSameAsHandedOut(final List<byte[]> handedOut, final int from, final List<byte[]> received)
    {
        assertTrue(handedOut.size() >= from + received.size(), "more received than handed out");
        for (int i = 0; i < received.size(); i++)
        {
            assertArrayEquals(handedOut.get(from + i), received.get(i), "packet " + (from + i));
        }
    }
}
