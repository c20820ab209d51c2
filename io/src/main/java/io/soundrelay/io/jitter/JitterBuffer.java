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
import org.agrona.BitUtil;

import java.util.Arrays;

/**
 * One route's jitter buffer (PROTOCOL.md section 1 step 4): releases datagrams in sequence order, holds an
 * out-of-order one at most the hold time waiting for its missing predecessors, then gives up on (skips) the gap.
 * Owned by one thread (the router); the clock is passed in as {@code nowNs} ({@link System#nanoTime()} scale,
 * compared wrap-safely), so tests control time. Nothing is allocated after construction.
 * <p>
 * Rules:
 * <ul>
 *     <li><b>Wrap-safe.</b> Each incoming sequence (16 bits for RTP, 32 for SoundRelay frames) is extended to a
 *     64-bit number relative to the next expected one, {@code nextSeq}, by the signed difference modulo
 *     2<sup>bits</sup> (serial-number arithmetic): a difference in [-2<sup>bits-1</sup>, 2<sup>bits-1</sup>) is
 *     taken as is.</li>
 *     <li><b>First datagram.</b> Released at once (a relay adds no start-up delay; it has no known predecessor);
 *     {@code nextSeq = first + 1}.</li>
 *     <li><b>In order</b> ({@code ext == nextSeq}): released at once straight from the offered slot (no copy), then
 *     the consecutive run of held ones after it.</li>
 *     <li><b>Ahead within the window</b> ({@code 0 < ext - nextSeq < capacity}): copied into a held slot and held
 *     until its predecessors arrive or its hold (arrival {@code nowNs} + hold time) expires. A second copy of a held
 *     number is {@link ErrorReason#DUPLICATE}.</li>
 *     <li><b>Burst larger than the buffer</b> ({@code ext - nextSeq >= capacity}): held ones are released and gaps
 *     skipped, in order, until it fits, then it is handled as above. A jump larger than 4 &times; capacity is a
 *     restart or a big loss: everything held is released in order and the buffer resyncs, {@code nextSeq = ext},
 *     releasing it at once (the numbers jumped over are not counted as skipped).</li>
 *     <li><b>Behind</b> ({@code ext < nextSeq}): {@link ErrorReason#DUPLICATE} if that number was released (a
 *     64-bit bitmap remembers which of the 64 numbers before {@code nextSeq} were released rather than skipped),
 *     else {@link ErrorReason#LATE} (it was skipped, or is more than 64 behind). More than
 *     4 &times; max(64, capacity) behind is a restart: release everything held, resync, release it.</li>
 *     <li><b>Sequence width change</b> (a route switching between RTP and frames): everything held is released
 *     and the buffer starts over as if this were the first datagram.</li>
 *     <li><b>Expiry</b> ({@link #poll(long, Sink)}): when any held datagram's hold expired, every held datagram up to
 *     the highest expired one is released in sequence order, skipping (counting) the gaps, then the consecutive run
 *     after it. The earliest arrival is cached, so a poll with nothing due is O(1); the window is scanned only when
 *     something may be due.</li>
 *     <li><b>Overwrite safety.</b> A released held slot is sent by the sink later, on its flush. For each held slot
 *     the sink's {@link Sink#flushGeneration()} right after its release is recorded; before a new datagram is copied
 *     into a slot whose recorded generation is still the sink's current one, {@link Sink#flush()} is called.</li>
 *     <li>Bytes are never modified. One buffer is used with one sink.</li>
 * </ul>
 */
public final class JitterBuffer
{
    private static final int MIN_CAPACITY = 8;
    private static final int MAX_CAPACITY = 128;
    /** Datagram period the capacity is sized for. */
    private static final int FRAME_MS = 20;
    /** Capacity a forward jump may exceed, times, before it is taken as a restart. */
    private static final int RESYNC_FACTOR = 4;
    /** Numbers before {@code nextSeq} whose fate (released or skipped) is remembered. */
    private static final int HISTORY = Long.SIZE;
    private static final long EMPTY = Long.MIN_VALUE;

