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

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.soundrelay.control.trace.NodeTracing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A migration's trace (PROTOCOL.md section 8): the request on the old node, its hand-off span, the new node's adoption
 * and the stream's span there are one trace, joined only through the traceparent the old node put in Redis.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class MigrationTraceTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";

    /** One node's tracing, exporting into memory: what an OTLP collector would receive from it. */
    static final class Traced
    {
        final InMemorySpanExporter exporter = InMemorySpanExporter.create();
        final NodeTracing tracing;

        Traced(final String nodeId)
        {
            tracing = NodeTracing.of(OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                    .setSampler(NodeTracing.sampler(Sampler.alwaysOn()))
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
                .build(), nodeId);
        }

        List<SpanData> named(final String name)
        {
            return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name))
                .collect(Collectors.toList());
        }
    }

    @Test
    void migrationSpansOnBothNodesFormOneTraceJoinedThroughRedis() throws Exception
    {
        try (RedisServer redis = RedisServer.start())
        {
            final Traced tracedA = new Traced("node-a");
            final Traced tracedB = new Traced("node-b");
            try (NodeFixture a = NodeFixture.start(
                    NodeFixture.withPipelines(pipelines, Map.of("REDIS_URL", redis.url(), "NODE_ID", "node-a")),
                    tracedA.tracing);
                NodeFixture b = NodeFixture.start(
                    NodeFixture.withPipelines(pipelines, Map.of("REDIS_URL", redis.url(), "NODE_ID", "node-b")),
                    tracedB.tracing);
                DatagramChannel source = NodeFixture.udp();
                DatagramChannel target = NodeFixture.udp())
            {
                MultiNodeTest.await("both nodes listed", 10,
                    MultiNodeTest.quietly(() -> MultiNodeTest.nodeIds(a).size() == 2));
                assertEquals(201, a.createRoute(9, source, null, target).statusCode());
                a.send(source, NodeFixture.frame(9, 0, 0, new byte[]{9}));
                NodeFixture.receive(target);

                final HttpResponse<String> migrated = a.call("POST", "/migrate",
                    MultiNodeTest.migrateBody(9, MultiNodeTest.relay(b)),
                    "Authorization", "Bearer " + NodeFixture.KEY,
                    "traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-01",
                    "baggage", "tenant=blue");
                assertEquals(200, migrated.statusCode(), migrated.body());
                assertEquals(204, b.authed("DELETE", "/route/9", null).statusCode());
                MultiNodeTest.await("the new node's stream span ended", 10,
                    () -> !tracedB.named(NodeTracing.STREAM_SPAN_NAME).isEmpty());
                MultiNodeTest.await("the old node's request span ended", 10,
                    () -> !tracedA.named("POST /migrate").isEmpty());

                final SpanData request = tracedA.named("POST /migrate").get(0);
                assertEquals(TRACE_ID, request.getTraceId(), "the request continues the caller's trace");
                assertEquals(CALLER_SPAN_ID, request.getParentSpanId());

                final SpanData migrate = tracedA.named(NodeTracing.MIGRATE_SPAN_NAME).get(0);
                assertEquals(TRACE_ID, migrate.getTraceId());
                assertEquals(request.getSpanId(), migrate.getParentSpanId());

                final SpanData adopt = tracedB.named(NodeTracing.ADOPT_SPAN_NAME).get(0);
                assertEquals(TRACE_ID, adopt.getTraceId(), "node-b joined the trace through Redis");
                assertEquals(migrate.getSpanId(), adopt.getParentSpanId());
                assertEquals("9", adopt.getAttributes().get(NodeTracing.STREAM_ID));

                final SpanData streamOnB = tracedB.named(NodeTracing.STREAM_SPAN_NAME).get(0);
                assertEquals(TRACE_ID, streamOnB.getTraceId());
                assertEquals(adopt.getSpanId(), streamOnB.getParentSpanId());
                assertEquals("node-b", streamOnB.getAttributes().get(NodeTracing.NODE_ID));
                assertEquals("stream_id:9;node:node-b", streamOnB.getSpanContext().getTraceState().get("soundrelay"));
                assertTrue(streamOnB.getEvents().stream().anyMatch(e -> e.getName().equals("migration")),
                    streamOnB.getEvents().toString());

                final SpanData streamOnA = tracedA.named(NodeTracing.STREAM_SPAN_NAME).get(0);
                assertEquals("9", streamOnA.getAttributes().get(NodeTracing.STREAM_ID));
                assertTrue(streamOnA.getEvents().stream().anyMatch(e -> e.getName().equals("migration")),
                    streamOnA.getEvents().toString());
                assertTrue(streamOnA.getEvents().stream().anyMatch(e -> e.getName().equals("first_datagram")),
                    streamOnA.getEvents().toString());
                assertEquals(List.of("POST /route", "POST /migrate"), tracedA.exporter.getFinishedSpanItems().stream()
                    .filter(span -> span.getName().startsWith("POST")).map(SpanData::getName)
                    .collect(Collectors.toList()), "a span per request, named by its route template");
                assertEquals("stream_id:9;node:node-a", streamOnA.getSpanContext().getTraceState().get("soundrelay"));
            }
        }
    }
}
