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
import picocli.CommandLine.Option;

import static io.soundrelay.tools.OptionChecks.bad;
import static io.soundrelay.tools.OptionChecks.check;
import static io.soundrelay.tools.OptionChecks.checkPositive;
import static io.soundrelay.tools.OptionChecks.number;

/**
 * The settings of a {@link PacketGenerator} run as given, each declared once: its {@code loadgen} option (name,
 * default, help text) is the field that holds it, in one of five sections that are also the sections of
 * {@code loadgen --help} ({@link LoadgenCommand} takes them as argument groups). Code sets the same fields through
 * the builder methods; {@link #build()} validates them as a whole into {@link GeneratorOptions}. A setting left
 * alone keeps its default; an optional one that is null was not given, so that a default that yields to another
 * option ({@code --pps} to {@code --total-pps}) is told apart from a value given.
 */
public final class LoadgenOptions
{
    final Relay relay;
    final Traffic traffic;
    final Sockets sockets;
    final Returns returns;
    final Reports reports;

    LoadgenOptions()
    {
        this(new Relay(), new Traffic(), new Sockets(), new Returns(), new Reports());
    }

    /**
     * @param relay   the sections as a command line filled them; the builder methods change them in place.
     * @param traffic see {@code relay}.
     * @param sockets see {@code relay}.
     * @param returns see {@code relay}.
     * @param reports see {@code relay}.
     */
    LoadgenOptions(
        final Relay relay, final Traffic traffic, final Sockets sockets, final Returns returns, final Reports reports)
    {
        this.relay = relay;
        this.traffic = traffic;
        this.sockets = sockets;
        this.returns = returns;
        this.reports = reports;
    }

    public LoadgenOptions api(final String api)
    {
        this.relay.api = api;
        return this;
    }

    /**
     * @param apiKey sent as {@code Authorization: Bearer}; null or blank for none.
     */
    public LoadgenOptions apiKey(final String apiKey)
    {
        this.relay.apiKey = apiKey;
        return this;
    }

    /**
     * @param relay {@code host:port} or {@code [v6]:port}.
     */
    public LoadgenOptions relay(final String relay)
    {
        this.relay.relay = relay;
        return this;
    }

    public LoadgenOptions bindHost(final String bindHost)
    {
        sockets.bindHost = bindHost;
        return this;
    }

    public LoadgenOptions streams(final int streams)
    {
        traffic.streams = streams;
        return this;
    }

    /**
     * Packets per second per stream; mutually exclusive with {@link #totalPps(double)}.
     */
    public LoadgenOptions pps(final double pps)
    {
        traffic.pps = pps;
        return this;
    }

    /**
     * Packets per second over all streams, each stream sending {@code totalPps / streams}.
     */
    public LoadgenOptions totalPps(final double totalPps)
    {
        traffic.totalPps = totalPps;
        return this;
    }

    public LoadgenOptions durationSeconds(final double durationSeconds)
    {
        traffic.durationSeconds = durationSeconds;
        return this;
    }

    public LoadgenOptions payloadBytes(final int payloadBytes)
    {
        traffic.payloadBytes = payloadBytes;
        return this;
    }

    public LoadgenOptions wire(final Wire wire)
    {
        traffic.wire = wire;
        return this;
    }

    public LoadgenOptions deliver(final Deliver deliver)
    {
        this.relay.deliver = deliver;
        return this;
    }

    public LoadgenOptions firstStreamId(final long firstStreamId)
    {
        traffic.firstStreamId = firstStreamId;
        return this;
    }

    public LoadgenOptions streamIds(final StreamIdOrder order, final long seed)
    {
        traffic.streamIdOrder = order;
        traffic.streamIdSeed = seed;
        return this;
    }

    public LoadgenOptions createRoutes(final boolean createRoutes)
    {
        this.relay.createRoutes = createRoutes;
        return this;
    }

    public LoadgenOptions senders(final int senders)
    {
        sockets.senders = senders;
        return this;
    }

    /**
     * @param receivers receiver sockets; with {@link #sinkPorts(String)} it must equal the number of ports.
     */
    public LoadgenOptions receivers(final int receivers)
    {
        sockets.receivers = receivers;
        return this;
    }

    /**
     * @param sourcePort the first sender's port, or 0 for ephemeral ports.
     */
    public LoadgenOptions sourcePort(final int sourcePort)
    {
        sockets.sourcePort = sourcePort;
        return this;
    }

