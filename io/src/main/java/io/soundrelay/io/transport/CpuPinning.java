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

import net.openhft.affinity.Affinity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.BitSet;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for the hot-path roles, pinning each thread to a CPU when {@code PIN_CPUS} names one. The JDK
 * has no affinity call: a new thread pins itself once at start with OpenHFT's Java Thread Affinity; failure is
 * logged and the thread runs unpinned.
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
     * Pin the calling thread with OpenHFT affinity ({@code sched_setaffinity} through JNA), and check that the
     * kernel took it by reading the thread's affinity back.
     *
     * @param cpu CPU id.
     * @return true when pinned.
     */
    public static boolean pinCurrentThread(final int cpu)
    {
        final String name = Thread.currentThread().getName();
        try
        {
            Affinity.setAffinity(cpu);
            final BitSet now = Affinity.getAffinity();
            if (now.cardinality() == 1 && now.get(cpu))
            {
                LOG.info("thread {} pinned to CPU {}", name, cpu);
                return true;
            }
            LOG.warn("could not pin thread {} to CPU {}: its affinity is {}", name, cpu, now);
        }
        catch (final RuntimeException | LinkageError ex)
        {
            LOG.warn("could not pin thread {} to CPU {}: {}", name, cpu, ex.toString());
        }
        return false;
    }
}
