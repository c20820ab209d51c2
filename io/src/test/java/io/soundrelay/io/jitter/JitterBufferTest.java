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
package io.soundrelay.io.jitter;

import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The jitter buffer driven by hand: real SoundRelay frames and RTP packets in ring-like slots, a fake clock, and a
 * sink that reads each released datagram's sequence when it is released and again, with its bytes, when it is
 * "sent" on flush, so a held slot overwritten before its send shows up.
 */
class JitterBufferTest
{
    private static final int MAX_DATAGRAM_BYTES = 1500;
    private static final int FRAMES = 32;
    private static final int RTP = 16;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long HOLD_NS = 60 * MS;
    private static final long T0 = TimeUnit.SECONDS.toNanos(1000);
    private static final long STREAM_ID = 0x5EED_0001L;
    private static final int RTP_SSRC = 0x1234_5678;

    /** Stand-in for the receive ring: slots reused round robin, each valid while the test looks at it. */
    private static final class Source
    {
        private final RelaySlot[] ring = RelaySlotFactory.standalone(256, MAX_DATAGRAM_BYTES);
        private int next;

        RelaySlot frame(final long sequence)
        {
            return fill(frameBytes(sequence), sequence);
        }

        RelaySlot rtp(final int sequence)
        {
            return fill(rtpBytes(sequence), sequence);
        }

        private RelaySlot fill(final byte[] bytes, final long sequence)
        {
            final RelaySlot slot = ring[next++ & (ring.length - 1)];
            slot.buffer().putBytes(0, bytes);
            slot.length = bytes.length;
            slot.receiveNs = 7_000 + sequence;
            return slot;
        }
    }

    /** Records releases; "sends" what was released on flush, reading the slot's bytes at that moment. */
    private static final class RecordingSink implements JitterBuffer.Sink
    {
        final List<Long> released = new ArrayList<>();
        final List<RelaySlot> releasedSlots = new ArrayList<>();
        final List<Long> sent = new ArrayList<>();
        final List<byte[]> sentBytes = new ArrayList<>();
        final List<Integer> sentLengths = new ArrayList<>();
        final List<Long> sentReceiveNs = new ArrayList<>();
        private final List<RelaySlot> queued = new ArrayList<>();
        long generation;
        int flushes;

        public void release(final RelaySlot slot)
        {
            released.add(sequenceOf(slot));
            releasedSlots.add(slot);
            queued.add(slot);
        }

        public long flushGeneration()
        {
            return generation;
        }

        /** Called by the jitter buffer: counted. */
        public void flush()
        {
            flushes++;
            send();
        }

        /** The router's end of batch: send what is queued (not counted as the buffer's flush). */
        void endOfBatch()
        {
            send();
        }

        private void send()
        {
            for (final RelaySlot slot : queued)
            {
                sent.add(sequenceOf(slot));
                final byte[] bytes = new byte[slot.storedLength()];
                slot.buffer().getBytes(0, bytes);
                sentBytes.add(bytes);
                sentLengths.add(slot.length);
                sentReceiveNs.add(slot.receiveNs);
            }
            queued.clear();
            generation++;
        }
    }

    /** Counts only: for the allocation check. */
    private static final class CountingSink implements JitterBuffer.Sink
    {
        long released;
        long generation;

        public void release(final RelaySlot slot)
        {
            released++;
        }

        public long flushGeneration()
        {
            return generation;
        }

        public void flush()
        {
            generation++;
        }
    }

    private final Source source = new Source();
    private final RecordingSink sink = new RecordingSink();

    @Test
    void capacityForSizesTwiceTheHoldOfTwentyMillisecondFramesPlusFour()
    {
        assertEquals(8, JitterBuffer.capacityFor(0));
        assertEquals(8, JitterBuffer.capacityFor(-100));
        assertEquals(8, JitterBuffer.capacityFor(20));
        assertEquals(8, JitterBuffer.capacityFor(40));
        assertEquals(16, JitterBuffer.capacityFor(60));
        assertEquals(16, JitterBuffer.capacityFor(100));
        assertEquals(32, JitterBuffer.capacityFor(200));
        assertEquals(128, JitterBuffer.capacityFor(1000));
        assertEquals(128, JitterBuffer.capacityFor(5000));
        assertEquals(128, JitterBuffer.capacityFor(Integer.MAX_VALUE));
    }

