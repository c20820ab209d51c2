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

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.NodeFixture.frame;
import static io.soundrelay.control.NodeFixture.receive;
import static io.soundrelay.control.NodeFixture.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node processes against a real Redis: killed with SIGKILL and started again, routes come back and traffic flows;
 * and a node reaching Redis over TLS ({@code rediss://}).
 */
class NodeCrashTest
{
    private static void assertRelays(final NodeProcess node, final long id, final DatagramChannel src,
        final DatagramChannel target, final int seq) throws Exception
    {
        final byte[] payload = ("crash-" + seq).getBytes(StandardCharsets.US_ASCII);
        src.send(ByteBuffer.wrap(frame(id, 0, seq, payload)), node.relay());
        assertArrayEquals(payload, receive(target));
    }

    @Test
    void aNodeKilledWithSigkillComesBackWithItsRoutesAndRelaysAgain() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            DatagramChannel src = udp(); DatagramChannel t1 = udp(); DatagramChannel t2 = udp())
        {
            final Map<String, String> env = Map.of("REDIS_URL", redis.url(), "NODE_ID", "crash-node");
            try (NodeProcess first = NodeProcess.start(env))
            {
                assertEquals(201, first.call("POST", "/route", NodeFixture.routeJson(71, src, null, t1)).statusCode());
                assertEquals(201, first.call("POST", "/route", NodeFixture.routeJson(72, src, "framed", t2)).statusCode());
                assertEquals(201, first.call("POST", "/route", NodeFixture.routeJson(73, src, null, t1)).statusCode());
                assertEquals(204, first.call("DELETE", "/route/73", null).statusCode());
                assertRelays(first, 71, src, t1, 0);
                first.kill9();
            }
            assertEquals(Set.of("route:71", "route:72"), new TreeSet<>(redis.cli().keys("route:*")),
                "checked from outside: Redis holds what the node answered");

            try (NodeProcess second = NodeProcess.start(env))
            {
                assertTrue(second.log().contains("loaded 2 route(s) of node crash-node"), second.log());
                assertEquals(200, second.call("GET", "/route/71", null).statusCode());
                assertEquals(200, second.call("GET", "/route/72", null).statusCode());
                assertEquals(404, second.call("GET", "/route/73", null).statusCode(), "a delete is never undone");
                assertRelays(second, 71, src, t1, 1);
                final byte[] framed = frame(72, 0, 2, "framed".getBytes(StandardCharsets.US_ASCII));
                src.send(ByteBuffer.wrap(framed), second.relay());
                assertArrayEquals(framed, receive(t2));
                assertEquals(0, second.stop());
            }
        }
    }

    @Test
    void aNodeReachesRedisOverTls() throws Exception
    {
        final File dir = Files.createTempDirectory("soundrelay-tls").toFile();
        final File cert = new File(dir, "redis.crt");
        final File key = new File(dir, "redis.key");
        final File trust = new File(dir, "trust.p12");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key.getPath(), "-out", cert.getPath());
        run(dir, System.getProperty("java.home") + "/bin/keytool", "-importcert", "-noprompt", "-alias", "redis",
            "-file", cert.getPath(), "-keystore", trust.getPath(), "-storetype", "PKCS12", "-storepass", "changeit");

        try (RedisServer redis = RedisServer.startTls(cert, key);
            NodeProcess node = NodeProcess.start(
                Map.of("REDIS_URL", "rediss://127.0.0.1:" + redis.port(), "NODE_ID", "tls-node"),
                "-Djavax.net.ssl.trustStore=" + trust.getPath(), "-Djavax.net.ssl.trustStorePassword=changeit");
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            assertTrue(node.call("GET", "/health", null).body().contains("\"redis\":\"connected\""), node.log());
            assertEquals(201, node.call("POST", "/route", NodeFixture.routeJson(81, src, null, target)).statusCode());
            final String stored = run(dir, "redis-cli", "--tls", "--cacert", cert.getPath(), "-p",
                Integer.toString(redis.port()), "get", "route:81");
            assertTrue(stored.contains("\"node_id\":\"tls-node\""), stored);
        }
    }

    private static String run(final File dir, final String... cmd) throws Exception
    {
        final Process p = new ProcessBuilder(List.of(cmd)).directory(dir).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }
}
