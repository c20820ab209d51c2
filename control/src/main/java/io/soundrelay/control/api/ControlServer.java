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

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Undertow serving the control API on CONTROL_API_ADDR and the metrics alone on METRICS_ADDR, on its own IO and
 * worker threads: nothing here runs on a hot-path thread.
 */
public final class ControlServer implements AutoCloseable
{
    private final Undertow undertow;
    private final InetSocketAddress apiAddress;
    private final InetSocketAddress metricsAddress;

    /**
     * Start listening.
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
        final boolean separateMetrics = !apiAddr.equals(metricsAddr);
        final HttpHandler metricsOnly = exchange ->
        {
            if ("/metrics".equals(exchange.getRelativePath()))
            {
                ControlApi.metrics(exchange, metrics);
            }
            else
            {
                exchange.setStatusCode(404);
                exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
                exchange.getResponseSender().send("{\"error\":\"only /metrics is served here\"}");
            }
        };
        final Undertow.Builder builder = Undertow.builder()
            .setIoThreads(2)
            .setWorkerThreads(16)
            .setServerOption(UndertowOptions.MAX_HEADER_SIZE, 16 * 1024)
            .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, (long)ControlApi.MAX_BODY_BYTES + 1)
            .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, 10_000)
            .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000)
            .setServerOption(UndertowOptions.ENABLE_HTTP2, false)
            .addHttpListener(apiAddr.getPort(), apiAddr.getAddress().getHostAddress(), api);
        if (separateMetrics)
        {
            builder.addHttpListener(metricsAddr.getPort(), metricsAddr.getAddress().getHostAddress(), metricsOnly);
        }
        undertow = builder.build();
        undertow.start();
        apiAddress = bound(0);
        metricsAddress = separateMetrics ? bound(1) : apiAddress;
    }

    private InetSocketAddress bound(final int listener)
    {
        final SocketAddress a = undertow.getListenerInfo().get(listener).getAddress();
        return (InetSocketAddress)a;
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
        undertow.stop();
    }
}
