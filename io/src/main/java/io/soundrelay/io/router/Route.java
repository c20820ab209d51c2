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

import io.soundrelay.core.protocol.DatagramDecoder;
import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.ReanchorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.jitter.JitterBuffer;
import io.soundrelay.io.pace.Pacer;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * One route on the router thread, beside its {@link RouteEntry}: it owns how its datagrams leave (its
 * {@link Delivery}, chosen when the route is made, replaced or handed off, never re-tested per datagram), its jitter
 * buffer or pacer and their timer, its relay port, where datagrams back to the source go, and its hand-offs' keys.
 * It is its jitter buffer's and pacer's sink itself, so a released datagram knows its route. Router thread only.
 */
final class Route implements JitterBuffer.Sink, Pacer.Sink
{
    /**
     * How a route's datagrams leave. A datagram without a media sequence (RTCP) leaves at once whatever the delivery.
     */
    enum Delivery
    {
        /** At once, to every target. */
        DIRECT
        {
            @Override
            void media(final Route route, final RelaySlot slot, final int offset, final int length,
                final int sequenceBits, final long sequence, final long timestamp)
            {
                route.sendNow(slot, offset, length);
            }

            @Override
            void portMedia(final Route route, final RelaySlot slot, final int offset, final int length)
            {
                route.sendNow(slot, offset, length);
            }
        },

        /** Through the jitter buffer ({@code jitter_ms} without pacing), in sequence order. */
        JITTERED
        {
            @Override
            void media(final Route route, final RelaySlot slot, final int offset, final int length,
                final int sequenceBits, final long sequence, final long timestamp)
            {
                if (sequenceBits == 0)
                {
                    route.sendNow(slot, offset, length);
                }
                else
                {
                    route.buffer(slot, sequenceBits, sequence);
                }
            }

            @Override
            void portMedia(final Route route, final RelaySlot slot, final int offset, final int length)
            {
                route.sendNow(slot, offset, length); // a relay port's bytes are never reordered
            }
        },

        /** Through the pacer ({@code pace_ms}): each datagram leaves when its timestamp says. */
        PACED
        {
            @Override
            void media(final Route route, final RelaySlot slot, final int offset, final int length,
                final int sequenceBits, final long sequence, final long timestamp)
            {
                if (sequenceBits == 0)
                {
                    route.sendNow(slot, offset, length);
                }
                else
                {
                    route.pace(slot, timestamp, sequence, sequenceBits, offset, length);
                }
            }

            @Override
            void portMedia(final Route route, final RelaySlot slot, final int offset, final int length)
            {
                final UnsafeBuffer bytes = slot.buffer();
                if (DatagramDecoder.isRtp(bytes, offset, length))
                {
                    route.pace(slot, DatagramDecoder.rtpTimestamp(bytes, offset),
                        DatagramDecoder.rtpSequence(bytes, offset), 16, offset, length);
                }
                else
                {
                    route.sendNow(slot, offset, length); // IP discovery, keep-alives, RTCP: at once
                }
            }
        };

        /**
         * A decoded datagram from the source, on the main socket.
         *
         * @param offset       where the bytes to send start.
         * @param length       how many.
         * @param sequenceBits width of its media sequence, 0 for none.
         * @param sequence     its media sequence.
         * @param timestamp    its media timestamp.
         */
        abstract void media(Route route, RelaySlot slot, int offset, int length, int sequenceBits, long sequence,
            long timestamp);

        /**
         * A datagram from the source on the route's relay port (or carried from the old node's): any bytes.
         */
        abstract void portMedia(Route route, RelaySlot slot, int offset, int length);
    }

    private final RouteEntry entry;
    private final RouterParts parts;
    /** The parts every datagram reaches, held here: one load fewer on the hot path. */
    private final SendBatch batch;
    private final RelayCounters counters;
    private final int timerId;
    private Delivery delivery = Delivery.DIRECT;
    /** The jitter buffer while the delivery is {@link Delivery#JITTERED}, else null. */
    private JitterBuffer buffer;
    /** The pacer while the delivery is {@link Delivery#PACED}, else null. */
    private Pacer pacer;
    private int jitterMs;
    private RelaySocket relay;
    private RelaySocket sendSocket;
    /**
     * Where the source is: the route's {@code source_addr}, or, for one with port 0, the address latched from the
     * first datagram from its IP; null until then. Datagrams back to the source go here.
     */
    private Endpoint source;
    /** While the route forwards to a new node: the hand-off's key, which signs every HOP frame it sends there. */
    private HopKey hopKey;
    /** An inbound hand-off: the old node's relay address, the only sender of HOP frames it takes; or null. */
    private Endpoint hopFrom;
    private HopKey hopFromKey;
    private long hopFromUntilNs;

    Route(final RouteEntry entry, final RouterParts parts)
    {
        this.entry = entry;
        this.parts = parts;
        this.batch = parts.batch;
        this.counters = parts.counters;
        this.sendSocket = parts.mainSocket;
        this.timerId = parts.timers.register(this);
    }

