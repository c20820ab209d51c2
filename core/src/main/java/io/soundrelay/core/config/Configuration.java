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
package io.soundrelay.core.config;

import io.soundrelay.core.route.AddressPolicy;
import io.soundrelay.core.route.Cidr;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Every setting of a node, read once at start-up from the environment and a {@code .env} file (the environment
 * wins), validated, then immutable. Each setting is a name, a default and a parser in one place, as in Aeron's
 * {@code Configuration}: the {@code *_ENV} and {@code *_DEFAULT} constants, and one line of {@link #Configuration}.
 * <p>
 * A value that does not parse throws {@link ConfigurationException} with the message {@code NAME=value: why}, so
 * that a node never starts half-configured. Values are trimmed. An empty value is refused, except for
 * {@code REDIS_URL} (no Redis), {@code API_KEYS}, {@code PIN_CPUS}, {@code TARGET_DENY} and {@code TARGET_ALLOW}
 * (none).
 */
public final class Configuration
{
    /** UDP relay socket, {@code ip:port} or {@code [v6]:port}. */
    public static final String BIND_ADDR_ENV = "BIND_ADDR";
    public static final String BIND_ADDR_DEFAULT = "0.0.0.0:4000";

    /** HTTP control API. */
    public static final String CONTROL_API_ADDR_ENV = "CONTROL_API_ADDR";
    public static final String CONTROL_API_ADDR_DEFAULT = "0.0.0.0:4300";

    /** Prometheus exposition, path {@code /metrics}. */
    public static final String METRICS_ADDR_ENV = "METRICS_ADDR";
    public static final String METRICS_ADDR_DEFAULT = "0.0.0.0:9100";

    /** {@code redis://} or {@code rediss://} URL; empty for no Redis. */
    public static final String REDIS_URL_ENV = "REDIS_URL";
    public static final String REDIS_URL_DEFAULT = "redis://127.0.0.1:6379";
    /** The REDIS_URL scheme of a master found through Sentinel. */
    public static final String SENTINEL_SCHEME = "redis-sentinel://";
    /** The REDIS_URL scheme of a Redis Cluster, followed by seed nodes. */
    public static final String CLUSTER_SCHEME = "redis-cluster://";

    public static final String REDIS_POOL_SIZE_ENV = "REDIS_POOL_SIZE";
    /** Route writes queued while Redis is unreachable; 0 derives it from MAX_STREAMS_PER_NODE. */
    public static final String REDIS_QUEUE_MAX_ENV = "REDIS_QUEUE_MAX";
    public static final int REDIS_QUEUE_MAX_MAX = 10_000_000;
    /** The least REDIS_QUEUE_MAX, and the least derived one is {@link #REDIS_QUEUE_MIN_DERIVED}. */
    public static final int REDIS_QUEUE_MIN = 64;
    public static final int REDIS_QUEUE_MIN_DERIVED = 4096;
    public static final int REDIS_POOL_SIZE_DEFAULT = 4;
    public static final int REDIS_POOL_SIZE_MAX = 64;

    public static final String AUTH_ENABLED_ENV = "AUTH_ENABLED";
    public static final boolean AUTH_ENABLED_DEFAULT = true;

    /** Comma-separated keys, each {@value #API_KEY_MIN_LENGTH}-{@value #API_KEY_MAX_LENGTH} printable ASCII. */
    public static final String API_KEYS_ENV = "API_KEYS";
    public static final int API_KEY_MIN_LENGTH = 16;
    public static final int API_KEY_MAX_LENGTH = 256;

    public static final String MAX_STREAMS_PER_NODE_ENV = "MAX_STREAMS_PER_NODE";
    public static final int MAX_STREAMS_PER_NODE_DEFAULT = 1000;
    public static final int MAX_STREAMS_PER_NODE_MAX = 1_000_000;

    public static final String MAX_TARGETS_PER_ROUTE_ENV = "MAX_TARGETS_PER_ROUTE";
    public static final int MAX_TARGETS_PER_ROUTE_DEFAULT = 16;
    public static final int MAX_TARGETS_PER_ROUTE_MAX = 256;

    /** Largest datagram accepted, SoundRelay header included; 65507 is the IPv4 UDP payload limit. */
    public static final String MAX_DATAGRAM_BYTES_ENV = "MAX_DATAGRAM_BYTES";
    public static final int MAX_DATAGRAM_BYTES_DEFAULT = 1500;
    public static final int MAX_DATAGRAM_BYTES_MIN = 64;
    public static final int MAX_DATAGRAM_BYTES_MAX = 65507;

    public static final String ROUTE_TTL_SECONDS_ENV = "ROUTE_TTL_SECONDS";
    public static final int ROUTE_TTL_SECONDS_DEFAULT = 300;
    public static final int ROUTE_TTL_SECONDS_MAX = 86_400;

    /** Jitter buffer of a route that does not ask for one. */
    public static final String JITTER_BUFFER_MS_ENV = "JITTER_BUFFER_MS";
    public static final int JITTER_BUFFER_MS_DEFAULT = 0;
    public static final int JITTER_BUFFER_MS_MAX = 1000;

    /**
     * 1-64 characters of {@code [A-Za-z0-9_.-]}. Unset: {@link #defaultNodeId the host name and the relay port}, so that
     * two nodes on one Redis never share an id by accident (a node refuses to start while another live node holds its
     * id).
     */
    public static final String NODE_ID_ENV = "NODE_ID";
    public static final int NODE_ID_MAX_LENGTH = 64;
    /** The default NODE_ID when the host name cannot be read or has no usable character. */
    public static final String NODE_ID_FALLBACK_HOST = "soundrelay";

    public static final String ENABLE_MIXER_ENV = "ENABLE_MIXER";
    public static final boolean ENABLE_MIXER_DEFAULT = false;

    public static final String LOG_LEVEL_ENV = "LOG_LEVEL";
    public static final LogLevel LOG_LEVEL_DEFAULT = LogLevel.INFO;

    public static final String TRANSPORT_ENV = "TRANSPORT";
    public static final Transport TRANSPORT_DEFAULT = Transport.AUTO;

    /** Slots in each hot-path ring: a power of two. */
    public static final String RING_SIZE_ENV = "RING_SIZE";
    public static final int RING_SIZE_DEFAULT = 16_384;
    public static final int RING_SIZE_MIN = 64;
    public static final int RING_SIZE_MAX = 1_048_576;

    public static final String WAIT_STRATEGY_ENV = "WAIT_STRATEGY";
    public static final WaitStrategy WAIT_STRATEGY_DEFAULT = WaitStrategy.SLEEPING;

    /** Hot-path threads: 1 receives, routes and sends on one thread; 2 gives the receiver its own thread. */
    public static final String DATA_PLANE_THREADS_ENV = "DATA_PLANE_THREADS";
    public static final int DATA_PLANE_THREADS_DEFAULT = 1;

    /** Most datagrams one recvmmsg takes off the socket. */
    public static final String RECEIVE_BATCH_ENV = "RECEIVE_BATCH";
    public static final int RECEIVE_BATCH_DEFAULT = 32;
    public static final int RECEIVE_BATCH_MAX = 64;

    /** Most datagrams one sendmmsg sends. */
    public static final String SEND_BATCH_ENV = "SEND_BATCH";
    public static final int SEND_BATCH_DEFAULT = 64;
    public static final int SEND_BATCH_MAX = 1024;

    /** Comma-separated CPU ids for the hot-path threads; empty for no pinning. */
    public static final String PIN_CPUS_ENV = "PIN_CPUS";
    public static final int PIN_CPU_MAX = 65_535;

    public static final String MIGRATION_GRACE_SECONDS_ENV = "MIGRATION_GRACE_SECONDS";
    public static final int MIGRATION_GRACE_SECONDS_DEFAULT = 30;
    public static final int MIGRATION_GRACE_SECONDS_MAX = 3600;

    public static final String AUTO_FAILOVER_ENV = "AUTO_FAILOVER";
    public static final boolean AUTO_FAILOVER_DEFAULT = false;

    /**
     * The IP address other nodes and sources reach this node at: its heartbeat's relay_addr and control_addr are this
     * address with the bound ports. Unset: BIND_ADDR's address, or when that is a wildcard, the first address of an
     * interface that is up and not loopback (127.0.0.1 when there is none).
     */
    public static final String ADVERTISE_HOST_ENV = "ADVERTISE_HOST";

    /**
     * Comma-separated address ranges no route target may be in; empty for none. The default refuses link-local
     * addresses, where cloud metadata services answer (169.254.169.254).
     */
    public static final String TARGET_DENY_ENV = "TARGET_DENY";
    public static final String TARGET_DENY_DEFAULT = AddressPolicy.DEFAULT_DENY;

    /** Comma-separated address ranges: when set, the only ones a route target may be in. */
    public static final String TARGET_ALLOW_ENV = "TARGET_ALLOW";

    /** UDP ports on the relay IP for routes with a return path (PROTOCOL.md section 9): {@code first-last} or one port. */
    public static final String RELAY_PORTS_ENV = "RELAY_PORTS";
    public static final int RELAY_PORTS_FIRST_DEFAULT = 40000;
    public static final int RELAY_PORTS_LAST_DEFAULT = 49999;
    public static final String RELAY_PORTS_DEFAULT = RELAY_PORTS_FIRST_DEFAULT + "-" + RELAY_PORTS_LAST_DEFAULT;

    /** Pacing of a route that does not ask (PROTOCOL.md section 10): how far ahead its source may send, 0 for off. */
    public static final String PACE_MS_ENV = "PACE_MS";
    public static final int PACE_MS_DEFAULT = 0;
    public static final int PACE_MS_MAX = 2000;

    /**
     * Most datagrams pacing holds at once on the node, all routes together: the size of the pool of held copies,
     * allocated when the first paced route arrives ({@code PACE_MAX_HELD} x {@code MAX_DATAGRAM_BYTES} off-heap).
     */
    public static final String PACE_MAX_HELD_ENV = "PACE_MAX_HELD";
    public static final int PACE_MAX_HELD_DEFAULT = 32_768;
    public static final int PACE_MAX_HELD_MAX = 1 << 20;

    /**
     * Most TCP connections the control API (and the metrics listener) holds open at once; each takes a file
     * descriptor, counted with the relay ports against RLIMIT_NOFILE at start-up.
     */
    public static final String CONTROL_API_MAX_CONNECTIONS_ENV = "CONTROL_API_MAX_CONNECTIONS";
    public static final int CONTROL_API_MAX_CONNECTIONS_DEFAULT = 256;
    public static final int CONTROL_API_MAX_CONNECTIONS_MIN = 8;
    public static final int CONTROL_API_MAX_CONNECTIONS_MAX = 65_535;

    /**
     * Requests per second one client address may make without a valid API key (/health, /metrics, and every failed
     * authentication), as a token bucket refilled at this rate; 0 turns the limit off.
     */
    public static final String UNAUTH_RATE_PER_SECOND_ENV = "UNAUTH_RATE_PER_SECOND";
    public static final int UNAUTH_RATE_PER_SECOND_DEFAULT = 20;
    public static final int UNAUTH_RATE_PER_SECOND_MAX = 1_000_000;

    /** The bucket of {@link #UNAUTH_RATE_PER_SECOND_ENV}: how many such requests an address may make at once. */
    public static final String UNAUTH_RATE_BURST_ENV = "UNAUTH_RATE_BURST";
    public static final int UNAUTH_RATE_BURST_DEFAULT = 60;
    public static final int UNAUTH_RATE_BURST_MAX = 1_000_000;

    /**
     * Most Opus encodes one mixer room spends in one period on its speaking mix-minus members (PROTOCOL.md section
     * 6); the full mix, encoded once and shared by every member that said nothing, is not counted.
     */
    public static final String MIXER_ROOM_ENCODES_PER_PERIOD_ENV = "MIXER_ROOM_ENCODES_PER_PERIOD";
    public static final int MIXER_ROOM_ENCODES_PER_PERIOD_DEFAULT = 16;
    public static final int MIXER_ROOM_ENCODES_PER_PERIOD_MAX = 10_000;

    /** Most mix-minus Opus encodes of all rooms together in any 20 ms; each room gets at most an equal share. */
    public static final String MIXER_NODE_ENCODES_PER_20MS_ENV = "MIXER_NODE_ENCODES_PER_20MS";
    public static final int MIXER_NODE_ENCODES_PER_20MS_DEFAULT = 96;
    public static final int MIXER_NODE_ENCODES_PER_20MS_MAX = 100_000;

    /** A room frame that waited longer than this between the router and the mixer is dropped as mixer_stale. */
    public static final String MIXER_STALE_MS_ENV = "MIXER_STALE_MS";
    public static final int MIXER_STALE_MS_DEFAULT = 100;
    public static final int MIXER_STALE_MS_MIN = 10;
    public static final int MIXER_STALE_MS_MAX = 10_000;

    /**
     * Most datagrams jitter buffers hold at once on the node, all routes together: the size of the pool of their slots
     * ({@code JITTER_MAX_HELD} x {@code MAX_DATAGRAM_BYTES} off-heap at most, allocated as the peak grows, never on a
     * data-plane thread). A route's buffer takes {@code capacityFor(jitter_ms)} slots (8 to 128); a route that cannot
     * have one is refused with 503. 0: no route may have a jitter buffer.
     */
    public static final String JITTER_MAX_HELD_ENV = "JITTER_MAX_HELD";
    public static final int JITTER_MAX_HELD_DEFAULT = 16_384;
    public static final int JITTER_MAX_HELD_MAX = 1 << 20;

    /** Prefix of the OpenTelemetry variables handed to the SDK's autoconfiguration. */
    public static final String OTEL_PREFIX = "OTEL_";

    /** Every variable a node reads, in the order of the contract. */
    public static final List<String> NAMES = List.of(
        BIND_ADDR_ENV, CONTROL_API_ADDR_ENV, METRICS_ADDR_ENV, REDIS_URL_ENV, REDIS_POOL_SIZE_ENV, REDIS_QUEUE_MAX_ENV, AUTH_ENABLED_ENV,
        API_KEYS_ENV, MAX_STREAMS_PER_NODE_ENV, MAX_TARGETS_PER_ROUTE_ENV, MAX_DATAGRAM_BYTES_ENV,
        ROUTE_TTL_SECONDS_ENV, JITTER_BUFFER_MS_ENV, NODE_ID_ENV, ENABLE_MIXER_ENV, LOG_LEVEL_ENV, TRANSPORT_ENV,
        RING_SIZE_ENV, WAIT_STRATEGY_ENV, PIN_CPUS_ENV, DATA_PLANE_THREADS_ENV, RECEIVE_BATCH_ENV, SEND_BATCH_ENV,
        MIGRATION_GRACE_SECONDS_ENV, AUTO_FAILOVER_ENV, ADVERTISE_HOST_ENV, TARGET_DENY_ENV, TARGET_ALLOW_ENV,
        RELAY_PORTS_ENV, PACE_MS_ENV, PACE_MAX_HELD_ENV,
        CONTROL_API_MAX_CONNECTIONS_ENV, UNAUTH_RATE_PER_SECOND_ENV, UNAUTH_RATE_BURST_ENV,
        MIXER_ROOM_ENCODES_PER_PERIOD_ENV, MIXER_NODE_ENCODES_PER_20MS_ENV, MIXER_STALE_MS_ENV,
        JITTER_MAX_HELD_ENV);

    /**
     * What {@code --help} shows of one variable.
     *
     * @param name         the variable.
     * @param defaultValue its default as written in the environment, or how it is derived.
     * @param summary      what it does, one line.
     */
    public record Help(String name, String defaultValue, String summary)
    {
    }

    /**
     * @return one line per variable of {@link #NAMES}, in that order, with its default: the node's {@code --help}.
     */
    public static List<Help> help()
    {
        return List.of(
            new Help(BIND_ADDR_ENV, BIND_ADDR_DEFAULT, "UDP relay socket, ip:port or [v6]:port"),
            new Help(CONTROL_API_ADDR_ENV, CONTROL_API_ADDR_DEFAULT, "HTTP control API"),
            new Help(METRICS_ADDR_ENV, METRICS_ADDR_DEFAULT, "Prometheus exposition, path /metrics"),
            new Help(REDIS_URL_ENV, REDIS_URL_DEFAULT,
                "shared routing table: redis://, rediss:// (TLS), redis-sentinel://h1:p1,h2:p2[/db]#master or " +
                "redis-cluster://h1:p1,h2:p2; " +
                "empty for memory only"),
            new Help(REDIS_POOL_SIZE_ENV, Integer.toString(REDIS_POOL_SIZE_DEFAULT),
                "accepted (1-" + REDIS_POOL_SIZE_MAX + "), no effect: one connection carries every write"),
            new Help(REDIS_QUEUE_MAX_ENV, "0",
                "route writes queued in order while Redis is unreachable (" + REDIS_QUEUE_MIN + "-" +
                REDIS_QUEUE_MAX_MAX + "); 0: 16 x MAX_STREAMS_PER_NODE, at least " + REDIS_QUEUE_MIN_DERIVED),
            new Help(AUTH_ENABLED_ENV, Boolean.toString(AUTH_ENABLED_DEFAULT), "false turns off API authentication"),
            new Help(API_KEYS_ENV, "empty",
                "comma-separated API keys; empty with auth on: one is generated and printed once"),
            new Help(MAX_STREAMS_PER_NODE_ENV, Integer.toString(MAX_STREAMS_PER_NODE_DEFAULT),
                "most routes this node holds (1-" + MAX_STREAMS_PER_NODE_MAX + ")"),
            new Help(MAX_TARGETS_PER_ROUTE_ENV, Integer.toString(MAX_TARGETS_PER_ROUTE_DEFAULT),
                "most target_addrs per route (1-" + MAX_TARGETS_PER_ROUTE_MAX + ")"),
            new Help(MAX_DATAGRAM_BYTES_ENV, Integer.toString(MAX_DATAGRAM_BYTES_DEFAULT),
                "largest datagram accepted (" + MAX_DATAGRAM_BYTES_MIN + "-" + MAX_DATAGRAM_BYTES_MAX + ")"),
            new Help(ROUTE_TTL_SECONDS_ENV, Integer.toString(ROUTE_TTL_SECONDS_DEFAULT),
                "a route nobody sends on for this long expires (1-" + ROUTE_TTL_SECONDS_MAX + ")"),
            new Help(JITTER_BUFFER_MS_ENV, Integer.toString(JITTER_BUFFER_MS_DEFAULT),
                "jitter_ms of a route that sets none (0-" + JITTER_BUFFER_MS_MAX + ")"),
            new Help(NODE_ID_ENV, "<host>-<relay port>",
                "this node's name in routes and Redis; unique among live nodes on one Redis"),
            new Help(ENABLE_MIXER_ENV, Boolean.toString(ENABLE_MIXER_DEFAULT), "mix the PCM and Opus frames of rooms"),
            new Help(LOG_LEVEL_ENV, LOG_LEVEL_DEFAULT.configName(), "trace, debug, info, warn or error"),
            new Help(TRANSPORT_ENV, TRANSPORT_DEFAULT.configName(), "auto, io_uring, epoll or nio"),
            new Help(RING_SIZE_ENV, Integer.toString(RING_SIZE_DEFAULT),
                "receive ring slots, a power of two (" + RING_SIZE_MIN + "-" + RING_SIZE_MAX + ")"),
            new Help(WAIT_STRATEGY_ENV, WAIT_STRATEGY_DEFAULT.configName(),
                "idle data-plane thread: sleeping, backoff, yielding or busy-spin"),
            new Help(PIN_CPUS_ENV, "empty", "comma-separated CPU ids for the data-plane threads"),
            new Help(DATA_PLANE_THREADS_ENV, Integer.toString(DATA_PLANE_THREADS_DEFAULT),
                "1: one thread receives, routes, sends; 2: a receive thread and a router thread"),
            new Help(RECEIVE_BATCH_ENV, Integer.toString(RECEIVE_BATCH_DEFAULT),
                "most datagrams per recvmmsg (1-" + RECEIVE_BATCH_MAX + ")"),
            new Help(SEND_BATCH_ENV, Integer.toString(SEND_BATCH_DEFAULT),
                "most datagrams per sendmmsg (1-" + SEND_BATCH_MAX + ")"),
            new Help(MIGRATION_GRACE_SECONDS_ENV, Integer.toString(MIGRATION_GRACE_SECONDS_DEFAULT),
                "how long a migrated stream is still forwarded to its new node (0-" +
                MIGRATION_GRACE_SECONDS_MAX + ")"),
            new Help(AUTO_FAILOVER_ENV, Boolean.toString(AUTO_FAILOVER_DEFAULT),
                "live nodes adopt a dead node's routes on their own"),
            new Help(ADVERTISE_HOST_ENV, "derived",
                "IP other nodes and sources reach this node at (default: BIND_ADDR's, or the host's)"),
            new Help(TARGET_DENY_ENV, TARGET_DENY_DEFAULT, "address ranges no route target may be in; empty for " +
                "none (an IPv6 target embedding IPv4, e.g. NAT64 64:ff9b::/96, is judged as that IPv4 too)"),
            new Help(TARGET_ALLOW_ENV, "empty", "when set, the only address ranges a route target may be in"),
            new Help(RELAY_PORTS_ENV, RELAY_PORTS_DEFAULT,
                "UDP ports on the relay IP, one per route with return_path: first-last or one port"),
            new Help(PACE_MS_ENV, Integer.toString(PACE_MS_DEFAULT),
                "pace_ms of a route that sets none: how far ahead its source may send, 0 for no pacing (0-" +
                PACE_MS_MAX + ")"),
            new Help(PACE_MAX_HELD_ENV, Integer.toString(PACE_MAX_HELD_DEFAULT),
                "most datagrams pacing holds at once, all routes together (1-" + PACE_MAX_HELD_MAX + ")"),
            new Help(CONTROL_API_MAX_CONNECTIONS_ENV, Integer.toString(CONTROL_API_MAX_CONNECTIONS_DEFAULT),
                "most HTTP connections open at once, API and metrics listeners together (" +
                CONTROL_API_MAX_CONNECTIONS_MIN + "-" + CONTROL_API_MAX_CONNECTIONS_MAX + ")"),
            new Help(UNAUTH_RATE_PER_SECOND_ENV, Integer.toString(UNAUTH_RATE_PER_SECOND_DEFAULT),
                "requests per second per client address without a valid API key, failed ones included; " +
                "over it: 429 (0 for no limit, max " + UNAUTH_RATE_PER_SECOND_MAX + ")"),
            new Help(UNAUTH_RATE_BURST_ENV, Integer.toString(UNAUTH_RATE_BURST_DEFAULT),
                "how many of those requests one address may make at once (1-" + UNAUTH_RATE_BURST_MAX + ")"),
            new Help(MIXER_ROOM_ENCODES_PER_PERIOD_ENV, Integer.toString(MIXER_ROOM_ENCODES_PER_PERIOD_DEFAULT),
                "most Opus encodes per period a mixer room spends on speaking mix-minus members (1-" +
                MIXER_ROOM_ENCODES_PER_PERIOD_MAX + ")"),
            new Help(MIXER_NODE_ENCODES_PER_20MS_ENV, Integer.toString(MIXER_NODE_ENCODES_PER_20MS_DEFAULT),
                "most mix-minus Opus encodes in any 20 ms, all rooms together, shared equally (1-" +
                MIXER_NODE_ENCODES_PER_20MS_MAX + ")"),
            new Help(MIXER_STALE_MS_ENV, Integer.toString(MIXER_STALE_MS_DEFAULT),
                "a room frame older than this when the mixer takes it is dropped as mixer_stale (" +
                MIXER_STALE_MS_MIN + "-" + MIXER_STALE_MS_MAX + ")"),
            new Help(JITTER_MAX_HELD_ENV, Integer.toString(JITTER_MAX_HELD_DEFAULT),
                "most datagrams jitter buffers hold at once, all routes together; 8-128 a route (0-" +
                JITTER_MAX_HELD_MAX + ")"));
    }

    /** Name of the file read from the working directory by {@link #fromEnvironment()}. */
    public static final String DOT_ENV_FILE = ".env";

    private static final int MAX_SHOWN_VALUE_LENGTH = 128;
    private static final String REDACTED = "<redacted>";

    /** Log level of the node. */
    public enum LogLevel
    {
        TRACE("trace"), DEBUG("debug"), INFO("info"), WARN("warn"), ERROR("error");

        private final String configName;

        LogLevel(final String configName)
        {
            this.configName = configName;
        }

        /**
         * @return the value as written in the environment.
         */
        public String configName()
        {
            return configName;
        }
    }

    /** How the relay socket is driven. */
    public enum Transport
    {
        /** io_uring when available, else epoll, else NIO. */
        AUTO("auto"), IO_URING("io_uring"), EPOLL("epoll"), NIO("nio");

        private final String configName;

        Transport(final String configName)
        {
            this.configName = configName;
        }

        /**
         * @return the value as written in the environment and in {@code /health}.
         */
        public String configName()
        {
            return configName;
        }
    }

    /** What a hot-path thread does when it has no work. */
    public enum WaitStrategy
    {
        BUSY_SPIN("busy-spin"), YIELDING("yielding"), BACKOFF("backoff"), SLEEPING("sleeping");

        private final String configName;

        WaitStrategy(final String configName)
        {
            this.configName = configName;
        }

        /**
         * @return the value as written in the environment.
         */
        public String configName()
        {
            return configName;
        }
    }

    private final InetSocketAddress bindAddr;
    private final InetSocketAddress controlApiAddr;
    private final InetSocketAddress metricsAddr;
    private final String redisUrl;
    private final int redisPoolSize;
    private final int redisQueueMaxSetting;
    private final boolean authEnabled;
    private final List<String> apiKeys;
    private final int maxStreamsPerNode;
    private final int maxTargetsPerRoute;
    private final int maxDatagramBytes;
    private final int routeTtlSeconds;
    private final int jitterBufferMs;
    private final String nodeId;
    private final boolean enableMixer;
    private final LogLevel logLevel;
    private final Transport transport;
    private final int ringSize;
    private final WaitStrategy waitStrategy;
    private final List<Integer> pinCpus;
    private final int dataPlaneThreads;
    private final int receiveBatch;
    private final int sendBatch;
    private final int migrationGraceSeconds;
    private final boolean autoFailover;
    private final InetAddress advertiseHost;
    private final List<Cidr> targetDeny;
    private final List<Cidr> targetAllow;
    private final int relayPortsFirst;
    private final int relayPortsLast;
    private final int paceMs;
    private final int paceMaxHeld;
    private final int mixerRoomEncodesPerPeriod;
    private final int mixerNodeEncodesPer20Ms;
    private final int mixerStaleMs;
    private final int jitterMaxHeld;
    private final Map<String, String> otelSettings;
    private final int controlApiMaxConnections;
    private final int unauthRatePerSecond;
    private final int unauthRateBurst;
    private final Set<String> given;

    private Configuration(final Settings s)
    {
        bindAddr = s.socketAddress(BIND_ADDR_ENV, BIND_ADDR_DEFAULT);
        controlApiAddr = s.socketAddress(CONTROL_API_ADDR_ENV, CONTROL_API_ADDR_DEFAULT);
        metricsAddr = s.socketAddress(METRICS_ADDR_ENV, METRICS_ADDR_DEFAULT);
        redisUrl = s.redisUrl(REDIS_URL_ENV, REDIS_URL_DEFAULT);
        redisPoolSize = s.intInRange(REDIS_POOL_SIZE_ENV, REDIS_POOL_SIZE_DEFAULT, 1, REDIS_POOL_SIZE_MAX);
        final int queueMax = s.intInRange(REDIS_QUEUE_MAX_ENV, 0, 0, REDIS_QUEUE_MAX_MAX);
        if (queueMax > 0 && queueMax < REDIS_QUEUE_MIN)
        {
            throw Settings.fail(REDIS_QUEUE_MAX_ENV, Integer.toString(queueMax),
                "at least " + REDIS_QUEUE_MIN + ", or 0 for 16 x MAX_STREAMS_PER_NODE");
        }
        redisQueueMaxSetting = queueMax;
        authEnabled = s.bool(AUTH_ENABLED_ENV, AUTH_ENABLED_DEFAULT);
        apiKeys = s.apiKeys(API_KEYS_ENV);
        maxStreamsPerNode = s.intInRange(
            MAX_STREAMS_PER_NODE_ENV, MAX_STREAMS_PER_NODE_DEFAULT, 1, MAX_STREAMS_PER_NODE_MAX);
        maxTargetsPerRoute = s.intInRange(
            MAX_TARGETS_PER_ROUTE_ENV, MAX_TARGETS_PER_ROUTE_DEFAULT, 1, MAX_TARGETS_PER_ROUTE_MAX);
        maxDatagramBytes = s.intInRange(
            MAX_DATAGRAM_BYTES_ENV, MAX_DATAGRAM_BYTES_DEFAULT, MAX_DATAGRAM_BYTES_MIN, MAX_DATAGRAM_BYTES_MAX);
        routeTtlSeconds = s.intInRange(ROUTE_TTL_SECONDS_ENV, ROUTE_TTL_SECONDS_DEFAULT, 1, ROUTE_TTL_SECONDS_MAX);
        jitterBufferMs = s.intInRange(JITTER_BUFFER_MS_ENV, JITTER_BUFFER_MS_DEFAULT, 0, JITTER_BUFFER_MS_MAX);
        nodeId = s.nodeId(NODE_ID_ENV, bindAddr.getPort());
        enableMixer = s.bool(ENABLE_MIXER_ENV, ENABLE_MIXER_DEFAULT);
        logLevel = s.choice(LOG_LEVEL_ENV, LOG_LEVEL_DEFAULT, LogLevel.values(), LogLevel::configName);
        transport = s.choice(TRANSPORT_ENV, TRANSPORT_DEFAULT, Transport.values(), Transport::configName);
        ringSize = s.powerOfTwo(RING_SIZE_ENV, RING_SIZE_DEFAULT, RING_SIZE_MIN, RING_SIZE_MAX);
        waitStrategy = s.choice(
            WAIT_STRATEGY_ENV, WAIT_STRATEGY_DEFAULT, WaitStrategy.values(), WaitStrategy::configName);
        pinCpus = s.cpuList(PIN_CPUS_ENV);
        dataPlaneThreads = s.intInRange(DATA_PLANE_THREADS_ENV, DATA_PLANE_THREADS_DEFAULT, 1, 2);
        receiveBatch = s.intInRange(RECEIVE_BATCH_ENV, RECEIVE_BATCH_DEFAULT, 1, RECEIVE_BATCH_MAX);
        sendBatch = s.intInRange(SEND_BATCH_ENV, SEND_BATCH_DEFAULT, 1, SEND_BATCH_MAX);
        migrationGraceSeconds = s.intInRange(
            MIGRATION_GRACE_SECONDS_ENV, MIGRATION_GRACE_SECONDS_DEFAULT, 0, MIGRATION_GRACE_SECONDS_MAX);
        autoFailover = s.bool(AUTO_FAILOVER_ENV, AUTO_FAILOVER_DEFAULT);
        advertiseHost = s.ipAddress(ADVERTISE_HOST_ENV);
        targetDeny = s.cidrList(TARGET_DENY_ENV, TARGET_DENY_DEFAULT);
        targetAllow = s.cidrList(TARGET_ALLOW_ENV, "");
        final int[] relayPorts = s.portRange(RELAY_PORTS_ENV, RELAY_PORTS_FIRST_DEFAULT, RELAY_PORTS_LAST_DEFAULT);
        relayPortsFirst = relayPorts[0];
        relayPortsLast = relayPorts[1];
        paceMs = s.intInRange(PACE_MS_ENV, PACE_MS_DEFAULT, 0, PACE_MS_MAX);
        paceMaxHeld = s.intInRange(PACE_MAX_HELD_ENV, PACE_MAX_HELD_DEFAULT, 1, PACE_MAX_HELD_MAX);
        mixerRoomEncodesPerPeriod = s.intInRange(MIXER_ROOM_ENCODES_PER_PERIOD_ENV,
            MIXER_ROOM_ENCODES_PER_PERIOD_DEFAULT, 1, MIXER_ROOM_ENCODES_PER_PERIOD_MAX);
        mixerNodeEncodesPer20Ms = s.intInRange(MIXER_NODE_ENCODES_PER_20MS_ENV,
            MIXER_NODE_ENCODES_PER_20MS_DEFAULT, 1, MIXER_NODE_ENCODES_PER_20MS_MAX);
        mixerStaleMs = s.intInRange(MIXER_STALE_MS_ENV, MIXER_STALE_MS_DEFAULT, MIXER_STALE_MS_MIN, MIXER_STALE_MS_MAX);
        jitterMaxHeld = s.intInRange(JITTER_MAX_HELD_ENV, JITTER_MAX_HELD_DEFAULT, 0, JITTER_MAX_HELD_MAX);
        otelSettings = s.withPrefix(OTEL_PREFIX);
        controlApiMaxConnections = s.intInRange(CONTROL_API_MAX_CONNECTIONS_ENV, CONTROL_API_MAX_CONNECTIONS_DEFAULT,
            CONTROL_API_MAX_CONNECTIONS_MIN, CONTROL_API_MAX_CONNECTIONS_MAX);
        unauthRatePerSecond = s.intInRange(
            UNAUTH_RATE_PER_SECOND_ENV, UNAUTH_RATE_PER_SECOND_DEFAULT, 0, UNAUTH_RATE_PER_SECOND_MAX);
        unauthRateBurst = s.intInRange(UNAUTH_RATE_BURST_ENV, UNAUTH_RATE_BURST_DEFAULT, 1, UNAUTH_RATE_BURST_MAX);
        final Set<String> set = new HashSet<>();
        for (final String name : NAMES)
        {
            if (s.isSet(name))
            {
                set.add(name);
            }
        }
        given = Set.copyOf(set);
    }

    /**
     * @param name a variable of {@link #NAMES}.
     * @return whether the environment or {@code .env} set it (to anything but blank), rather than its default applying.
     */
    public boolean isSet(final String name)
    {
        return given.contains(name);
    }

    /**
     * @return CONTROL_API_MAX_CONNECTIONS: most HTTP connections the node holds open at once.
     */
    public int controlApiMaxConnections()
    {
        return controlApiMaxConnections;
    }

    /**
     * @return UNAUTH_RATE_PER_SECOND: requests per second per client address without a valid key; 0 for no limit.
     */
    public int unauthRatePerSecond()
    {
        return unauthRatePerSecond;
    }

    /**
     * @return UNAUTH_RATE_BURST: the bucket size of {@link #unauthRatePerSecond()}.
     */
    public int unauthRateBurst()
    {
        return unauthRateBurst;
    }

    /**
     * The NODE_ID of a node that sets none: {@code <host>-<relay port>}, the host name's characters outside
     * {@code [A-Za-z0-9_.-]} replaced by {@code -} and the name shortened so the id stays within
     * {@value #NODE_ID_MAX_LENGTH} characters. Stable across restarts of the same node, so it finds its routes again.
     *
     * @param hostName  the host's name, or null when unknown.
     * @param relayPort the relay port (BIND_ADDR's).
     * @return the id.
     */
    public static String defaultNodeId(final String hostName, final int relayPort)
    {
        final String suffix = "-" + relayPort;
        final StringBuilder host = new StringBuilder();
        if (hostName != null)
        {
            for (int i = 0; i < hostName.length() && host.length() < NODE_ID_MAX_LENGTH - suffix.length(); i++)
            {
                final char c = hostName.charAt(i);
                final boolean allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
                host.append(allowed ? c : '-');
            }
        }
        boolean usable = false;
        for (int i = 0; i < host.length(); i++)
        {
            usable |= host.charAt(i) != '-' && host.charAt(i) != '.';
        }
        return (usable ? host.toString() : NODE_ID_FALLBACK_HOST) + suffix;
    }

    /**
     * @return this host's name: the kernel's (also a container's own), else what the JDK resolves, else null.
     */
    public static String localHostName()
    {
        try
        {
            final Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel))
            {
                final String name = Files.readString(kernel, StandardCharsets.US_ASCII).trim();
                if (!name.isEmpty())
                {
                    return name;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // fall through to the JDK
        }
        try
        {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * Read the node's settings from {@link System#getenv()} and {@code .env} in the working directory.
     *
     * @return the validated configuration.
     * @throws ConfigurationException naming the first variable that does not parse.
     */
    public static Configuration fromEnvironment()
    {
        return load(System.getenv(), Path.of(DOT_ENV_FILE));
    }

    /**
     * @return every setting at its default.
     */
    public static Configuration defaults()
    {
        return load(Map.of(), null);
    }

    /**
     * Read settings from a map of variables and, when it exists, a {@code .env} file: {@code KEY=VALUE} lines,
     * {@code #} comments, blank lines, an optional {@code export } prefix, values optionally in single or double
     * quotes. A variable in {@code env} wins over the same one in the file; variables not named in
     * {@link #NAMES} are ignored.
     *
     * @param env        variables, e.g. {@link System#getenv()}; null for none.
     * @param dotEnvFile the {@code .env} file, or null to read none; a file that does not exist is skipped.
     * @return the validated configuration.
     * @throws ConfigurationException naming the first variable that does not parse, or the bad {@code .env} line.
     */
    public static Configuration load(final Map<String, String> env, final Path dotEnvFile)
    {
        final Map<String, String> merged = new HashMap<>();
        if (dotEnvFile != null && Files.exists(dotEnvFile))
        {
            merged.putAll(readDotEnv(dotEnvFile));
        }
        if (env != null)
        {
            merged.putAll(env);
        }
        return new Configuration(new Settings(merged));
    }

    /**
     * Parse a {@code .env} file.
     *
     * @param file to read.
     * @return its variables in file order; for a variable set twice, the last value.
     * @throws ConfigurationException naming the line that is not {@code KEY=VALUE}, or when the file cannot be
     *                                read. The message never quotes a line, which may hold a secret.
     */
    public static Map<String, String> readDotEnv(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new ConfigurationException(file + ": cannot read: " + ex, ex);
        }
        final Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++)
        {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("\uFEFF"))
            {
                line = line.substring(1);
            }
            line = line.strip();
            if (line.isEmpty() || line.charAt(0) == '#')
            {
                continue;
            }
            if (line.startsWith("export ") || line.startsWith("export\t"))
            {
                line = line.substring(7).stripLeading();
            }
            final String where = file + " line " + (i + 1) + ": ";
            final int equals = line.indexOf('=');
            if (equals < 0)
            {
                throw new ConfigurationException(where + "expected KEY=VALUE");
            }
            final String key = line.substring(0, equals).strip();
            if (!isVariableName(key))
            {
                throw new ConfigurationException(
                    where + "the name before '=' is not a variable name [A-Za-z_][A-Za-z0-9_]*");
            }
            values.put(key, dotEnvValue(line.substring(equals + 1).strip(), where));
        }
        return values;
    }

    private static String dotEnvValue(final String raw, final String where)
    {
        if (raw.isEmpty())
        {
            return raw;
        }
        final char quote = raw.charAt(0);
        if (quote != '"' && quote != '\'')
        {
            // An unquoted value ends at a comment: a '#' after whitespace.
            for (int i = 1; i < raw.length(); i++)
            {
                if (raw.charAt(i) == '#' && Character.isWhitespace(raw.charAt(i - 1)))
                {
                    return raw.substring(0, i).stripTrailing();
                }
            }
            return raw;
        }

        final StringBuilder value = new StringBuilder(raw.length());
        int i = 1;
        while (true)
        {
            if (i >= raw.length())
            {
                throw new ConfigurationException(where + "the value has no closing " + quote);
            }
            final char c = raw.charAt(i++);
            if (c == quote)
            {
                break;
            }
            if (c == '\\' && quote == '"' && i < raw.length())
            {
                final char escaped = raw.charAt(i++);
                switch (escaped)
                {
                    case 'n':
                        value.append('\n');
                        break;
                    case 't':
                        value.append('\t');
                        break;
                    case '"':
                    case '\\':
                        value.append(escaped);
                        break;
                    default:
                        value.append('\\').append(escaped);
                }
            }
            else
            {
                value.append(c);
            }
        }
        final String rest = raw.substring(i).strip();
        if (!rest.isEmpty() && rest.charAt(0) != '#')
        {
            throw new ConfigurationException(where + "text after the closing " + quote);
        }
        return value.toString();
    }

    private static boolean isVariableName(final String key)
    {
        if (key.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < key.length(); i++)
        {
            final char c = key.charAt(i);
            final boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
            if (!letter && (i == 0 || c < '0' || c > '9'))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return UDP relay socket address, {@code BIND_ADDR}.
     */
    public InetSocketAddress bindAddr()
    {
        return bindAddr;
    }

    /**
     * @return HTTP control API address, {@code CONTROL_API_ADDR}.
     */
    public InetSocketAddress controlApiAddr()
    {
        return controlApiAddr;
    }

    /**
     * @return Prometheus exposition address, {@code METRICS_ADDR}.
     */
    public InetSocketAddress metricsAddr()
    {
        return metricsAddr;
    }

    /**
     * @return the Redis URL, credentials included: never log it. Empty when Redis is off.
     */
    public String redisUrl()
    {
        return redisUrl;
    }

    /**
     * @return false when {@code REDIS_URL} is empty: the node runs from memory alone.
     */
    public boolean redisEnabled()
    {
        return !redisUrl.isEmpty();
    }

    /**
     * @return the Redis URL with its password hidden, safe to log; empty when Redis is off.
     */
    public String redisUrlRedacted()
    {
        return redisEnabled() ? redactRedisUrl(redisUrl) : "";
    }

    public int redisPoolSize()
    {
        return redisPoolSize;
    }

    public boolean authEnabled()
    {
        return authEnabled;
    }

    /**
     * @return the API keys, distinct, in the order given; empty when none are configured. Never log them.
     */
    public List<String> apiKeys()
    {
        return apiKeys;
    }

    public int maxStreamsPerNode()
    {
        return maxStreamsPerNode;
    }

    /**
     * @return how many route writes may wait, in order, while Redis is unreachable: REDIS_QUEUE_MAX, or when it is
     * 0, 16 per route the node may hold and at least {@link #REDIS_QUEUE_MIN_DERIVED}.
     */
    public int redisQueueMax()
    {
        return redisQueueMaxSetting > 0 ? redisQueueMaxSetting :
            (int)Math.min(REDIS_QUEUE_MAX_MAX, Math.max(REDIS_QUEUE_MIN_DERIVED, 16L * maxStreamsPerNode));
    }

    public int maxTargetsPerRoute()
    {
        return maxTargetsPerRoute;
    }

    public int maxDatagramBytes()
    {
        return maxDatagramBytes;
    }

    public int routeTtlSeconds()
    {
        return routeTtlSeconds;
    }

    /**
     * @return jitter buffer of a route that does not ask for one, in milliseconds.
     */
    public int jitterBufferMs()
    {
        return jitterBufferMs;
    }

    public String nodeId()
    {
        return nodeId;
    }

    public boolean enableMixer()
    {
        return enableMixer;
    }

    public LogLevel logLevel()
    {
        return logLevel;
    }

    public Transport transport()
    {
        return transport;
    }

    public int ringSize()
    {
        return ringSize;
    }

    public WaitStrategy waitStrategy()
    {
        return waitStrategy;
    }

    /**
     * @return CPU ids to pin the hot-path threads to, in the order given; empty for no pinning.
     */
    public List<Integer> pinCpus()
    {
        return pinCpus;
    }

    /**
     * @return DATA_PLANE_THREADS: 1 or 2.
     */
    public int dataPlaneThreads()
    {
        return dataPlaneThreads;
    }

    /**
     * @return RECEIVE_BATCH: most datagrams per recvmmsg.
     */
    public int receiveBatch()
    {
        return receiveBatch;
    }

    /**
     * @return SEND_BATCH: most datagrams per sendmmsg.
     */
    public int sendBatch()
    {
        return sendBatch;
    }

    public int migrationGraceSeconds()
    {
        return migrationGraceSeconds;
    }

    public boolean autoFailover()
    {
        return autoFailover;
    }

    /**
     * @return ADVERTISE_HOST, or null when unset (the node then derives it from BIND_ADDR and its interfaces).
     */
    public InetAddress advertiseHost()
    {
        return advertiseHost;
    }

    /**
     * @return TARGET_DENY: ranges no route target may be in.
     */
    public List<Cidr> targetDeny()
    {
        return targetDeny;
    }

    /**
     * @return TARGET_ALLOW: when not empty, the only ranges a route target may be in.
     */
    public List<Cidr> targetAllow()
    {
        return targetAllow;
    }

    /**
     * @return RELAY_PORTS' first port.
     */
    public int relayPortsFirst()
    {
        return relayPortsFirst;
    }

    /**
     * @return RELAY_PORTS' last port, inclusive.
     */
    public int relayPortsLast()
    {
        return relayPortsLast;
    }

    /**
     * @return pace_ms of a route that does not ask, in milliseconds; 0 for no pacing.
     */
    public int paceMs()
    {
        return paceMs;
    }

    /**
     * @return most datagrams pacing holds at once on the node.
     */
    public int paceMaxHeld()
    {
        return paceMaxHeld;
    }

    /**
     * @return MIXER_ROOM_ENCODES_PER_PERIOD.
     */
    public int mixerRoomEncodesPerPeriod()
    {
        return mixerRoomEncodesPerPeriod;
    }

    /**
     * @return MIXER_NODE_ENCODES_PER_20MS.
     */
    public int mixerNodeEncodesPer20Ms()
    {
        return mixerNodeEncodesPer20Ms;
    }

    /**
     * @return MIXER_STALE_MS.
     */
    public int mixerStaleMs()
    {
        return mixerStaleMs;
    }

    /**
     * @return most datagrams jitter buffers hold at once on the node (slots reserved by routes' buffers).
     */
    public int jitterMaxHeld()
    {
        return jitterMaxHeld;
    }

    /**
     * @return the {@code OTEL_*} variables from the environment and {@code .env} (the environment wins), for the
     * OpenTelemetry SDK's autoconfiguration, which reads the process environment only.
     */
    public Map<String, String> otelSettings()
    {
        return otelSettings;
    }

    /**
     * @return every setting, safe to log: API keys as a count only, Redis credentials redacted.
     */
    public String toString()
    {
        return "Configuration{" +
            "bindAddr=" + show(bindAddr) +
            ", controlApiAddr=" + show(controlApiAddr) +
            ", metricsAddr=" + show(metricsAddr) +
            ", redisUrl=" + (redisEnabled() ? redactRedisUrl(redisUrl) : "<disabled>") +
            ", redisPoolSize=" + redisPoolSize +
            ", authEnabled=" + authEnabled +
            ", apiKeys=<" + apiKeys.size() + " redacted>" +
            ", maxStreamsPerNode=" + maxStreamsPerNode +
            ", redisQueueMax=" + redisQueueMax() +
            ", maxTargetsPerRoute=" + maxTargetsPerRoute +
            ", maxDatagramBytes=" + maxDatagramBytes +
            ", routeTtlSeconds=" + routeTtlSeconds +
            ", jitterBufferMs=" + jitterBufferMs +
            ", nodeId=" + nodeId +
            ", enableMixer=" + enableMixer +
            ", logLevel=" + logLevel.configName() +
            ", transport=" + transport.configName() +
            ", ringSize=" + ringSize +
            ", waitStrategy=" + waitStrategy.configName() +
            ", pinCpus=" + pinCpus +
            ", dataPlaneThreads=" + dataPlaneThreads +
            ", receiveBatch=" + receiveBatch +
            ", sendBatch=" + sendBatch +
            ", migrationGraceSeconds=" + migrationGraceSeconds +
            ", autoFailover=" + autoFailover +
            ", advertiseHost=" + (advertiseHost == null ? "<derived>" : advertiseHost.getHostAddress()) +
            ", relayPorts=" + relayPortsFirst + "-" + relayPortsLast +
            ", paceMs=" + paceMs +
            ", paceMaxHeld=" + paceMaxHeld +
            ", mixerRoomEncodesPerPeriod=" + mixerRoomEncodesPerPeriod +
            ", mixerNodeEncodesPer20Ms=" + mixerNodeEncodesPer20Ms +
            ", mixerStaleMs=" + mixerStaleMs +
            ", jitterMaxHeld=" + jitterMaxHeld +
            ", otel=" + otelSettings.keySet() +
            '}';
    }

    private static String show(final InetSocketAddress address)
    {
        final InetAddress ip = address.getAddress();
        final String host = ip.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * Hide the user-info of a Redis URL, which holds its password: everything between the scheme and the last
     * {@code @}, so that a password holding {@code / ? #} is hidden too.
     */
    private static String redactRedisUrl(final String url)
    {
        final int schemeEnd = url.indexOf("://");
        final int at = url.lastIndexOf('@');
        if (schemeEnd < 0 || at < schemeEnd + 3)
        {
            return url;
        }
        return url.substring(0, schemeEnd + 3) + REDACTED + url.substring(at);
    }

    /**
     * The merged variables and one parser per kind of setting; every failure is {@code NAME=value: why}.
     */
    private static final class Settings
    {
        private final Map<String, String> values;

        Settings(final Map<String, String> values)
        {
            this.values = values;
        }

        boolean isSet(final String name)
        {
            final String value = value(name);
            return value != null && !value.isEmpty();
        }

        /**
         * @return the trimmed value, or null when the variable is not set.
         */
        private String value(final String name)
        {
            final String value = values.get(name);
            return value == null ? null : value.strip();
        }

        private String required(final String name, final String expected)
        {
            final String value = value(name);
            if (value != null && value.isEmpty())
            {
                throw fail(name, value, "empty; expected " + expected);
            }
            return value;
        }

        InetAddress ipAddress(final String name)
        {
            final String value = required(name, "an IP address");
            if (value == null)
            {
                return null;
            }
            final String host = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) :
                value;
            InetAddress address = null;
            try
            {
                if (host.indexOf(':') >= 0)
                {
                    address = InetAddress.getByName(host); // contains ':', so an IPv6 literal: never a DNS query
                }
                else if (parseDottedQuad(host) != null)
                {
                    address = InetAddress.getByAddress(parseDottedQuad(host));
                }
            }
            catch (final UnknownHostException ex)
            {
                address = null;
            }
            if (address == null)
            {
                throw fail(name, value, "expected an IP address such as 10.0.0.5 or [fd00::5], not a name");
            }
            if (address.isAnyLocalAddress() || address.isMulticastAddress())
            {
                throw fail(name, value, "a wildcard or multicast address cannot be reached by other nodes");
            }
            return address;
        }

        Map<String, String> withPrefix(final String prefix)
        {
            final Map<String, String> selected = new java.util.TreeMap<>();
            for (final Map.Entry<String, String> e : values.entrySet())
            {
                if (e.getKey().startsWith(prefix))
                {
                    selected.put(e.getKey(), e.getValue());
                }
            }
            return java.util.Collections.unmodifiableMap(selected);
        }

        InetSocketAddress socketAddress(final String name, final String defaultValue)
        {
            final String set = required(name, "ip:port or [v6]:port");
            final String value = set == null ? defaultValue : set;
            final String host;
            final String portText;
            if (value.startsWith("["))
            {
                final int close = value.indexOf(']');
                if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':')
                {
                    throw fail(name, value, "expected [v6]:port");
                }
                host = value.substring(1, close);
                portText = value.substring(close + 2);
                if (host.indexOf(':') < 0)
                {
                    throw fail(name, value, "expected an IPv6 address between the brackets");
                }
            }
            else
            {
                final int colon = value.lastIndexOf(':');
                if (colon < 0 || value.indexOf(':') != colon)
                {
                    throw fail(name, value, "expected ip:port or [v6]:port");
                }
                host = value.substring(0, colon);
                portText = value.substring(colon + 1);
            }
            final long port = parseLong(portText);
            if (port < 0 || port > 65535)
            {
                throw fail(name, value, "the port must be 0-65535");
            }
            final InetAddress address;
            if (host.indexOf(':') >= 0)
            {
                try
                {
                    address = InetAddress.getByName(host); // contains ':', so an IPv6 literal: never a DNS query
                }
                catch (final UnknownHostException ex)
                {
                    throw fail(name, value, "'" + host + "' is not an IPv6 address");
                }
            }
            else
            {
                final byte[] ipv4 = parseDottedQuad(host);
                if (ipv4 == null)
                {
                    throw fail(name, value, "the host must be an IP address such as 0.0.0.0 or [::], not a name");
                }
                try
                {
                    address = InetAddress.getByAddress(ipv4);
                }
                catch (final UnknownHostException ex)
                {
                    throw new IllegalStateException(ex); // four bytes are always a valid address
                }
            }
            return new InetSocketAddress(address, (int)port);
        }

        String redisUrl(final String name, final String defaultValue)
        {
            final String value = value(name);
            if (value == null)
            {
                return defaultValue;
            }
            if (value.isEmpty())
            {
                return value;
            }
            final String rest;
            final boolean sentinel;
            boolean cluster = false;
            if (value.startsWith("redis://"))
            {
                rest = value.substring("redis://".length());
                sentinel = false;
            }
            else if (value.startsWith("rediss://"))
            {
                rest = value.substring("rediss://".length());
                sentinel = false;
            }
            else if (value.startsWith(SENTINEL_SCHEME))
            {
                rest = value.substring(SENTINEL_SCHEME.length());
                sentinel = true;
            }
            else if (value.startsWith(CLUSTER_SCHEME))
            {
                rest = value.substring(CLUSTER_SCHEME.length());
                sentinel = false;
                cluster = true;
            }
            else
            {
                throw fail(name, redactRedisUrl(value), "expected redis://host:port, rediss://host:port, " +
                    "redis-sentinel://h1:p1,h2:p2[/db]#master, redis-cluster://h1:p1,h2:p2, or empty");
            }
            final int at = rest.lastIndexOf('@');
            if (at >= 0 && indexOfDelimiter(rest.substring(0, at)) >= 0)
            {
                throw fail(name, redactRedisUrl(value),
                    "'/', '?' or '#' in the user name or password must be percent-encoded (%2F, %3F, %23)");
            }
            final String afterUserInfo = rest.substring(at + 1);
            final int authorityEnd = indexOfDelimiter(afterUserInfo);
            final String authority = authorityEnd < 0 ? afterUserInfo : afterUserInfo.substring(0, authorityEnd);
            if (cluster)
            {
                // Seed nodes, comma-separated; the cluster itself names the rest.
                for (final String hostPort : authority.split(",", -1))
                {
                    checkHostPort(name, value, hostPort);
                }
                if (afterUserInfo.length() > authority.length())
                {
                    throw fail(name, redactRedisUrl(value),
                        "a redis-cluster:// URL lists seed nodes only (a cluster has one database): redis-cluster://h1:7000,h2:7001");
                }
            }
            else if (sentinel)
            {
                // Sentinels, comma-separated, then the monitored master's name after '#'.
                for (final String hostPort : authority.split(",", -1))
                {
                    checkHostPort(name, value, hostPort);
                }
                final int hash = afterUserInfo.indexOf('#');
                if (hash < 0 || hash == afterUserInfo.length() - 1)
                {
                    throw fail(name, redactRedisUrl(value),
                        "a redis-sentinel:// URL names the master after '#': redis-sentinel://h1:26379,h2:26379/0#mymaster");
                }
            }
            else
            {
                checkHostPort(name, value, authority);
            }
            return value;
        }

        private void checkHostPort(final String name, final String value, final String hostPort)
        {
            final int portColon = hostPort.startsWith("[") ?
                hostPort.indexOf(':', Math.max(hostPort.indexOf(']'), 0)) : hostPort.lastIndexOf(':');
            final String host = portColon < 0 ? hostPort : hostPort.substring(0, portColon);
            if (host.isEmpty() || host.equals("[]"))
            {
                throw fail(name, redactRedisUrl(value), "no host");
            }
            if (portColon >= 0)
            {
                final long port = parseLong(hostPort.substring(portColon + 1));
                if (port < 1 || port > 65535)
                {
                    throw fail(name, redactRedisUrl(value), "the port must be 1-65535");
                }
            }
        }

        private static int indexOfDelimiter(final String text)
        {
            for (int i = 0; i < text.length(); i++)
            {
                final char c = text.charAt(i);
                if (c == '/' || c == '?' || c == '#')
                {
                    return i;
                }
            }
            return -1;
        }

        boolean bool(final String name, final boolean defaultValue)
        {
            final String value = value(name);
            if (value == null)
            {
                return defaultValue;
            }
            if (value.equals("true"))
            {
                return true;
            }
            if (value.equals("false"))
            {
                return false;
            }
            throw fail(name, value, "expected true or false");
        }

        int intInRange(final String name, final int defaultValue, final int min, final int max)
        {
            final String value = required(name, "an integer " + min + "-" + max);
            if (value == null)
            {
                return defaultValue;
            }
            final long parsed = parseSignedLong(value);
            if (parsed == Long.MIN_VALUE)
            {
                throw fail(name, value, "not an integer; expected " + min + "-" + max);
            }
            if (parsed < min || parsed > max)
            {
                throw fail(name, value, "outside " + min + "-" + max);
            }
            return (int)parsed;
        }

        /**
         * @return {first, last}: {@code first-last} or one port, within 1-65535, first not above last.
         */
        int[] portRange(final String name, final int defaultFirst, final int defaultLast)
        {
            final String expected = "first-last, e.g. 40000-49999, or one port, within 1-65535";
            final String value = required(name, expected);
            if (value == null)
            {
                return new int[]{ defaultFirst, defaultLast };
            }
            final int dash = value.indexOf('-');
            final String firstText = (dash < 0 ? value : value.substring(0, dash)).strip();
            final String lastText = (dash < 0 ? value : value.substring(dash + 1)).strip();
            final long first = parseSignedLong(firstText);
            final long last = parseSignedLong(lastText);
            if (first == Long.MIN_VALUE || last == Long.MIN_VALUE)
            {
                throw fail(name, value, "expected " + expected);
            }
            if (first < 1 || last > 65535 || first > 65535 || last < 1)
            {
                throw fail(name, value, "ports must be within 1-65535");
            }
            if (first > last)
            {
                throw fail(name, value, "the first port is above the last");
            }
            return new int[]{ (int)first, (int)last };
        }

        int powerOfTwo(final String name, final int defaultValue, final int min, final int max)
        {
            final int value = intInRange(name, defaultValue, min, max);
            if (Integer.bitCount(value) != 1)
            {
                throw fail(name, value(name), "not a power of two (" + min + ", " + (min * 2) + ", ... " + max + ")");
            }
            return value;
        }

        <E> E choice(final String name, final E defaultValue, final E[] choices, final Function<E, String> nameOf)
        {
            final StringBuilder expected = new StringBuilder();
            for (final E choice : choices)
            {
                expected.append(expected.length() == 0 ? "" : "|").append(nameOf.apply(choice));
            }
            final String value = required(name, expected.toString());
            if (value == null)
            {
                return defaultValue;
            }
            for (final E choice : choices)
            {
                if (nameOf.apply(choice).equals(value))
                {
                    return choice;
                }
            }
            throw fail(name, value, "expected " + expected);
        }

        String nodeId(final String name, final int relayPort)
        {
            final String value = required(name, "1-" + NODE_ID_MAX_LENGTH + " characters of A-Z a-z 0-9 _ . -");
            if (value == null)
            {
                return defaultNodeId(localHostName(), relayPort);
            }
            if (value.length() > NODE_ID_MAX_LENGTH)
            {
                throw fail(name, value, "longer than " + NODE_ID_MAX_LENGTH + " characters");
            }
            for (int i = 0; i < value.length(); i++)
            {
                final char c = value.charAt(i);
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-'))
                {
                    throw fail(name, value, "only A-Z a-z 0-9 _ . - are allowed");
                }
            }
            return value;
        }

        List<String> apiKeys(final String name)
        {
            final String value = value(name);
            if (value == null || value.isEmpty())
            {
                return List.of();
            }
            final Set<String> keys = new LinkedHashSet<>();
            final String[] entries = value.split(",", -1);
            for (int i = 0; i < entries.length; i++)
            {
                final String key = entries[i].strip();
                if (key.isEmpty())
                {
                    continue;
                }
                final String entry = "entry " + (i + 1) + ": ";
                if (key.length() < API_KEY_MIN_LENGTH || key.length() > API_KEY_MAX_LENGTH)
                {
                    throw failRedacted(name, entry + key.length() + " characters long; a key needs " +
                        API_KEY_MIN_LENGTH + "-" + API_KEY_MAX_LENGTH);
                }
                for (int j = 0; j < key.length(); j++)
                {
                    final char c = key.charAt(j);
                    if (c <= ' ' || c >= 0x7F)
                    {
                        throw failRedacted(name, entry + "only printable ASCII without spaces or commas is allowed");
                    }
                }
                keys.add(key);
            }
            return List.copyOf(keys);
        }

        List<Cidr> cidrList(final String name, final String defaultValue)
        {
            final String value = value(name);
            final String text = value == null ? defaultValue : value;
            try
            {
                return Cidr.parseList(text);
            }
            catch (final IllegalArgumentException ex)
            {
                throw fail(name, text, ex.getMessage() + "; expected comma-separated ranges such as " +
                    "10.0.0.0/8,fd00::/8, or empty for none");
            }
        }

        List<Integer> cpuList(final String name)
        {
            final String value = value(name);
            if (value == null || value.isEmpty())
            {
                return List.of();
            }
            final List<Integer> cpus = new ArrayList<>();
            for (final String entry : value.split(",", -1))
            {
                final String text = entry.strip();
                if (text.isEmpty())
                {
                    continue;
                }
                final long cpu = parseLong(text);
                if (cpu < 0 || cpu > PIN_CPU_MAX)
                {
                    throw fail(name, value, "'" + text + "' is not a CPU id 0-" + PIN_CPU_MAX);
                }
                if (cpus.contains((int)cpu))
                {
                    throw fail(name, value, "CPU " + cpu + " is listed twice");
                }
                cpus.add((int)cpu);
            }
            return Collections.unmodifiableList(cpus);
        }

        private static ConfigurationException fail(final String name, final String value, final String why)
        {
            return new ConfigurationException(name + "=" + printable(value) + ": " + why);
        }

        private static ConfigurationException failRedacted(final String name, final String why)
        {
            return new ConfigurationException(name + "=" + REDACTED + ": " + why);
        }

        /**
         * A value as it can be shown in one log line: control characters escaped, long values cut.
         */
        private static String printable(final String value)
        {
            final StringBuilder sb = new StringBuilder(Math.min(value.length(), MAX_SHOWN_VALUE_LENGTH) + 8);
            for (int i = 0; i < value.length(); i++)
            {
                if (sb.length() >= MAX_SHOWN_VALUE_LENGTH)
                {
                    return sb.append("...").toString();
                }
                final char c = value.charAt(i);
                if (c < 0x20 || c == 0x7F)
                {
                    sb.append(String.format("\\x%02x", (int)c));
                }
                else
                {
                    sb.append(c);
                }
            }
            return sb.toString();
        }

        /**
         * @return the value of 1-10 ASCII digits, or -1 when the text is anything else.
         */
        private static long parseLong(final String text)
        {
            if (text.isEmpty() || text.length() > 10)
            {
                return -1;
            }
            long value = 0;
            for (int i = 0; i < text.length(); i++)
            {
                final char c = text.charAt(i);
                if (c < '0' || c > '9')
                {
                    return -1;
                }
                value = value * 10 + (c - '0');
            }
            return value;
        }

        /**
         * @return the value of an optional '-' and ASCII digits, clamped to +/-10^12 so a range check still
         * fails for a huge number, or {@link Long#MIN_VALUE} when the text is not an integer.
         */
        private static long parseSignedLong(final String text)
        {
            final boolean negative = text.startsWith("-");
            final String digits = negative ? text.substring(1) : text;
            if (digits.isEmpty())
            {
                return Long.MIN_VALUE;
            }
            long value = 0;
            for (int i = 0; i < digits.length(); i++)
            {
                final char c = digits.charAt(i);
                if (c < '0' || c > '9')
                {
                    return Long.MIN_VALUE;
                }
                value = Math.min(value * 10 + (c - '0'), 1_000_000_000_000L);
            }
            return negative ? -value : value;
        }

        private static byte[] parseDottedQuad(final String host)
        {
            final String[] parts = host.split("\\.", -1);
            if (parts.length != 4)
            {
                return null;
            }
            final byte[] address = new byte[4];
            for (int i = 0; i < 4; i++)
            {
                final String part = parts[i];
                final long octet = parseLong(part);
                if (octet < 0 || octet > 255 || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0'))
                {
                    return null;
                }
                address[i] = (byte)octet;
            }
            return address;
        }
    }
}
