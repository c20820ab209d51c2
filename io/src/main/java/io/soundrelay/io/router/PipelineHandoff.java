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

import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One pipeline's side of the hand-off between pipelines (PROTOCOL.md section 11): a datagram on this pipeline's main
 * socket whose stream another pipeline owns (no kernel steering, IPv6, RTCP) is copied, with its sender and receive
 * time, into the owner's inbox, and routed there exactly as if the owner's own main socket had received it. Each
 * pipeline has one inbox: a preallocated Agrona {@link ManyToOneRingBuffer} every other pipeline writes to; a full
 * inbox drops the datagram, counted as {@link ErrorReason#RING_FULL} (the owner's ring, in effect, is full), and
 * never blocks. Hand-offs are counted by the pipeline that passes them on (single writer, summed at read).
 * <p>
 * Draining copies each datagram into one of this pipeline's own preallocated slots, at most {@link #SLOTS} per
 * drain; the router flushes its send batch after each drain, so a queued send never reads a slot that was already
 * taken again. Nothing is allocated per datagram. Router thread only, but {@link #handoffs()} and
 * {@link #inboxEmpty()}.
 */
public final class PipelineHandoff implements MessageHandler
{
    /**
     * Bytes of an inbox: 4 MiB, about 2,500 datagrams of the default MAX_DATAGRAM_BYTES; more when a datagram of the
     * largest size needs it (an Agrona ring buffer takes records up to an eighth of its capacity).
     */
    public static final int INBOX_BYTES = 4 * 1024 * 1024;
    /** Datagrams taken from the inbox per drain: this pipeline's slots for them. */
    public static final int SLOTS = 64;

    private static final Logger LOG = LoggerFactory.getLogger(PipelineHandoff.class);
    private static final int MSG_DATAGRAM = 1;
    private static final int RECEIVE_NS_OFFSET = 0;
    private static final int SENDER_PORT_OFFSET = 8;
    private static final int LENGTH_OFFSET = 12;
    private static final int SENDER_ADDRESS_OFFSET = 16;
    private static final int DATA_OFFSET = 32;
    /** The handoffs counter's index, a cache line away from anything else. */
    private static final int HANDOFFS = 7;

    private final int self;
    private final int pipelines;
    private final ManyToOneRingBuffer[] inboxes;
    private final Runnable[] wakes;
    private final boolean[] wakeDue;
    private final RelaySlot[] slots;
    private final RelaySocket mainSocket;
    private final RelayCounters counters;
    private final NanoClock clock;
    private final ErrorLogLimiter routeErrors;
    private final AtomicLongArray handoffs = new AtomicLongArray(16);
    private MainPortRouter target;
    private int slotsUsed;

    /**
     * @param self             this pipeline.
     * @param inboxes          every pipeline's inbox ({@link #newInboxes(int, int)}), shared by all of them.
     * @param wakes            how to wake each pipeline's thread that may sleep in the kernel; filled in before the
     *                         threads start.
     * @param mainSocket       this pipeline's main socket: handed-off datagrams are routed as if they came in on it.
     * @param counters         this pipeline's router counters.
     * @param clock            the data plane's clock.
     * @param maxDatagramBytes MAX_DATAGRAM_BYTES.
     */
    public PipelineHandoff(
        final int self,
        final ManyToOneRingBuffer[] inboxes,
        final Runnable[] wakes,
        final RelaySocket mainSocket,
        final RelayCounters counters,
        final NanoClock clock,
        final int maxDatagramBytes)
    {
        this.self = self;
        this.pipelines = inboxes.length;
        this.inboxes = inboxes;
        this.wakes = wakes;
        this.wakeDue = new boolean[inboxes.length];
        this.mainSocket = mainSocket;
        this.counters = counters;
        this.clock = clock;
        this.routeErrors = new ErrorLogLimiter(RouterAgent.SWEEP_INTERVAL_NS);
        this.slots = RelaySlotFactory.standalone(SLOTS, maxDatagramBytes, "a pipeline's hand-off slots");
    }

    /**
     * @param pipelines        N.
     * @param maxDatagramBytes MAX_DATAGRAM_BYTES.
     * @return one inbox per pipeline, each of {@link #INBOX_BYTES}, or more for very large datagrams.
     */
    public static ManyToOneRingBuffer[] newInboxes(final int pipelines, final int maxDatagramBytes)
    {
        final int record = BitUtil.align(
            RecordDescriptor.HEADER_LENGTH + DATA_OFFSET + RelaySlotFactory.slotBytesFor(maxDatagramBytes),
            RecordDescriptor.ALIGNMENT);
        final int capacity = BitUtil.findNextPositivePowerOfTwo(Math.max(INBOX_BYTES, 8 * record));
        final ManyToOneRingBuffer[] inboxes = new ManyToOneRingBuffer[pipelines];
        for (int k = 0; k < pipelines; k++)
        {
            inboxes[k] = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
        }
        return inboxes;
    }

    /**
     * @param router where drained datagrams go: this pipeline's main-port router. Once, when the router is made.
     */
    void target(final MainPortRouter router)
    {
        this.target = router;
    }

    /**
     * @param streamId a datagram's stream id (or SSRC).
     * @return whether another pipeline owns it.
     */
    boolean isForeign(final long streamId)
    {
        return RouterProxy.owner(streamId, pipelines) != self;
    }

    /**
     * Pass a datagram to its stream's owner, or count it dropped when the owner's inbox is full.
     *
     * @param slot     holding the datagram, as received.
     * @param streamId its stream id (or SSRC).
     */
    void handOff(final RelaySlot slot, final long streamId)
    {
        final int owner = RouterProxy.owner(streamId, pipelines);
        final ManyToOneRingBuffer inbox = inboxes[owner];
        final int stored = slot.storedLength();
        final int index = inbox.tryClaim(MSG_DATAGRAM, DATA_OFFSET + stored);
        if (index < 0)
        {
            counters.addError(ErrorReason.RING_FULL, 1);
            return;
        }
        final AtomicBuffer buffer = inbox.buffer();
        buffer.putLong(index + RECEIVE_NS_OFFSET, slot.receiveNs);
        buffer.putInt(index + SENDER_PORT_OFFSET, slot.senderPort);
        buffer.putInt(index + LENGTH_OFFSET, slot.length);
        buffer.putBytes(index + SENDER_ADDRESS_OFFSET, slot.senderAddress);
        buffer.putBytes(index + DATA_OFFSET, slot.buffer(), 0, stored);
        inbox.commit(index);
        handoffs.lazySet(HANDOFFS, handoffs.get(HANDOFFS) + 1);
        wakeDue[owner] = true;
    }

    /**
     * Wake the owners handed datagrams since the last call, once each.
     */
    void wakeOwners()
    {
        for (int k = 0; k < pipelines; k++)
        {
            if (wakeDue[k])
            {
                wakeDue[k] = false;
                wakes[k].run();
            }
        }
    }

    /**
     * Route what other pipelines handed this one; the caller flushes its send batch before the next drain.
     *
     * @return datagrams taken.
     */
    int drain()
    {
        slotsUsed = 0;
        return inboxes[self].read(this, SLOTS);
    }

    /**
     * @return whether nothing waits in this pipeline's inbox. Any thread.
     */
    public boolean inboxEmpty()
    {
        return inboxes[self].size() == 0;
    }

    /**
     * @return datagrams this pipeline passed to their owners. Any thread.
     */
    public long handoffs()
    {
        return handoffs.get(HANDOFFS);
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final RelaySlot slot = slots[slotsUsed++];
        slot.receiveNs = buffer.getLong(index + RECEIVE_NS_OFFSET);
        slot.senderPort = buffer.getInt(index + SENDER_PORT_OFFSET);
        slot.length = buffer.getInt(index + LENGTH_OFFSET);
        buffer.getBytes(index + SENDER_ADDRESS_OFFSET, slot.senderAddress);
        buffer.getBytes(index + DATA_OFFSET, slot.buffer(), 0, length - DATA_OFFSET);
        slot.socket = mainSocket;
        try
        {
            target.onDatagram(slot);
        }
        catch (final RuntimeException ex)
        {
            // As for a ring slot: dropped and counted, at most one line a second.
            counters.addError(ErrorReason.MALFORMED, 1);
            final long heldBack = routeErrors.onError(clock.nanoTime());
            if (heldBack != ErrorLogLimiter.QUIET)
            {
                LOG.error("router failed on a handed-off datagram; dropped as malformed ({} more since the last " +
                    "line)", heldBack, ex);
            }
        }
    }
}
