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
 */
public final class GeneratorResult
{
    private static final double NANOS_PER_MICRO = 1000.0;

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
    private final double allowLossPercent;
    private final Histogram latencyNs;

    GeneratorResult(
        final SendCounters counters,
        final DeliveryLedger ledger,
        final Histogram latencyNs,
        final long sendNs,
        final int routeErrors,
        final double allowLossPercent)
    {
        this.sent = counters.sent.sum();
        this.strangerSent = counters.strangerSent.sum();
        this.sendErrors = counters.sendErrors.sum();
        this.received = ledger.received();
        this.delivered = ledger.delivered();
        this.lost = ledger.lost(counters.sentPerStream);
        this.duplicates = ledger.duplicates();
        this.outOfOrder = ledger.outOfOrder();
        this.corrupt = ledger.corrupt();
        this.wrongStream = ledger.wrongStream();
        this.leaked = ledger.leaked();
        this.routeErrors = routeErrors;
        this.sendNs = sendNs;
        this.allowLossPercent = allowLossPercent;
        this.latencyNs = latencyNs;
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
     * @return stream datagrams that arrived intact at their stream's receiver, each counted once.
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
     * @return stream datagrams delivered per second of sending.
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
        if (lossPercent() > allowLossPercent)
        {
            failures.add(String.format(Locale.ROOT, "lost %d (%.3f%% > %.3f%% allowed)",
                lost, lossPercent(), allowLossPercent));
        }
        addIfAny(failures, duplicates, "duplicates");
        addIfAny(failures, corrupt, "corrupt");
        addIfAny(failures, wrongStream, "wrong-stream");
        addIfAny(failures, leaked, "leaked (must-drop datagrams that arrived)");
        addIfAny(failures, routeErrors, "route deletions failed");
        return failures;
    }

    public void printSummary(final PrintStream out)
    {
        out.println();
        out.println("sent          " + sent + (strangerSent > 0 ? " (+ " + strangerSent + " must-drop)" : ""));
        out.println("received      " + received);
        out.println("delivered     " + delivered);
        out.println(String.format(Locale.ROOT, "lost          %d (%.3f%%)", lost, lossPercent()));
        out.println("duplicates    " + duplicates);
        out.println("out-of-order  " + outOfOrder);
        out.println("corrupt       " + corrupt);
        out.println("wrong-stream  " + wrongStream);
        out.println("leaked        " + leaked);
        out.println("send errors   " + sendErrors);
        out.println(String.format(Locale.ROOT, "delivered/s   %.1f", deliveredPerSecond()));
        if (latencyNs.getTotalCount() > 0)
        {
            out.println();
            out.println("one-way latency (us):");
            latencyNs.outputPercentileDistribution(out, NANOS_PER_MICRO);
        }
        out.println();
        out.println(passed() ? "PASS" : "FAIL: " + String.join(", ", failures()));
    }

    private static void addIfAny(final List<String> failures, final long count, final String what)
    {
        if (count > 0)
        {
            failures.add(what + " " + count);
        }
    }
}
