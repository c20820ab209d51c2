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

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.soundrelay.control.StreamLifecycle;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.redis.BoundedReads;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Several nodes on one Redis (PROTOCOL.md section 7): who is alive, hand-offs, failover, and the announcements on
 * {@code soundrelay:routes}. Everything that touches Redis runs on the store's thread, in order with the route writes;
 * the API's threads ask through {@link RedisRouteStore#submit} and wait on futures.
 * <p>
 * Ownership lives in Redis: the route key's {@code node_id}. Every change of owner is one Lua compare-and-set on it
 * ({@link #TAKE_OVER}), so when two nodes race to adopt a dead node's route, exactly one wins.
 * <p>
 * A hand-off from this node: check the new node is live, set it as owner in Redis, announce {@code migrate}; the new
 * node reads the route, puts it in its router, announces {@code adopted}; only then does this node's router forward the
 * stream's datagrams to it (HOP frames) for MIGRATION_GRACE_SECONDS. Without a confirmation within
 * {@link #CONFIRM_TIMEOUT_MS} the owner is set back and the route stays here.
 */
public final class Cluster implements RedisRouteStore.Hooks
{
    /** How long the old owner waits for the new one to confirm a hand-off. */
    public static final long CONFIRM_TIMEOUT_MS = 5000;
    static final long LIVE_REFRESH_NS = TimeUnit.SECONDS.toNanos(1);
    static final long ORPHAN_SCAN_NS = TimeUnit.SECONDS.toNanos(30);
    static final int EVERYONE_ADOPTS_AFTER_ROUNDS = 3;
    static final long NODE_FORGOTTEN_MS = TimeUnit.HOURS.toMillis(1);
    static final long ROUTER_TIMEOUT_MS = 5000;
    /** Heartbeats read per refresh: this node and as many peers as the router accepts HOP frames from. */
    static final int MAX_NODES_READ = PeerSet.MAX_PEERS + 1;

    /** Set a route's owner if it is still the expected one: 'ok', or 'absent', 'unreadable', 'owner:<id>'. */
    static final String TAKE_OVER =
        "if redis.call('STRLEN', KEYS[1]) > " + BoundedReads.ROUTE_MAX_BYTES + " then return 'unreadable' end\n" +
        "local cur = redis.call('GET', KEYS[1])\n" +
        "if not cur then return 'absent' end\n" +
        "local ok, doc = pcall(cjson.decode, cur)\n" +
        "if not ok or type(doc) ~= 'table' or type(doc['node_id']) ~= 'string' then return 'unreadable' end\n" +
        "if doc['node_id'] ~= ARGV[1] then return 'owner:' .. doc['node_id'] end\n" +
        "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])\n" +
        "return 'ok'\n";

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);

    /** What {@code POST /migrate} answers. */
    public static final class Migration
    {
        /** The stream moved. */
        public final long streamId;
        /** Its owner before. */
        public final String fromNode;
        /** Its owner now. */
        public final String toNode;
        /** Where its source sends from now on: the new owner's relay address. */
        public final String newNodeAddr;
        /** The new owner's control API, or null when its heartbeat has none. */
        public final String newControlAddr;
        /** True when the old owner forwards for the grace window; false for a failover (the old owner is dead). */
        public final boolean forwarding;
        /** Milliseconds from the request to the new owner's confirmation. */
        public final long confirmMs;
        /** The route's relay port on the new owner, or 0 when it has none (PROTOCOL.md section 9). */
        public final int relayPort;

        Migration(
            final long streamId,
            final String fromNode,
            final String toNode,
            final String newNodeAddr,
            final String newControlAddr,
            final boolean forwarding,
            final long confirmMs,
            final int relayPort)
        {
            this.relayPort = relayPort;
            this.streamId = streamId;
            this.fromNode = fromNode;
            this.toNode = toNode;
            this.newNodeAddr = newNodeAddr;
            this.newControlAddr = newControlAddr;
            this.forwarding = forwarding;
            this.confirmMs = confirmMs;
        }
    }

    /** A hand-off prepared in Redis, waiting for the new node. */
    private static final class Pending
    {
        final long streamId;
        final String fromNode;
        final NodeInfo target;
        final boolean forwarding;
        final Span span;
        final CompletableFuture<Announcement> answer = new CompletableFuture<>();
        final long startNs;
        /** The relay port of a failover onto this node (an adoption elsewhere names it in its answer). */
        int localRelayPort;
        /** A forwarding hand-off's key, drawn here and sent to the new node with the MIGRATE; null for a failover. */
        final HopKey key;

        Pending(final long streamId, final String fromNode, final NodeInfo target, final boolean forwarding,
            final Span span, final long startNs)
        {
            this.key = forwarding ? HopKey.random() : null;
            this.streamId = streamId;
            this.fromNode = fromNode;
            this.target = target;
            this.forwarding = forwarding;
            this.span = span;
            this.startNs = startNs;
        }
    }

    private final RedisRouteStore store;
    private final String nodeId;
    private final RouterProxy router;
    private final RouteRegistry registry;
    private final PeerSet peers;
    private final NodeTracing tracing;
    private final long graceNs;
    private final int graceSeconds;
    private final boolean autoFailover;
    private final int maxRoutes;
    private final RelayPorts relayPorts;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Map<Long, Integer> orphanRounds = new HashMap<>();

    private volatile List<NodeInfo> live = List.of();
    private Set<String> lastLiveIds = Set.of();
    private long nextLiveNs;
    private long nextOrphanScanNs;
    private boolean orphansLeft;

    /**
     * @param store        the Redis store whose thread runs this.
     * @param router       the data plane's router.
     * @param registry     the routes this node holds.
     * @param peers        the relay addresses HOP frames are accepted from, kept up to date here.
     * @param tracing      stream and migration spans.
     * @param graceSeconds MIGRATION_GRACE_SECONDS.
     * @param autoFailover AUTO_FAILOVER.
     * @param maxRoutes    MAX_STREAMS_PER_NODE: a full node adopts nothing.
     * @param relayPorts   where an adopted route with a return path gets its relay port on this node.
     */
    public Cluster(
        final RedisRouteStore store,
        final RouterProxy router,
        final RouteRegistry registry,
        final PeerSet peers,
        final NodeTracing tracing,
        final int graceSeconds,
        final boolean autoFailover,
        final int maxRoutes,
        final RelayPorts relayPorts)
    {
        this.relayPorts = relayPorts;
        this.store = store;
        this.nodeId = store.nodeId();
        this.router = router;
        this.registry = registry;
        this.peers = peers;
        this.tracing = tracing;
        this.graceSeconds = graceSeconds;
        this.graceNs = TimeUnit.SECONDS.toNanos(graceSeconds);
        this.autoFailover = autoFailover;
        this.maxRoutes = maxRoutes;
    }

    public int graceSeconds()
    {
        return graceSeconds;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // For the API's threads.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * @return the live nodes, read from Redis now, by node id.
     */
    public CompletableFuture<List<NodeInfo>> nodes()
    {
        return store.submit(this::readLive);
    }

    /**
     * @param streamId a stream.
     * @return the route Redis holds for it, whichever node owns it, or null.
     */
    public CompletableFuture<StoredRoute> route(final long streamId)
    {
        return store.submit(redis ->
        {
            final String json = readRoute(redis, streamId);
            if (json == null)
            {
                return null;
            }
            try
            {
                return StoredRoute.decode(json, store.parser());
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ClusterRefusal(502, "stream_id", "Redis holds " + StoredRoute.key(streamId) +
                    " but it is not a valid route (" + ex.getMessage() + ")");
            }
        });
    }

    /**
     * Announce a change this node's API made (created, replaced, deleted). Never blocks; a change announced while Redis
     * is away is not announced (nodes re-read what they own when their subscription comes back).
     *
     * @param op       the change.
     * @param streamId the route.
     */
    public void announce(final String op, final long streamId)
    {
        store.submit(redis ->
        {
            store.publish(redis, new Announcement(op, streamId, nodeId, null, null,
                tracing.inject(tracing.streamContext(streamId), streamId)).toJson());
            return null;
        });
    }

    /**
     * {@code POST /migrate}: hand a route this node owns to another live node, or a dead node's route to a live one
     * (manual failover). Blocks the calling (worker) thread until the new node confirmed, at most
     * {@link #CONFIRM_TIMEOUT_MS} and a little.
     *
     * @param streamId    the stream.
     * @param newNodeAddr the relay address of the node that takes it.
     * @param parent      the request's trace context.
     * @return what happened.
     * @throws ClusterRefusal                     a 4xx or 5xx for the caller.
     * @throws RedisRouteStore.UnavailableException when Redis is unreachable.
     * @throws Exception                          when interrupted.
     */
    public Migration migrate(final long streamId, final Endpoint newNodeAddr, final Context parent) throws Exception
    {
        final long startNs = System.nanoTime();
        final Pending prepared = get(store.submit(redis -> prepare(redis, streamId, newNodeAddr, parent, startNs)));
        if (prepared.answer.isDone() && prepared.target.nodeId().equals(nodeId))
        {
            prepared.span.end();
            return migration(prepared, System.nanoTime(), prepared.localRelayPort);
        }

        Announcement answer = null;
        try
        {
            answer = prepared.answer.get(CONFIRM_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            answer = null;
        }
        finally
        {
            pending.remove(streamId, prepared);
        }
        final long confirmedNs = System.nanoTime();
        if (answer == null || !Announcement.ADOPTED.equals(answer.op))
        {
            final String why = answer == null ?
                "node " + prepared.target.nodeId() + " did not confirm the hand-off within " + CONFIRM_TIMEOUT_MS +
                " ms" : "node " + prepared.target.nodeId() + " refused the hand-off (" + answer.reason + ")";
            try
            {
                get(store.submit(redis -> abort(redis, prepared)));
            }
            catch (final Exception ex)
            {
                LOG.warn("stream {}: taking the route back after a failed hand-off failed: {}",
                    Long.toUnsignedString(streamId), ex.getMessage());
            }
            prepared.span.addEvent("aborted");
            prepared.span.end();
            throw new ClusterRefusal(answer == null ? 504 : 503, "new_node_addr",
                why + "; the route stays with node " + prepared.fromNode);
        }

        if (prepared.forwarding)
        {
            // Only now that the new node holds the route: forward what still reaches this node, then let go.
            StreamLifecycle.firstDatagram(tracing, registry.get(streamId));
            final RouteCommand.Result result =
                routed(router.handOff(streamId, prepared.target.relay(), graceNs, prepared.key));
            if (result.outcome() != RouteCommand.Outcome.OK)
            {
                LOG.warn("stream {} was handed to {} but had left this node's router meanwhile",
                    Long.toUnsignedString(streamId), prepared.target.nodeId());
            }
            tracing.streamEnded(streamId, "migration", Attributes.builder()
                .put("soundrelay.migration.to_node", prepared.target.nodeId())
                .put("soundrelay.migration.new_node_addr", prepared.target.relayAddr())
                .put("soundrelay.migration.grace_seconds", graceSeconds)
                .build());
        }
        prepared.span.addEvent("confirmed");
        prepared.span.end();
        LOG.info("stream {} handed from {} to {} in {} ms", Long.toUnsignedString(streamId), prepared.fromNode,
            prepared.target.nodeId(), TimeUnit.NANOSECONDS.toMillis(confirmedNs - startNs));
        return migration(prepared, confirmedNs, answer.relayPort);
    }

    private Migration migration(final Pending p, final long confirmedNs, final int relayPort)
    {
        return new Migration(p.streamId, p.fromNode, p.target.nodeId(), p.target.relayAddr(), p.target.controlAddr(),
            p.forwarding, TimeUnit.NANOSECONDS.toMillis(confirmedNs - p.startNs), relayPort);
    }

    /**
     * Wait for the router: a router that does not answer is not a Redis failure, so it is a refusal (503).
     */
    private static RouteCommand.Result routed(final CompletableFuture<RouteCommand.Result> future) throws Exception
    {
        try
        {
            return future.get(ROUTER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw new ClusterRefusal(503, null, "the router did not answer in time; try again");
        }
        catch (final ExecutionException ex)
        {
            throw new ClusterRefusal(503, null, "the router refused: " + ex.getCause().getMessage());
        }
    }

    private static <T> T get(final CompletableFuture<T> future) throws Exception
    {
        try
        {
            return future.get(RedisRouteStore.COMMAND_TIMEOUT_MS * 4, TimeUnit.MILLISECONDS);
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

    // ---------------------------------------------------------------------------------------------------------------
    // On the store's thread.
    // ---------------------------------------------------------------------------------------------------------------

    private Pending prepare(
        final RedisClusterAsyncCommands<String, String> redis,
        final long streamId,
        final Endpoint newNodeAddr,
        final Context parent,
        final long startNs) throws Exception
    {
        final String id = Long.toUnsignedString(streamId);
        final List<NodeInfo> nodes = refreshLive(redis);
        NodeInfo target = null;
        for (final NodeInfo node : nodes)
        {
            if (node.relay().equals(newNodeAddr))
            {
                target = node;
            }
        }
        if (target == null)
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

        final String json = readRoute(redis, streamId);
        if (json == null)
        {
            throw new ClusterRefusal(404, "stream_id", "no route for stream_id " + id + " on any node");
        }
        final StoredRoute route;
        try
        {
            route = StoredRoute.decode(json, store.parser());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ClusterRefusal(409, "stream_id", StoredRoute.key(streamId) + " in Redis is not a valid route (" +
                ex.getMessage() + "); it cannot be moved");
        }
        final String owner = route.nodeId();
        final NodeInfo ownerNode = find(nodes, owner);
        final boolean forwarding;
        if (owner.equals(nodeId))
        {
            if (target.nodeId().equals(nodeId))
            {
                throw new ClusterRefusal(400, "new_node_addr", "new_node_addr " + newNodeAddr +
                    " is this node's own relay address: stream " + id + " is already here");
            }
            if (registry.get(streamId) == null)
            {
                throw new ClusterRefusal(409, "stream_id", "Redis names this node the owner of stream " + id +
                    " but it does not relay it (full at start-up?); delete and create it again");
            }
            forwarding = true;
        }
        else if (ownerNode != null)
        {
            throw new ClusterRefusal(409, "stream_id", "stream " + id + " is owned by live node " + owner +
                (ownerNode.controlAddr() == null ? "" : " (control API " + ownerNode.controlAddr() + ")") +
                "; send /migrate to it");
        }
        else
        {
            forwarding = false; // its owner is dead: manual failover, nobody to forward from
        }

        final Span span = tracing.startSpan(forwarding ? "soundrelay.migrate" : "soundrelay.failover", parent,
            streamId);
        span.setAttribute("soundrelay.migration.from_node", owner);
        span.setAttribute("soundrelay.migration.to_node", target.nodeId());
        final String result = takeOver(redis, streamId, owner, route, target.nodeId());
        if (!"ok".equals(result))
        {
            span.addEvent("lost_race");
            span.end();
            throw new ClusterRefusal(409, "stream_id", "stream " + id + " changed owner meanwhile (" + result +
                "); try again");
        }

        final Pending p = new Pending(streamId, owner, target, forwarding, span, startNs);
        if (target.nodeId().equals(nodeId))
        {
            // Failover onto this node: nothing to wait for.
            final String refused = adoptLocally(redis, route, owner, Context.root().with(span), "failover");
            if (refused != null)
            {
                takeOver(redis, streamId, nodeId, route, owner);
                span.end();
                throw new ClusterRefusal(503, "new_node_addr", refused + "; stream " + id + " stays with node " + owner);
            }
            final RouteEntry adopted = registry.get(streamId);
            p.localRelayPort = adopted == null ? 0 : adopted.relayPort();
            p.answer.complete(null);
            return p;
        }
        pending.put(streamId, p);
        final Announcement migrate = new Announcement(Announcement.MIGRATE, streamId, target.nodeId(), owner, null,
            tracing.inject(Context.root().with(span), streamId));
        if (p.key != null)
        {
            migrate.hopKey = p.key.toHex();
            migrate.graceMs = TimeUnit.NANOSECONDS.toMillis(graceNs);
        }
        store.publish(redis, migrate.toJson());
        return p;
    }

    private Void abort(final RedisClusterAsyncCommands<String, String> redis, final Pending p) throws Exception
    {
        final String json = readRoute(redis, p.streamId);
        if (json != null)
        {
            final StoredRoute route = StoredRoute.decode(json, store.parser());
            final String result = takeOver(redis, p.streamId, p.target.nodeId(), route, p.fromNode);
            LOG.info("stream {}: hand-off to {} abandoned, owner set back to {} ({})",
                Long.toUnsignedString(p.streamId), p.target.nodeId(), p.fromNode, result);
        }
        store.publish(redis, new Announcement(Announcement.ABORTED, p.streamId, p.target.nodeId(), p.fromNode, null,
            Map.of()).toJson());
        return null;
    }

    private String takeOver(
        final RedisClusterAsyncCommands<String, String> redis,
        final long streamId,
        final String expectedOwner,
        final StoredRoute route,
        final String newOwner) throws Exception
    {
        // The new owner binds a relay port of its own; the source address latched here goes with the route.
        final RouteEntry here = registry.get(streamId);
        final String json = StoredRoute.encode(route.spec(), route.createdAtEpochMs(), newOwner, 0,
            here != null && here.sourceLatched() != null ? here.sourceLatched() : route.sourceLatched());
        final String result = RedisRouteStore.await(redis.<String>eval(TAKE_OVER, ScriptOutputType.VALUE,
            new String[]{StoredRoute.key(streamId)}, expectedOwner, json, store.ttlSeconds()));
        store.operations().add(RedisOperations.Op.TAKEOVER, "ok".equals(result) ?
            RedisOperations.Result.OK :
            RedisOperations.Result.CONFLICT);
        return result;
    }

    /**
     * Put a route Redis now names this node's owner of into the router, with a relay port of this node's when it has a
     * return path, and announce it (an ADOPTED answer names the relay port).
     *
     * @return null when the router holds it, else why it was refused (announced as REFUSED).
     */
    private String adoptLocally(
        final RedisClusterAsyncCommands<String, String> redis,
        final StoredRoute route,
        final String fromNode,
        final Context context,
        final String cause) throws Exception
    {
        return adoptLocally(redis, route, fromNode, context, cause, null, null);
    }

    /**
     * As {@link #adoptLocally(RedisClusterAsyncCommands, StoredRoute, String, Context, String)}, for a hand-off from a
     * live node: the route takes that node's HOP frames, signed with the hand-off's key, for its grace window.
     *
     * @param hopFrom the old node's relay address, or null.
     * @param inbound the MIGRATE that carries the key and the grace, or null.
     */
    private String adoptLocally(
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
                route.sourceLatched(), hopFrom, HopKey.parse(inbound.hopKey), hopWindowNs(inbound.graceMs)));
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
        LOG.info("stream {} adopted from {} ({}){}", Long.toUnsignedString(streamId), fromNode, cause,
            relayPort > 0 ? ", relay port " + relayPort : "");
        return null;
    }

    private String refuse(
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

    public void onSubscribed(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        // Announcements may have been missed: Redis is the truth of who owns what.
        refreshLive(redis);
        final Map<Long, String> owners = new HashMap<>();
        final Map<Long, String> values = scanRoutes(redis, owners);
        int adopted = 0;
        int released = 0;
        for (final Map.Entry<Long, String> e : owners.entrySet())
        {
            final long streamId = e.getKey();
            // Not one this node deleted lately: its delete may not have reached Redis when the scan read it.
            if (nodeId.equals(e.getValue()) && registry.get(streamId) == null && !store.deletedRecently(streamId))
            {
                final StoredRoute route = decodeOrNull(values.get(streamId));
                if (route != null && adoptLocally(redis, route, null, Context.root(), "adopted") == null)
                {
                    adopted++;
                }
            }
        }
        for (final RouteEntry entry : registry.entries())
        {
            final String owner = owners.get(entry.streamId());
            if (owner != null && !owner.equals(nodeId))
            {
                relinquish(entry.streamId(), owner);
                released++;
            }
        }
        if (adopted > 0 || released > 0)
        {
            LOG.info("subscribed to {}: took {} route(s) Redis names this node's, let go of {} owned elsewhere",
                RedisRouteStore.CHANNEL, adopted, released);
        }
    }

    public void onMessage(final String message, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final Announcement a = Announcement.parse(message);
        if (a == null)
        {
            return;
        }
        switch (a.op)
        {
            case Announcement.MIGRATE:
                if (nodeId.equals(a.nodeId))
                {
                    adoptHandedOff(redis, a);
                }
                break;

            case Announcement.ADOPTED:
            case Announcement.REFUSED:
            {
                final Pending p = pending.get(a.streamId);
                if (p != null && p.target.nodeId().equals(a.nodeId))
                {
                    p.answer.complete(a);
                }
                else if (Announcement.ADOPTED.equals(a.op))
                {
                    maybeTakenOver(redis, a.streamId, a.nodeId);
                }
                break;
            }

            case Announcement.ABORTED:
                if (nodeId.equals(a.nodeId))
                {
                    maybeTakenOver(redis, a.streamId, a.fromNode);
                }
                break;

            case Announcement.CREATED:
            case Announcement.REPLACED:
                maybeTakenOver(redis, a.streamId, a.nodeId);
                break;

            default:
                break;
        }
    }

    private void adoptHandedOff(final RedisClusterAsyncCommands<String, String> redis, final Announcement a) throws Exception
    {
        final Span span = tracing.startSpan("soundrelay.adopt", tracing.extract(a.carrier), a.streamId);
        span.setAttribute("soundrelay.migration.from_node", a.fromNode == null ? "" : a.fromNode);
        try
        {
            final String json = readRoute(redis, a.streamId);
            final StoredRoute route = decodeOrNull(json);
            if (route == null || !nodeId.equals(route.nodeId()))
            {
                span.addEvent("stale"); // taken back or moved on before this node read it
                return;
            }
            // The old node's HOP frames must be accepted before it starts forwarding: from its relay address as its
            // heartbeat gives it, signed with the key its MIGRATE carries, for its grace window.
            final NodeInfo from = a.hopKey == null || a.fromNode == null ? null : find(refreshLive(redis), a.fromNode);
            if (a.hopKey != null && (from == null || !validKey(a.hopKey)))
            {
                span.addEvent("refused");
                refuse(redis, a.streamId, a.fromNode, Context.root().with(span), "node " + nodeId +
                    ": the hand-off names no live node or no valid hop key");
                return;
            }
            adoptLocally(redis, route, a.fromNode, Context.root().with(span),
                "failover".equals(a.reason) ? "failover" : "adopted", from == null ? null : from.relay(), a);
        }
        finally
        {
            span.end();
        }
    }

    private static boolean validKey(final String hex)
    {
        try
        {
            HopKey.parse(hex);
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    /**
     * How long a handed-off route takes its old node's HOP frames: the old node's grace, from its confirmation, which
     * comes after this adoption, so with the confirmation's timeout and a second on top; a day at most.
     */
    static long hopWindowNs(final long graceMs)
    {
        final long maxMs = TimeUnit.NANOSECONDS.toMillis(RouterProxy.MAX_GRACE_NS);
        final long ms = Math.max(0, Math.min(graceMs, maxMs)) + CONFIRM_TIMEOUT_MS + 1000;
        return TimeUnit.MILLISECONDS.toNanos(Math.min(ms, maxMs));
    }

    /**
     * Another node says it owns a stream; if this node still relays it and Redis agrees with the other node, let go.
     */
    private void maybeTakenOver(final RedisClusterAsyncCommands<String, String> redis, final long streamId, final String owner)
        throws Exception
    {
        if (owner == null || owner.equals(nodeId) || registry.get(streamId) == null)
        {
            return;
        }
        final StoredRoute route = decodeOrNull(readRoute(redis, streamId));
        if (route != null && !nodeId.equals(route.nodeId()))
        {
            relinquish(streamId, route.nodeId());
        }
    }

    private void relinquish(final long streamId, final String owner) throws Exception
    {
        routed(router.relinquish(streamId));
        tracing.streamEnded(streamId, "taken_over", Attributes.builder()
            .put("soundrelay.migration.to_node", owner).build());
        LOG.warn("stream {} is owned by node {} in Redis: this node stopped relaying it",
            Long.toUnsignedString(streamId), owner);
    }

    public void onExpired(final long streamId, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        store.publish(redis, new Announcement(Announcement.EXPIRED, streamId, nodeId, null, null,
            tracing.inject(tracing.streamContext(streamId), streamId)).toJson());
    }

    @Override
    public int doHandOffWork(final long nowNs, final RedisClusterAsyncCommands<String, String> redis)
    {
        return 0;
    }

    @Override
    public int doWork(final long nowNs, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        if (nowNs - nextLiveNs < 0)
        {
            return 0;
        }
        nextLiveNs = nowNs + LIVE_REFRESH_NS;
        final List<NodeInfo> nodes = refreshLive(redis);
        final Set<String> ids = new HashSet<>();
        for (final NodeInfo node : nodes)
        {
            ids.add(node.nodeId());
        }
        boolean someoneLeft = false;
        for (final String before : lastLiveIds)
        {
            if (!ids.contains(before))
            {
                someoneLeft = true;
                LOG.warn("node {} is no longer live (its heartbeat expired or it stopped)", before);
            }
        }
        lastLiveIds = ids;
        if (autoFailover && (someoneLeft || orphansLeft || nowNs - nextOrphanScanNs >= 0))
        {
            nextOrphanScanNs = nowNs + ORPHAN_SCAN_NS;
            failoverRound(redis, nodes, ids);
        }
        return 1;
    }

    /**
     * AUTO_FAILOVER: every live node runs the same plan over the routes whose owner is not live: each, by stream id,
     * goes to the least loaded live node (by its heartbeat's active routes, ties by node id), whose load then grows by
     * one. A node adopts what the plan gives it; a route still orphaned after a few rounds (views differed) is open to
     * every node. The compare-and-set on the owner keeps it to one adopter either way.
     */
    private void failoverRound(final RedisClusterAsyncCommands<String, String> redis, final List<NodeInfo> nodes,
        final Set<String> liveIds) throws Exception
    {
        final Map<Long, String> owners = new TreeMap<>(Long::compareUnsigned);
        final Map<Long, String> values = scanRoutes(redis, owners);
        final Map<String, long[]> load = new HashMap<>();
        for (final NodeInfo node : nodes)
        {
            load.put(node.nodeId(), new long[]{node.nodeId().equals(nodeId) ? registry.size() : node.activeRoutes()});
        }
        final List<String> byId = new ArrayList<>(load.keySet());
        byId.sort(Comparator.naturalOrder());
        int orphans = 0;
        int adopted = 0;
        final Set<Long> stillOrphaned = new HashSet<>();
        for (final Map.Entry<Long, String> e : owners.entrySet())
        {
            final String owner = e.getValue();
            if (liveIds.contains(owner) || byId.isEmpty())
            {
                continue;
            }
            orphans++;
            final long streamId = e.getKey();
            stillOrphaned.add(streamId);
            String pick = null;
            for (final String candidate : byId)
            {
                if (pick == null || load.get(candidate)[0] < load.get(pick)[0])
                {
                    pick = candidate;
                }
            }
            load.get(pick)[0]++;
            final int rounds = orphanRounds.merge(streamId, 1, Integer::sum);
            if ((nodeId.equals(pick) || rounds >= EVERYONE_ADOPTS_AFTER_ROUNDS) && registry.size() < maxRoutes)
            {
                final StoredRoute route = decodeOrNull(values.get(streamId));
                if (route == null)
                {
                    continue;
                }
                final Span span = tracing.startSpan("soundrelay.failover", Context.root(), streamId);
                span.setAttribute("soundrelay.migration.from_node", owner);
                span.setAttribute("soundrelay.migration.to_node", nodeId);
                try
                {
                    final String result = takeOver(redis, streamId, owner, route, nodeId);
                    if ("ok".equals(result))
                    {
                        if (adoptLocally(redis, route, owner, Context.root().with(span), "failover") == null)
                        {
                            adopted++;
                        }
                        else
                        {
                            takeOver(redis, streamId, nodeId, route, owner); // full after all: leave it orphaned
                        }
                    }
                    else
                    {
                        span.addEvent("lost_race");
                    }
                }
                finally
                {
                    span.end();
                }
            }
        }
        orphanRounds.keySet().retainAll(stillOrphaned);
        orphansLeft = orphans > adopted;
        if (orphans > 0)
        {
            LOG.info("failover: {} route(s) of nodes no longer live; this node adopted {}", orphans, adopted);
        }
    }

    private List<NodeInfo> refreshLive(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final List<NodeInfo> nodes = readLive(redis);
        live = nodes;
        final List<Endpoint> relays = new ArrayList<>(nodes.size());
        for (final NodeInfo node : nodes)
        {
            if (!node.nodeId().equals(nodeId))
            {
                relays.add(node.relay());
            }
        }
        final int left = peers.update(relays);
        if (left > 0)
        {
            store.operations().skipped(RedisOperations.Skip.HEARTBEAT_EXCESS, left);
        }
        return nodes;
    }

    /**
     * @return the nodes whose heartbeat key exists, by node id: at most {@link #MAX_NODES_READ}, the most recently
     * listed first (and this node always), each heartbeat read only within {@link BoundedReads#HEARTBEAT_MAX_BYTES}.
     * Redis is a trust boundary: heartbeats beyond the bound and malformed ones are skipped and counted
     * ({@code relay_redis_skipped_total}), never an exception that would stop a migration or a failover.
     */
    private List<NodeInfo> readLive(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final long nowMs = System.currentTimeMillis();
        final RedisFuture<Long> listed = redis.zcard(RedisRouteStore.NODES_KEY);
        final List<String> ids = new ArrayList<>(
            RedisRouteStore.await(redis.zrevrange(RedisRouteStore.NODES_KEY, 0, MAX_NODES_READ - 1)));
        final Long total = RedisRouteStore.await(listed);
        final long excess = (total == null ? 0 : total) - ids.size();
        if (excess > 0)
        {
            store.operations().skipped(RedisOperations.Skip.HEARTBEAT_EXCESS, excess);
            if (!ids.contains(nodeId))
            {
                ids.add(nodeId); // this node is live whatever else the index holds
            }
        }
        final List<NodeInfo> nodes = new ArrayList<>(ids.size());
        if (!ids.isEmpty())
        {
            final List<String> keys = new ArrayList<>(ids.size());
            final List<RedisFuture<Long>> ttls = new ArrayList<>(ids.size());
            for (final String id : ids)
            {
                final String key = RedisRouteStore.heartbeatKey(id);
                keys.add(key);
                ttls.add(redis.pttl(key));
            }
            final Map<String, String> values = store.reads().getAll(redis, keys, BoundedReads.HEARTBEAT_MAX_BYTES);
            int malformed = 0;
            for (int i = 0; i < keys.size(); i++)
            {
                final Long ttl = RedisRouteStore.await(ttls.get(i));
                final String value = values.get(keys.get(i));
                if (value != null)
                {
                    final long ago = ttl == null || ttl < 0 ? 0 :
                        Math.max(0, TimeUnit.SECONDS.toMillis(RedisRouteStore.HEARTBEAT_TTL_SECONDS) - ttl);
                    final NodeInfo node = NodeInfo.parse(value, ago);
                    if (node != null && node.nodeId().equals(ids.get(i)))
                    {
                        nodes.add(node);
                    }
                    else
                    {
                        malformed++; // not a heartbeat, or one that names another node than its key
                    }
                }
            }
            if (malformed > 0)
            {
                store.operations().skipped(RedisOperations.Skip.HEARTBEAT_MALFORMED, malformed);
            }
        }
        // Nodes gone for an hour leave the index; their heartbeat keys expired long ago.
        redis.zremrangebyscore(RedisRouteStore.NODES_KEY, Range.create(0L, nowMs - NODE_FORGOTTEN_MS));
        nodes.sort(Comparator.comparing(NodeInfo::nodeId));
        store.operations().add(RedisOperations.Op.READ,
            RedisOperations.Result.OK);
        return nodes;
    }

    /**
     * @return the live nodes as last read (at most a second old).
     */
    public List<NodeInfo> live()
    {
        return live;
    }

    /**
     * SCAN every route key (never KEYS) and read each owner.
     *
     * @param owners filled with stream id to owner node id.
     * @return stream id to stored JSON.
     */
    private Map<Long, String> scanRoutes(final RedisClusterAsyncCommands<String, String> redis, final Map<Long, String> owners)
        throws Exception
    {
        final Map<Long, String> values = new HashMap<>();
        final ScanArgs args = ScanArgs.Builder.matches(StoredRoute.KEY_PREFIX + "*").limit(500);
        store.scanKeys(redis, args, keys ->
        {
            final Map<String, String> kvs = store.reads().getAll(redis, keys, BoundedReads.ROUTE_MAX_BYTES);
            for (final Map.Entry<String, String> kv : kvs.entrySet())
            {
                final long streamId = StoredRoute.streamIdOf(kv.getKey());
                if (streamId != 0)
                {
                    final String owner = StoredRoute.ownerOf(kv.getValue());
                    if (owner != null)
                    {
                        owners.put(streamId, owner);
                        values.put(streamId, kv.getValue());
                    }
                }
            }
        });
        return values;
    }

    /**
     * @return a route's JSON, or null when absent or over {@link BoundedReads#ROUTE_MAX_BYTES} (skipped unread).
     */
    private String readRoute(final RedisClusterAsyncCommands<String, String> redis, final long streamId)
        throws Exception
    {
        return store.reads().get(redis, StoredRoute.key(streamId), BoundedReads.ROUTE_MAX_BYTES);
    }

    private StoredRoute decodeOrNull(final String json)
    {
        if (json == null)
        {
            return null;
        }
        try
        {
            return StoredRoute.decode(json, store.parser());
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }

    private static NodeInfo find(final List<NodeInfo> nodes, final String id)
    {
        for (final NodeInfo node : nodes)
        {
            if (node.nodeId().equals(id))
            {
                return node;
            }
        }
        return null;
    }
}
