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
package io.soundrelay.io.socket;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.io.BindFailure;
import io.soundrelay.io.linux.LinuxSocket;
import io.soundrelay.io.linux.Syscalls;
import io.soundrelay.io.transport.Transport;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One bound UDP socket of the data plane: the main relay socket ({@code BIND_ADDR}) or a route's relay port
 * ({@code RELAY_PORTS}, PROTOCOL.md section 9). The epoll transport holds a file descriptor the node made itself
 * ({@link LinuxSocket}): a relay port's is non-blocking; the main socket's is blocking (its receiver may wait in a
 * {@code recvmmsg} on it), so every other receive and send on it passes {@code MSG_DONTWAIT}. NIO holds a
 * {@link DatagramChannel}. Every datagram a socket receives is stamped with it in its ring slot, so the router knows
 * which socket it came in on, and every datagram the router sends names the socket it leaves from: a target always
 * sees the address it talks to.
 * <p>
 * Ownership: the receiver thread owns the socket's place in its poll set and closes it; the router thread owns
 * {@link #route}. A socket is closed only after the router has let go of it, so no thread ever sends on a closed
 * (or reused) file descriptor.
 */
public final class RelaySocket
{
    /** Receive and send buffer of the main socket: it carries every stream that has no relay port. */
    public static final int MAIN_BUFFER_BYTES = 4 * 1024 * 1024;
    /** Receive and send buffer of a relay port: one stream, 50 datagrams a second, with room for bursts. */
    public static final int PORT_BUFFER_BYTES = 256 * 1024;

    private final Transport transport;
    private final DatagramChannel channel;
    private final int fd;
    private final InetSocketAddress localAddress;
    private final boolean ipv6;
    private final boolean relayPort;
    private final byte[] ipv6MappedAddress = new byte[16];
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * The route this relay port belongs to, or null: the main socket, or a port whose route has left. Router thread
     * only: a datagram whose socket has no route is dropped as {@code unknown_stream}.
     */
    public RouteEntry route;

    /**
     * The router's own small index of that route (dense, reused after the route leaves), or -1: how the router finds
     * the route's state from the socket with one load of a compact array. Router thread only.
     */
    public int routeIndex = -1;

    private RelaySocket(
        final Transport transport,
        final int fd,
        final DatagramChannel channel,
        final InetSocketAddress localAddress,
        final boolean relayPort)
    {
        this.transport = transport;
        this.channel = channel;
        this.fd = fd;
        this.localAddress = localAddress;
        this.ipv6 = localAddress.getAddress() instanceof Inet6Address;
        this.relayPort = relayPort;
        final byte[] raw = localAddress.getAddress().getAddress();
        Endpoint.toIpv6Mapped(raw, 0, raw.length, ipv6MappedAddress);
    }

    /**
     * Open and bind a socket for a transport.
     *
     * @param transport   epoll (a descriptor of the node's own) or NIO (a channel).
     * @param bind        the address to bind; port 0 for any.
     * @param bufferBytes SO_RCVBUF and SO_SNDBUF asked for (the kernel caps them at rmem_max and wmem_max).
     * @param relayPort   whether it is a route's relay port rather than the main socket.
     * @return the bound socket.
     * @throws BindFailure when the address cannot be bound, saying why for a person.
     * @throws IOException when the socket cannot be made.
     */
    public static RelaySocket open(
        final Transport transport, final InetSocketAddress bind, final int bufferBytes, final boolean relayPort)
        throws IOException
    {
        return open(transport, bind, bufferBytes, relayPort, false);
    }

    /**
     * Open the main port as {@code count} sockets bound to one address and port in one {@code SO_REUSEPORT} group,
     * in order: the kernel's index of each in the group is its place in the list, which
     * {@link ReuseportSteering} returns for a datagram. With a count of 1 it is exactly {@link #open} of the main
     * socket, without {@code SO_REUSEPORT}, so a second node on the same port still fails with "address in use".
     * With more, a probe socket without {@code SO_REUSEPORT} is bound first and closed, so a port another process
     * holds fails the same way; with port 0 the first socket's port is used for the rest.
     *
     * @param transport   epoll or NIO.
     * @param bind        the main address ({@code BIND_ADDR}); port 0 for any.
     * @param count       sockets, 1 or more.
     * @param bufferBytes SO_RCVBUF and SO_SNDBUF of each.
     * @return the bound sockets, in bind order.
     * @throws BindFailure when the address cannot be bound, saying why for a person.
     * @throws IOException when a socket cannot be made.
     */
    public static List<RelaySocket> openReusePortGroup(
        final Transport transport, final InetSocketAddress bind, final int count, final int bufferBytes)
        throws IOException
    {
        if (count < 1)
        {
            throw new IllegalArgumentException("count " + count + " < 1");
        }
        final List<RelaySocket> group = new ArrayList<>(count);
        if (count == 1)
        {
            group.add(open(transport, bind, bufferBytes, false));
            return group;
        }
        InetSocketAddress at = bind;
        if (bind.getPort() != 0)
        {
            open(transport, bind, bufferBytes, false).close();
        }
        try
        {
            for (int i = 0; i < count; i++)
            {
                final RelaySocket socket = open(transport, at, bufferBytes, false, true);
                group.add(socket);
                at = new InetSocketAddress(bind.getAddress(), socket.port());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            for (final RelaySocket socket : group)
            {
                try
                {
                    socket.close();
                }
                catch (final IOException suppressed)
                {
                    ex.addSuppressed(suppressed);
                }
            }
            throw ex;
        }
        return group;
    }

    private static RelaySocket open(
        final Transport transport,
        final InetSocketAddress bind,
        final int bufferBytes,
        final boolean relayPort,
        final boolean reusePort)
        throws IOException
    {
        final boolean ipv6 = bind.getAddress() instanceof Inet6Address;
        final String what = relayPort ? "a relay port" : "the relay socket";
        if (transport == Transport.NIO)
        {
            final DatagramChannel channel =
                DatagramChannel.open(ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            try
            {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, bufferBytes);
                channel.setOption(StandardSocketOptions.SO_SNDBUF, bufferBytes);
                if (reusePort)
                {
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                try
                {
                    channel.bind(bind);
                }
                catch (final IOException ex)
                {
                    throw new BindFailure(what, bind, ex);
                }
                channel.configureBlocking(false);
                return new RelaySocket(
                    transport, -1, channel, (InetSocketAddress)channel.getLocalAddress(), relayPort);
            }
            catch (final IOException | RuntimeException ex)
            {
                channel.close();
                throw ex;
            }
        }

        transport.ensureAvailable();
        // The main socket is blocking, so its receiver may wait in recvmmsg itself; every other call on it passes
        // MSG_DONTWAIT. A relay port stays non-blocking.
        final int fd = LinuxSocket.open(ipv6, !relayPort);
        try
        {
            LinuxSocket.setInt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_RCVBUF, bufferBytes);
            LinuxSocket.setInt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_SNDBUF, bufferBytes);
            if (reusePort)
            {
                LinuxSocket.setInt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_REUSEPORT, 1);
            }
            try
            {
                LinuxSocket.bind(fd, ipv6, bind);
            }
            catch (final IOException ex)
            {
                throw new BindFailure(what, bind, ex);
            }
            return new RelaySocket(transport, fd, null, LinuxSocket.localAddress(fd), relayPort);
        }
        catch (final IOException | RuntimeException ex)
        {
            try
            {
                LinuxSocket.close(fd);
            }
            catch (final IOException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    /**
     * @return the native file descriptor, or -1 on NIO.
     */
    public int fd()
    {
        return fd;
    }

    /**
     * @return the NIO channel, or null on a native transport.
     */
    public DatagramChannel channel()
    {
        return channel;
    }

    public Transport transport()
    {
        return transport;
    }

    /**
     * @return the bound address (the real port when 0 was asked for).
     */
    public InetSocketAddress localAddress()
    {
        return localAddress;
    }

    public int port()
    {
        return localAddress.getPort();
    }

    /**
     * @return the bound IP, 16 bytes, IPv4 mapped: compared in place with a datagram's sender.
     */
    public byte[] ipv6MappedAddress()
    {
        return ipv6MappedAddress;
    }

    /**
     * @return whether the socket is AF_INET6 (and may send to IPv6 targets).
     */
    public boolean isIpv6()
    {
        return ipv6;
    }

    /**
     * @return whether it is a route's relay port, not the main socket.
     */
    public boolean isRelayPort()
    {
        return relayPort;
    }

    public boolean isClosed()
    {
        return closed.get();
    }

    /**
     * Close the socket once; later calls do nothing. Only the thread that owns the socket's place in the poll set
     * calls it, after the router let go of the socket (or before the router ever saw it).
     *
     * @throws IOException when the kernel refuses the close.
     */
    public void close() throws IOException
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        if (channel != null)
        {
            channel.close();
        }
        else
        {
            LinuxSocket.close(fd);
        }
    }

    public String toString()
    {
        return (relayPort ? "relay port " : "relay socket ") + BindFailure.hostPort(localAddress);
    }
}
