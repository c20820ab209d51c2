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
import io.soundrelay.core.config.DataPlaneSettings;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.receive.BatchReceiver;
import io.soundrelay.io.receive.ReadinessIdleStrategy;
import io.soundrelay.io.receive.ReceiveAgent;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.transport.RoleThreadFactory;
import io.soundrelay.io.transport.Transport;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node's data plane: the main relay socket and the routes' relay ports, received as one socket set into a ring
 * of off-heap slots, one router agent that owns the route table and sends from those sockets, and, with the mixer on,
 * a mixer stage. Built from a {@link Context} ({@link DataPlaneParts} makes the parts), started by
 * {@link #start(Context)}, stopped gracefully by {@link #close()}: stop receiving, drain the ring, then close the
 * sockets.
 * <p>
 * The roles run as Agrona agents on threads from the context's {@link RoleThreadFactory}, as the
 * {@link ThreadingMode} maps them: one thread that receives and routes ({@link ThreadingMode#SHARED}), or a receiver
 * and a router apart ({@link ThreadingMode#DEDICATED}); the mixer has a thread of its own. What an idle thread does
 * is WAIT_STRATEGY's ({@link WaitStrategies}).
 */
public final class DataPlane implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);

    public static final int DEFAULT_SEND_BATCH = DataPlaneSettings.SEND_BATCH.defaultValue();
    public static final int DEFAULT_RECEIVE_BATCH = DataPlaneSettings.RECEIVE_BATCH.defaultValue();

    /**
     * How the data plane's roles map to threads.
     */
    public enum ThreadingMode
    {
        /** One thread receives a batch, routes it and sends it, then waits in the kernel for the sockets. */
        SHARED,
        /**
         * A receive thread fills the ring and a router thread drains it: receiving and sending overlap on two cores.
         */
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
            throw new IllegalArgumentException(
                DataPlaneSettings.DATA_PLANE_THREADS.name() + "=" + threads + ": expected 1 or 2");
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
     * Everything the data plane needs: see {@link DataPlaneContext}, which holds it (its own file, so this one holds
     * the running data plane only). Set it up, then {@link #conclude()} checks it once and freezes it;
     * {@link DataPlane#start(Context)} concludes it if nobody did.
     */
    public static final class Context extends DataPlaneContext
    {
    }

    private final Context ctx;
    private final DataPlaneParts parts;
    private final RelayPorts relayPorts;
    private final RingBuffer<RelaySlot> ring;
    private final ReceiveAgent receiveAgent;
    private final RouterAgent router;
    private final MixerAgent mixerAgent;
    private final AtomicCounter errors;
    private final List<AgentRunner> runners = new ArrayList<>();
    private AgentRunner routerRunner;
    private AgentRunner receiveRunner;
    private boolean closed;

    private DataPlane(final Context ctx, final DataPlaneParts parts)
    {
        this.ctx = ctx;
        this.parts = parts;
        this.relayPorts = parts.relayPorts;
        this.ring = parts.ring;
        this.receiveAgent = parts.receiveAgent;
        this.router = parts.router;
        this.mixerAgent = parts.mixerAgent;
        this.errors = new AtomicCounter(new UnsafeBuffer(ByteBuffer.allocateDirect(CountersReader.COUNTER_LENGTH)), 0);
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
        final DataPlaneParts parts = DataPlaneParts.build(ctx);
        final DataPlane plane = new DataPlane(ctx, parts);
        plane.startThreads();
        LOG.info("relay socket {} on {}: receiving with {}, sending with {}, {} data-plane thread(s), ring of {} " +
            "slots, relay ports {}-{}", parts.mainSocket.localAddress(), ctx.transport().wireName(),
            parts.receiver.name(), parts.sender.name(), ctx.threadingMode().threads(), ctx.ringSize(),
            ctx.relayPortsFirst(), ctx.relayPortsLast());
        return plane;
    }

    /**
     * Start each role on a thread of the context's factory, as the threading mode maps them.
     */
    private void startThreads()
    {
        final ErrorHandler errorHandler = t -> LOG.error("data plane error", t);
        final BatchReceiver receiver = receiveAgent.receiver();
        if (ctx.threadingMode() == ThreadingMode.SHARED)
        {
            // One thread receives a batch, routes it and sends it, then waits in the kernel for the sockets:
            // no hand-off between cores, and nothing spins while the node is idle. Route commands wake it.
            ctx.routerProxy().onOffer(receiver::wake);
            final IdleStrategy idle = WaitStrategies.receiveIdleStrategy(ctx.waitStrategy(), receiver);
            if (idle instanceof ReadinessIdleStrategy)
            {
                ((ReadinessIdleStrategy)idle).timers(router::nextTimerDeadlineNs); // jitter holds expire on time
            }
            routerRunner = new AgentRunner(idle, errorHandler, errors, new CompositeAgent(receiveAgent, router));
            start(routerRunner, "soundrelay-relay", ctx.cpu(0));
        }
        else
        {
            routerRunner = new AgentRunner(
                WaitStrategies.idleStrategy(ctx.waitStrategy()), errorHandler, errors, router);
            start(routerRunner, "soundrelay-router", ctx.cpu(1) >= 0 ? ctx.cpu(1) : ctx.cpu(0));
            receiveRunner = new AgentRunner(
                WaitStrategies.receiveIdleStrategy(ctx.waitStrategy(), receiver), errorHandler, errors, receiveAgent);
            start(receiveRunner, "soundrelay-receiver", ctx.cpu(0));
        }
        if (mixerAgent != null)
        {
            start(new AgentRunner(WaitStrategies.idleStrategy(ctx.waitStrategy()), errorHandler, errors, mixerAgent),
                "soundrelay-mixer", ctx.cpu(2));
        }
    }

    private void start(final AgentRunner runner, final String role, final int cpu)
    {
        runners.add(runner);
        AgentRunner.startOnThread(runner, ctx.threadFactory().newFactory(role, cpu));
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

    public Transport transport()
    {
        return ctx.transport();
    }

    /**
     * @return the main relay socket's bound address (the real port when 0 was asked for).
     */
    public InetSocketAddress localAddress()
    {
        return parts.mainSocket.localAddress();
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
        return ctx.routerProxy();
    }

    public RouteRegistry registry()
    {
        return ctx.registry();
    }

    /**
     * @return the relay addresses of the live nodes, whose HOP frames the router accepts: the control plane keeps it
     * up to date with {@link PeerSet#update(java.util.Collection)}.
     */
    public PeerSet peers()
    {
        return ctx.peers();
    }

    public RelayCounters counters()
    {
        return ctx.counters();
    }

    public DurationHistogram processingTime()
    {
        return ctx.processingTime();
    }

    /**
     * @return paced datagrams' lateness: actual minus scheduled departure (PROTOCOL.md section 10).
     */
    public DurationHistogram paceLateness()
    {
        return ctx.paceLateness();
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
        return ctx.threadingMode().threads();
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
        return parts.sender.name();
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
            parts.closeSockets();
            LOG.info("relay socket {} closed", parts.mainSocket.localAddress());
        }
    }
}
