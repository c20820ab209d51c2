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
}
