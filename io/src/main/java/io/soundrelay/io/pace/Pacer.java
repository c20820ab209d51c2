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
import io.soundrelay.io.ring.RelaySlot;

import java.util.concurrent.TimeUnit;

/**
 * Plays one route's datagrams out on the stream's own media clock (PROTOCOL.md section 10), so a source that sends
 * ahead, in bursts, after a pause of its own, reaches its targets one frame per frame time.
 * <p>
 * The first datagram anchors the clock, {@code (departure, timestamp)}, and leaves at once; each later one is due at
 * {@code anchor departure + (timestamp - anchor timestamp) / 48 kHz}, the timestamp being the RTP packet's or the
 * SoundRelay frame's u32 (compared as a signed 32-bit difference, so wrap-around is seamless). Each departure moves
 * the anchor to the departed datagram on the same line, so the difference never grows past one hold. Held datagrams
 * are kept in order of timestamp, then sequence (wrap-safe), which absorbs reordering; one equal to a held one, or to
 * the last that left, is a duplicate and dropped. The edges, each counted:
 * <ul>
 *   <li>due more than {@code pace_ms} ahead ({@link ReanchorReason#AHEAD}): what is held leaves at once, in order,
 *   and the datagram anchors the clock anew;</li>
 *   <li>already due by more than {@link #BEHIND_TOLERANCE_NS} ({@link ReanchorReason#BEHIND}): it leaves at once and
 *   anchors the clock, so the ones after it are spaced from now, not sent in a burst; a datagram late by less leaves
 *   at once and keeps the clock, which absorbs the source's scheduling noise without drifting;</li>
 *   <li>no place left, the route's ({@link #capacityFor}) or the node's ({@link PacePool})
 *   ({@link ReanchorReason#FULL}): what is held leaves at once, in order, and the datagram anchors the clock anew.</li>
 * </ul>
 * An older datagram than the last that left cannot be put in order any more: it leaves at once, clock untouched;
 * older by more than {@link #JUMP_BACK_NS} the timestamps jumped back, and it re-anchors as behind, after what is held
 * has left.
 * <p>
 * With a playout delay (the route's {@code jitter_ms}, when it asks for both: pacing then does the jitter buffer's
 * job) each anchor is placed that much later than the datagram's arrival, so every datagram has that much slack
 * before it counts as behind, and reordering within it is undone.
 * <p>
 * Time is passed in, never read: a test drives the schedule with its own clock. Router thread only; no allocation
 * after construction (held datagrams are copied into the {@link PacePool}'s places).
 */
public final class Pacer
{
    /** The media clock of Opus, of Discord's RTP timestamps and of the SoundRelay header. */
    public static final int CLOCK_RATE = 48_000;
    /** The frame time a route's place count is sized by. */
    public static final int FRAME_MS = 20;
    /** Lateness that leaves at once without moving the clock; later than this re-anchors. */
    public static final long BEHIND_TOLERANCE_NS = TimeUnit.MILLISECONDS.toNanos(2);

    /**
     * How much older than the last datagram that left one may be and still count as a straggler (it leaves at once,
     * clock kept); older still is a jump of the timestamps back, which re-anchors ({@link ReanchorReason#BEHIND}).
     */
    public static final long JUMP_BACK_NS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Where paced datagrams go: the router.
     */
    public interface Sink
    {
        /**
         * A datagram leaves now. The slot stays untouched until the next {@link #flush()}.
         *
         * @param slot   holding it: the receive ring's slot, or a place of the pool.
         * @param offset where the bytes to send start.
         * @param length how many to send.
         * @param dueNs  when it was due: its lateness is now minus this (negative when it leaves early).
         */
        void depart(RelaySlot slot, int offset, int length, long dueNs);

        /**
         * The clock started over.
         *
         * @param reason why.
         */
        void reanchored(ReanchorReason reason);

        /**
         * @return how many times the sender has flushed.
         */
        long flushGeneration();

        /**
         * Send what is queued.
         */
        void flush();
    }

    private final PacePool pool;
    private final int capacity;
    private final int[] place;
    private final int[] heldTs;
    private final int[] heldSeq;
    private final int[] heldOffset;
    private final int[] heldLength;
    private int head;
    private int count;
    private int sequenceBits = 16;

    private long leadNs;
    private long playoutNs;
    private boolean anchored;
    private long anchorNs;
    private int anchorTs;
    private boolean departed;
    private int lastTs;
    private int lastSeq;

    /**
     * @param paceMs   how far ahead of its clock the source may send, in milliseconds.
     * @param jitterMs the playout delay of each anchor, in milliseconds (0 for none).
     * @return the most datagrams a route with these settings may hold: one per 20 ms frame of both, plus two.
     */
    public static int capacityFor(final int paceMs, final int jitterMs)
    {
        return (paceMs + jitterMs) / FRAME_MS + 2;
    }

