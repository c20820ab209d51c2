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
import io.soundrelay.core.protocol.HopTag;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Live migration's outbound side (PROTOCOL.md section 7): a handed-off route's datagrams go to the new node's relay
 * address as HOP frames signed with the hand-off's key, from the main socket. A frame gets the HOP bit in place; RTP,
 * RTCP and a relay port's datagrams are wrapped in a preallocated hop slot behind a header (HOP and HOP_RTP, or
 * HOP_PORT). The hop slots are made with the router, on the thread that starts the node: this thread allocates no
 * direct memory. Router thread only.
 */
final class HopForwarder
{
    /** Hop slots: datagrams wrapped between two flushes before the router flushes early to reuse them. */
    private static final int HOP_SLOTS = 64;

    /** Signs HOP frames: its state is this thread's. */
    private final HopTag hopTag = new HopTag();
    private final SendBatch batch;
    private final RelayCounters counters;
    private final DatagramDecoder decoder;
    private final RelaySocket mainSocket;
    private final int maxDatagramBytes;
    private final RelaySlot[] hopSlots;
    private int hopSlotsUsed;
    private long hopSlotsGeneration;

    /**
     * @param decoder the router's decoder: {@link #forward} reads what it decoded last.
     */
    HopForwarder(
        final SendBatch batch,
        final RelayCounters counters,
        final DatagramDecoder decoder,
        final RelaySocket mainSocket,
        final int maxDatagramBytes)
    {
        this.batch = batch;
        this.counters = counters;
        this.decoder = decoder;
        this.mainSocket = mainSocket;
        this.maxDatagramBytes = maxDatagramBytes;
        this.hopSlots = RelaySlotFactory.standalone(HOP_SLOTS, maxDatagramBytes, "the router's hop slots");
    }

    /**
     * A datagram of a handed-off route, just decoded: to the new node, as a HOP frame. A frame gets the HOP bit in
     * place and leaves whole; a frame that already wraps RTP leaves as it came; RTP and RTCP are wrapped in a hop
     * slot behind a header with HOP and HOP_RTP, the route's stream id and the RTP sequence and timestamp.
     *
     * @param wrapped whether the decoder describes RTP a HOP frame wrapped (the slot holds the frame).
     * @param hopsIn  hops the datagram made before this node.
     */
    void forward(final RelaySlot slot, final Route route, final boolean wrapped, final int hopsIn)
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
            sendHop(slot, route, length);
            return;
        }
        if (decoder.kind() == DatagramDecoder.KIND_FRAME)
        {
            // HOP_RTP and HOP_PORT are reserved bits in a frame without HOP: cleared, so the new node cannot take
            // them for a wrap.
            slot.buffer().putByte(FrameFlyweight.FLAGS_OFFSET, (byte)FrameFlyweight.withHopCount(
                (decoder.frameFlags() & ~(FrameFlyweight.HOP_RTP_FLAG | FrameFlyweight.HOP_PORT_FLAG |
                FrameFlyweight.HOP_BACK_FLAG)) | FrameFlyweight.HOP_FLAG, hops));
            sendHop(slot, route, length);
            return;
        }
        wrapInHopSlot(slot, route, FrameFlyweight.withHopCount(FrameFlyweight.HOP_WRAPPED_FLAGS, hops),
            decoder.sequence(), decoder.timestamp());
    }

    /**
     * A datagram on the relay port of a handed-off route: to the new node, wrapped whole in a HOP frame with
     * HOP_PORT (and HOP_BACK when a target sent it), which the new node sends on from its own relay port.
     */
    void forwardPortDatagram(final RelaySlot slot, final Route route, final boolean back)
    {
        final int flags =
            FrameFlyweight.HOP_FLAG | FrameFlyweight.HOP_PORT_FLAG | (back ? FrameFlyweight.HOP_BACK_FLAG : 0);
        wrapInHopSlot(slot, route, FrameFlyweight.withHopCount(flags, 1), 0, 0);
    }

    /**
     * A HOP_PORT frame of a route that has moved on to yet another node: on to it as it came, one hop more, or
     * dropped as a loop past the third.
     */
    void forwardPortHopOn(final RelaySlot slot, final Route route, final int flags, final int hopsIn)
    {
        final int hops = hopsIn + 1;
        if (hops > FrameFlyweight.MAX_HOPS)
        {
            counters.addError(ErrorReason.LOOP, 1);
            return;
        }
        slot.buffer().putByte(FrameFlyweight.FLAGS_OFFSET, (byte)FrameFlyweight.withHopCount(flags, hops));
        sendHop(slot, route, slot.length);
    }

    /**
     * A datagram the pacer held when its route was handed off: on to the new node as it would have gone had it come
     * now, so the new node paces it and its clock continues from the timestamps.
     */
    void forwardHeld(final RelaySlot slot, final Route route)
    {
        final RelaySocket in = slot.socket;
        if (in != null && in.isRelayPort())
        {
            forwardPortDatagram(slot, route, false);
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
            forwardPortHopOn(slot, route, flags, FrameFlyweight.hopCount(flags));
            return;
        }
        final boolean wrapped = decoder.isHopWrapped();
        forward(slot, route, wrapped, wrapped ? FrameFlyweight.hopCount(decoder.frameFlags()) : 0);
    }

    private void wrapInHopSlot(
        final RelaySlot slot, final Route route, final int flags, final long sequence, final long timestamp)
    {
        final int length = slot.length;
        if (length > maxDatagramBytes - FrameFlyweight.HEADER_LENGTH)
        {
            counters.addError(ErrorReason.OVERSIZE, 1);
            return;
        }
        final RelaySlot hop = nextHopSlot();
        final UnsafeBuffer out = hop.buffer();
        FrameFlyweight.writeHeader(hop.wire(), 0, flags, route.entry().streamId(), sequence, timestamp);
        out.putBytes(FrameFlyweight.HEADER_LENGTH, slot.buffer(), 0, length);
        hop.length = length + FrameFlyweight.HEADER_LENGTH;
        hop.receiveNs = slot.receiveNs;
        sendHop(hop, route, hop.length);
    }

    /**
     * @return a hop slot nothing queued in the sender still reads: every one is free again once the batch flushed.
     */
    private RelaySlot nextHopSlot()
    {
        if (hopSlotsGeneration != batch.flushGeneration())
        {
            hopSlotsGeneration = batch.flushGeneration();
            hopSlotsUsed = 0;
        }
        if (hopSlotsUsed == hopSlots.length)
        {
            batch.flush(); // every hop slot may still be queued in the sender
            hopSlotsGeneration = batch.flushGeneration();
            hopSlotsUsed = 0;
        }
        return hopSlots[hopSlotsUsed++];
    }

    /**
     * A HOP frame to the node the route was handed to, from the main socket: signed with the hand-off's key in the
     * slot, after the frame (a slot has room for the tag).
     */
    private void sendHop(final RelaySlot slot, final Route route, final int length)
    {
        final HopKey key = route.hopKey();
        final int signed = hopTag.sign(slot.buffer(), 0, length, key.k0(), key.k1());
        batch.toOne(slot, route.entry(), 0, signed, route.entry().hopTarget(), mainSocket);
    }
}
