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

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spans a node makes, seen as an exporter sees them: request spans continuing the caller's trace, stream spans
 * with their attributes, events and {@code soundrelay} trace state, and a migration joined across two nodes through
 * the fields a Redis message carries.
 */
class TracingInMemoryTest
{
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_SPAN_ID = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01";

    private static Function<String, String> headers(final String... namesAndValues)
    {
        final Map<String, String> headers = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2)
        {
            headers.put(namesAndValues[i].toLowerCase(Locale.ROOT), namesAndValues[i + 1]);
        }
        return name -> headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The trace state as W3C writes it in {@code tracestate}. */
    private static String traceState(final SpanContext context)
    {
        final TraceState state = context.getTraceState();
        final List<String> members = new ArrayList<>();
        state.forEach((key, value) -> members.add(key + '=' + value));
        return String.join(",", members);
    }

    private static List<String> eventNames(final SpanData span)
    {
        return span.getEvents().stream().map(EventData::getName).collect(Collectors.toList());
    }

    @Test
    void requestSpanContinuesTheIncomingTraceAndKeepsItsBaggageAndTraceState()
    {
        try (InMemoryNode node = new InMemoryNode("node-a"))
        {
            final NodeTracing.RequestSpan request = node.tracing.startRequest("GET", "/route/{id}", headers(
                "Traceparent", TRACEPARENT, "tracestate", "vendor=abc,other=x", "baggage", "tenant=t1"));
            assertEquals("t1", Baggage.fromContext(request.context()).getEntryValue("tenant"));
            request.end(200);
            request.end(500);

            final SpanData span = node.span("GET /route/{id}");
            assertEquals(SpanKind.SERVER, span.getKind());
            assertEquals(TRACE_ID, span.getTraceId());
            assertEquals(PARENT_SPAN_ID, span.getParentSpanId());
            assertTrue(span.getParentSpanContext().isRemote());
            assertEquals("vendor=abc,other=x", traceState(span.getSpanContext()));
            assertEquals("GET", span.getAttributes().get(NodeTracing.HTTP_REQUEST_METHOD));
            assertEquals("/route/{id}", span.getAttributes().get(NodeTracing.HTTP_ROUTE));
            assertEquals(200L, span.getAttributes().get(NodeTracing.HTTP_RESPONSE_STATUS_CODE));
            assertNull(span.getAttributes().get(AttributeKey.stringKey("url.path")));
            assertEquals(StatusCode.UNSET, span.getStatus().getStatusCode());
            assertEquals(span.getSpanId(), Span.fromContext(request.context()).getSpanContext().getSpanId());
        }
    }

    @Test
    void requestSpanWithoutTraceparentStartsATraceAndA5xxIsAnError()
    {
        try (InMemoryNode node = new InMemoryNode("node-a"))
        {
            node.tracing.startRequest("POST", "/route", headers("traceparent", "00-garbage")).end(503);
            node.tracing.startRequest("BREW", null, name -> null).end(404);

            final SpanData post = node.span("POST /route");
            assertFalse(post.getParentSpanContext().isValid());
            assertEquals(StatusCode.ERROR, post.getStatus().getStatusCode());
            assertEquals(503L, post.getAttributes().get(NodeTracing.HTTP_RESPONSE_STATUS_CODE));
            assertEquals("503", post.getAttributes().get(NodeTracing.ERROR_TYPE));

            final SpanData other = node.span("HTTP");
            assertEquals("_OTHER", other.getAttributes().get(NodeTracing.HTTP_REQUEST_METHOD));
            assertEquals("BREW", other.getAttributes().get(NodeTracing.HTTP_REQUEST_METHOD_ORIGINAL));
            assertEquals(StatusCode.UNSET, other.getStatus().getStatusCode());
        }
    }

