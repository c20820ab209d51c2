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
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.jitter.JitterBuffer;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.pace.Pacer;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The router's route table, as Aeron's receiver keeps its images: the routes by stream id, changed only by the
 * {@link RouteCommand}s the router thread applies (one typed method each), by the preload at start-up and by the
 * sweep that expires idle routes and ends hand-offs. Each change gives a {@link Route} what its spec asks of the data
 * plane (delivery, relay port, room) and answers its command once the journal has kept it. Router thread only.
 */
final class RouteTable
{
    private static final Logger LOG = LoggerFactory.getLogger(RouteTable.class);

    /**
     * A handed-off route whose source sent nothing to this node for this long has moved on (PROTOCOL.md section 12: a
     * drain waits for every migrated route's source to go quiet for 2 s).
     */
    static final long FORWARD_QUIET_NS = TimeUnit.SECONDS.toNanos(2);

    private final Long2ObjectHashMap<Route> routes = new Long2ObjectHashMap<>();
    private volatile int forwardingBusy;
    private final RouterParts parts;
    private final RelayPortTable relayPorts;
    private final RouteRegistry registry;
    private final RouteJournal journal;
    private final MixerLink mixer;
    private final RelayCounters counters;
    private final int maxRoutes;
    private final long ttlNs;
    private final long refreshIntervalNs;

    RouteTable(
        final RouterParts parts,
        final RelayPortTable relayPorts,
        final RouteRegistry registry,
        final RouteJournal journal,
        final MixerLink mixer,
        final int maxRoutes,
        final long ttlNs,
        final long refreshIntervalNs)
    {
        this.parts = parts;
        this.relayPorts = relayPorts;
        this.registry = registry;
        this.journal = journal;
        this.mixer = mixer;
        this.counters = parts.counters;
        this.maxRoutes = maxRoutes;
        this.ttlNs = ttlNs;
        this.refreshIntervalNs = refreshIntervalNs;
    }

    /**
     * @return true when the route asks for a jitter buffer: jitter_ms without pacing (a pacer does the buffer's job).
     */
    static boolean needsJitter(final RouteSpec spec)
    {
        return spec.paceMs() == 0 && spec.jitterMs() > 0;
    }

    /**
     * @param streamId a stream id.
     * @return its route, or null.
     */
    Route get(final long streamId)
    {
        return routes.get(streamId);
    }

    /**
     * @return routes in the table, handed-off routes still forwarding included.
     */
    int size()
    {
        return routes.size();
    }

    void onCreate(final RouteCommand.Create command)
    {
        add(command, true);
    }

    void onRestore(final RouteCommand.Restore command)
    {
        add(command, false); // a restore goes on unbuffered rather than be lost, and writes nothing back
    }

    private void add(final RouteCommand.Create command, final boolean create)
    {
        RouteCommand.Outcome outcome = RouteCommand.Outcome.OK;
        RouteEntry entry = null;
        RouteJournal.Change change = null;
        RelaySocket unused = command.relay; // the command's relay port, until a route takes it
        Route route = routes.get(command.streamId);
        if (route != null && route.entry().isForwarding())
        {
            routes.remove(command.streamId); // the stream came back: stop forwarding, relay it here again
            detach(route);
            route = null;
        }
        if (route != null)
        {
            outcome = RouteCommand.Outcome.EXISTS;
            entry = route.entry();
            expectHandOff(route, command);
        }
        else if (!reserveRoute())
        {
            outcome = RouteCommand.Outcome.NODE_FULL;
        }
        else if (create && needsJitter(command.spec) && command.jitter == null)
        {
            parts.nodeRoutes.decrementAndGet(); // the place reserved goes back
            outcome = RouteCommand.Outcome.JITTER_FULL;
        }
        else
        {
            entry = new RouteEntry(command.spec, command.nowEpochMs, command.idleSinceNs);
            route = attach(entry, unused, command.latched, command.takeJitter()); // in the place reserved
            routes.put(command.streamId, route);
            unused = null;
            expectHandOff(route, command);
            registry.publish(entry);
            change = create ? RouteJournal.Change.CREATED : null;
        }
        finish(command, outcome, entry, change, unused);
    }

