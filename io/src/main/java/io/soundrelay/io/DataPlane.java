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
import io.soundrelay.core.route.Addresses;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.receive.BatchReceiver;
import io.soundrelay.io.receive.ReadinessIdleStrategy;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.transport.RoleThreadFactory;
import io.soundrelay.io.transport.Transport;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The node's data plane: N share-nothing {@link Pipeline}s (DATA_PLANE_PIPELINES, PROTOCOL.md section 11), each
 * its main socket (one of the main port's SO_REUSEPORT group) and its routes' relay ports, received as one socket
 * set into a ring of off-heap slots, and one router agent that owns the pipeline's shard of the route table
 * ({@link RouterProxy#owner(long, int)}) and sends from those sockets; and, with the mixer on, a mixer stage fed by
 * every pipeline. Built from a {@link Context} ({@link DataPlaneParts} makes the parts), started by
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
    private final Pipeline[] pipelines;
    private final MixerAgent mixerAgent;
    private final AtomicCounter errors;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<Heartbeat> heartbeats = new CopyOnWriteArrayList<>();
    private final Object fatalLock = new Object(); // not this: close() holds this while threads end
    private Consumer<Throwable> onFatal;
    private Throwable fatal;
    private volatile boolean closed;

    private DataPlane(final Context ctx, final DataPlaneParts parts)
    {
        this.ctx = ctx;
        this.parts = parts;
        this.relayPorts = parts.relayPorts;
        this.pipelines = parts.pipelines;
        this.mixerAgent = parts.mixerAgent;
        this.errors = new AtomicCounter(new UnsafeBuffer(ByteBuffer.allocateDirect(CountersReader.COUNTER_LENGTH)), 0);
    }

    /**
     * Bind the main port (a socket per pipeline), load the initial routes (binding their relay ports), and start the
     * threads.
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
        final Pipeline first = parts.pipelines[0];
        LOG.info("relay socket {} on {}: receiving with {}, sending with {}, {} pipeline(s) of {} data-plane " +
            "thread(s), ring of {} slots each, relay ports {}-{}", Addresses.text(parts.mainSocket.localAddress()),
            ctx.transport().wireName(), first.receiver.name(), first.sender.name(), ctx.pipelines(),
            ctx.threadingMode().threads(), ctx.ringSize(), ctx.relayPortsFirst(), ctx.relayPortsLast());
        return plane;
    }

    /**
     * Start each pipeline's roles on threads of the context's factory, as the threading mode maps them, and the mixer.
     */
    private void startThreads()
    {
        if (ctx.threadingMode() == ThreadingMode.SHARED)
        {
            // Every wake-up is in place before any thread runs: a pipeline may hand another a datagram at once.
            for (final Pipeline pipeline : pipelines)
            {
                final BatchReceiver receiver = pipeline.receiveAgent.receiver();
                ctx.routerProxy().onOffer(pipeline.index, receiver::wake);
                parts.wakes[pipeline.index] = receiver::wake;
            }
        }
        for (final Pipeline pipeline : pipelines)
        {
            startPipeline(pipeline);
        }
        if (mixerAgent != null)
        {
            start(new AgentRunner(WaitStrategies.idleStrategy(ctx.waitStrategy()), errorHandler("the mixer"), errors,
                beat(mixerAgent, "soundrelay-mixer")), "soundrelay-mixer",
                PipelineCpus.mixerCpu(ctx.pinCpus(), ctx.pipelines(), ctx.threadingMode().threads()));
        }
    }

    private void startPipeline(final Pipeline pipeline)
    {
        final int k = pipeline.index;
        final ErrorHandler errorHandler = errorHandler("pipeline " + k);
        final BatchReceiver receiver = pipeline.receiveAgent.receiver();
        final RouterAgent router = pipeline.router;
        if (ctx.threadingMode() == ThreadingMode.SHARED)
        {
            // One thread receives a batch, routes it and sends it, then waits in the kernel for the sockets:
            // no hand-off between cores, and nothing spins while the node is idle. Route commands wake it.
            final IdleStrategy idle = WaitStrategies.receiveIdleStrategy(ctx.waitStrategy(), receiver);
            if (idle instanceof ReadinessIdleStrategy)
            {
                ((ReadinessIdleStrategy)idle).timers(router::nextTimerDeadlineNs); // jitter holds expire on time
            }
            pipeline.routerRunner = new AgentRunner(idle, errorHandler, errors,
                beat(new CompositeAgent(pipeline.receiveAgent, router), "soundrelay-relay-" + k));
            start(pipeline.routerRunner, "soundrelay-relay-" + k, cpu(k, 0));
        }
        else
        {
            pipeline.routerRunner = new AgentRunner(WaitStrategies.idleStrategy(ctx.waitStrategy()), errorHandler,
                errors, beat(router, "soundrelay-router-" + k));
            start(pipeline.routerRunner, "soundrelay-router-" + k, cpu(k, 1));
            pipeline.receiveRunner = new AgentRunner(WaitStrategies.receiveIdleStrategy(ctx.waitStrategy(), receiver),
                errorHandler, errors, beat(pipeline.receiveAgent, "soundrelay-receiver-" + k));
            start(pipeline.receiveRunner, "soundrelay-receiver-" + k, cpu(k, 0));
        }
    }

    private Agent beat(final Agent agent, final String thread)
    {
        final Heartbeat heartbeat = new Heartbeat(agent, thread);
        heartbeats.add(heartbeat);
        return heartbeat;
    }

    /**
     * {@code /livez} (PROTOCOL.md section 12): whether every data-plane thread finished a duty cycle lately. An idle
     * thread finishes one at least every wait, so only a stuck one is reported.
     *
     * @param maxNs longest a thread may go without finishing a duty cycle.
     * @return the name of the first thread that has not finished one for {@code maxNs}, or null when all have.
     */
    public String stalledThread(final long maxNs)
    {
        final long nowNs = System.nanoTime();
        for (final Heartbeat heartbeat : heartbeats)
        {
            if (heartbeat.sinceLastCycleNs(nowNs) > maxNs)
            {
                return heartbeat.thread();
            }
        }
        return null;
    }

    /**
     * @return handed-off routes, all pipelines together, still forwarding HOP frames whose source sent to this node in
     * the last 2 s (as of each router's last sweep, at most a second old): a drain ends when none is left.
     */
    public int forwardingBusy()
    {
        int sum = 0;
        for (final Pipeline pipeline : pipelines)
        {
            sum += pipeline.router.forwardingBusy();
        }
        return sum;
    }

    /**
     * @return whether the node holds MAX_STREAMS_PER_NODE routes (all pipelines together): it takes no new one.
     */
    public boolean atMaxRoutes()
    {
        return ctx.routeCount().get() >= ctx.maxRoutes();
    }

    /**
     * @return why the node takes no new route when it holds MAX_STREAMS_PER_NODE routes: the setting's value and the
     * count, which includes handed-off routes still forwarding.
     */
    public String fullReason()
    {
        return "node is at MAX_STREAMS_PER_NODE=" + ctx.maxRoutes() + ": it holds " + ctx.routeCount().get() +
            " route(s) (handed-off routes count until their grace ends); create the route on another node";
    }

    private int cpu(final int pipeline, final int thread)
    {
        return PipelineCpus.cpu(ctx.pinCpus(), ctx.pipelines(), ctx.threadingMode().threads(), pipeline, thread);
    }

    private static ErrorHandler errorHandler(final String where)
    {
        return t -> LOG.error("data plane error in {}", where, t);
    }

    private void start(final AgentRunner runner, final String role, final int cpu)
    {
        runners.add(runner);
        final ThreadFactory factory = ctx.threadFactory().newFactory(role, cpu);
        AgentRunner.startOnThread(runner, r -> factory.newThread(() -> watch(r, role)));
    }

    /**
     * Run a role's agent and, should its thread end other than by {@link #close()} (an {@link Error} out of its duty
     * cycle, say), stop the node: a pipeline that stopped would silently lose its shard of the routes.
     */
    private void watch(final Runnable runner, final String role)
    {
        Throwable cause = null;
        // The role's name, with its pipeline's number (AgentRunner named the thread after its agent).
        Thread.currentThread().setName(role);
        try
        {
            runner.run();
        }
        catch (final Throwable t)
        {
            cause = t;
            throw t;
        }
        finally
        {
            if (!closed)
            {
                fatal(new IllegalStateException("data-plane thread " + role + " stopped" +
                    (cause == null ? "" : ": " + cause), cause));
            }
        }
    }

    private void fatal(final Throwable failure)
    {
        final Consumer<Throwable> handler;
        synchronized (fatalLock)
        {
            if (fatal != null)
            {
                return;
            }
            fatal = failure;
            handler = onFatal;
        }
        if (handler != null)
        {
            handler.accept(failure);
        }
        else
        {
            LOG.error("{}; nobody stops the node yet", failure.getMessage(), failure);
        }
    }

    /**
     * What to do when a data-plane thread stops other than by {@link #close()}: the node stops, with an error. Called
     * at once when one stopped before this was set.
     *
     * @param handler takes the failure, whose message names the thread (and so the pipeline); any thread.
     */
    public void onFatal(final Consumer<Throwable> handler)
    {
        final Throwable already;
        synchronized (fatalLock)
        {
            onFatal = handler;
            already = fatal;
        }
        if (already != null)
        {
            handler.accept(already);
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
     * @return DATA_PLANE_PIPELINES: the pipelines running.
     */
    public int pipelines()
    {
        return pipelines.length;
    }

    /**
     * @param k a pipeline.
     * @return datagrams pipeline k's receiver took: on its main socket and its routes' relay ports.
     */
    public long pipelineReceived(final int k)
    {
        return pipelines[k].receiverCounters.received();
    }

    /**
     * @return datagrams a pipeline passed to the pipeline that owns their stream, all pipelines together.
     */
    public long handoffs()
    {
        long sum = 0;
        for (final Pipeline pipeline : pipelines)
        {
            sum += pipeline.handoffs();
        }
        return sum;
    }

    /**
     * @return "cbpf" when the kernel steers each datagram to its owner's socket, else why it does not.
     */
    public String steering()
    {
        return parts.steering;
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
        return pipelines[0].receiver.name();
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
        return pipelines[0].sender.name();
    }

    /**
     * @return ring slots in use right now, all pipelines together.
     */
    public long ringBacklog()
    {
        long sum = 0;
        for (final Pipeline pipeline : pipelines)
        {
            sum += pipeline.ring.getBufferSize() - pipeline.ring.remainingCapacity();
        }
        return sum;
    }

    /**
     * Stop gracefully: stop reading every pipeline's sockets, let the routers route everything already in the rings
     * and the hand-off inboxes, then stop the routers and close the sockets. Idempotent.
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
            for (final Pipeline pipeline : pipelines)
            {
                pipeline.receiveAgent.stopReceiving();
            }
            for (final Pipeline pipeline : pipelines)
            {
                if (pipeline.receiveRunner != null)
                {
                    pipeline.receiveRunner.close();
                }
                pipeline.router.startDraining();
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!drained() && System.nanoTime() < deadline)
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
            LOG.info("relay socket {} closed", Addresses.text(parts.mainSocket.localAddress()));
        }
    }

    /**
     * @return whether every router routed all it was given: its ring, its commands and what other pipelines handed
     * it (read after the routers' own word, so a hand-off made before a router said it was done is seen).
     */
    private boolean drained()
    {
        for (final Pipeline pipeline : pipelines)
        {
            if (!pipeline.router.isDrained() && !pipeline.routerRunner.isClosed())
            {
                return false;
            }
        }
        for (final Pipeline pipeline : pipelines)
        {
            if (!pipeline.isDrained() && !pipeline.routerRunner.isClosed())
            {
                return false;
            }
        }
        return true;
    }
}
