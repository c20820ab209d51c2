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
package io.soundrelay.control;

import io.soundrelay.core.json.Json;
import io.soundrelay.core.protocol.Fnv1a64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.MultiNodeTest.relay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream id above 2^53, which a JavaScript {@code JSON.parse} of a bare number would round, reads back as its exact
 * decimal string in every answer (a created route, {@code GET /route/{id}}, the listing, a room, a migration), while
 * requests take it as a number or a string, and Redis keeps the number older nodes read (contract sections 2 and 3).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamIdStringsTest
{
    private static final long BIG = 4726593916199531359L;
    private static final String BIG_TEXT = "4726593916199531359";
    private static final String ROOM = "big-ids";

    @Test
    void aStreamIdAbove2To53IsTheExactStringInEveryAnswerAndANumberOrStringInRequests() throws Exception
    {
        final List<AutoCloseable> open = new ArrayList<>();
        try
        {
            final RedisServer redis = keep(open, RedisServer.start());
            final NodeFixture a = node(open, redis, "node-a");
            final NodeFixture b = node(open, redis, "node-b");
            MultiNodeTest.await("both nodes listed", 20,
                MultiNodeTest.quietly(() -> MultiNodeTest.nodeIds(a).size() == 2));
            final DatagramChannel source = keep(open, NodeFixture.udp());
            final DatagramChannel target = keep(open, NodeFixture.udp());

            // A bare JSON number in the request: read exactly, as a 64-bit integer.
            final String request = NodeFixture.routeJson(BIG, source, null, target)
                .replace("}", ",\"room_code\":\"" + ROOM + "\"}");
            assertTrue(request.contains("\"stream_id\":" + BIG_TEXT + ","), request);
            final HttpResponse<String> created = a.authed("POST", "/route", request);
            assertEquals(201, created.statusCode(), created.body());
            assertEquals("/route/" + BIG_TEXT, created.headers().firstValue("Location").orElse(null));
            assertEquals(BIG_TEXT, json(created).get("stream_id"));

            final HttpResponse<String> got = a.authed("GET", "/route/" + BIG_TEXT, null);
            assertEquals(200, got.statusCode(), got.body());
            assertTrue(got.body().contains("\"stream_id\":\"" + BIG_TEXT + "\""), got.body());
            assertEquals(BIG_TEXT, json(got).get("stream_id"));

            // A decimal string in a replacement's body is the same id as the path's.
            final String replacement = request.replace("\"stream_id\":" + BIG_TEXT, "\"stream_id\":\"" + BIG_TEXT + "\"");
            final HttpResponse<String> replaced = a.authed("PUT", "/route/" + BIG_TEXT, replacement);
            assertEquals(200, replaced.statusCode(), replaced.body());
            assertEquals(BIG_TEXT, json(replaced).get("stream_id"));

            final HttpResponse<String> listing = a.authed("GET", "/routes", null);
            assertEquals(200, listing.statusCode(), listing.body());
            assertEquals(List.of(BIG_TEXT), idsOf(listing));

            // Redis keeps writing the number that nodes of the previous version read.
            final String stored = redis.cli().get("route:" + BIG_TEXT);
            assertTrue(stored.contains("\"stream_id\":" + BIG_TEXT + ","), stored);

            final long roomId = Fnv1a64.roomStreamId(ROOM);
            assertTrue(Long.compareUnsigned(roomId, 1L << 53) > 0, "the room's id is above 2^53: " + roomId);
            final HttpResponse<String> room = a.authed("GET", "/rooms/" + ROOM, null);
            assertEquals(200, room.statusCode(), room.body());
            final Map<String, Object> roomJson = json(room);
            assertEquals(Long.toUnsignedString(roomId), roomJson.get("output_stream_id"), room.body());
            assertEquals(List.of(Map.of("stream_id", BIG_TEXT, "mix_minus", false)), roomJson.get("members"),
                room.body());

            // POST /migrate takes the id as a string one way and as a number back; both answers carry the string.
            final HttpResponse<String> there = a.authed("POST", "/migrate", MultiNodeTest.migrateBody(BIG, relay(b)));
            assertEquals(200, there.statusCode(), there.body());
            assertTrue(there.body().contains("\"stream_id\":\"" + BIG_TEXT + "\""), there.body());
            assertEquals(BIG_TEXT, json(there).get("stream_id"));
            MultiNodeTest.await("node-b owns the route", 20, MultiNodeTest.quietly(() ->
                "node-b".equals(json(b.authed("GET", "/route/" + BIG_TEXT, null)).get("node_id"))));
            assertEquals(List.of(BIG_TEXT), idsOf(b.authed("GET", "/routes", null)));

            final HttpResponse<String> back = b.authed("POST", "/migrate",
                "{\"stream_id\":" + BIG_TEXT + ",\"new_node_addr\":\"" + relay(a) + "\"}");
            assertEquals(200, back.statusCode(), back.body());
            assertEquals(BIG_TEXT, json(back).get("stream_id"));
            assertEquals("node-a", json(back).get("to_node"));
        }
        finally
        {
            for (int i = open.size() - 1; i >= 0; i--)
            {
                open.get(i).close();
            }
        }
    }

    private static NodeFixture node(final List<AutoCloseable> open, final RedisServer redis, final String id)
        throws Exception
    {
        return keep(open, NodeFixture.start(Map.of("REDIS_URL", redis.url(), "NODE_ID", id,
            "MIGRATION_GRACE_SECONDS", "3", "ENABLE_MIXER", "true")));
    }

    private static <T extends AutoCloseable> T keep(final List<AutoCloseable> open, final T closeable)
    {
        open.add(closeable);
        return closeable;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> idsOf(final HttpResponse<String> listing)
    {
        final List<Object> ids = new ArrayList<>();
        for (final Object route : (List<Object>)((Map<String, Object>)Json.parse(listing.body())).get("routes"))
        {
            ids.add(((Map<String, Object>)route).get("stream_id"));
        }
        return ids;
    }
}
