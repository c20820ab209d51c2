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
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RedisOperations.Op;
import io.soundrelay.control.metrics.RedisOperations.Result;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.io.router.Durability;
import io.soundrelay.io.router.RouteJournal;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.soundrelay.control.redis.RedisRouteStore.await;

/**
 * The route writes on their way to Redis, a part the store drives on its thread. The router offers each change into
 * a bounded queue and never waits ({@link #record}); the store's thread drains a batch at a time and writes it
 * pipelined, in order ({@link #execute}); while Redis is away the writes wait in order in a bounded backlog
 * (REDIS_QUEUE_MAX) that is replayed first when it returns ({@link #replay}). A full queue or backlog is never
 * silent: it is counted, and a full reconcile is asked for instead ({@link #reconcileNeeded()}).
 */
final class WriteJournal
{
    /** How long a local delete is remembered against a re-read that still finds the key (far above a write's path). */
    static final long DELETED_MEMORY_NS = TimeUnit.SECONDS.toNanos(60);

    /** What the store does about the outcomes of writes. */
    interface Outcomes
    {
        /** A write failed: Redis is unavailable (the write and every later one are back in the backlog). */
        void unavailable(Exception cause);

        /** An expired route's key was deleted: announce the expiry. */
        void expired(long streamId);

        /** @return the route as memory has it now, or null (to write again a key whose expiry raced a datagram). */
        RouteEntry current(long streamId);
    }

    enum Kind
    {
        PUT, DEL, EXPIRE
    }

    /** One write, and the future the API waits on (null for expiry refreshes). */
    static final class Write
    {
        final Kind kind;
        final long streamId;
        final String json;
        final CompletableFuture<Durability> done;
        RedisFuture<?> pending;
        boolean queued;
        boolean expired;

