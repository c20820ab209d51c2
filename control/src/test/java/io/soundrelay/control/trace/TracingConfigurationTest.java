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

import io.soundrelay.core.config.ConfigurationException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code OTEL_*} settings as the node reads them: a refused value stops start-up naming the variable, as every
 * other setting does; the node's own defaults and rules apply.
 */
class TracingConfigurationTest
{
    @BeforeEach
    void cleanEnvironment()
    {
        OtlpReceiver.assumeNoOtelEnvironment();
    }

    private static String refused(final Map<String, String> settings)
    {
        return assertThrows(ConfigurationException.class, () -> NodeTracing.fromEnvironment(settings, "n1").close())
            .getMessage();
    }

    @Test
    void aBadSamplerNamesTheVariable()
    {
        final String message = refused(Map.of("OTEL_TRACES_SAMPLER", "nonsense"));
        assertTrue(message.startsWith("OTEL_TRACES_SAMPLER=nonsense: "), message);
    }

    @Test
    void otherBadValuesNameTheirVariables()
    {
        assertTrue(refused(Map.of("OTEL_TRACES_EXPORTER", "carrier-pigeon"))
            .startsWith("OTEL_TRACES_EXPORTER=carrier-pigeon: "));
        assertTrue(refused(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"))
            .startsWith("OTEL_EXPORTER_OTLP_ENDPOINT=not a url: "));
        assertTrue(refused(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://127.0.0.1:4318"))
            .startsWith("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=ftp://127.0.0.1:4318: "));
        assertTrue(refused(Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9", "OTEL_BSP_SCHEDULE_DELAY", "soon"))
            .startsWith("OTEL_BSP_SCHEDULE_DELAY=soon: "));
        assertTrue(refused(Map.of("OTEL_PROPAGATORS", "smoke-signals"))
            .startsWith("OTEL_PROPAGATORS=smoke-signals: "));
    }

    @Test
    void grpcIsRefusedAsOnlyTheJdkHttpSenderIsThere()
    {
        final String message = refused(Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"));
        assertTrue(message.startsWith("OTEL_EXPORTER_OTLP_PROTOCOL=grpc: "), message);
    }

    @Test
    void anEndpointMeansExportingAndNoEndpointMeansNot()
    {
        try (NodeTracing tracing = NodeTracing.fromEnvironment(
            Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/v1/traces"), "n1"))
        {
            assertTrue(tracing.exporting());
            assertEquals("n1", tracing.nodeId());
        }
        try (NodeTracing tracing = NodeTracing.fromEnvironment(Map.of(), "n1"))
        {
            assertFalse(tracing.exporting());
        }
        try (NodeTracing tracing = NodeTracing.fromEnvironment(Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9", "OTEL_SDK_DISABLED", "true"), "n1"))
        {
            assertFalse(tracing.exporting());
        }
    }

    @Test
    void metricsAndLogsExportersAreAlwaysNoneAndOtherVariablesAreNotRead()
    {
        try (NodeTracing tracing = NodeTracing.fromEnvironment(Map.of(
            "OTEL_METRICS_EXPORTER", "no-such-exporter",
            "OTEL_LOGS_EXPORTER", "no-such-exporter",
            "BIND_ADDR", "not an address",
            "OTEL_EXPORTER_OTLP_HEADERS", " "), "n1"))
        {
            assertFalse(tracing.exporting());
        }
    }

    @Test
    void secretsAreNotRepeatedInTheMessage()
    {
        final String message = refused(Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_HEADERS", "secret-token"));
        assertTrue(message.startsWith("OTEL_EXPORTER_OTLP_HEADERS=<redacted>: "), message);
        assertFalse(message.contains("secret-token"), message);
    }

    @Test
    void otelPropertiesOfTheJvmWinOverTheSettingsPassedIn()
    {
        System.setProperty("otel.traces.sampler", "always_on");
        try (NodeTracing tracing = NodeTracing.fromEnvironment(Map.of("OTEL_TRACES_SAMPLER", "nonsense"), "n1"))
        {
            assertFalse(tracing.exporting());
        }
        finally
        {
            System.clearProperty("otel.traces.sampler");
        }
    }
}
