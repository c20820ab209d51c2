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
package io.soundrelay.core.route;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EndpointTest
{
    @Test
    void writesAddressesAsTheApiDoes()
    {
        assertEquals("10.0.0.1:4000", Endpoint.parse("10.0.0.1:4000").toString());
        assertEquals("[::1]:5004", Endpoint.parse("[::1]:5004").toString());
        assertEquals("[2001:db8::1:0:0:1]:1", Endpoint.parse("[2001:0db8:0:0:1:0:0:1]:1").toString());
        assertEquals("[fe80::]:9", Endpoint.parse("[fe80:0:0:0:0:0:0:0]:9").toString());
        assertEquals("[1:0:2:3:4:5:6:7]:9", Endpoint.parse("[1:0:2:3:4:5:6:7]:9").toString());
    }

    @Test
    void refusesWhatIsNotAnIpAndPort()
    {
        for (final String bad : new String[] { "", "host:1", "1.2.3:4", "1.2.3.4", "1.2.3.4:0", "1.2.3.4:65536",
            "01.2.3.4:5", "256.1.1.1:5", "[::1]", "::1:5", "[::1]:x", "1.2.3.4:5:6" })
        {
            assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(bad), bad);
        }
    }

    @Test
    void matchesOnlyTheSameIpAndPort()
    {
        final Endpoint e = Endpoint.parse("127.0.0.1:5000");
        assertTrue(e.matches(new InetSocketAddress("127.0.0.1", 5000)));
        assertFalse(e.matches(new InetSocketAddress("127.0.0.1", 5001)));
        assertFalse(e.matches(new InetSocketAddress("127.0.0.2", 5000)));
        assertFalse(e.matches(null));
        assertEquals(16, e.ipv6MappedAddress().length);
        assertEquals((byte)0xFF, e.ipv6MappedAddress()[10]);
        assertEquals(127, e.ipv6MappedAddress()[12]);
    }
}
