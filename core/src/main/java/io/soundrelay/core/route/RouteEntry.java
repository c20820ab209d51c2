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
package io.soundrelay.core.route;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A live route: its current {@link RouteSpec} and its counters. The router thread is the only writer of every
 * field (release stores, no locks); the control API reads them from any thread. Replacing the spec is one
 * reference write, so a datagram is routed either by the old spec or by the new one, never by a mix.
 */
public final class RouteEntry implements SendTally
{
    private static final VarHandle PACKETS_IN;
    private static final VarHandle PACKETS_OUT;
    private static final VarHandle SEND_FAILED;
    private static final VarHandle PACKETS_RETURNED;
    private static final VarHandle LAST_SEEN_NS;
    private static final VarHandle FIRST_SEEN_NS;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            PACKETS_IN = lookup.findVarHandle(RouteEntry.class, "packetsIn", long.class);
            PACKETS_OUT = lookup.findVarHandle(RouteEntry.class, "packetsOut", long.class);
            SEND_FAILED = lookup.findVarHandle(RouteEntry.class, "sendFailed", long.class);
            PACKETS_RETURNED = lookup.findVarHandle(RouteEntry.class, "packetsReturned", long.class);
            LAST_SEEN_NS = lookup.findVarHandle(RouteEntry.class, "lastSeenNs", long.class);
            FIRST_SEEN_NS = lookup.findVarHandle(RouteEntry.class, "firstSeenNs", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Value of {@link #lastSeenNs()} and {@link #firstSeenNs()} before the first datagram. */
    public static final long NEVER = Long.MIN_VALUE;

    private final long streamId;
    private final long createdAtEpochMs;
    private final long idleSinceNs;
    private volatile RouteSpec spec;
    private long refreshedNs;
    private Endpoint hopTarget;
    private long hopUntilNs;

    @SuppressWarnings("unused") private long packetsIn;
    @SuppressWarnings("unused") private long packetsOut;
    @SuppressWarnings("unused") private long sendFailed;
    @SuppressWarnings("unused") private long packetsReturned;
    private volatile int relayPort;
    private volatile Endpoint sourceLatched;
    private final SendTally returnTally = new SendTally()
    {
        public void onSent()
        {
            PACKETS_RETURNED.setRelease(RouteEntry.this, (long)PACKETS_RETURNED.get(RouteEntry.this) + 1);
        }

        public void onSendFailed()
        {
            RouteEntry.this.onSendFailed();
        }
    };
    @SuppressWarnings("unused") private long lastSeenNs = NEVER;
    @SuppressWarnings("unused") private long firstSeenNs = NEVER;

    /**
     * @param spec             the route as validated.
     * @param createdAtEpochMs wall-clock creation time.
     */
    public RouteEntry(final RouteSpec spec, final long createdAtEpochMs)
    {
        this(spec, createdAtEpochMs, System.nanoTime());
    }

    /**
     * @param spec             the route as validated.
     * @param createdAtEpochMs wall-clock creation time.
     * @param idleSinceNs      monotonic time its expiry clock starts from: now for a new route, earlier for a route
     *                         restored from a store that had already counted part of its idle time.
     */
    public RouteEntry(final RouteSpec spec, final long createdAtEpochMs, final long idleSinceNs)
    {
        this.streamId = spec.streamId();
        this.spec = spec;
        this.createdAtEpochMs = createdAtEpochMs;
        this.idleSinceNs = idleSinceNs;
        this.refreshedNs = idleSinceNs;
    }

    public long streamId()
    {
        return streamId;
    }

    public RouteSpec spec()
    {
        return spec;
    }

    /**
     * Swap the spec in one write. Router thread only.
     *
     * @param newSpec for the same stream id.
     */
    public void replaceSpec(final RouteSpec newSpec)
    {
        if (newSpec.streamId() != streamId)
        {
            throw new IllegalArgumentException("stream id differs");
        }
        spec = newSpec;
    }

    public long createdAtEpochMs()
    {
        return createdAtEpochMs;
    }

    /**
     * @return monotonic time the route's idle clock started (creation or restore).
     */
    public long idleSinceNs()
    {
        return idleSinceNs;
    }

    /**
     * @return monotonic time the route's expiry was last extended in the store. Router thread only.
     */
    public long refreshedNs()
    {
        return refreshedNs;
    }

    /**
     * @param nowNs monotonic time the route's expiry was extended in the store. Router thread only.
     */
    public void refreshedAt(final long nowNs)
    {
        refreshedNs = nowNs;
    }

    /**
     * @return where the route's datagrams are forwarded, as HOP frames, while the stream moves to another node; null
     * when the route relays normally. Router thread only.
     */
    public Endpoint hopTarget()
    {
        return hopTarget;
    }

    /**
     * @return monotonic time the forwarding to {@link #hopTarget()} ends; meaningless unless
     * {@link #isForwarding()}. Router thread only.
     */
    public long hopUntilNs()
    {
        return hopUntilNs;
    }

    /**
     * The stream was handed to another node: forward its datagrams to that node's relay address until a deadline,
     * instead of relaying them. Called again, it moves the target and the deadline. Router thread only.
     *
     * @param target  the new node's relay address.
     * @param untilNs monotonic time the forwarding ends.
     */
    public void forwardTo(final Endpoint target, final long untilNs)
    {
        if (target == null)
        {
            throw new NullPointerException("target");
        }
        hopTarget = target;
        hopUntilNs = untilNs;
    }

    /**
     * @return true once {@link #forwardTo(Endpoint, long)} was called: the route is no longer this node's. Router
     * thread only.
     */
    public boolean isForwarding()
    {
        return hopTarget != null;
    }

    /**
     * Count a datagram in and stamp the time (and, for the first one, the first-seen time). Router thread only.
     *
     * @param nowNs monotonic time of receipt.
     */
    public void onDatagramIn(final long nowNs)
    {
        PACKETS_IN.setRelease(this, (long)PACKETS_IN.get(this) + 1);
        LAST_SEEN_NS.setRelease(this, nowNs);
        if ((long)FIRST_SEEN_NS.get(this) == NEVER)
        {
            FIRST_SEEN_NS.setRelease(this, nowNs);
        }
    }

    /**
     * The kernel took one of this route's datagrams. Router thread only (its sender reports on it).
     */
    public void onSent()
    {
        PACKETS_OUT.setRelease(this, (long)PACKETS_OUT.get(this) + 1);
    }

    /**
     * One of this route's datagrams could not be sent. Router thread only (its sender reports on it).
     */
    public void onSendFailed()
    {
        SEND_FAILED.setRelease(this, (long)SEND_FAILED.get(this) + 1);
    }

    /**
     * @return datagrams of this route the kernel refused to send (or that could not reach it).
     */
    public long sendFailed()
    {
        return (long)SEND_FAILED.getAcquire(this);
    }

    public long packetsIn()
    {
        return (long)PACKETS_IN.getAcquire(this);
    }

    public long packetsOut()
    {
        return (long)PACKETS_OUT.getAcquire(this);
    }

    /**
     * @return monotonic time of the last datagram, or {@link #NEVER}.
     */
    public long lastSeenNs()
    {
        return (long)LAST_SEEN_NS.getAcquire(this);
    }

    /**
     * Any thread.
     *
     * @return monotonic time of the first datagram, or {@link #NEVER}; set once.
     */
    public long firstSeenNs()
    {
        return (long)FIRST_SEEN_NS.getAcquire(this);
    }

    /**
     * A datagram from one of the route's targets reached its relay port, to go back to the source: the route is in
     * use, so this counts as activity for its TTL. Router thread only.
     *
     * @param nowNs when it was received.
     */
    public void onReturnIn(final long nowNs)
    {
        LAST_SEEN_NS.setRelease(this, nowNs);
    }

    /**
     * @return the tally of datagrams sent back to the source: the kernel's takes count as {@link #packetsReturned()},
     * its refusals as {@link #sendFailed()}.
     */
    public SendTally returnTally()
    {
        return returnTally;
    }

    /**
     * @return datagrams from the targets the kernel took on their way back to the source (PROTOCOL.md section 9).
     */
    public long packetsReturned()
    {
        return (long)PACKETS_RETURNED.getAcquire(this);
    }

    /**
     * @return the route's relay port on this node, or 0 when it has none.
     */
    public int relayPort()
    {
        return relayPort;
    }

    /**
     * @param port the relay port bound for the route (the router sets it when it attaches or lets go of the socket;
     *             a route loaded from the store arrives with the port it had, which the data plane asks for again).
     */
    public void relayPort(final int port)
    {
        relayPort = port;
    }

    /**
     * @return the source address latched for a {@code source_addr} with port 0, or null (none yet, or a full source).
     */
    public Endpoint sourceLatched()
    {
        return sourceLatched;
    }

    /**
     * @param latched the address the first datagram from the source's IP came from; router thread only.
     */
    public void sourceLatched(final Endpoint latched)
    {
        sourceLatched = latched;
    }
}
