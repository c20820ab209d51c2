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

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.redis.BoundedReads;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;

import java.util.HashMap;
import java.util.Map;

/**
 * Who owns a route, as Redis holds it: reading routes (bounded in size), and the one compare-and-set on the owner
 * ({@link #TAKE_OVER}) every change of owner goes through, so when two nodes race to adopt a dead node's route,
 * exactly one wins. Store thread only.
 */
final class RouteOwnership
{
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

    private final RedisRouteStore store;
    private final RouteRegistry registry;

    RouteOwnership(final RedisRouteStore store, final RouteRegistry registry)
    {
        this.store = store;
        this.registry = registry;
    }

    /**
     * Make {@code newOwner} the route's owner if {@code expectedOwner} still is.
     *
     * @return 'ok', or 'absent', 'unreadable', 'owner:&lt;id&gt;'.
     */
    String takeOver(
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
     * SCAN every route key (never KEYS) and read each owner.
     *
     * @param owners filled with stream id to owner node id.
     * @return stream id to stored JSON.
     */
    Map<Long, String> scanRoutes(final RedisClusterAsyncCommands<String, String> redis, final Map<Long, String> owners)
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
    String readRoute(final RedisClusterAsyncCommands<String, String> redis, final long streamId) throws Exception
    {
        return store.reads().get(redis, StoredRoute.key(streamId), BoundedReads.ROUTE_MAX_BYTES);
    }

    /**
     * @return the route, or null when absent or not a valid route.
     */
    StoredRoute decodeOrNull(final String json)
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
}
