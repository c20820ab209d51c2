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

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code soundrelay} trace-state member: its value, always valid W3C, and its place in the list.
 */
class TracingTraceStateTest
{
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    private static List<String> members(final TraceState state)
    {
        final List<String> members = new ArrayList<>();
        state.forEach((key, value) -> members.add(key + '=' + value));
        return members;
    }

    private static TraceState sample(final TraceState parent, final Attributes attributes)
    {
        final SamplingResult result = NodeTracing.sampler(Sampler.alwaysOn()).shouldSample(
            Context.root(), TRACE_ID, "s", SpanKind.INTERNAL, attributes, List.of());
        assertEquals(SamplingDecision.RECORD_AND_SAMPLE, result.getDecision());
        return result.getUpdatedTraceState(parent);
    }

    @Test
    void valueUsesSemicolonAndUnsignedIds()
    {
        assertEquals("stream_id:42;node:relay-node-1", NodeTracing.traceStateValue(42, "relay-node-1"));
        assertEquals("stream_id:18446744073709551615;node:n.1_x", NodeTracing.traceStateValue(-1, "n.1_x"));
    }

    @Test
    void nodeIdsWithCharactersATraceStateCannotHoldArePercentEncoded()
    {
        final String value = NodeTracing.traceStateValue(1, "a,b=c;d%e f\u00e9\t");
        assertEquals("stream_id:1;node:a%2Cb%3Dc%3Bd%25e%20f%C3%A9%09", value);
        assertEquals(value, TraceState.builder().put("soundrelay", value).build().get("soundrelay"), "valid W3C");
    }

    @Test
    void longNodeIdsAreCutToFitWithoutBreakingAnEscape()
    {
        final String plain = NodeTracing.traceStateValue(1, "x".repeat(400));
        assertEquals(256, plain.length());

        final String escaped = NodeTracing.traceStateValue(1, "%".repeat(100));
        assertTrue(escaped.length() <= 256);
        assertTrue(escaped.endsWith("%25"), escaped);
        assertEquals(escaped, TraceState.builder().put("soundrelay", escaped).build().get("soundrelay"));
    }

    @Test
    void memberGoesFirstReplacingAnOlderOneAndKeepingOtherVendors()
    {
        final TraceState parent = TraceState.builder()
            .put("zed", "3").put("soundrelay", "stream_id:1;node:old").put("vendor", "1").build();
        assertEquals(List.of("vendor=1", "soundrelay=stream_id:1;node:old", "zed=3"), members(parent));

        final TraceState state = sample(parent, Attributes.of(
            NodeTracing.STREAM_ID, "2", NodeTracing.NODE_ID, "new"));
        assertEquals(List.of("soundrelay=stream_id:2;node:new", "vendor=1", "zed=3"), members(state));
    }

    @Test
    void aFullListDropsTheRightMostMemberToMakeRoom()
    {
        TraceStateBuilder builder = TraceState.builder();
        for (int i = 31; i >= 0; i--)
        {
            builder = builder.put("v" + i, "x");
        }
        final TraceState full = builder.build();
        assertEquals(32, full.size());

        final List<String> members = members(sample(full, Attributes.of(
            NodeTracing.STREAM_ID, "2", NodeTracing.NODE_ID, "n")));
        assertEquals(32, members.size());
        assertEquals("soundrelay=stream_id:2;node:n", members.get(0));
        assertEquals("v0=x", members.get(1));
        assertEquals("v30=x", members.get(31));
    }

    @Test
    void spansWithoutBothAttributesKeepTheParentTraceState()
    {
        final TraceState parent = TraceState.builder().put("vendor", "1").build();
        assertSame(parent, sample(parent, Attributes.of(NodeTracing.STREAM_ID, "2")));
        assertSame(parent, sample(parent, Attributes.empty()));
        assertTrue(NodeTracing.sampler(Sampler.alwaysOff()).getDescription().contains("AlwaysOffSampler"));
    }
}
