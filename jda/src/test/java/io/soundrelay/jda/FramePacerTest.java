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

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The send thread's schedule on a clock the test moves by hand: deterministic, no sleeping, no timing.
 */
final class FramePacerTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PERIOD = FramePacer.FRAME_PERIOD_NS;

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
