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

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.config.DataPlaneSettings;
import io.soundrelay.core.config.RouteSettings;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.DataPlane.ThreadingMode;
import io.soundrelay.io.jitter.JitterPool;
import io.soundrelay.io.pace.PacePool;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.transport.CpuPinning;
import io.soundrelay.io.transport.RoleThreadFactory;
import io.soundrelay.io.transport.Transport;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the data plane needs, as {@link DataPlane.Context}: its settings, typed, with the defaults and limits of
 * their declarations ({@link DataPlaneSettings}, {@link RouteSettings}), and the parts it shares
 * with the control plane (made by {@link #conclude()} unless given). Set it up, then {@link #conclude()} checks
 * it once and freezes it; {@link DataPlane#start(DataPlane.Context)} concludes it if nobody did.
 */
public abstract sealed class DataPlaneContext permits DataPlane.Context
{
    private InetSocketAddress bindAddress = DataPlaneSettings.BIND_ADDR.defaultValue();
    private Configuration.Transport transportSetting = DataPlaneSettings.TRANSPORT.defaultValue();
    private int ringSize = DataPlaneSettings.RING_SIZE.defaultValue();
    private int maxDatagramBytes = DataPlaneSettings.MAX_DATAGRAM_BYTES.defaultValue();
    private int maxRoutes = RouteSettings.MAX_STREAMS_PER_NODE.defaultValue();
    private Configuration.WaitStrategy waitStrategy = DataPlaneSettings.WAIT_STRATEGY.defaultValue();
    private int[] pinCpus = new int[0];
    private int pipelines = DataPlaneSettings.DATA_PLANE_PIPELINES.defaultValue();
    private int commandQueueCapacity = 1024;
    private int sendBatch = DataPlaneSettings.SEND_BATCH.defaultValue();
    private int receiveBatch = DataPlaneSettings.RECEIVE_BATCH.defaultValue();
    private ThreadingMode threadingMode = ThreadingMode.ofThreads(DataPlaneSettings.DATA_PLANE_THREADS.defaultValue());
    private RouteJournal journal = RouteJournal.MEMORY_ONLY;
    private long routeTtlNs = TimeUnit.SECONDS.toNanos(RouteSettings.ROUTE_TTL_SECONDS.defaultValue());
    private List<RouteEntry> initialRoutes = List.of();
    private boolean mixer = DataPlaneSettings.ENABLE_MIXER.defaultValue();
    private int mixerQueueBytes = 4 * 1024 * 1024;
    private int mixerStaleMs = DataPlaneSettings.MIXER_STALE_MS.defaultValue();
    private int mixerRoomEncodesPerPeriod = DataPlaneSettings.MIXER_ROOM_ENCODES_PER_PERIOD.defaultValue();
    private int mixerNodeEncodesPer20Ms = DataPlaneSettings.MIXER_NODE_ENCODES_PER_20MS.defaultValue();
    private int relayPortsFirst = RouteSettings.RELAY_PORTS_FIRST_DEFAULT;
    private int relayPortsLast = RouteSettings.RELAY_PORTS_LAST_DEFAULT;
    private int relayPortsOpenMax = Integer.MAX_VALUE;
    private NanoClock clock = SystemNanoClock.INSTANCE;
    private RoleThreadFactory threadFactory = CpuPinning::factory;

    private RouteRegistry registry;
    private PeerSet peers;
    private RouterProxy routerProxy;
    private RelayCounters counters;
    private DurationHistogram processingTime;
    private DurationHistogram paceLateness;
    private int paceMaxHeld = RouteSettings.PACE_MAX_HELD.defaultValue();
    private int jitterMaxHeld = RouteSettings.JITTER_MAX_HELD.defaultValue();
    private JitterPool jitterPool;
    private PacePool[] pacePools;
    private final AtomicInteger routeCount = new AtomicInteger();
    private Transport transport;
    private boolean concluded;

    /**
     * @param v PACE_MAX_HELD: most datagrams pacing holds at once, all routes together.
     * @return this.
     */
    public DataPlane.Context paceMaxHeld(final int v)
    {
        check();
        paceMaxHeld = v;
        return self();
    }

    /**
     * @param v JITTER_MAX_HELD: most datagrams jitter buffers hold at once, all routes together (0 for none).
     * @return this.
     */
    public DataPlane.Context jitterMaxHeld(final int v)
    {
        check();
        jitterMaxHeld = v;
        return self();
    }

    /**
     * @param v BIND_ADDR: the main relay socket's address (its IP is the relay ports' too).
     * @return this.
     */
    public DataPlane.Context bindAddress(final InetSocketAddress v)
    {
        check();
        bindAddress = v;
        return self();
    }

    /**
     * @param v TRANSPORT.
     * @return this.
     */
    public DataPlane.Context transport(final Configuration.Transport v)
    {
        check();
        transportSetting = v;
        return self();
    }

    /**
     * @param v RING_SIZE, a power of two.
     * @return this.
     */
    public DataPlane.Context ringSize(final int v)
    {
        check();
        ringSize = v;
        return self();
    }

    /**
     * @param v MAX_DATAGRAM_BYTES.
     * @return this.
     */
    public DataPlane.Context maxDatagramBytes(final int v)
    {
        check();
        maxDatagramBytes = v;
        return self();
    }

    /**
     * @param v MAX_STREAMS_PER_NODE.
     * @return this.
     */
    public DataPlane.Context maxRoutes(final int v)
    {
        check();
        maxRoutes = v;
        return self();
    }

    /**
     * @param v WAIT_STRATEGY.
     * @return this.
     */
    public DataPlane.Context waitStrategy(final Configuration.WaitStrategy v)
    {
        check();
        waitStrategy = v;
        return self();
    }

    /**
     * @param v PIN_CPUS: CPU ids, empty for none; how they map to the pipelines' threads and the mixer's is
     *          {@link PipelineCpus}'s (with one pipeline: the receiver's or the shared thread's, the router's, the
     *          mixer's).
     * @return this.
     */
    public DataPlane.Context pinCpus(final int[] v)
    {
        check();
        pinCpus = v.clone();
        return self();
    }

    /**
     * @param v DATA_PLANE_PIPELINES, 1 to 64: N share-nothing pipelines ({@link Pipeline} says what each owns and
     *          how the memory limits are shared); 1 is the single pipeline of old, one main socket, no SO_REUSEPORT.
     * @return this.
     */
    public DataPlane.Context pipelines(final int v)
    {
        check();
        pipelines = v;
        return self();
    }

    /**
     * @param v route commands queued at once.
     * @return this.
     */
    public DataPlane.Context commandQueueCapacity(final int v)
    {
        check();
        commandQueueCapacity = v;
        return self();
    }

    /**
     * @param v SEND_BATCH: most datagrams queued between two flushes.
     * @return this.
     */
    public DataPlane.Context sendBatch(final int v)
    {
        check();
        sendBatch = v;
        return self();
    }

    /**
     * @param v RECEIVE_BATCH: most datagrams per receive call and socket (receives in flight on io_uring).
     * @return this.
     */
    public DataPlane.Context receiveBatch(final int v)
    {
        check();
        receiveBatch = v;
        return self();
    }

    /**
     * @param v how the roles map to threads (DATA_PLANE_THREADS).
     * @return this.
     */
    public DataPlane.Context threadingMode(final ThreadingMode v)
    {
        check();
        threadingMode = v;
        return self();
    }

    /**
     * @param v where the router reports route changes (the node's Redis store).
     * @return this.
     */
    public DataPlane.Context journal(final RouteJournal v)
    {
        check();
        journal = v;
        return self();
    }

    /**
     * @param seconds ROUTE_TTL_SECONDS.
     * @return this.
     */
    public DataPlane.Context routeTtlSeconds(final int seconds)
    {
        check();
        routeTtlNs = TimeUnit.SECONDS.toNanos(seconds);
        return self();
    }

    /**
     * @param v ROUTE_TTL_SECONDS in nanoseconds (a test's finer clock).
     * @return this.
     */
    public DataPlane.Context routeTtlNs(final long v)
    {
        check();
        routeTtlNs = v;
        return self();
    }

    /**
     * @param v routes loaded at start-up, in the table before the first datagram is routed; a route with a return
     *          path gets its relay port back, the one its {@link RouteEntry#relayPort()} names where it is free.
     * @return this.
     */
    public DataPlane.Context initialRoutes(final List<RouteEntry> v)
    {
        check();
        initialRoutes = List.copyOf(v);
        return self();
    }

    /**
     * @param v ENABLE_MIXER: run the mixer stage on a thread of its own.
     * @return this.
     */
    public DataPlane.Context mixer(final boolean v)
    {
        check();
        mixer = v;
        return self();
    }

    /**
     * @param staleMs              MIXER_STALE_MS: a room frame older than this when the mixer takes it is dropped.
     * @param roomEncodesPerPeriod MIXER_ROOM_ENCODES_PER_PERIOD: a room's mix-minus encodes per period.
     * @param nodeEncodesPer20Ms   MIXER_NODE_ENCODES_PER_20MS: all rooms' mix-minus encodes per 20 ms.
     * @return this.
     */
    public DataPlane.Context mixerBudget(
        final int staleMs, final int roomEncodesPerPeriod, final int nodeEncodesPer20Ms)
    {
        check();
        mixerStaleMs = staleMs;
        mixerRoomEncodesPerPeriod = roomEncodesPerPeriod;
        mixerNodeEncodesPer20Ms = nodeEncodesPer20Ms;
        return self();
    }

    /**
     * @param v bytes of the router-to-mixer frame ring (a full ring drops frames as mixer_full).
     * @return this.
     */
    public DataPlane.Context mixerQueueBytes(final int v)
    {
        check();
        mixerQueueBytes = v;
        return self();
    }

    /**
     * @param first RELAY_PORTS' first port.
     * @param last  its last, inclusive.
     * @return this.
     */
    public DataPlane.Context relayPorts(final int first, final int last)
    {
        check();
        relayPortsFirst = first;
        relayPortsLast = last;
        return self();
    }

    /**
     * @param v most relay ports open at once (the descriptor budget's share), when less than RELAY_PORTS holds:
     *          what the io_uring receiver provisions its receive operations for at start-up, so adding a relay
     *          port never allocates on the receive thread.
     * @return this.
     */
    public DataPlane.Context relayPortsOpenMax(final int v)
    {
        check();
        relayPortsOpenMax = v;
        return self();
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
    public DataPlane.Context clock(final NanoClock v)
    {
        check();
        clock = v;
        return self();
    }

    /**
     * @param v makes each role's thread (CPU pinning by default).
     * @return this.
     */
    public DataPlane.Context threadFactory(final RoleThreadFactory v)
    {
        check();
        threadFactory = v;
        return self();
    }

    /**
     * @param v the control plane's view of the routes; made by {@link #conclude()} when not given.
     * @return this.
     */
    public DataPlane.Context registry(final RouteRegistry v)
    {
        check();
        registry = v;
        return self();
    }

    /**
     * @param v the live nodes' relay addresses; made by {@link #conclude()} when not given.
     * @return this.
     */
    public DataPlane.Context peers(final PeerSet v)
    {
        check();
        peers = v;
        return self();
    }

    /**
     * @param v where route commands come from; made by {@link #conclude()} when not given.
     * @return this.
     */
    public DataPlane.Context routerProxy(final RouterProxy v)
    {
        check();
        routerProxy = v;
        return self();
    }

    /**
     * Check every setting, resolve TRANSPORT=auto, make the shared parts not given, and freeze the context.
     * Idempotent.
     *
     * @return this.
     * @throws IllegalArgumentException naming the setting that is out of range, or the transport that cannot run.
     */
    public DataPlane.Context conclude()
    {
        if (concluded)
        {
            return self();
        }
        // The limits of the settings are those of their declarations: a value set in code passes the same checks,
        // with the same message, as one set in the environment.
        require(bindAddress != null && bindAddress.getAddress() != null, DataPlaneSettings.BIND_ADDR.name(),
            bindAddress, "an IP address and port");
        DataPlaneSettings.RING_SIZE.require(ringSize);
        DataPlaneSettings.MAX_DATAGRAM_BYTES.require(maxDatagramBytes);
        RouteSettings.MAX_STREAMS_PER_NODE.require(maxRoutes);
        DataPlaneSettings.SEND_BATCH.require(sendBatch);
        DataPlaneSettings.RECEIVE_BATCH.require(receiveBatch);
        DataPlaneSettings.DATA_PLANE_PIPELINES.require(pipelines);
        require(commandQueueCapacity >= 2, "command queue", commandQueueCapacity, "at least 2");
        require(mixerQueueBytes >= 4096, "mixer queue", mixerQueueBytes, "at least 4096 bytes");
        DataPlaneSettings.MIXER_STALE_MS.require(mixerStaleMs);
        DataPlaneSettings.MIXER_ROOM_ENCODES_PER_PERIOD.require(mixerRoomEncodesPerPeriod);
        DataPlaneSettings.MIXER_NODE_ENCODES_PER_20MS.require(mixerNodeEncodesPer20Ms);
        RouteSettings.PACE_MAX_HELD.require(paceMaxHeld);
        RouteSettings.JITTER_MAX_HELD.require(jitterMaxHeld);
        // A test's TTL may be finer than a second, never longer than the declaration allows.
        require(routeTtlNs > 0 && routeTtlNs <= TimeUnit.SECONDS.toNanos(RouteSettings.ROUTE_TTL_SECONDS.max()),
            RouteSettings.ROUTE_TTL_SECONDS.name(), routeTtlNs + "ns",
            "1ns to " + RouteSettings.ROUTE_TTL_SECONDS.max() + "s");
        require(relayPortsFirst >= 1 && relayPortsLast <= 65535 && relayPortsFirst <= relayPortsLast,
            RouteSettings.RELAY_PORTS.name(), relayPortsFirst + "-" + relayPortsLast, "a range within 1-65535");
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
        routerProxy.pipelines(pipelines);
        jitterPool = new JitterPool(jitterMaxHeld, maxDatagramBytes);
        routerProxy.jitterPool(jitterPool); // buffers are taken by who asks for a route, never by the router
        counters = new RelayCounters();
        processingTime = new DurationHistogram();
        paceLateness = new DurationHistogram();
        pacePools = new PacePool[pipelines];
        for (int k = 0; k < pipelines; k++)
        {
            pacePools[k] = new PacePool(paceMaxHeld, maxDatagramBytes, null); // the router gives it its counters
        }
        routerProxy.pacePools(pacePools); // their memory too, provisioned by who asks for a paced route
        concluded = true;
        return self();
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
     * @param pipeline a pipeline.
     * @return its places for paced datagrams: PACE_MAX_HELD at most; null before {@link #conclude()}.
     */
    public PacePool pacePool(final int pipeline)
    {
        return pacePools == null ? null : pacePools[pipeline];
    }

    /**
     * @return routes in every pipeline's table together, against MAX_STREAMS_PER_NODE; the routers change it.
     */
    public AtomicInteger routeCount()
    {
        return routeCount;
    }

    /**
     * @return DATA_PLANE_PIPELINES.
     */
    public int pipelines()
    {
        return pipelines;
    }

    /**
     * @return the node's jitter buffers: JITTER_MAX_HELD slots at most; null before {@link #conclude()}.
     */
    public JitterPool jitterPool()
    {
        return jitterPool;
    }

    int[] pinCpus()
    {
        return pinCpus;
    }

    /**
     * @return this context as the data plane's, whose only kind it is.
     */
    private DataPlane.Context self()
    {
        return (DataPlane.Context)this;
    }

    boolean mixer()
    {
        return mixer;
    }

    int mixerQueueBytes()
    {
        return mixerQueueBytes;
    }

    int mixerStaleMs()
    {
        return mixerStaleMs;
    }

    int mixerRoomEncodesPerPeriod()
    {
        return mixerRoomEncodesPerPeriod;
    }

    int mixerNodeEncodesPer20Ms()
    {
        return mixerNodeEncodesPer20Ms;
    }

    int relayPortsFirst()
    {
        return relayPortsFirst;
    }

    int relayPortsLast()
    {
        return relayPortsLast;
    }

    List<RouteEntry> initialRoutes()
    {
        return initialRoutes;
    }

    RoleThreadFactory threadFactory()
    {
        return threadFactory;
    }
}
