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

import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's slots for the datagrams jitter buffers hold, shared by every route: at most {@code JITTER_MAX_HELD}
 * reserved at once, all routes together, so jitter buffers are bounded node-wide whatever the routes ask.
 * <p>
 * Who does what: a buffer is {@link #take(int, long) taken} on the thread that asks for the route (the control
 * plane), before its command reaches the router; that thread also allocates the off-heap memory when no freed slots
 * are left. The router only {@link #give(JitterBuffer) gives} buffers back, which puts their slots on a preallocated
 * queue: no data-plane thread ever allocates direct memory for a jitter buffer, so none can end up in
 * {@code Bits.reserveMemory}'s {@code System.gc()} and sleep. Memory follows the node's peak of reserved slots and
 * is never given back: a node that buffers nothing allocates nothing, and toggling {@code jitter_ms} reuses the same
 * slots. Thread-safe.
 */
public final class JitterPool
{
    private static final Logger LOG = LoggerFactory.getLogger(JitterPool.class);
    private static final long WARNING_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

    private final int maxHeld;
    private final int maxDatagramBytes;
    private final AtomicInteger reserved = new AtomicInteger();
    private final AtomicInteger allocated = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastWarningNs = new AtomicLong();
    /** Freed slots: offered by the router (and a proxy whose command did not fit), polled under the take lock. */
    private final ManyToOneConcurrentArrayQueue<RelaySlot> free;

    /**
     * @param maxHeld          JITTER_MAX_HELD: most slots reserved at once, all routes together; 0 refuses every
     *                         buffer.
     * @param maxDatagramBytes MAX_DATAGRAM_BYTES: the size of a slot.
     */
    public JitterPool(final int maxHeld, final int maxDatagramBytes)
    {
        if (maxHeld < 0)
        {
            throw new IllegalArgumentException("maxHeld must not be negative: " + maxHeld);
        }
        this.maxHeld = maxHeld;
        this.maxDatagramBytes = maxDatagramBytes;
        // Room for every slot twice (8 B a place, on the heap): a give never finds it full, never waits on a taker.
        this.free = new ManyToOneConcurrentArrayQueue<>(Math.max(2, 2 * maxHeld));
    }

    /**
     * Reserve a jitter buffer for {@code jitter_ms}. Not on a data-plane thread: it may allocate off-heap memory.
     * Takers queue on this object's lock (the queue has one consumer at a time); the router never takes it.
     *
     * @param jitterMs the route's jitter_ms, above 0.
     * @param holdNs   jitter_ms in nanoseconds.
     * @return the buffer, or null when the pool cannot give one (the JITTER_MAX_HELD bound, or no direct memory
     * left).
     */
    public synchronized JitterBuffer take(final int jitterMs, final long holdNs)
    {
        final int capacity = JitterBuffer.capacityFor(jitterMs);
        if (!reserve(capacity))
        {
            return null;
        }
        final RelaySlot[] slots = new RelaySlot[capacity];
        int have = 0;
        while (have < capacity)
        {
            final RelaySlot slot = free.poll();
            if (slot != null)
            {
                slots[have++] = slot;
                continue;
            }
            // None free: new memory, but never more slots than JITTER_MAX_HELD in all. When all are allocated, the
            // reservation says enough are free, one being given back by the router right now.
            final int before = allocated.get();
            final int add = Math.min(capacity - have, maxHeld - before);
            if (add <= 0)
            {
                Thread.onSpinWait();
            }
            else if (allocated.compareAndSet(before, before + add))
            {
                final RelaySlot[] fresh;
                try
                {
                    fresh = RelaySlotFactory.standalone(add, maxDatagramBytes, "a jitter buffer (JITTER_MAX_HELD)");
                }
                catch (final IllegalArgumentException | OutOfMemoryError ex)
                {
                    final long nowNs = System.nanoTime();
                    final long last = lastWarningNs.get();
                    if ((last == 0 || nowNs - last >= WARNING_INTERVAL_NS) && lastWarningNs.compareAndSet(last, nowNs))
                    {
                        LOG.warn("jitter buffers refused below JITTER_MAX_HELD: {}", ex.getMessage());
                    }
                    allocated.addAndGet(-add);
                    for (int i = 0; i < have; i++)
                    {
                        free.offer(slots[i]);
                    }
                    reserved.addAndGet(-capacity);
                    return null; // no direct memory left: refused like a full pool, and nothing else is harmed
                }
                System.arraycopy(fresh, 0, slots, have, add);
                have += add;
            }
        }
        return new JitterBuffer(slots, holdNs);
    }

    /**
     * Give a buffer's slots back. Allocates nothing: the router calls it, after a flush, so nothing it released is
     * still queued in the sender when the slots are taken again.
     *
     * @param buffer one {@link #take(int, long) taken} from this pool.
     */
    public void give(final JitterBuffer buffer)
    {
        final RelaySlot[] slots = buffer.slots();
        for (final RelaySlot slot : slots)
        {
            if (!free.offer(slot))
            {
                throw new IllegalStateException("a jitter buffer given back twice, or not taken from this pool");
            }
        }
        reserved.addAndGet(-slots.length);
    }

    /**
     * @return JITTER_MAX_HELD.
     */
    public int maxHeld()
    {
        return maxHeld;
    }

    /**
     * @return slots reserved by buffers now.
     */
    public int reserved()
    {
        return reserved.get();
    }

    /**
     * @return slots whose memory was allocated so far (never more than JITTER_MAX_HELD).
     */
    public int allocated()
    {
        return allocated.get();
    }

    /**
     * Count a route refused because it could not have its buffer (a POST or PUT answered 503). Any thread.
     */
    public void countRefusal()
    {
        refused.incrementAndGet();
    }

    /**
     * @return routes refused a buffer so far.
     */
    public long refused()
    {
        return refused.get();
    }

    private boolean reserve(final int capacity)
    {
        while (true)
        {
            final int now = reserved.get();
            if (now + capacity > maxHeld)
            {
                return false;
            }
            if (reserved.compareAndSet(now, now + capacity))
            {
                return true;
            }
        }
    }
}
