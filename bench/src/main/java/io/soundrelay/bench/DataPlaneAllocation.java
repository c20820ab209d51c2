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
 * [datagrams]}, defaults {@code epoll 1 2000000}.
 */
public final class DataPlaneAllocation
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private static final int ROUTES = 1000;
    private static final int PAYLOAD = 160;
    private static final int HEADER = 20;
    private static final long FIRST_STREAM = 1000;
    private static final int BURST = 64;

    private DataPlaneAllocation()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String transport = args.length > 0 ? args[0] : "epoll";
        final int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        final long datagrams = args.length > 2 ? Long.parseLong(args[2]) : 2_000_000L;
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
                .transport(transport)
                .threads(threads)
                .maxRoutes(ROUTES)))
            {
                for (int i = 0; i < ROUTES; i++)
                {
                    plane.proxy().create(new RouteSpec(FIRST_STREAM + i, Endpoint.of(sourceAddress),
                        List.of(Endpoint.of(sinkAddress)), null, Deliver.PAYLOAD, 0, false)).get(5, TimeUnit.SECONDS);
                }
                final InetSocketAddress relay = plane.localAddress();
                final ByteBuffer frame = ByteBuffer.allocateDirect(HEADER + PAYLOAD);
                final ByteBuffer drain = ByteBuffer.allocateDirect(2048);
                System.out.printf(Locale.ROOT, "data plane: %s, receive %s, send %s, %d thread(s)%n",
                    plane.transport().wireName(), plane.receiverName(), plane.senderName(), plane.threads());

                run(plane, source, sink, relay, frame, drain, datagrams / 4);
                final List<Thread> hot = dataPlaneThreads();
                final long[] before = allocated(hot);
                final long sent = run(plane, source, sink, relay, frame, drain, datagrams);
                final long[] after = allocated(hot);

                boolean ok = true;
                for (int i = 0; i < hot.size(); i++)
                {
                    final double perDatagram = (after[i] - before[i]) / (double)sent;
                    System.out.printf(Locale.ROOT, "%-45s %,12d bytes over %,d datagrams = %.6f B/datagram%n",
                        hot.get(i).getName(), after[i] - before[i], sent, perDatagram);
                    ok &= perDatagram < 1.0;
                }
                final StringBuilder errors = new StringBuilder();
                for (final ErrorReason reason : ErrorReason.values())
                {
                    errors.append(' ').append(reason.label()).append('=').append(plane.counters().errors(reason));
                }
                System.out.printf(Locale.ROOT, "received %,d, sent %,d; errors:%s%n",
                    plane.counters().received(), plane.counters().sent(), errors);
                System.exit(ok ? 0 : 1);
            }
        }
    }

    private static long run(
        final DataPlane plane,
        final DatagramChannel source,
        final DatagramChannel sink,
        final InetSocketAddress relay,
        final ByteBuffer frame,
        final ByteBuffer drain,
        final long count) throws Exception
    {
        final long startReceived = plane.counters().received();
        long sent = 0;
        long sequence = 0;
        while (sent < count)
        {
            for (int b = 0; b < BURST; b++)
            {
                frame.clear();
                frame.put((byte)'S').put((byte)'R').put((byte)1).put((byte)0);
                frame.putLong(FIRST_STREAM + (sent % ROUTES));
                frame.putInt((int)sequence++).putInt((int)(sequence * 960));
                while (frame.hasRemaining())
                {
                    frame.put((byte)sent);
                }
                frame.flip();
                source.send(frame, relay);
                sent++;
            }
            // Keep the node's socket buffer from overflowing: wait until it has taken what was sent.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (plane.counters().received() - startReceived < sent - BURST && System.nanoTime() < deadline)
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
