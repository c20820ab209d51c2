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
package io.soundrelay.io.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/**
 * A close-on-exec UDP socket's life (non-blocking, or blocking for the main socket whose receiver waits in it)
 * outside the hot path, on {@link Syscalls}: make it, size its buffers, join a reuseport group, bind it, read its
 * address, close it. Errors are {@link IOException}s whose message
 * is the call and the C library's text for errno ({@code "bind(127.0.0.1:4000) failed: Address already in use
 * (errno 98)"}), which {@code BindFailure} turns into words for an operator.
 */
public final class LinuxSocket
{
    private static final ValueLayout.OfShort NET_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private LinuxSocket()
    {
    }

    /**
     * @param ipv6 AF_INET6 (dual stack) rather than AF_INET.
     * @return the new non-blocking socket's descriptor.
     * @throws IOException when the kernel refuses.
     */
    public static int open(final boolean ipv6) throws IOException
    {
        return open(ipv6, false);
    }

    /**
     * @param ipv6     AF_INET6 (dual stack) rather than AF_INET.
     * @param blocking without SOCK_NONBLOCK: every call on it that must not wait then passes MSG_DONTWAIT.
     * @return the new socket's descriptor.
     * @throws IOException when the kernel refuses.
     */
    public static int open(final boolean ipv6, final boolean blocking) throws IOException
    {
        Syscalls.ensureAvailable();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = Syscalls.newErrnoSegment(arena);
            final int fd = Syscalls.socket(errno, ipv6 ? Syscalls.AF_INET6 : Syscalls.AF_INET,
                Syscalls.SOCK_DGRAM | (blocking ? 0 : Syscalls.SOCK_NONBLOCK) | Syscalls.SOCK_CLOEXEC, 0);
            if (fd < 0)
            {
                throw new IOException("socket() failed: " + Syscalls.strerror(Syscalls.errno(errno)));
            }
            return fd;
        }
    }

    /**
     * @param fd    socket.
     * @param level SOL_SOCKET, ...
     * @param name  option.
     * @param value an int value.
     * @throws IOException when the kernel refuses.
     */
    public static void setInt(final int fd, final int level, final int name, final int value) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = Syscalls.newErrnoSegment(arena);
            final MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            if (Syscalls.setsockopt(errno, fd, level, name, v, 4) != 0)
            {
                throw new IOException("setsockopt(" + level + ", " + name + ") failed: " +
                    Syscalls.strerror(Syscalls.errno(errno)));
            }
        }
    }

    /**
     * @param fd      socket.
     * @param ipv6    whether it is AF_INET6.
     * @param address where to bind.
     * @throws IOException naming the C library's reason when the kernel refuses.
     */
    public static void bind(final int fd, final boolean ipv6, final InetSocketAddress address) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = Syscalls.newErrnoSegment(arena);
            final MemorySegment sockaddr = arena.allocate(Syscalls.SOCKADDR_IN6_BYTES, 8);
            final int length = writeSockaddr(sockaddr, ipv6, address.getAddress(), address.getPort());
            if (Syscalls.bind(errno, fd, sockaddr, length) != 0)
            {
                throw new IOException("bind(" + address + ") failed: " + Syscalls.strerror(Syscalls.errno(errno)));
            }
        }
    }

    /**
     * @param fd a bound socket.
     * @return its address, the real port included.
     * @throws IOException when the kernel refuses.
     */
    public static InetSocketAddress localAddress(final int fd) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = Syscalls.newErrnoSegment(arena);
            final MemorySegment sockaddr = arena.allocate(Syscalls.SOCKADDR_IN6_BYTES, 8);
            final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, Syscalls.SOCKADDR_IN6_BYTES);
            if (Syscalls.getsockname(errno, fd, sockaddr, length) != 0)
            {
                throw new IOException("getsockname() failed: " + Syscalls.strerror(Syscalls.errno(errno)));
            }
            return readSockaddr(sockaddr);
        }
    }

    /**
     * @param fd a descriptor; closed once.
     * @throws IOException when the kernel reports an error (the descriptor is gone all the same).
     */
    public static void close(final int fd) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = Syscalls.newErrnoSegment(arena);
            if (Syscalls.close(errno, fd) != 0)
            {
                throw new IOException("close(" + fd + ") failed: " + Syscalls.strerror(Syscalls.errno(errno)));
            }
        }
    }

    /**
     * Write a sockaddr_in (AF_INET socket) or sockaddr_in6 (AF_INET6 socket; an IPv4 address IPv4-mapped).
     *
     * @return its length.
     */
    public static int writeSockaddr(
        final MemorySegment sockaddr, final boolean ipv6, final InetAddress address, final int port)
    {
        sockaddr.fill((byte)0);
        final byte[] raw = address.getAddress();
        if (!ipv6)
        {
            if (!(address instanceof Inet4Address))
            {
                throw new IllegalArgumentException("an IPv6 address on an IPv4 socket: " + address);
            }
            sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short)Syscalls.AF_INET);
            sockaddr.set(NET_SHORT, 2, (short)port);
            MemorySegment.copy(raw, 0, sockaddr, ValueLayout.JAVA_BYTE, 4, 4);
            return Syscalls.SOCKADDR_IN_BYTES;
        }
        sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short)Syscalls.AF_INET6);
        sockaddr.set(NET_SHORT, 2, (short)port);
        if (raw.length == 4)
        {
            sockaddr.set(ValueLayout.JAVA_BYTE, 18, (byte)0xFF);
            sockaddr.set(ValueLayout.JAVA_BYTE, 19, (byte)0xFF);
            MemorySegment.copy(raw, 0, sockaddr, ValueLayout.JAVA_BYTE, 20, 4);
        }
        else
        {
            MemorySegment.copy(raw, 0, sockaddr, ValueLayout.JAVA_BYTE, 8, 16);
            sockaddr.set(ValueLayout.JAVA_INT_UNALIGNED, 24, ((Inet6Address)address).getScopeId());
        }
        return Syscalls.SOCKADDR_IN6_BYTES;
    }

    /**
     * @return the address a sockaddr_in or sockaddr_in6 holds (allocates: not for the hot path).
     */
    static InetSocketAddress readSockaddr(final MemorySegment sockaddr) throws IOException
    {
        final int family = sockaddr.get(ValueLayout.JAVA_SHORT, 0);
        final int port = sockaddr.get(NET_SHORT, 2) & 0xFFFF;
        if (family == Syscalls.AF_INET)
        {
            final byte[] raw = new byte[4];
            MemorySegment.copy(sockaddr, ValueLayout.JAVA_BYTE, 4, raw, 0, 4);
            return new InetSocketAddress(InetAddress.getByAddress(raw), port);
        }
        final byte[] raw = new byte[16];
        MemorySegment.copy(sockaddr, ValueLayout.JAVA_BYTE, 8, raw, 0, 16);
        final int scope = sockaddr.get(ValueLayout.JAVA_INT_UNALIGNED, 24);
        final InetAddress ip = scope == 0 ? InetAddress.getByAddress(raw) : Inet6Address.getByAddress(null, raw, scope);
        return new InetSocketAddress(ip, port);
    }
}
