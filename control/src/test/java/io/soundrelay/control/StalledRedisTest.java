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

import io.soundrelay.control.redis.StoredRoute;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.NodeFixture.udp;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redis that answers nothing while its connections stay open (issue 18): {@code DEBUG SLEEP}, {@code CLIENT PAUSE}
 * and a stopped process (SIGSTOP, as a host that froze or a dead network looks). The node's commands time out, it
 * says why in {@code /health}, answers API writes from memory (queued), keeps relaying, and writes everything once
 * Redis answers again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StalledRedisTest
{
    @ParameterizedTest
    @ValueSource(strings = {"DEBUG SLEEP", "CLIENT PAUSE", "SIGSTOP"})
    void aStalledRedisTimesOutWithAReasonAndTheNodeKeepsRelaying(final String stall) throws Exception
    {
        try (RedisServer redis = RedisServer.start("--enable-debug-command", "yes");
            NodeFixture node = NodeFixture.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", "stalled"));
            DatagramChannel source = udp();
            DatagramChannel target = udp())
        {
            final long stream = 2000;
            assertEquals(201, node.createRoute(stream, source, null, target).statusCode());
            final DrillTraffic traffic = new DrillTraffic(node, stream, List.of(source), target);
            traffic.start();

            final long stalledAt = System.nanoTime();
            switch (stall)
            {
                case "DEBUG SLEEP" -> inline(redis, "DEBUG SLEEP 5");
                case "CLIENT PAUSE" -> inline(redis, "CLIENT PAUSE 5000 ALL");
                default -> redis.freeze();
            }
            waitFor("the node to find Redis unresponsive", () -> "unavailable".equals(node.health("redis")));
            final long degradedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stalledAt);
            final Map<String, Object> degraded = json(node.call("GET", "/health", null));
            assertEquals("degraded", degraded.get("status"));
            final String reason = String.valueOf(degraded.get("redis_error"));
            assertTrue(reason.toLowerCase().contains("timed out"), reason);

            // Writes while Redis is stalled are answered from memory, not held until it answers.
            long slowestMs = 0;
            for (int i = 0; i < 5; i++)
            {
                final long start = System.nanoTime();
                final String body = "{\"stream_id\":" + (3000 + i) +
                    ",\"source_addr\":\"127.0.0.1:4\",\"target_addrs\":[\"127.0.0.1:9\"]}";
                assertEquals(201, node.authed("POST", "/route", body).statusCode());
                slowestMs = Math.max(slowestMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }

            if ("SIGSTOP".equals(stall))
            {
                redis.thaw();
            }
            waitFor("the node back on Redis", () -> "connected".equals(node.health("redis")));
            traffic.stop();
            traffic.assertNoneLost();
            waitFor("the routes written during the stall in Redis", () ->
            {
                for (int i = 0; i < 5; i++)
                {
                    if (redis.cli().exists(StoredRoute.key(3000 + i)) != 1)
                    {
                        return false;
                    }
                }
                return true;
            });
            System.out.printf("%s: unavailable after %d ms (%s); API writes meanwhile answered within %d ms; " +
                "%d datagrams, 0 lost%n", stall, degradedMs, reason, slowestMs, traffic.sent());
        }
    }

    /** Sends one inline command on a connection of its own and does not wait for the answer. */
    private static void inline(final RedisServer redis, final String command) throws Exception
    {
        final Socket socket = new Socket("127.0.0.1", redis.port());
        final OutputStream out = socket.getOutputStream();
        out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        final Thread closer = new Thread(() ->
        {
            try
            {
                socket.getInputStream().read(); // its answer, when the stall ends
                socket.close();
            }
            catch (final Exception ignored)
            {
                // closing anyway
            }
        }, "stall-answer");
        closer.setDaemon(true);
        closer.start();
    }
}
