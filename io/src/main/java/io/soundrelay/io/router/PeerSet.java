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
 * <p>
 * The same addresses, and this node's own relay port on any of the host's addresses, are where a datagram that is
 * not a HOP frame must never come from: such a datagram was sent by a relay, so a route somewhere points at a relay
 * and the datagram is looping ({@link #isRelay}). A filter of ports keeps that check to one array read for the
 * senders it cannot concern.
 */
public final class PeerSet
{
    /** Most addresses a set holds: the per-datagram check is a scan, so it stays bounded. */
    public static final int MAX_PEERS = 1024;

    private static final Endpoint[] NONE = new Endpoint[0];

    private volatile Endpoint[] peers = NONE;
    /** One bit per UDP port: set for the ports of {@link #peers} and the own relay port. */
    private volatile long[] relayPorts = new long[1024];
    private volatile int ownPort = -1;
    private volatile boolean ownAnyLoopback;
    private volatile byte[][] ownAddresses = new byte[0][];

    /**
     * Replace the set. Any thread; allocates (a copy of the addresses, each once). Never throws for too many: the set
     * is a trust boundary fed from Redis, and whoever can write heartbeats must not be able to stop migration or
     * failover by writing more than {@link #MAX_PEERS} of them.
     *
     * @param peers the relay addresses of the live nodes, in the order the caller prefers them: the first
     *              {@link #MAX_PEERS} distinct ones are kept.
     * @return how many distinct addresses were left out because the set was full (0 normally).
     * @throws NullPointerException when the collection or one of its addresses is null; the set is left as it was.
     */
    public int update(final Collection<Endpoint> peers)
    {
        final LinkedHashSet<Endpoint> distinct = new LinkedHashSet<>(Math.min(peers.size(), MAX_PEERS) * 2);
        int excess = 0;
        for (final Endpoint peer : peers)
        {
            if (peer == null)
            {
                throw new NullPointerException("peer address is null");
            }
            if (distinct.size() < MAX_PEERS)
            {
                distinct.add(peer);
            }
            else if (!distinct.contains(peer))
            {
                excess++;
            }
        }
        final Endpoint[] next = distinct.toArray(NONE);
        this.peers = next;
        this.relayPorts = ports(next, ownPort); // last: a reader that sees these ports sees the peers behind them
        return excess;
    }

    /**
     * This node's relay socket: datagrams from its port on its address are its own, come back.
     *
     * @param port          the bound relay port.
     * @param addresses     the socket's address, or for a wildcard socket the host's addresses (16 bytes each, IPv4
     *                      mapped).
     * @param anyLoopback   a wildcard socket: any address of 127.0.0.0/8 and ::1 is its own too.
     */
    public void own(final int port, final List<byte[]> addresses, final boolean anyLoopback)
    {
        this.ownAddresses = addresses.toArray(new byte[0][]);
        this.ownAnyLoopback = anyLoopback;
        this.ownPort = port;
        this.relayPorts = ports(peers, port);
    }

    private static long[] ports(final Endpoint[] peers, final int ownPort)
    {
        final long[] bits = new long[1024];
        for (final Endpoint peer : peers)
        {
            bits[peer.port() >>> 6] |= 1L << peer.port();
        }
        if (ownPort >= 0)
        {
            bits[ownPort >>> 6] |= 1L << ownPort;
        }
        return bits;
    }

    /**
     * Did a relay send this, another live node or this node itself? Router thread; allocation free, one array read
     * for a sender on a port no relay uses.
     *
     * @param senderIpv6Mapped the sender's address, 16 bytes, IPv4 mapped.
     * @param senderPort       the sender's port.
     * @return true when the sender is a live node's relay address or this node's own relay port on a local address.
     */
    public boolean isRelay(final byte[] senderIpv6Mapped, final int senderPort)
    {
        if ((relayPorts[senderPort >>> 6] & (1L << senderPort)) == 0)
        {
            return false;
        }
        if (senderPort == ownPort && isOwnAddress(senderIpv6Mapped))
        {
            return true;
        }
        return contains(senderIpv6Mapped, senderPort);
    }

    /**
     * @param a a sender's address, 16 bytes, IPv4 mapped.
     * @return whether it is one of this node's own addresses (any loopback address when the relay socket is bound to
     * the wildcard or loopback).
     */
    public boolean isOwnAddress(final byte[] a)
    {
        final boolean mapped = a[10] == (byte)0xFF && a[11] == (byte)0xFF && isZero(a, 0, 10);
        if (ownAnyLoopback && ((mapped && a[12] == 127) || (isZero(a, 0, 15) && a[15] == 1)))
        {
            return true; // 127.0.0.0/8 or ::1
        }
        for (final byte[] own : ownAddresses)
        {
            if (java.util.Arrays.equals(own, a))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isZero(final byte[] a, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (a[i] != 0)
            {
                return false;
            }
        }
        return true;
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
