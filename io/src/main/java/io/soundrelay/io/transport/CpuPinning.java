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
package io.soundrelay.io.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for the hot-path roles, pinning each thread to a CPU when {@code PIN_CPUS} names one. The JDK
 * has no affinity call, so a new thread finds its own Linux thread id through {@code /proc/thread-self} and runs
 * {@code taskset -p -c CPU TID} once at start; failure is logged and the thread runs unpinned.
 */
public final class CpuPinning
{
    private static final Logger LOG = LoggerFactory.getLogger(CpuPinning.class);

    private CpuPinning()
    {
    }

    /**
     * @param name thread name (role).
     * @param cpu  CPU to pin to, or -1 for none.
     * @return a factory of daemon-less threads with that name, pinned at start.
     */
    public static ThreadFactory factory(final String name, final int cpu)
    {
        final AtomicInteger seq = new AtomicInteger();
        return runnable ->
        {
            final int n = seq.getAndIncrement();
            final Thread t = new Thread(() ->
            {
                if (cpu >= 0)
                {
                    pinCurrentThread(cpu);
                }
                runnable.run();
            }, n == 0 ? name : name + "-" + n);
            t.setDaemon(false);
            return t;
        };
    }

    /**
     * Pin the calling thread.
     *
     * @param cpu CPU id.
     * @return true when pinned.
     */
    public static boolean pinCurrentThread(final int cpu)
    {
        try
        {
            final Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            final String tid = self.getFileName().toString();
            final Process p = new ProcessBuilder("taskset", "-p", "-c", Integer.toString(cpu), tid)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0)
            {
                LOG.info("thread {} pinned to CPU {}", Thread.currentThread().getName(), cpu);
                return true;
            }
            LOG.warn("could not pin thread {} to CPU {}: taskset failed", Thread.currentThread().getName(), cpu);
        }
        catch (final Exception ex)
        {
            LOG.warn("could not pin thread {} to CPU {}: {}", Thread.currentThread().getName(), cpu, ex.toString());
        }
        return false;
    }
}
