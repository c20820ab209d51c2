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
package io.soundrelay.io.receive;

import io.soundrelay.io.linux.LinuxSocket;
import io.soundrelay.io.linux.Syscalls;
import io.soundrelay.io.socket.RelaySocket;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/**
 * A receiver's private socket that wakes it from a receive blocked on its main socket: it sends the main socket a
 * SoundRelay frame header whose stream id's low 32 bits are the pipeline's index, so the reuseport program steers it
 * to that pipeline's socket. It is bound to the main socket's own IP when that is a specific address, else to
 * loopback (::1, or 127.0.0.1 when there is no IPv6 loopback, for a dual-stack {@code ::} bind), port 0: no one else
 * can send from its address and port, by which the receiver knows a wake datagram. Its memory is never freed (any
 * thread may send while the receiver closes).
 */
final class WakeSocket
{
    /** A SoundRelay frame header, version 1. */
    static final int DATAGRAM_BYTES = 20;

    private static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final VarHandle ARRAY_LONG =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle ARRAY_INT =
        MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());

    final int fd;
    /** The socket's port, as a received sockaddr shows it. */
    final int port;
    /** Its address in IPv6 form (IPv4 mapped) as native-order words: bytes 0..7, 8..11, 12..15. */
    final long high;
    final int mid;
    final int low;
    private final MemorySegment datagram;
    private final MemorySegment target;
    private final int targetBytes;

    private WakeSocket(
        final int fd, final InetSocketAddress source, final MemorySegment datagram, final MemorySegment target,
        final int targetBytes)
    {
        this.fd = fd;
        this.datagram = datagram;
        this.target = target;
        this.targetBytes = targetBytes;
        final byte[] raw = source.getAddress().getAddress();
        final byte[] mapped = new byte[16];
        if (raw.length == 4)
        {
            mapped[10] = (byte)0xFF;
            mapped[11] = (byte)0xFF;
            System.arraycopy(raw, 0, mapped, 12, 4);
        }
        else
        {
            System.arraycopy(raw, 0, mapped, 0, 16);
        }
        this.high = (long)ARRAY_LONG.get(mapped, 0);
        this.mid = (int)ARRAY_INT.get(mapped, 8);
        this.low = (int)ARRAY_INT.get(mapped, 12);
        this.port = source.getPort();
    }

    /**
     * @param mainSocket the main socket to wake.
     * @param pipeline   its pipeline's index.
     * @return the bound wake socket.
     * @throws IOException when no address takes it.
     */
    static WakeSocket open(final RelaySocket mainSocket, final int pipeline) throws IOException
    {
        final InetAddress bound = mainSocket.localAddress().getAddress();
        final InetAddress[] candidates = !bound.isAnyLocalAddress() ? new InetAddress[]{ bound } :
            bound instanceof Inet6Address ?
                new InetAddress[]{ InetAddress.getByName("::1"), InetAddress.getByName("127.0.0.1") } :
                new InetAddress[]{ InetAddress.getByName("127.0.0.1") };
        IOException failure = null;
        for (final InetAddress at : candidates)
        {
            final boolean ipv6 = at instanceof Inet6Address;
            final int fd = LinuxSocket.open(ipv6);
            try
            {
                LinuxSocket.bind(fd, ipv6, new InetSocketAddress(at, 0));
                final Arena arena = Arena.ofAuto();
                final MemorySegment target = arena.allocate(Syscalls.SOCKADDR_IN6_BYTES, 8);
                final int targetBytes = LinuxSocket.writeSockaddr(target, ipv6, at, mainSocket.port());
                final MemorySegment datagram = arena.allocate(DATAGRAM_BYTES, 8);
                datagram.set(ValueLayout.JAVA_BYTE, 0, (byte)0x53);
                datagram.set(ValueLayout.JAVA_BYTE, 1, (byte)0x52);
                datagram.set(ValueLayout.JAVA_BYTE, 2, (byte)1);
                datagram.set(NET_INT, 8, pipeline);
                return new WakeSocket(fd, LinuxSocket.localAddress(fd), datagram, target, targetBytes);
            }
            catch (final IOException ex)
            {
                LinuxSocket.close(fd);
                failure = failure == null ? ex : failure;
            }
        }
        throw failure;
    }

    /**
     * Send the wake datagram; any thread.
     */
    void send()
    {
        Syscalls.sendto(fd, datagram, DATAGRAM_BYTES, Syscalls.MSG_DONTWAIT, target, targetBytes);
    }
}
