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

import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.soundrelay.control.redis.StoredRoute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.MultiNodeTest.migrateBody;
import static io.soundrelay.control.MultiNodeTest.relay;
import static io.soundrelay.control.NodeFixture.udp;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Redis Cluster drills (issue 18): three masters and three replicas, two nodes on {@code redis-cluster://}.
 * A master killed with SIGKILL under client writes and 100 streams, and slots resharded under client writes: no
 * route lost or resurrected, no datagram lost, no CROSSSLOT (any error fails the client), and the sharded
 * subscription carries a migration between the two nodes afterwards.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterFailoverTest
{
    private static final long FIRST_STREAM = Drill.FIRST_STREAM;

    @Test
    void killingAMasterLosesNoRouteResurrectsNoneAndDropsNoDatagram() throws Exception
    {
        try (RedisClusterGroup cluster = RedisClusterGroup.start();
            NodeFixture a = Drill.node(cluster.url(), "cluster-a");
            NodeFixture b = Drill.node(cluster.url(), "cluster-b");
            DatagramChannel target = udp())
        {
            assertEquals("cluster", a.health("redis_mode"));
            assertEquals("connected", a.health("redis"));
            final Drill drill = Drill.start(a, target, 50_000);

            // The master of the first stream's slot: the node's refreshes and writes go there.
            final RedisServer victim = cluster.masterOf(StoredRoute.key(Drill.FIRST_STREAM));
            final long killedAt = System.nanoTime();
            victim.kill();
            MultiNodeTest.await("the cluster to promote a replica", 30, () -> cluster.healthy() &&
                cluster.masterOrNull(StoredRoute.key(Drill.FIRST_STREAM)) != null &&
                cluster.masterOrNull(StoredRoute.key(Drill.FIRST_STREAM)) != victim);
            waitFor("both nodes back on the cluster", () ->
                "connected".equals(a.health("redis")) && "connected".equals(b.health("redis")));
            final long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            drill.faultOver();
            drill.finish();
            drill.assertRedisHolds(cluster.cli()::get);
            migrateAndCheck(a, b);
            System.out.printf("cluster failover drill: both nodes back %d ms after the kill of a master; %s%n",
                failoverMs, drill);
            drill.close();
        }
    }

    @Test
    void reshardingSlotsUnderWritesLosesNothing() throws Exception
    {
        try (RedisClusterGroup cluster = RedisClusterGroup.start();
            NodeFixture a = Drill.node(cluster.url(), "reshard-a");
            NodeFixture b = Drill.node(cluster.url(), "reshard-b");
            DatagramChannel target = udp())
        {
            final Drill drill = Drill.start(a, target, 60_000);

            // Move 3000 slots, those of the first stream's key among them, from its master to another, live.
            final RedisServer from = cluster.masterOf(StoredRoute.key(Drill.FIRST_STREAM));
            final RedisServer to = cluster.anyLiveMasterBut(from);
            final long start = System.nanoTime();
            cluster.redisCli(List.of("redis-cli", "--cluster", "reshard", "127.0.0.1:" + from.port(),
                "--cluster-from", cluster.nodeId(from), "--cluster-to", cluster.nodeId(to),
                "--cluster-slots", "3000", "--cluster-yes"));
            final long reshardMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            drill.faultOver();
            drill.finish();
            drill.assertRedisHolds(cluster.cli()::get);
            assertEquals("connected", a.health("redis"));
            migrateAndCheck(a, b);
            System.out.printf("cluster resharding drill: 3000 slots moved in %d ms under %s%n", reshardMs, drill);
            drill.close();
        }
    }

    @Test
    void twoNodesOnAClusterHandAStreamOver() throws Exception
    {
        try (RedisClusterGroup cluster = RedisClusterGroup.start();
            NodeFixture a = Drill.node(cluster.url(), "plain-a");
            NodeFixture b = Drill.node(cluster.url(), "plain-b");
            DatagramChannel target = udp();
            DatagramChannel source = udp())
        {
            assertEquals(201, a.createRoute(FIRST_STREAM, source, null, target).statusCode());
            migrateAndCheck(a, b);
        }
    }

    /** Announcements travel between the nodes (sharded pub/sub): a migration from a to b succeeds. */
    private static void migrateAndCheck(final NodeFixture a, final NodeFixture b) throws Exception
    {
        waitFor("both nodes listed", () -> nodesListed(a) == 2);
        final HttpResponse<String> migrated = a.authed("POST", "/migrate", migrateBody(Drill.FIRST_STREAM, relay(b)));
        assertEquals(200, migrated.statusCode(), migrated.body());
        assertEquals(b.health("node_id"), json(b.authed("GET", "/route/" + Drill.FIRST_STREAM, null)).get("node_id"));
        assertTrue(a.metricNow("relay_redis_operations_total{op=\"publish\",result=\"ok\"}") >= 1);
    }

    private static int nodesListed(final NodeFixture node)
    {
        try
        {
            return MultiNodeTest.nodes(node).size();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