    /**
     * @param pool     the node's places for held datagrams.
     * @param capacity most datagrams this route holds at once.
     * @param leadNs   {@code pace_ms} in nanoseconds: how far ahead the source may send.
     * @param playoutNs delay of each anchor past its datagram's arrival ({@code jitter_ms}), usually 0.
     */
    public Pacer(final PacePool pool, final int capacity, final long leadNs, final long playoutNs)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.pool = pool;
        this.capacity = capacity;
        this.place = new int[capacity];
        this.heldTs = new int[capacity];
        this.heldSeq = new int[capacity];
        this.heldOffset = new int[capacity];
        this.heldLength = new int[capacity];
        timing(leadNs, playoutNs);
    }

    /**
     * Change the lead and playout delay (a PUT that keeps the capacity); what is held is retimed on the next anchor.
     *
     * @param leadNs    {@code pace_ms} in nanoseconds.
     * @param playoutNs {@code jitter_ms} in nanoseconds.
     */
    public void timing(final long leadNs, final long playoutNs)
    {
        if (leadNs <= 0 || playoutNs < 0)
        {
            throw new IllegalArgumentException("leadNs must be positive and playoutNs not negative");
        }
        this.leadNs = leadNs;
        this.playoutNs = playoutNs;
    }

    /**
     * @return most datagrams this route holds at once.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * Take one datagram of the stream: it leaves now (through the sink) or is held until due.
     *
     * @param slot         holding it, in the receive ring; copied if held, so the ring slot is free on return.
     * @param timestamp    its media timestamp, u32 on the 48 kHz clock.
     * @param sequence     its sequence number.
     * @param sequenceBits 16 (RTP) or 32 (SoundRelay frame).
     * @param offset       where the bytes to send start in the slot.
     * @param length       how many bytes to send.
     * @param nowNs        monotonic now.
     * @param sink         where datagrams leave to.
     * @return {@link ErrorReason#DUPLICATE} when dropped as a duplicate, else null.
     */
    public ErrorReason offer(
        final RelaySlot slot,
        final long timestamp,
        final long sequence,
        final int sequenceBits,
        final int offset,
        final int length,
        final long nowNs,
        final Sink sink)
    {
        final int ts = (int)timestamp;
        final int seq = (int)sequence;
        this.sequenceBits = sequenceBits;
        poll(nowNs, sink); // what is due leaves before this one

        if (!anchored)
        {
            anchor(nowNs, ts);
            return place(slot, ts, seq, offset, length, nowNs, sink);
        }
        if (departed)
        {
            final int vsLast = compare(ts, seq, lastTs, lastSeq);
            if (vsLast == 0)
            {
                return ErrorReason.DUPLICATE;
            }
            if (vsLast < 0)
            {
                if (samplesToNs(lastTs - ts) <= JUMP_BACK_NS)
                {
                    sink.depart(slot, offset, length, dueNs(ts)); // too late to put in order: on at once, clock kept
                    return null;
                }
                // The timestamps jumped back (the source started over): a new clock, after what the old one held.
                sink.reanchored(ReanchorReason.BEHIND);
                releaseAll(sink);
                anchor(nowNs, ts);
                departed = false;
                return place(slot, ts, seq, offset, length, nowNs, sink);
            }
        }

        final long dueNs = dueNs(ts);
        if (dueNs - nowNs > leadNs + playoutNs)
        {
            sink.reanchored(ReanchorReason.AHEAD);
            releaseAll(sink);
            anchor(nowNs, ts);
        }
        else if (nowNs - dueNs > BEHIND_TOLERANCE_NS)
        {
            // Whatever is older than this one was due earlier still, and left in the poll above: what is held is
            // newer, and is retimed from the new anchor.
            sink.reanchored(ReanchorReason.BEHIND);
            anchor(nowNs, ts);
        }
        return place(slot, ts, seq, offset, length, nowNs, sink);
    }

    /**
     * Send what is due.
     *
     * @param nowNs monotonic now.
     * @param sink  where datagrams leave to.
     * @return how many left.
     */
    public int poll(final long nowNs, final Sink sink)
    {
        int released = 0;
        while (count > 0)
        {
            final long dueNs = dueNs(heldTs[head]);
            if (dueNs - nowNs > 0)
            {
                break;
            }
            departHead(dueNs, sink);
            released++;
        }
        return released;
    }

    /**
     * Send everything held now, in order (the route stops pacing, is handed off, or the node stops).
     *
     * @param sink where datagrams leave to.
     * @return how many left.
     */
    public int releaseAll(final Sink sink)
    {
        final int released = count;
        while (count > 0)
        {
            departHead(dueNs(heldTs[head]), sink);
        }
        return released;
    }

    /**
     * Drop everything held, unsent (the route is gone), and forget the clock.
     */
    public void clear()
    {
        while (count > 0)
        {
            pool.give(place[head], Long.MIN_VALUE);
            head = next(head);
            count--;
        }
        head = 0;
        anchored = false;
        departed = false;
    }

    /**
     * @return when the next held datagram is due, or {@link Long#MAX_VALUE} when none is held.
     */
    public long nextDeadlineNs()
    {
        return count == 0 ? Long.MAX_VALUE : dueNs(heldTs[head]);
    }

    /**
     * @return datagrams held.
     */
    public int held()
    {
        return count;
    }

    private ErrorReason place(
        final RelaySlot slot,
        final int ts,
        final int seq,
        final int offset,
        final int length,
        final long nowNs,
        final Sink sink)
    {
        long dueNs = dueNs(ts);
        if (dueNs - nowNs <= 0 && (count == 0 || compare(ts, seq, heldTs[head], heldSeq[head]) < 0))
        {
            leave(slot, ts, seq, offset, length, dueNs, sink);
            return null;
        }

        // Where it goes, from the newest back: in order, that is at once.
        int after = count;
        while (after > 0)
        {
            final int i = index(after - 1);
            final int c = compare(ts, seq, heldTs[i], heldSeq[i]);
            if (c == 0)
            {
                return ErrorReason.DUPLICATE;
            }
            if (c > 0)
            {
                break;
            }
            after--;
        }

        int taken = count == capacity ? -1 : pool.take(sink);
        if (taken < 0)
        {
            sink.reanchored(ReanchorReason.FULL);
            releaseAll(sink);
            anchor(nowNs, ts);
            dueNs = dueNs(ts);
            if (dueNs - nowNs <= 0 || (taken = pool.take(sink)) < 0)
            {
                leave(slot, ts, seq, offset, length, dueNs, sink); // no place anywhere: on unpaced
                return null;
            }
            after = 0;
        }

        pool.slot(taken).copyFrom(slot);

        for (int k = count; k > after; k--) // shift the newer ones one place back
        {
            final int from = index(k - 1);
            final int into = index(k);
            place[into] = place[from];
            heldTs[into] = heldTs[from];
            heldSeq[into] = heldSeq[from];
            heldOffset[into] = heldOffset[from];
            heldLength[into] = heldLength[from];
        }
        final int i = index(after);
        place[i] = taken;
        heldTs[i] = ts;
        heldSeq[i] = seq;
        heldOffset[i] = offset;
        heldLength[i] = length;
        count++;
        return null;
    }

    private void leave(
        final RelaySlot slot, final int ts, final int seq, final int offset, final int length, final long dueNs,
        final Sink sink)
    {
        sink.depart(slot, offset, length, dueNs);
        departedAt(ts, seq, dueNs);
    }

    private void departHead(final long dueNs, final Sink sink)
    {
        final int h = head;
        final int taken = place[h];
        sink.depart(pool.slot(taken), heldOffset[h], heldLength[h], dueNs);
        pool.give(taken, sink.flushGeneration());
        departedAt(heldTs[h], heldSeq[h], dueNs);
        head = next(h);
        count--;
    }

    private void departedAt(final int ts, final int seq, final long dueNs)
    {
        // The anchor follows the departures along the same line: the difference to it stays small, so 32-bit wrap
        // never matters, however long the stream runs.
        anchorTs = ts;
        anchorNs = dueNs;
        departed = true;
        lastTs = ts;
        lastSeq = seq;
    }

    private void anchor(final long nowNs, final int ts)
    {
        anchored = true;
        anchorNs = nowNs + playoutNs;
        anchorTs = ts;
    }

    private long dueNs(final int ts)
    {
        return anchorNs + samplesToNs(ts - anchorTs);
    }

    /**
     * @param samples a signed difference of 48 kHz timestamps.
     * @return the same in nanoseconds.
     */
    public static long samplesToNs(final int samples)
    {
        return samples * 1_000_000_000L / CLOCK_RATE;
    }

    private int compare(final int ts, final int seq, final int otherTs, final int otherSeq)
    {
        final int byTs = ts - otherTs;
        if (byTs != 0)
        {
            return byTs;
        }
        return sequenceBits == 16 ? (short)(seq - otherSeq) : seq - otherSeq;
    }

    private int index(final int k)
    {
        final int i = head + k;
        return i >= capacity ? i - capacity : i;
    }

    private int next(final int i)
    {
        return i + 1 == capacity ? 0 : i + 1;
    }
}