    /**
     * @param sinkPorts {@code 5000}, {@code 5000-5003} or {@code 5000,5002}: one receiver per port; null for
     *                  ephemeral ports.
     */
    public LoadgenOptions sinkPorts(final String sinkPorts)
    {
        sockets.sinkPorts = sinkPorts;
        return this;
    }

    public LoadgenOptions rateUnlimited(final boolean rateUnlimited)
    {
        traffic.rateUnlimited = rateUnlimited;
        return this;
    }

    public LoadgenOptions reportIntervalSeconds(final double reportIntervalSeconds)
    {
        reports.reportIntervalSeconds = reportIntervalSeconds;
        return this;
    }

    public LoadgenOptions allowLossPercent(final double allowLossPercent)
    {
        reports.allowLossPercent = allowLossPercent;
        return this;
    }

    public LoadgenOptions stranger(final boolean stranger)
    {
        traffic.stranger = stranger;
        return this;
    }

    public LoadgenOptions oneThread(final boolean oneThread)
    {
        sockets.oneThread = oneThread;
        return this;
    }

    /**
     * @param socketPerStream every stream sends from its own socket, named as its route's source.
     */
    public LoadgenOptions socketPerStream(final boolean socketPerStream)
    {
        returns.socketPerStream = socketPerStream;
        return this;
    }

    /**
     * @param returnPath routes with {@code "return_path": true}, each stream sending to its relay port; implies
     *                   a socket per stream.
     */
    public LoadgenOptions returnPath(final boolean returnPath)
    {
        returns.returnPath = returnPath;
        return this;
    }

    /**
     * @param relayPortBase without routes, stream {@code i} sends to port {@code relayPortBase + i} of the
     *                      relay's host; 0 for none.
     */
    public LoadgenOptions relayPortBase(final int relayPortBase)
    {
        returns.relayPortBase = relayPortBase;
        return this;
    }

    /**
     * @param echo the sinks send every datagram back to where it came from; needs a socket per stream.
     */
    public LoadgenOptions echo(final boolean echo)
    {
        returns.echo = echo;
        return this;
    }

    /**
     * @param warmupSeconds seconds at the start of sending that are checked but not measured, shorter than the
     *                      duration; left alone: {@link GeneratorOptions#defaultWarmupSeconds(double)}.
     */
    public LoadgenOptions warmupSeconds(final double warmupSeconds)
    {
        reports.warmupSeconds = warmupSeconds;
        return this;
    }

    /**
     * @param paceMs the routes' {@code pace_ms}, 0-{@value GeneratorOptions#MAX_PACE_MS};
     *               {@link GeneratorOptions#PACE_MS_NOT_SENT} (the default) to leave it out of the route requests.
     */
    public LoadgenOptions paceMs(final int paceMs)
    {
        this.relay.paceMs = paceMs == GeneratorOptions.PACE_MS_NOT_SENT ? null : paceMs;
        return this;
    }

    /**
     * @param jitterMs the routes' {@code jitter_ms}, 0-{@value GeneratorOptions#MAX_JITTER_MS};
     *                 {@link GeneratorOptions#JITTER_MS_NOT_SENT} (the default) to leave it out of the route requests.
     */
    public LoadgenOptions jitterMs(final int jitterMs)
    {
        this.relay.jitterMs = jitterMs == GeneratorOptions.JITTER_MS_NOT_SENT ? null : jitterMs;
        return this;
    }

    /**
     * @param burst frames each stream sends back to back every {@link #stallMs(int)},
     *              1-{@value GeneratorOptions#MAX_BURST}; left alone, the frames are evenly spaced.
     */
    public LoadgenOptions burst(final int burst)
    {
        traffic.burst = burst;
        return this;
    }

    /**
     * @param stallMs milliseconds from one burst to the next, 1-{@value GeneratorOptions#MAX_STALL_MS};
     *                {@link GeneratorOptions#DEFAULT_STALL_MS} (the default) for the time the burst's frames take at
     *                the rate per stream. Needs {@link #burst(int)}.
     */
    public LoadgenOptions stallMs(final int stallMs)
    {
        traffic.stallMs = stallMs == GeneratorOptions.DEFAULT_STALL_MS ? null : stallMs;
        return this;
    }

