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
package io.soundrelay.io.ring;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.io.socket.RelaySocket;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One preallocated entry of the receive ring: a fixed off-heap region the datagram is copied into once, and
 * what the receiver knows about it. Parsing and sending read the bytes in place.
 */
public final class RelaySlot
{
    private final UnsafeBuffer buffer;
    private final ByteBuffer byteBuffer;
    /** The same region for the protocol module's flyweights: no send or receive ever moves its position or limit. */
    private final ByteBuffer wire;
    private final long address;

    /** Length of the datagram as received; may exceed {@link #capacity()} when it was truncated. */
    public int length;
    /** {@link System#nanoTime()} when the receiver took the datagram. */
    public long receiveNs;
    /** The datagram's source address, 16 bytes in IPv6 form (IPv4 mapped), as the transport reported it. */
    public final byte[] senderAddress = new byte[16];
    /** The datagram's source port. */
    public int senderPort;
    /** The socket it came in on: the main relay socket or a route's relay port (null in a slot the router made). */
    public RelaySocket socket;

    RelaySlot(final ByteBuffer region)
    {
        this.byteBuffer = region;
        this.wire = region.duplicate().clear();
        this.buffer = new UnsafeBuffer(region);
        this.address = BufferUtil.address(region);
    }

    /**
     * Record the datagram's source from a resolved address (the Netty and test paths; allocates nothing).
     *
     * @param sender the source, or null for none (then no route's source check passes).
     */
    public void sender(final InetSocketAddress sender)
    {
        if (sender == null)
        {
            Arrays.fill(senderAddress, (byte)0);
            senderPort = -1;
            return;
        }
        final byte[] raw = sender.getAddress().getAddress();
        Endpoint.toIpv6Mapped(raw, 0, raw.length, senderAddress);
        senderPort = sender.getPort();
    }

    /**
     * Make this slot a copy of another: its bytes (as many as it holds), length, receive time, sender and socket.
     * For a stage that holds a datagram past its ring slot (the jitter buffer, pacing).
     *
     * @param from the datagram to copy; its stored bytes must fit this slot.
     * @throws IllegalArgumentException when they do not.
     */
    public void copyFrom(final RelaySlot from)
    {
        final int stored = from.storedLength();
        if (stored > capacity())
        {
            throw new IllegalArgumentException("datagram of " + stored + " bytes exceeds a slot of " + capacity());
        }
        buffer.putBytes(0, from.buffer, 0, stored);
        length = from.length;
        receiveNs = from.receiveNs;
        System.arraycopy(from.senderAddress, 0, senderAddress, 0, 16);
        senderPort = from.senderPort;
        socket = from.socket;
    }

    /**
     * @return the source as a socket address, for logs and tests only: it allocates.
     */
    public InetSocketAddress senderSocketAddress()
    {
        try
        {
            return new InetSocketAddress(InetAddress.getByAddress(senderAddress), senderPort);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return the slot's bytes for in-place reads.
     */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return the slot's region as a direct {@link ByteBuffer}, for the owning thread's copy or send: callers set
     * position and limit before use.
     */
    public ByteBuffer byteBuffer()
    {
        return byteBuffer;
    }

    /**
     * @return the slot's whole region for the protocol module's flyweights and helpers (which read and write at
     * absolute offsets within the limit): a view of its own, so a send or receive that set the position and limit
     * of {@link #byteBuffer()} never narrows what they may reach.
     */
    public ByteBuffer wire()
    {
        return wire;
    }

    /**
     * @return native address of the slot's first byte.
     */
    public long address()
    {
        return address;
    }

    public int capacity()
    {
        return byteBuffer.capacity();
    }

    /**
     * @return how many bytes of the datagram the slot holds.
     */
    public int storedLength()
    {
        return Math.min(length, byteBuffer.capacity());
    }
}
