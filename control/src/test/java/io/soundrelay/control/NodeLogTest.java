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

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator reads in a node's log: one line per route change, failed authentications per address with a
 * count, a drop summary by reason, API commands at LOG_LEVEL=debug, short logger names, addresses without a leading
 * {@code /}, and no line in another format or from a library with nothing to say.
 */
class NodeLogTest
{
    /** slf4j-simple with the node's settings: time, thread, level, short logger name, message. */
    private static final Pattern LINE = Pattern.compile(
        "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) \\[[^]]+] " +
        "(TRACE|DEBUG|INFO|WARN|ERROR) [A-Za-z0-9$]+ - ");
    /** An address as the JDK writes it, {@code /127.0.0.1:4000}; a URL's {@code //} is not one. */
    private static final Pattern SLASHED = Pattern.compile("(?<![/:])/\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    @Test
    void routeChangesAreOneLineEachInTheNodesFormat() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(Map.of("NODE_ID", "logs-1")))
        {
            final String body = "{\"stream_id\":\"4242\",\"source_addr\":\"127.0.0.1:40000\"," +
                "\"target_addrs\":[\"127.0.0.1:40001\",\"127.0.0.1:40002\"],\"room_code\":\"lobby\"}";
            assertEquals(201, node.call("POST", "/route", body).statusCode());
            assertEquals(200, node.call("PUT", "/route/4242",
                body.replace(",\"127.0.0.1:40002\"", "")).statusCode());
            assertEquals(204, node.call("DELETE", "/route/4242", null).statusCode());
            final String log = awaitLog(node, l -> l.contains("stream 4242 deleted"));
            assertTrue(log.contains(" INFO RouteLog - stream 4242 created on node logs-1: 2 targets, room lobby\n"),
                log);
            assertTrue(log.contains(" INFO RouteLog - stream 4242 replaced on node logs-1: 1 target, room lobby\n"),
                log);
            assertTrue(log.contains(" INFO RouteLog - stream 4242 deleted on node logs-1: 1 target, room lobby\n"),
                log);
            assertNodeFormat(log);
            assertFalse(log.contains(NodeProcess.KEY), "never the key");
        }
    }

    @Test
    void aRouteNobodySendsOnExpiresWithItsLine() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(Map.of("NODE_ID", "logs-ttl", "ROUTE_TTL_SECONDS", "1")))
        {
            assertEquals(201, node.call("POST", "/route", "{\"stream_id\":\"515\",\"source_addr\":" +
                "\"127.0.0.1:40000\",\"target_addrs\":[\"127.0.0.1:40001\"]}").statusCode());
            final String log = awaitLog(node, l -> l.contains("stream 515 expired"));
            assertTrue(log.contains(" INFO RouteLog - stream 515 expired (no datagram within ROUTE_TTL_SECONDS) on " +
                "node logs-ttl: 1 target\n"), log);
            assertNodeFormat(log);
        }
    }

    @Test
    void aBurstOfBadKeysFromOneAddressIsOneWarningWithItsCount() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(Map.of()))
        {
            final HttpClient http = HttpClient.newHttpClient();
            final InetSocketAddressText api = new InetSocketAddressText(node);
            for (int i = 0; i < 5; i++)
            {
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/routes"))
                    .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer wrong-key-" + i).build(),
                    HttpResponse.BodyHandlers.ofString());
                assertEquals(401, r.statusCode());
            }
            final String log = awaitLog(node, l -> l.contains("failed API authentication"));
            final List<String> warnings = log.lines().filter(l -> l.contains("failed API authentication")).toList();
            assertEquals(1, warnings.size(), log);
            assertTrue(warnings.get(0).contains(" WARN AuthFailureLog - 5 failed API authentication(s) from " +
                "127.0.0.1 within 10 s"), log);
            assertFalse(log.contains("wrong-key"), "never the key tried");
            assertNodeFormat(log);
        }
    }

    @Test
    void dropsAreSummedUpByReasonWhileTheyHappen() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(Map.of());
             DatagramSocket socket = new DatagramSocket())
        {
            final byte[] garbage = {1, 2, 3};
            for (int i = 0; i < 20; i++)
            {
                socket.send(new DatagramPacket(garbage, garbage.length, node.relay()));
            }
            final String log = awaitLog(node, l -> l.contains(" datagram(s) in the last 10 s: "));
            final Matcher m = Pattern.compile(" WARN NodeLogging - dropped (\\d+) datagram\\(s\\) in the last 10 s: " +
                "([a-z_]+=\\d+(, [a-z_]+=\\d+)*) \\(relay_packet_errors on /metrics\\)").matcher(log);
            assertTrue(m.find(), log);
            assertEquals(20, Integer.parseInt(m.group(1)), log);
            assertTrue(m.group(2).startsWith("malformed=20") || m.group(2).contains("=20"), log);
            assertNodeFormat(log);
        }
    }

    @Test
    void debugShowsEachApiCommandWithoutItsKey() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(Map.of("LOG_LEVEL", "DEBUG")))
        {
            assertEquals(200, node.call("GET", "/routes", null).statusCode());
            final String log = awaitLog(node, l -> l.contains("GET /routes 200 in "));
            assertTrue(Pattern.compile(" DEBUG ControlApi - GET /routes 200 in \\d+ ms from 127\\.0\\.0\\.1:\\d+\n")
                .matcher(log).find(), log);
            assertFalse(log.contains(NodeProcess.KEY), "never the key");
            assertFalse(log.contains("Logging Provider"), "JBoss logging's own line: " + log);
            assertNodeFormat(log);
        }
    }

    @Test
    void theTracingSdksComplaintComesInTheNodesFormat() throws Exception
    {
        final String out = NodeProcess.runToExit(List.of(), Map.of("OTEL_TRACES_SAMPLER", "bogus"));
        assertTrue(out.startsWith("2\n"), out);
        assertTrue(out.contains("soundrelay: invalid configuration: OTEL_TRACES_SAMPLER=bogus: "), out);
        // The SDK's own line (java.util.logging), in the node's format rather than JUL's two-line one.
        assertTrue(out.contains(" AutoConfiguredOpenTelemetrySdkBuilder - "), out);
        for (final String line : out.substring(2).split("\n"))
        {
            assertTrue(line.isEmpty() || line.startsWith("soundrelay: ") || LINE.matcher(line).find(),
                "a line in another format: " + line + "\n" + out);
        }
    }

    @Test
    void aMigrationIsOneLineOnEachNodeAndADrainSumsItsRoutesUp() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
             NodeProcess a = NodeProcess.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", "log-a"));
             NodeProcess b = NodeProcess.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", "log-b")))
        {
            final String route = "{\"stream_id\":\"%s\",\"source_addr\":\"127.0.0.1:40000\"," +
                "\"target_addrs\":[\"127.0.0.1:40001\"]}";
            assertEquals(201, a.call("POST", "/route", route.formatted("77")).statusCode());
            assertEquals(201, a.call("POST", "/route", route.formatted("78")).statusCode());
            final String newNode = "127.0.0.1:" + b.relay().getPort();
            awaitLive(a, 2);
            final HttpResponse<String> migrated = a.call("POST", "/migrate",
                "{\"stream_id\":\"77\",\"new_node_addr\":\"" + newNode + "\"}");
            assertEquals(200, migrated.statusCode(), migrated.body());
            final String logA = awaitLog(a, l -> l.contains("stream 77 migrated"));
            assertTrue(Pattern.compile(" INFO RouteLog - stream 77 migrated from node log-a to node log-b in \\d+ " +
                "ms: 1 target\n").matcher(logA).find(), logA);
            final String logB = awaitLog(b, l -> l.contains("stream 77 adopted"));
            assertTrue(logB.contains(" INFO RouteLog - stream 77 adopted from node log-a (adopted) on node log-b: " +
                "1 target\n"), logB);

            // A drain hands stream 78 over as one of many: its summary at INFO, its own line only at DEBUG.
            a.sigterm();
            assertEquals(0, a.awaitExit(90));
            final String drained = a.log();
            assertTrue(drained.contains("drain over after"), drained);
            assertFalse(drained.contains("stream 78 migrated"), drained);
            awaitLog(b, l -> l.contains("stream 78 adopted from node log-a"));
            assertNodeFormat(drained);
            assertNodeFormat(b.log());
        }
    }

    @Test
    void lettucesTransportWarningIsSilencedAndItsErrorsAreNot()
    {
        // "Both epoll and io_uring native transports are available": a WARN of this logger that tells nothing to do.
        final org.slf4j.Logger transports = org.slf4j.LoggerFactory.getLogger("io.lettuce.core.resource.Transports");
        assertFalse(transports.isWarnEnabled());
        assertTrue(transports.isErrorEnabled());
        assertTrue(org.slf4j.LoggerFactory.getLogger("io.lettuce.core.RedisClient").isWarnEnabled());
    }

    /** Every line the node wrote: its format, short logger names, no address with a leading slash. */
    private static void assertNodeFormat(final String log)
    {
        for (final String line : log.split("\n"))
        {
            if (!line.isEmpty() && !line.startsWith("\tat ") && !line.startsWith("soundrelay: "))
            {
                assertTrue(LINE.matcher(line).find(), "a line in another format: " + line);
            }
            assertFalse(SLASHED.matcher(line).find(), "an address with '/': " + line);
            assertFalse(line.contains(" io.soundrelay."), "a full logger name: " + line);
        }
        assertFalse(log.contains("Both epoll and io_uring"), log);
    }

    private static String awaitLog(final NodeProcess node, final Predicate<String> line) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true)
        {
            final String log = node.log();
            if (log.lines().anyMatch(line))
            {
                return log;
            }
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("no such line within 60 s:\n" + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** Wait until a node's {@code GET /nodes} lists so many nodes. */
    private static void awaitLive(final NodeProcess node, final int count) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (node.call("GET", "/nodes", null).body().split("\"node_id\"", -1).length - 1 < count)
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("not " + count + " live nodes within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** The node's control API as a base URI. */
    private record InetSocketAddressText(NodeProcess node)
    {
        @Override
        public String toString()
        {
            return "http://127.0.0.1:" + node.apiAddress().getPort();
        }
    }
}
