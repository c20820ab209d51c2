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
import io.soundrelay.control.cluster.Cluster;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.control.api.ControlApi;
import io.soundrelay.control.api.ControlServer;
import io.soundrelay.control.api.HttpRateLimiter;
import io.soundrelay.control.metrics.HttpRequestCounter;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RelayMetrics;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.core.config.BoundRelayPort;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.config.ConfigurationException;
import io.soundrelay.core.route.AddressPolicy;
import io.soundrelay.core.route.Addresses;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.io.BindFailure;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.transport.CpuPinning;
import io.soundrelay.io.transport.RoleThreadFactory;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.NodeAddresses.advertise;
import static io.soundrelay.control.NodeAddresses.advertiseHost;
import static io.soundrelay.control.NodeAddresses.hostPort;
import static io.soundrelay.control.NodeAddresses.interfaceAddresses;

/**
 * A whole node: the data plane and the control server, built from one validated {@link Configuration}.
 * <p>
 * Start-up wires parts that each start and close themselves, in order: the Redis store (connected, its routes loaded,
 * before the relay socket opens), the data plane, the HTTP listeners, the store's agent with the several-node logic,
 * the stream lifecycle agent, and last the API's gate. A start that fails part-way, and a stop, close what was
 * started in reverse order ({@link CloseHelper}): the API stops accepting, the data plane drains its ring, the store
 * writes what the drain left; tracing, which the caller handed in, closes after them all.
 */