        Write(final Kind kind, final long streamId, final String json, final CompletableFuture<Durability> done)
        {
            this.kind = kind;
            this.streamId = streamId;
            this.json = json;
            this.done = done;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(WriteJournal.class);

    private final String nodeId;
    private final String ttlSeconds;
    private final RedisOperations operations;
    private final int backlogCapacity;
    private final ManyToOneConcurrentArrayQueue<Write> inbound;
    private final ArrayDeque<Write> backlog = new ArrayDeque<>();
    private final ConcurrentHashMap<Long, Long> deletedAtNs = new ConcurrentHashMap<>();
    private final AtomicBoolean reconcileNeeded = new AtomicBoolean();
    private volatile int backlogSize;
    private volatile long dropped;

    /**
     * @param nodeId          the owner the writes are conditional on.
     * @param ttlSeconds      ROUTE_TTL_SECONDS, as the scripts take it.
     * @param operations      counts writes by result.
     * @param inboundCapacity changes that may wait for the store's thread.
     * @param backlogCapacity REDIS_QUEUE_MAX: writes that may wait for Redis.
     */
    WriteJournal(
        final String nodeId,
        final String ttlSeconds,
        final RedisOperations operations,
        final int inboundCapacity,
        final int backlogCapacity)
    {
        this.nodeId = nodeId;
        this.ttlSeconds = ttlSeconds;
        this.operations = operations;
        this.inbound = new ManyToOneConcurrentArrayQueue<>(inboundCapacity);
        this.backlogCapacity = backlogCapacity;
    }

    /**
     * The router's thread: offer a change; never blocks. The future completes when Redis has it, or when it waits
     * in the backlog.
     */
    CompletableFuture<Durability> record(final RouteJournal.Change change, final RouteEntry entry)
    {
        final CompletableFuture<Durability> done = new CompletableFuture<>();
        final Write write = change == RouteJournal.Change.CREATED || change == RouteJournal.Change.REPLACED ?
            new Write(Kind.PUT, entry.streamId(), StoredRoute.encode(entry, nodeId), done) :
            new Write(Kind.DEL, entry.streamId(), null, done);
        write.expired = change == RouteJournal.Change.EXPIRED;
        if (write.kind == Kind.DEL)
        {
            // Before the write is queued: a re-read of Redis that still finds the key must not take it back.
            deletedAtNs.put(entry.streamId(), System.nanoTime());
        }
        if (!inbound.offer(write))
        {
            // Never block the router: the next reconcile writes what this change would have.
            operations.add(write.kind == Kind.PUT ? Op.SET : Op.DEL, Result.DROPPED);
            reconcileNeeded.set(true);
            done.complete(Durability.QUEUED);
        }
        return done;
    }

    /**
     * The router's thread: extend a busy route's key expiry; false when the queue is full (the next one will).
     */
    boolean refresh(final RouteEntry entry)
    {
        return inbound.offer(new Write(Kind.EXPIRE, entry.streamId(), null, null));
    }

    /**
     * The store's thread: move up to {@code max} queued changes into {@code into}, in order.
     */
    int drainTo(final List<Write> into, final int max)
    {
        return inbound.drainTo(into, max);
    }

    /**
     * Send a batch pipelined on the one connection (Redis applies it in order), then read the answers in order.
     * The first failure makes Redis unavailable; that write and every later one go to the backlog in order, to be
     * replayed (each write is idempotent, so replaying one Redis did apply is harmless).
     *
     * @return true when Redis acknowledged every write.
     */
    boolean execute(final RedisClusterAsyncCommands<String, String> redis, final List<Write> writes,
        final Outcomes outcomes)
    {
        for (final Write w : writes)
        {
            w.pending = send(redis, w);
        }
        for (int i = 0; i < writes.size(); i++)
        {
            final Write w = writes.get(i);
            try
            {
                complete(redis, w, await(w.pending), outcomes);
            }
            catch (final Exception ex)
            {
                operations.add(op(w), Result.ERROR);
                outcomes.unavailable(ex);
                for (int j = i; j < writes.size(); j++)
                {
                    defer(writes.get(j));
                }
                return false;
            }
        }
        return true;
    }

    /**
     * Replay the backlog in order.
     *
     * @return how many writes were replayed, or -1 when Redis failed again (the rest are back in the backlog).
     */
    int replay(final RedisClusterAsyncCommands<String, String> redis, final Outcomes outcomes)
    {
        final List<Write> queued = new ArrayList<>(backlog);
        backlog.clear();
        backlogSize = 0;
        return execute(redis, queued, outcomes) ? queued.size() : -1;
    }

    private RedisFuture<?> send(final RedisClusterAsyncCommands<String, String> redis, final Write w)
    {
        final String key = StoredRoute.key(w.streamId);
        switch (w.kind)
        {
            case PUT:
                return redis.eval(RedisRouteStore.PUT_IF_OWN, ScriptOutputType.VALUE, new String[]{key}, w.json, nodeId,
                    ttlSeconds);
            case DEL:
                return redis.eval(RedisRouteStore.DEL_IF_OWN, ScriptOutputType.INTEGER, new String[]{key}, nodeId);
            default:
                return redis.eval(RedisRouteStore.EXPIRE_IF_OWN, ScriptOutputType.INTEGER, new String[]{key}, nodeId,
                    ttlSeconds);
        }
    }

    private void complete(final RedisClusterAsyncCommands<String, String> redis, final Write w, final Object answer,
        final Outcomes outcomes)
    {
        switch (w.kind)
        {
            case PUT:
            {
                final String owner = (String)answer;
                if (owner == null || owner.isEmpty())
                {
                    operations.add(Op.SET, Result.OK);
                    finish(w, Durability.STORED);
                }
                else
                {
                    operations.add(Op.SET, Result.CONFLICT);
                    LOG.warn("stream {} is held in Redis by node {}; not overwritten",
                        Long.toUnsignedString(w.streamId), owner);
                    finish(w, Durability.conflict(owner));
                }
                break;
            }
            case DEL:
                operations.add(Op.DEL, Result.OK);
                finish(w, Durability.STORED);
                if (w.expired)
                {
                    outcomes.expired(w.streamId);
                }
                break;
            default:
            {
                final long answerCode = (Long)answer;
                if (answerCode == 1)
                {
                    operations.add(Op.EXPIRE, Result.OK);
                }
                else if (answerCode == 0)
                {
                    // The key is gone while the route lives (its expiry raced a late datagram): write it again.
                    operations.add(Op.EXPIRE, Result.OK);
                    final RouteEntry entry = outcomes.current(w.streamId);
                    if (entry != null)
                    {
                        final Write again = new Write(Kind.PUT, w.streamId, StoredRoute.encode(entry, nodeId), null);
                        execute(redis, List.of(again), outcomes);
                    }
                }
                else
                {
                    operations.add(Op.EXPIRE, Result.CONFLICT);
                }
            }
        }
    }

    private static void finish(final Write w, final Durability durability)
    {
        if (w.done != null)
        {
            w.done.complete(durability);
        }
    }

    /**
     * Keep a write for replay while Redis is away. Expiry refreshes are not kept: the reconcile after reconnect
     * writes every route with a fresh expiry.
     */
    void defer(final Write w)
    {
        if (w.kind == Kind.EXPIRE)
        {
            operations.add(Op.EXPIRE, Result.SKIPPED);
            return;
        }
        if (backlog.size() >= backlogCapacity)
        {
            operations.add(Op.SET, Result.DROPPED, countKind(Kind.PUT));
            operations.add(Op.DEL, Result.DROPPED, countKind(Kind.DEL));
            LOG.warn("Redis write backlog full ({} writes): dropped; a full reconcile replaces them on reconnect",
                backlog.size());
            dropped += backlog.size(); // the store's thread is the only writer
            backlog.clear();
            reconcileNeeded.set(true);
        }
        backlog.addLast(w);
        backlogSize = backlog.size();
        if (!w.queued)
        {
            w.queued = true;
            operations.add(op(w), Result.QUEUED);
        }
        finish(w, Durability.QUEUED);
    }

    private long countKind(final Kind kind)
    {
        long n = 0;
        for (final Write w : backlog)
        {
            if (w.kind == kind)
            {
                n++;
            }
        }
        return n;
    }

    static Op op(final Write w)
    {
        switch (w.kind)
        {
            case PUT:
                return Op.SET;
            case DEL:
                return Op.DEL;
            default:
                return Op.EXPIRE;
        }
    }

    /**
     * @return whether a full reconcile is owed (a queue overflowed); clears it. {@link #owe()} sets it again.
     */
    boolean reconcileNeeded()
    {
        return reconcileNeeded.getAndSet(false);
    }

    /** A full reconcile is owed (the last one failed, or the store dropped what only a reconcile can replace). */
    void owe()
    {
        reconcileNeeded.set(true);
    }

    /**
     * Whether this node deleted a stream within {@link #DELETED_MEMORY_NS}: a re-read of Redis must not take it back.
     */
    boolean deletedRecently(final long streamId)
    {
        final Long at = deletedAtNs.get(streamId);
        return at != null && System.nanoTime() - at < DELETED_MEMORY_NS;
    }

    /** Forget deletions older than {@link #DELETED_MEMORY_NS}; the store's thread. */
    void pruneDeleted(final long nowNs)
    {
        deletedAtNs.values().removeIf(at -> nowNs - at >= DELETED_MEMORY_NS);
    }

    /**
     * @return writes waiting in the backlog for Redis.
     */
    int backlogSize()
    {
        return backlogSize;
    }

    /**
     * @return REDIS_QUEUE_MAX.
     */
    int capacity()
    {
        return backlogCapacity;
    }

    /**
     * @return backlog writes dropped because it was full.
     */
    long dropped()
    {
        return dropped;
    }
}
