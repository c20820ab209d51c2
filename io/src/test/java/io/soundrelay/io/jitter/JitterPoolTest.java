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
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node-wide pool of jitter-buffer slots: bounded by JITTER_MAX_HELD, reused after a buffer goes, and memory that
 * follows the peak and never grows past it.
 */
class JitterPoolTest
{
    private static final int MAX_DATAGRAM_BYTES = 1500;
    private static final long HOLD_NS = TimeUnit.MILLISECONDS.toNanos(1000);

    @Test
    void buffersAreRefusedOnceJitterMaxHeldSlotsAreReservedAndTakenAgainOnceOneIsGivenBack()
    {
        final JitterPool pool = new JitterPool(300, MAX_DATAGRAM_BYTES);
        final JitterBuffer first = pool.take(1000, HOLD_NS); // 128 slots
        final JitterBuffer second = pool.take(1000, HOLD_NS);
        assertNotNull(first);
        assertNotNull(second);
        assertEquals(128, first.capacity());
        assertEquals(256, pool.reserved());

        assertNull(pool.take(1000, HOLD_NS), "a third 128 would pass 300");
        assertEquals(256, pool.reserved(), "a refused take reserves nothing");
        final JitterBuffer small = pool.take(20, HOLD_NS); // 8 slots fit in what is left
        assertNotNull(small);
        assertEquals(8, small.capacity());
        assertEquals(264, pool.reserved());

        pool.give(second);
        assertEquals(136, pool.reserved());
        final JitterBuffer again = pool.take(1000, HOLD_NS);
        assertNotNull(again, "a freed buffer's slots are reusable");
        assertEquals(264, pool.reserved());
        assertEquals(264, pool.allocated(), "taken again from the freed slots: no new memory");
    }

    @Test
    void aBufferWhoseMemoryCannotBeHadSaysSoAndNamesNoRingSize()
    {
        // 2^21 slots of 1,536 B: past one 2 GiB region, refused before anything is allocated.
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new JitterBuffer(1 << 21, MAX_DATAGRAM_BYTES, HOLD_NS));
        assertTrue(ex.getMessage().startsWith("a jitter buffer: "), ex.getMessage());
        assertFalse(ex.getMessage().contains("RING_SIZE"), ex.getMessage());
    }

    @Test
    void aPoolOfZeroRefusesEveryBufferAndAllocatesNothing()
    {
        final JitterPool pool = new JitterPool(0, MAX_DATAGRAM_BYTES);
        assertNull(pool.take(20, HOLD_NS));
        assertEquals(0, pool.allocated());
    }

    @Test
    void memoryFollowsThePeakAndTogglingReusesTheSameSlots()
    {
        final JitterPool pool = new JitterPool(4096, MAX_DATAGRAM_BYTES);
        assertEquals(0, pool.allocated(), "nothing allocated before the first buffer");
        final List<JitterBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            buffers.add(pool.take(1000, HOLD_NS));
        }
        assertEquals(1280, pool.allocated());
        final Set<RelaySlot> peak = Collections.newSetFromMap(new IdentityHashMap<>());
        for (final JitterBuffer b : buffers)
        {
            Collections.addAll(peak, b.slots());
            pool.give(b);
        }
        assertEquals(1280, peak.size(), "every buffer had slots of its own");
        assertEquals(0, pool.reserved());

        // 1,000 toggles of 10 routes between 1000 ms (128 slots) and 100 ms (16): the same slots every time.
        for (int round = 0; round < 100; round++)
        {
            buffers.clear();
            for (int i = 0; i < 10; i++)
            {
                buffers.add(pool.take(round % 2 == 0 ? 1000 : 100, HOLD_NS));
            }
            for (final JitterBuffer b : buffers)
            {
                for (final RelaySlot slot : b.slots())
                {
                    assertTrue(peak.contains(slot), "a slot of the peak's, not a new one");
                }
                pool.give(b);
            }
        }
        assertEquals(1280, pool.allocated(), "no memory past the peak");
        assertEquals(0, pool.reserved(), "nothing leaked: every slot given back");
    }

    @Test
    void aBufferFromThePoolHoldsAndReleasesInOrder()
    {
        final JitterPool pool = new JitterPool(64, MAX_DATAGRAM_BYTES);
        final JitterBuffer buffer = pool.take(20, HOLD_NS);
        final RelaySlot[] ring = io.soundrelay.io.ring.RelaySlotFactory.standalone(4, MAX_DATAGRAM_BYTES);
        final List<Integer> released = new ArrayList<>();
        final JitterBuffer.Sink sink = new JitterBuffer.Sink()
        {
            public void release(final RelaySlot slot)
            {
                released.add(slot.buffer().getInt(0));
            }

            public long flushGeneration()
            {
                return 0;
            }

            public void flush()
            {
            }
        };
        for (final int seq : new int[]{0, 2, 1})
        {
            final RelaySlot slot = ring[seq];
            slot.buffer().putInt(0, seq);
            slot.length = 4;
            assertNull(buffer.offer(slot, 32, seq, 0, sink));
        }
        assertEquals(List.of(0, 1, 2), released);
        pool.give(buffer);
    }

    @Test
    void buffersTakenOnManyThreadsAndGivenBackOnAnotherStayWithinTheBound() throws Exception
    {
        // As in a node: API workers take, the router alone gives back.
        final int maxHeld = 8 * 128;
        final JitterPool pool = new JitterPool(maxHeld, MAX_DATAGRAM_BYTES);
        final BlockingQueue<JitterBuffer> toRouter = new ArrayBlockingQueue<>(64);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final int takers = 4;
        final int perTaker = 2_000;
        final CountDownLatch done = new CountDownLatch(takers);
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < takers; t++)
        {
            final int jitterMs = t % 2 == 0 ? 1000 : 100;
            threads.add(new Thread(() ->
            {
                try
                {
                    int taken = 0;
                    while (taken < perTaker)
                    {
                        final JitterBuffer b = pool.take(jitterMs, HOLD_NS);
                        if (b != null)
                        {
                            assertTrue(pool.reserved() <= maxHeld);
                            toRouter.put(b);
                            taken++;
                        }
                        else
                        {
                            Thread.onSpinWait(); // full: the router gives some back
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
                finally
                {
                    done.countDown();
                }
            }));
        }
        threads.forEach(Thread::start);
        int given = 0;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (given < takers * perTaker && System.nanoTime() - deadlineNs < 0 && failure.get() == null)
        {
            final JitterBuffer b = toRouter.poll(10, TimeUnit.MILLISECONDS);
            if (b != null)
            {
                pool.give(b);
                given++;
            }
        }
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertNull(failure.get());
        assertEquals(takers * perTaker, given);
        assertEquals(0, pool.reserved(), "every slot back");
        assertTrue(pool.allocated() <= maxHeld, "memory never past JITTER_MAX_HELD: " + pool.allocated());
    }
}
