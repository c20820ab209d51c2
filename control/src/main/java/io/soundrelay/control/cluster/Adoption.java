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
import io.opentelemetry.context.Context;
import io.soundrelay.control.RouteLog;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Puts a route Redis now names this node the owner of into the router, with a relay port of this node's when it has
 * a return path, and announces the outcome ({@code adopted} naming the relay port, or {@code refused}). Store thread
 * only.
 */
final class Adoption
{
    static final long ROUTER_TIMEOUT_MS = 5000;

    private final RedisRouteStore store;
    private final String nodeId;
    private final RouterProxy router;
    private final NodeTracing tracing;
    private final RelayPorts relayPorts;
    private final RouteLog.Burst handedOver;

    Adoption(
        final RedisRouteStore store,
        final RouterProxy router,
        final NodeTracing tracing,
        final RelayPorts relayPorts)
    {
        this.store = store;
        this.nodeId = store.nodeId();
        this.router = router;
        this.tracing = tracing;
        this.relayPorts = relayPorts;
        this.handedOver = new RouteLog.Burst("adopted from other nodes' hand-offs", nodeId);
    }

    /**
     * @param nowNs now: the count of routes handed over whose lines went to DEBUG, once their window is over.
     */
    void flushLog(final long nowNs)
    {
        handedOver.flush(nowNs);
    }

    /**
     * @return null when the router holds it, else why it was refused (announced as REFUSED).
     */
    String adopt(
        final RedisClusterAsyncCommands<String, String> redis,
        final StoredRoute route,
        final String fromNode,
        final Context context,
        final String cause) throws Exception
    {
        return adopt(redis, route, fromNode, context, cause, null, null);
    }

    /**
     * As {@link #adopt(RedisClusterAsyncCommands, StoredRoute, String, Context, String)}, for a hand-off from a live
     * node: the route takes that node's HOP frames, signed with the hand-off's key, for its grace window.
     *
     * @param hopFrom the old node's relay address, or null.
     * @param inbound the MIGRATE that carries the key and the grace, or null.
     */
    String adopt(
        final RedisClusterAsyncCommands<String, String> redis,
        final StoredRoute route,
        final String fromNode,
        final Context context,
        final String cause,
        final Endpoint hopFrom,
        final Announcement inbound) throws Exception
    {
        final long streamId = route.spec().streamId();
        RelaySocket relay = null;
        if (route.spec().returnPath())
        {
            try
            {
                relay = relayPorts.open(0);
            }
            catch (final RelayPorts.ExhaustedException ex)
            {
                return refuse(redis, streamId, fromNode, context, "node " + nodeId + ": " + ex.getMessage());
            }
        }
        final RouteCommand.Result result = hopFrom == null ?
            routed(router.restore(route.spec(), route.createdAtEpochMs(), System.nanoTime(), relay,
                route.sourceLatched())) :
            routed(router.restore(route.spec(), route.createdAtEpochMs(), System.nanoTime(), relay,
                route.sourceLatched(), hopFrom, HopKey.parse(inbound.hopKey), Cluster.hopWindowNs(inbound.graceMs)));
        if (result.outcome() == RouteCommand.Outcome.NODE_FULL)
        {
            return refuse(redis, streamId, fromNode, context, "node " + nodeId + " is at MAX_STREAMS_PER_NODE");
        }
        final int relayPort = result.entry() == null ? 0 : result.entry().relayPort();
        if (result.outcome() == RouteCommand.Outcome.OK)
        {
            tracing.streamStarted(streamId, route.spec().roomCode(), context, cause);
            if (relayPort > 0)
            {
                store.record(RouteJournal.Change.REPLACED, result.entry()); // Redis learns this node's relay port
            }
        }
        tracing.streamEvent(streamId, "migration", Attributes.builder()
            .put("soundrelay.migration.from_node", fromNode == null ? "" : fromNode)
            .put("soundrelay.migration.cause", cause)
            .build());
        final Announcement adopted = new Announcement(Announcement.ADOPTED, streamId, nodeId, fromNode, cause,
            tracing.inject(context, streamId));
        adopted.relayPort = relayPort;
        store.publish(redis, adopted.toJson());
        final String event = "adopted" + (fromNode == null ? "" : " from node " + fromNode) + " (" + cause + ")" +
            (relayPort > 0 ? ", relay port " + relayPort : "");
        if (inbound != null)
        {
            handedOver.route(event, route.spec(), System.nanoTime()); // a peer's POST /migrate, or its drain
        }
        else
        {
            RouteLog.debug(event, nodeId, route.spec()); // one of a failover's or a resubscribe's: summed up there
        }
        return null;
    }

    /**
     * Announce that this node refuses a route.
     *
     * @return why.
     */
    String refuse(
        final RedisClusterAsyncCommands<String, String> redis,
        final long streamId,
        final String fromNode,
        final Context context,
        final String why) throws Exception
    {
        store.publish(redis, new Announcement(Announcement.REFUSED, streamId, nodeId, fromNode, why,
            tracing.inject(context, streamId)).toJson());
        return why;
    }

    /**
     * Wait for the router: a router that does not answer is not a Redis failure, so it is a refusal (503).
     */
    static RouteCommand.Result routed(final CompletableFuture<RouteCommand.Result> future) throws Exception
    {
        try
        {
            return future.get(ROUTER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw routerTimedOut();
        }
        catch (final ExecutionException ex)
        {
            throw routerRefused(ex.getCause());
        }
    }

    static ClusterRefusal routerTimedOut()
    {
        return new ClusterRefusal(503, null, "the router did not answer in time; try again");
    }

    static ClusterRefusal routerRefused(final Throwable cause)
    {
        return new ClusterRefusal(503, null, "the router refused: " + cause.getMessage());
    }
}
