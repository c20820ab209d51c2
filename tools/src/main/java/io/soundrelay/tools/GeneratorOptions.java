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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link PacketGenerator} run does, parsed once from {@code --name value} arguments and validated as a whole.
 * Each option is a name, a default constant and a parse call in {@link #parse(String...)}; a bad value is refused
 * with {@code --name=value: why}.
 */
public final class GeneratorOptions
{
    /** What the generator sends to the relay. */
    public enum Mode
    {
        /** SoundRelay frames, version 1, routed by the header's stream id. */
        FRAMES,
        /** Raw RTP packets, payload type 0x78, routed by SSRC = stream id. */
        RTP
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
    public static final double DEFAULT_SECONDS = 5;
    public static final int DEFAULT_PAYLOAD_BYTES = 160;
    public static final long DEFAULT_FIRST_STREAM_ID = 1000;
    public static final int DEFAULT_SENDERS = 2;
    public static final int DEFAULT_RECEIVERS = 2;
    public static final double DEFAULT_REPORT_INTERVAL_SECONDS = 1;
    public static final double DEFAULT_ALLOW_LOSS_PERCENT = 0;
    public static final int DEFAULT_GRACE_MS = 1000;

    /** A datagram a relay accepts by default (MAX_DATAGRAM_BYTES). */
    public static final int MAX_DATAGRAM_BYTES = 1500;

    private static final Set<String> FLAGS = Set.of("create-routes", "rate-unlimited", "stranger");
    private static final long MAX_U32 = 0xFFFF_FFFFL;

    private final URI api;
    private final String apiKey;
    private final InetSocketAddress relay;
    private final String bindHost;
    private final int streams;
    private final int pps;
    private final double seconds;
    private final int payloadBytes;
    private final Deliver deliver;
    private final Mode mode;
    private final long firstStreamId;
    private final boolean createRoutes;
    private final int senders;
    private final int receivers;
    private final boolean rateUnlimited;
    private final double reportIntervalSeconds;
    private final double allowLossPercent;
    private final boolean stranger;
    private final int graceMs;

    private GeneratorOptions(final Map<String, String> values)
    {
        api = uri(values, "api", DEFAULT_API);
        apiKey = values.remove("api-key");
        relay = socketAddress(values, "relay", DEFAULT_RELAY);
        bindHost = bindHost(values, "bind-host", DEFAULT_BIND_HOST);
        streams = intValue(values, "streams", DEFAULT_STREAMS, 1, 1_000_000);
        pps = intValue(values, "pps", DEFAULT_PPS, 1, 1_000_000);
        seconds = doubleValue(values, "seconds", DEFAULT_SECONDS, 0.001, 86_400);
        payloadBytes = intValue(
            values, "payload-bytes", DEFAULT_PAYLOAD_BYTES, PayloadPattern.HEADER_LENGTH, MAX_DATAGRAM_BYTES);
        deliver = enumValue(values, "deliver", Deliver.PAYLOAD, Deliver.class);
        mode = enumValue(values, "mode", Mode.FRAMES, Mode.class);
        firstStreamId = longValue(values, "first-stream-id", DEFAULT_FIRST_STREAM_ID, 1, Long.MAX_VALUE / 2);
        createRoutes = booleanValue(values, "create-routes", true);
        senders = intValue(values, "senders", DEFAULT_SENDERS, 1, 1024);
        receivers = intValue(values, "receivers", DEFAULT_RECEIVERS, 1, 1024);
        rateUnlimited = booleanValue(values, "rate-unlimited", false);
        reportIntervalSeconds = doubleValue(
            values, "report-interval", DEFAULT_REPORT_INTERVAL_SECONDS, 0.01, 3600);
        allowLossPercent = doubleValue(values, "allow-loss-percent", DEFAULT_ALLOW_LOSS_PERCENT, 0, 100);
        stranger = booleanValue(values, "stranger", false);
        graceMs = intValue(values, "grace-ms", DEFAULT_GRACE_MS, 0, 600_000);

        if (!values.isEmpty())
        {
            throw new IllegalArgumentException("--" + values.keySet().iterator().next() + ": unknown option");
        }

        final int headerLength = mode == Mode.RTP ? RtpFlyweight.HEADER_LENGTH : FrameFlyweight.HEADER_LENGTH;
        if (headerLength + payloadBytes > MAX_DATAGRAM_BYTES)
        {
            throw bad("payload-bytes", Integer.toString(payloadBytes), "with the " + headerLength +
                "-byte " + mode.name().toLowerCase(Locale.ROOT) + " header the datagram exceeds " +
                MAX_DATAGRAM_BYTES + " bytes");
        }
        if (mode == Mode.RTP && lastStreamId() > MAX_U32)
        {
            throw bad("first-stream-id", Long.toString(firstStreamId),
                "in rtp mode every stream id (up to " + lastStreamId() + ") must fit the 32-bit SSRC");
        }
        if (!rateUnlimited && (double)pps * seconds > Integer.MAX_VALUE)
        {
            throw bad("seconds", Double.toString(seconds), "more than 2^31 packets per stream");
        }
    }

    /**
     * @param args {@code --name value} pairs; a boolean option given without a value means true.
     * @return the validated options.
     * @throws IllegalArgumentException naming the option at fault.
     */
    public static GeneratorOptions parse(final String... args)
    {
        final Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2)
            {
                throw new IllegalArgumentException(arg + ": expected an option --name");
            }
            final String name = arg.substring(2);
            final boolean hasNext = i + 1 < args.length;
            if (FLAGS.contains(name) && (!hasNext || args[i + 1].startsWith("--")))
            {
                values.put(name, "true");
            }
            else if (!hasNext)
            {
                throw new IllegalArgumentException(arg + ": missing value");
            }
            else
            {
                values.put(name, args[++i]);
            }
        }
        return new GeneratorOptions(values);
    }

    /**
     * @return true when the arguments ask for the usage text.
     */
    public static boolean isHelp(final String... args)
    {
        for (final String arg : args)
        {
            if ("--help".equals(arg) || "-h".equals(arg))
            {
                return true;
            }
        }
        return false;
    }

    public static String usage()
    {
        return String.join(System.lineSeparator(),
            "usage: java -jar soundrelay-tools.jar [--name value]...",
            "Sends paced audio-sized datagrams through a SoundRelay node and checks every one that comes back.",
            "",
            "  --api URL                 control API (default " + DEFAULT_API + ")",
            "  --api-key KEY             sent as Authorization: Bearer KEY (default none)",
            "  --relay HOST:PORT         the node's relay socket (default " + DEFAULT_RELAY + ")",
            "  --bind-host IP            address the generator's sockets bind to (default " + DEFAULT_BIND_HOST + ")",
            "  --streams N               streams (default " + DEFAULT_STREAMS + ")",
            "  --pps N                   packets per second per stream (default " + DEFAULT_PPS + ")",
            "  --seconds S               how long to send (default " + DEFAULT_SECONDS + ")",
            "  --payload-bytes N         payload per datagram, 24 or more (default " + DEFAULT_PAYLOAD_BYTES + ")",
            "  --mode frames|rtp         SoundRelay frames v1, or RTP routed by SSRC (default frames)",
            "  --deliver payload|framed  the routes' deliver field (default payload; RTP is always whole)",
            "  --first-stream-id N       id of the first stream (default " + DEFAULT_FIRST_STREAM_ID + ")",
            "  --create-routes B         POST a route per stream first, DELETE it after (default true);",
            "                            false: send to --relay, receive whatever arrives",
            "  --senders N               sender sockets, one thread each (default " + DEFAULT_SENDERS + ")",
            "  --receivers N             receiver sockets, one thread each (default " + DEFAULT_RECEIVERS + ")",
            "  --rate-unlimited          send as fast as possible instead of --pps",
            "  --report-interval S       seconds between progress lines (default " +
                DEFAULT_REPORT_INTERVAL_SECONDS + ")",
            "  --allow-loss-percent X    loss that still passes (default " + DEFAULT_ALLOW_LOSS_PERCENT + ")",
            "  --grace-ms N              wait after the last send for stragglers (default " + DEFAULT_GRACE_MS + ")",
            "  --stranger B              also send datagrams that must be dropped: from an unregistered socket,",
            "                            and for stream ids without a route; any that arrives fails the run",
            "  --help                    this text",
            "",
            "Exit status: 0 when every datagram arrived byte-exact, once, within the allowed loss; 1 otherwise;",
            "2 for bad options.");
    }

    public URI api()
    {
        return api;
    }

    /**
     * @return the API key, or null to send no Authorization header.
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

    public int pps()
    {
        return pps;
    }

    public double seconds()
    {
        return seconds;
    }

    public int payloadBytes()
    {
        return payloadBytes;
    }

    public Deliver deliver()
    {
        return deliver;
    }

    public Mode mode()
    {
        return mode;
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
     * @return packets each stream sends when paced.
     */
    public int packetsPerStream()
    {
        return (int)Math.max(1, Math.round(pps * seconds));
    }

    public String toString()
    {
        return streams + " streams x " + (rateUnlimited ? "unlimited" : pps + " pps") + " for " + seconds + " s, " +
            mode.name().toLowerCase(Locale.ROOT) + (mode == Mode.FRAMES ? "/" + deliver.wireName() : "") + ", " +
            payloadBytes + "-byte payload, streams " + firstStreamId + ".." + lastTrafficStreamId() + " -> " +
            relay.getAddress().getHostAddress() + ":" + relay.getPort() + ", " + senders + " senders, " +
            receivers + " receivers" + (createRoutes ? ", routes via " + api : ", no routes") +
            (stranger ? ", with stranger traffic" : "");
    }

    private static IllegalArgumentException bad(final String name, final String value, final String why)
    {
        return new IllegalArgumentException("--" + name + "=" + value + ": " + why);
    }

    private static int intValue(
        final Map<String, String> values, final String name, final int defaultValue, final int min, final int max)
    {
        return (int)longValue(values, name, defaultValue, min, max);
    }

    private static long longValue(
        final Map<String, String> values, final String name, final long defaultValue, final long min, final long max)
    {
        final String text = values.remove(name);
        if (null == text)
        {
            return defaultValue;
        }
        final long value;
        try
        {
            value = Long.parseLong(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw bad(name, text, "not an integer");
        }
        if (value < min || value > max)
        {
            throw bad(name, text, "must be between " + min + " and " + max);
        }
        return value;
    }

    private static double doubleValue(
        final Map<String, String> values,
        final String name,
        final double defaultValue,
        final double min,
        final double max)
    {
        final String text = values.remove(name);
        if (null == text)
        {
            return defaultValue;
        }
        final double value;
        try
        {
            value = Double.parseDouble(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw bad(name, text, "not a number");
        }
        if (!(value >= min && value <= max))
        {
            throw bad(name, text, "must be between " + min + " and " + max);
        }
        return value;
    }

    private static boolean booleanValue(final Map<String, String> values, final String name, final boolean defaultValue)
    {
        final String text = values.remove(name);
        if (null == text)
        {
            return defaultValue;
        }
        switch (text.trim().toLowerCase(Locale.ROOT))
        {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw bad(name, text, "expected true or false");
        }
    }

    private static <E extends Enum<E>> E enumValue(
        final Map<String, String> values, final String name, final E defaultValue, final Class<E> type)
    {
        final String text = values.remove(name);
        if (null == text)
        {
            return defaultValue;
        }
        for (final E constant : type.getEnumConstants())
        {
            if (constant.name().equalsIgnoreCase(text.trim()))
            {
                return constant;
            }
        }
        final StringBuilder expected = new StringBuilder();
        for (final E constant : type.getEnumConstants())
        {
            expected.append(expected.length() == 0 ? "" : " or ").append(constant.name().toLowerCase(Locale.ROOT));
        }
        throw bad(name, text, "expected " + expected);
    }

    private static URI uri(final Map<String, String> values, final String name, final String defaultValue)
    {
        final String text = values.getOrDefault(name, defaultValue);
        values.remove(name);
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

    private static InetSocketAddress socketAddress(
        final Map<String, String> values, final String name, final String defaultValue)
    {
        final String text = values.getOrDefault(name, defaultValue);
        values.remove(name);
        try
        {
            return parseSocketAddress(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(name, text, ex.getMessage());
        }
    }

    private static String bindHost(final Map<String, String> values, final String name, final String defaultValue)
    {
        final String text = values.getOrDefault(name, defaultValue).trim();
        values.remove(name);
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(text);
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
        if (port < 1 || port > 65535)
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
}
