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

import io.soundrelay.control.metrics.RelayMetrics;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.util.Methods;
import io.soundrelay.core.config.Configuration;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioExecutor;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Undertow serving the control API on CONTROL_API_ADDR and the metrics alone on METRICS_ADDR, on its own IO and
 * worker threads: nothing here runs on a hot-path thread.
 * <p>
 * A client is never waited for: headers, body and an idle connection each have a deadline ({@link Timeouts}), after
 * which the connection is closed. Bodies are read on the IO threads ({@link ControlApi}), so a slow client costs a
 * buffer, never one of the {@link #WORKER_THREADS} worker threads.
 * <p>
 * The listeners are Undertow's HTTP listeners built by hand on an XNIO worker, as {@code Undertow.builder()} builds
 * them, so that each accepted socket passes a {@link ConnectionLimiter} (CONTROL_API_MAX_CONNECTIONS) before it becomes
 * an HTTP connection: the connections, and so the file descriptors, the API can take are bounded. The metrics listener
 * applies the per-address {@link HttpRateLimiter} to every request; the API applies it itself ({@link ControlApi}).
 */
public final class ControlServer implements AutoCloseable
{
    /** Worker threads that run the API's handlers; IO threads read requests and write responses. */
    public static final int WORKER_THREADS = 16;
    /** IO threads: they parse every request and read every body without blocking. */
    public static final int IO_THREADS = 2;
    /** From the first byte of a request until its last header: a client that needs longer is disconnected. */
    public static final int REQUEST_PARSE_TIMEOUT_MS = 10_000;
    /** From the end of the headers until the last byte of the body: 64 KiB at 6.5 KB/s; longer gets 408 and a close. */
    public static final int BODY_TIMEOUT_MS = 10_000;
    /** How long a kept-alive connection may wait for its next request. */
    public static final int NO_REQUEST_TIMEOUT_MS = 30_000;
    /** How long a connection may go without a byte read or written, whatever it is doing. */
    public static final int IDLE_TIMEOUT_MS = 30_000;
    /** Connections the kernel queues before the node accepts them. */
    public static final int BACKLOG = 1000;
    /** Read and write buffers, as Undertow sizes them for a JVM with more than 128 MiB of heap. */
    private static final int BUFFER_BYTES = 16 * 1024 - 20;

    /**
     * How long a client may take, in milliseconds; every value must be positive.
     */
    public static final class Timeouts
    {
        /** The production values: the constants of {@link ControlServer}. */
        public static final Timeouts DEFAULTS =
            new Timeouts(REQUEST_PARSE_TIMEOUT_MS, BODY_TIMEOUT_MS, NO_REQUEST_TIMEOUT_MS, IDLE_TIMEOUT_MS);

        private final int requestParseMs;
        private final int bodyMs;
        private final int noRequestMs;
        private final int idleMs;

        /**
         * @param requestParseMs first byte to last header of a request.
         * @param bodyMs         end of the headers to last byte of the body.
         * @param noRequestMs    a kept-alive connection waiting for its next request.
         * @param idleMs         a connection with no byte read or written.
         */
        public Timeouts(final int requestParseMs, final int bodyMs, final int noRequestMs, final int idleMs)
        {
            if (requestParseMs <= 0 || bodyMs <= 0 || noRequestMs <= 0 || idleMs <= 0)
            {
                throw new IllegalArgumentException("timeouts must be positive: requestParseMs=" + requestParseMs +
                    ", bodyMs=" + bodyMs + ", noRequestMs=" + noRequestMs + ", idleMs=" + idleMs);
            }
            this.requestParseMs = requestParseMs;
            this.bodyMs = bodyMs;
            this.noRequestMs = noRequestMs;
            this.idleMs = idleMs;
        }

        public int requestParseMs()
        {
            return requestParseMs;
        }

        public int bodyMs()
        {
            return bodyMs;
        }

        public int noRequestMs()
        {
            return noRequestMs;
        }

        public int idleMs()
        {
            return idleMs;
        }
    }

    private final XnioWorker worker;
    private final List<AcceptingChannel<StreamConnection>> channels = new ArrayList<>();
    private final List<HttpOpenListener> openListeners = new ArrayList<>();
    private final ConnectionLimiter connections;
    private final InetSocketAddress apiAddress;
    private final InetSocketAddress metricsAddress;

    /**
     * Start listening with the {@link Timeouts#DEFAULTS default timeouts}, the default connection cap and no rate
     * limit.
     *
     * @param api         the control API handler.
     * @param metrics     metrics for the METRICS_ADDR listener.
     * @param apiAddr     CONTROL_API_ADDR.
     * @param metricsAddr METRICS_ADDR; when equal to apiAddr the API's own /metrics serves.
     */
    public ControlServer(
        final ControlApi api,
        final RelayMetrics metrics,
        final InetSocketAddress apiAddr,
        final InetSocketAddress metricsAddr)
    {
        this(api, metrics, apiAddr, metricsAddr, Timeouts.DEFAULTS,
            Configuration.CONTROL_API_MAX_CONNECTIONS_DEFAULT, HttpRateLimiter.UNLIMITED);
    }

    /**
     * Start listening.
     *
     * @param api            the control API handler.
     * @param metrics        metrics for the METRICS_ADDR listener.
     * @param apiAddr        CONTROL_API_ADDR.
     * @param metricsAddr    METRICS_ADDR; when equal to apiAddr the API's own /metrics serves.
     * @param timeouts       how long a client may take.
     * @param maxConnections CONTROL_API_MAX_CONNECTIONS: connections open at once, both listeners together.
     * @param rateLimiter    the per-address limit the metrics listener applies to every request.
     */
    public ControlServer(
        final ControlApi api,
        final RelayMetrics metrics,
        final InetSocketAddress apiAddr,
        final InetSocketAddress metricsAddr,
        final Timeouts timeouts,
        final int maxConnections,
        final HttpRateLimiter rateLimiter)
    {
        final boolean separateMetrics = !apiAddr.equals(metricsAddr);
        final HttpHandler metricsOnly = exchange ->
        {
            if (RequestGate.limited(exchange, rateLimiter, HttpRateLimiter.Reason.UNAUTHENTICATED))
            {
                return;
            }
            if ("/metrics".equals(exchange.getRelativePath()) && !exchange.getRequestMethod().equals(Methods.GET) &&
                !exchange.getRequestMethod().equals(Methods.HEAD))
            {
                exchange.setStatusCode(405);
                exchange.getResponseHeaders().put(io.undertow.util.Headers.ALLOW, "GET, HEAD");
                exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
                exchange.getResponseSender().send("{\"error\":\"only GET is served on /metrics\"}");
            }
            else if ("/metrics".equals(exchange.getRelativePath()))
            {
                NodeHandlers.metrics(exchange, metrics);
            }
            else
            {
                exchange.setStatusCode(404);
                exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
                exchange.getResponseSender().send("{\"error\":\"only /metrics is served here\"}");
            }
        };
        connections = new ConnectionLimiter(maxConnections);
        // No MAX_ENTITY_SIZE: the API's receiver caps bodies at 64 KiB and answers 413 in JSON, where Undertow's own
        // limit would close the connection without a word (and print a stack trace for each chunked body over it).
        final OptionMap undertowOptions = OptionMap.builder()
            .set(UndertowOptions.MAX_HEADER_SIZE, 16 * 1024)
            .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, timeouts.requestParseMs())
            .set(UndertowOptions.NO_REQUEST_TIMEOUT, timeouts.noRequestMs())
            .set(UndertowOptions.IDLE_TIMEOUT, timeouts.idleMs())
            .set(UndertowOptions.ENABLE_HTTP2, false)
            .getMap();
        // The listeners are built as Undertow.builder() builds them, with one difference: each accepted socket passes
        // the connection cap (ConnectionLimiter) before it becomes an HTTP connection.
        try
        {
            worker = Xnio.getInstance(Undertow.class.getClassLoader()).createWorker(OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, IO_THREADS)
                .set(Options.WORKER_TASK_CORE_THREADS, WORKER_THREADS)
                .set(Options.WORKER_TASK_MAX_THREADS, WORKER_THREADS)
                .set(Options.TCP_NODELAY, true)
                .set(Options.CORK, true)
                .set(Options.WORKER_NAME, "control-api")
                .getMap());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final ByteBufferPool buffers = new DefaultByteBufferPool(true, BUFFER_BYTES, -1, 4);
        try
        {
            listen(apiAddr, bodyDeadline(connections.tracking(api), timeouts.bodyMs()), buffers, undertowOptions);
            if (separateMetrics)
            {
                listen(metricsAddr, bodyDeadline(connections.tracking(metricsOnly), timeouts.bodyMs()), buffers,
                    undertowOptions);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            close();
            throw ex instanceof IOException ? new UncheckedIOException((IOException)ex) : (RuntimeException)ex;
        }
        apiAddress = channels.get(0).getLocalAddress(InetSocketAddress.class);
        metricsAddress = separateMetrics ? channels.get(1).getLocalAddress(InetSocketAddress.class) : apiAddress;
    }

    private void listen(
        final InetSocketAddress address,
        final HttpHandler handler,
        final ByteBufferPool buffers,
        final OptionMap undertowOptions) throws IOException
    {
        final HttpOpenListener openListener = new HttpOpenListener(buffers, undertowOptions);
        openListener.setRootHandler(handler);
        openListeners.add(openListener);
        final OptionMap socketOptions = OptionMap.builder()
            .set(Options.WORKER_IO_THREADS, IO_THREADS)
            .set(Options.TCP_NODELAY, true)
            .set(Options.REUSE_ADDRESSES, true)
            .set(Options.BALANCING_TOKENS, 1)
            .set(Options.BALANCING_CONNECTIONS, 2)
            .set(Options.BACKLOG, BACKLOG)
            .getMap();
        final AcceptingChannel<StreamConnection> channel = worker.createStreamConnectionServer(
            address, connections.acceptListener(openListener), socketOptions);
        channels.add(channel);
        channel.resumeAccepts();
    }

    /**
     * @param reason why connections were closed.
     * @return how many so far.
     */
    public long connectionsShed(final String reason)
    {
        for (final ConnectionLimiter.Shed shed : ConnectionLimiter.Shed.values())
        {
            if (shed.label().equals(reason))
            {
                return connections.shed(shed);
            }
        }
        throw new IllegalArgumentException(reason);
    }

    /**
     * @return the reasons {@link #connectionsShed} knows, as metric labels.
     */
    public static List<String> shedReasons()
    {
        final List<String> labels = new ArrayList<>();
        for (final ConnectionLimiter.Shed shed : ConnectionLimiter.Shed.values())
        {
            labels.add(shed.label());
        }
        return labels;
    }

    /**
     * @return HTTP connections open now, both listeners.
     */
    public int openConnections()
    {
        return connections.openConnections();
    }

    /**
     * Undertow's timeouts cover the headers and a silent connection, not a body that trickles in a byte at a time:
     * give each request with a body a deadline on its IO thread. Until the body is complete the request is the IO
     * thread's alone (the API reads it there and dispatches only once it is complete), so at the deadline the IO
     * thread can answer 408 itself; when a response has already started, only the connection is closed.
     */
    private static HttpHandler bodyDeadline(final HttpHandler next, final int bodyMs)
    {
        return exchange ->
        {
            if (!exchange.isRequestComplete())
            {
                final XnioExecutor.Key deadline = exchange.getIoThread().executeAfter(
                    () -> bodyTimedOut(exchange, bodyMs), bodyMs, TimeUnit.MILLISECONDS);
                exchange.addExchangeCompleteListener((ex, nextListener) ->
                {
                    deadline.remove();
                    nextListener.proceed();
                });
            }
            next.handleRequest(exchange);
        };
    }

    private static void bodyTimedOut(final HttpServerExchange exchange, final int bodyMs)
    {
        if (exchange.isRequestComplete() || !exchange.getConnection().isOpen())
        {
            return;
        }
        if (exchange.isResponseStarted())
        {
            IoUtils.safeClose(exchange.getConnection());
        }
        else
        {
            ApiResponses.error(exchange, 408, "the request body did not arrive within " + bodyMs + " ms", null);
        }
    }

    /**
     * @return where the API listens (the real port when 0 was asked for).
     */
    public InetSocketAddress apiAddress()
    {
        return apiAddress;
    }

    /**
     * @return where the metrics listener listens.
     */
    public InetSocketAddress metricsAddress()
    {
        return metricsAddress;
    }

    public void close()
    {
        for (final AcceptingChannel<StreamConnection> channel : channels)
        {
            IoUtils.safeClose(channel);
        }
        for (final HttpOpenListener openListener : openListeners)
        {
            openListener.closeConnections();
        }
        worker.shutdown();
        try
        {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS))
            {
                worker.shutdownNow();
            }
        }
        catch (final InterruptedException ex)
        {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