    RouteEntry entry()
    {
        return entry;
    }

    Delivery delivery()
    {
        return delivery;
    }

    /**
     * A decoded datagram from the source: it leaves as the route's delivery says.
     */
    void onMedia(
        final RelaySlot slot,
        final int offset,
        final int length,
        final int sequenceBits,
        final long sequence,
        final long timestamp)
    {
        delivery.media(this, slot, offset, length, sequenceBits, sequence, timestamp);
    }

    /**
     * @return this route's small dense index on the router thread (its timer's id): reused once the route leaves.
     */
    int index()
    {
        return timerId;
    }

    /**
     * A datagram from the source on a relay port: it leaves as the route's delivery says.
     */
    void onPortMedia(final RelaySlot slot, final int offset, final int length)
    {
        delivery.portMedia(this, slot, offset, length);
    }

    private void sendNow(final RelaySlot slot, final int offset, final int length)
    {
        batch.toTargets(slot, entry, entry.spec(), sendSocket, offset, length, SendBatch.NOT_PACED);
    }

    private void buffer(final RelaySlot slot, final int sequenceBits, final long sequence)
    {
        final ErrorReason dropped = buffer.offer(slot, sequenceBits, sequence, slot.receiveNs, this);
        if (dropped != null)
        {
            counters.addError(dropped, 1);
        }
        rescheduleJitter();
    }

    private void pace(
        final RelaySlot slot,
        final long timestamp,
        final long sequence,
        final int sequenceBits,
        final int offset,
        final int length)
    {
        final ErrorReason dropped =
            pacer.offer(slot, timestamp, sequence, sequenceBits, offset, length, parts.clock.nanoTime(), this);
        if (dropped != null)
        {
            counters.addError(dropped, 1);
        }
        reschedulePacer();
    }

    /**
     * A datagram from a target, to the source's address from the route's relay port.
     */
    void sendBack(final RelaySlot slot, final int offset, final int length)
    {
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
        batch.toOne(slot, entry.returnTally(), offset, length, source, sendSocket);
    }

    /**
     * {@inheritDoc} A datagram the jitter buffer releases, in sequence order: the ring slot itself when it came in
     * order, a held copy otherwise. A frame that carries both hop bits here wraps an RTP datagram a peer forwarded
     * (HOP frames from anyone else never get this far): the inner datagram leaves byte for byte whatever the deliver.
     */
    @Override
    public void release(final RelaySlot slot)
    {
        final RouteSpec spec = entry.spec();
        final int length = slot.length;
        if (length >= FrameFlyweight.HEADER_LENGTH && slot.buffer().getByte(0) == FrameFlyweight.MAGIC_0 &&
            (spec.deliver() == Deliver.PAYLOAD ||
            FrameFlyweight.isHopWrapped(slot.buffer().getByte(FrameFlyweight.FLAGS_OFFSET) & 0xFF)))
        {
            sendNow(slot, FrameFlyweight.HEADER_LENGTH, length - FrameFlyweight.HEADER_LENGTH);
        }
        else
        {
            sendNow(slot, 0, length);
        }
    }

    /**
     * {@inheritDoc} To the route's targets, or, once the route is handed off, to its new node.
     */
    @Override
    public void depart(final RelaySlot slot, final int offset, final int length, final long dueNs)
    {
        if (entry.isForwarding())
        {
            parts.hop.forwardHeld(slot, this);
            return;
        }
        batch.toTargets(slot, entry, entry.spec(), sendSocket, offset, length, dueNs);
    }

    @Override
    public void reanchored(final ReanchorReason reason)
    {
        counters.addReanchor(reason);
    }

    @Override
    public long flushGeneration()
    {
        return batch.flushGeneration();
    }

    @Override
    public void flush()
    {
        batch.flush();
    }

    /**
     * The route's timer fired: what its buffer or pacer holds that is due leaves.
     *
     * @param nowNs monotonic now.
     * @return datagrams released.
     */
    int onTimer(final long nowNs)
    {
        if (delivery == Delivery.PACED)
        {
            final int released = pacer.poll(nowNs, this);
            reschedulePacer();
            return released;
        }
        final int released = buffer.poll(nowNs, this);
        rescheduleJitter();
        return released;
    }

    /**
     * Everything the buffer or pacer holds leaves now, in order; both stay.
     */
    void releaseHeld()
    {
        if (delivery == Delivery.PACED)
        {
            pacer.releaseAll(this);
        }
        else if (delivery == Delivery.JITTERED)
        {
            buffer.releaseAll(this);
        }
        parts.timers.cancel(timerId);
    }

    private void rescheduleJitter()
    {
        if (buffer.held() > 0)
        {
            parts.timers.schedule(timerId, buffer.nextDeadlineNs());
        }
        else
        {
            parts.timers.cancel(timerId);
        }
    }

    private void reschedulePacer()
    {
        if (pacer.held() > 0)
        {
            parts.timers.schedule(timerId, pacer.nextDeadlineNs());
        }
        else
        {
            parts.timers.cancel(timerId);
        }
    }