    /**
     * @param burstAligned every stream bursts at the same instant instead of staggered. Needs
     *                     {@link #burst(int)}.
     */
    public LoadgenOptions burstAligned(final boolean burstAligned)
    {
        traffic.burstAligned = burstAligned;
        return this;
    }

    public LoadgenOptions graceMs(final int graceMs)
    {
        reports.graceMs = graceMs;
        return this;
    }

    /**
     * @return the validated options.
     * @throws IllegalArgumentException {@code --name=value: why}, naming the loadgen option at fault.
     */
    public GeneratorOptions build()
    {
        return new GeneratorOptions(this);
    }

    /**
     * Where the datagrams go and the routes the run creates.
     */
    static final class Relay
    {
        @Option(names = "--relay", paramLabel = "HOST:PORT", order = 10,
            defaultValue = GeneratorOptions.DEFAULT_RELAY,
            description = "The relay's UDP socket: every datagram goes there. Default: ${DEFAULT-VALUE}.")
        String relay = GeneratorOptions.DEFAULT_RELAY;

        @Option(names = "--create-routes", negatable = true, order = 11, defaultValue = "true",
            fallbackValue = "true",
            description = "POST a route per stream to --api before sending (source: the stream's sender socket, " +
                "target: one sink) and DELETE them at the end, also on failure or Ctrl-C. --no-create-routes: the " +
                "relay forwards without routes, see Notes. Default: create.")
        boolean createRoutes = true;

        @Option(names = "--api", paramLabel = "URL", order = 12, defaultValue = GeneratorOptions.DEFAULT_API,
            description = "The node's control API. Default: ${DEFAULT-VALUE}.")
        String api = GeneratorOptions.DEFAULT_API;

        @Option(names = "--api-key", paramLabel = "KEY", order = 13,
            description = "Sent as 'Authorization: Bearer KEY'. Default: the " + LoadgenCommand.API_KEY_ENV +
                " environment variable, else none. Never printed.")
        String apiKey;

        @Option(names = "--deliver", paramLabel = "payload|framed", order = 14, defaultValue = "payload",
            description = "The routes' deliver field: the sinks get the frame's payload, or the whole frame. " +
                "Ignored for --wire rtp (RTP always arrives whole) and without routes. Default: ${DEFAULT-VALUE}.")
        Deliver deliver = Deliver.PAYLOAD;

        @Option(names = "--pace-ms", paramLabel = "MS", order = 15,
            description = "Create the routes with \"pace_ms\": MS (0-" + GeneratorOptions.MAX_PACE_MS + "; 0 " +
                "turns pacing off): the node then sends each datagram of a stream at the time its media timestamp " +
                "says, holding it up to MS ms. Default: not sent, so the node's PACE_MS applies.")
        Integer paceMs;

        @Option(names = "--jitter-ms", paramLabel = "MS", order = 16,
            description = "Create the routes with \"jitter_ms\": MS (0-" + GeneratorOptions.MAX_JITTER_MS + "): a " +
                "jitter buffer, or with --pace-ms the pacer's playout delay (each anchor MS ms after its datagram " +
                "came). Default: not sent, so the node's JITTER_BUFFER_MS applies.")
        Integer jitterMs;
    }

    /**
     * What each stream sends and when.
     */
    static final class Traffic
    {
        @Option(names = "--streams", paramLabel = "N", order = 20,
            defaultValue = "" + GeneratorOptions.DEFAULT_STREAMS,
            description = "Streams, ids --first-stream-id onwards. Default: ${DEFAULT-VALUE}.")
        int streams = GeneratorOptions.DEFAULT_STREAMS;

        @Option(names = "--pps", paramLabel = "N", order = 21,
            description = "Packets per second per stream (a decimal is fine). Default: " +
                GeneratorOptions.DEFAULT_PPS + ".")
        Double pps;

        @Option(names = "--total-pps", paramLabel = "N", order = 22,
            description = "Packets per second over all streams instead of --pps (the two are mutually " +
                "exclusive): each stream sends N/streams per second.")
        Double totalPps;

        @Option(names = "--rate-unlimited", order = 23,
            description = "Send as fast as the sockets take datagrams for --duration (saturation), ignoring " +
                "--pps and --total-pps. Latency is then not CO-corrected.")
        boolean rateUnlimited;

