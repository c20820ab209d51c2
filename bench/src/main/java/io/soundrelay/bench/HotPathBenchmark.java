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

import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.send.ChannelSender;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.Transport;
import io.soundrelay.protocol.FrameFlyweight;
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
import java.net.SocketAddress;
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
 * The whole per-datagram path, {@link RouterAgent#route(RelaySlot)}, with 1,000 routes installed, and
 * {@link RouterAgent#flush()} every 32 datagrams, as the router does at the end of a ring batch. Each op routes the
 * next slot of a pool of 4,096 prebuilt ring slots, each a SoundRelay frame (160-byte payload) of a route picked at
 * random, stamped as a receiver stamps it: the socket it came in on, and a sender address equal to (never the same
 * object as) the one the route checks.
 * <p>
 * The {@code path} parameter picks which of the router's paths the datagrams take:
 * <ul>
 *   <li>{@code shared}: every slot came in on the main socket; decode in place, look the stream id up, check the
 *       source, count, queue one send of the payload (deliver=payload, one target per route) from the main socket.
 *       The routes have no relay port.</li>
 *   <li>{@code relayPort}: every route has a relay port of its own ({@code return_path}, PROTOCOL.md section 9) and
 *       each slot came in on its route's relay port from the route's source: no decoding; the socket names the
 *       route, the source check passes, and the whole 180-byte datagram is queued, byte for byte, to the route's
 *       target, to leave from the relay port.</li>
 *   <li>{@code return}: the same routes, and each slot came in on its route's relay port from the route's target:
 *       the source check fails, the target check passes, and the datagram goes back, whole, to the route's source,
 *       from the relay port ({@code relay_packets_returned_total}).</li>
 * </ul>
 * The {@code sender} parameter picks what the queued sends turn into:
 * <ul>
 *   <li>{@code counting}: nothing; {@link CountingSender} counts bytes. Isolates parse, lookup and checks.</li>
 *   <li>{@code sendto}: {@link ChannelSender}, one {@code sendto} per datagram on the NIO {@link RelaySocket}
 *       (a non-blocking JDK {@link DatagramChannel}) it leaves from.</li>
 *   <li>{@code sendmmsg}: {@link NativeBatchSender}, one {@code sendmmsg} per run of datagrams that leave from one
 *       socket, on epoll {@link RelaySocket}s (the node's own descriptors and system calls): one call per flush on
 *       {@code shared}, one per datagram on {@code relayPort} and {@code return}, where consecutive datagrams leave
 *       from different ports.</li>
 * </ul>
 * The main socket and the relay ports are bound to 127.0.0.1 with the data plane's buffer sizes. Real sends go to
 * sinks that nobody reads, with a small receive buffer: the kernel drops what overflows after the send has succeeded,
 * so the sender's cost is measured, not the sink's. Targets are one sink on 127.0.0.1; the routes' sources are
 * 127.1.x.y on the port of a second sink bound to the wildcard address, so what goes back on {@code return} is
 * delivered too. Setup routes one trial datagram and fails the run unless it is counted as sent (and for
 * {@code return} as returned) with no drop, was queued from the right socket, and, for real senders, reached the
 * right sink, whole, from the right socket.
 * <p>
 * Each iteration also prints what the benchmark (router) thread alone allocated, since {@code -prof gc} counts
 * every thread of the JVM: see {@link ThreadAllocation}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED" })
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
    private static final long TRIAL_DEADLINE_NS = TimeUnit.SECONDS.toNanos(5);

    @Param({ "counting", "sendto", "sendmmsg" })
    public String sender;

    @Param({ "shared", "relayPort", "return" })
    public String path;

    private final ThreadAllocation allocation = new ThreadAllocation("router");
    private RelayCounters counters;
    private DatagramSender datagramSender;
    private RouterAgent router;
    private RelaySlot[] slots;
    private long routed;
    private int unflushed;
    private long batchReceiveNs;
    private Thread benchmarkThread;

    private InetAddress loopback;
    private DatagramChannel targetSink;
    private DatagramChannel sourceSink;
    private int sourcePort;
    private RelaySocket mainSocket;
    private final List<RelaySocket> relayPorts = new ArrayList<>();

    @Setup(Level.Trial)
    public void setup() throws Exception
    {
        benchmarkThread = Thread.currentThread();
        counters = new RelayCounters();
        loopback = InetAddress.getByAddress(new byte[]{ 127, 0, 0, 1 });
        if (!List.of("shared", "relayPort", "return").contains(path))
        {
            throw new IllegalArgumentException("path=" + path + ": expected shared, relayPort or return");
        }
        final boolean ports = !"shared".equals(path);

        targetSink = sink(new InetSocketAddress(loopback, 0));
        final InetSocketAddress targetAddress = (InetSocketAddress)targetSink.getLocalAddress();
        // The sources' sink: on the wildcard address, so 127.1.x.y:port reaches it for every route.
        sourceSink = sink(new InetSocketAddress(0));
        sourcePort = ((InetSocketAddress)sourceSink.getLocalAddress()).getPort();

        final Transport transport = transport();
        mainSocket = RelaySocket.open(
            transport, new InetSocketAddress(loopback, 0), RelaySocket.MAIN_BUFFER_BYTES, false);
        datagramSender = newSender();

        final DataPlane.Context ctx = new DataPlane.Context()
            .transport(Configuration.Transport.NIO)
            .bindAddress(new InetSocketAddress(loopback, 0))
            .maxRoutes(ROUTES)
            .maxDatagramBytes(MAX_DATAGRAM_BYTES)
            .ringSize(POOL)
            .commandQueueCapacity(2 * ROUTES)
            .conclude();
        final RingBuffer<RelaySlot> ring = DataPlane.newRing(POOL, MAX_DATAGRAM_BYTES);
        // Relay ports join the receiver's set through here; no receiver runs, so the changes just wait.
        final ReceiverProxy socketChanges = new ReceiverProxy(2 * ROUTES);
        router = new RouterAgent(ctx, ring, datagramSender, mainSocket, socketChanges, null, counters);

        final long[] streamIds = StreamIds.distinct(ROUTES, 0x5EED_0003L);
        installRoutes(ctx, transport, streamIds, targetAddress.getPort(), ports);
        final int firstRoute = buildSlots(ring, streamIds, targetAddress.getPort());

        routeTrialDatagram(firstRoute);
        routed = 0;
        unflushed = 0;
        batchReceiveNs = System.nanoTime();
    }

    /**
     * A route per stream id, with a relay port of its own when {@code ports}, installed through the router's proxy
     * and checked.
     */
    private void installRoutes(
        final DataPlane.Context ctx,
        final Transport transport,
        final long[] streamIds,
        final int targetPort,
        final boolean ports) throws Exception
    {
        final List<CompletableFuture<RouteCommand.Result>> results = new ArrayList<>(ROUTES);
        for (int i = 0; i < ROUTES; i++)
        {
            // Each route its own target object, as routes made through the API have: no sender sees one address.
            final Endpoint target = Endpoint.of(new InetSocketAddress(loopback, targetPort));
            final RouteSpec spec = new RouteSpec(streamIds[i], Endpoint.of(sourceAddress(i)), List.of(target), null,
                Deliver.PAYLOAD, 0, false, ports);
            if (ports)
            {
                final RelaySocket relay = RelaySocket.open(
                    transport, new InetSocketAddress(loopback, 0), RelaySocket.PORT_BUFFER_BYTES, true);
                relayPorts.add(relay);
                results.add(ctx.routerProxy().create(spec, relay));
            }
            else
            {
                results.add(ctx.routerProxy().create(spec));
            }
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
        for (int i = 0; ports && i < ROUTES; i++)
        {
            final RelaySocket relay = relayPorts.get(i);
            if (relay.route == null || relay.route.streamId() != streamIds[i] ||
                relay.route.relayPort() != relay.port())
            {
                throw new IllegalStateException(relay + " not attached to its route");
            }
        }
    }

    /**
     * The pool of ring slots the benchmark routes, each a frame of a random route, stamped as the path wants.
     *
     * @return the route of the first slot.
     */
    private int buildSlots(final RingBuffer<RelaySlot> ring, final long[] streamIds, final int targetPort)
    {
        final SplittableRandom random = new SplittableRandom(0x5EED_0004L);
        final int[] slotRoutes = new int[POOL];
        slots = new RelaySlot[POOL];
        for (int i = 0; i < POOL; i++)
        {
            final int route = random.nextInt(ROUTES);
            final RelaySlot slot = ring.get(i);
            final UnsafeBuffer buffer = slot.buffer();
            FrameFlyweight.writeHeader(slot.byteBuffer(), 0, FrameFlyweight.KIND_OPUS, streamIds[route], i, i * 960L);
            for (int b = 0; b < PAYLOAD_BYTES; b++)
            {
                buffer.putByte(FrameFlyweight.HEADER_LENGTH + b, (byte)(i + b));
            }
            slot.length = FRAME_BYTES;
            switch (path)
            {
                case "shared":
                    slot.socket = mainSocket;
                    slot.sender(sourceAddress(route)); // equal to the route's source, not the same object
                    break;
                case "relayPort":
                    slot.socket = relayPorts.get(route);
                    slot.sender(sourceAddress(route));
                    break;
                default: // return: from the route's target
                    slot.socket = relayPorts.get(route);
                    slot.sender(new InetSocketAddress(loopback, targetPort));
                    break;
            }
            slot.receiveNs = System.nanoTime();
            slotRoutes[i] = route;
            slots[i] = slot;
        }
        return slotRoutes[0];
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
        if (Thread.currentThread() != benchmarkThread)
        {
            // Setup's trial ran on the thread that set the state up: a benchmark on another would measure a cold one.
            throw new IllegalStateException("JMH moved the benchmark from " + benchmarkThread.getName() + " to " +
                Thread.currentThread().getName());
        }
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
            .append(" path=").append(path)
            .append(" sent=").append(counters.sent())
            .append(" returned=").append(counters.returned());
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
        for (final RelaySocket relay : relayPorts)
        {
            relay.close();
        }
        mainSocket.close();
        targetSink.close();
        sourceSink.close();
    }

    private Transport transport()
    {
        switch (sender)
        {
            case "counting":
            case "sendto":
                return Transport.NIO;
            case "sendmmsg":
                return Transport.EPOLL;
            default:
                throw new IllegalArgumentException(
                    "sender=" + sender + ": expected counting, sendto or sendmmsg");
        }
    }

    private DatagramSender newSender()
    {
        switch (sender)
        {
            case "counting":
                return new CountingSender(counters);
            case "sendto":
                return new ChannelSender(counters);
            default:
                if (!NativeBatchSender.isAvailable())
                {
                    throw new IllegalStateException("sendmmsg unavailable", NativeBatchSender.unavailabilityCause());
                }
                return new NativeBatchSender(DataPlane.DEFAULT_SEND_BATCH, counters);
        }
    }

    /**
     * Route slot 0 alone and fail the trial unless it was counted as sent (and on {@code return} as returned) with
     * no drop, queued from the right socket, and for real senders reached the right sink whole from that socket:
     * otherwise the benchmark could be timing drops.
     */
    private void routeTrialDatagram(final int route) throws IOException
    {
        final boolean back = "return".equals(path);
        final int expectedLength = "shared".equals(path) ? PAYLOAD_BYTES : FRAME_BYTES;
        final RelaySocket expectedFrom = "shared".equals(path) ? mainSocket : relayPorts.get(route);
        final DatagramChannel expectedSink = back ? sourceSink : targetSink;

        final long sentBefore = counters.sent();
        final long returnedBefore = counters.returned();
        router.route(slots[0]);
        router.flush();
        if (counters.sent() != sentBefore + 1)
        {
            throw new IllegalStateException("trial datagram not counted as sent (" + errorsText() + ")");
        }
        if (counters.returned() != returnedBefore + (back ? 1 : 0))
        {
            throw new IllegalStateException("trial datagram " + (back ? "not" : "wrongly") + " counted as returned");
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
            final CountingSender counting = (CountingSender)datagramSender;
            if (counting.queuedBytes() != expectedLength)
            {
                throw new IllegalStateException("trial datagram queued with " + counting.queuedBytes() +
                    " bytes, expected " + expectedLength);
            }
            if (counting.lastFrom() != expectedFrom)
            {
                throw new IllegalStateException("trial datagram queued from " + counting.lastFrom() +
                    ", expected " + expectedFrom);
            }
            return;
        }

        final ByteBuffer received = ByteBuffer.allocateDirect(MAX_DATAGRAM_BYTES);
        final long deadlineNs = System.nanoTime() + TRIAL_DEADLINE_NS;
        SocketAddress from;
        while ((from = expectedSink.receive(received)) == null)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("trial datagram counted as sent but never reached the " +
                    (back ? "source" : "target"));
            }
            Thread.onSpinWait();
        }
        if (received.position() != expectedLength)
        {
            throw new IllegalStateException("trial datagram arrived with " + received.position() +
                " bytes, expected " + expectedLength);
        }
        final int offset = expectedLength == FRAME_BYTES ? 0 : FrameFlyweight.HEADER_LENGTH;
        for (int b = 0; b < expectedLength; b++)
        {
            if (received.get(b) != slots[0].buffer().getByte(offset + b))
            {
                throw new IllegalStateException("trial datagram differs from the slot's bytes at byte " + b);
            }
        }
        if (!expectedFrom.localAddress().equals(from))
        {
            throw new IllegalStateException("trial datagram came from " + from + ", expected " + expectedFrom);
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

    private static DatagramChannel sink(final InetSocketAddress bind) throws IOException
    {
        final DatagramChannel sink = DatagramChannel.open(StandardProtocolFamily.INET);
        sink.setOption(StandardSocketOptions.SO_RCVBUF, SINK_RCVBUF_BYTES);
        sink.bind(bind);
        sink.configureBlocking(false);
        return sink;
    }

    /**
     * @param route index.
     * @return a new address object for the route's source, 127.1.x.y on the port of the sources' sink.
     */
    private InetSocketAddress sourceAddress(final int route)
    {
        try
        {
            final InetAddress address = InetAddress.getByAddress(
                new byte[]{ 127, 1, (byte)(route >>> 8), (byte)route });
            return new InetSocketAddress(address, sourcePort);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