    void onReplace(final RouteCommand.Replace command)
    {
        final Route route = routes.get(command.streamId);
        if (route == null || route.entry().isForwarding())
        {
            // a handed-off route is not this node's to change
            finish(command, RouteCommand.Outcome.NOT_FOUND, null, null, command.relay);
        }
        else if (needsNewJitter(route, command.spec) && command.jitter == null)
        {
            finish(command, RouteCommand.Outcome.JITTER_FULL, null, null, command.relay); // nothing of the PUT applied
        }
        else
        {
            final RouteEntry entry = route.entry();
            final RouteSpec old = entry.spec();
            entry.replaceSpec(command.spec);
            final RelaySocket unused = reattach(route, old, command);
            if (command.clearLatch)
            {
                route.sourceFor(command.spec, null); // the next sender latches
            }
            finish(command, RouteCommand.Outcome.OK, entry, RouteJournal.Change.REPLACED, unused);
        }
    }

    void onDelete(final RouteCommand.Delete command)
    {
        final Route route = routes.get(command.streamId);
        if (route == null || route.entry().isForwarding())
        {
            // a handed-off route is not this node's: it forwards on
            finish(command, RouteCommand.Outcome.NOT_FOUND, null, null, null);
            return;
        }
        routes.remove(command.streamId);
        detach(route);
        registry.withdraw(command.streamId);
        finish(command, RouteCommand.Outcome.OK, route.entry(), RouteJournal.Change.DELETED, null);
    }

    void onHandOff(final RouteCommand.HandOff command)
    {
        final Route route = routes.get(command.streamId);
        if (route == null)
        {
            finish(command, RouteCommand.Outcome.NOT_FOUND, null, null, null);
            return;
        }
        handOff(route, command.target, parts.clock.nanoTime() + command.graceNs, command.key);
        finish(command, RouteCommand.Outcome.OK, route.entry(), null, null);
    }

    void onRelinquish(final RouteCommand.Relinquish command)
    {
        final Route route = routes.remove(command.streamId);
        if (route == null)
        {
            finish(command, RouteCommand.Outcome.NOT_FOUND, null, null, null);
            return;
        }
        if (!route.entry().isForwarding()) // a forwarding route already left its room and the registry
        {
            registry.withdraw(command.streamId);
        }
        detach(route);
        finish(command, RouteCommand.Outcome.OK, route.entry(), null, null);
    }

    /**
     * Give back what the command brought and the route did not take, and answer it: at once, or, for a change the
     * store must learn, once the journal has kept it (written, or queued while the store is away). The journal never
     * blocks this thread, and completes the future from its own.
     */
    private void finish(
        final RouteCommand command,
        final RouteCommand.Outcome outcome,
        final RouteEntry entry,
        final RouteJournal.Change change,
        final RelaySocket unused)
    {
        if (unused != null)
        {
            relayPorts.discard(unused); // never attached: the receiver closes it and frees its port
        }
        final JitterBuffer jitter = command.takeJitter();
        if (jitter != null)
        {
            parts.jitterPool.give(jitter); // not needed (refused, or the route kept its buffer): it never held one
        }
        if (command.pacePlaces > 0)
        {
            parts.pacePool.applied(command.pacePlaces); // its pacer, if made, counts in the paced capacity now
        }
        if (change == null)
        {
            command.result.complete(new RouteCommand.Result(outcome, entry, null));
            return;
        }
        final CompletableFuture<Durability> kept = journal.record(change, entry);
        kept.whenComplete((durability, error) ->
        {
            if (error != null)
            {
                command.result.completeExceptionally(error);
            }
            else
            {
                command.result.complete(new RouteCommand.Result(outcome, entry, durability));
            }
        });
    }

    /**
     * A restore that names an inbound hand-off: from now until its window closes, the route takes HOP frames from that
     * peer, signed with that key (and from nobody else).
     */
    private void expectHandOff(final Route route, final RouteCommand.Create command)
    {
        if (command.hopFrom != null)
        {
            route.expectHandOff(command.hopFrom, command.hopKey, parts.clock.nanoTime() + command.graceNs);
        }
    }

    /**
     * Hand a route to another node: what its jitter buffer holds leaves first, in order, to its targets; it leaves its
     * room and the registry, and from now on forwards to the new node until the deadline (its relay port stays open
     * and forwards too). What its pacer holds goes to the new node, in order, and is paced there. A route already
     * forwarding only moves its target and deadline.
     */
    private void handOff(final Route route, final Endpoint target, final long untilNs, final HopKey key)
    {
        final RouteEntry entry = route.entry();
        route.hopKey(key); // before anything held leaves for the new node
        if (entry.isForwarding())
        {
            entry.forwardTo(target, untilNs);
            return;
        }
        route.dropJitter(true);
        if (mixer != null && entry.spec().roomCode() != null)
        {
            mixer.leave(entry.streamId());
        }
        registry.withdraw(entry.streamId());
        entry.forwardTo(target, untilNs);
        // The new node anchors on the first and spaces the rest by their timestamps, so the stream's clock continues.
        route.dropPacer(true);
    }

