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

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The progress line as a person reads it: datagrams sent and not received yet are in flight, not lost. Driven with
 * made-up clock values: the reporter prints when the time it is given says a line is due.
 */
final class IntervalReporterTest
{
    private static final long SECOND_NS = 1_000_000_000L;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final SendCounters counters = new SendCounters(1);
    private final DeliveryLedger ledger = new DeliveryLedger(1000, 1, DeliveryLedger.ANY_RECEIVER);
    private final IntervalReporter reporter = new IntervalReporter(
        new PrintStream(output, true, StandardCharsets.UTF_8), counters, ledger, 1.0, 0);

    @Test
    void datagramsNotReceivedYetAreInFlightNotLost()
    {
        sent(100);
        received(0, 97);

        reporter.reportIfDue(SECOND_NS);

        final String line = output.toString(StandardCharsets.UTF_8);
        assertTrue(line.contains("sent 100 (100/s)  received 97 (97/s)  in flight 3  p99 "), line);
        assertFalse(line.contains("loss"), line);
        assertFalse(line.contains("lost"), line);
    }

    @Test
    void inFlightFallsAsTheStragglersArrive()
    {
        sent(100);
        received(0, 90);
        reporter.reportIfDue(SECOND_NS);
        received(90, 100);
        reporter.reportIfDue(2 * SECOND_NS);

        final String[] lines = output.toString(StandardCharsets.UTF_8).split(System.lineSeparator());
        assertEquals(2, lines.length, output::toString);
        assertTrue(lines[0].contains("in flight 10"), lines[0]);
        assertTrue(lines[1].contains("received 100 (10/s)  in flight 0"), lines[1]);
    }

    @Test
    void noLineBeforeItIsDue()
    {
        sent(1);
        reporter.reportIfDue(SECOND_NS - 1);

        assertEquals("", output.toString(StandardCharsets.UTF_8));
    }

    private void sent(final int count)
    {
        counters.sent.add(count);
        counters.sentPerStream[0] += count;
    }

    private void received(final int fromSequence, final int toSequence)
    {
        for (int sequence = fromSequence; sequence < toSequence; sequence++)
        {
            ledger.onVerified(0, 1000, sequence, 0, 1000);
        }
    }
}