        @Option(names = "--duration", paramLabel = "SECONDS", order = 24,
            defaultValue = "" + GeneratorOptions.DEFAULT_DURATION_SECONDS,
            description = "How long to send (a decimal is fine); each stream sends round(rate x duration) " +
                "packets. Default: ${DEFAULT-VALUE}.")
        double durationSeconds = GeneratorOptions.DEFAULT_DURATION_SECONDS;

        @Option(names = "--payload-bytes", paramLabel = "N", order = 25,
            defaultValue = "" + GeneratorOptions.DEFAULT_PAYLOAD_BYTES,
            description = "Payload per datagram: 24 up to 1480 (sr) or 1488 (rtp). Default: ${DEFAULT-VALUE}.")
        int payloadBytes = GeneratorOptions.DEFAULT_PAYLOAD_BYTES;

        @Option(names = "--wire", paramLabel = "sr|rtp", order = 26, defaultValue = "sr",
            description = "sr: SoundRelay frames v1, routed by stream id; rtp: RTP packets routed by SSRC = " +
                "stream id. Default: ${DEFAULT-VALUE}.")
        Wire wire = Wire.SR;

        @Option(names = "--first-stream-id", paramLabel = "N", order = 27,
            defaultValue = "" + GeneratorOptions.DEFAULT_FIRST_STREAM_ID,
            description = "Id of the first stream. Default: ${DEFAULT-VALUE}.")
        long firstStreamId = GeneratorOptions.DEFAULT_FIRST_STREAM_ID;

        @Option(names = "--stream-ids", paramLabel = "consecutive|random", order = 27, defaultValue = "consecutive",
            description = "consecutive: --first-stream-id onwards; random: distinct random ids (1 to 2^62, or to " +
                "2^32 - 1 with --wire rtp) from --stream-id-seed, e.g. to check how a node spreads streams over " +
                "its data-plane pipelines. Default: ${DEFAULT-VALUE}.")
        StreamIdOrder streamIdOrder = StreamIdOrder.CONSECUTIVE;

        @Option(names = "--stream-id-seed", paramLabel = "N", order = 27,
            defaultValue = "" + GeneratorOptions.DEFAULT_STREAM_ID_SEED,
            description = "Seed of --stream-ids random: the same seed, the same ids. Default: ${DEFAULT-VALUE}.")
        long streamIdSeed = GeneratorOptions.DEFAULT_STREAM_ID_SEED;

        @Option(names = "--stranger", order = 28,
            description = "Also send datagrams a relay must drop: each stream's from an unregistered socket, " +
                "and for stream ids without a route. Any that arrives fails the run.")
        boolean stranger;

        @Option(names = "--burst", paramLabel = "N", order = 29,
            description = "Stall-and-burst sending: each stream sends nothing for --stall-ms, then N frames back " +
                "to back, over and over; sequence numbers and timestamps go on as if it had sent one frame per " +
                "20 ms (+1 and +960 per frame). The streams' bursts are staggered evenly over the stall unless " +
                "--burst-aligned. Each stream sends N frames per stall on average, round(N x duration / stall) in " +
                "all. Latency runs from the burst's send time. Default: off, frames evenly spaced at --pps.")
        Integer burst;

        @Option(names = "--stall-ms", paramLabel = "MS", order = 30,
            description = "With --burst: ms from one burst of a stream to its next (1-" +
                GeneratorOptions.MAX_STALL_MS + "). Default: the time N frames take at --pps (--burst 15 at 50 " +
                "pps: 300 ms, so the average rate stays 50 pps).")
        Integer stallMs;

        @Option(names = "--burst-aligned", order = 31,
            description = "With --burst: every stream bursts at the same instant (the worst case for the relay " +
                "and the sinks) instead of staggered.")
        boolean burstAligned;

        /**
         * @return packets per second per stream: --pps, or --total-pps shared by the streams.
         * @throws IllegalArgumentException when both are given or the rate is out of range.
         */
        double ppsPerStream(final int streams)
        {
            if (null != pps && null != totalPps)
            {
                throw new IllegalArgumentException(
                    "--pps and --total-pps are mutually exclusive: give the rate per stream or in total, not both");
            }
            if (null != totalPps)
            {
                return checkPositive("total-pps", totalPps, GeneratorOptions.MAX_TOTAL_PPS) / streams;
            }
            return checkPositive("pps", null == pps ? GeneratorOptions.DEFAULT_PPS : pps, GeneratorOptions.MAX_PPS);
        }
    }

