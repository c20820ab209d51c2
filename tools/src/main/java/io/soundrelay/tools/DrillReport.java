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
 * What a {@link MigrateDrill} run found: per stream what was sent and what arrived, how each migration went, and
 * the verdict. The drill passes when every migration succeeded and every datagram sent arrived exactly once and in
 * order: nothing lost, duplicated, reordered, corrupt or unexpected, and every route deleted.
 */
final class DrillReport implements DrillRun.Report
{
    /**
     * One stream's outcome.
     *
     * @param owner    the node that held the route at the end.
     * @param migrated true when a migration of the stream succeeded.
     */
    record StreamResult(long streamId, String owner, boolean migrated, SequenceLedger.Counts counts)
    {
    }

    /**
     * One migration.
     *
     * @param newNodeAddr the new node's relay address, as asked for.
     * @param status      the node's HTTP status: 200 when the new node holds the route; 0 when it did not answer.
     * @param error       the answer's body, or why there was none, when the migration failed; else empty.
     * @param millis      from the request to the answer.
     * @param switched    true when the stream's datagrams went to the new node afterwards.
     */
    record Migration(
        long streamId,
        String fromNode,
        String toNode,
        String newNodeAddr,
        int status,
        String error,
        double millis,
        boolean switched)
    {
        /**
         * @return true when the node answered 200.
         */
        boolean ok()
        {
            return 200 == status;
        }
    }

    /** Streams and migrations with a problem listed without --verbose, at most. */
    static final int BRIEF_LINES = 10;

    private final DrillOptions options;
    private final List<MigrateDrill.Node> nodes;
    private final List<StreamResult> streams;
    private final List<Migration> migrations;
    private final int routeErrors;
    private final DeliveryTotals totals;
    private final boolean completed;
    private final double[] okMillis;
    private boolean verbose;

    private static boolean troubled(final StreamResult stream)
    {
        final SequenceLedger.Counts counts = stream.counts();
        return counts.lost() > 0 || counts.duplicated() > 0 || counts.reordered() > 0;
    }

    /**
     * @param datagramsIn   every datagram the receiver took.
     * @param corrupt       datagrams that were not byte for byte a frame sent.
     * @param unknownStream datagrams of a stream id the drill did not send.
     * @param sendErrors    datagrams the source socket failed to send (sent again on the stream's next tick).
     * @param routeErrors   routes the nodes failed to delete.
     * @param completed     false when the drill was stopped before its end.
     * @param sendNs        nanoseconds from the first scheduled send to the end of sending.
     */
    DrillReport(
        final DrillOptions options,
        final List<MigrateDrill.Node> nodes,
        final List<StreamResult> streams,
        final List<Migration> migrations,
        final long datagramsIn,
        final long corrupt,
        final long unknownStream,
        final long sendErrors,
        final int routeErrors,
        final boolean completed,
        final long sendNs)
    {
        this.options = options;
        this.nodes = List.copyOf(nodes);
        this.streams = List.copyOf(streams);
        this.migrations = List.copyOf(migrations);
        this.routeErrors = routeErrors;
        this.completed = completed;

        this.totals = DeliveryTotals.of(streams.stream().map(StreamResult::counts).toList(), datagramsIn, corrupt,
            unknownStream, sendErrors, sendNs);
        this.okMillis = migrations.stream().filter(Migration::ok).mapToDouble(Migration::millis).sorted().toArray();
    }

    List<StreamResult> streams()
    {
        return streams;
    }

    List<Migration> migrations()
    {
        return migrations;
    }

    long sent()
    {
        return totals.sent();
    }

    /**
     * @return datagrams of the drill's streams that arrived, duplicates included.
     */
    long received()
    {
        return totals.received();
    }

    long lost()
    {
        return totals.lost();
    }

    long duplicated()
    {
        return totals.duplicated();
    }

    long reordered()
    {
        return totals.reordered();
    }

    /**
     * @return datagrams that were no frame the drill sent: corrupt, of an unknown stream, or a sequence not sent.
     */
    long unexpected()
    {
        return totals.unexpected();
    }

