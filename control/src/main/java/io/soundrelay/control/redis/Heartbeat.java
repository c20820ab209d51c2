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
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RedisOperations.Op;
import io.soundrelay.control.metrics.RedisOperations.Result;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.config.ConfigurationException;
import io.soundrelay.core.json.Json;
import io.soundrelay.core.json.JsonException;
import io.soundrelay.core.json.JsonWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.redis.RedisRouteStore.await;

/**
 * The node's heartbeat ({@code node:{id}:heartbeat} and its entry in {@code soundrelay:nodes}), a part the store
 * drives on its thread: the claim of NODE_ID at start-up, a beat every {@link RedisRouteStore#HEARTBEAT_INTERVAL_NS},
 * and the release at a graceful stop. Every command touches one key, so it works on a cluster too.
 */
final class Heartbeat
{
    /**
     * DEL the heartbeat only if this process wrote it: 1 removed, 0 absent, -1 another process's. One key, so that it
     * stays in one slot on a cluster; the node index entry is removed after it (ZREM) unless another process holds
     * the NODE_ID.
     */
    static final String DEL_HEARTBEAT_IF_MINE =
        "local cur = redis.call('GET', KEYS[1])\n" +
        "if not cur then return 0 end\n" +
        "local ok, doc = pcall(cjson.decode, cur)\n" +
        "if ok and type(doc) == 'table' and doc['instance_id'] == ARGV[1] then\n" +
        "  redis.call('DEL', KEYS[1])\n" +
        "  return 1\n" +
        "end\n" +
        "return -1\n";

