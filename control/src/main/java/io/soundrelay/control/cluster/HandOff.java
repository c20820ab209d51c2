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

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.soundrelay.control.RouteLog;
import io.soundrelay.control.StreamLifecycle;
import io.soundrelay.control.redis.RedisFailures;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouterProxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code POST /migrate}: a hand-off of a route to another live node (or a dead node's route to a live one), as a
 * state machine stepped by its owner, the store's duty cycle ({@link Cluster#doHandOffWork}), in the shape of
 * aeron-cluster's {@code Election}: one method per state, each returning the work it did.
 * <pre>
 *   PREPARE ──► CONFIRM ──► FORWARD ──► AWAIT_ROUTER ──► DONE
 *      │           │  └──────────────────────────────────► DONE  (failover: nobody forwards)
 *      │           └──► ABORT ─────────────────────────────► DONE  (no confirmation in time, or refused)
 *      └──► DONE (failover onto this node: nothing to wait for)
 * </pre>
 * PREPARE checks the new node is live, sets it as owner in Redis and announces {@code migrate}; it runs in the API's
 * task, so a refusal answers the request at once. CONFIRM waits for the new node's {@code adopted} or {@code refused}
 * at most {@link Cluster#CONFIRM_TIMEOUT_MS}. ABORT sets the owner back and announces {@code aborted}. FORWARD tells
 * this node's router to forward the stream's datagrams to the new node for the grace window, and AWAIT_ROUTER waits
 * for its answer. The request's thread waits on {@link #await()}.
 */
final class HandOff
{
    /** A hand-off's steps. */
    enum State
    {
        PREPARE, CONFIRM, ABORT, FORWARD, AWAIT_ROUTER, DONE
    }

    /**
     * What a hand-off works with: the node's parts.
     */
    record Crew(
        RedisRouteStore store,
        NodeTracing tracing,
        RouteRegistry registry,
        RouterProxy router,
        LiveNodes liveNodes,
        RouteOwnership ownership,
        Adoption adoption,
        int graceSeconds)
    {
        long graceNs()
        {
            return TimeUnit.SECONDS.toNanos(graceSeconds);
        }
    }

    /** How long the request's thread waits at most: every step's own timeout, and Redis's on top. */
    static final long AWAIT_MS =
        Cluster.CONFIRM_TIMEOUT_MS + Adoption.ROUTER_TIMEOUT_MS + RedisRouteStore.COMMAND_TIMEOUT_MS * 4;

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);

    private final Crew crew;
    private final String nodeId;
    private final long streamId;
    private final Endpoint newNodeAddr;
    private final Context parent;
    private final long startNs;
    private final CompletableFuture<Cluster.Migration> result = new CompletableFuture<>();
    private State state = State.PREPARE;
    private String fromNode;
    private NodeInfo target;
    private boolean forwarding;
    private Span span;
    /** A forwarding hand-off's key, drawn here and sent to the new node with the MIGRATE; null for a failover. */
    private HopKey key;
    private long deadlineNs;
    private Announcement answer;
    private long confirmedNs;
    private CompletableFuture<RouteCommand.Result> routed;
    /** One of many (a drain's): its line at DEBUG, under the drain's summary at INFO. */
    private boolean quiet;
    /** The route as it was when it was handed over, for its line. */
    private RouteSpec spec;

    HandOff(final Crew crew, final long streamId, final Endpoint newNodeAddr, final Context parent, final long startNs)
    {
        this.crew = crew;
        this.nodeId = crew.store().nodeId();
        this.streamId = streamId;
        this.newNodeAddr = newNodeAddr;
        this.parent = parent;
        this.startNs = startNs;
    }

    HandOff quiet(final boolean quiet)
    {
        this.quiet = quiet;
        return this;
    }

    long streamId()
    {
        return streamId;
    }

    State state()
    {
        return state;
    }

    boolean isDone()
    {
        return state == State.DONE;
    }

    /**
     * @param announcement an {@code adopted} or {@code refused} for this stream.
     * @return true when it answers this hand-off (from its new node, while waiting for it).
     */
    boolean onAnswer(final Announcement announcement)
    {
        if (state != State.CONFIRM || !target.nodeId().equals(announcement.nodeId))
        {
            return false;
        }
        if (answer == null)
        {
            answer = announcement;
        }
        return true;
    }

    /**
     * Take the next step if it is due.
     *
     * @param nowNs monotonic now.
     * @param redis the store's connection, or null while Redis is unreachable.
     * @return work done.
     * @throws Exception in PREPARE, what answers the request; later, only a Redis outage.
     */
    int doWork(final long nowNs, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        switch (state)
        {
            case PREPARE:
                return prepare(redis);
            case CONFIRM:
                return confirm(nowNs);
            case ABORT:
                return abort(redis);
            case FORWARD:
                return forward(nowNs);
            case AWAIT_ROUTER:
                return awaitRouter(nowNs);
            default:
                return 0;
        }
    }

    /**
     * The request's thread: wait for the outcome.
     *
     * @return what happened.
     * @throws Exception the refusal or failure to answer the request with.
     */
    Cluster.Migration await() throws Exception
    {
        try
        {
            return result.get(AWAIT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof Exception ? (Exception)ex.getCause() : ex;
        }
        catch (final TimeoutException ex)
        {
            throw new RedisRouteStore.UnavailableException("Redis did not answer in time");
        }
    }

    private int prepare(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final String id = Long.toUnsignedString(streamId);
        final List<NodeInfo> nodes = crew.liveNodes().refresh(redis);
        target = target(nodes);
        final StoredRoute route = route(redis);
        fromNode = route.nodeId();
        forwarding = forwarding(nodes);

        span = crew.tracing().startSpan(forwarding ? "soundrelay.migrate" : "soundrelay.failover", parent, streamId);
        span.setAttribute("soundrelay.migration.from_node", fromNode);
        span.setAttribute("soundrelay.migration.to_node", target.nodeId());
        final String taken = crew.ownership().takeOver(redis, streamId, fromNode, route, target.nodeId());
        if (!"ok".equals(taken))
        {
            span.addEvent("lost_race");
            span.end();
            throw new ClusterRefusal(409, "stream_id", "stream " + id + " changed owner meanwhile (" + taken +
                "); try again");
        }

        if (target.nodeId().equals(nodeId))
        {
            // Failover onto this node: nothing to wait for.
            final String refused = crew.adoption().adopt(redis, route, fromNode, Context.root().with(span), "failover");
            if (refused != null)
            {
                crew.ownership().takeOver(redis, streamId, nodeId, route, fromNode);
                span.end();
                throw new ClusterRefusal(503, "new_node_addr", refused + "; stream " + id + " stays with node " +
                    fromNode);
            }
            final RouteEntry adopted = crew.registry().get(streamId);
            span.end();
            complete(System.nanoTime(), adopted == null ? 0 : adopted.relayPort());
            return 1;
        }
        key = forwarding ? HopKey.random() : null;
        final Announcement migrate = new Announcement(Announcement.MIGRATE, streamId, target.nodeId(), fromNode, null,
            crew.tracing().inject(Context.root().with(span), streamId));
        if (key != null)
        {
            migrate.hopKey = key.toHex();
            migrate.graceMs = TimeUnit.NANOSECONDS.toMillis(crew.graceNs());
        }
        crew.store().publish(redis, migrate.toJson());
        deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Cluster.CONFIRM_TIMEOUT_MS);
        state(State.CONFIRM);
        return 1;
    }

    private NodeInfo target(final List<NodeInfo> nodes)
    {
        NodeInfo found = null;
        for (final NodeInfo node : nodes)
        {
            if (node.relay().equals(newNodeAddr))
            {
                found = node;
            }
        }
        if (found == null)
        {
            final StringBuilder known = new StringBuilder();
            for (final NodeInfo node : nodes)
            {
                known.append(known.length() == 0 ? "" : ", ").append(node.nodeId()).append(' ')
                    .append(node.relayAddr());
            }
            throw new ClusterRefusal(400, "new_node_addr", "new_node_addr " + newNodeAddr +
                " is not the relay address of a live node; live nodes: " + known);
        }
        return found;
    }

    private StoredRoute route(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final String json = crew.ownership().readRoute(redis, streamId);
        if (json == null)
        {
            throw new ClusterRefusal(404, "stream_id", "no route for stream_id " + Long.toUnsignedString(streamId) +
                " on any node");
        }
        try
        {
            return StoredRoute.decode(json, crew.store().parser());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ClusterRefusal(409, "stream_id", StoredRoute.key(streamId) + " in Redis is not a valid route (" +
                ex.getMessage() + "); it cannot be moved");
        }
    }

    /**
     * @return true when this node owns the route and forwards for the grace window; false for a failover (its owner
     * is dead: nobody to forward from).
     */
    private boolean forwarding(final List<NodeInfo> nodes)
    {
        final String id = Long.toUnsignedString(streamId);
        final NodeInfo ownerNode = LiveNodes.find(nodes, fromNode);
        if (fromNode.equals(nodeId))
        {
            if (target.nodeId().equals(nodeId))
            {
                throw new ClusterRefusal(400, "new_node_addr", "new_node_addr " + newNodeAddr +
                    " is this node's own relay address: stream " + id + " is already here");
            }
            if (crew.registry().get(streamId) == null)
            {
                throw new ClusterRefusal(409, "stream_id", "Redis names this node the owner of stream " + id +
                    " but it does not relay it (full at start-up?); delete and create it again");
            }
            return true;
        }
        if (ownerNode != null)
        {
            throw new ClusterRefusal(409, "stream_id", "stream " + id + " is owned by live node " + fromNode +
                (ownerNode.controlAddr() == null ? "" : " (control API " + ownerNode.controlAddr() + ")") +
                "; send /migrate to it");
        }
        return false;
    }

    private int confirm(final long nowNs)
    {
        if (answer == null && nowNs - deadlineNs < 0)
        {
            return 0;
        }
        confirmedNs = nowNs;
        if (answer == null || !Announcement.ADOPTED.equals(answer.op))
        {
            state(State.ABORT);
        }
        else if (forwarding)
        {
            state(State.FORWARD);
        }
        else
        {
            confirmed();
        }
        return 1;
    }

    private int abort(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final String why = answer == null ?
            "node " + target.nodeId() + " did not confirm the hand-off within " + Cluster.CONFIRM_TIMEOUT_MS +
            " ms" : "node " + target.nodeId() + " refused the hand-off (" + answer.reason + ")";
        Exception outage = null;
        try
        {
            if (redis == null)
            {
                throw crew.store().unavailable();
            }
            takeBack(redis);
        }
        catch (final Exception ex)
        {
            LOG.warn("stream {}: taking the route back after a failed hand-off failed: {}",
                Long.toUnsignedString(streamId), ex.getMessage());
            outage = redis != null && RedisFailures.isOutage(ex) ? ex : null;
        }
        span.addEvent("aborted");
        span.end();
        fail(new ClusterRefusal(answer == null ? 504 : 503, "new_node_addr",
            why + "; the route stays with node " + fromNode));
        if (outage != null)
        {
            throw outage; // the store marks Redis unreachable
        }
        return 1;
    }

    private void takeBack(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final String json = crew.ownership().readRoute(redis, streamId);
        if (json != null)
        {
            final StoredRoute route = StoredRoute.decode(json, crew.store().parser());
            final String taken = crew.ownership().takeOver(redis, streamId, target.nodeId(), route, fromNode);
            LOG.info("stream {}: hand-off to {} abandoned, owner set back to {} ({})",
                Long.toUnsignedString(streamId), target.nodeId(), fromNode, taken);
        }
        crew.store().publish(redis, new Announcement(Announcement.ABORTED, streamId, target.nodeId(), fromNode, null,
            Map.of()).toJson());
    }

    private int forward(final long nowNs)
    {
        // Only now that the new node holds the route: forward what still reaches this node, then let go.
        final RouteEntry entry = crew.registry().get(streamId);
        spec = entry == null ? null : entry.spec();
        StreamLifecycle.firstDatagram(crew.tracing(), entry);
        routed = crew.router().handOff(streamId, target.relay(), crew.graceNs(), key);
        deadlineNs = nowNs + TimeUnit.MILLISECONDS.toNanos(Adoption.ROUTER_TIMEOUT_MS);
        state(State.AWAIT_ROUTER);
        return 1;
    }

    private int awaitRouter(final long nowNs)
    {
        if (!routed.isDone())
        {
            if (nowNs - deadlineNs < 0)
            {
                return 0;
            }
            fail(Adoption.routerTimedOut());
            return 1;
        }
        final RouteCommand.Result handedOff;
        try
        {
            handedOff = routed.join();
        }
        catch (final CompletionException ex)
        {
            fail(Adoption.routerRefused(ex.getCause()));
            return 1;
        }
        catch (final CancellationException ex)
        {
            fail(Adoption.routerRefused(ex));
            return 1;
        }
        if (handedOff.outcome() != RouteCommand.Outcome.OK)
        {
            LOG.warn("stream {} was handed to {} but had left this node's router meanwhile",
                Long.toUnsignedString(streamId), target.nodeId());
        }
        crew.tracing().streamEnded(streamId, "migration", Attributes.builder()
            .put("soundrelay.migration.to_node", target.nodeId())
            .put("soundrelay.migration.new_node_addr", target.relayAddr())
            .put("soundrelay.migration.grace_seconds", crew.graceSeconds())
            .build());
        confirmed();
        return 1;
    }

    private void confirmed()
    {
        span.addEvent("confirmed");
        span.end();
        RouteLog.migrated(!quiet, Long.toUnsignedString(streamId), fromNode, target.nodeId(),
            TimeUnit.NANOSECONDS.toMillis(confirmedNs - startNs), spec);
        complete(confirmedNs, answer.relayPort);
    }

    private void state(final State newState)
    {
        LOG.debug("stream {} hand-off to {}: {} -> {}", Long.toUnsignedString(streamId),
            target == null ? newNodeAddr : target.nodeId(), state, newState);
        state = newState;
    }

    private void complete(final long confirmedNs, final int relayPort)
    {
        state(State.DONE);
        result.complete(new Cluster.Migration(streamId, fromNode, target.nodeId(), target.relayAddr(),
            target.controlAddr(), forwarding, TimeUnit.NANOSECONDS.toMillis(confirmedNs - startNs), relayPort));
    }

    private void fail(final Exception refusal)
    {
        state(State.DONE);
        result.completeExceptionally(refusal);
    }
}
