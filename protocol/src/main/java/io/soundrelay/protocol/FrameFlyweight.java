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
package io.soundrelay.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Flyweight over a SoundRelay frame, version 1 (PROTOCOL.md section 1), read and written in place.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   magic 'S'   |   magic 'R'   |    version    |H|W|P|B|hop|kind|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        stream_id (u64)                        |
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        sequence (u32)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  timestamp (u32, 48 kHz clock)                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        payload ...                            |
 * </pre>
 * All fields big-endian, read and written as such whatever the buffer's own order; unsigned fields come back masked.
 * {@code H} is the HOP flag (bit 7); {@code W} (bit 6, {@link #HOP_RTP_FLAG}) says, only together with {@code H}, that
 * the payload is a whole RTP or RTCP datagram; {@code P} (bit 5, {@link #HOP_PORT_FLAG}) and {@code B} (bit 4,
 * {@link #HOP_BACK_FLAG}), only with {@code H}, carry a datagram of a relay port's either direction; hop is the hop
 * count (bits 2-3, only with {@code H}); kind is bits 0-1 of the flags byte. Indices are absolute: the buffer's
 * position is ignored, its limit bounds every access.
 */
public final class FrameFlyweight
{
    public static final byte MAGIC_0 = 0x53;
    public static final byte MAGIC_1 = 0x52;
    /** Both magic bytes as the big-endian u16 they form: "SR". */
    public static final short MAGIC = (short)(((MAGIC_0 & 0xFF) << 8) | (MAGIC_1 & 0xFF));
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + Short.BYTES;
    public static final int FLAGS_OFFSET = VERSION_OFFSET + Byte.BYTES;
    public static final int STREAM_ID_OFFSET = FLAGS_OFFSET + Byte.BYTES;
    public static final int SEQUENCE_OFFSET = STREAM_ID_OFFSET + Long.BYTES;
    public static final int TIMESTAMP_OFFSET = SEQUENCE_OFFSET + Integer.BYTES;
    public static final int HEADER_LENGTH = TIMESTAMP_OFFSET + Integer.BYTES;

    public static final int KIND_MASK = 0x03;
    /** Opaque bytes, forwarded untouched (e.g. an encrypted Discord RTP packet). */
    public static final int KIND_OPAQUE = 0;
    /** PCM s16le, 48 kHz, stereo interleaved. */
    public static final int KIND_PCM = 1;
    public static final int KIND_OPUS = 2;
    /** The frame was forwarded by another relay node (PROTOCOL.md section 7). */
    public static final int HOP_FLAG = 0x80;
    /**
     * Only meaningful together with {@link #HOP_FLAG}: the payload is a whole RTP or RTCP datagram exactly as the old
     * node received it. The old node wraps RTP in a frame because RTP has no room for a flag of its own. Without
     * {@link #HOP_FLAG} this bit is reserved and ignored.
     */
    public static final int HOP_RTP_FLAG = 0x40;
    /** Both hop bits: a frame that carries a peer-wrapped RTP or RTCP datagram. */
    public static final int HOP_WRAPPED_FLAGS = HOP_FLAG | HOP_RTP_FLAG;
    /**
     * Only with {@link #HOP_FLAG} (and without {@link #HOP_RTP_FLAG}): the payload is a datagram that reached the old
     * node's relay port for this route (PROTOCOL.md section 9), any bytes at all; the new node sends it on from its own
     * relay port for the route, byte for byte: to the targets, or with {@link #HOP_BACK_FLAG} to the source.
     */
    public static final int HOP_PORT_FLAG = 0x20;
    /** Only with {@link #HOP_PORT_FLAG}: the datagram came from a target, and goes back to the route's source. */
    public static final int HOP_BACK_FLAG = 0x10;
    /**
     * Bits 2-3, only with {@link #HOP_FLAG}: how many nodes have forwarded the frame, 1 to {@link #MAX_HOPS} (0, from
     * a node before hop counts, counts as 1). A node forwards a HOP frame on to yet another node only while the count
     * stays within {@link #MAX_HOPS}, so a cycle of hand-offs cannot carry a datagram round for ever.
     */
    public static final int HOP_COUNT_MASK = 0x0C;
    public static final int HOP_COUNT_SHIFT = 2;
    /** Most nodes a HOP frame passes: a stream migrated again within the grace window of its last migration. */
    public static final int MAX_HOPS = WireLimits.MAX_HOPS;

    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private ByteBuffer buffer;
    private int offset;

    /**
     * @param flags the flags byte of a HOP frame.
     * @return how many nodes have forwarded it, at least 1.
     */
    public static int hopCount(final int flags)
    {
        return Math.max(1, (flags & HOP_COUNT_MASK) >>> HOP_COUNT_SHIFT);
    }

    /**
     * @param flags    a flags byte.
     * @param hopCount 1 to {@link #MAX_HOPS}.
     * @return the flags with that hop count.
     */
    public static int withHopCount(final int flags, final int hopCount)
    {
        return (flags & ~HOP_COUNT_MASK) | ((hopCount << HOP_COUNT_SHIFT) & HOP_COUNT_MASK);
    }

    /**
     * @param flags a frame's flags byte.
     * @return true when the HOP bit is set.
     */
    public static boolean isHop(final int flags)
    {
        return (flags & HOP_FLAG) != 0;
    }

    /**
     * @param flags a frame's flags byte.
     * @return true when both HOP and HOP_RTP are set.
     */
    public static boolean isHopWrapped(final int flags)
    {
        return (flags & HOP_WRAPPED_FLAGS) == HOP_WRAPPED_FLAGS;
    }

    /**
     * @param flags a flags byte.
     * @return true for a HOP frame that carries a relay port's datagram ({@link #HOP_PORT_FLAG} with HOP, without
     * HOP_RTP).
     */
    public static boolean isHopPort(final int flags)
    {
        return (flags & (HOP_FLAG | HOP_RTP_FLAG | HOP_PORT_FLAG)) == (HOP_FLAG | HOP_PORT_FLAG);
    }

    /**
     * Is this datagram a HOP frame, which between nodes carries a tag of {@link WireLimits#HOP_TAG_LENGTH} bytes after
     * it (PROTOCOL.md section 7)? Reads the magic, the version and the flags only; allocation free.
     *
     * @param buffer holding the datagram at index 0.
     * @param length its length, the tag included.
     * @return true for a version 1 frame with the HOP bit that is long enough for a header and a tag.
     */
    public static boolean isHopFrame(final ByteBuffer buffer, final int length)
    {
        return length >= HEADER_LENGTH + WireLimits.HOP_TAG_LENGTH && buffer.get(MAGIC_OFFSET) == MAGIC_0 &&
            buffer.get(MAGIC_OFFSET + 1) == MAGIC_1 && buffer.get(VERSION_OFFSET) == VERSION &&
            (buffer.get(FLAGS_OFFSET) & HOP_FLAG) != 0;
    }

    /**
     * Write a whole header: magic, version and the given fields.
     *
     * @param buffer    to write into.
     * @param offset    at which the frame starts.
     * @param flags     flags byte.
     * @param streamId  unsigned stream id.
     * @param sequence  unsigned 32-bit sequence (higher bits ignored).
     * @param timestamp unsigned 32-bit timestamp (higher bits ignored).
     */
    public static void writeHeader(
        final ByteBuffer buffer,
        final int offset,
        final int flags,
        final long streamId,
        final long sequence,
        final long timestamp)
    {
        SHORT.set(buffer, offset + MAGIC_OFFSET, MAGIC);
        buffer.put(offset + VERSION_OFFSET, (byte)VERSION);
        buffer.put(offset + FLAGS_OFFSET, (byte)flags);
        LONG.set(buffer, offset + STREAM_ID_OFFSET, streamId);
        INT.set(buffer, offset + SEQUENCE_OFFSET, (int)sequence);
        INT.set(buffer, offset + TIMESTAMP_OFFSET, (int)timestamp);
    }

    /**
     * @param buffer containing a frame, in big-endian order: the frame is big-endian, and a buffer in another order
     *               would read it otherwise through its own relative getters.
     * @param offset at which the frame starts.
     * @return this for a fluent API.
     * @throws IllegalArgumentException when the buffer is not in big-endian order.
     */
    public FrameFlyweight wrap(final ByteBuffer buffer, final int offset)
    {
        if (buffer.order() != ByteOrder.BIG_ENDIAN)
        {
            throw new IllegalArgumentException("frames are big-endian: wrap a ByteOrder.BIG_ENDIAN buffer");
        }
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * @return the wrapped buffer.
     */
    public ByteBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return where the frame starts in the wrapped buffer.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * @param length bytes of the datagram from the wrapped offset.
     * @return true when the datagram is long enough for a header and carries the magic and version 1.
     */
    public boolean isValidHeader(final int length)
    {
        return length >= HEADER_LENGTH && magic() == MAGIC && version() == VERSION;
    }

    /**
     * Write magic, version and the given fields at the wrapped offset.
     *
     * @param flags     flags byte.
     * @param streamId  unsigned stream id.
     * @param sequence  unsigned 32-bit sequence.
     * @param timestamp unsigned 32-bit timestamp.
     * @return this for a fluent API.
     */
    public FrameFlyweight header(final int flags, final long streamId, final long sequence, final long timestamp)
    {
        writeHeader(buffer, offset, flags, streamId, sequence, timestamp);
        return this;
    }

    /**
     * @return both magic bytes as a big-endian u16, {@link #MAGIC} in a frame.
     */
    public short magic()
    {
        return (short)SHORT.get(buffer, offset + MAGIC_OFFSET);
    }

    public int version()
    {
        return buffer.get(offset + VERSION_OFFSET) & 0xFF;
    }

    /**
     * @return the flags byte, unsigned.
     */
    public int flags()
    {
        return buffer.get(offset + FLAGS_OFFSET) & 0xFF;
    }

    /**
     * @param flags the flags byte to write.
     * @return this for a fluent API.
     */
    public FrameFlyweight flags(final int flags)
    {
        buffer.put(offset + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    /**
     * @return the payload kind: {@link #KIND_OPAQUE}, {@link #KIND_PCM} or {@link #KIND_OPUS}.
     */
    public int kind()
    {
        return flags() & KIND_MASK;
    }

    public boolean isHop()
    {
        return isHop(flags());
    }

    /**
     * @return true when both {@link #HOP_FLAG} and {@link #HOP_RTP_FLAG} are set: the payload is a wrapped RTP or
     * RTCP datagram.
     */
    public boolean isHopWrapped()
    {
        return isHopWrapped(flags());
    }

    /**
     * @return true for a HOP frame carrying a relay port's datagram.
     */
    public boolean isHopPort()
    {
        return isHopPort(flags());
    }

    /**
     * @return the hop count of a HOP frame, at least 1.
     */
    public int hopCount()
    {
        return hopCount(flags());
    }

    /**
     * @return the stream id, an unsigned u64 held in a long.
     */
    public long streamId()
    {
        return (long)LONG.get(buffer, offset + STREAM_ID_OFFSET);
    }

    /**
     * @return the sequence as an unsigned u32.
     */
    public long sequence()
    {
        return (int)INT.get(buffer, offset + SEQUENCE_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @return the 48 kHz timestamp as an unsigned u32.
     */
    public long timestamp()
    {
        return (int)INT.get(buffer, offset + TIMESTAMP_OFFSET) & 0xFFFF_FFFFL;
    }
}
