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

import io.soundrelay.control.cluster.NodeInfo;
import io.soundrelay.control.metrics.RelayMetrics;
import io.soundrelay.core.json.JsonWriter;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.ValidationException;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.mix.RoomView;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The handlers of what the node shows about itself: {@code /health}, {@code /metrics}, {@code /nodes},
 * {@code /rooms} and {@code /rooms/{code}}, reads only; and {@code POST /drain}.
 */
final class NodeHandlers
{
    private final ControlApi.NodeStatus node;
    private final RouteRegistry registry;
    private final RelayCounters counters;
    private final RelayMetrics metrics;
    private final RouteService service;
    private volatile MixerAgent mixer;
    private volatile ControlApi.Drainer drainer;
    private volatile List<String> endpoints = List.of();

    NodeHandlers(
        final ControlApi.NodeStatus node,
        final RouteRegistry registry,
        final RelayCounters counters,
        final RelayMetrics metrics,
        final RouteService service)
    {
        this.node = node;
        this.registry = registry;
        this.counters = counters;
        this.metrics = metrics;
        this.service = service;
    }

    void mixer(final MixerAgent mixer)
    {
        this.mixer = mixer;
    }

    void drainer(final ControlApi.Drainer drainer)
    {
        this.drainer = drainer;
    }

    /**
     * @param endpoints what {@code GET /} lists: every endpoint of the routing table but {@code GET /} itself.
     */
    void endpoints(final List<String> endpoints)
    {
        this.endpoints = List.copyOf(endpoints);
    }

    /**
     * {@code POST /drain} (PROTOCOL.md section 12): 202 whether this request began the drain or one is under way.
     */
    void drain(final HttpServerExchange exchange, final byte[] body)
    {
        final ControlApi.Drainer drain = drainer;
        if (drain == null)
        {
            throw new ValidationException(null, "this node cannot drain", 503);
        }
        final boolean began = drain.start("POST /drain");
        ApiResponses.send(exchange, 202, new JsonWriter().beginObject()
            .name("status").value("draining")
            .name("node_id").value(node.nodeId())
            .name("message").value(began ? "drain started" : "a drain is already in progress")
            .name("routes_remaining").value(drain.routesRemaining())
            .name("drain_timeout_seconds").value(drain.timeoutSeconds())
            .endObject());
    }

    /**
     * {@code GET /}, no key: what this is and where to go, for a person who points a browser or curl at the port.
     */
    void index(final HttpServerExchange exchange, final byte[] body)
    {
        final JsonWriter w = new JsonWriter().beginObject()
            .name("service").value("soundrelay")
            .name("node_id").value(node.nodeId())
            .name("auth").value("GET /, /health, /livez, /readyz and /metrics need no key; every other endpoint " +
                "needs Authorization: Bearer <one of the node's API_KEYS>")
            .name("endpoints").beginArray();
        for (final String endpoint : endpoints)
        {
            if (!"GET /".equals(endpoint))
            {
                w.value(endpoint);
            }
        }
        ApiResponses.send(exchange, 200, w.endArray()
            .name("docs").value(
                "the SoundRelay docs site: HTTP API (docs/http-api.md), OpenAPI 3 (docs/reference/openapi.yaml)")
            .endObject());
    }

    void health(final HttpServerExchange exchange, final byte[] body)
    {
        final String redis = node.redis();
        final JsonWriter w = new JsonWriter();
        w.beginObject()
            .name("status").value(node.draining() ? "draining" : "unavailable".equals(redis) ? "degraded" : "ok")
            .name("node_id").value(node.nodeId())
            .name("uptime_s").value(node.uptimeSeconds())
            .name("transport").value(node.transport())
            .name("pipelines").value(node.pipelines())
            .name("redis").value(redis)
            .name("redis_mode").value(node.redisMode())
            .name("redis_master").value(node.redisMaster())
            .name("redis_error").value(node.redisError())
            .name("auth").value(node.auth())
            .name("warnings").beginArray();
        for (final String warning : node.warnings())
        {
            w.value(warning);
        }
        w.endArray();
        final long[] queue = node.redisQueue();
        if (queue != null)
        {
            // The write queue while Redis is away; dropped writes are never silent (a full reconcile replaced them).
            w.name("redis_queue").beginObject()
                .name("queued").value(queue[0])
                .name("max").value(queue[1])
                .name("dropped").value(queue[2])
                .endObject();
        }
        w
            .name("active_routes").value(registry.size())
            .name("active_streams").value(registry.countActive(System.nanoTime(), RelayMetrics.ACTIVE_WINDOW_NS))
            .name("packets_received").value(counters.received())
            .name("packets_sent").value(counters.sent())
            .endObject();
        ApiResponses.send(exchange, 200, w);
    }

