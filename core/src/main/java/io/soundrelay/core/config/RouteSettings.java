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

import java.util.List;

/**
 * The settings of routes, each declared once (see {@link Setting}): how many, how many targets, where targets may
 * be, how long a route lives, and the defaults and node-wide pools of jitter buffers, pacing and relay ports.
 */
public final class RouteSettings
{
    public static final Setting<Integer> MAX_STREAMS_PER_NODE = Setting.integer("MAX_STREAMS_PER_NODE", 1000, 1,
        1_000_000, "most routes this node holds ({min}-{max})")
        .explained("Most routes this node holds at once. At the limit, POST /route and /readyz answer 503 naming " +
            "this setting, until a route ends.");

    public static final Setting<Integer> MAX_TARGETS_PER_ROUTE = Setting.integer("MAX_TARGETS_PER_ROUTE", 16, 1, 256,
        "most target_addrs per route ({min}-{max})")
        .explained("Most target_addrs one route may list.");

    public static final Setting<Integer> ROUTE_TTL_SECONDS = Setting.integer("ROUTE_TTL_SECONDS", 300, 1, 86_400,
        "a route nobody sends on for this long expires ({min}-{max})")
        .explained("A route nobody sends on for this long expires, from memory and from Redis.");

    /** Jitter buffer of a route that does not ask for one. */
    public static final Setting<Integer> JITTER_BUFFER_MS = Setting.integer("JITTER_BUFFER_MS", 0, 0, 1000,
        "jitter_ms of a route that sets none ({min}-{max})");

    /**
     * Comma-separated address ranges no route target may be in; empty for none. The default refuses link-local
     * addresses, where cloud metadata services answer (169.254.169.254).
     */
    public static final Setting<List<Cidr>> TARGET_DENY = Setting.parsed("TARGET_DENY", AddressPolicy.DEFAULT_DENY,
        null, Parsers::cidrList, "address ranges no route target may be in; empty for none (an IPv6 target " +
        "embedding IPv4, e.g. NAT64 64:ff9b::/96, is judged as that IPv4 too)")
        .allowing("comma-separated CIDR ranges (10.0.0.0/8, fd00::/8) or addresses; empty")
        .explained("Address ranges no route target may be in; empty for none. An IPv6 target that embeds an " +
            "IPv4 address (NAT64, 6to4, IPv4-compatible, -mapped, SIIT) is judged as that IPv4 address too. The " +
            "default refuses link-local addresses, where cloud metadata services answer (169.254.169.254).");

    /** Comma-separated address ranges: when set, the only ones a route target may be in. */
    public static final Setting<List<Cidr>> TARGET_ALLOW = Setting.parsed("TARGET_ALLOW", "", null,
        Parsers::cidrList, "when set, the only address ranges a route target may be in").shownAs("empty")
        .allowing("comma-separated CIDR ranges or addresses; empty")
        .explained("When set, the only address ranges a route target may be in (loopback included only if " +
            "listed).");

    private static final String RELAY_PORTS_EXPECTED = "first-last, e.g. 40000-49999, or one port, within 1-65535";

    public static final int RELAY_PORTS_FIRST_DEFAULT = 40000;
    public static final int RELAY_PORTS_LAST_DEFAULT = 49999;

    /**
     * UDP ports on the relay IP for routes with a return path (PROTOCOL.md section 9): {@code first-last} or one
     * port.
     */
    public static final Setting<int[]> RELAY_PORTS = Setting.parsed("RELAY_PORTS",
        RELAY_PORTS_FIRST_DEFAULT + "-" + RELAY_PORTS_LAST_DEFAULT, RELAY_PORTS_EXPECTED,
        (name, value) -> Parsers.portRange(name, value, RELAY_PORTS_EXPECTED),
        "UDP ports on the relay IP, one per route with return_path: first-last or one port")
        .explained("UDP ports on the relay IP (BIND_ADDR's address), one bound per route with return_path: " +
            "first-last, or one port. The range's size is the most return-path routes the node can hold; when " +
            "every port is bound (by this node or another process), POST and PUT with return_path answer 503 " +
            "naming RELAY_PORTS. Keep it clear of the ports of BIND_ADDR, CONTROL_API_ADDR and METRICS_ADDR: " +
            "the node does not check. The default lies inside Linux's ephemeral range (32768-60999 by default), " +
            "so another process's outgoing socket may hold one of its ports now and then (skipped): reserve the " +
            "range with sysctl -w net.ipv4.ip_local_reserved_ports=40000-49999, or move it. Open it in the " +
            "firewall.");

