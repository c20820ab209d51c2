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
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link Sampler} that leaves the decision to its delegate and puts the {@code soundrelay} member first in the
 * trace state of every span that starts with both {@link NodeTracing#STREAM_ID} and {@link NodeTracing#NODE_ID}
 * among its attributes: the stream spans, and the migration spans of {@link NodeTracing#startSpan}. The span
 * carries that trace state in its {@code SpanContext}, every child of it inherits it, and the W3C propagator sends
 * it on in {@code tracestate}.
 * <p>
 * <b>Deviation from PROTOCOL.md section 8.</b> The protocol writes the member as
 * {@code soundrelay=stream_id:{id},node:{node_id}}, but a W3C trace-context list-member value may not contain
 * {@code ','} (it separates the list members) nor {@code '='}; that literal value is invalid and OpenTelemetry's
 * {@code TraceState} builder drops it. The member is written {@code soundrelay=stream_id:{id};node:{node_id}}
 * instead, {@code ';'} in place of {@code ','}. {@code {id}} is the stream id as an unsigned decimal.
 * <p>
 * <b>Node ids.</b> A configured node id ({@code [A-Za-z0-9_.-]}, at most 64 characters) is written as is. Any
 * other node id is percent-encoded: each UTF-8 byte of a character outside {@code '!'..'~'} (space and control
 * characters included), and of {@code ','}, {@code '='}, {@code ';'} and {@code '%'}, becomes {@code %XX} (upper
 * case hex), so that the value stays valid and splits unambiguously on {@code ';'}. The encoded node id is cut,
 * never inside a {@code %XX}, so that the whole value fits the 256 characters W3C allows.
 * <p>
 * An older {@code soundrelay} member (from the parent) is replaced; other vendors' members are kept in their
 * order after it, the right-most dropped if the list would exceed the 32 members W3C allows.
 */
final class StreamTraceStateSampler implements Sampler
{
    /** Trace-state key of the SoundRelay member. */
    static final String KEY = "soundrelay";

    private static final int MAX_MEMBERS = 32;
    private static final int MAX_VALUE_LENGTH = 256;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private static final String STREAM_PREFIX = "stream_id:";
    private static final String NODE_PREFIX = ";node:";

    private final Sampler delegate;

    StreamTraceStateSampler(final Sampler delegate)
    {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public SamplingResult shouldSample(
        final Context parentContext,
        final String traceId,
        final String name,
        final SpanKind spanKind,
        final Attributes attributes,
        final List<LinkData> parentLinks)
    {
        final SamplingResult result =
            delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
        final String streamId = attributes.get(NodeTracing.STREAM_ID);
        final String nodeId = attributes.get(NodeTracing.NODE_ID);
        if (streamId == null || nodeId == null)
        {
            return result;
        }
        return new WithStreamMember(result, value(streamId, nodeId));
    }

    @Override
    public String getDescription()
    {
        return "SoundRelayTraceState{" + delegate.getDescription() + "}";
    }

    @Override
    public String toString()
    {
        return getDescription();
    }

    /**
     * @param streamId the stream id, already written as an unsigned decimal.
     * @param nodeId   the node id, as configured.
     * @return {@code stream_id:{id};node:{node_id}}, the node id encoded as the class comment says.
     */
    static String value(final String streamId, final String nodeId)
    {
        final StringBuilder out = new StringBuilder(STREAM_PREFIX.length() + streamId.length() +
            NODE_PREFIX.length() + nodeId.length());
        out.append(STREAM_PREFIX).append(streamId).append(NODE_PREFIX);
        final byte[] utf8 = nodeId.getBytes(StandardCharsets.UTF_8);
        for (final byte b : utf8)
        {
            final int c = b & 0xFF;
            final boolean plain = c >= '!' && c <= '~' && c != ',' && c != '=' && c != ';' && c != '%';
            final int room = MAX_VALUE_LENGTH - out.length();
            if (plain && room >= 1)
            {
                out.append((char)c);
            }
            else if (!plain && room >= 3)
            {
                out.append('%').append(HEX[c >>> 4]).append(HEX[c & 0xF]);
            }
            else
            {
                break;
            }
        }
        return out.toString();
    }

    /**
     * @param parent a trace state, possibly with a {@code soundrelay} member of its own.
     * @param value  the new {@code soundrelay} value, already valid.
     * @return {@code parent} with {@code soundrelay=value} first and no other {@code soundrelay} member.
     */
    static TraceState withMember(final TraceState parent, final String value)
    {
        final List<String> others = new ArrayList<>(2 * parent.size());
        parent.forEach((key, v) ->
        {
            if (!KEY.equals(key))
            {
                others.add(key);
                others.add(v);
            }
        });
        // The builder puts each new key in front of the earlier ones: the others right-most first, ours last.
        final int kept = Math.min(others.size() / 2, MAX_MEMBERS - 1);
        final TraceStateBuilder builder = TraceState.builder();
        for (int i = kept - 1; i >= 0; i--)
        {
            builder.put(others.get(2 * i), others.get(2 * i + 1));
        }
        return builder.put(KEY, value).build();
    }

    private static final class WithStreamMember implements SamplingResult
    {
        private final SamplingResult result;
        private final String value;

        WithStreamMember(final SamplingResult result, final String value)
        {
            this.result = result;
            this.value = value;
        }

        @Override
        public SamplingDecision getDecision()
        {
            return result.getDecision();
        }

        @Override
        public Attributes getAttributes()
        {
            return result.getAttributes();
        }

        @Override
        public TraceState getUpdatedTraceState(final TraceState parentTraceState)
        {
            return withMember(result.getUpdatedTraceState(parentTraceState), value);
        }
    }
}
