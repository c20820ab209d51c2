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

import io.soundrelay.core.config.Configuration.Transport;
import io.soundrelay.core.config.Configuration.WaitStrategy;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The data plane's settings, each declared once (see {@link Setting}): the relay socket, its transport, the hot-path
 * threads, their ring and batches, datagram size, and the mixer stage. {@code DataPlane.Context} takes its defaults
 * and limits from here too.
 */
public final class DataPlaneSettings
{
    /** UDP relay socket, {@code ip:port} or {@code [v6]:port}. */
    public static final Setting<InetSocketAddress> BIND_ADDR = Setting.parsed("BIND_ADDR", "0.0.0.0:4000",
        "ip:port or [v6]:port", Parsers::socketAddress, "UDP relay socket, ip:port or [v6]:port")
        .explained("The UDP socket sources send to and the node relays from. Port 0 takes a free port at start-up " +
            "(the node's log and /health say which); an unset NODE_ID then ends in that port.");

    /** Largest datagram accepted, SoundRelay header included; 65507 is the IPv4 UDP payload limit. */
    public static final Setting<Integer> MAX_DATAGRAM_BYTES = Setting.integer("MAX_DATAGRAM_BYTES", 1500, 64, 65507,
        "largest datagram accepted ({min}-{max})")
        .explained("Largest datagram accepted, SoundRelay header included; a longer one is dropped as " +
            "oversize. 65507 is the IPv4 UDP payload limit.");

    public static final Setting<Boolean> ENABLE_MIXER = Setting.bool("ENABLE_MIXER", false,
        "mix the PCM and Opus frames of rooms")
        .explained("When true, the node runs the mixer: the frames of routes that name a room are mixed, and each " +
            "member is sent the mix of the others (mix-minus). When false, a room's routes are relayed as they are.");

    /** How the relay socket is driven. */
    public static final Setting<Transport> TRANSPORT = Setting.choice("TRANSPORT", Transport.AUTO,
        Transport.values(), Transport::configName, "auto, io_uring, epoll or nio")
        .explained("How the relay socket is driven. auto: epoll on Linux, else NIO; epoll or nio force one, " +
            "and a forced transport that is unavailable stops the node; io_uring (earlier versions) is accepted " +
            "and runs epoll. The JVM needs --enable-native-access=ALL-UNNAMED for epoll's system calls (without " +
            "it Java prints a warning).");

    /** Slots in each hot-path ring: a power of two. */
    public static final Setting<Integer> RING_SIZE = Setting.powerOfTwo("RING_SIZE", 16_384, 64, 1_048_576,
        "receive ring slots, a power of two ({min}-{max})")
        .explained("Slots in each pipeline's receive ring, off-heap (24 MiB at the defaults): it absorbs " +
            "bursts while the router catches up. Raise it when relay_packet_errors_total{reason=\"ring_full\"} " +
            "grows.");

    /** What an idle hot-path thread does. */
    public static final Setting<WaitStrategy> WAIT_STRATEGY = Setting.choice("WAIT_STRATEGY", WaitStrategy.SLEEPING,
        WaitStrategy.values(), WaitStrategy::configName,
        "idle data-plane thread: sleeping, backoff, yielding or busy-spin")
        .explained("How an idle data-plane thread waits. sleeping: it sleeps in the kernel until a datagram or " +
            "a route command arrives (no CPU while idle). backoff: it polls the empty sockets 10 times first " +
            "(lower wake-up latency, but at 50,000 datagrams/s it rarely sleeps). yielding, busy-spin: it never " +
            "sleeps (a core of its own). With two threads the router parks instead: 100 us for sleeping, 1-200 " +
            "us for backoff.");

    /** Greatest CPU id PIN_CPUS takes. */
    public static final int PIN_CPU_MAX = 65_535;

