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
import io.soundrelay.core.protocol.HopTag;
import io.soundrelay.protocol.IpDiscovery;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.ring.RelaySlot;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Datagrams on the main socket, as Aeron's data packet dispatcher: each is decoded once by the
 * {@link DatagramDecoder} and its {@link Route} found by stream id. A HOP frame (PROTOCOL.md section 7) is checked by
 * the {@link HopAcceptor} (sender, window, tag) and unwrapped; anything else must come from the route's source and not
 * from a relay ({@link SenderCheck}). Then a handed-off route's datagram goes on to its new node
 * ({@link HopForwarder}), a room's PCM or Opus frame to the mixer when it runs, and anything else to the route, which
 * delivers it as it was set up to. A datagram that decodes as nothing may be an IP discovery request that latches a
 * route. With several pipelines, a datagram whose stream another pipeline owns is passed to it first
 * ({@link PipelineHandoff}); one that decodes as nothing is counted here. Router thread only.
 */
final class MainPortRouter
{
    private final RouteTable table;
    private final DatagramDecoder decoder;
    private final SenderCheck senders;
    private final HopAcceptor hops;
    private final HopForwarder forwarder;
    private final MixerLink mixer;
    private final RelayCounters counters;
    private final PipelineHandoff handoff;

    /**
     * @param decoder the router's one decoder (the {@link HopForwarder} reads what it decoded last).
     * @param mixer   the hand-off to the mixer stage, or null when ENABLE_MIXER is off.
     * @param handoff passes datagrams of streams other pipelines own to them; null with one pipeline.
     */
    MainPortRouter(
        final RouteTable table,
        final DatagramDecoder decoder,
        final SenderCheck senders,
        final HopAcceptor hops,
        final HopForwarder forwarder,
        final MixerLink mixer,
        final RelayCounters counters,
        final PipelineHandoff handoff)
    {
        this.handoff = handoff;
        this.table = table;
        this.decoder = decoder;
        this.senders = senders;
        this.hops = hops;
        this.forwarder = forwarder;
        this.mixer = mixer;
        this.counters = counters;
    }

    /**
     * @param slot holding a datagram that came in on the main socket.
     */
    void onDatagram(final RelaySlot slot)
    {
        final UnsafeBuffer buffer = slot.buffer();
        // A HOP frame ends with its tag, checked once the stream's inbound hand-off (its peer and key) is known, and
        // may be that much longer than MAX_DATAGRAM_BYTES. Any other datagram is decoded once, as it came.
        final int tagged = slot.length;
        int length = tagged;
        boolean decoded = decoder.decode(buffer, 0, length);
        if (!decoded && decoder.error() == ErrorReason.OVERSIZE && FrameFlyweight.isHopFrame(slot.wire(), tagged))
        {
            length = tagged - HopTag.LENGTH; // a HOP frame of a datagram of the largest size, and its tag
            decoded = decoder.decode(buffer, 0, length);
        }
        if (!decoded)
        {
            final long ssrc = IpDiscovery.requestSsrc(slot.wire(), 0, slot.length);
            if (handoff != null && ssrc >= 0 && handoff.isForeign(ssrc))
            {
                handoff.handOff(slot, ssrc); // the route it may latch is the owner's
                return;
            }
            if (!senders.latchedByDiscovery(slot, ssrc, ssrc < 0 ? null : table.get(ssrc)))
            {
                counters.addError(decoder.error(), 1);
            }
            return;
        }

        if (handoff != null && handoff.isForeign(decoder.streamId()))
        {
            handoff.handOff(slot, decoder.streamId()); // decoded again there, as its own main socket's
            return;
        }
        final Route route = table.get(decoder.streamId());
        if (route == null)
        {
            counters.addError(ErrorReason.UNKNOWN_STREAM, 1);
        }
        else if (decoder.isHop())
        {
            onHop(slot, route, tagged);
        }
        else if (senders.isLoop(route, slot))
        {
            // A relay sent it, but not as a HOP frame of a migration: a route somewhere points at a relay (this node
            // or another), and forwarding would feed a loop.
            counters.addError(ErrorReason.LOOP, 1);
        }
        else if (!senders.isSource(route, route.entry().spec(), slot))
        {
            counters.addError(SenderCheck.mismatch(route, route.entry().spec(), slot), 1);
        }
        else
        {
            deliver(slot, route, length, false, 0);
        }
    }