    /** Pacing of a route that does not ask (PROTOCOL.md section 10): how far ahead its source may send, 0 for off. */
    public static final Setting<Integer> PACE_MS = Setting.integer("PACE_MS", 0, 0, 2000,
        "pace_ms of a route that sets none: how far ahead its source may send, 0 for no pacing ({min}-{max})");

    /**
     * Most datagrams pacing holds at once on the node, all routes together: the size of the pool of held copies,
     * allocated when the first paced route arrives ({@code PACE_MAX_HELD} x {@code MAX_DATAGRAM_BYTES} off-heap).
     */
    public static final Setting<Integer> PACE_MAX_HELD = Setting.integer("PACE_MAX_HELD", 32_768, 1, 1 << 20,
        "most datagrams pacing holds at once, all routes together ({min}-{max})")
        .explained("Most datagrams pacing holds at once, all routes of one pipeline together: each pipeline " +
            "has a pool of its own, so a node of N pipelines holds at most N x PACE_MAX_HELD. A pool's memory " +
            "grows with what its paced routes may hold, up to PACE_MAX_HELD x MAX_DATAGRAM_BYTES (49 MB at the " +
            "defaults); when it is full, a route's held datagrams leave early " +
            "(relay_pace_reanchors_total{reason=\"full\"}).");

    /**
     * Most datagrams jitter buffers hold at once on the node, all routes together: the size of the pool of their slots
     * ({@code JITTER_MAX_HELD} x {@code MAX_DATAGRAM_BYTES} off-heap at most, allocated as the peak grows, never on a
     * data-plane thread). A route's buffer takes {@code capacityFor(jitter_ms)} slots (8 to 128); a route that cannot
     * have one is refused with 503. 0: no route may have a jitter buffer.
     */
    public static final Setting<Integer> JITTER_MAX_HELD = Setting.integer("JITTER_MAX_HELD", 16_384, 0, 1 << 20,
        "most datagrams jitter buffers hold at once, all routes together; 8-128 a route ({min}-{max})")
        .explained("Most datagrams the jitter buffers hold at once, all routes of all pipelines together; 0: " +
            "no route may have a jitter buffer. A route's buffer takes 2 x jitter_ms / 20 + 4 slots, rounded up " +
            "to a power of two, 8 to 128. A POST or PUT whose buffer does not fit answers 503 naming " +
            "JITTER_MAX_HELD and changes nothing. The memory grows with the node's peak of buffers up to " +
            "JITTER_MAX_HELD x MAX_DATAGRAM_BYTES (24 MiB at the defaults) and is reused, never given back.");

    /** The page heading of these settings. */
    static final String TITLE = "Routes";

    /** What the reference page says of these settings first. */
    static final String INTRO = "How many routes a node holds and how many targets each, where targets may be, how " +
        "long an idle route lives, and the defaults and node-wide pools of jitter buffers, pacing and relay ports. " +
        "A route's own fields (jitter_ms, pace_ms) override the defaults.";

    /** Every declaration of this class, in the order of the reference page. */
    static final List<Setting<?>> SETTINGS = List.of(MAX_STREAMS_PER_NODE, MAX_TARGETS_PER_ROUTE, ROUTE_TTL_SECONDS,
        TARGET_DENY, TARGET_ALLOW, RELAY_PORTS, JITTER_BUFFER_MS, JITTER_MAX_HELD, PACE_MS, PACE_MAX_HELD);

    private RouteSettings()
    {
    }
}
