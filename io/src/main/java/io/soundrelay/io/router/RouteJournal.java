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

import io.soundrelay.core.route.RouteEntry;

import java.util.concurrent.CompletableFuture;

/**
 * Where the router reports route changes so they outlive the process (Redis, in the node). Called on the router
 * thread when a command is applied or a route expires, never per datagram; an implementation must not block: it
 * hands the change to its own thread through a bounded queue and answers through the future.
 */
public interface RouteJournal
{
    /** What happened to a route. */
    enum Change
    {
        CREATED, REPLACED, DELETED, EXPIRED
    }

    /** A journal that keeps nothing: routes live in memory only. */
    RouteJournal MEMORY_ONLY = new RouteJournal()
    {
        private final CompletableFuture<Durability> done = CompletableFuture.completedFuture(Durability.MEMORY_ONLY);

        public CompletableFuture<Durability> record(final Change change, final RouteEntry entry)
        {
            return done;
        }

        public boolean refresh(final RouteEntry entry)
        {
            return true;
        }
    };

    /**
     * Record a change. Router thread only; must not block.
     *
     * @param change what happened.
     * @param entry  the route (for a delete or expiry, as it was).
     * @return completes when the change is durable, queued, or refused; never completes exceptionally.
     */
    CompletableFuture<Durability> record(Change change, RouteEntry entry);

    /**
     * Datagrams flowed on a route since its last refresh: extend its expiry in the store. Router thread only, at most
     * once a second per route; must not block.
     *
     * @param entry the route.
     * @return false when it could not be taken now; the router asks again on a later sweep.
     */
    boolean refresh(RouteEntry entry);
}
