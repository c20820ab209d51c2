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
import io.soundrelay.core.protocol.FrameFlyweight;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.jitter.JitterBuffer;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The router: owns the route table and routes every datagram of the ring. Each duty cycle it applies waiting
 * route commands, releases jitter-buffered datagrams whose hold expired, then takes what the receiver has published,
 * and for each datagram: decode in place, look the stream up, check the sender, then either hand a room's PCM or Opus
 * frame to the mixer (when it runs), or pass it through the route's jitter buffer (when {@code jitter_ms} > 0), or
 * queue one send per target; the sender flushes at the end of each batch.
 * <p>
 * Live migration (PROTOCOL.md section 7): a route handed to another node stays in the table, withdrawn from the
 * registry, and forwards each datagram to the new node's relay address as a HOP frame until its grace deadline (RTP
 * and RTCP wrapped in a frame with HOP and HOP_RTP, built in a preallocated hop slot). HOP frames are accepted only
 * from a sender in the {@link PeerSet}, instead of the route's source.
 * <p>
 * Single writer: the route map, the jitter buffers, the per-route counters and the drop counters (all but ring_full)
 * are written only here. Nothing in {@link #onEvent(RelaySlot, long, boolean)} locks or allocates. Jitter timers are
 * not timers: the duty cycle checks the earliest deadline of the buffers that hold datagrams.
 */
public final class RouterAgent implements Agent, EventPoller.Handler<RelaySlot>, JitterBuffer.Sink
{
    private static final Logger LOG = LoggerFactory.getLogger(RouterAgent.class);
    private static final int COMMAND_LIMIT = 64;
    /** Hop slots: RTP wrapped for forwarding between two flushes before the router flushes early to reuse them. */
    private static final int HOP_SLOTS = 64;
    /** How often the router looks for expired routes and routes whose expiry the store must extend. */
    public static final long SWEEP_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private final Long2ObjectHashMap<RouteEntry> routes = new Long2ObjectHashMap<>();
    private final RouteRegistry registry;
    private final ManyToOneConcurrentArrayQueue<RouteCommand> commands;
    private final EventPoller<RelaySlot> poller;
    private final DatagramDecoder decoder;
    private final DatagramSender sender;
    private final RelayCounters counters;
    private final DurationHistogram processingTime;
    private final int maxRoutes;
    private final RouteJournal journal;
    private final long ttlNs;
    private final long refreshIntervalNs;
    private final long[] pendingReceiveNs;
    private final Consumer<RouteCommand> commandHandler = this::apply;
    private final ErrorLogLimiter routeErrors = new ErrorLogLimiter(SWEEP_INTERVAL_NS);
    private final int maxDatagramBytes;
    private final MixerLink mixer;
    private final PeerSet peers;
    private RelaySlot[] hopSlots;
    private int hopSlotsUsed;
    private JitterState[] holdingJitter;
    private int holdingCount;
    private long nextJitterDeadlineNs;
    private long flushGeneration;
    private RouteEntry releasing;

    private int pendingCount;
    private int processedThisCycle;
    private long lastSweepNs = System.nanoTime();
    private volatile boolean draining;
    private volatile boolean drained;

    /**
     * @param ring             the receive ring; this agent becomes its only consumer.
     * @param proxy            where route commands come from.
     * @param registry         the control plane's view of routes, updated when commands are applied.
     * @param sender           sends from the relay socket.
     * @param counters         data-plane counters.
     * @param processingTime   receipt-to-last-send histogram.
     * @param maxDatagramBytes longest datagram accepted.
     * @param maxRoutes        MAX_STREAMS_PER_NODE.
     */
    public RouterAgent(
        final RingBuffer<RelaySlot> ring,
        final RouterProxy proxy,
        final RouteRegistry registry,
        final DatagramSender sender,
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final int maxDatagramBytes,
        final int maxRoutes)
    {
        this(ring, proxy, registry, sender, counters, processingTime, maxDatagramBytes, maxRoutes,
            RouteJournal.MEMORY_ONLY, Long.MAX_VALUE);
    }

    /**
     * @param ring             the receive ring; this agent becomes its only consumer.
     * @param proxy            where route commands come from.
     * @param registry         the control plane's view of routes, updated when commands are applied.
     * @param sender           sends from the relay socket.
     * @param counters         data-plane counters.
     * @param processingTime   receipt-to-last-send histogram.
     * @param maxDatagramBytes longest datagram accepted.
     * @param maxRoutes        MAX_STREAMS_PER_NODE.
     * @param journal          where route changes are reported to outlive the process.
     * @param ttlNs            ROUTE_TTL_SECONDS in nanoseconds: a route nobody sends on for this long expires.
     */
    public RouterAgent(
        final RingBuffer<RelaySlot> ring,
        final RouterProxy proxy,
        final RouteRegistry registry,
        final DatagramSender sender,
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final int maxDatagramBytes,
        final int maxRoutes,
        final RouteJournal journal,
        final long ttlNs)
    {
        this(ring, proxy, registry, sender, counters, processingTime, maxDatagramBytes, maxRoutes, journal, ttlNs, null);
    }

    /**
     * @param ring             the receive ring; this agent becomes its only consumer.
     * @param proxy            where route commands come from.
     * @param registry         the control plane's view of routes, updated when commands are applied.
     * @param sender           sends from the relay socket.
     * @param counters         data-plane counters.
     * @param processingTime   receipt-to-last-send histogram.
     * @param maxDatagramBytes longest datagram accepted.
     * @param maxRoutes        MAX_STREAMS_PER_NODE.
     * @param journal          where route changes are reported to outlive the process.
     * @param ttlNs            ROUTE_TTL_SECONDS in nanoseconds: a route nobody sends on for this long expires.
     * @param mixer            the hand-off to the mixer stage, or null when ENABLE_MIXER is off.
     */
    public RouterAgent(
        final RingBuffer<RelaySlot> ring,
        final RouterProxy proxy,
        final RouteRegistry registry,
        final DatagramSender sender,
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final int maxDatagramBytes,
        final int maxRoutes,
        final RouteJournal journal,
        final long ttlNs,
        final MixerLink mixer)
    {
        this(ring, proxy, registry, sender, counters, processingTime, maxDatagramBytes, maxRoutes, journal, ttlNs,
            mixer, new PeerSet());
    }

    /**
     * @param ring             the receive ring; this agent becomes its only consumer.
     * @param proxy            where route commands come from.
     * @param registry         the control plane's view of routes, updated when commands are applied.
     * @param sender           sends from the relay socket.
     * @param counters         data-plane counters.
     * @param processingTime   receipt-to-last-send histogram.
     * @param maxDatagramBytes longest datagram accepted.
     * @param maxRoutes        MAX_STREAMS_PER_NODE.
     * @param journal          where route changes are reported to outlive the process.
     * @param ttlNs            ROUTE_TTL_SECONDS in nanoseconds: a route nobody sends on for this long expires.
     * @param mixer            the hand-off to the mixer stage, or null when ENABLE_MIXER is off.
     * @param peers            the relay addresses of the live nodes: the only senders of HOP frames accepted.
     */
    public RouterAgent(
        final RingBuffer<RelaySlot> ring,
        final RouterProxy proxy,
        final RouteRegistry registry,
        final DatagramSender sender,
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final int maxDatagramBytes,
        final int maxRoutes,
        final RouteJournal journal,
        final long ttlNs,
        final MixerLink mixer,
        final PeerSet peers)
    {
        if (peers == null)
        {
            throw new NullPointerException("peers");
        }
        this.maxDatagramBytes = maxDatagramBytes;
        this.mixer = mixer;
        this.peers = peers;
        this.holdingJitter = new JitterState[Math.max(1, maxRoutes)]; // one route holds at most one place
        this.journal = journal;
        this.ttlNs = ttlNs;
        this.refreshIntervalNs = refreshIntervalNs(ttlNs);
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.commands = proxy.queue();
        this.registry = registry;
        this.sender = sender;
        this.counters = counters;
        this.processingTime = processingTime;
        this.decoder = new DatagramDecoder(maxDatagramBytes);
        this.maxRoutes = maxRoutes;
        this.pendingReceiveNs = new long[Math.max(1, Math.min(sender.remaining(), 4096))];
    }

    public String roleName()
    {
        return "soundrelay-router";
    }

    public int doWork() throws Exception
    {
        int work = commands.drain(commandHandler, COMMAND_LIMIT);
        if (mixer != null && mixer.hasOverflow())
        {
            work += mixer.retryOverflow();
        }
        final long nowNs = System.nanoTime();
        if (holdingCount > 0 && nowNs - nextJitterDeadlineNs >= 0)
        {
            work += pollJitter(nowNs);
        }
        if (nowNs - lastSweepNs >= SWEEP_INTERVAL_NS)
        {
            lastSweepNs = nowNs;
            work += sweep(nowNs);
        }
        processedThisCycle = 0;
        final EventPoller.PollState state = poller.poll(this);
        flush();
        work += processedThisCycle;
        if (draining && state == EventPoller.PollState.IDLE && commands.isEmpty())
        {
            drained = true;
        }
        return work;
    }

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
            final long heldBack = routeErrors.onError(System.nanoTime());
            if (heldBack != ErrorLogLimiter.QUIET)
            {
                LOG.error("router failed on a datagram; dropped as malformed ({} more since the last line)",
                    heldBack, ex);
            }
        }
        processedThisCycle++;
        if (endOfBatch)
        {
            flush();
        }
        return true;
    }

    /**
     * Route one datagram: the whole hot path, public so a benchmark can drive it without a ring.
     *
     * @param slot holding the datagram.
     */
    public void route(final RelaySlot slot)
    {
        final int length = slot.length;
        final UnsafeBuffer buffer = slot.buffer();
        if (!decoder.decode(buffer, 0, length))
        {
            counters.addError(decoder.error(), 1);
            return;
        }

        final long streamId = decoder.streamId();
        final RouteEntry entry = routes.get(streamId);
        if (entry == null)
        {
            counters.addError(ErrorReason.UNKNOWN_STREAM, 1);
            return;
        }

        final RouteSpec spec = entry.spec(); // read once: a PUT swaps the whole spec, never half of it
        boolean wrapped = false;
        int hopsIn = 0;
        if (decoder.isHop())
        {
            hopsIn = FrameFlyweight.hopCount(decoder.frameFlags()); // read before a wrapped datagram is decoded
            // Forwarded by the node that had the stream before: its sender is that node, not the route's source.
            // Nobody else, the source included, may send a HOP frame.
            if (!peers.contains(slot.senderAddress, slot.senderPort) ||
                (entry.isForwarding() && entry.hopTarget().matches(slot.senderAddress, slot.senderPort)))
            {
                counters.addError(ErrorReason.SOURCE_MISMATCH, 1); // the second test: never bounce a stream back
                return;
            }
            if (decoder.isHopWrapped())
            {
                // From here on the decoder describes the inner RTP or RTCP datagram, at HEADER_LENGTH.
                if (!decoder.decode(buffer, FrameFlyweight.HEADER_LENGTH, length - FrameFlyweight.HEADER_LENGTH) ||
                    decoder.kind() == DatagramDecoder.KIND_FRAME || decoder.streamId() != streamId)
                {
                    counters.addError(ErrorReason.MALFORMED, 1);
                    return;
                }
                wrapped = true;
            }
            else
            {
                // The frame as the source sent it, for framed delivery and jitter copies alike.
                buffer.putByte(FrameFlyweight.FLAGS_OFFSET,
                    (byte)(decoder.frameFlags() & ~(FrameFlyweight.HOP_FLAG | FrameFlyweight.HOP_COUNT_MASK)));
            }
        }
        else if (peers.isRelay(slot.senderAddress, slot.senderPort))
        {
            // A relay sent it, but not as a HOP frame of a migration: a route somewhere points at a relay (this node
            // or another), and forwarding would feed a loop.
            counters.addError(ErrorReason.LOOP, 1);
            return;
        }
        else if (!spec.source().matches(slot.senderAddress, slot.senderPort))
        {
            counters.addError(ErrorReason.SOURCE_MISMATCH, 1);
            return;
        }

        entry.onDatagramIn(slot.receiveNs);
        if (entry.isForwarding())
        {
            forward(slot, entry, wrapped, hopsIn);
            return;
        }
        if (decoder.isKeepAlive())
        {
            return;
        }

        if (mixer != null && spec.roomCode() != null && decoder.kind() == DatagramDecoder.KIND_FRAME)
        {
            final int payloadKind = decoder.payloadKind();
            if (payloadKind == FrameFlyweight.KIND_PCM || payloadKind == FrameFlyweight.KIND_OPUS)
            {
                if (!mixer.offerFrame(decoder.streamId(), payloadKind, decoder.timestamp(), slot.buffer(),
                    decoder.payloadOffset(), decoder.payloadLength(), slot.receiveNs))
                {
                    counters.addError(ErrorReason.MIXER_FULL, 1);
                }
                return;
            }
        }

        if (spec.jitterMs() > 0 && decoder.sequenceBits() != 0)
        {
            final JitterState state = (JitterState)entry.dataPlaneState();
            if (state != null)
            {
                releasing = entry;
                final ErrorReason dropped = state.buffer.offer(
                    slot, decoder.sequenceBits(), decoder.sequence(), slot.receiveNs, this);
                if (dropped != null)
                {
                    counters.addError(dropped, 1);
                }
                else if (state.buffer.held() > 0)
                {
                    holding(state);
                }
                return;
            }
        }

        final int offset;
        final int sendLength;
        if ((decoder.kind() == DatagramDecoder.KIND_FRAME && spec.deliver() == Deliver.PAYLOAD) || wrapped)
        {
            offset = decoder.payloadOffset(); // a wrapped RTP datagram: the inner one, byte for byte
            sendLength = decoder.payloadLength();
        }
        else
        {
            offset = 0;
            sendLength = length;
        }
        send(slot, entry, spec, offset, sendLength);
    }

    /**
     * A datagram of a handed-off route: to the new node, as a HOP frame. A frame gets the HOP bit in place and leaves
     * whole; a frame that already wraps RTP leaves as it came; RTP and RTCP are wrapped in a hop slot behind a header
     * with HOP and HOP_RTP, the route's stream id and the RTP sequence and timestamp.
     */
    private void forward(final RelaySlot slot, final RouteEntry entry, final boolean wrapped, final int hopsIn)
    {
        final Endpoint target = entry.hopTarget();
        final int length = slot.length;
        // A HOP frame forwarded on once more (the stream moved again within its grace window) counts one more hop.
        final int hops = hopsIn + 1;
        if (hops > FrameFlyweight.MAX_HOPS)
        {
            counters.addError(ErrorReason.LOOP, 1);
            return;
        }
        if (wrapped)
        {
            slot.buffer().putByte(FrameFlyweight.FLAGS_OFFSET,
                (byte)FrameFlyweight.withHopCount(FrameFlyweight.HOP_WRAPPED_FLAGS, hops));
            sendOne(slot, entry, 0, length, target);
            return;
        }
        if (decoder.kind() == DatagramDecoder.KIND_FRAME)
        {
            // HOP_RTP is a reserved bit in a frame without HOP: cleared, so the new node cannot take it for a wrap.
            slot.buffer().putByte(FrameFlyweight.FLAGS_OFFSET, (byte)FrameFlyweight.withHopCount(
                (decoder.frameFlags() & ~FrameFlyweight.HOP_RTP_FLAG) | FrameFlyweight.HOP_FLAG, hops));
            sendOne(slot, entry, 0, length, target);
            return;
        }

        if (length > maxDatagramBytes - FrameFlyweight.HEADER_LENGTH)
        {
            counters.addError(ErrorReason.OVERSIZE, 1);
            return;
        }
        if (hopSlotsUsed == hopSlots.length)
        {
            flush(); // every hop slot may still be queued in the sender
        }
        final RelaySlot hop = hopSlots[hopSlotsUsed++];
        final UnsafeBuffer out = hop.buffer();
        FrameFlyweight.writeHeader(out, 0, FrameFlyweight.withHopCount(FrameFlyweight.HOP_WRAPPED_FLAGS, hops),
            entry.streamId(), decoder.sequence(), decoder.timestamp());
        out.putBytes(FrameFlyweight.HEADER_LENGTH, slot.buffer(), 0, length);
        hop.length = length + FrameFlyweight.HEADER_LENGTH;
        hop.receiveNs = slot.receiveNs;
        sendOne(hop, entry, 0, hop.length, target);
    }

    /**
     * A datagram the jitter buffer releases, in sequence order: the ring slot itself when it came in order, a held
     * copy otherwise. Router thread only.
     *
     * @param slot holding the datagram, untouched until the next flush.
     */
    public void release(final RelaySlot slot)
    {
        final RouteEntry entry = releasing;
        final RouteSpec spec = entry.spec();
        final int length = slot.length;
        // A frame that carries both hop bits here wraps an RTP datagram a peer forwarded (HOP frames from anyone else
        // never get this far): the inner datagram leaves byte for byte whatever the route's deliver.
        if (length >= FrameFlyweight.HEADER_LENGTH && slot.buffer().getByte(0) == FrameFlyweight.MAGIC_0 &&
            (spec.deliver() == Deliver.PAYLOAD ||
            FrameFlyweight.isHopWrapped(slot.buffer().getByte(FrameFlyweight.FLAGS_OFFSET) & 0xFF)))
        {
            send(slot, entry, spec, FrameFlyweight.HEADER_LENGTH, length - FrameFlyweight.HEADER_LENGTH);
        }
        else
        {
            send(slot, entry, spec, 0, length);
        }
    }

    /**
     * @return how many times the sender has flushed: a held slot queued in this generation must not be reused yet.
     */
    public long flushGeneration()
    {
        return flushGeneration;
    }

    /**
     * @return the earliest time a jitter buffer releases a held datagram, or {@link Long#MAX_VALUE} when none holds
     * any: a thread that waits for datagrams must wake by then. Router thread only.
     */
    public long nextTimerDeadlineNs()
    {
        return holdingCount > 0 ? nextJitterDeadlineNs : Long.MAX_VALUE;
    }

    private void send(
        final RelaySlot slot, final RouteEntry entry, final RouteSpec spec, final int offset, final int sendLength)
    {
        final int targets = spec.targetCount();
        if (sender.remaining() < targets || pendingCount == pendingReceiveNs.length)
        {
            flush();
        }
        for (int i = 0; i < targets; i++)
        {
            final Endpoint target = spec.target(i);
            if (target.matches(slot.senderAddress, slot.senderPort))
            {
                counters.addError(ErrorReason.LOOP, 1); // never back to where it came from
                continue;
            }
            sender.queue(slot, offset, sendLength, target, entry);
        }
        pendingReceiveNs[pendingCount++] = slot.receiveNs;
    }

    private void sendOne(
        final RelaySlot slot, final RouteEntry entry, final int offset, final int sendLength, final Endpoint target)
    {
        if (sender.remaining() < 1 || pendingCount == pendingReceiveNs.length)
        {
            flush();
        }
        sender.queue(slot, offset, sendLength, target, entry);
        pendingReceiveNs[pendingCount++] = slot.receiveNs;
    }

    /**
     * Send what is queued and record each datagram's receipt-to-send time.
     */
    public void flush()
    {
        hopSlotsUsed = 0; // what the hop slots held is sent below, or nothing is queued at all
        if (pendingCount == 0)
        {
            return;
        }
        sender.flush();
        flushGeneration++;
        final long nowNs = System.nanoTime();
        for (int i = 0; i < pendingCount; i++)
        {
            processingTime.record(nowNs - pendingReceiveNs[i]);
        }
        pendingCount = 0;
    }

    /**
     * Stop taking new work once the ring is empty. Any thread.
     */
    public void startDraining()
    {
        draining = true;
    }

    /**
     * @return true once draining was asked for and the ring and command queue were seen empty.
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
        RouteCommand.Outcome outcome = RouteCommand.Outcome.OK;
        RouteEntry entry;
        RouteJournal.Change change = null;
        switch (command.type)
        {
            case CREATE:
            case RESTORE:
                entry = routes.get(command.streamId);
                if (entry != null && entry.isForwarding())
                {
                    routes.remove(command.streamId); // the stream came back: stop forwarding, relay it here again
                    entry = null;
                }
                if (entry != null)
                {
                    outcome = RouteCommand.Outcome.EXISTS;
                }
                else if (routes.size() >= maxRoutes)
                {
                    outcome = RouteCommand.Outcome.NODE_FULL;
                }
                else
                {
                    entry = new RouteEntry(command.spec, command.nowEpochMs, command.idleSinceNs);
                    routes.put(command.streamId, entry);
                    attach(entry);
                    registry.publish(entry);
                    change = command.type == RouteCommand.Type.CREATE ? RouteJournal.Change.CREATED : null;
                }
                break;

            case REPLACE:
                entry = routes.get(command.streamId);
                if (entry == null || entry.isForwarding())
                {
                    outcome = RouteCommand.Outcome.NOT_FOUND; // a handed-off route is not this node's to change
                    entry = null;
                }
                else
                {
                    final RouteSpec old = entry.spec();
                    entry.replaceSpec(command.spec);
                    reattach(entry, old);
                    change = RouteJournal.Change.REPLACED;
                }
                break;

            case DELETE:
                entry = routes.get(command.streamId);
                if (entry == null || entry.isForwarding())
                {
                    outcome = RouteCommand.Outcome.NOT_FOUND; // a handed-off route is not this node's: it forwards on
                    entry = null;
                }
                else
                {
                    routes.remove(command.streamId);
                    detach(entry);
                    registry.withdraw(command.streamId);
                    change = RouteJournal.Change.DELETED;
                }
                break;

            case HANDOFF:
                entry = routes.get(command.streamId);
                if (entry == null)
                {
                    outcome = RouteCommand.Outcome.NOT_FOUND;
                }
                else
                {
                    handOff(entry, command.hopTarget, System.nanoTime() + command.graceNs);
                }
                break;

            case RELINQUISH:
                entry = routes.remove(command.streamId);
                if (entry == null)
                {
                    outcome = RouteCommand.Outcome.NOT_FOUND;
                }
                else if (!entry.isForwarding()) // a forwarding route already left its room and the registry
                {
                    detach(entry);
                    registry.withdraw(command.streamId);
                }
                break;

            default:
                throw new IllegalStateException("unknown command " + command.type);
        }

        if (change == null)
        {
            command.result.complete(new RouteCommand.Result(outcome, entry, null));
            return;
        }
        // Answered once the journal has kept the change (written, or queued while the store is away); the journal
        // never blocks this thread, and completes the future from its own.
        final RouteCommand.Outcome answered = outcome;
        final RouteEntry changed = entry;
        final CompletableFuture<Durability> kept = journal.record(change, entry);
        kept.whenComplete((durability, error) ->
        {
            if (error != null)
            {
                command.result.completeExceptionally(error);
            }
            else
            {
                command.result.complete(new RouteCommand.Result(answered, changed, durability));
            }
        });
    }

    /**
     * Hand a route to another node: what its jitter buffer holds leaves first, in order, to its targets; it leaves its
     * room and the registry, and from now on forwards to the new node until the deadline. A route already forwarding
     * only moves its target and deadline.
     */
    private void handOff(final RouteEntry entry, final Endpoint target, final long untilNs)
    {
        if (hopSlots == null)
        {
            hopSlots = RelaySlotFactory.standalone(HOP_SLOTS, maxDatagramBytes); // once, on the first hand-off
        }
        if (!entry.isForwarding())
        {
            final JitterState state = (JitterState)entry.dataPlaneState();
            if (state != null)
            {
                releaseAll(state);
                entry.dataPlaneState(null);
            }
            if (mixer != null && entry.spec().roomCode() != null)
            {
                mixer.leave(entry.streamId());
            }
            registry.withdraw(entry.streamId());
        }
        entry.forwardTo(target, untilNs);
    }

    /**
     * Put a route in the table before the agent starts (routes loaded from the store at start-up).
     *
     * @param entry the restored route.
     */
    public void preload(final RouteEntry entry)
    {
        routes.put(entry.streamId(), entry);
        attach(entry);
        registry.publish(entry);
    }

    /**
     * Give a new route what its spec asks of the data plane: a jitter buffer, a place in its mixer room.
     */
    private void attach(final RouteEntry entry)
    {
        final RouteSpec spec = entry.spec();
        if (spec.jitterMs() > 0)
        {
            entry.dataPlaneState(newJitterState(entry, spec.jitterMs()));
        }
        if (mixer != null && spec.roomCode() != null)
        {
            mixer.join(spec);
        }
    }

    /**
     * A route's spec was replaced: resize, retime or drop its jitter buffer, and move it between rooms. Datagrams
     * the buffer held leave in order, to the new targets, when the buffer goes or changes size.
     */
    private void reattach(final RouteEntry entry, final RouteSpec old)
    {
        final RouteSpec spec = entry.spec();
        final JitterState state = (JitterState)entry.dataPlaneState();
        if (spec.jitterMs() == 0)
        {
            if (state != null)
            {
                releaseAll(state);
                entry.dataPlaneState(null);
            }
        }
        else if (state == null)
        {
            entry.dataPlaneState(newJitterState(entry, spec.jitterMs()));
        }
        else if (state.jitterMs != spec.jitterMs())
        {
            if (JitterBuffer.capacityFor(spec.jitterMs()) == state.buffer.capacity())
            {
                state.buffer.holdNs(TimeUnit.MILLISECONDS.toNanos(spec.jitterMs()));
            }
            else
            {
                releaseAll(state);
                state.buffer = newJitterBuffer(spec.jitterMs());
            }
            state.jitterMs = spec.jitterMs();
        }

        if (mixer != null)
        {
            if (spec.roomCode() != null)
            {
                mixer.join(spec);
            }
            else if (old.roomCode() != null)
            {
                mixer.leave(spec.streamId());
            }
        }
    }

    /**
     * A route is gone (deleted or expired): what its jitter buffer held is dropped with it, and it leaves its room.
     */
    private void detach(final RouteEntry entry)
    {
        final JitterState state = (JitterState)entry.dataPlaneState();
        if (state != null)
        {
            state.buffer.clear();
            notHolding(state);
            entry.dataPlaneState(null);
        }
        if (mixer != null && entry.spec().roomCode() != null)
        {
            mixer.leave(entry.streamId());
        }
    }

    private JitterState newJitterState(final RouteEntry entry, final int jitterMs)
    {
        return new JitterState(entry, newJitterBuffer(jitterMs), jitterMs);
    }

    private JitterBuffer newJitterBuffer(final int jitterMs)
    {
        return new JitterBuffer(
            JitterBuffer.capacityFor(jitterMs), maxDatagramBytes, TimeUnit.MILLISECONDS.toNanos(jitterMs));
    }

    private void releaseAll(final JitterState state)
    {
        releasing = state.entry;
        state.buffer.releaseAll(this);
        notHolding(state);
    }

    /**
     * Put a buffer that holds datagrams on the list the duty cycle checks, and bring the earliest deadline forward.
     */
    private void holding(final JitterState state)
    {
        if (state.activeIndex < 0)
        {
            if (holdingCount == holdingJitter.length) // only when preloaded routes outnumber MAX_STREAMS_PER_NODE
            {
                holdingJitter = Arrays.copyOf(holdingJitter, holdingCount * 2);
            }
            state.activeIndex = holdingCount;
            holdingJitter[holdingCount++] = state;
        }
        final long deadline = state.buffer.nextDeadlineNs();
        if (holdingCount == 1 || deadline - nextJitterDeadlineNs < 0)
        {
            nextJitterDeadlineNs = deadline;
        }
    }

    private void notHolding(final JitterState state)
    {
        final int index = state.activeIndex;
        if (index >= 0)
        {
            final JitterState last = holdingJitter[--holdingCount];
            holdingJitter[index] = last;
            last.activeIndex = index;
            holdingJitter[holdingCount] = null;
            state.activeIndex = -1;
        }
    }

    /**
     * Release what the buffers hold past their deadline, and find the next deadline.
     */
    private int pollJitter(final long nowNs)
    {
        int released = 0;
        long next = 0;
        boolean any = false;
        for (int i = holdingCount - 1; i >= 0; i--)
        {
            final JitterState state = holdingJitter[i];
            releasing = state.entry;
            released += state.buffer.poll(nowNs, this);
            if (state.buffer.held() == 0)
            {
                notHolding(state);
            }
            else
            {
                final long deadline = state.buffer.nextDeadlineNs();
                if (!any || deadline - next < 0)
                {
                    next = deadline;
                    any = true;
                }
            }
        }
        nextJitterDeadlineNs = next;
        return released;
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
     * Expire routes nobody sent on for the TTL, and ask the journal to extend the expiry of routes that saw datagrams
     * since their last refresh (at most once per {@link #refreshIntervalNs(long)}); drop handed-off routes whose grace
     * period is over. Once a second on the router's duty cycle: no timer per route, no allocation.
     *
     * @param nowNs monotonic now.
     * @return routes expired or refreshed.
     */
    int sweep(final long nowNs)
    {
        int work = 0;
        final Iterator<RouteEntry> it = routes.values().iterator();
        while (it.hasNext())
        {
            final RouteEntry entry = it.next();
            if (entry.isForwarding())
            {
                // Handed off: no TTL and no refresh, the store names another owner; gone at its grace deadline,
                // silently (it left the registry when it was handed off).
                if (nowNs - entry.hopUntilNs() >= 0)
                {
                    it.remove();
                    work++;
                }
                continue;
            }
            final long seen = entry.lastSeenNs();
            final long idleSince = seen == RouteEntry.NEVER || seen - entry.idleSinceNs() < 0 ?
                entry.idleSinceNs() : seen;
            if (nowNs - idleSince >= ttlNs)
            {
                it.remove();
                detach(entry);
                registry.withdraw(entry.streamId());
                counters.addExpired(1);
                journal.record(RouteJournal.Change.EXPIRED, entry);
                work++;
            }
            else if (seen != RouteEntry.NEVER && seen - entry.refreshedNs() > 0 &&
                nowNs - entry.refreshedNs() >= refreshIntervalNs && journal.refresh(entry))
            {
                entry.refreshedAt(nowNs);
                work++;
            }
        }
        return work;
    }

    /**
     * @return routes in the router's table, handed-off routes still forwarding included. Router thread only (or a
     * stopped router).
     */
    public int routeCount()
    {
        return routes.size();
    }

    public void onClose()
    {
        // A graceful stop sends what the jitter buffers still hold, in order, rather than drop it.
        while (holdingCount > 0)
        {
            releaseAll(holdingJitter[holdingCount - 1]);
        }
        flush();
    }
}
