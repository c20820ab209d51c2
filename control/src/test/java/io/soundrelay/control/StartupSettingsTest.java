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

import io.soundrelay.core.config.Configuration;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Settings checked as the node starts, seen as a user sees them: PIN_CPUS outside the process's CPUs stops it, an
 * unauthenticated API on a reachable address is warned about in the log and in /health, NODE_ID ends in the port the
 * relay socket is bound to, and {@code --help} shows what this environment sets.
 */
class StartupSettingsTest
{
    @Test
    void pinCpusOutsideTheCpusThisProcessMayUseStopsTheNodeNamingTheVariable() throws Exception
    {
        final String result = NodeProcess.runToExit(List.of(), Map.of("PIN_CPUS", "0,99"));
        final String out = result.substring(result.indexOf('\n') + 1);
        assertEquals("2", result.substring(0, result.indexOf('\n')), out);
        assertTrue(out.contains("soundrelay: invalid configuration: PIN_CPUS=0,99: CPU 99 is not one this process " +
            "may run on; it may use CPUs " + io.soundrelay.core.config.StartupChecks.allowedCpus() + " ("), out);
        assertFalse(out.contains("Exception"), "a message, not a stack trace: " + out);
        assertFalse(out.contains(" up: relay "), "no node started: " + out);
    }

    @Test
    void anUnauthenticatedApiOnAWildcardAddressIsWarnedAboutAtStartAndInHealth() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(Map.of("AUTH_ENABLED", "false", "CONTROL_API_ADDR", "0.0.0.0:0")))
        {
            final String log = awaitLog(node, "UNAUTHENTICATED CONTROL API");
            assertTrue(log.matches("(?s).*WARN .*UNAUTHENTICATED CONTROL API: AUTH_ENABLED=false and the control API " +
                "listens on 0\\.0\\.0\\.0:\\d+, which is not a loopback address: anyone who can reach that port can " +
                "create, change and delete routes.*"), log);
            final HttpResponse<String> health = node.call("GET", "/health", null);
            assertEquals(200, health.statusCode());
            assertTrue(health.body().contains("\"auth\":\"disabled\",\"warnings\":[\"AUTH_ENABLED=false and the " +
                "control API listens on 0.0.0.0:" + node.apiAddress().getPort() + ", which is not a loopback"),
                health.body());
            assertTrue(health.body().contains("\"status\":\"ok\""), "the existing fields stay: " + health.body());
        }
    }

    @Test
    void anUnauthenticatedApiOnLoopbackIsNoWarning() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(Map.of("AUTH_ENABLED", "false")))
        {
            final HttpResponse<String> health = node.call("GET", "/health", null);
            assertTrue(health.body().contains("\"auth\":\"disabled\",\"warnings\":[]"), health.body());
        }
        try (NodeFixture node = NodeFixture.start(Map.of("CONTROL_API_ADDR", "0.0.0.0:0")))
        {
            final HttpResponse<String> health = node.call("GET", "/health", null);
            assertTrue(health.body().contains("\"auth\":\"enabled\",\"warnings\":[]"), health.body());
        }
    }

    @Test
    void anUnsetNodeIdEndsInThePortTheRelaySocketIsBoundTo() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(Map.of()))
        {
            final int port = node.node.relayAddress().getPort();
            final String id = Configuration.defaultNodeId(Configuration.localHostName(), port);
            assertTrue(id.endsWith("-" + port) && port != 0, id);
            final HttpResponse<String> health = node.call("GET", "/health", null);
            assertTrue(health.body().contains("\"node_id\":\"" + id + "\""), health.body());
        }
    }

    @Test
    void helpShowsTheValuesThisEnvironmentSetsAndTheNodeIdTheyGive() throws Exception
    {
        final Path dir = Files.createTempDirectory("soundrelay");
        Files.writeString(dir.resolve(".env"), "RING_SIZE=1024\nAPI_KEYS=secret-key-0123456789\n");
        final Process p = NodeProcessTest.launch(Map.of("BIND_ADDR", "127.0.0.1:4711"), dir.toFile(), "--help");
        final String out = NodeProcessTest.output(p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("[0.0.0.0:4000]\n" + " ".repeat(33) + "= 127.0.0.1:4711 (environment)\n"), out);
        assertTrue(out.contains("= 1024 (.env)\n"), out);
        assertTrue(out.contains("= <1 key, not shown> (.env)\n") && !out.contains("secret-key"), out);
        assertTrue(out.contains("Default NODE_ID here: " +
            Configuration.defaultNodeId(Configuration.localHostName(), 4711) + " (the host name and BIND_ADDR's port)"),
            out);

        final Process zero = NodeProcessTest.launch(Map.of("BIND_ADDR", "127.0.0.1:0"), dir.toFile(), "--help");
        final String zeroOut = NodeProcessTest.output(zero);
        assertTrue(zero.waitFor(30, TimeUnit.SECONDS), zeroOut);
        assertTrue(zeroOut.contains("-<port>, <port> being the one BIND_ADDR's port 0 takes at start-up"), zeroOut);

        final Process bad = NodeProcessTest.launch(Map.of("RING_SIZE", "5"), dir.toFile(), "--help");
        final String badOut = NodeProcessTest.output(bad);
        assertTrue(bad.waitFor(30, TimeUnit.SECONDS), badOut);
        assertEquals(0, bad.exitValue(), badOut);
        assertTrue(badOut.contains("These settings start no node: RING_SIZE=5: outside 64-1048576"), badOut);
    }

    private static String awaitLog(final NodeProcess node, final String text) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String log = node.log();
        while (!log.contains(text) && System.nanoTime() < deadline)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            log = node.log();
        }
        return log;
    }
}
