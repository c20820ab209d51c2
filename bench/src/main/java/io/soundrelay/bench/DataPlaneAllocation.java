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
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.DataPlane;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Proves "no allocation per datagram" for the whole data plane, receive included, which JMH cannot drive: a real
 * {@link DataPlane} on a loopback socket, real datagrams from another socket, real sends to a sink. It counts the
 * bytes each data-plane thread allocates (ThreadMXBean) over a warm-up and then over the measured datagrams, and
 * prints bytes per datagram per thread. Exit status 1 when any data-plane thread allocated 1 B per datagram or
 * more in the measured phase.
 * <p>
 * {@code java -cp bench/target/benchmarks.jar io.soundrelay.bench.DataPlaneAllocation [transport] [threads]
 * [datagrams] [plain|jitter|mixer|hop]}, defaults {@code epoll 1 2000000 plain}.
 * <ul>
 *   <li>{@code plain}: forwarding only.</li>
 *   <li>{@code jitter}: every route has {@code jitter_ms} 60 ({@code -DjitterMs=} to change) and each stream's
 *       frames arrive in swapped pairs (1, 0, 3, 2…), so every second frame is held, copied and released by the
 *       jitter buffer.</li>
 *   <li>{@code mixer}: ENABLE_MIXER, the routes in 50 rooms of 20 PCM sources (5 ms frames); the mixer thread
 *       is measured too.</li>
 *   <li>{@code hop}: live migration's forwarding path. A second data plane B holds the same routes and has the
 *       first one, A, as its peer; every route of A is handed off to B before the first datagram, so every datagram
 *       takes A's forwarding path and B's HOP-accepting path. Half the routes carry SoundRelay frames (forwarded with
 *       the HOP bit set in place), the other half RTP (wrapped in a preallocated hop slot, unwrapped by B). Both
 *       planes' threads are measured, prefixed A and B.</li>
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
    private static final int RTP_HEADER = 12;
    /** Longer than any run: the routes of the hop mode forward for the whole measurement. */
    private static final long HOP_GRACE_NS = TimeUnit.HOURS.toNanos(1);

    private DataPlaneAllocation()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String transport = args.length > 0 ? args[0] : "epoll";
        final int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        final long datagrams = args.length > 2 ? Long.parseLong(args[2]) : 2_000_000L;
        final String mode = args.length > 3 ? args[3] : "plain";
        if (!List.of("plain", "jitter", "mixer", "hop").contains(mode))
        {
            throw new IllegalArgumentException("mode must be plain, jitter, mixer or hop, not " + mode);
        }
        final boolean mixer = "mixer".equals(mode);
        final boolean hop = "hop".equals(mode);
        final int jitterMs = "jitter".equals(mode) ? Integer.getInteger("jitterMs", 60) : 0;
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");

        try (DatagramChannel sink = DatagramChannel.open();
            DatagramChannel source = DatagramChannel.open())
        {
            sink.bind(new InetSocketAddress(loopback, 0));
            sink.configureBlocking(false);
            source.bind(new InetSocketAddress(loopback, 0));
            final InetSocketAddress sourceAddress = (InetSocketAddress)source.getLocalAddress();
            final InetSocketAddress sinkAddress = (InetSocketAddress)sink.getLocalAddress();

            try (DataPlane plane = DataPlane.start(new DataPlane.Context()
                .bindAddress(new InetSocketAddress(loopback, 0))
                .transport(Configuration.Transport.valueOf(transport.toUpperCase(Locale.ROOT)))
                .threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
                .mixer(mixer)
                .maxRoutes(ROUTES)))
            {
                final List<Thread> planeThreads = dataPlaneThreads();
                try (DataPlane peer = hop ? DataPlane.start(new DataPlane.Context()
                    .bindAddress(new InetSocketAddress(loopback, 0))
                    .transport(Configuration.Transport.valueOf(transport.toUpperCase(Locale.ROOT)))
                    .threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
                    .maxRoutes(ROUTES)) : null)
                {
                    for (int i = 0; i < ROUTES; i++)
                    {
                        final RouteSpec spec = new RouteSpec(FIRST_STREAM + i, Endpoint.of(sourceAddress),
                            List.of(Endpoint.of(sinkAddress)), mixer ? "room-" + (i % ROOMS) : null, Deliver.PAYLOAD,
                            jitterMs, false);
                        plane.proxy().create(spec).get(5, TimeUnit.SECONDS);
                        if (peer != null)
                        {
                            peer.proxy().create(spec).get(5, TimeUnit.SECONDS);
                        }
                    }
                    if (peer != null)
                    {
                        peer.peers().update(List.of(Endpoint.of(plane.localAddress())));
                        for (int i = 0; i < ROUTES; i++)
                        {
                            plane.proxy().handOff(FIRST_STREAM + i, Endpoint.of(peer.localAddress()), HOP_GRACE_NS)
                                .get(5, TimeUnit.SECONDS);
                        }
                    }
                    measure(plane, peer, planeThreads, source, sink, datagrams, mode, mixer);
                }
            }
        }
    }

    private static void measure(
        final DataPlane plane,
        final DataPlane peer,
        final List<Thread> planeThreads,
        final DatagramChannel source,
        final DatagramChannel sink,
        final long datagrams,
        final String mode,
        final boolean mixer) throws Exception
    {
        final InetSocketAddress relay = plane.localAddress();
        final ByteBuffer frame = ByteBuffer.allocateDirect(HEADER + (mixer ? PCM_SAMPLES * 4 : PAYLOAD));
        final ByteBuffer drain = ByteBuffer.allocateDirect(2048);
        System.out.printf(Locale.ROOT, "data plane: %s, receive %s, send %s, %d thread(s), mode %s%n",
            plane.transport().wireName(), plane.receiverName(), plane.senderName(), plane.threads(), mode);

        final long[] position = {0}; // datagrams sent so far, over both runs
        run(plane, peer, source, sink, relay, frame, drain, datagrams / 4, mode, position);
        final List<Thread> hot = dataPlaneThreads();
        final long[] before = allocated(hot);
        final long sent = run(plane, peer, source, sink, relay, frame, drain, datagrams, mode, position);
        final long[] after = allocated(hot);

        boolean ok = true;
        for (int i = 0; i < hot.size(); i++)
        {
            final double perDatagram = (after[i] - before[i]) / (double)sent;
            final String name = (peer == null ? "" : planeThreads.contains(hot.get(i)) ? "A " : "B ") +
                hot.get(i).getName();
            System.out.printf(Locale.ROOT, "%-45s %,12d bytes over %,d datagrams = %.6f B/datagram%n",
                name, after[i] - before[i], sent, perDatagram);
            ok &= perDatagram < 1.0;
        }
        printCounters(peer == null ? "" : "A ", plane);
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
        System.out.printf(Locale.ROOT, "%sreceived %,d, sent %,d; errors:%s%n",
            prefix, plane.counters().received(), plane.counters().sent(), errors);
    }

    private static long run(
        final DataPlane plane,
        final DataPlane peer,
        final DatagramChannel source,
        final DatagramChannel sink,
        final InetSocketAddress relay,
        final ByteBuffer frame,
        final ByteBuffer drain,
        final long count,
        final String mode,
        final long[] position) throws Exception
    {
        final long startReceived = plane.counters().received();
        final long startPeerReceived = peer == null ? 0 : peer.counters().received();
        final boolean swapPairs = "jitter".equals(mode);
        final boolean pcm = "mixer".equals(mode);
        final boolean hop = "hop".equals(mode);
        long sent = 0;
        while (sent < count)
        {
            for (int b = 0; b < BURST; b++)
            {
                final int route = (int)(position[0] % ROUTES);
                // Each stream's own sequence: one per round over all routes; swapped in pairs for the jitter mode.
                final long round = position[0] / ROUTES;
                final long sequence = swapPairs ? round ^ 1 : round;
                frame.clear();
                if (hop && (route & 1) == 1)
                {
                    // RTP on the odd routes: version 2, payload type 120, SSRC = the route's stream id.
                    frame.put((byte)0x80).put((byte)120).putShort((short)sequence).putInt((int)(sequence * 960));
                    frame.putInt((int)(FIRST_STREAM + route));
                    frame.limit(RTP_HEADER + PAYLOAD);
                }
                else
                {
                    frame.put((byte)'S').put((byte)'R').put((byte)1).put((byte)(pcm ? 1 : 0));
                    frame.putLong(FIRST_STREAM + route);
                    frame.putInt((int)sequence).putInt((int)(sequence * (pcm ? PCM_SAMPLES : 960)));
                }
                while (frame.hasRemaining())
                {
                    frame.put((byte)sent);
                }
                frame.flip();
                source.send(frame, relay);
                sent++;
                position[0]++;
            }
            // Keep the node's socket buffer from overflowing: wait until it has taken what was sent.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((plane.counters().received() - startReceived < sent - BURST ||
                (peer != null && peer.counters().received() - startPeerReceived < sent - 2 * BURST)) &&
                System.nanoTime() < deadline)
            {
                drainSink(sink, drain);
            }
            drainSink(sink, drain);
        }
        return sent;
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