    /**
     * Put a route in the table before the router starts (routes loaded from the store at start-up): not on the
     * data-plane thread. Without room for its jitter buffer it relays unbuffered.
     *
     * @param entry the restored route.
     * @param relay its relay port, bound, or null.
     */
    void preload(final RouteEntry entry, final RelaySocket relay)
    {
        final RouteSpec spec = entry.spec();
        final JitterBuffer jitter = needsJitter(spec) ?
            parts.jitterPool.take(spec.jitterMs(), TimeUnit.MILLISECONDS.toNanos(spec.jitterMs())) : null;
        final int pacePlaces = spec.paceMs() > 0 ? Pacer.capacityFor(spec.paceMs(), spec.jitterMs()) : 0;
        if (pacePlaces > 0)
        {
            parts.pacePool.provision(pacePlaces);
        }
        routes.put(entry.streamId(), attach(entry, relay, entry.sourceLatched(), jitter));
        parts.nodeRoutes.incrementAndGet(); // restored routes are all kept, over MAX_STREAMS_PER_NODE too
        if (pacePlaces > 0)
        {
            parts.pacePool.applied(pacePlaces); // its pacer counts now
        }
        registry.publish(entry);
    }

    /**
     * A new route and what its spec asks of the data plane: its delivery (pacer, jitter buffer, or direct), its
     * source, its relay port, a place in its mixer room.
     *
     * @param jitter the route's jitter buffer from the pool, or null: for a route that asks for one, only a restore
     *               (the route relays unbuffered rather than be lost).
     */
    private Route attach(
        final RouteEntry entry, final RelaySocket relay, final Endpoint latched, final JitterBuffer jitter)
    {
        final RouteSpec spec = entry.spec();
        final Route route = new Route(entry, parts);
        if (spec.paceMs() > 0)
        {
            route.usePacer(spec); // pacing does the jitter buffer's job too: jitter_ms becomes its playout delay
        }
        else
        {
            route.useJitter(spec.jitterMs() > 0 ? jitter : null, spec.jitterMs());
            if (spec.jitterMs() > 0 && jitter == null)
            {
                LOG.warn("route {} relays without its jitter buffer: JITTER_MAX_HELD={} slots are all reserved",
                    spec.streamIdText(), parts.jitterPool.maxHeld());
            }
        }
        route.sourceFor(spec, latched != null && spec.source().matchesAddress(latched.ipv6MappedAddress()) ?
            latched : null);
        if (relay != null)
        {
            relayPorts.attach(route, relay);
        }
        if (mixer != null && spec.roomCode() != null)
        {
            mixer.join(spec);
        }
        return route;
    }

    /**
     * A route's spec was replaced: its delivery follows (datagrams the buffer or pacer held leave in order, to the
     * new targets, when it goes or changes size), its source, its relay port (kept, taken or freed), its room.
     *
     * @return the relay port given with the command if the route did not take it, else null.
     */
    private RelaySocket reattach(final Route route, final RouteSpec old, final RouteCommand.Replace command)
    {
        final RouteSpec spec = command.spec;
        if (spec.paceMs() > 0)
        {
            route.dropJitter(true); // what the jitter buffer held leaves in order; the pacer takes its job
            route.usePacer(spec);
        }
        else
        {
            route.dropPacer(true); // pacing off: what it held leaves now, in order
            rebuffer(route, spec, command);
        }

        if (!spec.source().equals(old.source()) || spec.latchesSourcePort() != old.latchesSourcePort())
        {
            final Endpoint latched = route.source();
            route.sourceFor(spec, latched != null && spec.latchesSourcePort() &&
                spec.source().matchesAddress(latched.ipv6MappedAddress()) ? latched : null);
        }

        RelaySocket unused = command.relay;
        if (spec.returnPath() && route.relay() == null && unused != null)
        {
            relayPorts.attach(route, unused);
            unused = null;
        }
        else if (!spec.returnPath())
        {
            relayPorts.detach(route);
        }

        if (mixer != null)
        {
            if (spec.roomCode() != null)
            {
                mixer.join(spec);
            }
            else if (old.roomCode() != null)
            {
                mixer.leave(spec.streamId());
            }
        }
        return unused;
    }

