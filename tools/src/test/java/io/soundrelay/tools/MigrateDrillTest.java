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
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drill loop against {@link FakeCluster}, nodes that answer the drill's control-API calls in Java and relay UDP
 * themselves: a migration that moves a stream's traffic mid-stream without loss, a datagram lost in a hand-off, a
 * refused migration; and, without any node, how --node URLs are matched to what GET /nodes lists.
 */
final class MigrateDrillTest
{
    private static final long FIRST_STREAM_ID = 0x10_0000_0000L;
    private static final int STREAMS = 6;
    private static final int MIGRATIONS = 3;

    @TempDir
    Path directory;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);

    @Test
    void migrationSwitchesTheDestinationMidStreamAndLosesNothing() throws Exception
    {
        final DrillReport report;
        try (FakeCluster cluster = new FakeCluster(3))
        {
            report = new MigrateDrill(options(cluster), cluster, out, () -> false).run();
            report.printSummary(out);

            assertEquals(List.of(), report.failures(), this::output);
            assertEquals(0, report.exitCode());
            assertEquals(0, cluster.routes(), "every route deleted");

            for (int k = 0; k < MIGRATIONS; k++)
            {
                final long streamId = FIRST_STREAM_ID + k;
                final DrillReport.Migration migration = report.migrations().get(k);
                final FakeCluster.Node from = cluster.node(k % 3);
                final FakeCluster.Node to = cluster.node((k + 1) % 3);
                assertEquals(streamId, migration.streamId());
                assertEquals(from.nodeId(), migration.fromNode(), "every node gives");
                assertEquals(to.nodeId(), migration.toNode(), "every node takes");
                assertEquals(to.relayAddr(), migration.newNodeAddr());
                assertTrue(migration.ok() && migration.switched(), migration::toString);

                // The source sent a prefix of the stream to the old node and the rest to the new one: the switch.
                final long sent = report.streams().get(k).counts().sent();
                final List<Long> toOld = sorted(from.trace(streamId).fromSource);
                final List<Long> toNew = sorted(to.trace(streamId).fromSource);
                assertFalse(toOld.isEmpty() || toNew.isEmpty(), () -> toOld + " then " + toNew);
                final List<Long> both = new ArrayList<>(toOld);
                both.addAll(toNew);
                assertEquals(LongStream.range(0, sent).boxed().toList(), both, "old node, then new node");
                // Between the answer and the switch the old node forwarded to the new one.
                final List<Long> forwarded = sorted(from.trace(streamId).hopOut);
                assertFalse(forwarded.isEmpty(), "frames went through the old node after the migration");
                assertEquals(forwarded, sorted(to.trace(streamId).hopIn));
                assertEquals(toOld.subList(toOld.size() - forwarded.size(), toOld.size()), forwarded);
                assertEquals(to.nodeId(), report.streams().get(k).owner());
                assertTrue(report.streams().get(k).migrated());
            }
            for (int i = MIGRATIONS; i < STREAMS; i++)
            {
                assertFalse(report.streams().get(i).migrated());
                assertEquals(cluster.node(i % 3).nodeId(), report.streams().get(i).owner());
            }
        }

        assertTrue(report.sent() > 0, report::toString);
        assertEquals(report.sent(), report.received(), report::toString);
        assertEquals(0, report.lost());
        assertEquals(0, report.duplicated());
        assertEquals(0, report.reordered());
        assertEquals(0, report.unexpected());
        assertEquals(MIGRATIONS, report.migrationsOk());
        assertEquals(0, report.migrationsFailed());
        assertTrue(report.migrationMillis(50) <= report.migrationMillis(90), report::toString);
        assertTrue(report.migrationMillis(90) <= report.migrationMillis(100), report::toString);

        final String text = output();
        assertTrue(text.contains("migration 1/3: stream " + FIRST_STREAM_ID + " node-0 -> node-1: ok"), text);
        assertTrue(text.contains("migrations    3 ok, 0 failed; time p50 "), text);
        assertTrue(text.contains("stream " + (FIRST_STREAM_ID + 2) + " node-2 -> node-0: "), text);
        assertTrue(text.contains("lost          0"), text);
        assertTrue(text.endsWith("PASS" + System.lineSeparator()), text);
        // Nothing went wrong: the summary lists no stream and no migration, --verbose every one.
        assertFalse(text.contains("lost duplicated reordered"), text);
        assertFalse(text.contains("  migrated\n"), text);
        assertFalse(text.contains("migrated      stream"), text);

        output.reset();
        report.verbose(true).printSummary(out);
        final String verbose = output();
        assertTrue(verbose.contains("lost duplicated reordered"), verbose);
        assertEquals(MIGRATIONS, verbose.lines().filter((line) -> line.endsWith("  migrated")).count(), verbose);
        // A stream's line: its id (the first id's digits but the last two), its owner, its counts.
        assertEquals(STREAMS, verbose.lines().filter((line) -> line.matches(FIRST_STREAM_ID / 100 +
            "\\d\\d +node-\\d .*")).count(), verbose);
        assertTrue(verbose.contains("migrated      stream " + FIRST_STREAM_ID + " node-0 -> node-1: "), verbose);
    }

    @Test
    void aDatagramLostInTheHandOffShowsAsOneLostAndExitsOne() throws Exception
    {
        final Path json = directory.resolve("drill.json");
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        final int exitCode;
        try (FakeCluster cluster = new FakeCluster(2))
        {
            cluster.node(0).dropFirstHop();
            final MigrateDrillCommand command = new MigrateDrillCommand(out,
                new PrintStream(stderr, true, StandardCharsets.UTF_8), (name) -> null, (apiKey) -> cluster);
            final StringWriter picocliErr = new StringWriter();
            final CommandLine commandLine = SoundRelayTools.configure(new CommandLine(command));
            commandLine.setErr(new PrintWriter(picocliErr, true));
            exitCode = commandLine.execute("--node", cluster.urls().get(0), "--node", cluster.urls().get(1),
                "--streams", "4", "--migrations", "2", "--interval-ms", "200", "--switch-after-ms", "100",
                "--settle-ms", "300", "--json", json.toString());
            assertEquals("", picocliErr.toString());
            assertEquals(0, cluster.routes(), "every route deleted");
        }

        assertEquals(1, exitCode, this::output);
        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals("migrate-drill", report.get("tool"));
        assertEquals(1.0, report.get("lost"), report::toString);
        assertEquals(0.0, report.get("duplicated"), report::toString);
        assertEquals(0.0, report.get("reordered"), report::toString);
        assertEquals(0.0, report.get("unexpected"), report::toString);
        assertEquals(2.0, report.get("migrations_ok"), report::toString);
        assertEquals(0.0, report.get("migrations_failed"), report::toString);
        assertEquals((Double)report.get("sent") - 1, report.get("received"), report::toString);
        assertEquals(false, report.get("passed"));
        assertEquals(List.of("lost 1"), report.get("failures"));

        // The loss is stream 0's, the one node-0 handed to node-1.
        @SuppressWarnings("unchecked")
        final List<Map<String, Object>> streams = (List<Map<String, Object>>)report.get("per_stream");
        assertEquals(4, streams.size());
        for (final Map<String, Object> stream : streams)
        {
            final boolean first = stream.get("stream_id").equals(streams.get(0).get("stream_id"));
            assertEquals(first ? 1.0 : 0.0, stream.get("lost"), stream::toString);
        }
        @SuppressWarnings("unchecked")
        final List<Map<String, Object>> migrations = (List<Map<String, Object>>)report.get("migrations");
        assertEquals(streams.get(0).get("stream_id"), migrations.get(0).get("stream_id"));
        assertEquals("node-0", migrations.get(0).get("from"));
        assertEquals("node-1", migrations.get(0).get("to"));
        assertEquals("node-1", migrations.get(1).get("from"));
        assertEquals("node-0", migrations.get(1).get("to"));
        assertTrue(output().contains("FAIL: lost 1"), this::output);
        assertEquals("", stderr.toString(StandardCharsets.UTF_8));
        // Without --verbose the summary lists the one stream that lost a datagram, and only that one.
        assertTrue(output().contains("lost duplicated reordered"), this::output);
        assertEquals(1, output().lines().filter((line) -> line.startsWith(streams.get(0).get("stream_id") + " "))
            .count(), this::output);
        assertEquals(1, output().lines().filter((line) -> line.matches("\\d+ +node-\\d +\\d+ .*")).count(),
            this::output);
    }

    @Test
    void aRefusedMigrationIsRecordedAndTheDrillGoesOnAndFails() throws Exception
    {
        final DrillReport report;
        try (FakeCluster cluster = new FakeCluster(3))
        {
            cluster.refuseMigration(1);
            report = new MigrateDrill(options(cluster), cluster, out, () -> false).run();
            report.printSummary(out);
            assertEquals(0, cluster.routes(), "every route deleted, the refused one on its old owner");
        }

        assertEquals(List.of("migrations failed 1"), report.failures(), this::output);
        assertEquals(1, report.exitCode());
        assertEquals(2, report.migrationsOk());
        final DrillReport.Migration refused = report.migrations().get(1);
        assertEquals(409, refused.status());
        assertEquals("{\"error\":\"stream is busy\"}", refused.error());
        assertFalse(refused.switched());
        assertTrue(report.migrations().get(2).ok(), "the drill went on");
        assertEquals("node-1", report.streams().get(1).owner(), "a refused stream stays");
        assertEquals(0, report.lost());
        assertTrue(output().contains("FAILED 409 {\"error\":\"stream is busy\"}"), this::output);
    }

    @Test
    void eachUrlMatchesTheNodeWithItsControlAddress() throws IOException
    {
        final List<MigrateDrill.NodeInfo> live = List.of(
            new MigrateDrill.NodeInfo("node-b", "127.0.0.1:4001", "127.0.0.1:4301"),
            new MigrateDrill.NodeInfo("node-a", "127.0.0.1:4000", "127.0.0.1:4300"),
            new MigrateDrill.NodeInfo("node-c", "0.0.0.0:4002", "0.0.0.0:4302"));

        final List<MigrateDrill.Node> nodes = MigrateDrill.match(
            urls("http://127.0.0.1:4300", "http://127.0.0.1:4301", "http://127.0.0.2:4302"), live, url(4300));

        assertEquals(List.of("node-a", "node-b", "node-c"), nodes.stream().map(MigrateDrill.Node::nodeId).toList());
        assertEquals(new InetSocketAddress("127.0.0.1", 4000), nodes.get(0).sendTo());
        assertEquals("0.0.0.0:4002", nodes.get(2).relayAddr(), "what /migrate names");
        assertEquals(new InetSocketAddress("127.0.0.2", 4002), nodes.get(2).sendTo(),
            "a wildcard relay is reached on the control URL's host");
    }

    @Test
    void aUrlThatMatchesNoLiveNodeFailsListingWhatNodesSays()
    {
        final List<MigrateDrill.NodeInfo> live = List.of(
            new MigrateDrill.NodeInfo("node-a", "127.0.0.1:4000", "127.0.0.1:4300"),
            new MigrateDrill.NodeInfo("node-b", "127.0.0.1:4001", "127.0.0.1:4301"));

        final IOException unmatched = assertThrows(IOException.class, () ->
            MigrateDrill.match(urls("http://127.0.0.1:4300", "http://127.0.0.1:4309"), live, url(4300)));
        assertEquals("--node http://127.0.0.1:4309 matches no live node by control_addr: GET /nodes on " +
            "http://127.0.0.1:4300 lists 2 nodes: node-a (control 127.0.0.1:4300, relay 127.0.0.1:4000), " +
            "node-b (control 127.0.0.1:4301, relay 127.0.0.1:4001)", unmatched.getMessage());

        final IOException none = assertThrows(IOException.class, () ->
            MigrateDrill.match(urls("http://127.0.0.1:4300", "http://127.0.0.1:4301"), List.of(), url(4300)));
        assertTrue(none.getMessage().endsWith("lists no node (do the nodes share a Redis?)"), none.getMessage());

        final List<MigrateDrill.NodeInfo> wildcard = List.of(
            new MigrateDrill.NodeInfo("node-a", "0.0.0.0:4000", "0.0.0.0:4300"));
        final IOException same = assertThrows(IOException.class, () ->
            MigrateDrill.match(urls("http://127.0.0.1:4300", "http://127.0.0.2:4300"), wildcard, url(4300)));
        assertTrue(same.getMessage().startsWith("--node http://127.0.0.1:4300 and --node http://127.0.0.2:4300 " +
            "are the same node, node-a"), same.getMessage());
    }

    @Test
    void nodesAnswerIsReadStrictly() throws IOException
    {
        final List<MigrateDrill.NodeInfo> nodes = HttpNodeApi.parseNodes(url(4300), "{\"nodes\":[" +
            "{\"node_id\":\"relay-node-1\",\"relay_addr\":\"10.0.0.1:4000\",\"control_addr\":\"10.0.0.1:4300\"," +
            "\"active_routes\":3,\"started_at\":\"2026-01-01T00:00:00Z\",\"last_heartbeat_ms_ago\":120}]}");
        assertEquals(List.of(new MigrateDrill.NodeInfo("relay-node-1", "10.0.0.1:4000", "10.0.0.1:4300", 3,
            "2026-01-01T00:00:00Z", false)), nodes);
        assertEquals(List.of(), HttpNodeApi.parseNodes(url(4300), "{\"nodes\":[]}"));
        // A draining node says so; a node from before the drain, or before started_at, lists neither.
        assertEquals(List.of(new MigrateDrill.NodeInfo("b", "10.0.0.2:4000", "10.0.0.2:4300", 0, "", true)),
            HttpNodeApi.parseNodes(url(4300), "{\"nodes\":[{\"node_id\":\"b\",\"relay_addr\":\"10.0.0.2:4000\"," +
                "\"control_addr\":\"10.0.0.2:4300\",\"draining\":true}]}"));

        for (final String bad : List.of("", "[]", "{\"nodes\":{}}", "{\"nodes\":[1]}",
            "{\"nodes\":[{\"node_id\":\"a\",\"relay_addr\":\"10.0.0.1:4000\"}]}", "{\"nodes\":[]} trailing",
            "{\"nodes\":[{\"node_id\":\"\\u00"))
        {
            final IOException refused = assertThrows(IOException.class, () -> HttpNodeApi.parseNodes(url(4300), bad));
            assertTrue(refused.getMessage().startsWith("GET /nodes on http://127.0.0.1:4300: "), refused::getMessage);
        }
    }

    @Test
    void migrateRequestNamesTheStreamAsADecimalString()
    {
        assertEquals("{\"stream_id\":\"18446744073709551615\",\"new_node_addr\":\"10.0.0.2:4000\"}",
            RouteClient.migrateJson(-1L, "10.0.0.2:4000"));
        assertEquals("{\"stream_id\":\"42\",\"new_node_addr\":\"[::1]:4000\"}",
            RouteClient.migrateJson(42, "[::1]:4000"));
    }

    private static DrillOptions options(final FakeCluster cluster)
    {
        return DrillOptions.builder()
            .nodes(cluster.urls())
            .streams(STREAMS)
            .migrations(MIGRATIONS)
            .intervalMs(200)
            .switchAfterMs(100)
            .settleMs(300)
            .firstStreamId(FIRST_STREAM_ID)
            .build();
    }

    private static List<Long> sorted(final Iterable<Long> sequences)
    {
        final List<Long> list = new ArrayList<>();
        sequences.forEach(list::add);
        list.sort(null);
        return list;
    }

    private static List<URI> urls(final String... urls)
    {
        return List.of(urls).stream().map(URI::create).toList();
    }

    private static URI url(final int port)
    {
        return URI.create("http://127.0.0.1:" + port);
    }

    private String output()
    {
        return output.toString(StandardCharsets.UTF_8);
    }
}
