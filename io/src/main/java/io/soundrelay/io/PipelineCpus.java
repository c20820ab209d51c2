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
package io.soundrelay.io;

/**
 * How PIN_CPUS maps to the data plane's threads. With one pipeline, as before pipelines: entry 0 the receiver's (or
 * the shared thread's), entry 1 the router's (else the receiver's), entry 2 the mixer's. With N pipelines of T
 * threads each (T = 1 shared, 2 dedicated): when there are at least N * T entries, pipeline k's thread t (0 the
 * receiver or the shared thread, 1 the router) gets entry {@code k * T + t} and the mixer entry {@code N * T}, if
 * any; else when there are at least N, all of pipeline k's threads get entry {@code k} and the mixer entry
 * {@code N}, if any; else pipeline k gets entry {@code k} where there is one and the rest are not pinned.
 */
final class PipelineCpus
{
    private PipelineCpus()
    {
    }

    /**
     * @param pinCpus     PIN_CPUS.
     * @param pipelines   N.
     * @param perPipeline T.
     * @param pipeline    k.
     * @param thread      t: 0 the receiver or the shared thread, 1 the router.
     * @return the CPU, or -1 for none.
     */
    static int cpu(
        final int[] pinCpus, final int pipelines, final int perPipeline, final int pipeline, final int thread)
    {
        if (pipelines == 1)
        {
            return thread < pinCpus.length ? pinCpus[thread] : entry(pinCpus, 0);
        }
        if (pinCpus.length >= pipelines * perPipeline)
        {
            return pinCpus[pipeline * perPipeline + thread];
        }
        return entry(pinCpus, pipeline);
    }

    /**
     * @param pinCpus     PIN_CPUS.
     * @param pipelines   N.
     * @param perPipeline T.
     * @return the mixer's CPU, or -1 for none.
     */
    static int mixerCpu(final int[] pinCpus, final int pipelines, final int perPipeline)
    {
        if (pipelines == 1)
        {
            return entry(pinCpus, 2); // as before pipelines, whatever the threading mode
        }
        return entry(pinCpus, pinCpus.length >= pipelines * perPipeline ? pipelines * perPipeline : pipelines);
    }

    private static int entry(final int[] pinCpus, final int i)
    {
        return i < pinCpus.length ? pinCpus[i] : -1;
    }
}