    @Test
    void streamSpanCarriesItsAttributesEventsAndTraceStateUntilItEnds()
    {
        try (InMemoryNode node = new InMemoryNode("node-a"))
        {
            final NodeTracing tracing = node.tracing;
            final NodeTracing.RequestSpan request = tracing.startRequest("POST", "/route", headers(
                "traceparent", TRACEPARENT, "tracestate", "vendor=abc"));
            final long streamId = -2L; // 18446744073709551614 unsigned
            tracing.streamStarted(streamId, "ROOM42", request.context(), NodeTracing.CAUSE_CREATED);
            request.end(201);
            assertEquals(Set.of(streamId), tracing.openStreams());

            final long firstDatagramAt = 1_700_000_000_123_456_789L;
            tracing.firstDatagram(streamId, firstDatagramAt);
            tracing.firstDatagram(streamId, firstDatagramAt + 1_000_000);
            tracing.streamEvent(streamId, NodeTracing.EVENT_TARGETS_CHANGED,
                Attributes.of(AttributeKey.longKey("soundrelay.targets"), 3L));
            tracing.streamEvent(123, NodeTracing.EVENT_TARGETS_CHANGED, null);

            final Context streamContext = tracing.streamContext(streamId);
            final Span child = node.sdk.getTracer("test").spanBuilder("child").setParent(streamContext).startSpan();
            child.end();
            assertTrue(node.spans(NodeTracing.STREAM_SPAN_NAME).isEmpty(), "still open");

            tracing.streamEnded(streamId, NodeTracing.EVENT_EXPIRED, null);
            tracing.streamEnded(streamId, NodeTracing.EVENT_DELETED, null);
            assertTrue(tracing.openStreams().isEmpty());
            assertSame(Context.root(), tracing.streamContext(streamId));

            final SpanData stream = node.span(NodeTracing.STREAM_SPAN_NAME);
            final SpanData post = node.span("POST /route");
            assertTrue(stream.hasEnded());
            assertEquals(TRACE_ID, stream.getTraceId());
            assertEquals(post.getSpanId(), stream.getParentSpanId());
            assertEquals("18446744073709551614", stream.getAttributes().get(NodeTracing.STREAM_ID));
            assertEquals("node-a", stream.getAttributes().get(NodeTracing.NODE_ID));
            assertEquals("ROOM42", stream.getAttributes().get(NodeTracing.ROOM_CODE));
            assertEquals("created", stream.getAttributes().get(NodeTracing.STREAM_CAUSE));
            assertEquals("expired", stream.getAttributes().get(NodeTracing.STREAM_END_REASON));

            final String expectedState = "soundrelay=stream_id:18446744073709551614;node:node-a,vendor=abc";
            assertEquals(expectedState, traceState(stream.getSpanContext()));
            final SpanData childSpan = node.span("child");
            assertEquals(stream.getSpanId(), childSpan.getParentSpanId());
            assertEquals(expectedState, traceState(childSpan.getSpanContext()));
            assertEquals("vendor=abc", traceState(post.getSpanContext()), "the request span has no stream");

            assertEquals(List.of("first_datagram", "targets_changed", "expired"), eventNames(stream));
            final EventData first = stream.getEvents().get(0);
            assertEquals(firstDatagramAt, first.getEpochNanos());
            assertEquals(3L, stream.getEvents().get(1).getAttributes().get(AttributeKey.longKey("soundrelay.targets")));

            final Baggage baggage = Baggage.fromContext(streamContext);
            assertEquals("18446744073709551614", baggage.getEntryValue("soundrelay.stream_id"));
            assertEquals("node-a", baggage.getEntryValue("soundrelay.node_id"));
        }
    }

