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
import java.util.Arrays;

/**
 * An IP address and port in every form the hot path needs, built once when a route is created so that sending
 * and source checks never allocate: the resolved {@link InetSocketAddress}, and the 16-byte IPv6 (or
 * IPv4-mapped) form that native {@code sendmmsg} takes.
 */
public final class Endpoint
{
    private final InetSocketAddress socketAddress;
    private final byte[] ipv6MappedAddress;
    private final int scopeId;
    private final boolean ipv4;
    private final String text;

    private Endpoint(final InetSocketAddress socketAddress)
    {
        this.socketAddress = socketAddress;
        final InetAddress address = socketAddress.getAddress();
        this.ipv4 = address instanceof Inet4Address;
        final byte[] raw = address.getAddress();
        if (ipv4)
        {
            ipv6MappedAddress = new byte[16];
            ipv6MappedAddress[10] = (byte)0xFF;
            ipv6MappedAddress[11] = (byte)0xFF;
            System.arraycopy(raw, 0, ipv6MappedAddress, 12, 4);
            scopeId = 0;
            text = address.getHostAddress() + ":" + socketAddress.getPort();
        }
        else
        {
            ipv6MappedAddress = raw;
            scopeId = ((Inet6Address)address).getScopeId();
            text = "[" + compressedIpv6(raw) + "]:" + socketAddress.getPort();
        }
    }

    /**
     * The RFC 5952 text of an IPv6 address: lower case, no leading zeros, the longest run of two or more zero
     * groups written as {@code ::}.
     */
    static String compressedIpv6(final byte[] raw)
    {
        final int[] groups = new int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = ((raw[2 * i] & 0xFF) << 8) | (raw[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; )
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        final StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':')
            {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    /**
     * Parse {@code a.b.c.d:port} or {@code [v6]:port}, port 1-65535. Never resolves a host name.
     *
     * @param text the address as a person writes it.
     * @return the endpoint.
     * @throws IllegalArgumentException saying what is wrong, for a person.
     */
    public static Endpoint parse(final String text)
    {
        return parse(text, false);
    }

    /**
     * Parse {@code a.b.c.d:port} or {@code [v6]:port}, port 1-65535, or 0 too when {@code portZero} is set (a route's
     * source that latches its port). Never resolves a host name.
     *
     * @param text     the address as a person writes it.
     * @param portZero whether port 0 is accepted.
     * @return the endpoint.
     * @throws IllegalArgumentException saying what is wrong, for a person.
     */
    public static Endpoint parse(final String text, final boolean portZero)
    {
        if (text == null || text.isEmpty())
        {
            throw new IllegalArgumentException("address is empty; expected ip:port");
        }
        if (text.length() > 64)
        {
            throw new IllegalArgumentException("address is longer than 64 characters");
        }
        final String host;
        final String portText;
        if (text.charAt(0) == '[')
        {
            final int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':')
            {
                throw new IllegalArgumentException("'" + text + "' is not [v6]:port");
            }
            host = text.substring(1, close);
            portText = text.substring(close + 2);
            if (host.indexOf(':') < 0)
            {
                throw new IllegalArgumentException("'" + text + "' has no IPv6 address between the brackets");
            }
        }
        else
        {
            final int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon)
            {
                throw new IllegalArgumentException("'" + text + "' is not a.b.c.d:port or [v6]:port");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
            if (!isDottedQuad(host))
            {
                throw new IllegalArgumentException("'" + host + "' is not an IPv4 address a.b.c.d");
            }
        }
        final int port = parsePort(portText, text, portZero);
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(host); // literal only: both forms were checked above
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("'" + host + "' is not an IP address");
        }
        return new Endpoint(new InetSocketAddress(address, port));
    }

