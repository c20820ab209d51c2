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

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintStream;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * {@code soundrelay-tools migrate-drill}: runs a {@link MigrateDrill} against a cluster of nodes, prints progress,
 * the per-stream table and a summary, optionally writes the report as JSON, and exits 0 when every migration
 * succeeded without losing, duplicating or reordering a datagram, 1 when the drill failed or could not run, 2 for
 * bad options.
 * <p>
 * The options are declared in {@link DrillOptions.Builder}; picocli converts each value to its type,
 * {@link DrillOptions.Builder#build()} then checks ranges and the rules between options, and a refusal becomes a
 * {@link ParameterException} naming the option.
 */
@Command(
    name = "migrate-drill",
    mixinStandardHelpOptions = true,
    versionProvider = SoundRelayTools.Version.class,
    sortOptions = false,
    usageHelpWidth = 110,
    customSynopsis = {
        "soundrelay-tools migrate-drill --node URL --node URL [--node URL]... [--api-key KEY] [--streams N]",
        "         [--migrations N] [--pps N] [--payload-bytes N] [--interval-ms MS] [--switch-after-ms MS]",
        "         [--settle-ms MS] [--bind IP] [--json FILE]" },
    description = {
        "Migrates streams between SoundRelay nodes under load and checks that none loses, repeats or reorders a " +
            "datagram.",
        "",
        "  soundrelay-tools migrate-drill --node http://127.0.0.1:4300 --node http://127.0.0.1:4301 \\",
        "      --node http://127.0.0.1:4302 --api-key KEY --streams 100 --migrations 20",
        "",
        "The user-facing proof of zero-loss live migration (PROTOCOL.md section 7):",
        "  1. GET /nodes on the first --node; each --node is matched to a live node by its control_addr.",
        "  2. A route per stream, round robin over the nodes: source this tool's source socket, target its",
        "     receiver socket, deliver framed.",
        "  3. One thread sends every stream at --pps on an absolute schedule to its owner's relay_addr.",
        "  4. Every --interval-ms one stream moves to the next node, so every node gives and takes: POST /migrate",
        "     to its owner, timed until the answer. The stream still goes to the old node for --switch-after-ms",
        "     (the old node forwards it to the new one), then to the new node.",
        "  5. --settle-ms after the last answer sending stops. Once the receiver has been quiet for 500 ms (10 s",
        "     at most) it reports per stream what was sent, received, lost, duplicated and reordered, and the",
        "     routes are deleted on their owners." },
    optionListHeading = "%nOptions:%n",
    footerHeading = "%nNotes:%n",
    footer = {
        "Stream ids are consecutive from a random base, printed at the start; each migrates once at most.",
        "The receiver takes each frame's stream_id and sequence (u32, wrapping) and checks every byte; a frame " +
            "the new node delivers with the HOP flag set counts like any other.",
        "Point it only at nodes on your own machine or network." },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every migration succeeded, every datagram arrived once and in order",
        "1:the drill failed (a migration refused, a datagram lost, duplicated, reordered or unexpected), or could " +
            "not run (a node unreachable, a route refused, a --node that is no live node)",
        "2:bad options",
        "130:stopped by Ctrl-C (SIGINT), after deleting the routes" })
public final class MigrateDrillCommand extends DrillCommand<DrillOptions>
{
    @Mixin
    private DrillOptions.Builder given = DrillOptions.builder();

    @Option(names = { "-v", "--verbose" }, order = 20,
        description = "Print a line per stream and per migration in the summary; by default it lists only the " +
            "streams and migrations that went wrong.")
    private boolean verbose;

    /**
     * The command as the jar runs it: standard streams, the process environment, the nodes over HTTP.
     */
    public MigrateDrillCommand()
    {
        this(System.out, System.err, System::getenv, HttpNodeApi::new);
    }

    /**
     * @param nodeApi makes the control-API client from the API key (null for none).
     */
    MigrateDrillCommand(
        final PrintStream stdout,
        final PrintStream stderr,
        final UnaryOperator<String> environment,
        final Function<String, MigrateDrill.NodeApi> nodeApi)
    {
        super(stdout, stderr, environment, nodeApi);
    }

    /**
     * Parse a {@code migrate-drill} command line into validated options, as the command does before it runs.
     *
     * @param args the options after {@code migrate-drill}.
     * @return the validated options.
     * @throws ParameterException naming the option at fault.
     */
    static DrillOptions options(final UnaryOperator<String> environment, final String... args)
    {
        final MigrateDrillCommand command = new MigrateDrillCommand(System.out, System.err, environment,
            HttpNodeApi::new);
        SoundRelayTools.configure(new CommandLine(command)).parseArgs(args);
        return command.validatedOptions();
    }

    String tool()
    {
        return "migrate-drill";
    }

    String givenApiKey()
    {
        return given.apiKey();
    }

    void apiKey(final String apiKey)
    {
        given.apiKey(apiKey);
    }

    DrillOptions build(final long firstStreamId)
    {
        return given.firstStreamId(firstStreamId).build();
    }

    DrillRun.Report drill(final DrillOptions options, final PrintStream human, final StopSignal stop)
        throws IOException, InterruptedException
    {
        return new MigrateDrill(options, nodeApi.apply(options.apiKey()), human, stop::stopRequested).run()
            .verbose(verbose);
    }
}
