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

import io.soundrelay.io.pace.DeadlineHeap;

import java.util.Arrays;

/**
 * The router's one deadline scheduler, for jitter buffers and pacers alike: each route has a small id, and the
 * {@link DeadlineHeap} holds the routes whose buffer or pacer holds datagrams, by the time the next of them is due.
 * Router thread only; ids are given and taken back on the command path, where the arrays may grow.
 */
final class RouteTimers
{
    private final DeadlineHeap heap = new DeadlineHeap(64);
    private Route[] routes = new Route[64];
    private int[] freeIds = new int[64];
    private int freeIdCount;
    private int nextId;

    /**
     * @param route a new route: it gets an id. Command path: may allocate.
     * @return its id.
     */
    int register(final Route route)
    {
        final int id = freeIdCount > 0 ? freeIds[--freeIdCount] : nextId++;
        if (id >= routes.length)
        {
            routes = Arrays.copyOf(routes, routes.length * 2);
            freeIds = Arrays.copyOf(freeIds, routes.length);
        }
        heap.ensureIds(routes.length);
        routes[id] = route;
        return id;
    }

    /**
     * @param id a route's id, given back: the route is gone.
     */
    void unregister(final int id)
    {
        heap.remove(id);
        routes[id] = null;
        freeIds[freeIdCount++] = id;
    }

    /**
     * @param id         a route's id.
     * @param deadlineNs when its next held datagram is due.
     */
    void schedule(final int id, final long deadlineNs)
    {
        heap.set(id, deadlineNs);
    }

    /**
     * @param id a route's id: it holds nothing now.
     */
    void cancel(final int id)
    {
        heap.remove(id);
    }

    /**
     * @param nowNs monotonic now.
     * @return whether a route's next datagram is due.
     */
    boolean isDue(final long nowNs)
    {
        return !heap.isEmpty() && nowNs - heap.peekDeadline() >= 0;
    }

    /**
     * Let every route with something due release it, earliest first; each reschedules itself. A route is polled at
     * most once a call (a buffer that still had something due would wait for the next duty cycle, never spin here).
     *
     * @param nowNs monotonic now.
     * @return datagrams released.
     */
    int poll(final long nowNs)
    {
        int released = 0;
        int budget = heap.size();
        while (budget-- > 0 && !heap.isEmpty() && heap.peekDeadline() - nowNs <= 0)
        {
            released += routes[heap.peekId()].onTimer(nowNs);
        }
        return released;
    }

    /**
     * @return the earliest deadline, or {@link Long#MAX_VALUE} when no route holds anything.
     */
    long nextDeadlineNs()
    {
        return heap.isEmpty() ? Long.MAX_VALUE : heap.peekDeadline();
    }

    /**
     * Every route that holds datagrams sends them now, in order (a graceful stop).
     */
    void releaseAll()
    {
        while (!heap.isEmpty())
        {
            routes[heap.peekId()].releaseHeld();
        }
    }
}