    /**
     * Deliver through this jitter buffer from now on (command path).
     *
     * @param taken the route's buffer from the pool, or null when there was no room: the route relays unbuffered.
     */
    void useJitter(final JitterBuffer taken, final int jitterMs)
    {
        buffer = taken;
        this.jitterMs = jitterMs;
        delivery = taken != null ? Delivery.JITTERED : Delivery.DIRECT;
    }

    /**
     * @return the jitter buffer, or null.
     */
    JitterBuffer jitterBuffer()
    {
        return buffer;
    }

    /**
     * @return the {@code jitter_ms} the route's buffer was last set up for.
     */
    int jitterMs()
    {
        return jitterMs;
    }

    /**
     * @param jitterMs a new hold for a buffer of the same capacity.
     */
    void retimeJitter(final int jitterMs)
    {
        buffer.holdNs(TimeUnit.MILLISECONDS.toNanos(jitterMs));
        this.jitterMs = jitterMs;
    }

    /**
     * The jitter buffer goes: what it held leaves in order ({@code send}) or is dropped; its slots go back to the
     * pool after a flush, so none is taken again while what it released is still queued in the sender.
     */
    void dropJitter(final boolean send)
    {
        final JitterBuffer dropped = buffer;
        if (dropped == null)
        {
            return;
        }
        if (send)
        {
            dropped.releaseAll(this);
        }
        else
        {
            dropped.clear();
        }
        parts.timers.cancel(timerId);
        buffer = null;
        delivery = Delivery.DIRECT;
        batch.flush();
        parts.jitterPool.give(dropped);
    }

    /**
     * Pace from now on with the spec's settings: a new pacer (its places provisioned by whoever asked for the route),
     * or the one it has, retimed when its capacity stays. A pacer of another capacity first sends what it held.
     */
    void usePacer(final RouteSpec spec)
    {
        final int capacity = Pacer.capacityFor(spec.paceMs(), spec.jitterMs());
        final long leadNs = TimeUnit.MILLISECONDS.toNanos(spec.paceMs());
        final long playoutNs = TimeUnit.MILLISECONDS.toNanos(spec.jitterMs());
        if (pacer != null && pacer.capacity() == capacity)
        {
            pacer.timing(leadNs, playoutNs);
        }
        else
        {
            if (pacer != null)
            {
                releaseHeld();
                parts.pacePool.pacedCapacity(-pacer.capacity()); // resized: the old one's places are not wanted
            }
            pacer = new Pacer(parts.pacePool, capacity, leadNs, playoutNs);
            parts.pacePool.pacedCapacity(capacity);
        }
        jitterMs = spec.jitterMs();
        delivery = Delivery.PACED;
    }

    /**
     * The route stops pacing: what the pacer held leaves now, in order ({@code send}), or is dropped unsent.
     */
    void dropPacer(final boolean send)
    {
        if (pacer == null)
        {
            return;
        }
        if (send)
        {
            pacer.releaseAll(this);
        }
        else
        {
            pacer.clear(); // dropped unsent: nothing of a deleted route leaves after its 204
        }
        parts.timers.cancel(timerId);
        parts.pacePool.pacedCapacity(-pacer.capacity());
        pacer = null;
        delivery = Delivery.DIRECT;
    }

    /**
     * The route is gone: what it holds is dropped, and its timer id given back.
     */
    void close()
    {
        dropJitter(false);
        dropPacer(false);
        parts.timers.unregister(timerId);
    }

    RelaySocket relay()
    {
        return relay;
    }

    void relay(final RelaySocket relay)
    {
        this.relay = relay;
        this.sendSocket = relay != null ? relay : parts.mainSocket;
    }

    Endpoint source()
    {
        return source;
    }

    /**
     * @param latched the source's address latched from a datagram or a discovery request.
     */
    void latch(final Endpoint latched)
    {
        source = latched;
        entry.sourceLatched(latched);
    }

    /**
     * Where datagrams back to the source go: its address, or for port 0 the latched one (kept when the IP stays).
     */
    void sourceFor(final RouteSpec spec, final Endpoint latched)
    {
        if (spec.latchesSourcePort())
        {
            source = latched;
            entry.sourceLatched(latched);
        }
        else
        {
            source = spec.source();
            entry.sourceLatched(null);
        }
    }

    HopKey hopKey()
    {
        return hopKey;
    }

    void hopKey(final HopKey key)
    {
        hopKey = key;
    }

    /**
     * From now until {@code untilNs} the route takes HOP frames from this peer, signed with this key.
     */
    void expectHandOff(final Endpoint from, final HopKey key, final long untilNs)
    {
        hopFrom = from;
        hopFromKey = key;
        hopFromUntilNs = untilNs;
    }

    Endpoint hopFrom()
    {
        return hopFrom;
    }

    HopKey hopFromKey()
    {
        return hopFromKey;
    }

    long hopFromUntilNs()
    {
        return hopFromUntilNs;
    }
}
