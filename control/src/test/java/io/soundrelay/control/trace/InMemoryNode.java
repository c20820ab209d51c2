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

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One simulated node: its own SDK, exporting synchronously to memory, with the node's sampler over
 * {@code alwaysOn}, and the {@link NodeTracing} over it.
 */
final class InMemoryNode implements AutoCloseable
{
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final OpenTelemetrySdk sdk;
    final NodeTracing tracing;

    InMemoryNode(final String nodeId)
    {
        this(nodeId, Sampler.alwaysOn(), NodeTracing.MAX_OPEN_STREAM_SPANS);
    }

    InMemoryNode(final String nodeId, final Sampler sampler, final int maxOpenStreams)
    {
        sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                .setSampler(NodeTracing.sampler(sampler))
                .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build())
            .build();
        tracing = NodeTracing.of(sdk, nodeId, maxOpenStreams);
    }

    /**
     * @return the ended spans with that name.
     */
    List<SpanData> spans(final String name)
    {
        return exporter.getFinishedSpanItems().stream()
            .filter(span -> span.getName().equals(name))
            .collect(Collectors.toList());
    }

    /**
     * @return the one ended span with that name.
     */
    SpanData span(final String name)
    {
        final List<SpanData> spans = spans(name);
        assertEquals(1, spans.size(), () -> "spans named " + name + " in " + exporter.getFinishedSpanItems());
        return spans.get(0);
    }

    @Override
    public void close()
    {
        tracing.close();
        sdk.close();
    }
}
