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

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class PayloadPatternTest
{
    private static final long STREAM_ID = 1000;
    private static final long SEQUENCE = 42;
    private static final long SEND_TIME_NS = 123_456_789L;

    @Test
    void writesHeaderFieldsBigEndian()
    {
        final ByteBuffer buffer = written(32, STREAM_ID, SEQUENCE);

        assertEquals(STREAM_ID, PayloadPattern.streamId(buffer, 0));
        assertEquals(SEQUENCE, PayloadPattern.sequence(buffer, 0));
        assertEquals(SEND_TIME_NS, PayloadPattern.sendTimeNs(buffer, 0));
        assertEquals(0x03, buffer.get(6));
        assertEquals((byte)0xE8, buffer.get(7));
        assertEquals(42, buffer.get(15));
    }

    @Test
    void verifiesWhatItWroteForEveryLengthIncludingPartialWords()
    {
        for (int length = PayloadPattern.HEADER_LENGTH; length <= 120; length++)
        {
            assertTrue(PayloadPattern.verify(written(length, STREAM_ID, SEQUENCE), 0, length), "length " + length);
        }
    }

    @Test
    void verifiesAtAnOffset()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(200);
        PayloadPattern.write(buffer, 20, 160, STREAM_ID, SEQUENCE, SEND_TIME_NS);

        assertTrue(PayloadPattern.verify(buffer, 20, 160));
        assertFalse(PayloadPattern.verify(buffer, 0, 160));
    }

    @Test
    void detectsAnySingleBitFlipOutsideTheSendTime()
    {
        final int length = 61;
        for (int index = 0; index < length; index++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                final ByteBuffer buffer = written(length, STREAM_ID, SEQUENCE);
                buffer.put(index, (byte)(buffer.get(index) ^ (1 << bit)));

                final boolean sendTimeByte = index >= PayloadPattern.SEND_TIME_OFFSET &&
                    index < PayloadPattern.HEADER_LENGTH;
                assertEquals(sendTimeByte, PayloadPattern.verify(buffer, 0, length), "byte " + index + " bit " + bit);
            }
        }
    }

    @Test
    void fillerIsDeterministicAndDependsOnStreamAndSequence()
    {
        final int length = 160;
        assertTrue(Arrays.equals(filler(written(length, 7, 9)), filler(written(length, 7, 9))));
        assertFalse(Arrays.equals(filler(written(length, 7, 9)), filler(written(length, 7, 10))));
        assertFalse(Arrays.equals(filler(written(length, 7, 9)), filler(written(length, 8, 9))));
    }

    @Test
    void keepsTheForbiddenFlagInTheSequence()
    {
        final long forbidden = 5 | PayloadPattern.FORBIDDEN_FLAG;
        final ByteBuffer buffer = written(40, STREAM_ID, forbidden);

        assertTrue(PayloadPattern.verify(buffer, 0, 40));
        assertEquals(forbidden, PayloadPattern.sequence(buffer, 0));
    }

    @Test
    void refusesPayloadsShorterThanTheHeader()
    {
        final ByteBuffer buffer = written(PayloadPattern.HEADER_LENGTH, STREAM_ID, SEQUENCE);

        assertFalse(PayloadPattern.verify(buffer, 0, PayloadPattern.HEADER_LENGTH - 1));
        assertThrows(IllegalArgumentException.class,
            () -> PayloadPattern.write(buffer, 0, PayloadPattern.HEADER_LENGTH - 1, 1, 1, 1));
    }

    private static ByteBuffer written(final int length, final long streamId, final long sequence)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(length);
        PayloadPattern.write(buffer, 0, length, streamId, sequence, SEND_TIME_NS);
        return buffer;
    }

    private static byte[] filler(final ByteBuffer buffer)
    {
        return Arrays.copyOfRange(buffer.array(), PayloadPattern.HEADER_LENGTH, buffer.capacity());
    }
}
