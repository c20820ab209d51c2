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
import java.nio.ByteOrder;

/**
 * Flyweight over the header of a SoundRelay frame, version 1 (PROTOCOL.md section 1). All fields are big-endian.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+---------------+---------------+
 *  |        Magic 0x53 0x52        |    Version    |     Flags     |
 *  +-------------------------------+---------------+---------------+
 *  |                          Stream Id                            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Sequence                             |
 *  +---------------------------------------------------------------+
 *  |                          Timestamp                            |
 *  +---------------------------------------------------------------+
 *  |                          Payload                             ...
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class FrameFlyweight
{
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int FLAGS_OFFSET = 3;
    public static final int STREAM_ID_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 12;
    public static final int TIMESTAMP_OFFSET = 16;
    public static final int HEADER_LENGTH = TIMESTAMP_OFFSET + Integer.BYTES;

    public static final short MAGIC = 0x5352;
    public static final byte CURRENT_VERSION = 1;
    /** Flags bits 0-1 = 0: opaque payload, forwarded untouched. */
    public static final byte FLAGS_OPAQUE = 0;
    /** Flags bit 7, HOP: another relay node forwarded the frame (a migration's grace window). */
    public static final byte FLAG_HOP = (byte)0x80;

    private ByteBuffer buffer;
    private int offset;

    /**
     * @param buffer a big-endian buffer holding the frame.
     * @param offset where the frame starts.
     * @return this flyweight.
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
     * @param length bytes of the datagram from the wrapped offset.
     * @return true when the datagram is long enough for a header and carries the magic and version 1.
     */
    public boolean isValidHeader(final int length)
    {
        return length >= HEADER_LENGTH && magic() == MAGIC && version() == CURRENT_VERSION;
    }

    /**
     * Write magic, version and the given fields.
     *
     * @return this flyweight.
     */
    public FrameFlyweight header(final byte flags, final long streamId, final int sequence, final int timestamp)
    {
        buffer.putShort(offset + MAGIC_OFFSET, MAGIC);
        buffer.put(offset + VERSION_OFFSET, CURRENT_VERSION);
        buffer.put(offset + FLAGS_OFFSET, flags);
        buffer.putLong(offset + STREAM_ID_OFFSET, streamId);
        buffer.putInt(offset + SEQUENCE_OFFSET, sequence);
        buffer.putInt(offset + TIMESTAMP_OFFSET, timestamp);
        return this;
    }

    public short magic()
    {
        return buffer.getShort(offset + MAGIC_OFFSET);
    }

    public byte version()
    {
        return buffer.get(offset + VERSION_OFFSET);
    }

    public byte flags()
    {
        return buffer.get(offset + FLAGS_OFFSET);
    }

    /**
     * @return the stream id, an unsigned u64 held in a long.
     */
    public long streamId()
    {
        return buffer.getLong(offset + STREAM_ID_OFFSET);
    }

    /**
     * @return the sequence as an unsigned u32.
     */
    public long sequence()
    {
        return buffer.getInt(offset + SEQUENCE_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @return the 48 kHz timestamp as an unsigned u32.
     */
    public long timestamp()
    {
        return buffer.getInt(offset + TIMESTAMP_OFFSET) & 0xFFFF_FFFFL;
    }
}
