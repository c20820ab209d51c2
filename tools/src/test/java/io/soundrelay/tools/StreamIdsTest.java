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
package io.soundrelay.tools;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StreamIds}: consecutive ids as before, random ids distinct, in range, reproducible from the seed, and found
 * back by {@link StreamIds#indexOf(long)}.
 */
final class StreamIdsTest
{
    private static final long MAX_U32 = 0xFFFF_FFFFL;

    @Test
    void consecutiveIdsStartAtTheFirstAndIndexBack()
    {
        final StreamIds ids = StreamIds.consecutive(1000, 4);

        assertFalse(ids.isRandom());
        assertEquals(1000, ids.id(0));
        assertEquals(1007, ids.id(7));
        assertEquals(3, ids.indexOf(1003));
        assertEquals(-1, ids.indexOf(999));
    }

    @Test
    void randomIdsAreDistinctInRangeReproducibleAndIndexBack()
    {
        final StreamIds ids = StreamIds.random(7, 1000, MAX_U32);
        final StreamIds again = StreamIds.random(7, 1000, MAX_U32);
        final Set<Long> seen = new HashSet<>();

        assertTrue(ids.isRandom());
        for (int i = 0; i < 2000; i++)
        {
            final long id = ids.id(i);
            assertTrue(id >= 1 && id <= MAX_U32, () -> Long.toString(id));
            assertTrue(seen.add(id), () -> "duplicate " + id);
            assertEquals(id, again.id(i));
            assertEquals(i, ids.indexOf(id));
        }
        assertFalse(seen.contains(1000L) && seen.contains(1001L), "not consecutive from the default first id");
        assertEquals(-1, ids.indexOf(0));
    }

    @Test
    void aThousandRandomIdsSpreadOverTwoPipelinesWithinFortyToSixtyPercent()
    {
        final StreamIds ids = StreamIds.random(GeneratorOptions.DEFAULT_STREAM_ID_SEED, 1000, Long.MAX_VALUE / 2);
        int odd = 0;
        for (int i = 0; i < 1000; i++)
        {
            odd += (int)((ids.id(i) & 0xFFFF_FFFFL) % 2);
        }

        final int owned = odd;
        assertTrue(owned >= 400 && owned <= 600, () -> "pipeline 1 of 2 would own " + owned + " of 1000 streams");
    }
}