    /**
     * The generator's sockets and threads.
     */
    static final class Sockets
    {
        @Option(names = "--bind-host", paramLabel = "IP", order = 30,
            defaultValue = GeneratorOptions.DEFAULT_BIND_HOST,
            description = "Address every generator socket binds to (routes name it: no wildcard). " +
                "Default: ${DEFAULT-VALUE}.")
        String bindHost = GeneratorOptions.DEFAULT_BIND_HOST;

        @Option(names = "--senders", paramLabel = "N", order = 31,
            defaultValue = "" + GeneratorOptions.DEFAULT_SENDERS,
            description = "Sender sockets, one thread each; stream i is sent from sender i mod N. " +
                "Default: ${DEFAULT-VALUE}.")
        int senders = GeneratorOptions.DEFAULT_SENDERS;

        @Option(names = "--one-thread", order = 35,
            description = "The one sender and the one receiver share one thread: while the sender waits for a " +
                "send time it drains the sink socket. Use it when the generator is pinned to one core, where a " +
                "spinning sender would otherwise starve the receiver thread and add milliseconds of latency the " +
                "relay did not cause. Needs --senders 1 and one receiver.")
        boolean oneThread;

        @Option(names = "--source-port", paramLabel = "P", order = 32,
            defaultValue = "" + GeneratorOptions.DEFAULT_SOURCE_PORT,
            description = "The senders bind ports P..P+N-1 (with a socket per stream, stream i binds P+i); 0: " +
                "ephemeral ports. Default: ${DEFAULT-VALUE}.")
        int sourcePort = GeneratorOptions.DEFAULT_SOURCE_PORT;

        @Option(names = "--receivers", paramLabel = "N", order = 33,
            description = "Receiver (sink) sockets, one thread each, on ephemeral ports; with routes stream i " +
                "targets sink i mod N. Default: " + GeneratorOptions.DEFAULT_RECEIVERS + ".")
        Integer receivers;

        @Option(names = "--sink-ports", paramLabel = "LIST", order = 34,
            description = "Ports the sinks bind, one receiver each: 5000, 5000-5003 or 5000,5002 (ranges and " +
                "commas mix). The number of receivers is then the number of ports. Default: --receivers " +
                "ephemeral ports.")
        String sinkPorts;

        /**
         * @return the ports of --sink-ports in the order given, or null when not given.
         * @throws IllegalArgumentException when the list is bad or --receivers counts otherwise.
         */
        int[] sinkPorts()
        {
            if (null == sinkPorts)
            {
                return null;
            }
            final int[] ports;
            try
            {
                ports = OptionChecks.parsePorts(sinkPorts);
            }
            catch (final IllegalArgumentException ex)
            {
                throw bad("sink-ports", sinkPorts, ex.getMessage());
            }
            if (null != receivers && receivers != ports.length)
            {
                throw bad("receivers", Integer.toString(receivers), "conflicts with --sink-ports=" + sinkPorts +
                    " (" + ports.length + " ports, one receiver each)");
            }
            return ports;
        }
    }

    /**
     * A socket per stream, relay ports and the echoed return direction.
     */
    static final class Returns
    {
        @Option(names = "--socket-per-stream", order = 36,
            description = "Every stream sends from its own UDP socket on --bind-host (an ephemeral port, or " +
                "--source-port P+i for stream i), and its route names that socket as source_addr. The datagrams " +
                "still go to --relay; the --senders threads share the streams out. At most " +
                GeneratorOptions.MAX_STREAM_SOCKETS + " streams.")
        boolean socketPerStream;

        @Option(names = "--return-path", order = 37,
            description = "Create each route with \"return_path\": true and send each stream to its own relay " +
                "port: --relay's host, the relay_port of the node's 201 answer (PROTOCOL.md section 9). Implies " +
                "--socket-per-stream. A relay port forwards byte for byte, so the sinks get whole datagrams " +
                "whatever --deliver says. Without routes give --relay-port-base.")
        boolean returnPath;

        @Option(names = "--relay-port-base", paramLabel = "P", order = 38,
            description = "With --return-path and --no-create-routes: stream i sends to port P+i of --relay's " +
                "host, as to a relay that binds a port per stream itself (bench/e2e's udp-relay --ports N).")
        int relayPortBase;

