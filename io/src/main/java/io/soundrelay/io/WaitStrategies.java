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

import io.soundrelay.core.config.Configuration;
import io.soundrelay.io.receive.BatchReceiver;
import io.soundrelay.io.receive.ReadinessIdleStrategy;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * WAIT_STRATEGY as Agrona idle strategies: what an idle data-plane thread does, for a thread that receives (it waits
 * in the kernel for its sockets) and for one that does not.
 */
final class WaitStrategies
{
    /** Most milliseconds a waiting receive thread sleeps before running its other duties. */
    private static final int RECEIVE_WAIT_MS = 100;
    /** Polls of an empty socket set before a receiving thread waits in the kernel: each poll is a system call. */
    private static final int BACKOFF_SPINS = 10;
    private static final int BACKOFF_YIELDS = 0;

    private WaitStrategies()
    {
    }

    /**
     * @param strategy WAIT_STRATEGY.
     * @param receiver whose sockets a waiting thread sleeps on.
     * @return the idle strategy of a thread that receives.
     */
    static IdleStrategy receiveIdleStrategy(final Configuration.WaitStrategy strategy, final BatchReceiver receiver)
    {
        switch (strategy)
        {
            case BUSY_SPIN:
                return new ReadinessIdleStrategy(receiver, 0, 0, 0);
            case YIELDING:
                return new ReadinessIdleStrategy(receiver, 0, Integer.MAX_VALUE, 0);
            case BACKOFF:
                return new ReadinessIdleStrategy(receiver, BACKOFF_SPINS, BACKOFF_YIELDS, RECEIVE_WAIT_MS);
            default:
                return new ReadinessIdleStrategy(receiver, 0, 0, RECEIVE_WAIT_MS);
        }
    }

    /**
     * @param strategy WAIT_STRATEGY.
     * @return the idle strategy of a thread that does not receive (the router with two threads, the mixer).
     */
    static IdleStrategy idleStrategy(final Configuration.WaitStrategy strategy)
    {
        switch (strategy)
        {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELDING:
                return new YieldingIdleStrategy();
            case BACKOFF:
                return new BackoffIdleStrategy(
                    100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200));
            default:
                return new SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }
}
