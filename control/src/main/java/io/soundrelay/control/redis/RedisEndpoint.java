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

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RedisOperations.Op;
import io.soundrelay.control.metrics.RedisOperations.Result;
import io.soundrelay.core.config.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.redis.RedisRouteStore.await;

/**
 * The store's way to Redis, whatever REDIS_URL names: one server ({@code redis://}, {@code rediss://}), the master
 * Sentinel names ({@code redis-sentinel://}, asked on every connect) or a Redis Cluster ({@code redis-cluster://},
 * its slot map followed by Lettuce). It makes the one connection the store's thread owns, the pub/sub connection of
 * the subscription, and scans keys on every server that holds some.
 */
final class RedisEndpoint
{
    private static final Logger LOG = LoggerFactory.getLogger(RedisEndpoint.class);

    private final ClientResources resources;
    /** Standalone or Sentinel; null on a cluster. */
    private final RedisClient client;
    /** A Redis Cluster; null otherwise. */
    private final RedisClusterClient clusterClient;
    private final boolean sentinel;
    private final RedisOperations operations;
    private StatefulConnection<String, String> connection;
    /** The commands of {@link #connection}: a plain connection's, or a cluster connection's (routed by slot). */
    private RedisClusterAsyncCommands<String, String> commands;

    RedisEndpoint(final String url, final RedisOperations operations)
    {
        this.operations = operations;
        this.sentinel = url.startsWith(Configuration.SENTINEL_SCHEME);
        // One connection (a cluster connection: one per master), so one IO thread is all Lettuce needs.
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
        final SocketOptions socket = SocketOptions.builder()
            .connectTimeout(RedisRouteStore.CONNECT_TIMEOUT).keepAlive(true).build();
        if (url.startsWith(Configuration.CLUSTER_SCHEME))
        {
            this.client = null;
            this.clusterClient = RedisClusterClient.create(resources, clusterSeeds(url));
            clusterClient.setOptions(ClusterClientOptions.builder()
                // A cluster connection opens its connection to each master lazily, and the topology changes under
                // it: Lettuce reconnects those itself and holds a command while one (re)connects. The command
                // timeout still bounds every command; one that fails makes the store reconnect the whole.
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .socketOptions(socket)
                .timeoutOptions(TimeoutOptions.enabled(RedisRouteStore.COMMAND_TIMEOUT))
                // Slots move (failover, resharding): follow MOVED/ASK at once and re-read the map every 5 s.
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                    .enablePeriodicRefresh(Duration.ofSeconds(5))
                    .enableAllAdaptiveRefreshTriggers()
                    .build())
                .build());
        }
        else
        {
            final RedisURI uri = RedisURI.create(url);
            uri.setTimeout(RedisRouteStore.COMMAND_TIMEOUT);
            this.clusterClient = null;
            this.client = RedisClient.create(resources, uri);
            client.setOptions(ClientOptions.builder()
                // The store reconnects itself, so that every new connection is followed by replay and reconcile,
                // and commands fail at once while Redis is away instead of piling up inside Lettuce.
                .autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(socket)
                .timeoutOptions(TimeoutOptions.enabled(RedisRouteStore.COMMAND_TIMEOUT))
                .build());
        }
    }

    /**
     * The seed nodes of {@code redis-cluster://[user:pass@]h1:p1,h2:p2}, each as a {@code redis://} URI with the
     * credentials.
     */
    static List<RedisURI> clusterSeeds(final String url)
    {
        final String rest = url.substring(Configuration.CLUSTER_SCHEME.length());
        final int at = rest.lastIndexOf('@');
        final String userInfo = at < 0 ? "" : rest.substring(0, at + 1);
        String hosts = rest.substring(at + 1);
        final int end = hosts.indexOf('/');
        hosts = end < 0 ? hosts : hosts.substring(0, end);
        final List<RedisURI> seeds = new ArrayList<>();
        for (final String hostPort : hosts.split(","))
        {
            final RedisURI seed = RedisURI.create("redis://" + userInfo + hostPort);
            seed.setTimeout(RedisRouteStore.COMMAND_TIMEOUT);
            seeds.add(seed);
        }
        return seeds;
    }

    boolean cluster()
    {
        return clusterClient != null;
    }

    /**
     * @return "cluster", "sentinel" or "standalone".
     */
    String mode()
    {
        return clusterClient != null ? "cluster" : sentinel ? "sentinel" : "standalone";
    }

    boolean sentinel()
    {
        return sentinel;
    }

    /** A new connection in place of the old one (counted). */
    void open()
    {
        close();
        try
        {
            if (clusterClient != null)
            {
                final StatefulRedisClusterConnection<String, String> cluster = clusterClient.connect();
                connection = cluster;
                commands = cluster.async();
            }
            else
            {
                final StatefulRedisConnection<String, String> single = client.connect();
                connection = single;
                commands = single.async();
            }
            operations.add(Op.CONNECT, Result.OK);
        }
        catch (final RuntimeException ex)
        {
            operations.add(Op.CONNECT, Result.ERROR);
            throw ex;
        }
    }

    boolean isOpen()
    {
        return connection != null && connection.isOpen();
    }

    boolean exists()
    {
        return connection != null;
    }

    /**
     * @return the commands of the open connection; null when none is open.
     */
    RedisClusterAsyncCommands<String, String> commands()
    {
        return commands;
    }

    /** Drops the connection without waiting. */
    void close()
    {
        if (connection != null)
        {
            connection.closeAsync();
            connection = null;
            commands = null;
        }
    }

    /** Closes the connection and waits: an asynchronous close would race the client's shutdown. */
    void closeNow()
    {
        if (connection != null)
        {
            try
            {
                connection.close();
            }
            catch (final RuntimeException ex)
            {
                LOG.debug("closing the Redis connection: {}", ex.getMessage());
            }
            connection = null;
            commands = null;
        }
    }

    /**
     * A pub/sub connection: on a cluster with the nodes' messages passed on (SSUBSCRIBE lives on the slot's master).
     */
    StatefulRedisPubSubConnection<String, String> connectPubSub()
    {
        if (clusterClient != null)
        {
            final StatefulRedisClusterPubSubConnection<String, String> shard = clusterClient.connectPubSub();
            shard.setNodeMessagePropagation(true);
            return shard;
        }
        return client.connectPubSub();
    }

    /**
     * SCAN for the keys that match, page by page. On a cluster, on each master that serves slots and is not failing:
     * the map keeps listing a dead master after its replica took over, and a scan that asked it would fail whole.
     * Elsewhere on the one server.
     */
    @SuppressWarnings("unchecked")
    void scanKeys(final RedisClusterAsyncCommands<String, String> redis, final ScanArgs args,
        final RedisRouteStore.KeyPage page) throws Exception
    {
        if (clusterClient == null)
        {
            scanOne(redis, args, page);
            return;
        }
        final StatefulRedisClusterConnection<String, String> cluster =
            (StatefulRedisClusterConnection<String, String>)connection;
        for (final RedisClusterNode node : cluster.getPartitions())
        {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.getSlots().isEmpty() &&
                !node.is(RedisClusterNode.NodeFlag.FAIL) && !node.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL))
            {
                scanOne(cluster.getConnection(node.getNodeId()).async(), args, page);
            }
        }
    }

    static void scanOne(final RedisClusterAsyncCommands<String, String> redis, final ScanArgs args,
        final RedisRouteStore.KeyPage page) throws Exception
    {
        ScanCursor cursor = ScanCursor.INITIAL;
        do
        {
            final KeyScanCursor<String> found = await(redis.scan(cursor, args));
            if (!found.getKeys().isEmpty())
            {
                page.accept(found.getKeys());
            }
            cursor = found;
        }
        while (!cursor.isFinished());
    }

    /**
     * The address the connection reached, as the server sees its own end (CLIENT INFO's laddr): for Sentinel, the
     * master it named; for a cluster, the masters that serve slots.
     */
    String serverAddress() throws Exception
    {
        if (clusterClient != null)
        {
            final StringBuilder masters = new StringBuilder();
            for (final RedisClusterNode node : clusterClient.getPartitions())
            {
                if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.getSlots().isEmpty())
                {
                    masters.append(masters.length() == 0 ? "" : ",")
                        .append(node.getUri().getHost()).append(':').append(node.getUri().getPort());
                }
            }
            return masters.toString();
        }
        final String info = await(commands.clientInfo());
        for (final String field : info.trim().split(" "))
        {
            if (field.startsWith("laddr="))
            {
                return field.substring("laddr=".length());
            }
        }
        return null;
    }

    /** Shuts the client and its threads down: the store is done. */
    void shutdown()
    {
        if (clusterClient != null)
        {
            clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        else
        {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
