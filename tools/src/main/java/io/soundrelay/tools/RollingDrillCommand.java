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
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintStream;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * {@code soundrelay-tools rolling-drill}: runs a {@link RollingDrill} against the user's nodes, restarting each with
 * the user's {@code --restart-command}, prints progress and one summary, optionally writes the report as JSON, and
 * exits 0 when every node restarted and came back without a datagram lost or duplicated (reordered ones are counted),
 * 1 when the drill failed or could not run, 2 for bad options.
 */
@Command(
    name = "rolling-drill",
    mixinStandardHelpOptions = true,
    versionProvider = SoundRelayTools.Version.class,
    sortOptions = false,
    usageHelpWidth = 110,
    customSynopsis = {
        "soundrelay-tools rolling-drill --node URL --node URL [--node URL]... --restart-command CMD",
        "         [--api-key KEY] [--streams N] [--pps N] [--payload-bytes N] [--check-ms MS] [--settle-ms MS]",
        "         [--timeout-ms MS] [--bind IP] [--json FILE]" },
    description = {
        "Restarts SoundRelay nodes one after the other under load and checks that no stream loses or repeats a " +
            "datagram (reordered ones are counted).",
        "",
        "  soundrelay-tools rolling-drill --nodes http://10.0.0.1:4300,http://10.0.0.2:4300,http://10.0.0.3:4300 \\",
        "      --api-key KEY --restart-command 'ssh {node_id} sudo systemctl restart soundrelay'",
        "",
        "The user-facing proof of rolling upgrades nobody hears (PROTOCOL.md section 12):",
        "  1. GET /nodes on the first --node; each --node is matched to a live node by its control_addr.",
        "  2. A route per stream on the least-loaded node (the next one when a node answers 503): source this",
        "     tool's source socket, target its receiver socket, deliver framed.",
        "  3. One thread sends every stream at --pps to its owner's relay_addr. Each stream's source follows its",
        "     owner as the clients do: GET /route/{id} every --check-ms on its node (another node when that fails);",
        "     when node_id changes it sends to that node's relay_addr from GET /nodes.",
        "  4. After --settle-ms, for each node in turn: run --restart-command, which must send the node SIGTERM and",
        "     start it again (the node hands its routes to its peers, then exits 0). The drill waits until the node",
        "     is live again (a new started_at in GET /nodes), not draining, ready (GET /readyz 200), and every",
        "     stream has asked since then and has a live owner (at most --timeout-ms); then --settle-ms.",
        "  5. After the last node sending stops. Once the receiver has been quiet for 500 ms (10 s at most) it",
        "     reports per node the restart's exit status, the drain (restart to the node's heartbeat gone or",
        "     renewed), the time until it was ready, the streams that moved off it and the slowest switch-over;",
        "     then what was sent, received, lost, duplicated and reordered. The routes are deleted." },
    optionListHeading = "%nOptions:%n",
    footerHeading = "%nNotes:%n",
    footer = {
        "A switch-over is timed from the last answer that still named the old owner to the source sending to the " +
            "new one: at most --check-ms plus two requests.",
        "Stream ids are consecutive from a random base. Point it only at nodes you run: it restarts them." },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every node restarted (exit 0) and came back ready, every datagram arrived exactly once",
        "1:the drill failed (a datagram lost, duplicated or unexpected, a restart that failed or did " +
            "not come back in time), or could not run (a node unreachable, every node refusing a route)",
        "2:bad options",
        "130:stopped by Ctrl-C (SIGINT), after deleting the routes" })
public final class RollingDrillCommand extends DrillCommand<RollingDrillOptions>
{
    @Mixin
    private RollingDrillOptions.Builder given = RollingDrillOptions.builder();

    /**
     * The command as the jar runs it: standard streams, the process environment, the nodes over HTTP.
     */
    public RollingDrillCommand()
    {
        this(System.out, System.err, System::getenv, HttpNodeApi::new);
    }

    /**
     * @param nodeApi makes the control-API client from the API key (null for none).
     */
    RollingDrillCommand(
        final PrintStream stdout,
        final PrintStream stderr,
        final UnaryOperator<String> environment,
        final Function<String, MigrateDrill.NodeApi> nodeApi)
    {
        super(stdout, stderr, environment, nodeApi);
    }

    /**
     * Parse a {@code rolling-drill} command line into validated options, as the command does before it runs.
     *
     * @throws ParameterException naming the option at fault.
     */
    static RollingDrillOptions options(final UnaryOperator<String> environment, final String... args)
    {
        final RollingDrillCommand command = new RollingDrillCommand(System.out, System.err, environment,
            HttpNodeApi::new);
        SoundRelayTools.configure(new CommandLine(command)).parseArgs(args);
        return command.validatedOptions();
    }

    String tool()
    {
        return "rolling-drill";
    }

    String givenApiKey()
    {
        return given.apiKey();
    }

    void apiKey(final String apiKey)
    {
        given.apiKey(apiKey);
    }

    RollingDrillOptions build(final long firstStreamId)
    {
        return given.firstStreamId(firstStreamId).build();
    }

    DrillRun.Report drill(final RollingDrillOptions options, final PrintStream human, final StopSignal stop)
        throws IOException, InterruptedException
    {
        return new RollingDrill(options, nodeApi.apply(options.apiKey()), new ShellRestart(options, human), human,
            stop::stopRequested).run();
    }
}
