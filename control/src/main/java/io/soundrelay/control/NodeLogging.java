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

import io.soundrelay.control.api.AuthFailureLog;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's log beyond single events, written by one control-plane thread once a second: failed authentications
 * ({@link AuthFailureLog}), routes that expired (queued by the router's journal, which must not block), and every
 * {@link #DROP_SUMMARY_S} seconds while datagrams are dropped a summary of the drops by reason, read from the same
 * counters as {@code relay_packet_errors} on /metrics. The data plane does nothing for any of it.
 */
public final class NodeLogging implements AutoCloseable
{
    static final long DROP_SUMMARY_S = 10;
    /** Expiries queued for their line; more between two ticks are counted, not written one by one. */
    static final int EXPIRY_QUEUE = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(NodeLogging.class);

    private final RelayCounters counters;
    private final AuthFailureLog authFailures;
    private final Expiries expiries;
    private final RouteLog.Burst expired;
    private final ErrorReason[] reasons = ErrorReason.all();
    private final long[] lastDrops = new long[reasons.length];
    private final ScheduledExecutorService timer;
    private long nextDropsNs;

    private NodeLogging(
        final String nodeId, final RelayCounters counters, final AuthFailureLog authFailures, final Expiries expiries)
    {
        this.counters = counters;
        this.authFailures = authFailures;
        this.expiries = expiries;
        this.expired = new RouteLog.Burst("expired", nodeId);
        for (int i = 0; i < reasons.length; i++)
        {
            lastDrops[i] = counters.errors(reasons[i]);
        }
        nextDropsNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(DROP_SUMMARY_S);
        timer = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "soundrelay-logs");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * java.util.logging (the OpenTelemetry SDK's configuration messages, for one) into slf4j, so that every line
     * has the node's format. Once, before the node starts.
     */
    static void install()
    {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }

    /**
     * @param nodeId       this node.
     * @param counters     the data plane's counters.
     * @param authFailures the control API's failed authentications.
     * @param expiries     the routes the router let expire.
     * @return the running reporter; closing it stops it.
     */
    static NodeLogging start(
        final String nodeId, final RelayCounters counters, final AuthFailureLog authFailures, final Expiries expiries)
    {
        final NodeLogging logging = new NodeLogging(nodeId, counters, authFailures, expiries);
        logging.timer.scheduleWithFixedDelay(logging::tick, 1, 1, TimeUnit.SECONDS);
        return logging;
    }

    private void tick()
    {
        try
        {
            final long nowNs = System.nanoTime();
            authFailures.flush(nowNs);
            RouteEntry entry;
            while ((entry = expiries.queue.poll()) != null)
            {
                expired.route("expired (no datagram within ROUTE_TTL_SECONDS)", entry.spec(), nowNs);
            }
            final long lost = expiries.overflow.get();
            if (lost != expiries.overflowLogged)
            {
                LOG.info("{} more route(s) expired, too many at once to name", lost - expiries.overflowLogged);
                expiries.overflowLogged = lost;
            }
            expired.flush(nowNs);
            if (nowNs - nextDropsNs >= 0)
            {
                nextDropsNs = nowNs + TimeUnit.SECONDS.toNanos(DROP_SUMMARY_S);
                drops();
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("log reporter: {}", ex.toString());
        }
    }

    /**
     * One WARN line with the drops since the last one, by reason; nothing when nothing was dropped.
     */
    void drops()
    {
        final StringBuilder byReason = new StringBuilder();
        long total = 0;
        for (int i = 0; i < reasons.length; i++)
        {
            final long now = counters.errors(reasons[i]);
            final long delta = now - lastDrops[i];
            lastDrops[i] = now;
            if (delta > 0)
            {
                total += delta;
                byReason.append(byReason.isEmpty() ? "" : ", ").append(reasons[i].label()).append('=').append(delta);
            }
        }
        if (total > 0)
        {
            LOG.warn("dropped {} datagram(s) in the last {} s: {} (relay_packet_errors on /metrics)", total,
                DROP_SUMMARY_S, byReason);
        }
    }

    @Override
    public void close()
    {
        timer.shutdownNow();
    }

    /**
     * The routes the router let expire, queued on its thread without blocking or allocating, for their line.
     */
    static final class Expiries
    {
        final ManyToOneConcurrentArrayQueue<RouteEntry> queue = new ManyToOneConcurrentArrayQueue<>(EXPIRY_QUEUE);
        final AtomicLong overflow = new AtomicLong();
        long overflowLogged;

        /**
         * Router thread: queue an expired route for its line.
         */
        void offer(final RouteEntry entry)
        {
            if (!queue.offer(entry))
            {
                overflow.incrementAndGet();
            }
        }
    }
}