    /**
     * An unpaced route's jitter buffer after a PUT: resized, retimed, made (from the command's, taken from the pool
     * before the command came) or dropped (its slots back to the pool).
     */
    private static void rebuffer(final Route route, final RouteSpec spec, final RouteCommand command)
    {
        final JitterBuffer buffer = route.jitterBuffer();
        if (spec.jitterMs() == 0)
        {
            route.dropJitter(true);
            route.useJitter(null, 0);
        }
        else if (buffer == null)
        {
            route.useJitter(command.takeJitter(), spec.jitterMs());
        }
        else if (route.jitterMs() != spec.jitterMs())
        {
            if (JitterBuffer.capacityFor(spec.jitterMs()) == buffer.capacity())
            {
                route.retimeJitter(spec.jitterMs());
            }
            else
            {
                route.dropJitter(true);
                route.useJitter(command.takeJitter(), spec.jitterMs());
            }
        }
    }

    /**
     * @return true when a PUT of {@code spec} would need a jitter buffer the route does not have (none, or one of
     * another size).
     */
    private static boolean needsNewJitter(final Route route, final RouteSpec spec)
    {
        return needsJitter(spec) && (route.jitterBuffer() == null ||
            JitterBuffer.capacityFor(spec.jitterMs()) != route.jitterBuffer().capacity());
    }

    /**
     * Take a place for a new route in the node's count, all pipelines together, unless MAX_STREAMS_PER_NODE are
     * there: a compare-and-set, so two pipelines creating at once never both take the last place.
     *
     * @return whether a place was taken.
     */
    private boolean reserveRoute()
    {
        int count;
        do
        {
            count = parts.nodeRoutes.get();
            if (count >= maxRoutes)
            {
                return false;
            }
        }
        while (!parts.nodeRoutes.compareAndSet(count, count + 1));
        return true;
    }

    /**
     * A route is gone (deleted, expired, relinquished, or at the end of its hand-off's grace): what its jitter buffer
     * or pacer held is dropped with it, its relay port is closed, and it leaves its room.
     */
    private void detach(final Route route)
    {
        parts.nodeRoutes.decrementAndGet();
        route.close();
        relayPorts.detach(route);
        final RouteEntry entry = route.entry();
        if (mixer != null && entry.spec().roomCode() != null && !entry.isForwarding())
        {
            mixer.leave(entry.streamId());
        }
    }

    /**
     * Expire routes nobody sent on for the TTL, and ask the journal to extend the expiry of routes that saw datagrams
     * since their last refresh (at most once per refresh interval); drop handed-off routes whose grace period is over
     * (and close their relay ports). Once a second on the router's duty cycle: no timer per route, no allocation.
     *
     * @param nowNs monotonic now.
     * @return routes expired or refreshed.
     */
    int sweep(final long nowNs)
    {
        int work = 0;
        int busy = 0;
        final Iterator<Route> it = routes.values().iterator();
        while (it.hasNext())
        {
            final Route route = it.next();
            final RouteEntry entry = route.entry();
            if (entry.isForwarding())
            {
                // Handed off: no TTL and no refresh, the store names another owner; gone at its grace deadline,
                // silently (it left the registry when it was handed off).
                if (nowNs - entry.hopUntilNs() >= 0)
                {
                    it.remove();
                    detach(route);
                    work++;
                }
                else if (entry.lastSeenNs() != RouteEntry.NEVER && nowNs - entry.lastSeenNs() < FORWARD_QUIET_NS)
                {
                    busy++;
                }
                continue;
            }
            final long seen = entry.lastSeenNs();
            final long idleSince = seen == RouteEntry.NEVER || seen - entry.idleSinceNs() < 0 ?
                entry.idleSinceNs() : seen;
            if (nowNs - idleSince >= ttlNs)
            {
                it.remove();
                detach(route);
                registry.withdraw(entry.streamId());
                counters.addExpired(1);
                journal.record(RouteJournal.Change.EXPIRED, entry);
                work++;
            }
            else if (seen != RouteEntry.NEVER && seen - entry.refreshedNs() > 0 &&
                nowNs - entry.refreshedNs() >= refreshIntervalNs && journal.refresh(entry))
            {
                entry.refreshedAt(nowNs);
                work++;
            }
        }
        forwardingBusy = busy;
        return work;
    }

    /**
     * @return handed-off routes whose source still sent to this node within {@link #FORWARD_QUIET_NS}, as of the last
     * {@link #sweep}: a drain waits for none. Any thread.
     */
    int forwardingBusy()
    {
        return forwardingBusy;
    }
}
