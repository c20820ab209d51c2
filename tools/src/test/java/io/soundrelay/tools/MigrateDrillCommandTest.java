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

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code migrate-drill} command line: help with its usage line, every option and its default, and exit status 2
 * with a message naming the option for every bad value. Nothing here reaches a node.
 */
final class MigrateDrillCommandTest
{
    private static final String NODE_A = "http://127.0.0.1:4300";
    private static final String NODE_B = "http://127.0.0.1:4301";
    private static final String NODE_C = "http://127.0.0.1:4302";
    private static final List<String> OPTIONS = List.of(
        "--node", "--api-key", "--streams", "--migrations", "--pps", "--payload-bytes", "--interval-ms",
        "--switch-after-ms", "--settle-ms", "--bind", "--json", "--help", "--version");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpShowsTheUsageAnExampleAndEveryOption()
    {
        assertEquals(0, execute("migrate-drill", "--help"));

        final String help = out.toString();
        assertTrue(help.startsWith("Usage: soundrelay-tools migrate-drill --node URL --node URL [--node URL]... " +
            "[--api-key KEY] [--streams N]\n         [--migrations N] [--pps N] [--payload-bytes N] " +
            "[--interval-ms MS] [--switch-after-ms MS]\n         [--settle-ms MS] [--bind IP] [--json FILE]\n"),
            help);
        assertTrue(help.contains("\n  soundrelay-tools migrate-drill --node http://127.0.0.1:4300 --node " +
            "http://127.0.0.1:4301 \\\n      --node http://127.0.0.1:4302 --api-key KEY --streams 100 " +
            "--migrations 20\n"), help);
        for (final String option : OPTIONS)
        {
            assertTrue(help.contains(option), option + " in\n" + help);
        }
        for (final String defaultValue : List.of("Default: 100.", "Default: 20, or --streams when fewer.",
            "Default: 50.", "Default: 160.", "Default: 1000.", "Default: 2000.", "Default: 127.0.0.1."))
        {
            assertTrue(help.contains(defaultValue), defaultValue + " in\n" + help);
        }
        assertTrue(help.matches("(?s).*\\n  2 +bad options\\n.*"), help);
        assertTrue(help.indexOf("Notes:") < help.indexOf("Exit status:"), help);
        assertFalse(help.contains("${"), "every variable is expanded:\n" + help);
        assertEquals("", err.toString());
    }

    @Test
    void theToolsListTheCommand()
    {
        assertEquals(0, execute("--help"));
        assertTrue(out.toString().contains("migrate-drill  Migrates streams between SoundRelay nodes"), out::toString);

        out.getBuffer().setLength(0);
        assertEquals(0, execute("help", "migrate-drill"));
        assertTrue(out.toString().contains("--switch-after-ms"), out::toString);
    }

    @Test
    void everyOptionHasItsDefault()
    {
        final DrillOptions options = parse(Map.of(), "--node", NODE_A, "--node", NODE_B);

        assertEquals(List.of(URI.create(NODE_A), URI.create(NODE_B)), options.nodes());
        assertNull(options.apiKey());
        assertEquals(100, options.streams());
        assertEquals(20, options.migrations());
        assertEquals(50, options.traffic().ppsPerStream());
        assertEquals(160, options.traffic().payloadBytes());
        assertEquals(1000, options.intervalMs());
        assertEquals(1000, options.switchAfterMs());
        assertEquals(2000, options.settleMs());
        assertEquals("127.0.0.1", options.traffic().bindHost());
        assertEquals(GeneratorOptions.Wire.SR, options.traffic().wire());
        assertEquals(GeneratorOptions.Deliver.FRAMED, options.traffic().sinkDelivery());
        assertEquals(1, options.traffic().senders());
        assertEquals(1, options.traffic().receivers());
        assertTrue(options.traffic().firstStreamId() >= 1, "a random base");
    }

    @Test
    void everyOptionIsTaken()
    {
        final DrillOptions options = parse(Map.of(), "--node", NODE_A, "--node", NODE_B, "--node", NODE_C,
            "--api-key", "secret", "--streams", "12", "--migrations", "9", "--pps", "25.5", "--payload-bytes", "480",
            "--interval-ms", "250", "--switch-after-ms", "100", "--settle-ms", "700", "--bind", "127.0.0.1",
            "--json", "report.json");

        assertEquals(List.of(URI.create(NODE_A), URI.create(NODE_B), URI.create(NODE_C)), options.nodes());
        assertEquals("secret", options.apiKey());
        assertEquals(12, options.streams());
        assertEquals(9, options.migrations());
        assertEquals(25.5, options.traffic().ppsPerStream());
        assertEquals(480, options.traffic().payloadBytes());
        assertEquals(250, options.intervalMs());
        assertEquals(100, options.switchAfterMs());
        assertEquals(700, options.settleMs());
        assertEquals("127.0.0.1", options.traffic().bindHost());
    }

