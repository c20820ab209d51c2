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

import java.net.InetAddress;
import java.util.List;

/**
 * The settings of a node among others, each declared once (see {@link Setting}): Redis, the node's id and address,
 * and hand-offs between nodes.
 */
public final class ClusterSettings
{
    /** {@code redis://} or {@code rediss://} URL; empty for no Redis. */
    public static final Setting<String> REDIS_URL = Setting.parsed("REDIS_URL", "redis://127.0.0.1:6379", null,
        RedisUrls::parse, "shared routing table: redis://, rediss:// (TLS), redis-sentinel://h1:p1,h2:p2[/db]#master " +
        "or redis-cluster://h1:p1,h2:p2; empty for memory only")
        .allowing("a redis://, rediss://, redis-sentinel:// or redis-cluster:// URL; empty")
        .explained("The shared routing table: routes survive a restart, and nodes on one Redis see each other, " +
            "hand routes over and (with AUTO_FAILOVER) adopt a dead node's. redis://[:password@]host:port[/db]; " +
            "rediss://... (TLS, verified against the JVM's trust store); " +
            "redis-sentinel://[:password@]h1:p1,h2:p2[/db]#master (the master Sentinel names); " +
            "redis-cluster://[:password@]h1:p1,h2:p2 (seed nodes of a Redis Cluster). Empty: memory only, and " +
            "routes end with the node. A password Redis refuses stops the node at start-up; the log shows the " +
            "URL with its password hidden.");

    /**
     * Accepted for compatibility only: the node uses one multiplexed connection for all its Redis traffic, whatever
     * this says (README, "Why one connection").
     */
    public static final Setting<Integer> REDIS_POOL_SIZE = Setting.integer("REDIS_POOL_SIZE", 4, 1, 64,
        "accepted for compatibility only ({min}-{max}), no effect: the node uses one multiplexed connection");

    /** The least REDIS_QUEUE_MAX. */
    public static final int REDIS_QUEUE_MIN = 64;
    /** The least REDIS_QUEUE_MAX derived from MAX_STREAMS_PER_NODE. */
    public static final int REDIS_QUEUE_MIN_DERIVED = 4096;

    /** Route writes queued while Redis is unreachable; 0 derives it from MAX_STREAMS_PER_NODE. */
    public static final Setting<Integer> REDIS_QUEUE_MAX = Setting.integer("REDIS_QUEUE_MAX", 0, 0, 10_000_000,
        "route writes queued in order while Redis is unreachable (" + REDIS_QUEUE_MIN + "-{max}); 0: 16 x " +
        "MAX_STREAMS_PER_NODE, at least " + REDIS_QUEUE_MIN_DERIVED)
        .checked((name, value) ->
        {
            if (value > 0 && value < REDIS_QUEUE_MIN)
            {
                throw Parsers.fail(name, Integer.toString(value),
                    "at least " + REDIS_QUEUE_MIN + ", or 0 for 16 x MAX_STREAMS_PER_NODE");
            }
        }).allowing("0, or an integer " + REDIS_QUEUE_MIN + "-{max}")
        .explained("Route writes that wait, in order, while Redis is unreachable; 0: 16 x " +
            "MAX_STREAMS_PER_NODE, at least 4096. A full queue is dropped whole, counted, and replaced by a " +
            "full reconcile when Redis returns.");

    public static final int NODE_ID_MAX_LENGTH = 64;

    /**
     * 1-64 characters of {@code [A-Za-z0-9_.-]}. Unset: {@link Configuration#defaultNodeId the host name and the relay
     * port}, so that two nodes on one Redis never share an id by accident (a node refuses to start while another live
     * node holds its id).
     */
    public static final Setting<String> NODE_ID = Setting.optional("NODE_ID", "<host>-<relay port>",
        "1-" + NODE_ID_MAX_LENGTH + " characters of A-Z a-z 0-9 _ . -",
        (name, value) -> Parsers.nodeId(name, value, NODE_ID_MAX_LENGTH),
        "this node's name in routes and Redis; unique among live nodes on one Redis")
        .explained("This node's name in routes, Redis, logs and /health. Unset: the host name (other " +
            "characters become -) and the port the relay socket is bound to, e.g. media-3-4000: stable across " +
            "restarts, different for two nodes on one host. A node refuses to start (exit 2, naming the other " +
            "node's addresses) while another live node on the same Redis has its NODE_ID.");

    public static final Setting<Integer> MIGRATION_GRACE_SECONDS = Setting.integer("MIGRATION_GRACE_SECONDS", 30, 0,
        3600, "how long a migrated stream is still forwarded to its new node ({min}-{max})")
        .explained("How long the old node still forwards a migrated stream's datagrams to its new node, while " +
            "its source switches over.");

    /**
     * How long a drain (SIGTERM or {@code POST /drain}) may take at most: hand-offs and the HOP forwarding after them.
     * Zero is refused: a node that should stop at once is sent a second SIGTERM.
     */
    public static final Setting<Integer> DRAIN_TIMEOUT_SECONDS = Setting.integer("DRAIN_TIMEOUT_SECONDS", 60, 1,
        3600, "how long a drain on SIGTERM or POST /drain may take before the node stops anyway ({min}-{max})")
        .explained("The longest a drain (SIGTERM or POST /drain) may take: hand-offs and the forwarding after " +
            "them. When it runs out the node stops anyway; routes not handed over stay its own in Redis.");

    public static final Setting<Boolean> AUTO_FAILOVER = Setting.bool("AUTO_FAILOVER", false,
        "live nodes adopt a dead node's routes on their own")
        .explained("When true, live nodes adopt a dead node's routes on their own, the least loaded first.");

    /**
     * The IP address other nodes and sources reach this node at: its heartbeat's relay_addr and control_addr are this
     * address with the bound ports. Unset: BIND_ADDR's address, or when that is a wildcard, the first address of an
     * interface that is up and not loopback (127.0.0.1 when there is none).
     */
    public static final Setting<InetAddress> ADVERTISE_HOST = Setting.optional("ADVERTISE_HOST", "derived",
        "an IP address", Parsers::ipAddress,
        "IP other nodes and sources reach this node at (default: BIND_ADDR's, or the host's)")
        .explained("The IP address other nodes and sources reach this node at; the heartbeat's relay_addr and " +
            "control_addr use it with the bound ports. Unset: BIND_ADDR's address, or for 0.0.0.0 the first " +
            "address of an interface that is up and not loopback (127.0.0.1 when there is none). Set it behind " +
            "NAT, in containers and when a host has several addresses.");

    /** The page heading of these settings. */
    static final String TITLE = "Redis and several nodes";

    /** What the reference page says of these settings first. */
    static final String INTRO = "Redis, the node's id and the address it advertises, and hand-offs between nodes: " +
        "migration, drain and failover.";

    /** Every declaration of this class, in the order of the reference page. */
    static final List<Setting<?>> SETTINGS = List.of(REDIS_URL, REDIS_POOL_SIZE, REDIS_QUEUE_MAX, NODE_ID,
        ADVERTISE_HOST, MIGRATION_GRACE_SECONDS, DRAIN_TIMEOUT_SECONDS, AUTO_FAILOVER);

    private ClusterSettings()
    {
    }
}
