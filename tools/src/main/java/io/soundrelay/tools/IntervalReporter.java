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

import java.io.PrintStream;
import java.util.Locale;

/**
 * Prints a progress line per interval (rates and latency percentiles of that interval) and gathers every interval's
 * latencies into the run's total histogram. Used by the generator's main thread only.
 */
final class IntervalReporter
{
    private static final double NANOS_PER_MICRO = 1000.0;

    private final PrintStream out;
    private final SendCounters counters;
    private final DeliveryLedger ledger;
    private final long intervalNs;
    private final long startNs;
    private final Histogram total = new Histogram(3);
    private Histogram interval;
    private long nextReportNs;
    private long lastReportNs;
    private long lastSent;
    private long lastReceived;

    IntervalReporter(
        final PrintStream out,
        final SendCounters counters,
        final DeliveryLedger ledger,
        final double intervalSeconds,
        final long startNs)
    {
        this.out = out;
        this.counters = counters;
        this.ledger = ledger;
        this.intervalNs = (long)(intervalSeconds * 1e9);
        this.startNs = startNs;
        this.lastReportNs = startNs;
        this.nextReportNs = startNs + intervalNs;
    }

    /**
     * @return nanoseconds until the next line is due, at least 1.
     */
    long nanosToNextReport(final long nowNs)
    {
        return Math.max(1, nextReportNs - nowNs);
    }

    void reportIfDue(final long nowNs)
    {
        if (nowNs - nextReportNs >= 0)
        {
            report(nowNs);
            nextReportNs += intervalNs * (1 + (nowNs - nextReportNs) / intervalNs);
        }
    }

    /**
     * Gather the latencies not yet reported and hand over the run's total.
     *
     * @return every latency recorded, in nanoseconds.
     */
    Histogram finish()
    {
        interval = ledger.intervalLatencies(interval);
        total.add(interval);
        return total;
    }

    private void report(final long nowNs)
    {
        interval = ledger.intervalLatencies(interval);
        total.add(interval);

        final long sent = counters.sent.sum();
        final long received = ledger.received();
        final double seconds = Math.max(1e-9, (nowNs - lastReportNs) / 1e9);
        out.println(String.format(Locale.ROOT, "%8.1fs  sent/s %9.0f  received/s %9.0f  latency us %s",
            (nowNs - startNs) / 1e9, (sent - lastSent) / seconds, (received - lastReceived) / seconds,
            percentiles(interval)));

        lastSent = sent;
        lastReceived = received;
        lastReportNs = nowNs;
    }

    private static String percentiles(final Histogram histogram)
    {
        if (histogram.getTotalCount() == 0)
        {
            return "p50 - p99 - p999 -";
        }
        return String.format(Locale.ROOT, "p50 %.1f p99 %.1f p999 %.1f",
            histogram.getValueAtPercentile(50) / NANOS_PER_MICRO,
            histogram.getValueAtPercentile(99) / NANOS_PER_MICRO,
            histogram.getValueAtPercentile(99.9) / NANOS_PER_MICRO);
    }
}
