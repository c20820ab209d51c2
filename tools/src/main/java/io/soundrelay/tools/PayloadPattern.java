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
package io.soundrelay.tools;

import java.nio.ByteBuffer;

/**
 * The bytes the generator puts in every payload, so a receiver can tell which stream and sequence a datagram is,
 * when it was due to be sent, and whether every byte arrived as sent. Big-endian, inside the payload of a frame or
 * RTP packet:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                          Stream Id                            |
 *  |                                                               |
 *  +-+-------------------------------------------------------------+
 *  |F|                        Sequence                             |
 *  |                                                               |
 *  +-+-------------------------------------------------------------+
 *  |                Send Time (System.nanoTime clock)              |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          Filler: a function of stream id and sequence        ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Send Time is the datagram's scheduled send time when the sender is paced, so that a sender running late shows
 * its delay as latency instead of hiding it (no coordinated omission), and the actual send time when it is not.
 * <p>
 * F, the forbidden flag, marks a datagram a relay must never deliver: one sent from a socket that is not the route's
 * source, or for a stream that has no route.
 */
public final class PayloadPattern
{
    public static final int STREAM_ID_OFFSET = 0;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int SEND_TIME_OFFSET = 16;
    public static final int HEADER_LENGTH = SEND_TIME_OFFSET + Long.BYTES;

    /** Top bit of the sequence: this datagram must not reach a receiver. */
    public static final long FORBIDDEN_FLAG = 1L << 63;

    private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;

    private PayloadPattern()
    {
    }

    /**
     * Write the generator header and the filler for (streamId, sequence).
     *
     * @param length payload bytes, at least {@link #HEADER_LENGTH}.
     */
    public static void write(
        final ByteBuffer buffer,
        final int offset,
        final int length,
        final long streamId,
        final long sequence,
        final long sendTimeNs)
    {
        if (length < HEADER_LENGTH)
        {
            throw new IllegalArgumentException("payload of " + length + " bytes is shorter than " + HEADER_LENGTH);
        }
        buffer.putLong(offset + STREAM_ID_OFFSET, streamId);
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence);
        buffer.putLong(offset + SEND_TIME_OFFSET, sendTimeNs);

        final int end = offset + length;
        long state = seed(streamId, sequence);
        int index = offset + HEADER_LENGTH;
        for (; index + Long.BYTES <= end; index += Long.BYTES)
        {
            state += GOLDEN_GAMMA;
            buffer.putLong(index, mix(state));
        }
        if (index < end)
        {
            long word = mix(state + GOLDEN_GAMMA);
            for (; index < end; index++)
            {
                buffer.put(index, (byte)(word >>> 56));
                word <<= 8;
            }
        }
    }

    /**
     * @param length payload bytes received.
     * @return true when the payload is a generator header followed by exactly the filler its stream id and
     * sequence call for. The send time cannot be checked: any value passes.
     */
    public static boolean verify(final ByteBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            return false;
        }

        final int end = offset + length;
        long state = seed(streamId(buffer, offset), sequence(buffer, offset));
        int index = offset + HEADER_LENGTH;
        for (; index + Long.BYTES <= end; index += Long.BYTES)
        {
            state += GOLDEN_GAMMA;
            if (buffer.getLong(index) != mix(state))
            {
                return false;
            }
        }
        if (index < end)
        {
            long word = mix(state + GOLDEN_GAMMA);
            for (; index < end; index++)
            {
                if (buffer.get(index) != (byte)(word >>> 56))
                {
                    return false;
                }
                word <<= 8;
            }
        }
        return true;
    }

    public static long streamId(final ByteBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + STREAM_ID_OFFSET);
    }

    /**
     * @return the sequence, {@link #FORBIDDEN_FLAG} included.
     */
    public static long sequence(final ByteBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + SEQUENCE_OFFSET);
    }

    public static long sendTimeNs(final ByteBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + SEND_TIME_OFFSET);
    }

    private static long seed(final long streamId, final long sequence)
    {
        return mix(streamId ^ mix(sequence + GOLDEN_GAMMA));
    }

    // SplitMix64 finaliser: cheap, and every output bit depends on every input bit.
    private static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
