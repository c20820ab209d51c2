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

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.nio.charset.StandardCharsets;

/**
 * A mixer room's code, as the route request's {@code room_code} takes it (PROTOCOL.md section 2: 1-64 characters of
 * {@code [A-Za-z0-9_-]}), and the stream id of the room's mixed output (section 6: FNV-1a 64 of the UTF-8 code).
 */
final class RoomCode
{
    static final int MAX_LENGTH = 64;
    static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    static final long FNV_PRIME = 0x100000001b3L;

    private RoomCode()
    {
    }

    /**
     * @return why {@code code} is not a room code, or null when it is one.
     */
    static String check(final String code)
    {
        if (code.isEmpty() || code.length() > MAX_LENGTH)
        {
            return "a room code has 1-" + MAX_LENGTH + " characters, this one " + code.length();
        }
        for (int i = 0; i < code.length(); i++)
        {
            final char c = code.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || '_' == c || '-' == c))
            {
                return "a room code may only hold A-Z, a-z, 0-9, '_' and '-'; character " + (i + 1) + " is not";
            }
        }
        return null;
    }

    /**
     * @return the stream id of the room's mixed output: FNV-1a 64 of the code's UTF-8 bytes, an unsigned u64.
     */
    static long streamId(final String code)
    {
        long hash = FNV_OFFSET_BASIS;
        for (final byte b : code.getBytes(StandardCharsets.UTF_8))
        {
            hash ^= b & 0xFF;
            hash *= FNV_PRIME;
        }
        return hash;
    }

    /**
     * A {@code --room-code}: refused, naming the option, unless the node would take it.
     */
    static final class Converter implements ITypeConverter<String>
    {
        public String convert(final String value)
        {
            final String problem = check(value);
            if (null != problem)
            {
                throw new TypeConversionException("'" + value + "': " + problem);
            }
            return value;
        }
    }
}
