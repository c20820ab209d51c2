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
import io.soundrelay.control.RouteLog;
import io.soundrelay.control.StreamLifecycle;
import io.soundrelay.control.cluster.Cluster;
import io.soundrelay.control.cluster.NodeInfo;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.route.MigrateRequest;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.ValidationException;
import io.soundrelay.io.jitter.JitterPool;
import io.soundrelay.io.router.Durability;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * What the control API's route requests do, apart from HTTP: ask the router through its {@link RouterProxy} and wait
 * for its answer, bind the relay port of a route with a return path, undo a create that Redis says another node
 * owns, wait for a released relay port to be closed, and tell the cluster and the traces. The handlers parse,
 * call one method here and write its result; every refusal is a {@link ValidationException} with the status and the
 * field at fault, which the API writes as its JSON error.
 */
final class RouteService
{
    private static final long ROUTER_TIMEOUT_MS = 5000;
    /** Longest a DELETE or PUT waits for the receiver to close the relay port the route gave up. */
    private static final long RELEASE_WAIT_MS = 1000;
    /** {@code POST /route}'s 503 while the node drains (PROTOCOL.md section 12). */
    static final String DRAINING =
        "node is draining (SIGTERM or POST /drain): it takes no new route; create it on another node";

    private final String nodeId;
    private final RouterProxy router;
    private final RouteRegistry registry;
    private volatile Cluster cluster;
    private volatile RelayPorts relayPorts;
    private volatile NodeTracing tracing;
    private volatile ControlApi.Drainer drainer;
    private volatile Supplier<String> fullReason;

    /**
     * @param nodeId   this node's id, to tell its own routes in Redis from other nodes'.
     * @param router   where route changes go.
     * @param registry where route reads come from.
     * @param tracing  stream spans.
     */
    RouteService(
        final String nodeId, final RouterProxy router, final RouteRegistry registry, final NodeTracing tracing)
    {
        this.nodeId = nodeId;
        this.router = router;
        this.registry = registry;
        this.tracing = tracing;
    }

    void cluster(final Cluster cluster)
    {
        this.cluster = cluster;
    }

    Cluster cluster()
    {
        return cluster;
    }

    void fullReason(final Supplier<String> fullReason)
    {
        this.fullReason = fullReason;
    }

    void drainer(final ControlApi.Drainer drainer)
    {
        this.drainer = drainer;
    }

    void relayPorts(final RelayPorts relayPorts)
    {
        this.relayPorts = relayPorts;
    }

    void tracing(final NodeTracing tracing)
    {
        this.tracing = tracing;
    }

