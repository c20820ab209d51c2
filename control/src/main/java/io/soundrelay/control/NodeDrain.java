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

import io.opentelemetry.context.Context;
import io.soundrelay.control.api.ControlApi;
import io.soundrelay.control.cluster.Cluster;
import io.soundrelay.control.cluster.NodeInfo;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.router.RouterAgent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A drain (PROTOCOL.md section 12), on SIGTERM or {@code POST /drain}: the node stops taking routes, hands every route
 * it owns to the least loaded live peer through the same hand-off as {@code POST /migrate} (zero loss: the peer holds
 * the route before this node forwards to it), keeps forwarding HOP frames until each handed-off route's source has
 * gone quiet here for 2 s or its grace ends, then stops. {@code DRAIN_TIMEOUT_SECONDS} bounds the whole drain. With no
 * live peer, or Redis unreachable, the node keeps its routes (in Redis, for its restart) and stops at once.
 * <p>
 * One drain per node, on its own thread; the hand-offs run a few at a time, each waiting for its new owner's
 * confirmation exactly as a {@code POST /migrate} request does.
 */
final class NodeDrain implements ControlApi.Drainer
{
    /** Hand-offs under way at once: each waits on its new owner's confirmation, so a few overlap the round trips. */
    static final int PARALLEL_HAND_OFFS = 8;
    /** How often the forwarding phase looks at the sources still sending here. */
    static final long POLL_MS = 100;
    /** Outcomes of {@code relay_drain_migrations_total{result}}. */
    static final String[] RESULTS = {"ok", "failed", "skipped"};

    private static final Logger LOG = LoggerFactory.getLogger(NodeDrain.class);
    /**
     * After the last hand-off, the forwarding phase waits at least this long: a source is quiet after 2 s without a
     * datagram here, and each router counts quiet sources once a second.
     */
    private static final long SETTLE_NS =
        TimeUnit.SECONDS.toNanos(2) + RouterAgent.SWEEP_INTERVAL_NS + TimeUnit.MILLISECONDS.toNanos(200);

    private final String nodeId;
    private final DataPlane dataPlane;
    private final Cluster cluster;
    private final RedisRouteStore store;
    private final int timeoutSeconds;
    private final Runnable stop;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicLong[] results = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    private final AtomicInteger handedOff = new AtomicInteger();
    private volatile boolean draining;

    /**
     * @param nodeId         NODE_ID, for the log.
     * @param dataPlane      the routes this node owns and the sources still sending to it.
     * @param cluster        the several-node side, or null without Redis.
     * @param store          the Redis store, or null without Redis.
     * @param timeoutSeconds DRAIN_TIMEOUT_SECONDS.
     * @param stop           stops the node once the drain is over (and the process, for a node run by main).
     */
    NodeDrain(
        final String nodeId,
        final DataPlane dataPlane,
        final Cluster cluster,
        final RedisRouteStore store,
        final int timeoutSeconds,
        final Runnable stop)
    {
        this.nodeId = nodeId;
        this.dataPlane = dataPlane;
        this.cluster = cluster;
        this.store = store;
        this.timeoutSeconds = timeoutSeconds;
        this.stop = stop;
    }

    @Override
    public boolean draining()
    {
        return draining;
    }

    @Override
    public boolean start(final String reason)
    {
        if (!started.compareAndSet(false, true))
        {
            return false;
        }
        draining = true;
        final Thread thread = new Thread(() -> run(reason), "soundrelay-drain");
        thread.setDaemon(true);
        thread.start();
        return true;
    }

    @Override
    public int routesRemaining()
    {
        return draining ? dataPlane.registry().size() : 0;
    }

    @Override
    public int timeoutSeconds()
    {
        return timeoutSeconds;
    }

    /**
     * @param result one of {@link #RESULTS}.
     * @return hand-offs of the drain with that outcome.
     */
    long migrations(final String result)
    {
        for (int i = 0; i < RESULTS.length; i++)
        {
            if (RESULTS[i].equals(result))
            {
                return results[i].get();
            }
        }
        return 0;
    }

