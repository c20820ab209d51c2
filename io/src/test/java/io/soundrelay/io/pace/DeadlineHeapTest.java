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

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The heap against a plain map of deadlines under random sets, moves and removals: the earliest always on top.
 */
class DeadlineHeapTest
{
    @Test
    void theEarliestDeadlineIsAlwaysOnTop()
    {
        final Random random = new Random(19);
        final DeadlineHeap heap = new DeadlineHeap(4);
        final Map<Integer, Long> model = new HashMap<>();
        final long base = Long.MAX_VALUE - 1_000_000; // deadlines across the wrap of nanoTime
        for (int step = 0; step < 200_000; step++)
        {
            final int id = random.nextInt(300);
            heap.ensureIds(id + 1);
            if (random.nextInt(4) == 0)
            {
                heap.remove(id);
                model.remove(id);
            }
            else
            {
                final long deadline = base + random.nextInt(2_000_000);
                heap.set(id, deadline);
                model.put(id, deadline);
            }
            assertEquals(model.size(), heap.size());
            assertEquals(model.containsKey(id), heap.contains(id));
            if (!model.isEmpty())
            {
                long earliest = 0;
                boolean first = true;
                for (final long d : model.values())
                {
                    if (first || d - earliest < 0)
                    {
                        earliest = d;
                        first = false;
                    }
                }
                assertEquals(earliest, heap.peekDeadline());
                assertEquals(earliest, model.get(heap.peekId()));
            }
        }
        for (final int id : model.keySet().toArray(new Integer[0]))
        {
            heap.remove(id);
        }
        assertTrue(heap.isEmpty());
        assertFalse(heap.contains(5));
    }

    @Test
    void aDutyCyclePopsEverythingDueInDeadlineOrderAndNothingElse()
    {
        // The router's pattern: routes re-arm 0-60 ms ahead of a clock, each cycle pops what is due.
        final Random random = new Random(30);
        final DeadlineHeap heap = new DeadlineHeap(1);
        final Map<Integer, Long> model = new HashMap<>();
        long nowNs = Long.MAX_VALUE - 500_000_000L; // across the wrap of nanoTime
        for (int cycle = 0; cycle < 20_000; cycle++)
        {
            final int id = random.nextInt(1_000);
            heap.ensureIds(id + 1);
            final long deadlineNs = nowNs + random.nextInt(60_000_000);
            heap.set(id, deadlineNs);
            model.put(id, deadlineNs);
            nowNs += 20_000;

            long previousNs = nowNs - 60_000_000L;
            while (!heap.isEmpty() && heap.peekDeadline() - nowNs <= 0)
            {
                final int due = heap.peekId();
                final long dueNs = heap.peekDeadline();
                assertTrue(dueNs - previousNs >= 0, "popped out of deadline order");
                assertEquals(model.remove(due), dueNs);
                heap.remove(due);
                previousNs = dueNs;
            }
            for (final long waitingNs : model.values())
            {
                assertTrue(waitingNs - nowNs > 0, "a due deadline was left in");
            }
            assertEquals(model.size(), heap.size());
        }
    }

    @Test
    void growingKeepsWhatItHoldsAndIdsBeyondTheBoundAreNotIn()
    {
        final DeadlineHeap heap = new DeadlineHeap(2);
        heap.set(0, 30);
        heap.set(1, 10);
        assertFalse(heap.contains(7));
        heap.remove(7); // beyond its capacity: nothing happens

        heap.ensureIds(8);
        heap.set(7, 20);
        assertEquals(3, heap.size());
        assertEquals(1, heap.peekId());
        assertEquals(10, heap.peekDeadline());
        heap.remove(1);
        assertEquals(7, heap.peekId());
        heap.remove(7);
        assertEquals(0, heap.peekId());
        assertEquals(30, heap.peekDeadline());
    }
}
