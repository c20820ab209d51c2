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
 * Flyweight over a fixed RTP header (RFC 3550, no CSRC, no extension). A relay routes an RTP datagram by its SSRC
 * and forwards it byte for byte (PROTOCOL.md section 1). All fields are big-endian.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---+-+-+-------+-+-------------+-------------------------------+
 *  |V=2|P|X|  CC   |M|     PT      |        Sequence Number        |
 *  +---+-+-+-------+-+-------------+-------------------------------+
 *  |                           Timestamp                           |
 *  +---------------------------------------------------------------+
 *  |                             SSRC                              |
 *  +---------------------------------------------------------------+
 *  |                            Payload                           ...
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class RtpFlyweight
{
    public static final int FLAGS_OFFSET = 0;
    public static final int PAYLOAD_TYPE_OFFSET = 1;
    public static final int SEQUENCE_OFFSET = 2;
    public static final int TIMESTAMP_OFFSET = 4;
    public static final int SSRC_OFFSET = 8;
    public static final int HEADER_LENGTH = SSRC_OFFSET + Integer.BYTES;

    /** Version 2, no padding, no extension, no CSRC. */
    public static final byte VERSION_2_FLAGS = (byte)0x80;
    /** Dynamic payload type the generator marks its packets with (marker bit clear). */
    public static final byte GENERATOR_PAYLOAD_TYPE = 0x78;

    private ByteBuffer buffer;
    private int offset;

    /**
     * @param buffer a big-endian buffer holding the packet.
     * @param offset where the packet starts.
     * @return this flyweight.
     */
    public RtpFlyweight wrap(final ByteBuffer buffer, final int offset)
    {
        if (buffer.order() != ByteOrder.BIG_ENDIAN)
        {
            throw new IllegalArgumentException("RTP is big-endian: wrap a ByteOrder.BIG_ENDIAN buffer");
        }
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * Write version 2 flags and the given fields.
     *
     * @return this flyweight.
     */
    public RtpFlyweight header(final byte payloadType, final short sequence, final int timestamp, final int ssrc)
    {
        buffer.put(offset + FLAGS_OFFSET, VERSION_2_FLAGS);
        buffer.put(offset + PAYLOAD_TYPE_OFFSET, payloadType);
        buffer.putShort(offset + SEQUENCE_OFFSET, sequence);
        buffer.putInt(offset + TIMESTAMP_OFFSET, timestamp);
        buffer.putInt(offset + SSRC_OFFSET, ssrc);
        return this;
    }

    public byte flags()
    {
        return buffer.get(offset + FLAGS_OFFSET);
    }

    /**
     * @return the second byte whole: marker bit and payload type.
     */
    public byte payloadType()
    {
        return buffer.get(offset + PAYLOAD_TYPE_OFFSET);
    }

    /**
     * @return the sequence number as an unsigned u16.
     */
    public int sequence()
    {
        return buffer.getShort(offset + SEQUENCE_OFFSET) & 0xFFFF;
    }

    /**
     * @return the timestamp as an unsigned u32.
     */
    public long timestamp()
    {
        return buffer.getInt(offset + TIMESTAMP_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @return the SSRC as an unsigned u32: the stream id a relay routes by.
     */
    public long ssrc()
    {
        return buffer.getInt(offset + SSRC_OFFSET) & 0xFFFF_FFFFL;
    }
}
