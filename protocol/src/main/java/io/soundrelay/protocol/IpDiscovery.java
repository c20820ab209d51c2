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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Discord's IP discovery request and answer (PROTOCOL.md section 9), read and written in place. A request carries the
 * SSRC and zeros; the answer names the address and port the voice server saw it come from. A route with
 * {@code "latch": "discovery"} latches its source's port on a request that carries its SSRC.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |   type = 0x0001 (answer 2)    |          length = 70          |
 *  +-------------------------------+-------------------------------+
 *  |                          SSRC (u32)                           |
 *  +---------------------------------------------------------------+
 *  |   address (64 bytes, NUL-terminated ASCII; zero in a request) |
 *  +-------------------------------+-------------------------------+
 *  |          port (u16)           |
 *  +-------------------------------+
 * </pre>
 * All fields big-endian, whatever the buffer's own order. Indices are absolute: the position is ignored, the limit
 * bounds every access.
 */
public final class IpDiscovery
{
    /** Type of a request. */
    public static final int REQUEST_TYPE = 0x0001;
    /** Type of an answer. */
    public static final int RESPONSE_TYPE = 0x0002;

    public static final int TYPE_OFFSET = 0;
    public static final int LENGTH_FIELD_OFFSET = TYPE_OFFSET + Short.BYTES;
    public static final int SSRC_OFFSET = LENGTH_FIELD_OFFSET + Short.BYTES;
    public static final int ADDRESS_OFFSET = SSRC_OFFSET + Integer.BYTES;
    /** Bytes of the address field. */
    public static final int ADDRESS_LENGTH = 64;
    public static final int PORT_OFFSET = ADDRESS_OFFSET + ADDRESS_LENGTH;
    /** Length of an IP discovery request or answer. */
    public static final int LENGTH = PORT_OFFSET + Short.BYTES;
    /** The length field: what follows it. */
    public static final int BODY_LENGTH = LENGTH - SSRC_OFFSET;

    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    /**
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram.
     * @return the SSRC of the IP discovery request there as an unsigned u32, or -1 when it is none.
     */
    public static long requestSsrc(final ByteBuffer buffer, final int offset, final int length)
    {
        return ssrc(buffer, offset, length, REQUEST_TYPE);
    }

    /**
     * @param buffer holding the datagram.
     * @param offset of its first byte.
     * @param length of the datagram.
     * @return the SSRC of the IP discovery answer there as an unsigned u32, or -1 when it is none.
     */
    public static long responseSsrc(final ByteBuffer buffer, final int offset, final int length)
    {
        return ssrc(buffer, offset, length, RESPONSE_TYPE);
    }

    /**
     * Write a request: type, length, SSRC, a zero address and port.
     *
     * @param buffer to write {@link #LENGTH} bytes into.
     * @param offset of the first byte.
     * @param ssrc   unsigned 32-bit SSRC (higher bits ignored).
     * @return {@link #LENGTH}.
     */
    public static int writeRequest(final ByteBuffer buffer, final int offset, final long ssrc)
    {
        writeHeader(buffer, offset, REQUEST_TYPE, ssrc);
        for (int i = ADDRESS_OFFSET; i < LENGTH; i++)
        {
            buffer.put(offset + i, (byte)0);
        }
        return LENGTH;
    }

    /**
     * Write an answer.
     *
     * @param buffer  to write {@link #LENGTH} bytes into.
     * @param offset  of the first byte.
     * @param ssrc    unsigned 32-bit SSRC of the request.
     * @param address as the server saw it, ASCII, at most {@link #ADDRESS_LENGTH} - 1 characters.
     * @param port    as the server saw it.
     * @return {@link #LENGTH}.
     */
    public static int writeResponse(
        final ByteBuffer buffer, final int offset, final long ssrc, final String address, final int port)
    {
        final byte[] ascii = address.getBytes(StandardCharsets.US_ASCII);
        if (ascii.length >= ADDRESS_LENGTH)
        {
            throw new IllegalArgumentException("address longer than " + (ADDRESS_LENGTH - 1) + " bytes: " + address);
        }
        writeHeader(buffer, offset, RESPONSE_TYPE, ssrc);
        for (int i = 0; i < ADDRESS_LENGTH; i++)
        {
            buffer.put(offset + ADDRESS_OFFSET + i, i < ascii.length ? ascii[i] : 0);
        }
        SHORT.set(buffer, offset + PORT_OFFSET, (short)port);
        return LENGTH;
    }

    /**
     * @param buffer holding an answer.
     * @param offset of its first byte.
     * @return the address field up to its first NUL.
     */
    public static String address(final ByteBuffer buffer, final int offset)
    {
        int end = 0;
        while (end < ADDRESS_LENGTH && buffer.get(offset + ADDRESS_OFFSET + end) != 0)
        {
            end++;
        }
        final byte[] ascii = new byte[end];
        for (int i = 0; i < end; i++)
        {
            ascii[i] = buffer.get(offset + ADDRESS_OFFSET + i);
        }
        return new String(ascii, StandardCharsets.US_ASCII);
    }

    /**
     * @param buffer holding an answer.
     * @param offset of its first byte.
     * @return the port field, unsigned.
     */
    public static int port(final ByteBuffer buffer, final int offset)
    {
        return (short)SHORT.get(buffer, offset + PORT_OFFSET) & 0xFFFF;
    }

    private static long ssrc(final ByteBuffer buffer, final int offset, final int length, final int type)
    {
        if (length != LENGTH ||
            ((short)SHORT.get(buffer, offset + TYPE_OFFSET) & 0xFFFF) != type ||
            ((short)SHORT.get(buffer, offset + LENGTH_FIELD_OFFSET) & 0xFFFF) != BODY_LENGTH)
        {
            return -1;
        }
        return (int)INT.get(buffer, offset + SSRC_OFFSET) & 0xFFFF_FFFFL;
    }

    private static void writeHeader(final ByteBuffer buffer, final int offset, final int type, final long ssrc)
    {
        SHORT.set(buffer, offset + TYPE_OFFSET, (short)type);
        SHORT.set(buffer, offset + LENGTH_FIELD_OFFSET, (short)BODY_LENGTH);
        INT.set(buffer, offset + SSRC_OFFSET, (int)ssrc);
    }

    private IpDiscovery()
    {
    }
}
