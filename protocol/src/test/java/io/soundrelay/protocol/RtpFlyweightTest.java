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

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden vectors from PROTOCOL.md section 1: RTP routed by the SSRC in bytes 8-11, RTCP (second byte 200-204) by the
 * sender's SSRC in bytes 4-7, both unsigned u32.
 */
final class RtpFlyweightTest
{
    /** Discord voice: V=2, PT 0x78, sequence 0xFFFE, timestamp 0x80000000, SSRC 0xCAFEBABE, then payload. */
    private static final byte[] DISCORD_RTP =
    {
        (byte)0x80, 0x78, (byte)0xFF, (byte)0xFE,
        (byte)0x80, 0x00, 0x00, 0x00,
        (byte)0xCA, (byte)0xFE, (byte)0xBA, (byte)0xBE,
        0x11, 0x22,
    };

    /** A receiver report: V=2, RC 1, PT 201, length 7, sender SSRC 0xFEEDF00D. */
    private static final byte[] RTCP_RR =
    {
        (byte)0x81, (byte)201, 0x00, 0x07,
        (byte)0xFE, (byte)0xED, (byte)0xF0, 0x0D,
    };

    @Test
    void headerLayoutIsRfc3550s()
    {
        assertEquals(1, RtpFlyweight.PAYLOAD_TYPE_OFFSET);
        assertEquals(2, RtpFlyweight.SEQUENCE_OFFSET);
        assertEquals(4, RtpFlyweight.TIMESTAMP_OFFSET);
        assertEquals(8, RtpFlyweight.SSRC_OFFSET);
        assertEquals(12, RtpFlyweight.HEADER_LENGTH);
        assertEquals(4, RtpFlyweight.RTCP_SSRC_OFFSET);
        assertEquals(8, RtpFlyweight.RTCP_MIN_LENGTH);
        assertEquals(0x78, RtpFlyweight.DISCORD_PAYLOAD_TYPE);
    }

    @Test
    void encodesDiscordsRtpFieldByField()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(DISCORD_RTP.length);
        new RtpFlyweight().wrap(buffer, 0).header(RtpFlyweight.DISCORD_PAYLOAD_TYPE, 0xFFFE, 0x8000_0000L, 0xCAFE_BABEL);
        buffer.put(12, (byte)0x11).put(13, (byte)0x22);

        assertArrayEquals(DISCORD_RTP, buffer.array());
    }

    @Test
    void decodesRtpUnsigned()
    {
        final RtpFlyweight rtp = new RtpFlyweight().wrap(ByteBuffer.wrap(DISCORD_RTP), 0);

        assertEquals((byte)0x80, rtp.flags());
        assertEquals(2, rtp.version());
        assertFalse(rtp.marker());
        assertEquals(0x78, rtp.payloadType());
        assertEquals(0xFFFE, rtp.sequence());
        assertEquals(0x8000_0000L, rtp.timestamp());
        assertEquals(0xCAFE_BABEL, rtp.ssrc());
        assertFalse(rtp.isRtcp());
        assertEquals(0xCAFE_BABEL, RtpFlyweight.streamSsrc(ByteBuffer.wrap(DISCORD_RTP), 0, DISCORD_RTP.length));
        assertEquals(0xCAFE_BABEL, RtpFlyweight.ssrc(ByteBuffer.wrap(DISCORD_RTP), 0));
    }

    @Test
    void theMarkerBitIsNotPartOfThePayloadType()
    {
        final byte[] marked = DISCORD_RTP.clone();
        marked[1] = (byte)0xF8;
        final RtpFlyweight rtp = new RtpFlyweight().wrap(ByteBuffer.wrap(marked), 0);

        assertTrue(rtp.marker());
        assertEquals(0x78, rtp.payloadType());
    }

    @Test
    void decodesRtcpBySendersSsrc()
    {
        final RtpFlyweight rtcp = new RtpFlyweight().wrap(ByteBuffer.wrap(RTCP_RR), 0);

        assertTrue(rtcp.isRtcp());
        assertEquals(201, rtcp.rtcpPacketType());
        assertEquals(0xFEED_F00DL, rtcp.rtcpSenderSsrc());
        assertEquals(0xFEED_F00DL, RtpFlyweight.streamSsrc(ByteBuffer.wrap(RTCP_RR), 0, RTCP_RR.length));
        for (int type = 0; type < 256; type++)
        {
            assertEquals(type >= 200 && type <= 204, RtpFlyweight.isRtcpPacketType(type), "type " + type);
        }
    }

    @Test
    void onlyVersionTwoLongEnoughIsRtp()
    {
        assertTrue(RtpFlyweight.isVersion2(0x80));
        assertTrue(RtpFlyweight.isVersion2(0xBF));
        assertFalse(RtpFlyweight.isVersion2(0x40));
        assertFalse(RtpFlyweight.isVersion2(0xC0));
        assertFalse(RtpFlyweight.isVersion2(0x53), "a SoundRelay frame's first byte");
        assertEquals(-1, RtpFlyweight.streamSsrc(ByteBuffer.wrap(DISCORD_RTP), 0, 11));
        assertEquals(-1, RtpFlyweight.streamSsrc(ByteBuffer.wrap(RTCP_RR), 0, 7));
        assertEquals(-1, RtpFlyweight.streamSsrc(ByteBuffer.wrap(new byte[]{ 0x53, 0x52, 1, 0 }), 0, 4));
    }
}