    /**
     * Create a route: bind its relay port first when it has a return path, and undo the create when Redis holds the
     * stream for another node (one owner per route).
     *
     * @param spec the validated request.
     * @return the route as created.
     * @throws ValidationException 409 when the route exists or another node owns it, 503 when the node is full.
     */
    RouteEntry create(final RouteSpec spec) throws Exception
    {
        final ControlApi.Drainer drain = drainer;
        if (drain != null && drain.draining())
        {
            throw new ValidationException(null, DRAINING, 503);
        }
        if (spec.returnPath() && registry.get(spec.streamId()) != null)
        {
            // Before a relay port is bound: a route that exists is a 409, not a 503 when RELAY_PORTS is full.
            throw exists(spec);
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
                    throw new ValidationException(RouteRequestParser.STREAM_ID, "stream_id " + spec.streamIdText() +
                        " is owned by node " + result.durability().owner(), 409);
                }
                tracing.streamStarted(spec.streamId(), spec.roomCode(), Context.current(), "created");
                announce("created", spec.streamId());
                RouteLog.info("created", nodeId, spec);
                return result.entry();
            case EXISTS:
                throw exists(spec);
            case NODE_FULL:
                final Supplier<String> full = fullReason;
                throw new ValidationException(null, full == null ? "node is at MAX_STREAMS_PER_NODE" : full.get(),
                    503);
            case JITTER_FULL:
                throw jitterFull();
            default:
                throw new IllegalStateException(result.outcome().toString());
        }
    }

    /**
     * @param id a stream id.
     * @return the route this node holds for it.
     * @throws ValidationException 404, naming the node that owns it when Redis knows.
     */
    RouteEntry held(final long id)
    {
        final RouteEntry entry = registry.get(id);
        if (entry == null)
        {
            throw notHere(id);
        }
        return entry;
    }

    /**
     * Replace a route: a route that keeps its return path keeps its relay port, one that gains it gets one now, one
     * that loses it gives it back.
     *
     * @param before the route as it is.
     * @param update the validated request.
     * @return the route as replaced.
     * @throws ValidationException 503 when its jitter buffer cannot be had (nothing applied), 404 when it is gone.
     */
    RouteEntry replace(final RouteEntry before, final RouteRequestParser.Update update) throws Exception
    {
        final RouteSpec old = before.spec();
        final RouteSpec spec = update.spec();
        final long id = spec.streamId();
        final int portBefore = before.relayPort();
        RouteCommand.Result result = await(router.replace(spec,
            spec.returnPath() && portBefore == 0 ? openRelayPort() : null, update.clearsLatch(), old));
        if (result.outcome() == RouteCommand.Outcome.JITTER_FULL && RouterProxy.keepsJitterBuffer(old, spec))
        {
            // The route had no buffer after all (restored without room): ask again, taking one from the pool.
            result = await(router.replace(spec,
                spec.returnPath() && portBefore == 0 ? openRelayPort() : null, update.clearsLatch()));
        }
        if (result.outcome() == RouteCommand.Outcome.JITTER_FULL)
        {
            throw jitterFull(); // nothing of the PUT was applied
        }
        if (result.outcome() != RouteCommand.Outcome.OK)
        {
            throw new ValidationException(
                RouteRequestParser.STREAM_ID, "no route for stream_id " + Long.toUnsignedString(id), 404);
        }
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
        RouteLog.info("replaced", nodeId, spec);
        return result.entry();
    }

    /**
     * Delete a route and wait until its relay port, if any, is free again.
     *
     * @param id the stream id.
     * @throws ValidationException 404 when this node holds no such route.
     */
    void delete(final long id) throws Exception
    {
        final RouteEntry before = registry.get(id);
        final int portBefore = before == null ? 0 : before.relayPort(); // the router sets it to 0 when it lets go
        StreamLifecycle.firstDatagram(tracing, before);
        final RouteCommand.Result result = await(router.delete(id));
        if (result.outcome() != RouteCommand.Outcome.OK)
        {
            throw notHere(id);
        }
        awaitReleased(portBefore);
        tracing.streamEnded(id, "deleted", Attributes.empty());
        announce("deleted", id);
        if (before != null)
        {
            RouteLog.info("deleted", nodeId, before.spec());
        }
    }

    /**
     * @param id a stream id this node does not hold.
     * @return the route another node holds, as Redis has it.
     * @throws ValidationException 404 when no node holds it (or Redis cannot be asked).
     */
    StoredRoute elsewhere(final long id) throws Exception
    {
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
            throw new ValidationException(RouteRequestParser.STREAM_ID,
                "no route for stream_id " + Long.toUnsignedString(id) + unreachable, 404);
        }
        return stored;
    }

    /**
     * @param request the validated request.
     * @return the hand-off as started.
     * @throws ValidationException 409 when the node runs without Redis.
     */
    Cluster.Migration migrate(final MigrateRequest request) throws Exception
    {
        final Cluster nodes = cluster;
        if (nodes == null)
        {
            throw new ValidationException(null, "migration needs several nodes on one Redis; this node runs " +
                "without Redis (REDIS_URL is empty)", 409);
        }
        return nodes.migrate(request.streamId(), request.newNodeAddr(), Context.current());
    }

    /**
     * @return the nodes Redis knows, or null when the node runs without Redis.
     */
    List<NodeInfo> nodes() throws Exception
    {
        final Cluster nodes = cluster;
        return nodes == null ? null : awaitCluster(nodes.nodes());
    }

    /**
     * A route's jitter buffer could not be had: the node's JITTER_MAX_HELD slots are all reserved (or the JVM has no
     * direct memory left for more).
     */
    private ValidationException jitterFull()
    {
        final JitterPool pool = router.jitterPool();
        if (pool != null)
        {
            pool.countRefusal();
        }
        return new ValidationException(RouteRequestParser.JITTER_MS, "no jitter buffer left: " + (pool == null ?
            "the node has none" : "JITTER_MAX_HELD=" + pool.maxHeld() + " datagram slots, " + pool.reserved() +
            " reserved by routes' jitter buffers now") + "; use a smaller jitter_ms, 0, or another node", 503);
    }

    private static ValidationException exists(final RouteSpec spec)
    {
        return new ValidationException(
            RouteRequestParser.STREAM_ID, "a route for stream_id " + spec.streamIdText() + " exists", 409);
    }

    /**
     * 404 for a change asked of a route this node does not hold; when Redis knows its owner, say which node to ask.
     */
    private ValidationException notHere(final long id)
    {
        String owner = null;
        final Cluster nodes = cluster;
        if (nodes != null)
        {
            try
            {
                final StoredRoute stored = awaitCluster(nodes.route(id));
                owner = stored == null || stored.nodeId().equals(nodeId) ? null : stored.nodeId();
            }
            catch (final Exception ex)
            {
                owner = null; // Redis away: the plain answer
            }
        }
        return new ValidationException(RouteRequestParser.STREAM_ID, "no route for stream_id " +
            Long.toUnsignedString(id) + " on this node" +
            (owner == null ? "" : "; node " + owner + " owns it: send the change there"), 404);
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

    private void announce(final String op, final long streamId)
    {
        final Cluster nodes = cluster;
        if (nodes != null)
        {
            nodes.announce(op, streamId);
        }
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
}
