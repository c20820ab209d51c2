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

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the stream spans learn from the data plane without the data plane doing anything per datagram: once a second a
 * control-plane thread reads each traced route's first-datagram time (a field the router sets once) and adds the
 * {@code first_datagram} event at that time; expiries reach the span through the route journal, which the router
 * already calls once per expiry.
 */
public final class StreamLifecycle implements AutoCloseable
{
    static final long SWEEP_INTERVAL_MS = 1000;

    private final RouteRegistry registry;
    private final NodeTracing tracing;
    private final Thread thread;
    private volatile boolean running = true;

    StreamLifecycle(final RouteRegistry registry, final NodeTracing tracing)
    {
        this.registry = registry;
        this.tracing = tracing;
        this.thread = new Thread(this::run, "soundrelay-streams");
        this.thread.setDaemon(true);
    }

    void start()
    {
        thread.start();
    }

    private void run()
    {
        while (running)
        {
            sweep();
            try
            {
                Thread.sleep(SWEEP_INTERVAL_MS); // a period, not a wait for a condition
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
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

    public void close()
    {
        running = false;
        thread.interrupt();
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(2));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        sweep();
    }

    /**
     * The router's journal, which also ends the span of a route that expired.
     */
    static final class Journal implements RouteJournal
    {
        private final RouteJournal delegate;
        private final NodeTracing tracing;

        Journal(final RouteJournal delegate, final NodeTracing tracing)
        {
            this.delegate = delegate;
            this.tracing = tracing;
        }

        public CompletableFuture<Durability> record(final Change change, final RouteEntry entry)
        {
            if (change == Change.EXPIRED)
            {
                tracing.streamEnded(entry.streamId(), "expired", Attributes.empty());
            }
            return delegate.record(change, entry);
        }

        public boolean refresh(final RouteEntry entry)
        {
            return delegate.refresh(entry);
        }
    }
}
