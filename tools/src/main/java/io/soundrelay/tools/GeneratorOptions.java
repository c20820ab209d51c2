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

import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.RtpFlyweight;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;

import static io.soundrelay.tools.OptionChecks.bad;
import static io.soundrelay.tools.OptionChecks.check;
import static io.soundrelay.tools.OptionChecks.number;

/**
 * What a {@link PacketGenerator} run does: an immutable value validated as a whole when
 * {@link LoadgenOptions#build()} makes it. Each setting has its default constant here and its option in
 * {@link LoadgenOptions}. A bad value is refused with {@code --name=value: why}, naming the {@code loadgen} option.
 */
public final class GeneratorOptions
{
    /** What the generator sends to the relay. */
    public enum Wire
    {
        /** SoundRelay frames, version 1, routed by the header's stream id. */
        SR,
        /** Raw RTP packets, payload type 0x78, routed by SSRC = stream id. */
        RTP;

        /**
         * @return the name on the command line and in the JSON report.
         */
        public String wireName()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the relay sends on to a target, the route's {@code deliver} field. */
    public enum Deliver
    {
        /** The frame's payload alone. */
        PAYLOAD,
        /** The whole frame, header included. */
        FRAMED;

        /**
         * @return the value of the route's {@code deliver} field.
         */
        public String wireName()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final String DEFAULT_API = "http://127.0.0.1:4300";
    public static final String DEFAULT_RELAY = "127.0.0.1:4000";
    public static final String DEFAULT_BIND_HOST = "127.0.0.1";
    public static final int DEFAULT_STREAMS = 100;
    public static final int DEFAULT_PPS = 50;
    public static final int DEFAULT_DURATION_SECONDS = 5;
    public static final int DEFAULT_PAYLOAD_BYTES = 160;
    public static final long DEFAULT_FIRST_STREAM_ID = 1000;
    /** The seed of {@code --stream-ids random} unless {@code --stream-id-seed} says otherwise. */
    public static final long DEFAULT_STREAM_ID_SEED = 31;
    public static final int DEFAULT_SENDERS = 2;
    public static final int DEFAULT_RECEIVERS = 2;
    public static final int DEFAULT_SOURCE_PORT = 0;
    public static final int DEFAULT_REPORT_INTERVAL_SECONDS = 1;
    public static final int DEFAULT_ALLOW_LOSS_PERCENT = 0;
    public static final int DEFAULT_GRACE_MS = 1000;
    /**
     * Seconds at the start of sending left out of the latency when --warmup is not given: the JIT compiles the
     * generator's and the relay's hot paths in the first seconds, and those milliseconds would set the tail.
     */
    public static final double DEFAULT_WARMUP_SECONDS = 2;
    /** A default warm-up is at most this share of --duration, so that a short run still measures most of it. */
    public static final double DEFAULT_WARMUP_MAX_SHARE = 0.2;
    /** --pace-ms not given: the routes carry no {@code pace_ms}, so the node's default (PACE_MS) applies. */
    public static final int PACE_MS_NOT_SENT = -1;
    /** The longest pacing a route may ask for, as the node checks it (RouteSpec.MAX_PACE_MS). */
    public static final int MAX_PACE_MS = 2000;
    /** --jitter-ms not given: the routes carry no {@code jitter_ms}, so the node's default JITTER_BUFFER_MS applies. */
    public static final int JITTER_MS_NOT_SENT = -1;
    /** The deepest jitter buffer a route may ask for, as the node checks it (RouteSpec.MAX_JITTER_MS). */
    public static final int MAX_JITTER_MS = 1000;
    /** No --burst: every stream sends its frames evenly spaced. */
    public static final int NO_BURST = 0;
    /** The most frames one burst of a stream may hold. */
    public static final int MAX_BURST = 1000;
    /** The longest time between two bursts of a stream. */
    public static final int MAX_STALL_MS = 60_000;
    /** --stall-ms not given: the burst's frames' time at the rate per stream. */
    static final int DEFAULT_STALL_MS = -1;