    /** Comma-separated CPU ids for the hot-path threads; empty for no pinning. */
    public static final Setting<List<Integer>> PIN_CPUS = Setting.parsed("PIN_CPUS", "", null,
        (name, value) -> Parsers.cpuList(name, value, PIN_CPU_MAX),
        "comma-separated CPU ids for the data-plane threads")
        .shownAs("empty").allowing("comma-separated CPU ids, each one this process may run on; empty")
        .explained("CPU ids for the data-plane threads, applied with OpenHFT Java Thread Affinity when each " +
            "thread starts. With one pipeline: with one data-plane thread the first id pins it; with two, the " +
            "first pins the receive thread and the second the router; a third id pins the mixer thread " +
            "(ENABLE_MIXER=true). With N pipelines of T threads each (DATA_PLANE_THREADS): given at least N x T " +
            "ids, pipeline k's receive (or only) thread takes id k x T, its router id k x T + 1, and the mixer " +
            "the id after them, if listed; given fewer, all of pipeline k's threads share id k and the mixer " +
            "takes id N, if listed. More pipelines than ids stops the node, and so does an id this process may " +
            "not run on (its affinity: taskset, a container's cpuset), naming the CPUs it may use. Empty: no " +
            "thread is pinned.");

    /** Hot-path threads: 1 receives, routes and sends on one thread; 2 gives the receiver its own thread. */
    public static final Setting<Integer> DATA_PLANE_THREADS = Setting.integer("DATA_PLANE_THREADS", 1, 1, 2,
        "1: one thread receives, routes, sends; 2: a receive thread and a router thread")
        .explained("Per pipeline: 1, one thread receives, routes and sends; 2, a receive thread and a router " +
            "thread. Either on every transport.");

    /** What {@code DATA_PLANE_PIPELINES=auto} reads as, before {@link #pipelines} resolves it. */
    public static final int PIPELINES_AUTO = 0;

    /**
     * Share-nothing data-plane pipelines (PROTOCOL.md section 11): stream {@code s} belongs to pipeline
     * {@code (s & 0xFFFFFFFF) mod N}. Read as 1-64 or {@link #PIPELINES_AUTO}; {@link #pipelines} resolves it.
     */
    public static final Setting<Integer> DATA_PLANE_PIPELINES = Setting.integerOrWord("DATA_PLANE_PIPELINES", 1, 1,
        64, "auto", PIPELINES_AUTO,
        "share-nothing pipelines, a stream owned by one ({min}-{max}); auto: one per PIN_CPUS entry, else per CPU")
        .explained("Share-nothing data-plane pipelines: stream s belongs to pipeline (s & 0xFFFFFFFF) mod N " +
            "(for RTP, the SSRC mod N), and the main port becomes N sockets in one SO_REUSEPORT group that the " +
            "kernel steers by the same rule (on epoll; on NIO, datagrams that reach the wrong pipeline are " +
            "handed to their owner). auto: one per PIN_CPUS entry when PIN_CPUS is set, else one per available " +
            "processor (at most {max}). With PIN_CPUS set, more pipelines than it lists CPUs stops the node.");

    /** Most datagrams one recvmmsg takes off the socket. */
    public static final Setting<Integer> RECEIVE_BATCH = Setting.integer("RECEIVE_BATCH", 32, 1, 64,
        "most datagrams per recvmmsg ({min}-{max})")
        .explained("Most datagrams per recvmmsg on one socket.");

    /** Most datagrams one sendmmsg sends. */
    public static final Setting<Integer> SEND_BATCH = Setting.integer("SEND_BATCH", 64, 1, 1024,
        "most datagrams per sendmmsg ({min}-{max})")
        .explained("Most datagrams queued between two flushes: at most this many per sendmmsg. The router also " +
            "flushes at the end of every batch it takes from the ring.");

