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

import static io.soundrelay.tools.GeneratorResult.NANOS_PER_MICRO;
import static io.soundrelay.tools.GeneratorResult.NANOS_PER_MILLI;
import static io.soundrelay.tools.GeneratorResult.micros;
import static io.soundrelay.tools.GeneratorResult.millis;
import static io.soundrelay.tools.GeneratorResult.percentile;

/**
 * What a load generator run prints at its end: a short summary (counts, loss, the latency percentiles in
 * milliseconds) or, with --verbose, every counter, the rates, the full percentile table and the inter-arrival times;
 * then the verdict, and a hint when nothing arrived.
 */
final class GeneratorSummary
{
    private GeneratorSummary()
    {
    }

    /**
     * @param verbose every counter and the full tables instead of the short summary.
     */
    static void print(final GeneratorResult r, final PrintStream out, final boolean verbose)
    {
        if (verbose)
        {
            printDetails(r, out);
        }
        else
        {
            printBrief(r, out);
        }
        out.println();
        out.println(r.passed() ? "PASS" : "FAIL: " + String.join(", ", r.failures()));
        final String hint = nothingArrivedHint(r);
        if (null != hint)
        {
            out.println(hint);
        }
    }

    private static void printBrief(final GeneratorResult r, final PrintStream out)
    {
        out.println();
        out.println("sent       " + r.sent() + mustDrop(r));
        out.println("received   " + r.delivered() + " intact, once each");
        out.println(String.format(Locale.ROOT, "lost       %d (%.3f%%)", r.lost(), r.lossPercent()));
        out.println("latency    " + millisLine(r.latencyNs()) + "  (one way, from the " + r.latencyBasis() +
            " send time)");
        if (null != r.returned())
        {
            out.println(String.format(Locale.ROOT, "returned   %d of %d echoed, lost back %d (%.3f%%)",
                r.returned().returned(), r.returned().echoed(), r.returned().lost(), r.returned().lossPercent()));
            out.println("round trip " + millisLine(r.returned().roundTripNs()));
        }
        final List<String> problems = new ArrayList<>();
        addIfAny(problems, r.duplicates(), "duplicates");
        addIfAny(problems, r.corrupt(), "corrupt");
        addIfAny(problems, r.unexpected(), "unexpected");
        addIfAny(problems, r.outOfOrder(), "out of order");
        addIfAny(problems, r.sendErrors(), "send errors");
        if (!problems.isEmpty())
        {
            out.println("also       " + String.join(", ", problems) + " (--verbose for every counter)");
        }
    }

    /**
     * @return {@code p50 0.084  p99 0.120  p99.9 0.301  max 1.204 ms}, or {@code none measured}.
     */
    static String millisLine(final Histogram histogram)
    {
        if (null == histogram || histogram.getTotalCount() == 0)
        {
            return "none measured";
        }
        return String.format(Locale.ROOT, "p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms",
            millis(histogram, 50), millis(histogram, 99), millis(histogram, 99.9),
            histogram.getMaxValue() / NANOS_PER_MILLI);
    }

    /**
     * @return a hint naming the relay address when datagrams were sent and none arrived, else null.
     */
    static String nothingArrivedHint(final GeneratorResult r)
    {
        if (r.sent() == 0 || r.received() > 0)
        {
            return null;
        }
        final String where = r.options().returnPath() ?
            "the relay ports on " + r.options().relay().getAddress().getHostAddress() + (r.options().createRoutes() ?
                " that the node's answers named" : " from --relay-port-base " + r.options().relayPortBase()) :
            RouteClient.format(r.options().relay());
        return "hint: nothing arrived. The datagrams went to " + where + " (--relay): is that the relay's UDP " +
            "address (the node's BIND_ADDR), reachable from here" + (r.options().createRoutes() ?
            ", and can the node reach the sinks on --bind-host " + r.options().bindHost() + "?" : "?");
    }

    private static void printDetails(final GeneratorResult r, final PrintStream out)
    {
        out.println();
        out.println("sent          " + r.sent() + mustDrop(r));
        out.println("received      " + r.delivered() + " intact, once each (" + r.received() + " datagrams in all)");
        out.println(String.format(Locale.ROOT, "lost          %d (%.3f%%)", r.lost(), r.lossPercent()));
        out.println("duplicates    " + r.duplicates());
        out.println("corrupt       " + r.corrupt());
        out.println("unexpected    " + r.unexpected() + " (wrong stream " + r.wrongStream() + ", must-drop " +
            r.leaked() + ")");
        out.println("out of order  " + r.outOfOrder());
        out.println("send errors   " + r.sendErrors());
        out.println(String.format(Locale.ROOT, "rates         sent %.1f/s, delivered %.1f/s over %.3f s",
            r.sentPerSecond(), r.deliveredPerSecond(), r.sendSeconds()));
        out.println();
        out.println("one-way latency (us) from the " + r.latencyBasis() + " send time:");
        final Histogram latency = r.latencyNs();
        if (latency.getTotalCount() > 0)
        {
            out.println(String.format(Locale.ROOT,
                "  min %.1f  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f",
                micros(latency.getMinValue()), latency.getMean() / NANOS_PER_MICRO, percentile(latency, 50),
                percentile(latency, 90), percentile(latency, 99), percentile(latency, 99.9),
                micros(latency.getMaxValue())));
        }
        r.printPercentileDistribution(out);
        out.println();
        out.println("inter-arrival (ms) of a stream's datagrams at its sink:");
        final Histogram gaps = r.interArrivalNs();
        if (gaps.getTotalCount() > 0)
        {
            out.println(String.format(Locale.ROOT, "  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (%d gaps)",
                millis(gaps, 50), millis(gaps, 99), millis(gaps, 99.9), gaps.getMaxValue() / NANOS_PER_MILLI,
                gaps.getTotalCount()));
        }
        else
        {
            out.println("  none");
        }
        if (null != r.returned())
        {
            r.returned().printSummary(out, r.latencyBasis());
        }
    }

    private static String mustDrop(final GeneratorResult r)
    {
        return r.strangerSent() > 0 ? " (+ " + r.strangerSent() + " must-drop)" : "";
    }

    private static void addIfAny(final List<String> problems, final long count, final String what)
    {
        if (count > 0)
        {
            problems.add(what + " " + count);
        }
    }
}
