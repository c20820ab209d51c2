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
package io.soundrelay.io.receive;

import org.agrona.concurrent.IdleStrategy;

import java.util.function.LongSupplier;

/**
 * Idles a thread that receives: spins, then yields, then sleeps in the kernel until the relay socket is readable
 * (or the receiver is woken, or the timeout passes) instead of parking for a guessed time. A datagram that arrives
 * while the thread waits wakes it at once, and an idle node costs no CPU. With no spins and no yields it waits at
 * once; with {@code waitMs} of 0 it never sleeps (busy-spin or yield forever).
 */
public final class ReadinessIdleStrategy implements IdleStrategy
{
    private final BatchReceiver receiver;
    private final int maxSpins;
    private final int maxYields;
    private final int waitMs;
    private final boolean neverWait;
    private LongSupplier timerDeadlineNs;
    private int spins;
    private int yields;

    /**
     * @param receiver  whose socket to wait on.
     * @param maxSpins  busy spins before yielding.
     * @param maxYields yields before waiting; {@link Integer#MAX_VALUE} to yield forever.
     * @param waitMs    most milliseconds per wait, so the thread's other duties (route commands, the sweep) run
     *                  even with no traffic; 0 to never wait in the kernel.
     */
    public ReadinessIdleStrategy(
        final BatchReceiver receiver, final int maxSpins, final int maxYields, final int waitMs)
    {
        this.receiver = receiver;
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.waitMs = waitMs;
        this.neverWait = waitMs <= 0;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (neverWait || yields < maxYields)
        {
            if (maxYields > 0)
            {
                yields++;
                Thread.yield();
            }
            else
            {
                Thread.onSpinWait();
            }
        }
        else
        {
            int wait = waitMs;
            final LongSupplier timers = timerDeadlineNs;
            if (timers != null)
            {
                final long deadline = timers.getAsLong();
                if (deadline != Long.MAX_VALUE)
                {
                    final long remainingNs = deadline - System.nanoTime();
                    if (remainingNs <= 0)
                    {
                        Thread.onSpinWait();
                        return;
                    }
                    wait = (int)Math.min(wait, (remainingNs + 999_999) / 1_000_000);
                }
            }
            if (wait == waitMs)
            {
                receiver.awaitReceiving(wait); // the usual timeout: the wait may receive itself
            }
            else
            {
                receiver.await(wait);
            }
        }
    }

    /**
     * Wake from the wait by a deadline of the same thread's timers (a jitter buffer's hold), not only by a datagram.
     *
     * @param deadlineNs gives the earliest {@link System#nanoTime()} deadline, or {@link Long#MAX_VALUE} for none;
     *                   called on this thread each time it is about to wait.
     * @return this.
     */
    public ReadinessIdleStrategy timers(final LongSupplier deadlineNs)
    {
        this.timerDeadlineNs = deadlineNs;
        return this;
    }

    public void reset()
    {
        spins = 0;
        yields = 0;
    }

    public String alias()
    {
        return "readiness";
    }
}