    @Test
    void streamWithoutRoomOrParentIsARootSpanAndStartingItAgainEndsTheOldSpan()
    {
        try (InMemoryNode node = new InMemoryNode("node-a"))
        {
            final Span ambient = node.sdk.getTracer("test").spanBuilder("ambient").startSpan();
            final Scope scope = ambient.makeCurrent();
            try
            {
                node.tracing.streamStarted(9, null, null, NodeTracing.CAUSE_RESTORED);
                node.tracing.streamStarted(9, null, null, NodeTracing.CAUSE_RESTORED);
            }
            finally
            {
                scope.close();
            }
            ambient.end();
            assertEquals(Set.of(9L), node.tracing.openStreams());
            node.tracing.streamEnded(9, NodeTracing.EVENT_DELETED, Attributes.empty());

            final List<SpanData> streams = node.spans(NodeTracing.STREAM_SPAN_NAME);
            assertEquals(2, streams.size());
            for (final SpanData stream : streams)
            {
                assertFalse(stream.getParentSpanContext().isValid(), "a root span, not a child of the current one");
                assertNull(stream.getAttributes().get(NodeTracing.ROOM_CODE));
                assertEquals("restored", stream.getAttributes().get(NodeTracing.STREAM_CAUSE));
                assertEquals("soundrelay=stream_id:9;node:node-a", traceState(stream.getSpanContext()));
            }
            assertEquals(List.of("superseded"), eventNames(streams.get(0)));
            assertEquals(List.of("deleted"), eventNames(streams.get(1)));
        }
    }

    @Test
    void migrationIsOneTraceAcrossTwoNodesJoinedThroughRedisFields()
    {
        try (InMemoryNode a = new InMemoryNode("node-a"); InMemoryNode b = new InMemoryNode("node-b"))
        {
            final long streamId = 77;
            final NodeTracing.RequestSpan request = a.tracing.startRequest("POST", "/migrate", name -> null);
            a.tracing.streamStarted(streamId, "ROOM", null, NodeTracing.CAUSE_CREATED);
            a.tracing.streamEvent(streamId, NodeTracing.EVENT_MIGRATION_STARTED, null);
            final Span migrate = a.tracing.startSpan(NodeTracing.MIGRATE_SPAN_NAME, request.context(), streamId);
            final Map<String, String> published = a.tracing.inject(request.context().with(migrate), streamId);

            // What node B reads back from the Redis message: plain strings.
            final Map<String, String> received = new HashMap<>(published);
            final Context remote = b.tracing.extract(received);
            final Baggage baggage = Baggage.fromContext(remote);
            assertEquals("77", baggage.getEntryValue("soundrelay.stream_id"));
            assertEquals("node-a", baggage.getEntryValue("soundrelay.node_id"));

            final Span adopt = b.tracing.startSpan(NodeTracing.ADOPT_SPAN_NAME, remote, streamId);
            b.tracing.streamStarted(streamId, "ROOM", remote.with(adopt), NodeTracing.CAUSE_ADOPTED);
            final Map<String, String> confirm = b.tracing.inject(b.tracing.streamContext(streamId), streamId);
            adopt.end();

            final Context confirmed = a.tracing.extract(new HashMap<>(confirm));
            assertEquals("node-b", Baggage.fromContext(confirmed).getEntryValue("soundrelay.node_id"));
            migrate.end();
            request.end(200);
            a.tracing.streamEnded(streamId, NodeTracing.EVENT_MIGRATED, null);
            b.tracing.streamEnded(streamId, NodeTracing.EVENT_DELETED, null);

            final SpanData migrateSpan = a.span(NodeTracing.MIGRATE_SPAN_NAME);
            final SpanData adoptSpan = b.span(NodeTracing.ADOPT_SPAN_NAME);
            final SpanData streamOnB = b.span(NodeTracing.STREAM_SPAN_NAME);
            final SpanData requestSpan = a.span("POST /migrate");
            assertEquals(requestSpan.getSpanId(), migrateSpan.getParentSpanId());
            assertEquals(migrateSpan.getTraceId(), adoptSpan.getTraceId());
            assertEquals(migrateSpan.getSpanId(), adoptSpan.getParentSpanId());
            assertTrue(adoptSpan.getParentSpanContext().isRemote());
            assertEquals(adoptSpan.getSpanId(), streamOnB.getParentSpanId());
            assertEquals(migrateSpan.getTraceId(), streamOnB.getTraceId());
            assertEquals("adopted", streamOnB.getAttributes().get(NodeTracing.STREAM_CAUSE));
            assertEquals("node-b", streamOnB.getAttributes().get(NodeTracing.NODE_ID));
            assertEquals("77", adoptSpan.getAttributes().get(NodeTracing.STREAM_ID));
            assertEquals("node-a", migrateSpan.getAttributes().get(NodeTracing.NODE_ID));

            assertEquals("soundrelay=stream_id:77;node:node-a", traceState(migrateSpan.getSpanContext()));
            assertEquals("soundrelay=stream_id:77;node:node-a", published.get("tracestate"));
            assertEquals("soundrelay=stream_id:77;node:node-b", traceState(adoptSpan.getSpanContext()),
                "node B's member replaces node A's");
            assertEquals("soundrelay=stream_id:77;node:node-b", confirm.get("tracestate"));
            assertEquals(List.of("migration_started", "migrated"),
                eventNames(a.span(NodeTracing.STREAM_SPAN_NAME)));

            assertTrue(published.get("traceparent").contains(migrateSpan.getSpanId()));
            assertTrue(published.get("baggage").contains("soundrelay.stream_id=77"));
            assertTrue(published.get("baggage").contains("soundrelay.node_id=node-a"));
        }
    }

