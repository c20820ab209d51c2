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

import java.util.Arrays;
import java.util.HashSet;
import java.util.SplittableRandom;

/**
 * The generator's stream ids: stream {@code i} (0-based) has id {@link #id(int)}, and {@link #indexOf(long)} finds
 * the index of an id a receiver got, without allocating. Twice as many ids as streams: those from index
 * {@code streams} on are the unrouted ids of stranger traffic.
 * <ul>
 *     <li>{@link #consecutive}: {@code first + i}, what the generator always did.</li>
 *     <li>{@link #random}: distinct ids drawn from a seeded generator, 1 to {@code maxId}, for a spread over the
 *     node's data-plane pipelines ({@code (id & 0xFFFFFFFF) mod N}) that consecutive ids would make even by
 *     construction.</li>
 * </ul>
 */
final class StreamIds
{
    private final long first;
    private final long seed;
    private final long[] ids;
    private final long[] sortedIds;
    private final int[] sortedIndexes;

    private StreamIds(final long first, final long seed, final long[] ids)
    {
        this.first = first;
        this.seed = seed;
        this.ids = ids;
        if (null == ids)
        {
            sortedIds = null;
            sortedIndexes = null;
            return;
        }
        final Integer[] order = new Integer[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(ids[a], ids[b]));
        sortedIds = new long[ids.length];
        sortedIndexes = new int[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            sortedIds[i] = ids[order[i]];
            sortedIndexes[i] = order[i];
        }
    }

    /**
     * @param first   the id of stream 0.
     * @param streams streams carrying traffic.
     * @return ids {@code first} to {@code first + 2 x streams - 1}.
     */
    static StreamIds consecutive(final long first, final int streams)
    {
        return new StreamIds(first, 0, null);
    }

    /**
     * @param seed    the generator's seed: the same seed gives the same ids.
     * @param streams streams carrying traffic.
     * @param maxId   the highest id allowed (the 32-bit SSRC for RTP).
     * @return {@code 2 x streams} distinct ids from 1 to {@code maxId}.
     */
    static StreamIds random(final long seed, final int streams, final long maxId)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long[] ids = new long[2 * streams];
        final HashSet<Long> seen = new HashSet<>();
        for (int i = 0; i < ids.length; i++)
        {
            long id;
            do
            {
                id = random.nextLong(1, maxId + 1);
            }
            while (!seen.add(id));
            ids[i] = id;
        }
        return new StreamIds(0, seed, ids);
    }

    /**
     * @return whether the ids are random.
     */
    boolean isRandom()
    {
        return null != ids;
    }

    /**
     * @return the seed of random ids.
     */
    long seed()
    {
        return seed;
    }

    /**
     * @param index a stream's index, 0 to {@code 2 x streams - 1}.
     * @return its id.
     */
    long id(final int index)
    {
        return null == ids ? first + index : ids[index];
    }

    /**
     * @param id a stream id.
     * @return its index, or -1 when it is none of these ids.
     */
    int indexOf(final long id)
    {
        if (null == ids)
        {
            final long index = id - first;
            return index < 0 || index > Integer.MAX_VALUE ? -1 : (int)index;
        }
        final int at = Arrays.binarySearch(sortedIds, id);
        return at < 0 ? -1 : sortedIndexes[at];
    }
}
