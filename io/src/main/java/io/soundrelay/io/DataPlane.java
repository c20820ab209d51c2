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
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.receive.BatchReceiver;
import io.soundrelay.io.receive.NioReceiver;
import io.soundrelay.io.receive.ReadinessIdleStrategy;
import io.soundrelay.io.receive.ReceiveAgent;
import io.soundrelay.io.receive.RecvmmsgReceiver;
import io.soundrelay.io.receive.RingWriter;
import io.soundrelay.io.receive.UringReceiver;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.send.ChannelSender;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import io.soundrelay.io.send.SocketSender;
import io.soundrelay.io.transport.CpuPinning;
import io.soundrelay.io.transport.ReceiveAdapter;
import io.soundrelay.io.transport.Transport;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
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
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
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
    /** Most milliseconds a waiting receive thread sleeps before running its other duties. */
    private static final int RECEIVE_WAIT_MS = 100;
    /** Polls of an empty socket before a receiving thread waits in the kernel: each poll is a system call. */
    private static final int BACKOFF_SPINS = 10;
    private static final int BACKOFF_YIELDS = 0;

    public static final int DEFAULT_SEND_BATCH = 64;
    public static final int DEFAULT_RECEIVE_BATCH = 32;

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
        private String waitStrategy = "sleeping";
        private int[] pinCpus = new int[0];
        private int commandQueueCapacity = 1024;
        private int sendBatch = DEFAULT_SEND_BATCH;
        private int receiveBatch = DEFAULT_RECEIVE_BATCH;
        private int threads = 1;
        private RouteJournal journal = RouteJournal.MEMORY_ONLY;
        private long routeTtlNs = TimeUnit.SECONDS.toNanos(300);
        private List<RouteEntry> initialRoutes = List.of();
        private boolean mixer;
        private int mixerQueueBytes = 4 * 1024 * 1024;

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

        /**
         * @param v most datagrams per sendmmsg.
         * @return this.
         */
        public Context sendBatch(final int v)
        {
            sendBatch = v;
            return this;
        }

        /**
         * @param v most datagrams per recvmmsg (per receive call on NIO).
         * @return this.
         */
        public Context receiveBatch(final int v)
        {
            receiveBatch = v;
            return this;
        }

        /**
         * @param v 1: receive and route on one thread; 2: a receive thread and a router thread.
         * @return this.
         */
        public Context threads(final int v)
        {
            threads = v;
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
        /**
         * @param v ENABLE_MIXER: run the mixer stage on a thread of its own.
         * @return this.
         */
        public Context mixer(final boolean v)
        {
            mixer = v;
            return this;
        }

        /**
         * @param v bytes of the router-to-mixer frame ring (a full ring drops frames as mixer_full).
         * @return this.
         */
        public Context mixerQueueBytes(final int v)
        {
            if (v < 4096)
            {
                throw new IllegalArgumentException("mixer queue must be at least 4096 bytes");
            }
            mixerQueueBytes = v;
            return this;
        }

        public Context initialRoutes(final List<RouteEntry> v)
        {
            initialRoutes = List.copyOf(v);
            return this;
        }
    }

    private final Transport transport;
    private final EventLoopGroup group;
    private final Channel channel;
    private final DatagramChannel nioChannel;
    private final ReceiveAgent receiveAgent;
    private final AgentRunner receiveRunner;
    private final UringReceiver uringReceiver;
    private final RingBuffer<RelaySlot> ring;
    private final RouterAgent router;
    private final AgentRunner routerRunner;
    private final MixerAgent mixerAgent;
    private final AgentRunner mixerRunner;
    private final RouterProxy proxy;
    private final RouteRegistry registry;
    private final PeerSet peers;
    private final RelayCounters counters;
    private final DurationHistogram processingTime;
    private final DatagramSender sender;
    private final String receiverName;
    private final int threads;
    private final InetSocketAddress localAddress;
    private boolean closed;

    private DataPlane(
        final Transport transport,
        final EventLoopGroup group,
        final Channel channel,
        final DatagramChannel nioChannel,
        final ReceiveAgent receiveAgent,
        final AgentRunner receiveRunner,
        final UringReceiver uringReceiver,
        final RingBuffer<RelaySlot> ring,
        final RouterAgent router,
        final AgentRunner routerRunner,
        final MixerAgent mixerAgent,
        final AgentRunner mixerRunner,
        final RouterProxy proxy,
        final RouteRegistry registry,
        final PeerSet peers,
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final DatagramSender sender,
        final String receiverName,
        final int threads,
        final InetSocketAddress localAddress)
    {
        this.transport = transport;
        this.group = group;
        this.channel = channel;
        this.nioChannel = nioChannel;
        this.receiveAgent = receiveAgent;
        this.receiveRunner = receiveRunner;
        this.uringReceiver = uringReceiver;
        this.ring = ring;
        this.router = router;
        this.routerRunner = routerRunner;
        this.mixerAgent = mixerAgent;
        this.mixerRunner = mixerRunner;
        this.proxy = proxy;
        this.registry = registry;
        this.peers = peers;
        this.counters = counters;
        this.processingTime = processingTime;
        this.sender = sender;
        this.receiverName = receiverName;
        this.threads = threads;
        this.localAddress = localAddress;
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
        final PeerSet peers = new PeerSet();
        final RouterProxy proxy = new RouterProxy(ctx.commandQueueCapacity);

        final RingBuffer<RelaySlot> ring = newRing(ctx.ringSize, ctx.maxDatagramBytes);
        final int slotBytes = RelaySlotFactory.slotBytesFor(ctx.maxDatagramBytes);
        final int receiverCpu = ctx.pinCpus.length > 0 ? ctx.pinCpus[0] : -1;
        final int routerCpu = ctx.pinCpus.length > 1 ? ctx.pinCpus[1] : receiverCpu;

        EventLoopGroup group = null;
        Channel channel = null;
        DatagramChannel nioChannel = null;
        final DatagramSender sender;
        DatagramSender mixerSender = null;
        final RelayCounters mixerCounters = ctx.mixer ? counters.newChild() : null;
        BatchReceiver batchReceiver = null;
        UringReceiver uringReceiver = null;
        final InetSocketAddress localAddress;
        try
        {
            if (transport == Transport.NIO)
            {
                nioChannel = DatagramChannel.open(ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                nioChannel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
                nioChannel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
                try
                {
                    nioChannel.bind(ctx.bindAddress);
                }
                catch (final IOException ex)
                {
                    throw new BindFailure("the relay socket", ctx.bindAddress, ex);
                }
                nioChannel.configureBlocking(false);
                localAddress = (InetSocketAddress)nioChannel.getLocalAddress();
                sender = new ChannelSender(nioChannel, !ipv6, counters);
                if (ctx.mixer)
                {
                    mixerSender = new ChannelSender(nioChannel, !ipv6, mixerCounters);
                }
                batchReceiver = new NioReceiver(nioChannel, new RingWriter(ring), slotBytes, ctx.receiveBatch, counters);
            }
            else
            {
                // Netty creates and binds the socket but never reads it (auto-read off). On epoll the node's own
                // data-plane thread calls recvmmsg into the ring; on io_uring the node's own RECVMSG operations run
                // on Netty's io_uring event loop. Netty's read path is only the fallback.
                final boolean uring = transport == Transport.IO_URING;
                final boolean ownReceive = uring || RecvmmsgReceiver.isAvailable();
                if (!ownReceive)
                {
                    LOG.warn("native recvmmsg into the ring unavailable ({}); receiving through Netty",
                        RecvmmsgReceiver.unavailabilityCause().toString());
                }
                final ReceiveAdapter adapter = ownReceive ? null : new ReceiveAdapter(ring, counters);
                group = new MultiThreadIoEventLoopGroup(
                    1, CpuPinning.factory(ownReceive && !uring ? "soundrelay-socket" : "soundrelay-receiver",
                    receiverCpu), uring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory());
                final int datagramBytes = ctx.maxDatagramBytes + 1; // one over the limit, to see oversize datagrams
                final SocketProtocolFamily family = ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
                final Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                    .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                    .option(ChannelOption.MAX_MESSAGES_PER_READ, 64)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(datagramBytes * DATAGRAMS_PER_READ));
                if (ownReceive)
                {
                    bootstrap.option(ChannelOption.AUTO_READ, false).handler(new ChannelInboundHandlerAdapter());
                }
                else
                {
                    bootstrap.handler(adapter);
                }
                if (transport == Transport.IO_URING)
                {
                    bootstrap.channelFactory(() -> new IoUringDatagramChannel(family))
                        .option(IoUringChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramBytes);
                }
                else
                {
                    bootstrap.channelFactory(() -> new EpollDatagramChannel(family))
                        .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramBytes);
                }
                try
                {
                    channel = bootstrap.bind(ctx.bindAddress).sync().channel();
                }
                catch (final InterruptedException ex)
                {
                    throw ex;
                }
                catch (final Exception ex)
                {
                    throw new BindFailure("the relay socket", ctx.bindAddress, ex);
                }
                localAddress = (InetSocketAddress)channel.localAddress();
                final Socket socket = (Socket)((UnixChannel)channel).fd();
                if (NativeBatchSender.isAvailable())
                {
                    sender = new NativeBatchSender(socket.intValue(), ipv6, ctx.sendBatch, counters);
                    if (ctx.mixer)
                    {
                        mixerSender = new NativeBatchSender(socket.intValue(), ipv6, ctx.sendBatch, mixerCounters);
                    }
                }
                else
                {
                    LOG.warn("native sendmmsg unavailable ({}); sending with one sendto per datagram",
                        NativeBatchSender.unavailabilityCause().toString());
                    sender = new SocketSender(socket, ipv6, counters);
                    if (ctx.mixer)
                    {
                        mixerSender = new SocketSender(socket, ipv6, mixerCounters);
                    }
                }
                if (uring)
                {
                    uringReceiver = startUringReceiver(channel, socket.intValue(), ring, slotBytes, ctx, counters);
                }
                else if (ownReceive)
                {
                    batchReceiver = new RecvmmsgReceiver(
                        socket.intValue(), ipv6, new RingWriter(ring), slotBytes, ctx.receiveBatch, counters);
                }
            }
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            if (batchReceiver != null)
            {
                batchReceiver.close();
            }
            if (channel != null)
            {
                channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            if (group != null)
            {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            if (nioChannel != null)
            {
                nioChannel.close();
            }
            throw ex;
        }

        // The mixer stage: its own thread, fed by the router through a bounded ring, sending from the relay socket
        // with its own sender. Plain forwarding never waits on a room.
        if (localAddress.getAddress().isAnyLocalAddress())
        {
            peers.own(localAddress.getPort(), hostAddresses(), true);
        }
        else
        {
            final byte[] raw = localAddress.getAddress().getAddress();
            final byte[] mapped = new byte[16];
            Endpoint.toIpv6Mapped(raw, 0, raw.length, mapped);
            peers.own(localAddress.getPort(), List.of(mapped), false);
        }
        final MixerLink mixerLink = ctx.mixer ?
            new MixerLink(ctx.mixerQueueBytes, Math.max(1024, 2 * ctx.maxRoutes)) : null;
        final MixerAgent mixerAgent = ctx.mixer ?
            new MixerAgent(mixerLink, ctx.maxDatagramBytes, mixerSender, mixerCounters) : null;
        final RouterAgent router = new RouterAgent(
            ring, proxy, registry, sender, counters, processingTime, ctx.maxDatagramBytes, ctx.maxRoutes,
            ctx.journal, ctx.routeTtlNs, mixerLink, peers);
        for (final RouteEntry entry : ctx.initialRoutes)
        {
            router.preload(entry);
        }

        final ErrorHandler errorHandler = t -> LOG.error("data plane error", t);
        final ReceiveAgent receiveAgent = batchReceiver == null ? null : new ReceiveAgent(batchReceiver);
        final AgentRunner receiveRunner;
        final AgentRunner routerRunner;
        final int threads;
        if (receiveAgent != null && ctx.threads == 1)
        {
            // One thread receives a batch, routes it and sends it, then waits in the kernel for the socket:
            // no hand-off between cores, and nothing spins while the node is idle. Route commands wake it.
            threads = 1;
            final BatchReceiver wakeable = batchReceiver;
            proxy.onOffer(wakeable::wake);
            final IdleStrategy idle = receiveIdleStrategy(ctx.waitStrategy, batchReceiver);
            if (idle instanceof ReadinessIdleStrategy)
            {
                ((ReadinessIdleStrategy)idle).timers(router::nextTimerDeadlineNs); // jitter holds expire on time
            }
            routerRunner = new AgentRunner(idle, errorHandler, null, new CompositeAgent(receiveAgent, router));
            receiveRunner = null;
            AgentRunner.startOnThread(routerRunner, CpuPinning.factory("soundrelay-relay", receiverCpu));
        }
        else
        {
            threads = 2;
            routerRunner = new AgentRunner(idleStrategy(ctx.waitStrategy), errorHandler, null, router);
            AgentRunner.startOnThread(routerRunner, CpuPinning.factory("soundrelay-router", routerCpu));
            if (receiveAgent != null)
            {
                receiveRunner = new AgentRunner(
                    receiveIdleStrategy(ctx.waitStrategy, batchReceiver), errorHandler, null, receiveAgent);
                AgentRunner.startOnThread(receiveRunner, CpuPinning.factory("soundrelay-receiver", receiverCpu));
            }
            else
            {
                receiveRunner = null;
            }
        }

        final AgentRunner mixerRunner;
        if (mixerAgent != null)
        {
            mixerRunner = new AgentRunner(idleStrategy(ctx.waitStrategy), errorHandler, null, mixerAgent);
            AgentRunner.startOnThread(mixerRunner,
                CpuPinning.factory("soundrelay-mixer", ctx.pinCpus.length > 2 ? ctx.pinCpus[2] : -1));
        }
        else
        {
            mixerRunner = null;
        }

        final String receiverName = batchReceiver != null ? batchReceiver.name() :
            uringReceiver != null ? "io_uring recvmsg" : "netty";
        final DataPlane plane = new DataPlane(
            transport, group, channel, nioChannel, receiveAgent, receiveRunner, uringReceiver, ring, router,
            routerRunner, mixerAgent, mixerRunner, proxy, registry, peers, counters, processingTime, sender,
            receiverName, threads, localAddress);
        LOG.info("relay socket {} on {}: receiving with {}, sending with {}, {} data-plane thread(s), ring of {} slots",
            localAddress, transport.wireName(), receiverName, sender.name(), threads, ctx.ringSize);
        return plane;
    }

    /**
     * Register the node's own io_uring receiver on the socket's event loop and submit its receives; if Netty's
     * io_uring API refuses, fall back to Netty's read path so the node still relays.
     */
    private static UringReceiver startUringReceiver(
        final Channel channel,
        final int fd,
        final RingBuffer<RelaySlot> ring,
        final int slotBytes,
        final Context ctx,
        final RelayCounters counters) throws IOException
    {
        try
        {
            final UringReceiver receiver = new UringReceiver(fd, ring, slotBytes, ctx.receiveBatch, counters);
            final IoRegistration registration = ((IoEventLoop)channel.eventLoop()).register(receiver)
                .sync().getNow();
            channel.eventLoop().submit(() -> receiver.start(registration)).sync();
            return receiver;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the io_uring receiver", ex);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("own io_uring receive unavailable ({}); receiving through Netty", ex.toString());
            channel.pipeline().addLast(new ReceiveAdapter(ring, counters));
            channel.config().setAutoRead(true);
            return null;
        }
    }

    /**
     * The receive ring as the data plane uses it: one producer (the receiver), preallocated off-heap slots.
     * Public so a benchmark can measure the same ring.
     *
     * @param ringSize         RING_SIZE, a power of two.
     * @param maxDatagramBytes MAX_DATAGRAM_BYTES.
     * @return a ring with no consumer yet; the consumer adds its gating sequence.
     */
    public static RingBuffer<RelaySlot> newRing(final int ringSize, final int maxDatagramBytes)
    {
        // The consumer polls the ring on its own idle strategy, so the ring's wait strategy is never waited on;
        // BusySpinWaitStrategy is chosen only because its publish-side signal is a no-op (no lock per datagram).
        return RingBuffer.createSingleProducer(
            new RelaySlotFactory(ringSize, maxDatagramBytes), ringSize, new BusySpinWaitStrategy());
    }

    /**
     * @param name     busy-spin, yielding, backoff or sleeping.
     * @param receiver whose socket a waiting thread sleeps on.
     * @return the idle strategy of a thread that receives.
     */
    static IdleStrategy receiveIdleStrategy(final String name, final BatchReceiver receiver)
    {
        switch (name)
        {
            case "busy-spin":
                return new ReadinessIdleStrategy(receiver, 0, 0, 0);
            case "yielding":
                return new ReadinessIdleStrategy(receiver, 0, Integer.MAX_VALUE, 0);
            case "sleeping":
                return new ReadinessIdleStrategy(receiver, 0, 0, RECEIVE_WAIT_MS);
            case "backoff":
                return new ReadinessIdleStrategy(receiver, BACKOFF_SPINS, BACKOFF_YIELDS, RECEIVE_WAIT_MS);
            default:
                throw new IllegalArgumentException("WAIT_STRATEGY=" + name +
                    ": expected busy-spin, yielding, backoff or sleeping");
        }
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

    /**
     * @return the relay addresses of the live nodes, whose HOP frames the router accepts: the control plane keeps it
     * up to date with {@link PeerSet#update(java.util.Collection)}.
     */
    public PeerSet peers()
    {
        return peers;
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
     * @return the receive path in use: recvmmsg, nio or netty.
     */
    public String receiverName()
    {
        return receiverName;
    }

    /**
     * @return hot-path threads: 1 (receive and route on one) or 2.
     */
    public int threads()
    {
        return threads;
    }

    /**
     * @return the send path in use: sendmmsg, sendto or sendto(netty).
     */
    /**
     * @return the mixer stage, or null when ENABLE_MIXER is off.
     */
    public MixerAgent mixer()
    {
        return mixerAgent;
    }

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
            if (receiveAgent != null)
            {
                receiveAgent.stopReceiving();
            }
            else if (uringReceiver != null)
            {
                uringReceiver.stopReceiving();
                channel.eventLoop().submit(() -> { }).await(5, TimeUnit.SECONDS);
            }
            else
            {
                channel.config().setAutoRead(false);
                channel.eventLoop().submit(() -> { }).await(5, TimeUnit.SECONDS);
            }
            if (receiveRunner != null)
            {
                receiveRunner.close();
            }

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
            if (mixerRunner != null)
            {
                mixerRunner.close();
            }
            sender.close();
            if (channel != null)
            {
                channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            if (nioChannel != null)
            {
                try
                {
                    nioChannel.close();
                }
                catch (final IOException ex)
                {
                    LOG.warn("closing relay socket: {}", ex.toString());
                }
            }
            LOG.info("relay socket {} closed", localAddress);
        }
    }

    /**
     * @return every address of the host's interfaces, 16 bytes each (IPv4 mapped): where the relay socket's own
     * datagrams come from when a route points back at it.
     */
    static List<byte[]> hostAddresses()
    {
        final List<byte[]> addresses = new ArrayList<>();
        try
        {
            for (final java.net.NetworkInterface nif :
                java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()))
            {
                for (final java.net.InetAddress address : java.util.Collections.list(nif.getInetAddresses()))
                {
                    final byte[] raw = address.getAddress();
                    final byte[] mapped = new byte[16];
                    Endpoint.toIpv6Mapped(raw, 0, raw.length, mapped);
                    addresses.add(mapped);
                }
            }
        }
        catch (final java.net.SocketException ex)
        {
            LOG.warn("cannot list the host's addresses ({}): only loopback counts as this node's own", ex.getMessage());
        }
        return addresses;
    }
}