    /** A datagram a relay accepts by default (MAX_DATAGRAM_BYTES). */
    public static final int MAX_DATAGRAM_BYTES = 1500;

    private static final int MAX_STREAMS = 1_000_000;
    /** The most sender or receiver sockets (and --sink-ports ports). */
    static final int MAX_SOCKETS = 1024;
    /** A socket per stream: a file descriptor each, so far fewer streams than without. */
    static final int MAX_STREAM_SOCKETS = 16_384;
    static final double MAX_PPS = 1_000_000;
    static final double MAX_TOTAL_PPS = 100_000_000;
    /** The longest run: a day. */
    static final double MAX_DURATION_SECONDS = 86_400;
    static final int MAX_PORT = 65_535;
    private static final long MAX_U32 = 0xFFFF_FFFFL;

    private final URI api;
    private final String apiKey;
    private final InetSocketAddress relay;
    private final String bindHost;
    private final int streams;
    private final double ppsPerStream;
    private final double durationSeconds;
    private final int payloadBytes;
    private final Wire wire;
    private final Deliver deliver;
    private final long firstStreamId;
    private final StreamIds streamIds;
    private final boolean createRoutes;
    private final int senders;
    private final int sourcePort;
    private final int[] sinkPorts;
    private final int receivers;
    private final boolean rateUnlimited;
    private final double reportIntervalSeconds;
    private final double allowLossPercent;
    private final boolean stranger;
    private final int graceMs;
    private final double warmupSeconds;
    private final boolean oneThread;
    private final boolean socketPerStream;
    private final boolean returnPath;
    private final int relayPortBase;
    private final boolean echo;
    private final int paceMs;
    private final int jitterMs;
    private final int burst;
    private final int stallMs;
    private final boolean burstAligned;

    GeneratorOptions(final LoadgenOptions given)
    {
        final LoadgenOptions.Relay relayGiven = given.relay;
        final LoadgenOptions.Traffic traffic = given.traffic;
        final LoadgenOptions.Sockets sockets = given.sockets;
        final LoadgenOptions.Returns returns = given.returns;
        final LoadgenOptions.Reports reports = given.reports;
        api = OptionChecks.uri("api", relayGiven.api);
        apiKey = null == relayGiven.apiKey || relayGiven.apiKey.isBlank() ? null : relayGiven.apiKey.trim();
        relay = OptionChecks.socketAddress("relay", relayGiven.relay);
        bindHost = OptionChecks.bindHost("bind-host", sockets.bindHost);
        streams = (int)check("streams", traffic.streams, 1, MAX_STREAMS);
        wire = traffic.wire;
        deliver = relayGiven.deliver;
        createRoutes = relayGiven.createRoutes;
        rateUnlimited = traffic.rateUnlimited;
        stranger = traffic.stranger;
        durationSeconds = check("duration", traffic.durationSeconds, 0.001, MAX_DURATION_SECONDS);
        payloadBytes = (int)check("payload-bytes", traffic.payloadBytes, PayloadPattern.HEADER_LENGTH,
            MAX_DATAGRAM_BYTES);
        firstStreamId = check("first-stream-id", traffic.firstStreamId, 1, Long.MAX_VALUE / 2);
        streamIds = traffic.streamIdOrder == StreamIdOrder.RANDOM ?
            StreamIds.random(traffic.streamIdSeed, streams, wire == Wire.RTP ? MAX_U32 : Long.MAX_VALUE / 2) :
            StreamIds.consecutive(firstStreamId, streams);
        senders = (int)check("senders", sockets.senders, 1, MAX_SOCKETS);
        sourcePort = (int)check("source-port", sockets.sourcePort, 0, MAX_PORT);
        reportIntervalSeconds = check("report-interval", reports.reportIntervalSeconds, 0.01, 3600);
        allowLossPercent = check("allow-loss-percent", reports.allowLossPercent, 0, 100);
        graceMs = (int)check("grace-ms", reports.graceMs, 0, 600_000);
        oneThread = sockets.oneThread;
        returnPath = returns.returnPath;
        socketPerStream = returns.socketPerStream || returnPath;
        relayPortBase = (int)check("relay-port-base", returns.relayPortBase, 0, MAX_PORT);
        echo = returns.echo;
        warmupSeconds = reports.warmupSeconds(durationSeconds);
        ppsPerStream = traffic.ppsPerStream(streams);
        sinkPorts = sockets.sinkPorts();
        receivers = null != sinkPorts ? sinkPorts.length :
            (int)check("receivers", null == sockets.receivers ? DEFAULT_RECEIVERS : sockets.receivers, 1, MAX_SOCKETS);
        if (oneThread && (senders != 1 || receivers != 1))
        {
            throw bad("one-thread", "true", "needs exactly one sender and one receiver (--senders 1, and " +
                "--receivers 1 or one --sink-ports port), not " + senders + " and " + receivers);
        }

        paceMs = null == relayGiven.paceMs ? PACE_MS_NOT_SENT :
            (int)check("pace-ms", relayGiven.paceMs, 0, MAX_PACE_MS);
        if (paceMs != PACE_MS_NOT_SENT && !createRoutes)
        {
            throw bad("pace-ms", Integer.toString(paceMs), "needs routes: without them there is no route to pace " +
                "(--no-create-routes)");
        }
        jitterMs = null == relayGiven.jitterMs ? JITTER_MS_NOT_SENT :
            (int)check("jitter-ms", relayGiven.jitterMs, 0, MAX_JITTER_MS);
        if (jitterMs != JITTER_MS_NOT_SENT && !createRoutes)
        {
            throw bad("jitter-ms", Integer.toString(jitterMs), "needs routes: without them there is no route to " +
                "buffer (--no-create-routes)");
        }
        burst = null != traffic.burst ? (int)check("burst", traffic.burst, 1, MAX_BURST) : NO_BURST;
        burstAligned = traffic.burstAligned;
        stallMs = burstSchedule(traffic);

        checkCombinations();
    }

