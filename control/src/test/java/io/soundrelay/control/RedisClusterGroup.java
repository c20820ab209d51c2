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
package io.soundrelay.control;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster on loopback for the drills: three masters and three replicas ({@code redis-server
 * --cluster-enabled yes}, joined by {@code redis-cli --cluster create}), cluster-node-timeout 1000 ms, a replica
 * always allowed to take over (cluster-replica-validity-factor 0: the drill kills a master seconds after start), nothing kept on
 * disk.
 */
final class RedisClusterGroup implements AutoCloseable
{
    private final List<RedisServer> servers = new ArrayList<>();
    private final File dir;
    private RedisClusterClient client;
    private StatefulRedisClusterConnection<String, String> connection;

    private RedisClusterGroup(final File dir)
    {
        this.dir = dir;
    }

    static RedisClusterGroup start() throws Exception
    {
        final RedisClusterGroup group = new RedisClusterGroup(Files.createTempDirectory("soundrelay-cluster").toFile());
        try
        {
            for (int i = 0; i < 6; i++)
            {
                group.servers.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-node-timeout", "1000",
                    "--cluster-replica-validity-factor", "0",
                    "--cluster-config-file", new File(group.dir, "nodes-" + i + ".conf").getAbsolutePath()));
            }
            final List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (final RedisServer server : group.servers)
            {
                create.add("127.0.0.1:" + server.port());
            }
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            group.redisCli(create);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!group.allOk())
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("the cluster did not reach cluster_state:ok within 30 s");
                }
                Thread.sleep(50);
            }
            return group;
        }
        catch (final Exception ex)
        {
            group.close();
            throw ex;
        }
    }

    /** Runs redis-cli; fails with its output when it exits non-zero. */
    String redisCli(final List<String> command) throws Exception
    {
        final File out = File.createTempFile("redis-cli", ".log", dir);
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out).start();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(out.toPath()));
        }
        return Files.readString(out.toPath());
    }

    private boolean allOk()
    {
        for (final RedisServer server : servers)
        {
            try
            {
                if (!server.cli().clusterInfo().contains("cluster_state:ok"))
                {
                    return false;
                }
            }
            catch (final RuntimeException ex)
            {
                if (server.isAlive())
                {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * @return REDIS_URL for the node: two of the masters as seeds.
     */
    String url()
    {
        return "redis-cluster://127.0.0.1:" + servers.get(0).port() + ",127.0.0.1:" + servers.get(1).port();
    }

    /**
     * @return the server that serves a key's slot as master now.
     */
    RedisServer masterOf(final String key)
    {
        final int slot = SlotHash.getSlot(key);
        for (final RedisServer server : servers)
        {
            if (server.isAlive() && server.cli().info("replication").contains("role:master"))
            {
                for (final Object range : server.cli().clusterSlots())
                {
                    final List<?> r = (List<?>)range;
                    final long from = (Long)r.get(0);
                    final long to = (Long)r.get(1);
                    final List<?> master = (List<?>)r.get(2);
                    if (slot >= from && slot <= to && ((Long)master.get(1)).intValue() == server.port())
                    {
                        return server;
                    }
                }
            }
        }
        throw new IllegalStateException("no live master serves slot " + slot);
    }

    /**
     * @return a cluster client of the test's own, to check Redis from outside the node.
     */
    RedisAdvancedClusterCommands<String, String> cli()
    {
        if (connection == null)
        {
            client = RedisClusterClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(servers.get(0).port())
                .withTimeout(Duration.ofSeconds(5)).build());
            connection = client.connect();
        }
        return connection.sync();
    }

    /**
     * @return the master of a key's slot, or null while none is known (during a failover).
     */
    RedisServer masterOrNull(final String key)
    {
        try
        {
            return masterOf(key);
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * @return the cluster's node id of a server.
     */
    String nodeId(final RedisServer server)
    {
        return server.cli().clusterMyId();
    }

    /**
     * @return host:port of any live master other than the given one (to run redis-cli against).
     */
    RedisServer anyLiveMasterBut(final RedisServer not)
    {
        for (final RedisServer server : servers)
        {
            if (server != not && server.isAlive() && server.cli().info("replication").contains("role:master"))
            {
                return server;
            }
        }
        throw new IllegalStateException("no other live master");
    }

    /**
     * @return whether every live server says cluster_state:ok and the killed ones' slots have new masters.
     */
    boolean healthy()
    {
        return allOk();
    }

    public void close() throws Exception
    {
        if (client != null)
        {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        for (final RedisServer server : servers)
        {
            server.close();
        }
    }
}
