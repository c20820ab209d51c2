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
package io.soundrelay.io;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.send.ChannelSender;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import io.soundrelay.io.send.SocketSender;
import io.soundrelay.io.transport.CpuPinning;
import io.soundrelay.io.transport.ReceiveAdapter;
import io.soundrelay.io.transport.Transport;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node's data plane: one relay socket received by a Netty transport into a ring of off-heap slots, one router
 * agent that owns the route table and sends from the same socket. Built from a {@link Context}, started by
 * {@link #start(Context)}, stopped gracefully by {@link #close()}: stop receiving, drain the ring, then close the
 * socket.
 */
public final class DataPlane implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);
    private static final int SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
    private static final int DATAGRAMS_PER_READ = 32;

    /**
     * Everything the data plane needs, with the defaults of PROTOCOL.md.
     */
    public static final class Context
    {
        private InetSocketAddress bindAddress = new InetSocketAddress("0.0.0.0", 4000);
        private String transport = "auto";
        private int ringSize = 16384;
        private int maxDatagramBytes = 1500;
        private int maxRoutes = 1000;
        private String waitStrategy = "backoff";
        private int[] pinCpus = new int[0];
        private int commandQueueCapacity = 1024;
        private int sendBatch = NativeBatchSender.MAX_BATCH;
        private RouteJournal journal = RouteJournal.MEMORY_ONLY;
        private long routeTtlNs = TimeUnit.SECONDS.toNanos(300);
        private List<RouteEntry> initialRoutes = List.of();

        public Context bindAddress(final InetSocketAddress v)
        {
            bindAddress = v;
            return this;
        }

        public Context transport(final String v)
        {
            transport = v;
            return this;
        }

        public Context ringSize(final int v)
        {
            ringSize = v;
            return this;
        }

        public Context maxDatagramBytes(final int v)
        {
            maxDatagramBytes = v;
            return this;
        }

        public Context maxRoutes(final int v)
        {
            maxRoutes = v;
            return this;
        }

        /**
         * @param v busy-spin, yielding, backoff or sleeping.
         * @return this.
         */
        public Context waitStrategy(final String v)
        {
            waitStrategy = v;
            return this;
        }

        /**
         * @param v CPUs for the receiver and the router, in that order; empty for no pinning.
         * @return this.
         */
        public Context pinCpus(final int[] v)
        {
            pinCpus = v.clone();
            return this;
        }

        public Context commandQueueCapacity(final int v)
        {
            commandQueueCapacity = v;
            return this;
        }

        public Context sendBatch(final int v)
        {
            sendBatch = v;
            return this;
        }

        /**
         * @param v where the router reports route changes (the node's Redis store).
         * @return this.
         */
        public Context journal(final RouteJournal v)
        {
            journal = v;
            return this;
        }

        /**
         * @param seconds ROUTE_TTL_SECONDS.
         * @return this.
         */
        public Context routeTtlSeconds(final int seconds)
        {
            routeTtlNs = TimeUnit.SECONDS.toNanos(seconds);
            return this;
        }

        /**
         * @param v routes loaded at start-up, in the table before the first datagram is routed.
         * @return this.
         */
        public Context initialRoutes(final List<RouteEntry> v)
        {
            initialRoutes = List.copyOf(v);
            return this;
        }
    }

    private final Transport transport;
    private final EventLoopGroup group;
    private final Channel channel;
    private final RingBuffer<RelaySlot> ring;
    private final RouterAgent router;
    private final AgentRunner routerRunner;
    private final RouterProxy proxy;
    private final RouteRegistry registry;
    private final RelayCounters counters;
    private final DurationHistogram processingTime;
    private final DatagramSender sender;
    private final InetSocketAddress localAddress;
    private boolean closed;

    private DataPlane(
        final Transport transport,
        final EventLoopGroup group,
        final Channel channel,
        final RingBuffer<RelaySlot> ring,
        final RouterAgent router,
        final AgentRunner routerRunner,
        final RouterProxy proxy,
        final RouteRegistry registry,
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final DatagramSender sender)
    {
        this.transport = transport;
        this.group = group;
        this.channel = channel;
        this.ring = ring;
        this.router = router;
        this.routerRunner = routerRunner;
        this.proxy = proxy;
        this.registry = registry;
        this.counters = counters;
        this.processingTime = processingTime;
        this.sender = sender;
        this.localAddress = (InetSocketAddress)channel.localAddress();
    }

    /**
     * Bind the relay socket and start the receiver and router threads.
     *
     * @param ctx settings.
     * @return the running data plane.
     * @throws IOException          when the socket cannot be bound.
     * @throws InterruptedException when interrupted while binding.
     */
    public static DataPlane start(final Context ctx) throws IOException, InterruptedException
    {
        final Transport transport = Transport.select(ctx.transport);
        final boolean ipv6 = ctx.bindAddress.getAddress() instanceof Inet6Address;
        final RelayCounters counters = new RelayCounters();
        final DurationHistogram processingTime = new DurationHistogram();
        final RouteRegistry registry = new RouteRegistry();
        final RouterProxy proxy = new RouterProxy(ctx.commandQueueCapacity);

        // The router polls the ring on its own idle strategy, so the ring's wait strategy is never waited on;
        // BusySpinWaitStrategy is chosen only because its publish-side signal is a no-op (no lock per datagram).
        final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
            new RelaySlotFactory(ctx.ringSize, ctx.maxDatagramBytes), ctx.ringSize, new BusySpinWaitStrategy());
        final ReceiveAdapter receiver = new ReceiveAdapter(ring, counters);

        final int receiverCpu = ctx.pinCpus.length > 0 ? ctx.pinCpus[0] : -1;
        final int routerCpu = ctx.pinCpus.length > 1 ? ctx.pinCpus[1] : -1;
        final IoHandlerFactory ioHandlerFactory;
        switch (transport)
        {
            case IO_URING:
                ioHandlerFactory = IoUringIoHandler.newFactory();
                break;
            case EPOLL:
                ioHandlerFactory = EpollIoHandler.newFactory();
                break;
            default:
                ioHandlerFactory = NioIoHandler.newFactory();
        }
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(
            1, CpuPinning.factory("soundrelay-receiver", receiverCpu), ioHandlerFactory);

        final int datagramBytes = ctx.maxDatagramBytes + 1; // one over the limit, to see oversize datagrams
        final SocketProtocolFamily family = ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        final DatagramChannel[] jdkChannel = new DatagramChannel[1];
        final Bootstrap bootstrap = new Bootstrap()
            .group(group)
            .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
            .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
            .option(ChannelOption.MAX_MESSAGES_PER_READ, 64)
            .handler(receiver);
        switch (transport)
        {
            case IO_URING:
                bootstrap.channelFactory(() -> new IoUringDatagramChannel(family))
                    .option(IoUringChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramBytes)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(datagramBytes * DATAGRAMS_PER_READ));
                break;
            case EPOLL:
                bootstrap.channelFactory(() -> new EpollDatagramChannel(family))
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramBytes)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(datagramBytes * DATAGRAMS_PER_READ));
                break;
            default:
                jdkChannel[0] = DatagramChannel.open(ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                bootstrap.channelFactory(() -> new NioDatagramChannel(jdkChannel[0]))
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(datagramBytes));
        }

        final Channel channel;
        try
        {
            channel = bootstrap.bind(ctx.bindAddress).sync().channel();
        }
        catch (final Exception ex)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (ex instanceof IOException)
            {
                throw (IOException)ex;
            }
            throw new IOException("cannot bind relay socket " + ctx.bindAddress + ": " + ex.getMessage(), ex);
        }

        final DatagramSender sender;
        if (transport == Transport.NIO)
        {
            sender = new ChannelSender(jdkChannel[0], !ipv6, counters);
        }
        else
        {
            final Socket socket = (Socket)((UnixChannel)channel).fd();
            if (NativeBatchSender.isAvailable())
            {
                sender = new NativeBatchSender(socket.intValue(), ipv6, ctx.sendBatch, counters);
            }
            else
            {
                LOG.warn("native sendmmsg unavailable ({}); sending with one sendto per datagram",
                    NativeBatchSender.unavailabilityCause().toString());
                sender = new SocketSender(socket, ipv6, counters);
            }
        }

        final RouterAgent router = new RouterAgent(
            ring, proxy, registry, sender, counters, processingTime, ctx.maxDatagramBytes, ctx.maxRoutes,
            ctx.journal, ctx.routeTtlNs);
        for (final RouteEntry entry : ctx.initialRoutes)
        {
            router.preload(entry);
        }
        final AgentRunner runner = new AgentRunner(
            idleStrategy(ctx.waitStrategy),
            t -> LOG.error("router error", t),
            null,
            router);
        AgentRunner.startOnThread(runner, CpuPinning.factory("soundrelay-router", routerCpu));

        final DataPlane plane = new DataPlane(
            transport, group, channel, ring, router, runner, proxy, registry, counters, processingTime, sender);
        LOG.info("relay socket {} receiving with {} and sending with {}; ring of {} slots",
            plane.localAddress, transport.wireName(), sender.name(), ctx.ringSize);
        return plane;
    }

    /**
     * @param name busy-spin, yielding, backoff or sleeping.
     * @return the idle strategy for the router.
     */
    public static IdleStrategy idleStrategy(final String name)
    {
        switch (name)
        {
            case "busy-spin":
                return new BusySpinIdleStrategy();
            case "yielding":
                return new YieldingIdleStrategy();
            case "sleeping":
                return new SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(100));
            case "backoff":
                return new BackoffIdleStrategy(
                    100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200));
            default:
                throw new IllegalArgumentException("WAIT_STRATEGY=" + name +
                    ": expected busy-spin, yielding, backoff or sleeping");
        }
    }

    public Transport transport()
    {
        return transport;
    }

    /**
     * @return the relay socket's bound address (the real port when 0 was asked for).
     */
    public InetSocketAddress localAddress()
    {
        return localAddress;
    }

    public RouterProxy proxy()
    {
        return proxy;
    }

    public RouteRegistry registry()
    {
        return registry;
    }

    public RelayCounters counters()
    {
        return counters;
    }

    public DurationHistogram processingTime()
    {
        return processingTime;
    }

    /**
     * @return the send path in use: sendmmsg, sendto or sendto(netty).
     */
    public String senderName()
    {
        return sender.name();
    }

    /**
     * @return ring slots in use right now.
     */
    public long ringBacklog()
    {
        return ring.getBufferSize() - ring.remainingCapacity();
    }

    /**
     * Stop gracefully: stop reading the socket, let the router route everything already in the ring, then stop
     * the router and close the socket. Idempotent.
     */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            channel.config().setAutoRead(false);
            channel.eventLoop().submit(() -> { }).await(5, TimeUnit.SECONDS);

            router.startDraining();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!router.isDrained() && System.nanoTime() < deadline && !routerRunner.isClosed())
            {
                Thread.onSpinWait();
                Thread.yield();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            routerRunner.close();
            sender.close();
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            LOG.info("relay socket {} closed", localAddress);
        }
    }
}
