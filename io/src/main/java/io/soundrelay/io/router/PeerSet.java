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

import io.soundrelay.core.route.Endpoint;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The relay addresses of the live nodes: the only senders whose HOP frames the router accepts (PROTOCOL.md section
 * 7). The control plane replaces the whole set from any thread, at most about once a second, by publishing a new
 * immutable array through a volatile field; the router reads it per HOP datagram without locking or allocating.
 */
public final class PeerSet
{
    /** Most addresses a set holds: the per-datagram check is a scan, so it stays bounded. */
    public static final int MAX_PEERS = 1024;

    private static final Endpoint[] NONE = new Endpoint[0];

    private volatile Endpoint[] peers = NONE;

    /**
     * Replace the set. Any thread; allocates (a copy of the addresses, each once).
     *
     * @param peers the relay addresses of the live nodes, at most {@link #MAX_PEERS} distinct ones.
     * @throws NullPointerException     when the collection or one of its addresses is null.
     * @throws IllegalArgumentException when there are more than {@link #MAX_PEERS} distinct addresses; the set is
     *                                  left as it was.
     */
    public void update(final Collection<Endpoint> peers)
    {
        final LinkedHashSet<Endpoint> distinct = new LinkedHashSet<>(peers.size() * 2);
        for (final Endpoint peer : peers)
        {
            if (peer == null)
            {
                throw new NullPointerException("peer address is null");
            }
            distinct.add(peer);
        }
        if (distinct.size() > MAX_PEERS)
        {
            throw new IllegalArgumentException(
                distinct.size() + " peer addresses, more than the " + MAX_PEERS + " a node accepts HOP frames from");
        }
        this.peers = distinct.toArray(NONE);
    }

    /**
     * Is a datagram's sender the relay address of a live node? Router thread (any thread, in fact); allocation free.
     *
     * @param senderIpv6Mapped the sender's address, 16 bytes, IPv4 mapped.
     * @param senderPort       the sender's port.
     * @return true when the set holds that address and port.
     */
    public boolean contains(final byte[] senderIpv6Mapped, final int senderPort)
    {
        final Endpoint[] current = peers;
        for (int i = 0; i < current.length; i++)
        {
            if (current[i].matches(senderIpv6Mapped, senderPort))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return the set as it is now, immutable; for the control API and tests.
     */
    public List<Endpoint> snapshot()
    {
        return List.of(peers);
    }
}
