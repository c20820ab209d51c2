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

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@link RollingDrill} does, validated as a whole when {@link Builder#build()} makes it. A bad value is refused
 * with {@code --name=value: why}, naming the {@code rolling-drill} option.
 *
 * @param nodes          the nodes' control URLs in the order given, the order of the roll; GET /nodes goes to the
 *                       first.
 * @param apiKey         sent as {@code Authorization: Bearer}, or null for none. Never printed.
 * @param restartCommand the shell command that restarts a node, with {@link #NODE_ID} and {@link #CONTROL_URL}
 *                       placeholders; null when the drill is given a restart of its own (tests).
 * @param checkMs        how often each stream's source asks GET /route/{id} who owns its route.
 * @param settleMs       after a node is back and every stream has a live owner, the wait before the next node, and
 *                       after the last node before sending stops.
 * @param timeoutMs      how long one node's restart may take: from the restart command's start until the node is
 *                       live and ready again and every stream has a live owner.
 * @param traffic        the streams: count, rate, payload size, ids and the address the sockets bind.
 */
record RollingDrillOptions(
    List<URI> nodes,
    String apiKey,
    String restartCommand,
    long checkMs,
    long settleMs,
    long timeoutMs,
    GeneratorOptions traffic)
{
    static final String NODE_ID = "{node_id}";
    static final String CONTROL_URL = "{control_url}";
    static final int DEFAULT_CHECK_MS = 250;
    static final int DEFAULT_SETTLE_MS = 3000;
    static final int DEFAULT_TIMEOUT_MS = 180_000;
    static final long MAX_CHECK_MS = 60_000;

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{[^{}\\s]*}");

    /**
     * @return streams sent and routed.
     */
    int streams()
    {
        return traffic.streams();
    }

    /**
     * @return the restart command for one node, its placeholders filled in.
     */
    String restartCommand(final String nodeId, final URI controlUrl)
    {
        return restartCommand.replace(NODE_ID, nodeId).replace(CONTROL_URL, controlUrl.toString());
    }

    /**
     * @return a builder holding every default.
     */
    static Builder builder()
    {
        return new Builder();
    }

    /**
     * Collects settings; {@link #build()} validates them together. Each field is also its {@code rolling-drill}
     * option, declared once: {@link RollingDrillCommand} takes the builder as a mixin.
     */
    static final class Builder
    {
        @Option(names = { "--node", "--nodes" }, paramLabel = "URL", required = true, split = ",", order = 1,
            description = "A node's control API, http://host:port. Repeat, or give several separated by commas: " +
                "at least two. The nodes restart in this order; GET /nodes goes to the first.")
        private List<String> nodes = new ArrayList<>();

        @Option(names = "--api-key", paramLabel = "KEY", order = 2,
            description = "Sent as 'Authorization: Bearer KEY' to every node. Default: the " +
                LoadgenCommand.API_KEY_ENV + " environment variable, else none. Never printed.")
        private String apiKey;

        @Option(names = "--restart-command", paramLabel = "CMD", order = 3,
            description = "Run with 'sh -c' for each node in turn; it must send the node SIGTERM and start it " +
                "again, e.g. 'systemctl restart soundrelay@{node_id}' or 'kubectl delete pod {node_id}'. " +
                "Placeholders: " + NODE_ID + ", " + CONTROL_URL + " (also in the environment as " +
                "SOUNDRELAY_NODE_ID and SOUNDRELAY_CONTROL_URL).")
        private String restartCommand;

        @Option(names = "--streams", paramLabel = "N", order = 4, defaultValue = "" + DrillOptions.DEFAULT_STREAMS,
            description = "Streams, each routed on the least-loaded node. Default: ${DEFAULT-VALUE}.")
        private int streams = DrillOptions.DEFAULT_STREAMS;

        @Option(names = "--pps", paramLabel = "N", order = 5, defaultValue = "" + DrillOptions.DEFAULT_PPS,
            description = "Packets per second per stream (a decimal is fine), at most " + DrillOptions.MAX_PPS +
                ". Default: ${DEFAULT-VALUE}.")
        private double pps = DrillOptions.DEFAULT_PPS;

        @Option(names = "--payload-bytes", paramLabel = "N", order = 6,
            defaultValue = "" + DrillOptions.DEFAULT_PAYLOAD_BYTES,
            description = "Payload per frame, 24 to 1480; the frame adds its 20-byte header. " +
                "Default: ${DEFAULT-VALUE}.")
        private int payloadBytes = DrillOptions.DEFAULT_PAYLOAD_BYTES;

        @Option(names = "--check-ms", paramLabel = "MS", order = 7, defaultValue = "" + DEFAULT_CHECK_MS,
            description = "Each stream's source asks its node GET /route/{id} every MS (another node when that " +
                "fails) and moves to the owner it names. Default: ${DEFAULT-VALUE}.")
        private long checkMs = DEFAULT_CHECK_MS;

        @Option(names = "--settle-ms", paramLabel = "MS", order = 8, defaultValue = "" + DEFAULT_SETTLE_MS,
            description = "Wait after a node is back before the next one, and after the last before sending " +
                "stops. Default: ${DEFAULT-VALUE}.")
        private long settleMs = DEFAULT_SETTLE_MS;

        @Option(names = "--timeout-ms", paramLabel = "MS", order = 9, defaultValue = "" + DEFAULT_TIMEOUT_MS,
            description = "Longest time one node may take, from the restart command's start until it is live and " +
                "ready (GET /readyz 200) again and every stream has a live owner; more than the nodes' " +
                "DRAIN_TIMEOUT_SECONDS. Default: ${DEFAULT-VALUE}.")
        private long timeoutMs = DEFAULT_TIMEOUT_MS;

        @Option(names = "--bind", paramLabel = "IP", order = 10, defaultValue = DrillOptions.DEFAULT_BIND,
            description = "Address the source and receiver sockets bind, the routes' source_addr and target: a " +
                "concrete one the nodes reach, no wildcard. Default: ${DEFAULT-VALUE}.")
        private String bind = DrillOptions.DEFAULT_BIND;

        private long firstStreamId = GeneratorOptions.DEFAULT_FIRST_STREAM_ID;
        private boolean restartGiven;

        private Builder()
        {
        }

        Builder nodes(final List<String> nodes)
        {
            this.nodes = new ArrayList<>(nodes);
            return this;
        }

        Builder apiKey(final String apiKey)
        {
            this.apiKey = apiKey;
            return this;
        }

        String apiKey()
        {
            return apiKey;
        }

        Builder restartCommand(final String restartCommand)
        {
            this.restartCommand = restartCommand;
            return this;
        }

        /**
         * The drill is given a restart of its own (a test's): no --restart-command needed.
         */
        Builder restartGiven()
        {
            this.restartGiven = true;
            return this;
        }

        Builder streams(final int streams)
        {
            this.streams = streams;
            return this;
        }

        Builder pps(final double pps)
        {
            this.pps = pps;
            return this;
        }

        Builder checkMs(final long checkMs)
        {
            this.checkMs = checkMs;
            return this;
        }

        Builder settleMs(final long settleMs)
        {
            this.settleMs = settleMs;
            return this;
        }

        Builder timeoutMs(final long timeoutMs)
        {
            this.timeoutMs = timeoutMs;
            return this;
        }

        Builder bind(final String bind)
        {
            this.bind = bind;
            return this;
        }

        Builder firstStreamId(final long firstStreamId)
        {
            this.firstStreamId = firstStreamId;
            return this;
        }

        /**
         * @return the validated options.
         * @throws IllegalArgumentException {@code --name=value: why}, naming the rolling-drill option at fault.
         */
        RollingDrillOptions build()
        {
            final List<URI> urls = DrillOptions.nodeUrls(nodes, "a drain moves routes to a peer: at least two nodes");
            final String command = restartGiven ? null : restartCommand();
            final GeneratorOptions traffic = DrillOptions.traffic(bind, streams, pps, payloadBytes, firstStreamId);
            OptionChecks.check("check-ms", checkMs, 10, MAX_CHECK_MS);
            OptionChecks.check("settle-ms", settleMs, 0, DrillOptions.MAX_MS);
            OptionChecks.check("timeout-ms", timeoutMs, 1000, DrillOptions.MAX_MS);
            if (timeoutMs <= checkMs)
            {
                throw OptionChecks.bad("timeout-ms", Long.toString(timeoutMs),
                    "must be longer than --check-ms=" + checkMs);
            }
            final String key = null == apiKey || apiKey.isBlank() ? null : apiKey.trim();
            return new RollingDrillOptions(urls, key, command, checkMs, settleMs, timeoutMs, traffic);
        }

        private String restartCommand()
        {
            if (null == restartCommand || restartCommand.isBlank())
            {
                throw new IllegalArgumentException("--restart-command: missing; the drill restarts each node with " +
                    "it, e.g. --restart-command='systemctl restart soundrelay@" + NODE_ID + "'");
            }
            final Matcher placeholder = PLACEHOLDER.matcher(restartCommand);
            while (placeholder.find())
            {
                final String found = placeholder.group();
                if (!found.equals(NODE_ID) && !found.equals(CONTROL_URL))
                {
                    throw OptionChecks.bad("restart-command", restartCommand, "unknown placeholder " + found +
                        "; the placeholders are " + NODE_ID + " and " + CONTROL_URL);
                }
            }
            return restartCommand.trim();
        }
    }
}
