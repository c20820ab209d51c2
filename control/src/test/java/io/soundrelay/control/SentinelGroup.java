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

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;

import java.io.File;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Sentinel deployment on loopback for the failover drills: one master, two replicas and three sentinels
 * ({@code redis-server --sentinel}, quorum 2), each a process of its own on a free port, nothing kept on disk.
 */
final class SentinelGroup implements AutoCloseable
{
    static final String MASTER_NAME = "mymaster";

    private final List<RedisServer> servers = new ArrayList<>();
    private final List<Process> sentinels = new ArrayList<>();
    private final List<Integer> sentinelPorts = new ArrayList<>();
    private final File dir;

    private SentinelGroup(final File dir)
    {
        this.dir = dir;
    }

    /**
     * Starts the group and returns once every sentinel sees the two replicas and the two other sentinels, so that
     * a failover can be elected.
     */
    static SentinelGroup start() throws Exception
    {
        final SentinelGroup group = new SentinelGroup(Files.createTempDirectory("soundrelay-sentinel").toFile());
        try
        {
            final RedisServer master = RedisServer.start();
            group.servers.add(master);
            for (int i = 0; i < 2; i++)
            {
                group.servers.add(RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port())));
            }
            for (int i = 0; i < 3; i++)
            {
                group.startSentinel(i, master.port());
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!group.ready())
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("sentinels did not see 2 replicas and 2 other sentinels within 30 s");
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

    private void startSentinel(final int index, final int masterPort) throws Exception
    {
        final int port = RedisServer.freePort();
        final File conf = new File(dir, "sentinel-" + index + ".conf");
        Files.writeString(conf.toPath(), String.join("\n",
            "port " + port,
            "bind 127.0.0.1",
            "dir " + dir.getAbsolutePath(),
            "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 2",
            "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
            "sentinel failover-timeout " + MASTER_NAME + " 2000", // a split election is held again after 4 s
            "sentinel parallel-syncs " + MASTER_NAME + " 2",
            ""));
        final File log = new File(dir, "sentinel-" + index + ".log");
        final Process process = new ProcessBuilder("redis-server", conf.getAbsolutePath(), "--sentinel")
            .redirectErrorStream(true).redirectOutput(log).start();
        sentinels.add(process);
        sentinelPorts.add(port);
        RedisServer.awaitPort(process, port, log);
    }

    private boolean ready()
    {
        for (final int port : sentinelPorts)
        {
            try (SentinelClient sentinel = new SentinelClient(port))
            {
                final Map<String, String> master = sentinel.connection.sync().master(MASTER_NAME);
                if (Integer.parseInt(master.getOrDefault("num-slaves", "0")) < 2 ||
                    Integer.parseInt(master.getOrDefault("num-other-sentinels", "0")) < 2)
                {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * @return REDIS_URL for the node: the three sentinels and the master's name.
     */
    String url()
    {
        final StringBuilder b = new StringBuilder("redis-sentinel://");
        for (int i = 0; i < sentinelPorts.size(); i++)
        {
            b.append(i == 0 ? "" : ",").append("127.0.0.1:").append(sentinelPorts.get(i));
        }
        return b.append("#").append(MASTER_NAME).toString();
    }

    /**
     * @return host:port of the master as the first sentinel that answers names it.
     */
    String masterAddress()
    {
        for (final int port : sentinelPorts)
        {
            try (SentinelClient sentinel = new SentinelClient(port))
            {
                final SocketAddress address = sentinel.connection.sync().getMasterAddrByName(MASTER_NAME);
                final InetSocketAddress inet = (InetSocketAddress)address;
                return inet.getHostString() + ":" + inet.getPort();
            }
            catch (final RuntimeException ex)
            {
                // that sentinel is not answering: ask the next
            }
        }
        throw new IllegalStateException("no sentinel answered");
    }

    /**
     * @return the server that is the master now, by the sentinels' word.
     */
    RedisServer master()
    {
        final String address = masterAddress();
        for (final RedisServer server : servers)
        {
            if (address.equals("127.0.0.1:" + server.port()))
            {
                return server;
            }
        }
        throw new IllegalStateException("the sentinels name " + address + ", which is not one of the group's servers");
    }

    public void close() throws Exception
    {
        for (final Process sentinel : sentinels)
        {
            sentinel.destroyForcibly();
            sentinel.waitFor(10, TimeUnit.SECONDS);
        }
        for (final RedisServer server : servers)
        {
            server.close();
        }
    }

    /** A short-lived connection to one sentinel. */
    private static final class SentinelClient implements AutoCloseable
    {
        private final RedisClient client;
        private final StatefulRedisSentinelConnection<String, String> connection;

        SentinelClient(final int port)
        {
            client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(2)).build());
            try
            {
                connection = client.connectSentinel();
            }
            catch (final RuntimeException ex)
            {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
                throw ex;
            }
        }

        public void close()
        {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }
}
