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

import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.RtpFlyweight;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Tells the three kinds of datagram apart and finds the stream id, in place and without allocating.
 * One instance per owning thread: {@link #decode(DirectBuffer, int, int)} overwrites its fields.
 * <pre>
 *  first byte 0x53 then 0x52   SoundRelay frame  stream id from the header
 *  top two bits 10, length>=12 RTP               SSRC, bytes 8-11 (u32)
 *     second byte 200-204      RTCP              sender SSRC, bytes 4-7 (u32)
 *  anything else               malformed
 * </pre>
 */
public final class DatagramDecoder
{
    public static final int KIND_INVALID = 0;
    public static final int KIND_FRAME = 1;
    public static final int KIND_RTP = 2;
    public static final int KIND_RTCP = 3;

    public static final int RTP_MIN_LENGTH = RtpFlyweight.HEADER_LENGTH;
    public static final int RTP_SSRC_OFFSET = RtpFlyweight.SSRC_OFFSET;
    public static final int RTCP_SSRC_OFFSET = RtpFlyweight.RTCP_SSRC_OFFSET;
    public static final int RTCP_MIN_LENGTH = RtpFlyweight.RTCP_MIN_LENGTH;
    public static final int RTP_SEQUENCE_OFFSET = RtpFlyweight.SEQUENCE_OFFSET;
    public static final int RTP_TIMESTAMP_OFFSET = RtpFlyweight.TIMESTAMP_OFFSET;

    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

    private final int maxDatagramBytes;

    private int kind;
    private ErrorReason error;
    private long streamId;
    private int payloadOffset;
    private int payloadLength;
    private int frameFlags;
    private long sequence;
    private long timestamp;

    /**
     * @param maxDatagramBytes longest datagram accepted; longer ones are {@link ErrorReason#OVERSIZE}.
     */
    public DatagramDecoder(final int maxDatagramBytes)
    {
        this.maxDatagramBytes = maxDatagramBytes;
    }

    /**
     * Decode the datagram at {@code offset}.
     *
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram as received (may exceed what was stored if it was truncated).
     * @return true when it can be routed; otherwise {@link #error()} says why.
     */
    public boolean decode(final DirectBuffer buffer, final int offset, final int length)
    {
        kind = KIND_INVALID;
        streamId = 0;
        payloadOffset = 0;
        payloadLength = 0;
        frameFlags = 0;
        sequence = 0;
        timestamp = 0;
        if (length > maxDatagramBytes)
        {
            error = ErrorReason.OVERSIZE;
            return false;
        }
        error = ErrorReason.MALFORMED;
        if (length < 2)
        {
            return false;
        }

        final int b0 = buffer.getByte(offset) & 0xFF;
        if (b0 == (FrameFlyweight.MAGIC_0 & 0xFF))
        {
            if ((buffer.getByte(offset + 1) & 0xFF) != (FrameFlyweight.MAGIC_1 & 0xFF) ||
                length < FrameFlyweight.HEADER_LENGTH)
            {
                return false;
            }
            if ((buffer.getByte(offset + FrameFlyweight.VERSION_OFFSET) & 0xFF) != FrameFlyweight.VERSION)
            {
                return false;
            }
            final long id = buffer.getLong(offset + FrameFlyweight.STREAM_ID_OFFSET, ORDER);
            if (id == 0)
            {
                return false;
            }
            kind = KIND_FRAME;
            streamId = id;
            frameFlags = buffer.getByte(offset + FrameFlyweight.FLAGS_OFFSET) & 0xFF;
            sequence = buffer.getInt(offset + FrameFlyweight.SEQUENCE_OFFSET, ORDER) & 0xFFFF_FFFFL;
            timestamp = buffer.getInt(offset + FrameFlyweight.TIMESTAMP_OFFSET, ORDER) & 0xFFFF_FFFFL;
            payloadOffset = offset + FrameFlyweight.HEADER_LENGTH;
            payloadLength = length - FrameFlyweight.HEADER_LENGTH;
        }
        else if ((b0 & 0xC0) == 0x80)
        {
            final int b1 = buffer.getByte(offset + 1) & 0xFF;
            if (b1 >= 200 && b1 <= 204)
            {
                if (length < RTCP_MIN_LENGTH)
                {
                    return false;
                }
                kind = KIND_RTCP;
                streamId = buffer.getInt(offset + RTCP_SSRC_OFFSET, ORDER) & 0xFFFF_FFFFL;
            }
            else
            {
                if (length < RTP_MIN_LENGTH)
                {
                    return false;
                }
                kind = KIND_RTP;
                streamId = buffer.getInt(offset + RTP_SSRC_OFFSET, ORDER) & 0xFFFF_FFFFL;
                sequence = buffer.getShort(offset + RTP_SEQUENCE_OFFSET, ORDER) & 0xFFFFL;
                timestamp = buffer.getInt(offset + RTP_TIMESTAMP_OFFSET, ORDER) & 0xFFFF_FFFFL;
            }
            if (streamId == 0)
            {
                return false;
            }
            payloadOffset = offset;
            payloadLength = length;
        }
        else
        {
            return false;
        }
        error = null;
        return true;
    }

    /**
     * @return one of the {@code KIND_*} constants for the last decode.
     */
    public int kind()
    {
        return kind;
    }

    /**
     * @return why the last datagram cannot be routed, or null when it can.
     */
    public ErrorReason error()
    {
        return error;
    }

    public long streamId()
    {
        return streamId;
    }

    /**
     * @return where the bytes after the SoundRelay header start (for RTP: the datagram itself).
     */
    public int payloadOffset()
    {
        return payloadOffset;
    }

    public int payloadLength()
    {
        return payloadLength;
    }

    /**
     * @return the frame's flags byte, 0 for RTP.
     */
    public int frameFlags()
    {
        return frameFlags;
    }

    /**
     * @return the frame's payload kind (flags bits 0-1: 0 opaque, 1 PCM, 2 Opus), 0 for RTP and RTCP.
     */
    public int payloadKind()
    {
        return frameFlags & FrameFlyweight.KIND_MASK;
    }

    /**
     * @return the sequence number: the frame's u32, or the RTP packet's u16; 0 for RTCP.
     */
    public long sequence()
    {
        return sequence;
    }

    /**
     * @return bits in {@link #sequence()}: 32 for a frame, 16 for RTP, 0 for RTCP (no sequence to order by).
     */
    public int sequenceBits()
    {
        return kind == KIND_FRAME ? 32 : kind == KIND_RTP ? 16 : 0;
    }

    /**
     * @return the timestamp: the frame's u32 on the 48 kHz clock, or the RTP packet's u32; 0 for RTCP.
     */
    public long timestamp()
    {
        return timestamp;
    }

    /**
     * @return true when the last datagram is a SoundRelay frame with the HOP bit: forwarded by another relay node.
     */
    public boolean isHop()
    {
        return kind == KIND_FRAME && FrameFlyweight.isHop(frameFlags);
    }

    /**
     * @return true when the last datagram is a SoundRelay frame with both HOP and HOP_RTP set: its payload, at
     * {@link #payloadOffset()}, is a whole RTP or RTCP datagram another relay node received.
     */
    public boolean isHopWrapped()
    {
        return kind == KIND_FRAME && FrameFlyweight.isHopWrapped(frameFlags);
    }

    /**
     * @return true when the last datagram is a SoundRelay frame with an empty payload.
     */
    public boolean isKeepAlive()
    {
        return kind == KIND_FRAME && payloadLength == 0;
    }

    /**
     * Is this an RTP packet (not RTCP) that can be paced by its timestamp? Version 2, at least the fixed header, and a
     * second byte outside RTCP's 200-204 (RFC 5761's rule). For a relay port's bytes, which are never decoded: anything
     * else there (IP discovery, keep-alives, RTCP) leaves at once.
     *
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram.
     * @return whether it is RTP.
     */
    public static boolean isRtp(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < RTP_MIN_LENGTH || (buffer.getByte(offset) & 0xC0) != 0x80)
        {
            return false;
        }
        final int b1 = buffer.getByte(offset + 1) & 0xFF;
        return b1 < 200 || b1 > 204;
    }

    /**
     * @param buffer holding an RTP packet ({@link #isRtp}).
     * @param offset of its first byte.
     * @return its timestamp (u32).
     */
    public static long rtpTimestamp(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + RTP_TIMESTAMP_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    /**
     * @param buffer holding an RTP packet ({@link #isRtp}).
     * @param offset of its first byte.
     * @return its sequence number (u16).
     */
    public static long rtpSequence(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + RTP_SEQUENCE_OFFSET, ORDER) & 0xFFFFL;
    }
}
