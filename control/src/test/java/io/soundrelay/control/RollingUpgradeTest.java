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
package io.soundrelay.control;

import io.soundrelay.tools.RollingDrill;
import io.soundrelay.tools.RollingReport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 32's headline: three real nodes on one Redis, 100 streams at 50 pps from sources that follow their routes'
 * owners the way the clients do ({@link RollingDrill}), each node in turn sent SIGTERM, drained, and started again
 * with the same NODE_ID and ports. Across the whole roll no datagram is lost or delivered twice, each node exits 0,
 * and each hands its streams to its peers. Each drain's duration, the slowest switch-over, the exit statuses and the
 * datagrams reordered are printed for the notes.
 */
final class RollingUpgradeTest
{
    private static final int NODES = 3;
    private static final int STREAMS = 100;
    private static final long CHECK_MS = 250;
    private static final long SETTLE_MS = 2000;
    private static final long TIMEOUT_MS = 120_000;

    @Test
    void eachNodeDrainedBySigtermAndRestartedLosesNothing() throws Exception
    {
        final NodeProcess[] nodes = new NodeProcess[NODES];
        final List<Map<String, String>> envs = new ArrayList<>();
        final Map<String, Integer> byId = new HashMap<>();
        final List<String> exits = new ArrayList<>();
        try (RedisServer redis = RedisServer.start())
        {
            final List<String> urls = new ArrayList<>();
            for (int i = 0; i < NODES; i++)
            {
                final String nodeId = "roll-" + i;
                final Map<String, String> env = new HashMap<>();
                env.put("REDIS_URL", redis.url());
                env.put("NODE_ID", nodeId);
                // As docker-compose.yml and k8s/configmap.yaml ship it: with the drain, nothing is left to adopt.
                env.put("AUTO_FAILOVER", "true");
                nodes[i] = NodeProcess.start(env);
                // The restarted node keeps its ports: the sources' relay_addr and the drill's --node stay true.
                final InetSocketAddress api = nodes[i].apiAddress();
                env.put("BIND_ADDR", "127.0.0.1:" + nodes[i].relay().getPort());
                env.put("CONTROL_API_ADDR", "127.0.0.1:" + api.getPort());
                envs.add(env);
                byId.put(nodeId, i);
                urls.add("http://127.0.0.1:" + api.getPort());
            }

            final RollingReport report = RollingDrill.run(urls, NodeProcess.KEY, STREAMS, CHECK_MS, SETTLE_MS,
                TIMEOUT_MS, (nodeId, controlUrl) -> restart(nodes, envs, byId.get(nodeId), exits), System.out);
            report.printSummary(System.out);

            System.out.println("rolling upgrade, 3 nodes, " + STREAMS + " streams at 50 pps:");
            for (final RollingDrill.Roll roll : report.rolls())
            {
                System.out.printf("  %s: exit %d, drain %.0f ms, ready after %.0f ms, %d streams moved, " +
                    "slowest switch-over %.0f ms%n", roll.nodeId(), roll.restartStatus(), roll.drainMs(),
                    roll.backMs(), roll.streamsMoved(), roll.slowestSwitchMs());
            }
            System.out.printf("  sent %d, received %d, lost %d, duplicated %d, reordered %d; slowest switch-over " +
                "%.0f ms%n", report.sent(), report.received(), report.lost(), report.duplicated(), report.reordered(),
                report.slowestSwitchMs());

            assertEquals(List.of("roll-0 0", "roll-1 0", "roll-2 0"), exits, "each node drained and exited 0");
            assertEquals(NODES, report.rolls().size(), report::toString);
            assertTrue(report.sent() > 0, report::toString);
            assertEquals(0, report.lost(), report::toString);
            assertEquals(0, report.duplicated(), report::toString);
            assertEquals(0, report.unexpected(), report::toString);
            for (final RollingDrill.Roll roll : report.rolls())
            {
                assertNull(roll.failure(), roll::toString);
                assertTrue(roll.streamsMoved() > 0, "its streams moved to a peer, not back to it: " + roll);
            }
            // Not asserted: order. A hand-off can deliver the old node's last forwarded frame after the new node's
            // first one when forwarding takes longer than a frame interval (20 ms) on a busy host; the drill counts
            // it as reordered and the line above prints it.
        }
        finally
        {
            for (final NodeProcess node : nodes)
            {
                if (null != node)
                {
                    node.close();
                }
            }
        }
    }

    /**
     * SIGTERM the node, wait for it to exit, start it again with the same NODE_ID and ports.
     *
     * @return the node's exit status.
     */
    private static int restart(
        final NodeProcess[] nodes, final List<Map<String, String>> envs, final int index, final List<String> exits)
        throws IOException, InterruptedException
    {
        final int status = nodes[index].stop();
        synchronized (exits)
        {
            exits.add(envs.get(index).get("NODE_ID") + " " + status);
        }
        // The node's own account of its drain, for the notes: hand-offs, and when every source had moved on.
        for (final String line : nodes[index].log().split("\n"))
        {
            if (0 != status || line.contains("drain"))
            {
                System.out.println("  " + envs.get(index).get("NODE_ID") + " log: " + line);
            }
        }
        nodes[index].close();
        try
        {
            nodes[index] = NodeProcess.start(envs.get(index));
        }
        catch (final IOException | InterruptedException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IOException(envs.get(index).get("NODE_ID") + " did not start again", ex);
        }
        return status;
    }
}