    @Test
    void injectWithoutATraceStillCarriesTheBaggageAndExtractRefusesJunk()
    {
        try (InMemoryNode node = new InMemoryNode("node-a"))
        {
            final Map<String, String> fields = node.tracing.inject(null, 5);
            assertEquals(Set.of("baggage"), fields.keySet());
            final Context onlyBaggage = node.tracing.extract(fields);
            assertFalse(Span.fromContext(onlyBaggage).getSpanContext().isValid());
            assertEquals("5", Baggage.fromContext(onlyBaggage).getEntryValue("soundrelay.stream_id"));

            assertSame(Context.root(), node.tracing.extract(null));
            assertSame(Context.root(), node.tracing.extract(Map.of()));
            assertSame(Context.root(), node.tracing.extract(Map.of("traceparent", "00-zz-yy-01", "x", "y")));
            assertSame(Context.root(), node.tracing.extract(
                Map.of("traceparent", "00-00000000000000000000000000000000-0000000000000000-01")));

            final Context baggageOverwritten = Baggage.builder()
                .put("soundrelay.node_id", "somebody-else").put("keep", "me").build().storeInContext(Context.root());
            final Baggage sent = Baggage.fromContext(node.tracing.extract(node.tracing.inject(baggageOverwritten, 6)));
            assertEquals("node-a", sent.getEntryValue("soundrelay.node_id"));
            assertEquals("me", sent.getEntryValue("keep"));
        }
    }

    @Test
    void theSamplerDecidesButTheTraceStateIsSetEvenOnUnsampledSpans()
    {
        try (InMemoryNode node = new InMemoryNode("node-a", Sampler.alwaysOff(), 10))
        {
            node.tracing.streamStarted(3, null, null, NodeTracing.CAUSE_CREATED);
            final Map<String, String> fields = node.tracing.inject(node.tracing.streamContext(3), 3);
            final String traceparent = fields.get("traceparent");
            final int flags = Integer.parseInt(traceparent.substring(traceparent.lastIndexOf('-') + 1), 16);
            assertEquals(0, flags & 1, "not sampled: " + traceparent);
            assertEquals("soundrelay=stream_id:3;node:node-a", fields.get("tracestate"));
            node.tracing.streamEnded(3, NodeTracing.EVENT_DELETED, null);
            assertTrue(node.exporter.getFinishedSpanItems().isEmpty());
        }
    }

    @Test
    void openStreamSpansAreBoundedAndTheRestIsCounted()
    {
        try (InMemoryNode node = new InMemoryNode("node-a", Sampler.alwaysOn(), 2))
        {
            final NodeTracing tracing = node.tracing;
            tracing.streamStarted(1, null, null, NodeTracing.CAUSE_CREATED);
            tracing.streamStarted(2, null, null, NodeTracing.CAUSE_CREATED);
            tracing.streamStarted(3, null, null, NodeTracing.CAUSE_CREATED);
            tracing.streamStarted(2, null, null, NodeTracing.CAUSE_RESTORED);
            assertEquals(Set.of(1L, 2L), tracing.openStreams());
            assertEquals(1, tracing.untracedStreams());
            assertSame(Context.root(), tracing.streamContext(3));
            tracing.streamEvent(3, "ignored", null);
            tracing.streamEnded(3, NodeTracing.EVENT_DELETED, null);

            tracing.streamEnded(1, NodeTracing.EVENT_DELETED, null);
            tracing.streamStarted(4, null, null, NodeTracing.CAUSE_CREATED);
            assertEquals(Set.of(2L, 4L), tracing.openStreams());
            assertEquals(1, tracing.untracedStreams());
        }
    }

