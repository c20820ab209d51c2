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

import io.netty.channel.unix.Socket;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.io.BindFailure;
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
 * ({@code RELAY_PORTS}, PROTOCOL.md section 9). A native transport (epoll, io_uring) holds a non-blocking file
 * descriptor; NIO holds a {@link DatagramChannel}. Every datagram a socket receives is stamped with it in its ring
 * slot, so the router knows which socket it came in on, and every datagram the router sends names the socket it
 * leaves from: a target always sees the address it talks to.
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
    private final Socket nativeSocket;
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
        final Socket nativeSocket,
        final DatagramChannel channel,
        final InetSocketAddress localAddress,
        final boolean relayPort)
    {
        this.transport = transport;
        this.nativeSocket = nativeSocket;
        this.channel = channel;
        this.fd = nativeSocket == null ? -1 : nativeSocket.intValue();
        this.localAddress = localAddress;
        this.ipv6 = localAddress.getAddress() instanceof Inet6Address;
        this.relayPort = relayPort;
        final byte[] raw = localAddress.getAddress().getAddress();
        Endpoint.toIpv6Mapped(raw, 0, raw.length, ipv6MappedAddress);
    }

    /**
     * Open and bind a socket for a transport.
     *
     * @param transport   epoll or io_uring (a native descriptor) or NIO (a channel).
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
        final boolean ipv6 = bind.getAddress() instanceof Inet6Address;
        if (transport == Transport.NIO)
        {
            final DatagramChannel channel =
                DatagramChannel.open(ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            try
            {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, bufferBytes);
                channel.setOption(StandardSocketOptions.SO_SNDBUF, bufferBytes);
                try
                {
                    channel.bind(bind);
                }
                catch (final IOException ex)
                {
                    throw new BindFailure(relayPort ? "a relay port" : "the relay socket", bind, ex);
                }
                channel.configureBlocking(false);
                return new RelaySocket(
                    transport, null, channel, (InetSocketAddress)channel.getLocalAddress(), relayPort);
            }
            catch (final IOException | RuntimeException ex)
            {
                channel.close();
                throw ex;
            }
        }

        transport.ensureAvailable();
        final Socket socket = new NativeDatagramSocket(ipv6);
        try
        {
            socket.setReceiveBufferSize(bufferBytes);
            socket.setSendBufferSize(bufferBytes);
            try
            {
                socket.bind(bind);
            }
            catch (final IOException ex)
            {
                throw new BindFailure(relayPort ? "a relay port" : "the relay socket", bind, ex);
            }
            return new RelaySocket(transport, socket, null, socket.localAddress(), relayPort);
        }
        catch (final IOException | RuntimeException ex)
        {
            socket.close();
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
            nativeSocket.close();
        }
    }

    public String toString()
    {
        return (relayPort ? "relay port " : "relay socket ") + BindFailure.hostPort(localAddress);
    }

    /**
     * The main port as {@code count} sockets of one SO_REUSEPORT group, one per pipeline (PROTOCOL.md section 11).
     * One socket is the single main socket of old, without SO_REUSEPORT. Several: the address is first bound once
     * without SO_REUSEPORT, so a port another process holds fails as "in use" rather than joining its group; then
     * {@code count} sockets bind it with SO_REUSEPORT, in order (for port 0, the rest join the first one's port).
     *
     * @param transport   epoll, io_uring or NIO.
     * @param bind        BIND_ADDR.
     * @param count       sockets, one per pipeline.
     * @param bufferBytes SO_RCVBUF and SO_SNDBUF asked for.
     * @return the sockets, pipeline 0's first.
     * @throws BindFailure when the address cannot be bound, saying why for a person.
     * @throws IOException when a socket cannot be made; those made are closed.
     */
    public static List<RelaySocket> openReusePortGroup(
        final Transport transport, final InetSocketAddress bind, final int count, final int bufferBytes)
        throws IOException
    {
        if (count == 1)
        {
            return List.of(open(transport, bind, bufferBytes, false));
        }
        if (bind.getPort() != 0)
        {
            open(transport, bind, bufferBytes, false).close(); // the probe: in use fails here
        }
        final List<RelaySocket> group = new ArrayList<>(count);
        try
        {
            InetSocketAddress address = bind;
            for (int i = 0; i < count; i++)
            {
                final RelaySocket socket = openReusePort(transport, address, bufferBytes);
                group.add(socket);
                address = socket.localAddress();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            for (final RelaySocket socket : group)
            {
                socket.close();
            }
            throw ex;
        }
        return List.copyOf(group);
    }

    private static RelaySocket openReusePort(
        final Transport transport, final InetSocketAddress bind, final int bufferBytes) throws IOException
    {
        final boolean ipv6 = bind.getAddress() instanceof Inet6Address;
        if (transport == Transport.NIO)
        {
            final DatagramChannel channel =
                DatagramChannel.open(ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            try
            {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, bufferBytes);
                channel.setOption(StandardSocketOptions.SO_SNDBUF, bufferBytes);
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                bindOrFail(channel, bind);
                channel.configureBlocking(false);
                return new RelaySocket(transport, null, channel, (InetSocketAddress)channel.getLocalAddress(), false);
            }
            catch (final IOException | RuntimeException ex)
            {
                channel.close();
                throw ex;
            }
        }
        transport.ensureAvailable();
        final Socket socket = new NativeDatagramSocket(ipv6);
        try
        {
            socket.setReceiveBufferSize(bufferBytes);
            socket.setSendBufferSize(bufferBytes);
            socket.setReusePort(true);
            try
            {
                socket.bind(bind);
            }
            catch (final IOException ex)
            {
                throw new BindFailure("the relay socket", bind, ex);
            }
            return new RelaySocket(transport, socket, null, socket.localAddress(), false);
        }
        catch (final IOException | RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
    }

    private static void bindOrFail(final DatagramChannel channel, final InetSocketAddress bind) throws IOException
    {
        try
        {
            channel.bind(bind);
        }
        catch (final IOException ex)
        {
            throw new BindFailure("the relay socket", bind, ex);
        }
    }

    /**
     * A non-blocking, close-on-exec datagram socket made by Netty's native library (loaded by the transport).
     */
    private static final class NativeDatagramSocket extends Socket
    {
        NativeDatagramSocket(final boolean ipv6)
        {
            super(newSocketDgram0(ipv6));
        }
    }
}