    /**
     * @return the milliseconds between two bursts of a stream: --stall-ms, or by default the time the burst's
     * frames take at --pps (15 frames at 50 pps: 300 ms); 0 without --burst.
     */
    private int burstSchedule(final LoadgenOptions.Traffic traffic)
    {
        if (burst == NO_BURST)
        {
            if (null != traffic.stallMs)
            {
                throw bad("stall-ms", Integer.toString(traffic.stallMs), "needs --burst");
            }
            if (traffic.burstAligned)
            {
                throw bad("burst-aligned", "true", "needs --burst");
            }
            return 0;
        }
        if (rateUnlimited)
        {
            throw bad("burst", Integer.toString(burst), "needs a paced rate, not --rate-unlimited");
        }
        if (null == traffic.stallMs)
        {
            return (int)Math.max(1, Math.min(MAX_STALL_MS, Math.round(burst * 1000.0 / ppsPerStream)));
        }
        return (int)check("stall-ms", traffic.stallMs, 1, MAX_STALL_MS);
    }

    private void checkCombinations()
    {
        final int headerLength = wire == Wire.RTP ? RtpFlyweight.HEADER_LENGTH : FrameFlyweight.HEADER_LENGTH;
        if (headerLength + payloadBytes > MAX_DATAGRAM_BYTES)
        {
            throw bad("payload-bytes", Integer.toString(payloadBytes), "with the " + headerLength +
                "-byte " + wire.wireName() + " header the datagram exceeds " + MAX_DATAGRAM_BYTES + " bytes");
        }
        if (wire == Wire.RTP && !streamIds.isRandom() && lastStreamId() > MAX_U32)
        {
            throw bad("first-stream-id", Long.toString(firstStreamId),
                "with --wire rtp every stream id (up to " + lastStreamId() + ") must fit the 32-bit SSRC");
        }
        if (!rateUnlimited && averagePpsPerStream() * durationSeconds >= Integer.MAX_VALUE)
        {
            throw bad("duration", Double.toString(durationSeconds), "2^31 packets per stream or more");
        }
        final int sourceSockets = sourceSockets();
        final String sourceOwners = socketPerStream ? "streams' sockets" : "senders";
        if (sourcePort > 0 && sourcePort + sourceSockets - 1 > MAX_PORT)
        {
            throw bad("source-port", Integer.toString(sourcePort),
                "the " + sourceSockets + " " + sourceOwners + " would need ports up to " +
                (sourcePort + sourceSockets - 1));
        }
        if (sourcePort > 0 && null != sinkPorts)
        {
            for (final int port : sinkPorts)
            {
                if (port >= sourcePort && port < sourcePort + sourceSockets)
                {
                    throw bad("source-port", Integer.toString(sourcePort), "the " + sourceOwners + "' ports " +
                        sourcePort + "-" + (sourcePort + sourceSockets - 1) + " overlap --sink-ports (" + port + ")");
                }
            }
        }
        checkStreamSockets();
    }

