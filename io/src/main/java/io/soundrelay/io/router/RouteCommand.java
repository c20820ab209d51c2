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
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.io.jitter.JitterBuffer;
import io.soundrelay.io.socket.RelaySocket;

import java.util.concurrent.CompletableFuture;

/**
 * A change to the route table, asked of the router thread by another thread through {@link RouterProxy}: made on the
 * asking thread (control plane), applied on the router thread as a typed call on the {@link RouteTable}
 * ({@link #applyTo(RouteTable)}), and answered there. One subclass per change.
 */
public abstract class RouteCommand
{
    /** How it went. */
    public enum Outcome
    {
        OK, EXISTS, NOT_FOUND, NODE_FULL,
        /** CREATE or REPLACE needs a jitter buffer and the node's JITTER_MAX_HELD slots are reserved: not applied. */
        JITTER_FULL
    }

    /** The answer: an outcome, the entry concerned (null when there is none) and where the change was kept. */
    public static final class Result
    {
        private final Outcome outcome;
        private final RouteEntry entry;
        private final Durability durability;

        Result(final Outcome outcome, final RouteEntry entry, final Durability durability)
        {
            this.outcome = outcome;
            this.entry = entry;
            this.durability = durability;
        }

        public Outcome outcome()
        {
            return outcome;
        }

        public RouteEntry entry()
        {
            return entry;
        }

        /**
         * @return where the journal kept the change; null when nothing changed (or for a restore).
         */
        public Durability durability()
        {
            return durability;
        }
    }

    final long streamId;
    final CompletableFuture<Result> result = new CompletableFuture<>();
    /** A relay port bound for the route (create, restore, replace), or null; the router owns it from now on. */
    RelaySocket relay;
    /**
     * A jitter buffer taken from the node's pool for the route (create, restore, replace with jitter_ms and no
     * pacing), or null when it needs none or the pool had none; the router owns it from now on and gives it back if
     * unused.
     */
    JitterBuffer jitter;
    /** Places the pacing pool was provisioned for this command's paced route (0 for none); taken off once applied. */
    int pacePlaces;

    RouteCommand(final long streamId)
    {
        this.streamId = streamId;
    }

    /**
     * Apply the change. Router thread only.
     *
     * @param table the router's route table.
     */
    abstract void applyTo(RouteTable table);

    /**
     * @return the command's jitter buffer, now the route's: the command no longer gives it back.
     */
    final JitterBuffer takeJitter()
    {
        final JitterBuffer taken = jitter;
        jitter = null;
        return taken;
    }

    /**
     * @return completes on the router thread once the command is applied.
     */
    public final CompletableFuture<Result> result()
    {
        return result;
    }

    /**
     * @param streamId         the stream handed over.
     * @param newNodeRelayAddr the new node's relay address.
     * @param graceNs          how long to forward.
     * @param key              the hand-off's key.
     * @return a hand-off command.
     */
    static RouteCommand handOff(
        final long streamId, final Endpoint newNodeRelayAddr, final long graceNs, final HopKey key)
    {
        return new HandOff(streamId, newNodeRelayAddr, graceNs, key);
    }

    /** A new route; a handed-off route still forwarding under the same id is dropped for it. */
    static class Create extends RouteCommand
    {
        final RouteSpec spec;
        final long nowEpochMs;
        final long idleSinceNs;
        /** A latched source the route arrives with (restore of a handed-off route), or null. */
        Endpoint latched;
        /** Restore of a handed-off route: the old node's relay address, whose HOP frames the route takes; or null. */
        Endpoint hopFrom;
        /** The inbound hand-off's key, or null. */
        HopKey hopKey;
        /** How long the inbound hand-off's HOP frames are taken, from when the router applies the command. */
        long graceNs;

        Create(final RouteSpec spec, final long nowEpochMs, final long idleSinceNs)
        {
            super(spec.streamId());
            this.spec = spec;
            this.nowEpochMs = nowEpochMs;
            this.idleSinceNs = idleSinceNs;
        }

        @Override
        void applyTo(final RouteTable table)
        {
            table.onCreate(this);
        }
    }

    /** Put back a route the store already holds for this node: like a create, but nothing is written back. */
    static final class Restore extends Create
    {
        Restore(final RouteSpec spec, final long createdAtEpochMs, final long idleSinceNs)
        {
            super(spec, createdAtEpochMs, idleSinceNs);
        }

        @Override
        void applyTo(final RouteTable table)
        {
            table.onRestore(this);
        }
    }

    /** A new spec for a route, same stream id. */
    static final class Replace extends RouteCommand
    {
        final RouteSpec spec;
        /** Forget the port latched for a port-0 source ({@code "source_latched": null}). */
        final boolean clearLatch;

        Replace(final RouteSpec spec, final boolean clearLatch)
        {
            super(spec.streamId());
            this.spec = spec;
            this.clearLatch = clearLatch;
        }

        @Override
        void applyTo(final RouteTable table)
        {
            table.onReplace(this);
        }
    }

    /** Remove a route. */
    static final class Delete extends RouteCommand
    {
        Delete(final long streamId)
        {
            super(streamId);
        }

        @Override
        void applyTo(final RouteTable table)
        {
            table.onDelete(this);
        }
    }

    /**
     * The stream moved to another node: forward its datagrams to that node's relay address as HOP frames for a
     * grace period, then drop the route. Nothing is written back (the store already names the new owner).
     */
    static final class HandOff extends RouteCommand
    {
        final Endpoint target;
        final long graceNs;
        final HopKey key;

        HandOff(final long streamId, final Endpoint target, final long graceNs, final HopKey key)
        {
            super(streamId);
            this.target = target;
            this.graceNs = graceNs;
            this.key = key;
        }

        @Override
        void applyTo(final RouteTable table)
        {
            table.onHandOff(this);
        }
    }

    /** Another node owns the stream now: drop the route here. Nothing is written back. */
    static final class Relinquish extends RouteCommand
    {
        Relinquish(final long streamId)
        {
            super(streamId);
        }

        @Override
        void applyTo(final RouteTable table)
        {
            table.onRelinquish(this);
        }
    }
}
