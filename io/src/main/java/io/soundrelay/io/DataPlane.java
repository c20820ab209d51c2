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
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.jitter.JitterPool;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.pace.PacePool;
import io.soundrelay.io.receive.BatchReceiver;
import io.soundrelay.io.receive.EpollReceiver;
import io.soundrelay.io.receive.NioReceiver;
import io.soundrelay.io.receive.ReadinessIdleStrategy;
import io.soundrelay.io.receive.ReceiveAgent;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.receive.RingWriter;
import io.soundrelay.io.receive.UringReceiver;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.send.ChannelSender;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import io.soundrelay.io.send.UringSender;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.CpuPinning;
import io.soundrelay.io.transport.RoleThreadFactory;
import io.soundrelay.io.transport.Transport;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node's data plane: the main relay socket and the routes' relay ports, received as one socket set into a ring
 * of off-heap slots, one router agent that owns the route table and sends from those sockets, and, with the mixer on,
 * a mixer stage. Built from a {@link Context}, started by {@link #start(Context)}, stopped gracefully by
 * {@link #close()}: stop receiving, drain the ring, then close the sockets.
 * <p>
 * The roles run as Agrona agents on threads from the context's {@link RoleThreadFactory}, as the
 * {@link ThreadingMode} maps them: one thread that receives and routes ({@link ThreadingMode#SHARED}), or a receiver
 * and a router apart ({@link ThreadingMode#DEDICATED}); the mixer has a thread of its own.
 */
public final class DataPlane implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);
    /** Most milliseconds a waiting receive thread sleeps before running its other duties. */
    private static final int RECEIVE_WAIT_MS = 100;
    /** Polls of an empty socket set before a receiving thread waits in the kernel: each poll is a system call. */
    private static final int BACKOFF_SPINS = 10;
    private static final int BACKOFF_YIELDS = 0;
    private static final int SOCKET_CHANGE_QUEUE = 4096;

    public static final int DEFAULT_SEND_BATCH = 64;
    public static final int DEFAULT_RECEIVE_BATCH = 32;

    /**
     * How the data plane's roles map to threads.
     */
    public enum ThreadingMode
    {
        /** One thread receives a batch, routes it and sends it, then waits in the kernel for the sockets. */
        SHARED,
        /** A receive thread fills the ring and a router thread drains it: receiving and sending overlap on two cores. */
        DEDICATED;

        /**
         * @param threads DATA_PLANE_THREADS: 1 or 2.
         * @return the mode.
         */
        public static ThreadingMode ofThreads(final int threads)
        {
            if (threads == 1)
            {
                return SHARED;
            }
            if (threads == 2)
            {
                return DEDICATED;
            }
            throw new IllegalArgumentException(Configuration.DATA_PLANE_THREADS_ENV + "=" + threads + ": expected 1 or 2");
        }

        /**
         * @return hot-path threads of the mode, the mixer's not counted.
         */
        public int threads()
        {
            return this == SHARED ? 1 : 2;
        }
    }

    /**
     * Everything the data plane needs: its settings, typed, with the defaults of PROTOCOL.md, and the parts it shares
     * with the control plane (made by {@link #conclude()} unless given). Set it up, then {@link #conclude()} checks
     * it once and freezes it; {@link DataPlane#start(Context)} concludes it if nobody did.
     */
    public static final class Context
    {
        private InetSocketAddress bindAddress = new InetSocketAddress("0.0.0.0", 4000);
        private Configuration.Transport transportSetting = Configuration.Transport.AUTO;
        private int ringSize = 16384;
        private int maxDatagramBytes = 1500;
        private int maxRoutes = 1000;
        private Configuration.WaitStrategy waitStrategy = Configuration.WaitStrategy.SLEEPING;
        private int[] pinCpus = new int[0];
        private int commandQueueCapacity = 1024;
        private int sendBatch = DEFAULT_SEND_BATCH;
        private int receiveBatch = DEFAULT_RECEIVE_BATCH;
        private ThreadingMode threadingMode = ThreadingMode.SHARED;
        private RouteJournal journal = RouteJournal.MEMORY_ONLY;
        private long routeTtlNs = TimeUnit.SECONDS.toNanos(300);
        private List<RouteEntry> initialRoutes = List.of();
        private boolean mixer;
        private int mixerQueueBytes = 4 * 1024 * 1024;
        private int mixerStaleMs = Configuration.MIXER_STALE_MS_DEFAULT;
        private int mixerRoomEncodesPerPeriod = Configuration.MIXER_ROOM_ENCODES_PER_PERIOD_DEFAULT;
        private int mixerNodeEncodesPer20Ms = Configuration.MIXER_NODE_ENCODES_PER_20MS_DEFAULT;
        private int relayPortsFirst = Configuration.RELAY_PORTS_FIRST_DEFAULT;
        private int relayPortsLast = Configuration.RELAY_PORTS_LAST_DEFAULT;
        private int relayPortsOpenMax = Integer.MAX_VALUE;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private RoleThreadFactory threadFactory = CpuPinning::factory;

        private RouteRegistry registry;
        private PeerSet peers;
        private RouterProxy routerProxy;
        private RelayCounters counters;
        private DurationHistogram processingTime;
        private DurationHistogram paceLateness;
        private int paceMaxHeld = Configuration.PACE_MAX_HELD_DEFAULT;
        private int jitterMaxHeld = Configuration.JITTER_MAX_HELD_DEFAULT;
        private JitterPool jitterPool;
        private PacePool pacePool;
        private Transport transport;
        private boolean concluded;

        /**
         * @param v PACE_MAX_HELD: most datagrams pacing holds at once, all routes together.
         * @return this.
         */
        public Context paceMaxHeld(final int v)
        {
            check();
            paceMaxHeld = v;
            return this;
        }

        /**
         * @param v JITTER_MAX_HELD: most datagrams jitter buffers hold at once, all routes together (0 for none).
         * @return this.
         */
        public Context jitterMaxHeld(final int v)
        {
            check();
            jitterMaxHeld = v;
            return this;
        }

        /**
         * @param v BIND_ADDR: the main relay socket's address (its IP is the relay ports' too).
         * @return this.
         */
        public Context bindAddress(final InetSocketAddress v)
        {
            check();
            bindAddress = v;
            return this;
        }

        /**
         * @param v TRANSPORT.
         * @return this.
         */
        public Context transport(final Configuration.Transport v)
        {
            check();
            transportSetting = v;
            return this;
        }

        /**
         * @param v RING_SIZE, a power of two.
         * @return this.
         */
        public Context ringSize(final int v)
        {
            check();
            ringSize = v;
            return this;
        }

        /**
         * @param v MAX_DATAGRAM_BYTES.
         * @return this.
         */
        public Context maxDatagramBytes(final int v)
        {
            check();
            maxDatagramBytes = v;
            return this;
        }

        /**
         * @param v MAX_STREAMS_PER_NODE.
         * @return this.
         */
        public Context maxRoutes(final int v)
        {
            check();
            maxRoutes = v;
            return this;
        }

        /**
         * @param v WAIT_STRATEGY.
         * @return this.
         */
        public Context waitStrategy(final Configuration.WaitStrategy v)
        {
            check();
            waitStrategy = v;
            return this;
        }

        /**
         * @param v PIN_CPUS: the receiver's (or the shared thread's), the router's, the mixer's; empty for none.
         * @return this.
         */
        public Context pinCpus(final int[] v)
        {
            check();
            pinCpus = v.clone();
            return this;
        }

        /**
         * @param v route commands queued at once.
         * @return this.
         */
        public Context commandQueueCapacity(final int v)
        {
            check();
            commandQueueCapacity = v;
            return this;
        }

        /**
         * @param v SEND_BATCH: most datagrams queued between two flushes.
         * @return this.
         */
        public Context sendBatch(final int v)
        {
            check();
            sendBatch = v;
            return this;
        }

        /**
         * @param v RECEIVE_BATCH: most datagrams per receive call and socket (receives in flight on io_uring).
         * @return this.
         */
        public Context receiveBatch(final int v)
        {
            check();
            receiveBatch = v;
            return this;
        }

        /**
         * @param v how the roles map to threads (DATA_PLANE_THREADS).
         * @return this.
         */
        public Context threadingMode(final ThreadingMode v)
        {
            check();
            threadingMode = v;
            return this;
        }

        /**
         * @param v where the router reports route changes (the node's Redis store).
         * @return this.
         */
        public Context journal(final RouteJournal v)
        {
            check();
            journal = v;
            return this;
        }

        /**
         * @param seconds ROUTE_TTL_SECONDS.
         * @return this.
         */
        public Context routeTtlSeconds(final int seconds)
        {
            check();
            routeTtlNs = TimeUnit.SECONDS.toNanos(seconds);
            return this;
        }

        /**
         * @param v ROUTE_TTL_SECONDS in nanoseconds (a test's finer clock).
         * @return this.
         */
        public Context routeTtlNs(final long v)
        {
            check();
            routeTtlNs = v;
            return this;
        }

        /**
         * @param v routes loaded at start-up, in the table before the first datagram is routed; a route with a return
         *          path gets its relay port back, the one its {@link RouteEntry#relayPort()} names where it is free.
         * @return this.
         */
        public Context initialRoutes(final List<RouteEntry> v)
        {
            check();
            initialRoutes = List.copyOf(v);
            return this;
        }

        /**
         * @param v ENABLE_MIXER: run the mixer stage on a thread of its own.
         * @return this.
         */
        public Context mixer(final boolean v)
        {
            check();
            mixer = v;
            return this;
        }

        /**
         * @param staleMs              MIXER_STALE_MS: a room frame older than this when the mixer takes it is dropped.
         * @param roomEncodesPerPeriod MIXER_ROOM_ENCODES_PER_PERIOD: a room's mix-minus encodes per period.
         * @param nodeEncodesPer20Ms   MIXER_NODE_ENCODES_PER_20MS: all rooms' mix-minus encodes per 20 ms.
         * @return this.
         */
        public Context mixerBudget(final int staleMs, final int roomEncodesPerPeriod, final int nodeEncodesPer20Ms)
        {
            check();
            mixerStaleMs = staleMs;
            mixerRoomEncodesPerPeriod = roomEncodesPerPeriod;
            mixerNodeEncodesPer20Ms = nodeEncodesPer20Ms;
            return this;
        }

        /**
         * @param v bytes of the router-to-mixer frame ring (a full ring drops frames as mixer_full).
         * @return this.
         */
        public Context mixerQueueBytes(final int v)
        {
            check();
            mixerQueueBytes = v;
            return this;
        }

        /**
         * @param first RELAY_PORTS' first port.
         * @param last  its last, inclusive.
         * @return this.
         */
        public Context relayPorts(final int first, final int last)
        {
            check();
            relayPortsFirst = first;
            relayPortsLast = last;
            return this;
        }

        /**
         * @param v most relay ports open at once (the descriptor budget's share), when less than RELAY_PORTS holds:
         *          what the io_uring receiver provisions its receive operations for at start-up, so adding a relay
         *          port never allocates on the receive thread.
         * @return this.
         */
        public Context relayPortsOpenMax(final int v)
        {
            check();
            relayPortsOpenMax = v;
            return this;
        }

        /**
         * @return most relay ports open at once: RELAY_PORTS' size, or less when the descriptor budget says so.
         */
        public int relayPortsOpenMax()
        {
            return Math.max(0, Math.min(relayPortsOpenMax, relayPortsLast - relayPortsFirst + 1));
        }

        /**
         * @param v the clock of receive stamps, jitter holds, TTLs and hand-off deadlines.
         * @return this.
         */
        public Context clock(final NanoClock v)
        {
            check();
            clock = v;
            return this;
        }

        /**
         * @param v makes each role's thread (CPU pinning by default).
         * @return this.
         */
        public Context threadFactory(final RoleThreadFactory v)
        {
            check();
            threadFactory = v;
            return this;
        }

        /**
         * @param v the control plane's view of the routes; made by {@link #conclude()} when not given.
         * @return this.
         */
        public Context registry(final RouteRegistry v)
        {
            check();
            registry = v;
            return this;
        }

        /**
         * @param v the live nodes' relay addresses; made by {@link #conclude()} when not given.
         * @return this.
         */
        public Context peers(final PeerSet v)
        {
            check();
            peers = v;
            return this;
        }

        /**
         * @param v where route commands come from; made by {@link #conclude()} when not given.
         * @return this.
         */
        public Context routerProxy(final RouterProxy v)
        {
            check();
            routerProxy = v;
            return this;
        }

        /**
         * Check every setting, resolve TRANSPORT=auto, make the shared parts not given, and freeze the context.
         * Idempotent.
         *
         * @return this.
         * @throws IllegalArgumentException naming the setting that is out of range, or the transport that cannot run.
         */
        public Context conclude()
        {
            if (concluded)
            {
                return this;
            }
            require(bindAddress != null && bindAddress.getAddress() != null, Configuration.BIND_ADDR_ENV,
                bindAddress, "an IP address and port");
            require(ringSize >= 2 && Integer.bitCount(ringSize) == 1, Configuration.RING_SIZE_ENV, ringSize,
                "a power of two, at least 2");
            require(maxDatagramBytes >= 32 && maxDatagramBytes <= 65507, Configuration.MAX_DATAGRAM_BYTES_ENV,
                maxDatagramBytes, "32 to 65507");
            require(maxRoutes >= 1, Configuration.MAX_STREAMS_PER_NODE_ENV, maxRoutes, "at least 1");
            require(sendBatch >= 1, Configuration.SEND_BATCH_ENV, sendBatch, "at least 1");
            require(receiveBatch >= 1, Configuration.RECEIVE_BATCH_ENV, receiveBatch, "at least 1");
            require(commandQueueCapacity >= 2, "command queue", commandQueueCapacity, "at least 2");
            require(mixerQueueBytes >= 4096, "mixer queue", mixerQueueBytes, "at least 4096 bytes");
            require(mixerStaleMs >= 1, Configuration.MIXER_STALE_MS_ENV, mixerStaleMs, "at least 1");
            require(mixerRoomEncodesPerPeriod >= 1, Configuration.MIXER_ROOM_ENCODES_PER_PERIOD_ENV,
                mixerRoomEncodesPerPeriod, "at least 1");
            require(mixerNodeEncodesPer20Ms >= 1, Configuration.MIXER_NODE_ENCODES_PER_20MS_ENV,
                mixerNodeEncodesPer20Ms, "at least 1");
            require(paceMaxHeld >= 1, Configuration.PACE_MAX_HELD_ENV, paceMaxHeld, "at least 1");
            require(jitterMaxHeld >= 0 && jitterMaxHeld <= Configuration.JITTER_MAX_HELD_MAX,
                Configuration.JITTER_MAX_HELD_ENV, jitterMaxHeld, "0 to " + Configuration.JITTER_MAX_HELD_MAX);
            require(routeTtlNs > 0, Configuration.ROUTE_TTL_SECONDS_ENV, TimeUnit.NANOSECONDS.toSeconds(routeTtlNs),
                "at least 1");
            require(relayPortsFirst >= 1 && relayPortsLast <= 65535 && relayPortsFirst <= relayPortsLast,
                Configuration.RELAY_PORTS_ENV, relayPortsFirst + "-" + relayPortsLast, "a range within 1-65535");
            if (transportSetting == null || waitStrategy == null || threadingMode == null || journal == null ||
                clock == null || threadFactory == null)
            {
                throw new IllegalArgumentException("the transport, wait strategy, threading mode, journal, clock and " +
                    "thread factory must be set");
            }
            transport = Transport.select(transportSetting);
            registry = registry != null ? registry : new RouteRegistry();
            peers = peers != null ? peers : new PeerSet();
            routerProxy = routerProxy != null ? routerProxy : new RouterProxy(commandQueueCapacity);
            jitterPool = new JitterPool(jitterMaxHeld, maxDatagramBytes);
            routerProxy.jitterPool(jitterPool); // buffers are taken by who asks for a route, never by the router
            pacePool = new PacePool(paceMaxHeld, maxDatagramBytes, null); // the router gives it its counters
            routerProxy.pacePool(pacePool); // its memory too, provisioned by who asks for a paced route
            counters = new RelayCounters();
            processingTime = new DurationHistogram();
            paceLateness = new DurationHistogram();
            concluded = true;
            return this;
        }

        private static void require(final boolean ok, final String name, final Object value, final String expected)
        {
            if (!ok)
            {
                throw new IllegalArgumentException(name + "=" + value + ": expected " + expected);
            }
        }

        private void check()
        {
            if (concluded)
            {
                throw new IllegalStateException("the data plane context is concluded: it cannot change any more");
            }
        }

        public InetSocketAddress bindAddress()
        {
            return bindAddress;
        }

        /**
         * @return the transport TRANSPORT selected; known once concluded.
         */
        public Transport transport()
        {
            return transport;
        }

        public int ringSize()
        {
            return ringSize;
        }

        public int maxDatagramBytes()
        {
            return maxDatagramBytes;
        }

        public int maxRoutes()
        {
            return maxRoutes;
        }

        public Configuration.WaitStrategy waitStrategy()
        {
            return waitStrategy;
        }

        public int sendBatch()
        {
            return sendBatch;
        }

        public int receiveBatch()
        {
            return receiveBatch;
        }

        public ThreadingMode threadingMode()
        {
            return threadingMode;
        }

        public RouteJournal journal()
        {
            return journal;
        }

        public long routeTtlNs()
        {
            return routeTtlNs;
        }

        public NanoClock clock()
        {
            return clock;
        }

        public RouteRegistry registry()
        {
            return registry;
        }

        public PeerSet peers()
        {
            return peers;
        }

        public RouterProxy routerProxy()
        {
            return routerProxy;
        }

        /**
         * @return the data plane's counters, read at scrape time; each role writes a child of its own.
         */
        public RelayCounters counters()
        {
            return counters;
        }

        public DurationHistogram processingTime()
        {
            return processingTime;
        }

        /**
         * @return paced datagrams' actual minus scheduled departure, early ones as 0; recorded by the router.
         */
        public DurationHistogram paceLateness()
        {
            return paceLateness;
        }

        /**
         * @return PACE_MAX_HELD.
         */
        public int paceMaxHeld()
        {
            return paceMaxHeld;
        }

        /**
         * @return the node's places for paced datagrams: PACE_MAX_HELD at most; null before {@link #conclude()}.
         */
        public PacePool pacePool()
        {
            return pacePool;
        }

        /**
         * @return the node's jitter buffers: JITTER_MAX_HELD slots at most; null before {@link #conclude()}.
         */
        public JitterPool jitterPool()
        {
            return jitterPool;
        }

        private int cpu(final int role)
        {
            return role < pinCpus.length ? pinCpus[role] : -1;
        }
    }

    private final Context ctx;
    private final RelaySocket mainSocket;
    private final RelayPorts relayPorts;
    private final RingBuffer<RelaySlot> ring;
    private final ReceiveAgent receiveAgent;
    private final RouterAgent router;
    private final MixerAgent mixerAgent;
    private final DatagramSender sender;
    private final DatagramSender mixerSender;
    private final AtomicCounter errors;
    private final List<AgentRunner> runners = new ArrayList<>();
    private AgentRunner routerRunner;
    private AgentRunner receiveRunner;
    private boolean closed;

    private DataPlane(final Context ctx, final Parts parts)
    {
        this.ctx = ctx;
        this.mainSocket = parts.mainSocket;
        this.relayPorts = parts.relayPorts;
        this.ring = parts.ring;
        this.receiveAgent = parts.receiveAgent;
        this.router = parts.router;
        this.mixerAgent = parts.mixerAgent;
        this.sender = parts.sender;
        this.mixerSender = parts.mixerSender;
        this.errors = new AtomicCounter(new UnsafeBuffer(ByteBuffer.allocateDirect(CountersReader.COUNTER_LENGTH)), 0);
    }

    /**
     * What {@link #start(Context)} builds, gathered so a failure half way closes what was made.
     */
    private static final class Parts
    {
        RelaySocket mainSocket;
        RelayPorts relayPorts;
        RingBuffer<RelaySlot> ring;
        BatchReceiver receiver;
        ReceiveAgent receiveAgent;
        RouterAgent router;
        MixerAgent mixerAgent;
        DatagramSender sender;
        DatagramSender mixerSender;

        void close()
        {
            if (receiveAgent == null && receiver != null)
            {
                receiver.close();
            }
            else if (receiveAgent != null)
            {
                receiveAgent.onClose();
            }
            closeSender(sender);
            closeSender(mixerSender);
            if (relayPorts != null)
            {
                relayPorts.closeAll();
            }
            if (mainSocket != null)
            {
                try
                {
                    mainSocket.close();
                }
                catch (final IOException ex)
                {
                    LOG.warn("closing the relay socket: {}", ex.toString());
                }
            }
        }

        private static void closeSender(final DatagramSender s)
        {
            if (s != null)
            {
                s.close();
            }
        }
    }

    /**
     * Bind the main relay socket, load the initial routes (binding their relay ports), and start the threads.
     *
     * @param ctx settings and shared parts; concluded here if it is not yet.
     * @return the running data plane.
     * @throws IOException when the relay socket cannot be bound ({@link BindFailure} says why).
     */
    public static DataPlane start(final Context ctx) throws IOException
    {
        ctx.conclude();
        final Transport transport = ctx.transport();
        final Parts parts = new Parts();
        try
        {
            parts.mainSocket = RelaySocket.open(transport, ctx.bindAddress, RelaySocket.MAIN_BUFFER_BYTES, false);
            parts.relayPorts = new RelayPorts(transport, parts.mainSocket.localAddress().getAddress(),
                ctx.relayPortsFirst, ctx.relayPortsLast, RelaySocket.PORT_BUFFER_BYTES);
            ctx.routerProxy.onUnclaimed(parts.relayPorts::release);
            parts.ring = newRing(ctx.ringSize, ctx.maxDatagramBytes);
            final RelayCounters receiverCounters = ctx.counters.newChild();
            final RelayCounters routerCounters = ctx.counters.newChild();
            parts.receiver = newReceiver(ctx, parts.ring, receiverCounters);
            parts.sender = newSender(ctx, routerCounters);

            final ReceiverProxy socketChanges = new ReceiverProxy(SOCKET_CHANGE_QUEUE);
            parts.receiveAgent = new ReceiveAgent(parts.receiver, socketChanges, parts.relayPorts::release);
            socketChanges.add(parts.mainSocket);
            ownAddresses(ctx.peers, parts.mainSocket.localAddress());

            MixerLink mixerLink = null;
            if (ctx.mixer)
            {
                // The mixer stage: its own thread, fed by the router through a bounded ring, sending from the main
                // socket with its own sender. Plain forwarding never waits on a room.
                final RelayCounters mixerCounters = ctx.counters.newChild();
                mixerLink = new MixerLink(ctx.mixerQueueBytes, Math.max(1024, 2 * ctx.maxRoutes));
                parts.mixerSender = newSender(ctx, mixerCounters);
                parts.mixerAgent = new MixerAgent(
                    mixerLink, ctx.maxDatagramBytes, parts.mixerSender, mixerCounters, parts.mainSocket, ctx.clock,
                    ctx.mixerStaleMs, ctx.mixerRoomEncodesPerPeriod, ctx.mixerNodeEncodesPer20Ms);
            }
            parts.router = new RouterAgent(
                ctx, parts.ring, parts.sender, parts.mainSocket, socketChanges, mixerLink, routerCounters);
            for (final RouteEntry entry : ctx.initialRoutes)
            {
                parts.router.preload(entry, entry.spec().returnPath() ? reopen(parts.relayPorts, entry) : null);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            parts.close();
            throw ex;
        }

        final DataPlane plane = new DataPlane(ctx, parts);
        plane.startThreads();
        LOG.info("relay socket {} on {}: receiving with {}, sending with {}, {} data-plane thread(s), ring of {} " +
            "slots, relay ports {}-{}", parts.mainSocket.localAddress(), transport.wireName(), parts.receiver.name(),
            parts.sender.name(), ctx.threadingMode.threads(), ctx.ringSize, ctx.relayPortsFirst, ctx.relayPortsLast);
        return plane;
    }

    /**
     * A restored route's relay port (see {@link RelayPorts#reopen}); without one the route is kept, with relay port 0.
     */
    private static RelaySocket reopen(final RelayPorts relayPorts, final RouteEntry entry)
    {
        final RelaySocket socket = relayPorts.reopen(entry.relayPort(), entry.spec().streamIdText());
        if (socket == null)
        {
            entry.relayPort(0);
        }
        return socket;
    }

    private static BatchReceiver newReceiver(
        final Context ctx, final RingBuffer<RelaySlot> ring, final RelayCounters counters) throws IOException
    {
        final int slotBytes = RelaySlotFactory.slotBytesFor(ctx.maxDatagramBytes);
        final RingWriter writer = new RingWriter(ring);
        switch (ctx.transport)
        {
            case IO_URING:
                return new UringReceiver(
                    writer, slotBytes, ctx.receiveBatch, counters, ctx.clock, ctx.relayPortsOpenMax());
            case EPOLL:
                return new EpollReceiver(writer, slotBytes, ctx.receiveBatch, counters, ctx.clock);
            default:
                return new NioReceiver(writer, slotBytes, ctx.receiveBatch, counters, ctx.clock);
        }
    }

    private static DatagramSender newSender(final Context ctx, final RelayCounters counters)
    {
        switch (ctx.transport)
        {
            case IO_URING:
                return new UringSender(ctx.sendBatch, counters);
            case EPOLL:
                return new NativeBatchSender(ctx.sendBatch, counters);
            default:
                return new ChannelSender(counters);
        }
    }

    /**
     * Start each role on a thread of the context's factory, as the threading mode maps them.
     */
    private void startThreads()
    {
        final org.agrona.ErrorHandler errorHandler = t -> LOG.error("data plane error", t);
        final BatchReceiver receiver = receiveAgent.receiver();
        if (ctx.threadingMode == ThreadingMode.SHARED)
        {
            // One thread receives a batch, routes it and sends it, then waits in the kernel for the sockets:
            // no hand-off between cores, and nothing spins while the node is idle. Route commands wake it.
            ctx.routerProxy.onOffer(receiver::wake);
            final IdleStrategy idle = receiveIdleStrategy(ctx.waitStrategy, receiver);
            if (idle instanceof ReadinessIdleStrategy)
            {
                ((ReadinessIdleStrategy)idle).timers(router::nextTimerDeadlineNs); // jitter holds expire on time
            }
            routerRunner = new AgentRunner(idle, errorHandler, errors, new CompositeAgent(receiveAgent, router));
            start(routerRunner, "soundrelay-relay", ctx.cpu(0));
        }
        else
        {
            routerRunner = new AgentRunner(idleStrategy(ctx.waitStrategy), errorHandler, errors, router);
            start(routerRunner, "soundrelay-router", ctx.cpu(1) >= 0 ? ctx.cpu(1) : ctx.cpu(0));
            receiveRunner = new AgentRunner(
                receiveIdleStrategy(ctx.waitStrategy, receiver), errorHandler, errors, receiveAgent);
            start(receiveRunner, "soundrelay-receiver", ctx.cpu(0));
        }
        if (mixerAgent != null)
        {
            start(new AgentRunner(idleStrategy(ctx.waitStrategy), errorHandler, errors, mixerAgent),
                "soundrelay-mixer", ctx.cpu(2));
        }
    }

    private void start(final AgentRunner runner, final String role, final int cpu)
    {
        runners.add(runner);
        AgentRunner.startOnThread(runner, ctx.threadFactory.newFactory(role, cpu));
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
     * @param strategy WAIT_STRATEGY.
     * @param receiver whose sockets a waiting thread sleeps on.
     * @return the idle strategy of a thread that receives.
     */
    static IdleStrategy receiveIdleStrategy(final Configuration.WaitStrategy strategy, final BatchReceiver receiver)
    {
        switch (strategy)
        {
            case BUSY_SPIN:
                return new ReadinessIdleStrategy(receiver, 0, 0, 0);
            case YIELDING:
                return new ReadinessIdleStrategy(receiver, 0, Integer.MAX_VALUE, 0);
            case BACKOFF:
                return new ReadinessIdleStrategy(receiver, BACKOFF_SPINS, BACKOFF_YIELDS, RECEIVE_WAIT_MS);
            default:
                return new ReadinessIdleStrategy(receiver, 0, 0, RECEIVE_WAIT_MS);
        }
    }

    /**
     * @param strategy WAIT_STRATEGY.
     * @return the idle strategy of a thread that does not receive (the router with two threads, the mixer).
     */
    public static IdleStrategy idleStrategy(final Configuration.WaitStrategy strategy)
    {
        switch (strategy)
        {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELDING:
                return new YieldingIdleStrategy();
            case BACKOFF:
                return new BackoffIdleStrategy(
                    100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200));
            default:
                return new SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    /**
     * The main socket's own addresses, so the router knows a datagram from this node itself: every address of the
     * host for a wildcard bind, else the bound one.
     */
    private static void ownAddresses(final PeerSet peers, final InetSocketAddress local)
    {
        if (local.getAddress().isAnyLocalAddress())
        {
            peers.own(local.getPort(), hostAddresses(), true);
        }
        else
        {
            final byte[] raw = local.getAddress().getAddress();
            final byte[] mapped = new byte[16];
            Endpoint.toIpv6Mapped(raw, 0, raw.length, mapped);
            peers.own(local.getPort(), List.of(mapped), false);
        }
    }

    public Transport transport()
    {
        return ctx.transport;
    }

    /**
     * @return the main relay socket's bound address (the real port when 0 was asked for).
     */
    public InetSocketAddress localAddress()
    {
        return mainSocket.localAddress();
    }

    /**
     * @return the relay ports (RELAY_PORTS): the control plane binds a route's port here before it asks the router.
     */
    public RelayPorts relayPorts()
    {
        return relayPorts;
    }

    public RouterProxy proxy()
    {
        return ctx.routerProxy;
    }

    public RouteRegistry registry()
    {
        return ctx.registry;
    }

    /**
     * @return the relay addresses of the live nodes, whose HOP frames the router accepts: the control plane keeps it
     * up to date with {@link PeerSet#update(java.util.Collection)}.
     */
    public PeerSet peers()
    {
        return ctx.peers;
    }

    public RelayCounters counters()
    {
        return ctx.counters;
    }

    public DurationHistogram processingTime()
    {
        return ctx.processingTime;
    }

    /**
     * @return paced datagrams' lateness: actual minus scheduled departure (PROTOCOL.md section 10).
     */
    public DurationHistogram paceLateness()
    {
        return ctx.paceLateness;
    }

    /**
     * @return errors thrown out of a data-plane agent's duty cycle (each also logged).
     */
    public long errors()
    {
        return errors.get();
    }

    /**
     * @return the receive path in use: recvmmsg, io_uring recvmsg or nio.
     */
    public String receiverName()
    {
        return receiveAgent.receiver().name();
    }

    /**
     * @return hot-path threads: 1 (receive and route on one) or 2.
     */
    public int threads()
    {
        return ctx.threadingMode.threads();
    }

    /**
     * @return the mixer stage, or null when ENABLE_MIXER is off.
     */
    public MixerAgent mixer()
    {
        return mixerAgent;
    }

    /**
     * @return the send path in use: sendmmsg, io_uring sendmsg or sendto.
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
     * Stop gracefully: stop reading the sockets, let the router route everything already in the ring, then stop
     * the router and close the sockets. Idempotent.
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
            receiveAgent.stopReceiving();
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
        finally
        {
            for (final AgentRunner runner : runners)
            {
                runner.close();
            }
            sender.close();
            if (mixerSender != null)
            {
                mixerSender.close();
            }
            relayPorts.closeAll();
            try
            {
                mainSocket.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("closing relay socket: {}", ex.toString());
            }
            LOG.info("relay socket {} closed", mainSocket.localAddress());
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
            for (final NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                for (final java.net.InetAddress address : Collections.list(nif.getInetAddresses()))
                {
                    final byte[] raw = address.getAddress();
                    final byte[] mapped = new byte[16];
                    Endpoint.toIpv6Mapped(raw, 0, raw.length, mapped);
                    addresses.add(mapped);
                }
            }
        }
        catch (final SocketException ex)
        {
            LOG.warn("cannot list the host's addresses ({}): only loopback counts as this node's own", ex.getMessage());
        }
        return addresses;
    }
}