    private final int capacity;
    private final int mask;
    private final long resyncAhead;
    private final long resyncBehind;
    private final RelaySlot[] slots;
    private final long[] heldSeq;
    private final long[] arrivalNs;
    private final long[] releasedGeneration;

    private long holdNs;
    private int sequenceBits;
    private long sequenceMask;
    private long nextSeq;
    private long releasedBitmap;
    private int held;
    private long minArrivalNs;
    private boolean minArrivalStale;
    private long gapsSkipped;

    /**
     * Window slots for a route's {@code jitter_ms}: {@code nextPow2(clamp(2 * jitterMs / 20 + 4, 8, 128))}, sized for
     * 50 datagrams a second (twice the hold's worth of 20 ms frames, plus headroom).
     *
     * @param jitterMs the route's jitter_ms.
     * @return a power of two from 8 to 128.
     */
    public static int capacityFor(final int jitterMs)
    {
        final long wanted = 2L * jitterMs / FRAME_MS + 4;
        final int clamped = (int)Math.max(MIN_CAPACITY, Math.min(MAX_CAPACITY, wanted));
        return BitUtil.findNextPositivePowerOfTwo(clamped);
    }

    /**
     * Preallocates {@code capacity} standalone {@link RelaySlot}s.
     *
     * @param capacity         window slots, a power of two (see {@link #capacityFor(int)}).
     * @param maxDatagramBytes longest datagram held.
     * @param holdNs           jitter_ms in nanoseconds: how long a datagram may wait for its predecessors.
     */
    public JitterBuffer(final int capacity, final int maxDatagramBytes, final long holdNs)
    {
        this(RelaySlotFactory.standalone(checkCapacity(capacity), maxDatagramBytes, "a jitter buffer"), holdNs);
    }

    /**
     * A buffer over slots it is given, from the node's {@link JitterPool}: the constructor allocates heap arrays only.
     *
     * @param slots  one per window place, a power of two of them (see {@link #capacityFor(int)}).
     * @param holdNs jitter_ms in nanoseconds: how long a datagram may wait for its predecessors.
     */
    public JitterBuffer(final RelaySlot[] slots, final long holdNs)
    {
        final int capacity = checkCapacity(slots.length);
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.resyncAhead = (long)RESYNC_FACTOR * capacity;
        this.resyncBehind = (long)RESYNC_FACTOR * Math.max(HISTORY, capacity);
        this.slots = slots;
        this.heldSeq = new long[capacity];
        this.arrivalNs = new long[capacity];
        this.releasedGeneration = new long[capacity];
        Arrays.fill(heldSeq, EMPTY);
        Arrays.fill(releasedGeneration, Long.MIN_VALUE);
        holdNs(holdNs);
    }

    /**
     * Change the hold time (route PUT). Applies to datagrams already held too: their hold runs from their arrival.
     *
     * @param holdNs jitter_ms in nanoseconds, not negative.
     */
    public void holdNs(final long holdNs)
    {
        if (holdNs < 0)
        {
            throw new IllegalArgumentException("holdNs must not be negative: " + holdNs);
        }
        this.holdNs = holdNs;
    }

    /**
     * @return window slots.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * @return the slots held datagrams are copied into (given back to the pool when the buffer goes).
     */
    RelaySlot[] slots()
    {
        return slots;
    }

    private static int checkCapacity(final int capacity)
    {
        if (capacity <= 0 || !BitUtil.isPowerOfTwo(capacity))
        {
            throw new IllegalArgumentException("capacity must be a positive power of two: " + capacity);
        }
        return capacity;
    }