    private void run(final String reason)
    {
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try
        {
            final List<RouteEntry> owned = new ArrayList<>(dataPlane.registry().entries());
            final List<NodeInfo> peers = peers();
            if (owned.isEmpty() || peers.isEmpty())
            {
                LOG.info("drain ({}): {}; stopping now", reason, owned.isEmpty() ? "no route to hand over" :
                    cluster == null ? "REDIS_URL is empty, so there is no peer: its " + owned.size() +
                    " route(s), kept in memory only, end with it" : (!"connected".equals(store.state()) ?
                    "Redis is unreachable" : "no live peer") + ": the node keeps its " + owned.size() +
                    " route(s) in Redis; a restart with NODE_ID=" + nodeId + " takes them back");
                return;
            }
            // From here on peers hand this node nothing and clients pick others: its heartbeat says it drains.
            cluster.draining();
            LOG.info("drain ({}): handing {} route(s) to {} live peer(s), least loaded first; " +
                "DRAIN_TIMEOUT_SECONDS={}", reason, owned.size(), peers.size(), timeoutSeconds);
            handOffAll(owned, peers, deadlineNs);
            forwardUntilQuiet(owned.size(), startNs, deadlineNs);
        }
        catch (final RuntimeException | Error ex)
        {
            LOG.error("drain failed: {}; stopping", ex.toString(), ex);
        }
        finally
        {
            LOG.info("drain over after {} ms: {} route(s) handed over, {} failed, {} not tried, {} kept here",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), results[0].get(), results[1].get(),
                results[2].get(), dataPlane.registry().size());
            stop.run();
        }
    }

    /**
     * @return the live nodes but this one and those that drain, read from Redis now; none when it does not answer.
     */
    private List<NodeInfo> peers()
    {
        final List<NodeInfo> peers = new ArrayList<>();
        if (cluster == null || !"connected".equals(store.state()))
        {
            return peers;
        }
        final List<NodeInfo> live;
        try
        {
            live = cluster.nodes().get(RedisRouteStore.COMMAND_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return peers;
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            LOG.warn("drain: the live nodes could not be read from Redis: {}", ex.toString());
            return peers;
        }
        for (final NodeInfo node : live)
        {
            if (!node.nodeId().equals(nodeId) && !node.draining())
            {
                peers.add(node);
            }
        }
        return peers;
    }

    private void handOffAll(final List<RouteEntry> owned, final List<NodeInfo> peers, final long deadlineNs)
    {
        final Map<String, long[]> load = new HashMap<>();
        for (final NodeInfo peer : peers)
        {
            load.put(peer.nodeId(), new long[]{peer.activeRoutes()});
        }
        final int total = owned.size();
        final ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL_HAND_OFFS, total), runnable ->
        {
            final Thread thread = new Thread(runnable, "soundrelay-drain-hand-off");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            final List<Future<?>> tasks = new ArrayList<>(total);
            for (final RouteEntry entry : owned)
            {
                tasks.add(pool.submit(() -> handOff(entry.streamId(), peers, load, deadlineNs, total)));
            }
            for (final Future<?> task : tasks)
            {
                final long leftNs = deadlineNs - System.nanoTime();
                try
                {
                    task.get(Math.max(0, leftNs), TimeUnit.NANOSECONDS);
                }
                catch (final TimeoutException ex)
                {
                    LOG.warn("drain: DRAIN_TIMEOUT_SECONDS={} reached while handing routes over", timeoutSeconds);
                    break;
                }
                catch (final ExecutionException ex)
                {
                    LOG.warn("drain: a hand-off failed: {}", ex.getCause().toString());
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    /**
     * Hand one route to the least loaded peer; when that peer refuses or does not confirm, to the next one.
     */
    private void handOff(
        final long streamId, final List<NodeInfo> peers, final Map<String, long[]> load, final long deadlineNs,
        final int total)
    {
        final Set<String> tried = new HashSet<>();
        String lastError = null;
        while (true)
        {
            if (System.nanoTime() - deadlineNs >= 0 || !"connected".equals(store.state()))
            {
                results[2].incrementAndGet(); // not tried: the drain timed out, or Redis is away (the route stays)
                return;
            }
            final NodeInfo peer = leastLoaded(peers, load, tried);
            if (peer == null)
            {
                results[1].incrementAndGet();
                LOG.warn("drain: stream {} stays on this node: {}", Long.toUnsignedString(streamId), lastError);
                return;
            }
            tried.add(peer.nodeId());
            try
            {
                cluster.migrate(streamId, peer.relay(), Context.root(), true);
                results[0].incrementAndGet();
                progress(handedOff.incrementAndGet(), total);
                return;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                results[2].incrementAndGet();
                return;
            }
            catch (final Exception ex)
            {
                lastError = "node " + peer.nodeId() + ": " + ex.getMessage();
                if (dataPlane.registry().get(streamId) == null)
                {
                    return; // deleted or taken over meanwhile: nothing left to hand over
                }
                synchronized (load)
                {
                    load.get(peer.nodeId())[0]--;
                }
            }
        }
    }

    private static NodeInfo leastLoaded(final List<NodeInfo> peers, final Map<String, long[]> load,
        final Set<String> tried)
    {
        synchronized (load)
        {
            NodeInfo pick = null;
            for (final NodeInfo peer : peers)
            {
                if (!tried.contains(peer.nodeId()) &&
                    (pick == null || load.get(peer.nodeId())[0] < load.get(pick.nodeId())[0]))
                {
                    pick = peer;
                }
            }
            if (pick != null)
            {
                load.get(pick.nodeId())[0]++;
            }
            return pick;
        }
    }

    /**
     * One line when the count crosses each tenth of the routes.
     */
    private static void progress(final int done, final int total)
    {
        if (done * 10L / total != (done - 1) * 10L / total)
        {
            LOG.info("drain: {} of {} route(s) handed over ({} %)", done, total, done * 100L / total);
        }
    }

    /**
     * Keep forwarding until no handed-off route's source sent here for 2 s (each stays forwarding at most its grace),
     * or the drain's time is up.
     */
    private void forwardUntilQuiet(final int total, final long startNs, final long deadlineNs)
    {
        final long handedNs = System.nanoTime();
        LOG.info("drain: {} of {} route(s) handed over in {} ms; forwarding until their sources have been quiet " +
            "here for 2 s", results[0].get(), total, TimeUnit.NANOSECONDS.toMillis(handedNs - startNs));
        if (results[0].get() == 0)
        {
            return;
        }
        while (System.nanoTime() - deadlineNs < 0)
        {
            if (System.nanoTime() - handedNs >= SETTLE_NS && dataPlane.forwardingBusy() == 0)
            {
                LOG.info("drain: every source moved on after {} ms",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - handedNs));
                return;
            }
            try
            {
                Thread.sleep(POLL_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.warn("drain: DRAIN_TIMEOUT_SECONDS={} reached with {} source(s) still sending here", timeoutSeconds,
            dataPlane.forwardingBusy());
    }
}
