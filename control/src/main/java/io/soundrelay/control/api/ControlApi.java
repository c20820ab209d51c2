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

import io.opentelemetry.context.Scope;
import io.soundrelay.control.cluster.Cluster;
import io.soundrelay.control.cluster.ClusterRefusal;
import io.soundrelay.control.metrics.HttpRequestCounter;
import io.soundrelay.control.metrics.RelayMetrics;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.route.Addresses;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.core.route.ValidationException;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The control API of PROTOCOL.md section 2 on Undertow. A request starts on an IO thread, which matches it in the one
 * routing table ({@link ApiRoutes}), refuses what the headers alone condemn (credentials, content type: see
 * {@link RequestGate}) and reads the body without blocking, up to {@link #MAX_BODY_BYTES}; only a complete request is
 * handed to a worker thread, so a slow client never holds one. On the worker, the endpoint's handler
 * ({@link RouteHandlers}, {@link NodeHandlers}) parses the request, calls the {@link RouteService} for anything that
 * changes a route, and writes the answer. Every error is a JSON body naming the field at fault.
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

        /**
         * @return DATA_PLANE_PIPELINES: the data plane's pipelines.
         */
        /**
         * @return {@code enabled} or {@code disabled}: whether the API asks for a key (AUTH_ENABLED).
         */
        default String auth()
        {
            return "enabled";
        }

        /**
         * @return what the operator should fix, one sentence each (an unauthenticated API on a reachable address);
         * empty when nothing.
         */
        default List<String> warnings()
        {
            return List.of();
        }

        default int pipelines()
        {
            return 1;
        }

        /**
         * {@code /livez} (PROTOCOL.md section 12): never asks Redis.
         *
         * @return why the node is not live (a data-plane thread stuck), or null when it is.
         */
        default String notLive()
        {
            return null;
        }

        /**
         * {@code /readyz} (PROTOCOL.md section 12).
         *
         * @return why the node takes no new route now, or null when it takes them.
         */
        default String notReady()
        {
            return null;
        }

        /**
         * @return true while the node drains (PROTOCOL.md section 12): {@code /health} says {@code draining}.
         */
        default boolean draining()
        {
            return false;
        }

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

    /**
     * A node's drain (PROTOCOL.md section 12), as {@code POST /drain} and {@code POST /route} see it.
     */
    public interface Drainer
    {
        /**
         * @return true once a drain began: the node takes no new route.
         */
        boolean draining();

        /**
         * Begin the drain, unless it already began.
         *
         * @param reason what asked for it, for the log.
         * @return true when this call began it.
         */
        boolean start(String reason);

        /**
         * @return the routes the node still owns while it drains; 0 when it does not drain.
         */
        int routesRemaining();

        /**
         * @return DRAIN_TIMEOUT_SECONDS.
         */
        int timeoutSeconds();
    }

    private final HttpRequestCounter requests;
    private final RequestGate gate;
    private final RouteService service;
    private final NodeHandlers nodeHandlers;
    private final ApiRoutes routes = new ApiRoutes(this::accept);
    private volatile NodeTracing tracing;
    private volatile boolean accepting = true;

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
        this.requests = requests;
        this.gate = new RequestGate(authenticator);
        this.tracing = NodeTracing.disabled(node.nodeId());
        this.service = new RouteService(node.nodeId(), router, registry, tracing);
        this.nodeHandlers = new NodeHandlers(node, registry, counters, metrics, service);
        final RouteHandlers routeHandlers = new RouteHandlers(node.nodeId(), registry, parser, service);

        routes.resource("/", "/", true).on(Methods.GET, false, nodeHandlers::index);
        routes.resource("/health", "/health", true).on(Methods.GET, false, nodeHandlers::health);
        routes.resource("/livez", "/livez", true).on(Methods.GET, false, nodeHandlers::livez);
        routes.resource("/readyz", "/readyz", true).on(Methods.GET, false, nodeHandlers::readyz);
        routes.resource("/metrics", "/metrics", true).on(Methods.GET, false, nodeHandlers::metrics);
        routes.resource("/route", "/route", false).on(Methods.POST, true, routeHandlers::create);
        routes.resource("/route/*", "/route/{id}", false)
            .on(Methods.GET, false, routeHandlers::get)
            .on(Methods.PUT, true, routeHandlers::replace)
            .on(Methods.DELETE, false, routeHandlers::delete);
        routes.resource("/routes", "/routes", false).on(Methods.GET, false, routeHandlers::list);
        routes.resource("/rooms", "/rooms", false).on(Methods.GET, false, nodeHandlers::rooms);
        routes.resource("/rooms/*", "/rooms/{code}", false).on(Methods.GET, false, nodeHandlers::room);
        routes.resource("/migrate", "/migrate", false).on(Methods.POST, true, routeHandlers::migrate);
        routes.resource("/nodes", "/nodes", false).on(Methods.GET, false, nodeHandlers::nodes);
        routes.resource("/drain", "/drain", false).on(Methods.POST, false, nodeHandlers::drain);
        nodeHandlers.endpoints(routes.endpoints());
    }

    /**
     * @return the failed authentications, which the node's log reporter writes once a second.
     */
    public AuthFailureLog authFailures()
    {
        return gate.authFailures();
    }

    /**
     * @param drainer the node's drain: {@code POST /drain} begins it, and {@code POST /route} is refused meanwhile.
     * @return this.
     */
    public ControlApi drainer(final Drainer drainer)
    {
        nodeHandlers.drainer(drainer);
        service.drainer(drainer);
        return this;
    }

    /**
     * @param mixer the mixer stage whose rooms {@code /rooms} shows, or null when ENABLE_MIXER is off.
     * @return this.
     */
    public ControlApi mixer(final MixerAgent mixer)
    {
        nodeHandlers.mixer(mixer);
        return this;
    }

    /**
     * @param fullReason why the node takes no new route at MAX_STREAMS_PER_NODE: the value and the count, now.
     * @return this.
     */
    public ControlApi fullReason(final Supplier<String> fullReason)
    {
        service.fullReason(fullReason);
        return this;
    }

    /**
     * @param relayPorts where a route with a return path gets its relay port (RELAY_PORTS).
     * @return this.
     */
    public ControlApi relayPorts(final RelayPorts relayPorts)
    {
        service.relayPorts(relayPorts);
        return this;
    }

    /**
     * @param rateLimiter the per-address limit on requests without a valid key (UNAUTH_RATE_PER_SECOND).
     * @return this.
     */
    public ControlApi rateLimiter(final HttpRateLimiter rateLimiter)
    {
        gate.rateLimiter(rateLimiter);
        return this;
    }

    /**
     * @param cluster the several-node side, or null without Redis.
     * @return this.
     */
    public ControlApi cluster(final Cluster cluster)
    {
        service.cluster(cluster);
        return this;
    }

    /**
     * @param tracing request and stream spans.
     * @return this.
     */
    public ControlApi tracing(final NodeTracing tracing)
    {
        this.tracing = tracing;
        service.tracing(tracing);
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
     * On the IO thread: refuse a body of unknown length, then match the request in the routing table, which hands it
     * to {@link #accept(HttpServerExchange, ApiRoutes.Endpoint)}.
     *
     * @param exchange the request.
     * @throws Exception from Undertow.
     */
    @Override
    public void handleRequest(final HttpServerExchange exchange) throws Exception
    {
        final long startNs = System.nanoTime();
        exchange.addExchangeCompleteListener((ex, next) ->
        {
            requests.record(ex.getRequestMethod().toString(), ex.getStatusCode());
            if (LOG.isDebugEnabled())
            {
                // The path only: never a header (the key) nor the body.
                LOG.debug("{} {} {} in {} ms from {}", ex.getRequestMethod(), ex.getRequestPath(), ex.getStatusCode(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), Addresses.text(ex.getSourceAddress()));
            }
            next.proceed();
        });
        final HeaderValues transferEncoding = exchange.getRequestHeaders().get(Headers.TRANSFER_ENCODING);
        if (transferEncoding != null &&
            (transferEncoding.size() != 1 || !"chunked".equalsIgnoreCase(transferEncoding.getFirst().strip())))
        {
            // Undertow would read a body of unknown length until the connection closes (RFC 9112 6.3: refuse).
            ApiResponses.error(exchange, 400, "Transfer-Encoding must be chunked or absent", "Transfer-Encoding");
            return;
        }
        routes.route(exchange);
    }

    /**
     * On the IO thread, once matched: refuse on the headers alone where possible, else read the whole body without
     * blocking and hand the request to a worker.
     */
    private void accept(final HttpServerExchange exchange, final ApiRoutes.Endpoint endpoint)
    {
        if (endpoint.open() ? !gate.admitOpen(exchange) : !gate.isAuthorized(exchange))
        {
            return;
        }
        if (endpoint.takesBody() && !RequestGate.isJsonContentType(exchange))
        {
            ApiResponses.error(exchange, 415, "a request body must be application/json (UTF-8)", "Content-Type");
            return;
        }
        final Receiver receiver = exchange.getRequestReceiver();
        receiver.setMaxBufferSize(MAX_BODY_BYTES);
        receiver.receiveFullBytes((ex, body) -> bodyReceived(ex, body, endpoint), ControlApi::bodyFailed);
    }

    private void bodyReceived(final HttpServerExchange exchange, final byte[] body, final ApiRoutes.Endpoint endpoint)
    {
        // The connection may have been closed under the receiver, at the body deadline for instance.
        if (!exchange.isResponseStarted() && exchange.getConnection().isOpen())
        {
            exchange.dispatch((HttpHandler)ex -> handle(ex, body, endpoint));
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
            ApiResponses.error(exchange, 413, "request body is larger than 64 KiB", null);
        }
        else
        {
            ApiResponses.error(exchange, 400,
                "the request body could not be read: it is cut short or its framing is invalid", null);
        }
    }

    /**
     * On a worker: the request's span, then its endpoint's handler; a refusal it throws becomes the JSON error.
     */
    private void handle(final HttpServerExchange exchange, final byte[] body, final ApiRoutes.Endpoint endpoint)
    {
        final NodeTracing.RequestSpan span = tracing.startRequest(exchange.getRequestMethod().toString(),
            endpoint.label(), exchange.getRequestHeaders()::getFirst);
        exchange.addExchangeCompleteListener((ex, next) ->
        {
            span.end(ex.getStatusCode());
            next.proceed();
        });
        try (Scope ignored = span.context().makeCurrent())
        {
            if (!accepting)
            {
                ApiResponses.error(exchange, 503, "node is shutting down", null);
                return;
            }
            endpoint.handler().handle(exchange, body);
        }
        catch (final ClusterRefusal ex)
        {
            ApiResponses.error(exchange, ex.status(), ex.getMessage(), ex.field());
        }
        catch (final RedisRouteStore.UnavailableException ex)
        {
            ApiResponses.error(exchange, 503, ex.getMessage() + "; several-node requests need Redis", null);
        }
        catch (final ValidationException ex)
        {
            ApiResponses.error(exchange, ex.status(), ex.getMessage(), ex.field());
        }
        catch (final Exception ex)
        {
            LOG.error("control API {} {} failed", exchange.getRequestMethod(), exchange.getRelativePath(), ex);
            if (!exchange.isResponseStarted())
            {
                ApiResponses.error(exchange, 500, "internal error", null);
            }
        }
    }
}
