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
    private static Process launch(final Map<String, String> env, final File dir) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + "/bin/java");
        cmd.add("--add-exports");
        cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SoundRelayMain.class.getName());
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
        pb.environment().putAll(env);
        return pb.start();
    }

    private static String output(final Process p) throws Exception
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
            "TRANSPORT", "carrier-pigeon").entrySet())
        {
            final Process p = launch(Map.of(bad.getKey(), bad.getValue()), dir);
            final String out = output(p);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains(bad.getKey() + "=" + bad.getValue() + ":"), out);
            assertFalse(out.contains("Exception"), "a message, not a stack trace: " + out);
        }
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
