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
package io.soundrelay.jda;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The send thread's schedule: one tick per frame period on fixed deadlines {@code start + k * period}, so time spent
 * in a tick or a late wake-up never accumulates into drift (as {@code sleep(20)} after each packet would).
 * <p>
 * A tick that starts a little late is followed by the next one on its own deadline, which catches up. When the
 * thread has fallen {@link #maxLagNs()} or more behind (a long GC pause, a suspended VM), the missed ticks are not
 * replayed as a burst: the schedule restarts one period after now and {@link #advance()} says so. That is the rule
 * of JDA's {@code DefaultSendSystem} (three frames, 60 ms), on a nanosecond clock.
 * <p>
 * It only computes; the caller waits. The clock is injected so that tests step it by hand.
 */
final class FramePacer
{
    /** One Opus frame: 20 ms, as JDA's {@code OpusPacket.OPUS_FRAME_TIME_AMOUNT}. */
    static final long FRAME_PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Behind by this much or more, the schedule restarts rather than catching up: three frames. */
    static final long DEFAULT_MAX_LAG_NS = 3 * FRAME_PERIOD_NS;

    private final long periodNs;
    private final long maxLagNs;
    private final LongSupplier nanoClock;
    private long deadlineNs;
    private long ticks;
    private long restarts;

    /**
     * @param periodNs  time between ticks, in nanoseconds, positive.
     * @param maxLagNs  lag from which the schedule restarts instead of catching up, at least one period.
     * @param nanoClock a monotonic clock in nanoseconds, as {@link System#nanoTime()}.
     */
    FramePacer(final long periodNs, final long maxLagNs, final LongSupplier nanoClock)
    {
        if (periodNs <= 0 || maxLagNs < periodNs)
        {
            throw new IllegalArgumentException("periodNs=" + periodNs + ", maxLagNs=" + maxLagNs);
        }
        this.periodNs = periodNs;
        this.maxLagNs = maxLagNs;
        this.nanoClock = nanoClock;
    }

    /**
     * @param nanoClock a monotonic clock in nanoseconds.
     * @return a pacer for 20 ms frames that restarts after 60 ms of lag.
     */
    static FramePacer frames(final LongSupplier nanoClock)
    {
        return new FramePacer(FRAME_PERIOD_NS, DEFAULT_MAX_LAG_NS, nanoClock);
    }

    /**
     * The first tick is due now.
     */
    void start()
    {
        deadlineNs = nanoClock.getAsLong();
        ticks = 0;
        restarts = 0;
    }

    /**
     * @return nanoseconds until the next tick is due; zero or less when it is due.
     */
    long nanosToDeadline()
    {
        return deadlineNs - nanoClock.getAsLong();
    }

    /**
     * Call after each tick: moves the deadline one period on, or restarts the schedule from now when the tick ended
     * {@link #maxLagNs()} or more after its deadline.
     *
     * @return true when the schedule restarted, that is when ticks were skipped.
     */
    boolean advance()
    {
        ticks++;
        final long nowNs = nanoClock.getAsLong();
        if (nowNs - deadlineNs >= maxLagNs)
        {
            deadlineNs = nowNs + periodNs;
            restarts++;
            return true;
        }
        deadlineNs += periodNs;
        return false;
    }

    /**
     * @return when the next tick is due, on the clock's scale.
     */
    long deadlineNs()
    {
        return deadlineNs;
    }

    /**
     * @return ticks since {@link #start()}.
     */
    long ticks()
    {
        return ticks;
    }

    /**
     * @return times the schedule restarted since {@link #start()}.
     */
    long restarts()
    {
        return restarts;
    }

    /**
     * @return the lag from which the schedule restarts, in nanoseconds.
     */
    long maxLagNs()
    {
        return maxLagNs;
    }
}