    private void checkStreamSockets()
    {
        if (socketPerStream && streams > MAX_STREAM_SOCKETS)
        {
            throw bad("streams", Integer.toString(streams), "with a socket per stream at most " + MAX_STREAM_SOCKETS);
        }
        if (echo && !socketPerStream)
        {
            throw bad("echo", "true", "needs a socket per stream (--socket-per-stream or --return-path): a " +
                "datagram that comes back is checked on its stream's own socket");
        }
        if (relayPortBase > 0 && !returnPath)
        {
            throw bad("relay-port-base", Integer.toString(relayPortBase), "needs --return-path");
        }
        if (relayPortBase > 0 && createRoutes)
        {
            throw bad("relay-port-base", Integer.toString(relayPortBase), "only without routes " +
                "(--no-create-routes): with routes each stream's relay port is the one the node's answer names");
        }
        if (returnPath && !createRoutes && relayPortBase == 0)
        {
            throw bad("return-path", "true", "without routes (--no-create-routes) needs --relay-port-base P: " +
                "stream i then sends to port P+i of --relay's host");
        }
        if (relayPortBase > 0 && relayPortBase + streams - 1 > MAX_PORT)
        {
            throw bad("relay-port-base", Integer.toString(relayPortBase),
                "the " + streams + " streams would need relay ports up to " + (relayPortBase + streams - 1));
        }
    }

    /**
     * @param durationSeconds the run's --duration.
     * @return the warm-up of a run that does not set one: {@link #DEFAULT_WARMUP_SECONDS}, or
     * {@link #DEFAULT_WARMUP_MAX_SHARE} of the duration, to the millisecond, when that is shorter; always shorter
     * than the run.
     */
    public static double defaultWarmupSeconds(final double durationSeconds)
    {
        return Math.min(DEFAULT_WARMUP_SECONDS, Math.round(durationSeconds * DEFAULT_WARMUP_MAX_SHARE * 1000) / 1000.0);
    }

    /**
     * @return a builder holding every default.
     */
    public static LoadgenOptions builder()
    {
        return new LoadgenOptions();
    }

    /**
     * @see OptionChecks#parseSocketAddress(String)
     */
    static InetSocketAddress parseSocketAddress(final String text)
    {
        return OptionChecks.parseSocketAddress(text);
    }

    public URI api()
    {
        return api;
    }

    /**
     * @return the API key, or null to send no Authorization header. Never printed.
     */
    public String apiKey()
    {
        return apiKey;
    }

    public InetSocketAddress relay()
    {
        return relay;
    }

    public String bindHost()
    {
        return bindHost;
    }

    public int streams()
    {
        return streams;
    }

    /**
     * @return packets per second each stream sends when paced; --total-pps / --streams when the rate was given
     * in total, so possibly fractional.
     */
    public double ppsPerStream()
    {
        return ppsPerStream;
    }

    public double durationSeconds()
    {
        return durationSeconds;
    }

    public int payloadBytes()
    {
        return payloadBytes;
    }

    public Wire wire()
    {
        return wire;
    }

    /**
     * @return the routes' deliver field.
     */
    public Deliver deliver()
    {
        return deliver;
    }

