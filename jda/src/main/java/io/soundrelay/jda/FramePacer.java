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
 * With a lead ({@link #ahead(long, LongSupplier)}, for a route the node paces) each tick may go that much before its
 * frame's play time {@code start + k * period}: tick {@code k} is due at {@code start + k * period - lead}. A start
 * therefore allows {@code lead / period + 1} ticks at once, then one per period; a stall shorter than the lead leaves
 * ticks due that catch up in a burst, which the node plays out on their slots. The lag that restarts the schedule is
 * measured from the play time, and is one period for {@link #ahead(long, LongSupplier)}: a frame already a period
 * late at the node would be followed by more than the lead's worth of frames at once. So no burst is ever larger
 * than {@code lead / period + 1} ticks, and no frame sent plays more than {@code lead} after now.
 * <p>
 * {@link #nanosToPlayTime()} is the schedule without its lead, for a caller that must not run ahead for a while (its
 * packets wait for a route, see {@code SoundRelaySendSystem}); {@link #reanchor(long)} starts a new run after frames
 * went out late together.
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
    private final long leadNs;
    private final long maxLagNs;
    private final LongSupplier nanoClock;
    private long playNs;
    private long ticks;
    private long restarts;

    /**
     * @param periodNs  time between ticks, in nanoseconds, positive.
     * @param maxLagNs  lag from which the schedule restarts instead of catching up, at least one period.
     * @param nanoClock a monotonic clock in nanoseconds, as {@link System#nanoTime()}.
     */
    FramePacer(final long periodNs, final long maxLagNs, final LongSupplier nanoClock)
    {
        this(periodNs, 0, maxLagNs, nanoClock);
    }

    /**
     * @param periodNs  time between ticks, in nanoseconds, positive.
     * @param leadNs    how long before its play time a tick is due, in nanoseconds, zero or more.
     * @param maxLagNs  lag behind the play time from which the schedule restarts, at least one period.
     * @param nanoClock a monotonic clock in nanoseconds, as {@link System#nanoTime()}.
     */
    FramePacer(final long periodNs, final long leadNs, final long maxLagNs, final LongSupplier nanoClock)
    {
        if (periodNs <= 0 || leadNs < 0 || maxLagNs < periodNs)
        {
            throw new IllegalArgumentException(
                "periodNs=" + periodNs + ", leadNs=" + leadNs + ", maxLagNs=" + maxLagNs);
        }
        this.periodNs = periodNs;
        this.leadNs = leadNs;
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
     * @param leadNs    how far ahead of its play time a frame may go, in nanoseconds: the route's {@code pace_ms}.
     * @param nanoClock a monotonic clock in nanoseconds.
     * @return a pacer for 20 ms frames that runs {@code leadNs} ahead and restarts once a frame is a period late;
     *         with no lead, the same as {@link #frames(LongSupplier)}.
     */
    static FramePacer ahead(final long leadNs, final LongSupplier nanoClock)
    {
        return 0 == leadNs ?
            frames(nanoClock) : new FramePacer(FRAME_PERIOD_NS, leadNs, FRAME_PERIOD_NS, nanoClock);
    }

    /**
     * The first tick is due now.
     */
    void start()
    {
        playNs = nanoClock.getAsLong();
        ticks = 0;
        restarts = 0;
    }

    /**
     * @return nanoseconds until the next tick is due, its lead included; zero or less when it is due.
     */
    long nanosToDeadline()
    {
        return playNs - leadNs - nanoClock.getAsLong();
    }

    /**
     * @return nanoseconds until the next tick's play time, as if there were no lead; zero or less when it is due.
     */
    long nanosToPlayTime()
    {
        return playNs - nanoClock.getAsLong();
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
        if (nowNs - playNs >= maxLagNs)
        {
            playNs = nowNs + periodNs;
            restarts++;
            return true;
        }
        playNs += periodNs;
        return false;
    }

    /**
     * A new run from now, instead of {@link #advance()}, after {@code framesOut} frames of consecutive ticks went out
     * together just now (held packets sent once their route came): they play from now on, one per period, and the
     * next tick plays after them. Not counted as a restart.
     *
     * @param framesOut the frames that went out together, the current tick's included; at least one.
     */
    void reanchor(final long framesOut)
    {
        ticks++;
        playNs = nanoClock.getAsLong() + Math.max(1, framesOut) * periodNs;
    }

    /**
     * @return when the next tick is due, its lead included, on the clock's scale.
     */
    long deadlineNs()
    {
        return playNs - leadNs;
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
     * @return how long before its play time a tick is due, in nanoseconds.
     */
    long leadNs()
    {
        return leadNs;
    }

    /**
     * @return the lag behind the play time from which the schedule restarts, in nanoseconds.
     */
    long maxLagNs()
    {
        return maxLagNs;
    }
}