    /**
     * Take one datagram of the route. Released datagrams go to {@link Sink#release(RelaySlot)} in sequence order: the
     * in-order datagram itself straight from {@code slot} (no copy); an out-of-order one is copied into a held slot
     * (length, receiveNs, sender, socket and bytes).
     *
     * @param slot         the datagram, a ring slot valid only during this call.
     * @param sequenceBits width of {@code sequence}: 16 for an RTP u16, 32 for a SoundRelay frame's u32.
     * @param sequence     the datagram's sequence number (bits above {@code sequenceBits} are ignored).
     * @param nowNs        monotonic now.
     * @param sink         where released datagrams go.
     * @return null when accepted (released or held), {@link ErrorReason#DUPLICATE} or {@link ErrorReason#LATE} when
     * dropped.
     */
    public ErrorReason offer(
        final RelaySlot slot, final int sequenceBits, final long sequence, final long nowNs, final Sink sink)
    {
        if (sequenceBits != 16 && sequenceBits != 32)
        {
            throw new IllegalArgumentException("sequenceBits must be 16 or 32: " + sequenceBits);
        }
        if (sequenceBits != this.sequenceBits)
        {
            releaseAll(sink);
            this.sequenceBits = sequenceBits;
            this.sequenceMask = (1L << sequenceBits) - 1;
            resync(slot, sequence & sequenceMask, sink);
            return null;
        }

        final long ext = extend(sequence);
        final long ahead = ext - nextSeq;
        if (ahead == 0)
        {
            releaseInOrder(slot, sink);
            return null;
        }

        if (ahead < 0)
        {
            final long behind = -ahead;
            if (behind > resyncBehind)
            {
                releaseAll(sink);
                resync(slot, ext, sink);
                return null;
            }
            return behind <= HISTORY && (releasedBitmap & (1L << (behind - 1))) != 0 ?
                ErrorReason.DUPLICATE : ErrorReason.LATE;
        }

        if (ahead > resyncAhead)
        {
            releaseAll(sink);
            resync(slot, ext, sink);
            return null;
        }

        if (ahead >= capacity)
        {
            advanceTo(ext - capacity + 1, sink);
            releaseRun(sink);
            if (ext == nextSeq)
            {
                releaseInOrder(slot, sink);
                return null;
            }
        }

        final int index = (int)ext & mask;
        if (heldSeq[index] == ext)
        {
            return ErrorReason.DUPLICATE;
        }
        hold(index, ext, slot, nowNs, sink);
        return null;
    }

    /**
     * Release held datagrams whose hold expired, in sequence order, skipping the gaps before them, then any
     * consecutive run after them. O(1) when nothing can be due.
     *
     * @param nowNs monotonic now.
     * @param sink  where released datagrams go.
     * @return datagrams released.
     */
    public int poll(final long nowNs, final Sink sink)
    {
        if (held == 0 || nowNs - minArrivalNs < holdNs)
        {
            return 0;
        }

        long highestExpired = EMPTY;
        for (int i = 1; i < capacity; i++)
        {
            final long ext = nextSeq + i;
            final int index = (int)ext & mask;
            if (heldSeq[index] == ext && nowNs - arrivalNs[index] >= holdNs)
            {
                highestExpired = ext;
            }
        }

        int released = 0;
        if (highestExpired != EMPTY)
        {
            released = advanceTo(highestExpired + 1, sink) + releaseRun(sink);
        }
        refreshMinArrival();
        return released;
    }

    /**
     * Release everything held, in sequence order, skipping the gaps between (route replaced with jitter off, or
     * resized). The next expected number becomes the one after the highest held.
     *
     * @param sink where released datagrams go.
     * @return datagrams released.
     */
    public int releaseAll(final Sink sink)
    {
        int released = 0;
        while (held > 0)
        {
            final int index = (int)nextSeq & mask;
            if (heldSeq[index] == nextSeq)
            {
                releaseHeld(index, sink);
                released++;
            }
            else
            {
                skip();
            }
        }
        return released;
    }

    /**
     * Forget everything held without releasing it (route deleted). The sequence state is reset too: the next
     * datagram offered is taken as a first one. {@link #gapsSkipped()} keeps counting.
     */
    public void clear()
    {
        Arrays.fill(heldSeq, EMPTY);
        held = 0;
        minArrivalStale = false;
        sequenceBits = 0;
        sequenceMask = 0;
        nextSeq = 0;
        releasedBitmap = 0;
    }

    /**
     * @return earliest {@code nowNs} at which {@link #poll(long, Sink)} releases something; {@link Long#MAX_VALUE}
     * when nothing is held.
     */
    public long nextDeadlineNs()
    {
        if (held == 0)
        {
            return Long.MAX_VALUE;
        }
        if (minArrivalStale)
        {
            refreshMinArrival();
        }
        return minArrivalNs + holdNs;
    }

