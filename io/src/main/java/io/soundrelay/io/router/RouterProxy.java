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
package io.soundrelay.io.router;

import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.io.jitter.JitterBuffer;
import io.soundrelay.io.jitter.JitterPool;
import io.soundrelay.io.pace.PacePool;
import io.soundrelay.io.pace.Pacer;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How other threads ask the routers to change routes: each command goes to its stream's owner
 * ({@link #owner(long, int)}), through that pipeline's bounded many-to-one queue, which its router drains each duty
 * cycle. A full queue refuses the command at once (counted) rather than waiting.
 */
public final class RouterProxy
{
    /** Thrown into a command's future when the queue is full. */
    public static final class BusyException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        BusyException()
        {
            super("router command queue is full", null, false, false);
        }
    }

    /** Longest grace period {@link #handOff(long, Endpoint, long, HopKey)} takes: a day. */
    public static final long MAX_GRACE_NS = TimeUnit.DAYS.toNanos(1);

    private final int capacity;
    private volatile List<ManyToOneConcurrentArrayQueue<RouteCommand>> queues;
    private volatile JitterPool jitterPool;
    private volatile PacePool[] pacePools;
    private final AtomicLong rejected = new AtomicLong();
    private volatile Runnable[] onOffer;
    private volatile java.util.function.Consumer<RelaySocket> unclaimed = RouterProxy::closeQuietly;

    /**
     * @param capacity commands that may wait at once, per pipeline.
     */
    public RouterProxy(final int capacity)
    {
        this.capacity = capacity;
        pipelines(1);
    }

    /**
     * The one place that says which pipeline owns a stream (PROTOCOL.md section 11): for RTP the stream id is the
     * SSRC, so this is the SSRC mod N.
     *
     * @param streamId the stream id (or SSRC).
     * @param n        pipelines, 1 to 64.
     * @return the owner, 0 to n - 1.
     */
    public static int owner(final long streamId, final int n)
    {
        return Integer.remainderUnsigned((int)streamId, n);
    }

    /**
     * Make one bounded command queue per pipeline; before any command is offered (the data plane's context does it
     * when it concludes).
     *
     * @param n pipelines, 1 to 64.
     */
    public synchronized void pipelines(final int n)
    {
        final List<ManyToOneConcurrentArrayQueue<RouteCommand>> made = new ArrayList<>(n);
        final Runnable[] wakes = new Runnable[n];
        for (int k = 0; k < n; k++)
        {
            made.add(new ManyToOneConcurrentArrayQueue<>(capacity));
            wakes[k] = () -> { };
        }
        queues = List.copyOf(made);
        onOffer = wakes;
    }

    /**
     * @return pipelines the commands are dispatched over.
     */
    public int pipelines()
    {
        return queues.size();
    }

    ManyToOneConcurrentArrayQueue<RouteCommand> queue(final int pipeline)
    {
        return queues.get(pipeline);
    }

    /**
     * @param pool where routes' jitter buffers come from: taken here, on the asking thread, so the router never
     *             allocates one. One pool for the node (JITTER_MAX_HELD is node-wide): taking is locked, giving back
     *             is a many-to-one queue, so every pipeline gives to it.
     */
    public void jitterPool(final JitterPool pool)
    {
        jitterPool = pool;
    }

    /**
     * @param pools where paced routes' held datagrams go, one per pipeline: a route's memory is provisioned here, in
     *              its owner's pool, on the asking thread, so the router never allocates it.
     */
    public void pacePools(final PacePool[] pools)
    {
        pacePools = pools.clone();
    }

    /**
     * @param pipeline a pipeline.
     * @return its pacing pool, or null before the data plane set them.
     */
    public PacePool pacePool(final int pipeline)
    {
        final PacePool[] pools = pacePools;
        return pools == null ? null : pools[pipeline];
    }

    /**
     * @return where routes' jitter buffers come from, or null before the data plane set it.
     */
    public JitterPool jitterPool()
    {
        return jitterPool;
    }

    /**
     * @param spec new route; a handed-off route still forwarding under the same id is dropped for it (the stream came
     *             back to this node).
     * @return completes with OK, EXISTS or NODE_FULL.
     */
    public CompletableFuture<RouteCommand.Result> create(final RouteSpec spec)
    {
        return create(spec, null);
    }

    /**
     * Create a route with a relay port.
     *
     * @param spec  the route.
     * @param relay its relay port, bound; the router owns it from now on (and closes it when the route cannot be
     *              created), or null for none.
     * @return completes when the router has applied it.
     */
    public CompletableFuture<RouteCommand.Result> create(final RouteSpec spec, final RelaySocket relay)
    {
        final RouteCommand command = new RouteCommand.Create(spec, System.currentTimeMillis(), System.nanoTime());
        command.relay = relay;
        prepare(command, spec);
        return offer(command);
    }

    /**
     * @param spec replacement, same stream id.
     * @return completes with OK or NOT_FOUND (also for a handed-off route: it is no longer this node's).
     */
    public CompletableFuture<RouteCommand.Result> replace(final RouteSpec spec)
    {
        return replace(spec, null);
    }

    /**
     * Replace a route's spec; a route that keeps its return path keeps its relay port.
     *
     * @param spec  the new spec.
     * @param relay a relay port bound for a route that gains a return path, or null; the router owns it from now on
     *              (and closes it when it is not needed).
     * @return completes when the router has applied it.
     */
    public CompletableFuture<RouteCommand.Result> replace(final RouteSpec spec, final RelaySocket relay)
    {
        return replace(spec, relay, false);
    }

    /**
     * Replace a route's spec, and forget the port latched for its port-0 source when asked.
     *
     * @param spec        the new spec.
     * @param relay       a relay port bound for a route that gains a return path, or null; the router owns it from
     *                    now on (and closes it when it is not needed).
     * @param clearLatch  whether the latched port is forgotten ({@code "source_latched": null}): the next datagram
     *                    from the source's IP that may latch does.
     * @return completes when the router has applied it.
     */
    public CompletableFuture<RouteCommand.Result> replace(
        final RouteSpec spec, final RelaySocket relay, final boolean clearLatch)
    {
        return replace(spec, relay, clearLatch, null);
    }

    /**
     * Replace a route's spec, as {@link #replace(RouteSpec, RelaySocket, boolean)}, knowing what it was: a change
     * whose jitter buffer is the size the route already has takes none from the pool, so it never holds, even for a
     * moment, slots another route is waiting for. Should the route have no buffer after all (one restored without
     * room), the router answers JITTER_FULL and the caller may ask again without {@code previous}.
     *
     * @param spec       the new spec.
     * @param relay      a relay port bound for a route that gains a return path, or null.
     * @param clearLatch whether the latched port is forgotten.
     * @param previous   the route's spec as the caller read it, or null.
     * @return completes when the router has applied it.
     */
    public CompletableFuture<RouteCommand.Result> replace(
        final RouteSpec spec, final RelaySocket relay, final boolean clearLatch, final RouteSpec previous)
    {
        final RouteCommand command = new RouteCommand.Replace(spec, clearLatch);
        command.relay = relay;
        prepare(command, spec, !keepsJitterBuffer(previous, spec));
        return offer(command);
    }

    /**
     * @param previous a route's spec before a change, or null.
     * @param next     after it.
     * @return whether both have a jitter buffer of the same size, so the route keeps the one it has.
     */
    public static boolean keepsJitterBuffer(final RouteSpec previous, final RouteSpec next)
    {
        return previous != null && RouteTable.needsJitter(previous) && RouteTable.needsJitter(next) &&
            JitterBuffer.capacityFor(previous.jitterMs()) == JitterBuffer.capacityFor(next.jitterMs());
    }

    /**
     * @param streamId to remove.
     * @return completes with OK or NOT_FOUND (also for a handed-off route, which keeps forwarding).
     */
    public CompletableFuture<RouteCommand.Result> delete(final long streamId)
    {
        return offer(new RouteCommand.Delete(streamId));
    }

    /**
     * Put back a route the store holds for this node (after an outage at start-up). Nothing is written back. Like
     * {@link #create(RouteSpec)}, it takes the place of a handed-off route that is still forwarding.
     *
     * @param spec             the stored route.
     * @param createdAtEpochMs its stored creation time.
     * @param idleSinceNs      monotonic start of its idle clock.
     * @return completes with OK, EXISTS or NODE_FULL.
     */
    public CompletableFuture<RouteCommand.Result> restore(
        final RouteSpec spec, final long createdAtEpochMs, final long idleSinceNs)
    {
        return restore(spec, createdAtEpochMs, idleSinceNs, null, null);
    }

    /**
     * Put back a route from the store (a hand-off, a failover), with its relay port and latched source.
     *
     * @param spec             the route.
     * @param createdAtEpochMs when it was first created.
     * @param idleSinceNs      when its TTL starts.
     * @param relay            its relay port on this node, bound, or null; the router owns it from now on.
     * @param latched          the source address the previous owner latched, or null.
     * @return completes when the router has applied it.
     */
    public CompletableFuture<RouteCommand.Result> restore(
        final RouteSpec spec,
        final long createdAtEpochMs,
        final long idleSinceNs,
        final RelaySocket relay,
        final Endpoint latched)
    {
        return restore(spec, createdAtEpochMs, idleSinceNs, relay, latched, null, null, 0);
    }

    /**
     * Put back a route handed to this node by a live peer, which forwards the stream's datagrams here as HOP frames for
     * a while: the route takes HOP frames from that peer's relay address, signed with the hand-off's key, for
     * {@code hopWindowNs} from when the router applies the command, and from nobody else ever (PROTOCOL.md section 7).
     *
     * @param spec             the route.
     * @param createdAtEpochMs when it was first created.
     * @param idleSinceNs      when its TTL starts.
     * @param relay            its relay port on this node, bound, or null; the router owns it from now on.
     * @param latched          the source address the previous owner latched, or null.
     * @param hopFrom          the old node's relay address, or null when no hand-off comes in (a failover).
     * @param hopKey           the hand-off's key; required with {@code hopFrom}.
     * @param hopWindowNs      how long HOP frames are taken, 0 to {@link #MAX_GRACE_NS}.
     * @return completes when the router has applied it (an inbound hand-off applies to an existing route too).
     * @throws IllegalArgumentException when {@code hopFrom} comes without a key or the window is out of range.
     */
    public CompletableFuture<RouteCommand.Result> restore(
        final RouteSpec spec,
        final long createdAtEpochMs,
        final long idleSinceNs,
        final RelaySocket relay,
        final Endpoint latched,
        final Endpoint hopFrom,
        final HopKey hopKey,
        final long hopWindowNs)
    {
        if (hopFrom != null && (hopKey == null || hopWindowNs < 0 || hopWindowNs > MAX_GRACE_NS))
        {
            throw new IllegalArgumentException("an inbound hand-off needs a key and a window of 0 to " + MAX_GRACE_NS +
                " ns");
        }
        final RouteCommand.Restore command = new RouteCommand.Restore(spec, createdAtEpochMs, idleSinceNs);
        command.relay = relay;
        command.latched = latched;
        if (hopFrom != null)
        {
            command.hopFrom = hopFrom;
            command.hopKey = hopKey;
            command.graceNs = hopWindowNs;
        }
        prepare(command, spec); // no jitter buffer left: the route is restored unbuffered rather than lost
        return offer(command);
    }

    /**
     * The stream moved to another node (the store already names it the owner): the route leaves this node's table as
     * the control plane sees it and stops relaying; for {@code graceNs} its datagrams are forwarded to the new node as
     * HOP frames, then it is dropped. What its jitter buffer holds is first sent to its targets. Nothing is written
     * to the journal. On a route already forwarding, the target and the deadline move.
     *
     * @param streamId         the stream handed over.
     * @param newNodeRelayAddr the new node's relay address.
     * @param graceNs          how long to forward, from when the router applies the command: MIGRATION_GRACE_SECONDS
     *                         in nanoseconds, 0 to {@link #MAX_GRACE_NS}.
     * @param key              the hand-off's key, which signs every HOP frame sent to the new node.
     * @return completes with OK (and the entry) or NOT_FOUND.
     * @throws NullPointerException     when the address or the key is null.
     * @throws IllegalArgumentException when the grace period is out of range.
     */
    public CompletableFuture<RouteCommand.Result> handOff(
        final long streamId, final Endpoint newNodeRelayAddr, final long graceNs, final HopKey key)
    {
        if (newNodeRelayAddr == null)
        {
            throw new NullPointerException("newNodeRelayAddr");
        }
        if (key == null)
        {
            throw new NullPointerException("key");
        }
        if (graceNs < 0 || graceNs > MAX_GRACE_NS)
        {
            throw new IllegalArgumentException("grace of " + graceNs + " ns is outside 0 to " + MAX_GRACE_NS + " ns");
        }
        return offer(RouteCommand.handOff(streamId, newNodeRelayAddr, graceNs, key));
    }

    /**
     * Another node owns the stream now (found in the store, e.g. after a partition): drop the route here, relaying or
     * forwarding, without writing anything to the journal.
     *
     * @param streamId to drop.
     * @return completes with OK or NOT_FOUND.
     */
    public CompletableFuture<RouteCommand.Result> relinquish(final long streamId)
    {
        return offer(new RouteCommand.Relinquish(streamId));
    }

    /**
     * @return commands refused because the queue was full.
     */
    public long rejected()
    {
        return rejected.get();
    }

    /**
     * @param release frees a relay port the router never took because its command did not fit in the queue.
     */
    public void onUnclaimed(final java.util.function.Consumer<RelaySocket> release)
    {
        unclaimed = release;
    }

    private static void closeQuietly(final RelaySocket socket)
    {
        try
        {
            socket.close();
        }
        catch (final java.io.IOException ignore)
        {
            // nothing else holds it
        }
    }

    /**
     * @param pipeline the pipeline whose commands wake it.
     * @param wakeup   run after each command is queued to that pipeline, to wake its router thread that sleeps in the
     *                 kernel.
     */
    public void onOffer(final int pipeline, final Runnable wakeup)
    {
        onOffer[pipeline] = wakeup;
    }

    /**
     * What the route's spec asks of the data plane's memory, had here so the router allocates none: the pacing pool's
     * places for a paced route, provisioned; a jitter buffer from the pool when the route asks for one (jitter_ms
     * without pacing: a pacer does the buffer's job).
     *
     * The jitter buffer goes in {@code command.jitter}; null when the route needs none, and null too when the pool
     * has none left: the router decides what that means.
     */
    private void prepare(final RouteCommand command, final RouteSpec spec)
    {
        prepare(command, spec, true);
    }

    private void prepare(final RouteCommand command, final RouteSpec spec, final boolean takeJitter)
    {
        final PacePool paced = pacePool(owner(spec.streamId(), queues.size()));
        if (paced != null && spec.paceMs() > 0)
        {
            // Its places' memory, before the router needs them.
            command.pacePlaces = Pacer.capacityFor(spec.paceMs(), spec.jitterMs());
            paced.provision(command.pacePlaces);
        }
        final JitterPool pool = jitterPool;
        if (takeJitter && pool != null && RouteTable.needsJitter(spec))
        {
            command.jitter = pool.take(spec.jitterMs(), TimeUnit.MILLISECONDS.toNanos(spec.jitterMs()));
        }
    }

    private CompletableFuture<RouteCommand.Result> offer(final RouteCommand command)
    {
        final int pipeline = owner(command.streamId, queues.size());
        if (!queues.get(pipeline).offer(command))
        {
            rejected.incrementAndGet();
            if (command.jitter != null)
            {
                jitterPool.give(command.jitter); // the router never saw it, nor anything it held
            }
            if (command.pacePlaces > 0)
            {
                pacePool(pipeline).applied(command.pacePlaces);
            }
            if (command.relay != null)
            {
                unclaimed.accept(command.relay); // the router never saw it: free its port now
            }
            command.result.completeExceptionally(new BusyException());
        }
        else
        {
            onOffer[pipeline].run();
        }
        return command.result;
    }
}
