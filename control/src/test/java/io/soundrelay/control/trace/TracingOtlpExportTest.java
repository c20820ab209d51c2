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

import io.opentelemetry.api.trace.Span;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NodeTracing#fromEnvironment} against a real OTLP/HTTP receiver on loopback: spans arrive as protobuf with
 * their names, {@code soundrelay.*} attributes, resource and trace state; and without an endpoint nothing leaves.
 */
class TracingOtlpExportTest
{
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

    @BeforeEach
    void cleanEnvironment()
    {
        OtlpReceiver.assumeNoOtelEnvironment();
    }

    private static OtlpReceiver.Received named(final List<OtlpReceiver.Received> spans, final String name)
    {
        return spans.stream().filter(r -> r.span.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no span " + name));
    }

    private static String hex(final com.google.protobuf.ByteString bytes)
    {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    /** What the control plane does for one route: a request, its stream, a migration span. */
    private static void traceOneRoute(final NodeTracing tracing, final long streamId)
    {
        final NodeTracing.RequestSpan request = tracing.startRequest("POST", "/route",
            name -> "traceparent".equalsIgnoreCase(name) ? TRACEPARENT : null);
        tracing.streamStarted(streamId, "ROOM7", request.context(), NodeTracing.CAUSE_CREATED);
        request.end(201);
        tracing.firstDatagram(streamId, 1_700_000_000_000_000_000L);
        final Span migrate =
            tracing.startSpan(NodeTracing.MIGRATE_SPAN_NAME, tracing.streamContext(streamId), streamId);
        migrate.end();
        tracing.streamEnded(streamId, NodeTracing.EVENT_MIGRATED, null);
    }

    @Test
    void spansArriveOverOtlpHttpProtobuf() throws Exception
    {
        try (OtlpReceiver receiver = OtlpReceiver.start())
        {
            final NodeTracing tracing = NodeTracing.fromEnvironment(OtlpReceiver.otlp(receiver.endpoint(), "50"), "n1");
            try
            {
                assertTrue(tracing.exporting());
                traceOneRoute(tracing, 42);

                final List<OtlpReceiver.Received> spans = receiver.awaitSpans(
                    Set.of("POST /route", NodeTracing.STREAM_SPAN_NAME, NodeTracing.MIGRATE_SPAN_NAME));

                final OtlpReceiver.Received request = named(spans, "POST /route");
                assertEquals("soundrelay", request.resourceAttribute("service.name"));
                assertEquals("n1", request.resourceAttribute("service.instance.id"));
                assertEquals(TRACE_ID, hex(request.span.getTraceId()));
                assertEquals("POST", request.attribute("http.request.method"));
                assertEquals("/route", request.attribute("http.route"));
                assertEquals("201", request.attribute("http.response.status_code"));

                final OtlpReceiver.Received stream = named(spans, NodeTracing.STREAM_SPAN_NAME);
                assertEquals("42", stream.attribute("soundrelay.stream_id"));
                assertEquals("n1", stream.attribute("soundrelay.node_id"));
                assertEquals("ROOM7", stream.attribute("soundrelay.room_code"));
                assertEquals("created", stream.attribute("soundrelay.stream.cause"));
                assertEquals("soundrelay=stream_id:42;node:n1", stream.span.getTraceState());
                assertEquals(TRACE_ID, hex(stream.span.getTraceId()));
                assertEquals(request.span.getSpanId(), stream.span.getParentSpanId());
                assertEquals("first_datagram", stream.span.getEvents(0).getName());
                assertEquals(1_700_000_000_000_000_000L, stream.span.getEvents(0).getTimeUnixNano());
                assertEquals("migrated", stream.span.getEvents(1).getName());

                final OtlpReceiver.Received migrate = named(spans, NodeTracing.MIGRATE_SPAN_NAME);
                assertEquals(stream.span.getSpanId(), migrate.span.getParentSpanId());
                assertEquals("soundrelay=stream_id:42;node:n1", migrate.span.getTraceState());
                assertEquals("42", migrate.attribute("soundrelay.stream_id"));
            }
            finally
            {
                tracing.close();
            }
        }
    }

    @Test
    void closeFlushesSpansStillWaitingForTheirBatch() throws Exception
    {
        try (OtlpReceiver receiver = OtlpReceiver.start())
        {
            // A batch delay longer than the wait: only close() can send these spans in time.
            final NodeTracing tracing =
                NodeTracing.fromEnvironment(OtlpReceiver.otlp(receiver.endpoint(), "600000"), "n1");
            tracing.streamStarted(8, null, null, NodeTracing.CAUSE_RESTORED);
            tracing.close();

            final OtlpReceiver.Received stream =
                named(receiver.awaitSpans(Set.of(NodeTracing.STREAM_SPAN_NAME)), NodeTracing.STREAM_SPAN_NAME);
            assertEquals("shutdown", stream.span.getEvents(0).getName());
            assertEquals("restored", stream.attribute("soundrelay.stream.cause"));
        }
    }

    @Test
    void nothingIsExportedWithoutAnEndpoint() throws Exception
    {
        // On OTLP/HTTP's default port when it is free, where an exporter without an endpoint would send.
        try (OtlpReceiver receiver = OtlpReceiver.startPreferring(4318))
        {
            final NodeTracing tracing = NodeTracing.fromEnvironment(Map.of("OTEL_BSP_SCHEDULE_DELAY", "1"), "n1");
            assertFalse(tracing.exporting());
            traceOneRoute(tracing, 43);
            tracing.streamStarted(44, null, null, NodeTracing.CAUSE_CREATED);
            tracing.close();
            assertEquals(0, receiver.requests());
        }
    }
}