    /**
     * {@code GET /livez}: 200 while the process and every data-plane thread are alive; never asks Redis.
     */
    void livez(final HttpServerExchange exchange, final byte[] body)
    {
        probe(exchange, node.notLive(), "live");
    }

    /**
     * {@code GET /readyz}: 200 while the node takes new routes, else 503 with the reason.
     */
    void readyz(final HttpServerExchange exchange, final byte[] body)
    {
        probe(exchange, node.notReady(), "ready");
    }

    private static void probe(final HttpServerExchange exchange, final String notOk, final String ok)
    {
        final JsonWriter w = new JsonWriter().beginObject();
        if (notOk == null)
        {
            w.name("status").value(ok);
        }
        else
        {
            w.name("status").value("not_" + ok).name("error").value(notOk);
        }
        ApiResponses.send(exchange, notOk == null ? 200 : 503, w.endObject());
    }

    void metrics(final HttpServerExchange exchange, final byte[] body)
    {
        metrics(exchange, metrics);
    }

    /**
     * Serve the metrics text: shared by the API's {@code /metrics} and the METRICS_ADDR listener.
     *
     * @param exchange the request.
     * @param metrics  what to expose.
     */
    static void metrics(final HttpServerExchange exchange, final RelayMetrics metrics)
    {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, metrics.contentType());
        exchange.getResponseSender().send(ByteBuffer.wrap(metrics.scrape()));
    }

    void nodes(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final List<NodeInfo> known = service.nodes();
        final JsonWriter w = new JsonWriter();
        w.beginObject().name("nodes").beginArray();
        if (known == null)
        {
            // No Redis: this node is the only one there is.
            w.beginObject()
                .name("node_id").value(node.nodeId())
                .name("relay_addr").value(node.relayAddr())
                .name("control_addr").value(node.controlAddr())
                .name("active_routes").value(registry.size())
                .name("started_at").value(node.startedAt())
                .name("last_heartbeat_ms_ago").value(0)
                .name("draining").value(node.draining())
                .endObject();
        }
        else
        {
            for (final NodeInfo info : known)
            {
                info.write(w);
            }
        }
        w.endArray().endObject();
        ApiResponses.send(exchange, 200, w);
    }

    void rooms(final HttpServerExchange exchange, final byte[] body)
    {
        final MixerAgent stage = mixer;
        final JsonWriter w = new JsonWriter();
        w.beginObject().name("mixer_enabled").value(stage != null).name("rooms").beginArray();
        if (stage != null)
        {
            for (final RoomView room : stage.rooms())
            {
                RoomJson.write(w, room);
            }
        }
        w.endArray().endObject();
        ApiResponses.send(exchange, 200, w);
    }

    void room(final HttpServerExchange exchange, final byte[] body)
    {
        final String code = ApiRoutes.pathRest(exchange);
        if (!RouteRequestParser.isValidRoomCode(code))
        {
            throw new ValidationException("room_code", "room code in the path must be 1-" +
                RouteSpec.MAX_ROOM_CODE_LENGTH + " characters of A-Z, a-z, 0-9, '_' and '-'");
        }
        final MixerAgent stage = mixer;
        if (stage == null)
        {
            ApiResponses.error(exchange, 404, "the mixer is off (ENABLE_MIXER=false): room codes are only labels",
                "room_code");
            return;
        }
        final RoomView room = stage.room(code);
        if (room == null)
        {
            ApiResponses.error(exchange, 404, "no room " + code + ": no route has this room_code", "room_code");
            return;
        }
        final JsonWriter w = new JsonWriter();
        RoomJson.write(w, room);
        ApiResponses.send(exchange, 200, w);
    }
}
