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
package io.soundrelay.tools;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code rolling-drill} command line: help with every option and its default, exit status 2 with a message
 * naming the option for every bad value, and the restart command as the drill runs it. Nothing here reaches a node.
 */
final class RollingDrillCommandTest
{
    private static final String NODE_A = "http://127.0.0.1:4300";
    private static final String NODE_B = "http://127.0.0.1:4301";
    private static final String NODE_C = "http://127.0.0.1:4302";
    private static final String RESTART = "systemctl restart soundrelay@{node_id}";
    private static final List<String> OPTIONS = List.of(
        "--node, --nodes", "--api-key", "--restart-command", "--streams", "--pps", "--payload-bytes", "--check-ms",
        "--settle-ms", "--timeout-ms", "--bind", "--json", "--help", "--version");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpShowsTheUsageAndEveryOption()
    {
        assertEquals(0, execute("rolling-drill", "--help"));

        final String help = out.toString();
        assertTrue(help.startsWith("Usage: soundrelay-tools rolling-drill --node URL --node URL [--node URL]... " +
            "--restart-command CMD\n"), help);
        for (final String option : OPTIONS)
        {
            assertTrue(help.contains(option), option + " in\n" + help);
        }
        for (final String defaultValue : List.of("Default: 100.", "Default: 50.", "Default: 160.", "Default: 250.",
            "Default: 3000.", "Default: 180000.", "Default: 127.0.0.1."))
        {
            assertTrue(help.contains(defaultValue), defaultValue + " in\n" + help);
        }
        assertTrue(help.contains("'systemctl restart soundrelay@{node_id}'"), help);
        assertTrue(help.matches("(?s).*\\n  2 +bad options\\n.*"), help);
        assertFalse(help.contains("${"), "every variable is expanded:\n" + help);
        assertEquals("", err.toString());

        out.getBuffer().setLength(0);
        assertEquals(0, execute("--help"));
        assertTrue(out.toString().contains("rolling-drill  Restarts SoundRelay nodes one after the other"),
            out::toString);
    }

    @Test
    void everyOptionHasItsDefault()
    {
        final RollingDrillOptions options = parse(Map.of(), "--node", NODE_A, "--node", NODE_B,
            "--restart-command", RESTART);

        assertEquals(List.of(URI.create(NODE_A), URI.create(NODE_B)), options.nodes());
        assertNull(options.apiKey());
        assertEquals(RESTART, options.restartCommand());
        assertEquals(100, options.streams());
        assertEquals(50, options.traffic().ppsPerStream());
        assertEquals(160, options.traffic().payloadBytes());
        assertEquals(250, options.checkMs());
        assertEquals(3000, options.settleMs());
        assertEquals(180_000, options.timeoutMs());
        assertEquals("127.0.0.1", options.traffic().bindHost());
        assertEquals(GeneratorOptions.Deliver.FRAMED, options.traffic().sinkDelivery());
        assertTrue(options.traffic().firstStreamId() >= 1, "a random base");
    }

    @Test
    void everyOptionIsTaken()
    {
        final RollingDrillOptions options = parse(Map.of(LoadgenCommand.API_KEY_ENV, "key-from-env"),
            "--nodes", NODE_A + "," + NODE_B, "--node", NODE_C, "--restart-command", "kubectl delete pod {node_id}",
            "--streams", "12", "--pps", "25.5", "--payload-bytes", "480", "--check-ms", "100", "--settle-ms", "700",
            "--timeout-ms", "5000", "--bind", "127.0.0.1", "--json", "report.json");

        assertEquals(List.of(URI.create(NODE_A), URI.create(NODE_B), URI.create(NODE_C)), options.nodes());
        assertEquals("key-from-env", options.apiKey());
        assertEquals(12, options.streams());
        assertEquals(25.5, options.traffic().ppsPerStream());
        assertEquals(480, options.traffic().payloadBytes());
        assertEquals(100, options.checkMs());
        assertEquals(700, options.settleMs());
        assertEquals(5000, options.timeoutMs());
        assertEquals("kubectl delete pod node-b", options.restartCommand("node-b", URI.create(NODE_B)));
        assertEquals("key", parse(Map.of(LoadgenCommand.API_KEY_ENV, "key-from-env"), "--nodes", NODE_A + "," + NODE_B,
            "--restart-command", RESTART, "--api-key", "key").apiKey());
    }

