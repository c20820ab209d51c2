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

import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a {@link MigrateDrill} does, validated as a whole when {@link Builder#build()} makes it: the nodes, the
 * migration schedule, and the traffic, which is a generator's ({@link #traffic()}: one sender, one receiver, whole
 * SoundRelay frames). A bad value is refused with {@code --name=value: why}, naming the {@code migrate-drill} option.
 *
 * @param nodes         the nodes' control URLs in the order given; GET /nodes goes to the first.
 * @param apiKey        sent as {@code Authorization: Bearer}, or null for none. Never printed.
 * @param migrations    streams migrated, each a different one.
 * @param intervalMs    milliseconds between the starts of two migrations.
 * @param switchAfterMs milliseconds a migrated stream keeps going to its old node after the migration's answer.
 * @param settleMs      milliseconds of sending after the last migration's answer.
 * @param traffic       the streams: count, rate, payload size, ids and the address the sockets bind.
 */
record DrillOptions(
    List<URI> nodes,
    String apiKey,
    int migrations,
    long intervalMs,
    long switchAfterMs,
    long settleMs,
    GeneratorOptions traffic)
{
    static final int DEFAULT_STREAMS = GeneratorOptions.DEFAULT_STREAMS;
    static final int DEFAULT_MIGRATIONS = 20;
    static final int DEFAULT_PPS = GeneratorOptions.DEFAULT_PPS;
    static final int DEFAULT_PAYLOAD_BYTES = GeneratorOptions.DEFAULT_PAYLOAD_BYTES;
    static final int DEFAULT_INTERVAL_MS = 1000;
    static final int DEFAULT_SWITCH_AFTER_MS = 1000;
    static final int DEFAULT_SETTLE_MS = 2000;
    static final String DEFAULT_BIND = GeneratorOptions.DEFAULT_BIND_HOST;

    static final int MAX_NODES = 64;
    static final int MAX_PPS = 10_000;
    static final long MAX_MS = 3_600_000;
    // The sender runs for at most a generator's longest run; the drill must end well before it would stop.
    private static final long MAX_PLAN_MS = (long)(GeneratorOptions.MAX_DURATION_SECONDS * 1000) - MAX_MS;

    /**
     * @return streams sent and routed.
     */
    int streams()
    {
        return traffic.streams();
    }

    /**
     * @return a builder holding every default.
     */
    static Builder builder()
    {
        return new Builder();
    }

    /**
     * Collects settings; {@link #build()} validates them together. Every setting left alone keeps its default. Each
     * field is also its {@code migrate-drill} option, declared once: {@link MigrateDrillCommand} takes the builder as
     * a mixin.
     */
    static final class Builder
    {
        @Option(names = "--node", paramLabel = "URL", required = true, order = 1,
            description = "A node's control API, http://host:port. Repeat for each node, at least two; GET /nodes " +
                "goes to the first.")
        private List<String> nodes = new ArrayList<>();

        @Option(names = "--api-key", paramLabel = "KEY", order = 2,
            description = "Sent as 'Authorization: Bearer KEY' to every node. Default: the " +
                LoadgenCommand.API_KEY_ENV + " environment variable, else none. Never printed.")
        private String apiKey;

        @Option(names = "--streams", paramLabel = "N", order = 3, defaultValue = "" + DEFAULT_STREAMS,
            description = "Streams, routed round robin over the nodes. Default: ${DEFAULT-VALUE}.")
        private int streams = DEFAULT_STREAMS;

        @Option(names = "--migrations", paramLabel = "N", order = 4,
            description = "Streams to migrate, one every --interval-ms, each a different one: at most --streams. " +
                "Default: " + DEFAULT_MIGRATIONS + ", or --streams when fewer.")
        private Integer migrations;

        @Option(names = "--pps", paramLabel = "N", order = 5, defaultValue = "" + DEFAULT_PPS,
            description = "Packets per second per stream (a decimal is fine), at most " + MAX_PPS +
                ". Default: ${DEFAULT-VALUE}.")
        private double pps = DEFAULT_PPS;

        @Option(names = "--payload-bytes", paramLabel = "N", order = 6,
            defaultValue = "" + DEFAULT_PAYLOAD_BYTES,
            description = "Payload per frame, 24 to 1480; the frame adds its 20-byte header. " +
                "Default: ${DEFAULT-VALUE}.")
        private int payloadBytes = DEFAULT_PAYLOAD_BYTES;

        @Option(names = "--interval-ms", paramLabel = "MS", order = 7,
            defaultValue = "" + DEFAULT_INTERVAL_MS,
            description = "Between the starts of two migrations; the first starts one interval after sending does. " +
                "Default: ${DEFAULT-VALUE}.")
        private long intervalMs = DEFAULT_INTERVAL_MS;

        @Option(names = "--switch-after-ms", paramLabel = "MS", order = 8,
            defaultValue = "" + DEFAULT_SWITCH_AFTER_MS,
            description = "After a migration's answer the stream still goes to its old node, which forwards it to " +
                "the new one, for MS; then it goes to the new node. Keep it below the nodes' grace window " +
                "(MIGRATION_GRACE_SECONDS, default 30 s). Default: ${DEFAULT-VALUE}.")
        private long switchAfterMs = DEFAULT_SWITCH_AFTER_MS;

        @Option(names = "--settle-ms", paramLabel = "MS", order = 9, defaultValue = "" + DEFAULT_SETTLE_MS,
            description = "Sending goes on for MS after the last migration's answer; more than --switch-after-ms. " +
                "Default: ${DEFAULT-VALUE}.")
        private long settleMs = DEFAULT_SETTLE_MS;

        @Option(names = "--bind", paramLabel = "IP", order = 10, defaultValue = DEFAULT_BIND,
            description = "Address the source and receiver sockets bind, the routes' source_addr and target: a " +
                "concrete one the nodes reach, no wildcard. Default: ${DEFAULT-VALUE}.")
        private String bind = DEFAULT_BIND;

        private long firstStreamId = GeneratorOptions.DEFAULT_FIRST_STREAM_ID;

        private Builder()
        {
        }

        /**
         * @param nodes control URLs, {@code http://host:port}; at least two, the first answering GET /nodes.
         */
        Builder nodes(final List<String> nodes)
        {
            this.nodes = new ArrayList<>(nodes);
            return this;
        }

        /**
         * @param apiKey sent as {@code Authorization: Bearer}; null or blank for none.
         */
        Builder apiKey(final String apiKey)
        {
            this.apiKey = apiKey;
            return this;
        }

        /**
         * @return the API key given, or null.
         */
        String apiKey()
        {
            return apiKey;
        }

        Builder streams(final int streams)
        {
            this.streams = streams;
            return this;
        }

        /**
         * @param migrations streams to migrate, at most {@link #streams(int)}; null for the default: 20, or every
         *                   stream when there are fewer.
         */
        Builder migrations(final Integer migrations)
        {
            this.migrations = migrations;
            return this;
        }

        Builder pps(final double pps)
        {
            this.pps = pps;
            return this;
        }

        Builder payloadBytes(final int payloadBytes)
        {
            this.payloadBytes = payloadBytes;
            return this;
        }

        Builder intervalMs(final long intervalMs)
        {
            this.intervalMs = intervalMs;
            return this;
        }

        Builder switchAfterMs(final long switchAfterMs)
        {
            this.switchAfterMs = switchAfterMs;
            return this;
        }

        Builder settleMs(final long settleMs)
        {
            this.settleMs = settleMs;
            return this;
        }

        /**
         * @param bind the address both sockets bind: a concrete one, the routes' source and target.
         */
        Builder bind(final String bind)
        {
            this.bind = bind;
            return this;
        }

        /**
         * @param firstStreamId stream {@code i} is {@code firstStreamId + i}; 1 to 2^62 - 1.
         */
        Builder firstStreamId(final long firstStreamId)
        {
            this.firstStreamId = firstStreamId;
            return this;
        }

        /**
         * @return the validated options.
         * @throws IllegalArgumentException {@code --name=value: why}, naming the migrate-drill option at fault.
         */
        DrillOptions build()
        {
            final List<URI> urls = nodeUrls(nodes, "a migration needs at least two nodes");
            final GeneratorOptions traffic = traffic(bind, streams, pps, payloadBytes, firstStreamId);

            final int count = null == migrations ? Math.min(DEFAULT_MIGRATIONS, streams) : migrations;
            if (count < 1)
            {
                throw bad("migrations", Integer.toString(count), "must be at least 1");
            }
            if (count > streams)
            {
                throw bad("migrations", Integer.toString(count),
                    "each migration moves a different stream: at most --streams=" + streams);
            }
            check("interval-ms", intervalMs, 1);
            check("switch-after-ms", switchAfterMs, 0);
            check("settle-ms", settleMs, 0);
            if (settleMs <= switchAfterMs)
            {
                throw bad("settle-ms", Long.toString(settleMs), "must be longer than --switch-after-ms=" +
                    switchAfterMs + ", so that the last migrated stream switches before sending stops");
            }
            if (count * intervalMs + settleMs > MAX_PLAN_MS)
            {
                throw bad("interval-ms", Long.toString(intervalMs), "with --migrations=" + count +
                    " the drill would send for more than " + MAX_PLAN_MS / 3_600_000 + " hours");
            }

            final String key = null == apiKey || apiKey.isBlank() ? null : apiKey.trim();
            return new DrillOptions(urls, key, count, intervalMs, switchAfterMs, settleMs, traffic);
        }

        private static void check(final String name, final long value, final long min)
        {
            if (value < min || value > MAX_MS)
            {
                throw bad(name, Long.toString(value), "must be between " + min + " and " + MAX_MS);
            }
        }

        private static IllegalArgumentException bad(final String name, final String value, final String why)
        {
            return new IllegalArgumentException("--" + name + "=" + value + ": " + why);
        }
    }

    /**
     * Check the {@code --node} URLs a drill is given.
     *
     * @param tooFew why fewer than two nodes will not do, for the message.
     * @return the URLs in the order given.
     * @throws IllegalArgumentException naming --node: fewer than two, more than {@link #MAX_NODES}, a URL that is
     *                                  not one, or a node given twice.
     */
    static List<URI> nodeUrls(final List<String> nodes, final String tooFew)
    {
        if (nodes.size() < 2)
        {
            throw new IllegalArgumentException("--node: " + tooFew + ", " +
                (nodes.isEmpty() ? "none" : "only " + nodes.get(0)) + " given");
        }
        if (nodes.size() > MAX_NODES)
        {
            throw new IllegalArgumentException("--node: at most " + MAX_NODES + " nodes, " + nodes.size() +
                " given");
        }
        final List<URI> urls = new ArrayList<>();
        final List<String> seen = new ArrayList<>();
        for (final String node : nodes)
        {
            final URI url = OptionChecks.uri("node", node);
            final String hostPort = url.getHost() + ":" + port(url);
            if (seen.contains(hostPort))
            {
                throw OptionChecks.bad("node", node, "given twice (" + hostPort + ")");
            }
            seen.add(hostPort);
            urls.add(url);
        }
        return Collections.unmodifiableList(urls);
    }

    /**
     * A drill's traffic: one sender, one receiver, whole SoundRelay frames, framed routes, a stream's destination
     * its owner. The generator's own checks name --streams, --pps and --payload-bytes, as the drills do.
     *
     * @throws IllegalArgumentException naming --bind, --streams, --pps or --payload-bytes.
     */
    static GeneratorOptions traffic(
        final String bind, final int streams, final double pps, final int payloadBytes, final long firstStreamId)
    {
        final String bindHost = OptionChecks.bindHost("bind", bind);
        if (!(pps > 0 && pps <= MAX_PPS))
        {
            throw OptionChecks.bad("pps", pps == Math.rint(pps) ? Long.toString((long)pps) : Double.toString(pps),
                "must be more than 0 and at most " + MAX_PPS);
        }
        // The relay is a placeholder: the drill gives every stream a destination of its own, the stream's owner.
        return GeneratorOptions.builder()
            .relay(RouteClient.format(new InetSocketAddress(bindHost, 1)))
            .bindHost(bindHost)
            .streams(streams)
            .pps(pps)
            .payloadBytes(payloadBytes)
            .wire(GeneratorOptions.Wire.SR)
            .deliver(GeneratorOptions.Deliver.FRAMED)
            .createRoutes(true)
            .firstStreamId(firstStreamId)
            .senders(1)
            .receivers(1)
            .durationSeconds(GeneratorOptions.MAX_DURATION_SECONDS)
            .build();
    }

    /**
     * @return the URL's port, or its scheme's default.
     */
    static int port(final URI url)
    {
        if (url.getPort() >= 0)
        {
            return url.getPort();
        }
        return "https".equals(url.getScheme()) ? 443 : 80;
    }
}
