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
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line as the jar runs it: help, exit status 2 with a message naming the option for bad values, and
 * the API key taken from the environment.
 */
final class LoadgenCommandTest
{
    private static final List<String> OPTIONS = List.of(
        "--relay", "--bind-host", "--streams", "--pps", "--total-pps", "--duration", "--payload-bytes", "--wire",
        "--deliver", "--source-port", "--sink-ports", "--[no-]create-routes", "--api", "--api-key", "--rate-unlimited",
        "--senders", "--receivers", "--first-stream-id", "--allow-loss-percent", "--grace-ms", "--stranger",
        "--report-interval", "--hgrm", "--json", "--socket-per-stream", "--return-path", "--relay-port-base", "--echo",
        "--return-hgrm", "--help", "--version");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpExitsZeroAndDescribesEveryOption()
    {
        assertEquals(0, execute("loadgen", "--help"));

        final String help = out.toString();
        assertTrue(help.startsWith("Usage: soundrelay-tools loadgen [OPTIONS]"), help);
        for (final String option : OPTIONS)
        {
            assertTrue(help.contains(option), option + " in\n" + help);
        }
        assertTrue(help.contains("Default: 127.0.0.1:4000."), help);
        assertTrue(help.contains("Default: 100."), help);
        assertTrue(help.contains("not CO-corrected"), help);
        assertTrue(help.contains("Exit status:"), help);
        assertTrue(help.matches("(?s).*\\n  2 +bad options\\n.*"), help);
        assertTrue(help.indexOf("Notes:") < help.indexOf("Exit status:"), help);
        assertFalse(help.contains("${"), "every variable is expanded:\n" + help);
        assertEquals("", err.toString());
    }

    @Test
    void helpCommandAndTopLevelHelpWork()
    {
        assertEquals(0, execute("help", "loadgen"));
        assertTrue(out.toString().contains("--total-pps"), out.toString());

        out.getBuffer().setLength(0);
        assertEquals(0, execute("--help"));
        assertTrue(out.toString().contains("loadgen"), out.toString());
    }

    @Test
    void noCommandIsBadUsage()
    {
        assertEquals(2, execute());
        assertTrue(err.toString().contains("Missing a command"), err.toString());
    }

    @Test
    void badValuesExitTwoNamingTheOption()
    {
        assertBad("--pps", "--pps", "abc");
        assertBad("--streams", "--streams", "0");
        assertBad("--streams", "--streams", "1.5");
        assertBad("--duration", "--duration", "soon");
        assertBad("--wire", "--wire", "udp");
        assertBad("--deliver", "--deliver", "raw");
        assertBad("--sink-ports", "--sink-ports", "5003-5000");
        assertBad("--relay", "--relay", "nowhere");
        assertBad("--api-key", "--api-key");
        assertBad("--frobnicate", "--frobnicate");
        assertBad("--json", "--json", "/no/such/directory/run.json");
        assertBad("--hgrm", "--hgrm", "/no/such/directory/run.hgrm");
    }

    @Test
    void ppsAndTotalPpsConflict()
    {
        assertBad("--pps and --total-pps are mutually exclusive", "--pps", "50", "--total-pps", "5000");
    }

    @Test
    void receiversMustMatchTheSinkPorts()
    {
        assertBad("--receivers=2: conflicts with --sink-ports=6000,6002-6003 (3 ports",
            "--receivers", "2", "--sink-ports", "6000,6002-6003");
    }

    @Test
    void apiKeyComesFromTheEnvironmentWhenAbsent()
    {
        final Map<String, String> environment = Map.of(LoadgenCommand.API_KEY_ENV, "key-from-env");

        assertEquals("key-from-env", parse(environment).apiKey());
        assertEquals("key-from-option", parse(environment, "--api-key", "key-from-option").apiKey());
        assertNull(parse(Map.of()).apiKey());
    }

    private int execute(final String... args)
    {
        final CommandLine commandLine = SoundRelayTools.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    private void assertBad(final String expected, final String... args)
    {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        final String[] withCommand = new String[args.length + 1];
        withCommand[0] = "loadgen";
        System.arraycopy(args, 0, withCommand, 1, args.length);

        assertEquals(2, execute(withCommand), String.join(" ", args));
        final String message = err.toString();
        assertTrue(message.contains(expected), message);
        assertTrue(message.contains("Try 'soundrelay-tools loadgen --help'"), message);
        assertFalse(message.contains("Usage:"), "one line, not the whole help:\n" + message);
        assertEquals("", out.toString());
    }

    private static GeneratorOptions parse(final Map<String, String> environment, final String... args)
    {
        final LoadgenCommand command = new LoadgenCommand(System.out, System.err, environment::get);
        SoundRelayTools.configure(new CommandLine(command)).parseArgs(args);
        return command.validatedOptions();
    }
}
