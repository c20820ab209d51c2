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
package io.soundrelay.io.pace;

import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.ReanchorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pacer driven by a hand-stepped clock: RTP packets in ring-like slots, and a sink that reads each departing datagram's timestamp and sequence from
 * its bytes when it departs and again when it is "sent" on flush, so a place reused too early shows up.
 */
class PacerTest
{
    private static final int MAX_DATAGRAM_BYTES = 1500;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long T0 = TimeUnit.SECONDS.toNanos(1000);
    private static final int FRAME = 960;
    private static final int RTP = 16;

    private final RelaySlot[] ring = RelaySlotFactory.standalone(1024, MAX_DATAGRAM_BYTES);
    private int nextSlot;
    private final RelayCounters counters = new RelayCounters();
    private final Recorder sink = new Recorder();
    private long now = T0;

    /** One datagram as it left: what its bytes said then, when it was due and when it left. */
    private static final class Departure
    {
        final int ts;
        final int seq;
        final long dueNs;
        final long atNs;

        Departure(final int ts, final int seq, final long dueNs, final long atNs)
        {
            this.ts = ts;
            this.seq = seq;
            this.dueNs = dueNs;
            this.atNs = atNs;
        }

        public String toString()
        {
            return "ts=" + Integer.toUnsignedString(ts) + " seq=" + seq + " due=" + dueNs + " at=" + atNs;
        }
    }

    private final class Recorder implements Pacer.Sink
    {
        final List<Departure> departed = new ArrayList<>();
        final List<RelaySlot> queued = new ArrayList<>();
        final List<Departure> queuedAs = new ArrayList<>();
        final List<ReanchorReason> reanchors = new ArrayList<>();
        long generation;
        int flushes;

        public void depart(final RelaySlot slot, final int offset, final int length, final long dueNs)
        {
            final Departure d = new Departure(ts(slot), seq(slot), dueNs, now);
            departed.add(d);
            queued.add(slot);
            queuedAs.add(d);
        }

        public void reanchored(final ReanchorReason reason)
        {
            reanchors.add(reason);
            counters.addReanchor(reason);
        }

        public long flushGeneration()
        {
            return generation;
        }

        public void flush()
        {
            for (int i = 0; i < queued.size(); i++)
            {
                final RelaySlot slot = queued.get(i);
                assertEquals(queuedAs.get(i).ts, ts(slot), "a queued datagram was overwritten before it was sent");
                assertEquals(queuedAs.get(i).seq, seq(slot), "a queued datagram was overwritten before it was sent");
            }
            queued.clear();
            queuedAs.clear();
            generation++;
            flushes++;
        }
    }

    private static int ts(final RelaySlot slot)
    {
        return slot.buffer().getInt(4, ByteOrder.BIG_ENDIAN);
    }

