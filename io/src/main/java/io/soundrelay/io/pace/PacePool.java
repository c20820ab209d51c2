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

import java.util.Arrays;

/**
 * The node's places for datagrams that pacing holds, shared by every paced route: at most {@code PACE_MAX_HELD}, so
 * held datagrams are bounded node-wide whatever the routes ask, and never held in the receive ring (a held copy frees
 * its ring slot at once, so a stream sent far ahead cannot starve the receiver). The bookkeeping of all
 * {@code PACE_MAX_HELD} places is allocated when the first paced route arrives (20 B a place); the places' memory
 * ({@code MAX_DATAGRAM_BYTES} each) in chunks of {@link #CHUNK} as the node's peak number of held datagrams grows,
 * never given back: memory follows the peak, a datagram allocates nothing once the peak is reached, and a node
 * that paces nothing allocates none. Router thread only.
 */
public final class PacePool
{
    /** Places allocated at once when the pool grows. */
    public static final int CHUNK = 256;

    private final int maxHeld;
    private final int maxDatagramBytes;
    private final RelayCounters counters;
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

    private boolean grow()
    {
        final int have = allocated;
        final int add = Math.min(CHUNK, maxHeld - have);
        if (add <= 0)
        {
            return false;
        }
        final RelaySlot[] chunk;
        try
        {
            chunk = RelaySlotFactory.standalone(add, maxDatagramBytes);
        }
        catch (final OutOfMemoryError ex)
        {
            return false; // no direct memory left: as full as PACE_MAX_HELD, and the routes' datagrams leave unpaced
        }
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
