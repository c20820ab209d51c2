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
package io.soundrelay.tools;

import com.fasterxml.jackson.core.JsonGenerator;
import org.HdrHistogram.Histogram;

import java.io.IOException;

/**
 * The {@code loadgen --json} report: one JSON object with a run's settings, counts, rates, latency summary in
 * microseconds and verdict, or, when the run could not start, the error.
 */
final class LoadgenJson
{
    private LoadgenJson()
    {
    }

    /**
     * @return the run as one JSON object.
     */
    static String report(final GeneratorResult result)
    {
        return Json.write((json) -> write(json, result));
    }

    /**
     * @param message why the run could not start; control characters become spaces.
     * @return {@code {"tool":"loadgen","passed":false,"error":"..."}}.
     */
    static String error(final String message)
    {
        final String text = null == message ? "" : message.replaceAll("[\\x00-\\x1F]", " ");
        return Json.write((json) ->
        {
            json.writeStartObject();
            json.writeStringField("tool", "loadgen");
            json.writeBooleanField("passed", false);
            json.writeStringField("error", text);
            json.writeEndObject();
        });
    }

    private static void write(final JsonGenerator json, final GeneratorResult result) throws IOException
    {
        final GeneratorOptions options = result.options();
        json.writeStartObject();
        json.writeStringField("tool", "loadgen");
        json.writeStringField("wire", options.wire().wireName());
        json.writeStringField("deliver", options.sinkDelivery().wireName());
        json.writeBooleanField("create_routes", options.createRoutes());
        json.writeNumberField("streams", options.streams());
        Json.writeRounded(json, "pps_per_stream", options.ppsPerStream());
        json.writeBooleanField("rate_unlimited", options.rateUnlimited());
        Json.writeRounded(json, "duration_s", options.durationSeconds());
        json.writeNumberField("payload_bytes", options.payloadBytes());
        json.writeNumberField("senders", options.senders());
        json.writeNumberField("receivers", options.receivers());
        json.writeBooleanField("socket_per_stream", options.socketPerStream());
        json.writeBooleanField("return_path", options.returnPath());
        json.writeBooleanField("echo", options.echo());
        writeOptional(json, "pace_ms", options.paceMs(), GeneratorOptions.PACE_MS_NOT_SENT);
        writeOptional(json, "jitter_ms", options.jitterMs(), GeneratorOptions.JITTER_MS_NOT_SENT);
        json.writeNumberField("burst", options.burst());
        json.writeNumberField("stall_ms", options.stallMs());
        json.writeBooleanField("burst_aligned", options.burstAligned());
        json.writeNumberField("sent", result.sent());
        json.writeNumberField("received", result.delivered());
        json.writeNumberField("lost", result.lost());
        Json.writeRounded(json, "loss_percent", result.lossPercent());
        json.writeNumberField("duplicates", result.duplicates());
        json.writeNumberField("corrupt", result.corrupt());
        json.writeNumberField("unexpected", result.unexpected());
        json.writeNumberField("wrong_stream", result.wrongStream());
        json.writeNumberField("leaked", result.leaked());
        json.writeNumberField("out_of_order", result.outOfOrder());
        json.writeNumberField("datagrams_in", result.received());
        json.writeNumberField("stranger_sent", result.strangerSent());
        json.writeNumberField("send_errors", result.sendErrors());
        json.writeNumberField("route_errors", result.routeErrors());
        Json.writeRounded(json, "send_window_s", result.sendSeconds());
        Json.writeRounded(json, "warmup_s", options.warmupSeconds());
        json.writeNumberField("measured_received", result.measuredReceived());
        Json.writeRounded(json, "sent_pps", result.sentPerSecond());
        Json.writeRounded(json, "delivered_pps", result.deliveredPerSecond());
        json.writeStringField("latency_basis", result.latencyBasis());
        writeLatency(json, "latency_us", result.latencyNs());
        json.writeObjectFieldStart("inter_arrival_ms");
        json.writeNumberField("count", result.interArrivalNs().getTotalCount());
        Json.writeRounded(json, "p50", GeneratorResult.millis(result.interArrivalNs(), 50));
        Json.writeRounded(json, "p99", GeneratorResult.millis(result.interArrivalNs(), 99));
        Json.writeRounded(json, "p99_9", GeneratorResult.millis(result.interArrivalNs(), 99.9));
        Json.writeRounded(json, "max", result.interArrivalNs().getMaxValue() / GeneratorResult.NANOS_PER_MILLI);
        json.writeEndObject();
        if (null != result.returned())
        {
            writeReturn(json, result.returned(), result.latencyBasis());
        }
        json.writeBooleanField("passed", result.passed());
        json.writeArrayFieldStart("failures");
        for (final String failure : result.failures())
        {
            json.writeString(failure);
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    private static void writeOptional(final JsonGenerator json, final String name, final int value, final int absent)
        throws IOException
    {
        if (value == absent)
        {
            json.writeNullField(name);
        }
        else
        {
            json.writeNumberField(name, value);
        }
    }

    private static void writeReturn(final JsonGenerator json, final GeneratorResult.Return back, final String basis)
        throws IOException
    {
        json.writeObjectFieldStart("return");
        json.writeNumberField("echoed", back.echoed());
        json.writeNumberField("echo_errors", back.echoErrors());
        json.writeNumberField("received", back.returned());
        json.writeNumberField("lost", back.lost());
        Json.writeRounded(json, "loss_percent", back.lossPercent());
        json.writeNumberField("duplicates", back.duplicates());
        json.writeNumberField("corrupt", back.corrupt());
        json.writeNumberField("unexpected", back.unexpected());
        json.writeNumberField("wrong_stream", back.wrongStream());
        json.writeNumberField("leaked", back.leaked());
        json.writeNumberField("out_of_order", back.outOfOrder());
        json.writeNumberField("datagrams_in", back.received());
        json.writeNumberField("measured_received", back.measuredReturned());
        Json.writeRounded(json, "delivered_pps", back.returnedPerSecond());
        json.writeStringField("latency_basis", basis);
        writeLatency(json, "latency_us", back.roundTripNs());
        json.writeEndObject();
    }

    private static void writeLatency(final JsonGenerator json, final String name, final Histogram histogram)
        throws IOException
    {
        final boolean any = histogram.getTotalCount() > 0;
        json.writeObjectFieldStart(name);
        json.writeNumberField("count", histogram.getTotalCount());
        Json.writeRounded(json, "min", any ? GeneratorResult.micros(histogram.getMinValue()) : 0);
        Json.writeRounded(json, "mean", any ? histogram.getMean() / GeneratorResult.NANOS_PER_MICRO : 0);
        Json.writeRounded(json, "p50", GeneratorResult.percentile(histogram, 50));
        Json.writeRounded(json, "p90", GeneratorResult.percentile(histogram, 90));
        Json.writeRounded(json, "p99", GeneratorResult.percentile(histogram, 99));
        Json.writeRounded(json, "p99_9", GeneratorResult.percentile(histogram, 99.9));
        Json.writeRounded(json, "max", any ? GeneratorResult.micros(histogram.getMaxValue()) : 0);
        json.writeEndObject();
    }
}
