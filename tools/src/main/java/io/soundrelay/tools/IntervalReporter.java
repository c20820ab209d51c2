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
 * Prints a progress line per interval and gathers every interval's latencies into the run's total histogram. A line
 * has the time since the first scheduled send, datagrams sent and received (intact, once each) so far and per
 * second over the interval, the datagrams in flight (sent, not received yet) and the interval's 99th percentile
 * latency:
 * <pre>
 *      1.0s  sent 5000 (5000/s)  received 4999 (4999/s)  in flight 1  p99 0.084ms
 * </pre>
 * In flight is not loss: at 50,000 datagrams a second a relay that loses nothing still has some on their way at any
 * moment. A datagram lost stays in flight for good, so steady loss shows as a count that keeps growing; the summary
 * counts what is lost once the senders are done and the stragglers have had --grace-ms to arrive.
 * <p>
 * With --echo the line goes on with the return direction: datagrams back at the streams' sockets so far and per
 * second, those echoed and not back yet, and the interval's 99th percentile round trip:
 * <pre>
 *      1.0s  sent 5000 (5000/s)  received 4999 (4999/s)  in flight 1  p99 0.084ms
 *            returned 4990 (4990/s)  on the way back 9  round trip p99 0.160ms      (on the same line)
 * </pre>
 * Used by the generator's main thread, and by the Ctrl-C hook for {@link #snapshot()}: the methods that touch the
 * histograms are synchronized (once per interval, off the data path).
 */
final class IntervalReporter
{
    private static final double NANOS_PER_MILLI = 1e6;

    private final PrintStream out;
    private final SendCounters counters;
    private final DeliveryLedger ledger;
    private final DeliveryLedger returnLedger;
    private final long intervalNs;
    private final long startNs;
    private final Histogram total = new Histogram(3);
    private final Histogram returnTotal = new Histogram(3);
    private Histogram interval;
    private Histogram returnInterval;
    private long lastReturned;
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
        this(out, counters, ledger, null, intervalSeconds, startNs);
    }

    /**
     * @param returnLedger what came back to the streams' sockets (--echo), or null.
     */
    IntervalReporter(
        final PrintStream out,
        final SendCounters counters,
        final DeliveryLedger ledger,
        final DeliveryLedger returnLedger,
        final double intervalSeconds,
        final long startNs)
    {
        this.out = out;
        this.counters = counters;
        this.ledger = ledger;
        this.returnLedger = returnLedger;
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

    synchronized void reportIfDue(final long nowNs)
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
    synchronized Histogram finish()
    {
        interval = ledger.intervalLatencies(interval);
        total.add(interval);
        if (null != returnLedger)
        {
            returnInterval = returnLedger.intervalLatencies(returnInterval);
            returnTotal.add(returnInterval);
        }
        return total;
    }

    /**
     * Gather the latencies recorded so far into the total and return a copy of it, for a summary of a run stopped
     * before its end.
     *
     * @return every latency recorded so far, in nanoseconds.
     */
    synchronized Histogram snapshot()
    {
        interval = ledger.intervalLatencies(interval);
        total.add(interval);
        return total.copy();
    }

    /**
     * @return every round trip recorded, in nanoseconds, once {@link #finish()} has gathered the last ones; empty
     * without a return ledger.
     */
    Histogram returnTotal()
    {
        return returnTotal;
    }

    private void report(final long nowNs)
    {
        interval = ledger.intervalLatencies(interval);
        total.add(interval);

        final long sent = counters.sent.sum();
        final long received = ledger.delivered();
        final double seconds = Math.max(1e-9, (nowNs - lastReportNs) / 1e9);
        final long inFlight = Math.max(0, sent - received);
        final long bad = ledger.duplicates() + ledger.corrupt() + ledger.wrongStream() + ledger.leaked();
        final String line = String.format(Locale.ROOT,
            "%8.1fs  sent %d (%.0f/s)  received %d (%.0f/s)  in flight %d  p99 %s%s",
            (nowNs - startNs) / 1e9, sent, (sent - lastSent) / seconds, received, (received - lastReceived) / seconds,
            inFlight, p99(interval), bad > 0 ? "  bad " + bad : "");
        out.println(null == returnLedger ? line : line + returnPart(received, seconds));

        lastSent = sent;
        lastReceived = received;
        lastReportNs = nowNs;
    }

    private String returnPart(final long echoed, final double seconds)
    {
        returnInterval = returnLedger.intervalLatencies(returnInterval);
        returnTotal.add(returnInterval);
        final long returned = returnLedger.delivered();
        final long bad = returnLedger.duplicates() + returnLedger.corrupt() + returnLedger.wrongStream() +
            returnLedger.leaked();
        final String part = String.format(Locale.ROOT,
            "  returned %d (%.0f/s)  on the way back %d  round trip p99 %s%s", returned,
            (returned - lastReturned) / seconds, Math.max(0, echoed - returned), p99(returnInterval),
            bad > 0 ? "  bad back " + bad : "");
        lastReturned = returned;
        return part;
    }

    private static String p99(final Histogram histogram)
    {
        if (histogram.getTotalCount() == 0)
        {
            return "-";
        }
        return String.format(Locale.ROOT, "%.3fms", histogram.getValueAtPercentile(99) / NANOS_PER_MILLI);
    }
}
