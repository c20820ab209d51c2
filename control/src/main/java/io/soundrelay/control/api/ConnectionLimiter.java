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
package io.soundrelay.control.api;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.channels.AcceptingChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The HTTP connections the node holds open, API and metrics listeners together: at most
 * {@code CONTROL_API_MAX_CONNECTIONS} ({@link #maxConnections()}), of which one client address may hold at most a
 * quarter ({@link #maxPerAddress()}). Each is a file descriptor, so the cap is what the start-up check counts for the
 * API against RLIMIT_NOFILE.
 * <p>
 * A new connection takes the place of the oldest one that has no request in progress (an idle keep-alive, or one
 * that has not finished sending its headers): of its own address's when that address holds its share, else of anyone's
 * when the node is at the cap. Only when every connection it could replace is in the middle of a request is the new
 * one closed. So idle connections, from however many addresses, never lock the API out: a client that comes to ask
 * gets in; and one address's requests in progress never take more than its share.
 * <p>
 * Accepts and request starts happen on the API's IO threads; one lock guards the table, which never holds more than
 * the cap.
 */
final class ConnectionLimiter
{
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);
    private static final long LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

    /** Why a connection was closed by the limiter: the {@code reason} label of the metric. */
    enum Shed
    {
        /** Its address already held its share, every one of them in the middle of a request. */
        PER_ADDRESS("per_address"),
        /** The node was at the cap and every connection had a request in progress. */
        FULL("full"),
        /** The oldest connection without a request in progress (its address's, or anyone's at the cap), closed to
         * make room for a new one. */
        IDLE_EVICTED("idle_evicted");

        private final String label;

        Shed(final String label)
        {
            this.label = label;
        }

        String label()
        {
            return label;
        }
    }

    private static final class Tracked
    {
        final StreamConnection connection;
        final InetAddress address;
        int inFlight;

        Tracked(final StreamConnection connection, final InetAddress address)
        {
            this.connection = connection;
            this.address = address;
        }
    }

    private final int maxConnections;
    private final int maxPerAddress;
    /** A TCP connection: the same client port may reach both listeners. */
    private record Key(InetSocketAddress peer, InetSocketAddress local)
    {
    }

    private final Map<Key, Tracked> open = new LinkedHashMap<>();
    private final LongAdder[] shed = new LongAdder[Shed.values().length];
    private long lastLogNs = System.nanoTime() - LOG_INTERVAL_NS;

    /**
     * @param maxConnections CONTROL_API_MAX_CONNECTIONS.
     */
    ConnectionLimiter(final int maxConnections)
    {
        if (maxConnections < 1)
        {
            throw new IllegalArgumentException("maxConnections " + maxConnections);
        }
        this.maxConnections = maxConnections;
        this.maxPerAddress = Math.max(1, maxConnections / 4);
        for (int i = 0; i < shed.length; i++)
        {
            shed[i] = new LongAdder();
        }
    }

    int maxConnections()
    {
        return maxConnections;
    }

    int maxPerAddress()
    {
        return maxPerAddress;
    }

    /**
     * @param reason why.
     * @return connections closed for that reason so far.
     */
    long shed(final Shed reason)
    {
        return shed[reason.ordinal()].sum();
    }

    /**
     * @return connections open now (closed ones are forgotten at the next accept).
     */
    synchronized int openConnections()
    {
        prune();
        return open.size();
    }

    /**
     * @param next Undertow's open listener, which makes an HTTP connection of an admitted socket.
     * @return the accept listener of a listening channel: one accept per event, as XNIO's own adapter does.
     */
    ChannelListener<AcceptingChannel<StreamConnection>> acceptListener(final ChannelListener<StreamConnection> next)
    {
        return channel ->
        {
            final StreamConnection accepted;
            try
            {
                accepted = channel.accept();
            }
            catch (final IOException ex)
            {
                logLimited("accepting an HTTP connection failed: {}", ex.toString());
                return;
            }
            if (accepted != null && admit(accepted))
            {
                next.handleEvent(accepted);
            }
        };
    }

    /**
     * @param next the API or metrics handler.
     * @return a handler that marks the connection busy from the start of a request until its exchange completes.
     */
    HttpHandler tracking(final HttpHandler next)
    {
        return exchange ->
        {
            final Tracked tracked = begin(exchange);
            if (tracked != null)
            {
                exchange.addExchangeCompleteListener((ex, nextListener) ->
                {
                    end(tracked);
                    nextListener.proceed();
                });
            }
            next.handleRequest(exchange);
        };
    }

    private boolean admit(final StreamConnection connection)
    {
        final InetSocketAddress peer = connection.getPeerAddress(InetSocketAddress.class);
        final InetSocketAddress local = connection.getLocalAddress(InetSocketAddress.class);
        if (peer == null || local == null)
        {
            IoUtils.safeClose(connection);
            return false;
        }
        StreamConnection victim = null;
        Shed refused = null;
        synchronized (this)
        {
            prune();
            int fromAddress = 0;
            Tracked oldestIdle = null;
            Tracked oldestIdleFromAddress = null;
            for (final Tracked t : open.values())
            {
                final boolean same = t.address.equals(peer.getAddress());
                fromAddress += same ? 1 : 0;
                if (t.inFlight == 0)
                {
                    oldestIdle = oldestIdle == null ? t : oldestIdle;
                    oldestIdleFromAddress = oldestIdleFromAddress == null && same ? t : oldestIdleFromAddress;
                }
            }
            Tracked evict = null;
            if (fromAddress >= maxPerAddress)
            {
                // The address's share is taken: its own oldest idle connection makes room, never another's.
                evict = oldestIdleFromAddress;
                refused = evict == null ? Shed.PER_ADDRESS : null;
            }
            else if (open.size() >= maxConnections)
            {
                evict = oldestIdle;
                refused = evict == null ? Shed.FULL : null;
            }
            if (evict != null)
            {
                victim = evict.connection;
                open.values().remove(evict);
            }
            if (refused == null)
            {
                open.put(new Key(peer, local), new Tracked(connection, peer.getAddress()));
            }
        }
        if (victim != null)
        {
            shed[Shed.IDLE_EVICTED.ordinal()].increment();
            IoUtils.safeClose(victim);
        }
        if (refused != null)
        {
            shed[refused.ordinal()].increment();
            IoUtils.safeClose(connection);
            logLimited("HTTP connection closed at once ({}): CONTROL_API_MAX_CONNECTIONS={}, at most {} per address",
                refused.label(), maxConnections, maxPerAddress);
            return false;
        }
        return true;
    }

    private synchronized Tracked begin(final HttpServerExchange exchange)
    {
        final InetSocketAddress peer = exchange.getConnection().getPeerAddress(InetSocketAddress.class);
        final InetSocketAddress local = exchange.getConnection().getLocalAddress(InetSocketAddress.class);
        final Tracked tracked = peer == null || local == null ? null : open.get(new Key(peer, local));
        if (tracked != null)
        {
            tracked.inFlight++;
        }
        return tracked;
    }

    private synchronized void end(final Tracked tracked)
    {
        tracked.inFlight--;
    }

    private void prune()
    {
        for (final Iterator<Tracked> it = open.values().iterator(); it.hasNext(); )
        {
            if (!it.next().connection.isOpen())
            {
                it.remove();
            }
        }
    }

    private void logLimited(final String format, final Object... args)
    {
        final long nowNs = System.nanoTime();
        synchronized (this)
        {
            if (nowNs - lastLogNs < LOG_INTERVAL_NS)
            {
                return;
            }
            lastLogNs = nowNs;
        }
        LOG.warn(format, args);
    }
}
