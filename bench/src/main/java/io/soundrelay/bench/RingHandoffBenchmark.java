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
package io.soundrelay.bench;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.receive.EpollReceiver;
import io.soundrelay.io.receive.NioReceiver;
import io.soundrelay.io.receive.RingWriter;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.Transport;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Handing datagrams from the receive thread to the router thread through the production ring: the
 * {@code RingBuffer<RelaySlot>} of {@link DataPlane#newRing(int, int)} (single producer, busy-spin wait strategy,
 * RING_SIZE slots of MAX_DATAGRAM_BYTES + 1 rounded to 64), filled through the production {@link RingWriter} as the
 * receivers fill it ({@link EpollReceiver}, {@link NioReceiver}), and drained by an
 * {@link EventPoller} registered as {@link RouterAgent} registers its own.
 * <p>
 * The producer, {@link SlotProducer}, is what a receiver does around its receive system call, without the socket:
 * {@code freeSlots(batch)}; with none free, the batch is dropped and counted {@code ring_full} (never waited for);
 * otherwise, for each free slot up to {@code batch}, the datagram is copied into {@code freeSlot(i)} (standing in for
 * the kernel's copy in {@code recvmmsg}) and the slot stamped with its
 * length, the batch's receive time (one clock read per batch), the socket it came in on and the sender's address and
 * port; then {@code publish(n)} publishes them as one range and {@code received} is counted. The consumer's handler
 * stands in for the router: it reads what the router reads first (the slot's socket and whether it is a relay port,
 * length, receive time, sender port, first 8 bytes, pulling the slot's first cache line to its core), and counts; it
 * does not route (see {@link HotPathBenchmark}). This is the hand-off of {@code DATA_PLANE_THREADS=2}
 * ({@link DataPlane.ThreadingMode#DEDICATED}) on every transport; with one thread (the default) the same thread
 * receives and routes, and no datagram crosses cores. Each datagram is a 180-byte SoundRelay frame (160-byte
 * payload) from one direct buffer, one sender and one socket (a NIO {@link RelaySocket} on 127.0.0.1 that receives
 * nothing: only its reference is stamped).
 * <p>
 * {@code batch} (1 or 32; RECEIVE_BATCH's default is 32) is the most datagrams one receive call takes: 32 is a busy
 * main socket, 1 is what a receiver finds on a relay port that holds one datagram (a port per stream, each ready
 * with one). Two benchmarks:
 * <ul>
 *   <li>{@code handoff} ({@code publish} + {@code poll}), throughput: one producer and one consumer thread on the
 *       same ring. A {@code publish} op is one receive call: up to {@code batch} datagrams published, or
 *       {@code batch} dropped; a {@code poll} op is one {@link EventPoller#poll} call that handles every entry
 *       published so far (none, when the ring is empty). The aux counters {@code published}, {@code ringFull} and
 *       {@code handedOff} are datagrams per second.</li>
 *   <li>{@code publishAndPoll}, average time: one thread makes one receive call of {@code batch} datagrams and
 *       polls them back. The ring's cost without cross-core traffic, per call: divide by {@code batch} for a
 *       datagram. Every datagram still writes the next of RING_SIZE slots (24 MiB at the defaults), so it includes
 *       the cache misses of the copy.</li>
 * </ul>
 * Reading {@code handoff} on a 2-core machine: the two threads need a core each, and share them with JMH's
 * threads, the JIT and anything else running. The group's primary score adds publish ops to poll ops and means
 * nothing; read the per-method lines and the counters. While both threads have a core, {@code handedOff/s} is the
 * ring's cross-core throughput (cache lines of the slot, the cursor and the consumer's sequence moving between
 * cores), {@code published} and {@code handedOff} agree and {@code ringFull} stays near 0. When the OS
 * time-slices them onto one core, the producer fills the ring while the consumer is off-core
 * ({@code ringFull/s} climbs, and a dropped batch here costs no copy, where a real receiver still takes it off the
 * socket) and the consumer's polls then handle thousands of entries each; {@code poll} ops/s counts mostly empty
 * polls when the consumer is ahead. So a large {@code ringFull} here is a scheduling artefact of a shared 2-core
 * box, not a ring that is too small; compare {@code publishAndPoll} for the cost without the other core.
 */
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED" })
public class RingHandoffBenchmark
{
    static final int MAX_DATAGRAM_BYTES = Configuration.MAX_DATAGRAM_BYTES_DEFAULT;
    static final int PAYLOAD_BYTES = 160;
    static final int DATAGRAM_BYTES = FrameFlyweight.HEADER_LENGTH + PAYLOAD_BYTES;
    static final long STREAM_ID = 0x5EED_0007L;
    static final int SENDER_PORT = 5004;

    /**
     * The ring both threads of a {@code handoff} group share, with the producer on it and one poller.
     */
    @State(Scope.Group)
    public static class SharedRing
    {
        /** RING_SIZE; the default is Configuration's (16,384). */
        @Param({ "16384" })
        public int ringSize;

        /** Most datagrams per receive call. */
        @Param({ "1", "32" })
        public int batch;

        Handoff handoff;

        @Setup(Level.Trial)
        public void setup() throws Exception
        {
            handoff = new Handoff(ringSize, batch);
        }

        /**
         * Prints the counters; does not close the socket: JMH runs this on whichever thread of the group ends
         * first, while the other may still be in its last op (JMH's warm-down), and the fork exits right after.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            System.out.println();
            System.out.println(handoff.summary());
        }
    }

    /**
     * The producer's counters, per second. Derived from the production counters the producer keeps as a receiver
     * does (received and ring_full), so the op itself counts nothing a receiver does not.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class ProducerCounters
    {
        /** Datagrams published into the ring. */
        public long published;
        /** Datagrams dropped because the ring was full. */
        public long ringFull;

        private RelayCounters counters;
        private long receivedAtStart;
        private long ringFullAtStart;

        @Setup(Level.Iteration)
        public void start(final SharedRing ring)
        {
            counters = ring.handoff.counters;
            receivedAtStart = counters.received();
            ringFullAtStart = counters.errors(ErrorReason.RING_FULL);
            published = 0;
            ringFull = 0;
        }

        @TearDown(Level.Iteration)
        public void stop()
        {
            ringFull = counters.errors(ErrorReason.RING_FULL) - ringFullAtStart;
            published = counters.received() - receivedAtStart - ringFull;
        }
    }

    /**
     * The consumer's counter, per second, and its handler.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class ConsumerCounters
    {
        /** Entries the consumer took from the ring. */
        public long handedOff;

        private Handoff handoff;
        private long handledAtStart;

        @Setup(Level.Iteration)
        public void start(final SharedRing ring)
        {
            handoff = ring.handoff;
            handledAtStart = handoff.handler.handled;
            handedOff = 0;
        }

        @TearDown(Level.Iteration)
        public void stop()
        {
            handedOff = handoff.handler.handled - handledAtStart;
        }
    }

    /**
     * Receive thread: one receive call, its datagrams published or dropped as ring_full.
     */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int publish(final SharedRing ring, final ProducerCounters counters)
    {
        return ring.handoff.producer.receive();
    }

    /**
     * Router thread: one poll, handling every entry published since the last.
     */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public EventPoller.PollState poll(final SharedRing ring, final ConsumerCounters counters) throws Exception
    {
        final Handoff handoff = ring.handoff;
        return handoff.poller.poll(handoff.handler);
    }

    /**
     * One thread's own ring, for {@code publishAndPoll}.
     */
    @State(Scope.Thread)
    public static class OwnRing
    {
        /** RING_SIZE; the default is Configuration's (16,384). */
        @Param({ "16384" })
        public int ringSize;

        /** Datagrams per receive call. */
        @Param({ "1", "32" })
        public int batch;

        Handoff handoff;
        private final ThreadAllocation allocation = new ThreadAllocation("publish+poll");

        @Setup(Level.Trial)
        public void setup() throws Exception
        {
            handoff = new Handoff(ringSize, batch);
        }

        @Setup(Level.Iteration)
        public void startIteration()
        {
            allocation.start(handoff.handler.handled / batch); // one op hands off exactly one batch
        }

        @TearDown(Level.Iteration)
        public void endIteration()
        {
            System.out.println();
            System.out.println(allocation.stop(handoff.handler.handled / batch));
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException
        {
            final String summary = handoff.summary();
            final long received = handoff.counters.received();
            final long handled = handoff.handler.handled;
            handoff.close();
            System.out.println();
            System.out.println(summary);
            if (handled != received || handoff.counters.errors(ErrorReason.RING_FULL) != 0)
            {
                throw new IllegalStateException("publishAndPoll: every op must hand off exactly one batch: " +
                    summary);
            }
        }
    }

    /**
     * One receive call of {@code batch} datagrams, polled back on the same thread.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public EventPoller.PollState publishAndPoll(final OwnRing ring) throws Exception
    {
        final Handoff handoff = ring.handoff;
        handoff.producer.receive();
        return handoff.poller.poll(handoff.handler);
    }

    /**
     * What a receiver does after its receive call returned: into the free slots through {@link RingWriter}, copy and
     * stamp each, publish them as one range, count; with no free slot, drop the batch and count it ring_full. The
     * copy stands in for the kernel's; the datagram, sender and socket are the same every time.
     */
    static final class SlotProducer
    {
        private final RingWriter ring;
        private final RelayCounters counters;
        private final NanoClock clock;
        private final int batch;
        private final UnsafeBuffer datagram;
        private final int length;
        private final RelaySocket socket;
        private final byte[] senderAddress = new byte[16];
        private final int senderPort;

        SlotProducer(
            final RingWriter ring,
            final RelayCounters counters,
            final NanoClock clock,
            final int batch,
            final UnsafeBuffer datagram,
            final int length,
            final RelaySocket socket,
            final InetSocketAddress sender)
        {
            this.ring = ring;
            this.counters = counters;
            this.clock = clock;
            this.batch = batch;
            this.datagram = datagram;
            this.length = length;
            this.socket = socket;
            final byte[] raw = sender.getAddress().getAddress();
            Endpoint.toIpv6Mapped(raw, 0, raw.length, senderAddress);
            this.senderPort = sender.getPort();
        }

        /**
         * @return datagrams taken: published, or dropped as ring_full.
         */
        int receive()
        {
            final int free = ring.freeSlots(batch);
            if (free == 0)
            {
                counters.addReceived(batch);
                counters.addError(ErrorReason.RING_FULL, batch);
                return batch;
            }
            final long nowNs = clock.nanoTime();
            for (int i = 0; i < free; i++)
            {
                final RelaySlot slot = ring.freeSlot(i);
                slot.buffer().putBytes(0, datagram, 0, length);
                slot.length = length;
                slot.receiveNs = nowNs;
                slot.socket = socket;
                System.arraycopy(senderAddress, 0, slot.senderAddress, 0, 16);
                slot.senderPort = senderPort;
            }
            counters.addReceived(free);
            ring.publish(free);
            return free;
        }
    }

    /**
     * A ring as the data plane builds it, a producer publishing into it as a receiver does, and a poller draining it.
     */
    static final class Handoff
    {
        final RingBuffer<RelaySlot> ring;
        final RelayCounters counters = new RelayCounters();
        final int batch;
        final RelaySocket socket;
        final SlotProducer producer;
        final EventPoller<RelaySlot> poller;
        final SlotReader handler = new SlotReader();
        final InetSocketAddress source = new InetSocketAddress("127.0.0.1", SENDER_PORT);

        Handoff(final int ringSize, final int batch) throws Exception
        {
            this.batch = batch;
            ring = DataPlane.newRing(ringSize, MAX_DATAGRAM_BYTES);
            // As RouterAgent's constructor registers itself: the producer may not overtake the poller.
            poller = ring.newPoller();
            ring.addGatingSequences(poller.getSequence());
            socket = RelaySocket.open(Transport.NIO, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                RelaySocket.MAIN_BUFFER_BYTES, false);

            final UnsafeBuffer datagram = new UnsafeBuffer(ByteBuffer.allocateDirect(DATAGRAM_BYTES));
            FrameFlyweight.writeHeader(datagram.byteBuffer(), 0, FrameFlyweight.KIND_OPUS, STREAM_ID, 1, 960);
            for (int b = 0; b < PAYLOAD_BYTES; b++)
            {
                datagram.putByte(FrameFlyweight.HEADER_LENGTH + b, (byte)b);
            }
            producer = new SlotProducer(new RingWriter(ring), counters, SystemNanoClock.INSTANCE, batch, datagram,
                DATAGRAM_BYTES, socket, source);
            trial(datagram);
        }

        /**
         * Hand one batch over and fail unless the consumer got every datagram whole, stamped, once.
         */
        private void trial(final UnsafeBuffer expected) throws Exception
        {
            if (producer.receive() != batch || counters.received() != batch ||
                counters.errors(ErrorReason.RING_FULL) != 0 || ring.getCursor() != batch - 1)
            {
                throw new IllegalStateException("trial batch not published: " + summary());
            }
            for (int i = 0; i < batch; i++)
            {
                final RelaySlot slot = ring.get(i);
                if (slot.length != DATAGRAM_BYTES || slot.senderPort != SENDER_PORT || slot.receiveNs == 0 ||
                    slot.socket != socket || !Endpoint.of(source).matches(slot.senderAddress, slot.senderPort) ||
                    slot.buffer().getLong(FrameFlyweight.STREAM_ID_OFFSET, ByteOrder.BIG_ENDIAN) != STREAM_ID)
                {
                    throw new IllegalStateException("trial datagram " + i + " not copied and stamped as received");
                }
                for (int b = 0; b < DATAGRAM_BYTES; b++)
                {
                    if (slot.buffer().getByte(b) != expected.getByte(b))
                    {
                        throw new IllegalStateException("trial datagram " + i + " differs at byte " + b);
                    }
                }
            }
            if (poller.poll(handler) != EventPoller.PollState.PROCESSING || handler.handled != batch ||
                poller.poll(handler) != EventPoller.PollState.IDLE)
            {
                throw new IllegalStateException("trial batch not handed to the consumer once: " + summary());
            }
        }

        String summary()
        {
            // Plain appends: an indy string concatenation bootstraps on first use and allocates hundreds of KB
            // inside the last iteration's -prof gc window.
            return new StringBuilder(160)
                .append("ringSize=").append(ring.getBufferSize())
                .append(" batch=").append(batch)
                .append(" received=").append(counters.received())
                .append(" ring_full=").append(counters.errors(ErrorReason.RING_FULL))
                .append(" handed_off=").append(handler.handled)
                .append(" backlog=").append(ring.getBufferSize() - ring.remainingCapacity())
                .toString();
        }

        void close() throws IOException
        {
            socket.close();
        }
    }

    /**
     * Stands in for {@link RouterAgent#onEvent}: reads what the router reads first (the socket and whether it is a
     * relay port, length, time, source port, first bytes), counts.
     */
    static final class SlotReader implements EventPoller.Handler<RelaySlot>
    {
        long handled;
        long checksum;

        public boolean onEvent(final RelaySlot slot, final long sequence, final boolean endOfBatch)
        {
            final RelaySocket in = slot.socket;
            checksum += slot.length + slot.receiveNs + slot.senderPort + slot.buffer().getLong(0) +
                (in != null && in.isRelayPort() ? 1 : 0);
            handled++;
            return true;
        }
    }
}
