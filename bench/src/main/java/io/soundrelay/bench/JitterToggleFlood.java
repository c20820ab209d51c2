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
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.protocol.FrameFlyweight;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Issue 29, finding 2: route changes that toggle {@code jitter_ms} 0 and 1000 on many routes, at a given rate,
 * while a legitimate stream flows through the same data plane. Prints the legitimate stream's one-way latency on
 * loopback (send to receipt, same process) idle and under the flood, the changes made, the garbage collections (all
 * collectors) and the JVM's direct memory. The changes go through the data plane's {@code RouterProxy} as
 * the API's handlers send them (no HTTP). Not a test: a figure.
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
 *     -Xmx512m -XX:MaxDirectMemorySize=64m \
 *     -cp bench/target/benchmarks.jar io.soundrelay.bench.JitterToggleFlood \
 *     [seconds per phase] [routes] [legitimate datagrams per second] [flooding threads] [changes per second]
 * </pre>
 * Defaults 20, 200, 500, 2, 3000 (the red team's PUT rate). With {@code -XX:+DisableExplicitGC} the JDK's
 * direct-memory reservation cannot ask for a collection; before the pool, that is where the red team's 1.75 s p99
 * came from.
 */
public final class JitterToggleFlood
{
    private static final long LEGIT_STREAM = 1;
    private static final long FIRST_FLOOD_STREAM = 1000;
    private static final int PAYLOAD = 160;

    private JitterToggleFlood()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        final int routes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        final int rate = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        final int flooders = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        final int changesPerS = args.length > 4 ? Integer.parseInt(args[4]) : 3000;
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");

        final DataPlane.Context ctx = new DataPlane.Context()
            .bindAddress(new InetSocketAddress(loopback, 0))
            .transport(Configuration.Transport.EPOLL)
            .threadingMode(DataPlane.ThreadingMode.ofThreads(1))
            .maxRoutes(routes + 1);
        try
        {
            // JITTER_MAX_HELD where the build has it: room for every route at jitter_ms 1000.
            DataPlane.Context.class.getMethod("jitterMaxHeld", int.class).invoke(ctx, routes * 128);
        }
        catch (final NoSuchMethodException ex)
        {
            System.out.println("this build has no JITTER_MAX_HELD: buffers allocated by the router");
        }

        try (DatagramChannel src = DatagramChannel.open(); DatagramChannel target = DatagramChannel.open();
            DatagramChannel idle = DatagramChannel.open(); DatagramChannel sink = DatagramChannel.open();
            DataPlane plane = DataPlane.start(ctx))
        {
            src.bind(new InetSocketAddress(loopback, 0));
            target.bind(new InetSocketAddress(loopback, 0));
            idle.bind(new InetSocketAddress(loopback, 0));
            sink.bind(new InetSocketAddress(loopback, 0));
            target.socket().setSoTimeout(200);
            final Endpoint sinkEndpoint = Endpoint.of((InetSocketAddress)sink.getLocalAddress());
            final Endpoint idleEndpoint = Endpoint.of((InetSocketAddress)idle.getLocalAddress());
            check(plane.proxy().create(spec(LEGIT_STREAM, Endpoint.of((InetSocketAddress)src.getLocalAddress()),
                Endpoint.of((InetSocketAddress)target.getLocalAddress()), 0)).get(5, TimeUnit.SECONDS));
            for (int i = 0; i < routes; i++)
            {
                check(plane.proxy().create(spec(FIRST_FLOOD_STREAM + i, idleEndpoint, sinkEndpoint, 0))
                    .get(5, TimeUnit.SECONDS));
            }

            final Histogram[] phases = {new Histogram(3), new Histogram(3)};
            final int[] phase = {0};
            final AtomicLong received = new AtomicLong();
            final AtomicBoolean running = new AtomicBoolean(true);
            final Thread receiver = new Thread(() -> receive(target, phases, phase, received, running), "receiver");
            receiver.start();

            System.out.printf(Locale.ROOT, "%d flood routes, legitimate stream %d datagrams/s, %d s per phase, " +
                "changes asked %d/s on %d threads%n", routes, rate, seconds, changesPerS, flooders);
            final long idleSent = send(plane, src, rate, seconds);
            report("idle", phases[0], idleSent, -1, 0, 0);

            final AtomicLong changes = new AtomicLong();
            final AtomicLong refused = new AtomicLong();
            final AtomicBoolean flooding = new AtomicBoolean(true);
            final Thread[] flood = new Thread[flooders];
            for (int f = 0; f < flooders; f++)
            {
                final int first = f;
                flood[f] = new Thread(() -> toggleJitter(plane, first, flooders, routes, changesPerS, idleEndpoint,
                    sinkEndpoint, flooding, changes, refused), "flood-" + f);
            }
            final long gcBefore = fullGcs();
            final long startNs = System.nanoTime();
            phase[0] = 1;
            for (final Thread t : flood)
            {
                t.start();
            }
            final long floodSent = send(plane, src, rate, seconds);
            flooding.set(false);
            for (final Thread t : flood)
            {
                t.join();
            }
            final double floodSeconds = (System.nanoTime() - startNs) / 1e9;
            running.set(false);
            receiver.join();
            report("flood", phases[1], floodSent, changes.get() / floodSeconds, refused.get(), fullGcs() - gcBefore);
            System.out.printf(Locale.ROOT, "received %,d of %,d sent; data-plane errors %d%n", received.get(),
                idleSent + floodSent, plane.errors());
        }
    }

    /**
     * A flooding thread: replaces its share of the flood routes (every {@code flooders}-th from {@code first}) in
     * turn at its share of the asked rate, toggling jitter_ms between 1000 and 0 each round, until told to stop.
     */
    private static void toggleJitter(
        final DataPlane plane,
        final int first,
        final int flooders,
        final int routes,
        final int changesPerS,
        final Endpoint idleEndpoint,
        final Endpoint sinkEndpoint,
        final AtomicBoolean flooding,
        final AtomicLong changes,
        final AtomicLong refused)
    {
        int jitterMs = 1000;
        final long periodNs = TimeUnit.SECONDS.toNanos(flooders) / changesPerS;
        long nextNs = System.nanoTime();
        while (flooding.get())
        {
            for (int i = first; i < routes && flooding.get(); i += flooders)
            {
                while (System.nanoTime() - nextNs < 0)
                {
                    LockSupport.parkNanos(nextNs - System.nanoTime());
                }
                nextNs += periodNs;
                try
                {
                    final RouteCommand.Result r = plane.proxy()
                        .replace(spec(FIRST_FLOOD_STREAM + i, idleEndpoint, sinkEndpoint, jitterMs))
                        .get(10, TimeUnit.SECONDS);
                    if (r.outcome() == RouteCommand.Outcome.OK)
                    {
                        changes.incrementAndGet();
                    }
                    else
                    {
                        refused.incrementAndGet();
                    }
                }
                catch (final Exception ex)
                {
                    refused.incrementAndGet();
                }
            }
            jitterMs = 1000 - jitterMs;
        }
    }

    private static RouteSpec spec(final long id, final Endpoint source, final Endpoint target, final int jitterMs)
    {
        return new RouteSpec(id, source, List.of(target), null, Deliver.PAYLOAD, jitterMs, false, false, 0);
    }

    private static void check(final RouteCommand.Result result)
    {
        if (result.outcome() != RouteCommand.Outcome.OK)
        {
            throw new IllegalStateException("route refused: " + result.outcome());
        }
    }

    /**
     * The legitimate stream: one frame every 1/rate s for {@code seconds}, each carrying its send time.
     *
     * @return frames sent.
     */
    private static long send(final DataPlane plane, final DatagramChannel src, final int rate, final int seconds)
        throws Exception
    {
        final ByteBuffer frame = ByteBuffer.allocate(FrameFlyweight.HEADER_LENGTH + PAYLOAD);
        final UnsafeBuffer view = new UnsafeBuffer(frame.array());
        final long periodNs = TimeUnit.SECONDS.toNanos(1) / rate;
        final long count = (long)rate * seconds;
        long nextNs = System.nanoTime();
        for (long seq = 0; seq < count; seq++)
        {
            while (System.nanoTime() - nextNs < 0)
            {
                LockSupport.parkNanos(nextNs - System.nanoTime());
            }
            FrameFlyweight.writeHeader(frame, 0, 0, LEGIT_STREAM, seq, seq * 960);
            view.putLong(FrameFlyweight.HEADER_LENGTH, System.nanoTime(), java.nio.ByteOrder.BIG_ENDIAN);
            frame.clear();
            src.send(frame, plane.localAddress());
            nextNs += periodNs;
        }
        return count;
    }

    private static void receive(final DatagramChannel target, final Histogram[] phases, final int[] phase,
        final AtomicLong received, final AtomicBoolean running)
    {
        final byte[] buf = new byte[2048];
        final java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
        final ByteBuffer wrapped = ByteBuffer.wrap(buf);
        while (running.get())
        {
            try
            {
                target.socket().receive(p);
            }
            catch (final java.net.SocketTimeoutException ex)
            {
                continue;
            }
            catch (final java.io.IOException ex)
            {
                return;
            }
            final long latencyNs = System.nanoTime() - wrapped.getLong(0); // deliver payload: the stamp is first
            phases[phase[0]].recordValue(Math.max(0, latencyNs));
            received.incrementAndGet();
        }
    }

    private static void report(final String name, final Histogram h, final long sent, final double changesPerS,
        final long refused, final long fullGcs)
    {
        System.out.printf(Locale.ROOT, "%-5s sent %,d received %,d  latency p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  " +
            "max %.3f ms", name, sent, h.getTotalCount(), h.getValueAtPercentile(50) / 1e6,
            h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
        if (changesPerS >= 0)
        {
            System.out.printf(Locale.ROOT, "  | route changes %.0f/s, refused or failed %d, GCs (all collectors) %d",
                changesPerS, refused, fullGcs);
        }
        System.out.printf(Locale.ROOT, "  | direct buffers %d, %.1f MiB%n", direct().getCount(),
            direct().getMemoryUsed() / 1048576.0);
    }

    private static long fullGcs()
    {
        long n = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
        {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static BufferPoolMXBean direct()
    {
        for (final BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            if ("direct".equals(b.getName()))
            {
                return b;
            }
        }
        throw new IllegalStateException("no direct pool");
    }
}