    private static int seq(final RelaySlot slot)
    {
        return slot.buffer().getShort(2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    private RelaySlot rtp(final long ts, final int seq)
    {
        if (nextSlot == ring.length)
        {
            sink.flush(); // the receive ring hands a slot out again only after the router sent what it held
            nextSlot = 0;
        }
        final RelaySlot ring = this.ring[nextSlot++];
        ring.buffer().setMemory(0, 60, (byte)0);
        ring.buffer().putByte(0, (byte)0x80);
        ring.buffer().putByte(1, (byte)0x78);
        ring.buffer().putShort(2, (short)seq, ByteOrder.BIG_ENDIAN);
        ring.buffer().putInt(4, (int)ts, ByteOrder.BIG_ENDIAN);
        ring.buffer().putInt(8, 0x1234_5678, ByteOrder.BIG_ENDIAN);
        ring.length = 60;
        ring.receiveNs = now;
        return ring;
    }

    private ErrorReason offer(final Pacer pacer, final long ts, final int seq)
    {
        return pacer.offer(rtp(ts, seq), ts, seq, RTP, 0, 60, now, sink);
    }

    private void stepTo(final Pacer pacer, final long atNs)
    {
        // Poll at every deadline on the way, as the router's duty cycle does.
        while (pacer.nextDeadlineNs() - atNs <= 0)
        {
            now = Math.max(now, pacer.nextDeadlineNs());
            pacer.poll(now, sink);
        }
        now = atNs;
        pacer.poll(now, sink);
    }

    private static Pacer pacer(final PacePool pool, final int paceMs)
    {
        return new Pacer(pool, Pacer.capacityFor(paceMs, 0), paceMs * MS, 0);
    }

    private PacePool pool(final int max)
    {
        final PacePool pool = new PacePool(max, MAX_DATAGRAM_BYTES, counters);
        pool.provision(max); // as the control plane does for the routes it asks for
        return pool;
    }

    @Test
    void firstLeavesAtOnceAndABurstLeavesOnePerFrameTime()
    {
        final Pacer pacer = pacer(pool(64), 500);
        for (int k = 0; k < 15; k++)
        {
            assertNull(offer(pacer, 1000 + (long)k * FRAME, k));
        }
        assertEquals(1, sink.departed.size(), "only the first left at once");
        assertEquals(14, pacer.held());
        assertEquals(14, counters.paceHeld());
        stepTo(pacer, T0 + 400 * MS);
        assertEquals(15, sink.departed.size());
        for (int k = 0; k < 15; k++)
        {
            final Departure d = sink.departed.get(k);
            assertEquals(1000 + k * FRAME, d.ts);
            assertEquals(T0 + k * 20 * MS, d.dueNs, "frame " + k + " is due 20 ms after the one before");
            assertEquals(d.dueNs, d.atNs, "and left then");
        }
        assertEquals(0, counters.paceHeld());
        assertTrue(sink.reanchors.isEmpty());
    }

    @Test
    void aStallAndBurstSourceComesOutEven()
    {
        final Pacer pacer = pacer(pool(64), 500);
        int frame = 0;
        for (int burst = 0; burst < 10; burst++)
        {
            now = T0 + burst * 300 * MS;
            pacer.poll(now, sink);
            for (int k = 0; k < 15; k++, frame++)
            {
                assertNull(offer(pacer, (long)frame * FRAME, frame));
            }
            stepTo(pacer, T0 + (burst + 1) * 300 * MS - 1);
        }
        stepTo(pacer, T0 + 4000 * MS);
        assertEquals(150, sink.departed.size());
        for (int k = 1; k < 150; k++)
        {
            assertEquals(k, sink.departed.get(k).seq, "in order");
            assertEquals(20 * MS, sink.departed.get(k).atNs - sink.departed.get(k - 1).atNs, "one per 20 ms");
        }
        assertTrue(sink.reanchors.isEmpty(), sink.reanchors.toString());
    }

    @Test
    void reorderingIsUndoneByTimestampThenSequence()
    {
        final Pacer pacer = pacer(pool(64), 500);
        offer(pacer, 0, 10);
        offer(pacer, 3 * FRAME, 13);
        offer(pacer, FRAME, 11);
        offer(pacer, 2 * FRAME, 12);
        // Same timestamp, sequence decides, across the 16-bit wrap: 65535 before 0.
        offer(pacer, 5 * FRAME, 0);
        offer(pacer, 5 * FRAME, 65535);
        offer(pacer, 4 * FRAME, 14);
        stepTo(pacer, T0 + 200 * MS);
        final int[] seqs = sink.departed.stream().mapToInt(d -> d.seq).toArray();
        assertEquals(List.of(10, 11, 12, 13, 14, 65535, 0), box(seqs));
    }

    @Test
    void duplicatesAreDropped()
    {
        final Pacer pacer = pacer(pool(64), 500);
        assertNull(offer(pacer, 0, 1));
        assertEquals(ErrorReason.DUPLICATE, offer(pacer, 0, 1), "the one that left");
        assertNull(offer(pacer, FRAME, 2));
        assertEquals(ErrorReason.DUPLICATE, offer(pacer, FRAME, 2), "a held one");
        stepTo(pacer, T0 + 100 * MS);
        assertEquals(2, sink.departed.size());
    }

    @Test
    void tooFarAheadReanchorsAndWhatIsHeldLeavesInOrder()
    {
        final Pacer pacer = pacer(pool(64), 100);
        offer(pacer, 0, 0);
        offer(pacer, FRAME, 1);
        offer(pacer, 2 * FRAME, 2);
        assertEquals(2, pacer.held());
        now += 5 * MS;
        // Due 200 ms from the anchor, 195 ms from now: more than pace_ms 100 ahead.
        offer(pacer, 10 * FRAME, 3);
        assertEquals(List.of(ReanchorReason.AHEAD), sink.reanchors);
        assertEquals(List.of(0, 1, 2, 3), box(sink.departed.stream().mapToInt(d -> d.seq).toArray()));
        assertEquals(0, pacer.held());
        // The jump anchored the clock: the next frame is due one frame time after it.
        offer(pacer, 11 * FRAME, 4);
        stepTo(pacer, now + 20 * MS);
        assertEquals(T0 + 25 * MS, sink.departed.get(4).atNs);
        assertEquals(1, counters.reanchors(ReanchorReason.AHEAD));
    }

    @Test
    void alreadyDueLeavesAtOnceAndReanchorsSoNoBurstFollows()
    {
        final Pacer pacer = pacer(pool(64), 500);
        offer(pacer, 0, 0);
        now = T0 + 300 * MS; // the source stalled 300 ms with nothing sent ahead
        for (int k = 1; k <= 15; k++)
        {
            offer(pacer, (long)k * FRAME, k);
        }
        assertEquals(List.of(ReanchorReason.BEHIND), sink.reanchors);
        assertEquals(2, sink.departed.size(), "the late one left at once, the rest wait their turn");
        stepTo(pacer, T0 + 600 * MS);
        for (int k = 2; k <= 15; k++)
        {
            assertEquals(T0 + 300 * MS + (k - 1) * 20 * MS, sink.departed.get(k).atNs, "spaced from the new anchor");
        }
    }

    @Test
    void slightlyLateLeavesAtOnceAndKeepsTheClock()
    {
        final Pacer pacer = pacer(pool(64), 500);
        offer(pacer, 0, 0);
        now = T0 + 21 * MS; // 1 ms late, within the 2 ms tolerance
        offer(pacer, FRAME, 1);
        offer(pacer, 2 * FRAME, 2);
        stepTo(pacer, T0 + 100 * MS);
        assertTrue(sink.reanchors.isEmpty());
        assertEquals(T0 + 21 * MS, sink.departed.get(1).atNs);
        assertEquals(T0 + 40 * MS, sink.departed.get(2).atNs, "on the old clock");
    }

    @Test
    void timestampsJumpingBackStartANewClock()
    {
        final Pacer pacer = pacer(pool(64), 500);
        offer(pacer, 100_000, 0);
        offer(pacer, 100_000 + FRAME, 1);
        now += 5 * MS;
        offer(pacer, 5, 2); // the source started over: 2 s older than the last that left
        assertEquals(List.of(ReanchorReason.BEHIND), sink.reanchors);
        assertEquals(List.of(0, 1, 2), box(sink.departed.stream().mapToInt(d -> d.seq).toArray()));
        offer(pacer, 5 + FRAME, 3);
        stepTo(pacer, now + 20 * MS);
        assertEquals(4, sink.departed.size());
        assertEquals(T0 + 25 * MS, sink.departed.get(3).atNs);
    }

    @Test
    void aStragglerOlderThanTheLastThatLeftGoesAtOnceAndKeepsTheClock()
    {
        final Pacer pacer = pacer(pool(64), 500);
        offer(pacer, 0, 0);
        offer(pacer, 2 * FRAME, 2);
        stepTo(pacer, T0 + 40 * MS);
        offer(pacer, FRAME, 1); // it came after its successor left
        offer(pacer, 3 * FRAME, 3);
        stepTo(pacer, T0 + 100 * MS);
        assertEquals(List.of(0, 2, 1, 3), box(sink.departed.stream().mapToInt(d -> d.seq).toArray()));
        assertEquals(T0 + 60 * MS, sink.departed.get(3).atNs);
        assertTrue(sink.reanchors.isEmpty());
    }

    @Test
    void thirtyTwoBitTimestampsWrapSeamlessly()
    {
        final Pacer pacer = pacer(pool(64), 500);
        final long start = 0x1_0000_0000L - 5 * FRAME;
        for (int k = 0; k < 12; k++)
        {
            offer(pacer, (start + (long)k * FRAME) & 0xFFFF_FFFFL, k);
        }
        stepTo(pacer, T0 + 400 * MS);
        assertEquals(12, sink.departed.size());
        for (int k = 0; k < 12; k++)
        {
            assertEquals(k, sink.departed.get(k).seq);
            assertEquals(T0 + k * 20 * MS, sink.departed.get(k).atNs);
        }
        assertTrue(sink.reanchors.isEmpty());
    }

    @Test
    void aLongStreamNeverOutrunsTheAnchor()
    {
        // 13 hours of 20 ms frames is more than 2^31 samples: the anchor follows the departures, so the difference
        // to it stays small.
        final Pacer pacer = pacer(pool(64), 500);
        long ts = 7;
        final int frames = 2_400_000;
        for (int k = 0; k < frames; k++)
        {
            now = T0 + k * 20 * MS;
            offer(pacer, ts & 0xFFFF_FFFFL, k & 0xFFFF);
            ts += FRAME;
            if (sink.departed.size() > 1000)
            {
                sink.departed.clear();
            }
        }
        assertTrue(sink.reanchors.isEmpty(), sink.reanchors.toString());
    }

    @Test
    void theRouteCapLetsWhatIsHeldGoAndReanchors()
    {
        final Pacer pacer = pacer(pool(64), 100); // 100 / 20 + 2 = 7 places
        assertEquals(7, pacer.capacity());
        // 10 ms frames: 8 of them held fit in the lead but not in the places.
        offer(pacer, 0, 0);
        for (int k = 1; k <= 8; k++)
        {
            offer(pacer, (long)k * 480, k);
        }
        assertEquals(List.of(ReanchorReason.FULL), sink.reanchors);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8), box(sink.departed.stream().mapToInt(d -> d.seq).toArray()),
            "the 7 held left in order, then the 8th anchored and left");
        assertEquals(0, counters.paceHeld());
    }

