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

import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteSpec;
import org.agrona.collections.Long2ObjectHashMap;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The route lookup alone, against the design's "under 1 µs" headline: one {@code get} on the same kind of map the
 * router keeps ({@link Long2ObjectHashMap} of {@link RouteEntry}, default load factor), for a stream id taken in
 * turn from a precomputed, shuffled array of ids that are all in the table. With 100,000 routes the table
 * (keys, values and entries) is several megabytes, so the figure includes cache misses; with 1,000 it fits in L2.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED" })
public class RouteLookupBenchmark
{
    private static final int LOOKUPS = 1 << 16;
    private static final int LOOKUP_MASK = LOOKUPS - 1;

    @Param({ "1000", "100000" })
    public int routes;

    private final ThreadAllocation allocation = new ThreadAllocation("lookup");
    private Long2ObjectHashMap<RouteEntry> table;
    private long[] lookups;
    private long next;

    @Setup
    public void setup()
    {
        final long[] ids = StreamIds.distinct(routes, 0x5EED_0001L);
        final Endpoint source = Endpoint.parse("127.0.0.1:5004");
        final Endpoint target = Endpoint.parse("127.0.0.1:6004");
        final long nowMs = System.currentTimeMillis();

        table = new Long2ObjectHashMap<>();
        for (final long id : ids)
        {
            final RouteSpec spec = new RouteSpec(id, source, List.of(target), null, Deliver.PAYLOAD, 0, false);
            table.put(id, new RouteEntry(spec, nowMs));
        }

        final SplittableRandom random = new SplittableRandom(0x5EED_0002L);
        lookups = new long[LOOKUPS];
        for (int i = 0; i < LOOKUPS; i++)
        {
            lookups[i] = ids[random.nextInt(routes)];
            if (table.get(lookups[i]) == null)
            {
                throw new IllegalStateException("lookup id missing from the table: " + lookups[i]);
            }
        }
        next = 0;
    }

    @Benchmark
    public RouteEntry lookup()
    {
        return table.get(lookups[(int)(next++) & LOOKUP_MASK]);
    }

    @Setup(Level.Iteration)
    public void startIteration()
    {
        allocation.start(next);
    }

    @TearDown(Level.Iteration)
    public void endIteration()
    {
        System.out.println();
        System.out.println(allocation.stop(next));
    }
}
