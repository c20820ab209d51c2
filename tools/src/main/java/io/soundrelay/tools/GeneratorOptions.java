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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Locale;

/**
 * What a {@link PacketGenerator} run does: an immutable value validated as a whole when {@link Builder#build()}
 * makes it. Each setting has its default constant here; {@link LoadgenCommand} fills a {@link Builder} from the
 * command line. A bad value is refused with {@code --name=value: why}, naming the {@code loadgen} option.
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
    /** --jitter-ms not given: the routes carry no {@code jitter_ms}, so the node's default (JITTER_BUFFER_MS) applies. */
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
    private static final int MAX_SOCKETS = 1024;
    /** A socket per stream: a file descriptor each, so far fewer streams than without. */
    static final int MAX_STREAM_SOCKETS = 16_384;
    private static final double MAX_PPS = 1_000_000;
    private static final double MAX_TOTAL_PPS = 100_000_000;
    /** The longest run: a day. */
    static final double MAX_DURATION_SECONDS = 86_400;
    private static final int MAX_PORT = 65_535;
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

    private GeneratorOptions(final Builder builder)
    {
        api = uri("api", builder.api);
        apiKey = null == builder.apiKey || builder.apiKey.isBlank() ? null : builder.apiKey.trim();
        relay = socketAddress("relay", builder.relay);
        bindHost = bindHost("bind-host", builder.bindHost);
        streams = (int)check("streams", builder.streams, 1, MAX_STREAMS);
        wire = builder.wire;
        deliver = builder.deliver;
        createRoutes = builder.createRoutes;
        rateUnlimited = builder.rateUnlimited;
        stranger = builder.stranger;
        durationSeconds = check("duration", builder.durationSeconds, 0.001, MAX_DURATION_SECONDS);
        payloadBytes = (int)check("payload-bytes", builder.payloadBytes, PayloadPattern.HEADER_LENGTH,
            MAX_DATAGRAM_BYTES);
        firstStreamId = check("first-stream-id", builder.firstStreamId, 1, Long.MAX_VALUE / 2);
        senders = (int)check("senders", builder.senders, 1, MAX_SOCKETS);
        sourcePort = (int)check("source-port", builder.sourcePort, 0, MAX_PORT);
        reportIntervalSeconds = check("report-interval", builder.reportIntervalSeconds, 0.01, 3600);
        allowLossPercent = check("allow-loss-percent", builder.allowLossPercent, 0, 100);
        graceMs = (int)check("grace-ms", builder.graceMs, 0, 600_000);
        oneThread = builder.oneThread;
        returnPath = builder.returnPath;
        socketPerStream = builder.socketPerStream || returnPath;
        relayPortBase = (int)check("relay-port-base", builder.relayPortBase, 0, MAX_PORT);
        echo = builder.echo;
        if (Double.isNaN(builder.warmupSeconds))
        {
            warmupSeconds = defaultWarmupSeconds(durationSeconds);
        }
        else
        {
            warmupSeconds = check("warmup", builder.warmupSeconds, 0, MAX_DURATION_SECONDS);
            if (warmupSeconds >= durationSeconds)
            {
                throw bad("warmup", number(warmupSeconds), "must be shorter than --duration=" +
                    number(durationSeconds));
            }
        }

        if (!Double.isNaN(builder.pps) && !Double.isNaN(builder.totalPps))
        {
            throw new IllegalArgumentException(
                "--pps and --total-pps are mutually exclusive: give the rate per stream or in total, not both");
        }
        if (!Double.isNaN(builder.totalPps))
        {
            ppsPerStream = checkPositive("total-pps", builder.totalPps, MAX_TOTAL_PPS) / streams;
        }
        else
        {
            ppsPerStream = checkPositive("pps", Double.isNaN(builder.pps) ? DEFAULT_PPS : builder.pps, MAX_PPS);
        }

        if (null != builder.sinkPorts)
        {
            try
            {
                sinkPorts = parsePorts(builder.sinkPorts);
            }
            catch (final IllegalArgumentException ex)
            {
                throw bad("sink-ports", builder.sinkPorts, ex.getMessage());
            }
            if (builder.receiversGiven && builder.receivers != sinkPorts.length)
            {
                throw bad("receivers", Integer.toString(builder.receivers), "conflicts with --sink-ports=" +
                    builder.sinkPorts + " (" + sinkPorts.length + " ports, one receiver each)");
            }
            receivers = sinkPorts.length;
        }
        else
        {
            sinkPorts = null;
            receivers = (int)check("receivers", builder.receivers, 1, MAX_SOCKETS);
        }
        if (oneThread && (senders != 1 || receivers != 1))
        {
            throw bad("one-thread", "true", "needs exactly one sender and one receiver (--senders 1, and " +
                "--receivers 1 or one --sink-ports port), not " + senders + " and " + receivers);
        }

        paceMs = builder.paceMs == PACE_MS_NOT_SENT ? PACE_MS_NOT_SENT :
            (int)check("pace-ms", builder.paceMs, 0, MAX_PACE_MS);
        if (paceMs != PACE_MS_NOT_SENT && !createRoutes)
        {
            throw bad("pace-ms", Integer.toString(paceMs), "needs routes: without them there is no route to pace " +
                "(--no-create-routes)");
        }
        jitterMs = builder.jitterMs == JITTER_MS_NOT_SENT ? JITTER_MS_NOT_SENT :
            (int)check("jitter-ms", builder.jitterMs, 0, MAX_JITTER_MS);
        if (jitterMs != JITTER_MS_NOT_SENT && !createRoutes)
        {
            throw bad("jitter-ms", Integer.toString(jitterMs), "needs routes: without them there is no route to " +
                "buffer (--no-create-routes)");
        }
        burst = builder.burstGiven ? (int)check("burst", builder.burst, 1, MAX_BURST) : NO_BURST;
        burstAligned = builder.burstAligned;
        stallMs = burstSchedule(builder);

        checkCombinations();
    }

    /**
     * @return the milliseconds between two bursts of a stream: --stall-ms, or by default the time the burst's
     * frames take at --pps (15 frames at 50 pps: 300 ms); 0 without --burst.
     */
    private int burstSchedule(final Builder builder)
    {
        if (burst == NO_BURST)
        {
            if (builder.stallMs != DEFAULT_STALL_MS)
            {
                throw bad("stall-ms", Integer.toString(builder.stallMs), "needs --burst");
            }
            if (builder.burstAligned)
            {
                throw bad("burst-aligned", "true", "needs --burst");
            }
            return 0;
        }
        if (rateUnlimited)
        {
            throw bad("burst", Integer.toString(burst), "needs a paced rate, not --rate-unlimited");
        }
        if (builder.stallMs == DEFAULT_STALL_MS)
        {
            return (int)Math.max(1, Math.min(MAX_STALL_MS, Math.round(burst * 1000.0 / ppsPerStream)));
        }
        return (int)check("stall-ms", builder.stallMs, 1, MAX_STALL_MS);
    }

    private void checkCombinations()
    {
        final int headerLength = wire == Wire.RTP ? RtpFlyweight.HEADER_LENGTH : FrameFlyweight.HEADER_LENGTH;
        if (headerLength + payloadBytes > MAX_DATAGRAM_BYTES)
        {
            throw bad("payload-bytes", Integer.toString(payloadBytes), "with the " + headerLength +
                "-byte " + wire.wireName() + " header the datagram exceeds " + MAX_DATAGRAM_BYTES + " bytes");
        }
        if (wire == Wire.RTP && lastStreamId() > MAX_U32)
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
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @param text ports and ranges separated by commas: {@code 5000}, {@code 5000-5003}, {@code 5000,5002}.
     * @return the ports in the order given.
     * @throws IllegalArgumentException saying what is wrong.
     */
    static int[] parsePorts(final String text)
    {
        final BitSet seen = new BitSet(MAX_PORT + 1);
        int[] ports = new int[8];
        int count = 0;
        for (final String part : text.split(",", -1))
        {
            final String item = part.trim();
            final int dash = item.indexOf('-');
            final int first = port(dash < 0 ? item : item.substring(0, dash));
            final int last = dash < 0 ? first : port(item.substring(dash + 1));
            if (last < first)
            {
                throw new IllegalArgumentException("range " + item + " ends before it starts");
            }
            for (int port = first; port <= last; port++)
            {
                if (seen.get(port))
                {
                    throw new IllegalArgumentException("port " + port + " given twice");
                }
                seen.set(port);
                if (count == MAX_SOCKETS)
                {
                    throw new IllegalArgumentException("more than " + MAX_SOCKETS + " ports");
                }
                if (count == ports.length)
                {
                    ports = Arrays.copyOf(ports, count * 2);
                }
                ports[count++] = port;
            }
        }
        return Arrays.copyOf(ports, count);
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
            "") + ", " + payloadBytes + "-byte payload, streams " + firstStreamId + ".." + lastTrafficStreamId() +
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

    private static IllegalArgumentException bad(final String name, final String value, final String why)
    {
        return new IllegalArgumentException("--" + name + "=" + value + ": " + why);
    }

    private static long check(final String name, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw bad(name, Long.toString(value), "must be between " + min + " and " + max);
        }
        return value;
    }

    private static double check(final String name, final double value, final double min, final double max)
    {
        if (!(value >= min && value <= max))
        {
            throw bad(name, number(value), "must be between " + number(min) + " and " + number(max));
        }
        return value;
    }

    private static double checkPositive(final String name, final double value, final double max)
    {
        if (!(value > 0 && value <= max))
        {
            throw bad(name, number(value), "must be more than 0 and at most " + number(max));
        }
        return value;
    }

    private static String number(final double value)
    {
        return value == Math.rint(value) && !Double.isInfinite(value) ? Long.toString((long)value) :
            Double.toString(value);
    }

    private static int port(final String text)
    {
        final int port;
        try
        {
            port = Integer.parseInt(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + text.trim() + "' is not a port");
        }
        if (port < 1 || port > MAX_PORT)
        {
            throw new IllegalArgumentException("port " + port + " is not 1-65535");
        }
        return port;
    }

    /**
     * @param name the option, without its dashes, that a refusal names.
     * @return the http(s) URL.
     * @throws IllegalArgumentException {@code --name=text: why}.
     */
    static URI uri(final String name, final String text)
    {
        final URI uri;
        try
        {
            uri = URI.create(text.trim());
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(name, text, "not a URL");
        }
        if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || null == uri.getHost())
        {
            throw bad(name, text, "expected http://host:port");
        }
        return uri;
    }

    private static InetSocketAddress socketAddress(final String name, final String text)
    {
        try
        {
            return parseSocketAddress(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(name, text, ex.getMessage());
        }
    }

    /**
     * @param name the option, without its dashes, that a refusal names.
     * @return the address to bind, resolved: a concrete one, since a route's {@code source_addr} names it.
     * @throws IllegalArgumentException {@code --name=text: why}.
     */
    static String bindHost(final String name, final String text)
    {
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(text.trim());
        }
        catch (final UnknownHostException ex)
        {
            throw bad(name, text, "unknown host");
        }
        // A route's source_addr is compared with the datagram's real source: a wildcard would never match.
        if (address.isAnyLocalAddress())
        {
            throw bad(name, text, "must be a concrete address, not a wildcard");
        }
        return address.getHostAddress();
    }

    /**
     * @param text {@code host:port} or {@code [v6]:port}.
     * @return the resolved address.
     * @throws IllegalArgumentException saying what is wrong.
     */
    static InetSocketAddress parseSocketAddress(final String text)
    {
        final String trimmed = text.trim();
        final int colon = trimmed.lastIndexOf(':');
        if (colon <= 0 || colon == trimmed.length() - 1)
        {
            throw new IllegalArgumentException("expected host:port");
        }
        String host = trimmed.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try
        {
            port = Integer.parseInt(trimmed.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("port is not a number");
        }
        if (port < 1 || port > MAX_PORT)
        {
            throw new IllegalArgumentException("port must be 1-65535");
        }
        final InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved())
        {
            throw new IllegalArgumentException("unknown host " + host);
        }
        return address;
    }

    /**
     * Collects settings; {@link #build()} validates them together. Every setting left alone keeps its default.
     */
    public static final class Builder
    {
        private String api = DEFAULT_API;
        private String apiKey;
        private String relay = DEFAULT_RELAY;
        private String bindHost = DEFAULT_BIND_HOST;
        private int streams = DEFAULT_STREAMS;
        private double pps = Double.NaN;
        private double totalPps = Double.NaN;
        private double durationSeconds = DEFAULT_DURATION_SECONDS;
        private int payloadBytes = DEFAULT_PAYLOAD_BYTES;
        private Wire wire = Wire.SR;
        private Deliver deliver = Deliver.PAYLOAD;
        private long firstStreamId = DEFAULT_FIRST_STREAM_ID;
        private boolean createRoutes = true;
        private int senders = DEFAULT_SENDERS;
        private int receivers = DEFAULT_RECEIVERS;
        private boolean receiversGiven;
        private int sourcePort = DEFAULT_SOURCE_PORT;
        private String sinkPorts;
        private boolean rateUnlimited;
        private double reportIntervalSeconds = DEFAULT_REPORT_INTERVAL_SECONDS;
        private double allowLossPercent = DEFAULT_ALLOW_LOSS_PERCENT;
        private boolean stranger;
        private int graceMs = DEFAULT_GRACE_MS;
        private double warmupSeconds = Double.NaN;
        private boolean oneThread;
        private boolean socketPerStream;
        private boolean returnPath;
        private int relayPortBase;
        private boolean echo;
        private int paceMs = PACE_MS_NOT_SENT;
        private int jitterMs = JITTER_MS_NOT_SENT;
        private int burst = NO_BURST;
        private boolean burstGiven;
        private int stallMs = DEFAULT_STALL_MS;
        private boolean burstAligned;

        private Builder()
        {
        }

        public Builder api(final String api)
        {
            this.api = api;
            return this;
        }

        /**
         * @param apiKey sent as {@code Authorization: Bearer}; null or blank for none.
         */
        public Builder apiKey(final String apiKey)
        {
            this.apiKey = apiKey;
            return this;
        }

        /**
         * @param relay {@code host:port} or {@code [v6]:port}.
         */
        public Builder relay(final String relay)
        {
            this.relay = relay;
            return this;
        }

        public Builder bindHost(final String bindHost)
        {
            this.bindHost = bindHost;
            return this;
        }

        public Builder streams(final int streams)
        {
            this.streams = streams;
            return this;
        }

        /**
         * Packets per second per stream; mutually exclusive with {@link #totalPps(double)}.
         */
        public Builder pps(final double pps)
        {
            this.pps = pps;
            return this;
        }

        /**
         * Packets per second over all streams, each stream sending {@code totalPps / streams}.
         */
        public Builder totalPps(final double totalPps)
        {
            this.totalPps = totalPps;
            return this;
        }

        public Builder durationSeconds(final double durationSeconds)
        {
            this.durationSeconds = durationSeconds;
            return this;
        }

        public Builder payloadBytes(final int payloadBytes)
        {
            this.payloadBytes = payloadBytes;
            return this;
        }

        public Builder wire(final Wire wire)
        {
            this.wire = wire;
            return this;
        }

        public Builder deliver(final Deliver deliver)
        {
            this.deliver = deliver;
            return this;
        }

        public Builder firstStreamId(final long firstStreamId)
        {
            this.firstStreamId = firstStreamId;
            return this;
        }

        public Builder createRoutes(final boolean createRoutes)
        {
            this.createRoutes = createRoutes;
            return this;
        }

        public Builder senders(final int senders)
        {
            this.senders = senders;
            return this;
        }

        /**
         * @param receivers receiver sockets; with {@link #sinkPorts(String)} it must equal the number of ports.
         */
        public Builder receivers(final int receivers)
        {
            this.receivers = receivers;
            this.receiversGiven = true;
            return this;
        }

        /**
         * @param sourcePort the first sender's port, or 0 for ephemeral ports.
         */
        public Builder sourcePort(final int sourcePort)
        {
            this.sourcePort = sourcePort;
            return this;
        }

        /**
         * @param sinkPorts {@code 5000}, {@code 5000-5003} or {@code 5000,5002}: one receiver per port; null for
         *                  ephemeral ports.
         */
        public Builder sinkPorts(final String sinkPorts)
        {
            this.sinkPorts = sinkPorts;
            return this;
        }

        public Builder rateUnlimited(final boolean rateUnlimited)
        {
            this.rateUnlimited = rateUnlimited;
            return this;
        }

        public Builder reportIntervalSeconds(final double reportIntervalSeconds)
        {
            this.reportIntervalSeconds = reportIntervalSeconds;
            return this;
        }

        public Builder allowLossPercent(final double allowLossPercent)
        {
            this.allowLossPercent = allowLossPercent;
            return this;
        }

        public Builder stranger(final boolean stranger)
        {
            this.stranger = stranger;
            return this;
        }

        public Builder oneThread(final boolean oneThread)
        {
            this.oneThread = oneThread;
            return this;
        }

        /**
         * @param socketPerStream every stream sends from its own socket, named as its route's source.
         */
        public Builder socketPerStream(final boolean socketPerStream)
        {
            this.socketPerStream = socketPerStream;
            return this;
        }

        /**
         * @param returnPath routes with {@code "return_path": true}, each stream sending to its relay port; implies
         *                   a socket per stream.
         */
        public Builder returnPath(final boolean returnPath)
        {
            this.returnPath = returnPath;
            return this;
        }

        /**
         * @param relayPortBase without routes, stream {@code i} sends to port {@code relayPortBase + i} of the
         *                      relay's host; 0 for none.
         */
        public Builder relayPortBase(final int relayPortBase)
        {
            this.relayPortBase = relayPortBase;
            return this;
        }

        /**
         * @param echo the sinks send every datagram back to where it came from; needs a socket per stream.
         */
        public Builder echo(final boolean echo)
        {
            this.echo = echo;
            return this;
        }

        /**
         * @param warmupSeconds seconds at the start of sending that are checked but not measured, shorter than the
         *                      duration; left alone: {@link #defaultWarmupSeconds(double)}.
         */
        public Builder warmupSeconds(final double warmupSeconds)
        {
            this.warmupSeconds = warmupSeconds;
            return this;
        }

        /**
         * @param paceMs the routes' {@code pace_ms}, 0-{@value #MAX_PACE_MS}; {@link #PACE_MS_NOT_SENT} (the
         *               default) to leave it out of the route requests.
         */
        public Builder paceMs(final int paceMs)
        {
            this.paceMs = paceMs;
            return this;
        }

        /**
         * @param jitterMs the routes' {@code jitter_ms}, 0-{@value #MAX_JITTER_MS}; {@link #JITTER_MS_NOT_SENT} (the
         *                 default) to leave it out of the route requests.
         */
        public Builder jitterMs(final int jitterMs)
        {
            this.jitterMs = jitterMs;
            return this;
        }

        /**
         * @param burst frames each stream sends back to back every {@link #stallMs(int)}, 1-{@value #MAX_BURST};
         *              left alone, the frames are evenly spaced.
         */
        public Builder burst(final int burst)
        {
            this.burst = burst;
            this.burstGiven = true;
            return this;
        }

        /**
         * @param stallMs milliseconds from one burst to the next, 1-{@value #MAX_STALL_MS};
         *                {@link #DEFAULT_STALL_MS} (the default) for the time the burst's frames take at the rate
         *                per stream. Needs {@link #burst(int)}.
         */
        public Builder stallMs(final int stallMs)
        {
            this.stallMs = stallMs;
            return this;
        }

        /**
         * @param burstAligned every stream bursts at the same instant instead of staggered. Needs
         *                     {@link #burst(int)}.
         */
        public Builder burstAligned(final boolean burstAligned)
        {
            this.burstAligned = burstAligned;
            return this;
        }

        public Builder graceMs(final int graceMs)
        {
            this.graceMs = graceMs;
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
    }
}
