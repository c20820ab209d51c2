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
package io.soundrelay.control.trace;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A loopback OTLP/HTTP receiver: answers every request, decodes {@code POST /v1/traces} bodies as
 * {@code ExportTraceServiceRequest}, and counts every request whatever its path.
 */
final class OtlpReceiver implements AutoCloseable
{
    /** Longest a test waits for spans to arrive; a deadline, never a pause. */
    static final long WAIT_SECONDS = 30;

    /** One exported span with the resource it came with. */
    static final class Received
    {
        final Resource resource;
        final Span span;

        Received(final Resource resource, final Span span)
        {
            this.resource = resource;
            this.span = span;
        }

        String attribute(final String key)
        {
            return value(span.getAttributesList(), key);
        }

        String resourceAttribute(final String key)
        {
            return value(resource.getAttributesList(), key);
        }

        private static String value(final List<KeyValue> attributes, final String key)
        {
            for (final KeyValue kv : attributes)
            {
                if (kv.getKey().equals(key))
                {
                    return kv.getValue().hasIntValue() ?
                        Long.toString(kv.getValue().getIntValue()) : kv.getValue().getStringValue();
                }
            }
            return null;
        }
    }

    private final HttpServer server;
    private final BlockingQueue<Received> spans = new LinkedBlockingQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Received> taken = new ArrayList<>();

    private OtlpReceiver(final HttpServer server)
    {
        this.server = server;
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * @return a receiver on an ephemeral loopback port.
     */
    static OtlpReceiver start() throws IOException
    {
        return new OtlpReceiver(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    }

    /**
     * @param port a fixed port, e.g. OTLP/HTTP's default 4318.
     * @return a receiver on that loopback port, or an ephemeral one when it is taken.
     */
    static OtlpReceiver startPreferring(final int port) throws IOException
    {
        try
        {
            return new OtlpReceiver(
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0));
        }
        catch (final BindException ex)
        {
            return start();
        }
    }

    int port()
    {
        return server.getAddress().getPort();
    }

    String endpoint()
    {
        return "http://127.0.0.1:" + port();
    }

    int requests()
    {
        return requests.get();
    }

    /**
     * Wait until spans with all these names have arrived, or the deadline passes.
     *
     * @return every span received so far.
     */
    List<Received> awaitSpans(final Set<String> names) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!names.stream().allMatch(name -> taken.stream().anyMatch(r -> r.span.getName().equals(name))))
        {
            final long left = deadline - System.nanoTime();
            final Received next = left > 0 ? spans.poll(left, TimeUnit.NANOSECONDS) : null;
            if (next == null)
            {
                throw new AssertionError("spans " + names + " not received within " + WAIT_SECONDS + " s; got " +
                    taken.stream().map(r -> r.span.getName()).collect(Collectors.toList()));
            }
            taken.add(next);
        }
        spans.drainTo(taken);
        return List.copyOf(taken);
    }

    private void handle(final HttpExchange exchange) throws IOException
    {
        requests.incrementAndGet();
        try (exchange)
        {
            final byte[] body;
            try (InputStream in = exchange.getRequestBody())
            {
                body = in.readAllBytes();
            }
            if ("POST".equals(exchange.getRequestMethod()) && "/v1/traces".equals(exchange.getRequestURI().getPath()))
            {
                final String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
                final InputStream decoded = "gzip".equalsIgnoreCase(encoding) ?
                    new GZIPInputStream(new ByteArrayInputStream(body)) : new ByteArrayInputStream(body);
                final ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(decoded);
                for (final ResourceSpans resourceSpans : request.getResourceSpansList())
                {
                    for (final ScopeSpans scopeSpans : resourceSpans.getScopeSpansList())
                    {
                        for (final Span span : scopeSpans.getSpansList())
                        {
                            spans.add(new Received(resourceSpans.getResource(), span));
                        }
                    }
                }
            }
            final byte[] response = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, response.length == 0 ? -1 : response.length);
            if (response.length > 0)
            {
                exchange.getResponseBody().write(response);
            }
        }
    }

    @Override
    public void close()
    {
        server.stop(0);
    }

    /**
     * Skip a test of {@link NodeTracing#fromEnvironment} when the environment of the test run sets {@code OTEL_*}
     * variables of its own: they win over the test's settings, as they should.
     */
    static void assumeNoOtelEnvironment()
    {
        final Set<String> set = System.getenv().keySet().stream()
            .filter(name -> name.startsWith("OTEL_")).collect(Collectors.toSet());
        final Set<String> properties = System.getProperties().stringPropertyNames().stream()
            .filter(name -> name.startsWith("otel.")).collect(Collectors.toSet());
        assumeTrue(set.isEmpty() && properties.isEmpty(), () -> "OTEL_* set in the environment: " + set + properties);
    }

    static Map<String, String> otlp(final String endpoint, final String scheduleDelayMillis)
    {
        return Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY", scheduleDelayMillis);
    }
}
