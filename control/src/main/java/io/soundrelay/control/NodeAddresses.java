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
package io.soundrelay.control;

import io.soundrelay.core.config.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.List;

/**
 * The node's addresses as others see them: what it advertises, and what counts as this host in the route checks.
 */
final class NodeAddresses
{
    private static final Logger LOG = LoggerFactory.getLogger(SoundRelayNode.class);

    private NodeAddresses()
    {
    }

    /**
     * The host's addresses and the broadcast addresses of its networks, as its interfaces list them now.
     */
    static void interfaceAddresses(final List<InetAddress> addresses, final List<InetAddress> broadcasts)
    {
        try
        {
            for (final NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                for (final InterfaceAddress address : nif.getInterfaceAddresses())
                {
                    addresses.add(address.getAddress());
                    if (address.getBroadcast() != null)
                    {
                        broadcasts.add(address.getBroadcast());
                    }
                }
            }
        }
        catch (final SocketException ex)
        {
            LOG.warn("cannot list network interfaces ({}): only loopback and ADVERTISE_HOST count as this host's " +
                "addresses in the route checks", ex.getMessage());
        }
    }

    /**
     * The address others reach a listener at: ADVERTISE_HOST when set, else the listener's own address unless it is a
     * wildcard, else the host's derived address; with the bound port.
     */
    static String advertise(
        final InetAddress configured,
        final InetSocketAddress listen,
        final InetSocketAddress bound,
        final InetAddress derived)
    {
        final InetAddress host = configured != null ? configured :
            listen.getAddress().isAnyLocalAddress() ? derived : listen.getAddress();
        final String text = host.getHostAddress();
        return (text.indexOf(':') >= 0 ? "[" + text + "]" : text) + ":" + bound.getPort();
    }

    /**
     * ADVERTISE_HOST, or BIND_ADDR's address, or for a wildcard BIND_ADDR the first IPv4 address of an interface that
     * is up and not loopback (then any such IPv6 address that is not link-local), else loopback.
     */
    static InetAddress advertiseHost(final Configuration config)
    {
        if (config.advertiseHost() != null)
        {
            return config.advertiseHost();
        }
        final InetAddress bind = config.bindAddr().getAddress();
        if (!bind.isAnyLocalAddress())
        {
            return bind;
        }
        InetAddress v6 = null;
        try
        {
            for (final NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                if (!nif.isUp() || nif.isLoopback())
                {
                    continue;
                }
                for (final InetAddress address : Collections.list(nif.getInetAddresses()))
                {
                    if (address instanceof Inet4Address && !address.isLinkLocalAddress())
                    {
                        return address;
                    }
                    if (v6 == null && !(address instanceof Inet4Address) && !address.isLinkLocalAddress())
                    {
                        v6 = address;
                    }
                }
            }
        }
        catch (final SocketException ex)
        {
            LOG.warn("cannot list network interfaces ({}); advertising loopback: set ADVERTISE_HOST", ex.getMessage());
        }
        return v6 != null ? v6 : InetAddress.getLoopbackAddress();
    }

    static String hostPort(final InetSocketAddress configured, final InetSocketAddress bound)
    {
        final String host = configured.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + bound.getPort();
    }
}
