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

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The 128-bit key of one hand-off: the old node draws it at random, it travels to the new node in the hand-off's
 * announcement through Redis (32 hex digits, {@code hop_key}), and it keys the {@link HopTag} of every HOP frame of
 * that hand-off. Immutable; {@link #toString()} never shows the key.
 */
public final class HopKey
{
    /** Hex digits of a key as it travels. */
    public static final int HEX_LENGTH = 32;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private final long k0;
    private final long k1;

    private HopKey(final long k0, final long k1)
    {
        this.k0 = k0;
        this.k1 = k1;
    }

    /**
     * @return a fresh random key (SecureRandom).
     */
    public static HopKey random()
    {
        final byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return of(bytes);
    }

    /**
     * @param bytes 16 bytes, k0 from bytes 0-7 and k1 from 8-15, each little-endian (SipHash's convention).
     * @return the key.
     */
    public static HopKey of(final byte[] bytes)
    {
        if (bytes.length != 16)
        {
            throw new IllegalArgumentException("a hop key is 16 bytes, not " + bytes.length);
        }
        return new HopKey(littleEndian(bytes, 0), littleEndian(bytes, 8));
    }

    /**
     * @param hex the key as it travels: 32 hex digits.
     * @return the key.
     * @throws IllegalArgumentException when it is not 32 hex digits.
     */
    public static HopKey parse(final String hex)
    {
        if (hex == null || hex.length() != HEX_LENGTH)
        {
            throw new IllegalArgumentException("a hop key is " + HEX_LENGTH + " hex digits");
        }
        return of(HEX.parseHex(hex));
    }

    /**
     * @return the key as it travels: 32 lower-case hex digits of its 16 bytes.
     */
    public String toHex()
    {
        final byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)(k0 >>> (8 * i));
            bytes[8 + i] = (byte)(k1 >>> (8 * i));
        }
        return HEX.formatHex(bytes);
    }

    /**
     * @return key bytes 0-7 as SipHash's k0.
     */
    public long k0()
    {
        return k0;
    }

    /**
     * @return key bytes 8-15 as SipHash's k1.
     */
    public long k1()
    {
        return k1;
    }

    private static long littleEndian(final byte[] b, final int from)
    {
        long v = 0;
        for (int i = 7; i >= 0; i--)
        {
            v = (v << 8) | (b[from + i] & 0xFF);
        }
        return v;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof HopKey && ((HopKey)o).k0 == k0 && ((HopKey)o).k1 == k1;
    }

    @Override
    public int hashCode()
    {
        return Long.hashCode(k0 * 31 + k1);
    }

    @Override
    public String toString()
    {
        return "HopKey[<redacted>]";
    }
}
