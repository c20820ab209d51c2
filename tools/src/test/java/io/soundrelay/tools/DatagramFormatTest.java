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

import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.RtpFlyweight;
import io.soundrelay.tools.GeneratorOptions.Deliver;
import io.soundrelay.tools.GeneratorOptions.Wire;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class DatagramFormatTest
{
    private static final int PAYLOAD_BYTES = 40;
    private static final long STREAM_ID = 0x0102_0304_0506_0708L;
    private static final long SEQUENCE = 5;

    @Test
    void encodesAFrameAsTheProtocolDrawsIt()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(1500);
        final int length = new DatagramFormat(Wire.SR, Deliver.PAYLOAD, PAYLOAD_BYTES)
            .encode(buffer, STREAM_ID, SEQUENCE, 99);

        assertEquals(20 + PAYLOAD_BYTES, length);
        final byte[] header = Arrays.copyOf(buffer.array(), 20);
        assertArrayEquals(new byte[]
        {
            0x53, 0x52, 1, 0,
            1, 2, 3, 4, 5, 6, 7, 8,
            0, 0, 0, 5,
            0, 0, 0x12, (byte)0xC0
        }, header);
        assertTrue(PayloadPattern.verify(buffer, 20, PAYLOAD_BYTES));
        assertEquals(STREAM_ID, PayloadPattern.streamId(buffer, 20));
        assertEquals(99, PayloadPattern.sendTimeNs(buffer, 20));
    }

    @Test
    void frameFlyweightReadsUnsignedFieldsAndValidatesHeader()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(64);
        final FrameFlyweight frame = new FrameFlyweight().wrap(buffer, 0)
            .header(FrameFlyweight.KIND_OPAQUE, -1L, 0xFFFF_FFFE, 0x8000_0000);

        assertEquals(-1L, frame.streamId());
        assertEquals(0xFFFF_FFFEL, frame.sequence());
        assertEquals(0x8000_0000L, frame.timestamp());
        assertTrue(frame.isValidHeader(20));
        assertFalse(frame.isValidHeader(19));
        buffer.put(FrameFlyweight.VERSION_OFFSET, (byte)2);
        assertFalse(frame.isValidHeader(20));
        assertThrows(IllegalArgumentException.class,
            () -> new FrameFlyweight().wrap(ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN), 0));
    }

    @Test
    void payloadDeliveryExpectsThePayloadAlone()
    {
        final DatagramFormat format = new DatagramFormat(Wire.SR, Deliver.PAYLOAD, PAYLOAD_BYTES);
        final ByteBuffer sent = encoded(format, SEQUENCE);

        final ByteBuffer received = slice(sent, 20, 20 + PAYLOAD_BYTES);
        assertTrue(format.verify(received, PAYLOAD_BYTES));
        assertEquals(0, format.receivedPayloadOffset());
        assertFalse(format.verify(sent, 20 + PAYLOAD_BYTES), "the header was not stripped");
        assertFalse(format.verify(received, PAYLOAD_BYTES - 1), "cut short");
    }

    @Test
    void framedDeliveryChecksEveryHeaderField()
    {
        final DatagramFormat format = new DatagramFormat(Wire.SR, Deliver.FRAMED, PAYLOAD_BYTES);
        final int length = 20 + PAYLOAD_BYTES;
        assertTrue(format.verify(encoded(format, SEQUENCE), length));

        for (int index = 0; index < 20; index++)
        {
            final ByteBuffer corrupted = encoded(format, SEQUENCE);
            corrupted.put(index, (byte)(corrupted.get(index) ^ 0x80));
            assertFalse(format.verify(corrupted, length), "header byte " + index);
        }
    }

    @Test
    void aHopFlaggedFrameVerifiesOnlyWhereHopIsAccepted()
    {
        final DatagramFormat strict = new DatagramFormat(Wire.SR, Deliver.FRAMED, PAYLOAD_BYTES);
        final DatagramFormat acceptingHop = strict.acceptingHop();
        final int length = 20 + PAYLOAD_BYTES;
        final ByteBuffer forwarded = encoded(strict, SEQUENCE);
        forwarded.put(FrameFlyweight.FLAGS_OFFSET, (byte)FrameFlyweight.HOP_FLAG);

        assertFalse(strict.verify(forwarded, length), "loadgen's sinks expect the frame as sent");
        assertTrue(acceptingHop.verify(forwarded, length), "a migration's old node forwarded it");
        assertTrue(acceptingHop.verify(encoded(strict, SEQUENCE), length));
        forwarded.put(FrameFlyweight.FLAGS_OFFSET, (byte)(FrameFlyweight.HOP_FLAG | 1));
        assertFalse(acceptingHop.verify(forwarded, length), "HOP alone is accepted, not another kind");
    }

    @Test
    void encodesRtpRoutedBySsrcAndChecksItWhole()
    {
        final DatagramFormat format = new DatagramFormat(Wire.RTP, Deliver.PAYLOAD, PAYLOAD_BYTES);
        final long sequence = 70_000;
        final ByteBuffer buffer = encoded(format, 0xCAFE_BABEL, sequence);

        final RtpFlyweight rtp = new RtpFlyweight().wrap(buffer, 0);
        assertEquals((byte)0x80, rtp.flags());
        assertEquals(0x78, rtp.payloadType());
        assertEquals(70_000 & 0xFFFF, rtp.sequence());
        assertEquals((70_000L * 960) & 0xFFFF_FFFFL, rtp.timestamp());
        assertEquals(0xCAFE_BABEL, rtp.ssrc());
        assertEquals(12, format.receivedPayloadOffset());

        final int length = 12 + PAYLOAD_BYTES;
        assertTrue(format.verify(buffer, length));
        for (int index = 0; index < 12; index++)
        {
            final ByteBuffer corrupted = encoded(format, 0xCAFE_BABEL, sequence);
            corrupted.put(index, (byte)(corrupted.get(index) ^ 0x01));
            assertFalse(format.verify(corrupted, length), "header byte " + index);
        }
    }

    private static ByteBuffer encoded(final DatagramFormat format, final long sequence)
    {
        return encoded(format, STREAM_ID, sequence);
    }

    private static ByteBuffer encoded(final DatagramFormat format, final long streamId, final long sequence)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(1500);
        format.encode(buffer, streamId, sequence, System.nanoTime());
        return buffer;
    }

    private static ByteBuffer slice(final ByteBuffer buffer, final int from, final int to)
    {
        return ByteBuffer.wrap(Arrays.copyOfRange(buffer.array(), from, to));
    }
}
