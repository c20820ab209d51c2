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

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a {@link RollingDrill} saw: per node how its restart went, and over the whole roll what was sent and what
 * arrived. It passes when every node restarted (exit 0), came back ready, and every datagram arrived once and in
 * order.
 */
public final class RollingReport implements DrillRun.Report
{
    private static final int WORST_STREAMS = 5;

    private final RollingDrillOptions options;
    private final List<MigrateDrill.Node> nodes;
    private final List<RollingDrill.Roll> rolls;
    private final List<SequenceLedger.Counts> streams;
    private final int routeErrors;
    private final long failedPolls;
    private final long missingRoutes;
    private final DeliveryTotals totals;
    private final boolean completed;

    RollingReport(
        final RollingDrillOptions options,
        final List<MigrateDrill.Node> nodes,
        final List<RollingDrill.Roll> rolls,
        final List<SequenceLedger.Counts> streams,
        final long datagramsIn,
        final long corrupt,
        final long unknownStream,
        final long sendErrors,
        final int routeErrors,
        final long failedPolls,
        final long missingRoutes,
        final boolean completed,
        final long sendNs)
    {
        this.options = options;
        this.nodes = List.copyOf(nodes);
        this.rolls = List.copyOf(rolls);
        this.streams = List.copyOf(streams);
        this.routeErrors = routeErrors;
        this.failedPolls = failedPolls;
        this.missingRoutes = missingRoutes;
        this.completed = completed;
        this.totals = DeliveryTotals.of(streams, datagramsIn, corrupt, unknownStream, sendErrors, sendNs);
    }

    public List<RollingDrill.Roll> rolls()
    {
        return rolls;
    }

    List<SequenceLedger.Counts> streams()
    {
        return streams;
    }

    public long sent()
    {
        return totals.sent();
    }

    public long received()
    {
        return totals.received();
    }

    public long lost()
    {
        return totals.lost();
    }

    public long duplicated()
    {
        return totals.duplicated();
    }

    public long reordered()
    {
        return totals.reordered();
    }

    /**
     * @return datagrams that are no frame sent: corrupt, of an unknown stream, or a sequence never sent.
     */
    public long unexpected()
    {
        return totals.unexpected();
    }

    /**
     * @return times a source's GET /route/{id} failed and it asked another node.
     */
    public long failedPolls()
    {
        return failedPolls;
    }

    /**
     * @return the slowest switch-over of any node's restart, in milliseconds; -1 when no stream moved.
     */
    public double slowestSwitchMs()
    {
        return rolls.stream().mapToDouble(RollingDrill.Roll::slowestSwitchMs).max().orElse(-1);
    }

    public boolean passed()
    {
        return failures().isEmpty();
    }

    int exitCode()
    {
        return passed() ? 0 : 1;
    }

    /**
     * @return why the drill failed, one entry per reason; empty when it passed.
     */
    public List<String> failures()
    {
        final List<String> failures = new ArrayList<>();
        if (!completed)
        {
            failures.add("stopped before the end");
        }
        if (0 == totals.sent())
        {
            failures.add("nothing was sent");
        }
        if (completed && rolls.size() < nodes.size())
        {
            failures.add((nodes.size() - rolls.size()) + " nodes not restarted");
        }
        for (final RollingDrill.Roll roll : rolls)
        {
            if (null != roll.failure())
            {
                failures.add(roll.nodeId() + " " + roll.failure());
            }
        }
        addIfAny(failures, totals.lost(), "lost");
        addIfAny(failures, totals.duplicated(), "duplicated");
        // Reordered is reported, not failed: the old node's forwarded frames take one hop more than those the
        // source sends to the new node once it switched, so a few may overtake; nothing is lost or repeated.
        addIfAny(failures, unexpected(), "unexpected");
        addIfAny(failures, missingRoutes, "answers that a route is gone (404)");
        addIfAny(failures, routeErrors, "route deletions failed");
        return failures;
    }

