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

import io.soundrelay.control.cluster.Cluster;
import io.soundrelay.core.json.JsonWriter;
import io.soundrelay.core.route.MigrateRequest;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.ValidationException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.util.Deque;
import java.util.List;

/**
 * The handlers of {@code /route}, {@code /route/{id}}, {@code /routes} and {@code /migrate}: each parses the request,
 * calls the {@link RouteService} (or reads the {@link RouteRegistry}) and writes the answer.
 */
final class RouteHandlers
{
    private static final String STREAM_ID_IN_PATH = "stream id in the path must be a decimal from 1 to 2^64-1";
    private static final int MAX_DECIMAL_U64_LENGTH = 20;

    private final String nodeId;
    private final RouteRegistry registry;
    private final RouteRequestParser parser;
    private final RouteService service;

    RouteHandlers(
        final String nodeId, final RouteRegistry registry, final RouteRequestParser parser, final RouteService service)
    {
        this.nodeId = nodeId;
        this.registry = registry;
        this.parser = parser;
        this.service = service;
    }

    void create(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final RouteSpec spec = parser.parse(body, null);
        final RouteEntry entry = service.create(spec);
        exchange.getResponseHeaders().put(Headers.LOCATION, "/route/" + spec.streamIdText());
        sendRoute(exchange, 201, entry);
    }

    void get(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final long id = parsePathId(ApiRoutes.pathRest(exchange));
        final RouteEntry entry = registry.get(id);
        if (entry != null)
        {
            sendRoute(exchange, 200, entry);
            return;
        }
        final JsonWriter w = new JsonWriter();
        RouteJson.writeStored(w, service.elsewhere(id));
        ApiResponses.send(exchange, 200, w);
    }

    void replace(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final long id = parsePathId(ApiRoutes.pathRest(exchange));
        final RouteEntry before = service.held(id); // 404 before the body is even looked at
        sendRoute(exchange, 200, service.replace(before, parser.parseUpdate(body, id)));
    }

    void delete(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        service.delete(parsePathId(ApiRoutes.pathRest(exchange)));
        exchange.setStatusCode(204);
        exchange.endExchange();
    }

    void list(final HttpServerExchange exchange, final byte[] body)
    {
        int limit = ControlApi.DEFAULT_PAGE;
        final String limitText = query(exchange, "limit");
        if (limitText != null)
        {
            try
            {
                limit = Integer.parseInt(limitText);
            }
            catch (final NumberFormatException ex)
            {
                limit = -1;
            }
            if (limit < 1 || limit > ControlApi.MAX_PAGE)
            {
                throw new ValidationException("limit", "limit must be an integer from 1 to " + ControlApi.MAX_PAGE);
            }
        }
        Long after = null;
        final String cursor = query(exchange, "cursor");
        if (cursor != null && !cursor.isEmpty())
        {
            after = parseCursor(cursor);
        }

        final List<RouteEntry> page = registry.page(after, limit + 1);
        final boolean more = page.size() > limit;
        final List<RouteEntry> shown = more ? page.subList(0, limit) : page;
        final long nowNs = System.nanoTime();
        final JsonWriter w = new JsonWriter();
        w.beginObject().name("routes").beginArray();
        for (final RouteEntry e : shown)
        {
            RouteJson.write(w, e, nodeId, nowNs);
        }
        w.endArray().name("next_cursor");
        if (more)
        {
            w.value(Long.toUnsignedString(shown.get(shown.size() - 1).streamId()));
        }
        else
        {
            w.nullValue();
        }
        w.endObject();
        ApiResponses.send(exchange, 200, w);
    }

    void migrate(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final Cluster.Migration m = service.migrate(MigrateRequest.parse(body));
        final JsonWriter w = new JsonWriter().beginObject()
            .name("stream_id").value(Long.toUnsignedString(m.streamId))
            .name("from_node").value(m.fromNode)
            .name("to_node").value(m.toNode)
            .name("new_node_addr").value(m.newNodeAddr)
            .name("new_control_addr").value(m.newControlAddr)
            .name("status").value("migrating")
            .name("handoff").value(m.forwarding ? "forwarding" : "failover")
            .name("grace_seconds").value(m.forwarding ? service.cluster().graceSeconds() : 0)
            .name("confirm_ms").value(m.confirmMs)
            .name("relay_port");
        if (m.relayPort > 0)
        {
            w.value(m.relayPort);
        }
        else
        {
            w.nullValue();
        }
        w.endObject();
        ApiResponses.send(exchange, 200, w);
    }

    private void sendRoute(final HttpServerExchange exchange, final int status, final RouteEntry entry)
    {
        final JsonWriter w = new JsonWriter();
        RouteJson.write(w, entry, nodeId, System.nanoTime());
        ApiResponses.send(exchange, status, w);
    }

    private static long parsePathId(final String text)
    {
        if (text.isEmpty() || text.length() > MAX_DECIMAL_U64_LENGTH || !isDecimal(text))
        {
            throw new ValidationException(RouteRequestParser.STREAM_ID, STREAM_ID_IN_PATH);
        }
        try
        {
            final long id = Long.parseUnsignedLong(text);
            if (id == 0)
            {
                throw new NumberFormatException();
            }
            return id;
        }
        catch (final NumberFormatException ex)
        {
            throw new ValidationException(RouteRequestParser.STREAM_ID, STREAM_ID_IN_PATH);
        }
    }

    private static long parseCursor(final String cursor)
    {
        try
        {
            if (cursor.length() > MAX_DECIMAL_U64_LENGTH || !isDecimal(cursor))
            {
                throw new NumberFormatException();
            }
            return Long.parseUnsignedLong(cursor);
        }
        catch (final NumberFormatException ex)
        {
            throw new ValidationException("cursor", "cursor must be a next_cursor value from a previous page");
        }
    }

    private static boolean isDecimal(final String text)
    {
        return text.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static String query(final HttpServerExchange exchange, final String name)
    {
        final Deque<String> values = exchange.getQueryParameters().get(name);
        return values == null ? null : values.peekFirst();
    }
}
