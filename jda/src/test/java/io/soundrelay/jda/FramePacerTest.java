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

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The send thread's schedule on a clock the test moves by hand: deterministic, no sleeping, no timing. Without a
 * lead (fixed deadlines, as JDA's own send system) and with one (the node paces, the send thread runs ahead).
 */
final class FramePacerTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PERIOD = FramePacer.FRAME_PERIOD_NS;
    private static final long LEAD = 500 * MS;

    private long now = 1_000_000 * MS; // any origin: nanoTime's is arbitrary
    private final FramePacer pacer = FramePacer.frames(() -> now);

    @Test
    void fiftyTicksASecondWithInstantWork()
    {
        pacer.start();
        final long start = now;
        int ticks = 0;
        while (true)
        {
            waitForDeadline();
            if (now - start >= TimeUnit.SECONDS.toNanos(10))
            {
                break;
            }
            ticks++;
            assertFalse(pacer.advance());
        }
        assertEquals(500, ticks);
        assertEquals(0, pacer.restarts());
    }

    @Test
    void timeSpentInTicksDoesNotDrift()
    {
        pacer.start();
        final long start = now;
        final long[] workMs = {3, 17, 0, 19, 1, 12};
        for (int i = 0; i < 1000; i++)
        {
            waitForDeadline();
            assertEquals(start + i * PERIOD, now, "tick " + i + " starts on its deadline");
            now += workMs[i % workMs.length] * MS;
            assertFalse(pacer.advance());
        }
        assertEquals(start + 1000 * PERIOD, pacer.deadlineNs());
    }

    @Test
    void aLateWakeUpCatchesUpWithoutMovingTheSchedule()
    {
        pacer.start();
        final long start = now;
        waitForDeadline();
        assertFalse(pacer.advance());
        now += PERIOD + 35 * MS; // woke 35 ms late for tick 1: less than three frames
        assertTrue(pacer.nanosToDeadline() < 0);
        assertFalse(pacer.advance());
        assertEquals(start + 2 * PERIOD, pacer.deadlineNs());
        assertTrue(pacer.nanosToDeadline() <= 0, "tick 2 is due at once: catching up");
        assertFalse(pacer.advance());
        assertEquals(start + 3 * PERIOD, pacer.deadlineNs());
        assertEquals(5 * MS, pacer.nanosToDeadline());
    }

    @Test
    void aLongStallRestartsTheScheduleInsteadOfABurst()
    {
        pacer.start();
        waitForDeadline();
        assertFalse(pacer.advance());
        waitForDeadline();
        now += 200 * MS; // a GC pause inside the tick
        assertTrue(pacer.advance(), "restarted");
        assertEquals(1, pacer.restarts());
        assertEquals(PERIOD, pacer.nanosToDeadline(), "the next tick one period after the stall, not ten at once");
        waitForDeadline();
        assertFalse(pacer.advance());
        assertEquals(PERIOD, pacer.nanosToDeadline());
    }

    @Test
    void lagJustUnderTheLimitStillCatchesUp()
    {
        pacer.start();
        final long start = now;
        now += pacer.maxLagNs() - 1;
        assertFalse(pacer.advance());
        assertEquals(start + PERIOD, pacer.deadlineNs());
        now = pacer.deadlineNs() + pacer.maxLagNs();
        assertTrue(pacer.advance());
    }

    @Test
    void refusesANonsensePeriod()
    {
        assertThrows(IllegalArgumentException.class, () -> new FramePacer(0, PERIOD, () -> now));
        assertThrows(IllegalArgumentException.class, () -> new FramePacer(PERIOD, PERIOD - 1, () -> now));
        assertThrows(IllegalArgumentException.class, () -> new FramePacer(PERIOD, -1, PERIOD, () -> now));
    }

    @Test
    void noLeadIsTheFixedDeadlineSchedule()
    {
        final FramePacer unpaced = FramePacer.ahead(0, () -> now);
        assertEquals(0, unpaced.leadNs());
        assertEquals(FramePacer.DEFAULT_MAX_LAG_NS, unpaced.maxLagNs());
        unpaced.start();
        final long start = now;
        assertEquals(1, dueAtOnce(unpaced), "one tick at a time");
        assertEquals(start + PERIOD, unpaced.deadlineNs());
        assertEquals(unpaced.nanosToPlayTime(), unpaced.nanosToDeadline());
        now += PERIOD + 35 * MS; // late by less than three frames: catches up, as before
        assertEquals(2, dueAtOnce(unpaced));
        assertEquals(0, unpaced.restarts());
    }

    @Test
    void aLeadOf500MsAllows26FramesAtOnceThenOnePerPeriod()
    {
        final FramePacer ahead = FramePacer.ahead(LEAD, () -> now);
        ahead.start();
        final long start = now;
        assertEquals(26, dueAtOnce(ahead), "frames 0 to 25: the last plays 500 ms from now");
        assertEquals(start + 26 * PERIOD - LEAD, ahead.deadlineNs());
        assertEquals(PERIOD, ahead.nanosToDeadline());
        for (int i = 0; i < 500; i++)
        {
            now += ahead.nanosToDeadline();
            assertEquals(1, dueAtOnce(ahead), "then one per period, tick " + i);
            assertEquals(LEAD, playTimeOfLastTick(ahead) - now, "the lead stays full");
        }
        assertEquals(0, ahead.restarts());
        assertEquals(526, ahead.ticks());
    }

    @Test
    void aStallShorterThanTheLeadIsCaughtUpWithABurst()
    {
        final FramePacer ahead = FramePacer.ahead(LEAD, () -> now);
        ahead.start();
        dueAtOnce(ahead);
        now += ahead.nanosToDeadline();
        dueAtOnce(ahead);
        now += 300 * MS; // the bot's JVM stops for 300 ms: the node plays out what it holds meanwhile
        assertEquals(15, dueAtOnce(ahead), "the 15 frames the stall missed go at once");
        assertEquals(0, ahead.restarts());
        assertEquals(LEAD, playTimeOfLastTick(ahead) - now, "the lead is full again");
        now += ahead.nanosToDeadline();
        assertEquals(1, dueAtOnce(ahead));
    }

    @Test
    void aStallJustUnderTheLeadAndAPeriodStillCatchesUp()
    {
        final FramePacer ahead = FramePacer.ahead(LEAD, () -> now);
        ahead.start();
        dueAtOnce(ahead);
        now += ahead.nanosToDeadline() + LEAD + PERIOD - 1; // the next frame is 1 ns short of a period late
        assertEquals(26, dueAtOnce(ahead), "never more than lead / period + 1 at once");
        assertEquals(0, ahead.restarts());
    }

    @Test
    void aStallLongerThanTheLeadRestartsAndRefillsTheLead()
    {
        final FramePacer ahead = FramePacer.ahead(LEAD, () -> now);
        ahead.start();
        dueAtOnce(ahead);
        now += ahead.nanosToDeadline() + 2_000 * MS; // two seconds: the node has run dry long ago
        assertEquals(26, dueAtOnce(ahead), "the late frame, then the lead refilled: not 100 frames at once");
        assertEquals(1, ahead.restarts());
        assertEquals(LEAD, playTimeOfLastTick(ahead) - now);
        now += ahead.nanosToDeadline();
        assertEquals(1, dueAtOnce(ahead));
    }

    @Test
    void aTickWithoutAPacketKeepsTheSchedule()
    {
        // JDA moves the RTP timestamp 960 at every call, packet or not: a silent tick is a slot, and refilling the
        // lead on top of the frames already ahead would put some up to twice the lead ahead of the node's clock.
        final FramePacer ahead = FramePacer.ahead(LEAD, () -> now);
        ahead.start();
        dueAtOnce(ahead);
        for (int i = 0; i < 100; i++)
        {
            now += ahead.nanosToDeadline();
            assertEquals(1, dueAtOnce(ahead), "silent or not, one tick per period");
        }
        assertEquals(0, ahead.restarts());
    }

    @Test
    void heldFramesSentTogetherReanchorTheRunAndTheLeadRefillsAfterThem()
    {
        final FramePacer ahead = FramePacer.ahead(LEAD, () -> now);
        ahead.start();
        final long start = now;
        // No route yet: the send thread ticks on play time, as without a lead, and its packets are held.
        for (int i = 0; i < 5; i++)
        {
            now = Math.max(now, now + ahead.nanosToPlayTime());
            assertEquals(start + i * PERIOD, now);
            ahead.advance();
        }
        now += ahead.nanosToPlayTime() + 3 * MS; // the route is confirmed: five held and this tick's go together
        ahead.reanchor(6);
        assertEquals(0, ahead.restarts());
        assertEquals(now + 6 * PERIOD, ahead.deadlineNs() + LEAD, "the next frame plays after the six");
        assertEquals(20, dueAtOnce(ahead), "the lead refills: 26 frames ahead in all, counting the six");
        assertEquals(LEAD, playTimeOfLastTick(ahead) - now);
    }

    @Test
    void neverMoreThanTheLeadAheadWhateverTheStalls()
    {
        final FramePacer ahead = FramePacer.ahead(LEAD, () -> now);
        final Random random = new Random(7);
        ahead.start();
        for (int i = 0; i < 10_000; i++)
        {
            final int burst = dueAtOnce(ahead);
            assertTrue(burst >= 1 && burst <= LEAD / PERIOD + 1, "burst " + burst + " at " + i);
            assertTrue(playTimeOfLastTick(ahead) - now <= LEAD, "at " + i);
            final int stall = random.nextInt(10);
            now += ahead.nanosToDeadline() + (stall == 0 ? random.nextInt(1_500) * MS : random.nextInt(3) * MS);
        }
    }

    /**
     * @return the ticks due now, each taken at once with instant work, as the send loop does between waits.
     */
    private int dueAtOnce(final FramePacer pacer)
    {
        int due = 0;
        while (pacer.nanosToDeadline() <= 0)
        {
            pacer.advance();
            due++;
            assertTrue(due <= 1_000, "runaway");
        }
        return due;
    }

    private static long playTimeOfLastTick(final FramePacer pacer)
    {
        return pacer.deadlineNs() + pacer.leadNs() - PERIOD;
    }

    private void waitForDeadline()
    {
        final long waitNs = pacer.nanosToDeadline();
        if (waitNs > 0)
        {
            now += waitNs;
        }
    }
}
