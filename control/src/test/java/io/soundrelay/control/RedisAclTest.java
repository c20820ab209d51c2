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

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.MultiNodeTest.await;
import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.MultiNodeTest.migrateBody;
import static io.soundrelay.control.MultiNodeTest.nodeIds;
import static io.soundrelay.control.MultiNodeTest.quietly;
import static io.soundrelay.control.MultiNodeTest.relay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-node Redis ACL of the docs' Redis page (docs/operations/redis.md), exactly as written there: two nodes, each with only its own
 * user, work end to end (routes, datagrams, heartbeats seen by the other, a migration), Redis logs no command of
 * theirs as denied, and what the user may not do is really refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisAclTest
{
    private static final String DOC_USER = "soundrelay-relay-1";
    private static final String DOC_NODE_ID = "relay-1";
    private static final String DOC_PASSWORD = "CHANGE-ME";

    private static RedisServer redis;

    @BeforeAll
    static void startRedis() throws Exception
    {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception
    {
        redis.close();
    }

    /**
     * @return the ACL SETUSER line of the docs' Redis page (docs/operations/redis.md), with the node id and the password of this test's node.
     */
    static String aclLine(final String nodeId, final String password) throws Exception
    {
        Path readme = Paths.get("docs", "operations", "redis.md");
        if (!Files.exists(readme))
        {
            readme = Paths.get("..", "docs", "operations", "redis.md");
        }
        for (final String line : Files.readAllLines(readme, StandardCharsets.UTF_8))
        {
            final String trimmed = line.trim();
            if (trimmed.startsWith("ACL SETUSER " + DOC_USER + " "))
            {
                return trimmed.replace(DOC_NODE_ID, nodeId).replace(DOC_PASSWORD, password);
            }
        }
        throw new AssertionError("docs/operations/redis.md has no line starting with ACL SETUSER " + DOC_USER);
    }

    private static void run(final RedisCommands<String, String> cli, final String line)
    {
        final String[] words = line.split("\\s+");
        assertEquals("ACL", words[0]);
        final CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8);
        for (int i = 1; i < words.length; i++)
        {
            args.add(words[i]);
        }
        assertEquals("OK", cli.dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8), args));
    }

    private static String url(final String user, final String password)
    {
        return "redis://" + user + ":" + password + "@127.0.0.1:" + redis.port();
    }

    private static NodeFixture node(final String id, final String password) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", url("soundrelay-" + id, password));
        env.put("NODE_ID", id);
        env.put("MIGRATION_GRACE_SECONDS", "3");
        env.put("AUTO_FAILOVER", "true");
        return NodeFixture.start(env);
    }

    @Test
    void twoNodesWithOnlyTheDocumentedAclWorkEndToEndAndNothingMore() throws Exception
    {
        final RedisCommands<String, String> admin = redis.cli();
        run(admin, aclLine("node-a", "pass-a"));
        run(admin, aclLine("node-b", "pass-b"));
        admin.aclLogReset();

        try (NodeFixture a = node("node-a", "pass-a");
            NodeFixture b = node("node-b", "pass-b");
            DatagramChannel source = RedisTrustTest.udp("127.0.0.3");
            DatagramChannel target = RedisTrustTest.udp("127.0.0.2"))
        {
            await("each node sees both heartbeats", 15, quietly(() ->
                nodeIds(a).equals(java.util.Set.of("node-a", "node-b")) &&
                nodeIds(b).equals(java.util.Set.of("node-a", "node-b"))));

            assertEquals(201, a.authed("POST", "/route", RedisTrustTest.routeJson(11, source, target)).statusCode());
            assertTrue(admin.get("route:11").contains("\"node_id\":\"node-a\""), "written by node-a's user");
            RedisTrustTest.relays(source, a.relay(), target, 11, 1);
            final HttpResponse<String> migrated = a.authed("POST", "/migrate", migrateBody(11, relay(b)));
            assertEquals(200, migrated.statusCode(), migrated.body());
            assertEquals("node-b", json(migrated).get("to_node"));
            RedisTrustTest.relays(source, b.relay(), target, 11, 2);
            assertEquals(204, b.authed("DELETE", "/route/11", null).statusCode());
            assertEquals(null, admin.get("route:11"));

            for (final NodeFixture node : List.of(a, b))
            {
                assertEquals("connected", node.health("redis"));
                assertEquals("ok", node.health("status"));
            }
            assertEquals(List.of(), admin.aclLog(), "Redis denied nothing the nodes asked for");

            // What node-a's user may not do.
            final RedisClient client = RedisClient.create(url("soundrelay-node-a", "pass-a"));
            try (StatefulRedisConnection<String, String> connection = client.connect())
            {
                final RedisCommands<String, String> asNode = connection.sync();
                assertDenied(() -> asNode.flushall());
                assertDenied(() -> asNode.keys("*"));
                assertDenied(() -> asNode.configGet("*"));
                assertDenied(() -> asNode.set("other:key", "x"));
                assertDenied(() -> asNode.set("node:node-b:heartbeat", "forged"));
                assertDenied(() -> asNode.del("soundrelay:nodes", "node:node-b:heartbeat"));
                assertDenied(() -> asNode.publish("other-channel", "x"));
                assertDenied(() -> asNode.eval("return redis.call('SET', KEYS[1], 'x')",
                    io.lettuce.core.ScriptOutputType.STATUS, "other:key"));
                assertEquals(null, admin.get("other:key"));
                assertTrue(admin.get("node:node-b:heartbeat").contains("\"node_id\":\"node-b\""),
                    "node-b's heartbeat untouched");
            }
            finally
            {
                client.shutdown();
            }
        }
    }

    private static void assertDenied(final Runnable command)
    {
        final RedisCommandExecutionException ex = assertThrows(RedisCommandExecutionException.class, command::run);
        assertTrue(ex.getMessage().startsWith("NOPERM"), ex.getMessage());
    }
}