    long migrationsOk()
    {
        return okMillis.length;
    }

    long migrationsFailed()
    {
        return migrations.size() - okMillis.length;
    }

    /**
     * @param percentile 0 to 100.
     * @return the successful migrations' time at that percentile (nearest rank), in milliseconds; 0 when none.
     */
    double migrationMillis(final double percentile)
    {
        if (0 == okMillis.length)
        {
            return 0;
        }
        final int rank = (int)Math.ceil(percentile / 100 * okMillis.length);
        return okMillis[Math.max(0, Math.min(okMillis.length, rank) - 1)];
    }

    public boolean passed()
    {
        return failures().isEmpty();
    }

    /**
     * @return 0 when the drill passed, else 1.
     */
    int exitCode()
    {
        return passed() ? 0 : 1;
    }

    /**
     * @return why the drill failed, one reason per entry; empty when it passed.
     */
    List<String> failures()
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
        addIfAny(failures, migrationsFailed(), "migrations failed");
        addIfAny(failures, totals.lost(), "lost");
        addIfAny(failures, totals.duplicated(), "duplicated");
        addIfAny(failures, totals.reordered(), "reordered");
        addIfAny(failures, unexpected(), "unexpected");
        addIfAny(failures, routeErrors, "route deletions failed");
        return failures;
    }

    /**
     * @param verbose print a line per stream and per migration; by default only the streams and migrations that
     *                went wrong (at most {@value #BRIEF_LINES} of each) are listed.
     * @return this report.
     */
    DrillReport verbose(final boolean verbose)
    {
        this.verbose = verbose;
        return this;
    }

    /**
     * Print the summary and the verdict: with {@link #verbose(boolean)} the per-stream table and every migration,
     * otherwise only the streams and migrations that went wrong.
     */
    public void printSummary(final PrintStream out)
    {
        final List<StreamResult> shown = streams.stream().filter((stream) -> verbose || troubled(stream)).toList();
        if (!shown.isEmpty())
        {
            out.println();
            out.println(String.format(Locale.ROOT, "%-20s  %-16s %8s %8s %6s %10s %9s", "stream", "owner", "sent",
                "received", "lost", "duplicated", "reordered"));
        }
        for (final StreamResult stream : verbose ? shown : shown.subList(0, Math.min(BRIEF_LINES, shown.size())))
        {
            final SequenceLedger.Counts counts = stream.counts();
            out.println(String.format(Locale.ROOT, "%-20s  %-16s %8d %8d %6d %10d %9d%s",
                Long.toUnsignedString(stream.streamId()), stream.owner(), counts.sent(), counts.received(),
                counts.lost(), counts.duplicated(), counts.reordered(), stream.migrated() ? "  migrated" : ""));
        }
        if (!verbose && shown.size() > BRIEF_LINES)
        {
            out.println("... and " + (shown.size() - BRIEF_LINES) + " more streams with a problem (--verbose " +
                "lists every stream)");
        }
        out.println();
        out.println("streams       " + streams.size() + " over " + nodes.size() + " nodes (" +
            streams.stream().filter(StreamResult::migrated).count() + " migrated)");
        totals.print(out);
        out.println(String.format(Locale.ROOT, "migrations    %d ok, %d failed; time p50 %.1f ms, p90 %.1f ms, " +
            "max %.1f ms", migrationsOk(), migrationsFailed(), migrationMillis(50), migrationMillis(90),
            migrationMillis(100)));
        final List<Migration> listed = migrations.stream().filter((migration) -> verbose || !migration.ok())
            .limit(verbose ? Long.MAX_VALUE : BRIEF_LINES).toList();
        for (int i = 0; i < listed.size(); i++)
        {
            final Migration migration = listed.get(i);
            out.println(String.format(Locale.ROOT, "%s stream %s %s -> %s: %s", 0 == i ? "migrated     " :
                "             ", Long.toUnsignedString(migration.streamId()), migration.fromNode(),
                migration.toNode(), migration.ok() ?
                String.format(Locale.ROOT, "%.1f ms%s", migration.millis(), migration.switched() ? "" :
                    ", never switched") :
                "FAILED " + (0 == migration.status() ? "" : migration.status() + " ") + migration.error()));
        }
        if (routeErrors > 0)
        {
            out.println("route errors  " + routeErrors + " routes not deleted");
        }
        out.println();
        out.println(passed() ? "PASS" : "FAIL: " + String.join(", ", failures()));
        out.flush();
    }

    /**
     * @return the report as one JSON object: settings, totals, migration times in milliseconds, each migration,
     * each stream, and the verdict. Stream ids are decimal strings: a u64 does not fit a JSON number exactly.
     */
    public String toJson()
    {
        return Json.write(this::writeJson);
    }

    private void writeJson(final JsonGenerator json) throws IOException
    {
        json.writeStartObject();
        json.writeStringField("tool", "migrate-drill");
        json.writeArrayFieldStart("nodes");
        for (final MigrateDrill.Node node : nodes)
        {
            json.writeStartObject();
            json.writeStringField("node_id", node.nodeId());
            json.writeStringField("control_url", node.controlUrl().toString());
            json.writeStringField("relay_addr", node.relayAddr());
            json.writeEndObject();
        }
        json.writeEndArray();
        final GeneratorOptions traffic = options.traffic();
        json.writeNumberField("streams", streams.size());
        Json.writeRounded(json, "pps_per_stream", traffic.ppsPerStream());
        json.writeNumberField("payload_bytes", traffic.payloadBytes());
        json.writeNumberField("interval_ms", options.intervalMs());
        json.writeNumberField("switch_after_ms", options.switchAfterMs());
        json.writeNumberField("settle_ms", options.settleMs());
        totals.write(json);
        json.writeNumberField("route_errors", routeErrors);
        json.writeNumberField("migrations_ok", migrationsOk());
        json.writeNumberField("migrations_failed", migrationsFailed());
        json.writeObjectFieldStart("migration_ms");
        Json.writeRounded(json, "p50", migrationMillis(50));
        Json.writeRounded(json, "p90", migrationMillis(90));
        Json.writeRounded(json, "max", migrationMillis(100));
        json.writeEndObject();
        writeMigrations(json);
        writeStreams(json);
        json.writeBooleanField("passed", passed());
        json.writeArrayFieldStart("failures");
        for (final String failure : failures())
        {
            json.writeString(failure);
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    private void writeMigrations(final JsonGenerator json) throws IOException
    {
        json.writeArrayFieldStart("migrations");
        for (final Migration migration : migrations)
        {
            json.writeStartObject();
            json.writeStringField("stream_id", Long.toUnsignedString(migration.streamId()));
            json.writeStringField("from", migration.fromNode());
            json.writeStringField("to", migration.toNode());
            json.writeStringField("new_node_addr", migration.newNodeAddr());
            json.writeBooleanField("ok", migration.ok());
            json.writeNumberField("status", migration.status());
            Json.writeRounded(json, "ms", migration.millis());
            json.writeBooleanField("switched", migration.switched());
            json.writeStringField("error", migration.error());
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    private void writeStreams(final JsonGenerator json) throws IOException
    {
        json.writeArrayFieldStart("per_stream");
        for (final StreamResult stream : streams)
        {
            final SequenceLedger.Counts counts = stream.counts();
            json.writeStartObject();
            json.writeStringField("stream_id", Long.toUnsignedString(stream.streamId()));
            json.writeStringField("owner", stream.owner());
            json.writeBooleanField("migrated", stream.migrated());
            json.writeNumberField("sent", counts.sent());
            json.writeNumberField("received", counts.received());
            json.writeNumberField("lost", counts.lost());
            json.writeNumberField("duplicated", counts.duplicated());
            json.writeNumberField("reordered", counts.reordered());
            json.writeNumberField("unexpected", counts.unexpected());
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    public String toString()
    {
        return "DrillReport{" + totals + ", migrations=" + migrations + ", failures=" + failures() + "}";
    }

    private static void addIfAny(final List<String> failures, final long count, final String what)
    {
        if (count > 0)
        {
            failures.add(what + " " + count);
        }
    }
}
