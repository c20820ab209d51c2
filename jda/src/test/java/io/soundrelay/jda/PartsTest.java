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

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module's small parts: JSON, addresses, the held-packet queue, the factory's options.
 */
final class PartsTest
{
    @Test
    void routeRequestIsThePrototypesJson()
    {
        assertEquals("{\"stream_id\":4294967295,\"source_addr\":\"127.0.0.1:5004\",\"target_addrs\":[\"[::1]:6000\"]}",
            Json.routeRequest(0xFFFF_FFFFL, "127.0.0.1:5004", List.of("[::1]:6000")));
        assertEquals("\"a\\\"b\\\\c\\u0001\"", Json.appendString(new StringBuilder(), "a\"b\\c\u0001").toString());
    }

    @Test
    void routeRequestCarriesPaceMsOnlyWhenSet()
    {
        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:5004\",\"target_addrs\":[\"10.0.0.1:6000\"]," +
            "\"pace_ms\":500}", Json.routeRequest(7, "127.0.0.1:5004", List.of("10.0.0.1:6000"), 500));
        // 0 leaves the member out: the body a node without pacing accepts, exactly as before pace_ms.
        assertEquals(Json.routeRequest(7, "127.0.0.1:5004", List.of("10.0.0.1:6000")),
            Json.routeRequest(7, "127.0.0.1:5004", List.of("10.0.0.1:6000"), 0));
        assertFalse(Json.routeRequest(7, "127.0.0.1:5004", List.of("10.0.0.1:6000"), 0).contains("pace_ms"));
        assertEquals(2000.0,
            Json.object(Json.routeRequest(7, "127.0.0.1:5004", List.of("10.0.0.1:6000"), 2000)).get("pace_ms"));
    }

    @Test
    void readsTheNodesAnswers()
    {
        final Map<String, Object> route = Json.object(
            "{\"stream_id\": 18446744073709551615, \"target_addrs\": [\"1.2.3.4:5\"], \"x\": null, \"y\": true," +
            " \"z\": -1.5e2, \"s\": \"\\u00e9\\n\"}");
        assertEquals("18446744073709551615", route.get("stream_id"));
        assertEquals("4726593916199531359", Json.object("{\"stream_id\":\"4726593916199531359\"}").get("stream_id"));
        assertEquals(List.of("1.2.3.4:5"), route.get("target_addrs"));
        assertNull(route.get("x"));
        assertEquals(Boolean.TRUE, route.get("y"));
        assertEquals(-150.0, route.get("z"));
        assertEquals("\u00e9\n", route.get("s"));
        assertEquals("missing or wrong API key", Json.errorMessage("{\"error\":\"missing or wrong API key\"}"));
        assertNull(Json.errorMessage("<html>bad gateway</html>"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1} x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1,"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"\\u12\""));
    }

    @Test
    void addressesAsTheControlApiWritesThem() throws Exception
    {
        assertEquals("10.0.0.1:4000", Addresses.format(new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 4000)));
        final InetAddress v6 = InetAddress.getByName("::1");
        assertEquals("[0:0:0:0:0:0:0:1]:4000", Addresses.format(new InetSocketAddress(v6, 4000)));
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 80), Addresses.parse("[0:0:0:0:0:0:0:1]:80"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 80), Addresses.parse("127.0.0.1:80"));
        assertNull(Addresses.parse("example.com:80"), "never looks a name up");
        assertNull(Addresses.parse("127.0.0.1:0"));
        assertNull(Addresses.parse("127.0.0.1"));
        assertNull(Addresses.parse("::1:80"));
        assertThrows(IllegalArgumentException.class,
            () -> Addresses.format(InetSocketAddress.createUnresolved("example.com", 80)));
    }

    @Test
    void heldPacketsAreBoundedAndDropTheOldest()
    {
        final HeldPackets held = new HeldPackets(3);
        for (int i = 1; i <= 5; i++)
        {
            final ByteBuffer packet = ByteBuffer.wrap(new byte[]{(byte)i, (byte)i});
            assertEquals(i > 3, held.hold(packet));
            assertFalse(packet.hasRemaining(), "consumed");
        }
        assertEquals(3, held.size());
        assertEquals(3, held.poll().get(0));
        final ByteBuffer big = ByteBuffer.allocate(4000);
        big.put(0, (byte)9);
        held.hold(big);
        assertEquals(4, held.poll().get(0));
        assertEquals(5, held.poll().get(0));
        final ByteBuffer polled = held.poll();
        assertEquals(4000, polled.remaining());
        assertEquals(9, polled.get(0));
        assertNull(held.poll());
        assertTrue(new HeldPackets(0).hold(ByteBuffer.allocate(12)));
    }

    @Test
    void factoryChecksItsOptionsAndNeverShowsTheKey() throws Exception
    {
        final InetSocketAddress relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000);
        final SoundRelaySendFactory factory = new SoundRelaySendFactory(relay, "http://127.0.0.1:4300//", "s3cret");
        assertEquals("http://127.0.0.1:4300", factory.controlUrl());
        assertFalse(factory.toString().contains("s3cret"), factory.toString());
        assertTrue(factory.toString().contains("apiKey=set"), factory.toString());
        assertTrue(factory.awaitShutdown(Duration.ZERO), "no send system yet");

        assertThrows(IllegalArgumentException.class,
            () -> new SoundRelaySendFactory(InetSocketAddress.createUnresolved("relay.invalid", 1), "http://x", null));
        assertThrows(IllegalArgumentException.class, () -> new SoundRelaySendFactory(relay, "ftp://x", null));
        assertThrows(IllegalArgumentException.class, () -> new SoundRelaySendFactory(relay, "127.0.0.1:4300", null));
        final IllegalArgumentException credentials = assertThrows(IllegalArgumentException.class,
            () -> new SoundRelaySendFactory(relay, "http://user:s3cret@127.0.0.1:4300", null));
        assertFalse(credentials.getMessage().contains("s3cret"));
        assertThrows(IllegalArgumentException.class,
            () -> SoundRelaySendFactory.builder(relay, "http://x").maxHeldPackets(-1));
        assertThrows(IllegalArgumentException.class,
            () -> SoundRelaySendFactory.builder(relay, "http://x").requestTimeout(Duration.ZERO));
    }

    @Test
    void paceMsIsOffByDefaultAndChecked()
    {
        final InetSocketAddress relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000);
        assertEquals(0, new SoundRelaySendFactory(relay, "http://x", null).paceMs());
        final SoundRelaySendFactory paced = SoundRelaySendFactory.builder(relay, "http://x").paceMs(400).build();
        assertEquals(400, paced.paceMs());
        assertTrue(paced.toString().contains("paceMs=400"), paced.toString());
        assertEquals(SoundRelaySendFactory.MAX_PACE_MS,
            SoundRelaySendFactory.builder(relay, "http://x").paceMs(2000).build().paceMs());
        final IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
            () -> SoundRelaySendFactory.builder(relay, "http://x").paceMs(-1));
        assertEquals("paceMs must be 0 to 2000: -1", negative.getMessage());
        final IllegalArgumentException tooMuch = assertThrows(IllegalArgumentException.class,
            () -> SoundRelaySendFactory.builder(relay, "http://x").paceMs(2001));
        assertEquals("paceMs must be 0 to 2000: 2001", tooMuch.getMessage());
    }

    @Test
    void severalNodesAreCheckedAndShownInTheirOrder()
    {
        final InetSocketAddress relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000);
        final SoundRelaySendFactory factory = SoundRelaySendFactory
            .builder(List.of("http://10.0.0.1:4300/", "http://10.0.0.2:4300"))
            .node("http://10.0.0.3:4300", relay)
            .apiKey("s3cret")
            .checkInterval(Duration.ofMillis(250))
            .build();
        assertEquals(List.of("http://10.0.0.1:4300", "http://10.0.0.2:4300", "http://10.0.0.3:4300"),
            factory.controlUrls());
        assertEquals("http://10.0.0.1:4300", factory.controlUrl());
        assertNull(factory.relay(), "the first node's relay comes from GET /nodes");
        assertEquals(Duration.ofMillis(250), factory.checkInterval());
        assertFalse(factory.toString().contains("s3cret"), factory.toString());
        assertTrue(factory.toString().contains("http://10.0.0.3:4300 relay 127.0.0.1:4000"), factory.toString());
        assertEquals(SoundRelaySendFactory.DEFAULT_CHECK_INTERVAL,
            new SoundRelaySendFactory(relay, "http://x", null).checkInterval());

        final IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
            () -> SoundRelaySendFactory.builder(List.of("http://10.0.0.1:4300", "http://10.0.0.1:4300/")));
        assertEquals("controlUrl http://10.0.0.1:4300 is given twice", twice.getMessage());
        assertEquals("controlUrls must name at least one node", assertThrows(IllegalArgumentException.class,
            () -> SoundRelaySendFactory.builder(List.of()).build()).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SoundRelaySendFactory.builder(List.of("ftp://x")));
        assertThrows(IllegalArgumentException.class,
            () -> SoundRelaySendFactory.builder(relay, "http://x").checkInterval(Duration.ZERO));
    }

    @Test
    void aRelayAddressFromTheListingStandsForItselfOrForTheControlHost()
    {
        assertEquals(new InetSocketAddress("10.0.0.7", 4000), NodeDirectory.relayOf("10.0.0.7:4000", "http://x:1"));
        assertEquals(new InetSocketAddress("10.0.0.8", 4000),
            NodeDirectory.relayOf("0.0.0.0:4000", "http://10.0.0.8:4300"));
        assertNull(NodeDirectory.relayOf("not an address", "http://10.0.0.8:4300"));
        assertEquals("relay-1:80", NodeDirectory.hostPort("http://relay-1"));
        assertEquals("10.0.0.1:4300", NodeDirectory.hostPort("https://10.0.0.1:4300"));
    }

    @Test
    void sendingToTheSameRelayAgainAllocatesNothing() throws Exception
    {
        // The send thread sends on an unconnected socket, to the relay its route's node has now. The JDK keeps the
        // last target's native form, so sending to the same address object again allocates nothing.
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (DatagramChannel sink = DatagramChannel.open(); DatagramChannel channel = DatagramChannel.open())
        {
            sink.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final InetSocketAddress target = (InetSocketAddress)sink.getLocalAddress();
            final ByteBuffer packet = ByteBuffer.allocate(200);
            for (int i = 0; i < 20_000; i++)
            {
                packet.clear();
                channel.send(packet, target); // warm up: the temporary direct buffer cache, the JIT
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++)
            {
                packet.clear();
                channel.send(packet, target);
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 1_000, allocated + " bytes allocated by 10,000 sends");
        }
    }
}
