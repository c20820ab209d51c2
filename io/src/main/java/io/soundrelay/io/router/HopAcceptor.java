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

import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.protocol.HopTag;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.ring.RelaySlot;
import org.agrona.concurrent.NanoClock;

/**
 * Live migration's inbound side (PROTOCOL.md section 7): whether a HOP frame may enter a route (only from the node
 * that handed the stream here, within the hand-off's window, with the tag its key gives), and where a HOP_PORT frame
 * (a datagram of the old node's relay port) goes on from here. Router thread only.
 */
final class HopAcceptor
{
    /** Checks HOP frames' tags: its state is this thread's. */
    private final HopTag hopTag = new HopTag();
    private final NanoClock clock;
    private final HopForwarder forwarder;

    HopAcceptor(final NanoClock clock, final HopForwarder forwarder)
    {
        this.clock = clock;
        this.forwarder = forwarder;
    }

    /**
     * May this HOP frame enter the route? Only from the relay address of the node that handed the stream here, while
     * that hand-off's window is open, never from the node the stream was handed on to (a stream never bounces back),
     * with the tag the hand-off's key gives, and a relay port's traffic only for a route with a return path.
     *
     * @param tagged the frame's length with its tag.
     * @param flags  the frame's flags.
     * @return null when it may, else why not.
     */
    ErrorReason check(final RelaySlot slot, final Route route, final int tagged, final int flags)
    {
        final RouteEntry entry = route.entry();
        final Endpoint from = route.hopFrom();
        if (from == null || !from.matches(slot.senderAddress, slot.senderPort) ||
            clock.nanoTime() - route.hopFromUntilNs() > 0 ||
            (entry.isForwarding() && entry.hopTarget().matches(slot.senderAddress, slot.senderPort)))
        {
            return ErrorReason.SOURCE_MISMATCH;
        }
        final HopKey key = route.hopFromKey();
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
     * A HOP frame that carries a datagram of the old node's relay port, its tag checked and cut: on from this node's
     * relay port for the route (its main socket if the route has none here), to the targets or back to the source.
     */
    void onPortHop(final RelaySlot slot, final Route route, final int flags, final int hopsIn)
    {
        final RouteEntry entry = route.entry();
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
            forwarder.forwardPortHopOn(slot, route, flags, hopsIn); // moved on again within the grace window
            return;
        }
        final int offset = FrameFlyweight.HEADER_LENGTH;
        final int length = slot.length - FrameFlyweight.HEADER_LENGTH;
        if (back)
        {
            route.sendBack(slot, offset, length);
        }
        else
        {
            route.onPortMedia(slot, offset, length);
        }
    }
}
