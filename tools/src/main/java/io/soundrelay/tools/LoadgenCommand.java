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

import io.soundrelay.tools.GeneratorOptions.Deliver;
import io.soundrelay.tools.GeneratorOptions.Wire;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

/**
 * {@code soundrelay-tools loadgen}: runs a {@link PacketGenerator} from the command line, prints progress and a
 * summary, optionally writes the result as JSON and the latency distribution as an HdrHistogram .hgrm file, and
 * exits 0 when the run passed, 1 when it failed or could not run, 2 for bad options.
 * <p>
 * picocli converts each value to its type; {@link GeneratorOptions.Builder#build()} then checks ranges and the rules
 * between options, and a refusal becomes a {@link ParameterException} naming the option.
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    versionProvider = SoundRelayTools.Version.class,
    sortOptions = false,
    abbreviateSynopsis = true,
    usageHelpWidth = 110,
    description = {
        "Loads a UDP relay with paced audio-sized streams, checks every datagram and measures latency.",
        "",
        "Sends datagrams from many streams through a SoundRelay node (or any UDP relay), checks every datagram " +
            "that arrives byte for byte (stream, sequence, payload) and measures one-way latency with " +
            "HdrHistogram. Point it only at a relay on your own machine or network." },
    optionListHeading = "%nOptions:%n",
    footerHeading = "%nNotes:%n",
    footer = {
        "Latency runs from each datagram's SCHEDULED send time to its arrival, so a sender that falls behind shows " +
            "its delay as latency instead of hiding it (corrected for coordinated omission). With --rate-unlimited " +
            "there is no schedule: latency starts at the actual send and is NOT CO-corrected.",
        "",
        "--total-pps T gives each stream T/streams packets/s, possibly fractional: every stream keeps its own " +
            "absolute schedule and the streams are offset evenly within a period, so the total is spread evenly.",
        "",
        "Without routes the relay must forward each datagram whole (a plain UDP proxy, or --relay set to one of " +
            "this run's --sink-ports): every datagram at a sink is checked against exactly what was sent.",
        "",
        "Plot a .hgrm file (several to compare) with HdrHistogram's plotter:",
        "  https://hdrhistogram.github.io/HdrHistogram/plotFiles.html" },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:the run passed: every datagram arrived intact, once, within --allow-loss-percent, nothing unexpected",
        "1:the run failed, or could not run (relay or API unreachable, route refused, file not writable)",
        "2:bad options",
        "130:stopped by Ctrl-C (SIGINT), after deleting the routes" })
public final class LoadgenCommand implements Callable<Integer>
{
    /** Environment variable holding the API key when --api-key is absent. */
    public static final String API_KEY_ENV = "SOUNDRELAY_API_KEY";

    /** The --json value that writes JSON to stdout. */
    static final String STDOUT = "-";

    @Spec
    private CommandSpec spec;

    @ArgGroup(validate = false, heading = "%nRelay and routes:%n", order = 1)
    private RelayOptions relay = new RelayOptions();

    @ArgGroup(validate = false, heading = "%nTraffic:%n", order = 2)
    private TrafficOptions traffic = new TrafficOptions();

    @ArgGroup(validate = false, heading = "%nSockets:%n", order = 3)
    private SocketOptions sockets = new SocketOptions();

    @ArgGroup(validate = false, heading = "%nA socket per stream, relay ports and echo:%n", order = 4)
    private ReturnOptions returns = new ReturnOptions();

    @ArgGroup(validate = false, heading = "%nVerdict and reports:%n", order = 5)
    private ReportOptions reports = new ReportOptions();

    private final PrintStream stdout;
    private final PrintStream stderr;
    private final UnaryOperator<String> environment;

    /**
     * The command as the jar runs it: standard streams, the process environment.
     */
    public LoadgenCommand()
    {
        this(System.out, System.err, System::getenv);
    }

    LoadgenCommand(final PrintStream stdout, final PrintStream stderr, final UnaryOperator<String> environment)
    {
        this.stdout = stdout;
        this.stderr = stderr;
        this.environment = environment;
    }

    /**
     * Parse a {@code loadgen} command line into validated options, as the command does before it runs.
     *
     * @param args the options after {@code loadgen}.
     * @return the validated options.
     * @throws ParameterException naming the option at fault.
     */
    public static GeneratorOptions options(final String... args)
    {
        final LoadgenCommand command = new LoadgenCommand();
        SoundRelayTools.configure(new CommandLine(command)).parseArgs(args);
        return command.validatedOptions();
    }

    public Integer call()
    {
        final GeneratorOptions options = validatedOptions();
        checkWritable("--json", reports.json);
        checkWritable("--hgrm", reports.hgrm);
        checkWritable("--return-hgrm", reports.returnHgrm);
        if (null != reports.returnHgrm && !options.echo())
        {
            throw new ParameterException(spec.commandLine(), "--return-hgrm=" + reports.returnHgrm +
                ": needs --echo (there is no return direction to measure)");
        }

        // With JSON on stdout, everything for people goes to stderr so that stdout parses.
        final PrintStream human = STDOUT.equals(reports.json) ? stderr : stdout;
        final GeneratorResult result;
        try (PacketGenerator generator = PacketGenerator.open(options, human))
        {
            result = generator.run();
        }
        catch (final IOException ex)
        {
            stderr.println("loadgen failed: " + ex.getMessage());
            writeJsonQuietly(LoadgenJson.error(ex.getMessage()));
            return 1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            stderr.println("loadgen interrupted");
            return 1;
        }

        result.printSummary(human);
        boolean written = true;
        if (null != reports.hgrm)
        {
            written = write("--hgrm", reports.hgrm, result::printPercentileDistribution);
        }
        if (null != reports.returnHgrm)
        {
            written &= write("--return-hgrm", reports.returnHgrm, result::printReturnPercentileDistribution);
        }
        written &= writeJsonQuietly(result.toJson());
        return result.passed() && written ? 0 : 1;
    }

    /**
     * @return the options given, validated.
     * @throws ParameterException naming the option at fault.
     */
    GeneratorOptions validatedOptions()
    {
        final ParseResult parsed = spec.commandLine().getParseResult();
        final GeneratorOptions.Builder builder = GeneratorOptions.builder()
            .relay(relay.relay)
            .createRoutes(relay.createRoutes)
            .api(relay.api)
            .apiKey(null != relay.apiKey ? relay.apiKey : environment.apply(API_KEY_ENV))
            .deliver(relay.deliver)
            .streams(traffic.streams)
            .rateUnlimited(traffic.rateUnlimited)
            .durationSeconds(traffic.durationSeconds)
            .payloadBytes(traffic.payloadBytes)
            .wire(traffic.wire)
            .firstStreamId(traffic.firstStreamId)
            .stranger(traffic.stranger)
            .bindHost(sockets.bindHost)
            .senders(sockets.senders)
            .oneThread(sockets.oneThread)
            .socketPerStream(returns.socketPerStream)
            .returnPath(returns.returnPath)
            .relayPortBase(returns.relayPortBase)
            .echo(returns.echo)
            .sourcePort(sockets.sourcePort)
            .sinkPorts(sockets.sinkPorts)
            .allowLossPercent(reports.allowLossPercent)
            .graceMs(reports.graceMs)
            .reportIntervalSeconds(reports.reportIntervalSeconds);
        // Defaults that yield to another option: take these only when given.
        if (matched(parsed, "--pps"))
        {
            builder.pps(traffic.pps);
        }
        if (matched(parsed, "--total-pps"))
        {
            builder.totalPps(traffic.totalPps);
        }
        if (matched(parsed, "--receivers"))
        {
            builder.receivers(sockets.receivers);
        }
        if (matched(parsed, "--warmup"))
        {
            builder.warmupSeconds(reports.warmupSeconds);
        }
        if (matched(parsed, "--pace-ms"))
        {
            builder.paceMs(relay.paceMs);
        }
        if (matched(parsed, "--jitter-ms"))
        {
            builder.jitterMs(relay.jitterMs);
        }
        if (matched(parsed, "--burst"))
        {
            builder.burst(traffic.burst);
        }
        if (matched(parsed, "--stall-ms"))
        {
            builder.stallMs(traffic.stallMs);
        }
        builder.burstAligned(traffic.burstAligned);

        try
        {
            return builder.build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage(), ex);
        }
    }

    private static boolean matched(final ParseResult parsed, final String option)
    {
        return null != parsed && parsed.hasMatchedOption(option);
    }

    private void checkWritable(final String option, final String file)
    {
        checkWritable(spec.commandLine(), option, file);
    }

    /**
     * Check, before a run, that a report file can be written: its directory exists and it is no directory.
     *
     * @param file the option's value, or null when absent; {@code -} for --json means stdout.
     * @throws ParameterException naming the option.
     */
    static void checkWritable(final CommandLine commandLine, final String option, final String file)
    {
        if (null == file || (STDOUT.equals(file) && "--json".equals(option)))
        {
            return;
        }
        final String why;
        try
        {
            final Path path = Path.of(file);
            final Path parent = path.toAbsolutePath().getParent();
            why = Files.isDirectory(path) ? "is a directory" :
                null == parent || !Files.isDirectory(parent) ? "directory " + parent + " does not exist" : null;
        }
        catch (final InvalidPathException ex)
        {
            throw new ParameterException(commandLine, option + "=" + file + ": not a file name");
        }
        if (null != why)
        {
            throw new ParameterException(commandLine, option + "=" + file + ": " + why);
        }
    }

    private boolean writeJsonQuietly(final String json)
    {
        if (null == reports.json)
        {
            return true;
        }
        if (STDOUT.equals(reports.json))
        {
            stdout.println(json);
            stdout.flush();
            return true;
        }
        return write("--json", reports.json, (out) -> out.println(json));
    }

    private boolean write(final String option, final String file, final Content content)
    {
        try (OutputStream stream = Files.newOutputStream(Path.of(file));
            PrintStream out = new PrintStream(stream, false, StandardCharsets.UTF_8))
        {
            content.writeTo(out);
            if (out.checkError())
            {
                throw new IOException("write failed");
            }
            return true;
        }
        catch (final IOException ex)
        {
            stderr.println("loadgen: cannot write " + option + "=" + file + ": " + ex.getMessage());
            return false;
        }
    }

    @FunctionalInterface
    private interface Content
    {
        void writeTo(PrintStream out);
    }

    static final class RelayOptions
    {
        @Option(names = "--relay", paramLabel = "HOST:PORT", order = 10,
            defaultValue = GeneratorOptions.DEFAULT_RELAY,
            description = "The relay's UDP socket: every datagram goes there. Default: ${DEFAULT-VALUE}.")
        private String relay;

        @Option(names = "--create-routes", negatable = true, order = 11, defaultValue = "true",
            fallbackValue = "true",
            description = "POST a route per stream to --api before sending (source: the stream's sender socket, " +
                "target: one sink) and DELETE them at the end, also on failure or Ctrl-C. --no-create-routes: the " +
                "relay forwards without routes, see Notes. Default: create.")
        private boolean createRoutes;

        @Option(names = "--api", paramLabel = "URL", order = 12, defaultValue = GeneratorOptions.DEFAULT_API,
            description = "The node's control API. Default: ${DEFAULT-VALUE}.")
        private String api;

        @Option(names = "--api-key", paramLabel = "KEY", order = 13,
            description = "Sent as 'Authorization: Bearer KEY'. Default: the " + API_KEY_ENV + " environment " +
                "variable, else none. Never printed.")
        private String apiKey;

        @Option(names = "--deliver", paramLabel = "payload|framed", order = 14, defaultValue = "payload",
            description = "The routes' deliver field: the sinks get the frame's payload, or the whole frame. " +
                "Ignored for --wire rtp (RTP always arrives whole) and without routes. Default: ${DEFAULT-VALUE}.")
        private Deliver deliver;

        @Option(names = "--pace-ms", paramLabel = "MS", order = 15,
            description = "Create the routes with \"pace_ms\": MS (0-" + GeneratorOptions.MAX_PACE_MS + "; 0 " +
                "turns pacing off): the node then sends each datagram of a stream at the time its media timestamp " +
                "says, holding it up to MS ms. Default: not sent, so the node's PACE_MS applies.")
        private int paceMs;

        @Option(names = "--jitter-ms", paramLabel = "MS", order = 16,
            description = "Create the routes with \"jitter_ms\": MS (0-" + GeneratorOptions.MAX_JITTER_MS + "): a " +
                "jitter buffer, or with --pace-ms the pacer's playout delay (each anchor MS ms after its datagram " +
                "came). Default: not sent, so the node's JITTER_BUFFER_MS applies.")
        private int jitterMs;
    }

    static final class TrafficOptions
    {
        @Option(names = "--streams", paramLabel = "N", order = 20,
            defaultValue = "" + GeneratorOptions.DEFAULT_STREAMS,
            description = "Streams, ids --first-stream-id onwards. Default: ${DEFAULT-VALUE}.")
        private int streams;

        @Option(names = "--pps", paramLabel = "N", order = 21, defaultValue = "" + GeneratorOptions.DEFAULT_PPS,
            description = "Packets per second per stream (a decimal is fine). Default: ${DEFAULT-VALUE}.")
        private double pps;

        @Option(names = "--total-pps", paramLabel = "N", order = 22,
            description = "Packets per second over all streams instead of --pps (the two are mutually " +
                "exclusive): each stream sends N/streams per second.")
        private double totalPps;

        @Option(names = "--rate-unlimited", order = 23,
            description = "Send as fast as the sockets take datagrams for --duration (saturation), ignoring " +
                "--pps and --total-pps. Latency is then not CO-corrected.")
        private boolean rateUnlimited;

        @Option(names = "--duration", paramLabel = "SECONDS", order = 24,
            defaultValue = "" + GeneratorOptions.DEFAULT_DURATION_SECONDS,
            description = "How long to send (a decimal is fine); each stream sends round(rate x duration) " +
                "packets. Default: ${DEFAULT-VALUE}.")
        private double durationSeconds;

        @Option(names = "--payload-bytes", paramLabel = "N", order = 25,
            defaultValue = "" + GeneratorOptions.DEFAULT_PAYLOAD_BYTES,
            description = "Payload per datagram: 24 up to 1480 (sr) or 1488 (rtp). Default: ${DEFAULT-VALUE}.")
        private int payloadBytes;

        @Option(names = "--wire", paramLabel = "sr|rtp", order = 26, defaultValue = "sr",
            description = "sr: SoundRelay frames v1, routed by stream id; rtp: RTP packets routed by SSRC = " +
                "stream id. Default: ${DEFAULT-VALUE}.")
        private Wire wire;

        @Option(names = "--first-stream-id", paramLabel = "N", order = 27,
            defaultValue = "" + GeneratorOptions.DEFAULT_FIRST_STREAM_ID,
            description = "Id of the first stream. Default: ${DEFAULT-VALUE}.")
        private long firstStreamId;

        @Option(names = "--stranger", order = 28,
            description = "Also send datagrams a relay must drop: each stream's from an unregistered socket, " +
                "and for stream ids without a route. Any that arrives fails the run.")
        private boolean stranger;

        @Option(names = "--burst", paramLabel = "N", order = 29,
            description = "Stall-and-burst sending: each stream sends nothing for --stall-ms, then N frames back " +
                "to back, over and over; sequence numbers and timestamps go on as if it had sent one frame per " +
                "20 ms (+1 and +960 per frame). The streams' bursts are staggered evenly over the stall unless " +
                "--burst-aligned. Each stream sends N frames per stall on average, round(N x duration / stall) in " +
                "all. Latency runs from the burst's send time. Default: off, frames evenly spaced at --pps.")
        private int burst;

        @Option(names = "--stall-ms", paramLabel = "MS", order = 30,
            description = "With --burst: ms from one burst of a stream to its next (1-" +
                GeneratorOptions.MAX_STALL_MS + "). Default: the time N frames take at --pps (--burst 15 at 50 " +
                "pps: 300 ms, so the average rate stays 50 pps).")
        private int stallMs;

        @Option(names = "--burst-aligned", order = 31,
            description = "With --burst: every stream bursts at the same instant (the worst case for the relay " +
                "and the sinks) instead of staggered.")
        private boolean burstAligned;
    }

    static final class SocketOptions
    {
        @Option(names = "--bind-host", paramLabel = "IP", order = 30,
            defaultValue = GeneratorOptions.DEFAULT_BIND_HOST,
            description = "Address every generator socket binds to (routes name it: no wildcard). " +
                "Default: ${DEFAULT-VALUE}.")
        private String bindHost;

        @Option(names = "--senders", paramLabel = "N", order = 31,
            defaultValue = "" + GeneratorOptions.DEFAULT_SENDERS,
            description = "Sender sockets, one thread each; stream i is sent from sender i mod N. " +
                "Default: ${DEFAULT-VALUE}.")
        private int senders;

        @Option(names = "--one-thread", order = 35,
            description = "The one sender and the one receiver share one thread: while the sender waits for a " +
                "send time it drains the sink socket. Use it when the generator is pinned to one core, where a " +
                "spinning sender would otherwise starve the receiver thread and add milliseconds of latency the " +
                "relay did not cause. Needs --senders 1 and one receiver.")
        private boolean oneThread;

        @Option(names = "--source-port", paramLabel = "P", order = 32,
            defaultValue = "" + GeneratorOptions.DEFAULT_SOURCE_PORT,
            description = "The senders bind ports P..P+N-1 (with a socket per stream, stream i binds P+i); 0: " +
                "ephemeral ports. Default: ${DEFAULT-VALUE}.")
        private int sourcePort;

        @Option(names = "--receivers", paramLabel = "N", order = 33,
            defaultValue = "" + GeneratorOptions.DEFAULT_RECEIVERS,
            description = "Receiver (sink) sockets, one thread each, on ephemeral ports; with routes stream i " +
                "targets sink i mod N. Default: ${DEFAULT-VALUE}.")
        private int receivers;

        @Option(names = "--sink-ports", paramLabel = "LIST", order = 34,
            description = "Ports the sinks bind, one receiver each: 5000, 5000-5003 or 5000,5002 (ranges and " +
                "commas mix). The number of receivers is then the number of ports. Default: --receivers " +
                "ephemeral ports.")
        private String sinkPorts;
    }

    static final class ReturnOptions
    {
        @Option(names = "--socket-per-stream", order = 36,
            description = "Every stream sends from its own UDP socket on --bind-host (an ephemeral port, or " +
                "--source-port P+i for stream i), and its route names that socket as source_addr. The datagrams " +
                "still go to --relay; the --senders threads share the streams out. At most " +
                GeneratorOptions.MAX_STREAM_SOCKETS + " streams.")
        private boolean socketPerStream;

        @Option(names = "--return-path", order = 37,
            description = "Create each route with \"return_path\": true and send each stream to its own relay " +
                "port: --relay's host, the relay_port of the node's 201 answer (PROTOCOL.md section 9). Implies " +
                "--socket-per-stream. A relay port forwards byte for byte, so the sinks get whole datagrams " +
                "whatever --deliver says. Without routes give --relay-port-base.")
        private boolean returnPath;

        @Option(names = "--relay-port-base", paramLabel = "P", order = 38,
            description = "With --return-path and --no-create-routes: stream i sends to port P+i of --relay's " +
                "host, as to a relay that binds a port per stream itself (bench/e2e's udp-relay --ports N).")
        private int relayPortBase;

        @Option(names = "--echo", order = 39,
            description = "The sinks send every datagram they receive straight back to the address it came from " +
                "(the relay port), and each stream's own socket checks what comes back byte for byte, as the " +
                "sinks check the forward direction. The summary and --json (\"return\") report the return " +
                "direction apart: returned, lost on the way back (echoed, never returned), duplicates, corrupt, " +
                "and the round trip's latency, from the scheduled send time to the return. Needs " +
                "--socket-per-stream or --return-path.")
        private boolean echo;
    }

    static final class ReportOptions
    {
        @Option(names = "--allow-loss-percent", paramLabel = "X", order = 40,
            defaultValue = "" + GeneratorOptions.DEFAULT_ALLOW_LOSS_PERCENT,
            description = "Loss that still passes, in percent of the datagrams sent. Default: ${DEFAULT-VALUE}.")
        private double allowLossPercent;

        @Option(names = "--grace-ms", paramLabel = "N", order = 41,
            defaultValue = "" + GeneratorOptions.DEFAULT_GRACE_MS,
            description = "After the last send, wait up to N ms for stragglers (in full with --stranger). " +
                "Default: ${DEFAULT-VALUE}.")
        private int graceMs;

        @Option(names = "--warmup", paramLabel = "SECONDS", order = 45,
            description = "Datagrams scheduled in the first SECONDS of sending are checked and counted but their " +
                "latency is not recorded: the generator's and the relay's JIT warm-up stays out of the " +
                "percentiles. Must be shorter than --duration; 0 measures everything. Prints 'loadgen: measuring' " +
                "when the measured window starts and 'loadgen: sending done' when it ends. Default: " +
                "2 s, or a fifth of --duration when that is shorter (1 s for the default 5 s run).")
        private double warmupSeconds;

        @Option(names = "--report-interval", paramLabel = "SECONDS", order = 42,
            defaultValue = "" + GeneratorOptions.DEFAULT_REPORT_INTERVAL_SECONDS,
            description = "Seconds between progress lines: elapsed, sent, received, packets/s, in flight (sent, " +
                "not received yet: not loss, which the summary counts after --grace-ms), p99 latency of the " +
                "interval. Default: ${DEFAULT-VALUE}.")
        private double reportIntervalSeconds;

        @Option(names = "--json", paramLabel = "FILE", order = 43,
            description = "Write the result as one JSON object to FILE. '-': to stdout, and progress and " +
                "summary go to stderr.")
        private String json;

        @Option(names = "--hgrm", paramLabel = "FILE", order = 44,
            description = "Write the latency distribution in microseconds to FILE in HdrHistogram's percentile " +
                "distribution format (.hgrm), as the summary prints it; see Notes to plot it.")
        private String hgrm;

        @Option(names = "--return-hgrm", paramLabel = "FILE", order = 46,
            description = "With --echo: write the round-trip latency distribution to FILE, in the same format " +
                "as --hgrm.")
        private String returnHgrm;
    }
}
