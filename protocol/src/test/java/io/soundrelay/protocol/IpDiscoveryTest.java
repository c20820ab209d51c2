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
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden vectors from PROTOCOL.md section 9: Discord's IP discovery, 74 bytes: type 0x0001, length 70, SSRC, 64-byte
 * address, 2-byte port.
 */
final class IpDiscoveryTest
{
    private static byte[] request(final int ssrc)
    {
        final byte[] bytes = new byte[74];
        bytes[1] = 0x01;
        bytes[3] = 70;
        bytes[4] = (byte)(ssrc >>> 24);
        bytes[5] = (byte)(ssrc >>> 16);
        bytes[6] = (byte)(ssrc >>> 8);
        bytes[7] = (byte)ssrc;
        return bytes;
    }

    @Test
    void layoutIsDiscords()
    {
        assertEquals(74, IpDiscovery.LENGTH);
        assertEquals(70, IpDiscovery.BODY_LENGTH);
        assertEquals(4, IpDiscovery.SSRC_OFFSET);
        assertEquals(8, IpDiscovery.ADDRESS_OFFSET);
        assertEquals(72, IpDiscovery.PORT_OFFSET);
    }

    @Test
    void writesARequestByteForByte()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(74);
        Arrays.fill(buffer.array(), (byte)0x55);
        assertEquals(74, IpDiscovery.writeRequest(buffer, 0, 0xCAFE_BABEL));
        assertArrayEquals(request(0xCAFE_BABE), buffer.array());
    }

    @Test
    void readsARequestsSsrcUnsigned()
    {
        assertEquals(0xCAFE_BABEL, IpDiscovery.requestSsrc(ByteBuffer.wrap(request(0xCAFE_BABE)), 0, 74));
        final ByteBuffer shifted = ByteBuffer.allocate(80);
        shifted.put(6, request(7));
        assertEquals(7, IpDiscovery.requestSsrc(shifted, 6, 74));
    }

    @Test
    void anythingElseIsNoRequest()
    {
        final byte[] bytes = request(7);
        assertEquals(-1, IpDiscovery.requestSsrc(ByteBuffer.wrap(bytes), 0, 73));
        assertEquals(-1, IpDiscovery.requestSsrc(ByteBuffer.wrap(Arrays.copyOf(bytes, 75)), 0, 75));
        bytes[1] = 0x02;
        assertEquals(-1, IpDiscovery.requestSsrc(ByteBuffer.wrap(bytes), 0, 74), "an answer");
        assertEquals(7, IpDiscovery.responseSsrc(ByteBuffer.wrap(bytes), 0, 74));
        bytes[1] = 0x01;
        bytes[3] = 71;
        assertEquals(-1, IpDiscovery.requestSsrc(ByteBuffer.wrap(bytes), 0, 74), "wrong length field");
    }

    @Test
    void anAnswerNamesTheAddressAndPort()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(74);
        IpDiscovery.writeResponse(buffer, 0, 7, "203.0.113.9", 40_001);

        final byte[] expected = request(7);
        expected[1] = 0x02;
        final byte[] address = "203.0.113.9".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(address, 0, expected, 8, address.length);
        expected[72] = (byte)(40_001 >>> 8);
        expected[73] = (byte)40_001;
        assertArrayEquals(expected, buffer.array());
        assertEquals("203.0.113.9", IpDiscovery.address(buffer, 0));
        assertEquals(40_001, IpDiscovery.port(buffer, 0));
    }
}