        @Option(names = "--echo", order = 39,
            description = "The sinks send every datagram they receive straight back to the address it came from " +
                "(the relay port), and each stream's own socket checks what comes back byte for byte, as the " +
                "sinks check the forward direction. The summary and --json (\"return\") report the return " +
                "direction apart: returned, lost on the way back (echoed, never returned), duplicates, corrupt, " +
                "and the round trip's latency, from the scheduled send time to the return. Needs " +
                "--socket-per-stream or --return-path.")
        boolean echo;
    }

    /**
     * The verdict, the progress lines and the report files.
     */
    static final class Reports
    {
        @Option(names = "--allow-loss-percent", paramLabel = "X", order = 40,
            defaultValue = "" + GeneratorOptions.DEFAULT_ALLOW_LOSS_PERCENT,
            description = "Loss that still passes, in percent of the datagrams sent. Default: ${DEFAULT-VALUE}.")
        double allowLossPercent = GeneratorOptions.DEFAULT_ALLOW_LOSS_PERCENT;

        @Option(names = "--grace-ms", paramLabel = "N", order = 41,
            defaultValue = "" + GeneratorOptions.DEFAULT_GRACE_MS,
            description = "After the last send, wait up to N ms for stragglers (in full with --stranger). " +
                "Default: ${DEFAULT-VALUE}.")
        int graceMs = GeneratorOptions.DEFAULT_GRACE_MS;

        @Option(names = "--warmup", paramLabel = "SECONDS", order = 45,
            description = "Datagrams scheduled in the first SECONDS of sending are checked and counted but their " +
                "latency is not recorded: the generator's and the relay's JIT warm-up stays out of the " +
                "percentiles. Must be shorter than --duration; 0 measures everything. Prints 'loadgen: measuring' " +
                "when the measured window starts and 'loadgen: sending done' when it ends. Default: " +
                "2 s, or a fifth of --duration when that is shorter (1 s for the default 5 s run).")
        Double warmupSeconds;

        @Option(names = "--report-interval", paramLabel = "SECONDS", order = 42,
            defaultValue = "" + GeneratorOptions.DEFAULT_REPORT_INTERVAL_SECONDS,
            description = "Seconds between progress lines: elapsed, sent, received, packets/s, in flight (sent, " +
                "not received yet: not loss, which the summary counts after --grace-ms), p99 latency of the " +
                "interval. Default: ${DEFAULT-VALUE}.")
        double reportIntervalSeconds = GeneratorOptions.DEFAULT_REPORT_INTERVAL_SECONDS;

        @Option(names = "--json", paramLabel = "FILE", order = 43,
            description = "Write the result as one JSON object to FILE. '-': to stdout, and progress and " +
                "summary go to stderr.")
        String json;

        @Option(names = "--hgrm", paramLabel = "FILE", order = 44,
            description = "Write the latency distribution in microseconds to FILE in HdrHistogram's percentile " +
                "distribution format (.hgrm), as --verbose prints it; 'soundrelay-tools plot' draws such files.")
        String hgrm;

        @Option(names = "--plot", paramLabel = "FILE", order = 47,
            description = "Draw the latency percentile distribution to FILE, an .svg or a .png: latency (ms) over " +
                "the percentile on a log scale of 1/(1-percentile), as HdrHistogram's plotter does; with --echo " +
                "the round trip too.")
        String plot;

        @Option(names = { "-v", "--verbose" }, order = 48,
            description = "Print every counter, the rates, the full percentile table (us) and the inter-arrival " +
                "times instead of the short summary.")
        boolean verbose;

        @Option(names = "--return-hgrm", paramLabel = "FILE", order = 46,
            description = "With --echo: write the round-trip latency distribution to FILE, in the same format " +
                "as --hgrm.")
        String returnHgrm;

        /**
         * @return --warmup, or by default {@link GeneratorOptions#defaultWarmupSeconds(double)}.
         * @throws IllegalArgumentException when it is out of range or not shorter than the run.
         */
        double warmupSeconds(final double durationSeconds)
        {
            if (null == warmupSeconds)
            {
                return GeneratorOptions.defaultWarmupSeconds(durationSeconds);
            }
            final double seconds = check("warmup", warmupSeconds, 0, GeneratorOptions.MAX_DURATION_SECONDS);
            if (seconds >= durationSeconds)
            {
                throw bad("warmup", number(seconds), "must be shorter than --duration=" + number(durationSeconds));
            }
            return seconds;
        }
    }
}
