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

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node as a process, as {@code java -jar} runs it: bad settings stop it before anything starts, and SIGTERM
 * stops it gracefully with exit status 0.
 */
class NodeProcessTest
{
    static Process launch(final Map<String, String> env, final File dir, final String... args) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + "/bin/java");
        cmd.add("--add-exports");
        cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("--enable-native-access=ALL-UNNAMED"); // as the node jar's manifest
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SoundRelayMain.class.getName());
        cmd.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
        pb.environment().putAll(env);
        return pb.start();
    }

    static String output(final Process p) throws Exception
    {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void badSettingsStopTheNodeNamingTheVariable() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        for (final Map.Entry<String, String> bad : Map.of(
            "BIND_ADDR", "nowhere:4000",
            "RING_SIZE", "1000",
            "MAX_STREAMS_PER_NODE", "lots",
            "AUTH_ENABLED", "maybe",
            "TRANSPORT", "carrier-pigeon",
            "DATA_PLANE_PIPELINES", "65").entrySet())
        {
            final Process p = launch(Map.of(bad.getKey(), bad.getValue()), dir);
            final String out = output(p);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains(bad.getKey() + "=" + bad.getValue() + ":"), out);
            assertFalse(out.contains("Exception"), "a message, not a stack trace: " + out);
        }

        // Two settings that parse but do not go together: the message names both.
        final Process p = launch(Map.of("DATA_PLANE_PIPELINES", "3", "PIN_CPUS", "0,1"), dir);
        final String out = output(p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("DATA_PLANE_PIPELINES=3: more pipelines than the 2 CPUs of PIN_CPUS=0,1"), out);
    }

    @Test
    void aRingTooLargeForMemoryIsRefusedNamingTheSetting() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        final Process p = launch(Map.of("RING_SIZE", "1048576", "MAX_DATAGRAM_BYTES", "65507",
            "BIND_ADDR", "127.0.0.1:0", "CONTROL_API_ADDR", "127.0.0.1:0", "METRICS_ADDR", "127.0.0.1:0",
            "REDIS_URL", ""), dir);
        final String out = output(p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("RING_SIZE=1048576:"), out);
        assertFalse(out.contains("Exception"), out);
    }

    @Test
    void aBadSettingInDotEnvIsNamedToo() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        java.nio.file.Files.writeString(new File(dir, ".env").toPath(), "JITTER_BUFFER_MS=2000\n");
        final Process p = launch(Map.of(), dir);
        final String out = output(p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("JITTER_BUFFER_MS=2000:"), out);
    }

    @Test
    void aMisspelledSettingIsReportedWithTheOneItLikelyMeans() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(Map.of("REDIS_URI", "redis://127.0.0.1:1")))
        {
            assertTrue(node.log().contains("REDIS_URI in the environment is not a setting of the node and is " +
                "ignored; did you mean REDIS_URL?"), node.log());
        }
    }

    /** Loopback, ephemeral ports, no Redis: a node that would start if nothing stopped it. */
    private static Map<String, String> startable(final String... overrides)
    {
        final Map<String, String> env = new HashMap<>(Map.of(
            "BIND_ADDR", "127.0.0.1:0", "CONTROL_API_ADDR", "127.0.0.1:0", "METRICS_ADDR", "127.0.0.1:0",
            "REDIS_URL", ""));
        for (int i = 0; i < overrides.length; i += 2)
        {
            env.put(overrides[i], overrides[i + 1]);
        }
        return env;
    }

    private static String exited(final Process p, final int status) throws Exception
    {
        final String out = output(p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), out);
        assertEquals(status, p.exitValue(), out);
        assertFalse(out.contains("Exception"), "a message, not a stack trace: " + out);
        assertFalse(out.contains(" up: relay "), "no node started: " + out);
        assertFalse(out.contains("generated API key"), "no key printed: " + out);
        return out;
    }

    @Test
    void helpListsEverySettingWithItsDefaultAndStartsNothing() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        for (final String flag : List.of("--help", "-h"))
        {
            final String out = exited(launch(startable(), dir, flag), 0);
            assertTrue(out.startsWith("Usage: java -jar soundrelay.jar"), out);
            for (final String name : io.soundrelay.core.config.Configuration.NAMES)
            {
                assertTrue(out.contains("\n  " + name + " "), name + " in " + out);
            }
            assertTrue(out.contains("[0.0.0.0:4000]") && out.contains("[redis://127.0.0.1:6379]"), out);
            assertTrue(out.contains("REDIS_URL= (empty)"), "how to keep a trial node out of a shared Redis: " + out);
        }
    }

    @Test
    void versionPrintsTheBuildsVersion() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        final String out = exited(launch(startable(), dir, "--version"), 0);
        assertTrue(out.matches("soundrelay \\d+\\.\\d+\\.\\d+\\S*\\s*"), out);
    }

    @Test
    void anUnknownArgumentIsRefusedBeforeAnythingStarts() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        for (final String[] args : List.of(new String[] {"start"}, new String[] {"--port", "4000"},
            new String[] {"--help", "--version"}))
        {
            final String out = exited(launch(startable(), dir, args), 2);
            assertTrue(out.contains("unknown argument") && out.contains(String.join(" ", args)), out);
            assertTrue(out.contains("--help"), out);
        }
    }

    @Test
    void aTakenOrMissingAddressStopsTheNodeNamingTheVariableAndTheAddress() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        try (java.nio.channels.DatagramChannel udp = java.nio.channels.DatagramChannel.open();
            java.net.ServerSocket tcp = new java.net.ServerSocket())
        {
            udp.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            tcp.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            final String udpAddr = "127.0.0.1:" + ((java.net.InetSocketAddress)udp.getLocalAddress()).getPort();
            final String tcpAddr = "127.0.0.1:" + tcp.getLocalPort();
            for (final String variable : List.of("BIND_ADDR", "CONTROL_API_ADDR", "METRICS_ADDR"))
            {
                final String taken = "BIND_ADDR".equals(variable) ? udpAddr : tcpAddr;
                final String out = exited(launch(startable(variable, taken), dir), 2);
                assertTrue(out.contains(variable + "=" + taken + ": "), variable + ": " + out);
                assertTrue(out.contains("address already in use"), variable + ": " + out);
            }
        }
        // 198.51.100.0/24 is documentation space: no interface of a test host has it.
        for (final String variable : List.of("BIND_ADDR", "CONTROL_API_ADDR", "METRICS_ADDR"))
        {
            final String out = exited(launch(startable(variable, "198.51.100.7:4999"), dir), 2);
            assertTrue(out.contains(variable + "=198.51.100.7:4999: "), variable + ": " + out);
            assertTrue(out.contains("cannot assign requested address"), variable + ": " + out);
        }
    }

    @Test
    void sigtermDrainsAndExitsZero() throws Exception
    {
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay").toFile();
        final Process p = launch(Map.of(
            "BIND_ADDR", "127.0.0.1:0", "CONTROL_API_ADDR", "127.0.0.1:0", "METRICS_ADDR", "127.0.0.1:0",
            "REDIS_URL", ""), dir);
        final BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        final StringBuilder log = new StringBuilder();
        String line;
        boolean up = false;
        boolean keyShown = false;
        while ((line = reader.readLine()) != null)
        {
            log.append(line).append('\n');
            keyShown |= line.contains("generated API key (shown once)");
            if (line.contains(" up: relay "))
            {
                up = true;
                break;
            }
        }
        assertTrue(up, log.toString());
        assertTrue(keyShown, "a generated key is printed when auth is on and none is configured");

        assertTrue(p.toHandle().destroy(), "SIGTERM sent"); // unlike Process.destroy(), keeps the output open
        while ((line = reader.readLine()) != null)
        {
            log.append(line).append('\n');
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log.toString());
        assertTrue(log.toString().contains("draining the relay ring"), log.toString());
    }
}
