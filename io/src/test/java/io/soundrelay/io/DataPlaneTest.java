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
package io.soundrelay.io;

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.transport.Transport;
import io.soundrelay.protocol.FrameFlyweight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The data plane on real loopback sockets, once per transport, driven through the router proxy (the HTTP API
 * is tested end to end in the control module).
 */
@ParameterizedClass(name = "{0} pipeline(s)")
@ValueSource(ints = { 1, 2 })
class DataPlaneTest
{
    /** DATA_PLANE_PIPELINES: every test runs with one pipeline and with two (no steering: strays are handed off). */
    @Parameter
    int pipelines;

    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({ "epoll,1", "epoll,2", "nio,1", "nio,2" })
    void relaysFramesToEveryTargetAndDropsStrangers(final String transportName, final int threads) throws Exception
    {
        final Transport transport = assumeTransport(transportName);

        try (DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0)).transport(Configuration.Transport.valueOf(transportName.toUpperCase(java.util.Locale.ROOT))).threadingMode(DataPlane.ThreadingMode.ofThreads(threads)).ringSize(1024));
            DatagramChannel source = open();
            DatagramChannel stranger = open();
            DatagramChannel t1 = open();
            DatagramChannel t2 = open())
        {
            assertEquals(transport, plane.transport());
            final RouteSpec spec = new RouteSpec(42, Endpoint.of(local(source)),
                List.of(Endpoint.of(local(t1)), Endpoint.of(local(t2))), null, Deliver.PAYLOAD, 0, false);
            assertEquals(RouteCommand.Outcome.OK, plane.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());

            final byte[] payload = "hello relay".getBytes();
            source.send(frame(42, 1, payload), plane.localAddress());
            assertArrayEquals(payload, receive(t1));
            assertArrayEquals(payload, receive(t2));

            stranger.send(frame(42, 2, payload), plane.localAddress());
            source.send(frame(43, 3, payload), plane.localAddress());
            // Routed in order: when the next good datagram is the first to arrive, the two before it were dropped.
            final byte[] marker = "marker".getBytes();
            source.send(frame(42, 4, marker), plane.localAddress());
            assertArrayEquals(marker, receive(t1));
            assertArrayEquals(marker, receive(t2));
            // The router counts a send once sendmmsg returns, which can be after the target already has it.
            waitFor(() -> plane.counters().errors(ErrorReason.SOURCE_MISMATCH) == 1 &&
                plane.counters().errors(ErrorReason.UNKNOWN_STREAM) == 1 && plane.counters().sent() == 4);
            assertEquals(4, plane.counters().received());
        }
    }

    /**
     * Each route command reaches an idle node, whose thread waits in the kernel (on epoll, in a receive on its main
     * socket woken by a wake datagram): each new route's first datagram is forwarded, and no wake-up is ever counted
     * as received or malformed.
     */
    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({ "epoll,1", "epoll,2", "nio,1" })
    void routeCommandsReachAnIdleNodeAndItsWakeUpsAreNeverCounted(final String transportName, final int threads)
        throws Exception
    {
        assumeTransport(transportName);
        try (DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0))
            .transport(Configuration.Transport.valueOf(transportName.toUpperCase(java.util.Locale.ROOT)))
            .threadingMode(DataPlane.ThreadingMode.ofThreads(threads)).ringSize(64));
            DatagramChannel source = open();
            DatagramChannel target = open())
        {
            final int routes = 20;
            for (int s = 1; s <= routes; s++)
            {
                final RouteSpec spec = new RouteSpec(100 + s, Endpoint.of(local(source)),
                    List.of(Endpoint.of(local(target))), null, Deliver.PAYLOAD, 0, false);
                assertEquals(RouteCommand.Outcome.OK, plane.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
                final byte[] payload = ("stream " + s).getBytes();
                source.send(frame(100 + s, 1, payload), plane.localAddress());
                assertArrayEquals(payload, receive(target));
            }
            waitFor(() -> plane.counters().sent() == routes);
            assertEquals(routes, plane.counters().received(), "the datagrams sent, no wake-up among them");
            assertEquals(0, plane.counters().errors(ErrorReason.MALFORMED));
            assertEquals(0, plane.counters().errors(ErrorReason.UNKNOWN_STREAM));
        }
    }

    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({ "epoll,1", "epoll,2", "nio,1", "nio,2" })
    void relaysOverIpv6(final String transportName, final int threads) throws Exception
    {
        assumeTransport(transportName);
        final InetSocketAddress loopback6 = new InetSocketAddress("::1", 0);
        final DatagramChannel probe;
        try
        {
            probe = DatagramChannel.open(java.net.StandardProtocolFamily.INET6).bind(loopback6);
        }
        catch (final java.io.IOException ex)
        {
            assumeTrue(false, "no IPv6 loopback here");
            return;
        }
        try (DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(loopback6).transport(Configuration.Transport.valueOf(transportName.toUpperCase(java.util.Locale.ROOT))).threadingMode(DataPlane.ThreadingMode.ofThreads(threads)).ringSize(64));
            DatagramChannel source = probe;
            DatagramChannel target = DatagramChannel.open(java.net.StandardProtocolFamily.INET6).bind(loopback6))
        {
            target.socket().setSoTimeout(5000);
            final RouteSpec spec = new RouteSpec(9, Endpoint.of(local(source)), List.of(Endpoint.of(local(target))),
                null, Deliver.FRAMED, 0, false);
            assertEquals(RouteCommand.Outcome.OK, plane.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
            final ByteBuffer frame = frame(9, 1, "over v6".getBytes());
            final byte[] expected = Arrays.copyOf(frame.array(), frame.remaining());
            source.send(frame, plane.localAddress());
            assertArrayEquals(expected, receive(target));
        }
    }

    /**
     * A route whose target the kernel refuses (a broadcast address, without SO_BROADCAST: EACCES), flooded from its
     * source, next to a legitimate stream sharing every send batch: each refused send costs that datagram alone.
     * The route goes in through the router's own command, as a route restored from Redis or slipped past the
     * API's checks would: the data plane must hold up even then.
     */
    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({ "epoll,1", "epoll,2", "nio,1", "nio,2" })
    void aTargetTheKernelRefusesCostsOnlyItsOwnDatagrams(final String transportName, final int threads)
        throws Exception
    {
        assumeTransport(transportName);

        try (DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0)).transport(Configuration.Transport.valueOf(transportName.toUpperCase(java.util.Locale.ROOT))).threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
            .ringSize(4096));
            DatagramChannel attacker = open();
            DatagramChannel source = open();
            DatagramChannel target = open())
        {
            target.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            final RouteEntry bad = route(plane, new RouteSpec(66, Endpoint.of(local(attacker)),
                List.of(Endpoint.of(new InetSocketAddress("255.255.255.255", 25690))), null, Deliver.PAYLOAD, 0,
                false));
            final RouteEntry good = route(plane, new RouteSpec(67, Endpoint.of(local(source)),
                List.of(Endpoint.of(local(target))), null, Deliver.PAYLOAD, 0, false));

            final int legit = 500;
            final int floodPerLegit = 4;
            final byte[] junk = new byte[160];
            for (int i = 0; i < legit; i++)
            {
                for (int j = 0; j < floodPerLegit; j++)
                {
                    attacker.send(frame(66, (long)i * floodPerLegit + j, junk), plane.localAddress());
                }
                source.send(frame(67, i, ("legit-" + i).getBytes()), plane.localAddress());
                if (i % 50 == 49)
                {
                    // Keep what is in flight within the sockets' buffers: the test is about sends, not receive space.
                    final long expected = (long)(i + 1) * (floodPerLegit + 1);
                    waitFor(() -> plane.counters().received() == expected &&
                        good.packetsOut() + good.sendFailed() == expected / (floodPerLegit + 1));
                }
            }
            for (int i = 0; i < legit; i++)
            {
                assertArrayEquals(("legit-" + i).getBytes(), receive(target), "legit datagram " + i);
            }
            waitFor(() -> plane.counters().errors(ErrorReason.SEND_FAILED) == (long)legit * floodPerLegit);
            assertEquals(legit, plane.counters().sent(), "every legitimate datagram was sent, nothing else");
            assertEquals(legit, good.packetsOut());
            assertEquals(0, good.sendFailed());
            assertEquals(0, bad.packetsOut(), "packets_out counts what the kernel took: nothing");
            assertEquals((long)legit * floodPerLegit, bad.sendFailed());
        }
    }

    /**
     * Routes that point at the node itself, as the API now refuses but a route restored from an older node's Redis
     * or an alias the checks cannot know may still make: route 1 sends its payload, an RTP packet, to the relay
     * itself, where route 2 (source: the relay) would send it to the relay again, and to a victim, for ever. The
     * datagram that comes back from the relay's own address is dropped as a loop; nothing reaches the victim.
     */
    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({ "epoll,1", "nio,1" })
    void aDatagramFromTheRelaysOwnAddressIsALoopAndGoesNowhere(final String transportName, final int threads)
        throws Exception
    {
        assumeTransport(transportName);

        try (DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0)).transport(Configuration.Transport.valueOf(transportName.toUpperCase(java.util.Locale.ROOT))).threadingMode(DataPlane.ThreadingMode.ofThreads(threads)));
            DatagramChannel source = open();
            DatagramChannel victim = open())
        {
            final Endpoint relay = Endpoint.of(plane.localAddress());
            route(plane, new RouteSpec(1, Endpoint.of(local(source)), List.of(relay), null, Deliver.PAYLOAD, 0,
                false));
            route(plane, new RouteSpec(2, relay, List.of(relay, Endpoint.of(local(victim))), null, Deliver.PAYLOAD, 0,
                false));
            route(plane, new RouteSpec(3, Endpoint.of(local(source)), List.of(Endpoint.of(local(victim))), null,
                Deliver.PAYLOAD, 0, false));

            final ByteBuffer rtp = ByteBuffer.allocate(12 + 20);
            rtp.put((byte)0x80).put((byte)0x78).putShort((short)1).putInt(960).putInt(2).put(new byte[20]).flip();
            final byte[] inner = Arrays.copyOf(rtp.array(), rtp.limit());
            final ByteBuffer wrapped = frame(1, 1, inner);
            source.send(wrapped, plane.localAddress());
            waitFor(() -> plane.counters().errors(ErrorReason.LOOP) == 1);

            final byte[] marker = "marker".getBytes();
            source.send(frame(3, 1, marker), plane.localAddress());
            assertArrayEquals(marker, receive(victim), "the first datagram the victim gets is the marker");
            waitFor(() -> plane.counters().received() == 3 && plane.counters().sent() == 2);
            assertEquals(1, plane.counters().errors(ErrorReason.LOOP));
        }
    }

    @Test
    void aDatagramIsNeverSentBackToTheAddressItCameFrom() throws Exception
    {
        try (DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0)).transport(Configuration.Transport.valueOf("auto".toUpperCase(java.util.Locale.ROOT))));
            DatagramChannel source = open();
            DatagramChannel other = open();
            DatagramChannel target = open())
        {
            final RouteEntry entry = route(plane, new RouteSpec(5, Endpoint.of(local(source)),
                List.of(Endpoint.of(local(source)), Endpoint.of(local(target))), null, Deliver.PAYLOAD, 0, false));
            route(plane, new RouteSpec(6, Endpoint.of(local(other)), List.of(Endpoint.of(local(source))), null,
                Deliver.PAYLOAD, 0, false));
            final byte[] payload = "to the target only".getBytes();
            source.send(frame(5, 1, payload), plane.localAddress());
            assertArrayEquals(payload, receive(target));
            final byte[] marker = "marker".getBytes();
            other.send(frame(6, 1, marker), plane.localAddress());
            assertArrayEquals(marker, receive(source), "the source never got its own datagram back");
            waitFor(() -> plane.counters().errors(ErrorReason.LOOP) == 1 && plane.counters().sent() == 2);
            assertEquals(1, entry.packetsOut());
        }
    }

    @Test
    void aRouteRestoredWithoutRoomForItsJitterBufferRelaysUnbufferedAndHasOneOnceRoomIsMade() throws Exception
    {
        // Room for one buffer of 8 slots (jitter_ms 20).
        try (DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0)).transport(Configuration.Transport.NIO)
            .jitterMaxHeld(8));
            DatagramChannel sourceA = open();
            DatagramChannel sourceB = open();
            DatagramChannel targetA = open();
            DatagramChannel targetB = open())
        {
            final RouteSpec a = new RouteSpec(7, Endpoint.of(local(sourceA)), List.of(Endpoint.of(local(targetA))),
                null, Deliver.PAYLOAD, 20, false);
            final RouteSpec b = new RouteSpec(8, Endpoint.of(local(sourceB)), List.of(Endpoint.of(local(targetB))),
                null, Deliver.PAYLOAD, 20, false);
            route(plane, a);
            assertEquals(RouteCommand.Outcome.JITTER_FULL, plane.proxy().create(b).get(5, TimeUnit.SECONDS).outcome());
            assertEquals(RouteCommand.Outcome.OK, plane.proxy().restore(b, System.currentTimeMillis(),
                System.nanoTime()).get(5, TimeUnit.SECONDS).outcome(), "a stored route is restored, not lost");

            assertEquals(List.of(0, 1, 2), sendInOrder(plane, sourceA, targetA, 7, 0, 2, 1), "A has its buffer");
            assertEquals(List.of(0, 2, 1), sendInOrder(plane, sourceB, targetB, 8, 0, 2, 1), "B relays unbuffered");

            final RouteSpec aOff = new RouteSpec(7, Endpoint.of(local(sourceA)), List.of(Endpoint.of(local(targetA))),
                null, Deliver.PAYLOAD, 0, false);
            assertEquals(RouteCommand.Outcome.OK, plane.proxy().replace(aOff).get(5, TimeUnit.SECONDS).outcome());
            assertEquals(RouteCommand.Outcome.OK, plane.proxy().replace(b).get(5, TimeUnit.SECONDS).outcome());
            assertEquals(List.of(3, 4, 5), sendInOrder(plane, sourceB, targetB, 8, 3, 5, 4), "B has A's buffer now");
        }
    }

    /**
     * @return the sequence numbers as the target got them.
     */
    private static List<Integer> sendInOrder(final DataPlane plane, final DatagramChannel source,
        final DatagramChannel target, final long streamId, final int... seqs) throws Exception
    {
        for (final int seq : seqs)
        {
            source.send(frame(streamId, seq, new byte[]{(byte)seq}), plane.localAddress());
        }
        final List<Integer> got = new java.util.ArrayList<>();
        for (int i = 0; i < seqs.length; i++)
        {
            got.add((int)receive(target)[0]);
        }
        return got;
    }

    private static Transport assumeTransport(final String transportName)
    {
        final Transport transport = Arrays.stream(Transport.values())
            .filter(t -> t.wireName().equals(transportName)).findFirst().orElseThrow();
        assumeTrue(transport.isAvailable(), transportName + " not available here");
        return transport;
    }

    private static RouteEntry route(final DataPlane plane, final RouteSpec spec) throws Exception
    {
        final RouteCommand.Result created = plane.proxy().create(spec).get(5, TimeUnit.SECONDS);
        assertEquals(RouteCommand.Outcome.OK, created.outcome());
        return created.entry();
    }

    private static ByteBuffer frame(final long streamId, final long seq, final byte[] payload)
    {
        final ByteBuffer bb = ByteBuffer.allocate(FrameFlyweight.HEADER_LENGTH + payload.length);
        FrameFlyweight.writeHeader(bb, 0, 0, streamId, seq, seq * 960);
        bb.position(FrameFlyweight.HEADER_LENGTH);
        bb.put(payload).flip();
        return bb;
    }

    static DatagramChannel open() throws Exception
    {
        final DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress("127.0.0.1", 0));
        ch.socket().setSoTimeout(5000);
        return ch;
    }

    static InetSocketAddress local(final DatagramChannel ch) throws Exception
    {
        return (InetSocketAddress)ch.getLocalAddress();
    }

    static byte[] receive(final DatagramChannel ch) throws Exception
    {
        final byte[] buf = new byte[2048];
        final java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
        ch.socket().receive(p);
        return Arrays.copyOf(buf, p.getLength());
    }

    static void waitFor(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
