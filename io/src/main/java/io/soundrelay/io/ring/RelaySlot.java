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

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One preallocated entry of the receive ring: a fixed off-heap region the datagram is copied into once, and
 * what the receiver knows about it. Parsing and sending read the bytes in place.
 */
public final class RelaySlot
{
    private final UnsafeBuffer buffer;
    private final ByteBuffer byteBuffer;
    private final long address;

    /** Length of the datagram as received; may exceed {@link #capacity()} when it was truncated. */
    public int length;
    /** {@link System#nanoTime()} when the receiver took the datagram. */
    public long receiveNs;
    /** The datagram's source, as the transport reported it; cleared once the slot is processed. */
    public InetSocketAddress sender;

    RelaySlot(final ByteBuffer region)
    {
        this.byteBuffer = region;
        this.buffer = new UnsafeBuffer(region);
        this.address = BufferUtil.address(region);
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
