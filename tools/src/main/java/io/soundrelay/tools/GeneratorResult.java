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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of one generator run. It {@link #passed()} when every datagram sent arrived byte for byte, once,
 * within the allowed loss, and none of the datagrams that must be dropped arrived.
 * <p>
 * Latency is one-way, from the datagram's scheduled send time to its receipt (both on this machine's
 * {@link System#nanoTime()} clock), so it includes any delay of the sender itself; with --rate-unlimited there is no
 * schedule and it starts at the actual send.
 * <p>
 * Inter-arrival is the time between two consecutive datagrams of one stream arriving at its sink, over all streams:
 * evenly paced streams show their period, bursts show near-zero gaps and the stalls between them.
 */
public final class GeneratorResult
{
    /** HdrHistogram's percentile distribution in microseconds for values recorded in nanoseconds. */
    public static final double NANOS_PER_MICRO = 1000.0;
    /** Percentile ticks per half distance in the percentile distribution, as HdrHistogram's own tools write. */
    public static final int PERCENTILE_TICKS_PER_HALF_DISTANCE = 5;
    /** Inter-arrival times are reported in milliseconds, recorded in nanoseconds. */
    public static final double NANOS_PER_MILLI = 1e6;

    private final GeneratorOptions options;
    private final long measuredReceived;
    private final long sent;
    private final long strangerSent;
    private final long sendErrors;
    private final long received;
    private final long delivered;
    private final long lost;
    private final long duplicates;
    private final long outOfOrder;
    private final long corrupt;
    private final long wrongStream;
    private final long leaked;
    private final int routeErrors;
    private final long sendNs;
    private final Histogram latencyNs;
    private final Histogram interArrivalNs;
    private final Return returned;

    GeneratorResult(
        final GeneratorOptions options,
        final SendCounters counters,
        final DeliveryLedger ledger,
        final Histogram latencyNs,
        final long sendNs,
        final int routeErrors)
    {
        this(options, counters, ledger, latencyNs, null, null, null, sendNs, routeErrors);
    }

    /**
     * @param interArrivalNs per-stream inter-arrival times at the sinks, or null for none recorded.
     * @param returnLedger   what came back to the streams' sockets with --echo, or null.
     * @param roundTripNs    the round trips recorded in it, or null.
     */
    GeneratorResult(
        final GeneratorOptions options,
        final SendCounters counters,
        final DeliveryLedger ledger,
        final Histogram latencyNs,
        final Histogram interArrivalNs,
        final DeliveryLedger returnLedger,
        final Histogram roundTripNs,
        final long sendNs,
        final int routeErrors)
    {
        this.options = options;
        this.sent = counters.sent.sum();
        this.strangerSent = counters.strangerSent.sum();
        this.sendErrors = counters.sendErrors.sum();
        this.received = ledger.received();
        this.measuredReceived = ledger.measured();
        this.delivered = ledger.delivered();
        this.lost = ledger.lost(counters.sentPerStream);
        this.duplicates = ledger.duplicates();
        this.outOfOrder = ledger.outOfOrder();
        this.corrupt = ledger.corrupt();
        this.wrongStream = ledger.wrongStream();
        this.leaked = ledger.leaked();
        this.routeErrors = routeErrors;
        this.sendNs = sendNs;
        this.latencyNs = latencyNs;
        this.interArrivalNs = null == interArrivalNs ? new Histogram(3) : interArrivalNs;
        this.returned = null == returnLedger ? null :
            new Return(counters, ledger, returnLedger, roundTripNs, sendNs);
    }

    /**
     * The return direction of an --echo run: what the sinks sent back and what of it reached the streams' own
     * sockets, checked as the forward direction is. Its latency is a round trip, from the datagram's scheduled
     * send time to its return.
     */
    public static final class Return
    {
        private final long echoed;
        private final long echoErrors;
        private final long received;
        private final long returned;
        private final long measuredReturned;
        private final long lost;
        private final long duplicates;
        private final long outOfOrder;
        private final long corrupt;
        private final long wrongStream;
        private final long leaked;
        private final long sendNs;
        private final Histogram roundTripNs;

        Return(
            final SendCounters counters,
            final DeliveryLedger forward,
            final DeliveryLedger back,
            final Histogram roundTripNs,
            final long sendNs)
        {
            this.echoed = forward.delivered();
            this.echoErrors = counters.echoErrors.sum();
            this.received = back.received();
            this.returned = back.delivered();
            this.measuredReturned = back.measured();
            this.lost = back.lost(forward.deliveredPerStream());
            this.duplicates = back.duplicates();
            this.outOfOrder = back.outOfOrder();
            this.corrupt = back.corrupt();
            this.wrongStream = back.wrongStream();
            this.leaked = back.leaked();
            this.sendNs = sendNs;
            this.roundTripNs = roundTripNs;
        }

        /**
         * @return datagrams the sinks sent back: those delivered intact, once each (a duplicate or a corrupt one is
         * echoed too, and comes back as one).
         */
        public long echoed()
        {
            return echoed;
        }

        /**
         * @return echoes a sink's socket refused or did not take: they count as lost on the way back.
         */
        public long echoErrors()
        {
            return echoErrors;
        }

        /**
         * @return datagrams that reached a stream's socket, whatever they were.
         */
        public long received()
        {
            return received;
        }

        /**
         * @return datagrams back intact at their own stream's socket, each counted once.
         */
        public long returned()
        {
            return returned;
        }

        /**
         * @return datagrams echoed that never came back, per stream.
         */
        public long lost()
        {
            return lost;
        }

        public long duplicates()
        {
            return duplicates;
        }

        public long outOfOrder()
        {
            return outOfOrder;
        }

        public long corrupt()
        {
            return corrupt;
        }

        /**
         * @return intact datagrams of another stream, or of a stream the generator does not run.
         */
        public long wrongStream()
        {
            return wrongStream;
        }

        public long leaked()
        {
            return leaked;
        }

        public long unexpected()
        {
            return wrongStream + leaked;
        }

        /**
         * @return lost in percent of the datagrams echoed.
         */
        public double lossPercent()
        {
            return echoed == 0 ? 0 : 100.0 * lost / echoed;
        }

        /**
         * @return datagrams returned per second of the sending window.
         */
        public double returnedPerSecond()
        {
            return sendNs <= 0 ? 0 : returned * 1e9 / sendNs;
        }

        /**
         * @return round trips of returned datagrams, in nanoseconds.
         */
        public Histogram roundTripNs()
        {
            return roundTripNs;
        }

        private void addFailures(final List<String> failures, final double allowLossPercent)
        {
            if (lossPercent() > allowLossPercent)
            {
                failures.add(String.format(Locale.ROOT, "lost on the way back %d (%.3f%% > %.3f%% allowed)",
                    lost, lossPercent(), allowLossPercent));
            }
            addIfAny(failures, duplicates, "duplicates back");
            addIfAny(failures, corrupt, "corrupt back");
            addIfAny(failures, wrongStream, "wrong-stream back");
            addIfAny(failures, leaked, "leaked back");
        }

        void printSummary(final PrintStream out, final String basis)
        {
            out.println();
            out.println("return: the sinks echoed every datagram; what came back to the streams' own sockets");
            out.println("echoed        " + echoed + (echoErrors > 0 ? " (+ " + echoErrors + " echoes not sent)" : ""));
            out.println("returned      " + returned + " intact, once each (" + received + " datagrams in all)");
            out.println(String.format(Locale.ROOT, "lost back     %d (%.3f%% of those echoed)", lost, lossPercent()));
            out.println("duplicates    " + duplicates);
            out.println("corrupt       " + corrupt);
            out.println("unexpected    " + unexpected() + " (wrong stream " + wrongStream + ", must-drop " + leaked +
                ")");
            out.println("out of order  " + outOfOrder);
            out.println(String.format(Locale.ROOT, "rates         returned %.1f/s", returnedPerSecond()));
            out.println();
            out.println("round-trip latency (us) from the " + basis + " send time to the return:");
            if (roundTripNs.getTotalCount() > 0)
            {
                out.println(String.format(Locale.ROOT,
                    "  min %.1f  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f",
                    micros(roundTripNs.getMinValue()), roundTripNs.getMean() / NANOS_PER_MICRO,
                    percentile(roundTripNs, 50), percentile(roundTripNs, 90), percentile(roundTripNs, 99),
                    percentile(roundTripNs, 99.9), micros(roundTripNs.getMaxValue())));
            }
            else
            {
                out.println("  none");
            }
        }

        /**
         * @return datagrams back intact whose round trip was measured (after the warm-up).
         */
        long measuredReturned()
        {
            return measuredReturned;
        }
    }

    /**
     * @return the options of the run.
     */
    public GeneratorOptions options()
    {
        return options;
    }

    /**
     * @return stream datagrams sent (not counting stranger datagrams).
     */
    public long sent()
    {
        return sent;
    }

    /**
     * @return datagrams sent that a relay must drop: from the stranger socket, or for unrouted stream ids.
     */
    public long strangerSent()
    {
        return strangerSent;
    }

    /**
     * @return sends the socket refused; those datagrams are not counted as sent.
     */
    public long sendErrors()
    {
        return sendErrors;
    }

    /**
     * @return datagrams that reached a receiver, whatever they were.
     */
    public long received()
    {
        return received;
    }

    /**
     * @return stream datagrams that arrived intact at their stream's receiver, each counted once; the JSON
     * report's {@code received}.
     */
    public long delivered()
    {
        return delivered;
    }

    public long lost()
    {
        return lost;
    }

    public long duplicates()
    {
        return duplicates;
    }

    /**
     * @return datagrams delivered after a later one of the same stream; reported, not a failure.
     */
    public long outOfOrder()
    {
        return outOfOrder;
    }

    /**
     * @return datagrams that were not byte for byte something the generator sent.
     */
    public long corrupt()
    {
        return corrupt;
    }

    /**
     * @return intact datagrams of a stream the generator does not run, or at a receiver not its stream's target.
     */
    public long wrongStream()
    {
        return wrongStream;
    }

    /**
     * @return stranger or unrouted-stream datagrams that reached a receiver.
     */
    public long leaked()
    {
        return leaked;
    }

    /**
     * @return intact datagrams that should not have arrived where they did: {@link #wrongStream()} plus
     * {@link #leaked()}.
     */
    public long unexpected()
    {
        return wrongStream + leaked;
    }

    /**
     * @return routes the node failed to delete at the end of the run.
     */
    public int routeErrors()
    {
        return routeErrors;
    }

    public double lossPercent()
    {
        return sent == 0 ? 0 : 100.0 * lost / sent;
    }

    /**
     * @return the sending window in seconds: from the first scheduled send to the end of sending.
     */
    public double sendSeconds()
    {
        return sendNs / 1e9;
    }

    /**
     * @return stream datagrams sent per second of the sending window.
     */
    public double sentPerSecond()
    {
        return sendNs <= 0 ? 0 : sent * 1e9 / sendNs;
    }

    /**
     * @return stream datagrams delivered per second of the sending window.
     */
    public double deliveredPerSecond()
    {
        return sendNs <= 0 ? 0 : delivered * 1e9 / sendNs;
    }

    /**
     * @return one-way latencies of delivered datagrams, in nanoseconds.
     */
    public Histogram latencyNs()
    {
        return latencyNs;
    }

    /**
     * @return the times between consecutive arrivals of a stream's datagrams at its sink, in nanoseconds.
     */
    public Histogram interArrivalNs()
    {
        return interArrivalNs;
    }

    /**
     * @return the return direction of an --echo run, or null without --echo.
     */
    public Return returned()
    {
        return returned;
    }

    public boolean passed()
    {
        return failures().isEmpty();
    }

    /**
     * @return why the run failed, one reason per entry; empty when it passed.
     */
    public List<String> failures()
    {
        final List<String> failures = new ArrayList<>();
        if (sent == 0)
        {
            failures.add("nothing was sent");
        }
        if (lossPercent() > options.allowLossPercent())
        {
            failures.add(String.format(Locale.ROOT, "lost %d (%.3f%% > %.3f%% allowed)",
                lost, lossPercent(), options.allowLossPercent()));
        }
        addIfAny(failures, duplicates, "duplicates");
        addIfAny(failures, corrupt, "corrupt");
        addIfAny(failures, wrongStream, "wrong-stream");
        addIfAny(failures, leaked, "leaked (must-drop datagrams that arrived)");
        addIfAny(failures, routeErrors, "route deletions failed");
        if (null != returned)
        {
            returned.addFailures(failures, options.allowLossPercent());
        }
        return failures;
    }

    /**
     * Write the latency histogram in HdrHistogram's percentile-distribution format, in microseconds: a .hgrm file,
     * as {@code soundrelay-tools plot} and HdrHistogram's own plotter read it.
     */
    public void printPercentileDistribution(final PrintStream out)
    {
        latencyNs.outputPercentileDistribution(out, PERCENTILE_TICKS_PER_HALF_DISTANCE, NANOS_PER_MICRO);
    }

    /**
     * Write the round-trip histogram of an --echo run as {@link #printPercentileDistribution(PrintStream)} writes
     * the one-way one.
     *
     * @throws IllegalStateException without --echo.
     */
    public void printReturnPercentileDistribution(final PrintStream out)
    {
        if (null == returned)
        {
            throw new IllegalStateException("no return direction without --echo");
        }
        returned.roundTripNs.outputPercentileDistribution(out, PERCENTILE_TICKS_PER_HALF_DISTANCE, NANOS_PER_MICRO);
    }

    /**
     * Print the short summary: counts, loss, the latency percentiles in milliseconds, any problem, the verdict and
     * a hint when nothing arrived.
     */
    public void printSummary(final PrintStream out)
    {
        printSummary(out, false);
    }

    /**
     * @param verbose also every counter, the rates, the full percentile table (microseconds, as the .hgrm file has
     *                it) and the inter-arrival times.
     */
    public void printSummary(final PrintStream out, final boolean verbose)
    {
        GeneratorSummary.print(this, out, verbose);
    }

    /**
     * @return the run as one JSON object: its settings, counts, rates, latency summary in microseconds and verdict.
     */
    public String toJson()
    {
        return LoadgenJson.report(this);
    }

    /**
     * @return datagrams delivered whose latency was measured (after the warm-up).
     */
    long measuredReceived()
    {
        return measuredReceived;
    }

    String latencyBasis()
    {
        return options.rateUnlimited() ? "actual" : "scheduled";
    }

    private double percentile(final double percentile)
    {
        return percentile(latencyNs, percentile);
    }

    static double percentile(final Histogram histogram, final double percentile)
    {
        return histogram.getTotalCount() == 0 ? 0 : micros(histogram.getValueAtPercentile(percentile));
    }

    static double millis(final Histogram histogram, final double percentile)
    {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / NANOS_PER_MILLI;
    }

    static double micros(final long nanos)
    {
        return nanos / NANOS_PER_MICRO;
    }

    private static void addIfAny(final List<String> failures, final long count, final String what)
    {
        if (count > 0)
        {
            failures.add(what + " " + count);
        }
    }
}
