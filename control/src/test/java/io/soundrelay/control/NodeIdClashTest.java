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

import io.soundrelay.control.redis.RedisRouteStore;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes with one NODE_ID on one Redis, as processes on their own Redis: the second refuses to start naming the
 * first, a graceful stop frees the id, and a twin that slipped past the start-up check (it started while Redis was
 * away from the first) is reported and keeps its own heartbeat when the other stops.
 */
class NodeIdClashTest
{
    private static Map<String, String> env(final RedisServer redis, final String nodeId)
    {
        final Map<String, String> env = new HashMap<>();
        env.put("BIND_ADDR", "127.0.0.1:0");
        env.put("CONTROL_API_ADDR", "127.0.0.1:0");
        env.put("METRICS_ADDR", "127.0.0.1:0");
        env.put("API_KEYS", NodeProcess.KEY);
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", nodeId);
        return env;
    }

    @Test
    void aSecondNodeWithALiveNodesIdRefusesToStartNamingTheFirst() throws Exception
    {
        try (RedisServer redis = RedisServer.start(); NodeProcess first = NodeProcess.start(env(redis, "twin")))
        {
            assertTrue(first.log().contains("joined Redis " + redis.url() + " as NODE_ID twin"), first.log());
            final String heartbeat = redis.cli().get(RedisRouteStore.heartbeatKey("twin"));
            assertNotNull(heartbeat);

            final File dir = Files.createTempDirectory("soundrelay").toFile();
            final Process second = NodeProcessTest.launch(env(redis, "twin"), dir);
            final String out = NodeProcessTest.output(second);
            assertTrue(second.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(2, second.exitValue(), out);
            assertTrue(out.contains("NODE_ID=twin: another live node on " + redis.url() + " has this NODE_ID"), out);
            assertTrue(out.contains("relay 127.0.0.1:" + first.relay().getPort()), "names the first node: " + out);
            assertFalse(out.contains(" up: relay "), out);
            assertFalse(out.contains("Exception"), out);

            // The first node is untouched: still the only twin, its heartbeat its own, its API answering.
            final String nodes = first.call("GET", "/nodes", null).body();
            assertEquals(1, nodes.split("\"node_id\"", -1).length - 1, nodes);
            assertTrue(nodes.contains("\"relay_addr\":\"127.0.0.1:" + first.relay().getPort() + "\""), nodes);
            final String now = redis.cli().get(RedisRouteStore.heartbeatKey("twin"));
            assertNotNull(now, "the refused node did not remove the first one's heartbeat");
            assertEquals(jsonField(heartbeat, "instance_id"), jsonField(now, "instance_id"));
        }
    }

    @Test
    void aGracefulStopFreesTheNodeIdAtOnce() throws Exception
    {
        try (RedisServer redis = RedisServer.start())
        {
            try (NodeProcess first = NodeProcess.start(env(redis, "solo")))
            {
                assertEquals(0, first.stop());
            }
            assertEquals(0, redis.cli().exists(RedisRouteStore.heartbeatKey("solo")));
            try (NodeProcess again = NodeProcess.start(env(redis, "solo")))
            {
                assertFalse(again.log().contains("taking NODE_ID over"), again.log());
                assertEquals(200, again.call("GET", "/health", null).statusCode());
            }
        }
    }

    @Test
    void aTwinThatStartedWhileRedisWasAwayIsReportedAndKeepsItsHeartbeatWhenTheOtherStops() throws Exception
    {
        try (RedisServer redis = RedisServer.start(); NodeProcess node = NodeProcess.start(env(redis, "pair")))
        {
            final String key = RedisRouteStore.heartbeatKey("pair");
            final String twin = "{\"node_id\":\"pair\",\"instance_id\":\"the-other-one\"," +
                "\"relay_addr\":\"127.0.0.9:4000\",\"control_addr\":\"127.0.0.9:4300\",\"active_routes\":0," +
                "\"started_at\":\"2026-12-04T00:00:00Z\"}";
            redis.cli().setex(key, 10, twin);
            waitFor("the node reports the twin", () -> logContains(node,
                "NODE_ID pair is also used by another live node (relay 127.0.0.9:4000, control API 127.0.0.9:4300"));

            // The node's heartbeat just overwrote the twin's; the twin writes its own again, as a live one would,
            // and then the node stops: what it removes is only its own heartbeat.
            redis.cli().setex(key, 10, twin);
            assertEquals(0, node.stop());
            assertEquals(twin, redis.cli().get(key), "the twin's heartbeat is still there");
            assertNotNull(redis.cli().zscore(RedisRouteStore.NODES_KEY, "pair"), "and so is its entry in the index");
        }
    }

    private static boolean logContains(final NodeProcess node, final String text)
    {
        try
        {
            return node.log().contains(text);
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static String jsonField(final String json, final String name)
    {
        final Object doc = io.soundrelay.core.json.Json.parse(json);
        return (String)((Map<?, ?>)doc).get(name);
    }
}
