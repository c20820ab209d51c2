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
package io.soundrelay.core.status;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The data plane's counters. Each counter has exactly one writing thread (the receiver owns {@code received} and
 * {@code ring_full}, the router owns the rest), which increments it with a release store: no lock, no CAS, no
 * allocation. Any thread may read them at scrape time. Counters sit 64 bytes apart so two writers never share a
 * cache line.
 * <p>
 * A stage on a thread of its own (the mixer) writes a {@link #newChild() child} instead: its own set, single writer
 * again, whose values every read of the parent includes.
 */
public final class RelayCounters
{
    private static final int PAD = 8; // longs per cache line
    private static final int RECEIVED = 0;
    private static final int SENT = 1;
    private static final int EXPIRED = 2;
    private static final int RETURNED = 3;
    private static final int PACE_HELD = 4;
    private static final int FIRST_REANCHOR = 5;
    private static final int FIRST_ERROR = FIRST_REANCHOR + ReanchorReason.all().length;
    private static final int COUNT = FIRST_ERROR + ErrorReason.all().length;

    private final AtomicLongArray values = new AtomicLongArray((COUNT + 2) * PAD);
    private volatile RelayCounters[] children = new RelayCounters[0];

    private static int index(final int counter)
    {
        return (counter + 1) * PAD;
    }

    /**
     * A counter set for another writing thread, summed into this one's reads. Start-up only: it allocates.
     *
     * @return the child, empty.
     */
    public synchronized RelayCounters newChild()
    {
        final RelayCounters child = new RelayCounters();
        final RelayCounters[] grown = Arrays.copyOf(children, children.length + 1);
        grown[grown.length - 1] = child;
        children = grown;
        return child;
    }

    private long read(final int counter)
    {
        long sum = values.get(index(counter));
        for (final RelayCounters child : children)
        {
            sum += child.read(counter);
        }
        return sum;
    }

    private void increment(final int counter, final long delta)
    {
        final int i = index(counter);
        values.lazySet(i, values.get(i) + delta);
    }

    /**
     * Count datagrams in. Receiver thread only.
     *
     * @param delta how many.
     */
    public void addReceived(final long delta)
    {
        increment(RECEIVED, delta);
    }

    /**
     * Count datagrams out. Router (sender) thread only.
     *
     * @param delta how many.
     */
    public void addSent(final long delta)
    {
        increment(SENT, delta);
    }

    /**
     * Count a drop. Only the thread that owns the reason ({@link ErrorReason#RING_FULL} and {@link ErrorReason#STALE}:
     * receiver; others: router).
     *
     * @param reason why.
     * @param delta  how many.
     */
    public void addError(final ErrorReason reason, final long delta)
    {
        increment(FIRST_ERROR + reason.ordinal(), delta);
    }

    /**
     * @param delta datagrams from a route's targets relayed back to its source (PROTOCOL.md section 9).
     */
    public void addReturned(final long delta)
    {
        increment(RETURNED, delta);
    }

    /**
     * @return {@code relay_packets_returned_total}.
     */
    public long returned()
    {
        return read(RETURNED);
    }

    /**
     * Count routes removed because nobody sent on them for ROUTE_TTL_SECONDS. Router thread only.
     *
     * @param delta how many.
     */
    public void addExpired(final long delta)
    {
        increment(EXPIRED, delta);
    }

    /**
     * @return routes expired since start.
     */
    public long expired()
    {
        return read(EXPIRED);
    }

    /**
     * Count a paced route's clock starting over. Router thread only.
     *
     * @param reason why.
     */
    public void addReanchor(final ReanchorReason reason)
    {
        increment(FIRST_REANCHOR + reason.ordinal(), 1);
    }

    /**
     * @param reason which re-anchor counter.
     * @return {@code relay_pace_reanchors_total{reason}}.
     */
    public long reanchors(final ReanchorReason reason)
    {
        return read(FIRST_REANCHOR + reason.ordinal());
    }

    /**
     * Move the gauge of datagrams pacing holds. Router thread only.
     *
     * @param delta held more (positive) or fewer (negative).
     */
    public void addPaceHeld(final long delta)
    {
        increment(PACE_HELD, delta);
    }

    /**
     * @return {@code relay_pace_held_datagrams}: datagrams pacing holds right now, all routes together.
     */
    public long paceHeld()
    {
        return read(PACE_HELD);
    }

    public long received()
    {
        return read(RECEIVED);
    }

    public long sent()
    {
        return read(SENT);
    }

    /**
     * @param reason which drop counter.
     * @return its value.
     */
    public long errors(final ErrorReason reason)
    {
        return read(FIRST_ERROR + reason.ordinal());
    }
}