    /**
     * @return datagrams held now.
     */
    public int held()
    {
        return held;
    }

    /**
     * @return sequence numbers given up on (skipped) so far.
     */
    public long gapsSkipped()
    {
        return gapsSkipped;
    }

    private long extend(final long sequence)
    {
        final long modulus = sequenceMask + 1;
        long diff = (sequence - nextSeq) & sequenceMask;
        if (diff >= modulus >>> 1)
        {
            diff -= modulus;
        }
        return nextSeq + diff;
    }

    private void resync(final RelaySlot slot, final long ext, final Sink sink)
    {
        nextSeq = ext;
        releasedBitmap = 0;
        releaseInOrder(slot, sink);
    }

    private void releaseInOrder(final RelaySlot slot, final Sink sink)
    {
        sink.release(slot);
        nextSeq++;
        releasedBitmap = (releasedBitmap << 1) | 1;
        releaseRun(sink);
    }

    private int releaseRun(final Sink sink)
    {
        int released = 0;
        while (held > 0)
        {
            final int index = (int)nextSeq & mask;
            if (heldSeq[index] != nextSeq)
            {
                break;
            }
            releaseHeld(index, sink);
            released++;
        }
        return released;
    }

    private int advanceTo(final long target, final Sink sink)
    {
        int released = 0;
        while (nextSeq < target)
        {
            final int index = (int)nextSeq & mask;
            if (heldSeq[index] == nextSeq)
            {
                releaseHeld(index, sink);
                released++;
            }
            else
            {
                skip();
            }
        }
        return released;
    }

    private void releaseHeld(final int index, final Sink sink)
    {
        sink.release(slots[index]);
        releasedGeneration[index] = sink.flushGeneration(); // after: a sink may flush inside release, before queueing
        heldSeq[index] = EMPTY;
        if (arrivalNs[index] == minArrivalNs)
        {
            minArrivalStale = true;
        }
        held--;
        nextSeq++;
        releasedBitmap = (releasedBitmap << 1) | 1;
    }

    private void skip()
    {
        nextSeq++;
        releasedBitmap <<= 1;
        gapsSkipped++;
    }

    private void hold(final int index, final long ext, final RelaySlot from, final long nowNs, final Sink sink)
    {
        final RelaySlot to = slots[index];
        if (from.storedLength() > to.capacity())
        {
            throw new IllegalArgumentException(
                "datagram of " + from.storedLength() + " bytes exceeds the jitter buffer's slot of " + to.capacity());
        }
        if (releasedGeneration[index] == sink.flushGeneration())
        {
            sink.flush(); // the slot's previous datagram may still be queued in the sender
        }
        to.copyFrom(from);
        heldSeq[index] = ext;
        arrivalNs[index] = nowNs;
        if (held == 0)
        {
            minArrivalNs = nowNs;
            minArrivalStale = false;
        }
        else if (nowNs - minArrivalNs < 0)
        {
            minArrivalNs = nowNs;
        }
        held++;
    }

    private void refreshMinArrival()
    {
        minArrivalStale = false;
        if (held == 0)
        {
            return;
        }
        boolean first = true;
        for (int i = 1; i < capacity; i++)
        {
            final long ext = nextSeq + i;
            final int index = (int)ext & mask;
            if (heldSeq[index] == ext && (first || arrivalNs[index] - minArrivalNs < 0))
            {
                minArrivalNs = arrivalNs[index];
                first = false;
            }
        }
    }

    /**
     * Where released datagrams go: the route's targets, through the sender.
     */
    public interface Sink
    {
        /**
         * Send this datagram now (queue it to the sender). For a held slot the bytes stay untouched until the sink's
         * next flush.
         *
         * @param slot holding the datagram.
         */
        void release(RelaySlot slot);

        /**
         * @return a number that increments each time the sink's sender flushes.
         */
        long flushGeneration();

        /**
         * Flush the sender now (send everything queued).
         */
        void flush();
    }
}
