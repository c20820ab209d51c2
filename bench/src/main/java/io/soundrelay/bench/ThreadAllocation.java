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

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by the calling thread alone between {@link #start(long)} and {@link #stop(long)}, per op.
 * <p>
 * JMH's {@code -prof gc} sums allocation over every thread of the forked JVM (JMH's own control and result
 * threads, a Netty event loop), then divides by the benchmark's ops. A quiet JVM allocates some kilobytes a
 * second anyway, so when one op takes microseconds (a real {@code sendto}) that background alone shows as
 * about 0.1 B/op. Called from iteration-level setup and teardown, which JMH runs on the benchmark thread, this
 * reports what the measured thread allocated, so the two can be told apart.
 */
final class ThreadAllocation
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private final String label;
    private long startBytes;
    private long startOps;

    /**
     * @param label names the thread in the printed line.
     */
    ThreadAllocation(final String label)
    {
        this.label = label;
    }

    /**
     * @param ops the benchmark's op count now.
     */
    void start(final long ops)
    {
        startOps = ops;
        startBytes = THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * @param ops the benchmark's op count now.
     * @return one line: bytes the calling thread allocated since {@link #start(long)}, and per op.
     */
    String stop(final long ops)
    {
        final long bytes = THREADS.getCurrentThreadAllocatedBytes() - startBytes;
        final long n = ops - startOps;
        if (startBytes < 0 || n <= 0)
        {
            return label + " thread allocation: not measured";
        }
        // Plain appends: String.format would allocate more than the thing measured, inside -prof gc's window.
        return new StringBuilder(96).append(label).append(" thread allocation: ").append(bytes)
            .append(" bytes over ").append(n).append(" ops = ").append(bytes / (double)n).append(" B/op").toString();
    }
}
