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
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
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
 *       services answer, and {@code fe80::/10}, and {@code fd00:ec2::/32}, where EC2's IPv6 metadata service
 *       answers), or outside {@code TARGET_ALLOW} when that is set;</li>
 *   <li>one of this node's own UDP sockets: its relay socket and its relay ports, on their bound address or, for a
 *       wildcard socket, on any address of the host (loopback included).</li>
 * </ul>
 * A source is refused for the first and the last reason: datagrams from there would be the node's own. Only UDP
 * sockets count: a route's source and targets are UDP peers, and a UDP address that shares its port number with
 * the node's control API or metrics listener (TCP) is another socket, which a route neither loops through nor
 * impersonates. Loopback targets are allowed unless {@code TARGET_ALLOW} leaves them out, for tests and same-host
 * setups. The node's own sockets are known once bound ({@link #ownSockets}); any thread may check while they are
 * replaced.
 * <p>
 * An IPv6 address that embeds an IPv4 address reaches that IPv4 host through a translator or a tunnel, so every check
 * judges the embedded IPv4 address as well as the IPv6 one ({@link #embeddedIpv4}): NAT64 ({@code 64:ff9b::/96} and
 * {@code 64:ff9b:1::/48}, RFC 6052 and 8215), 6to4 ({@code 2002::/16}), IPv4-compatible ({@code ::a.b.c.d}),
 * IPv4-mapped ({@code ::ffff:a.b.c.d}) and SIIT ({@code ::ffff:0:a.b.c.d}). {@code [64:ff9b::a9fe:a9fe]} is
 * {@code 169.254.169.254} to TARGET_DENY.
 */
public final class AddressPolicy
{
    /**
     * Default TARGET_DENY: link-local, IPv4 (cloud metadata at 169.254.169.254) and IPv6, and EC2's IPv6 metadata
     * service ({@code fd00:ec2::254}).
     */
    public static final String DEFAULT_DENY = "169.254.0.0/16,fe80::/10,fd00:ec2::/32";

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
     * @param sockets       each of the node's UDP sockets by the setting that names it (BIND_ADDR), as bound; its TCP
     *                      listeners (CONTROL_API_ADDR, METRICS_ADDR) are no route's peer and do not belong here.
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
        final Inet4Address embedded = embeddedIpv4(ip);
        final String refused = notOneHost(ip, embedded);
        if (refused != null)
        {
            throw refuse(field, target, refused + "; a relay sends to one host");
        }
        for (final Cidr range : deny)
        {
            final InetAddress hit = denied(range, ip, embedded);
            if (hit != null)
            {
                throw refuse(field, target, "is in TARGET_DENY (" + range + ")" + via(ip, hit));
            }
        }
        if (!allow.isEmpty() && allow.stream().noneMatch(range -> range.contains(ip) ||
            (embedded != null && range.contains(embedded))))
        {
            throw refuse(field, target, "is outside TARGET_ALLOW (" + allow + ")" + via(ip, embedded));
        }
        final String socket = ownSocket(address, embedded);
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
        final Inet4Address embedded = embeddedIpv4(address.getAddress());
        final String refused = notOneHost(address.getAddress(), embedded);
        if (refused != null)
        {
            throw refuse(field, source, refused + "; no datagram comes from it");
        }
        final String socket = ownSocket(address, embedded);
        if (socket != null)
        {
            throw refuse(field, source, "is this node's own " + socket + ": datagrams from it would be the node's " +
                "own, looping");
        }
    }

    /**
     * The IPv4 address an IPv6 address embeds, which a translator or tunnel on the way reaches in its place:
     * <ul>
     *   <li>NAT64, {@code 64:ff9b::/96} (RFC 6052), and {@code 64:ff9b:1::/96} inside the local-use
     *       {@code 64:ff9b:1::/48} (RFC 8215): the last 32 bits;</li>
     *   <li>6to4, {@code 2002::/16} (RFC 3056): bits 16-47;</li>
     *   <li>IPv4-mapped {@code ::ffff:0:0/96} and SIIT {@code ::ffff:0:0:0/96} (RFC 7915): the last 32 bits;</li>
     *   <li>IPv4-compatible {@code ::/96} (RFC 4291, deprecated), but for {@code ::} and {@code ::1}: the last 32
     *       bits.</li>
     * </ul>
     *
     * @param ip an address.
     * @return the IPv4 address it embeds, or null for an IPv4 address or an IPv6 address in none of these ranges.
     */
    public static Inet4Address embeddedIpv4(final InetAddress ip)
    {
        if (!(ip instanceof Inet6Address))
        {
            return null;
        }
        final byte[] a = ip.getAddress();
        final boolean zeroToEight = zero(a, 0, 8);
        if (zeroToEight && zero(a, 8, 12))
        {
            // IPv4-compatible; :: and ::1 are the unspecified and loopback addresses of IPv6 itself.
            return zero(a, 12, 15) && (a[15] == 0 || a[15] == 1) ? null : ipv4(a, 12, 13, 14, 15);
        }
        if (zeroToEight && (((a[8] | a[9]) == 0 && a[10] == (byte)0xFF && a[11] == (byte)0xFF) ||
            (a[8] == (byte)0xFF && a[9] == (byte)0xFF && (a[10] | a[11]) == 0)))
        {
            return ipv4(a, 12, 13, 14, 15); // IPv4-mapped, SIIT
        }
        if (a[0] == 0 && a[1] == 0x64 && a[2] == (byte)0xFF && a[3] == (byte)0x9B &&
            (a[4] == 0 && (a[5] == 0 || a[5] == 1)) && zero(a, 6, 12))
        {
            // NAT64: the well-known prefix, or the local-use /48 with nothing between it and the last 32 bits (any
            // other address in that /48 may use another layout: denied() tries them all).
            return ipv4(a, 12, 13, 14, 15);
        }
        if (a[0] == 0x20 && a[1] == 0x02)
        {
            return ipv4(a, 2, 3, 4, 5); // 6to4
        }
        return null;
    }

    /**
     * @return the address of {@code ip} that lies in {@code range}, or null: the IPv6 address itself, the IPv4 address
     * it embeds, or, for the local-use NAT64 prefix {@code 64:ff9b:1::/48}, the IPv4 address any RFC 6052 layout (a
     * /48, /56, /64 or /96 prefix inside it, whichever the operator's translator uses) would give.
     */
    private static InetAddress denied(final Cidr range, final InetAddress ip, final Inet4Address embedded)
    {
        if (range.contains(ip))
        {
            return ip;
        }
        if (embedded != null && range.contains(embedded))
        {
            return embedded;
        }
        final byte[] a = ip.getAddress();
        if (a.length == 16 && a[0] == 0 && a[1] == 0x64 && a[2] == (byte)0xFF && a[3] == (byte)0x9B && a[4] == 0 &&
            a[5] == 1 && a[8] == 0)
        {
            for (final Inet4Address other : new Inet4Address[] {
                ipv4(a, 6, 7, 9, 10), ipv4(a, 7, 9, 10, 11), ipv4(a, 9, 10, 11, 12), ipv4(a, 12, 13, 14, 15)})
            {
                if (range.contains(other))
                {
                    return other;
                }
            }
        }
        return null;
    }

    private static boolean zero(final byte[] a, final int from, final int to)
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

    private static Inet4Address ipv4(final byte[] a, final int b0, final int b1, final int b2, final int b3)
    {
        try
        {
            return (Inet4Address)InetAddress.getByAddress(new byte[] {a[b0], a[b1], a[b2], a[b3]});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex); // four bytes are always an address
        }
    }

    /**
     * @return for a refusal: which IPv4 address an IPv6 one was judged as, or nothing.
     */
    private static String via(final InetAddress ip, final InetAddress judged)
    {
        return judged != null && judged != ip ? ": it embeds " + judged.getHostAddress() : "";
    }

    /**
     * @return why the address, or the IPv4 address it embeds, is no single host (unspecified, multicast,
     * broadcast), or null.
     */
    private String notOneHost(final InetAddress ip, final Inet4Address embedded)
    {
        final String refused = notOneHost(ip);
        if (refused != null || embedded == null)
        {
            return refused;
        }
        final String inside = notOneHost(embedded);
        return inside == null ? null : inside + " (it embeds " + embedded.getHostAddress() + ")";
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
     * @return the name of the node's socket this address, or the IPv4 address it embeds, reaches, or null.
     */
    private String ownSocket(final InetSocketAddress address, final Inet4Address embedded)
    {
        final String socket = ownSocket(address.getAddress(), address.getPort());
        return socket != null || embedded == null ? socket : ownSocket(embedded, address.getPort());
    }

    private String ownSocket(final InetAddress ip, final int port)
    {
        final Own current = own;
        final InetAddress relay = relayIp;
        if (relay != null && relayPortInUse.test(port) && reaches(current, relay, ip))
        {
            return "relay port (RELAY_PORTS)";
        }
        for (final Map.Entry<String, InetSocketAddress> socket : current.sockets.entrySet())
        {
            final InetSocketAddress bound = socket.getValue();
            if (bound.getPort() != port)
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
            default: return "socket (" + setting + ")";
        }
    }

    private static ValidationException refuse(final String field, final Endpoint address, final String why)
    {
        return new ValidationException(field, field + ": " + address + " " + why);
    }
}
