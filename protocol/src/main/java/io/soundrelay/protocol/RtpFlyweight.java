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
 * Flyweight over RTP's fixed header (RFC 3550, no CSRC, no extension) and the start of an RTCP packet (RFC 3550
 * section 6.4). A relay routes RTP by its SSRC and RTCP by its sender's SSRC, and forwards both byte for byte
 * (PROTOCOL.md section 1); a Discord voice packet is RTP with payload type {@link #DISCORD_PAYLOAD_TYPE}.
 * <pre>
 *  RTP
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---+-+-+-------+-+-------------+-------------------------------+
 *  |V=2|P|X|  CC   |M|     PT      |        sequence (u16)         |
 *  +---+-+-+-------+-+-------------+-------------------------------+
 *  |                        timestamp (u32)                        |
 *  +---------------------------------------------------------------+
 *  |                          SSRC (u32)                           |
 *  +---------------------------------------------------------------+
 *  |                            payload                           ...
 *
 *  RTCP
 *  +---+-+---------+---------------+-------------------------------+
 *  |V=2|P|   RC    | PT (200-204)  |        length (u16)           |
 *  +---+-+---------+---------------+-------------------------------+
 *  |                     sender's SSRC (u32)                       |
 *  +---------------------------------------------------------------+
 * </pre>
 * All fields big-endian, read and written as such whatever the buffer's own order; unsigned fields come back masked.
 * Indices are absolute: the buffer's position is ignored, its limit bounds every access.
 */
public final class RtpFlyweight
{
    public static final int FLAGS_OFFSET = 0;
    public static final int PAYLOAD_TYPE_OFFSET = FLAGS_OFFSET + Byte.BYTES;
    public static final int SEQUENCE_OFFSET = PAYLOAD_TYPE_OFFSET + Byte.BYTES;
    public static final int TIMESTAMP_OFFSET = SEQUENCE_OFFSET + Short.BYTES;
    public static final int SSRC_OFFSET = TIMESTAMP_OFFSET + Integer.BYTES;
    public static final int HEADER_LENGTH = SSRC_OFFSET + Integer.BYTES;

    /** RTCP: the packet type is where RTP has marker and payload type. */
    public static final int RTCP_PACKET_TYPE_OFFSET = PAYLOAD_TYPE_OFFSET;
    public static final int RTCP_LENGTH_OFFSET = RTCP_PACKET_TYPE_OFFSET + Byte.BYTES;
    public static final int RTCP_SSRC_OFFSET = RTCP_LENGTH_OFFSET + Short.BYTES;
    /** Shortest RTCP packet a relay routes: its header and the sender's SSRC. */
    public static final int RTCP_MIN_LENGTH = RTCP_SSRC_OFFSET + Integer.BYTES;
    /** Lowest RTCP packet type (SR); 201 RR, 202 SDES, 203 BYE. */
    public static final int RTCP_PACKET_TYPE_MIN = 200;
    /** Highest RTCP packet type a relay routes as RTCP (APP). */
    public static final int RTCP_PACKET_TYPE_MAX = 204;

    /** Mask of the version bits in the first byte. */
    public static final int VERSION_MASK = 0xC0;
    public static final int VERSION_SHIFT = 6;
    /** Version 2 in the version bits: what a first byte must carry for a datagram to be RTP or RTCP. */
    public static final int VERSION_2_BITS = 0x80;
    /** The first byte of version 2 with no padding, no extension, no CSRC. */
    public static final byte VERSION_2_FLAGS = (byte)VERSION_2_BITS;
    public static final int MARKER_FLAG = 0x80;
    public static final int PAYLOAD_TYPE_MASK = 0x7F;
    /** The dynamic payload type Discord sends Opus voice with (and the tools' generator marks its packets with). */
    public static final int DISCORD_PAYLOAD_TYPE = 0x78;

    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private ByteBuffer buffer;
    private int offset;

    /**
     * @param firstByte a datagram's first byte.
     * @return true when it carries RTP's version 2: the datagram is RTP or RTCP, when long enough.
     */
    public static boolean isVersion2(final int firstByte)
    {
        return (firstByte & VERSION_MASK) == VERSION_2_BITS;
    }

    /**
     * @param secondByte a version 2 datagram's second byte, unsigned.
     * @return true when it is an RTCP packet type (200-204) rather than RTP's marker and payload type.
     */
    public static boolean isRtcpPacketType(final int secondByte)
    {
        return secondByte >= RTCP_PACKET_TYPE_MIN && secondByte <= RTCP_PACKET_TYPE_MAX;
    }

    /**
     * @param buffer holding an RTP packet of at least {@link #HEADER_LENGTH} bytes.
     * @param offset of its first byte.
     * @return its SSRC as an unsigned u32.
     */
    public static long ssrc(final ByteBuffer buffer, final int offset)
    {
        return (int)INT.get(buffer, offset + SSRC_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram.
     * @return the SSRC of an RTP packet, or the sender's SSRC of an RTCP packet, as an unsigned u32; -1 when the
     * datagram is neither (or too short for its kind).
     */
    public static long streamSsrc(final ByteBuffer buffer, final int offset, final int length)
    {
        if (length < 2 || !isVersion2(buffer.get(offset)))
        {
            return -1;
        }
        if (isRtcpPacketType(buffer.get(offset + RTCP_PACKET_TYPE_OFFSET) & 0xFF))
        {
            return length < RTCP_MIN_LENGTH ? -1 : (int)INT.get(buffer, offset + RTCP_SSRC_OFFSET) & 0xFFFF_FFFFL;
        }
        return length < HEADER_LENGTH ? -1 : (int)INT.get(buffer, offset + SSRC_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param buffer containing the packet, in big-endian order (RTP is big-endian; a buffer in another order would
     *               read it otherwise through its own relative getters).
     * @param offset where the packet starts.
     * @return this for a fluent API.
     * @throws IllegalArgumentException when the buffer is not in big-endian order.
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
     * Write version 2 flags (no padding, extension or CSRC), marker clear, and the given fields.
     *
     * @param payloadType 0 to 127.
     * @param sequence    unsigned 16-bit sequence (higher bits ignored).
     * @param timestamp   unsigned 32-bit timestamp (higher bits ignored).
     * @param ssrc        unsigned 32-bit SSRC (higher bits ignored).
     * @return this for a fluent API.
     */
    public RtpFlyweight header(final int payloadType, final int sequence, final long timestamp, final long ssrc)
    {
        buffer.put(offset + FLAGS_OFFSET, VERSION_2_FLAGS);
        buffer.put(offset + PAYLOAD_TYPE_OFFSET, (byte)(payloadType & PAYLOAD_TYPE_MASK));
        SHORT.set(buffer, offset + SEQUENCE_OFFSET, (short)sequence);
        INT.set(buffer, offset + TIMESTAMP_OFFSET, (int)timestamp);
        INT.set(buffer, offset + SSRC_OFFSET, (int)ssrc);
        return this;
    }

    /**
     * @return the first byte whole: version, padding, extension and CSRC count.
     */
    public byte flags()
    {
        return buffer.get(offset + FLAGS_OFFSET);
    }

    /**
     * @return the version bits, 2 for RTP and RTCP.
     */
    public int version()
    {
        return (buffer.get(offset + FLAGS_OFFSET) & VERSION_MASK) >>> VERSION_SHIFT;
    }

    public boolean marker()
    {
        return (buffer.get(offset + PAYLOAD_TYPE_OFFSET) & MARKER_FLAG) != 0;
    }

    /**
     * @return the payload type, 0 to 127, without the marker bit.
     */
    public int payloadType()
    {
        return buffer.get(offset + PAYLOAD_TYPE_OFFSET) & PAYLOAD_TYPE_MASK;
    }

    /**
     * @return the sequence number as an unsigned u16.
     */
    public int sequence()
    {
        return (short)SHORT.get(buffer, offset + SEQUENCE_OFFSET) & 0xFFFF;
    }

    /**
     * @return the timestamp as an unsigned u32.
     */
    public long timestamp()
    {
        return (int)INT.get(buffer, offset + TIMESTAMP_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @return the SSRC as an unsigned u32: the stream id a relay routes by.
     */
    public long ssrc()
    {
        return (int)INT.get(buffer, offset + SSRC_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @return true when the second byte is an RTCP packet type (200-204): the packet is RTCP, not RTP.
     */
    public boolean isRtcp()
    {
        return isRtcpPacketType(rtcpPacketType());
    }

    /**
     * @return an RTCP packet's type, the second byte unsigned.
     */
    public int rtcpPacketType()
    {
        return buffer.get(offset + RTCP_PACKET_TYPE_OFFSET) & 0xFF;
    }

    /**
     * @return an RTCP packet's sender SSRC as an unsigned u32: the stream id a relay routes RTCP by.
     */
    public long rtcpSenderSsrc()
    {
        return (int)INT.get(buffer, offset + RTCP_SSRC_OFFSET) & 0xFFFF_FFFFL;
    }
}