    /**
     * Print the summary: a line per node, the totals, the worst streams when any lost or repeated, and PASS or FAIL.
     */
    public void printSummary(final PrintStream out)
    {
        out.println();
        for (final RollingDrill.Roll roll : rolls)
        {
            out.println(String.format(Locale.ROOT, "%-20s restart exit %s, drain %s, ready after %s, %d streams " +
                "moved, slowest switch-over %s%s", roll.nodeId(),
                roll.restartStatus() < 0 ? "(none)" : Integer.toString(roll.restartStatus()),
                seconds(roll.drainMs()), seconds(roll.backMs()), roll.streamsMoved(),
                seconds(roll.slowestSwitchMs()), null == roll.failure() ? "" : ", " + roll.failure()));
        }
        out.println(String.format(Locale.ROOT, "streams       %d at %s pps over %d nodes, %d restarted",
            streams.size(), DrillSupport.rate(options.traffic().ppsPerStream()), nodes.size(), rolls.size()));
        totals.print(out);
        out.println("owner checks  " + failedPolls + " failed and asked another node" +
            (missingRoutes > 0 ? ", " + missingRoutes + " answered 404" : ""));
        if (routeErrors > 0)
        {
            out.println("route errors  " + routeErrors + " routes not deleted");
        }
        printWorst(out);
        out.println();
        out.println(passed() ? "PASS" : "FAIL: " + String.join(", ", failures()));
        out.flush();
    }

    private void printWorst(final PrintStream out)
    {
        final List<Integer> worst = new ArrayList<>();
        for (int i = 0; i < streams.size(); i++)
        {
            final SequenceLedger.Counts counts = streams.get(i);
            if (counts.lost() + counts.duplicated() + counts.reordered() + counts.unexpected() > 0)
            {
                worst.add(i);
            }
        }
        worst.sort((a, b) -> Long.compare(badness(streams.get(b)), badness(streams.get(a))));
        for (int k = 0; k < Math.min(WORST_STREAMS, worst.size()); k++)
        {
            final int i = worst.get(k);
            final SequenceLedger.Counts counts = streams.get(i);
            out.println(String.format(Locale.ROOT, "%s stream %s: sent %d, lost %d, duplicated %d, reordered %d",
                0 == k ? "worst        " : "             ",
                Long.toUnsignedString(options.traffic().firstStreamId() + i), counts.sent(), counts.lost(),
                counts.duplicated(), counts.reordered()));
        }
        if (worst.size() > WORST_STREAMS)
        {
            out.println("              and " + (worst.size() - WORST_STREAMS) + " more streams");
        }
    }

    /**
     * @return the report as one JSON object.
     */
    public String toJson()
    {
        return Json.write(this::writeJson);
    }

    private void writeJson(final JsonGenerator json) throws IOException
    {
        json.writeStartObject();
        json.writeStringField("tool", "rolling-drill");
        json.writeNumberField("streams", streams.size());
        Json.writeRounded(json, "pps_per_stream", options.traffic().ppsPerStream());
        json.writeNumberField("check_ms", options.checkMs());
        json.writeNumberField("settle_ms", options.settleMs());
        json.writeArrayFieldStart("nodes");
        for (final RollingDrill.Roll roll : rolls)
        {
            json.writeStartObject();
            json.writeStringField("node_id", roll.nodeId());
            json.writeNumberField("restart_status", roll.restartStatus());
            Json.writeRounded(json, "drain_ms", roll.drainMs());
            Json.writeRounded(json, "ready_ms", roll.backMs());
            json.writeNumberField("streams_moved", roll.streamsMoved());
            Json.writeRounded(json, "slowest_switch_ms", roll.slowestSwitchMs());
            json.writeStringField("failure", roll.failure());
            json.writeEndObject();
        }
        json.writeEndArray();
        totals.write(json);
        json.writeNumberField("route_errors", routeErrors);
        json.writeNumberField("failed_owner_checks", failedPolls);
        json.writeNumberField("missing_routes", missingRoutes);
        json.writeBooleanField("passed", passed());
        json.writeArrayFieldStart("failures");
        for (final String failure : failures())
        {
            json.writeString(failure);
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    @Override
    public String toString()
    {
        return "RollingReport{" + totals + ", rolls=" + rolls + ", failures=" + failures() + "}";
    }

    /**
     * @return milliseconds as seconds with two decimals, or "(not seen)" for a negative value.
     */
    static String seconds(final double millis)
    {
        return millis < 0 ? "(not seen)" : String.format(Locale.ROOT, "%.2f s", millis / 1000);
    }

    private static long badness(final SequenceLedger.Counts counts)
    {
        return counts.lost() + counts.duplicated() + counts.reordered() + counts.unexpected();
    }

    private static void addIfAny(final List<String> failures, final long count, final String what)
    {
        if (count > 0)
        {
            failures.add(what + " " + count);
        }
    }
}
