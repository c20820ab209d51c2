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
package io.soundrelay.jda;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;

/**
 * Addresses as the control API writes them: {@code a.b.c.d:port} or {@code [v6]:port}, literal IPs only.
 */
final class Addresses
{
    private Addresses()
    {
    }

    /**
     * @param address a resolved address.
     * @return {@code a.b.c.d:port} or {@code [v6]:port}, without an IPv6 scope.
     * @throws IllegalArgumentException when the address is unresolved.
     */
    static String format(final InetSocketAddress address)
    {
        return format(ip(address), address.getPort());
    }

    /**
     * @param ip   an IP address.
     * @param port a port.
     * @return {@code a.b.c.d:port} or {@code [v6]:port}, without an IPv6 scope.
     */
    static String format(final InetAddress ip, final int port)
    {
        String host = ip.getHostAddress();
        if (ip instanceof Inet6Address)
        {
            final int zone = host.indexOf('%');
            host = "[" + (zone < 0 ? host : host.substring(0, zone)) + "]";
        }
        return host + ":" + port;
    }

    /**
     * @param text {@code a.b.c.d:port} or {@code [v6]:port}, as the node answers.
     * @return the address, or null when the text is not one. Never looks a name up.
     */
    static InetSocketAddress parse(final String text)
    {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1)
        {
            return null;
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        else if (host.indexOf(':') >= 0)
        {
            return null;
        }
        if (host.isEmpty() || !(host.indexOf(':') >= 0 || Character.isDigit(host.charAt(host.length() - 1))))
        {
            return null; // a name: getByName would look it up
        }
        try
        {
            final int port = Integer.parseInt(text.substring(colon + 1));
            return port < 1 || port > 65535 ? null : new InetSocketAddress(InetAddress.getByName(host), port);
        }
        catch (final NumberFormatException | UnknownHostException ex)
        {
            return null;
        }
    }

    /**
     * The address a node sees a socket's packets come from.
     *
     * @param local         the socket's local address.
     * @param publicAddress the address the bot is configured to be seen at, or null.
     * @param relay         where the packets go.
     * @return the public address, else the socket's own, else the one the kernel sends from toward the relay, with
     *         the socket's port.
     * @throws IOException when it cannot be told (a wildcard socket, no route toward a non-loopback relay).
     */
    static InetSocketAddress sourceAddress(
        final InetSocketAddress local, final InetAddress publicAddress, final InetSocketAddress relay)
        throws IOException
    {
        InetAddress ip = null != publicAddress ? publicAddress : local.getAddress();
        if (ip.isAnyLocalAddress())
        {
            try (DatagramChannel probe = DatagramChannel.open(relay.getAddress() instanceof Inet6Address ?
                StandardProtocolFamily.INET6 : StandardProtocolFamily.INET))
            {
                probe.connect(relay); // nothing is sent: the kernel only picks the local address of the route
                ip = ((InetSocketAddress)probe.getLocalAddress()).getAddress();
            }
        }
        if (ip.isAnyLocalAddress())
        {
            if (!relay.getAddress().isLoopbackAddress())
            {
                throw new IOException("cannot tell the address the node sees; set the factory's publicAddress");
            }
            ip = relay.getAddress();
        }
        return new InetSocketAddress(ip, local.getPort());
    }

    private static InetAddress ip(final InetSocketAddress address)
    {
        final InetAddress ip = address.getAddress();
        if (null == ip)
        {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        return ip;
    }
}
