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

import io.soundrelay.core.json.Json;
import io.soundrelay.core.json.JsonException;
import io.soundrelay.core.json.JsonWriter;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.Latch;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.ValidationException;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A route as Redis holds it under {@code route:{stream_id}}: the route request's fields, the owner's
 * {@code node_id} and {@code created_at}, and for a route with a return path the owner's {@code relay_port} and
 * the {@code source_latched} it learned. Written in one fixed field order, so two encodings of the same route are
 * equal strings (reconcile compares them). Read back through the API's own validation.
 */
public final class StoredRoute
{
    /** Key prefix of a route. */
    public static final String KEY_PREFIX = "route:";
    static final String NODE_ID = "node_id";
    static final String CREATED_AT = "created_at";
    static final String RELAY_PORT = "relay_port";
    static final String SOURCE_LATCHED = "source_latched";

    private final RouteSpec spec;
    private final String nodeId;
    private final long createdAtEpochMs;
    private final int relayPort;
    private final Endpoint sourceLatched;
    /** Milliseconds left before Redis expires the key (PTTL), or -1 when unknown; set by the store on load. */
    long remainingTtlMs = -1;

    private StoredRoute(
        final RouteSpec spec,
        final String nodeId,
        final long createdAtEpochMs,
        final int relayPort,
        final Endpoint sourceLatched)
    {
        this.spec = spec;
        this.nodeId = nodeId;
        this.createdAtEpochMs = createdAtEpochMs;
        this.relayPort = relayPort;
        this.sourceLatched = sourceLatched;
    }

    /**
     * @return the relay port the owner had bound for the route, or 0.
     */
    public int relayPort()
    {
        return relayPort;
    }

    /**
     * @return the source address the owner latched for a source_addr with port 0, or null.
     */
    public Endpoint sourceLatched()
    {
        return sourceLatched;
    }

    public RouteSpec spec()
    {
        return spec;
    }

    public String nodeId()
    {
        return nodeId;
    }

    public long createdAtEpochMs()
    {
        return createdAtEpochMs;
    }

    /**
     * @param streamId unsigned id.
     * @return its Redis key.
     */
    public static String key(final long streamId)
    {
        return KEY_PREFIX + Long.toUnsignedString(streamId);
    }

    /**
     * @param key a Redis key.
     * @return the stream id of a well-formed route key, or 0 when it is not one.
     */
    public static long streamIdOf(final String key)
    {
        if (!key.startsWith(KEY_PREFIX) || key.length() == KEY_PREFIX.length() ||
            key.length() > KEY_PREFIX.length() + 20)
        {
            return 0;
        }
        for (int i = KEY_PREFIX.length(); i < key.length(); i++)
        {
            final char c = key.charAt(i);
            if (c < '0' || c > '9')
            {
                return 0;
            }
        }
        try
        {
            return Long.parseUnsignedLong(key.substring(KEY_PREFIX.length()));
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }

    /**
     * @param entry  the route.
     * @param nodeId its owner.
     * @return the JSON Redis holds for it.
     */
    public static String encode(final RouteEntry entry, final String nodeId)
    {
        return encode(entry.spec(), entry.createdAtEpochMs(), nodeId, entry.relayPort(), entry.sourceLatched());
    }

    /**
     * @param spec             the route.
     * @param createdAtEpochMs when it was created.
     * @param nodeId           its owner.
     * @return the JSON Redis holds for it.
     */
    public static String encode(final RouteSpec spec, final long createdAtEpochMs, final String nodeId)
    {
        return encode(spec, createdAtEpochMs, nodeId, 0, null);
    }

    /**
     * @param spec             the route.
     * @param createdAtEpochMs when it was created.
     * @param nodeId           its owner.
     * @param relayPort        the owner's relay port for it, or 0 (left out).
     * @param sourceLatched    the source latched for a source_addr with port 0, or null (left out).
     * @return the JSON Redis holds for it.
     */
    public static String encode(
        final RouteSpec spec,
        final long createdAtEpochMs,
        final String nodeId,
        final int relayPort,
        final Endpoint sourceLatched)
    {
        final JsonWriter w = new JsonWriter();
        w.beginObject();
        w.name(RouteRequestParser.STREAM_ID).unsignedValue(spec.streamId());
        w.name(RouteRequestParser.SOURCE_ADDR).value(spec.source().toString());
        w.name(RouteRequestParser.TARGET_ADDRS).beginArray();
        for (final Endpoint target : spec.targets())
        {
            w.value(target.toString());
        }
        w.endArray();
        if (spec.roomCode() != null)
        {
            w.name(RouteRequestParser.ROOM_CODE).value(spec.roomCode());
        }
        w.name(RouteRequestParser.DELIVER).value(spec.deliver().wireName());
        w.name(RouteRequestParser.JITTER_MS).value(spec.jitterMs());
        w.name(RouteRequestParser.MIX_MINUS).value(spec.mixMinus());
        // Always written, 0 too: a node whose PACE_MS differs must not read an unpaced route as paced.
        w.name(RouteRequestParser.PACE_MS).value(spec.paceMs());
        if (spec.returnPath())
        {
            w.name(RouteRequestParser.RETURN_PATH).value(true);
        }
        if (spec.latch() != Latch.FIRST)
        {
            // Only when not the default: a node of an older version, which knows no latch option, still reads a
            // route that latches as it does.
            w.name(RouteRequestParser.LATCH).value(spec.latch().wireName());
        }
        if (relayPort > 0)
        {
            w.name(RELAY_PORT).value(relayPort);
        }
        if (sourceLatched != null && spec.latchesSourcePort())
        {
            w.name(SOURCE_LATCHED).value(sourceLatched.toString());
        }
        w.name(NODE_ID).value(nodeId);
        w.name(CREATED_AT).value(DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(createdAtEpochMs)));
        w.endObject();
        return w.toJson();
    }

