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

import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;

/**
 * Datagrams on a route's relay port (PROTOCOL.md section 9): any bytes, never decoded. From the route's source to
 * every target (a paced route reads an RTP packet's timestamp and sequence and holds it until due), from one of its
 * targets back to the source, both from the relay port; from anyone else dropped. A handed-off route's go to its new
 * node wrapped in HOP_PORT frames. Router thread only.
 */
final class RelayPortRouter
{
    private final RelayPortTable relayPorts;
    private final SenderCheck senders;
    private final HopForwarder forwarder;
    private final RelayCounters counters;
    private final int maxDatagramBytes;

    RelayPortRouter(
        final RelayPortTable relayPorts,
        final SenderCheck senders,
        final HopForwarder forwarder,
        final RelayCounters counters,
        final int maxDatagramBytes)
    {
        this.relayPorts = relayPorts;
        this.senders = senders;
        this.forwarder = forwarder;
        this.counters = counters;
        this.maxDatagramBytes = maxDatagramBytes;
    }

    /**
     * @param slot holding the datagram.
     * @param in   the relay port it came in on.
     */
    void onDatagram(final RelaySlot slot, final RelaySocket in)
    {
        final Route route = relayPorts.routeOf(in);
        if (route == null)
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
        if (senders.isLoop(route, slot))
        {
            counters.addError(ErrorReason.LOOP, 1);
            return;
        }
        final RouteEntry entry = route.entry();
        final RouteSpec spec = entry.spec();
        if (senders.isSource(route, spec, slot))
        {
            entry.onDatagramIn(slot.receiveNs);
            if (entry.isForwarding())
            {
                forwarder.forwardPortDatagram(slot, route, false);
                return;
            }
            route.onPortMedia(slot, 0, length);
        }
        else if (spec.targetIndexOf(slot.senderAddress, slot.senderPort) >= 0)
        {
            entry.onReturnIn(slot.receiveNs);
            if (entry.isForwarding())
            {
                forwarder.forwardPortDatagram(slot, route, true);
                return;
            }
            route.sendBack(slot, 0, length);
        }
        else
        {
            counters.addError(SenderCheck.mismatch(route, spec, slot), 1);
        }
    }
}
