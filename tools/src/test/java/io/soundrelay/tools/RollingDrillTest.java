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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rolling drill against {@link FakeCluster}, nodes that answer the drill's control-API calls in Java, relay UDP
 * themselves and restart the way a node told SIGTERM does (drain by migration, exit, start again): a roll that
 * loses nothing because the sources follow their owners; a drain that stops forwarding too early, which the drill
 * reports as loss; a restart that fails; routes made least loaded first past a node that answers 503; and a source
 * whose node stops answering, which asks another node.
 */
final class RollingDrillTest
{
    private static final long FIRST_STREAM_ID = 0x20_0000_0000L;
    private static final int STREAMS = 6;
    private static final long QUIET_MS = 150;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);

    @Test
    void everyNodeRestartsInTurnAndTheSourcesFollowWithoutLoss() throws Exception
    {
        final List<String> restarted = new ArrayList<>();
        final RollingReport report;
        try (FakeCluster cluster = new FakeCluster(3))
        {
            report = new RollingDrill(options(cluster), cluster, (nodeId, url) ->
            {
                restarted.add(nodeId);
                return cluster.restart(index(nodeId), QUIET_MS, true);
            }, out, () -> false).run();
            report.printSummary(out);

            assertEquals(0, cluster.routes(), "every route deleted");
            assertTrue(cluster.routeRequests() > STREAMS, "the sources asked for their owners");
        }

        assertEquals(List.of(), report.failures(), this::output);
        assertEquals(0, report.exitCode());
        assertEquals(List.of("node-0", "node-1", "node-2"), restarted, "each node once, in the order given");
        assertEquals(3, report.rolls().size());
        int moved = 0;
        for (final RollingDrill.Roll roll : report.rolls())
        {
            assertEquals(0, roll.restartStatus(), roll::toString);
            assertTrue(roll.drainMs() >= 0 && roll.backMs() >= roll.drainMs(), roll::toString);
            assertTrue(roll.streamsMoved() > 0, "every node had streams when it restarted: " + roll);
            assertTrue(roll.slowestSwitchMs() >= 0, roll::toString);
            moved += roll.streamsMoved();
        }
        assertTrue(moved >= STREAMS, "every stream moved at least once: " + moved);
        assertTrue(report.sent() > 0, report::toString);
        assertEquals(report.sent(), report.received(), report::toString);
        assertEquals(0, report.lost());
        assertEquals(0, report.duplicated());
        assertEquals(0, report.reordered());
        assertEquals(0, report.unexpected());

        final Map<String, Object> json = Json.object(report.toJson());
        assertEquals("rolling-drill", json.get("tool"));
        assertEquals(true, json.get("passed"));
        assertEquals(3, ((List<?>)json.get("nodes")).size());
        assertEquals(0.0, ((Number)json.get("lost")).doubleValue());

        final String text = output();
        assertTrue(text.contains("least loaded first: node-0 2, node-1 2, node-2 2"), text);
        assertTrue(text.contains("node 1/3 node-0: restart exit 0, drain "), text);
        assertTrue(text.contains("\nPASS\n"), text);
    }

    @Test
    void aDrainThatStopsForwardingBeforeTheSourcesMoveLosesAndFails() throws Exception
    {
        final RollingReport report;
        try (FakeCluster cluster = new FakeCluster(2))
        {
            // The node exits only once its sources went quiet, but forwards nothing meanwhile.
            report = new RollingDrill(options(cluster), cluster,
                (nodeId, url) -> cluster.restart(index(nodeId), QUIET_MS, false), out, () -> false).run();
            report.printSummary(out);
            assertEquals(0, cluster.routes(), "every route deleted");
        }

        assertTrue(report.lost() > 0, report::toString);
        assertEquals(1, report.exitCode());
        assertTrue(report.failures().contains("lost " + report.lost()), report.failures()::toString);
        final String text = output();
        assertTrue(text.contains("\nFAIL: lost " + report.lost()), text);
        assertTrue(text.contains("worst         stream "), text);
    }

    @Test
    void aRestartThatFailsStopsTheRollAndFails() throws Exception
    {
        final List<String> restarted = new ArrayList<>();
        final RollingReport report;
        try (FakeCluster cluster = new FakeCluster(3))
        {
            report = new RollingDrill(options(cluster), cluster, (nodeId, url) ->
            {
                restarted.add(nodeId);
                return 1;
            }, out, () -> false).run();
            report.printSummary(out);
            assertEquals(0, cluster.routes(), "every route deleted");
        }

        assertEquals(List.of("node-0"), restarted, "no next node after a failed one");
        assertEquals(1, report.exitCode());
        assertEquals("restart exited 1 and the node did not go", report.rolls().get(0).failure());
        assertTrue(report.failures().contains("node-0 restart exited 1 and the node did not go"),
            report.failures()::toString);
        assertTrue(report.failures().contains("2 nodes not restarted"), report.failures()::toString);
        assertEquals(0, report.lost(), "the streams kept going to their nodes");
    }

    @Test
    void ctrlCDuringARestartStopsTheRollAndDeletesTheRoutes() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final RollingReport report;
        try (FakeCluster cluster = new FakeCluster(3))
        {
            report = new RollingDrill(options(cluster), cluster, (nodeId, url) ->
            {
                stop.set(true);
                return cluster.restart(index(nodeId), QUIET_MS, true);
            }, out, stop::get).run();
            report.printSummary(out);
            assertEquals(0, cluster.routes(), "every route deleted");
        }

        assertEquals(1, report.exitCode());
        // A Ctrl-C in the middle of a restart may catch a datagram on its way to the node that is going: a loss
        // may be reported after the two lines a stop always gives, nothing else.
        assertEquals(List.of("stopped before the end", "node-0 stopped (Ctrl-C)"),
            report.failures().subList(0, Math.min(2, report.failures().size())), report.failures()::toString);
        assertTrue(report.failures().stream().skip(2).allMatch((f) -> f.startsWith("lost ")),
            report.failures()::toString);
        assertTrue(output().contains("rolling-drill: deleted 6 of 6 routes"), this::output);
    }

    @Test
    void routesGoToTheLeastLoadedNodePastOneThatAnswers503() throws Exception
    {
        try (FakeCluster cluster = new FakeCluster(3))
        {
            cluster.fill(0);
            final RollingReport report = new RollingDrill(options(cluster), cluster,
                (nodeId, url) -> cluster.restart(index(nodeId), QUIET_MS, true), out, () -> false).run();
            report.printSummary(out);

            final String text = output();
            assertTrue(text.contains("node-0 answered 503 {\"error\":\"node node-0 is at MAX_STREAMS_PER_NODE\"}; " +
                "its share goes to the next node"), text);
            assertTrue(text.contains("least loaded first: node-0 0, node-1 3, node-2 3"), text);
            assertEquals(0, cluster.routes(), "every route deleted");
            // node-0 is never ready while full: the drill says so rather than waiting for ever.
            assertTrue(report.failures().contains("node-0 not back, ready and followed within " +
                "--timeout-ms=2000 (never live and ready again)"), report.failures()::toString);
        }
    }

    @Test
    void aSourceWhoseNodeStopsAnsweringAsksAnotherAndFollowsTheOwner() throws Exception
    {
        try (FakeCluster cluster = new FakeCluster(3))
        {
            final List<MigrateDrill.Node> nodes =
                MigrateDrill.match(urls(cluster), cluster.nodes(cluster.node(0).controlUrl()), urls(cluster).get(0));
            final InetSocketAddress source = new InetSocketAddress("127.0.0.1", 40_000);
            final InetSocketAddress sink = new InetSocketAddress("127.0.0.1", 40_001);
            cluster.createRoute(cluster.node(0).controlUrl(), FIRST_STREAM_ID, source, sink);
            assertEquals(200, cluster.migrate(cluster.node(0).controlUrl(), FIRST_STREAM_ID,
                cluster.node(2).relayAddr()).status());
            cluster.takeDown(0);

            try (OwnerFollower follower = new OwnerFollower(cluster, nodes, FIRST_STREAM_ID, 20,
                new String[] { "node-0" }))
            {
                assertEquals(nodes.get(0).sendTo(), follower.destination(0));
                follower.start();
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!"node-2".equals(follower.owner(0)) && System.nanoTime() < deadlineNs)
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
                assertEquals("node-2", follower.owner(0));
                assertEquals(nodes.get(2).sendTo(), follower.destination(0));
                assertTrue(follower.failedRequests() > 0, "node-0 did not answer");
                final List<OwnerFollower.Switch> switches = follower.switches();
                assertEquals(1, switches.size(), switches::toString);
                assertEquals("node-0", switches.get(0).fromNode());
                assertEquals("node-2", switches.get(0).toNode());
                assertTrue(switches.get(0).millis() >= 0, switches::toString);
            }
        }
    }

    private static RollingDrillOptions options(final FakeCluster cluster)
    {
        return RollingDrillOptions.builder()
            .nodes(cluster.urls())
            .restartGiven()
            .streams(STREAMS)
            .pps(200)
            .checkMs(20)
            .settleMs(300)
            .timeoutMs(2000)
            .firstStreamId(FIRST_STREAM_ID)
            .build();
    }

    private static List<java.net.URI> urls(final FakeCluster cluster)
    {
        return cluster.urls().stream().map(java.net.URI::create).toList();
    }

    private static int index(final String nodeId)
    {
        return Integer.parseInt(nodeId.substring("node-".length()));
    }

    private String output()
    {
        return output.toString(StandardCharsets.UTF_8);
    }
}