    /**
     * A HOP frame, forwarded by the node that handed the stream here: its sender is that node, not the route's
     * source. Nobody else, the source included, may send one, and only with the hand-off's tag. Once checked, the
     * frame is what the old node received: a frame, RTP or RTCP wrapped in one, or a datagram of its relay port.
     */
    private void onHop(final RelaySlot slot, final Route route, final int tagged)
    {
        final int flags = decoder.frameFlags();
        final int hopsIn = FrameFlyweight.hopCount(flags); // read before a wrapped datagram is decoded
        final ErrorReason refused = hops.check(slot, route, tagged, flags);
        if (refused != null)
        {
            counters.addError(refused, 1);
            return;
        }
        final UnsafeBuffer buffer = slot.buffer();
        final int length = tagged - HopTag.LENGTH;
        slot.length = length;
        if (!decoder.decode(buffer, 0, length))
        {
            counters.addError(ErrorReason.MALFORMED, 1); // signed, yet shorter than a header: never expected
            return;
        }
        if (FrameFlyweight.isHopPort(flags))
        {
            hops.onPortHop(slot, route, flags, hopsIn);
            return;
        }
        final boolean wrapped = decoder.isHopWrapped();
        if (wrapped)
        {
            // From here on the decoder describes the inner RTP or RTCP datagram, at HEADER_LENGTH.
            if (!decoder.decode(buffer, FrameFlyweight.HEADER_LENGTH, length - FrameFlyweight.HEADER_LENGTH) ||
                decoder.kind() == DatagramDecoder.KIND_FRAME || decoder.streamId() != route.entry().streamId())
            {
                counters.addError(ErrorReason.MALFORMED, 1);
                return;
            }
        }
        else
        {
            // The frame as the source sent it, for framed delivery and jitter copies alike.
            buffer.putByte(FrameFlyweight.FLAGS_OFFSET,
                (byte)(flags & ~(FrameFlyweight.HOP_FLAG | FrameFlyweight.HOP_COUNT_MASK)));
        }
        deliver(slot, route, length, wrapped, hopsIn);
    }

    /**
     * A datagram the route takes, as the decoder describes it: on to the new node of a handed-off route, to the
     * mixer for a room's audio, else to the route (a keep-alive only counts).
     *
     * @param wrapped whether the decoder describes RTP or RTCP a HOP frame wrapped (then sent byte for byte).
     * @param hopsIn  hops the datagram made before this node.
     */
    private void deliver(
        final RelaySlot slot, final Route route, final int length, final boolean wrapped, final int hopsIn)
    {
        final RouteEntry entry = route.entry();
        entry.onDatagramIn(slot.receiveNs);
        if (entry.isForwarding())
        {
            forwarder.forward(slot, route, wrapped, hopsIn);
            return;
        }
        if (decoder.isKeepAlive())
        {
            return;
        }
        final RouteSpec spec = entry.spec();
        final boolean frame = decoder.kind() == DatagramDecoder.KIND_FRAME;
        if (frame && mixer != null && spec.roomCode() != null && toMixer(slot))
        {
            return;
        }
        if ((frame && spec.deliver() == Deliver.PAYLOAD) || wrapped)
        {
            // The payload alone; a wrapped RTP datagram: the inner one, byte for byte.
            route.onMedia(slot, decoder.payloadOffset(), decoder.payloadLength(), decoder.sequenceBits(),
                decoder.sequence(), decoder.timestamp());
        }
        else
        {
            route.onMedia(slot, 0, length, decoder.sequenceBits(), decoder.sequence(), decoder.timestamp());
        }
    }

    /**
     * @return whether the frame was a room's PCM or Opus, for the mixer (taken, or counted as mixer_full).
     */
    private boolean toMixer(final RelaySlot slot)
    {
        final int payloadKind = decoder.payloadKind();
        if (payloadKind != FrameFlyweight.KIND_PCM && payloadKind != FrameFlyweight.KIND_OPUS)
        {
            return false;
        }
        if (!mixer.offerFrame(decoder.streamId(), payloadKind, decoder.timestamp(), slot.buffer(),
            decoder.payloadOffset(), decoder.payloadLength(), slot.receiveNs))
        {
            counters.addError(ErrorReason.MIXER_FULL, 1);
        }
        return true;
    }

}
