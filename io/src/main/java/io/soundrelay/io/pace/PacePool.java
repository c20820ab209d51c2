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

import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's places for datagrams that pacing holds, shared by every paced route: at most {@code PACE_MAX_HELD}, so
 * held datagrams are bounded node-wide whatever the routes ask, and never held in the receive ring (a held copy frees
 * its ring slot at once, so a stream sent far ahead cannot starve the receiver). The bookkeeping of all
 * {@code PACE_MAX_HELD} places is made with the pool (20 B a place, on the heap).
 * <p>
 * The places' memory ({@code MAX_DATAGRAM_BYTES} each) is never allocated by the router: the thread that asks for a
 * paced route (the control plane) {@link #provision(int) provisions} it before the route's command is queued, in
 * chunks of {@link #CHUNK}, until the pool has as many places as all paced routes together may hold (their pacers'
 * capacities, at most {@code PACE_MAX_HELD}); the router takes the chunks in when it runs out of free places. So no
 * data-plane thread can end up in {@code Bits.reserveMemory}'s {@code System.gc()}; memory is never given back, and
 * a node that paces nothing allocates none. When the JVM has no direct memory left, the pool stays short and a
 * route's datagrams leave unpaced as when {@code PACE_MAX_HELD} is reached. Taking and giving places: router thread
 * only; provisioning: any other thread.
 */
public final class PacePool
{
    /** Places allocated at once when the pool grows. */
    public static final int CHUNK = 256;

    private final int maxHeld;
    private final int maxDatagramBytes;
    private RelayCounters counters;
    /** Chunks provisioned, on their way to the router. */
    private final ManyToOneConcurrentArrayQueue<RelaySlot[]> arrivals;
    /** Places provisioned so far, arrived or not; written under the lock by provisioning threads. */
    private int provisioned;
    /** What the paced routes may hold together: their pacers' capacities. Written by the router. */
    private volatile int pacedCapacity;
    /** Capacities of paced routes provisioned for whose commands the router has not applied yet. */
    private final AtomicInteger pending = new AtomicInteger();
    private final RelaySlot[] slots;
    private final long[] releasedGeneration;
    private final int[] free;
    private int allocated;
    private int freeCount;
    private int inUse;

    /**
     * @param maxHeld          PACE_MAX_HELD: most places, all routes together.
     * @param maxDatagramBytes MAX_DATAGRAM_BYTES: the size of a place.
     * @param counters         where the held-datagrams gauge is kept, or null.
     */
    public PacePool(final int maxHeld, final int maxDatagramBytes, final RelayCounters counters)
    {
        if (maxHeld < 1)
        {
            throw new IllegalArgumentException("maxHeld must be at least 1: " + maxHeld);
        }
        this.maxHeld = maxHeld;
        this.maxDatagramBytes = maxDatagramBytes;
        this.counters = counters;
        // The bookkeeping for every place now (20 B each), the places' memory as the peak grows.
        this.slots = new RelaySlot[maxHeld];
        this.releasedGeneration = new long[maxHeld];
        this.free = new int[maxHeld];
        this.arrivals = new ManyToOneConcurrentArrayQueue<>(maxHeld / CHUNK + 2);
    }

    /**
     * Make sure the pool has places for what the paced routes may hold with one more pacer of {@code capacity}
     * (a route created, restored or changed), up to {@code PACE_MAX_HELD}: allocate the missing ones, in chunks of
     * {@link #CHUNK}, and hand them to the router. Not on a data-plane thread: it allocates off-heap memory.
     *
     * @param capacity the new pacer's capacity ({@link Pacer#capacityFor(int, int)}).
     */
    public synchronized void provision(final int capacity)
    {
        // The routes the router runs, and those asked for and not yet applied (this one too): their commands may
        // reach the router in any order. A command that was applied, or never queued, is taken off by applied().
        final int target = (int)Math.min(maxHeld, (long)pacedCapacity + pending.addAndGet(capacity));
        while (provisioned < target)
        {
            final int add = Math.min(CHUNK, maxHeld - provisioned);
            final RelaySlot[] chunk;
            try
            {
                chunk = RelaySlotFactory.standalone(add, maxDatagramBytes, "pacing's places (PACE_MAX_HELD)");
            }
            catch (final IllegalArgumentException ex)
            {
                return; // no direct memory left: the pool stays short, and datagrams leave unpaced when it is full
            }
            if (!arrivals.offer(chunk)) // never more chunks than fit: PACE_MAX_HELD / CHUNK in all
            {
                throw new IllegalStateException("more pacing places provisioned than PACE_MAX_HELD");
            }
            provisioned += add;
        }
    }

    /**
     * A command {@link #provision(int) provisioned} for was applied by the router (its pacer, if made, now counts in
     * {@link #pacedCapacity(int)}), or was never queued. Any thread; allocates nothing.
     *
     * @param capacity what was provisioned for it.
     */
    public void applied(final int capacity)
    {
        pending.addAndGet(-capacity);
    }

    /**
     * @param counters where the held-datagrams gauge is kept: the router's own (one writer). Before the router runs.
     */
    public void counters(final RelayCounters counters)
    {
        this.counters = counters;
    }

    /**
     * The paced routes' capacities changed (a pacer made, resized or dropped). Router thread only.
     *
     * @param delta places added (a new pacer's capacity) or removed (negative).
     */
    public void pacedCapacity(final int delta)
    {
        pacedCapacity += delta; // one writer: the router
    }

    /**
     * Take a free place. When the place's last datagram may still be queued in the sender (released in the current
     * flush generation) the sender flushes first, so it is never overwritten before it left.
     *
     * @param sink the router: its flush generation and flush.
     * @return the place's index, or -1 when all {@code PACE_MAX_HELD} are in use.
     */
    public int take(final Pacer.Sink sink)
    {
        if (freeCount == 0 && !grow())
        {
            return -1;
        }
        final int index = free[--freeCount];
        if (releasedGeneration[index] == sink.flushGeneration())
        {
            sink.flush();
        }
        inUse++;
        if (counters != null)
        {
            counters.addPaceHeld(1);
        }
        return index;
    }

    /**
     * Give a place back.
     *
     * @param index      the place.
     * @param generation the sink's flush generation when its datagram was queued to send, or {@link Long#MIN_VALUE}
     *                   when it was dropped unsent.
     */
    public void give(final int index, final long generation)
    {
        releasedGeneration[index] = generation;
        free[freeCount++] = index;
        inUse--;
        if (counters != null)
        {
            counters.addPaceHeld(-1);
        }
    }

    /**
     * @param index a place taken.
     * @return its slot.
     */
    public RelaySlot slot(final int index)
    {
        return slots[index];
    }

    /**
     * @return places holding a datagram.
     */
    public int inUse()
    {
        return inUse;
    }

    /**
     * @return places allocated so far.
     */
    public int allocated()
    {
        return allocated;
    }

    /**
     * @return PACE_MAX_HELD.
     */
    public int maxHeld()
    {
        return maxHeld;
    }

    /**
     * Take in a chunk the control plane provisioned, if one arrived: allocates nothing.
     */
    private boolean grow()
    {
        final RelaySlot[] chunk = arrivals.poll();
        if (chunk == null)
        {
            return false; // as full as PACE_MAX_HELD: the routes' datagrams leave unpaced
        }
        final int have = allocated;
        final int add = chunk.length;
        System.arraycopy(chunk, 0, slots, have, add);
        Arrays.fill(releasedGeneration, have, have + add, Long.MIN_VALUE);
        for (int i = have + add - 1; i >= have; i--)
        {
            free[freeCount++] = i;
        }
        allocated = have + add;
        return true;
    }
}
