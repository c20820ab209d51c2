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

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.soundrelay.control.StreamLifecycle;
import io.soundrelay.control.cluster.Cluster;
import io.soundrelay.control.cluster.ClusterRefusal;
import io.soundrelay.control.cluster.NodeInfo;
import io.soundrelay.control.metrics.HttpRequestCounter;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.control.metrics.RelayMetrics;
import io.soundrelay.core.json.JsonWriter;
import io.soundrelay.core.route.MigrateRequest;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.ValidationException;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.jitter.JitterPool;
import io.soundrelay.io.router.Durability;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.mix.RoomView;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The control API of PROTOCOL.md section 2 on Undertow. A request starts on an IO thread, which refuses what the
 * headers alone condemn (credentials, content type) and reads the body without blocking, up to
 * {@link #MAX_BODY_BYTES}; only a complete request is handed to a worker thread, so a slow client never holds one.
 * Handlers run on the workers: they validate, ask the router through its {@link RouterProxy} and wait for its answer;
 * reads come from the {@link RouteRegistry} the router publishes. Every error is a JSON body naming the field at fault.
 * <p>
 * Credentials: exactly one of {@code Authorization: Bearer <key>} (scheme case-insensitive, RFC 7235) and
 * {@code X-API-Key: <key>}. Two credentials, even two equal ones, are refused with 400: ambiguity never authorizes.
 * A request body, when there is one, is {@code application/json} (optionally {@code charset=utf-8}) or carries no
 * Content-Type; any other Content-Type is refused with 415.
 */
public final class ControlApi implements HttpHandler
{
    /** Largest request body accepted. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** Largest page of {@code /routes}. */
    public static final int MAX_PAGE = 1000;
    /** Page size when none is asked for. */
    public static final int DEFAULT_PAGE = 100;

    private static final Logger LOG = LoggerFactory.getLogger(ControlApi.class);
    private static final long ROUTER_TIMEOUT_MS = 5000;
    /** Longest a DELETE or PUT waits for the receiver to close the relay port the route gave up. */
    private static final long RELEASE_WAIT_MS = 1000;
    private static final HttpString X_API_KEY = new HttpString("X-API-Key");
    private static final String JSON = "application/json";

    /** What {@code /health} reports about the node; supplied by the node. */
    public interface NodeStatus
    {
        String nodeId();

        /**
         * @return the relay address other nodes and sources reach this node at.
         */
        String relayAddr();

        /**
         * @return the control API address others reach this node at.
         */
        String controlAddr();

        /**
         * @return start time, RFC 3339.
         */
        String startedAt();

        String transport();

        String redis();

        /**
         * @return "standalone" or "sentinel"; null without Redis.
         */
        default String redisMode()
        {
            return null;
        }

        /**
         * @return host:port of the Redis the node writes to now; null without Redis or while it is unreachable.
         */
        default String redisMaster()
        {
            return null;
        }

        /**
         * @return why Redis is unreachable (e.g. "Command timed out after 2 second(s)"); null otherwise.
         */
        default String redisError()
        {
            return null;
        }

        /**
         * @return {queued, REDIS_QUEUE_MAX, dropped} of the writes waiting for Redis; null without Redis.
         */
        default long[] redisQueue()
        {
            return null;
        }

        long uptimeSeconds();
    }

    private final NodeStatus node;
    private final RouterProxy router;
    private final RouteRegistry registry;
    private final RelayCounters counters;
    private final RelayMetrics metrics;
    private final HttpRequestCounter requests;
    private final RouteRequestParser parser;
    private final ApiKeyAuthenticator authenticator;
    private volatile MixerAgent mixer;
    private volatile Cluster cluster;
    private volatile RelayPorts relayPorts;
    private volatile NodeTracing tracing;
    private volatile boolean accepting = true;
    private volatile HttpRateLimiter rateLimiter = HttpRateLimiter.UNLIMITED;

    /**
     * @param node          node facts for /health.
     * @param router        where route changes go.
     * @param registry      where route reads come from.
     * @param counters      data-plane counters for /health.
     * @param metrics       for /metrics.
     * @param requests      request counter, fed here.
     * @param parser        route request validation.
     * @param authenticator API keys, or null when auth is off.
     */
    public ControlApi(
        final NodeStatus node,
        final RouterProxy router,
        final RouteRegistry registry,
        final RelayCounters counters,
        final RelayMetrics metrics,
        final HttpRequestCounter requests,
        final RouteRequestParser parser,
        final ApiKeyAuthenticator authenticator)
    {
        this.node = node;
        this.router = router;
        this.registry = registry;
        this.counters = counters;
        this.metrics = metrics;
        this.requests = requests;
        this.parser = parser;
        this.authenticator = authenticator;
        this.tracing = NodeTracing.disabled(node.nodeId());
    }

    /**
     * @param mixer the mixer stage whose rooms {@code /rooms} shows, or null when ENABLE_MIXER is off.
     * @return this.
     */
    public ControlApi mixer(final MixerAgent mixer)
    {
        this.mixer = mixer;
        return this;
    }

    /**
     * @param relayPorts where a route with a return path gets its relay port (RELAY_PORTS).
     * @return this.
     */
    public ControlApi relayPorts(final RelayPorts relayPorts)
    {
        this.relayPorts = relayPorts;
        return this;
    }

    /**
     * @param rateLimiter the per-address limit on requests without a valid key (UNAUTH_RATE_PER_SECOND).
     * @return this.
     */
    public ControlApi rateLimiter(final HttpRateLimiter rateLimiter)
    {
        this.rateLimiter = rateLimiter;
        return this;
    }

    /**
     * @param cluster the several-node side, or null without Redis.
     * @return this.
     */
    public ControlApi cluster(final Cluster cluster)
    {
        this.cluster = cluster;
        return this;
    }

    /**
     * @param tracing request and stream spans.
     * @return this.
     */
    public ControlApi tracing(final NodeTracing tracing)
    {
        this.tracing = tracing;
        return this;
    }

    /**
     * Refuse every further call with 503 (graceful stop).
     */
    public void stopAccepting()
    {
        accepting = false;
    }

    /**
     * On the IO thread: refuse on the headers alone where possible, else read the whole body without blocking and
     * hand the request to a worker.
     *
     * @param exchange the request.
     */
    public void handleRequest(final HttpServerExchange exchange)
    {
        exchange.addExchangeCompleteListener((ex, next) ->
        {
            requests.record(ex.getRequestMethod().toString(), ex.getStatusCode());
            next.proceed();
        });
        final HeaderValues transferEncoding = exchange.getRequestHeaders().get(Headers.TRANSFER_ENCODING);
        if (transferEncoding != null &&
            (transferEncoding.size() != 1 || !"chunked".equalsIgnoreCase(transferEncoding.getFirst().strip())))
        {
            // Undertow would read a body of unknown length until the connection closes (RFC 9112 6.3: refuse).
            error(exchange, 400, "Transfer-Encoding must be chunked or absent", "Transfer-Encoding");
            return;
        }
        final String path = exchange.getRelativePath();
        if ("/health".equals(path) || "/metrics".equals(path))
        {
            // Open to anyone, so limited per address; a caller with a valid key is not.
            if (!hasValidKey(exchange) && limited(exchange, rateLimiter, HttpRateLimiter.Reason.UNAUTHENTICATED))
            {
                return;
            }
        }
        else if (!isAuthorized(exchange))
        {
            return;
        }
        if (takesBody(exchange, path) && !isJsonContentType(exchange))
        {
            error(exchange, 415, "a request body must be application/json (UTF-8)", "Content-Type");
            return;
        }
        final Receiver receiver = exchange.getRequestReceiver();
        receiver.setMaxBufferSize(MAX_BODY_BYTES);
        receiver.receiveFullBytes(this::bodyReceived, ControlApi::bodyFailed);
    }

    private void bodyReceived(final HttpServerExchange exchange, final byte[] body)
    {
        // The connection may have been closed under the receiver, at the body deadline for instance.
        if (!exchange.isResponseStarted() && exchange.getConnection().isOpen())
        {
            exchange.dispatch((HttpHandler)ex -> handle(ex, body));
        }
    }

    private static void bodyFailed(final HttpServerExchange exchange, final IOException ex)
    {
        if (exchange.isResponseStarted() || !exchange.getConnection().isOpen())
        {
            return;
        }
        if (ex instanceof Receiver.RequestToLargeException || ex instanceof RequestTooBigException)
        {
            error(exchange, 413, "request body is larger than 64 KiB", null);
        }
        else
        {
            error(exchange, 400, "the request body could not be read: it is cut short or its framing is invalid", null);
        }
    }

    private void handle(final HttpServerExchange exchange, final byte[] body)
    {
        final NodeTracing.RequestSpan span = tracing.startRequest(exchange.getRequestMethod().toString(),
            routeTemplate(exchange.getRelativePath()), exchange.getRequestHeaders()::getFirst);
        exchange.addExchangeCompleteListener((ex, next) ->
        {
            span.end(ex.getStatusCode());
            next.proceed();
        });
        try (Scope ignored = span.context().makeCurrent())
        {
            if (!accepting)
            {
                error(exchange, 503, "node is shutting down", null);
                return;
            }
            dispatch(exchange, body);
        }
        catch (final ClusterRefusal ex)
        {
            error(exchange, ex.status(), ex.getMessage(), ex.field());
        }
        catch (final RedisRouteStore.UnavailableException ex)
        {
            error(exchange, 503, ex.getMessage() + "; several-node requests need Redis", null);
        }
        catch (final ValidationException ex)
        {
            error(exchange, ex.status(), ex.getMessage(), ex.field());
        }
        catch (final Exception ex)
        {
            LOG.error("control API {} {} failed", exchange.getRequestMethod(), exchange.getRelativePath(), ex);
            if (!exchange.isResponseStarted())
            {
                error(exchange, 500, "internal error", null);
            }
        }
    }

    private void dispatch(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final String path = exchange.getRelativePath();
        final HttpString method = exchange.getRequestMethod();

        if ("/health".equals(path))
        {
            if (allow(exchange, Methods.GET))
            {
                health(exchange);
            }
            return;
        }
        if ("/metrics".equals(path))
        {
            if (allow(exchange, Methods.GET))
            {
                metrics(exchange, metrics);
            }
            return;
        }

        if ("/route".equals(path))
        {
            if (allow(exchange, Methods.POST))
            {
                create(exchange, body);
            }
        }
        else if (path.startsWith("/route/"))
        {
            if (allow(exchange, Methods.GET, Methods.PUT, Methods.DELETE))
            {
                final long id = parsePathId(path.substring("/route/".length()));
                if (Methods.GET.equals(method))
                {
                    get(exchange, id);
                }
                else if (Methods.PUT.equals(method))
                {
                    replace(exchange, id, body);
                }
                else
                {
                    delete(exchange, id);
                }
            }
        }
        else if ("/routes".equals(path))
        {
            if (allow(exchange, Methods.GET))
            {
                list(exchange);
            }
        }
        else if ("/rooms".equals(path))
        {
            if (allow(exchange, Methods.GET))
            {
                rooms(exchange);
            }
        }
        else if (path.startsWith("/rooms/"))
        {
            if (allow(exchange, Methods.GET))
            {
                room(exchange, path.substring("/rooms/".length()));
            }
        }
        else if ("/migrate".equals(path))
        {
            if (allow(exchange, Methods.POST))
            {
                migrate(exchange, body);
            }
        }
        else if ("/nodes".equals(path))
        {
            if (allow(exchange, Methods.GET))
            {
                nodes(exchange);
            }
        }
        else
        {
            error(exchange, 404, "no such endpoint: " + truncate(path), null);
        }
    }

    private void create(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final RouteSpec spec = parser.parse(body, null);
        if (spec.returnPath() && registry.get(spec.streamId()) != null)
        {
            // Before a relay port is bound: a route that exists is a 409, not a 503 when RELAY_PORTS is full.
            error(exchange, 409, "a route for stream_id " + spec.streamIdText() + " exists", "stream_id");
            return;
        }
        // The relay port is bound before the answer; from here on the router owns it (and closes it if the route
        // cannot be created).
        final RelaySocket relay = spec.returnPath() ? openRelayPort() : null;
        final RouteCommand.Result result = await(router.create(spec, relay));
        if (relay != null && result.outcome() != RouteCommand.Outcome.OK)
        {
            awaitReleased(relay.port()); // a refused create holds no port once it is answered
        }
        switch (result.outcome())
        {
            case OK:
                if (result.durability() != null && result.durability().kind() == Durability.Kind.CONFLICT)
                {
                    // Redis holds this stream for another node: one owner per route, so undo the local create.
                    await(router.delete(spec.streamId()));
                    awaitReleased(relay == null ? 0 : relay.port());
                    error(exchange, 409, "stream_id " + spec.streamIdText() + " is owned by node " +
                        result.durability().owner(), "stream_id");
                    break;
                }
                tracing.streamStarted(spec.streamId(), spec.roomCode(), Context.current(), "created");
                announce("created", spec.streamId());
                exchange.setStatusCode(201);
                exchange.getResponseHeaders().put(Headers.LOCATION, "/route/" + spec.streamIdText());
                sendRoute(exchange, result.entry());
                break;
            case EXISTS:
                error(exchange, 409, "a route for stream_id " + spec.streamIdText() + " exists", "stream_id");
                break;
            case NODE_FULL:
                error(exchange, 503, "node is at MAX_STREAMS_PER_NODE", null);
                break;
            case JITTER_FULL:
                jitterFull(exchange);
                break;
            default:
                throw new IllegalStateException(result.outcome().toString());
        }
    }

    private void replace(final HttpServerExchange exchange, final long id, final byte[] body) throws Exception
    {
        final RouteEntry before = registry.get(id);
        if (before == null)
        {
            notHere(exchange, id);
            return;
        }
        final RouteSpec old = before.spec();
        final RouteRequestParser.Update update = parser.parseUpdate(body, id);
        final RouteSpec spec = update.spec();
        final int portBefore = before.relayPort();
        // A route that keeps its return path keeps its relay port; one that gains it gets one now.
        RouteCommand.Result result = await(router.replace(spec,
            spec.returnPath() && portBefore == 0 ? openRelayPort() : null, update.clearsLatch(), old));
        if (result.outcome() == RouteCommand.Outcome.JITTER_FULL && RouterProxy.keepsJitterBuffer(old, spec))
        {
            // The route had no buffer after all (restored without room): ask again, taking one from the pool.
            result = await(router.replace(spec,
                spec.returnPath() && portBefore == 0 ? openRelayPort() : null, update.clearsLatch()));
        }
        if (result.outcome() == RouteCommand.Outcome.OK)
        {
            if (!spec.returnPath())
            {
                awaitReleased(portBefore);
            }
            tracing.streamEvent(id, "targets_changed", Attributes.builder()
                .put("soundrelay.targets.before", old.targetCount())
                .put("soundrelay.targets.after", spec.targetCount())
                .put("soundrelay.source_changed", !old.source().equals(spec.source()))
                .build());
            announce("replaced", id);
            exchange.setStatusCode(200);
            sendRoute(exchange, result.entry());
        }
        else if (result.outcome() == RouteCommand.Outcome.JITTER_FULL)
        {
            jitterFull(exchange); // nothing of the PUT was applied
        }
        else
        {
            error(exchange, 404, "no route for stream_id " + Long.toUnsignedString(id), "stream_id");
        }
    }

    /**
     * A route's jitter buffer could not be had: the node's JITTER_MAX_HELD slots are all reserved (or the JVM has no
     * direct memory left for more).
     */
    private void jitterFull(final HttpServerExchange exchange)
    {
        final JitterPool pool = router.jitterPool();
        if (pool != null)
        {
            pool.countRefusal();
        }
        error(exchange, 503, "no jitter buffer left: " + (pool == null ? "the node has none" :
            "JITTER_MAX_HELD=" + pool.maxHeld() + " datagram slots, " + pool.reserved() + " reserved by routes' " +
            "jitter buffers now") + "; use a smaller jitter_ms, 0, or another node", RouteRequestParser.JITTER_MS);
    }

    /**
     * Wait until a relay port the router let go of is closed and counted free again. The receiver closes it on its own
     * thread after the router has answered; without the wait, a create right after the answer could still find it
     * taken (a 503 on a full range) and relay_ports_in_use still counts it. Bounded: a port taken again at once by
     * another route is not waited for.
     *
     * @param port the route's relay port before the change, or 0.
     */
    private void awaitReleased(final int port)
    {
        final RelayPorts ports = relayPorts;
        if (port == 0 || ports == null)
        {
            return;
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RELEASE_WAIT_MS);
        while (ports.isBound(port) && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * @return a bound relay port for a route with a return path.
     * @throws ValidationException 503 naming RELAY_PORTS when every port of the range is taken.
     */
    private RelaySocket openRelayPort() throws IOException
    {
        final RelayPorts ports = relayPorts;
        if (ports == null)
        {
            throw new ValidationException(RouteRequestParser.RETURN_PATH, "this node has no relay ports", 503);
        }
        try
        {
            return ports.open(0);
        }
        catch (final RelayPorts.ExhaustedException ex)
        {
            throw new ValidationException(RouteRequestParser.RETURN_PATH, ex.getMessage(), 503);
        }
    }

    private void delete(final HttpServerExchange exchange, final long id) throws Exception
    {
        final RouteEntry before = registry.get(id);
        final int portBefore = before == null ? 0 : before.relayPort(); // the router sets it to 0 when it lets go
        StreamLifecycle.firstDatagram(tracing, before);
        final RouteCommand.Result result = await(router.delete(id));
        if (result.outcome() == RouteCommand.Outcome.OK)
        {
            awaitReleased(portBefore);
            tracing.streamEnded(id, "deleted", Attributes.empty());
            announce("deleted", id);
            exchange.setStatusCode(204);
            exchange.endExchange();
        }
        else
        {
            notHere(exchange, id);
        }
    }

    private void get(final HttpServerExchange exchange, final long id) throws Exception
    {
        final RouteEntry entry = registry.get(id);
        if (entry != null)
        {
            exchange.setStatusCode(200);
            sendRoute(exchange, entry);
            return;
        }
        final Cluster nodes = cluster;
        StoredRoute stored = null;
        String unreachable = "";
        if (nodes != null)
        {
            try
            {
                stored = awaitCluster(nodes.route(id));
            }
            catch (final RedisRouteStore.UnavailableException ex)
            {
                unreachable = " on this node (Redis is unreachable, so other nodes' routes cannot be looked up)";
            }
        }
        if (stored == null)
        {
            error(exchange, 404, "no route for stream_id " + Long.toUnsignedString(id) + unreachable, "stream_id");
            return;
        }
        final JsonWriter w = new JsonWriter();
        RouteJson.writeStored(w, stored);
        exchange.setStatusCode(200);
        send(exchange, w.toJson());
    }

    /**
     * 404 for a change asked of a route this node does not hold; when Redis knows its owner, say which node to ask.
     */
    private void notHere(final HttpServerExchange exchange, final long id)
    {
        String owner = null;
        final Cluster nodes = cluster;
        if (nodes != null)
        {
            try
            {
                final StoredRoute stored = awaitCluster(nodes.route(id));
                owner = stored == null || stored.nodeId().equals(node.nodeId()) ? null : stored.nodeId();
            }
            catch (final Exception ex)
            {
                owner = null; // Redis away: the plain answer
            }
        }
        error(exchange, 404, "no route for stream_id " + Long.toUnsignedString(id) + " on this node" +
            (owner == null ? "" : "; node " + owner + " owns it: send the change there"), "stream_id");
    }

    private void announce(final String op, final long streamId)
    {
        final Cluster nodes = cluster;
        if (nodes != null)
        {
            nodes.announce(op, streamId);
        }
    }

    private void nodes(final HttpServerExchange exchange) throws Exception
    {
        final Cluster nodes = cluster;
        final JsonWriter w = new JsonWriter();
        w.beginObject().name("nodes").beginArray();
        if (nodes == null)
        {
            // No Redis: this node is the only one there is.
            w.beginObject()
                .name("node_id").value(node.nodeId())
                .name("relay_addr").value(node.relayAddr())
                .name("control_addr").value(node.controlAddr())
                .name("active_routes").value(registry.size())
                .name("started_at").value(node.startedAt())
                .name("last_heartbeat_ms_ago").value(0)
                .endObject();
        }
        else
        {
            for (final NodeInfo info : awaitCluster(nodes.nodes()))
            {
                info.write(w);
            }
        }
        w.endArray().endObject();
        exchange.setStatusCode(200);
        send(exchange, w.toJson());
    }

    private void migrate(final HttpServerExchange exchange, final byte[] body) throws Exception
    {
        final MigrateRequest request = MigrateRequest.parse(body);
        final Cluster nodes = cluster;
        if (nodes == null)
        {
            error(exchange, 409, "migration needs several nodes on one Redis; this node runs without Redis " +
                "(REDIS_URL is empty)", null);
            return;
        }
        final Cluster.Migration m = nodes.migrate(request.streamId(), request.newNodeAddr(), Context.current());
        final JsonWriter w = new JsonWriter().beginObject()
            .name("stream_id").unsignedValue(m.streamId)
            .name("from_node").value(m.fromNode)
            .name("to_node").value(m.toNode)
            .name("new_node_addr").value(m.newNodeAddr)
            .name("new_control_addr");
        if (m.newControlAddr == null)
        {
            w.nullValue();
        }
        else
        {
            w.value(m.newControlAddr);
        }
        w.name("status").value("migrating")
            .name("handoff").value(m.forwarding ? "forwarding" : "failover")
            .name("grace_seconds").value(m.forwarding ? nodes.graceSeconds() : 0)
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
        exchange.setStatusCode(200);
        send(exchange, w.toJson());
    }

    private static <T> T awaitCluster(final CompletableFuture<T> future) throws Exception
    {
        try
        {
            return future.get(ROUTER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw new ValidationException(null, "Redis did not answer in time; try again", 503);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof Exception ? (Exception)ex.getCause() : ex;
        }
    }

    /**
     * @return the path as a span names it: ids and room codes replaced by a placeholder, never a raw unknown path.
     */
    static String routeTemplate(final String path)
    {
        if (path.startsWith("/route/"))
        {
            return "/route/{id}";
        }
        if (path.startsWith("/rooms/"))
        {
            return "/rooms/{code}";
        }
        switch (path)
        {
            case "/health":
            case "/metrics":
            case "/route":
            case "/routes":
            case "/rooms":
            case "/migrate":
            case "/nodes":
                return path;
            default:
                return "unknown";
        }
    }

    private void list(final HttpServerExchange exchange)
    {
        int limit = DEFAULT_PAGE;
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
            if (limit < 1 || limit > MAX_PAGE)
            {
                throw new ValidationException("limit", "limit must be an integer from 1 to " + MAX_PAGE);
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
            RouteJson.write(w, e, node.nodeId(), nowNs);
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
        exchange.setStatusCode(200);
        send(exchange, w.toJson());
    }

    private void rooms(final HttpServerExchange exchange)
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
        exchange.setStatusCode(200);
        send(exchange, w.toJson());
    }

    private void room(final HttpServerExchange exchange, final String code)
    {
        if (!RouteRequestParser.isValidRoomCode(code))
        {
            throw new ValidationException("room_code", "room code in the path must be 1-" +
                RouteSpec.MAX_ROOM_CODE_LENGTH + " characters of A-Z, a-z, 0-9, '_' and '-'");
        }
        final MixerAgent stage = mixer;
        if (stage == null)
        {
            error(exchange, 404, "the mixer is off (ENABLE_MIXER=false): room codes are only labels", "room_code");
            return;
        }
        final RoomView room = stage.room(code);
        if (room == null)
        {
            error(exchange, 404, "no room " + code + ": no route has this room_code", "room_code");
            return;
        }
        final JsonWriter w = new JsonWriter();
        RoomJson.write(w, room);
        exchange.setStatusCode(200);
        send(exchange, w.toJson());
    }

    private void health(final HttpServerExchange exchange)
    {
        final String redis = node.redis();
        final JsonWriter w = new JsonWriter();
        w.beginObject()
            .name("status").value("unavailable".equals(redis) ? "degraded" : "ok")
            .name("node_id").value(node.nodeId())
            .name("uptime_s").value(node.uptimeSeconds())
            .name("transport").value(node.transport())
            .name("redis").value(redis)
            .name("redis_mode").value(node.redisMode())
            .name("redis_master").value(node.redisMaster())
            .name("redis_error").value(node.redisError());
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
        exchange.setStatusCode(200);
        send(exchange, w.toJson());
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
        exchange.getResponseSender().send(java.nio.ByteBuffer.wrap(metrics.scrape()));
    }

    private static long parsePathId(final String text)
    {
        if (text.isEmpty() || text.length() > 20 || !text.chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            throw new ValidationException("stream_id", "stream id in the path must be a decimal from 1 to 2^64-1");
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
            throw new ValidationException("stream_id", "stream id in the path must be a decimal from 1 to 2^64-1");
        }
    }

    private static long parseCursor(final String cursor)
    {
        try
        {
            if (cursor.length() > 20 || !cursor.chars().allMatch(c -> c >= '0' && c <= '9'))
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

    private static String query(final HttpServerExchange exchange, final String name)
    {
        final Deque<String> values = exchange.getQueryParameters().get(name);
        return values == null ? null : values.peekFirst();
    }

    private boolean isAuthorized(final HttpServerExchange exchange)
    {
        if (authenticator == null)
        {
            return true;
        }
        final HeaderValues authorization = exchange.getRequestHeaders().get(Headers.AUTHORIZATION);
        final HeaderValues apiKey = exchange.getRequestHeaders().get(X_API_KEY);
        if (credentials(authorization, apiKey) > 1)
        {
            if (limited(exchange, rateLimiter, HttpRateLimiter.Reason.AUTH_FAILED))
            {
                return false;
            }
            final String field = authorization != null && authorization.size() > 1 ? "Authorization" : "X-API-Key";
            error(exchange, 400, "more than one credential: send one Authorization: Bearer <key> or one X-API-Key",
                field);
            return false;
        }
        if (!isValidKey(authorization, apiKey))
        {
            if (limited(exchange, rateLimiter, HttpRateLimiter.Reason.AUTH_FAILED))
            {
                return false;
            }
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
            error(exchange, 401, "missing or invalid API key (Authorization: Bearer <key> or X-API-Key)", null);
            return false;
        }
        return true;
    }

    /**
     * @return whether the request carries exactly one credential and it is a valid key (auth off: always).
     */
    private boolean hasValidKey(final HttpServerExchange exchange)
    {
        if (authenticator == null)
        {
            return true;
        }
        final HeaderValues authorization = exchange.getRequestHeaders().get(Headers.AUTHORIZATION);
        final HeaderValues apiKey = exchange.getRequestHeaders().get(X_API_KEY);
        return credentials(authorization, apiKey) == 1 && isValidKey(authorization, apiKey);
    }

    private static int credentials(final HeaderValues authorization, final HeaderValues apiKey)
    {
        return (authorization == null ? 0 : authorization.size()) + (apiKey == null ? 0 : apiKey.size());
    }

    /** Constant time, whichever header carries the key (see {@link ApiKeyAuthenticator}). */
    private boolean isValidKey(final HeaderValues authorization, final HeaderValues apiKey)
    {
        return authenticator.isAuthorized(
            authorization == null ? null : authorization.getFirst(), apiKey == null ? null : apiKey.getFirst());
    }

    /**
     * Spend a token of the client address's bucket; when there is none, answer 429 with Retry-After.
     *
     * @param exchange the request.
     * @param limiter  the buckets.
     * @param reason   what kind of request it is.
     * @return true when the request was refused (and answered).
     */
    static boolean limited(
        final HttpServerExchange exchange, final HttpRateLimiter limiter, final HttpRateLimiter.Reason reason)
    {
        final java.net.InetSocketAddress source = exchange.getSourceAddress();
        final long retryAfterS =
            limiter.acquire(source == null ? null : source.getAddress(), reason, System.nanoTime());
        if (retryAfterS == 0)
        {
            return false;
        }
        exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(retryAfterS));
        error(exchange, 429, reason == HttpRateLimiter.Reason.AUTH_FAILED ?
            "too many failed authentications from this address; try again in " + retryAfterS + " s" :
            "too many requests without an API key from this address (UNAUTH_RATE_PER_SECOND); try again in " +
            retryAfterS + " s", null);
        return true;
    }

    private static boolean takesBody(final HttpServerExchange exchange, final String path)
    {
        final HttpString method = exchange.getRequestMethod();
        return (Methods.POST.equals(method) && ("/route".equals(path) || "/migrate".equals(path))) ||
            (Methods.PUT.equals(method) && path.startsWith("/route/"));
    }

    private static boolean isJsonContentType(final HttpServerExchange exchange)
    {
        final HeaderValues values = exchange.getRequestHeaders().get(Headers.CONTENT_TYPE);
        if (values == null || values.isEmpty())
        {
            return true;
        }
        if (values.size() > 1)
        {
            return false;
        }
        final String[] parts = values.getFirst().split(";", -1);
        if (!JSON.equals(parts[0].strip().toLowerCase(Locale.ROOT)))
        {
            return false;
        }
        for (int i = 1; i < parts.length; i++)
        {
            final String parameter = parts[i].strip().toLowerCase(Locale.ROOT).replace("\"", "");
            if (!parameter.isEmpty() && !parameter.equals("charset=utf-8"))
            {
                return false;
            }
        }
        return true;
    }

    private static RouteCommand.Result await(final CompletableFuture<RouteCommand.Result> future) throws Exception
    {
        try
        {
            return future.get(ROUTER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw new ValidationException(null, "the router did not answer in time; try again", 503);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RouterProxy.BusyException)
            {
                throw new ValidationException(null, "the router is busy; try again", 503);
            }
            throw ex;
        }
    }

    private boolean allow(final HttpServerExchange exchange, final HttpString... methods)
    {
        for (final HttpString m : methods)
        {
            if (m.equals(exchange.getRequestMethod()))
            {
                return true;
            }
        }
        final StringBuilder allowed = new StringBuilder();
        for (final HttpString m : methods)
        {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(m);
        }
        exchange.getResponseHeaders().put(Headers.ALLOW, allowed.toString());
        error(exchange, 405, "method " + truncate(exchange.getRequestMethod().toString()) + " not allowed here", null);
        return false;
    }

    private void sendRoute(final HttpServerExchange exchange, final RouteEntry entry)
    {
        final JsonWriter w = new JsonWriter();
        RouteJson.write(w, entry, node.nodeId(), System.nanoTime());
        send(exchange, w.toJson());
    }

    /**
     * Answer with a JSON error; shared with {@link ControlServer} for its body deadline.
     *
     * @param exchange the request.
     * @param status   HTTP status.
     * @param message  what is wrong, for a person.
     * @param field    the field or header at fault, or null.
     */
    static void error(final HttpServerExchange exchange, final int status, final String message, final String field)
    {
        final JsonWriter w = new JsonWriter();
        w.beginObject().name("error").value(message);
        if (field != null)
        {
            w.name("field").value(field);
        }
        w.endObject();
        exchange.setStatusCode(status);
        if (!exchange.isRequestComplete())
        {
            // Refused before the body was read: close rather than wait to drain a body that may never come, and never
            // parse its rest as the next request on this connection.
            exchange.setPersistent(false);
        }
        send(exchange, w.toJson());
    }

    private static void send(final HttpServerExchange exchange, final String json)
    {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
        exchange.getResponseSender().send(json, StandardCharsets.UTF_8);
    }

    private static String truncate(final String s)
    {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