    @Test
    void badValuesExitTwoNamingTheOption()
    {
        assertBad("--restart-command: missing; the drill restarts each node with it");
        assertBad("--restart-command: missing", "--restart-command", " ");
        assertBad("--restart-command=restart {node}: unknown placeholder {node}; the placeholders are {node_id} " +
            "and {control_url}", "--restart-command", "restart {node}");
        assertBad("--node: a drain moves routes to a peer: at least two nodes, only " + NODE_A, "--nodes", NODE_A,
            "--restart-command", RESTART);
        assertBad("--node=" + NODE_A + "/: given twice", "--nodes", NODE_A + "," + NODE_A + "/",
            "--restart-command", RESTART);
        assertBad("--node=ftp://127.0.0.1:4301: expected http://host:port", "--nodes", NODE_A + ",ftp://127.0.0.1:4301",
            "--restart-command", RESTART);
        assertBad("--streams=0: must be between 1 and", "--restart-command", RESTART, "--streams", "0");
        assertBad("--pps=0: must be more than 0 and at most 10000", "--restart-command", RESTART, "--pps", "0");
        assertBad("--check-ms=5: must be between 10 and 60000", "--restart-command", RESTART, "--check-ms", "5");
        assertBad("--check-ms", "--restart-command", RESTART, "--check-ms", "often");
        assertBad("--settle-ms=-1: must be between 0 and 3600000", "--restart-command", RESTART, "--settle-ms", "-1");
        assertBad("--timeout-ms=999: must be between 1000 and 3600000", "--restart-command", RESTART,
            "--timeout-ms", "999");
        assertBad("--timeout-ms=2000: must be longer than --check-ms=5000", "--restart-command", RESTART,
            "--timeout-ms", "2000", "--check-ms", "5000");
        assertBad("--bind=0.0.0.0: must be a concrete address, not a wildcard", "--restart-command", RESTART,
            "--bind", "0.0.0.0");
        assertBad("Unknown options: '--migrations'", "--restart-command", RESTART, "--migrations", "3");
    }

    @Test
    void theRestartCommandRunsWithItsPlaceholdersFilledAndReportsItsExitStatus() throws Exception
    {
        final RollingDrillOptions options = parse(Map.of(), "--nodes", NODE_A + "," + NODE_B, "--restart-command",
            "echo restarting {node_id} at {control_url} as $SOUNDRELAY_NODE_ID; exit 3");
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream printed = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final ShellRestart restart = new ShellRestart(options, printed);

        assertEquals(3, restart.restart("node-b", URI.create(NODE_B)));
        assertEquals("  node-b restart: restarting node-b at " + NODE_B + " as node-b\n",
            bytes.toString(StandardCharsets.UTF_8));
        assertEquals("sh -c 'echo restarting node-b at " + NODE_B + " as $SOUNDRELAY_NODE_ID; exit 3'",
            restart.describe("node-b", URI.create(NODE_B)));
    }

    private int execute(final String... args)
    {
        final CommandLine commandLine = SoundRelayTools.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    /**
     * Run the command with two good nodes unless the arguments give --nodes themselves, and expect exit status 2
     * with one line naming what is wrong.
     */
    private void assertBad(final String expected, final String... args)
    {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        final boolean nodesGiven = List.of(args).contains("--nodes");
        final String[] withCommand = new String[args.length + (nodesGiven ? 1 : 3)];
        withCommand[0] = "rolling-drill";
        if (!nodesGiven)
        {
            System.arraycopy(new String[] { "--nodes", NODE_A + "," + NODE_B }, 0, withCommand, 1, 2);
        }
        System.arraycopy(args, 0, withCommand, nodesGiven ? 1 : 3, args.length);

        assertEquals(2, execute(withCommand), String.join(" ", withCommand));
        final String message = err.toString();
        assertTrue(message.contains(expected), message);
        assertTrue(message.contains("Try 'soundrelay-tools rolling-drill --help'"), message);
        assertFalse(message.contains("Usage:"), "one line, not the whole help:\n" + message);
        assertEquals("", out.toString());
    }

    private static RollingDrillOptions parse(final Map<String, String> environment, final String... args)
    {
        return RollingDrillCommand.options(environment::get, args);
    }
}
