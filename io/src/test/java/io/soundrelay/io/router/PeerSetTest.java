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
package io.soundrelay.io.router;

import io.soundrelay.core.route.Endpoint;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerSetTest
{
    private static byte[] mapped(final Endpoint endpoint)
    {
        return endpoint.ipv6MappedAddress().clone();
    }

    @Test
    void holdsExactlyTheAddressesOfTheLastUpdate()
    {
        final PeerSet peers = new PeerSet();
        final Endpoint a = Endpoint.parse("10.0.0.1:4000");
        final Endpoint b = Endpoint.parse("[2001:db8::1]:4000");
        assertFalse(peers.contains(mapped(a), 4000), "empty at first");
        assertEquals(List.of(), peers.snapshot());

        peers.update(List.of(a, b, a));
        assertEquals(List.of(a, b), peers.snapshot(), "each address once, in order");
        assertTrue(peers.contains(mapped(a), 4000));
        assertTrue(peers.contains(mapped(b), 4000));
        assertFalse(peers.contains(mapped(a), 4001), "the port counts");
        assertFalse(peers.contains(mapped(Endpoint.parse("10.0.0.2:4000")), 4000));

        peers.update(List.of(b));
        assertFalse(peers.contains(mapped(a), 4000), "a node that left is gone");
        assertTrue(peers.contains(mapped(b), 4000));
    }

    @Test
    void refusesNullsAndKeepsTheFirstMaxPeersCountingTheRest()
    {
        final PeerSet peers = new PeerSet();
        final Endpoint a = Endpoint.parse("10.0.0.1:4000");
        peers.update(List.of(a));
        assertThrows(NullPointerException.class, () -> peers.update(Arrays.asList(a, null)));
        final List<Endpoint> many = new ArrayList<>();
        for (int i = 0; i <= PeerSet.MAX_PEERS; i++)
        {
            many.add(Endpoint.parse("10.1." + (i >> 8) + "." + (i & 0xFF) + ":4000"));
        }
        assertEquals(List.of(a), peers.snapshot(), "a null leaves the set as it was");
        many.add(many.get(0)); // a repeat is not an excess
        assertEquals(1, peers.update(many), "one address over the limit, counted, never thrown");
        assertEquals(many.subList(0, PeerSet.MAX_PEERS), peers.snapshot(), "the first MAX_PEERS, in the given order");
        assertTrue(peers.contains(mapped(many.get(0)), 4000));
        assertFalse(peers.contains(mapped(many.get(PeerSet.MAX_PEERS)), 4000));
        assertEquals(0, peers.update(many.subList(0, PeerSet.MAX_PEERS)));
        assertEquals(PeerSet.MAX_PEERS, peers.snapshot().size());
    }
}