    @Test
    void theNodeWidePoolIsShared()
    {
        final PacePool pool = pool(4);
        final Pacer a = pacer(pool, 500);
        final Pacer b = pacer(pool, 500);
        offer(a, 0, 0);
        offer(a, FRAME, 1);
        offer(a, 2 * FRAME, 2);
        offer(a, 3 * FRAME, 3);
        offer(b, 0, 100);
        offer(b, FRAME, 101);
        assertEquals(4, pool.inUse(), "a holds 3, b 1");
        offer(b, 2 * FRAME, 102); // no place left in the pool: b lets its one go and anchors anew
        assertEquals(List.of(ReanchorReason.FULL), sink.reanchors);
        assertEquals(3, a.held());
        assertEquals(0, b.held());
        assertEquals(List.of(0, 100, 101, 102), box(sink.departed.stream().mapToInt(d -> d.seq).toArray()));
        assertTrue(pool.allocated() <= 4);
    }

    @Test
    void aPlaceIsNotReusedBeforeItsDatagramWasSent()
    {
        final PacePool pool = pool(1);
        final Pacer pacer = pacer(pool, 500);
        offer(pacer, 0, 0);
        offer(pacer, FRAME, 1);
        stepTo(pacer, T0 + 20 * MS); // the held one departs, queued but not flushed
        final int flushes = sink.flushes;
        offer(pacer, 2 * FRAME, 2); // takes the only place: the sink must flush first
        assertEquals(flushes + 1, sink.flushes);
        stepTo(pacer, T0 + 40 * MS);
        sink.flush();
        assertEquals(List.of(0, 1, 2), box(sink.departed.stream().mapToInt(d -> d.seq).toArray()));
    }

