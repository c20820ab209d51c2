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

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteEntryTest
{
    private static RouteEntry entry()
    {
        return new RouteEntry(new RouteSpec(7, Endpoint.parse("127.0.0.1:5000"),
            List.of(Endpoint.parse("127.0.0.1:5001")), null, Deliver.PAYLOAD, 0, false), 0, 0);
    }

    @Test
    void firstSeenIsSetOnceByTheFirstDatagram()
    {
        final RouteEntry e = entry();
        assertEquals(RouteEntry.NEVER, e.firstSeenNs());
        assertEquals(RouteEntry.NEVER, e.lastSeenNs());
        e.onDatagramIn(100);
        e.onDatagramIn(250);
        assertEquals(100, e.firstSeenNs());
        assertEquals(250, e.lastSeenNs());
        assertEquals(2, e.packetsIn());
    }

    @Test
    void forwardsOnlyOnceHandedOffAndMovesWithEachHandOff()
    {
        final RouteEntry e = entry();
        assertFalse(e.isForwarding());
        assertNull(e.hopTarget());
        final Endpoint b = Endpoint.parse("10.0.0.2:4000");
        e.forwardTo(b, 1_000);
        assertTrue(e.isForwarding());
        assertSame(b, e.hopTarget());
        assertEquals(1_000, e.hopUntilNs());
        final Endpoint c = Endpoint.parse("10.0.0.3:4000");
        e.forwardTo(c, 2_000);
        assertSame(c, e.hopTarget());
        assertEquals(2_000, e.hopUntilNs());
        assertThrows(NullPointerException.class, () -> e.forwardTo(null, 3_000));
    }
}
