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

import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.io.jitter.JitterBuffer;
import io.soundrelay.io.pace.Pacer;
import io.soundrelay.io.socket.RelaySocket;

/**
 * What the router keeps for one route beside its {@link RouteEntry}: its jitter buffer and its place on the list of
 * buffers holding datagrams, or its pacer and its place in the heap of pacers holding datagrams, its relay port, and where datagrams back to the source go. Router thread only.
 */
final class RouteState
{
    final RouteEntry entry;
    /** The jitter buffer, or null when the route's {@code jitter_ms} is 0. */
    JitterBuffer buffer;
    int jitterMs;
    /** Position in the router's list of buffers that hold datagrams, or -1. */
    int activeIndex = -1;
    /** The pacer, or null when the route's {@code pace_ms} is 0; a route that has one has no jitter buffer. */
    Pacer pacer;
    /** The route's id in the router's heap of pacers, or -1 when it has no pacer. */
    int paceId = -1;
    /** The route's relay port, or null: its datagrams leave from the main socket. */
    RelaySocket relay;
    /**
     * Where the source is: the route's {@code source_addr}, or, for one with port 0, the address latched from the
     * first datagram from its IP; null until then. Datagrams back to the source go here.
     */
    Endpoint source;

    /** While the route forwards to a new node: the hand-off's key, which signs every HOP frame it sends there. */
    HopKey hopKey;
    /**
     * An inbound hand-off: the relay address of the node that handed the stream here, the only sender whose HOP frames
     * this route takes, and only until {@link #hopFromUntilNs}; null when no hand-off is coming in.
     */
    Endpoint hopFrom;
    /** The inbound hand-off's key: a HOP frame's tag must be the one it gives. */
    HopKey hopFromKey;
    /** Monotonic time the inbound hand-off's window closes. */
    long hopFromUntilNs;

    RouteState(final RouteEntry entry)
    {
        this.entry = entry;
    }
}
