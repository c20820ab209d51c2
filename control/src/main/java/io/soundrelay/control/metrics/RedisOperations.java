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
package io.soundrelay.control.metrics;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts of Redis operations by operation and result, for {@code relay_redis_operations_total{op,result}}. Both
 * label sets are closed enums, so the series stay bounded. Written by the Redis thread (and the start-up load),
 * read at scrape time.
 */
public final class RedisOperations
{
    /** What was asked of Redis. */
    public enum Op
    {
        /** Write a route (create, replace, replay, reconcile). */
        SET("set"),
        /** Remove a route (delete, expiry, reconcile). */
        DEL("del"),
        /** Extend a route's expiry while datagrams flow. */
        EXPIRE("expire"),
        /** Write the node's heartbeat. */
        HEARTBEAT("heartbeat"),
        /** Read routes (start-up load, reconcile). */
        SCAN("scan"),
        /** Open the connection (start-up, reconnect). */
        CONNECT("connect"),
        /** Announce a route change on soundrelay:routes. */
        PUBLISH("publish"),
        /** Subscribe to soundrelay:routes (dropped: a message the full queue could not take). */
        SUBSCRIBE("subscribe"),
        /** Read what several nodes share: live nodes, a route owned elsewhere. */
        READ("read"),
        /** Hand a route to another owner atomically (migration, failover). */
        TAKEOVER("takeover");

        private final String label;

        Op(final String label)
        {
            this.label = label;
        }

        public String label()
        {
            return label;
        }
    }

    /** How it went. */
    public enum Result
    {
        /** Redis acknowledged it. */
        OK("ok"),
        /** It failed (Redis unreachable, timed out, or answered an error). */
        ERROR("error"),
        /** Redis was unreachable: the write waits in the bounded backlog for replay. */
        QUEUED("queued"),
        /** The backlog was full: the write was dropped and a full reconcile scheduled in its place. */
        DROPPED("dropped"),
        /** Redis holds the stream for another node: nothing was written. */
        CONFLICT("conflict"),
        /** Not worth sending while Redis is unreachable (an expiry refresh; reconcile rewrites the expiry). */
        SKIPPED("skipped");

        private final String label;

        Result(final String label)
        {
            this.label = label;
        }

        public String label()
        {
            return label;
        }
    }

    /** Why a value read from Redis was left unread or unused (Redis is a trust boundary, section 3). */
    public enum Skip
    {
        /** A heartbeat beyond the most a node reads (PeerSet.MAX_PEERS), or one the peer set had no room for. */
        HEARTBEAT_EXCESS("heartbeat_excess"),
        /** A heartbeat that is not JSON, lacks node_id or relay_addr, or names another node than its key. */
        HEARTBEAT_MALFORMED("heartbeat_malformed"),
        /** A route or heartbeat value over its size bound (or not a string): never read. */
        VALUE_TOO_LARGE("value_too_large");

        private final String label;

        Skip(final String label)
        {
            this.label = label;
        }

        public String label()
        {
            return label;
        }
    }

    private static final Op[] OPS = Op.values();
    private static final Skip[] SKIPS = Skip.values();
    private static final Result[] RESULTS = Result.values();

    private final AtomicLongArray counts = new AtomicLongArray(OPS.length * RESULTS.length);
    private final AtomicLongArray skipped = new AtomicLongArray(SKIPS.length);

    /**
     * @param reason why values were skipped.
     * @param delta  how many.
     */
    public void skipped(final Skip reason, final long delta)
    {
        skipped.addAndGet(reason.ordinal(), delta);
    }

    /**
     * @param reason why values were skipped.
     * @return how many were, since start.
     */
    public long skipped(final Skip reason)
    {
        return skipped.get(reason.ordinal());
    }

    public static Skip[] skips()
    {
        return SKIPS.clone();
    }

    /**
     * @param op     what.
     * @param result how it went.
     */
    public void add(final Op op, final Result result)
    {
        counts.incrementAndGet(op.ordinal() * RESULTS.length + result.ordinal());
    }

    /**
     * @param op     what.
     * @param result how it went.
     * @param delta  how many.
     */
    public void add(final Op op, final Result result, final long delta)
    {
        counts.addAndGet(op.ordinal() * RESULTS.length + result.ordinal(), delta);
    }

    /**
     * @param op     what.
     * @param result how it went.
     * @return the count.
     */
    public long get(final Op op, final Result result)
    {
        return counts.get(op.ordinal() * RESULTS.length + result.ordinal());
    }

    public static Op[] ops()
    {
        return OPS.clone();
    }

    public static Result[] results()
    {
        return RESULTS.clone();
    }
}
