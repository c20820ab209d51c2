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
package io.soundrelay.core.protocol;

import io.soundrelay.protocol.WireLimits;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The tag that authenticates a HOP frame between two nodes: SipHash-2-4 (Aumasson and Bernstein) of every byte of the
 * frame before the tag, keyed with the hand-off's 128-bit key, written after the frame as a big-endian u64.
 * <pre>
 *  +---------------------------+-------------------------+---------------------+
 *  | frame header (20 bytes)   | payload (n bytes)       | tag (8 bytes, u64)  |
 *  +---------------------------+-------------------------+---------------------+
 *  tag = SipHash-2-4(key, header and payload)
 * </pre>
 * Allocation free; the message is read in place, eight bytes at a time (little-endian, as SipHash defines its words).
 * An instance keeps the hash's state in fields: one per thread (the router owns one).
 */
public final class HopTag
{
    /** Bytes the tag adds to a HOP frame. */
    public static final int LENGTH = WireLimits.HOP_TAG_LENGTH;

    private long v0;
    private long v1;
    private long v2;
    private long v3;

    /**
     * Append the tag to a frame.
     *
     * @param buffer holding the frame, with {@link #LENGTH} bytes of room after it.
     * @param offset where the frame starts.
     * @param length the frame's length without the tag.
     * @param k0     the key's first half.
     * @param k1     the key's second half.
     * @return the frame's length with the tag.
     */
    public int sign(final MutableDirectBuffer buffer, final int offset, final int length, final long k0, final long k1)
    {
        buffer.putLong(offset + length, sipHash24(k0, k1, buffer, offset, length), ByteOrder.BIG_ENDIAN);
        return length + LENGTH;
    }

    /**
     * Check the tag at the end of a frame.
     *
     * @param buffer holding the frame and its tag.
     * @param offset where the frame starts.
     * @param length the frame's length with the tag.
     * @param k0     the key's first half.
     * @param k1     the key's second half.
     * @return whether the frame is at least a tag long and its tag is the one the key gives.
     */
    public boolean verify(final DirectBuffer buffer, final int offset, final int length, final long k0, final long k1)
    {
        if (length < LENGTH)
        {
            return false;
        }
        final int body = length - LENGTH;
        return buffer.getLong(offset + body, ByteOrder.BIG_ENDIAN) == sipHash24(k0, k1, buffer, offset, body);
    }

    /**
     * SipHash-2-4 with a 128-bit key given as two little-endian words (k0 from key bytes 0-7, k1 from bytes 8-15).
     *
     * @param k0     key bytes 0-7, little-endian.
     * @param k1     key bytes 8-15, little-endian.
     * @param buffer the message.
     * @param offset where it starts.
     * @param length how long it is.
     * @return the 64-bit hash.
     */
    public long sipHash24(final long k0, final long k1, final DirectBuffer buffer, final int offset, final int length)
    {
        v0 = 0x736f6d6570736575L ^ k0;
        v1 = 0x646f72616e646f6dL ^ k1;
        v2 = 0x6c7967656e657261L ^ k0;
        v3 = 0x7465646279746573L ^ k1;

        final int end = offset + (length & ~7);
        for (int i = offset; i < end; i += 8)
        {
            compress(buffer.getLong(i, ByteOrder.LITTLE_ENDIAN));
        }
        long last = ((long)length & 0xFF) << 56;
        for (int i = 0, left = length & 7; i < left; i++)
        {
            last |= ((long)buffer.getByte(end + i) & 0xFF) << (8 * i);
        }
        compress(last);

        v2 ^= 0xFF;
        rounds(4);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private void compress(final long m)
    {
        v3 ^= m;
        rounds(2);
        v0 ^= m;
    }

    private void rounds(final int n)
    {
        for (int r = 0; r < n; r++)
        {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13);
            v1 ^= v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16);
            v3 ^= v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21);
            v3 ^= v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17);
            v1 ^= v2;
            v2 = Long.rotateLeft(v2, 32);
        }
    }
}
