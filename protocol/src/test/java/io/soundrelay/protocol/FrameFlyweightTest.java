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
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden vectors from PROTOCOL.md section 1: a SoundRelay frame, version 1, 20-byte header, all big-endian.
 */
final class FrameFlyweightTest
{
    /** magic "SR", version 1, flags Opus, stream id, sequence, timestamp 48 kHz, then the payload. */
    private static final byte[] OPUS_FRAME =
    {
        0x53, 0x52, 0x01, 0x02,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0x00, 0x00, 0x00, 0x05,
        0x00, 0x00, 0x12, (byte)0xC0,
        (byte)0xAA, (byte)0xBB,
    };

    @Test
    void headerLayoutIsTheContracts()
    {
        assertEquals(0, FrameFlyweight.MAGIC_OFFSET);
        assertEquals(2, FrameFlyweight.VERSION_OFFSET);
        assertEquals(3, FrameFlyweight.FLAGS_OFFSET);
        assertEquals(4, FrameFlyweight.STREAM_ID_OFFSET);
        assertEquals(12, FrameFlyweight.SEQUENCE_OFFSET);
        assertEquals(16, FrameFlyweight.TIMESTAMP_OFFSET);
        assertEquals(20, FrameFlyweight.HEADER_LENGTH);
        assertEquals(0x5352, FrameFlyweight.MAGIC);
        assertEquals('S', FrameFlyweight.MAGIC_0);
        assertEquals('R', FrameFlyweight.MAGIC_1);
    }

    @Test
    void encodesAFrameFieldByFieldAsTheContractDrawsIt()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(OPUS_FRAME.length);
        final int flags = FrameFlyweight.KIND_OPUS;
        new FrameFlyweight().wrap(buffer, 0).header(flags, 0x0102_0304_0506_0708L, 5, 5 * 960);
        buffer.put(20, (byte)0xAA).put(21, (byte)0xBB);

