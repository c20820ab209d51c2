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

import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.socket.RelaySocket;

import java.util.Arrays;

/**
 * The relay ports attached to a route now (PROTOCOL.md section 9): which route a datagram on a relay port belongs to
 * (the socket carries its route's dense index), and, by port number, whether a sender on one of this node's addresses
 * is one of its own relay ports (a loop).
 * Ports join and leave the receiver's socket set here. Router thread only.
 */
final class RelayPortTable
{
    private static final int PORTS = 65536;

    /** Routes with a relay port attached, by their dense index ({@link Route#index()}): compact, so it stays cached. */
    private Route[] byIndex = new Route[64];
    /** The attached ports by number, one bit each: dense, for the loop check on every sender's port. */
    private final long[] attached = new long[PORTS / 64];
    private final ReceiverProxy sockets;

    /**
     * @param sockets where relay ports join and leave the receiver's socket set.
     */
    RelayPortTable(final ReceiverProxy sockets)
    {
        this.sockets = sockets;
    }

    /**
     * @param route the route that takes the port.
     * @param relay its relay port, bound.
     */
    void attach(final Route route, final RelaySocket relay)
    {
        route.relay(relay);
        relay.route = route.entry();
        final int index = route.index();
        if (index >= byIndex.length)
        {
            byIndex = Arrays.copyOf(byIndex, Math.max(byIndex.length * 2, index + 1));
        }
        byIndex[index] = route;
        relay.routeIndex = index;
        final int port = relay.port();
        attached[port >>> 6] |= 1L << port;
        route.entry().relayPort(port);
        sockets.add(relay);
    }

    /**
     * The route lets its relay port go, if it has one: the receiver closes it.
     *
     * @param route the route.
     */
    void detach(final Route route)
    {
        final RelaySocket relay = route.relay();
        if (relay != null)
        {
            relay.route = null;
            relay.routeIndex = -1;
            if (byIndex[route.index()] == route)
            {
                byIndex[route.index()] = null;
            }
            final int port = relay.port();
            attached[port >>> 6] &= ~(1L << port);
            route.relay(null);
            route.entry().relayPort(0);
            sockets.remove(relay);
        }
    }

    /**
     * @param relay a relay port never attached: the receiver closes it and frees its port.
     */
    void discard(final RelaySocket relay)
    {
        sockets.remove(relay);
    }

    /**
     * @param in the relay port a datagram came in on.
     * @return its route, or null when the route left while the datagram was in the ring.
     */
    Route routeOf(final RelaySocket in)
    {
        final int index = in.routeIndex;
        if (index < 0)
        {
            return null;
        }
        final Route route = byIndex[index];
        return route != null && route.relay() == in ? route : null;
    }

    /**
     * @param port a sender's port.
     * @return whether it is one of this node's relay ports in use.
     */
    boolean isAttached(final int port)
    {
        return port >= 0 && port < PORTS && (attached[port >>> 6] & (1L << port)) != 0;
    }
}
