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

import io.soundrelay.core.route.Cidr;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every setting of a node, read once at start-up from the environment and a {@code .env} file (the environment
 * wins), validated, then immutable. Each setting is declared once, as a {@link Setting} (name, default, bounds,
 * parser and help text) in one of the catalogues {@link DataPlaneSettings}, {@link RouteSettings},
 * {@link ApiSettings} and {@link ClusterSettings}; this class reads them in {@link #Configuration}, and derives
 * {@link #NAMES} and {@link #help()} from their list in contract order.
 * <p>
 * A value that does not parse throws {@link ConfigurationException} with the message {@code NAME=value: why}, so
 * that a node never starts half-configured. Values are trimmed. An empty value is refused, except for
 * {@code REDIS_URL} (no Redis), {@code API_KEYS}, {@code PIN_CPUS}, {@code TARGET_DENY} and {@code TARGET_ALLOW}
 * (none).
 */
public final class Configuration
{
    /** Every variable a node reads, in the order of the contract. */
    public static final List<String> NAMES = NodeSettings.names();

    // The names, defaults and bounds callers use as constants of this class, each derived from its declaration.
    public static final String BIND_ADDR_ENV = DataPlaneSettings.BIND_ADDR.name();
    public static final String BIND_ADDR_DEFAULT = DataPlaneSettings.BIND_ADDR.help().defaultValue();
    public static final String CONTROL_API_ADDR_ENV = ApiSettings.CONTROL_API_ADDR.name();
    public static final String METRICS_ADDR_ENV = ApiSettings.METRICS_ADDR.name();
    /** The REDIS_URL scheme of a master found through Sentinel. */
    public static final String SENTINEL_SCHEME = RedisUrls.SENTINEL_SCHEME;
    /** The REDIS_URL scheme of a Redis Cluster, followed by seed nodes. */
    public static final String CLUSTER_SCHEME = RedisUrls.CLUSTER_SCHEME;
    public static final int REDIS_POOL_SIZE_DEFAULT = ClusterSettings.REDIS_POOL_SIZE.defaultValue();
    public static final String MAX_STREAMS_PER_NODE_ENV = RouteSettings.MAX_STREAMS_PER_NODE.name();
    public static final int MAX_DATAGRAM_BYTES_DEFAULT = DataPlaneSettings.MAX_DATAGRAM_BYTES.defaultValue();
    public static final String NODE_ID_ENV = ClusterSettings.NODE_ID.name();
    public static final int NODE_ID_MAX_LENGTH = ClusterSettings.NODE_ID_MAX_LENGTH;
    /** The default NODE_ID when the host name cannot be read or has no usable character. */
    public static final String NODE_ID_FALLBACK_HOST = "soundrelay";
    public static final String RELAY_PORTS_ENV = RouteSettings.RELAY_PORTS.name();
    public static final String RELAY_PORTS_DEFAULT = RouteSettings.RELAY_PORTS.help().defaultValue();
    public static final String CONTROL_API_MAX_CONNECTIONS_ENV = ApiSettings.CONTROL_API_MAX_CONNECTIONS.name();
    public static final int CONTROL_API_MAX_CONNECTIONS_DEFAULT =
        ApiSettings.CONTROL_API_MAX_CONNECTIONS.defaultValue();
    public static final int JITTER_MAX_HELD_DEFAULT = RouteSettings.JITTER_MAX_HELD.defaultValue();
    /** Prefix of the OpenTelemetry variables handed to the SDK's autoconfiguration. */
    public static final String OTEL_PREFIX = ApiSettings.OTEL_PREFIX;

    /** Name of the file read from the working directory by {@link #fromEnvironment()}. */
    public static final String DOT_ENV_FILE = ".env";

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
        return NodeSettings.help();
    }

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
        /** epoll when available (Linux), else NIO; io_uring, of earlier versions, is accepted and runs epoll. */
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
    private final int dataPlanePipelines;
    private final int receiveBatch;
    private final int sendBatch;
    private final int migrationGraceSeconds;
    private final int drainTimeoutSeconds;
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
    private final Map<String, String> values;

    Configuration(final Map<String, String> values)
    {
        // Read in the order of old, so that of two bad values the same one is named first.
        bindAddr = DataPlaneSettings.BIND_ADDR.read(values);
        controlApiAddr = ApiSettings.CONTROL_API_ADDR.read(values);
        metricsAddr = ApiSettings.METRICS_ADDR.read(values);
        redisUrl = ClusterSettings.REDIS_URL.read(values);
        redisPoolSize = ClusterSettings.REDIS_POOL_SIZE.read(values);
        redisQueueMaxSetting = ClusterSettings.REDIS_QUEUE_MAX.read(values);
        authEnabled = ApiSettings.AUTH_ENABLED.read(values);
        apiKeys = ApiSettings.API_KEYS.read(values);
        maxStreamsPerNode = RouteSettings.MAX_STREAMS_PER_NODE.read(values);
        maxTargetsPerRoute = RouteSettings.MAX_TARGETS_PER_ROUTE.read(values);
        maxDatagramBytes = DataPlaneSettings.MAX_DATAGRAM_BYTES.read(values);
        routeTtlSeconds = RouteSettings.ROUTE_TTL_SECONDS.read(values);
        jitterBufferMs = RouteSettings.JITTER_BUFFER_MS.read(values);
        final String setNodeId = ClusterSettings.NODE_ID.read(values);
        nodeId = setNodeId != null ? setNodeId : defaultNodeId(localHostName(), bindAddr.getPort());
        enableMixer = DataPlaneSettings.ENABLE_MIXER.read(values);
        logLevel = ApiSettings.LOG_LEVEL.read(values);
        transport = DataPlaneSettings.TRANSPORT.read(values);
        ringSize = DataPlaneSettings.RING_SIZE.read(values);
        waitStrategy = DataPlaneSettings.WAIT_STRATEGY.read(values);
        pinCpus = DataPlaneSettings.PIN_CPUS.read(values);
        dataPlaneThreads = DataPlaneSettings.DATA_PLANE_THREADS.read(values);
        dataPlanePipelines = DataPlaneSettings.pipelines(DataPlaneSettings.DATA_PLANE_PIPELINES.read(values), pinCpus,
            Runtime.getRuntime().availableProcessors());
        receiveBatch = DataPlaneSettings.RECEIVE_BATCH.read(values);
        sendBatch = DataPlaneSettings.SEND_BATCH.read(values);
        migrationGraceSeconds = ClusterSettings.MIGRATION_GRACE_SECONDS.read(values);
        drainTimeoutSeconds = ClusterSettings.DRAIN_TIMEOUT_SECONDS.read(values);
        autoFailover = ClusterSettings.AUTO_FAILOVER.read(values);
        advertiseHost = ClusterSettings.ADVERTISE_HOST.read(values);
        targetDeny = RouteSettings.TARGET_DENY.read(values);
        targetAllow = RouteSettings.TARGET_ALLOW.read(values);
        final int[] relayPorts = RouteSettings.RELAY_PORTS.read(values);
        relayPortsFirst = relayPorts[0];
        relayPortsLast = relayPorts[1];
        paceMs = RouteSettings.PACE_MS.read(values);
        paceMaxHeld = RouteSettings.PACE_MAX_HELD.read(values);
        mixerRoomEncodesPerPeriod = DataPlaneSettings.MIXER_ROOM_ENCODES_PER_PERIOD.read(values);
        mixerNodeEncodesPer20Ms = DataPlaneSettings.MIXER_NODE_ENCODES_PER_20MS.read(values);
        mixerStaleMs = DataPlaneSettings.MIXER_STALE_MS.read(values);
        jitterMaxHeld = RouteSettings.JITTER_MAX_HELD.read(values);
        otelSettings = NodeSettings.withPrefix(values, OTEL_PREFIX);
        controlApiMaxConnections = ApiSettings.CONTROL_API_MAX_CONNECTIONS.read(values);
        unauthRatePerSecond = ApiSettings.UNAUTH_RATE_PER_SECOND.read(values);
        unauthRateBurst = ApiSettings.UNAUTH_RATE_BURST.read(values);
        given = NodeSettings.given(values);
        this.values = new HashMap<>(values);
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
     * @return the variables these settings were read from; credentials included: never log them.
     */
    Map<String, String> values()
    {
        return values;
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
     * {@value ClusterSettings#NODE_ID_MAX_LENGTH} characters. Stable across restarts of the same node, so it finds its
     * routes again.
     *
     * @param hostName  the host's name, or null when unknown.
     * @param relayPort the relay port (BIND_ADDR's).
     * @return the id.
     */
    public static String defaultNodeId(final String hostName, final int relayPort)
    {
        return NodeIds.defaultNodeId(hostName, relayPort, NODE_ID_FALLBACK_HOST);
    }

    /**
     * @return this host's name: the kernel's (also a container's own), else what the JDK resolves, else null.
     */
    public static String localHostName()
    {
        return NodeIds.localHostName();
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
            merged.putAll(DotEnv.read(dotEnvFile));
        }
        if (env != null)
        {
            merged.putAll(env);
        }
        return new Configuration(merged);
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
        return DotEnv.read(file);
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
        return redisEnabled() ? RedisUrls.redact(redisUrl) : "";
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
     * 0, 16 per route the node may hold and at least {@link ClusterSettings#REDIS_QUEUE_MIN_DERIVED}.
     */
    public int redisQueueMax()
    {
        return redisQueueMaxSetting > 0 ? redisQueueMaxSetting :
            (int)Math.min(ClusterSettings.REDIS_QUEUE_MAX.max(),
                Math.max(ClusterSettings.REDIS_QUEUE_MIN_DERIVED, 16L * maxStreamsPerNode));
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
     * @return DATA_PLANE_PIPELINES resolved: 1-64 share-nothing pipelines, {@code auto} already counted.
     */
    public int dataPlanePipelines()
    {
        return dataPlanePipelines;
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

    public int drainTimeoutSeconds()
    {
        return drainTimeoutSeconds;
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
            "bindAddr=" + show(bindAddr) + ", controlApiAddr=" + show(controlApiAddr) +
            ", metricsAddr=" + show(metricsAddr) +
            ", redisUrl=" + (redisEnabled() ? RedisUrls.redact(redisUrl) : "<disabled>") +
            ", redisPoolSize=" + redisPoolSize + ", authEnabled=" + authEnabled +
            ", apiKeys=<" + apiKeys.size() + " redacted>" +
            ", maxStreamsPerNode=" + maxStreamsPerNode + ", redisQueueMax=" + redisQueueMax() +
            ", maxTargetsPerRoute=" + maxTargetsPerRoute + ", maxDatagramBytes=" + maxDatagramBytes +
            ", routeTtlSeconds=" + routeTtlSeconds + ", jitterBufferMs=" + jitterBufferMs +
            ", nodeId=" + nodeId + ", enableMixer=" + enableMixer +
            ", logLevel=" + logLevel.configName() + ", transport=" + transport.configName() +
            ", ringSize=" + ringSize + ", waitStrategy=" + waitStrategy.configName() + ", pinCpus=" + pinCpus +
            ", dataPlaneThreads=" + dataPlaneThreads + ", dataPlanePipelines=" + dataPlanePipelines +
            ", receiveBatch=" + receiveBatch + ", sendBatch=" + sendBatch +
            ", migrationGraceSeconds=" + migrationGraceSeconds + ", drainTimeoutSeconds=" + drainTimeoutSeconds +
            ", autoFailover=" + autoFailover +
            ", advertiseHost=" + (advertiseHost == null ? "<derived>" : advertiseHost.getHostAddress()) +
            ", relayPorts=" + relayPortsFirst + "-" + relayPortsLast +
            ", paceMs=" + paceMs + ", paceMaxHeld=" + paceMaxHeld +
            ", mixerRoomEncodesPerPeriod=" + mixerRoomEncodesPerPeriod +
            ", mixerNodeEncodesPer20Ms=" + mixerNodeEncodesPer20Ms +
            ", mixerStaleMs=" + mixerStaleMs +
            ", jitterMaxHeld=" + jitterMaxHeld +
            ", otel=" + otelSettings.keySet() +
            '}';
    }

    static String show(final InetSocketAddress address)
    {
        final InetAddress ip = address.getAddress();
        final String host = ip.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
