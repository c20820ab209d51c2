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
package io.soundrelay.control.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.RouteLog;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RedisOperations.Op;
import io.soundrelay.control.metrics.RedisOperations.Result;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteRequestParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.redis.RedisRouteStore.await;

/**
 * Reading this node's routes from Redis and making Redis hold exactly them: a part the store drives on its thread,
 * at start-up, when Redis returns and when a write was lost. Memory is the truth for the node's own routes; other
 * nodes' keys are never touched; a key that is not a valid route is reported once and left alone.
 */
final class Reconciler
{
    /** Scans keys page by page (on a cluster: every live master with slots). */
    @FunctionalInterface
    interface Scanner
    {
        void scan(RedisClusterAsyncCommands<String, String> redis, ScanArgs args, RedisRouteStore.KeyPage page)
            throws Exception;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    private static final int UNREADABLE_REPORTED_MAX = 10_000;

    private final String nodeId;
    private final RouteRequestParser parser;
    private final long ttlMs;
    private final String ttlSeconds;
    private final int scanCount;
    private final RedisOperations operations;
    private final Scanner scanner;
    private final BoundedReads reads;
    private final Set<Long> kept = new HashSet<>();
    private final Set<Long> unreadable = new HashSet<>();

    /**
     * @param nodeId     NODE_ID: the owner of the routes read and written.
     * @param parser     reads a stored route's request fields.
     * @param ttlSeconds ROUTE_TTL_SECONDS, as the scripts take it.
     * @param scanCount  SCAN's COUNT.
     * @param operations counts reads and writes.
     * @param scanner    how to scan all keys.
     * @param reads      reads each page's values, skipping those over {@link BoundedReads#ROUTE_MAX_BYTES}.
     */
    Reconciler(
        final String nodeId,
        final RouteRequestParser parser,
        final String ttlSeconds,
        final int scanCount,
        final RedisOperations operations,
        final Scanner scanner,
        final BoundedReads reads)
    {
        this.reads = reads;
        this.nodeId = nodeId;
        this.parser = parser;
        this.ttlSeconds = ttlSeconds;
        this.ttlMs = TimeUnit.SECONDS.toMillis(Long.parseLong(ttlSeconds));
        this.scanCount = scanCount;
        this.operations = operations;
        this.scanner = scanner;
    }

    /**
     * A route Redis holds for this node that the node could not take (it was full): a reconcile never deletes it.
     */
    void keep(final long streamId)
    {
        kept.add(streamId);
    }

    /**
     * Read this node's routes with SCAN (never KEYS) and MGET, and their remaining expiry.
     *
     * @param raw when not null, filled with key to stored JSON for each route returned.
     * @return stream id to route, for valid routes whose owner is this node.
     */
    Map<Long, StoredRoute> scanOwn(final RedisClusterAsyncCommands<String, String> redis, final Map<String, String> raw)
        throws Exception
    {
        final ScanArgs args = ScanArgs.Builder.matches(StoredRoute.KEY_PREFIX + "*").limit(scanCount);
        final Map<Long, StoredRoute> own = new HashMap<>();
        try
        {
            scanner.scan(redis, args, keys ->
            {
                final Map<String, String> values = reads.getAll(redis, keys, BoundedReads.ROUTE_MAX_BYTES);
                for (final Map.Entry<String, String> kv : values.entrySet())
                {
                    read(kv.getKey(), kv.getValue(), own, raw);
                }
                operations.add(Op.SCAN, Result.OK);
            });
        }
        catch (final Exception ex)
        {
            operations.add(Op.SCAN, Result.ERROR);
            throw ex;
        }

        // PTTL for the idle clocks of restored routes.
        if (!own.isEmpty())
        {
            final List<Long> ids = new ArrayList<>(own.keySet());
            final List<RedisFuture<Long>> ttls = new ArrayList<>(ids.size());
            for (final Long id : ids)
            {
                ttls.add(redis.pttl(StoredRoute.key(id)));
            }
            for (int i = 0; i < ids.size(); i++)
            {
                final Long pttl = await(ttls.get(i));
                own.get(ids.get(i)).remainingTtlMs = pttl == null ? -1 : pttl;
            }
        }
        return own;
    }

    private void read(final String key, final String json, final Map<Long, StoredRoute> own,
        final Map<String, String> raw)
    {
        final long id = StoredRoute.streamIdOf(key);
        if (id == 0 || !nodeId.equals(StoredRoute.ownerOf(json)))
        {
            return;
        }
        try
        {
            final StoredRoute route = StoredRoute.decode(json, parser);
            own.put(id, route);
            RouteLog.debug("read from Redis", nodeId, route.spec());
            if (raw != null)
            {
                raw.put(key, json);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            // Left in Redis untouched (never loaded, never deleted), reported once per key.
            if (unreadable.size() < UNREADABLE_REPORTED_MAX && unreadable.add(id))
            {
                LOG.warn("{} in Redis is not a valid route ({}); left as it is", key, ex.getMessage());
            }
        }
    }

    /**
     * Make Redis hold exactly this node's routes: delete this node's keys memory does not have, write the routes
     * memory has that Redis lacks or holds differently. Other nodes' keys are never touched.
     *
     * @param memory the node's routes, the truth.
     * @return keys written or deleted.
     */
    int reconcile(final RedisClusterAsyncCommands<String, String> redis, final RouteRegistry memory) throws Exception
    {
        final Map<String, String> raw = new HashMap<>();
        final Map<Long, StoredRoute> own = scanOwn(redis, raw);
        final List<RedisFuture<?>> futures = new ArrayList<>();
        final List<Op> futureOps = new ArrayList<>();
        for (final Long id : own.keySet())
        {
            if (memory.get(id) == null && !kept.contains(id))
            {
                futures.add(redis.eval(RedisRouteStore.DEL_IF_OWN, ScriptOutputType.INTEGER,
                    new String[]{StoredRoute.key(id)}, nodeId));
                futureOps.add(Op.DEL);
            }
        }
        for (final RouteEntry entry : memory.entries())
        {
            final String key = StoredRoute.key(entry.streamId());
            final String json = StoredRoute.encode(entry, nodeId);
            if (!json.equals(raw.get(key)))
            {
                futures.add(redis.eval(RedisRouteStore.PUT_IF_OWN, ScriptOutputType.VALUE, new String[]{key}, json,
                    nodeId, ttlSeconds));
                futureOps.add(Op.SET);
            }
        }
        for (int i = 0; i < futures.size(); i++)
        {
            final Object answer;
            try
            {
                answer = await(futures.get(i));
            }
            catch (final Exception ex)
            {
                operations.add(futureOps.get(i), Result.ERROR);
                throw ex;
            }
            if (answer instanceof String && !((String)answer).isEmpty())
            {
                operations.add(Op.SET, Result.CONFLICT);
            }
            else
            {
                operations.add(futureOps.get(i), Result.OK);
            }
        }
        LOG.debug("reconcile of node {}: {} route(s) in Redis, {} in memory; {} key(s) written or deleted", nodeId,
            own.size(), memory.size(), futures.size());
        return futures.size();
    }

    /**
     * @return when a stored route went idle, from its remaining expiry: memory and Redis expire it together.
     */
    long idleSince(final StoredRoute route, final long nowNs)
    {
        // The route has been idle for (TTL - remaining expiry).
        final long remaining = route.remainingTtlMs;
        if (remaining < 0 || remaining >= ttlMs)
        {
            return nowNs;
        }
        return nowNs - TimeUnit.MILLISECONDS.toNanos(ttlMs - remaining);
    }
}
