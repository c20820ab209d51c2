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

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Discord's IP discovery request, read in place: a route with {@code "latch": "discovery"} latches its source's port
 * on one that carries its SSRC.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |         type = 0x0001         |          length = 70          |
 *  +-------------------------------+-------------------------------+
 *  |                             SSRC                              |
 *  +---------------------------------------------------------------+
 *  |                 address (64 bytes, zero in a request)         |
 *  +-------------------------------+-------------------------------+
 *  |           port                |
 *  +-------------------------------+
 * </pre>
 */
public final class IpDiscovery
{
    /** Length of an IP discovery request or answer. */
    public static final int LENGTH = 74;
    /** Type of a request; an answer is 0x0002. */
    public static final int REQUEST_TYPE = 0x0001;
    /** The length field: what follows it. */
    public static final int BODY_LENGTH = 70;
    public static final int TYPE_OFFSET = 0;
    public static final int LENGTH_FIELD_OFFSET = 2;
    public static final int SSRC_OFFSET = 4;

    /**
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram.
     * @return the SSRC of the IP discovery request there, or -1 when it is none.
     */
    public static long requestSsrc(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length != LENGTH ||
            (buffer.getShort(offset + TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != REQUEST_TYPE ||
            (buffer.getShort(offset + LENGTH_FIELD_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != BODY_LENGTH)
        {
            return -1;
        }
        return buffer.getInt(offset + SSRC_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    private IpDiscovery()
    {
    }
}
