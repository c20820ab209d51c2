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

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The routes as the control plane sees them, ordered by unsigned stream id for paging. Written only by the router
 * thread when it applies a command (never per datagram; with several pipelines, each stream by its owner's router,
 * into one concurrent map), read by any thread: the API never reaches into the router's own hot-path map.
 */
public final class RouteRegistry
{
    private final ConcurrentSkipListMap<Long, RouteEntry> routes = new ConcurrentSkipListMap<>(Long::compareUnsigned);

    /**
     * Router thread only.
     *
     * @param entry to publish.
     */
    public void publish(final RouteEntry entry)
    {
        routes.put(entry.streamId(), entry);
    }

    /**
     * Router thread only.
     *
     * @param streamId to withdraw.
     */
    public void withdraw(final long streamId)
    {
        routes.remove(streamId);
    }

    /**
     * @param streamId unsigned id.
     * @return the entry or null.
     */
    public RouteEntry get(final long streamId)
    {
        return routes.get(streamId);
    }

    public int size()
    {
        return routes.size();
    }

    /**
     * @return a live view of every entry.
     */
    public Collection<RouteEntry> entries()
    {
        return routes.values();
    }

    /**
     * A page of routes in unsigned id order.
     *
     * @param afterStreamId exclusive start, or null for the first page.
     * @param limit         at most this many.
     * @return the page; it has {@code limit} entries when more may follow.
     */
    public List<RouteEntry> page(final Long afterStreamId, final int limit)
    {
        final Collection<RouteEntry> view =
            afterStreamId == null ? routes.values() : routes.tailMap(afterStreamId, false).values();
        final List<RouteEntry> page = new ArrayList<>(Math.min(limit, 256));
        for (final RouteEntry e : view)
        {
            if (page.size() == limit)
            {
                break;
            }
            page.add(e);
        }
        return page;
    }

    /**
     * @param nowNs      monotonic now.
     * @param windowNs   how recent the last datagram must be.
     * @return how many routes saw a datagram in the window.
     */
    public int countActive(final long nowNs, final long windowNs)
    {
        int n = 0;
        for (final RouteEntry e : routes.values())
        {
            final long seen = e.lastSeenNs();
            if (seen != RouteEntry.NEVER && nowNs - seen <= windowNs)
            {
                n++;
            }
        }
        return n;
    }
}