    @Test
    void fewerStreamsThanTwentyMigrateEveryStreamByDefault()
    {
        assertEquals(5, parse(Map.of(), "--node", NODE_A, "--node", NODE_B, "--streams", "5").migrations());
    }

    @Test
    void apiKeyComesFromTheEnvironmentWhenAbsent()
    {
        final Map<String, String> environment = Map.of(LoadgenCommand.API_KEY_ENV, "key-from-env");

        assertEquals("key-from-env", parse(environment, "--node", NODE_A, "--node", NODE_B).apiKey());
        assertEquals("key", parse(environment, "--node", NODE_A, "--node", NODE_B, "--api-key", "key").apiKey());
        assertNull(parse(Map.of(), "--node", NODE_A, "--node", NODE_B, "--api-key", " ").apiKey());
    }

    @Test
    void badValuesExitTwoNamingTheOption()
    {
        assertBad("Missing required option: '--node=URL'");
        assertBad("--node: a migration needs at least two nodes, only " + NODE_A, "--node", NODE_A);
        assertBad("--node=ftp://127.0.0.1:4301: expected http://host:port", "--node", NODE_A, "--node",
            "ftp://127.0.0.1:4301");
        assertBad("--node=" + NODE_A + "/: given twice", "--node", NODE_A, "--node", NODE_A + "/");
        assertBad("--node", "--node", NODE_A, "--node");
        assertBad("--api-key", "--api-key");
        assertBad("--streams", "--streams", "many");
        assertBad("--streams=0: must be between 1 and", "--streams", "0");
        assertBad("--migrations", "--migrations", "1.5");
        assertBad("--migrations=0: must be at least 1", "--migrations", "0");
        assertBad("--migrations=101: each migration moves a different stream: at most --streams=100",
            "--migrations", "101");
        assertBad("--pps", "--pps", "fast");
        assertBad("--pps=0: must be more than 0 and at most 10000", "--pps", "0");
        assertBad("--pps=20000: must be more than 0", "--pps", "20000");
        assertBad("--payload-bytes", "--payload-bytes", "big");
        assertBad("--payload-bytes=23: must be between 24", "--payload-bytes", "23");
        assertBad("--payload-bytes=1481: with the 20-byte sr header", "--payload-bytes", "1481");
        assertBad("--interval-ms", "--interval-ms", "soon");
        assertBad("--interval-ms=0: must be between 1 and 3600000", "--interval-ms", "0");
        assertBad("--interval-ms=3600000: with --migrations=100 the drill would send for more than 23 hours",
            "--streams", "200", "--migrations", "100", "--interval-ms", "3600000");
        assertBad("--switch-after-ms=-1: must be between 0 and 3600000", "--switch-after-ms", "-1");
        assertBad("--settle-ms=1000: must be longer than --switch-after-ms=1000", "--settle-ms", "1000");
        assertBad("--settle-ms=3600001: must be between 0 and 3600000", "--settle-ms", "3600001");
        assertBad("--bind=0.0.0.0: must be a concrete address, not a wildcard", "--bind", "0.0.0.0");
        assertBad("--bind=no.such.host.invalid: unknown host", "--bind", "no.such.host.invalid");
        assertBad("--json=/no/such/directory/drill.json: directory /no/such/directory does not exist",
            "--json", "/no/such/directory/drill.json");
        assertBad("Unknown option: '--frobnicate'", "--frobnicate");
    }

    private int execute(final String... args)
    {
        final CommandLine commandLine = SoundRelayTools.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    /**
     * Run the command with two good nodes unless the arguments give --node themselves, and expect exit status 2
     * with one line naming what is wrong.
     */
    private void assertBad(final String expected, final String... args)
    {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        final boolean nodesGiven = List.of(args).contains("--node") || expected.startsWith("Missing");
        final String[] withCommand = new String[args.length + (nodesGiven ? 1 : 5)];
        withCommand[0] = "migrate-drill";
        if (!nodesGiven)
        {
            System.arraycopy(new String[] { "--node", NODE_A, "--node", NODE_B }, 0, withCommand, 1, 4);
        }
        System.arraycopy(args, 0, withCommand, nodesGiven ? 1 : 5, args.length);

        assertEquals(2, execute(withCommand), String.join(" ", withCommand));
        final String message = err.toString();
        assertTrue(message.contains(expected), message);
        assertTrue(message.contains("Try 'soundrelay-tools migrate-drill --help'"), message);
        assertFalse(message.contains("Usage:"), "one line, not the whole help:\n" + message);
        assertEquals("", out.toString());
    }

    private static DrillOptions parse(final Map<String, String> environment, final String... args)
    {
        return MigrateDrillCommand.options(environment::get, args);
    }
}