    /**
     * @return what a sink receives of a SoundRelay frame: the route's deliver field with routes; without routes
     * a relay is a plain forwarder, and with a return path a relay port forwards byte for byte (PROTOCOL.md
     * section 9): a sink then gets every datagram whole. What comes back to a stream's socket with {@link #echo()}
     * is the same.
     */
    public Deliver sinkDelivery()
    {
        return createRoutes && !returnPath ? deliver : Deliver.FRAMED;
    }

    public long firstStreamId()
    {
        return firstStreamId;
    }

    /**
     * @return the streams' ids: consecutive from {@link #firstStreamId()}, or random with {@code --stream-ids
     * random}.
     */
    StreamIds streamIds()
    {
        return streamIds;
    }

    /**
     * @param index a stream's 0-based index; from {@link #streams()} on, the unrouted ids of stranger traffic.
     * @return its id.
     */
    public long streamId(final int index)
    {
        return streamIds.id(index);
    }

    /**
     * @return the id of the last stream carrying traffic; with {@link #stranger()}, the ids after it up to
     * {@link #lastStreamId()} are sent to but never routed.
     */
    public long lastTrafficStreamId()
    {
        return firstStreamId + streams - 1;
    }

    /**
     * @return the highest stream id the generator puts on the wire.
     */
    public long lastStreamId()
    {
        return firstStreamId + (stranger ? 2L * streams : streams) - 1;
    }

    public boolean createRoutes()
    {
        return createRoutes;
    }

    public int senders()
    {
        return senders;
    }

    /**
     * @return the first sender's port, sender {@code i} binding {@code sourcePort + i}; 0 for ephemeral ports.
     */
    public int sourcePort()
    {
        return sourcePort;
    }

    /**
     * @return the port receiver {@code i} binds, or 0 for an ephemeral port.
     */
    public int sinkPort(final int receiver)
    {
        return null == sinkPorts ? 0 : sinkPorts[receiver];
    }

    public int receivers()
    {
        return receivers;
    }

    public boolean rateUnlimited()
    {
        return rateUnlimited;
    }

    public double reportIntervalSeconds()
    {
        return reportIntervalSeconds;
    }

    public double allowLossPercent()
    {
        return allowLossPercent;
    }

    public boolean stranger()
    {
        return stranger;
    }

    public int graceMs()
    {
        return graceMs;
    }

    /**
     * @return seconds at the start of sending whose datagrams are checked but not measured (latency, CPU window).
     */
    public double warmupSeconds()
    {
        return warmupSeconds;
    }

    /**
     * @return true when the one sender and the one receiver share a thread.
     */
    public boolean oneThread()
    {
        return oneThread;
    }

    /**
     * @return true when every stream sends from its own socket, which its route names as {@code source_addr};
     * always with {@link #returnPath()}.
     */
    public boolean socketPerStream()
    {
        return socketPerStream;
    }

    /**
     * @return true when each route is created with {@code "return_path": true} and its stream sends to its own
     * relay port (PROTOCOL.md section 9) instead of {@link #relay()}'s port.
     */
    public boolean returnPath()
    {
        return returnPath;
    }

    /**
     * @return without routes, the relay port of stream 0 (stream {@code i} sends to {@code relayPortBase + i} on
     * {@link #relay()}'s host); 0 when not set.
     */
    public int relayPortBase()
    {
        return relayPortBase;
    }

    /**
     * @return true when the sinks send every datagram back to where it came from and each stream's socket checks
     * what returns.
     */
    public boolean echo()
    {
        return echo;
    }

    /**
     * @return the {@code pace_ms} every route the generator creates asks for, 0-{@value #MAX_PACE_MS}, or
     * {@link #PACE_MS_NOT_SENT} when the routes carry none and the node's default applies.
     */
    public int paceMs()
    {
        return paceMs;
    }

    /**
     * @return the {@code jitter_ms} every route the generator creates asks for, 0-{@value #MAX_JITTER_MS}, or
     * {@link #JITTER_MS_NOT_SENT} when the routes carry none and the node's default applies. With pacing on it is
     * the pacer's playout delay (PROTOCOL.md section 10).
     */
    public int jitterMs()
    {
        return jitterMs;
    }

