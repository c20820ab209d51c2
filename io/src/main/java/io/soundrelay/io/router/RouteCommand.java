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
 * A change to the route table, asked of the router thread by another thread. Made on the asking thread (control
 * plane), applied and answered on the router thread.
 */
public final class RouteCommand
{
    /** What to do. */
    public enum Type
    {
        CREATE, REPLACE, DELETE,
        /** Put back a route the store already holds for this node: like CREATE, but nothing is written back. */
        RESTORE,
        /**
         * The stream moved to another node: forward its datagrams to that node's relay address as HOP frames for a
         * grace period, then drop the route. Nothing is written back (the store already names the new owner).
         */
        HANDOFF,
        /** Another node owns the stream now: drop the route here. Nothing is written back. */
        RELINQUISH
    }

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

    final Type type;
    final long streamId;
    final RouteSpec spec;
    final long nowEpochMs;
    final long idleSinceNs;
    /** HANDOFF: the new node's relay address; null otherwise. */
    final Endpoint hopTarget;
    /**
     * HANDOFF: how long to forward, from when the router applies the command; RESTORE with {@link #hopFrom}: how long
     * the inbound hand-off's HOP frames are taken.
     */
    final long graceNs;
    /** HANDOFF: the key that signs the HOP frames to the new node; RESTORE: the inbound hand-off's key, or null. */
    final HopKey hopKey;
    /** RESTORE of a handed-off route: the old node's relay address, whose HOP frames the route takes; or null. */
    Endpoint hopFrom;
    /** A relay port bound for the route (CREATE, RESTORE, REPLACE), or null; the router owns it from now on. */
    RelaySocket relay;
    /**
     * A jitter buffer taken from the node's pool for the route (CREATE, RESTORE, REPLACE with jitter_ms and no pacing),
     * or null when it needs none or the pool had none; the router owns it from now on and gives it back if unused.
     */
    JitterBuffer jitter;
    /** Places the pacing pool was provisioned for this command's paced route (0 for none); taken off once applied. */
    int pacePlaces;
    /** A latched source the route arrives with (RESTORE of a handed-off route), or null. */
    Endpoint latched;
    /** REPLACE: forget the port latched for a port-0 source ({@code "source_latched": null}). */
    boolean clearLatch;
    final CompletableFuture<Result> result = new CompletableFuture<>();

    RouteCommand(final Type type, final long streamId, final RouteSpec spec, final long nowEpochMs)
    {
        this(type, streamId, spec, nowEpochMs, System.nanoTime());
    }

    RouteCommand(
        final Type type, final long streamId, final RouteSpec spec, final long nowEpochMs, final long idleSinceNs)
    {
        this(type, streamId, spec, nowEpochMs, idleSinceNs, null, 0, null);
    }

    RouteCommand(
        final Type type,
        final long streamId,
        final RouteSpec spec,
        final long nowEpochMs,
        final long idleSinceNs,
        final Endpoint hopTarget,
        final long graceNs,
        final HopKey hopKey)
    {
        this.hopKey = hopKey;
        this.type = type;
        this.streamId = streamId;
        this.spec = spec;
        this.nowEpochMs = nowEpochMs;
        this.idleSinceNs = idleSinceNs;
        this.hopTarget = hopTarget;
        this.graceNs = graceNs;
    }

    /**
     * @param streamId         the stream handed over.
     * @param newNodeRelayAddr the new node's relay address.
     * @param graceNs          how long to forward.
     * @return a HANDOFF command.
     */
    static RouteCommand handOff(
        final long streamId, final Endpoint newNodeRelayAddr, final long graceNs, final HopKey key)
    {
        return new RouteCommand(Type.HANDOFF, streamId, null, System.currentTimeMillis(), System.nanoTime(),
            newNodeRelayAddr, graceNs, key);
    }

    /**
     * @return completes on the router thread once the command is applied.
     */
    public CompletableFuture<Result> result()
    {
        return result;
    }
}