public final class SoundRelayNode implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(SoundRelayNode.class);
    /** The data plane's role thread factory, here for the control plane's agents (never pinned). */
    private static final RoleThreadFactory ROLE_THREADS = CpuPinning::factory;

    private final Configuration config;
    private final DataPlane dataPlane;
    private final ControlServer server;
    private final NodeTracing tracing;
    private final Parts parts;
    private final String generatedApiKey;
    private final long startNs;
    private final CountDownLatch closed = new CountDownLatch(1);
    private NodeDrain drain;
    private volatile int exitStatus;

    private SoundRelayNode(
        final Configuration config,
        final DataPlane dataPlane,
        final ControlServer server,
        final NodeTracing tracing,
        final Parts parts,
        final String generatedApiKey,
        final long startNs)
    {
        this.config = config;
        this.dataPlane = dataPlane;
        this.server = server;
        this.tracing = tracing;
        this.parts = parts;
        this.generatedApiKey = generatedApiKey;
        this.startNs = startNs;
    }

    /**
     * What a node started, in order: closed in reverse, on a failed start as on a stop.
     */
    static final class Parts
    {
        private final ArrayList<AutoCloseable> started = new ArrayList<>();

        <T extends AutoCloseable> T add(final T part)
        {
            started.add(part);
            return part;
        }

        List<AutoCloseable> reversed()
        {
            final List<AutoCloseable> reversed = new ArrayList<>(started);
            Collections.reverse(reversed);
            return reversed;
        }
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
        final Configuration bound = BoundRelayPort.choose(config); // NODE_ID from the port BIND_ADDR's port 0 gets
        return start(bound, timeouts, NodeTracing.fromEnvironment(bound.otelSettings(), bound.nodeId()));
    }

    /**
     * Start a node with tracing built by the caller (an in-memory exporter, for tests). The node closes it.
     *
     * @param config   validated settings.
     * @param timeouts how long an HTTP client may take.
     * @param tracing  spans.
     * @return the running node.
     * @throws IOException          when a socket cannot be bound.
     * @throws InterruptedException when interrupted while starting.
     */
    static SoundRelayNode start(
        final Configuration config, final ControlServer.Timeouts timeouts, final NodeTracing tracing)
        throws IOException, InterruptedException
    {
        try
        {
            return start(BoundRelayPort.choose(config), timeouts, tracing, System.nanoTime(),
                System.currentTimeMillis());
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            tracing.close();
            throw ex;
        }
    }

    private static SoundRelayNode start(
        final Configuration config,
        final ControlServer.Timeouts timeouts,
        final NodeTracing tracing,
        final long startNs,
        final long startedAtMs)
        throws IOException, InterruptedException
    {
        probeListeners(config);
        final DescriptorBudget descriptors = DescriptorBudget.ofThisProcess(config);
        if (descriptors != null && descriptors.warning() != null)
        {
            LOG.warn(descriptors.warning());
        }
        final String generatedKey = config.authEnabled() && config.apiKeys().isEmpty() ? randomId(32) : null;
        final ApiKeyAuthenticator authenticator = !config.authEnabled() ? null :
            new ApiKeyAuthenticator(generatedKey != null ? List.of(generatedKey) : config.apiKeys());

        final AddressPolicy policy = new AddressPolicy(config.targetDeny(), config.targetAllow());
        final RouteRequestParser parser =
            new RouteRequestParser(config.maxTargetsPerRoute(), config.jitterBufferMs(), config.paceMs(), policy);
        final RedisOperations redisOperations = new RedisOperations();
        final InetAddress advertiseHost = advertiseHost(config);
        final Parts parts = new Parts();
        try
        {
            RedisRouteStore store = null;
            List<RouteEntry> restored = List.of();
            if (config.redisEnabled())
            {
                // Routes load before the relay socket opens, so the first datagram already finds them.
                store = parts.add(newStore(config, parser, redisOperations));
                restored = loadRoutes(config, store, advertiseHost, startedAtMs);
            }
            final int[] storedPorts = restored.stream().mapToInt(RouteEntry::relayPort).toArray();
            final StreamLifecycle.Journal journal =
                new StreamLifecycle.Journal(store == null ? RouteJournal.MEMORY_ONLY : store, tracing);
            final DataPlane dataPlane = parts.add(startDataPlane(config, journal, descriptors, restored));
            restoredRoutes(store, tracing, dataPlane, descriptors, restored, storedPorts);

            final NodeStatusView status = new NodeStatusView(config.nodeId(),
                DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(startedAtMs)), startNs, dataPlane, store);
            final HttpRequestCounter requests = new HttpRequestCounter();
            final RelayMetrics metrics = metrics(dataPlane, store, requests, redisOperations);
            final ControlApi api = new ControlApi(
                status, dataPlane.proxy(), dataPlane.registry(), dataPlane.counters(), metrics, requests, parser,
                authenticator).mixer(dataPlane.mixer()).tracing(tracing).relayPorts(dataPlane.relayPorts())
                .fullReason(dataPlane::fullReason);
            final HttpRateLimiter rateLimiter = config.unauthRatePerSecond() == 0 ? HttpRateLimiter.UNLIMITED :
                new HttpRateLimiter(config.unauthRatePerSecond(), config.unauthRateBurst());
            api.rateLimiter(rateLimiter);

            final ControlServer server = parts.add(startControlServer(config, api, metrics, timeouts, rateLimiter));
            metrics.http(label -> rateLimiter.limited(HttpRateLimiter.Reason.ofLabel(label)), HttpRateLimiter.labels(),
                server::connectionsShed, ControlServer.shedReasons(), server::openConnections);
            ownSockets(policy, dataPlane, advertiseHost);
            status.security(config.authEnabled(), config.controlApiAddr(), server.apiAddress().getPort());
            status.advertised(
                advertise(config.advertiseHost(), config.bindAddr(), dataPlane.localAddress(), advertiseHost),
                advertise(config.advertiseHost(), config.controlApiAddr(), server.apiAddress(), advertiseHost));

            if (generatedKey != null)
            {
                // The one time a key is written anywhere: no API_KEYS were configured, so the operator needs it.
                LOG.warn("no API_KEYS configured; generated API key (shown once): {}", generatedKey);
            }
            LOG.info("node {} up: relay {} ({}), control API http://{}, metrics http://{}/metrics, auth {}",
                config.nodeId(), Addresses.text(dataPlane.localAddress()), dataPlane.transport().wireName(),
                hostPort(config.controlApiAddr(), server.apiAddress()),
                hostPort(config.metricsAddr(), server.metricsAddress()), config.authEnabled() ? "on" : "off");
            Cluster cluster = null;
            if (store != null)
            {
                cluster = startCluster(config, store, dataPlane, tracing, api, status);
            }
            else
            {
                LOG.info("REDIS_URL is empty: routes are kept in memory only");
            }
            parts.add(StreamLifecycle.start(dataPlane.registry(), tracing, daemonThreads(StreamLifecycle.ROLE_NAME)));
            parts.add(NodeLogging.start(config.nodeId(), dataPlane.counters(), api.authFailures(), journal.expiries()));
            parts.add(api::stopAccepting); // closed first: no request starts while the rest stops
            final SoundRelayNode node =
                new SoundRelayNode(config, dataPlane, server, tracing, parts, generatedKey, startNs);
            dataPlane.onFatal(node::stopOnFatal);
            node.drain = new NodeDrain(config.nodeId(), dataPlane, cluster, store, config.drainTimeoutSeconds(),
                node::close);
            api.drainer(node.drain);
            status.drainer(node.drain);
            metrics.drain(node.drain::routesRemaining, List.of(NodeDrain.RESULTS), node.drain::migrations);
            status.started();
            return node;
        }
        catch (final IOException | RuntimeException ex)
        {
            CloseHelper.quietCloseAll(parts.reversed());
            throw ex;
        }
    }

    private static RedisRouteStore newStore(
        final Configuration config, final RouteRequestParser parser, final RedisOperations redisOperations)
    {
        if (config.redisPoolSize() != Configuration.REDIS_POOL_SIZE_DEFAULT)
        {
            LOG.info("REDIS_POOL_SIZE={} has no effect: one connection carries every Redis write, in order",
                config.redisPoolSize());
        }
        return new RedisRouteStore(config.redisUrl(), config.redisUrlRedacted(), config.nodeId(), randomId(12),
            config.routeTtlSeconds(), config.redisQueueMax(), parser, redisOperations);
    }

    /**
     * Connect, claim NODE_ID and read the node's routes. Addresses as configured: the sockets are not bound yet; the
     * first heartbeat after start-up carries the bound ports.
     */
    private static List<RouteEntry> loadRoutes(
        final Configuration config,
        final RedisRouteStore store,
        final InetAddress advertiseHost,
        final long startedAtMs)
    {
        final List<RouteEntry> restored = store.connectAndLoad(System.nanoTime(),
            advertise(config.advertiseHost(), config.bindAddr(), config.bindAddr(), advertiseHost),
            advertise(config.advertiseHost(), config.controlApiAddr(), config.controlApiAddr(), advertiseHost),
            startedAtMs);
        if (restored.size() > config.maxStreamsPerNode())
        {
            LOG.warn("Redis holds {} routes for node {}, over MAX_STREAMS_PER_NODE={}: all kept; new routes are " +
                "refused until the count falls", restored.size(), config.nodeId(), config.maxStreamsPerNode());
        }
        return restored;
    }

    private static DataPlane startDataPlane(
        final Configuration config,
        final StreamLifecycle.Journal journal,
        final DescriptorBudget descriptors,
        final List<RouteEntry> restored)
        throws IOException
    {
        final int[] pinCpus = config.pinCpus().stream().mapToInt(Integer::intValue).toArray();
        try
        {
            return DataPlane.start(new DataPlane.Context()
                .bindAddress(config.bindAddr())
                .transport(config.transport())
                .ringSize(config.ringSize())
                .maxDatagramBytes(config.maxDatagramBytes())
                .maxRoutes(config.maxStreamsPerNode())
                .waitStrategy(config.waitStrategy())
                .pinCpus(pinCpus)
                .threadingMode(DataPlane.ThreadingMode.ofThreads(config.dataPlaneThreads()))
                .pipelines(config.dataPlanePipelines())
                .receiveBatch(config.receiveBatch())
                .sendBatch(config.sendBatch())
                .routeTtlSeconds(config.routeTtlSeconds())
                .journal(journal)
                .mixer(config.enableMixer())
                .mixerBudget(
                    config.mixerStaleMs(), config.mixerRoomEncodesPerPeriod(), config.mixerNodeEncodesPer20Ms())
                .relayPorts(config.relayPortsFirst(), config.relayPortsLast())
                .relayPortsOpenMax(descriptors == null ? Integer.MAX_VALUE : descriptors.relayPorts())
                .paceMaxHeld(config.paceMaxHeld())
                .jitterMaxHeld(config.jitterMaxHeld())
                .initialRoutes(restored));
        }
        catch (final BindFailure ex)
        {
            throw new ConfigurationException(Configuration.BIND_ADDR_ENV + "=" +
                BindFailure.hostPort(config.bindAddr()) + ": cannot bind the relay socket: " + ex.reason(), ex);
        }
    }

    /**
     * The restored routes are in the router: Redis learns the relay ports that changed, tracing starts their spans.
     */
    private static void restoredRoutes(
        final RedisRouteStore store,
        final NodeTracing tracing,
        final DataPlane dataPlane,
        final DescriptorBudget descriptors,
        final List<RouteEntry> restored,
        final int[] storedPorts)
    {
        if (descriptors != null)
        {
            // Relay ports stop short of the descriptors the API and the rest of the node keep.
            dataPlane.relayPorts().descriptorBudget(descriptors.relayPorts(), descriptors.reason());
        }
        for (int i = 0; i < restored.size(); i++)
        {
            final RouteEntry entry = restored.get(i);
            if (entry.relayPort() != storedPorts[i])
            {
                // Its relay port was taken meanwhile (or none was free): Redis learns the port it has now.
                store.record(RouteJournal.Change.REPLACED, entry);
            }
        }
        for (final RouteEntry entry : restored)
        {
            tracing.streamStarted(entry.streamId(), entry.spec().roomCode(), null, "restored");
        }
    }

    private static RelayMetrics metrics(
        final DataPlane dataPlane,
        final RedisRouteStore redis,
        final HttpRequestCounter requests,
        final RedisOperations redisOperations)
    {
        return new RelayMetrics(
            dataPlane.counters(), dataPlane.processingTime(), dataPlane.registry(), requests, redisOperations,
            () -> redis == null ? 0 : redis.backlogSize())
            .relayPorts(dataPlane.relayPorts()::inUse, dataPlane.relayPorts().capacity())
            .dataPlaneErrors(dataPlane::errors)
            .pipelines(dataPlane.pipelines(), dataPlane::pipelineReceived, dataPlane::handoffs)
            .paceLateness(dataPlane.paceLateness())
            .jitterPool(dataPlane.proxy().jitterPool()::reserved, dataPlane.proxy().jitterPool().maxHeld(),
                dataPlane.proxy().jitterPool()::refused)
            .redisResubscribes(() -> redis == null ? 0 : redis.resubscribes());
    }

    /**
     * As soon as the listeners are bound (their ports are known only now): routes to or from the node's own UDP
     * sockets are refused. Only UDP ones: the control API and the metrics listener are TCP, and a UDP peer may hold
     * their port numbers (an ephemeral UDP port may have the API's number).
     */
    private static void ownSockets(
        final AddressPolicy policy,
        final DataPlane dataPlane,
        final InetAddress advertiseHost)
    {
        final Map<String, InetSocketAddress> own = new LinkedHashMap<>();
        own.put(Configuration.BIND_ADDR_ENV, dataPlane.localAddress());
        final List<InetAddress> hostAddresses = new ArrayList<>();
        final List<InetAddress> broadcasts = new ArrayList<>();
        hostAddresses.add(advertiseHost);
        interfaceAddresses(hostAddresses, broadcasts);
        policy.ownSockets(own, hostAddresses, broadcasts);
        policy.ownRelayPorts(dataPlane.localAddress().getAddress(), dataPlane.relayPorts()::isBound);
    }

    /**
     * The several-node logic on the store's agent, which starts here: its thread is closed with the store.
     */
    private static Cluster startCluster(
        final Configuration config,
        final RedisRouteStore redis,
        final DataPlane dataPlane,
        final NodeTracing tracing,
        final ControlApi api,
        final NodeStatusView status)
    {
        final Cluster cluster = new Cluster(redis, dataPlane.proxy(), dataPlane.registry(), dataPlane.peers(),
            tracing, config.migrationGraceSeconds(), config.autoFailover(), config.maxStreamsPerNode(),
            dataPlane.relayPorts());
        redis.hooks(cluster);
        redis.relayPorts(dataPlane.relayPorts());
        api.cluster(cluster);
        LOG.info("heartbeat advertises relay {} and control API {}{}; AUTO_FAILOVER={}", status.relayAddr(),
            status.controlAddr(), config.advertiseHost() == null ? " (set ADVERTISE_HOST to change)" : "",
            config.autoFailover());
        redis.start(dataPlane.registry(), dataPlane.proxy(), status.relayAddr(), status.controlAddr(),
            daemonThreads(RedisRouteStore.ROLE_NAME));
        return cluster;
    }

    /**
     * The control plane's agents run on daemon threads of the role thread factory, as before they were agents.
     */
    private static ThreadFactory daemonThreads(final String role)
    {
        final ThreadFactory roleThreads = ROLE_THREADS.newFactory(role, -1);
        return runnable ->
        {
            final Thread thread = roleThreads.newThread(runnable);
            thread.setDaemon(true);
            return thread;
        };
    }


    /**
     * Start the HTTP listeners ({@link #probeListeners} has tried their addresses; what fails still is named here).
     */
    private static ControlServer startControlServer(
        final Configuration config,
        final ControlApi api,
        final RelayMetrics metrics,
        final ControlServer.Timeouts timeouts,
        final HttpRateLimiter rateLimiter)
    {
        try
        {
            return new ControlServer(api, metrics, config.controlApiAddr(), config.metricsAddr(), timeouts,
                config.controlApiMaxConnections(), rateLimiter);
        }
        catch (final RuntimeException ex)
        {
            throw new ConfigurationException(Configuration.CONTROL_API_ADDR_ENV + "=" +
                BindFailure.hostPort(config.controlApiAddr()) + ", " + Configuration.METRICS_ADDR_ENV + "=" +
                BindFailure.hostPort(config.metricsAddr()) + ": cannot start the HTTP listeners: " +
                BindFailure.reason(ex), ex);
        }
    }

    /**
     * Undertow's bind error names neither listener, so each configured address is tried on its own before anything
     * starts: a port taken or an address the host lacks stops the node naming the variable.
     */
    private static void probeListeners(final Configuration config)
    {
        probeTcp(Configuration.CONTROL_API_ADDR_ENV, config.controlApiAddr());
        if (!config.metricsAddr().equals(config.controlApiAddr()))
        {
            probeTcp(Configuration.METRICS_ADDR_ENV, config.metricsAddr());
        }
    }

    private static void probeTcp(final String variable, final InetSocketAddress address)
    {
        if (address.getPort() == 0)
        {
            return;
        }
        try (ServerSocket probe = new ServerSocket())
        {
            probe.setReuseAddress(true); // as Undertow binds: a port in TIME_WAIT is free, a listening one is not
            probe.bind(address);
        }
        catch (final IOException ex)
        {
            throw new ConfigurationException(variable + "=" + BindFailure.hostPort(address) + ": cannot listen: " +
                BindFailure.reason(ex), ex);
        }
    }

    /**
     * @return random bytes as URL-safe base64: an API key, or an id for this process, told apart in the heartbeat
     * from any other process with its NODE_ID.
     */
    private static String randomId(final int bytes)
    {
        final byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
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
     * A data-plane thread stopped other than by {@link #close()} (an {@link Error} out of a pipeline's duty cycle):
     * its shard of the routes would be lost in silence, so the node stops, gracefully as far as it can, and the
     * process exits with status 1.
     *
     * @param failure names the thread, and so the pipeline.
     */
    private void stopOnFatal(final Throwable failure)
    {
        LOG.error("{}; stopping the node", failure.getMessage(), failure);
        exitStatus = 1;
        final Thread stop = new Thread(() ->
        {
            try
            {
                close();
            }
            finally
            {
                System.exit(1);
            }
        }, "soundrelay-fatal-stop");
        stop.start();
    }

    /**
     * Drain (PROTOCOL.md section 12): stop taking routes, hand every route to the least loaded live peer, forward
     * until their sources moved on, then {@link #close()}. With no live peer (or no Redis) the node closes at once and
     * keeps its routes in Redis for its restart.
     *
     * @param reason what asked for it, for the log ("SIGTERM", "POST /drain").
     * @return true when this call began the drain; false when one is under way already.
     */
    public boolean drain(final String reason)
    {
        return drain.start(reason);
    }

    /**
     * @return the exit status for the process once the node closed: 0, or 1 after a data-plane thread died.
     */
    public int exitStatus()
    {
        return exitStatus;
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
     * Block until {@link #close()} has finished, at most so long.
     *
     * @param timeout how long.
     * @param unit    its unit.
     * @return true when the node closed.
     * @throws InterruptedException when interrupted.
     */
    public boolean awaitClose(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return closed.await(timeout, unit);
    }

    /**
     * Graceful stop: stop accepting API requests, drain the ring, write what the drain left to Redis, then stop the
     * listeners; the parts close in the reverse of their start.
     */
    @Override
    public synchronized void close()
    {
        if (closed.getCount() == 0)
        {
            return;
        }
        LOG.info("stopping: draining the relay ring");
        try
        {
            CloseHelper.closeAll(parts.reversed());
        }
        finally
        {
            LOG.info("stopped after {} s; {} datagrams in, {} out",
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs), dataPlane.counters().received(),
                dataPlane.counters().sent());
            tracing.close();
            closed.countDown();
        }
    }
}
