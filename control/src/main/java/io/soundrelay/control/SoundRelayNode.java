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

import io.soundrelay.control.api.ApiKeyAuthenticator;
import io.soundrelay.control.api.ControlApi;
import io.soundrelay.control.api.ControlServer;
import io.soundrelay.control.metrics.HttpRequestCounter;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RelayMetrics;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.router.RouteJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A whole node: the data plane and the control server, built from one validated {@link Configuration}.
 */
public final class SoundRelayNode implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(SoundRelayNode.class);

    private final Configuration config;
    private final DataPlane dataPlane;
    private final ControlApi api;
    private final ControlServer server;
    private final RedisRouteStore store;
    private final String generatedApiKey;
    private final long startNs;
    private final CountDownLatch closed = new CountDownLatch(1);

    private SoundRelayNode(
        final Configuration config,
        final DataPlane dataPlane,
        final ControlApi api,
        final ControlServer server,
        final RedisRouteStore store,
        final String generatedApiKey,
        final long startNs)
    {
        this.store = store;
        this.startNs = startNs;
        this.config = config;
        this.dataPlane = dataPlane;
        this.api = api;
        this.server = server;
        this.generatedApiKey = generatedApiKey;
    }

    /**
     * Start a node.
     *
     * @param config validated settings.
     * @return the running node.
     * @throws IOException          when a socket cannot be bound.
     * @throws InterruptedException when interrupted while starting.
     */
    public static SoundRelayNode start(final Configuration config) throws IOException, InterruptedException
    {
        return start(config, ControlServer.Timeouts.DEFAULTS);
    }

    /**
     * Start a node whose control server gives clients other timeouts than the production ones: for tests.
     *
     * @param config   validated settings.
     * @param timeouts how long an HTTP client may take.
     * @return the running node.
     * @throws IOException          when a socket cannot be bound.
     * @throws InterruptedException when interrupted while starting.
     */
    static SoundRelayNode start(final Configuration config, final ControlServer.Timeouts timeouts)
        throws IOException, InterruptedException
    {
        final long startNs = System.nanoTime();
        String generatedKey = null;
        ApiKeyAuthenticator authenticator = null;
        if (config.authEnabled())
        {
            List<String> keys = config.apiKeys();
            if (keys.isEmpty())
            {
                final byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                generatedKey = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                keys = List.of(generatedKey);
            }
            authenticator = new ApiKeyAuthenticator(keys);
        }

        final RouteRequestParser parser = new RouteRequestParser(config.maxTargetsPerRoute(), config.jitterBufferMs());
        final RedisOperations redisOperations = new RedisOperations();
        RedisRouteStore store = null;
        List<RouteEntry> restored = List.of();
        if (config.redisEnabled())
        {
            // Routes load before the relay socket opens, so the first datagram already finds them.
            if (config.redisPoolSize() != Configuration.REDIS_POOL_SIZE_DEFAULT)
            {
                LOG.info("REDIS_POOL_SIZE={} has no effect: one connection carries every Redis write, in order",
                    config.redisPoolSize());
            }
            store = new RedisRouteStore(config.redisUrl(), config.redisUrlRedacted(), config.nodeId(),
                config.routeTtlSeconds(), config.maxStreamsPerNode(), parser, redisOperations);
            try
            {
                restored = store.connectAndLoad(System.nanoTime());
            }
            catch (final RuntimeException ex)
            {
                store.close();
                throw ex;
            }
            if (restored.size() > config.maxStreamsPerNode())
            {
                LOG.warn("Redis holds {} routes for node {}, over MAX_STREAMS_PER_NODE={}: all kept; new routes are " +
                    "refused until the count falls", restored.size(), config.nodeId(), config.maxStreamsPerNode());
            }
        }

        final int[] pinCpus = config.pinCpus().stream().mapToInt(Integer::intValue).toArray();
        final DataPlane dataPlane;
        try
        {
            dataPlane = DataPlane.start(new DataPlane.Context()
                .bindAddress(config.bindAddr())
                .transport(config.transport().configName())
                .ringSize(config.ringSize())
                .maxDatagramBytes(config.maxDatagramBytes())
                .maxRoutes(config.maxStreamsPerNode())
                .waitStrategy(config.waitStrategy().configName())
                .pinCpus(pinCpus)
                .threads(config.dataPlaneThreads())
                .receiveBatch(config.receiveBatch())
                .sendBatch(config.sendBatch())
                .routeTtlSeconds(config.routeTtlSeconds())
                .journal(store == null ? RouteJournal.MEMORY_ONLY : store)
                .mixer(config.enableMixer())
                .initialRoutes(restored));
        }
        catch (final IOException | RuntimeException ex)
        {
            if (store != null)
            {
                store.close();
            }
            throw ex;
        }
        final RedisRouteStore redis = store;

        final ControlApi.NodeStatus status = new ControlApi.NodeStatus()
        {
            public String nodeId()
            {
                return config.nodeId();
            }

            public String transport()
            {
                return dataPlane.transport().wireName();
            }

            public String redis()
            {
                return redis == null ? "disabled" : redis.state();
            }

            public long uptimeSeconds()
            {
                return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs);
            }
        };

        final HttpRequestCounter requests = new HttpRequestCounter();
        final RelayMetrics metrics = new RelayMetrics(
            dataPlane.counters(), dataPlane.processingTime(), dataPlane.registry(), requests, redisOperations,
            () -> redis == null ? 0 : redis.backlogSize());
        final ControlApi api = new ControlApi(
            status, dataPlane.proxy(), dataPlane.registry(), dataPlane.counters(), metrics, requests, parser,
            authenticator).mixer(dataPlane.mixer());

        final ControlServer server;
        try
        {
            server = new ControlServer(api, metrics, config.controlApiAddr(), config.metricsAddr(), timeouts);
        }
        catch (final RuntimeException ex)
        {
            dataPlane.close();
            if (redis != null)
            {
                redis.close();
            }
            throw new IOException("cannot start the control API on " + config.controlApiAddr() + " / " +
                config.metricsAddr() + ": " + ex.getMessage(), ex);
        }

        if (generatedKey != null)
        {
            // The one time a key is written anywhere: no API_KEYS were configured, so the operator needs it.
            LOG.warn("no API_KEYS configured; generated API key (shown once): {}", generatedKey);
        }
        LOG.info("node {} up: relay {} ({}), control API http://{}, metrics http://{}/metrics, auth {}",
            config.nodeId(), dataPlane.localAddress(), dataPlane.transport().wireName(),
            hostPort(config.controlApiAddr(), server.apiAddress()),
            hostPort(config.metricsAddr(), server.metricsAddress()), config.authEnabled() ? "on" : "off");
        if (redis != null)
        {
            redis.start(dataPlane.registry(), dataPlane.proxy(),
                hostPort(config.bindAddr(), dataPlane.localAddress()),
                hostPort(config.controlApiAddr(), server.apiAddress()),
                System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        }
        else
        {
            LOG.info("REDIS_URL is empty: routes are kept in memory only");
        }
        return new SoundRelayNode(config, dataPlane, api, server, redis, generatedKey, startNs);
    }

    private static String hostPort(final InetSocketAddress configured, final InetSocketAddress bound)
    {
        final String host = configured.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + bound.getPort();
    }

    public Configuration config()
    {
        return config;
    }

    public DataPlane dataPlane()
    {
        return dataPlane;
    }

    /**
     * @return the API's bound address.
     */
    public InetSocketAddress apiAddress()
    {
        return server.apiAddress();
    }

    /**
     * @return the metrics listener's bound address.
     */
    public InetSocketAddress metricsAddress()
    {
        return server.metricsAddress();
    }

    /**
     * @return the relay socket's bound address.
     */
    public InetSocketAddress relayAddress()
    {
        return dataPlane.localAddress();
    }

    /**
     * @return the key generated at start-up, or null when keys were configured or auth is off.
     */
    public String generatedApiKey()
    {
        return generatedApiKey;
    }

    /**
     * Block until {@link #close()} has finished.
     *
     * @throws InterruptedException when interrupted.
     */
    public void awaitClose() throws InterruptedException
    {
        closed.await();
    }

    /**
     * Graceful stop: stop receiving and drain the ring, then stop answering the API.
     */
    public synchronized void close()
    {
        if (closed.getCount() == 0)
        {
            return;
        }
        LOG.info("stopping: draining the relay ring");
        api.stopAccepting();
        dataPlane.close();
        if (store != null)
        {
            store.close();
        }
        server.close();
        LOG.info("stopped after {} s; {} datagrams in, {} out", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs),
            dataPlane.counters().received(), dataPlane.counters().sent());
        closed.countDown();
    }
}
