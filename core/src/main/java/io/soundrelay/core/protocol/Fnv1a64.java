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

import java.nio.charset.StandardCharsets;

/**
 * FNV-1a, 64 bits: the output stream id of a mixer room is this hash of the UTF-8 room code (PROTOCOL.md
 * section 6).
 */
public final class Fnv1a64
{
    public static final long OFFSET_BASIS = 0xcbf29ce484222325L;
    public static final long PRIME = 0x100000001b3L;

    private Fnv1a64()
    {
    }

    /**
     * @param bytes to hash.
     * @return the unsigned 64-bit hash.
     */
    public static long hash(final byte[] bytes)
    {
        long hash = OFFSET_BASIS;
        for (final byte b : bytes)
        {
            hash ^= b & 0xFF;
            hash *= PRIME;
        }
        return hash;
    }

    /**
     * @param roomCode a room code.
     * @return the room's output stream id.
     */
    public static long roomStreamId(final String roomCode)
    {
        return hash(roomCode.getBytes(StandardCharsets.UTF_8));
    }
}