        assertArrayEquals(OPUS_FRAME, buffer.array());
    }

    @Test
    void decodesTheContractsBytes()
    {
        final FrameFlyweight frame = new FrameFlyweight().wrap(ByteBuffer.wrap(OPUS_FRAME), 0);

        assertTrue(frame.isValidHeader(OPUS_FRAME.length));
        assertEquals(FrameFlyweight.MAGIC, frame.magic());
        assertEquals(1, frame.version());
        assertEquals(FrameFlyweight.KIND_OPUS, frame.kind());
        assertFalse(frame.isHop());
        assertEquals(0x0102_0304_0506_0708L, frame.streamId());
        assertEquals(5, frame.sequence());
        assertEquals(4800, frame.timestamp());
    }

    @Test
    void unsignedFieldsComeBackMaskedAtAnyOffset()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(128);
        FrameFlyweight.writeHeader(buffer, 100, FrameFlyweight.HOP_FLAG | FrameFlyweight.KIND_PCM,
            0xFFEE_DDCC_BBAA_9988L, 0xFFFF_FFFEL, 0x8000_03C0L);
        final FrameFlyweight frame = new FrameFlyweight().wrap(buffer, 100);

        assertArrayEquals(new byte[]
        {
            0x53, 0x52, 1, (byte)0x81,
            (byte)0xFF, (byte)0xEE, (byte)0xDD, (byte)0xCC, (byte)0xBB, (byte)0xAA, (byte)0x99, (byte)0x88,
            (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFE,
            (byte)0x80, 0x00, 0x03, (byte)0xC0,
        }, Arrays.copyOfRange(buffer.array(), 100, 120));
        assertEquals(0xFFEE_DDCC_BBAA_9988L, frame.streamId());
        assertEquals(0xFFFF_FFFEL, frame.sequence());
        assertEquals(0x8000_03C0L, frame.timestamp());
        assertEquals(0x81, frame.flags());
    }

    @Test
    void readsBigEndianWhateverADirectBuffersOrder()
    {
        final ByteBuffer direct = ByteBuffer.allocateDirect(40);
        FrameFlyweight.writeHeader(direct.order(ByteOrder.LITTLE_ENDIAN), 0, 0, 0x0102_0304_0506_0708L, 5, 4800);

        direct.order(ByteOrder.BIG_ENDIAN);
        final byte[] header = new byte[20];
        direct.get(0, header);
        assertArrayEquals(Arrays.copyOf(OPUS_FRAME, 20), withFlags(header, 2));
        assertEquals(0x0102_0304_0506_0708L, new FrameFlyweight().wrap(direct, 0).streamId());
    }

    @Test
    void eachFlagBitIsWhereTheContractPutsIt()
    {
        assertEquals(0x03, FrameFlyweight.KIND_MASK);
        assertEquals(0, FrameFlyweight.KIND_OPAQUE);
        assertEquals(1, FrameFlyweight.KIND_PCM);
        assertEquals(2, FrameFlyweight.KIND_OPUS);
        assertEquals(1 << 7, FrameFlyweight.HOP_FLAG);
        assertEquals(1 << 6, FrameFlyweight.HOP_RTP_FLAG);
        assertEquals(1 << 5, FrameFlyweight.HOP_PORT_FLAG);
        assertEquals(1 << 4, FrameFlyweight.HOP_BACK_FLAG);
        assertEquals(0b0000_1100, FrameFlyweight.HOP_COUNT_MASK);
        assertEquals(3, FrameFlyweight.MAX_HOPS);

        assertTrue(FrameFlyweight.isHop(0x80));
        assertFalse(FrameFlyweight.isHop(0x7F));
        assertTrue(FrameFlyweight.isHopWrapped(0xC0));
        assertFalse(FrameFlyweight.isHopWrapped(0x40), "HOP_RTP without HOP is reserved");
        assertFalse(FrameFlyweight.isHopWrapped(0x80));
        assertTrue(FrameFlyweight.isHopPort(0xA0));
        assertTrue(FrameFlyweight.isHopPort(0xB0), "with HOP_BACK: the return direction");
        assertFalse(FrameFlyweight.isHopPort(0x20), "HOP_PORT without HOP");
        assertFalse(FrameFlyweight.isHopPort(0xE0), "HOP_PORT with HOP_RTP");
    }

    @Test
    void hopCountsInBitsTwoAndThreeZeroCountingAsOne()
    {
        assertEquals(1, FrameFlyweight.hopCount(0x80));
        assertEquals(1, FrameFlyweight.hopCount(0x84));
        assertEquals(2, FrameFlyweight.hopCount(0x88));
        assertEquals(3, FrameFlyweight.hopCount(0x8C));
        assertEquals(0x88, FrameFlyweight.withHopCount(0x80, 2));
        assertEquals(0xBE, FrameFlyweight.withHopCount(0xB2, 3), "other bits kept");
        assertEquals(0xB2, FrameFlyweight.withHopCount(0xBE, 0));

        final ByteBuffer buffer = ByteBuffer.allocate(20);
        final FrameFlyweight frame = new FrameFlyweight().wrap(buffer, 0)
            .header(FrameFlyweight.withHopCount(FrameFlyweight.HOP_FLAG | FrameFlyweight.HOP_PORT_FLAG |
            FrameFlyweight.HOP_BACK_FLAG, 2), 7, 0, 0);
        assertEquals((byte)0xB8, buffer.get(3));
        assertTrue(frame.isHop());
        assertTrue(frame.isHopPort());
        assertFalse(frame.isHopWrapped());
        assertEquals(2, frame.hopCount());
    }

    @Test
    void aHopFrameIsOneLongEnoughForItsTag()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(64);
        FrameFlyweight.writeHeader(buffer, 0, FrameFlyweight.HOP_FLAG, 7, 1, 960);
        assertTrue(FrameFlyweight.isHopFrame(buffer, 28));
        assertFalse(FrameFlyweight.isHopFrame(buffer, 27), "no room for the 8-byte tag");

        buffer.put(FrameFlyweight.FLAGS_OFFSET, (byte)0);
        assertFalse(FrameFlyweight.isHopFrame(buffer, 28));
        buffer.put(FrameFlyweight.FLAGS_OFFSET, (byte)FrameFlyweight.HOP_FLAG);
        buffer.put(FrameFlyweight.VERSION_OFFSET, (byte)2);
        assertFalse(FrameFlyweight.isHopFrame(buffer, 28), "another version");
        buffer.put(FrameFlyweight.VERSION_OFFSET, (byte)1);
        buffer.put(1, (byte)'X');
        assertFalse(FrameFlyweight.isHopFrame(buffer, 28), "bad magic");
    }

    @Test
    void aHeaderIsValidWithItsMagicVersionAndLength()
    {
        final ByteBuffer buffer = ByteBuffer.wrap(OPUS_FRAME.clone());
        final FrameFlyweight frame = new FrameFlyweight().wrap(buffer, 0);
        assertTrue(frame.isValidHeader(20));
        assertFalse(frame.isValidHeader(19));
        buffer.put(FrameFlyweight.VERSION_OFFSET, (byte)2);
        assertFalse(frame.isValidHeader(20));
        buffer.put(FrameFlyweight.VERSION_OFFSET, (byte)1).put(0, (byte)0x54);
        assertFalse(frame.isValidHeader(20));
        assertThrows(IllegalArgumentException.class,
            () -> new FrameFlyweight().wrap(ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN), 0));
    }

    @Test
    void limitsFollowTheHeader()
    {
        assertEquals(20, WireLimits.FRAME_HEADER_LENGTH);
        assertEquals(8, WireLimits.HOP_TAG_LENGTH);
        assertEquals(1480, WireLimits.maxFramePayload(WireLimits.DEFAULT_MAX_DATAGRAM_BYTES));
        assertEquals(12, WireLimits.RTP_HEADER_LENGTH);
        assertEquals(8, WireLimits.RTCP_MIN_LENGTH);
        assertEquals(74, WireLimits.IP_DISCOVERY_LENGTH);
        assertEquals(65_507, WireLimits.MAX_MAX_DATAGRAM_BYTES);
    }

    private static byte[] withFlags(final byte[] header, final int flags)
    {
        header[FrameFlyweight.FLAGS_OFFSET] = (byte)flags;
        return header;
    }
}