    private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);

    private volatile boolean draining;
    private final String nodeId;
    private final String instanceId;
    private final String key;
    private final String urlForLog;
    private final RedisOperations operations;
    private String relayAddr;
    private String controlAddr;
    private String startedAt;
    private String clashingInstance;

    /**
     * @param nodeId     NODE_ID.
     * @param instanceId this process, random: tells its heartbeat from another process's with the same NODE_ID.
     * @param urlForLog  REDIS_URL without its password, for messages.
     * @param operations counts heartbeats.
     */
    Heartbeat(final String nodeId, final String instanceId, final String urlForLog, final RedisOperations operations)
    {
        this.nodeId = nodeId;
        this.instanceId = instanceId;
        this.key = key(nodeId);
        this.urlForLog = urlForLog;
        this.operations = operations;
    }

    /**
     * @return the heartbeat key of a node.
     */
    static String key(final String nodeId)
    {
        return "node:" + nodeId + ":heartbeat";
    }

    /**
     * What the heartbeat advertises.
     */
    void addresses(final String relayAddr, final String controlAddr)
    {
        this.relayAddr = relayAddr;
        this.controlAddr = controlAddr;
    }

    void startedAt(final long startedAtMs)
    {
        this.startedAt = DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(startedAtMs));
    }

    /**
     * Take NODE_ID for this process, or refuse to start while another live process holds it. A heartbeat written by
     * another instance is live when it is renewed (its value changes or its expiry moves forward) within one
     * heartbeat interval and a margin; one that is not was left by a process that died without removing it, and is
     * taken over. The claim itself is written with {@code SET .. GET}, so of two processes starting at once with one
     * NODE_ID the second sees the first's claim and refuses.
     *
     * @throws ConfigurationException another live process has NODE_ID.
     */
    void claim(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final String held = await(redis.get(key));
        if (held != null && !instanceId.equals(jsonField(held, "instance_id")))
        {
            if (renewed(redis, held))
            {
                throw taken(held);
            }
            LOG.warn("NODE_ID {}: the heartbeat of an earlier process ({}) was not renewed within {} ms: it stopped " +
                "without removing it; taking NODE_ID over", nodeId, describeHolder(held),
                RedisRouteStore.STALE_HEARTBEAT_MS);
        }
        final String previous = await(redis.setGet(key, json(0), SetArgs.Builder.ex(
            RedisRouteStore.HEARTBEAT_TTL_SECONDS)));
        if (previous != null && !previous.equals(held) && !instanceId.equals(jsonField(previous, "instance_id")))
        {
            // Another process claimed NODE_ID between our read and our write: it started first, it keeps it.
            await(redis.set(key, previous, SetArgs.Builder.keepttl()));
            throw taken(previous);
        }
        operations.add(Op.HEARTBEAT, Result.OK);
    }

    private boolean renewed(final RedisClusterAsyncCommands<String, String> redis, final String held) throws Exception
    {
        long lastTtlMs = await(redis.pttl(key));
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RedisRouteStore.STALE_HEARTBEAT_MS);
        while (System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(RedisRouteStore.STALE_POLL_MS);
            final String now = await(redis.get(key));
            if (now == null)
            {
                return false;
            }
            final long ttlMs = await(redis.pttl(key));
            if (!now.equals(held) || ttlMs > lastTtlMs + RedisRouteStore.STALE_POLL_MS)
            {
                return true;
            }
            lastTtlMs = ttlMs;
        }
        return false;
    }

    /**
     * Write the heartbeat and the node's entry in the node index.
     *
     * @param activeRoutes the routes the node holds now.
     * @return false when Redis no longer held the heartbeat: it had expired (or was removed) since the last beat.
     */
    boolean beat(final RedisClusterAsyncCommands<String, String> redis, final int activeRoutes) throws Exception
    {
        try
        {
            final RedisFuture<String> set = redis.setGet(key, json(activeRoutes),
                SetArgs.Builder.ex(RedisRouteStore.HEARTBEAT_TTL_SECONDS));
            final RedisFuture<Long> listed = redis.zadd(RedisRouteStore.NODES_KEY, (double)System.currentTimeMillis(),
                nodeId);
            final String previous = await(set);
            await(listed);
            operations.add(Op.HEARTBEAT, Result.OK);
            checkClash(previous);
            return previous != null;
        }
        catch (final Exception ex)
        {
            operations.add(Op.HEARTBEAT, Result.ERROR);
            throw ex;
        }
    }

    /**
     * Remove this process's own heartbeat and index entry: another process that has the same NODE_ID keeps its own.
     */
    void release(final RedisClusterAsyncCommands<String, String> redis) throws Exception
    {
        final Long removed = await(redis.<Long>eval(DEL_HEARTBEAT_IF_MINE, ScriptOutputType.INTEGER,
            new String[] {key}, instanceId));
        if (removed != null && removed >= 0)
        {
            await(redis.zrem(RedisRouteStore.NODES_KEY, nodeId));
        }
    }

    /**
     * A heartbeat this process did not write means a second live process with this NODE_ID: one that started while
     * Redis was away from this one (the start-up claim could not see it). Both write routes as one owner, so say so
     * loudly, once per other process.
     */
    private void checkClash(final String previous)
    {
        final String other = previous == null ? null : jsonField(previous, "instance_id");
        if (previous != null && !instanceId.equals(other))
        {
            final String holder = other == null ? previous : other;
            if (!holder.equals(clashingInstance))
            {
                clashingInstance = holder;
                LOG.error("NODE_ID {} is also used by another live node ({}): both act as one owner of the same " +
                    "routes; stop one of them and give each node its own NODE_ID", nodeId, describeHolder(previous));
            }
        }
    }

    private ConfigurationException taken(final String heartbeat)
    {
        return new ConfigurationException(Configuration.NODE_ID_ENV + "=" + nodeId + ": another live node on " +
            urlForLog + " has this NODE_ID (" + describeHolder(heartbeat) + "); give each node its own NODE_ID, " +
            "or stop that node first");
    }

    private static String describeHolder(final String heartbeat)
    {
        final String relay = jsonField(heartbeat, "relay_addr");
        final String control = jsonField(heartbeat, "control_addr");
        final String started = jsonField(heartbeat, "started_at");
        return "relay " + (relay == null ? "unknown" : relay) + ", control API " +
            (control == null ? "unknown" : control) + (started == null ? "" : ", started " + started);
    }

    /**
     * @param draining whether the node drains (PROTOCOL.md section 12): written with every beat from now on, so that
     *                 peers hand it nothing and clients pick another node.
     */
    void draining(final boolean draining)
    {
        this.draining = draining;
    }

    private String json(final int activeRoutes)
    {
        return new JsonWriter().beginObject()
            .name("node_id").value(nodeId)
            .name("instance_id").value(instanceId)
            .name("relay_addr").value(relayAddr)
            .name("control_addr").value(controlAddr)
            .name("active_routes").value(activeRoutes)
            .name("started_at").value(startedAt)
            .name("draining").value(draining)
            .endObject()
            .toJson();
    }

    /**
     * @return a string field of a JSON object, or null when the text is no object or the field no string.
     */
    static String jsonField(final String json, final String name)
    {
        try
        {
            final Object root = Json.parse(json);
            final Object value = root instanceof Map ? ((Map<?, ?>)root).get(name) : null;
            return value instanceof String ? (String)value : null;
        }
        catch (final JsonException ex)
        {
            return null;
        }
    }
}
