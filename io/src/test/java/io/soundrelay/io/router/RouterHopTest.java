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
package io.soundrelay.io.router;

import io.soundrelay.core.config.Configuration;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.protocol.HopTag;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.ReanchorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.transport.Transport;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Live migration's data plane (PROTOCOL.md section 7) on real loopback sockets: an old node A forwards a handed-off
 * stream to a new node B as HOP frames, B accepts HOP frames only from its peers, and the route commands around a
 * hand-off (HANDOFF, RELINQUISH, and CREATE, REPLACE, DELETE on a forwarding route) answer as the control plane
 * expects. No fixed sleeps: every wait polls a condition against a deadline.
 */
@ParameterizedClass(name = "{0} pipeline(s)")
@ValueSource(ints = { 1, 2 })
class RouterHopTest
{
    /** DATA_PLANE_PIPELINES: every test runs with one pipeline and with two (no steering: strays are handed off). */
    @Parameter
    int pipelines;

    private static final int N = 16;
    private static final long GRACE_NS = TimeUnit.SECONDS.toNanos(30);
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);
    /** The hand-off key of these tests' hand-offs. */
    private static final HopKey KEY = HopKey.random();

    /** Journal that keeps what it is told, from the router thread, and answers at once. */
    private static final class RecordingJournal implements RouteJournal
    {
        final List<String> changes = new CopyOnWriteArrayList<>();
        final List<Long> refreshes = new CopyOnWriteArrayList<>();

        public CompletableFuture<Durability> record(final Change change, final RouteEntry entry)
        {
            changes.add(change + ":" + entry.streamId());
            return CompletableFuture.completedFuture(Durability.STORED);
        }

        public boolean refresh(final RouteEntry entry)
        {
            refreshes.add(entry.streamId());
            return true;
        }
    }

    /** A datagram as a socket took it. */
    private static final class Received
    {
        final byte[] bytes;
        final InetSocketAddress from;

        Received(final byte[] bytes, final InetSocketAddress from)
        {
            this.bytes = bytes;
            this.from = from;
        }
    }

    /** A sender that copies each queued datagram only when flushed, as a real batch sender reads it. */
    private static final class CapturingSender implements DatagramSender
    {
        final List<RelaySlot> slots = new ArrayList<>();
        final List<int[]> ranges = new ArrayList<>();
        final List<byte[]> sent = new ArrayList<>();
        final List<Endpoint> targets = new ArrayList<>();
        int flushes;

        public int remaining()
        {
            return 1000 - slots.size();
        }

        final List<SendTally> tallies = new ArrayList<>();

        public void queue(
            final RelaySlot slot,
            final int offset,
            final int length,
            final Endpoint target,
            final SendTally tally,
            final RelaySocket from)
        {
            tallies.add(tally);
            slots.add(slot);
            ranges.add(new int[] { offset, length });
            targets.add(target);
        }

        public void flush()
        {
            for (int i = 0; i < slots.size(); i++)
            {
                final byte[] bytes = new byte[ranges.get(i)[1]];
                slots.get(i).buffer().getBytes(ranges.get(i)[0], bytes);
                sent.add(bytes);
                tallies.get(i).onSent();
            }
            tallies.clear();
            slots.clear();
            ranges.clear();
            flushes++;
        }

        public String name()
        {
            return "capturing";
        }
    }

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception
    {
        for (int i = resources.size() - 1; i >= 0; i--)
        {
            resources.get(i).close();
        }
    }

    @ParameterizedTest(name = "{0}, {1} thread(s), deliver {2}")
    @CsvSource({ "epoll,1,PAYLOAD", "epoll,2,FRAMED", "nio,1,FRAMED", "nio,2,PAYLOAD" })
    void framesFollowTheStreamFromTheOldNodeToTheNewOneExactlyOnceInOrder(
        final String transport, final int threads, final Deliver deliver) throws Exception
    {
        assumeTransport(transport);
        final DataPlane a = start(transport, threads, RouteJournal.MEMORY_ONLY);
        final DataPlane b = start(transport, threads, RouteJournal.MEMORY_ONLY);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final long id = 0xF00D_0000_0000_0042L;
        final RouteSpec spec = new RouteSpec(
            id, Endpoint.of(local(source)), List.of(Endpoint.of(local(target))), null, deliver, 0, false);
        assertSame(RouteCommand.Outcome.OK, a.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.OK, b.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
        b.peers().update(List.of(Endpoint.of(a.localAddress())));
        expectHandOff(b, spec, a.localAddress());

        // Before the hand-off: A relays.
        for (int seq = 1; seq <= N; seq++)
        {
            source.send(ByteBuffer.wrap(frame(id, FrameFlyweight.KIND_PCM, seq, payload(seq))), a.localAddress());
        }
        expectFrames(target, deliver, id, 1, N, a.localAddress());

        final RouteCommand.Result handedOff =
            a.proxy().handOff(id, Endpoint.of(b.localAddress()), GRACE_NS, KEY).get(5, TimeUnit.SECONDS);
        assertSame(RouteCommand.Outcome.OK, handedOff.outcome());
        assertEquals(id, handedOff.entry().streamId());
        assertNull(a.registry().get(id), "a handed-off route is no longer this node's");
        assertNull(handedOff.durability(), "nothing journaled");

        // The source still sends to A: A forwards to B, B relays. A keep-alive goes along and is not relayed.
        for (int seq = N + 1; seq <= 2 * N; seq++)
        {
            source.send(ByteBuffer.wrap(frame(id, FrameFlyweight.KIND_PCM, seq, payload(seq))), a.localAddress());
            if (seq == N + N / 2)
            {
                source.send(ByteBuffer.wrap(frame(id, FrameFlyweight.KIND_PCM, seq, new byte[0])), a.localAddress());
            }
        }
        expectFrames(target, deliver, id, N + 1, 2 * N, b.localAddress());

        // The source switches to B.
        for (int seq = 2 * N + 1; seq <= 3 * N; seq++)
        {
            source.send(ByteBuffer.wrap(frame(id, FrameFlyweight.KIND_PCM, seq, payload(seq))), b.localAddress());
        }
        expectFrames(target, deliver, id, 2 * N + 1, 3 * N, b.localAddress());

        waitFor(() -> a.counters().sent() == 2 * N + 1 && b.counters().sent() == 2 * N &&
            b.counters().received() == 2 * N + 1, "every datagram counted once");
        assertEquals(2 * N + 1, a.counters().received());
        assertNothingMore(target);
        for (final ErrorReason reason : ErrorReason.values())
        {
            assertEquals(0, a.counters().errors(reason), "A " + reason);
            assertEquals(0, b.counters().errors(reason), "B " + reason);
        }
        assertEquals(2 * N + 1, b.registry().get(id).packetsIn());
    }

    @ParameterizedTest(name = "{0}, {1} thread(s), jitter {2} ms on the new node")
    @CsvSource({ "epoll,1,0", "epoll,2,40", "nio,1,40", "nio,2,0" })
    void rtpFollowsTheStreamByteForByte(final String transport, final int threads, final int jitterMs)
        throws Exception
    {
        assumeTransport(transport);
        final DataPlane a = start(transport, threads, RouteJournal.MEMORY_ONLY);
        final DataPlane b = start(transport, threads, RouteJournal.MEMORY_ONLY);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final long ssrc = 0xDEAD_BEEFL;
        // deliver framed on purpose: RTP leaves byte for byte whatever the route's deliver, wrapped or not.
        final Endpoint src = Endpoint.of(local(source));
        final List<Endpoint> targets = List.of(Endpoint.of(local(target)));
        assertSame(RouteCommand.Outcome.OK, a.proxy().create(
            new RouteSpec(ssrc, src, targets, null, Deliver.FRAMED, 0, false)).get(5, TimeUnit.SECONDS).outcome());
        final RouteSpec onB = new RouteSpec(ssrc, src, targets, null, Deliver.FRAMED, jitterMs, false);
        assertSame(RouteCommand.Outcome.OK, b.proxy().create(onB).get(5, TimeUnit.SECONDS).outcome());
        b.peers().update(List.of(Endpoint.of(new InetSocketAddress("127.0.0.1", 9)), Endpoint.of(a.localAddress())));
        expectHandOff(b, onB, a.localAddress());

        final int firstSeq = 65_530; // the 16-bit sequence wraps during the test
        final List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < N; i++)
        {
            sent.add(rtp(ssrc, firstSeq + i, 960L * i, payload(i)));
            source.send(ByteBuffer.wrap(sent.get(i)), a.localAddress());
        }
        expectExactly(target, sent, a.localAddress());

        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(ssrc, Endpoint.of(b.localAddress()), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());
        sent.clear();
        for (int i = N; i < 2 * N; i++)
        {
            sent.add(rtp(ssrc, firstSeq + i, 960L * i, payload(i)));
            source.send(ByteBuffer.wrap(sent.get(sent.size() - 1)), a.localAddress());
        }
        sent.add(rtcp(ssrc));
        source.send(ByteBuffer.wrap(sent.get(sent.size() - 1)), a.localAddress());
        expectExactly(target, sent, b.localAddress());

        sent.clear();
        for (int i = 2 * N; i < 3 * N; i++)
        {
            sent.add(rtp(ssrc, firstSeq + i, 960L * i, payload(i)));
            source.send(ByteBuffer.wrap(sent.get(sent.size() - 1)), b.localAddress());
        }
        expectExactly(target, sent, b.localAddress());

        waitFor(() -> a.counters().sent() == 2 * N + 1 && b.counters().sent() == 2 * N + 1,
            "every datagram counted once");
        assertNothingMore(target);
        for (final ErrorReason reason : ErrorReason.values())
        {
            assertEquals(0, a.counters().errors(reason), "A " + reason);
            assertEquals(0, b.counters().errors(reason), "B " + reason);
        }
    }

    @Test
    void hopFramesAreTakenOnlyFromTheHandOffsPeerWithItsTagWhileItsWindowIsOpen() throws Exception
    {
        final DataPlane b = start("auto", 1, RouteJournal.MEMORY_ONLY);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final DatagramChannel peer = open();
        final DatagramChannel otherPeer = open();
        final DatagramChannel stranger = open();
        final long id = 0x00C0_FFEEL;
        final RouteSpec spec = new RouteSpec(id, Endpoint.of(local(source)), List.of(Endpoint.of(local(target))),
            null, Deliver.PAYLOAD, 0, false);
        assertSame(RouteCommand.Outcome.OK, b.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
        b.peers().update(List.of(Endpoint.of(local(peer)), Endpoint.of(local(otherPeer))));
        assertEquals(List.of(Endpoint.of(local(peer)), Endpoint.of(local(otherPeer))), b.peers().snapshot());

        final int hop = FrameFlyweight.HOP_FLAG | FrameFlyweight.KIND_OPUS;
        // A live peer, with a valid tag, for a stream no hand-off brings here: refused.
        peer.send(ByteBuffer.wrap(signed(frame(id, hop, 1, payload(1)))), b.localAddress());
        waitFor(() -> b.counters().errors(ErrorReason.SOURCE_MISMATCH) == 1, "refused before the hand-off");

        expectHandOff(b, spec, local(peer));
        stranger.send(ByteBuffer.wrap(signed(frame(id, hop, 2, payload(2)))), b.localAddress());
        source.send(ByteBuffer.wrap(signed(frame(id, hop, 3, payload(3)))), b.localAddress()); // not even the source
        otherPeer.send(ByteBuffer.wrap(signed(frame(id, hop, 4, payload(4)))), b.localAddress()); // not its peer
        // From the hand-off's peer, but without the tag its key gives: no tag, another key, a byte changed.
        peer.send(ByteBuffer.wrap(frame(id, hop, 5, payload(5))), b.localAddress());
        peer.send(ByteBuffer.wrap(signed(frame(id, hop, 5, payload(5)), HopKey.random())), b.localAddress());
        final byte[] altered = signed(frame(id, hop, 5, payload(5)));
        altered[FrameFlyweight.HEADER_LENGTH] ^= 1;
        peer.send(ByteBuffer.wrap(altered), b.localAddress());
        // Signed, but nonsense inside, or a relay port's traffic for a route without a return path.
        peer.send(ByteBuffer.wrap(signed(wrap(id, rtp(id + 1, 3, 0, payload(3))))), b.localAddress()); // other SSRC
        peer.send(ByteBuffer.wrap(signed(wrap(id, frame(id, 0, 4, payload(4))))), b.localAddress()); // not RTP
        for (final int port : new int[] { FrameFlyweight.HOP_PORT_FLAG,
            FrameFlyweight.HOP_PORT_FLAG | FrameFlyweight.HOP_BACK_FLAG })
        {
            peer.send(ByteBuffer.wrap(signed(frame(id, FrameFlyweight.HOP_FLAG | port, 5, payload(5)))),
                b.localAddress());
        }
        peer.send(ByteBuffer.wrap(frame(id, 0, 5, payload(5))), b.localAddress()); // a relay, not a HOP: a loop
        // Routed in order: when the next good datagram arrives, the ones before it were dropped.
        peer.send(ByteBuffer.wrap(signed(frame(id, hop, 6, payload(6)))), b.localAddress());
        assertArrayEquals(payload(6), receive(target).bytes);
        final byte[] inner = rtp(id, 7, 960, payload(7));
        peer.send(ByteBuffer.wrap(signed(wrap(id, inner))), b.localAddress());
        assertArrayEquals(inner, receive(target).bytes);
        source.send(ByteBuffer.wrap(frame(id, FrameFlyweight.KIND_OPUS, 8, payload(8))), b.localAddress());
        assertArrayEquals(payload(8), receive(target).bytes);

        // A frame of the largest size comes its tag longer than MAX_DATAGRAM_BYTES (1500), and is taken whole.
        final byte[] largest = new byte[1500 - FrameFlyweight.HEADER_LENGTH];
        Arrays.fill(largest, (byte)0x5A);
        peer.send(ByteBuffer.wrap(signed(frame(id, hop, 9, largest))), b.localAddress());
        assertArrayEquals(largest, receive(target).bytes);

        // The hand-off's window closes: its peer's frames are refused again, tag or not.
        assertSame(RouteCommand.Outcome.EXISTS, b.proxy().restore(spec, System.currentTimeMillis(),
            System.nanoTime(), null, null, Endpoint.of(local(peer)), KEY, 0).get(5, TimeUnit.SECONDS).outcome());
        peer.send(ByteBuffer.wrap(signed(frame(id, hop, 9, payload(9)))), b.localAddress());
        source.send(ByteBuffer.wrap(frame(id, 0, 10, payload(10))), b.localAddress());
        assertArrayEquals(payload(10), receive(target).bytes);

        waitFor(() -> b.counters().errors(ErrorReason.SOURCE_MISMATCH) == 7 &&
            b.counters().errors(ErrorReason.HOP_AUTH) == 3 &&
            b.counters().errors(ErrorReason.LOOP) == 1 &&
            b.counters().errors(ErrorReason.MALFORMED) == 2 && b.counters().sent() == 5, "drops counted");
        assertNothingMore(target);
    }

    @Test
    void aHopFrameForwardedOnCountsItsHopsAndStopsAtTheLimit() throws Exception
    {
        final DataPlane a = start("auto", 1, RouteJournal.MEMORY_ONLY);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final DatagramChannel earlier = open(); // the node that had the stream before this one
        final DatagramChannel next = open(); // the node this one hands it to
        final long id = 0x00D0_0D1EL;
        assertSame(RouteCommand.Outcome.OK, a.proxy().create(new RouteSpec(id, Endpoint.of(local(source)),
            List.of(Endpoint.of(local(target))), null, Deliver.PAYLOAD, 0, false)).get(5, TimeUnit.SECONDS).outcome());
        a.peers().update(List.of(Endpoint.of(local(earlier)), Endpoint.of(local(next))));
        final RouteSpec spec = a.registry().get(id).spec();
        expectHandOff(a, spec, local(earlier));
        final HopKey nextKey = HopKey.random(); // the second hand-off's own key
        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(id, Endpoint.of(local(next)), GRACE_NS, nextKey).get(5, TimeUnit.SECONDS).outcome());

        // The stream moved again within its grace window: what the earlier node forwards goes on, one hop more,
        // signed again with the second hand-off's key.
        for (int hops = 0; hops <= FrameFlyweight.MAX_HOPS; hops++)
        {
            final int flags = FrameFlyweight.withHopCount(FrameFlyweight.HOP_FLAG | FrameFlyweight.KIND_OPUS, hops);
            earlier.send(ByteBuffer.wrap(signed(frame(id, flags, hops, payload(hops)))), a.localAddress());
        }
        // Counts 0 (a node before hop counts: 1) and 1 leave as 2; 2 leaves as 3; 3 would be a fourth hop.
        for (final int[] sent : new int[][] { {0, 2}, {1, 2}, {2, 3} })
        {
            final Received got = receive(next);
            assertArrayEquals(signed(frame(id, FrameFlyweight.withHopCount(FrameFlyweight.HOP_FLAG |
                FrameFlyweight.KIND_OPUS, sent[1]), sent[0], payload(sent[0])), nextKey), got.bytes,
                "sent with hop count " + sent[0]);
        }
        waitFor(() -> a.counters().errors(ErrorReason.LOOP) == 1 && a.counters().sent() == 3, "the fourth hop refused");
        assertNothingMore(next);
        assertNothingMore(target);
    }

    @Test
    void forwardsInTheHopFormatUntilTheGraceDeadlineThenForgetsTheRoute() throws Exception
    {
        final RecordingJournal journal = new RecordingJournal();
        final DataPlane a = start("auto", 2, journal);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final DatagramChannel newNode = open();
        final DatagramChannel newerNode = open();
        final long id = 0x00AB_CDEFL;
        assertSame(RouteCommand.Outcome.OK, a.proxy().create(new RouteSpec(id, Endpoint.of(local(source)),
            List.of(Endpoint.of(local(target))), null, Deliver.PAYLOAD, 0, false)).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(id, Endpoint.of(local(newNode)), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());

        // A frame: the same bytes with the HOP bit; a reserved HOP_RTP bit alone is cleared on the way.
        final byte[] f = frame(id, FrameFlyweight.HOP_RTP_FLAG | FrameFlyweight.KIND_PCM, 1, payload(1));
        source.send(ByteBuffer.wrap(f), a.localAddress());
        final byte[] hopFrame = f.clone();
        hopFrame[FrameFlyweight.FLAGS_OFFSET] = (byte)FrameFlyweight.withHopCount(
            FrameFlyweight.HOP_FLAG | FrameFlyweight.KIND_PCM, 1); // the first hop
        assertArrayEquals(signed(hopFrame), receive(newNode).bytes);

        // A keep-alive goes along, so the new node sees the stream alive.
        final byte[] keepAlive = frame(id, 0, 2, new byte[0]);
        source.send(ByteBuffer.wrap(keepAlive), a.localAddress());
        keepAlive[FrameFlyweight.FLAGS_OFFSET] = (byte)FrameFlyweight.withHopCount(FrameFlyweight.HOP_FLAG, 1);
        assertArrayEquals(signed(keepAlive), receive(newNode).bytes);

        // RTP and RTCP: wrapped behind a header with HOP and HOP_RTP, the RTP sequence and timestamp (0 for RTCP).
        final byte[] r = rtp(id, 0xBEEF, 0xFEDC_BA98L, payload(3));
        source.send(ByteBuffer.wrap(r), a.localAddress());
        final Received wrappedRtp = receive(newNode);
        assertArrayEquals(signed(concat(header(WRAPPED_FIRST_HOP, id, 0xBEEF, 0xFEDC_BA98L), r)),
            wrappedRtp.bytes);
        assertEquals(a.localAddress(), wrappedRtp.from);
        final byte[] c = rtcp(id);
        source.send(ByteBuffer.wrap(c), a.localAddress());
        assertArrayEquals(signed(concat(header(WRAPPED_FIRST_HOP, id, 0, 0), c)), receive(newNode).bytes);

        // RTP too long to wrap in MAX_DATAGRAM_BYTES (1500) is dropped as oversize; a byte shorter fits, and leaves
        // with its tag after it.
        source.send(ByteBuffer.wrap(rtp(id, 4, 0, new byte[1500 - 19 - 12])), a.localAddress());
        final byte[] longest = rtp(id, 5, 0, new byte[1500 - 20 - 12]);
        source.send(ByteBuffer.wrap(longest), a.localAddress());
        assertArrayEquals(signed(concat(header(WRAPPED_FIRST_HOP, id, 5, 0), longest)),
            receive(newNode).bytes);
        waitFor(() -> a.counters().errors(ErrorReason.OVERSIZE) == 1, "oversize counted");

        // A second hand-off of the forwarding route moves its target and deadline: now, so the next sweep drops it.
        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(id, Endpoint.of(local(newerNode)), 0, KEY).get(5, TimeUnit.SECONDS).outcome());
        final long deadline = System.nanoTime() + WAIT_NS;
        long seq = 10;
        while (a.counters().errors(ErrorReason.UNKNOWN_STREAM) == 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("the forwarding route never went away");
            }
            source.send(ByteBuffer.wrap(frame(id, 0, seq++, payload(0))), a.localAddress());
            Thread.sleep(10);
        }
        assertNothingMore(newNode);
        assertNothingMore(target);
        assertEquals(List.of("CREATED:" + id), journal.changes, "a hand-off and its end write nothing");
        assertEquals(List.of(), journal.refreshes);
        assertEquals(0, a.counters().expired(), "the end of a hand-off is not an expiry");
    }

    @Test
    void aHandedOffRouteIsNotThisNodesToChangeUntilItComesBack() throws Exception
    {
        final RecordingJournal journal = new RecordingJournal();
        final DataPlane a = start("auto", 1, journal);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final DatagramChannel newNode = open();
        final long id = 77;
        final RouteSpec spec = new RouteSpec(id, Endpoint.of(local(source)), List.of(Endpoint.of(local(target))),
            null, Deliver.PAYLOAD, 0, false);
        final RouteSpec other = new RouteSpec(id, Endpoint.of(local(source)), List.of(Endpoint.of(local(newNode))),
            null, Deliver.FRAMED, 0, false);
        assertSame(RouteCommand.Outcome.OK, a.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.NOT_FOUND,
            a.proxy().handOff(id + 1, Endpoint.of(local(newNode)), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(id, Endpoint.of(local(newNode)), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());
        assertNull(a.registry().get(id));
        assertEquals(0, a.registry().size());

        assertSame(RouteCommand.Outcome.NOT_FOUND, a.proxy().delete(id).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.NOT_FOUND, a.proxy().replace(other).get(5, TimeUnit.SECONDS).outcome());
        source.send(ByteBuffer.wrap(frame(id, 0, 1, payload(1))), a.localAddress());
        final byte[] forwarded = receive(newNode).bytes;
        assertEquals((byte)FrameFlyweight.withHopCount(FrameFlyweight.HOP_FLAG, 1), forwarded[FrameFlyweight.FLAGS_OFFSET],
            "still forwarding");
        assertEquals(List.of("CREATED:" + id), journal.changes);

        // The stream comes back to this node: a normal route again, journaled as created.
        final RouteCommand.Result back = a.proxy().create(spec).get(5, TimeUnit.SECONDS);
        assertSame(RouteCommand.Outcome.OK, back.outcome());
        assertSame(back.entry(), a.registry().get(id));
        assertNotEquals(0, back.entry().createdAtEpochMs());
        assertEquals(List.of("CREATED:" + id, "CREATED:" + id), journal.changes);
        source.send(ByteBuffer.wrap(frame(id, 0, 2, payload(2))), a.localAddress());
        assertArrayEquals(payload(2), receive(target).bytes);
        assertSame(RouteCommand.Outcome.EXISTS, a.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.OK, a.proxy().replace(other).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.OK, a.proxy().delete(id).get(5, TimeUnit.SECONDS).outcome());
        assertEquals(List.of("CREATED:" + id, "CREATED:" + id, "REPLACED:" + id, "DELETED:" + id), journal.changes);
        assertNothingMore(newNode);
    }

    @Test
    void relinquishDropsARouteWithoutTouchingTheJournal() throws Exception
    {
        final RecordingJournal journal = new RecordingJournal();
        final DataPlane a = start("auto", 2, journal);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final DatagramChannel newNode = open();
        for (final long id : new long[] { 5, 6 })
        {
            assertSame(RouteCommand.Outcome.OK, a.proxy().create(new RouteSpec(id, Endpoint.of(local(source)),
                List.of(Endpoint.of(local(target))), null, Deliver.PAYLOAD, 20, false)).get(5, TimeUnit.SECONDS)
                .outcome());
        }
        assertSame(RouteCommand.Outcome.OK, a.proxy().relinquish(5).get(5, TimeUnit.SECONDS).outcome());
        assertNull(a.registry().get(5));
        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(6, Endpoint.of(local(newNode)), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.OK, a.proxy().relinquish(6).get(5, TimeUnit.SECONDS).outcome(),
            "a forwarding route too");
        assertSame(RouteCommand.Outcome.NOT_FOUND, a.proxy().relinquish(5).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.NOT_FOUND,
            a.proxy().handOff(6, Endpoint.of(local(newNode)), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());
        assertEquals(0, a.registry().size());
        assertEquals(List.of("CREATED:5", "CREATED:6"), journal.changes);

        source.send(ByteBuffer.wrap(frame(5, 0, 1, payload(1))), a.localAddress());
        source.send(ByteBuffer.wrap(frame(6, 0, 1, payload(1))), a.localAddress());
        waitFor(() -> a.counters().errors(ErrorReason.UNKNOWN_STREAM) == 2, "both routes gone");
        assertNothingMore(target);
        assertNothingMore(newNode);
    }

    @Test
    void aHandOffSendsWhatTheJitterBufferHoldsToTheOldTargetsFirst() throws Exception
    {
        final DataPlane a = start("auto", 2, RouteJournal.MEMORY_ONLY);
        final DataPlane b = start("auto", 1, RouteJournal.MEMORY_ONLY);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final long id = 0x0B0B_0B0BL;
        final Endpoint src = Endpoint.of(local(source));
        final List<Endpoint> targets = List.of(Endpoint.of(local(target)));
        assertSame(RouteCommand.Outcome.OK, a.proxy().create(new RouteSpec(id, src, targets, null, Deliver.PAYLOAD,
            RouteSpec.MAX_JITTER_MS, false)).get(5, TimeUnit.SECONDS).outcome());
        final RouteSpec onB = new RouteSpec(id, src, targets, null, Deliver.PAYLOAD, 0, false);
        assertSame(RouteCommand.Outcome.OK, b.proxy().create(onB).get(5, TimeUnit.SECONDS).outcome());
        b.peers().update(List.of(Endpoint.of(a.localAddress())));
        expectHandOff(b, onB, a.localAddress());

        source.send(ByteBuffer.wrap(frame(id, 0, 1, payload(1))), a.localAddress());
        final Received first = receive(target);
        assertArrayEquals(payload(1), first.bytes);
        source.send(ByteBuffer.wrap(frame(id, 0, 3, payload(3))), a.localAddress()); // held, waiting for 2
        final RouteEntry entry = a.registry().get(id);
        waitFor(() -> entry.packetsIn() == 2, "frame 3 held");
        assertNotEquals(RouteEntry.NEVER, entry.firstSeenNs());
        assertEquals(first.from, a.localAddress());

        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(id, Endpoint.of(b.localAddress()), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());
        final Received held = receive(target);
        assertArrayEquals(payload(3), held.bytes);
        assertEquals(a.localAddress(), held.from, "released by the old node to its targets");
        source.send(ByteBuffer.wrap(frame(id, 0, 4, payload(4))), a.localAddress());
        final Received next = receive(target);
        assertArrayEquals(payload(4), next.bytes);
        assertEquals(b.localAddress(), next.from, "then forwarded through the new node");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "frames", "rtp" })
    void aHandOffSendsWhatPacingHoldsToTheNewNodeWhichPacesItOn(final String kind) throws Exception
    {
        final DataPlane a = start("auto", 1, RouteJournal.MEMORY_ONLY);
        final DataPlane b = start("auto", 2, RouteJournal.MEMORY_ONLY);
        final DatagramChannel source = open();
        final DatagramChannel target = open();
        final long id = 0x0C0C_0C0CL;
        final boolean rtp = "rtp".equals(kind);
        final RouteSpec spec = new RouteSpec(id, Endpoint.of(local(source)), List.of(Endpoint.of(local(target))),
            null, Deliver.PAYLOAD, 0, false, false, RouteSpec.MAX_PACE_MS);
        assertSame(RouteCommand.Outcome.OK, a.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
        assertSame(RouteCommand.Outcome.OK, b.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome());
        b.peers().update(List.of(Endpoint.of(a.localAddress())));
        expectHandOff(b, spec, a.localAddress());

        // 20 frames at once: the first leaves, 19 are held on A for up to 380 ms.
        final List<byte[]> expected = new ArrayList<>();
        for (int seq = 1; seq <= 30; seq++)
        {
            expected.add(rtp ? rtp(id, seq, seq * 960L, payload(seq)) : payload(seq));
        }
        for (int seq = 1; seq <= 20; seq++)
        {
            source.send(ByteBuffer.wrap(rtp ? expected.get(seq - 1) : frame(id, 0, seq, payload(seq))),
                a.localAddress());
        }
        final Received first = receive(target);
        assertArrayEquals(expected.get(0), first.bytes);
        assertEquals(a.localAddress(), first.from);
        waitFor(() -> a.counters().paceHeld() == 19, "19 held on A");

        // Handed off: what A held goes to B at once, and B holds all but the first of them, on its own clock.
        assertSame(RouteCommand.Outcome.OK,
            a.proxy().handOff(id, Endpoint.of(b.localAddress()), GRACE_NS, KEY).get(5, TimeUnit.SECONDS).outcome());
        assertEquals(0, a.counters().paceHeld(), "A let go of what it held");
        waitFor(() -> b.counters().received() == 19, "the 19 at B");
        for (int seq = 21; seq <= 30; seq++)
        {
            source.send(ByteBuffer.wrap(rtp ? expected.get(seq - 1) : frame(id, 0, seq, payload(seq))),
                a.localAddress());
        }
        expectExactly(target, expected.subList(1, 30), b.localAddress());
        waitFor(() -> b.counters().paceHeld() == 0, "B let everything go");
        // Recorded once the send returned, which may be after the target already has the datagram.
        waitFor(() -> b.paceLateness().count() == 29, "every one left B on the stream's clock");
        for (final ReanchorReason reason : ReanchorReason.all())
        {
            assertEquals(0, b.counters().reanchors(reason), "B's clock continued from the first it got: " + reason);
        }
        assertNothingMore(target);
    }

    @Test
    void wrappedRtpNeverOverwritesAHopSlotBeforeItIsSent()
    {
        final CapturingSender sender = new CapturingSender();
        final RingBuffer<RelaySlot> ring =
            RingBuffer.createSingleProducer(new RelaySlotFactory(8, 1500), 8, new BusySpinWaitStrategy());
        final RelayCounters counters = new RelayCounters();
        final RouterAgent router = new RouterAgent(RouterSweepTest.context(10, RouteJournal.MEMORY_ONLY,
            new RouteRegistry()), ring, sender, null, new ReceiverProxy(16), null, counters);
        final long ssrc = 0x1234_5678L;
        final InetSocketAddress source = new InetSocketAddress("127.0.0.1", 5000);
        final Endpoint newNode = Endpoint.of(new InetSocketAddress("127.0.0.1", 5002));
        final RouteCommand create = new RouteCommand.Create(new RouteSpec(ssrc,
            Endpoint.of(source), List.of(Endpoint.of(new InetSocketAddress("127.0.0.1", 5001))), null,
            Deliver.PAYLOAD, 0, false), 0, System.nanoTime());
        router.apply(create);
        final RouteEntry entry = create.result().join().entry();
        final RouteCommand handOff = RouteCommand.handOff(ssrc, newNode, GRACE_NS, KEY);
        router.apply(handOff);
        assertSame(entry, handOff.result().join().entry());

        // Far more than the hop slots between two flushes the router would do by itself (the sender takes 1,000).
        final int count = 1000;
        final RelaySlot slot = ring.get(0);
        slot.sender(source);
        for (int i = 0; i < count; i++)
        {
            final byte[] datagram = i % 10 == 9 ? rtcp(ssrc) : rtp(ssrc, i, 960L * i, payload(i));
            slot.buffer().putBytes(0, datagram);
            slot.length = datagram.length;
            router.route(slot);
        }
        router.flush();

        assertEquals(count, sender.sent.size());
        for (int i = 0; i < count; i++)
        {
            final byte[] expected = signed(i % 10 == 9 ? concat(header(WRAPPED_FIRST_HOP, ssrc, 0, 0), rtcp(ssrc)) :
                concat(header(WRAPPED_FIRST_HOP, ssrc, i, 960L * i), rtp(ssrc, i, 960L * i, payload(i))));
            assertArrayEquals(expected, sender.sent.get(i), "datagram " + i);
            assertEquals(newNode, sender.targets.get(i));
        }
        assertEquals(count, entry.packetsIn());
        assertEquals(count, entry.packetsOut());
        assertEquals(count / 64 + 1, sender.flushes, "a flush whenever the hop slots ran out, and the last");
    }

    @Test
    void handOffRefusesNonsense()
    {
        final RouterProxy proxy = new RouterProxy(4);
        final Endpoint somewhere = Endpoint.parse("127.0.0.1:4000");
        assertThrows(NullPointerException.class, () -> proxy.handOff(1, null, GRACE_NS, KEY));
        assertThrows(IllegalArgumentException.class, () -> proxy.handOff(1, somewhere, -1, KEY));
        assertThrows(IllegalArgumentException.class,
            () -> proxy.handOff(1, somewhere, RouterProxy.MAX_GRACE_NS + 1, KEY));
        assertThrows(NullPointerException.class, () -> proxy.handOff(1, somewhere, GRACE_NS, null), "no key");
        assertNotNull(proxy.handOff(1, somewhere, RouterProxy.MAX_GRACE_NS, KEY));
        final RouteSpec spec = new RouteSpec(1, somewhere, List.of(Endpoint.parse("127.0.0.1:4001")), null,
            Deliver.PAYLOAD, 0, false);
        assertThrows(IllegalArgumentException.class,
            () -> proxy.restore(spec, 0, 0, null, null, somewhere, null, GRACE_NS), "an inbound hand-off needs a key");
        assertThrows(IllegalArgumentException.class,
            () -> proxy.restore(spec, 0, 0, null, null, somewhere, KEY, RouterProxy.MAX_GRACE_NS + 1));
    }

    /** The node that takes a stream learns of the hand-off: from that peer, with {@link #KEY}, for the grace. */
    private static void expectHandOff(final DataPlane node, final RouteSpec spec, final InetSocketAddress from)
        throws Exception
    {
        assertSame(RouteCommand.Outcome.EXISTS, node.proxy().restore(spec, System.currentTimeMillis(),
            System.nanoTime(), null, null, Endpoint.of(from), KEY, GRACE_NS).get(5, TimeUnit.SECONDS).outcome());
    }

    /** A HOP frame as a node sends it: the frame, then its tag under {@link #KEY}. */
    private static byte[] signed(final byte[] frame)
    {
        return signed(frame, KEY);
    }

    private static byte[] signed(final byte[] frame, final HopKey key)
    {
        final byte[] out = Arrays.copyOf(frame, frame.length + HopTag.LENGTH);
        new HopTag().sign(new UnsafeBuffer(out), 0, frame.length, key.k0(), key.k1());
        return out;
    }

    private DataPlane start(final String transport, final int threads, final RouteJournal journal) throws Exception
    {
        final DataPlane plane = DataPlane.start(new DataPlane.Context().pipelines(pipelines)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0))
            .transport(Configuration.Transport.valueOf(transport.toUpperCase(java.util.Locale.ROOT)))
            .threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
            .ringSize(1024)
            .journal(journal));
        resources.add(plane);
        return plane;
    }

    private DatagramChannel open() throws Exception
    {
        final DatagramChannel ch = DatagramChannel.open();
        resources.add(ch);
        ch.bind(new InetSocketAddress("127.0.0.1", 0));
        ch.configureBlocking(false);
        return ch;
    }

    private static void assumeTransport(final String name)
    {
        final Transport transport = Arrays.stream(Transport.values())
            .filter(t -> t.wireName().equals(name)).findFirst().orElseThrow();
        assumeTrue(transport.isAvailable(), name + " not available here");
    }

    private static InetSocketAddress local(final DatagramChannel ch) throws Exception
    {
        return (InetSocketAddress)ch.getLocalAddress();
    }

    /** The next datagram, polled for until a deadline. */
    private static Received receive(final DatagramChannel ch) throws Exception
    {
        final ByteBuffer buf = ByteBuffer.allocate(2048);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (true)
        {
            final SocketAddress from = ch.receive(buf);
            if (from != null)
            {
                buf.flip();
                final byte[] bytes = new byte[buf.remaining()];
                buf.get(bytes);
                return new Received(bytes, (InetSocketAddress)from);
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("no datagram within 10 s on " + ch.getLocalAddress());
            }
            Thread.sleep(1);
        }
    }

    /** Nothing waits on the socket: call once the senders' counters say everything was sent. */
    private static void assertNothingMore(final DatagramChannel ch) throws Exception
    {
        final ByteBuffer buf = ByteBuffer.allocate(2048);
        final SocketAddress from = ch.receive(buf);
        assertNull(from, () -> "unexpected datagram of " + buf.position() + " bytes");
    }

    private static void expectFrames(
        final DatagramChannel target,
        final Deliver deliver,
        final long id,
        final int firstSeq,
        final int lastSeq,
        final InetSocketAddress from) throws Exception
    {
        for (int seq = firstSeq; seq <= lastSeq; seq++)
        {
            final Received got = receive(target);
            final byte[] expected = deliver == Deliver.PAYLOAD ?
                payload(seq) : frame(id, FrameFlyweight.KIND_PCM, seq, payload(seq));
            assertArrayEquals(expected, got.bytes, "sequence " + seq);
            assertEquals(from, got.from, "sequence " + seq);
        }
    }

    private static void expectExactly(
        final DatagramChannel target, final List<byte[]> datagrams, final InetSocketAddress from) throws Exception
    {
        for (int i = 0; i < datagrams.size(); i++)
        {
            final Received got = receive(target);
            assertArrayEquals(datagrams.get(i), got.bytes, "datagram " + i);
            assertEquals(from, got.from, "datagram " + i);
        }
    }

    private static byte[] payload(final int n)
    {
        final byte[] p = new byte[24 + n % 7];
        for (int i = 0; i < p.length; i++)
        {
            p[i] = (byte)(n * 31 + i);
        }
        return p;
    }

    /** The header a node writes when it wraps RTP for the first hop. */
    private static final int WRAPPED_FIRST_HOP = FrameFlyweight.withHopCount(FrameFlyweight.HOP_WRAPPED_FLAGS, 1);

    private static byte[] header(final int flags, final long id, final long seq, final long ts)
    {
        final byte[] h = new byte[FrameFlyweight.HEADER_LENGTH];
        FrameFlyweight.writeHeader(ByteBuffer.wrap(h), 0, flags, id, seq, ts);
        return h;
    }

    private static byte[] frame(final long id, final int flags, final long seq, final byte[] payload)
    {
        return concat(header(flags, id, seq, seq * 960), payload);
    }

    /** A frame as a peer wraps RTP: HOP and HOP_RTP, then the datagram. */
    private static byte[] wrap(final long id, final byte[] datagram)
    {
        return concat(header(FrameFlyweight.HOP_WRAPPED_FLAGS, id, 0, 0), datagram);
    }

    private static byte[] rtp(final long ssrc, final int seq, final long ts, final byte[] payload)
    {
        final ByteBuffer bb = ByteBuffer.allocate(12 + payload.length).order(ByteOrder.BIG_ENDIAN);
        bb.put((byte)0x80).put((byte)0x78).putShort((short)seq).putInt((int)ts).putInt((int)ssrc).put(payload);
        return bb.array();
    }

    private static byte[] rtcp(final long ssrc)
    {
        final ByteBuffer bb = ByteBuffer.allocate(28).order(ByteOrder.BIG_ENDIAN);
        bb.put((byte)0x80).put((byte)200).putShort((short)6).putInt((int)ssrc);
        while (bb.hasRemaining())
        {
            bb.put((byte)0x5A);
        }
        return bb.array();
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void waitFor(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError(what + ": not within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
