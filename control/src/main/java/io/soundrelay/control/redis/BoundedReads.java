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

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RedisOperations.Skip;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.redis.RedisRouteStore.await;

/**
 * Reads of values other processes may have written (routes, heartbeats), bounded in size: Redis is a trust boundary,
 * and one value written by anybody with access to it must not stall the node's one connection. A small script asks
 * STRLEN first and answers the value only when it is within the bound, so an oversize value never crosses the
 * network; it is counted ({@code relay_redis_skipped_total{reason="value_too_large"}}) and logged at most once per key
 * per {@link #REPORT_INTERVAL_NS}. A key of another type is skipped the same way, never an error that would mark Redis
 * unreachable. Each read is a one-key read-only script (EVAL_RO; EVAL on a Redis older than 7.0), so it works on a
 * Redis Cluster too and needs only read access to the key; a page of keys is pipelined on the store's one connection.
 * Store thread only.
 */
public final class BoundedReads
{
    /**
     * Largest route JSON read. The API refuses bodies over 64 KiB, and a stored route is a request's fields plus a few
     * the node adds (a full one, 16 IPv6 targets and a 64-character room code, is under 2 KiB): 64 KiB leaves room for
     * fields to come while one read stays well under a millisecond.
     */
    public static final int ROUTE_MAX_BYTES = 64 * 1024;
    /** Largest heartbeat read: a real one is a few hundred bytes (ids and addresses). */
    public static final int HEARTBEAT_MAX_BYTES = 4 * 1024;
    static final long REPORT_INTERVAL_NS = TimeUnit.MINUTES.toNanos(1);
    private static final int REPORTED_MAX = 10_000;

    /** {length} when over ARGV[1] bytes, {0} when absent or empty, {-1} when not a string, else {length, value}. */
    static final String GET_BOUNDED =
        "local n = redis.pcall('STRLEN', KEYS[1])\n" +
        "if type(n) ~= 'number' then return {-1} end\n" +
        "if n == 0 or n > tonumber(ARGV[1]) then return {n} end\n" +
        "return {n, redis.call('GET', KEYS[1])}\n";

    private static final Logger LOG = LoggerFactory.getLogger(BoundedReads.class);

    private final RedisOperations operations;
    private final Set<String> reported = new HashSet<>();
    private boolean readOnlyScripts = true;
    private long reportedSinceNs = System.nanoTime();

    /**
     * @param operations where skipped values are counted.
     */
    public BoundedReads(final RedisOperations operations)
    {
        this.operations = operations;
    }

    /**
     * Read one key.
     *
     * @param redis    the store's connection.
     * @param key      the key.
     * @param maxBytes the bound.
     * @return the value, or null when the key is absent, empty, over the bound or not a string.
     * @throws Exception when Redis fails.
     */
    public String get(final RedisClusterAsyncCommands<String, String> redis, final String key, final int maxBytes)
        throws Exception
    {
        try
        {
            return answer(key, await(read(redis, key, maxBytes)), maxBytes);
        }
        catch (final RedisCommandExecutionException ex)
        {
            if (!olderRedis(ex))
            {
                throw ex;
            }
            return answer(key, await(read(redis, key, maxBytes)), maxBytes);
        }
    }

    /**
     * Read many keys, pipelined: what MGET would answer, without the values over the bound.
     *
     * @param redis    the store's connection.
     * @param keys     the keys.
     * @param maxBytes the bound.
     * @return key to value, for the keys that hold a string within the bound, in the keys' order.
     * @throws Exception when Redis fails.
     */
    public Map<String, String> getAll(
        final RedisClusterAsyncCommands<String, String> redis, final List<String> keys, final int maxBytes)
        throws Exception
    {
        try
        {
            return readAll(redis, keys, maxBytes);
        }
        catch (final RedisCommandExecutionException ex)
        {
            if (!olderRedis(ex))
            {
                throw ex;
            }
            return readAll(redis, keys, maxBytes);
        }
    }

    /**
     * Redis before 7.0 has no EVAL_RO: from its first refusal on, the same script goes with EVAL.
     *
     * @return true when that was the failure (and EVAL is used from now on).
     */
    private boolean olderRedis(final RedisCommandExecutionException ex)
    {
        final String why = ex.getMessage() == null ? "" : ex.getMessage().toLowerCase(Locale.ROOT);
        if (!readOnlyScripts || !why.contains("unknown command") || !why.contains("eval_ro"))
        {
            return false;
        }
        readOnlyScripts = false;
        LOG.info("Redis has no EVAL_RO (before 7.0): bounded reads use EVAL");
        return true;
    }

    private Map<String, String> readAll(
        final RedisClusterAsyncCommands<String, String> redis, final List<String> keys, final int maxBytes)
        throws Exception
    {
        final List<RedisFuture<List<Object>>> answers = new ArrayList<>(keys.size());
        for (final String key : keys)
        {
            answers.add(read(redis, key, maxBytes));
        }
        final Map<String, String> values = new HashMap<>(keys.size() * 2);
        for (int i = 0; i < keys.size(); i++)
        {
            final String value = answer(keys.get(i), await(answers.get(i)), maxBytes);
            if (value != null)
            {
                values.put(keys.get(i), value);
            }
        }
        return values;
    }

    /**
     * EVAL_RO where Redis has it: a read-only script needs only read access to the key, so a node's ACL can give it
     * the other nodes' heartbeats to read and nothing more.
     */
    private RedisFuture<List<Object>> read(
        final RedisClusterAsyncCommands<String, String> redis, final String key, final int maxBytes)
    {
        final String[] keys = {key};
        final String max = Integer.toString(maxBytes);
        return readOnlyScripts ?
            redis.evalReadOnly(GET_BOUNDED, ScriptOutputType.MULTI, keys, max) :
            redis.eval(GET_BOUNDED, ScriptOutputType.MULTI, keys, max);
    }

    private String answer(final String key, final List<Object> answer, final int maxBytes)
    {
        if (answer == null || answer.isEmpty())
        {
            return null;
        }
        if (answer.size() >= 2 && answer.get(1) instanceof String)
        {
            return (String)answer.get(1);
        }
        final long length = answer.get(0) instanceof Long ? (Long)answer.get(0) : 0;
        if (length == 0)
        {
            return null; // absent (deleted between SCAN and the read) or empty
        }
        operations.skipped(Skip.VALUE_TOO_LARGE, 1);
        report(key, length < 0 ? "not a string" : length + " bytes, over the " + maxBytes + " read");
        return null;
    }

    private void report(final String key, final String why)
    {
        final long nowNs = System.nanoTime();
        if (nowNs - reportedSinceNs >= REPORT_INTERVAL_NS)
        {
            reported.clear();
            reportedSinceNs = nowNs;
        }
        if (reported.size() < REPORTED_MAX && reported.add(key))
        {
            LOG.warn("{} in Redis skipped unread ({}), counted as value_too_large", key, why);
        }
    }
}
