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

import io.lettuce.core.api.sync.RedisCommands;
import io.soundrelay.control.redis.StoredRoute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.MultiNodeTest.migrateBody;
import static io.soundrelay.control.MultiNodeTest.relay;
import static io.soundrelay.control.NodeFixture.udp;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Sentinel failover drill (issue 18): one master, two replicas, three sentinels, two nodes on
 * {@code redis-sentinel://}. The master is killed with SIGKILL while a client creates, updates and deletes routes
 * and 100 streams flow at 50 datagrams a second. After the failover no route is lost, none resurrected, no datagram
 * of the streams lost, every API call answered, and the subscription works (a migration right after succeeds).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SentinelFailoverTest
{
    private static final int STREAMS = 100;
    private static final long FIRST_STREAM = 1000;
    private static final long FIRST_CLIENT_ROUTE = 50_000;

    @Test
    void killingTheMasterLosesNoRouteResurrectsNoneAndDropsNoDatagram() throws Exception
    {
        try (SentinelGroup group = SentinelGroup.start();
            NodeFixture a = node(group, "sentinel-a");
            NodeFixture b = node(group, "sentinel-b");
            DatagramChannel target = udp())
        {
            final String firstMaster = group.masterAddress();
            final Map<String, Object> health = json(a.call("GET", "/health", null));
            assertEquals("sentinel", health.get("redis_mode"));
            assertEquals(firstMaster, health.get("redis_master"));
            assertEquals("connected", health.get("redis"));

            // 100 streams through node a, all to one target.
            final List<DatagramChannel> sources = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++)
            {
                final DatagramChannel source = udp();
                sources.add(source);
                assertEquals(201, a.createRoute(FIRST_STREAM + i, source, null, target).statusCode());
            }
            final DrillTraffic traffic = new DrillTraffic(a, FIRST_STREAM, sources, target);
            final Client client = new Client(a);
            traffic.start();
            client.start();
            waitFor("client writes before the kill", () -> client.created.size() >= 30);

            final long killedAt = System.nanoTime();
            group.master().kill();
            waitFor("the sentinels to elect a new master", () -> !safeMaster(group).equals(firstMaster));
            final String newMaster = group.masterAddress();
            waitFor("both nodes writing to the new master", () ->
                newMaster.equals(field(a, "redis_master")) && newMaster.equals(field(b, "redis_master")));
            final long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            final int createdAtFailover = client.created.size();
            waitFor("client writes after the failover", () -> client.created.size() >= createdAtFailover + 20);
            client.stop();
            traffic.stop();

            // Every API call was answered (none hung): the client records any failure.
            assertNull(client.failure.get(), () -> "an API call failed: " + client.failure.get());
            // Nothing waits for Redis any more.
            waitFor("the write queue empty", () -> metric(a, "relay_redis_queued_writes") == 0);

            // No datagram of the 100 streams lost.
            traffic.assertNoneLost();

            // Redis (the new master) holds exactly what the API said: created and kept routes, none of the deleted.
            final RedisCommands<String, String> redis = group.master().cli();
            waitFor("the reconcile after the failover", () -> client.created.keySet().stream()
                .allMatch(id -> redis.exists(StoredRoute.key(id)) == 1));
            for (final long id : client.deleted)
            {
                assertEquals(0, redis.exists(StoredRoute.key(id)), "deleted route " + id + " came back");
                assertEquals(404, a.authed("GET", "/route/" + id, null).statusCode());
            }
            for (final Map.Entry<Long, String> e : client.created.entrySet())
            {
                final String stored = redis.get(StoredRoute.key(e.getKey()));
                assertNotNull(stored, "route " + e.getKey());
                assertTrue(stored.contains(e.getValue()), "route " + e.getKey() + " holds its last target: " + stored);
            }
            for (int i = 0; i < STREAMS; i++)
            {
                assertEquals(1, redis.exists(StoredRoute.key(FIRST_STREAM + i)));
            }

            // The subscription followed the failover: a migration right after it succeeds.
            assertTrue(metric(a, "relay_redis_resubscribes_total") >= 1);
            assertTrue(metric(b, "relay_redis_resubscribes_total") >= 1);
            final HttpResponse<String> migrated = a.authed("POST", "/migrate", migrateBody(FIRST_STREAM, relay(b)));
            assertEquals(200, migrated.statusCode(), migrated.body());
            assertEquals("sentinel-b", json(b.authed("GET", "/route/" + FIRST_STREAM, null)).get("node_id"));
            assertNotEquals(firstMaster, newMaster);

            System.out.printf("sentinel failover drill: new master %s serving both nodes %d ms after the kill; " +
                "%d API writes (%d created, %d deleted, %d replaced), slowest answer %d ms; %d datagrams on %d " +
                "streams, 0 lost%n", newMaster, failoverMs, client.calls.get(), client.created.size(),
                client.deleted.size(), client.replaced.get(), client.slowestMs.get(), traffic.sent(), STREAMS);
            for (final DatagramChannel source : sources)
            {
                source.close();
            }
        }
    }

    private static NodeFixture node(final SentinelGroup group, final String id) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", group.url());
        env.put("NODE_ID", id);
        env.put("MIGRATION_GRACE_SECONDS", "2");
        return NodeFixture.start(env);
    }

    private static String safeMaster(final SentinelGroup group)
    {
        try
        {
            return group.masterAddress();
        }
        catch (final RuntimeException ex)
        {
            return "";
        }
    }

    private static Object field(final NodeFixture node, final String name)
    {
        try
        {
            return json(node.call("GET", "/health", null)).get(name);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static double metric(final NodeFixture node, final String series)
    {
        try
        {
            return NodeFixture.metric(node.metrics(), series);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Creates a route, replaces every fifth with another target and deletes every third, one call after another,
     * remembering what each answer promised.
     */
    private static final class Client
    {
        private final NodeFixture node;
        final Map<Long, String> created = new ConcurrentHashMap<>(); // stream id -> its last target
        final Set<Long> deleted = ConcurrentHashMap.newKeySet();
        final AtomicLong calls = new AtomicLong();
        final AtomicLong replaced = new AtomicLong();
        final AtomicLong slowestMs = new AtomicLong();
        final AtomicReference<String> failure = new AtomicReference<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private Thread thread;

        Client(final NodeFixture node)
        {
            this.node = node;
        }

        void start()
        {
            thread = new Thread(this::run, "drill-client");
            thread.start();
        }

        private void run()
        {
            for (long k = 0; running.get() && failure.get() == null; k++)
            {
                final long id = FIRST_CLIENT_ROUTE + k;
                expect(201, "POST", "/route", body(id, "127.0.0.1:9"));
                created.put(id, "127.0.0.1:9");
                if (k % 5 == 4)
                {
                    expect(200, "PUT", "/route/" + id, body(id, "127.0.0.1:10"));
                    created.put(id, "127.0.0.1:10");
                    replaced.incrementAndGet();
                }
                if (k % 3 == 2)
                {
                    final long gone = id - 1;
                    expect(204, "DELETE", "/route/" + gone, null);
                    created.remove(gone);
                    deleted.add(gone);
                }
            }
        }

        private static String body(final long id, final String target)
        {
            return "{\"stream_id\":" + id + ",\"source_addr\":\"127.0.0.1:4\",\"target_addrs\":[\"" + target + "\"]}";
        }

        private void expect(final int status, final String method, final String path, final String body)
        {
            final long start = System.nanoTime();
            try
            {
                final HttpResponse<String> response = node.authed(method, path, body);
                if (response.statusCode() != status)
                {
                    failure.compareAndSet(null, method + " " + path + " answered " + response.statusCode() + ": " +
                        response.body());
                }
            }
            catch (final Exception ex)
            {
                failure.compareAndSet(null, method + " " + path + " got no answer: " + ex);
            }
            calls.incrementAndGet();
            slowestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
        }

        void stop() throws InterruptedException
        {
            running.set(false);
            thread.join();
        }
    }
}
