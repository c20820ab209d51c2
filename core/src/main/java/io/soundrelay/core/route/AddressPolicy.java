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
package io.soundrelay.core.route;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which addresses a route may name. A relay that sends wherever it is told is an amplifier and a loop waiting to
 * happen, so a route request is refused, naming the field, when a target is:
 * <ul>
 *   <li>the unspecified address ({@code 0.0.0.0}, {@code ::}), a broadcast address ({@code 255.255.255.255}, the
 *       broadcast address of one of the host's networks, {@code 127.255.255.255}) or a multicast address;</li>
 *   <li>in {@code TARGET_DENY} (default: the link-local ranges {@code 169.254.0.0/16}, where cloud metadata
 *       services answer, and {@code fe80::/10}), or outside {@code TARGET_ALLOW} when that is set;</li>
 *   <li>one of this node's own sockets: its relay socket, its control API, its metrics listener, on their bound
 *       address or, for a wildcard socket, on any address of the host (loopback included).</li>
 * </ul>
 * A source is refused for the first and the last reason: datagrams from there would be the node's own. Loopback
 * targets are allowed unless {@code TARGET_ALLOW} leaves them out, for tests and same-host setups. The node's own
 * sockets are known once bound ({@link #ownSockets}); any thread may check while they are replaced.
 */
public final class AddressPolicy
{
    /** Default TARGET_DENY: link-local, IPv4 (cloud metadata at 169.254.169.254) and IPv6. */
    public static final String DEFAULT_DENY = "169.254.0.0/16,fe80::/10";

    private static final byte[] LOOPBACK_BROADCAST = {127, (byte)255, (byte)255, (byte)255};

    private final List<Cidr> deny;
    private final List<Cidr> allow;
    private volatile Own own = new Own(Map.of(), List.of(), List.of());
    private volatile InetAddress relayIp;
    private volatile java.util.function.IntPredicate relayPortInUse = port -> false;

    /** The node's sockets and the host's addresses, replaced as a whole. */
    private static final class Own
    {
        final Map<String, InetSocketAddress> sockets;
        final List<InetAddress> hostAddresses;
        final List<InetAddress> broadcasts;

        Own(final Map<String, InetSocketAddress> sockets, final List<InetAddress> hostAddresses,
            final List<InetAddress> broadcasts)
        {
            this.sockets = sockets;
            this.hostAddresses = hostAddresses;
            this.broadcasts = broadcasts;
        }
    }

    /**
     * @param deny  TARGET_DENY: ranges no target may be in.
     * @param allow TARGET_ALLOW: when not empty, the only ranges a target may be in.
     */
    public AddressPolicy(final List<Cidr> deny, final List<Cidr> allow)
    {
        this.deny = List.copyOf(deny);
        this.allow = List.copyOf(allow);
    }

    /**
     * @return a policy with the default TARGET_DENY and no TARGET_ALLOW, and no own sockets yet.
     */
    public static AddressPolicy defaults()
    {
        return new AddressPolicy(Cidr.parseList(DEFAULT_DENY), List.of());
    }

    /**
     * Tell the policy the node's own sockets, once they are bound. Any thread.
     *
     * @param sockets       each socket by the setting that names it (BIND_ADDR, CONTROL_API_ADDR, ...), as bound.
     * @param hostAddresses the addresses of the host's interfaces: where a wildcard socket is reached too.
     * @param broadcasts    the broadcast addresses of the host's networks.
     */
    public void ownSockets(
        final Map<String, InetSocketAddress> sockets,
        final Collection<InetAddress> hostAddresses,
        final Collection<InetAddress> broadcasts)
    {
        own = new Own(new LinkedHashMap<>(sockets), new ArrayList<>(hostAddresses), new ArrayList<>(broadcasts));
    }

    /**
     * @param target a route's target.
     * @param field  its JSON path, for the error.
     * @throws ValidationException 400 naming the field when the target is refused.
     */
    /**
     * The node's relay ports (RELAY_PORTS): a target or source that is one of them, bound now, on an address that
     * reaches the relay IP, is refused as the node's own socket.
     *
     * @param ip     the relay IP (BIND_ADDR's address; the wildcard reaches every host address).
     * @param inUse  whether a port is bound as a relay port now.
     */
    public void ownRelayPorts(final InetAddress ip, final java.util.function.IntPredicate inUse)
    {
        relayPortInUse = inUse;
        relayIp = ip;
    }

    public void checkTarget(final Endpoint target, final String field)
    {
        final InetSocketAddress address = target.socketAddress();
        final InetAddress ip = address.getAddress();
        final String refused = notOneHost(ip);
        if (refused != null)
        {
            throw refuse(field, target, refused + "; a relay sends to one host");
        }
        for (final Cidr range : deny)
        {
            if (range.contains(ip))
            {
                throw refuse(field, target, "is in TARGET_DENY (" + range + ")");
            }
        }
        if (!allow.isEmpty() && allow.stream().noneMatch(range -> range.contains(ip)))
        {
            throw refuse(field, target, "is outside TARGET_ALLOW (" + allow + ")");
        }
        final String socket = ownSocket(address);
        if (socket != null)
        {
            throw refuse(field, target, "is this node's own " + socket + ": a route to it would loop");
        }
    }

    /**
     * @param source a route's source.
     * @param field  its JSON path, for the error.
     * @throws ValidationException 400 naming the field when the source is refused.
     */
    public void checkSource(final Endpoint source, final String field)
    {
        final InetSocketAddress address = source.socketAddress();
        final String refused = notOneHost(address.getAddress());
        if (refused != null)
        {
            throw refuse(field, source, refused + "; no datagram comes from it");
        }
        final String socket = ownSocket(address);
        if (socket != null)
        {
            throw refuse(field, source, "is this node's own " + socket + ": datagrams from it would be the node's " +
                "own, looping");
        }
    }

    /**
     * @return why the address is no single host (unspecified, multicast, broadcast), or null.
     */
    private String notOneHost(final InetAddress ip)
    {
        if (ip.isAnyLocalAddress())
        {
            return "is the unspecified address, not a host";
        }
        if (ip.isMulticastAddress())
        {
            return "is a multicast address";
        }
        if (isBroadcast(ip))
        {
            return "is a broadcast address";
        }
        return null;
    }

    private boolean isBroadcast(final InetAddress ip)
    {
        if (!(ip instanceof Inet4Address))
        {
            return false;
        }
        final byte[] a = ip.getAddress();
        if ((a[0] & a[1] & a[2] & a[3]) == (byte)0xFF || java.util.Arrays.equals(a, LOOPBACK_BROADCAST))
        {
            return true;
        }
        return own.broadcasts.contains(ip);
    }

    /**
     * @return the name of the node's socket this address reaches, or null.
     */
    private String ownSocket(final InetSocketAddress address)
    {
        final Own current = own;
        final InetAddress ip = address.getAddress();
        final InetAddress relay = relayIp;
        if (relay != null && relayPortInUse.test(address.getPort()) && reaches(current, relay, ip))
        {
            return "relay port (RELAY_PORTS)";
        }
        for (final Map.Entry<String, InetSocketAddress> socket : current.sockets.entrySet())
        {
            final InetSocketAddress bound = socket.getValue();
            if (bound.getPort() != address.getPort())
            {
                continue;
            }
            if (reaches(current, bound.getAddress(), ip))
            {
                return describe(socket.getKey());
            }
        }
        return null;
    }

    private static boolean reaches(final Own current, final InetAddress on, final InetAddress ip)
    {
        return on.isAnyLocalAddress() ? ip.isLoopbackAddress() || current.hostAddresses.contains(ip) : on.equals(ip);
    }

    private static String describe(final String setting)
    {
        switch (setting)
        {
            case "BIND_ADDR": return "relay socket (BIND_ADDR)";
            case "CONTROL_API_ADDR": return "control API (CONTROL_API_ADDR)";
            case "METRICS_ADDR": return "metrics listener (METRICS_ADDR)";
            default: return "socket (" + setting + ")";
        }
    }

    private static ValidationException refuse(final String field, final Endpoint address, final String why)
    {
        return new ValidationException(field, field + ": " + address + " " + why);
    }
}