    /**
     * Wrap an already resolved address.
     *
     * @param address resolved address with a port.
     * @return the endpoint.
     */
    public static Endpoint of(final InetSocketAddress address)
    {
        if (address.isUnresolved())
        {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        return new Endpoint(address);
    }

    private static int parsePort(final String portText, final String whole, final boolean portZero)
    {
        final String range = portZero ? "0-65535" : "1-65535";
        if (portText.isEmpty() || portText.length() > 5)
        {
            throw new IllegalArgumentException("'" + whole + "' has no valid port (" + range + ")");
        }
        int port = 0;
        for (int i = 0; i < portText.length(); i++)
        {
            final char c = portText.charAt(i);
            if (c < '0' || c > '9')
            {
                throw new IllegalArgumentException("'" + whole + "' has no valid port (" + range + ")");
            }
            port = port * 10 + (c - '0');
        }
        if (port < (portZero ? 0 : 1) || port > 65535)
        {
            throw new IllegalArgumentException("'" + whole + "' has port " + port + ", outside " + range);
        }
        return port;
    }

    private static boolean isDottedQuad(final String host)
    {
        int parts = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0; i <= host.length(); i++)
        {
            final char c = i == host.length() ? '.' : host.charAt(i);
            if (c == '.')
            {
                if (digits == 0 || value > 255 || (digits > 1 && host.charAt(i - digits) == '0'))
                {
                    return false;
                }
                parts++;
                value = -1;
                digits = 0;
            }
            else if (c >= '0' && c <= '9')
            {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (++digits > 3)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }
        return parts == 4;
    }

    /**
     * @return the resolved socket address, shared: never mutate.
     */
    public InetSocketAddress socketAddress()
    {
        return socketAddress;
    }

    /**
     * @return the 16-byte IPv6 or IPv4-mapped IPv6 address, shared: never mutate.
     */
    public byte[] ipv6MappedAddress()
    {
        return ipv6MappedAddress;
    }

    public int scopeId()
    {
        return scopeId;
    }

    public int port()
    {
        return socketAddress.getPort();
    }

    public boolean isIpv4()
    {
        return ipv4;
    }

    /**
     * Does a datagram's sender equal this endpoint, IP and port? Allocation free.
     *
     * @param sender as received.
     * @return true when both address and port are equal.
     */
    /**
     * The source check on the hot path: the sender's address in {@link #ipv6MappedAddress()} form and its port.
     *
     * @param senderIpv6MappedAddress 16 bytes, IPv4 mapped.
     * @param senderPort              the sender's port.
     * @return true when both equal this endpoint's.
     */
    public boolean matches(final byte[] senderIpv6MappedAddress, final int senderPort)
    {
        return senderPort == socketAddress.getPort() && Arrays.equals(ipv6MappedAddress, senderIpv6MappedAddress);
    }

    /**
     * Write an address in the 16-byte form {@link #matches(byte[], int)} compares: IPv6 as is, IPv4 mapped
     * ({@code ::ffff:a.b.c.d}). Allocates nothing.
     *
     * @param raw    the address bytes, 4 (IPv4) or 16 (IPv6) long from {@code offset}.
     * @param offset where they start.
     * @param length 4 or 16.
     * @param dst    16 bytes to write.
     */
    public static void toIpv6Mapped(final byte[] raw, final int offset, final int length, final byte[] dst)
    {
        if (length == 16)
        {
            System.arraycopy(raw, offset, dst, 0, 16);
        }
        else
        {
            Arrays.fill(dst, 0, 10, (byte)0);
            dst[10] = (byte)0xFF;
            dst[11] = (byte)0xFF;
            System.arraycopy(raw, offset, dst, 12, 4);
        }
    }

    /**
     * @param senderIpv6MappedAddress 16 bytes, IPv4 mapped.
     * @return whether the address is this endpoint's, whatever the port.
     */
    public boolean matchesAddress(final byte[] senderIpv6MappedAddress)
    {
        return Arrays.equals(ipv6MappedAddress, senderIpv6MappedAddress);
    }

    /**
     * An endpoint from a datagram's sender as the receivers record it. Allocates: once per latched source, never per
     * datagram.
     *
     * @param ipv6Mapped 16 bytes, IPv4 mapped for an IPv4 sender.
     * @param port       the sender's port.
     * @return the endpoint, IPv4 for a mapped address.
     */
    public static Endpoint of(final byte[] ipv6Mapped, final int port)
    {
        final boolean mapped = ipv6Mapped[10] == (byte)0xFF && ipv6Mapped[11] == (byte)0xFF;
        for (int i = 0; mapped && i < 10; i++)
        {
            if (ipv6Mapped[i] != 0)
            {
                return of16(ipv6Mapped, port);
            }
        }
        if (!mapped)
        {
            return of16(ipv6Mapped, port);
        }
        try
        {
            return new Endpoint(new InetSocketAddress(
                InetAddress.getByAddress(Arrays.copyOfRange(ipv6Mapped, 12, 16)), port));
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    private static Endpoint of16(final byte[] raw, final int port)
    {
        try
        {
            return new Endpoint(new InetSocketAddress(InetAddress.getByAddress(raw.clone()), port));
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    /**
     * @param port another port.
     * @return this endpoint's address with that port (allocates: once per latch, never per datagram).
     */
    public Endpoint withPort(final int port)
    {
        return new Endpoint(new InetSocketAddress(socketAddress.getAddress(), port));
    }

    public boolean matches(final InetSocketAddress sender)
    {
        return sender != null && sender.getPort() == socketAddress.getPort() &&
            socketAddress.getAddress().equals(sender.getAddress());
    }

    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof Endpoint))
        {
            return false;
        }
        final Endpoint that = (Endpoint)o;
        return port() == that.port() && scopeId == that.scopeId &&
            Arrays.equals(ipv6MappedAddress, that.ipv6MappedAddress);
    }

    public int hashCode()
    {
        return 31 * Arrays.hashCode(ipv6MappedAddress) + port();
    }

    /**
     * @return {@code a.b.c.d:port} or {@code [v6]:port}, as the API writes it.
     */
    public String toString()
    {
        return text;
    }
}
