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

import com.google.common.hash.Hashing;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HOP frame's tag: SipHash-2-4 as its authors define it, checked against their published vectors and against
 * Guava's implementation, and the sign/verify pair every HOP frame goes through.
 */
class HopTagTest
{
    /** Key 00 01 02 ... 0f, as in the SipHash paper's test vectors. */
    private static final HopKey PAPER_KEY = HopKey.of(sequence(16));

    @Test
    void matchesThePapersVectors()
    {
        final HopTag tag = new HopTag();
        // SipHash-2-4 of the messages 00, 00 01, ... (the paper's appendix and the reference vectors.h).
        assertEquals(0x726fdb47dd0e0e31L, hash(tag, PAPER_KEY, sequence(0)));
        assertEquals(0x74f839c593dc67fdL, hash(tag, PAPER_KEY, sequence(1)));
        assertEquals(0xa129ca6149be45e5L, hash(tag, PAPER_KEY, sequence(15)));
    }

    @Test
    void matchesGuavaForEveryLengthAndManyKeys()
    {
        final HopTag tag = new HopTag();
        final Random random = new Random(29);
        for (int length = 0; length < 200; length++)
        {
            final byte[] key = new byte[16];
            random.nextBytes(key);
            final byte[] message = new byte[length];
            random.nextBytes(message);
            final HopKey hopKey = HopKey.of(key);
            final long expected = Hashing.sipHash24(hopKey.k0(), hopKey.k1()).hashBytes(message).asLong();
            assertEquals(expected, hash(tag, hopKey, message), "length " + length);
        }
    }

    @Test
    void signsAfterTheFrameAndVerifiesOnlyTheSameBytesUnderTheSameKey()
    {
        final HopTag tag = new HopTag();
        final HopKey key = HopKey.random();
        final byte[] bytes = new byte[64];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int i = 0; i < 40; i++)
        {
            bytes[i] = (byte)i;
        }
        assertEquals(48, tag.sign(buffer, 0, 40, key.k0(), key.k1()));
        assertTrue(tag.verify(buffer, 0, 48, key.k0(), key.k1()));

        final HopKey other = HopKey.random();
        assertFalse(tag.verify(buffer, 0, 48, other.k0(), other.k1()), "another key");
        assertFalse(tag.verify(buffer, 0, 47, key.k0(), key.k1()), "one byte less");
        assertFalse(tag.verify(buffer, 0, 4, key.k0(), key.k1()), "shorter than a tag");
        for (int i = 0; i < 48; i++)
        {
            bytes[i] ^= 0x20;
            assertFalse(tag.verify(buffer, 0, 48, key.k0(), key.k1()), "byte " + i + " changed");
            bytes[i] ^= 0x20;
        }
        assertTrue(tag.verify(buffer, 0, 48, key.k0(), key.k1()));
    }

    @Test
    void aKeyTravelsAsHexAndNeverShowsItself()
    {
        final HopKey key = HopKey.random();
        assertEquals(HopKey.HEX_LENGTH, key.toHex().length());
        assertEquals(key, HopKey.parse(key.toHex()));
        assertEquals("000102030405060708090a0b0c0d0e0f", PAPER_KEY.toHex());
        assertEquals(0x0706050403020100L, PAPER_KEY.k0());
        assertNotEquals(key, HopKey.random(), "random keys differ");
        assertFalse(key.toString().contains(key.toHex()));
        assertThrows(IllegalArgumentException.class, () -> HopKey.parse("00"));
        assertThrows(IllegalArgumentException.class, () -> HopKey.parse("zz0102030405060708090a0b0c0d0e0f"));
        assertThrows(IllegalArgumentException.class, () -> HopKey.parse(null));
    }

    private static long hash(final HopTag tag, final HopKey key, final byte[] message)
    {
        return tag.sipHash24(key.k0(), key.k1(), new UnsafeBuffer(message), 0, message.length);
    }

    private static byte[] sequence(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)i;
        }
        return bytes;
    }
}
