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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.protocol.FrameFlyweight;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.transport.ReceiveAdapter;
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

import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Handing a datagram from the receive thread to the router thread through the production ring: the
 * {@code RingBuffer<RelaySlot>} of {@link DataPlane#newRing(int, int)} (single producer, busy-spin wait strategy,
 * RING_SIZE slots of MAX_DATAGRAM_BYTES + 1 rounded to 64), filled by the production
 * {@link ReceiveAdapter#onDatagram} (tryNext, copy into the slot, stamp source and receive time, publish; a full
 * ring drops and counts {@code ring_full}, never waits) and drained by an {@link EventPoller} registered as
 * {@link RouterAgent} registers its own. The consumer's handler stands in for the router: it reads the slot's
 * length, receive time, source port and first 8 bytes (pulling the slot's first cache line to its core), and counts;
 * it does not route. This is the hand-off of {@code TRANSPORT=io_uring} and of {@code DATA_PLANE_THREADS=2}; with
 * one data-plane thread (the default) the same thread receives and routes, and no datagram crosses cores. Each
 * datagram is a 180-byte SoundRelay frame (160-byte payload) in a pooled direct Netty buffer, as Netty's read path
 * (the fallback) hands it over; the same buffer and source address every time.
 * <p>
 * Two benchmarks:
 * <ul>
 *   <li>{@code handoff} ({@code publish} + {@code poll}), throughput: one producer and one consumer thread on the
 *       same ring. A {@code publish} op is one {@code onDatagram}, published or dropped; a {@code poll} op is one
 *       {@link EventPoller#poll} call that handles every entry published so far (none, when the ring is empty).
 *       The aux counters {@code published}, {@code ringFull} and {@code handedOff} are datagrams per second.</li>
 *   <li>{@code publishAndPoll}, average time: one thread publishes one datagram and polls it back. The ring's
 *       cost per datagram with no cross-core traffic; every op still writes the next of RING_SIZE slots (24 MiB
 *       at the defaults), so it includes the cache misses of the copy.</li>
 * </ul>
 * Reading {@code handoff} on a 2-core machine: the two threads need a core each, and share them with JMH's
 * threads, the JIT and anything else running. The group's primary score adds publish ops to poll ops and means
 * nothing; read the per-method lines and the counters. While both threads have a core, {@code handedOff/s} is the
 * ring's cross-core throughput (cache lines of the slot, the cursor and the consumer's sequence moving between
 * cores), {@code published} and {@code handedOff} agree and {@code ringFull} stays near 0. When the OS
 * time-slices them onto one core, the producer fills the ring while the consumer is off-core
 * ({@code ringFull/s} climbs, {@code publish} ops/s includes those cheap drops) and the consumer's polls then
 * handle thousands of entries each; {@code poll} ops/s counts mostly empty polls when the consumer is ahead. So
 * a large {@code ringFull} here is a scheduling artefact of a shared 2-core box, not a ring that is too small;
 * compare {@code publishAndPoll} for the cost without the other core.
 */
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class RingHandoffBenchmark
{
    static final int MAX_DATAGRAM_BYTES = Configuration.MAX_DATAGRAM_BYTES_DEFAULT;
    static final int PAYLOAD_BYTES = 160;
    static final int DATAGRAM_BYTES = FrameFlyweight.HEADER_LENGTH + PAYLOAD_BYTES;
    static final long STREAM_ID = 0x5EED_0007L;

    /**
     * The ring both threads of a {@code handoff} group share, with the production receiver on it and one poller.
     */
    @State(Scope.Group)
    public static class SharedRing
    {
        /** RING_SIZE; the default is Configuration's (16,384). */
        @Param({ "16384" })
        public int ringSize;

        Handoff handoff;

        @Setup(Level.Trial)
        public void setup() throws Exception
        {
            handoff = new Handoff(ringSize);
        }

        /**
         * Prints the counters; does not release the datagram buffer: JMH runs this on whichever thread of the
         * group ends first, while the other may still be in its last op (JMH's warm-down), and the fork exits
         * right after.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            System.out.println();
            System.out.println(handoff.summary());
        }
    }

    /**
     * The producer's counters, per second. Derived from the production counters the receiver keeps (received and
     * ring_full), so the op itself counts nothing the receiver does not.
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
     * Receive thread: one datagram into the ring, published or dropped as ring_full.
     */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public void publish(final SharedRing ring, final ProducerCounters counters)
    {
        final Handoff handoff = ring.handoff;
        handoff.receiver.onDatagram(handoff.datagram, handoff.source);
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

        Handoff handoff;
        private final ThreadAllocation allocation = new ThreadAllocation("publish+poll");

        @Setup(Level.Trial)
        public void setup() throws Exception
        {
            handoff = new Handoff(ringSize);
        }

        @Setup(Level.Iteration)
        public void startIteration()
        {
            allocation.start(handoff.handler.handled);
        }

        @TearDown(Level.Iteration)
        public void endIteration()
        {
            System.out.println();
            System.out.println(allocation.stop(handoff.handler.handled));
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            final String summary = handoff.summary();
            final long received = handoff.counters.received();
            final long handled = handoff.handler.handled;
            handoff.close();
            System.out.println();
            System.out.println(summary);
            if (handled != received || handoff.counters.errors(ErrorReason.RING_FULL) != 0)
            {
                throw new IllegalStateException("publishAndPoll: every op must hand off exactly one datagram: " +
                    summary);
            }
        }
    }

    /**
     * Publish one datagram and poll it back on the same thread.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public EventPoller.PollState publishAndPoll(final OwnRing ring) throws Exception
    {
        final Handoff handoff = ring.handoff;
        handoff.receiver.onDatagram(handoff.datagram, handoff.source);
        return handoff.poller.poll(handoff.handler);
    }

    /**
     * A ring as the data plane builds it, the production receiver publishing into it and a poller draining it.
     */
    static final class Handoff
    {
        final RingBuffer<RelaySlot> ring;
        final RelayCounters counters = new RelayCounters();
        final ReceiveAdapter receiver;
        final EventPoller<RelaySlot> poller;
        final SlotReader handler = new SlotReader();
        final ByteBuf datagram;
        final InetSocketAddress source = new InetSocketAddress("127.0.0.1", 5004);

        Handoff(final int ringSize) throws Exception
        {
            ring = DataPlane.newRing(ringSize, MAX_DATAGRAM_BYTES);
            // As RouterAgent's constructor registers itself: the producer may not overtake the poller.
            poller = ring.newPoller();
            ring.addGatingSequences(poller.getSequence());
            receiver = new ReceiveAdapter(ring, counters);

            datagram = PooledByteBufAllocator.DEFAULT.directBuffer(DATAGRAM_BYTES, DATAGRAM_BYTES);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[DATAGRAM_BYTES]);
            FrameFlyweight.writeHeader(frame, 0, FrameFlyweight.KIND_OPUS, STREAM_ID, 1, 960);
            for (int b = 0; b < PAYLOAD_BYTES; b++)
            {
                frame.putByte(FrameFlyweight.HEADER_LENGTH + b, (byte)b);
            }
            datagram.writeBytes(frame.byteArray());
            trial(frame);
        }

        /**
         * Hand one datagram over and fail unless the consumer got it whole, stamped, from the right source.
         */
        private void trial(final UnsafeBuffer expected) throws Exception
        {
            receiver.onDatagram(datagram, source);
            if (counters.received() != 1 || counters.errors(ErrorReason.RING_FULL) != 0 || ring.getCursor() != 0)
            {
                throw new IllegalStateException("trial datagram not published: " + summary());
            }
            final RelaySlot slot = ring.get(0);
            if (slot.length != DATAGRAM_BYTES || slot.senderPort != source.getPort() || slot.receiveNs == 0 ||
                slot.buffer().getLong(FrameFlyweight.STREAM_ID_OFFSET, ByteOrder.BIG_ENDIAN) != STREAM_ID)
            {
                throw new IllegalStateException("trial datagram not copied into the slot as sent");
            }
            for (int b = 0; b < DATAGRAM_BYTES; b++)
            {
                if (slot.buffer().getByte(b) != expected.getByte(b))
                {
                    throw new IllegalStateException("trial datagram differs from what was sent at byte " + b);
                }
            }
            if (poller.poll(handler) != EventPoller.PollState.PROCESSING || handler.handled != 1 ||
                poller.poll(handler) != EventPoller.PollState.IDLE)
            {
                throw new IllegalStateException("trial datagram not handed to the consumer once: " + summary());
            }
        }

        String summary()
        {
            // Plain appends: an indy string concatenation bootstraps on first use and allocates hundreds of KB
            // inside the last iteration's -prof gc window.
            return new StringBuilder(160)
                .append("ringSize=").append(ring.getBufferSize())
                .append(" datagram=").append(datagram.getClass().getSimpleName())
                .append(" received=").append(counters.received())
                .append(" ring_full=").append(counters.errors(ErrorReason.RING_FULL))
                .append(" handed_off=").append(handler.handled)
                .append(" backlog=").append(ring.getBufferSize() - ring.remainingCapacity())
                .toString();
        }

        void close()
        {
            datagram.release();
        }
    }

    /**
     * Stands in for {@link RouterAgent#onEvent}: reads what the router reads first (length, time, source port, first bytes), counts.
     */
    static final class SlotReader implements EventPoller.Handler<RelaySlot>
    {
        long handled;
        long checksum;

        public boolean onEvent(final RelaySlot slot, final long sequence, final boolean endOfBatch)
        {
            checksum += slot.length + slot.receiveNs + slot.senderPort + slot.buffer().getLong(0);
            handled++;
            return true;
        }
    }
}
