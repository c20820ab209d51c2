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

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ErrorLogLimiterTest
{
    private static final long SECOND_NS = 1_000_000_000L;

    @Test
    void theFirstErrorIsLoggedWhateverTheClockOrigin()
    {
        // System.nanoTime() has an arbitrary origin and may be negative: the old check against a last-log time of
        // 0 held back every error until the clock passed one second.
        for (final long origin : new long[] { Long.MIN_VALUE, -5 * SECOND_NS, 0, SECOND_NS / 2, Long.MAX_VALUE })
        {
            assertEquals(0, new ErrorLogLimiter(SECOND_NS).onError(origin), "origin " + origin);
        }
    }

    @Test
    void aFloodGivesOneLineAnIntervalCountingTheRest()
    {
        final ErrorLogLimiter limiter = new ErrorLogLimiter(SECOND_NS);
        final long start = Long.MAX_VALUE - SECOND_NS; // the clock wraps during the test
        assertEquals(0, limiter.onError(start));
        for (int i = 1; i < 1000; i++)
        {
            assertEquals(ErrorLogLimiter.QUIET, limiter.onError(start + i * (SECOND_NS / 1000)));
        }
        assertEquals(999, limiter.onError(start + SECOND_NS), "the next line counts the errors held back");
        assertEquals(ErrorLogLimiter.QUIET, limiter.onError(start + SECOND_NS + 1));
        assertEquals(1, limiter.onError(start + 3 * SECOND_NS));
        assertEquals(0, limiter.onError(start + 5 * SECOND_NS));
    }
}
