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
package io.soundrelay.control.redis;

import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.core.route.RouteRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reconcile part of the store, alone, against a real redis-server: it reads only this node's valid routes, and
 * makes Redis hold exactly what memory holds without touching other nodes' keys, unreadable keys or kept routes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReconcilerTest extends RealRedisTest
{
    private static final String NODE = "rec-node";

    private final Reconciler reconciler =
        new Reconciler(NODE, parser, "300", 10, new RedisOperations(), RedisEndpoint::scanOne,
            new BoundedReads(new RedisOperations()));

    @Test
    void redisEndsUpHoldingExactlyMemoryForThisNodeAndNothingElseChanges() throws Exception
    {
        final RedisCommands<String, String> cli = redis.cli();
        cli.set("route:1", StoredRoute.encode(route(1, "10.0.0.9:1"), NODE));            // gone from memory
        cli.set("route:2", StoredRoute.encode(route(2, "10.0.0.9:2"), NODE));            // changed in memory
        final String others = StoredRoute.encode(route(3, "10.0.0.9:3"), "other-node");
        cli.set("route:3", others);                                                        // another node's
        final String unreadable = "{\"stream_id\":5,\"node_id\":\"" + NODE + "\",\"target_addrs\":\"nowhere\"}";
        cli.set("route:5", unreadable);                                                    // not a valid route
        final String kept = StoredRoute.encode(route(6, "10.0.0.9:6"), NODE);
        cli.set("route:6", kept);                                                          // the node was full
        reconciler.keep(6);
        for (int i = 100; i < 150; i++)
        {
            cli.set("other:" + i, "x"); // more keys than one SCAN page
        }

        final RouteRegistry memory = new RouteRegistry();
        memory.publish(route(2, "10.0.0.8:2"));
        memory.publish(route(4, "10.0.0.8:4"));

        assertEquals(3, reconciler.reconcile(connection.async(), memory)); // DEL 1, SET 2, SET 4

        assertNull(cli.get("route:1"));
        assertEquals(StoredRoute.encode(memory.get(2), NODE), cli.get("route:2"));
        assertEquals(StoredRoute.encode(memory.get(4), NODE), cli.get("route:4"));
        assertTrue(cli.ttl("route:4") > 0 && cli.ttl("route:4") <= 300);
        assertEquals(others, cli.get("route:3"));
        assertEquals(unreadable, cli.get("route:5"));
        assertEquals(kept, cli.get("route:6"));

        assertEquals(0, reconciler.reconcile(connection.async(), memory), "nothing left to change");
    }

    @Test
    void scanOwnReadsThisNodesValidRoutesWithTheirRemainingExpiry() throws Exception
    {
        final RedisCommands<String, String> cli = redis.cli();
        cli.set("route:7", StoredRoute.encode(route(7, "10.0.0.9:7"), NODE), SetArgs.Builder.ex(200));
        cli.set("route:8", StoredRoute.encode(route(8, "10.0.0.9:8"), "other-node"));
        cli.set("route:9", "not json");

        final Map<Long, StoredRoute> own = reconciler.scanOwn(connection.async(), null);
        assertEquals(Set.of(7L), own.keySet());
        final StoredRoute seven = own.get(7L);
        assertTrue(seven.remainingTtlMs > 190_000 && seven.remainingTtlMs <= 200_000, "" + seven.remainingTtlMs);
        // Idle for (TTL - remaining): about 100 s of the 300 s.
        final long now = System.nanoTime();
        final long idleMs = TimeUnit.NANOSECONDS.toMillis(now - reconciler.idleSince(seven, now));
        assertTrue(idleMs >= 100_000 && idleMs < 110_000, "idle " + idleMs + " ms");
    }
}
