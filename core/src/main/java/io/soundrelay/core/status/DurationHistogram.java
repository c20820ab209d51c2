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
package io.soundrelay.core.status;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-bucket histogram written by one thread without locks or allocation and read at scrape time, in the
 * shape Prometheus wants (cumulative buckets in seconds, a sum and a count). Bucket bounds run from 1 microsecond
 * to 1 second.
 * <p>
 * Another writing thread (a second pipeline) records into a {@link #newChild() child}: its own histogram, single
 * writer again, whose values every read of the parent includes.
 */
public final class DurationHistogram
{
    private static final long[] UPPER_BOUNDS_NS = {
        1_000L, 2_500L, 5_000L, 10_000L, 25_000L, 50_000L, 100_000L, 250_000L, 500_000L,
        1_000_000L, 2_500_000L, 5_000_000L, 10_000_000L, 25_000_000L, 50_000_000L, 100_000_000L,
        250_000_000L, 500_000_000L, 1_000_000_000L };

    private final AtomicLongArray buckets = new AtomicLongArray(UPPER_BOUNDS_NS.length + 1);
    private final AtomicLongArray sumAndCount = new AtomicLongArray(2);
    private volatile DurationHistogram[] children = new DurationHistogram[0];

    /**
     * A histogram for another writing thread, summed into this one's reads. Start-up only: it allocates.
     *
     * @return the child, empty.
     */
    public synchronized DurationHistogram newChild()
    {
        final DurationHistogram child = new DurationHistogram();
        final DurationHistogram[] grown = Arrays.copyOf(children, children.length + 1);
        grown[grown.length - 1] = child;
        children = grown;
        return child;
    }

    /**
     * Record one duration. Owning thread only.
     *
     * @param durationNs duration in nanoseconds; negative values count as zero.
     */
    public void record(final long durationNs)
    {
        final long d = Math.max(0, durationNs);
        int i = 0;
        while (i < UPPER_BOUNDS_NS.length && d > UPPER_BOUNDS_NS[i])
        {
            i++;
        }
        buckets.lazySet(i, buckets.get(i) + 1);
        sumAndCount.lazySet(0, sumAndCount.get(0) + d);
        sumAndCount.lazySet(1, sumAndCount.get(1) + 1);
    }

    /**
     * @return how many bounded buckets there are (the +Inf bucket is extra).
     */
    public static int boundCount()
    {
        return UPPER_BOUNDS_NS.length;
    }

    /**
     * @param i bucket index below {@link #boundCount()}.
     * @return its upper bound in seconds.
     */
    public static double upperBoundSeconds(final int i)
    {
        return UPPER_BOUNDS_NS[i] / 1e9;
    }

    /**
     * @param i bucket index, {@link #boundCount()} for +Inf.
     * @return how many durations fell in that bucket alone (not cumulative).
     */
    public long bucketCount(final int i)
    {
        long sum = buckets.get(i);
        for (final DurationHistogram child : children)
        {
            sum += child.bucketCount(i);
        }
        return sum;
    }

    public long count()
    {
        return sumAndCount(1);
    }

    public double sumSeconds()
    {
        return sumAndCount(0) / 1e9;
    }

    private long sumAndCount(final int i)
    {
        long sum = sumAndCount.get(i);
        for (final DurationHistogram child : children)
        {
            sum += child.sumAndCount(i);
        }
        return sum;
    }
}
