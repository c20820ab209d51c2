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
package io.soundrelay.io.router;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.protocol.DatagramDecoder;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The router, shaped as Aeron's receiver: a duty cycle of route commands (drained from {@link RouterProxy}'s queue
 * and applied to the {@link RouteTable} as typed calls), the receive ring, the timers of the jitter buffers and pacers
 * (one {@link RouteTimers}), and one flush of the {@link SendBatch}; plus the wiring of the parts below.
 * <p>
 * How a datagram travels, in one direction (nothing it is handed to calls back into this class):
 * <ul>
 * <li>On a route's relay port (PROTOCOL.md section 9): {@link RelayPortRouter}, never decoded.</li>
 * <li>On the main socket: {@link MainPortRouter} decodes it once, finds its {@link Route}, checks the sender
 * ({@link SenderCheck}, or {@link HopAcceptor} for a HOP frame of a migration) and hands it to the route, to the
 * mixer, or to the {@link HopForwarder} when the route was handed to another node.</li>
 * <li>A {@link Route} delivers it as it was set up to on create, replace or hand-off: at once, through its jitter
 * buffer or through its pacer (whose sink it is), into the {@link SendBatch}, flushed at the end of each batch.</li>
 * </ul>
 * Single writer: the route table, the routes and their buffers and pacers, the relay ports' routes, the per-route
 * counters and this agent's counters are written only on this thread. Nothing in
 * {@link #onEvent(RelaySlot, long, boolean)} locks or allocates (a source latched from port 0 allocates its address
 * once). No direct memory is allocated on this thread: a route's jitter buffer and pacing places come with its
 * command from the thread that asks for the route, and the hop slots are made with the agent.
 */
public final class RouterAgent implements Agent, EventPoller.Handler<RelaySlot>
{
    /** How often the router looks for expired routes and routes whose expiry the store must extend. */
    public static final long SWEEP_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private static final Logger LOG = LoggerFactory.getLogger(RouterAgent.class);
    private static final int COMMAND_LIMIT = 64;

    private final ManyToOneConcurrentArrayQueue<RouteCommand> commands;
    private final EventPoller<RelaySlot> poller;
    private final RelayCounters counters;
    private final NanoClock clock;
    private final MixerLink mixer;
    private final ReceiverProxy sockets;
    private final SendBatch batch;
    private final RouteTimers timers = new RouteTimers();
    private final RouteTable table;
    private final RelayPortRouter relayPorts;
    private final MainPortRouter mainPort;
    private final Consumer<RouteCommand> commandHandler = this::apply;
    private final ErrorLogLimiter routeErrors = new ErrorLogLimiter(SWEEP_INTERVAL_NS);
    private final PipelineHandoff handoff;

    private int processedThisCycle;
    private long lastSweepNs;
    private volatile boolean draining;
    private volatile boolean drained;

    /**
     * @param ctx        the data plane's settings and shared parts, concluded: the route registry, the command proxy,
     *                   the peers, the journal, the processing-time histogram, the clock, the limits.
     * @param ring       the receive ring; this agent becomes its only consumer.
     * @param sender     sends from the data plane's sockets.
     * @param mainSocket the main relay socket, where datagrams without a relay port leave from and HOP frames go out.
     * @param sockets    where relay ports join and leave the receiver's socket set.
     * @param mixer      the hand-off to the mixer stage, or null when ENABLE_MIXER is off.
     * @param counters   this agent's counters (one writer: this agent).
     */
    public RouterAgent(
        final DataPlane.Context ctx,
        final RingBuffer<RelaySlot> ring,
        final DatagramSender sender,
        final RelaySocket mainSocket,
        final ReceiverProxy sockets,
        final MixerLink mixer,
        final RelayCounters counters)
    {
        this(ctx, 0, null, ring, sender, mainSocket, sockets, mixer, counters);
    }

