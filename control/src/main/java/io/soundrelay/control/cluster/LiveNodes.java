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

import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.redis.BoundedReads;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.io.router.PeerSet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The live nodes, as their heartbeats in Redis say, and the relay addresses HOP frames are accepted from, kept in
 * step with them. Reads on the store's thread; {@link #live()} from any thread.
 */
final class LiveNodes
{
    static final long NODE_FORGOTTEN_MS = TimeUnit.HOURS.toMillis(1);
    /** Heartbeats read per refresh: this node and as many peers as the router accepts HOP frames from. */
    static final int MAX_NODES_READ = PeerSet.MAX_PEERS + 1;

    private final RedisRouteStore store;
    private final String nodeId;
    private final PeerSet peers;
    private volatile List<NodeInfo> live = List.of();

    LiveNodes(final RedisRouteStore store, final PeerSet peers)
    {
        this.store = store;
        this.nodeId = store.nodeId();
        this.peers = peers;
    }

    /**
     * @return the live nodes as last read.
     */
    List<NodeInfo> live()
    {
        return live;
    }

    /**
     * Read the live nodes and update the peers HOP frames are accepted from.
     *
     * @return the live nodes, by node id.
     */
    List<NodeInfo> refresh(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final List<NodeInfo> nodes = read(redis);
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
    List<NodeInfo> read(final RedisClusterAsyncCommands<String, String> redis) throws Exception
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
            readHeartbeats(redis, ids, nodes);
        }
        // Nodes gone for an hour leave the index; their heartbeat keys expired long ago.
        redis.zremrangebyscore(RedisRouteStore.NODES_KEY, Range.create(0L, nowMs - NODE_FORGOTTEN_MS));
        nodes.sort(Comparator.comparing(NodeInfo::nodeId));
        store.operations().add(RedisOperations.Op.READ,
            RedisOperations.Result.OK);
        return nodes;
    }

    private void readHeartbeats(
        final RedisClusterAsyncCommands<String, String> redis, final List<String> ids, final List<NodeInfo> nodes)
        throws Exception
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

    /**
     * @return the node with that id, or null.
     */
    static NodeInfo find(final List<NodeInfo> nodes, final String id)
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