    @Test
    void concurrentStartsAndEndsEndEverySpanOnce() throws Exception
    {
        final int threads = 4;
        final int streamsPerThread = 500;
        try (InMemoryNode node = new InMemoryNode("node-a", Sampler.alwaysOn(), 1000))
        {
            final ExecutorService pool = Executors.newFixedThreadPool(threads);
            try
            {
                final CountDownLatch go = new CountDownLatch(1);
                final List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++)
                {
                    done.add(pool.submit(() ->
                    {
                        go.await();
                        for (long id = 0; id < streamsPerThread; id++)
                        {
                            // Every thread works on the same ids, so starts, events and ends race on one stream.
                            node.tracing.streamStarted(id, null, null, NodeTracing.CAUSE_CREATED);
                            node.tracing.firstDatagram(id, id);
                            node.tracing.streamEvent(id, NodeTracing.EVENT_TARGETS_CHANGED, null);
                            node.tracing.streamEnded(id, NodeTracing.EVENT_DELETED, null);
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (final Future<?> f : done)
                {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            assertTrue(node.tracing.openStreams().isEmpty());
            assertEquals(0, node.tracing.untracedStreams());
            final List<SpanData> spans = node.spans(NodeTracing.STREAM_SPAN_NAME);
            final Set<String> spanIds = new HashSet<>();
            for (final SpanData span : spans)
            {
                assertTrue(spanIds.add(span.getSpanId()), "exported once: " + span.getSpanId());
                assertEquals(1, span.getEvents().stream().filter(e -> e.getName().equals("deleted") ||
                    e.getName().equals("superseded")).count(), () -> eventNames(span).toString());
            }
            assertEquals(threads * streamsPerThread, spans.size(), "every start ended exactly one span");
        }
    }

    @Test
    void closeEndsTheOpenStreamSpans()
    {
        try (InMemoryNode node = new InMemoryNode("node-a"))
        {
            node.tracing.streamStarted(11, "R", null, NodeTracing.CAUSE_FAILOVER);
            node.tracing.close();
            assertTrue(node.tracing.openStreams().isEmpty());
            assertEquals(List.of("shutdown"), eventNames(node.span(NodeTracing.STREAM_SPAN_NAME)));
            node.tracing.streamStarted(12, "R", null, NodeTracing.CAUSE_CREATED);
            assertTrue(node.tracing.openStreams().isEmpty(), "not traced once closed");
        }
    }

    @Test
    void disabledTracingRecordsNothingButPassesTheIncomingTraceOn()
    {
        try (NodeTracing tracing = NodeTracing.disabled("node-a"))
        {
            assertFalse(tracing.exporting());
            assertEquals("node-a", tracing.nodeId());
            final NodeTracing.RequestSpan request =
                tracing.startRequest("GET", "/health", headers("traceparent", TRACEPARENT));
            assertEquals(TRACE_ID, Span.fromContext(request.context()).getSpanContext().getTraceId());
            tracing.streamStarted(1, "R", request.context(), NodeTracing.CAUSE_CREATED);
            assertTrue(tracing.openStreams().isEmpty());
            assertSame(Context.root(), tracing.streamContext(1));
            final Map<String, String> fields = tracing.inject(request.context(), 1);
            assertTrue(fields.get("traceparent").contains(TRACE_ID));
            assertTrue(fields.get("baggage").contains("soundrelay.node_id=node-a"));
            request.end(200);
        }
    }
}