    /**
     * The router of pipeline {@code pipeline} of several (PROTOCOL.md section 11): its shard of the routes, its command
     * queue and pacing pool; the other parameters as above, the pipeline's own (its ring, sender, main socket of the
     * SO_REUSEPORT group, receiver's socket set and mixer link).
     *
     * @param pipeline which pipeline, 0 to N - 1.
     * @param handoff  passes datagrams to the pipelines that own them, and takes theirs; null with one pipeline.
     */
    public RouterAgent(
        final DataPlane.Context ctx,
        final int pipeline,
        final PipelineHandoff handoff,
        final RingBuffer<RelaySlot> ring,
        final DatagramSender sender,
        final RelaySocket mainSocket,
        final ReceiverProxy sockets,
        final MixerLink mixer,
        final RelayCounters counters)
    {
        this.handoff = handoff;
        final int maxDatagramBytes = ctx.maxDatagramBytes();
        this.mixer = mixer;
        this.sockets = sockets;
        this.clock = ctx.clock();
        this.lastSweepNs = clock.nanoTime();
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.commands = ctx.routerProxy().queue(pipeline);
        this.counters = counters;
        final DatagramDecoder decoder = new DatagramDecoder(maxDatagramBytes);
        ctx.pacePool(pipeline).counters(counters);
        // Pipeline 0 writes the node's histograms, any other a child of each, summed into their reads.
        this.batch = new SendBatch(sender, counters,
            pipeline == 0 ? ctx.processingTime() : ctx.processingTime().newChild(),
            pipeline == 0 ? ctx.paceLateness() : ctx.paceLateness().newChild(), clock);
        // Here, on the thread that starts the node, not on the first hand-off: the router allocates no direct memory.
        final HopForwarder forwarder = new HopForwarder(batch, counters, decoder, mainSocket, maxDatagramBytes);
        final RelayPortTable relayPortTable = new RelayPortTable(sockets);
        final SenderCheck senders = new SenderCheck(ctx.peers(), mainSocket, relayPortTable, ctx.journal());
        this.relayPorts = new RelayPortRouter(relayPortTable, senders, forwarder, counters, maxDatagramBytes);
        final RouterParts parts = new RouterParts(
            batch, timers, forwarder, counters, clock, mainSocket, ctx.jitterPool(), ctx.pacePool(pipeline),
            ctx.routeCount());
        this.table = new RouteTable(parts, relayPortTable, ctx.registry(), ctx.journal(), mixer, ctx.maxRoutes(),
            ctx.routeTtlNs(), refreshIntervalNs(ctx.routeTtlNs()));
        this.mainPort = new MainPortRouter(table, decoder, senders, new HopAcceptor(clock, forwarder), forwarder,
            mixer, counters, handoff);
        if (handoff != null)
        {
            handoff.target(mainPort);
        }
    }

    @Override
    public String roleName()
    {
        return "soundrelay-router";
    }

    @Override
    public int doWork() throws Exception
    {
        int work = commands.drain(commandHandler, COMMAND_LIMIT);
        if (sockets.hasOverflow())
        {
            work += sockets.retry();
        }
        if (mixer != null && mixer.hasOverflow())
        {
            work += mixer.retryOverflow();
        }
        final long nowNs = clock.nanoTime();
        if (timers.isDue(nowNs))
        {
            work += timers.poll(nowNs);
        }
        if (nowNs - lastSweepNs >= SWEEP_INTERVAL_NS)
        {
            lastSweepNs = nowNs;
            work += table.sweep(nowNs);
        }
        if (handoff != null)
        {
            work += handoff.drain();
            batch.flush(); // before the next drain takes the hand-off slots again
        }
        processedThisCycle = 0;
        final EventPoller.PollState state = poller.poll(this);
        batch.flush();
        work += processedThisCycle;
        if (handoff != null)
        {
            handoff.wakeOwners();
        }
        if (draining)
        {
            // Not once for all: another pipeline may still hand this one a datagram from its ring.
            drained = state == EventPoller.PollState.IDLE && commands.isEmpty() &&
                (handoff == null || handoff.inboxEmpty());
        }
        return work;
    }