    /**
     * Just the owner of a stored route, without validating the rest.
     *
     * @param json the stored value.
     * @return its {@code node_id}, or null when the value is not a JSON object with a string node_id.
     */
    public static String ownerOf(final String json)
    {
        try
        {
            final Object root = Json.parse(json);
            if (root instanceof Map)
            {
                final Object owner = ((Map<?, ?>)root).get(NODE_ID);
                return owner instanceof String ? (String)owner : null;
            }
        }
        catch (final JsonException ex)
        {
            // not ours to read
        }
        return null;
    }

    /**
     * Read a stored route back, validated as a route request is.
     *
     * @param json   the stored value.
     * @param parser the node's route validation.
     * @return the route.
     * @throws IllegalArgumentException naming what is wrong when the value is not a valid stored route.
     */
    public static StoredRoute decode(final String json, final RouteRequestParser parser)
    {
        final Object root;
        try
        {
            root = Json.parse(json);
        }
        catch (final JsonException ex)
        {
            throw new IllegalArgumentException("not JSON: " + ex.getMessage(), ex);
        }
        if (!(root instanceof Map))
        {
            throw new IllegalArgumentException("not a JSON object");
        }
        @SuppressWarnings("unchecked") final Map<String, Object> fields =
            new LinkedHashMap<>((Map<String, Object>)root);
        final Object nodeId = fields.remove(NODE_ID);
        final Object createdAt = fields.remove(CREATED_AT);
        final Object relayPort = fields.remove(RELAY_PORT);
        final Object latched = fields.remove(SOURCE_LATCHED);
        if (!(nodeId instanceof String) || ((String)nodeId).isEmpty())
        {
            throw new IllegalArgumentException("no node_id");
        }
        long createdAtMs = System.currentTimeMillis();
        if (createdAt instanceof String)
        {
            try
            {
                createdAtMs = Instant.parse((String)createdAt).toEpochMilli();
            }
            catch (final DateTimeParseException ex)
            {
                throw new IllegalArgumentException("created_at is not RFC 3339", ex);
            }
        }
        int port = 0;
        if (relayPort != null)
        {
            if (!(relayPort instanceof io.soundrelay.core.json.JsonNumber) ||
                !((io.soundrelay.core.json.JsonNumber)relayPort).isIntegral())
            {
                throw new IllegalArgumentException("relay_port is not an integer");
            }
            try
            {
                port = ((io.soundrelay.core.json.JsonNumber)relayPort).intValueExact();
            }
            catch (final ArithmeticException ex)
            {
                port = -1;
            }
            if (port < 1 || port > 65535)
            {
                throw new IllegalArgumentException("relay_port is not a port 1-65535");
            }
        }
        Endpoint sourceLatched = null;
        if (latched != null)
        {
            try
            {
                sourceLatched = Endpoint.parse(String.valueOf(latched));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("source_latched: " + ex.getMessage(), ex);
            }
        }
        try
        {
            return new StoredRoute(parser.parseStored(fields, null), (String)nodeId, createdAtMs, port, sourceLatched);
        }
        catch (final ValidationException ex)
        {
            throw new IllegalArgumentException(
                (ex.field() == null ? "" : ex.field() + ": ") + ex.getMessage(), ex);
        }
    }
}
