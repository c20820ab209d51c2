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
package io.soundrelay.bench;

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.ReanchorReason;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.RtpFlyweight;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Proves "no allocation per datagram" for the whole data plane, receive included, which JMH cannot drive: a real
 * {@link DataPlane} on a loopback socket, real datagrams from other sockets, real sends to a sink. It counts the
 * bytes each data-plane thread allocates (ThreadMXBean) over a warm-up and then over the measured datagrams, and
 * prints bytes per datagram per thread. Exit status 1 when any data-plane thread allocated 1 B per datagram or
 * more in the measured phase (and, in mode {@code ports}, when either direction lost more than 1 %).
 * <p>
 * {@code java -cp bench/target/benchmarks.jar io.soundrelay.bench.DataPlaneAllocation [transport] [threads]
 * [datagrams] [plain|jitter|mixer|hop|ports|pace] [pipelines]}, defaults {@code epoll 1 2000000 plain 1}; transport
 * {@code epoll} or {@code nio} ({@code io_uring} runs epoll), threads 1 ({@code SHARED}) or 2 ({@code DEDICATED})
 * per pipeline, pipelines DATA_PLANE_PIPELINES (1 to 64). With several pipelines on epoll the kernel steers each
 * datagram to its owner's socket; on NIO (no steering) the streams other pipelines own take the hand-off path;
 * the hand-offs are printed at the end.
 * <ul>
 *   <li>{@code plain}: forwarding only, one source socket sending every route's stream to the main socket.</li>
 *   <li>{@code jitter}: every route has {@code jitter_ms} 60 ({@code -DjitterMs=} to change) and each stream's
 *       frames arrive in swapped pairs (1, 0, 3, 2…), so every second frame is held, copied and released by the
 *       jitter buffer.</li>
 *   <li>{@code pace}: every route has {@code pace_ms} 500 ({@code -DpaceMs=} to change; PROTOCOL.md section 10).
 *       The sources send far faster than real time, so each stream runs ahead of its clock: its datagrams are held
 *       (copied into the pacing pool), leave when due, and when the stream gets more than {@code pace_ms} ahead the
 *       held ones leave at once and the clock re-anchors; the counters printed at the end say how many of each.</li>
 *   <li>{@code mixer}: ENABLE_MIXER, the routes in 50 rooms of 20 PCM sources (5 ms frames); the mixer thread
 *       is measured too.</li>
 *   <li>{@code hop}: live migration's forwarding path. A second data plane B holds the same routes and has the
 *       first one, A, as its peer; every route of A is handed off to B before the first datagram, so every datagram
 *       takes A's forwarding path and B's HOP-accepting path. Half the routes carry SoundRelay frames (forwarded with
 *       the HOP bit set in place), the other half RTP (wrapped in a preallocated hop slot, unwrapped by B). Both
 *       planes' threads are measured, prefixed A and B.</li>
 *   <li>{@code ports}: relay ports (PROTOCOL.md section 9), both directions. Every route has {@code return_path}
 *       and a relay port of its own ({@code plane.relayPorts().open(0)}, then {@code proxy().create(spec, port)};
 *       the range is the data plane's default RELAY_PORTS, {@code -DrelayPorts=FIRST-LAST} to change) and its own
 *       source socket (1,000 {@link DatagramChannel}s on 127.0.0.1), which sends to that relay port; the node sends
 *       each datagram on, byte for byte, from the relay port to the sink, and the sink sends every datagram it
 *       receives straight back to the relay port it came from, so the node also carries it back to the stream's
 *       source socket (the return direction). The receiver polls 1,001 sockets. Bytes per datagram count both
 *       directions: the datagrams the sources sent plus those the sink sent back.</li>
 * </ul>
 */
public final class DataPlaneAllocation
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private static final int ROUTES = 1000;
    private static final int PAYLOAD = 160;
    private static final int PCM_SAMPLES = 240;
    private static final int ROOMS = 50;
    private static final int HEADER = 20;
    private static final long FIRST_STREAM = 1000;
    private static final int BURST = 64;
    private static final int RTP_HEADER = RtpFlyweight.HEADER_LENGTH;
    /** Longer than any run: the routes of the hop mode forward for the whole measurement. */
    private static final long HOP_GRACE_NS = TimeUnit.HOURS.toNanos(1);
    /** The hop mode's hand-off key: every HOP frame is signed by A and checked by B. */
    private static final HopKey HOP_KEY = HopKey.random();
    /** Mode ports: most datagrams either direction may lose before the run fails. */
    private static final double MAX_PORTS_LOSS = 0.01;

    /**
     * The load's sockets and what has gone through them.
     */
    private static final class Load
    {
        final DatagramChannel[] sources;
        final InetSocketAddress[] destinations;
        final DatagramChannel sink;
        final boolean echo;
        final ByteBuffer frame;
        final ByteBuffer drain = ByteBuffer.allocateDirect(2048);
        /** Datagrams the sources sent, over all runs: the next one's position in the round over the routes. */
        long position;
        /** Datagrams the sink sent back (mode ports), over all runs. */
        long echoed;
        /** Datagrams that came back to the sources (mode ports), over all runs. */
        long returned;

        Load(final DatagramChannel[] sources, final InetSocketAddress[] destinations, final DatagramChannel sink,
            final boolean echo, final int frameBytes)
        {
            this.sources = sources;
            this.destinations = destinations;
            this.sink = sink;
            this.echo = echo;
            this.frame = ByteBuffer.allocateDirect(frameBytes);
        }

        DatagramChannel source(final int route)
        {
            return sources[sources.length == 1 ? 0 : route];
        }

        InetSocketAddress destination(final int route)
        {
            return destinations[destinations.length == 1 ? 0 : route];
        }
    }

    private DataPlaneAllocation()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String transport = args.length > 0 ? args[0] : "epoll";
        final int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        final long datagrams = args.length > 2 ? Long.parseLong(args[2]) : 2_000_000L;
        final String mode = args.length > 3 ? args[3] : "plain";
        final int pipelines = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        if (!List.of("plain", "jitter", "mixer", "hop", "ports", "pace").contains(mode))
        {
            throw new IllegalArgumentException("mode must be plain, jitter, mixer, hop, ports or pace, not " + mode);
        }
        final int paceMs = "pace".equals(mode) ? Integer.getInteger("paceMs", 500) : 0;
        final boolean mixer = "mixer".equals(mode);
        final boolean hop = "hop".equals(mode);
        final boolean ports = "ports".equals(mode);
        final int jitterMs = "jitter".equals(mode) ? Integer.getInteger("jitterMs", 60) : 0;
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final Configuration.Transport transportSetting =
            Configuration.Transport.valueOf(transport.toUpperCase(Locale.ROOT));
        final String relayPortRange = System.getProperty("relayPorts", Configuration.RELAY_PORTS_DEFAULT);
        final int dash = relayPortRange.indexOf('-');
        final int firstRelayPort = Integer.parseInt(relayPortRange.substring(0, dash));
        final int lastRelayPort = Integer.parseInt(relayPortRange.substring(dash + 1));

        final DatagramChannel[] sources = new DatagramChannel[ports ? ROUTES : 1];
        try (DatagramChannel sink = DatagramChannel.open())
        {
            sink.bind(new InetSocketAddress(loopback, 0));
            sink.configureBlocking(false);
            final InetSocketAddress sinkAddress = (InetSocketAddress)sink.getLocalAddress();
            for (int i = 0; i < sources.length; i++)
            {
                sources[i] = DatagramChannel.open();
                sources[i].bind(new InetSocketAddress(loopback, 0));
                sources[i].configureBlocking(false);
            }

            try (DataPlane plane = DataPlane.start(new DataPlane.Context()
                .bindAddress(new InetSocketAddress(loopback, 0))
                .transport(transportSetting)
                .threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
                .pipelines(pipelines)
                .mixer(mixer)
                .relayPorts(firstRelayPort, lastRelayPort)
                .maxRoutes(ROUTES)))
            {
                final List<Thread> planeThreads = dataPlaneThreads();
                try (DataPlane peer = hop ? DataPlane.start(new DataPlane.Context()
                    .bindAddress(new InetSocketAddress(loopback, 0))
                    .transport(transportSetting)
                    .threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
                    .maxRoutes(ROUTES)) : null)
                {
                    final InetSocketAddress[] destinations =
                        installRoutes(plane, peer, sources, sinkAddress, mixer, ports, jitterMs, paceMs);
                    final Load load = new Load(
                        sources, destinations, sink, ports, HEADER + (mixer ? PCM_SAMPLES * 4 : PAYLOAD));
                    measure(plane, peer, planeThreads, load, datagrams, mode);
                }
            }
        }
        finally
        {
            for (final DatagramChannel source : sources)
            {
                if (source != null)
                {
                    source.close();
                }
            }
        }
    }

    /**
     * The routes, each created on the plane (with a relay port of its own in mode ports) and, in mode hop, restored
     * on the peer and handed off to it.
     *
     * @return where the sources send: the plane, or each route's relay port in mode ports.
     */
    private static InetSocketAddress[] installRoutes(
        final DataPlane plane,
        final DataPlane peer,
        final DatagramChannel[] sources,
        final InetSocketAddress sinkAddress,
        final boolean mixer,
        final boolean ports,
        final int jitterMs,
        final int paceMs) throws Exception
    {
        final InetSocketAddress[] destinations = new InetSocketAddress[ports ? ROUTES : 1];
        destinations[0] = plane.localAddress();
        for (int i = 0; i < ROUTES; i++)
        {
            final InetSocketAddress sourceAddress =
                (InetSocketAddress)sources[ports ? i : 0].getLocalAddress();
            final RouteSpec spec = new RouteSpec(FIRST_STREAM + i, Endpoint.of(sourceAddress),
                List.of(Endpoint.of(sinkAddress)), mixer ? "room-" + (i % ROOMS) : null, Deliver.PAYLOAD,
                jitterMs, false, ports, paceMs);
            final RouteCommand.Result result;
            if (ports)
            {
                final RelaySocket relay = plane.relayPorts().open(0);
                destinations[i] = relay.localAddress();
                result = plane.proxy().create(spec, relay).get(5, TimeUnit.SECONDS);
            }
            else
            {
                result = plane.proxy().create(spec).get(5, TimeUnit.SECONDS);
            }
            if (result.outcome() != RouteCommand.Outcome.OK)
            {
                throw new IllegalStateException("route " + (FIRST_STREAM + i) + ": " + result.outcome());
            }
            if (ports && result.entry().relayPort() != destinations[i].getPort())
            {
                throw new IllegalStateException("route " + (FIRST_STREAM + i) + " has relay port " +
                    result.entry().relayPort() + ", expected " + destinations[i].getPort());
            }
            if (peer != null)
            {
                // B expects the hand-off from A: A's HOP frames, signed with the key, are taken.
                peer.proxy().restore(spec, System.currentTimeMillis(), System.nanoTime(), null, null,
                    Endpoint.of(plane.localAddress()), HOP_KEY, HOP_GRACE_NS).get(5, TimeUnit.SECONDS);
            }
        }
        if (peer != null)
        {
            peer.peers().update(List.of(Endpoint.of(plane.localAddress())));
            for (int i = 0; i < ROUTES; i++)
            {
                plane.proxy().handOff(FIRST_STREAM + i, Endpoint.of(peer.localAddress()), HOP_GRACE_NS,
                    HOP_KEY).get(5, TimeUnit.SECONDS);
            }
        }
        return destinations;
    }

    private static void measure(
        final DataPlane plane,
        final DataPlane peer,
        final List<Thread> planeThreads,
        final Load load,
        final long datagrams,
        final String mode) throws Exception
    {
        System.out.printf(Locale.ROOT, "data plane: %s, receive %s, send %s, %d thread(s), mode %s%s%n",
            plane.transport().wireName(), plane.receiverName(), plane.senderName(), plane.threads(), mode,
            load.echo ? String.format(Locale.ROOT, ", %d relay ports (%d-%d), %d source sockets",
            plane.relayPorts().inUse(), plane.relayPorts().first(), plane.relayPorts().last(), load.sources.length) :
            "");

        run(plane, peer, load, datagrams / 4, mode);
        final List<Thread> hot = dataPlaneThreads();
        final long echoedBefore = load.echoed;
        final long returnedBefore = load.returned;
        final long nodeSentBefore = plane.counters().sent();
        final long nodeReturnedBefore = plane.counters().returned();
        final long[] before = allocated(hot);
        final long sent = run(plane, peer, load, datagrams, mode);
        final long[] after = allocated(hot);
        if (load.echo)
        {
            // The last echoes and returns of the run, after the threads' allocation was read.
            settle(plane, load, 2 * load.position - BURST);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            do
            {
                drainSources(load, 0, ROUTES);
            }
            while (load.returned < plane.counters().returned() && System.nanoTime() < deadline);
        }
        final long echoed = load.echoed - echoedBefore;
        final long carried = sent + echoed;

        boolean ok = true;
        for (int i = 0; i < hot.size(); i++)
        {
            final double perDatagram = (after[i] - before[i]) / (double)carried;
            final String name = (peer == null ? "" : planeThreads.contains(hot.get(i)) ? "A " : "B ") +
                hot.get(i).getName();
            System.out.printf(Locale.ROOT, "%-45s %,12d bytes over %,d datagrams = %.6f B/datagram%n",
                name, after[i] - before[i], carried, perDatagram);
            ok &= perDatagram < 1.0;
        }
        if (load.echo)
        {
            final long nodeSent = plane.counters().sent() - nodeSentBefore;
            final long nodeReturned = plane.counters().returned() - nodeReturnedBefore;
            final long backAtSources = load.returned - returnedBefore;
            System.out.printf(Locale.ROOT, "measured: %,d datagrams source -> relay port -> sink, %,d sink -> relay " +
                "port -> source (%,d datagrams both ways); the node sent %,d and returned %,d, the sources got " +
                "%,d back%n", sent, echoed, carried, nodeSent, nodeReturned, backAtSources);
            if (echoed < sent * (1 - MAX_PORTS_LOSS) || nodeReturned < echoed * (1 - MAX_PORTS_LOSS) ||
                backAtSources < echoed * (1 - MAX_PORTS_LOSS))
            {
                System.out.println("FAILED: more than 1 % of the datagrams were lost in one direction");
                ok = false;
            }
        }
        printCounters(peer == null ? "" : "A ", plane);
        if (plane.pipelines() > 1)
        {
            System.out.printf(Locale.ROOT, "%d pipelines: %,d datagrams handed off between them (steering: %s)%n",
                plane.pipelines(), plane.handoffs(), plane.steering());
        }
        if (peer != null)
        {
            printCounters("B ", peer);
        }
        System.exit(ok ? 0 : 1);
    }

    private static void printCounters(final String prefix, final DataPlane plane)
    {
        final StringBuilder errors = new StringBuilder();
        for (final ErrorReason reason : ErrorReason.values())
        {
            errors.append(' ').append(reason.label()).append('=').append(plane.counters().errors(reason));
        }
        System.out.printf(Locale.ROOT, "%sreceived %,d, sent %,d, returned %,d; errors:%s%n",
            prefix, plane.counters().received(), plane.counters().sent(), plane.counters().returned(), errors);
        if (plane.paceLateness().count() > 0)
        {
            final StringBuilder reanchors = new StringBuilder();
            for (final ReanchorReason reason : ReanchorReason.all())
            {
                reanchors.append(' ').append(reason.label()).append('=').append(plane.counters().reanchors(reason));
            }
            System.out.printf(Locale.ROOT, "%spaced departures %,d, held now %,d; re-anchors:%s%n",
                prefix, plane.paceLateness().count(), plane.counters().paceHeld(), reanchors);
        }
    }

    /**
     * Send {@code count} datagrams from the sources, in bursts of {@link #BURST}, each burst waiting until the node
     * has taken it (and, in mode ports, until the sink's echoes of it are back through the node).
     *
     * @return datagrams the sources sent.
     */
    private static long run(
        final DataPlane plane, final DataPlane peer, final Load load, final long count, final String mode)
        throws Exception
    {
        final long startReceived = plane.counters().received();
        final long startPeerReceived = peer == null ? 0 : peer.counters().received();
        final long startEchoed = load.echoed;
        final boolean swapPairs = "jitter".equals(mode);
        final boolean pcm = "mixer".equals(mode);
        final boolean hop = "hop".equals(mode);
        final ByteBuffer frame = load.frame;
        final RtpFlyweight rtp = new RtpFlyweight();
        long sent = 0;
        while (sent < count)
        {
            final long burstStart = load.position;
            for (int b = 0; b < BURST; b++)
            {
                final int route = (int)(load.position % ROUTES);
                // Each stream's own sequence: one per round over all routes; swapped in pairs for the jitter mode.
                final long round = load.position / ROUTES;
                final long sequence = swapPairs ? round ^ 1 : round;
                frame.clear();
                if (hop && (route & 1) == 1)
                {
                    // RTP on the odd routes: version 2, payload type 120, SSRC = the route's stream id.
                    rtp.wrap(frame, 0).header(RtpFlyweight.DISCORD_PAYLOAD_TYPE, (int)sequence, sequence * 960,
                        FIRST_STREAM + route);
                    frame.limit(RTP_HEADER + PAYLOAD).position(RTP_HEADER);
                }
                else
                {
                    FrameFlyweight.writeHeader(frame, 0, pcm ? FrameFlyweight.KIND_PCM : FrameFlyweight.KIND_OPAQUE,
                        FIRST_STREAM + route, sequence, sequence * (pcm ? PCM_SAMPLES : 960));
                    frame.position(FrameFlyweight.HEADER_LENGTH);
                }
                while (frame.hasRemaining())
                {
                    frame.put((byte)sent);
                }
                frame.flip();
                while (load.source(route).send(frame, load.destination(route)) == 0)
                {
                    Thread.onSpinWait(); // a full send buffer: try again
                }
                sent++;
                load.position++;
            }
            if (load.echo)
            {
                // Both directions of the burst through the node: the sources' datagrams and the sink's echoes.
                settle(plane, load, 2 * load.position - 2 * BURST);
                drainSources(load, burstStart, load.position);
                continue;
            }
            // Keep the node's socket buffer from overflowing: wait until it has taken what was sent.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((plane.counters().received() - startReceived < sent - BURST ||
                (peer != null && peer.counters().received() - startPeerReceived < sent - 2 * BURST)) &&
                System.nanoTime() < deadline)
            {
                drainSink(load.sink, load.drain);
            }
            drainSink(load.sink, load.drain);
        }
        return sent;
    }

    /**
     * Mode ports: echo what reaches the sink until the node has received {@code until} datagrams in all (both
     * directions, since the start), or 5 s have passed.
     */
    private static void settle(final DataPlane plane, final Load load, final long until) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (plane.counters().received() < until && System.nanoTime() < deadline)
        {
            echo(load);
        }
        echo(load);
    }

    /**
     * Send every datagram the sink holds back to the address it came from: the route's relay port.
     */
    private static void echo(final Load load) throws Exception
    {
        final ByteBuffer drain = load.drain;
        drain.clear();
        SocketAddress from;
        while ((from = load.sink.receive(drain)) != null)
        {
            drain.flip();
            while (load.sink.send(drain, from) == 0)
            {
                Thread.onSpinWait();
            }
            load.echoed++;
            drain.clear();
        }
    }

    /**
     * Take what came back to the sources of a burst's routes (what arrives later is taken on the next round).
     */
    private static void drainSources(final Load load, final long fromPosition, final long toPosition)
        throws Exception
    {
        final ByteBuffer drain = load.drain;
        final int routes = (int)Math.min(ROUTES, toPosition - fromPosition);
        for (int i = 0; i < routes; i++)
        {
            final DatagramChannel source = load.source((int)((fromPosition + i) % ROUTES));
            drain.clear();
            while (source.receive(drain) != null)
            {
                load.returned++;
                drain.clear();
            }
        }
    }

    private static void drainSink(final DatagramChannel sink, final ByteBuffer drain) throws Exception
    {
        drain.clear();
        while (sink.receive(drain) != null)
        {
            drain.clear();
        }
    }

    private static List<Thread> dataPlaneThreads()
    {
        final List<Thread> threads = new ArrayList<>();
        for (final Thread t : Thread.getAllStackTraces().keySet())
        {
            if (t.getName().contains("soundrelay-"))
            {
                threads.add(t);
            }
        }
        return threads;
    }

    private static long[] allocated(final List<Thread> threads)
    {
        final long[] ids = new long[threads.size()];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = threads.get(i).getId();
        }
        return THREADS.getThreadAllocatedBytes(ids);
    }
}
