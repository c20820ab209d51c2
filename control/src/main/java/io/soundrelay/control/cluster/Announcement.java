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
package io.soundrelay.control.cluster;

import io.soundrelay.core.json.Json;
import io.soundrelay.core.json.JsonException;
import io.soundrelay.core.json.JsonNumber;
import io.soundrelay.core.json.JsonWriter;

import java.util.HashMap;
import java.util.Map;

/**
 * A message on {@code soundrelay:routes} (PROTOCOL.md section 7): {@code op}, {@code stream_id}, {@code node_id} (the
 * node the change is about: the owner after it), and the W3C {@code traceparent}, with {@code tracestate} and
 * {@code baggage} when there are any. Hand-offs add {@code from_node} (the owner before) and, when refused,
 * {@code reason}.
 */
final class Announcement
{
    /** A route was created on node_id. */
    static final String CREATED = "created";
    /** node_id replaced a route's source, targets or options. */
    static final String REPLACED = "replaced";
    /** node_id deleted a route. */
    static final String DELETED = "deleted";
    /** A route of node_id expired. */
    static final String EXPIRED = "expired";
    /** from_node handed the route to node_id in Redis; node_id is to take it and confirm. */
    static final String MIGRATE = "migrate";
    /** node_id holds the route it was handed (the confirmation), or adopted a dead node's route. */
    static final String ADOPTED = "adopted";
    /** node_id could not take the route it was handed (reason says why). */
    static final String REFUSED = "refused";
    /** from_node took the route back: node_id gave no confirmation in time. */
    static final String ABORTED = "migrate_aborted";

    static final String[] CARRIER_KEYS = {"traceparent", "tracestate", "baggage"};

    final String op;
    final long streamId;
    final String nodeId;
    final String fromNode;
    final String reason;
    final Map<String, String> carrier;
    /** An ADOPTED answer's relay port on the adopting node, or 0 (the route has none). */
    int relayPort;
    /**
     * A MIGRATE of a live owner's route: the hand-off's key (32 hex digits), which signs the HOP frames the old node
     * forwards; null otherwise. Redis carries it; nothing logs it.
     */
    String hopKey;
    /** With {@link #hopKey}: how long the old node forwards, in milliseconds (its MIGRATION_GRACE_SECONDS). */
    long graceMs;

    Announcement(
        final String op,
        final long streamId,
        final String nodeId,
        final String fromNode,
        final String reason,
        final Map<String, String> carrier)
    {
        this.op = op;
        this.streamId = streamId;
        this.nodeId = nodeId;
        this.fromNode = fromNode;
        this.reason = reason;
        this.carrier = carrier;
    }

    String toJson()
    {
        final JsonWriter w = new JsonWriter().beginObject()
            .name("op").value(op)
            .name("stream_id").unsignedValue(streamId)
            .name("node_id").value(nodeId);
        if (fromNode != null)
        {
            w.name("from_node").value(fromNode);
        }
        if (reason != null)
        {
            w.name("reason").value(reason);
        }
        if (relayPort > 0)
        {
            w.name("relay_port").value(relayPort);
        }
        if (hopKey != null)
        {
            w.name("hop_key").value(hopKey).name("grace_ms").value(graceMs);
        }
        for (final String key : CARRIER_KEYS)
        {
            final String value = carrier.get(key);
            if (value != null && !value.isEmpty())
            {
                w.name(key).value(value);
            }
        }
        return w.endObject().toJson();
    }

    /**
     * @param json a message.
     * @return the announcement, or null when the message is not one (it is ignored).
     */
    static Announcement parse(final String json)
    {
        try
        {
            final Object root = Json.parse(json);
            if (!(root instanceof Map))
            {
                return null;
            }
            final Map<?, ?> doc = (Map<?, ?>)root;
            final Object op = doc.get("op");
            final Object id = doc.get("stream_id");
            final Object node = doc.get("node_id");
            if (!(op instanceof String) || !(node instanceof String))
            {
                return null;
            }
            final long streamId = streamId(id);
            if (streamId == 0)
            {
                return null;
            }
            final Map<String, String> carrier = new HashMap<>();
            for (final String key : CARRIER_KEYS)
            {
                if (doc.get(key) instanceof String)
                {
                    carrier.put(key, (String)doc.get(key));
                }
            }
            final Announcement a = new Announcement((String)op, streamId, (String)node, text(doc.get("from_node")),
                text(doc.get("reason")), carrier);
            final Object port = doc.get("relay_port");
            if (port instanceof JsonNumber && ((JsonNumber)port).isIntegral())
            {
                final int p = ((JsonNumber)port).intValueExact();
                a.relayPort = p >= 1 && p <= 65535 ? p : 0;
            }
            final Object key = doc.get("hop_key");
            final Object grace = doc.get("grace_ms");
            if (key instanceof String && grace instanceof JsonNumber && ((JsonNumber)grace).isIntegral())
            {
                a.hopKey = (String)key;
                a.graceMs = ((JsonNumber)grace).longValueExact();
            }
            return a;
        }
        catch (final JsonException | ArithmeticException | NumberFormatException ex)
        {
            return null;
        }
    }

    /**
     * The announced stream id, written today as a JSON number; a decimal string is read too, as the node's API writes
     * ids, so that either form works across versions.
     *
     * @param id the {@code stream_id} field.
     * @return the id, or 0 when the field is missing or neither an integral number nor a decimal string.
     */
    private static long streamId(final Object id)
    {
        if (id instanceof JsonNumber)
        {
            return ((JsonNumber)id).unsignedLongValueExact();
        }
        if (id instanceof String && !((String)id).isEmpty() && ((String)id).chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            return Long.parseUnsignedLong((String)id);
        }
        return 0;
    }

    private static String text(final Object value)
    {
        return value instanceof String ? (String)value : null;
    }
}
