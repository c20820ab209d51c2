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
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.protocol.HopTag;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.Latch;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.ReanchorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.jitter.JitterBuffer;
import io.soundrelay.io.jitter.JitterPool;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.pace.DeadlineHeap;
import io.soundrelay.io.pace.PacePool;
import io.soundrelay.io.pace.Pacer;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.IpDiscovery;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;
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
 * and for each datagram looks at the socket it came in on.
 * <ul>
 * <li>The main socket: decode in place, look the stream up, check the sender, then either hand a room's PCM or Opus
 * frame to the mixer (when it runs), or pass it through the route's pacer (when {@code pace_ms} > 0: it leaves at its
 * timestamp's time) or jitter buffer (when {@code jitter_ms} > 0), or queue one send per target, from the route's
 * relay port when it has one, else from the main socket.</li>
 * <li>A route's relay port (PROTOCOL.md section 9): no decoding. From the route's source, the datagram goes byte for
 * byte to every target (a paced route reads an RTP packet's timestamp and sequence and holds it until due); from one
 * of its targets, back to the source; from anyone else it is dropped. Both leave from the relay port.</li>
 * </ul>
 * The sender flushes at the end of each batch.
 * <p>
 * Live migration (PROTOCOL.md section 7): a route handed to another node stays in the table, withdrawn from the
 * registry, and forwards each datagram to the new node's relay address as a HOP frame until its grace deadline (RTP
 * and RTCP wrapped in a frame with HOP and HOP_RTP, a relay port's datagrams with HOP and HOP_PORT, built in a
 * preallocated hop slot). HOP frames are accepted only from a sender in the {@link PeerSet}, instead of the route's
 * source.
 * <p>
 * Single writer: the route map, the jitter buffers, the relay ports' routes, the per-route counters and this agent's
 * counters, the pacers and their pool are written only here. Nothing in {@link #onEvent(RelaySlot, long, boolean)}
 * locks or allocates (a source latched from port 0 allocates its address once). No direct memory is allocated on this
 * thread at all: a route's jitter buffer is taken from the node's {@link JitterPool} by the thread that asks for the
 * route and comes with its command (its slots go back to the pool when it goes), and the pacing pool's places are
 * provisioned the same way; the hop slots are made with the agent. Jitter and pacing timers are not timers: the duty
 * cycle checks the earliest deadline of the buffers that hold datagrams and the top of the pacers' heap.
 */
public final class RouterAgent implements Agent, EventPoller.Handler<RelaySlot>, JitterBuffer.Sink, Pacer.Sink
{
    /** A queued datagram that is not paced: no lateness to record. */
    private static final long NOT_PACED = Long.MIN_VALUE;

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
    private final NanoClock clock;
    private final int maxRoutes;
    private final RouteJournal journal;
    private final long ttlNs;
    private final long refreshIntervalNs;
    private final long[] pendingReceiveNs;
    private final long[] pendingDueNs;
    private final DurationHistogram paceLateness;
    private final PacePool pacePool;
    /** Paced routes that hold datagrams, by their next departure; ids index {@link #paceStates}. */
    private final DeadlineHeap paceHeap = new DeadlineHeap(64);
    private RouteState[] paceStates = new RouteState[64];
    private int[] freePaceIds = new int[64];
    private int freePaceIdCount;
    private int nextPaceId;
    private long departingDueNs = NOT_PACED;
    private final Consumer<RouteCommand> commandHandler = this::apply;
    private final ErrorLogLimiter routeErrors = new ErrorLogLimiter(SWEEP_INTERVAL_NS);
    private final int maxDatagramBytes;
    private final MixerLink mixer;
    private final PeerSet peers;
    private final RelaySocket mainSocket;
    /** Signs and checks HOP frames' tags: its state is this thread's. */
    private final HopTag hopTag = new HopTag();
    private final ReceiverProxy sockets;
    /** Relay ports attached to a route now, one bit per port: a datagram from one of them (on an own address) loops. */
    private final long[] ownRelayPorts = new long[1024];
    private final RelaySlot[] hopSlots;
    private final JitterPool jitterPool;
    private int hopSlotsUsed;
    private RouteState[] holdingJitter;
    private int holdingCount;
    private long nextJitterDeadlineNs;
    private long flushGeneration;
    private RouteState releasing;

    private int pendingCount;
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
        this.maxDatagramBytes = ctx.maxDatagramBytes();
        this.maxRoutes = ctx.maxRoutes();
        this.mixer = mixer;
        this.peers = ctx.peers();
        this.mainSocket = mainSocket;
        this.sockets = sockets;
        this.holdingJitter = new RouteState[Math.max(1, maxRoutes)]; // one route holds at most one place
        this.journal = ctx.journal();
        this.ttlNs = ctx.routeTtlNs();
        this.refreshIntervalNs = refreshIntervalNs(ttlNs);
        this.clock = ctx.clock();
        this.lastSweepNs = clock.nanoTime();
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.commands = ctx.routerProxy().queue();
        this.registry = ctx.registry();
        this.sender = sender;
        this.counters = counters;
        this.processingTime = ctx.processingTime();
        this.decoder = new DatagramDecoder(maxDatagramBytes);
        this.pendingReceiveNs = new long[Math.max(1, Math.min(sender.remaining(), 4096))];
        this.pendingDueNs = new long[pendingReceiveNs.length];
        this.paceLateness = ctx.paceLateness();
        this.pacePool = ctx.pacePool();
        pacePool.counters(counters);
        this.jitterPool = ctx.jitterPool();
        // Here, on the thread that starts the node, not on the first hand-off: the router allocates no direct memory.
        this.hopSlots = RelaySlotFactory.standalone(HOP_SLOTS, maxDatagramBytes, "the router's hop slots");
    }

    public String roleName()
    {
        return "soundrelay-router";
    }

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
        if (holdingCount > 0 && nowNs - nextJitterDeadlineNs >= 0)
        {
            work += pollJitter(nowNs);
        }
        if (!paceHeap.isEmpty() && nowNs - paceHeap.peekDeadline() >= 0)
        {
            work += pollPace(nowNs);
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
        final RelaySocket in = slot.socket;
        if (in != null && in.isRelayPort())
        {
            routeRelayPort(slot, in);
            return;
        }

        final UnsafeBuffer buffer = slot.buffer();
        // A HOP frame ends with its tag, checked below once the stream's inbound hand-off (its peer and key) is
        // known, and may be that much longer than MAX_DATAGRAM_BYTES. Any other datagram is decoded once, as it came.
        final int tagged = slot.length;
        int length = tagged;
        boolean decoded = decoder.decode(buffer, 0, length);
        if (!decoded && decoder.error() == ErrorReason.OVERSIZE &&
            FrameFlyweight.isHopFrame(slot.byteBuffer(), tagged))
        {
            length = tagged - HopTag.LENGTH; // a HOP frame of a datagram of the largest size, and its tag
            decoded = decoder.decode(buffer, 0, length);
        }
        if (!decoded)
        {
            if (!latchedByDiscovery(slot))
            {
                counters.addError(decoder.error(), 1);
            }
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
        final RouteState state = (RouteState)entry.dataPlaneState();
        boolean wrapped = false;
        int hopsIn = 0;
        if (decoder.isHop())
        {
            final int flags = decoder.frameFlags();
            hopsIn = FrameFlyweight.hopCount(flags); // read before a wrapped datagram is decoded
            // Forwarded by the node that handed the stream here: its sender is that node, not the route's source.
            // Nobody else, the source included, may send a HOP frame, and only with the hand-off's tag.
            final ErrorReason refused = checkHop(slot, entry, state, tagged, flags);
            if (refused != null)
            {
                counters.addError(refused, 1);
                return;
            }
            // The tag is checked: from here on the frame is what the old node received.
            length = tagged - HopTag.LENGTH;
            slot.length = length;
            if (!decoder.decode(buffer, 0, length))
            {
                counters.addError(ErrorReason.MALFORMED, 1); // signed, yet shorter than a header: never expected
                return;
            }
            if (FrameFlyweight.isHopPort(flags))
            {
                routePortHop(slot, entry, state, flags, hopsIn);
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
                    (byte)(flags & ~(FrameFlyweight.HOP_FLAG | FrameFlyweight.HOP_COUNT_MASK)));
            }
        }
        else if (isLoop(state, slot))
        {
            // A relay sent it, but not as a HOP frame of a migration: a route somewhere points at a relay (this node
            // or another), and forwarding would feed a loop.
            counters.addError(ErrorReason.LOOP, 1);
            return;
        }
        else if (!isSource(state, spec, slot))
        {
            counters.addError(mismatch(state, spec, slot), 1);
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

        if (state.pacer != null && decoder.sequenceBits() != 0)
        {
            // RTP or a frame: it has a media timestamp (RTCP has none and leaves at once, below).
            final boolean inner = (decoder.kind() == DatagramDecoder.KIND_FRAME && spec.deliver() == Deliver.PAYLOAD) ||
                wrapped;
            pace(slot, state, decoder.timestamp(), decoder.sequence(), decoder.sequenceBits(),
                inner ? decoder.payloadOffset() : 0, inner ? decoder.payloadLength() : length);
            return;
        }

        if (state.buffer != null && decoder.sequenceBits() != 0)
        {
            releasing = state;
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
        send(slot, entry, state, spec, offset, sendLength);
    }

    /**
     * A datagram on a route's relay port: any bytes, never decoded. From the source to every target, from a target
     * back to the source, both from the relay port; from anyone else dropped.
     */
    private void routeRelayPort(final RelaySlot slot, final RelaySocket in)
    {
        final RouteEntry entry = in.route;
        if (entry == null)
        {
            counters.addError(ErrorReason.UNKNOWN_STREAM, 1); // its route left while the datagram was in the ring
            return;
        }
        final int length = slot.length;
        if (length > maxDatagramBytes)
        {
            counters.addError(ErrorReason.OVERSIZE, 1);
            return;
        }
        final RouteState state = (RouteState)entry.dataPlaneState();
        if (isLoop(state, slot))
        {
            counters.addError(ErrorReason.LOOP, 1);
            return;
        }
        final RouteSpec spec = entry.spec();
        if (isSource(state, spec, slot))
        {
            entry.onDatagramIn(slot.receiveNs);
            if (entry.isForwarding())
            {
                forwardPortDatagram(slot, entry, false);
                return;
            }
            if (state.pacer != null && isRtp(slot.buffer(), 0, length))
            {
                pace(slot, state, rtpTimestamp(slot.buffer(), 0), rtpSequence(slot.buffer(), 0), 16, 0, length);
                return;
            }
            send(slot, entry, state, spec, 0, length);
        }
        else if (spec.targetIndexOf(slot.senderAddress, slot.senderPort) >= 0)
        {
            entry.onReturnIn(slot.receiveNs);
            if (entry.isForwarding())
            {
                forwardPortDatagram(slot, entry, true);
                return;
            }
            sendBack(slot, entry, state, 0, length);
        }
        else
        {
            counters.addError(mismatch(state, spec, slot), 1);
        }
    }

    /**
     * May this HOP frame enter the route? Only from the relay address of the node that handed the stream here, while
     * that hand-off's window is open, never from the node the stream was handed on to (a stream never bounces back),
     * with the tag the hand-off's key gives, and a relay port's traffic only for a route with a return path.
     *
     * @return null when it may, else why not.
     */
    private ErrorReason checkHop(
        final RelaySlot slot, final RouteEntry entry, final RouteState state, final int tagged, final int flags)
    {
        final Endpoint from = state.hopFrom;
        if (from == null || !from.matches(slot.senderAddress, slot.senderPort) ||
            clock.nanoTime() - state.hopFromUntilNs > 0 ||
            (entry.isForwarding() && entry.hopTarget().matches(slot.senderAddress, slot.senderPort)))
        {
            return ErrorReason.SOURCE_MISMATCH;
        }
        final HopKey key = state.hopFromKey;
        if (!hopTag.verify(slot.buffer(), 0, tagged, key.k0(), key.k1()))
        {
            return ErrorReason.HOP_AUTH;
        }
        if (FrameFlyweight.isHopPort(flags) && !entry.spec().returnPath())
        {
            return ErrorReason.SOURCE_MISMATCH; // no relay port, here or on the old node: nothing to carry
        }
        return null;
    }

    /**
     * A HOP frame to the node the route was handed to, from the main socket: signed with the hand-off's key in the
     * slot, after the frame (a slot has room for the tag).
     */
    private void sendHop(final RelaySlot slot, final RouteEntry entry, final int length)
    {
        final HopKey key = ((RouteState)entry.dataPlaneState()).hopKey;
        final int signed = hopTag.sign(slot.buffer(), 0, length, key.k0(), key.k1());
        sendOne(slot, entry, 0, signed, entry.hopTarget(), mainSocket);
    }

    /**
     * A HOP frame that carries a datagram of the old node's relay port: on from this node's relay port for the route
     * (its main socket if the route has none here), to the targets or back to the source.
     */
    private void routePortHop(
        final RelaySlot slot, final RouteEntry entry, final RouteState state, final int flags, final int hopsIn)
    {
        final boolean back = (flags & FrameFlyweight.HOP_BACK_FLAG) != 0;
        if (back)
        {
            entry.onReturnIn(slot.receiveNs);
        }
        else
        {
            entry.onDatagramIn(slot.receiveNs);
        }
        if (entry.isForwarding())
        {
            forwardPortHopOn(slot, entry, flags, hopsIn); // moved on again within the grace window
            return;
        }
        final int offset = FrameFlyweight.HEADER_LENGTH;
        final int length = slot.length - FrameFlyweight.HEADER_LENGTH;
        if (back)
        {
            sendBack(slot, entry, state, offset, length);
        }
        else if (state.pacer != null && isRtp(slot.buffer(), offset, length))
        {
            pace(slot, state, rtpTimestamp(slot.buffer(), offset), rtpSequence(slot.buffer(), offset), 16, offset,
                length);
        }
        else
        {
            send(slot, entry, state, entry.spec(), offset, length);
        }
    }

    /**
     * A HOP_PORT frame of a route that has moved on to yet another node: on to it as it came, one hop more, or
     * dropped as a loop past the third.
     */
    private void forwardPortHopOn(final RelaySlot slot, final RouteEntry entry, final int flags, final int hopsIn)
    {
        final int hops = hopsIn + 1;
        if (hops > FrameFlyweight.MAX_HOPS)
        {
            counters.addError(ErrorReason.LOOP, 1);
            return;
        }
        slot.buffer().putByte(FrameFlyweight.FLAGS_OFFSET, (byte)FrameFlyweight.withHopCount(flags, hops));
        sendHop(slot, entry, slot.length);
    }

    /**
     * A datagram from a target, to the source's address from the route's relay port.
     */
    private void sendBack(
        final RelaySlot slot, final RouteEntry entry, final RouteState state, final int offset, final int length)
    {
        final Endpoint source = state.source;
        if (source == null)
        {
            counters.addError(ErrorReason.NOT_LATCHED, 1);
            return;
        }
        if (source.matches(slot.senderAddress, slot.senderPort))
        {
            counters.addError(ErrorReason.LOOP, 1); // never back to where it came from
            return;
        }
        counters.addReturned(1);
        sendOne(slot, entry.returnTally(), offset, length, source, state.relay != null ? state.relay : mainSocket);
    }

    /**
     * Is the sender the route's source? For a source with port 0, the first datagram from its IP latches the port
     * (once: the one allocation of the hot path, per route); with {@code "latch": "discovery"} only an IP discovery
     * request carrying the route's SSRC does.
     */
    private boolean isSource(final RouteState state, final RouteSpec spec, final RelaySlot slot)
    {
        final Endpoint source = state.source;
        if (source != null)
        {
            return source.matches(slot.senderAddress, slot.senderPort);
        }
        if (spec.latchesSourcePort() && spec.source().matchesAddress(slot.senderAddress) && slot.senderPort > 0 &&
            (spec.latch() == Latch.FIRST ||
            IpDiscovery.requestSsrc(slot.byteBuffer(), 0, slot.length) == (spec.streamId() & 0xFFFF_FFFFL)))
        {
            latch(state, slot);
            return true;
        }
        return false;
    }

    private void latch(final RouteState state, final RelaySlot slot)
    {
        final Endpoint latched = Endpoint.of(slot.senderAddress, slot.senderPort);
        state.source = latched;
        state.entry.sourceLatched(latched);
        journal.record(RouteJournal.Change.REPLACED, state.entry); // the store learns the latch
    }

    /**
     * @return why a datagram that is not from the route's source is dropped: {@code not_latched} from the source's IP
     * while a {@code "latch": "discovery"} route waits for its IP discovery request, else {@code source_mismatch}.
     */
    private static ErrorReason mismatch(final RouteState state, final RouteSpec spec, final RelaySlot slot)
    {
        return state.source == null && spec.latchesSourcePort() && spec.source().matchesAddress(slot.senderAddress) ?
            ErrorReason.NOT_LATCHED : ErrorReason.SOURCE_MISMATCH;
    }

    /**
     * A datagram on the main port that is neither a frame nor RTP may be an IP discovery request that latches a
     * {@code "latch": "discovery"} route, found by its SSRC as RTP is. The main port relays no discovery: the request
     * only latches.
     *
     * @return whether it latched a route.
     */
    private boolean latchedByDiscovery(final RelaySlot slot)
    {
        final long ssrc = IpDiscovery.requestSsrc(slot.byteBuffer(), 0, slot.length);
        if (ssrc < 0)
        {
            return false;
        }
        final RouteEntry entry = routes.get(ssrc);
        if (entry == null || entry.isForwarding() || isFromRelay(slot))
        {
            return false;
        }
        final RouteSpec spec = entry.spec();
        final RouteState state = (RouteState)entry.dataPlaneState();
        if (spec.latch() != Latch.DISCOVERY || state.source != null ||
            !spec.source().matchesAddress(slot.senderAddress) || slot.senderPort <= 0)
        {
            return false;
        }
        latch(state, slot);
        entry.onDatagramIn(slot.receiveNs);
        return true;
    }

    /**
     * A datagram that is not a HOP frame from a relay: a live peer's relay address, or this node's own sockets. The
     * route's own source, as configured or as latched, is the exception when it is a peer's address: the peer
     * addresses come from heartbeats in Redis, and a heartbeat naming a route's source as its relay address must not
     * cut that stream. This node's own sockets are never a source. An unlatched port-0 source is not known yet, so a
     * relay on its IP still counts as a loop.
     */
    private boolean isLoop(final RouteState state, final RelaySlot slot)
    {
        if (!isFromRelay(slot))
        {
            return false;
        }
        final Endpoint source = state.source;
        return source == null || !source.matches(slot.senderAddress, slot.senderPort) || isOwnSocket(slot);
    }

    /**
     * @return whether the sender is this node's main socket or one of its relay ports in use, on its own address.
     */
    private boolean isOwnSocket(final RelaySlot slot)
    {
        return (mainSocket != null && slot.senderPort == mainSocket.port() &&
            peers.isOwnAddress(slot.senderAddress)) || isOwnRelayPort(slot);
    }

    /**
     * @return whether the sender is one of this node's relay ports in use, on its own address.
     */
    private boolean isOwnRelayPort(final RelaySlot slot)
    {
        final int port = slot.senderPort;
        return port >= 0 && (ownRelayPorts[port >>> 6] & (1L << port)) != 0 && peers.isOwnAddress(slot.senderAddress);
    }

    /**
     * @return whether the sender is a relay: a live peer's relay address, this node's own main socket, or one of
     * this node's relay ports in use.
     */
    private boolean isFromRelay(final RelaySlot slot)
    {
        return peers.isRelay(slot.senderAddress, slot.senderPort) || isOwnRelayPort(slot);
    }

    /**
     * A datagram of a handed-off route: to the new node, as a HOP frame. A frame gets the HOP bit in place and leaves
     * whole; a frame that already wraps RTP leaves as it came; RTP and RTCP are wrapped in a hop slot behind a header
     * with HOP and HOP_RTP, the route's stream id and the RTP sequence and timestamp.
     */
    private void forward(final RelaySlot slot, final RouteEntry entry, final boolean wrapped, final int hopsIn)
    {
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
            sendHop(slot, entry, length);
            return;
        }
        if (decoder.kind() == DatagramDecoder.KIND_FRAME)
        {
            // HOP_RTP and HOP_PORT are reserved bits in a frame without HOP: cleared, so the new node cannot take
            // them for a wrap.
            slot.buffer().putByte(FrameFlyweight.FLAGS_OFFSET, (byte)FrameFlyweight.withHopCount(
                (decoder.frameFlags() & ~(FrameFlyweight.HOP_RTP_FLAG | FrameFlyweight.HOP_PORT_FLAG |
                FrameFlyweight.HOP_BACK_FLAG)) | FrameFlyweight.HOP_FLAG, hops));
            sendHop(slot, entry, length);
            return;
        }
        wrapInHopSlot(slot, entry, FrameFlyweight.withHopCount(FrameFlyweight.HOP_WRAPPED_FLAGS, hops),
            decoder.sequence(), decoder.timestamp());
    }

    /**
     * A datagram on the relay port of a handed-off route: to the new node, wrapped whole in a HOP frame with
     * HOP_PORT (and HOP_BACK when a target sent it), which the new node sends on from its own relay port.
     */
    private void forwardPortDatagram(final RelaySlot slot, final RouteEntry entry, final boolean back)
    {
        final int flags = FrameFlyweight.HOP_FLAG | FrameFlyweight.HOP_PORT_FLAG | (back ? FrameFlyweight.HOP_BACK_FLAG : 0);
        wrapInHopSlot(slot, entry, FrameFlyweight.withHopCount(flags, 1), 0, 0);
    }

    private void wrapInHopSlot(
        final RelaySlot slot, final RouteEntry entry, final int flags, final long sequence, final long timestamp)
    {
        final int length = slot.length;
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
        FrameFlyweight.writeHeader(hop.byteBuffer(), 0, flags, entry.streamId(), sequence, timestamp);
        out.putBytes(FrameFlyweight.HEADER_LENGTH, slot.buffer(), 0, length);
        hop.length = length + FrameFlyweight.HEADER_LENGTH;
        hop.receiveNs = slot.receiveNs;
        sendHop(hop, entry, hop.length);
    }

    /**
     * Is this an RTP packet (not RTCP) a relay port's route can pace by its timestamp? Version 2, at least the fixed
     * header, and a second byte outside RTCP's 200-204 (RFC 5761's rule). Anything else on a paced relay port (IP
     * discovery, keep-alives, RTCP) leaves at once.
     */
    private static boolean isRtp(final UnsafeBuffer buffer, final int offset, final int length)
    {
        if (length < 12 || (buffer.getByte(offset) & 0xC0) != 0x80)
        {
            return false;
        }
        final int b1 = buffer.getByte(offset + 1) & 0xFF;
        return b1 < 200 || b1 > 204;
    }

    private static long rtpTimestamp(final UnsafeBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + 4, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    private static long rtpSequence(final UnsafeBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + 2, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFFL;
    }

    /**
     * A datagram of a paced route: it leaves now or when its timestamp says, through {@link #depart}.
     */
    private void pace(
        final RelaySlot slot,
        final RouteState state,
        final long timestamp,
        final long sequence,
        final int sequenceBits,
        final int offset,
        final int length)
    {
        releasing = state;
        final ErrorReason dropped = state.pacer.offer(
            slot, timestamp, sequence, sequenceBits, offset, length, clock.nanoTime(), this);
        if (dropped != null)
        {
            counters.addError(dropped, 1);
        }
        schedule(state);
    }

    /**
     * A paced datagram leaves: to the route's targets, or, once the route is handed off, to its new node. Router
     * thread only.
     *
     * @param slot   holding it, untouched until the next flush.
     * @param offset where the bytes to send start.
     * @param length how many.
     * @param dueNs  its scheduled departure.
     */
    public void depart(final RelaySlot slot, final int offset, final int length, final long dueNs)
    {
        final RouteState state = releasing;
        final RouteEntry entry = state.entry;
        if (entry.isForwarding())
        {
            forwardHeld(slot, entry);
            return;
        }
        departingDueNs = dueNs;
        send(slot, entry, state, entry.spec(), offset, length);
        departingDueNs = NOT_PACED;
    }

    /**
     * A paced route's clock started over. Router thread only.
     *
     * @param reason why.
     */
    public void reanchored(final ReanchorReason reason)
    {
        counters.addReanchor(reason);
    }

    /**
     * A datagram the pacer held when its route was handed off: on to the new node as it would have gone had it come
     * now, so the new node paces it and its clock continues from the timestamps.
     */
    private void forwardHeld(final RelaySlot slot, final RouteEntry entry)
    {
        final RelaySocket in = slot.socket;
        if (in != null && in.isRelayPort())
        {
            forwardPortDatagram(slot, entry, false);
            return;
        }
        if (!decoder.decode(slot.buffer(), 0, slot.length))
        {
            counters.addError(ErrorReason.MALFORMED, 1); // it decoded when it came: never expected
            return;
        }
        if (decoder.isHop() && FrameFlyweight.isHopPort(decoder.frameFlags()))
        {
            // The old node's relay-port datagram, held here: on as it came.
            final int flags = decoder.frameFlags();
            forwardPortHopOn(slot, entry, flags, FrameFlyweight.hopCount(flags));
            return;
        }
        final boolean wrapped = decoder.isHopWrapped();
        forward(slot, entry, wrapped, wrapped ? FrameFlyweight.hopCount(decoder.frameFlags()) : 0);
    }

    /**
     * Put a pacer that holds datagrams in the heap by its next deadline, move it, or take it out when it holds none.
     */
    private void schedule(final RouteState state)
    {
        final Pacer pacer = state.pacer;
        if (pacer == null || pacer.held() == 0)
        {
            unschedule(state);
            return;
        }
        paceHeap.set(state.paceId, pacer.nextDeadlineNs());
    }

    private void unschedule(final RouteState state)
    {
        if (state.paceId >= 0)
        {
            paceHeap.remove(state.paceId);
        }
    }

    /**
     * Send what the pacers hold that is due, earliest deadline first.
     */
    private int pollPace(final long nowNs)
    {
        int released = 0;
        while (!paceHeap.isEmpty() && paceHeap.peekDeadline() - nowNs <= 0)
        {
            final RouteState top = paceStates[paceHeap.peekId()];
            releasing = top;
            released += top.pacer.poll(nowNs, this);
            schedule(top);
        }
        return released;
    }

    /**
     * What a route's pacer holds leaves now, in order; the pacer stays (or the caller drops it).
     */
    private void releasePaced(final RouteState state)
    {
        releasing = state;
        state.pacer.releaseAll(this);
        unschedule(state);
    }

    private void newPacer(final RouteState state, final RouteSpec spec)
    {
        if (state.paceId < 0)
        {
            // A small id for the heap, reused after the route stops pacing; the arrays grow on this control path.
            final int id = freePaceIdCount > 0 ? freePaceIds[--freePaceIdCount] : nextPaceId++;
            if (id >= paceStates.length)
            {
                paceStates = Arrays.copyOf(paceStates, paceStates.length * 2);
                freePaceIds = Arrays.copyOf(freePaceIds, paceStates.length);
            }
            paceHeap.ensureIds(paceStates.length);
            paceStates[id] = state;
            state.paceId = id;
        }
        if (state.pacer != null)
        {
            pacePool.pacedCapacity(-state.pacer.capacity()); // resized: the old one's places are no longer wanted
        }
        // Its places' memory was provisioned by whoever asked for the route (RouterProxy), not here.
        state.pacer = new Pacer(pacePool, Pacer.capacityFor(spec.paceMs(), spec.jitterMs()),
            TimeUnit.MILLISECONDS.toNanos(spec.paceMs()), TimeUnit.MILLISECONDS.toNanos(spec.jitterMs()));
        pacePool.pacedCapacity(state.pacer.capacity());
    }

    /**
     * A route stops pacing: out of the heap, its pacer dropped (the caller sent or cleared what it held), its id free.
     */
    private void dropPacer(final RouteState state)
    {
        unschedule(state);
        pacePool.pacedCapacity(-state.pacer.capacity());
        state.pacer = null;
        if (state.paceId >= 0)
        {
            paceStates[state.paceId] = null;
            freePaceIds[freePaceIdCount++] = state.paceId;
            state.paceId = -1;
        }
    }

    /**
     * A datagram the jitter buffer releases, in sequence order: the ring slot itself when it came in order, a held
     * copy otherwise. Router thread only.
     *
     * @param slot holding the datagram, untouched until the next flush.
     */
    public void release(final RelaySlot slot)
    {
        final RouteState state = releasing;
        final RouteEntry entry = state.entry;
        final RouteSpec spec = entry.spec();
        final int length = slot.length;
        // A frame that carries both hop bits here wraps an RTP datagram a peer forwarded (HOP frames from anyone else
        // never get this far): the inner datagram leaves byte for byte whatever the route's deliver.
        if (length >= FrameFlyweight.HEADER_LENGTH && slot.buffer().getByte(0) == FrameFlyweight.MAGIC_0 &&
            (spec.deliver() == Deliver.PAYLOAD ||
            FrameFlyweight.isHopWrapped(slot.buffer().getByte(FrameFlyweight.FLAGS_OFFSET) & 0xFF)))
        {
            send(slot, entry, state, spec, FrameFlyweight.HEADER_LENGTH, length - FrameFlyweight.HEADER_LENGTH);
        }
        else
        {
            send(slot, entry, state, spec, 0, length);
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
        final long jitter = holdingCount > 0 ? nextJitterDeadlineNs : Long.MAX_VALUE;
        if (paceHeap.isEmpty())
        {
            return jitter;
        }
        final long pace = paceHeap.peekDeadline();
        return holdingCount == 0 || pace - jitter < 0 ? pace : jitter;
    }

    private void send(
        final RelaySlot slot,
        final RouteEntry entry,
        final RouteState state,
        final RouteSpec spec,
        final int offset,
        final int sendLength)
    {
        final int targets = spec.targetCount();
        if (sender.remaining() < targets || pendingCount == pendingReceiveNs.length)
        {
            flush();
        }
        final RelaySocket from = state.relay != null ? state.relay : mainSocket;
        for (int i = 0; i < targets; i++)
        {
            final Endpoint target = spec.target(i);
            if (target.matches(slot.senderAddress, slot.senderPort))
            {
                counters.addError(ErrorReason.LOOP, 1); // never back to where it came from
                continue;
            }
            sender.queue(slot, offset, sendLength, target, entry, from);
        }
        pendingDueNs[pendingCount] = departingDueNs;
        pendingReceiveNs[pendingCount++] = slot.receiveNs;
    }

    private void sendOne(
        final RelaySlot slot,
        final SendTally tally,
        final int offset,
        final int sendLength,
        final Endpoint target,
        final RelaySocket from)
    {
        if (sender.remaining() < 1 || pendingCount == pendingReceiveNs.length)
        {
            flush();
        }
        sender.queue(slot, offset, sendLength, target, tally, from);
        pendingDueNs[pendingCount] = NOT_PACED;
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
        final long nowNs = clock.nanoTime();
        for (int i = 0; i < pendingCount; i++)
        {
            processingTime.record(nowNs - pendingReceiveNs[i]);
            final long dueNs = pendingDueNs[i];
            if (dueNs != NOT_PACED)
            {
                paceLateness.record(nowNs - dueNs); // an early one (a re-anchor let it go) counts as 0
            }
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
        RelaySocket unused = command.relay; // the command's relay port, until a route takes it
        switch (command.type)
        {
            case CREATE:
            case RESTORE:
                entry = routes.get(command.streamId);
                if (entry != null && entry.isForwarding())
                {
                    routes.remove(command.streamId); // the stream came back: stop forwarding, relay it here again
                    detach(entry);
                    entry = null;
                }
                if (entry != null)
                {
                    outcome = RouteCommand.Outcome.EXISTS;
                    expectHandOff(entry, command);
                }
                else if (routes.size() >= maxRoutes)
                {
                    outcome = RouteCommand.Outcome.NODE_FULL;
                }
                else if (command.type == RouteCommand.Type.CREATE && needsJitter(command.spec) &&
                    command.jitter == null)
                {
                    outcome = RouteCommand.Outcome.JITTER_FULL; // a restore goes on unbuffered rather than be lost
                }
                else
                {
                    entry = new RouteEntry(command.spec, command.nowEpochMs, command.idleSinceNs);
                    routes.put(command.streamId, entry);
                    attach(entry, unused, command.latched, takeJitter(command));
                    unused = null;
                    expectHandOff(entry, command);
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
                else if (needsNewJitter((RouteState)entry.dataPlaneState(), command.spec) && command.jitter == null)
                {
                    outcome = RouteCommand.Outcome.JITTER_FULL; // nothing of the PUT applied
                    entry = null;
                }
                else
                {
                    final RouteSpec old = entry.spec();
                    entry.replaceSpec(command.spec);
                    unused = reattach(entry, old, unused, command);
                    if (command.clearLatch)
                    {
                        sourceFor((RouteState)entry.dataPlaneState(), command.spec, null); // the next sender latches
                    }
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
                    handOff(entry, command.hopTarget, clock.nanoTime() + command.graceNs, command.hopKey);
                }
                break;

            case RELINQUISH:
                entry = routes.remove(command.streamId);
                if (entry == null)
                {
                    outcome = RouteCommand.Outcome.NOT_FOUND;
                }
                else
                {
                    if (!entry.isForwarding()) // a forwarding route already left its room and the registry
                    {
                        registry.withdraw(command.streamId);
                    }
                    detach(entry);
                }
                break;

            default:
                throw new IllegalStateException("unknown command " + command.type);
        }
        if (unused != null)
        {
            sockets.remove(unused); // never attached: the receiver closes it and frees its port
        }
        if (command.jitter != null)
        {
            jitterPool.give(command.jitter); // not needed (refused, or the route kept its buffer): it never held one
            command.jitter = null;
        }
        if (command.pacePlaces > 0)
        {
            pacePool.applied(command.pacePlaces); // its pacer, if made, counts in the pool's paced capacity now
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
     * A RESTORE that names an inbound hand-off: from now until its window closes, the route takes HOP frames from that
     * peer, signed with that key (and from nobody else).
     */
    private void expectHandOff(final RouteEntry entry, final RouteCommand command)
    {
        if (command.hopFrom != null)
        {
            final RouteState state = (RouteState)entry.dataPlaneState();
            state.hopFrom = command.hopFrom;
            state.hopFromKey = command.hopKey;
            state.hopFromUntilNs = clock.nanoTime() + command.graceNs;
        }
    }

    /**
     * Hand a route to another node: what its jitter buffer holds leaves first, in order, to its targets; it leaves its
     * room and the registry, and from now on forwards to the new node until the deadline (its relay port stays open
     * and forwards too). A route already forwarding only moves its target and deadline.
     */
    private void handOff(final RouteEntry entry, final Endpoint target, final long untilNs, final HopKey key)
    {
        ((RouteState)entry.dataPlaneState()).hopKey = key; // before anything held leaves for the new node
        if (!entry.isForwarding())
        {
            final RouteState state = (RouteState)entry.dataPlaneState();
            if (state.buffer != null)
            {
                releaseAll(state);
                dropBuffer(state);
            }
            if (mixer != null && entry.spec().roomCode() != null)
            {
                mixer.leave(entry.streamId());
            }
            registry.withdraw(entry.streamId());
            entry.forwardTo(target, untilNs);
            if (state.pacer != null)
            {
                // What it holds goes to the new node now, in order, and is paced there: the new node anchors on the
                // first and spaces the rest by their timestamps, so the stream's clock continues.
                releasePaced(state);
                dropPacer(state);
            }
            return;
        }
        entry.forwardTo(target, untilNs);
    }

    /**
     * Put a route in the table before the agent starts (routes loaded from the store at start-up).
     *
     * @param entry the restored route.
     * @param relay its relay port, bound, or null.
     */
    public void preload(final RouteEntry entry, final RelaySocket relay)
    {
        routes.put(entry.streamId(), entry);
        final RouteSpec spec = entry.spec();
        // Before the agent starts: not on the data-plane thread. Without room, attach says so and it relays unbuffered.
        final JitterBuffer jitter = needsJitter(spec) ?
            jitterPool.take(spec.jitterMs(), TimeUnit.MILLISECONDS.toNanos(spec.jitterMs())) : null;
        final int pacePlaces = spec.paceMs() > 0 ? Pacer.capacityFor(spec.paceMs(), spec.jitterMs()) : 0;
        if (pacePlaces > 0)
        {
            pacePool.provision(pacePlaces);
        }
        attach(entry, relay, entry.sourceLatched(), jitter);
        if (pacePlaces > 0)
        {
            pacePool.applied(pacePlaces); // its pacer counts now
        }
        registry.publish(entry);
    }

    /**
     * Give a new route what its spec asks of the data plane: a jitter buffer, its relay port, a place in its mixer
     * room.
     *
     * @param jitter the route's jitter buffer from the pool, or null: for a route that asks for one, only a restore
     *               (the route relays unbuffered rather than be lost).
     */
    private void attach(
        final RouteEntry entry, final RelaySocket relay, final Endpoint latched, final JitterBuffer jitter)
    {
        final RouteSpec spec = entry.spec();
        final RouteState state = new RouteState(entry);
        entry.dataPlaneState(state);
        if (spec.paceMs() > 0)
        {
            newPacer(state, spec); // pacing does the jitter buffer's job too: jitter_ms becomes its playout delay
        }
        else if (spec.jitterMs() > 0)
        {
            state.buffer = jitter;
            if (jitter == null)
            {
                LOG.warn("route {} relays without its jitter buffer: JITTER_MAX_HELD={} slots are all reserved",
                    spec.streamIdText(), jitterPool.maxHeld());
            }
        }
        state.jitterMs = spec.jitterMs();
        sourceFor(state, spec, latched != null && spec.source().matchesAddress(latched.ipv6MappedAddress()) ?
            latched : null);
        if (relay != null)
        {
            attachRelay(state, relay);
        }
        if (mixer != null && spec.roomCode() != null)
        {
            mixer.join(spec);
        }
    }

    /**
     * Where datagrams back to the source go: its address, or for port 0 the latched one (kept when the IP stays).
     */
    private static void sourceFor(final RouteState state, final RouteSpec spec, final Endpoint latched)
    {
        if (spec.latchesSourcePort())
        {
            state.source = latched;
            state.entry.sourceLatched(latched);
        }
        else
        {
            state.source = spec.source();
            state.entry.sourceLatched(null);
        }
    }

    private void attachRelay(final RouteState state, final RelaySocket relay)
    {
        state.relay = relay;
        relay.route = state.entry;
        final int port = relay.port();
        ownRelayPorts[port >>> 6] |= 1L << port;
        state.entry.relayPort(port);
        sockets.add(relay);
    }

    private void detachRelay(final RouteState state)
    {
        final RelaySocket relay = state.relay;
        if (relay != null)
        {
            relay.route = null;
            final int port = relay.port();
            ownRelayPorts[port >>> 6] &= ~(1L << port);
            state.relay = null;
            state.entry.relayPort(0);
            sockets.remove(relay);
        }
    }

    /**
     * A route's spec was replaced: resize, retime or drop its jitter buffer, keep, take or free its relay port, and
     * move it between rooms. Datagrams the buffer held leave in order, to the new targets, when the buffer goes or
     * changes size.
     *
     * @return the relay port given with the command if the route did not take it, else null.
     */
    private RelaySocket reattach(
        final RouteEntry entry, final RouteSpec old, final RelaySocket offered, final RouteCommand command)
    {
        final RouteSpec spec = entry.spec();
        final RouteState state = (RouteState)entry.dataPlaneState();
        if (spec.paceMs() > 0)
        {
            if (state.buffer != null)
            {
                releaseAll(state); // what the jitter buffer held leaves in order; the pacer takes its job
                dropBuffer(state);
            }
            if (state.pacer == null)
            {
                newPacer(state, spec);
            }
            else if (state.pacer.capacity() != Pacer.capacityFor(spec.paceMs(), spec.jitterMs()))
            {
                releasePaced(state);
                newPacer(state, spec);
            }
            else
            {
                state.pacer.timing(
                    TimeUnit.MILLISECONDS.toNanos(spec.paceMs()), TimeUnit.MILLISECONDS.toNanos(spec.jitterMs()));
            }
        }
        else
        {
            if (state.pacer != null)
            {
                releasePaced(state); // pacing off: what it held leaves now, in order
                dropPacer(state);
            }
            rebuffer(state, spec, command);
        }
        state.jitterMs = spec.jitterMs();

        if (!spec.source().equals(old.source()) || spec.latchesSourcePort() != old.latchesSourcePort())
        {
            final Endpoint latched = state.source;
            sourceFor(state, spec,
                latched != null && spec.latchesSourcePort() && spec.source().matchesAddress(latched.ipv6MappedAddress()) ?
                latched : null);
        }

        RelaySocket unused = offered;
        if (spec.returnPath() && state.relay == null && offered != null)
        {
            attachRelay(state, offered);
            unused = null;
        }
        else if (!spec.returnPath())
        {
            detachRelay(state);
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
        return unused;
    }

    /**
     * An unpaced route's jitter buffer after a PUT: resized, retimed, made (from the command's, taken from the pool
     * before the command came) or dropped (its slots back to the pool).
     */
    private void rebuffer(final RouteState state, final RouteSpec spec, final RouteCommand command)
    {
        if (spec.jitterMs() == 0)
        {
            if (state.buffer != null)
            {
                releaseAll(state);
                dropBuffer(state);
            }
        }
        else if (state.buffer == null)
        {
            state.buffer = takeJitter(command);
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
                dropBuffer(state);
                state.buffer = takeJitter(command);
            }
        }
    }

    /**
     * @return true when the route asks for a jitter buffer: jitter_ms without pacing (a pacer does the buffer's job).
     */
    static boolean needsJitter(final RouteSpec spec)
    {
        return spec.paceMs() == 0 && spec.jitterMs() > 0;
    }

    /**
     * @return true when a PUT of {@code spec} would need a jitter buffer the route does not have (none, or one of
     * another size).
     */
    private static boolean needsNewJitter(final RouteState state, final RouteSpec spec)
    {
        return needsJitter(spec) &&
            (state == null || state.buffer == null ||
            JitterBuffer.capacityFor(spec.jitterMs()) != state.buffer.capacity());
    }

    /**
     * @return the command's jitter buffer, now the route's: the command no longer gives it back.
     */
    private static JitterBuffer takeJitter(final RouteCommand command)
    {
        final JitterBuffer jitter = command.jitter;
        command.jitter = null;
        return jitter;
    }

    /**
     * A route's jitter buffer goes (what it held was released or cleared): its slots back to the pool, after a flush,
     * so none is taken again while what it released is still queued in the sender.
     */
    private void dropBuffer(final RouteState state)
    {
        final JitterBuffer buffer = state.buffer;
        state.buffer = null;
        flush();
        jitterPool.give(buffer);
    }

    /**
     * A route is gone (deleted, expired, relinquished, or at the end of its hand-off's grace): what its jitter buffer
     * held is dropped with it, its relay port is closed, and it leaves its room.
     */
    private void detach(final RouteEntry entry)
    {
        final RouteState state = (RouteState)entry.dataPlaneState();
        if (state != null)
        {
            if (state.buffer != null)
            {
                state.buffer.clear();
                notHolding(state);
                dropBuffer(state);
            }
            if (state.pacer != null)
            {
                state.pacer.clear(); // dropped unsent: nothing of a deleted route leaves after its 204
                dropPacer(state);
            }
            detachRelay(state);
        }
        if (mixer != null && entry.spec().roomCode() != null && !entry.isForwarding())
        {
            mixer.leave(entry.streamId());
        }
    }

    private void releaseAll(final RouteState state)
    {
        releasing = state;
        state.buffer.releaseAll(this);
        notHolding(state);
    }

    /**
     * Put a buffer that holds datagrams on the list the duty cycle checks, and bring the earliest deadline forward.
     */
    private void holding(final RouteState state)
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

    private void notHolding(final RouteState state)
    {
        final int index = state.activeIndex;
        if (index >= 0)
        {
            final RouteState last = holdingJitter[--holdingCount];
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
            final RouteState state = holdingJitter[i];
            releasing = state;
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
     * period is over (and close their relay ports). Once a second on the router's duty cycle: no timer per route, no
     * allocation.
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
                    detach(entry);
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
        while (!paceHeap.isEmpty())
        {
            releasePaced(paceStates[paceHeap.peekId()]);
        }
        flush();
    }
}
