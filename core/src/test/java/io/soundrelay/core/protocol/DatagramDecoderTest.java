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
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatagramDecoderTest
{
    private final DatagramDecoder decoder = new DatagramDecoder(1500);
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));

    @Test
    void readsEveryHeaderFieldBigEndianAndUnsigned()
    {
        // Hand-written bytes, not the writer, so the layout itself is checked.
        final byte[] frame = {
            0x53, 0x52, 0x01, (byte)0x82,
            (byte)0xFF, (byte)0xEE, (byte)0xDD, (byte)0xCC, (byte)0xBB, (byte)0xAA, (byte)0x99, (byte)0x88,
            (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFE,
            (byte)0x80, 0x00, 0x03, (byte)0xC0,
            1, 2, 3 };
        buffer.putBytes(100, frame);
        assertTrue(decoder.decode(buffer, 100, frame.length));
        assertNull(decoder.error());
        assertEquals(DatagramDecoder.KIND_FRAME, decoder.kind());
        assertEquals(0xFFEEDDCCBBAA9988L, decoder.streamId());
        assertEquals(120, decoder.payloadOffset());
        assertEquals(3, decoder.payloadLength());
        assertEquals(0x82, decoder.frameFlags());
        assertFalse(decoder.isKeepAlive());

        final FrameFlyweight flyweight = new FrameFlyweight().wrap(buffer.byteBuffer(), 100);
        assertEquals(1, flyweight.version());
        assertEquals(FrameFlyweight.KIND_OPUS, flyweight.kind());
        assertTrue(flyweight.isHop());
        assertEquals(0xFFEEDDCCBBAA9988L, flyweight.streamId());
        assertEquals(0xFFFF_FFFEL, flyweight.sequence());
        assertEquals(0x8000_03C0L, flyweight.timestamp());
    }

    @Test
    void writerAndReaderAgree()
    {
        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, FrameFlyweight.KIND_PCM, -1L, 0xFFFF_FFFFL, 960);
        final FrameFlyweight f = new FrameFlyweight().wrap(buffer.byteBuffer(), 0);
        assertEquals(-1L, f.streamId());
        assertEquals(0xFFFF_FFFFL, f.sequence());
        assertEquals(960, f.timestamp());
        assertEquals(FrameFlyweight.KIND_PCM, f.kind());
        assertFalse(f.isHop());
    }

    @Test
    void tellsHopFramesAndWrappedRtpApart()
    {
        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, FrameFlyweight.KIND_PCM, 5, 1, 960);
        assertTrue(decoder.decode(buffer, 0, 40));
        assertFalse(decoder.isHop());
        assertFalse(decoder.isHopWrapped());

        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, FrameFlyweight.HOP_FLAG | FrameFlyweight.KIND_PCM, 5, 1, 960);
        assertTrue(decoder.decode(buffer, 0, 40));
        assertTrue(decoder.isHop());
        assertFalse(decoder.isHopWrapped());
        assertEquals(FrameFlyweight.KIND_PCM, decoder.payloadKind());

        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, FrameFlyweight.HOP_RTP_FLAG, 5, 1, 960);
        assertTrue(decoder.decode(buffer, 0, 40));
        assertFalse(decoder.isHop(), "HOP_RTP alone is a reserved bit, ignored");
        assertFalse(decoder.isHopWrapped());

        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, FrameFlyweight.HOP_WRAPPED_FLAGS, 5, 1, 960);
        assertTrue(decoder.decode(buffer, 0, 40));
        assertTrue(decoder.isHop());
        assertTrue(decoder.isHopWrapped());
        assertTrue(new FrameFlyweight().wrap(buffer.byteBuffer(), 0).isHopWrapped());

        buffer.putByte(0, (byte)0x80); // RTP: no flags at all
        buffer.putByte(1, (byte)0x78);
        buffer.putInt(8, 5);
        assertTrue(decoder.decode(buffer, 0, 40));
        assertFalse(decoder.isHop());
        assertFalse(decoder.isHopWrapped());
    }

    @Test
    void emptyPayloadIsAKeepAlive()
    {
        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, 0, 5, 1, 960);
        assertTrue(decoder.decode(buffer, 0, FrameFlyweight.HEADER_LENGTH));
        assertTrue(decoder.isKeepAlive());
        assertEquals(0, decoder.payloadLength());
    }

    @Test
    void malformedShapesAreRefusedWithAReason()
    {
        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, 0, 5, 1, 960);
        assertMalformed(0);
        assertMalformed(1);
        assertMalformed(FrameFlyweight.HEADER_LENGTH - 1); // short frame

        buffer.putByte(1, (byte)0x53); // bad magic
        assertMalformed(40);
        buffer.putByte(1, FrameFlyweight.MAGIC_1);

        buffer.putByte(2, (byte)2); // bad version
        assertMalformed(40);
        buffer.putByte(2, (byte)0);
        assertMalformed(40);
        buffer.putByte(2, (byte)1);

        buffer.putLong(4, 0); // stream id 0 is never valid
        assertMalformed(40);

        buffer.putByte(0, (byte)0x41); // neither 'S' nor RTP version 2
        assertMalformed(40);
        buffer.putByte(0, (byte)0xC0); // top bits 11
        assertMalformed(40);
    }

    @Test
    void oversizeIsItsOwnReason()
    {
        FrameFlyweight.writeHeader(buffer.byteBuffer(), 0, 0, 5, 1, 960);
        assertTrue(decoder.decode(buffer, 0, 1500));
        assertFalse(decoder.decode(buffer, 0, 1501));
        assertEquals(ErrorReason.OVERSIZE, decoder.error());
    }

    @Test
    void rtpIsRoutedBySsrcAndKeptWhole()
    {
        final byte[] rtp = new byte[12 + 20];
        rtp[0] = (byte)0x80;
        rtp[1] = 0x78;
        ByteBuffer.wrap(rtp).putInt(8, 0xCAFEBABE);
        buffer.putBytes(0, rtp);
        assertTrue(decoder.decode(buffer, 0, rtp.length));
        assertEquals(DatagramDecoder.KIND_RTP, decoder.kind());
        assertEquals(0xCAFEBABEL, decoder.streamId());
        assertEquals(0, decoder.payloadOffset());
        assertEquals(rtp.length, decoder.payloadLength());

        assertMalformed(11); // shorter than an RTP header
        buffer.putInt(8, 0);
        assertMalformed(rtp.length); // SSRC 0 has no route
    }

    @Test
    void rtcpIsRoutedBySenderSsrc()
    {
        for (int type = 200; type <= 204; type++)
        {
            final byte[] rtcp = new byte[8];
            rtcp[0] = (byte)0x81;
            rtcp[1] = (byte)type;
            ByteBuffer.wrap(rtcp).putInt(4, 0x01020304);
            buffer.putBytes(0, rtcp);
            assertTrue(decoder.decode(buffer, 0, rtcp.length));
            assertEquals(DatagramDecoder.KIND_RTCP, decoder.kind());
            assertEquals(0x01020304L, decoder.streamId());
            assertMalformed(7);
        }
    }

    private void assertMalformed(final int length)
    {
        assertFalse(decoder.decode(buffer, 0, length), "length " + length);
        assertEquals(ErrorReason.MALFORMED, decoder.error());
    }
}
