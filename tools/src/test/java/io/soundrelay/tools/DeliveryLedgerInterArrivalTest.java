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
package io.soundrelay.tools;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Inter-arrival times in the {@link DeliveryLedger}: per stream, between consecutive delivered datagrams, with the
 * arrival times given by the test (no clock).
 */
final class DeliveryLedgerInterArrivalTest
{
    private static final long FIRST = 1000;
    private static final long MS = 1_000_000L;

    @Test
    void recordsTheGapBetweenTwoArrivalsOfTheSameStream()
    {
        final DeliveryLedger ledger = new DeliveryLedger(FIRST, 2, DeliveryLedger.ANY_RECEIVER);
        // Stream 0 at 0, 20 and 40 ms; stream 1 at 5 and 305 ms: another stream's arrival is no gap.
        ledger.onVerified(0, FIRST, 0, 0, 0);
        ledger.onVerified(0, FIRST + 1, 0, 0, 5 * MS);
        ledger.onVerified(0, FIRST, 1, 0, 20 * MS);
        ledger.onVerified(0, FIRST, 2, 0, 40 * MS);
        ledger.onVerified(0, FIRST + 1, 1, 0, 305 * MS);

        final Histogram gaps = ledger.intervalInterArrivals(null);
        assertEquals(3, gaps.getTotalCount(), "a stream's first arrival has no gap");
        assertEquals(2, gaps.getCountBetweenValues(20 * MS - 20 * MS / 1000, 20 * MS + 20 * MS / 1000));
        assertEquals(300 * MS, gaps.getMaxValue(), 300 * MS / 1000.0);
    }

    @Test
    void duplicatesAndDatagramsBeforeTheMeasuredWindowAreNotGaps()
    {
        final DeliveryLedger ledger = new DeliveryLedger(FIRST, 1, DeliveryLedger.ANY_RECEIVER);
        ledger.measureFrom(100 * MS);
        ledger.onVerified(0, FIRST, 0, 0, 0);
        ledger.onVerified(0, FIRST, 1, 20 * MS, 20 * MS);
        ledger.onVerified(0, FIRST, 1, 20 * MS, 25 * MS);
        ledger.onVerified(0, FIRST, 5, 100 * MS, 100 * MS);

        final Histogram gaps = ledger.intervalInterArrivals(null);
        assertEquals(1, gaps.getTotalCount(), "only the measured datagram's gap, from the last delivered one");
        assertEquals(80 * MS, gaps.getMaxValue(), 80 * MS / 1000.0);
    }
}