    @Test
    void clearDropsWhatIsHeldUnsent()
    {
        final PacePool pool = pool(64);
        final Pacer pacer = pacer(pool, 500);
        for (int k = 0; k < 10; k++)
        {
            offer(pacer, (long)k * FRAME, k);
        }
        pacer.clear();
        assertEquals(0, pool.inUse());
        assertEquals(0, counters.paceHeld());
        stepTo(pacer, T0 + 1000 * MS);
        assertEquals(1, sink.departed.size(), "only the first, which left at once");
        offer(pacer, 50L * FRAME, 50);
        assertEquals(2, sink.departed.size(), "after a clear the next datagram anchors anew and leaves");
    }

    @Test
    void releaseAllSendsEverythingInOrderNow()
    {
        final Pacer pacer = pacer(pool(64), 500);
        for (int k = 0; k < 10; k++)
        {
            offer(pacer, (long)k * FRAME, k);
        }
        assertEquals(9, pacer.releaseAll(sink));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), box(sink.departed.stream().mapToInt(d -> d.seq).toArray()));
        assertTrue(sink.departed.stream().allMatch(d -> d.atNs == T0));
    }

    @Test
    void aPlayoutDelayHoldsTheFirstAndGivesLateOnesSlack()
    {
        final PacePool pool = pool(64);
        final Pacer pacer = new Pacer(pool, Pacer.capacityFor(500, 60), 500 * MS, 60 * MS);
        offer(pacer, 0, 0);
        assertEquals(0, sink.departed.size(), "the anchor leaves jitter_ms after it came");
        now = T0 + 50 * MS; // frame 1 is 30 ms late for a 20 ms slot, but within the 60 ms playout delay
        offer(pacer, FRAME, 1);
        stepTo(pacer, T0 + 200 * MS);
        assertTrue(sink.reanchors.isEmpty());
        assertEquals(T0 + 60 * MS, sink.departed.get(0).atNs);
        assertEquals(T0 + 80 * MS, sink.departed.get(1).atNs);
    }

    private static List<Integer> box(final int[] values)
    {
        final List<Integer> list = new ArrayList<>();
        for (final int v : values)
        {
            list.add(v);
        }
        return list;
    }
}
