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
package io.soundrelay.control.api;

import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.core.json.JsonWriter;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteSpec;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;

/**
 * Writes a route as the API answers it: the request's fields plus its relay port and latched source, node id,
 * creation time, time since the last datagram and the route's counters.
 */
final class RouteJson
{
    private RouteJson()
    {
    }

    static void write(final JsonWriter w, final RouteEntry entry, final String nodeId, final long nowNs)
    {
        writeSpec(w, entry.spec(), nodeId, entry.createdAtEpochMs(), entry.relayPort(), entry.sourceLatched());
        w.name("last_seen_ms_ago");
        final long seen = entry.lastSeenNs();
        if (seen == RouteEntry.NEVER)
        {
            w.nullValue();
        }
        else
        {
            w.value(Math.max(0, TimeUnit.NANOSECONDS.toMillis(nowNs - seen)));
        }
        w.name("packets_in").value(entry.packetsIn());
        w.name("packets_out").value(entry.packetsOut());
        w.name("send_failed").value(entry.sendFailed());
        w.name("packets_returned").value(entry.packetsReturned());
        w.endObject();
    }

    /**
     * A route another node owns, as Redis holds it: its counters live on its owner, so they are null here.
     *
     * @param w     where to write.
     * @param route the stored route.
     */
    static void writeStored(final JsonWriter w, final StoredRoute route)
    {
        writeSpec(w, route.spec(), route.nodeId(), route.createdAtEpochMs(), route.relayPort(), route.sourceLatched());
        w.name("last_seen_ms_ago").nullValue();
        w.name("packets_in").nullValue();
        w.name("packets_out").nullValue();
        w.name("send_failed").nullValue();
        w.name("packets_returned").nullValue();
        w.endObject();
    }

    private static void writeSpec(
        final JsonWriter w,
        final RouteSpec spec,
        final String nodeId,
        final long createdAtMs,
        final int relayPort,
        final Endpoint sourceLatched)
    {
        w.beginObject();
        w.name("stream_id").value(Long.toUnsignedString(spec.streamId()));
        w.name("source_addr").value(spec.source().toString());
        w.name("target_addrs").beginArray();
        for (final Endpoint target : spec.targets())
        {
            w.value(target.toString());
        }
        w.endArray();
        w.name("room_code");
        if (spec.roomCode() == null)
        {
            w.nullValue();
        }
        else
        {
            w.value(spec.roomCode());
        }
        w.name("deliver").value(spec.deliver().wireName());
        w.name("jitter_ms").value(spec.jitterMs());
        w.name("mix_minus").value(spec.mixMinus());
        w.name("return_path").value(spec.returnPath());
        w.name("pace_ms").value(spec.paceMs());
        w.name("latch").value(spec.latch().wireName());
        // The relay port on the owner (PROTOCOL.md section 9): null without a return path, or while it has none.
        w.name("relay_port");
        if (relayPort > 0)
        {
            w.value(relayPort);
        }
        else
        {
            w.nullValue();
        }
        if (spec.latchesSourcePort())
        {
            w.name("source_latched");
            if (sourceLatched == null)
            {
                w.nullValue();
            }
            else
            {
                w.value(sourceLatched.toString());
            }
        }
        w.name("node_id").value(nodeId);
        w.name("created_at").value(DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(createdAtMs)));
    }
}