    @Override
    public boolean onEvent(final RelaySlot slot, final long sequence, final boolean endOfBatch)
    {
        try
        {
            route(slot);
        }
        catch (final RuntimeException ex)
        {
            // A bug must not wedge the ring on one datagram (the poller would hand it back forever) nor flood
            // the log: the datagram is dropped and counted, and at most one line a second says so.
            counters.addError(ErrorReason.MALFORMED, 1);
            final long heldBack = routeErrors.onError(clock.nanoTime());
            if (heldBack != ErrorLogLimiter.QUIET)
            {
                LOG.error("router failed on a datagram; dropped as malformed ({} more since the last line)",
                    heldBack, ex);
            }
        }
        processedThisCycle++;
        if (endOfBatch)
        {
            batch.flush();
        }
        return true;
    }

    /**
     * Route one datagram: the whole hot path, public so a benchmark can drive it without a ring. A relay port's
     * datagram goes to the {@link RelayPortRouter}, any other to the {@link MainPortRouter}.
     *
     * @param slot holding the datagram.
     */
    public void route(final RelaySlot slot)
    {
        final RelaySocket in = slot.socket;
        if (in != null && in.isRelayPort())
        {
            relayPorts.onDatagram(slot, in);
        }
        else
        {
            mainPort.onDatagram(slot);
        }
    }

    /**
     * Send what is queued and record each datagram's receipt-to-send time.
     */
    public void flush()
    {
        batch.flush();
    }

    /**
     * @return the earliest time a jitter buffer or pacer releases a held datagram, or {@link Long#MAX_VALUE} when
     * none holds any: a thread that waits for datagrams must wake by then. Router thread only.
     */
    public long nextTimerDeadlineNs()
    {
        return timers.nextDeadlineNs();
    }

    /**
     * Stop taking new work once the ring is empty. Any thread.
     */
    public void startDraining()
    {
        draining = true;
    }

    /**
     * @return true when draining was asked for and the ring, the command queue and the hand-off inbox were seen
     * empty at the end of the last duty cycle.
     */
    public boolean isDrained()
    {
        return drained;
    }

    /**
     * Apply one command. Router thread only; public so a test or benchmark can step the router by hand.
     *
     * @param command to apply.
     */
    public void apply(final RouteCommand command)
    {
        command.applyTo(table);
    }

    /**
     * Put a route in the table before the agent starts (routes loaded from the store at start-up).
     *
     * @param entry the restored route.
     * @param relay its relay port, bound, or null.
     */
    public void preload(final RouteEntry entry, final RelaySocket relay)
    {
        table.preload(entry, relay);
    }

    /**
     * How often a busy route's expiry in the store is extended: a tenth of the TTL, at least once a second and at
     * most every 30 s. The default TTL of 300 s gives 30 s, so 1,000 busy routes cost about 33 writes a second, not
     * 1,000. The store's copy may then expire up to one interval before memory's; a late datagram's refresh finds
     * the key gone and the store writes the route again.
     *
     * @param ttlNs ROUTE_TTL_SECONDS in nanoseconds.
     * @return the interval in nanoseconds.
     */
    public static long refreshIntervalNs(final long ttlNs)
    {
        return Math.max(SWEEP_INTERVAL_NS, Math.min(TimeUnit.SECONDS.toNanos(30), ttlNs / 10));
    }

    /**
     * Expire idle routes, refresh busy ones in the store, end hand-offs past their grace ({@link RouteTable#sweep}).
     *
     * @param nowNs monotonic now.
     * @return routes expired or refreshed.
     */
    int sweep(final long nowNs)
    {
        return table.sweep(nowNs);
    }

    /**
     * @return routes in the router's table, handed-off routes still forwarding included. Router thread only (or a
     * stopped router).
     */
    public int routeCount()
    {
        return table.size();
    }

    /**
     * @return handed-off routes still forwarding whose source sent to this node in the last 2 s, as of the last
     * sweep (at most a second old). Any thread.
     */
    public int forwardingBusy()
    {
        return table.forwardingBusy();
    }

    @Override
    public void onClose()
    {
        // A graceful stop sends what the jitter buffers and pacers still hold, in order, rather than drop it.
        timers.releaseAll();
        batch.flush();
    }
}
