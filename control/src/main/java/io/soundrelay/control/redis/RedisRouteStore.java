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
import io.lettuce.core.ScanArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.core.config.ConfigurationException;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteRequestParser;
import io.soundrelay.io.router.Durability;
import io.soundrelay.io.router.RouteJournal;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelayPorts;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The routing table in Redis (PROTOCOL.md section 3), kept by one thread that owns the one Lettuce connection.
 * <p>
 * The router reports each change through {@link RouteJournal} into a bounded queue and never waits; this thread
 * writes it to Redis and completes the change's future, which the API waits on before it answers. While Redis is
 * unreachable, writes go to a bounded backlog in order and the API answers from memory; on reconnect the backlog
 * is replayed in order and then the node's keys are reconciled with its memory, so Redis holds exactly this node's
 * routes even when it came back empty, and nothing deleted meanwhile comes back. A backlog that overflows is
 * dropped as a whole (counted): the reconcile that follows every reconnect rewrites what it held.
 * <p>
 * Every write is conditional on ownership (a Lua script reads {@code node_id} first), so nodes sharing one Redis
 * never overwrite, extend or delete each other's routes. Every command touches one key, so the same holds on a Redis
 * Cluster (REDIS_URL=redis-cluster://); Sentinel (redis-sentinel://) finds the master on every connect.
 * <p>
 * The thread is the one owner of the connection ({@link RedisEndpoint}: one server, Sentinel's master or a cluster)
 * and drives the parts, each testable alone: {@link WriteJournal} (the bounded queue of route writes, the backlog
 * while Redis is away and its replay), {@link Heartbeat} (the claim of NODE_ID, the beat, the release),
 * {@link Subscription} (the announcement channel, its probes and renewal) and {@link Reconciler} (reading the node's
 * routes, making Redis hold exactly memory). The duty cycle (each queue drained a bounded batch at a time), the
 * reconnect and the tasks of the several-node logic ({@link Hooks}) run in {@link RedisStoreAgent}, an Agrona agent on
 * its own thread; what stays here is what other threads call.
 */
public final class RedisRouteStore implements RouteJournal, AutoCloseable
{
    /** Heartbeat key expiry. */
    public static final int HEARTBEAT_TTL_SECONDS = 10;
    /** How often the heartbeat is rewritten. */
    public static final long HEARTBEAT_INTERVAL_NS = TimeUnit.SECONDS.toNanos(3);

    /** How long a heartbeat of another process may go unrenewed at start-up before it counts as left by a crash. */
    static final long STALE_HEARTBEAT_MS = TimeUnit.NANOSECONDS.toMillis(HEARTBEAT_INTERVAL_NS) + 1500;
    static final long STALE_POLL_MS = 250;

    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** How long one Redis command may take before Redis counts as unreachable. */
    public static final long COMMAND_TIMEOUT_MS = 2000;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final long RETRY_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(500);
    static final int INBOUND_CAPACITY = 16 * 1024;
    static final int BATCH = 256;
    static final int SCAN_COUNT = 500;
    static final int TASK_CAPACITY = 1024;
    static final int MESSAGE_CAPACITY = 8192;

    /** The role name of the store's agent, and its thread's name. */
    public static final String ROLE_NAME = "soundrelay-redis";
    /** The channel route changes are announced on (PROTOCOL.md section 7). */
    public static final String CHANNEL = "soundrelay:routes";
    /** Sorted set of node ids scored by their last heartbeat (epoch ms): lists nodes without SCAN over every key. */
    public static final String NODES_KEY = "soundrelay:nodes";

    private static final Logger LOG = LoggerFactory.getLogger(RedisRouteStore.class);

    static
    {
        // The Redis connection carries a few commands a second: Lettuce never needs io_uring, and saying so up front
        // spares a warning per client should Netty's io_uring ever be on the class path.
        if (System.getProperty("io.lettuce.core.iouring") == null)
        {
            System.setProperty("io.lettuce.core.iouring", "false");
        }
    }

    /**
     * SET a route unless another node owns the key; answers '' when written, else the owner. A value that is not a
     * route (not JSON, or over {@link BoundedReads#ROUTE_MAX_BYTES}, never decoded) is nobody's and is replaced.
     */
    static final String PUT_IF_OWN =
        "local cur = false\n" +
        "if redis.call('STRLEN', KEYS[1]) <= " + BoundedReads.ROUTE_MAX_BYTES + " then\n" +
        "  cur = redis.call('GET', KEYS[1])\n" +
        "end\n" +
        "if cur then\n" +
        "  local ok, doc = pcall(cjson.decode, cur)\n" +
        "  if ok and type(doc) == 'table' and type(doc['node_id']) == 'string' and doc['node_id'] ~= ARGV[2] then\n" +
        "    return doc['node_id']\n" +
        "  end\n" +
        "end\n" +
        "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])\n" +
        "return ''\n";

    /** DEL a route only if this node owns it: 1 deleted, 0 absent, -1 another node's (or oversize, never read). */
    static final String DEL_IF_OWN =
        "if redis.call('STRLEN', KEYS[1]) > " + BoundedReads.ROUTE_MAX_BYTES + " then return -1 end\n" +
        "local cur = redis.call('GET', KEYS[1])\n" +
        "if not cur then return 0 end\n" +
        "local ok, doc = pcall(cjson.decode, cur)\n" +
        "if ok and type(doc) == 'table' and doc['node_id'] == ARGV[1] then\n" +
        "  redis.call('DEL', KEYS[1])\n" +
        "  return 1\n" +
        "end\n" +
        "return -1\n";

    /** EXPIRE a route only if this node owns it: 1 extended, 0 absent, -1 another node's (or oversize, unread). */
    static final String EXPIRE_IF_OWN =
        "if redis.call('STRLEN', KEYS[1]) > " + BoundedReads.ROUTE_MAX_BYTES + " then return -1 end\n" +
        "local cur = redis.call('GET', KEYS[1])\n" +
        "if not cur then return 0 end\n" +
        "local ok, doc = pcall(cjson.decode, cur)\n" +
        "if ok and type(doc) == 'table' and doc['node_id'] == ARGV[1] then\n" +
        "  redis.call('EXPIRE', KEYS[1], ARGV[2])\n" +
        "  return 1\n" +
        "end\n" +
        "return -1\n";

    /**
     * Work on the store's thread with its connection: what several nodes need (section 7) runs here, in order with
     * the route writes, so a hand-off never overtakes the write of the route it hands off.
     *
     * @param <T> the answer.
     */
    @FunctionalInterface
    public interface Task<T>
    {
        /**
         * @param redis the store's connection; commands are awaited with {@link #await(RedisFuture)}.
         * @return the answer.
         * @throws Exception a Redis failure (the store then marks Redis unavailable) or a refusal.
         */
        T run(RedisClusterAsyncCommands<String, String> redis) throws Exception;
    }

    /** The multi-node side, called on the store's thread. */
    public interface Hooks
    {
        /**
         * The subscription to {@link #CHANNEL} is (again) in place: anything announced while it was not may have been
         * missed, so re-read what this node owns.
         *
         * @param redis the connection.
         * @throws Exception on a Redis failure.
         */
        void onSubscribed(RedisClusterAsyncCommands<String, String> redis) throws Exception;

        /**
         * @param message a message from {@link #CHANNEL}, from any node including this one.
         * @param redis   the connection.
         * @throws Exception on a Redis failure.
         */
        void onMessage(String message, RedisClusterAsyncCommands<String, String> redis) throws Exception;

        /**
         * Periodic work while Redis is reachable: live nodes, failover.
         *
         * @param nowNs monotonic now.
         * @param redis the connection.
         * @return work done.
         * @throws Exception on a Redis failure.
         */
        int doWork(long nowNs, RedisClusterAsyncCommands<String, String> redis) throws Exception;

        /**
         * Step the hand-offs under way, every duty cycle, whether Redis is reachable or not (a hand-off times out
         * either way).
         *
         * @param nowNs monotonic now.
         * @param redis the connection, or null while Redis is unreachable.
         * @return work done.
         * @throws Exception on a Redis failure.
         */
        int doHandOffWork(long nowNs, RedisClusterAsyncCommands<String, String> redis) throws Exception;

        /**
         * A route of this node expired and its key was deleted.
         *
         * @param streamId the route.
         * @param redis    the connection.
         * @throws Exception on a Redis failure.
         */
        void onExpired(long streamId, RedisClusterAsyncCommands<String, String> redis) throws Exception;
    }

    /** Thrown into a task's future when Redis is not reachable. */
    public static final class UnavailableException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        /**
         * @param message why Redis cannot be asked, for a person.
         */
        public UnavailableException(final String message)
        {
            super(message, null, false, false);
        }
    }

    private final String urlForLog;
    private final String nodeId;
    private final String ttlSeconds;
    private final RouteRequestParser parser;
    private final RedisOperations operations;
    private final WriteJournal journal;
    private final Subscription subscription;
    private final RedisEndpoint endpoint;
    private final BoundedReads reads;
    private final RedisStoreAgent agent;
    private AgentRunner runner;

    /**
     * @param url          REDIS_URL ({@code redis://}, {@code rediss://}, {@code redis-sentinel://} or
     *                     {@code redis-cluster://}, credentials allowed).
     * @param urlForLog    the same with its password hidden.
     * @param nodeId       NODE_ID: the owner written into every route.
     * @param instanceId   this process among all that ever ran as {@code nodeId}: written into the heartbeat, so
     *                     that two live processes with one NODE_ID tell each other apart.
     * @param ttlSeconds   ROUTE_TTL_SECONDS.
     * @param queueMax     REDIS_QUEUE_MAX: the writes that may wait while Redis is unreachable.
     * @param parser       validation for routes read back.
     * @param operations   counters.
     */
    public RedisRouteStore(
        final String url,
        final String urlForLog,
        final String nodeId,
        final String instanceId,
        final int ttlSeconds,
        final int queueMax,
        final RouteRequestParser parser,
        final RedisOperations operations)
    {
        this.urlForLog = urlForLog;
        this.nodeId = nodeId;
        this.ttlSeconds = Integer.toString(ttlSeconds);
        this.parser = parser;
        this.operations = operations;
        this.journal = new WriteJournal(nodeId, this.ttlSeconds, operations, INBOUND_CAPACITY, queueMax);
        this.endpoint = new RedisEndpoint(url, operations);
        this.subscription = new Subscription(endpoint::connectPubSub, endpoint.cluster(), CHANNEL, nodeId, instanceId,
            operations, MESSAGE_CAPACITY);
        this.reads = new BoundedReads(operations);
        final Reconciler reconciler = new Reconciler(nodeId, parser, this.ttlSeconds, SCAN_COUNT, operations,
            endpoint::scanKeys, reads);
        this.agent = new RedisStoreAgent(urlForLog, nodeId, operations, endpoint, journal, subscription,
            new Heartbeat(nodeId, instanceId, urlForLog, operations), reconciler);
    }

    /**
     * Connect, claim NODE_ID, and read this node's routes, before the relay socket opens. Calling thread, before
     * {@link #start}. Redis unreachable is not fatal: the node starts from memory and loads its routes when Redis
     * comes back.
     *
     * @param nowNs       monotonic now, the start of restored routes' idle clocks.
     * @param relayAddr   the relay address the node will advertise, for the claim's heartbeat.
     * @param controlAddr the control API address the node will advertise, for the claim's heartbeat.
     * @param startedAtMs node start time.
     * @return the routes Redis holds for this node; empty when Redis is unreachable.
     * @throws ConfigurationException when Redis refuses the URL's credentials, or another live node holds NODE_ID.
     */
    public List<RouteEntry> connectAndLoad(
        final long nowNs, final String relayAddr, final String controlAddr, final long startedAtMs)
    {
        return agent.connectAndLoad(nowNs, relayAddr, controlAddr, startedAtMs);
    }

    /**
     * Start the store's agent: writes, heartbeats, reconnects.
     *
     * @param registry      the router's published routes, the truth a reconcile writes to Redis.
     * @param router        where routes found in Redis after a start-up outage are restored.
     * @param relayAddr     relay address for the heartbeat, as bound.
     * @param controlAddr   control API address for the heartbeat, as bound.
     * @param threadFactory makes the agent's thread.
     */
    public void start(
        final RouteRegistry registry,
        final RouterProxy router,
        final String relayAddr,
        final String controlAddr,
        final ThreadFactory threadFactory)
    {
        agent.router(registry, router);
        agent.heartbeatAddresses(relayAddr, controlAddr);
        final IdleStrategy idle = new BackoffIdleStrategy(1, 1, TimeUnit.MICROSECONDS.toNanos(1),
            TimeUnit.MILLISECONDS.toNanos(2));
        runner = new AgentRunner(idle, ex -> LOG.error("Redis store error", ex), null, agent);
        AgentRunner.startOnThread(runner, threadFactory);
    }

    /**
     * @param relayPorts where a route with a return path restored after a start-up outage gets its relay port; set
     *                   before {@link #start}. Without it such a route is restored without one.
     */
    public void relayPorts(final RelayPorts relayPorts)
    {
        agent.relayPorts(relayPorts);
    }

    /**
     * @param hooks the multi-node side; set before {@link #start}.
     */
    public void hooks(final Hooks hooks)
    {
        agent.hooks(hooks);
    }

    /**
     * @param nodeId a node.
     * @return its heartbeat key.
     */
    public static String heartbeatKey(final String nodeId)
    {
        return Heartbeat.key(nodeId);
    }

    /**
     * @return the Redis operation counters.
     */
    public RedisOperations operations()
    {
        return operations;
    }

    /**
     * @return reads of routes and heartbeats bounded in size; store thread only.
     */
    public BoundedReads reads()
    {
        return reads;
    }

    /**
     * @return this node's id, the owner written into its routes.
     */
    public String nodeId()
    {
        return nodeId;
    }

    /**
     * @return ROUTE_TTL_SECONDS as Redis takes it.
     */
    public String ttlSeconds()
    {
        return ttlSeconds;
    }

    /**
     * @return the validation routes read back go through.
     */
    public RouteRequestParser parser()
    {
        return parser;
    }

    /**
     * Run a task on the store's thread, after the route writes already queued. Any thread; never blocks.
     *
     * @param task what to run.
     * @param <T>  its answer.
     * @return completes with the answer, or exceptionally with {@link UnavailableException} while Redis is away
     * (or when too many tasks wait), or with what the task threw.
     */
    public <T> CompletableFuture<T> submit(final Task<T> task)
    {
        final CompletableFuture<T> future = new CompletableFuture<>();
        if (!agent.connected())
        {
            future.completeExceptionally(unavailable());
            return future;
        }
        final boolean queued = agent.tasks().offer(() ->
        {
            if (!agent.connected())
            {
                future.completeExceptionally(unavailable());
                return;
            }
            try
            {
                future.complete(task.run(agent.commands()));
            }
            catch (final Exception ex)
            {
                future.completeExceptionally(ex);
                if (RedisFailures.isOutage(ex))
                {
                    agent.markUnavailable(ex);
                }
            }
        });
        if (!queued)
        {
            future.completeExceptionally(new UnavailableException("the Redis store is busy; try again"));
        }
        return future;
    }

    /**
     * @return the refusal of a task while Redis is unreachable.
     */
    public UnavailableException unavailable()
    {
        return new UnavailableException("Redis " + urlForLog + " is unreachable");
    }

    /**
     * A task's answer that is a refusal, not a Redis failure: it leaves Redis marked reachable.
     */
    public static class Refusal extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        /**
         * @param message what was refused and why.
         */
        public Refusal(final String message)
        {
            super(message, null, false, false);
        }
    }

    /**
     * Publish on {@link #CHANNEL}. Store thread only (from a task or a hook).
     *
     * @param redis   the connection.
     * @param message JSON.
     * @throws Exception when Redis fails.
     */
    public void publish(final RedisClusterAsyncCommands<String, String> redis, final String message) throws Exception
    {
        agent.publish(redis, message);
    }

    /**
     * Whether this node deleted a stream lately (see {@link WriteJournal#DELETED_MEMORY_NS}). A re-read of Redis after
     * a renewed subscription takes back the routes Redis names this node's that memory lacks (hand-offs it missed); a
     * route deleted here whose delete had not reached Redis yet would look the same, and must not come back.
     */
    public boolean deletedRecently(final long streamId)
    {
        return journal.deletedRecently(streamId);
    }

    /**
     * The node drains: its heartbeat says so from the next beat on, which comes at once.
     */
    public void draining()
    {
        agent.draining();
    }

    /**
     * @return "connected" or "unavailable", for {@code /health}.
     */
    public String state()
    {
        return agent.connected() ? "connected" : "unavailable";
    }

    /**
     * @return "cluster" for a Redis Cluster, "sentinel" when REDIS_URL finds the master through Sentinel, else
     * "standalone".
     */
    public String mode()
    {
        return endpoint.mode();
    }

    /**
     * @return host:port of the Redis the node writes to now (for Sentinel: the master it found), null while Redis
     * is unreachable.
     */
    public String master()
    {
        return agent.master();
    }

    /**
     * @return why Redis is unreachable now (the last failure, e.g. a command timeout), or null while connected.
     */
    public String failure()
    {
        return agent.connected() ? null : agent.failure();
    }

    /**
     * @return subscriptions to the announcement channel after the first (each re-reads what this node owns).
     */
    public long resubscribes()
    {
        return subscription.resubscribes();
    }

    /**
     * @return REDIS_QUEUE_MAX: the most writes that wait for Redis.
     */
    public long queueMax()
    {
        return journal.capacity();
    }

    /**
     * @return queued writes dropped because the queue was full; a full reconcile wrote what they held.
     */
    public long queueDropped()
    {
        return journal.dropped();
    }

    /**
     * @return writes waiting for Redis to come back.
     */
    public long backlogSize()
    {
        return journal.backlogSize();
    }

    @Override
    public CompletableFuture<Durability> record(final Change change, final RouteEntry entry)
    {
        return journal.record(change, entry);
    }

    @Override
    public boolean refresh(final RouteEntry entry)
    {
        return journal.refresh(entry);
    }

    /** One page of keys that SCAN returned. */
    @FunctionalInterface
    public interface KeyPage
    {
        void accept(List<String> keys) throws Exception;
    }

    /**
     * SCAN for the keys that match, page by page, on the store's thread: on a cluster, on each live master with slots.
     *
     * @param redis the store's commands (as given to a {@link Task}).
     */
    public void scanKeys(final RedisClusterAsyncCommands<String, String> redis, final ScanArgs args, final KeyPage page)
        throws Exception
    {
        endpoint.scanKeys(redis, args, page);
    }

    /**
     * Wait for a command's answer, at most the command timeout.
     *
     * @param future the command.
     * @param <T>    its answer.
     * @return the answer.
     * @throws Exception what Redis answered instead, or a timeout.
     */
    public static <T> T await(final RedisFuture<T> future) throws Exception
    {
        try
        {
            return future.get(COMMAND_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof Exception ? (Exception)ex.getCause() : ex;
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            throw ex;
        }
    }

    /**
     * Stop: write what is still queued if Redis is reachable, remove the heartbeat (the node is no longer live),
     * close the connection. Routes stay in Redis for the next start.
     */
    @Override
    public void close()
    {
        if (runner != null)
        {
            runner.close();
        }
        else
        {
            agent.closeNeverStarted();
        }
        endpoint.shutdown();
    }
}
