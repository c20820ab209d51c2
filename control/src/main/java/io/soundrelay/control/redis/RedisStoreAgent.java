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

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.core.config.ConfigurationException;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.redis.RedisFailures.isAuthFailure;
import static io.soundrelay.control.redis.RedisFailures.isOutage;
import static io.soundrelay.control.redis.RedisFailures.rootMessage;

/**
 * The Redis store's duty cycle: the one owner of the connection. Each cycle it reconnects when due, writes a bounded
 * batch of route changes (or defers them to the backlog while Redis is away), reconciles when owed, beats, runs the
 * several-node work ({@link RedisRouteStore.Hooks}) and a bounded batch of tasks. On close it writes what is still
 * queued, gives NODE_ID back and closes the connection.
 */
final class RedisStoreAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(RedisRouteStore.class);

    private final String urlForLog;
    private final String nodeId;
    private final RedisOperations operations;
    private final RedisEndpoint endpoint;
    private final WriteJournal journal;
    private final Subscription subscription;
    private final Heartbeat heartbeat;
    private final Reconciler reconciler;
    private final List<WriteJournal.Write> batch = new ArrayList<>(RedisRouteStore.BATCH);
    private final ManyToOneConcurrentArrayQueue<Runnable> tasks =
        new ManyToOneConcurrentArrayQueue<>(RedisRouteStore.TASK_CAPACITY);
    private final WriteJournal.Outcomes outcomes = new WriteJournal.Outcomes()
    {
        @Override
        public void unavailable(final Exception cause)
        {
            markUnavailable(cause);
        }

        @Override
        public void expired(final long streamId)
        {
            final RedisRouteStore.Hooks cluster = hooks;
            if (cluster != null && connected)
            {
                try
                {
                    cluster.onExpired(streamId, commands);
                }
                catch (final Exception ex)
                {
                    LOG.debug("announcing the expiry of stream {}: {}", Long.toUnsignedString(streamId),
                        rootMessage(ex));
                }
            }
        }

        @Override
        public RouteEntry current(final long streamId)
        {
            return registry.get(streamId);
        }
    };

    private volatile RedisRouteStore.Hooks hooks;
    private volatile boolean connected;
    /** The address of the Redis this store writes to (its CLIENT INFO laddr), while connected; null otherwise. */
    private volatile String master;
    /** Why Redis is unreachable, for /health: the last failure's root message; null while connected. */
    private volatile String failure;

    /** The commands of the endpoint's open connection; null while none is. */
    private RedisClusterAsyncCommands<String, String> commands;
    private boolean loaded;
    private boolean claimed;
    private long nextAttemptNs;
    private long nextHeartbeatNs;
    /** When the heartbeat was last written; 0 before the first beat. */
    private long lastBeatNs;
    /** Ownership must be re-read before routes are trusted again: the heartbeat lapsed (see {@link #heartbeat}). */
    private boolean rereadOwed;
    /** Set by another thread when the heartbeat changed (a drain began): written in the next duty cycle. */
    private volatile boolean beatNow;
    private RouteRegistry registry;
    private RouterProxy router;
    private RelayPorts relayPorts;

    RedisStoreAgent(
        final String urlForLog,
        final String nodeId,
        final RedisOperations operations,
        final RedisEndpoint endpoint,
        final WriteJournal journal,
        final Subscription subscription,
        final Heartbeat heartbeat,
        final Reconciler reconciler)
    {
        this.urlForLog = urlForLog;
        this.nodeId = nodeId;
        this.operations = operations;
        this.endpoint = endpoint;
        this.journal = journal;
        this.subscription = subscription;
        this.heartbeat = heartbeat;
        this.reconciler = reconciler;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return RedisRouteStore.ROLE_NAME;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onStart()
    {
        nextHeartbeatNs = System.nanoTime();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        return doWork(System.nanoTime());
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        finish();
    }

    void hooks(final RedisRouteStore.Hooks hooks)
    {
        this.hooks = hooks;
    }

    void heartbeatAddresses(final String relayAddr, final String controlAddr)
    {
        heartbeat.addresses(relayAddr, controlAddr);
    }

    void relayPorts(final RelayPorts relayPorts)
    {
        this.relayPorts = relayPorts;
    }

    /**
     * Set before the agent's thread starts.
     */
    void router(final RouteRegistry registry, final RouterProxy router)
    {
        this.registry = registry;
        this.router = router;
    }

    ManyToOneConcurrentArrayQueue<Runnable> tasks()
    {
        return tasks;
    }

    boolean connected()
    {
        return connected;
    }

    String master()
    {
        return master;
    }

    String failure()
    {
        return failure;
    }

    /**
     * @return the open connection's commands; agent thread only (in a task or a hook).
     */
    RedisClusterAsyncCommands<String, String> commands()
    {
        return commands;
    }

    /**
     * See {@link RedisRouteStore#connectAndLoad}: on the calling thread, before the agent starts.
     */
    List<RouteEntry> connectAndLoad(
        final long nowNs, final String relayAddr, final String controlAddr, final long startedAtMs)
    {
        heartbeat.addresses(relayAddr, controlAddr);
        heartbeat.startedAt(startedAtMs);
        claimed = true; // from here on, a stop releases this process's heartbeat (never another's)
        try
        {
            openConnectionAnswered();
            heartbeat.claim(commands);
            final Map<Long, StoredRoute> own = reconciler.scanOwn(commands, null);
            final List<RouteEntry> entries = new ArrayList<>(own.size());
            for (final StoredRoute route : own.values())
            {
                final RouteEntry entry =
                    new RouteEntry(route.spec(), route.createdAtEpochMs(), reconciler.idleSince(route, nowNs));
                entry.relayPort(route.spec().returnPath() ? route.relayPort() : 0); // asked for again where free
                entry.sourceLatched(route.spec().latchesSourcePort() ? route.sourceLatched() : null);
                entries.add(entry);
            }
            loaded = true;
            master = endpoint.serverAddress();
            failure = null;
            connected = true;
            LOG.info("joined Redis {}{} as NODE_ID {}: loaded {} route(s) of node {}", urlForLog,
                endpoint.sentinel() ? " (Sentinel's master " + master + ")" : "", nodeId, entries.size(), nodeId);
            return entries;
        }
        catch (final ConfigurationException ex)
        {
            closeConnection();
            throw ex;
        }
        catch (final Exception ex)
        {
            if (isAuthFailure(ex))
            {
                closeConnection();
                throw new ConfigurationException("REDIS_URL=" + urlForLog + ": Redis refused the credentials (" +
                    rootMessage(ex) + ")", ex);
            }
            markUnavailable(ex, false);
            LOG.warn("Redis {} unreachable at start-up ({}): serving from memory as NODE_ID {}; this node's routes " +
                "load when it comes back", urlForLog, rootMessage(ex), nodeId);
            return List.of();
        }
    }

    int doWork(final long nowNs)
    {
        int work = 0;
        if (!connected && nowNs - nextAttemptNs >= 0)
        {
            recover();
            work++;
        }
        work += writeBatch();

        if (connected && journal.reconcileNeeded())
        {
            try
            {
                reconciler.reconcile(commands, registry);
            }
            catch (final Exception ex)
            {
                journal.owe();
                markUnavailable(ex);
            }
            work++;
        }
        // Once subscribed: the heartbeat lists this node, and a peer may hand it a route (MIGRATE) from then on.
        if (connected && (beatNow || nowNs - nextHeartbeatNs >= 0) && (hooks == null || subscription.subscribedOnce()))
        {
            beatNow = false;
            nextHeartbeatNs = nowNs + RedisRouteStore.HEARTBEAT_INTERVAL_NS;
            journal.pruneDeleted(nowNs);
            heartbeat(nowNs);
            work++;
        }

        final RedisRouteStore.Hooks cluster = hooks;
        if (cluster != null)
        {
            if (connected)
            {
                work += clusterWork(cluster, nowNs);
            }
            work += handOffWork(cluster, nowNs);
        }
        // A bounded share per duty cycle, as for the writes: a burst of API tasks never starves writes and beats.
        Runnable task;
        int ran = 0;
        while (ran < RedisRouteStore.BATCH && (task = tasks.poll()) != null)
        {
            task.run(); // fails the task at once while Redis is away
            ran++;
        }
        return work + ran;
    }

    private int writeBatch()
    {
        batch.clear();
        journal.drainTo(batch, RedisRouteStore.BATCH);
        if (!batch.isEmpty())
        {
            if (connected)
            {
                journal.execute(commands, batch, outcomes);
            }
            else
            {
                for (final WriteJournal.Write w : batch)
                {
                    journal.defer(w);
                }
            }
        }
        return batch.size();
    }

    private int clusterWork(final RedisRouteStore.Hooks cluster, final long nowNs)
    {
        int work = 0;
        try
        {
            if (subscription.needed())
            {
                subscription.subscribe();
                rereadOwed = false;
                cluster.onSubscribed(commands);
                work++;
            }
            else if (rereadOwed)
            {
                rereadOwed = false;
                cluster.onSubscribed(commands);
                work++;
            }
            String message;
            int n = 0;
            while (n < RedisRouteStore.BATCH && (message = subscription.poll()) != null)
            {
                cluster.onMessage(message, commands);
                n++;
            }
            work += n;
            work += cluster.doWork(nowNs, commands);
        }
        catch (final Exception ex)
        {
            failed(ex);
        }
        return work;
    }

    private int handOffWork(final RedisRouteStore.Hooks cluster, final long nowNs)
    {
        try
        {
            return cluster.doHandOffWork(nowNs, connected ? commands : null);
        }
        catch (final Exception ex)
        {
            failed(ex);
            return 1;
        }
    }

    private void failed(final Exception ex)
    {
        if (isOutage(ex))
        {
            markUnavailable(ex);
        }
        else
        {
            LOG.warn("several-node work failed: {}", rootMessage(ex));
        }
    }

    /**
     * Redis may be back: connect, replay the backlog in order, restore this node's routes if they were never
     * loaded, reconcile, and only then say connected.
     */
    private void recover()
    {
        try
        {
            if (!endpoint.isOpen())
            {
                openConnection();
            }
            final int replayed = journal.replay(commands, outcomes);
            if (replayed < 0)
            {
                return; // the unacknowledged rest is back in the backlog, in order; Redis is away again
            }
            int restored = 0;
            if (!loaded)
            {
                restored = restore();
                loaded = true;
            }
            final RedisRouteStore.Hooks cluster = hooks;
            if (cluster != null)
            {
                // Before the reconcile, which deletes this node's keys memory lacks: ownership may have changed while
                // Redis was away (a hand-off this node was given but never heard of, one it gave and could not take
                // back), and Redis is the truth of who owns what. Memory follows it, then Redis follows memory.
                cluster.onSubscribed(commands);
            }
            journal.reconcileNeeded(); // cleared: this reconcile is the one owed
            final int rewritten = reconciler.reconcile(commands, registry);
            master = endpoint.serverAddress();
            failure = null;
            connected = true;
            nextHeartbeatNs = System.nanoTime();
            LOG.info("Redis {} reachable{}: replayed {} queued write(s), restored {} route(s), reconcile rewrote {}",
                urlForLog, endpoint.sentinel() ? " (Sentinel's master " + master + ")" : "", replayed, restored,
                rewritten);
        }
        catch (final Exception ex)
        {
            markUnavailable(ex);
        }
    }

    /**
     * After a start without Redis: put back this node's routes that Redis holds and memory lacks (memory wins for
     * a stream created again meanwhile). Waits for the router, never for itself.
     */
    private int restore() throws Exception
    {
        final long nowNs = System.nanoTime();
        final Map<Long, StoredRoute> own = reconciler.scanOwn(commands, null);
        int restored = 0;
        for (final Map.Entry<Long, StoredRoute> e : own.entrySet())
        {
            if (registry.get(e.getKey()) != null)
            {
                continue;
            }
            final StoredRoute route = e.getValue();
            final RelaySocket relay = route.spec().returnPath() ? reopen(route) : null;
            final RouteCommand.Result result = router.restore(route.spec(), route.createdAtEpochMs(),
                reconciler.idleSince(route, nowNs), relay, route.sourceLatched()).get(10, TimeUnit.SECONDS);
            if (result.outcome() == RouteCommand.Outcome.OK)
            {
                restored++;
                if (relay != null && relay.port() != route.relayPort())
                {
                    // Redis learns the relay port it has now
                    journal.record(RouteJournal.Change.REPLACED, result.entry());
                }
            }
            else if (result.outcome() == RouteCommand.Outcome.NODE_FULL)
            {
                // Kept in Redis, never deleted by a reconcile: the node is full, the route is not forgotten.
                reconciler.keep(e.getKey());
                LOG.warn("stream {} held in Redis for this node was not restored: node is at MAX_STREAMS_PER_NODE",
                    Long.toUnsignedString(e.getKey()));
            }
        }
        return restored;
    }

    /**
     * The relay port of a route restored after an outage (see {@link RelayPorts#reopen}); none without a port
     * allocator.
     */
    private RelaySocket reopen(final StoredRoute route)
    {
        return relayPorts == null ? null : relayPorts.reopen(route.relayPort(), route.spec().streamIdText());
    }

    /**
     * The node drains: the heartbeat says so, written in the next duty cycle. Any thread.
     */
    void draining()
    {
        heartbeat.draining(true);
        beatNow = true;
    }

    /**
     * Write the heartbeat. One that had expired, or whose last write is older than its TTL, means the node was away
     * (paused by SIGSTOP, a frozen VM, a stall) long enough for peers to count it gone: with AUTO_FAILOVER they may
     * have adopted its routes. Its routes are then not trusted until ownership is re-read from Redis (the cluster's
     * {@code onSubscribed}, which lets go of every route a peer owns now); announcements alone may have been missed.
     */
    private void heartbeat(final long nowNs)
    {
        final boolean lapsed;
        try
        {
            final boolean found = heartbeat.beat(commands, registry.size());
            lapsed = lastBeatNs != 0 && (!found ||
                nowNs - lastBeatNs > TimeUnit.SECONDS.toNanos(RedisRouteStore.HEARTBEAT_TTL_SECONDS));
        }
        catch (final Exception ex)
        {
            markUnavailable(ex);
            return;
        }
        if (lapsed)
        {
            LOG.warn("NODE_ID {}: its heartbeat lapsed (last written {} ms ago: the process was paused?); peers may " +
                "have adopted its routes: re-reading which routes it owns from Redis", nodeId,
                TimeUnit.NANOSECONDS.toMillis(nowNs - lastBeatNs));
            rereadOwed = true;
        }
        lastBeatNs = nowNs;
        final String probe = subscription.probe();
        if (probe != null)
        {
            try
            {
                publish(commands, probe);
            }
            catch (final Exception ex)
            {
                markUnavailable(ex);
            }
        }
    }

    /**
     * See {@link RedisRouteStore#publish}.
     */
    void publish(final RedisClusterAsyncCommands<String, String> redis, final String message) throws Exception
    {
        try
        {
            RedisRouteStore.await(endpoint.cluster() ? redis.spublish(RedisRouteStore.CHANNEL, message) :
                redis.publish(RedisRouteStore.CHANNEL, message));
            operations.add(RedisOperations.Op.PUBLISH, RedisOperations.Result.OK);
        }
        catch (final Exception ex)
        {
            operations.add(RedisOperations.Op.PUBLISH, RedisOperations.Result.ERROR);
            throw ex;
        }
    }

    private void openConnection()
    {
        endpoint.open();
        commands = endpoint.commands();
    }

    private void closeConnection()
    {
        endpoint.close();
        commands = null;
    }

    /**
     * A task or a write failed: Redis is unreachable from here on, until a reconnect succeeds.
     */
    void markUnavailable(final Throwable cause)
    {
        markUnavailable(cause, connected);
    }

    private void markUnavailable(final Throwable cause, final boolean log)
    {
        if (log)
        {
            LOG.warn("Redis {} unreachable ({}): serving from memory, queuing route writes in order",
                urlForLog, rootMessage(cause));
        }
        connected = false;
        master = null;
        failure = rootMessage(cause);
        closeConnection();
        subscription.close();
        nextAttemptNs = System.nanoTime() + RedisRouteStore.RETRY_INTERVAL_NS;
    }

    /**
     * Open the connection; when Lettuce's handshake fails inside itself ("RedisHandshakeHandler not registered": the
     * server closed the connection while the handshake ran, as on refused credentials) rather than with Redis's own
     * answer, try once more, so refused credentials are told apart from an outage.
     */
    private void openConnectionAnswered() throws Exception
    {
        try
        {
            openConnection();
        }
        catch (final Exception ex)
        {
            final String root = rootMessage(ex);
            if (isAuthFailure(ex) || !root.contains("HandshakeHandler"))
            {
                throw ex;
            }
            LOG.info("Redis {}: the connection's handshake failed ({}); trying once more", urlForLog, root);
            closeConnection();
            openConnection();
        }
    }

    /**
     * Start-up failed after the claim (a socket would not bind) and the agent never ran: give NODE_ID back at once,
     * so that the node started again with a fixed setting does not wait for the claim to expire.
     */
    void closeNeverStarted()
    {
        releaseHeartbeat();
        closeConnection();
    }

    /**
     * Remove this process's own heartbeat: another process that has the same NODE_ID keeps its own.
     */
    private void releaseHeartbeat()
    {
        if (!endpoint.exists() || !claimed)
        {
            return;
        }
        try
        {
            heartbeat.release(commands);
        }
        catch (final Exception ex)
        {
            LOG.warn("Redis at stop: {}", rootMessage(ex));
        }
    }

    private void finish()
    {
        try
        {
            if (connected)
            {
                batch.clear();
                journal.drainTo(batch, RedisRouteStore.INBOUND_CAPACITY);
                journal.execute(commands, batch, outcomes);
            }
            if (connected)
            {
                releaseHeartbeat();
            }
        }
        catch (final Exception ex)
        {
            LOG.warn("Redis at stop: {}", rootMessage(ex));
        }
        if (journal.backlogSize() > 0)
        {
            LOG.warn("stopping while Redis is unreachable: {} queued route write(s) never reached Redis and end with " +
                "this process", journal.backlogSize());
        }
        subscription.closeNow();
        Runnable task;
        while ((task = tasks.poll()) != null)
        {
            connected = false;
            task.run();
        }
        // Closed and waited for here: an asynchronous close would race the client's shutdown, and Lettuce would warn
        // that the connection is already closed on every graceful stop.
        endpoint.closeNow();
        commands = null;
    }
}
