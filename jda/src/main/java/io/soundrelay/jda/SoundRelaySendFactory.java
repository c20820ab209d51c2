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
package io.soundrelay.jda;

import net.dv8tion.jda.api.audio.factory.IAudioSendFactory;
import net.dv8tion.jda.api.audio.factory.IPacketProvider;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A JDA audio send factory that sends every voice connection's packets through a SoundRelay node instead of from
 * the bot's own process:
 * <pre>{@code
 * InetSocketAddress relay = new InetSocketAddress("203.0.113.7", 4000);
 * JDABuilder.createLight(token, GatewayIntent.GUILD_VOICE_STATES)
 *     .setAudioSendFactory(new SoundRelaySendFactory(relay, "http://203.0.113.7:4300", System.getenv("SR_KEY")))
 *     ...
 * }</pre>
 * Each connection gets a {@link SoundRelaySendSystem}: its own UDP socket, a route on the node from that socket to
 * the connection's voice server (stream id = the connection's SSRC), 20 ms pacing, and the route's removal when
 * the connection ends. JDA still encodes and encrypts; the node forwards the packets byte for byte.
 * <p>
 * With {@link Builder#paceMs(int)} the node paces instead (its routes carry {@code pace_ms}, issue 19): each send
 * system takes JDA's packets up to that far ahead of their time and the node sends them on their slots, so a stall of
 * the bot's JVM shorter than {@code paceMs} leaves no gap at the voice server. This replaces the send buffer that
 * jda-nas keeps filled natively (400 ms). It needs a node that paces; one that does not know {@code pace_ms} refuses
 * the route (400), which {@link SoundRelaySendSystem#lastRouteError()} reports.
 * <p>
 * <b>Several nodes.</b> {@link #builder(List)} takes the control APIs of several nodes of one cluster (sharing a
 * Redis), and {@link Builder#node(String, InetSocketAddress)} adds one whose relay address is known; the others' come
 * from {@code GET /nodes} ({@code relay_addr}):
 * <pre>{@code
 * SoundRelaySendFactory.builder(List.of("http://relay-1:4300", "http://relay-2:4300")).apiKey(key).build()
 * }</pre>
 * A connection's route goes on the least loaded node ({@code active_routes} in {@code GET /nodes}), leaving out nodes
 * that drain; a node that does not answer or refuses ({@code 503} while full or draining included) is skipped for the
 * next at once. Every {@link Builder#checkInterval(Duration)} (1 s) the send system asks the route's node for the
 * route ({@code GET /route/{id}}): when a migration ({@code POST /migrate}) or a drain gave it to another node, the
 * packets go to that node's relay address from then on (the old node forwards what reaches it meanwhile); when the
 * node does not answer, answers {@code 5xx} or lost the route ({@code 404}), the route is created on another node
 * and the packets go there. With one node, as with the constructor, nothing of that is asked but the check.
 * <p>
 * Thread safe; one factory serves every connection of a bot (and of its shards).
 */
public final class SoundRelaySendFactory implements IAudioSendFactory
{
    /** Default bound on each control API request, connection included. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /** Default number of packets held while a route is not yet confirmed: 100 ms of audio. */
    public static final int DEFAULT_MAX_HELD_PACKETS = 5;
    /** Upper bound of {@link Builder#maxHeldPackets(int)}: 10 s of audio. */
    public static final int MAX_HELD_PACKETS_LIMIT = 500;
    /** Default of {@link Builder#paceMs(int)}: no lead, packets leave on their 20 ms ticks, the route is not paced. */
    public static final int DEFAULT_PACE_MS = 0;
    /** Upper bound of {@link Builder#paceMs(int)}, as the node's ({@code pace_ms} 0-2000). */
    public static final int MAX_PACE_MS = 2000;
    /** A silent connection's route gets a keep-alive this often, far inside the node's ROUTE_TTL_SECONDS. */
    static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(10);
    /** Default of {@link Builder#checkInterval(Duration)}: how often a route is checked on its node. */
    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(1);

    private final List<NodeDirectory.Configured> nodeList;
    private final NodeDirectory nodes;
    private final Duration checkInterval;
    private final String apiKey;
    private final InetAddress bindAddress;
    private final InetAddress publicAddress;
    private final Duration requestTimeout;
    private final int maxHeldPackets;
    private final int paceMs;
    private final long keepAliveIntervalNs;
    private final HttpClient http;
    private final Set<SoundRelaySendSystem> live = ConcurrentHashMap.newKeySet();

    /**
     * Send through the node at {@code relay}, managing routes at {@code controlUrl}, with the defaults for the rest.
     *
     * @param relay      the node's relay address (its {@code BIND_ADDR} as the bot reaches it), resolved.
     * @param controlUrl the node's control API, e.g. {@code http://127.0.0.1:4300}.
     * @param apiKey     one of the node's {@code API_KEYS}, or null when the node runs with {@code AUTH_ENABLED=false}.
     * @throws IllegalArgumentException when the relay address is unresolved or the URL is not http(s).
     */
    public SoundRelaySendFactory(final InetSocketAddress relay, final String controlUrl, final String apiKey)
    {
        this(builder(relay, controlUrl).apiKey(apiKey));
    }

    private SoundRelaySendFactory(final Builder builder)
    {
        if (builder.nodes.isEmpty())
        {
            throw new IllegalArgumentException("controlUrls must name at least one node");
        }
        this.nodeList = List.copyOf(builder.nodes);
        this.checkInterval = builder.checkInterval;
        this.apiKey = builder.apiKey;
        this.bindAddress = builder.bindAddress;
        this.publicAddress = builder.publicAddress;
        this.requestTimeout = builder.requestTimeout;
        this.maxHeldPackets = builder.maxHeldPackets;
        this.paceMs = builder.paceMs;
        this.keepAliveIntervalNs = builder.keepAliveInterval.toNanos();
        this.http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(requestTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
        this.nodes = new NodeDirectory(nodeList, http, apiKey, requestTimeout);
    }

    /**
     * Options beyond the constructor's: start here, then {@link Builder#build()}.
     *
     * @param relay      the node's relay address, resolved.
     * @param controlUrl the node's control API.
     * @return a builder with the defaults.
     * @throws IllegalArgumentException when the relay address is unresolved or the URL is not http(s).
     */
    public static Builder builder(final InetSocketAddress relay, final String controlUrl)
    {
        final Builder builder = new Builder();
        builder.node(controlUrl, Objects.requireNonNull(relay, "relay"));
        return builder;
    }

    /**
     * Several nodes of one cluster: their relay addresses come from {@code GET /nodes} ({@code relay_addr}); add
     * nodes whose relay address is known with {@link Builder#node(String, InetSocketAddress)}.
     *
     * @param controlUrls the nodes' control APIs, e.g. {@code http://relay-1:4300}; none twice.
     * @return a builder with the defaults.
     * @throws IllegalArgumentException when a URL is not http(s) or is there twice.
     */
    public static Builder builder(final List<String> controlUrls)
    {
        final Builder builder = new Builder();
        for (int i = 0; i < controlUrls.size(); i++)
        {
            builder.node(Objects.requireNonNull(controlUrls.get(i), "controlUrls[" + i + "]"), null);
        }
        return builder;
    }

    /**
     * Called by JDA for each voice connection that has something to send.
     *
     * @param packetProvider the connection's packets.
     * @return a send system that is not started yet.
     */
    @Override
    public SoundRelaySendSystem createSendSystem(final IPacketProvider packetProvider)
    {
        final SoundRelaySendSystem system = new SoundRelaySendSystem(packetProvider, this);
        live.add(system);
        return system;
    }

    /**
     * Wait until every send system of this factory has been shut down and has finished: its route deleted (or given
     * up on) and its socket closed. For a bot's exit: shut JDA down, then wait here so that the routes are gone
     * before the JVM ends; otherwise the node expires them after {@code ROUTE_TTL_SECONDS}.
     *
     * @param timeout how long to wait at most.
     * @return true when all have finished, false on timeout.
     * @throws InterruptedException when interrupted while waiting.
     */
    public boolean awaitShutdown(final Duration timeout) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        for (final SoundRelaySendSystem system : live.toArray(new SoundRelaySendSystem[0]))
        {
            if (!system.awaitTermination(Duration.ofNanos(Math.max(0, deadlineNs - System.nanoTime()))))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return the first node's relay address, or null when it comes from {@code GET /nodes}; with several nodes, a
     *         route's packets go to the relay address of the node that holds it.
     */
    public InetSocketAddress relay()
    {
        return nodeList.get(0).relay();
    }

    /**
     * @return the first node's control API, without a trailing slash.
     */
    public String controlUrl()
    {
        return nodeList.get(0).controlUrl();
    }

    /**
     * @return every node's control API, in the configured order, without trailing slashes.
     */
    public List<String> controlUrls()
    {
        final List<String> urls = new ArrayList<>();
        for (final NodeDirectory.Configured node : nodeList)
        {
            urls.add(node.controlUrl());
        }
        return List.copyOf(urls);
    }

    /**
     * @return how often a route is checked on its node.
     */
    public Duration checkInterval()
    {
        return checkInterval;
    }

    /**
     * @return the factory's settings; never the API key, only whether there is one.
     */
    @Override
    public String toString()
    {
        final StringBuilder nodeText = new StringBuilder();
        for (final NodeDirectory.Configured node : nodeList)
        {
            nodeText.append(nodeText.isEmpty() ? "" : ", ").append(node.controlUrl())
                .append(null == node.relay() ? "" : " relay " + Addresses.format(node.relay()));
        }
        return "SoundRelaySendFactory{nodes=[" + nodeText + "], checkInterval=" + checkInterval +
            ", apiKey=" + (null == apiKey ? "none" : "set") + ", bindAddress=" + bindAddress +
            ", publicAddress=" + publicAddress + ", requestTimeout=" + requestTimeout +
            ", maxHeldPackets=" + maxHeldPackets + ", paceMs=" + paceMs + "}";
    }

    NodeDirectory nodes()
    {
        return nodes;
    }

    /**
     * @return how far ahead of their time the send systems send, in milliseconds, and the routes' {@code pace_ms};
     *         0 for none.
     */
    public int paceMs()
    {
        return paceMs;
    }

    InetAddress bindAddress()
    {
        return bindAddress;
    }

    InetAddress publicAddress()
    {
        return publicAddress;
    }

    int maxHeldPackets()
    {
        return maxHeldPackets;
    }

    long keepAliveIntervalNs()
    {
        return keepAliveIntervalNs;
    }

    void terminated(final SoundRelaySendSystem system)
    {
        live.remove(system);
    }

    /**
     * Options of a {@link SoundRelaySendFactory}.
     */
    public static final class Builder
    {
        private final List<NodeDirectory.Configured> nodes = new ArrayList<>();
        private Duration checkInterval = DEFAULT_CHECK_INTERVAL;
        private String apiKey;
        private InetAddress bindAddress;
        private InetAddress publicAddress;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxHeldPackets = DEFAULT_MAX_HELD_PACKETS;
        private int paceMs = DEFAULT_PACE_MS;
        private Duration keepAliveInterval = KEEPALIVE_INTERVAL;

        private Builder()
        {
        }

        /**
         * One more node of the cluster.
         *
         * @param controlUrl the node's control API; not one given already.
         * @param relay      the node's relay address as the bot reaches it, resolved; null to take its
         *                   {@code relay_addr} from {@code GET /nodes}.
         * @return this builder.
         * @throws IllegalArgumentException when the relay address is unresolved, the URL is not http(s) or is
         *                                  there already.
         */
        public Builder node(final String controlUrl, final InetSocketAddress relay)
        {
            Objects.requireNonNull(controlUrl, "controlUrl");
            if (null != relay && relay.isUnresolved())
            {
                throw new IllegalArgumentException("relay address " + relay + " is unresolved");
            }
            final String url = checkUrl(controlUrl);
            for (final NodeDirectory.Configured node : nodes)
            {
                if (node.controlUrl().equals(url))
                {
                    throw new IllegalArgumentException("controlUrl " + url + " is given twice");
                }
            }
            nodes.add(new NodeDirectory.Configured(url, relay));
            return this;
        }

        /**
         * How often each send system asks its route's node for the route ({@code GET /route/{id}}): the bound on how
         * long packets go to a node that no longer holds the route (a migration is followed within it at no loss,
         * a dead node costs about that much audio).
         *
         * @param checkInterval positive; default {@link #DEFAULT_CHECK_INTERVAL}.
         * @return this builder.
         */
        public Builder checkInterval(final Duration checkInterval)
        {
            if (checkInterval.isNegative() || checkInterval.toMillis() < 1)
            {
                throw new IllegalArgumentException("checkInterval must be at least 1 ms: " + checkInterval);
            }
            this.checkInterval = checkInterval;
            return this;
        }

        /**
         * @param apiKey sent as {@code Authorization: Bearer}; null or empty for none (a node with
         *               {@code AUTH_ENABLED=false}). Never logged.
         * @return this builder.
         */
        public Builder apiKey(final String apiKey)
        {
            this.apiKey = null == apiKey || apiKey.isEmpty() ? null : apiKey;
            return this;
        }

        /**
         * The local address each send system binds its socket to, on an ephemeral port. Default: the wildcard, and
         * the kernel picks the address of the route to the relay.
         *
         * @param bindAddress a local address, or null for the default.
         * @return this builder.
         */
        public Builder bindAddress(final InetAddress bindAddress)
        {
            this.bindAddress = bindAddress;
            return this;
        }

        /**
         * The address the node sees the bot's packets come from, when it is not the bot's own: behind a NAT that
         * keeps ports (a cloud VM's public IP, a 1:1 NAT), give the public IP. The route's {@code source_addr} is
         * this address with the socket's local port. Default: the socket's local address.
         *
         * @param publicAddress the address the node sees, or null for the default.
         * @return this builder.
         */
        public Builder publicAddress(final InetAddress publicAddress)
        {
            this.publicAddress = publicAddress;
            return this;
        }

        /**
         * @param requestTimeout bound on each control API request, connection included; positive.
         * @return this builder.
         */
        public Builder requestTimeout(final Duration requestTimeout)
        {
            if (requestTimeout.isNegative() || requestTimeout.isZero())
            {
                throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
            }
            this.requestTimeout = requestTimeout;
            return this;
        }

        /**
         * Packets held while a route is created or changed; when more come, the oldest are dropped. Once the node
         * confirms the route, the held packets go first, in order. 0 drops every packet sent before confirmation.
         *
         * @param maxHeldPackets 0 to {@link #MAX_HELD_PACKETS_LIMIT}; default {@link #DEFAULT_MAX_HELD_PACKETS}.
         * @return this builder.
         */
        public Builder maxHeldPackets(final int maxHeldPackets)
        {
            if (maxHeldPackets < 0 || maxHeldPackets > MAX_HELD_PACKETS_LIMIT)
            {
                throw new IllegalArgumentException(
                    "maxHeldPackets must be 0 to " + MAX_HELD_PACKETS_LIMIT + ": " + maxHeldPackets);
            }
            this.maxHeldPackets = maxHeldPackets;
            return this;
        }

        /**
         * Let the node pace: the routes carry {@code "pace_ms": paceMs}, and each send system takes JDA's packets up
         * to {@code paceMs} before their time (at most {@code paceMs / 20 + 1} frames ahead) and sends them at once;
         * the node holds them and sends each on its 20 ms slot. A stall of the bot shorter than {@code paceMs} then
         * leaves no gap at the voice server: the send system catches up with a burst the node smooths out. As
         * jda-nas's native send buffer (400 ms), without the native code. Needs a node that paces (issue 19); an older
         * one refuses the route. 0 sends each packet on its own tick and leaves {@code pace_ms} out of the route.
         *
         * @param paceMs 0 to {@link #MAX_PACE_MS}; default {@link #DEFAULT_PACE_MS}.
         * @return this builder.
         */
        public Builder paceMs(final int paceMs)
        {
            if (paceMs < 0 || paceMs > MAX_PACE_MS)
            {
                throw new IllegalArgumentException("paceMs must be 0 to " + MAX_PACE_MS + ": " + paceMs);
            }
            this.paceMs = paceMs;
            return this;
        }

        /**
         * Tests only: how long a confirmed route may stay silent before a keep-alive goes.
         */
        Builder keepAliveInterval(final Duration keepAliveInterval)
        {
            this.keepAliveInterval = keepAliveInterval;
            return this;
        }

        /**
         * @return the factory.
         */
        public SoundRelaySendFactory build()
        {
            return new SoundRelaySendFactory(this);
        }

        private static String checkUrl(final String controlUrl)
        {
            final URI uri;
            try
            {
                uri = URI.create(controlUrl);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("controlUrl is not a URL: " + controlUrl, ex);
            }
            final String scheme = null == uri.getScheme() ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || null == uri.getHost())
            {
                throw new IllegalArgumentException("controlUrl must be http://host:port or https://...: " + controlUrl);
            }
            if (null != uri.getRawUserInfo())
            {
                throw new IllegalArgumentException("controlUrl must not carry credentials: pass the key as apiKey");
            }
            if (null != uri.getRawQuery() || null != uri.getRawFragment())
            {
                throw new IllegalArgumentException("controlUrl must have no query or fragment: " + controlUrl);
            }
            String url = controlUrl;
            while (url.endsWith("/"))
            {
                url = url.substring(0, url.length() - 1);
            }
            return url;
        }
    }
}
