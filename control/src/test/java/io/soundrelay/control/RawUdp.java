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

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A raw IPv4 socket (root only) that sends UDP datagrams with any source address and port: what an attacker on a
 * network without ingress filtering does, here on loopback. The IP header is written by hand ({@code IPPROTO_RAW}
 * implies {@code IP_HDRINCL}; the kernel fills the header checksum and the total length); the UDP checksum is 0,
 * which IPv4 allows.
 */
final class RawUdp implements AutoCloseable
{
    private static final int AF_INET = 2;
    private static final int SOCK_RAW = 3;
    private static final int IPPROTO_RAW = 255;
    private static final int IPPROTO_UDP = 17;

    /** The few libc calls this needs. */
    public interface LibC extends Library
    {
        int socket(int domain, int type, int protocol);

        long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength);

        int close(int fd);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    private final int fd;

    private RawUdp(final int fd)
    {
        this.fd = fd;
    }

    /**
     * @return a raw socket, or null when this process may not open one (not root, no CAP_NET_RAW).
     */
    static RawUdp openOrNull()
    {
        final int fd = LIBC.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        return fd < 0 ? null : new RawUdp(fd);
    }

    /**
     * Send one UDP datagram that claims to come from {@code from}.
     *
     * @param from    the forged sender, IPv4.
     * @param to      the receiver, IPv4.
     * @param payload the UDP payload.
     */
    void send(final InetSocketAddress from, final InetSocketAddress to, final byte[] payload)
    {
        final byte[] src = ((Inet4Address)from.getAddress()).getAddress();
        final byte[] dst = ((Inet4Address)to.getAddress()).getAddress();
        final ByteBuffer packet = ByteBuffer.allocate(28 + payload.length).order(ByteOrder.BIG_ENDIAN);
        packet.put((byte)0x45).put((byte)0).putShort((short)(28 + payload.length)) // version, IHL, TOS, length
            .putShort((short)0).putShort((short)0x4000) // id (the kernel picks), don't fragment
            .put((byte)64).put((byte)IPPROTO_UDP).putShort((short)0) // TTL, protocol, checksum (the kernel's)
            .put(src).put(dst)
            .putShort((short)from.getPort()).putShort((short)to.getPort())
            .putShort((short)(8 + payload.length)).putShort((short)0) // UDP length, no checksum
            .put(payload);
        final byte[] sockaddr = new byte[16]; // struct sockaddr_in: family in host order, port, address
        sockaddr[0] = (byte)AF_INET;
        sockaddr[2] = (byte)(to.getPort() >>> 8);
        sockaddr[3] = (byte)to.getPort();
        System.arraycopy(dst, 0, sockaddr, 4, 4);
        final long sent = LIBC.sendto(fd, packet.array(), packet.capacity(), 0, sockaddr, sockaddr.length);
        if (sent != packet.capacity())
        {
            throw new IllegalStateException("raw sendto sent " + sent + " of " + packet.capacity() + " bytes (errno " +
                Native.getLastError() + ")");
        }
    }

    @Override
    public void close()
    {
        LIBC.close(fd);
    }
}
