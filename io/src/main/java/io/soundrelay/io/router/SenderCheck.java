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

import io.soundrelay.protocol.IpDiscovery;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.Latch;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;

/**
 * Who sent a datagram, as far as a route cares: its source (latching a port-0 source's port on the first datagram
 * or IP discovery request that may), a relay (a live peer, or this node's own sockets: a loop), or someone else.
 * Router thread only.
 */
final class SenderCheck
{
    private final PeerSet peers;
    private final RelaySocket mainSocket;
    private final RelayPortTable relayPorts;
    private final RouteJournal journal;

    SenderCheck(
        final PeerSet peers, final RelaySocket mainSocket, final RelayPortTable relayPorts, final RouteJournal journal)
    {
        this.peers = peers;
        this.mainSocket = mainSocket;
        this.relayPorts = relayPorts;
        this.journal = journal;
    }

    /**
     * Is the sender the route's source? For a source with port 0, the first datagram from its IP latches the port
     * (once: the one allocation of the hot path, per route); with {@code "latch": "discovery"} only an IP discovery
     * request carrying the route's SSRC does.
     */
    boolean isSource(final Route route, final RouteSpec spec, final RelaySlot slot)
    {
        final Endpoint source = route.source();
        if (source != null)
        {
            return source.matches(slot.senderAddress, slot.senderPort);
        }
        if (spec.latchesSourcePort() && spec.source().matchesAddress(slot.senderAddress) && slot.senderPort > 0 &&
            (spec.latch() == Latch.FIRST ||
            IpDiscovery.requestSsrc(slot.wire(), 0, slot.length) == (spec.streamId() & 0xFFFF_FFFFL)))
        {
            latch(route, slot);
            return true;
        }
        return false;
    }

    private void latch(final Route route, final RelaySlot slot)
    {
        route.latch(Endpoint.of(slot.senderAddress, slot.senderPort));
        journal.record(RouteJournal.Change.REPLACED, route.entry()); // the store learns the latch
    }

    /**
     * @return why a datagram that is not from the route's source is dropped: {@code not_latched} from the source's IP
     * while a {@code "latch": "discovery"} route waits for its IP discovery request, else {@code source_mismatch}.
     */
    static ErrorReason mismatch(final Route route, final RouteSpec spec, final RelaySlot slot)
    {
        return route.source() == null && spec.latchesSourcePort() && spec.source().matchesAddress(slot.senderAddress) ?
            ErrorReason.NOT_LATCHED : ErrorReason.SOURCE_MISMATCH;
    }

    /**
     * A datagram on the main port that is neither a frame nor RTP may be an IP discovery request that latches a
     * {@code "latch": "discovery"} route, found by its SSRC as RTP is. The main port relays no discovery: the request
     * only latches.
     *
     * @param slot  the datagram.
     * @param ssrc  the request's SSRC, from {@link IpDiscovery#requestSsrc}.
     * @param route the route of that SSRC, or null.
     * @return whether it latched the route.
     */
    boolean latchedByDiscovery(final RelaySlot slot, final long ssrc, final Route route)
    {
        if (ssrc < 0 || route == null || route.entry().isForwarding() || isFromRelay(slot))
        {
            return false;
        }
        final RouteSpec spec = route.entry().spec();
        if (spec.latch() != Latch.DISCOVERY || route.source() != null ||
            !spec.source().matchesAddress(slot.senderAddress) || slot.senderPort <= 0)
        {
            return false;
        }
        latch(route, slot);
        route.entry().onDatagramIn(slot.receiveNs);
        return true;
    }

    /**
     * A datagram that is not a HOP frame from a relay: a live peer's relay address, or this node's own sockets. The
     * route's own source, as configured or as latched, is the exception when it is a peer's address: the peer
     * addresses come from heartbeats in Redis, and a heartbeat naming a route's source as its relay address must not
     * cut that stream. This node's own sockets are never a source. An unlatched port-0 source is not known yet, so a
     * relay on its IP still counts as a loop.
     */
    boolean isLoop(final Route route, final RelaySlot slot)
    {
        if (!isFromRelay(slot))
        {
            return false;
        }
        final Endpoint source = route.source();
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
        return relayPorts.isAttached(slot.senderPort) && peers.isOwnAddress(slot.senderAddress);
    }

    /**
     * @return whether the sender is a relay: a live peer's relay address, this node's own main socket, or one of
     * this node's relay ports in use.
     */
    private boolean isFromRelay(final RelaySlot slot)
    {
        return peers.isRelay(slot.senderAddress, slot.senderPort) || isOwnRelayPort(slot);
    }
}
