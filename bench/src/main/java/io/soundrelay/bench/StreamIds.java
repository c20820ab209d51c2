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
package io.soundrelay.bench;

import org.agrona.collections.LongHashSet;

import java.util.SplittableRandom;

/**
 * Stream ids as clients pick them: distinct, non-zero, spread over the whole unsigned 64-bit range. Seeded, so
 * every fork and every run sees the same ids.
 */
final class StreamIds
{
    private StreamIds()
    {
    }

    /**
     * @param count how many ids.
     * @param seed  for the generator.
     * @return distinct non-zero ids.
     */
    static long[] distinct(final int count, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final LongHashSet seen = new LongHashSet(count);
        final long[] ids = new long[count];
        int n = 0;
        while (n < count)
        {
            final long id = random.nextLong();
            if (id != 0 && seen.add(id))
            {
                ids[n++] = id;
            }
        }
        return ids;
    }
}
