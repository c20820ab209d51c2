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
package io.soundrelay.control;

import io.soundrelay.core.route.RouteSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The route lifecycle lines: one INFO line per route for what the API asked (created, replaced, deleted, migrated),
 * and for what happens to many routes at once (a drain, a start-up reconcile, a failover) one summary line at INFO
 * with one line per route at DEBUG. Never a key, never a payload: stream id, node, targets, room.
 */
public final class RouteLog
{
    private static final Logger LOG = LoggerFactory.getLogger(RouteLog.class);

    private RouteLog()
    {
    }

    /**
     * @param event  created, replaced, deleted, expired, adopted, ...
     * @param nodeId this node.
     * @param spec   the route.
     */
    public static void info(final String event, final String nodeId, final RouteSpec spec)
    {
        LOG.info("stream {} {} on node {}: {}", spec.streamIdText(), event, nodeId, describe(spec));
    }

    /**
     * As {@link #info}, at DEBUG: one route of a bulk change whose summary is at INFO.
     */
    public static void debug(final String event, final String nodeId, final RouteSpec spec)
    {
        if (LOG.isDebugEnabled())
        {
            LOG.debug("stream {} {} on node {}: {}", spec.streamIdText(), event, nodeId, describe(spec));
        }
    }

    /**
     * @param info   INFO (one route the API moved) or DEBUG (one of a drain's).
     * @param stream the stream id, as text.
     * @param from   this node.
     * @param to     the node that holds it now.
     * @param ms     how long the hand-off took.
     * @param spec   the route as it was, or null.
     */
    public static void migrated(
        final boolean info, final String stream, final String from, final String to, final long ms,
        final RouteSpec spec)
    {
        final String what = spec == null ? "" : ": " + describe(spec);
        if (info)
        {
            LOG.info("stream {} migrated from node {} to node {} in {} ms{}", stream, from, to, ms, what);
        }
        else
        {
            LOG.debug("stream {} migrated from node {} to node {} in {} ms{}", stream, from, to, ms, what);
        }
    }

    /**
     * @param spec a route.
     * @return {@code 2 targets, room abc}: what an operator needs to tell it apart, nothing more.
     */
    static String describe(final RouteSpec spec)
    {
        final int n = spec.targetCount();
        final String room = spec.roomCode();
        return n + (n == 1 ? " target" : " targets") + (room == null || room.isEmpty() ? "" : ", room " + room);
    }

    /**
     * Per-route lines for a change that may come in bulk (expiries, routes handed over by other nodes): the first
     * {@link #LINES} of a {@link #WINDOW_S}-second window at INFO, the rest at DEBUG and counted, and one INFO line
     * with that count when the window is over ({@link #flush}).
     */
    public static final class Burst
    {
        static final int LINES = 10;
        static final long WINDOW_S = 10;

        private final String summary;
        private final String nodeId;
        private long windowStartNs;
        private int lines;
        private long held;

        /**
         * @param summary what happened to the routes, for the count: expired, adopted, ...
         * @param nodeId  this node.
         */
        public Burst(final String summary, final String nodeId)
        {
            this.summary = summary;
            this.nodeId = nodeId;
            this.windowStartNs = System.nanoTime();
        }

        /**
         * One route: its line at INFO or, past the window's share, at DEBUG.
         *
         * @param event what happened to it.
         * @param spec  the route.
         * @param nowNs now.
         */
        public synchronized void route(final String event, final RouteSpec spec, final long nowNs)
        {
            flush(nowNs);
            if (lines < LINES)
            {
                lines++;
                info(event, nodeId, spec);
            }
            else
            {
                held++;
                debug(event, nodeId, spec);
            }
        }

        /**
         * When the window is over: the count of routes not written at INFO, if any; a new window.
         *
         * @param nowNs now.
         */
        public synchronized void flush(final long nowNs)
        {
            if (nowNs - windowStartNs < TimeUnit.SECONDS.toNanos(WINDOW_S))
            {
                return;
            }
            if (held > 0)
            {
                LOG.info("{} more route(s) {} on node {} within {} s (one line each at LOG_LEVEL=debug)", held, summary,
                    nodeId, WINDOW_S);
            }
            windowStartNs = nowNs;
            lines = 0;
            held = 0;
        }
    }
}
