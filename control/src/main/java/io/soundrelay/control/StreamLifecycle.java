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

import io.opentelemetry.api.common.Attributes;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.io.router.Durability;
import io.soundrelay.io.router.RouteJournal;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * What the stream spans learn from the data plane without the data plane doing anything per datagram: once a second a
 * control-plane thread reads each traced route's first-datagram time (a field the router sets once) and adds the
 * {@code first_datagram} event at that time; expiries reach the span through the route journal, which the router
 * already calls once per expiry. An Agrona agent on its own thread; closing its runner sweeps once more.
 */
public final class StreamLifecycle implements Agent
{
    static final String ROLE_NAME = "soundrelay-streams";
    static final long SWEEP_INTERVAL_MS = 1000;
    /** How long the agent's thread sleeps when there is nothing to do: how long a stop waits for it at most. */
    static final long IDLE_MS = 50;

    private static final Logger LOG = LoggerFactory.getLogger(StreamLifecycle.class);

    private final RouteRegistry registry;
    private final NodeTracing tracing;
    private long nextSweepNs;

    StreamLifecycle(final RouteRegistry registry, final NodeTracing tracing)
    {
        this.registry = registry;
        this.tracing = tracing;
    }

    /**
     * @param registry      the routes.
     * @param tracing       the spans.
     * @param threadFactory makes the agent's thread.
     * @return the running agent; closing it sweeps once more.
     */
    static AgentRunner start(final RouteRegistry registry, final NodeTracing tracing, final ThreadFactory threadFactory)
    {
        final AgentRunner runner = new AgentRunner(new SleepingMillisIdleStrategy(IDLE_MS),
            ex -> LOG.error("stream lifecycle error", ex), null, new StreamLifecycle(registry, tracing));
        AgentRunner.startOnThread(runner, threadFactory);
        return runner;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String roleName()
    {
        return ROLE_NAME;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onStart()
    {
        nextSweepNs = System.nanoTime();
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - nextSweepNs < 0)
        {
            return 0; // a period, not a wait for a condition
        }
        nextSweepNs = nowNs + TimeUnit.MILLISECONDS.toNanos(SWEEP_INTERVAL_MS);
        sweep();
        return 1;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public void onClose()
    {
        sweep();
    }

    /**
     * Add the first-datagram event to every traced stream that has seen its first datagram.
     */
    void sweep()
    {
        for (final long streamId : tracing.openStreams())
        {
            firstDatagram(tracing, registry.get(streamId));
        }
    }

    /**
     * Give a stream's span its first-datagram event now, if the route has seen one: before the span ends, so that a
     * stream removed between two sweeps keeps it. Any thread; the event is added once.
     *
     * @param tracing the spans.
     * @param entry   the route, or null.
     */
    public static void firstDatagram(final NodeTracing tracing, final RouteEntry entry)
    {
        if (entry != null)
        {
            final long first = entry.firstSeenNs();
            if (first != RouteEntry.NEVER)
            {
                final long agoNs = System.nanoTime() - first;
                tracing.firstDatagram(entry.streamId(),
                    TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()) - agoNs);
            }
        }
    }

    /**
     * The router's journal, which also ends the span of a route that expired.
     */
    static final class Journal implements RouteJournal
    {
        private final RouteJournal delegate;
        private final NodeTracing tracing;
        private final NodeLogging.Expiries expiries = new NodeLogging.Expiries();

        Journal(final RouteJournal delegate, final NodeTracing tracing)
        {
            this.delegate = delegate;
            this.tracing = tracing;
        }

        @Override
        public CompletableFuture<Durability> record(final Change change, final RouteEntry entry)
        {
            if (change == Change.EXPIRED)
            {
                tracing.streamEnded(entry.streamId(), "expired", Attributes.empty());
                expiries.offer(entry); // its log line is written off this thread
            }
            return delegate.record(change, entry);
        }

        NodeLogging.Expiries expiries()
        {
            return expiries;
        }

        @Override
        public boolean refresh(final RouteEntry entry)
        {
            return delegate.refresh(entry);
        }
    }
}
