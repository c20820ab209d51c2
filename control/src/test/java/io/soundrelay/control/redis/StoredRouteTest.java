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
package io.soundrelay.control.redis;

import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.Latch;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.core.route.RouteSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The route option {@code latch} and the latched source as Redis holds them.
 */
class StoredRouteTest
{
    private final RouteRequestParser parser = new RouteRequestParser(16, 0);

    private static RouteSpec route(final Latch latch)
    {
        return new RouteSpec(7, Endpoint.parse("10.0.0.1:0", true), List.of(Endpoint.parse("10.0.0.2:6000")), null,
            Deliver.PAYLOAD, 0, false, true, 0, latch);
    }

    @Test
    void aDiscoveryLatchIsStoredAndReadBack()
    {
        final String json = StoredRoute.encode(route(Latch.DISCOVERY), 1_000, "node-a", 40000,
            Endpoint.parse("10.0.0.1:5555"));
        assertTrue(json.contains("\"latch\":\"discovery\""), json);
        final StoredRoute back = StoredRoute.decode(json, parser);
        assertEquals(Latch.DISCOVERY, back.spec().latch());
        assertEquals(Endpoint.parse("10.0.0.1:5555"), back.sourceLatched());
    }

    @Test
    void theDefaultLatchIsLeftOutSoAnOlderNodeReadsTheRouteAndARouteWithoutALatchIsUnlatched()
    {
        final String json = StoredRoute.encode(route(Latch.FIRST), 1_000, "node-a", 40000, null);
        assertFalse(json.contains("latch"), json);
        final StoredRoute back = StoredRoute.decode(json, parser);
        assertEquals(Latch.FIRST, back.spec().latch());
        assertNull(back.sourceLatched(), "no source_latched in Redis: unlatched");
    }

    @Test
    void theStreamIdIsStoredAsANumberAndReadBackAsANumberOrADecimalString()
    {
        final RouteSpec big = new RouteSpec(4726593916199531359L, Endpoint.parse("10.0.0.1:5000"),
            List.of(Endpoint.parse("10.0.0.2:6000")), null, Deliver.PAYLOAD, 0, false, false, 0, Latch.FIRST);
        final String json = StoredRoute.encode(big, 1_000, "node-a", 0, null);
        assertTrue(json.startsWith("{\"stream_id\":4726593916199531359,"), json);
        assertEquals(4726593916199531359L, StoredRoute.decode(json, parser).spec().streamId());
        final String asString = json.replace("4726593916199531359", "\"4726593916199531359\"");
        assertEquals(4726593916199531359L, StoredRoute.decode(asString, parser).spec().streamId());
    }
}