    /**
     * Most Opus encodes one mixer room spends in one period on its speaking mix-minus members (PROTOCOL.md section
     * 6); the full mix, encoded once and shared by every member that said nothing, is not counted.
     */
    public static final Setting<Integer> MIXER_ROOM_ENCODES_PER_PERIOD = Setting.integer(
        "MIXER_ROOM_ENCODES_PER_PERIOD", 16, 1, 10_000,
        "most Opus encodes per period a mixer room spends on speaking mix-minus members ({min}-{max})")
        .explained("Most Opus encodes one room spends in one period on mix-minus members that spoke; the rest " +
            "of them get nothing that period (dropped as mixer_budget). The full mix, encoded once and shared, " +
            "is not counted.");

    /** Most mix-minus Opus encodes of all rooms together in any 20 ms; each room gets at most an equal share. */
    public static final Setting<Integer> MIXER_NODE_ENCODES_PER_20MS = Setting.integer(
        "MIXER_NODE_ENCODES_PER_20MS", 96, 1, 100_000,
        "most mix-minus Opus encodes in any 20 ms, all rooms together, shared equally ({min}-{max})")
        .explained("Most such encodes of all rooms together in any 20 ms, each Opus room with mix-minus " +
            "members getting at most an equal share.");

    /** A room frame that waited longer than this between the router and the mixer is dropped as mixer_stale. */
    public static final Setting<Integer> MIXER_STALE_MS = Setting.integer("MIXER_STALE_MS", 100, 10, 10_000,
        "a room frame older than this when the mixer takes it is dropped as mixer_stale ({min}-{max})")
        .explained("A room frame that waited longer than this between the router and the mixer is dropped as " +
            "mixer_stale instead of being mixed late.");

    /** The page heading of these settings. */
    static final String TITLE = "Relay socket and data plane";

    /** What the reference page says of these settings first. */
    static final String INTRO = "The UDP relay socket, how it is driven, the data-plane threads, their rings and " +
        "batches, the largest datagram, and the mixer. The defaults suit most nodes; see Performance for tuning.";

    /** Every declaration of this class, in the order of the reference page. */
    static final List<Setting<?>> SETTINGS = List.of(BIND_ADDR, MAX_DATAGRAM_BYTES, TRANSPORT, RING_SIZE,
        WAIT_STRATEGY, PIN_CPUS, DATA_PLANE_THREADS, DATA_PLANE_PIPELINES, RECEIVE_BATCH, SEND_BATCH, ENABLE_MIXER,
        MIXER_ROOM_ENCODES_PER_PERIOD, MIXER_NODE_ENCODES_PER_20MS, MIXER_STALE_MS);

    private DataPlaneSettings()
    {
    }

    /**
     * The number of pipelines a node runs: DATA_PLANE_PIPELINES as set, or for {@code auto} one per PIN_CPUS entry
     * when PIN_CPUS is set, else one per available processor, at most {@code DATA_PLANE_PIPELINES}' maximum.
     *
     * @param pipelines  DATA_PLANE_PIPELINES as read: 1-64 or {@link #PIPELINES_AUTO}.
     * @param pinCpus    PIN_CPUS as read; empty for no pinning.
     * @param processors the processors available to the JVM.
     * @return the number of pipelines, 1-64.
     * @throws ConfigurationException naming both variables when PIN_CPUS lists fewer CPUs than there are pipelines.
     */
    public static int pipelines(final int pipelines, final List<Integer> pinCpus, final int processors)
    {
        final int max = DATA_PLANE_PIPELINES.max();
        if (pipelines == PIPELINES_AUTO)
        {
            return Math.max(1, Math.min(max, pinCpus.isEmpty() ? processors : pinCpus.size()));
        }
        if (!pinCpus.isEmpty() && pipelines > pinCpus.size())
        {
            final StringBuilder cpus = new StringBuilder();
            for (final int cpu : pinCpus)
            {
                cpus.append(cpus.length() == 0 ? "" : ",").append(cpu);
            }
            throw Parsers.fail(DATA_PLANE_PIPELINES.name(), Integer.toString(pipelines),
                "more pipelines than the " + pinCpus.size() + " CPUs of " + PIN_CPUS.name() + "=" + cpus +
                " (one CPU each: at most " + pinCpus.size() + ", or auto)");
        }
        return pipelines;
    }
}