    @Test
    void rejectsCapacityThatIsNotAPowerOfTwoAndBadArguments()
    {
        assertThrows(IllegalArgumentException.class, () -> new JitterBuffer(12, MAX_DATAGRAM_BYTES, HOLD_NS));
        assertThrows(IllegalArgumentException.class, () -> new JitterBuffer(0, MAX_DATAGRAM_BYTES, HOLD_NS));
        assertThrows(IllegalArgumentException.class, () -> new JitterBuffer(8, MAX_DATAGRAM_BYTES, -1));
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        assertEquals(8, buffer.capacity());
        assertThrows(IllegalArgumentException.class, () -> buffer.offer(source.frame(1), 24, 1, T0, sink));
    }

    @Test
    void inOrderDatagramsPassStraightThroughFromTheOfferedSlot()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        final List<RelaySlot> offered = new ArrayList<>();
        for (long seq = 10; seq < 30; seq++)
        {
            final RelaySlot slot = source.frame(seq);
            offered.add(slot);
            assertNull(buffer.offer(slot, FRAMES, seq, T0 + seq * 20 * MS, sink));
            assertEquals(0, buffer.held());
        }

        assertEquals(range(10, 30), sink.released);
        for (int i = 0; i < offered.size(); i++)
        {
            assertSame(offered.get(i), sink.releasedSlots.get(i), "no copy for an in-order datagram");
        }
        assertEquals(0, buffer.gapsSkipped());
        assertEquals(Long.MAX_VALUE, buffer.nextDeadlineNs());
        assertEquals(0, buffer.poll(T0 + TimeUnit.HOURS.toNanos(1), sink));
    }

    @Test
    void reordersWithinTheWindow()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1);
        final RelaySlot three = source.frame(3);
        assertNull(buffer.offer(three, FRAMES, 3, T0, sink));
        assertEquals(List.of(1L), sink.released);
        assertEquals(1, buffer.held());

        offerFrames(buffer, T0, 2, 5, 4);

        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), sink.released);
        assertEquals(0, buffer.held());
        assertEquals(0, buffer.gapsSkipped());
        assertNotSame(three, sink.releasedSlots.get(2), "an out-of-order datagram is released from its copy");
        sink.endOfBatch();
        assertEquals(sink.released, sink.sent);
    }

    @Test
    void skipsALossGapExactlyWhenTheHoldExpires()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1);
        final long arrival = T0 + 20 * MS;
        offerFrames(buffer, arrival, 3);
        assertEquals(arrival + HOLD_NS, buffer.nextDeadlineNs());

        assertEquals(0, buffer.poll(arrival, sink));
        assertEquals(0, buffer.poll(arrival + HOLD_NS - 1, sink));
        assertEquals(List.of(1L), sink.released);
        assertEquals(0, buffer.gapsSkipped());

        assertEquals(1, buffer.poll(arrival + HOLD_NS, sink));
        assertEquals(List.of(1L, 3L), sink.released);
        assertEquals(1, buffer.gapsSkipped());
        assertEquals(0, buffer.held());
        assertEquals(Long.MAX_VALUE, buffer.nextDeadlineNs());

        assertEquals(ErrorReason.LATE, buffer.offer(source.frame(2), FRAMES, 2, arrival + HOLD_NS, sink));
        assertNull(buffer.offer(source.frame(4), FRAMES, 4, arrival + HOLD_NS, sink));
        assertEquals(List.of(1L, 3L, 4L), sink.released);
    }

    @Test
    void clockNearOverflowIsComparedWrapSafely()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        final long arrival = Long.MAX_VALUE - 10 * MS;
        offerFrames(buffer, arrival, 1, 3);
        final long deadline = arrival + HOLD_NS; // wraps negative, as System.nanoTime() may

        assertEquals(deadline, buffer.nextDeadlineNs());
        assertEquals(0, buffer.poll(Long.MAX_VALUE, sink));
        assertEquals(0, buffer.poll(deadline - 1, sink));
        assertEquals(1, buffer.poll(deadline, sink));
        assertEquals(List.of(1L, 3L), sink.released);
    }

    @Test
    void expiryReleasesEverythingUpToTheHighestExpiredThenTheRun()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        final long t1 = T0 + 20 * MS;
        final long t2 = T0 + 40 * MS;
        offerFrames(buffer, T0, 1);
        offerFrames(buffer, t1, 5);
        offerFrames(buffer, t2, 3, 6);
        assertEquals(3, buffer.held());
        assertEquals(t1 + HOLD_NS, buffer.nextDeadlineNs());

        assertEquals(0, buffer.poll(t1 + HOLD_NS - 1, sink));
        assertEquals(3, buffer.poll(t1 + HOLD_NS, sink), "3 and 6 go too: 3 precedes 5, 6 follows it");

        assertEquals(List.of(1L, 3L, 5L, 6L), sink.released);
        assertEquals(2, buffer.gapsSkipped());
        assertEquals(0, buffer.held());
    }

    @Test
    void expiryStopsAtTheNextGapWhoseHoldIsStillRunning()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        final long t1 = T0 + 20 * MS;
        final long t2 = T0 + 50 * MS;
        offerFrames(buffer, T0, 1);
        offerFrames(buffer, t1, 3);
        offerFrames(buffer, t2, 6);

        assertEquals(1, buffer.poll(t1 + HOLD_NS, sink));
        assertEquals(List.of(1L, 3L), sink.released);
        assertEquals(1, buffer.held());
        assertEquals(t2 + HOLD_NS, buffer.nextDeadlineNs());

        assertEquals(0, buffer.poll(t2 + HOLD_NS - 1, sink));
        assertEquals(1, buffer.poll(t2 + HOLD_NS, sink));
        assertEquals(List.of(1L, 3L, 6L), sink.released);
        assertEquals(3, buffer.gapsSkipped());
    }

    @Test
    void duplicatesOfHeldAndOfReleasedDatagramsAreDropped()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 2, 4);

        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(4), FRAMES, 4, T0, sink));
        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(2), FRAMES, 2, T0, sink));
        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(1), FRAMES, 1, T0, sink));
        assertEquals(1, buffer.held());
        assertEquals(List.of(1L, 2L), sink.released);

        offerFrames(buffer, T0, 3);
        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(4), FRAMES, 4, T0, sink));
        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(3), FRAMES, 3, T0, sink));
        assertEquals(List.of(1L, 2L, 3L, 4L), sink.released);
        assertEquals(0, buffer.gapsSkipped());
    }

    @Test
    void lateWhenSkippedOrBeyondTheRememberedHistory()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 2, 5);
        buffer.poll(T0 + HOLD_NS, sink); // gives up on 3 and 4
        for (long seq = 6; seq <= 100; seq++)
        {
            assertNull(buffer.offer(source.frame(seq), FRAMES, seq, T0 + HOLD_NS, sink));
        }

        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(37), FRAMES, 37, T0, sink), "64 behind");
        assertEquals(ErrorReason.LATE, buffer.offer(source.frame(36), FRAMES, 36, T0, sink), "65 behind");
        assertEquals(ErrorReason.LATE, buffer.offer(source.frame(3), FRAMES, 3, T0, sink));
        assertEquals(ErrorReason.LATE, buffer.offer(source.frame(2), FRAMES, 2, T0, sink));
        assertEquals(2, buffer.gapsSkipped());
    }

    @Test
    void wrapsAroundRtpSixteenBitSequences()
    {
        final int[] around = {65534, 65535, 0, 1};
        for (final int[] order : permutations(around))
        {
            final RecordingSink sink = new RecordingSink();
            final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
            assertNull(buffer.offer(source.rtp(65533), RTP, 65533, T0, sink));
            for (final int seq : order)
            {
                assertNull(buffer.offer(source.rtp(seq), RTP, seq, T0, sink), Arrays.toString(order));
            }
            assertNull(buffer.offer(source.rtp(2), RTP, 2, T0, sink));

            assertEquals(List.of(65533L, 65534L, 65535L, 0L, 1L, 2L), sink.released, Arrays.toString(order));
            assertEquals(0, buffer.held());
            assertEquals(0, buffer.gapsSkipped());
        }
    }

    @Test
    void wrapsAroundFrameThirtyTwoBitSequences()
    {
        final int[] around = {0, 1, 2, 3}; // 4294967294, 4294967295, 0, 1
        final long[] sequences = {4294967294L, 4294967295L, 0, 1};
        for (final int[] order : permutations(around))
        {
            final RecordingSink sink = new RecordingSink();
            final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
            assertNull(buffer.offer(source.frame(4294967293L), FRAMES, 4294967293L, T0, sink));
            for (final int i : order)
            {
                final long seq = sequences[i];
                assertNull(buffer.offer(source.frame(seq), FRAMES, seq, T0, sink), Arrays.toString(order));
            }

            assertEquals(List.of(4294967293L, 4294967294L, 4294967295L, 0L, 1L), sink.released);
            final long last = 4294967295L;
            assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(last), FRAMES, last, T0, sink));
            assertEquals(0, buffer.held());
        }
    }

    @Test
    void burstLargerThanTheBufferReleasesInOrderAndLosesNothingThatArrived()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 3, 4);
        assertEquals(2, buffer.held());

        offerFrames(buffer, T0, 22); // 20 ahead of the expected 2
        assertEquals(List.of(1L, 3L, 4L), sink.released);
        assertEquals(1, buffer.held());
        assertEquals(1 + 10, buffer.gapsSkipped(), "2 and 5..14 given up on, 15..21 still awaited");

        offerFrames(buffer, T0, 16, 15, 17, 18, 19, 20, 21, 23);
        final List<Long> expected = new ArrayList<>(List.of(1L, 3L, 4L));
        expected.addAll(range(15, 24));
        assertEquals(expected, sink.released);
        assertEquals(0, buffer.held());
        sink.endOfBatch();
        assertEquals(sink.released, sink.sent);
    }

    @Test
    void datagramJustPastAFullWindowPushesTheWindowOn()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 3, 4, 5, 6, 7, 8, 9);
        assertEquals(7, buffer.held());

        offerFrames(buffer, T0, 10);

        assertEquals(List.of(1L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), sink.released);
        assertEquals(0, buffer.held());
        assertEquals(1, buffer.gapsSkipped());
    }

    @Test
    void jumpOfFourTimesCapacityIsABurstOneMoreIsAResync()
    {
        final JitterBuffer burst = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(burst, T0, 1, 34); // 32 ahead of 2
        assertEquals(List.of(1L), sink.released);
        assertEquals(1, burst.held());
        assertEquals(25, burst.gapsSkipped());

        final RecordingSink resyncSink = new RecordingSink();
        final JitterBuffer resync = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        assertNull(resync.offer(source.frame(1), FRAMES, 1, T0, resyncSink));
        assertNull(resync.offer(source.frame(35), FRAMES, 35, T0, resyncSink)); // 33 ahead of 2
        assertEquals(List.of(1L, 35L), resyncSink.released);
        assertEquals(0, resync.held());
        assertEquals(0, resync.gapsSkipped());
    }

    @Test
    void restartAheadReleasesWhatIsHeldThenResyncs()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 2, 3, 5, 7);
        offerFrames(buffer, T0, 1000, 1001);

        assertEquals(List.of(1L, 2L, 3L, 5L, 7L, 1000L, 1001L), sink.released);
        assertEquals(2, buffer.gapsSkipped(), "4 and 6, not the numbers jumped over");
        assertEquals(0, buffer.held());
        assertEquals(ErrorReason.LATE, buffer.offer(source.frame(999), FRAMES, 999, T0, sink));
        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.frame(1000), FRAMES, 1000, T0, sink));
    }

    @Test
    void restartBehindResyncsOnlyBeyondFourTimesTheHistory()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1000, 1001, 1003);
        // 1002 expected: 256 behind is late, 257 behind is a restart.
        assertEquals(ErrorReason.LATE, buffer.offer(source.frame(746), FRAMES, 746, T0, sink));
        assertEquals(List.of(1000L, 1001L), sink.released);

        offerFrames(buffer, T0, 745, 746);
        assertEquals(List.of(1000L, 1001L, 1003L, 745L, 746L), sink.released);
        assertEquals(0, buffer.held());
        assertEquals(1, buffer.gapsSkipped());
    }

    @Test
    void restartBehindOfARtpStreamAcrossTheWrap()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        assertNull(buffer.offer(source.rtp(10), RTP, 10, T0, sink));
        assertNull(buffer.offer(source.rtp(11), RTP, 11, T0, sink));
        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.rtp(10), RTP, 10, T0, sink));
        assertEquals(ErrorReason.LATE, buffer.offer(source.rtp(65500), RTP, 65500, T0, sink), "48 behind");
        assertNull(buffer.offer(source.rtp(40000), RTP, 40000, T0, sink), "far behind: a restart");
        assertNull(buffer.offer(source.rtp(40001), RTP, 40001, T0, sink));
        assertEquals(List.of(10L, 11L, 40000L, 40001L), sink.released);
    }

    @Test
    void nextDeadlineFollowsTheEarliestHeldArrivalAndTheHoldTime()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        assertEquals(Long.MAX_VALUE, buffer.nextDeadlineNs());
        final long t1 = T0 + 20 * MS;
        final long t2 = T0 + 40 * MS;
        offerFrames(buffer, T0, 1);
        assertEquals(Long.MAX_VALUE, buffer.nextDeadlineNs());
        offerFrames(buffer, t1, 3);
        assertEquals(t1 + HOLD_NS, buffer.nextDeadlineNs());
        offerFrames(buffer, t2, 5);
        assertEquals(t1 + HOLD_NS, buffer.nextDeadlineNs());

        offerFrames(buffer, t2, 2); // releases 2 and 3: 5 is left
        assertEquals(t2 + HOLD_NS, buffer.nextDeadlineNs());
        assertEquals(0, buffer.poll(t1 + HOLD_NS, sink), "3's old deadline releases nothing");

        buffer.holdNs(20 * MS);
        assertEquals(t2 + 20 * MS, buffer.nextDeadlineNs());
        assertEquals(0, buffer.poll(t2 + 20 * MS - 1, sink));
        assertEquals(1, buffer.poll(t2 + 20 * MS, sink));
        assertEquals(Long.MAX_VALUE, buffer.nextDeadlineNs());
        assertEquals(List.of(1L, 2L, 3L, 5L), sink.released);
    }

    @Test
    void flushesBeforeReusingAHeldSlotWhosePreviousDatagramMayNotBeSent()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 3, 2); // 3 was held in slot 3 and is now queued, not sent
        assertEquals(0, sink.flushes);

        offerFrames(buffer, T0, 11); // 11 & 7 == 3: same slot

        assertEquals(1, sink.flushes, "flushed before the copy");
        assertEquals(List.of(1L, 2L, 3L), sink.sent, "3 was sent with its own bytes");
        assertArrayEquals(frameBytes(3), sink.sentBytes.get(2));

        offerFrames(buffer, T0 + 20 * MS, 12); // slot 4 never released: no flush
        assertEquals(1, sink.flushes);
        assertEquals(2, buffer.held());
    }

    @Test
    void noExtraFlushWhenTheSenderFlushedSinceTheRelease()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 3, 2);
        sink.endOfBatch();

        offerFrames(buffer, T0, 11);

        assertEquals(0, sink.flushes);
        assertEquals(List.of(1L, 2L, 3L), sink.sent);
    }

    @Test
    void flushesBeforeReusingASlotReleasedByExpiry()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 3);
        assertEquals(1, buffer.poll(T0 + HOLD_NS, sink));
        offerFrames(buffer, T0 + HOLD_NS, 5, 11); // 11 lands in 3's slot

        assertEquals(1, sink.flushes);
        sink.endOfBatch();
        assertEquals(List.of(1L, 3L), sink.sent);
        assertArrayEquals(frameBytes(3), sink.sentBytes.get(1));
    }

    @Test
    void releaseAllReleasesInOrderSkippingGaps()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 7, 3, 4);

        assertEquals(3, buffer.releaseAll(sink));

        assertEquals(List.of(1L, 3L, 4L, 7L), sink.released);
        assertEquals(3, buffer.gapsSkipped());
        assertEquals(0, buffer.held());
        assertEquals(Long.MAX_VALUE, buffer.nextDeadlineNs());
        assertEquals(0, buffer.releaseAll(sink));

        final RelaySlot eight = source.frame(8);
        assertNull(buffer.offer(eight, FRAMES, 8, T0, sink));
        assertSame(eight, sink.releasedSlots.get(4));
        assertEquals(ErrorReason.LATE, buffer.offer(source.frame(5), FRAMES, 5, T0, sink));
    }

    @Test
    void clearForgetsWithoutReleasingAndStartsOver()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 1, 3, 4);

        buffer.clear();

        assertEquals(0, buffer.held());
        assertEquals(Long.MAX_VALUE, buffer.nextDeadlineNs());
        assertEquals(0, buffer.poll(T0 + 10 * HOLD_NS, sink));
        assertEquals(0, buffer.releaseAll(sink));
        assertEquals(List.of(1L), sink.released);

        offerFrames(buffer, T0, 500, 501);
        assertEquals(List.of(1L, 500L, 501L), sink.released);
    }

    @Test
    void changingSequenceWidthReleasesEverythingAndStartsOver()
    {
        final JitterBuffer buffer = new JitterBuffer(8, MAX_DATAGRAM_BYTES, HOLD_NS);
        assertNull(buffer.offer(source.rtp(100), RTP, 100, T0, sink));
        assertNull(buffer.offer(source.rtp(102), RTP, 102, T0, sink));
        assertEquals(1, buffer.held());

        offerFrames(buffer, T0, 7, 8);
        assertEquals(List.of(100L, 102L, 7L, 8L), sink.released);
        assertEquals(1, buffer.gapsSkipped());

        assertNull(buffer.offer(source.rtp(5), RTP, 5, T0, sink));
        assertEquals(ErrorReason.DUPLICATE, buffer.offer(source.rtp(5), RTP, 5, T0, sink));
        assertEquals(List.of(100L, 102L, 7L, 8L, 5L), sink.released);
    }

    @Test
    void releasedBytesEqualTheBytesOffered()
    {
        final JitterBuffer buffer = new JitterBuffer(16, MAX_DATAGRAM_BYTES, HOLD_NS);
        offerFrames(buffer, T0, 100, 104, 102, 103, 101, 107, 106);
        assertNull(buffer.offer(source.rtp(9), RTP, 9, T0, sink));
        assertNull(buffer.offer(source.rtp(11), RTP, 11, T0, sink));
        assertNull(buffer.offer(source.rtp(10), RTP, 10, T0, sink));
        sink.endOfBatch();

        assertEquals(List.of(100L, 101L, 102L, 103L, 104L, 106L, 107L, 9L, 10L, 11L), sink.sent);
        for (int i = 0; i < sink.sent.size(); i++)
        {
            final long seq = sink.sent.get(i);
            final byte[] expected = i < 7 ? frameBytes(seq) : rtpBytes((int)seq);
            assertArrayEquals(expected, sink.sentBytes.get(i), "datagram " + seq);
            assertEquals(expected.length, sink.sentLengths.get(i));
            assertEquals(7_000 + seq, sink.sentReceiveNs.get(i), "receiveNs copied with a held datagram");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 16, 128})
    void randomPermutationsWithinTheWindowComeOutInOrderExactlyOnce(final int capacity)
    {
        for (final int bits : new int[]{RTP, FRAMES})
        {
            final Random random = new Random(42L * capacity + bits);
            final RecordingSink sink = new RecordingSink();
            final JitterBuffer buffer = new JitterBuffer(capacity, MAX_DATAGRAM_BYTES, HOLD_NS);
            final long modulus = 1L << bits;
            final long start = modulus - 700; // crosses the wrap
            final int count = 3000;
            final List<Long> expected = new ArrayList<>();
            int sinceFlush = 0;
            for (int base = 0; base < count; )
            {
                // The first datagram is released at once, so the first block is that one alone.
                final int block = base == 0 ? 1 : 1 + random.nextInt(capacity);
                final List<Long> order = new ArrayList<>();
                for (int i = 0; i < block && base + i < count; i++)
                {
                    order.add((start + base + i) & (modulus - 1));
                }
                base += order.size();
                expected.addAll(order);
                Collections.shuffle(order, random);
                for (final long seq : order)
                {
                    assertNull(buffer.offer(slotFor(bits, seq), bits, seq, T0, sink), "seq " + seq);
                    if (++sinceFlush >= 100 || random.nextInt(8) == 0)
                    {
                        sink.endOfBatch();
                        sinceFlush = 0;
                    }
                }
            }
            sink.endOfBatch();

            assertEquals(expected, sink.released, "capacity " + capacity + ", " + bits + " bits");
            assertEquals(expected, sink.sent, "every sent slot still held its own datagram");
            assertEquals(0, buffer.held());
            assertEquals(0, buffer.gapsSkipped());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 32})
    void randomPermutationsWithLossReleaseEveryArrivalInOrder(final int capacity)
    {
        final Random random = new Random(7L * capacity);
        final RecordingSink sink = new RecordingSink();
        final JitterBuffer buffer = new JitterBuffer(capacity, MAX_DATAGRAM_BYTES, HOLD_NS);
        final long modulus = 1L << FRAMES;
        final long start = modulus - 500;
        final List<Long> expected = new ArrayList<>();
        long lost = 0;
        long now = T0;
        long ext = start;
        for (int round = 0; round < 400; round++)
        {
            // The first datagram is released at once, so the first round is that one alone.
            final int block = round == 0 ? 1 : 1 + random.nextInt(capacity);
            final List<Long> order = new ArrayList<>();
            for (int i = 0; i < block; i++, ext++)
            {
                if (ext != start && random.nextInt(5) == 0)
                {
                    lost++;
                    continue;
                }
                order.add(ext);
            }
            if (order.isEmpty())
            {
                continue;
            }
            expected.addAll(order);
            Collections.shuffle(order, random);
            for (final long e : order)
            {
                final long seq = e & (modulus - 1);
                assertNull(buffer.offer(source.frame(seq), FRAMES, seq, now, sink), "seq " + seq);
                now += MS;
            }
            now += HOLD_NS;
            buffer.poll(now, sink);
            sink.endOfBatch();
            final long lastArrived = order.stream().mapToLong(Long::longValue).max().getAsLong();
            final long tail = ext - 1 - lastArrived;
            assertEquals(0, buffer.held());
            assertEquals(lost - tail, buffer.gapsSkipped(), "gaps below the highest arrival were skipped");
        }

        final List<Long> expectedRaw = new ArrayList<>();
        for (final long e : expected)
        {
            expectedRaw.add(e & (modulus - 1));
        }
        assertEquals(expectedRaw, sink.released);
        assertEquals(expectedRaw, sink.sent);
    }

    @Test
    void allocatesNothingPerDatagram()
    {
        final java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)mx;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());

        final JitterBuffer buffer = new JitterBuffer(16, MAX_DATAGRAM_BYTES, HOLD_NS);
        final CountingSink counting = new CountingSink();
        final RelaySlot[] ring = RelaySlotFactory.standalone(8, MAX_DATAGRAM_BYTES);
        final int[] shuffle = {0, 2, 1, 3, 6, 5, 4, 7};
        for (final RelaySlot slot : ring)
        {
            slot.buffer().putBytes(0, frameBytes(0));
            slot.length = frameBytes(0).length;
        }

        final int datagrams = 200_000;
        drive(buffer, counting, ring, shuffle, 0, datagrams); // warm up
        final long before = threads.getCurrentThreadAllocatedBytes();
        drive(buffer, counting, ring, shuffle, datagrams, datagrams);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertEquals(2L * datagrams - 2L * datagrams / 10, counting.released);
        assertTrue(allocated < datagrams, "allocated " + allocated + " bytes for " + datagrams + " datagrams");
    }

    private static void drive(
        final JitterBuffer buffer,
        final CountingSink sink,
        final RelaySlot[] ring,
        final int[] shuffle,
        final long first,
        final int count)
    {
        long now = T0 + first * MS;
        for (long base = first; base < first + count; base += shuffle.length)
        {
            for (int i = 0; i < shuffle.length; i++)
            {
                final long seq = base + shuffle[i];
                if (seq % 10 == 9)
                {
                    continue; // lost
                }
                final RelaySlot slot = ring[i];
                slot.buffer().putInt(FrameFlyweight.SEQUENCE_OFFSET, (int)seq, ByteOrder.BIG_ENDIAN);
                buffer.offer(slot, FRAMES, seq, now, sink);
                now += MS;
                buffer.poll(now, sink);
            }
            if ((base & 63) == 0)
            {
                sink.flush();
            }
        }
        now += HOLD_NS;
        buffer.poll(now, sink);
    }

    private void offerFrames(final JitterBuffer buffer, final long nowNs, final long... sequences)
    {
        for (final long seq : sequences)
        {
            assertNull(buffer.offer(source.frame(seq), FRAMES, seq, nowNs, sink), "frame " + seq);
        }
    }

    private RelaySlot slotFor(final int bits, final long seq)
    {
        return bits == RTP ? source.rtp((int)seq) : source.frame(seq);
    }

    private static long sequenceOf(final RelaySlot slot)
    {
        final UnsafeBuffer buffer = slot.buffer();
        if (buffer.getByte(0) == FrameFlyweight.MAGIC_0)
        {
            return new FrameFlyweight().wrap(slot.byteBuffer(), 0).sequence();
        }
        return buffer.getShort(2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** A SoundRelay frame whose payload length and bytes depend on its sequence. */
    private static byte[] frameBytes(final long sequence)
    {
        final int payload = 10 + (int)(sequence % 50);
        final byte[] bytes = new byte[FrameFlyweight.HEADER_LENGTH + payload];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        FrameFlyweight.writeHeader(
            ByteBuffer.wrap(bytes), 0, FrameFlyweight.KIND_OPUS, STREAM_ID, sequence, sequence * 960);
        for (int i = 0; i < payload; i++)
        {
            buffer.putByte(FrameFlyweight.HEADER_LENGTH + i, (byte)(sequence * 31 + i));
        }
        return bytes;
    }

    /** An RTP packet (version 2, Opus payload type) with the sequence at bytes 2-3. */
    private static byte[] rtpBytes(final int sequence)
    {
        final int payload = 20 + sequence % 40;
        final byte[] bytes = new byte[12 + payload];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        buffer.putByte(0, (byte)0x80);
        buffer.putByte(1, (byte)120);
        buffer.putShort(2, (short)sequence, ByteOrder.BIG_ENDIAN);
        buffer.putInt(4, sequence * 960, ByteOrder.BIG_ENDIAN);
        buffer.putInt(8, RTP_SSRC, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++)
        {
            buffer.putByte(12 + i, (byte)(sequence * 17 + i));
        }
        return bytes;
    }

    private static List<Long> range(final long from, final long toExclusive)
    {
        final List<Long> values = new ArrayList<>();
        for (long v = from; v < toExclusive; v++)
        {
            values.add(v);
        }
        return values;
    }

    private static List<int[]> permutations(final int[] values)
    {
        final List<int[]> out = new ArrayList<>();
        permute(values.clone(), 0, out);
        return out;
    }

    private static void permute(final int[] values, final int k, final List<int[]> out)
    {
        if (k == values.length)
        {
            out.add(values.clone());
            return;
        }
        for (int i = k; i < values.length; i++)
        {
            swap(values, k, i);
            permute(values, k + 1, out);
            swap(values, k, i);
        }
    }

    private static void swap(final int[] values, final int i, final int j)
    {
        final int t = values[i];
        values[i] = values[j];
        values[j] = t;
    }
}
