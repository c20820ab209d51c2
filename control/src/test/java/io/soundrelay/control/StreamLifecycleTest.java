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
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.soundrelay.control.trace.NodeTracing;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stream lifecycle as an agent: stepped by hand, its sweep runs once per period; closed on its runner, it sweeps
 * once more.
 */
class StreamLifecycleTest
{
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final NodeTracing tracing = NodeTracing.of(OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setSampler(NodeTracing.sampler(Sampler.alwaysOn()))
            .addSpanProcessor(SimpleSpanProcessor.create(exporter))
            .build())
        .build(), "lifecycle");
    private final RouteRegistry registry = new RouteRegistry();

    private RouteEntry route(final long streamId)
    {
        final RouteEntry entry = new RouteEntry(new RouteSpec(streamId, Endpoint.parse("127.0.0.1:5000"),
            List.of(Endpoint.parse("127.0.0.1:5001")), null, Deliver.PAYLOAD, 0, false), 0, 0);
        registry.publish(entry);
        tracing.streamStarted(streamId, null, null, NodeTracing.CAUSE_CREATED);
        return entry;
    }

    private List<String> events(final long streamId)
    {
        tracing.streamEnded(streamId, "deleted", Attributes.empty());
        final SpanData span = exporter.getFinishedSpanItems().get(exporter.getFinishedSpanItems().size() - 1);
        return span.getEvents().stream().map(EventData::getName).toList();
    }

    @Test
    void aSweepIsDueOncePerPeriod()
    {
        final StreamLifecycle lifecycle = new StreamLifecycle(registry, tracing);
        final RouteEntry entry = route(7);
        lifecycle.onStart();
        entry.onDatagramIn(System.nanoTime());

        assertEquals(1, lifecycle.doWork(), "the first sweep is due at once");
        assertEquals(0, lifecycle.doWork(), "the next one a period later");
        assertTrue(events(7).contains(NodeTracing.EVENT_FIRST_DATAGRAM));
    }

    @Test
    void closingSweepsOnceMore()
    {
        final StreamLifecycle lifecycle = new StreamLifecycle(registry, tracing);
        final RouteEntry entry = route(8);
        lifecycle.onStart();
        assertEquals(1, lifecycle.doWork(), "the first sweep, before any datagram");
        entry.onDatagramIn(System.nanoTime());
        assertEquals(0, lifecycle.doWork(), "no sweep due for a period");

        lifecycle.onClose();

        assertTrue(events(8).contains(NodeTracing.EVENT_FIRST_DATAGRAM), "only the sweep on close saw the datagram");
    }

    @Test
    void theRunnerStartsAndCloses()
    {
        final AgentRunner runner = StreamLifecycle.start(registry, tracing, Thread::new);
        runner.close();

        assertTrue(runner.isClosed());
    }
}
