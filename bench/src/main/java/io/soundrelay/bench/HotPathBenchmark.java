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

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.soundrelay.core.protocol.FrameFlyweight;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.send.ChannelSender;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The whole per-datagram path, {@link RouterAgent#route(RelaySlot)}: decode in place, look the stream up among
 * 1,000 routes, check the source, count, queue the send; {@link RouterAgent#flush()} every 32 datagrams, as the
 * router does at the end of a ring batch. Each op routes the next slot of a pool of prebuilt SoundRelay frames
 * (160-byte payload, one target per route, deliver=payload) whose streams are shuffled across all the routes,
 * each with a sender address equal to its route's source but a distinct object, as the receiver hands it over.
 * <p>
 * The {@code sender} parameter picks what the queued sends turn into:
 * <ul>
 *   <li>{@code counting}: nothing; {@link CountingSender} counts bytes. Isolates parse, lookup and checks.</li>
 *   <li>{@code sendto}: {@link ChannelSender}, one {@code sendto} per datagram on a non-blocking JDK
 *       {@link DatagramChannel} on 127.0.0.1.</li>
 *   <li>{@code sendmmsg}: {@link NativeBatchSender}, one {@code sendmmsg} per flush on the fd of a Netty
 *       {@link EpollDatagramChannel} on 127.0.0.1.</li>
 * </ul>
 * Real sends go to a sink channel on 127.0.0.1 that nobody reads, with a small receive buffer: the kernel drops
 * what overflows it after the send has succeeded, so the sender's cost is measured, not the sink's. Setup routes
 * one trial datagram and fails the run unless it is counted as sent (and, for real sends, reaches the sink).
 * <p>
 * Each iteration also prints what the benchmark (router) thread alone allocated, since {@code -prof gc} counts
 * every thread of the JVM: see {@link ThreadAllocation}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class HotPathBenchmark
{
    private static final int ROUTES = 1_000;
    private static final int POOL = 4_096; // ring slots; a power of two
    private static final int POOL_MASK = POOL - 1;
    private static final int FLUSH_EVERY = 32;
    private static final int PAYLOAD_BYTES = 160;
    private static final int FRAME_BYTES = FrameFlyweight.HEADER_LENGTH + PAYLOAD_BYTES;
    private static final int MAX_DATAGRAM_BYTES = 1500;
    private static final int SINK_RCVBUF_BYTES = 4096;
    private static final int SOURCE_PORT = 5004;
    private static final long TRIAL_DEADLINE_NS = TimeUnit.SECONDS.toNanos(5);

    @Param({ "counting", "sendto", "sendmmsg" })
    public String sender;

    private final ThreadAllocation allocation = new ThreadAllocation("router");
    private RelayCounters counters;
    private DatagramSender datagramSender;
    private RouterAgent router;
    private RelaySlot[] slots;
    private long routed;
    private int unflushed;
    private long batchReceiveNs;

    private DatagramChannel sink;
    private DatagramChannel relayChannel;
    private EventLoopGroup group;
    private EpollDatagramChannel epollChannel;

    @Setup(Level.Trial)
    public void setup() throws Exception
    {
        counters = new RelayCounters();
        final InetAddress loopback = InetAddress.getByAddress(new byte[]{ 127, 0, 0, 1 });

        sink = DatagramChannel.open(StandardProtocolFamily.INET);
        sink.setOption(StandardSocketOptions.SO_RCVBUF, SINK_RCVBUF_BYTES);
        sink.bind(new InetSocketAddress(loopback, 0));
        sink.configureBlocking(false);
        final int sinkPort = ((InetSocketAddress)sink.getLocalAddress()).getPort();

        datagramSender = newSender(loopback);

        final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
            new RelaySlotFactory(POOL, MAX_DATAGRAM_BYTES), POOL, new BusySpinWaitStrategy());
        final RouterProxy proxy = new RouterProxy(ROUTES);
        router = new RouterAgent(
            ring, proxy, new RouteRegistry(), datagramSender, counters, new DurationHistogram(),
            MAX_DATAGRAM_BYTES, ROUTES);

        final long[] streamIds = StreamIds.distinct(ROUTES, 0x5EED_0003L);
        final List<CompletableFuture<RouteCommand.Result>> results = new ArrayList<>(ROUTES);
        for (int i = 0; i < ROUTES; i++)
        {
            // Each route its own target object, as routes made through the API have: no sender sees one address.
            final Endpoint target = Endpoint.of(new InetSocketAddress(loopback, sinkPort));
            final RouteSpec spec = new RouteSpec(
                streamIds[i], Endpoint.of(sourceAddress(i)), List.of(target), null, Deliver.PAYLOAD, 0, false);
            results.add(proxy.create(spec));
        }
        for (int cycles = 0; router.routeCount() < ROUTES && cycles < 10 * ROUTES; cycles++)
        {
            router.doWork();
        }
        for (final CompletableFuture<RouteCommand.Result> result : results)
        {
            if (!result.isDone() || result.join().outcome() != RouteCommand.Outcome.OK)
            {
                throw new IllegalStateException("route not installed: " + (result.isDone() ? result.join() : null));
            }
        }

        final SplittableRandom random = new SplittableRandom(0x5EED_0004L);
        slots = new RelaySlot[POOL];
        for (int i = 0; i < POOL; i++)
        {
            final int route = random.nextInt(ROUTES);
            final RelaySlot slot = ring.get(i);
            final UnsafeBuffer buffer = slot.buffer();
            FrameFlyweight.writeHeader(buffer, 0, FrameFlyweight.KIND_OPUS, streamIds[route], i, i * 960L);
            for (int b = 0; b < PAYLOAD_BYTES; b++)
            {
                buffer.putByte(FrameFlyweight.HEADER_LENGTH + b, (byte)(i + b));
            }
            slot.length = FRAME_BYTES;
            slot.sender(sourceAddress(route)); // equal to the route's source, not the same object
            slot.receiveNs = System.nanoTime();
            slots[i] = slot;
        }

        routeTrialDatagram();
        routed = 0;
        unflushed = 0;
        batchReceiveNs = System.nanoTime();
    }

    /**
     * One datagram through the router and out. The receive time is stamped once per batch, so the router's
     * processing-time histogram sees durations of the size it sees live without a clock read per op.
     */
    @Benchmark
    public void route()
    {
        final RelaySlot slot = slots[(int)(routed++) & POOL_MASK];
        slot.receiveNs = batchReceiveNs;
        router.route(slot);
        if (++unflushed == FLUSH_EVERY)
        {
            unflushed = 0;
            router.flush();
            batchReceiveNs = System.nanoTime();
        }
    }

    @Setup(Level.Iteration)
    public void startIteration()
    {
        allocation.start(routed);
    }

    @TearDown(Level.Iteration)
    public void endIteration()
    {
        System.out.println();
        System.out.println(allocation.stop(routed));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        router.flush();
        final StringBuilder summary = new StringBuilder()
            .append("sender=").append(datagramSender.name())
            .append(" sent=").append(counters.sent());
        for (final ErrorReason reason : ErrorReason.all())
        {
            final long n = counters.errors(reason);
            if (n != 0)
            {
                summary.append(' ').append(reason.label()).append('=').append(n);
            }
        }
        if (datagramSender instanceof CountingSender)
        {
            summary.append(" queued_bytes=").append(((CountingSender)datagramSender).queuedBytes());
        }
        System.out.println();
        System.out.println(summary);

        datagramSender.close();
        if (epollChannel != null)
        {
            epollChannel.close().syncUninterruptibly();
        }
        if (group != null)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (relayChannel != null)
        {
            relayChannel.close();
        }
        sink.close();
    }

    private DatagramSender newSender(final InetAddress loopback) throws Exception
    {
        switch (sender)
        {
            case "counting":
                return new CountingSender(counters);

            case "sendto":
                relayChannel = DatagramChannel.open(StandardProtocolFamily.INET);
                relayChannel.bind(new InetSocketAddress(loopback, 0));
                relayChannel.configureBlocking(false);
                return new ChannelSender(relayChannel, true, counters);

            case "sendmmsg":
            {
                if (!NativeBatchSender.isAvailable())
                {
                    throw new IllegalStateException("sendmmsg unavailable", NativeBatchSender.unavailabilityCause());
                }
                group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
                epollChannel = new EpollDatagramChannel(SocketProtocolFamily.INET);
                group.register(epollChannel).sync();
                epollChannel.bind(new InetSocketAddress(loopback, 0)).sync();
                final int fd = ((Socket)((UnixChannel)epollChannel).fd()).intValue();
                return new NativeBatchSender(fd, false, NativeBatchSender.MAX_BATCH, counters);
            }

            default:
                throw new IllegalArgumentException("sender=" + sender + ": expected counting, sendto or sendmmsg");
        }
    }

    /**
     * Route slot 0 alone and fail the trial unless it was counted as sent with no drop, and for real senders
     * reached the sink: otherwise the benchmark could be timing drops.
     */
    private void routeTrialDatagram() throws IOException
    {
        final long sentBefore = counters.sent();
        router.route(slots[0]);
        router.flush();
        if (counters.sent() != sentBefore + 1)
        {
            throw new IllegalStateException("trial datagram not counted as sent (" + errorsText() + ")");
        }
        for (final ErrorReason reason : ErrorReason.all())
        {
            if (counters.errors(reason) != 0)
            {
                throw new IllegalStateException("trial datagram dropped: " + errorsText());
            }
        }
        if (datagramSender instanceof CountingSender)
        {
            if (((CountingSender)datagramSender).queuedBytes() != PAYLOAD_BYTES)
            {
                throw new IllegalStateException("trial datagram queued with the wrong length");
            }
            return;
        }

        final ByteBuffer received = ByteBuffer.allocateDirect(MAX_DATAGRAM_BYTES);
        final long deadlineNs = System.nanoTime() + TRIAL_DEADLINE_NS;
        while (sink.receive(received) == null)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("trial datagram counted as sent but never reached the sink");
            }
            Thread.onSpinWait();
        }
        if (received.position() != PAYLOAD_BYTES)
        {
            throw new IllegalStateException("trial datagram reached the sink with " + received.position() +
                " bytes, expected " + PAYLOAD_BYTES);
        }
    }

    private String errorsText()
    {
        final StringBuilder text = new StringBuilder();
        for (final ErrorReason reason : ErrorReason.all())
        {
            text.append(reason.label()).append('=').append(counters.errors(reason)).append(' ');
        }
        return text.toString().trim();
    }

    /**
     * @param route index.
     * @return a new address object for the route's source, 127.1.x.y:5004: on loopback, and never sent to.
     */
    private static InetSocketAddress sourceAddress(final int route)
    {
        try
        {
            final InetAddress address = InetAddress.getByAddress(
                new byte[]{ 127, 1, (byte)(route >>> 8), (byte)route });
            return new InetSocketAddress(address, SOURCE_PORT);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
