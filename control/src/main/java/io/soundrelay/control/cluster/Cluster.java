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
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Several nodes on one Redis (PROTOCOL.md section 7): who is alive, hand-offs, failover, and the announcements on
 * {@code soundrelay:routes}. Everything that touches Redis runs on the store's thread, in order with the route writes;
 * the API's threads ask through {@link RedisRouteStore#submit} and wait on futures.
 * <p>
 * Ownership lives in Redis: the route key's {@code node_id}. Every change of owner is one Lua compare-and-set on it
 * ({@link RouteOwnership#TAKE_OVER}), so when two nodes race to adopt a dead node's route, exactly one wins.
 * <p>
 * A hand-off from this node ({@link HandOff}, a state machine the store's duty cycle steps): check the new node is
 * live, set it as owner in Redis, announce {@code migrate}; the new node reads the route, puts it in its router,
 * announces {@code adopted}; only then does this node's router forward the stream's datagrams to it (HOP frames) for
 * MIGRATION_GRACE_SECONDS. Without a confirmation within {@link #CONFIRM_TIMEOUT_MS} the owner is set back and the
 * route stays here.
 */
public final class Cluster implements RedisRouteStore.Hooks
{
    /** How long the old owner waits for the new one to confirm a hand-off. */
    public static final long CONFIRM_TIMEOUT_MS = 5000;
    static final long LIVE_REFRESH_NS = TimeUnit.SECONDS.toNanos(1);
    static final long ORPHAN_SCAN_NS = TimeUnit.SECONDS.toNanos(30);
    static final int EVERYONE_ADOPTS_AFTER_ROUNDS = 3;

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

    private final RedisRouteStore store;
    private final String nodeId;
    private final RouteRegistry registry;
    private final NodeTracing tracing;
    private final int graceSeconds;
    private final boolean autoFailover;
    private final int maxRoutes;
    private final RouterProxy router;
    private final LiveNodes liveNodes;
    private final RouteOwnership ownership;
    private final Adoption adoption;
    private final HandOff.Crew crew;
    /** The hand-offs waiting for their new node's answer, by stream; store thread only. */
    private final Map<Long, HandOff> pending = new HashMap<>();
    /** Every hand-off under way, stepped each duty cycle; store thread only. */
    private final List<HandOff> handOffs = new ArrayList<>();
    private final Map<Long, Integer> orphanRounds = new HashMap<>();

    private volatile boolean draining;
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
        this.store = store;
        this.nodeId = store.nodeId();
        this.router = router;
        this.registry = registry;
        this.tracing = tracing;
        this.graceSeconds = graceSeconds;
        this.autoFailover = autoFailover;
        this.maxRoutes = maxRoutes;
        this.liveNodes = new LiveNodes(store, peers);
        this.ownership = new RouteOwnership(store, registry);
        this.adoption = new Adoption(store, router, tracing, relayPorts);
        this.crew = new HandOff.Crew(store, tracing, registry, router, liveNodes, ownership, adoption, graceSeconds);
    }

    public int graceSeconds()
    {
        return graceSeconds;
    }

    /**
     * The node drains (PROTOCOL.md section 12): from now on it refuses hand-offs to it and adopts no dead node's
     * route, and its heartbeat says {@code "draining": true}, so that peers and clients pick other nodes.
     */
    public void draining()
    {
        draining = true;
        store.draining();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // For the API's threads.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * @return the live nodes, read from Redis now, by node id.
     */
    public CompletableFuture<List<NodeInfo>> nodes()
    {
        return store.submit(liveNodes::read);
    }

    /**
     * @param streamId a stream.
     * @return the route Redis holds for it, whichever node owns it, or null.
     */
    public CompletableFuture<StoredRoute> route(final long streamId)
    {
        return store.submit(redis ->
        {
            final String json = ownership.readRoute(redis, streamId);
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
        return migrate(streamId, newNodeAddr, parent, false);
    }

    /**
     * As {@link #migrate(long, Endpoint, Context)}, for one route of many (a drain): its line at DEBUG.
     *
     * @param quiet true for one of many, whose summary the caller logs.
     */
    public Migration migrate(final long streamId, final Endpoint newNodeAddr, final Context parent, final boolean quiet)
        throws Exception
    {
        final HandOff handOff = new HandOff(crew, streamId, newNodeAddr, parent, System.nanoTime()).quiet(quiet);
        get(store.submit(redis -> begin(handOff, redis)));
        return handOff.await();
    }

    /**
     * On the store's thread: the hand-off's first step, in the request's task so that a refusal answers it at once.
     */
    private Void begin(final HandOff handOff, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        handOff.doWork(System.nanoTime(), redis);
        if (!handOff.isDone())
        {
            pending.put(handOff.streamId(), handOff);
            handOffs.add(handOff);
        }
        return null;
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

    /**
     * Step every hand-off under way; one that left CONFIRM no longer takes answers, one that is done leaves the list.
     */
    @Override
    public int doHandOffWork(final long nowNs, final RedisClusterAsyncCommands<String, String> redis)
        throws Exception
    {
        int work = 0;
        Exception outage = null;
        for (int i = handOffs.size() - 1; i >= 0; i--)
        {
            final HandOff handOff = handOffs.get(i);
            try
            {
                work += handOff.doWork(nowNs, redis);
            }
            catch (final Exception ex)
            {
                outage = ex;
            }
            if (handOff.state() != HandOff.State.CONFIRM)
            {
                pending.remove(handOff.streamId(), handOff);
            }
            if (handOff.isDone())
            {
                handOffs.remove(i);
            }
        }
        if (outage != null)
        {
            throw outage;
        }
        return work;
    }

    @Override
    public void onSubscribed(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        // Announcements may have been missed: Redis is the truth of who owns what.
        liveNodes.refresh(redis);
        final Map<Long, String> owners = new HashMap<>();
        final Map<Long, String> values = ownership.scanRoutes(redis, owners);
        int adopted = 0;
        int released = 0;
        for (final Map.Entry<Long, String> e : owners.entrySet())
        {
            final long streamId = e.getKey();
            // Not one this node deleted lately: its delete may not have reached Redis when the scan read it.
            if (nodeId.equals(e.getValue()) && registry.get(streamId) == null && !store.deletedRecently(streamId))
            {
                final StoredRoute route = ownership.decodeOrNull(values.get(streamId));
                if (route != null && adoption.adopt(redis, route, null, Context.root(), "adopted") == null)
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

    @Override
    public void onMessage(final String message, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final Announcement a = Announcement.parse(message);
        if (a == null)
        {
            return;
        }
        if (LOG.isDebugEnabled())
        {
            LOG.debug("cluster: {} stream {} node {}{}", a.op, Long.toUnsignedString(a.streamId), a.nodeId,
                a.fromNode == null ? "" : " from node " + a.fromNode);
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
                final HandOff handOff = pending.get(a.streamId);
                if (handOff != null && handOff.onAnswer(a))
                {
                    break; // stepped in this duty cycle
                }
                if (Announcement.ADOPTED.equals(a.op))
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

    private void adoptHandedOff(final RedisClusterAsyncCommands<String, String> redis, final Announcement a)
        throws Exception
    {
        final Span span = tracing.startSpan("soundrelay.adopt", tracing.extract(a.carrier), a.streamId);
        span.setAttribute("soundrelay.migration.from_node", a.fromNode == null ? "" : a.fromNode);
        try
        {
            final String json = ownership.readRoute(redis, a.streamId);
            final StoredRoute route = ownership.decodeOrNull(json);
            if (route == null || !nodeId.equals(route.nodeId()))
            {
                span.addEvent("stale"); // taken back or moved on before this node read it
                return;
            }
            // The old node's HOP frames must be accepted before it starts forwarding: from its relay address as its
            // heartbeat gives it, signed with the key its MIGRATE carries, for its grace window.
            final NodeInfo from = a.hopKey == null || a.fromNode == null ? null :
                LiveNodes.find(liveNodes.refresh(redis), a.fromNode);
            if (draining)
            {
                span.addEvent("refused");
                adoption.refuse(redis, a.streamId, a.fromNode, Context.root().with(span), "node " + nodeId +
                    " is draining: it takes no route");
                return;
            }
            if (a.hopKey != null && (from == null || !validKey(a.hopKey)))
            {
                span.addEvent("refused");
                adoption.refuse(redis, a.streamId, a.fromNode, Context.root().with(span), "node " + nodeId +
                    ": the hand-off names no live node or no valid hop key");
                return;
            }
            adoption.adopt(redis, route, a.fromNode, Context.root().with(span),
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
    private void maybeTakenOver(
        final RedisClusterAsyncCommands<String, String> redis, final long streamId, final String owner) throws Exception
    {
        if (owner == null || owner.equals(nodeId) || registry.get(streamId) == null)
        {
            return;
        }
        final StoredRoute route = ownership.decodeOrNull(ownership.readRoute(redis, streamId));
        if (route != null && !nodeId.equals(route.nodeId()))
        {
            relinquish(streamId, route.nodeId());
        }
    }

    private void relinquish(final long streamId, final String owner) throws Exception
    {
        Adoption.routed(router.relinquish(streamId));
        tracing.streamEnded(streamId, "taken_over", Attributes.builder()
            .put("soundrelay.migration.to_node", owner).build());
        LOG.warn("stream {} is owned by node {} in Redis: this node stopped relaying it",
            Long.toUnsignedString(streamId), owner);
    }

    @Override
    public void onExpired(final long streamId, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        store.publish(redis, new Announcement(Announcement.EXPIRED, streamId, nodeId, null, null,
            tracing.inject(tracing.streamContext(streamId), streamId)).toJson());
    }

    @Override
    public int doWork(final long nowNs, final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        adoption.flushLog(nowNs);
        if (nowNs - nextLiveNs < 0)
        {
            return 0;
        }
        nextLiveNs = nowNs + LIVE_REFRESH_NS;
        final List<NodeInfo> nodes = liveNodes.refresh(redis);
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
        final Map<Long, String> values = ownership.scanRoutes(redis, owners);
        final Map<String, long[]> load = new HashMap<>();
        for (final NodeInfo node : nodes)
        {
            // A draining node takes nothing: every node leaves it out of the plan (this one too, once it drains).
            if (!node.draining() && !(draining && node.nodeId().equals(nodeId)))
            {
                load.put(node.nodeId(),
                    new long[]{node.nodeId().equals(nodeId) ? registry.size() : node.activeRoutes()});
            }
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
            if ((nodeId.equals(pick) || rounds >= EVERYONE_ADOPTS_AFTER_ROUNDS) && registry.size() < maxRoutes &&
                !draining)
            {
                final StoredRoute route = ownership.decodeOrNull(values.get(streamId));
                if (route == null)
                {
                    continue;
                }
                final Span span = tracing.startSpan("soundrelay.failover", Context.root(), streamId);
                span.setAttribute("soundrelay.migration.from_node", owner);
                span.setAttribute("soundrelay.migration.to_node", nodeId);
                try
                {
                    final String result = ownership.takeOver(redis, streamId, owner, route, nodeId);
                    if ("ok".equals(result))
                    {
                        if (adoption.adopt(redis, route, owner, Context.root().with(span), "failover") == null)
                        {
                            adopted++;
                        }
                        else
                        {
                            // full after all: leave it orphaned
                            ownership.takeOver(redis, streamId, nodeId, route, owner);
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

    /**
     * @return the live nodes as last read (at most a second old).
     */
    public List<NodeInfo> live()
    {
        return liveNodes.live();
    }
}