    /**
     * @return frames a stream sends back to back in each burst, or {@link #NO_BURST} for evenly spaced frames.
     */
    public int burst()
    {
        return burst;
    }

    /**
     * @return true when the streams send in bursts (stall-and-burst): {@link #burst()} frames every
     * {@link #stallMs()}.
     */
    public boolean bursts()
    {
        return burst != NO_BURST;
    }

    /**
     * @return milliseconds from one burst of a stream to its next, or 0 without bursts.
     */
    public int stallMs()
    {
        return stallMs;
    }

    /**
     * @return true when every stream bursts at the same instant; false when the streams' bursts are spread evenly
     * over the stall (stream {@code i} of {@code n} bursts {@code i / n} of a stall after stream 0).
     */
    public boolean burstAligned()
    {
        return burstAligned;
    }

    /**
     * @return the packets per second a stream sends on average: {@link #ppsPerStream()}, or with bursts
     * {@link #burst()} per {@link #stallMs()}.
     */
    public double averagePpsPerStream()
    {
        return bursts() ? burst * 1000.0 / stallMs : ppsPerStream;
    }

    /**
     * @return the source sockets the generator binds: one per stream, or one per sender.
     */
    public int sourceSockets()
    {
        return socketPerStream ? streams : senders;
    }

    /**
     * @return packets each stream sends when paced: the (average) rate times the duration, rounded, at least 1.
     */
    public int packetsPerStream()
    {
        return (int)Math.max(1, Math.round(averagePpsPerStream() * durationSeconds));
    }

    public String toString()
    {
        return streams + " streams x " + (rateUnlimited ? "unlimited" : rate(ppsPerStream) + " pps") +
            (bursts() ? " in bursts of " + burst + " every " + stallMs + " ms (" +
            (burstAligned ? "all streams at once" : "streams staggered") + ")" : "") + " for " +
            durationSeconds + " s" + (warmupSeconds > 0 ? " (warm-up: the first " + number(warmupSeconds) +
            " s, not measured)" : "") + ", " + wire.wireName() +
            (wire == Wire.SR ? " (sinks get " + (sinkDelivery() == Deliver.PAYLOAD ? "payloads)" : "whole frames)") :
            "") + ", " + payloadBytes + "-byte payload, streams " + (streamIds.isRandom() ? "with random ids (seed " +
            streamIds.seed() + ")" : firstStreamId + ".." + lastTrafficStreamId()) +
            " -> " + destination() + ", " + count(senders, "sender") + (socketPerStream ?
            " with a socket per stream" : "") + (sourcePort > 0 ? " on ports " + sourcePort + "-" +
            (sourcePort + sourceSockets() - 1) : "") + ", " + count(receivers, "receiver") +
            (null != sinkPorts ? " on " + Arrays.toString(sinkPorts) : "") +
            (createRoutes ? ", routes" + (returnPath ? " with a return path" : "") + " via " + api : ", no routes") +
            (createRoutes && paceMs != PACE_MS_NOT_SENT ? ", pace_ms " + paceMs : "") +
            (createRoutes && jitterMs != JITTER_MS_NOT_SENT ? ", jitter_ms " + jitterMs : "") +
            (echo ? ", sinks echo" : "") + (stranger ? ", with stranger traffic" : "");
    }

    private String destination()
    {
        if (!returnPath)
        {
            return RouteClient.format(relay);
        }
        final String relayText = RouteClient.format(relay);
        final String host = relayText.substring(0, relayText.lastIndexOf(':'));
        return host + ":" + (relayPortBase > 0 ? relayPortBase + "-" + (relayPortBase + streams - 1) :
            "<each route's relay_port>");
    }

    private static String count(final int count, final String what)
    {
        return count + " " + what + (count == 1 ? "" : "s");
    }

    private static String rate(final double pps)
    {
        return pps == Math.rint(pps) ? Long.toString((long)pps) : String.format(Locale.ROOT, "%.3f", pps);
    }
}
