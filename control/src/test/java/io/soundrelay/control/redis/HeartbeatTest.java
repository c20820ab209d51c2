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

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.core.config.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The heartbeat part of the store, alone, against a real redis-server: the claim of NODE_ID (taken over from a dead
 * process, refused while a live one renews it), the beat, and the release that never removes another process's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeartbeatTest extends RealRedisTest
{

    private static Heartbeat heartbeat(final String instance)
    {
        final Heartbeat h = new Heartbeat("hb-node", instance, "redis://test", new RedisOperations());
        h.addresses("10.0.0.5:4000", "10.0.0.5:4300");
        h.startedAt(0);
        return h;
    }

    @Test
    void claimBeatAndReleaseWriteAndRemoveOnlyThisProcesssHeartbeat() throws Exception
    {
        final RedisCommands<String, String> cli = redis.cli();
        final Heartbeat h = heartbeat("instance-1");
        h.claim(connection.async());
        final String claimed = cli.get("node:hb-node:heartbeat");
        assertEquals("instance-1", Heartbeat.jsonField(claimed, "instance_id"));
        assertEquals("10.0.0.5:4000", Heartbeat.jsonField(claimed, "relay_addr"));
        assertTrue(cli.ttl("node:hb-node:heartbeat") > 0 && cli.ttl("node:hb-node:heartbeat") <= 10);

        h.beat(connection.async(), 7);
        assertTrue(cli.get("node:hb-node:heartbeat").contains("\"active_routes\":7"));
        assertNotNull(cli.zscore(RedisRouteStore.NODES_KEY, "hb-node"));

        // Another process's heartbeat under the same NODE_ID is not this one's to remove.
        cli.set("node:hb-node:heartbeat", "{\"instance_id\":\"instance-2\"}");
        h.release(connection.async());
        assertEquals("{\"instance_id\":\"instance-2\"}", cli.get("node:hb-node:heartbeat"));
        assertNotNull(cli.zscore(RedisRouteStore.NODES_KEY, "hb-node"));

        h.beat(connection.async(), 0);
        h.release(connection.async());
        assertNull(cli.get("node:hb-node:heartbeat"));
        assertNull(cli.zscore(RedisRouteStore.NODES_KEY, "hb-node"));
    }

    @Test
    void aHeartbeatNobodyRenewsIsTakenOverAndARenewedOneRefusesTheClaim() throws Exception
    {
        final RedisCommands<String, String> cli = redis.cli();
        // Left by a process that died: written once, never renewed.
        cli.set("node:hb-node:heartbeat", "{\"instance_id\":\"dead\",\"relay_addr\":\"10.0.0.9:4000\"}",
            SetArgs.Builder.ex(10));
        heartbeat("instance-1").claim(connection.async());
        assertEquals("instance-1", Heartbeat.jsonField(cli.get("node:hb-node:heartbeat"), "instance_id"));

        // A live process renews its heartbeat: the claim is refused, naming NODE_ID and the holder.
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread live = new Thread(() ->
        {
            try (RedisClient other = RedisClient.create(RedisURI.create(redis.url()));
                StatefulRedisConnection<String, String> c = other.connect())
            {
                for (int n = 0; running.get(); n++)
                {
                    c.sync().set("node:hb-node:heartbeat", "{\"instance_id\":\"live\",\"relay_addr\":\"10.0.0.7:4000\"," +
                        "\"active_routes\":" + n + "}", SetArgs.Builder.ex(10));
                    Thread.sleep(200);
                }
            }
            catch (final Exception ignored)
            {
                // the test is over
            }
        });
        live.start();
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!String.valueOf(cli.get("node:hb-node:heartbeat")).contains("\"live\""))
            {
                assertTrue(System.nanoTime() < deadline, "the live process never wrote its heartbeat");
                Thread.sleep(5);
            }
            final ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> heartbeat("instance-3").claim(connection.async()));
            assertTrue(refused.getMessage().startsWith("NODE_ID=hb-node: another live node on redis://test has this " +
                "NODE_ID (relay 10.0.0.7:4000"), refused.getMessage());
        }
        finally
        {
            running.set(false);
            live.join();
        }
    }
}
