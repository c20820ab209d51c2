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

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.ServiceInstanceIdResourceProvider;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import io.soundrelay.core.config.ConfigurationException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the node's {@link OpenTelemetrySdk} with OpenTelemetry's autoconfiguration from the standard
 * {@code OTEL_*} variables, with the node's own defaults and rules on top:
 * <ul>
 *     <li>the values passed in (the {@code .env} file) are defaults: the environment and {@code otel.*} system
 *     properties win over them, as autoconfiguration has it; names other than {@code OTEL_*} and blank values are
 *     ignored;</li>
 *     <li>{@code OTEL_SERVICE_NAME} defaults to {@value #SERVICE_NAME_DEFAULT} (unless
 *     {@code OTEL_RESOURCE_ATTRIBUTES} names a {@code service.name});</li>
 *     <li>{@code service.instance.id} is the node id unless {@code OTEL_RESOURCE_ATTRIBUTES} sets one (instead of
 *     the random id of OpenTelemetry's {@code ServiceInstanceIdResourceProvider});</li>
 *     <li>settings of parts not in use are not read, as in OpenTelemetry: e.g. a bad {@code OTEL_BSP_*} value is
 *     refused only when spans are exported;</li>
 *     <li>with neither {@code OTEL_EXPORTER_OTLP_ENDPOINT} nor {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} nor
 *     {@code OTEL_TRACES_EXPORTER}, the traces exporter is {@code none}: nothing leaves the node;</li>
 *     <li>the metrics and logs exporters are always {@code none} (metrics are Prometheus' job);</li>
 *     <li>OTLP goes over HTTP with the JDK's client: {@code OTEL_EXPORTER_OTLP_PROTOCOL} defaults to
 *     {@code http/protobuf}, and {@code grpc} is refused, as no gRPC sender is on the class path;</li>
 *     <li>no JVM shutdown hook: {@link NodeTracing#close()} flushes and shuts the SDK down;</li>
 *     <li>the sampler is wrapped in {@link NodeTracing#sampler(io.opentelemetry.sdk.trace.samplers.Sampler)}.</li>
 * </ul>
 * A value autoconfiguration refuses becomes a {@link ConfigurationException} {@code NAME=value: why} naming the
 * variable, like every other setting of the node.
 */
final class OtelEnvironment
{
    /** {@code service.name} unless configured. */
    static final String SERVICE_NAME_DEFAULT = "soundrelay";

    static final String PROTOCOL_HTTP_PROTOBUF = "http/protobuf";
    static final String PROTOCOL_GRPC = "grpc";

    private static final AttributeKey<String> SERVICE_INSTANCE_ID = AttributeKey.stringKey("service.instance.id");
    private static final Pattern PROPERTY = Pattern.compile("otel(?:[._-][a-z0-9]+)+");
    private static final int MAX_SHOWN_VALUE_LENGTH = 128;
    private static final String DISABLED_RESOURCE_PROVIDERS = "otel.java.disabled.resource.providers";

    private final Map<String, String> defaults;
    private final String nodeId;
    private final AtomicReference<ConfigProperties> seen = new AtomicReference<>();
    private final AtomicBoolean exporting = new AtomicBoolean();

    private OtelEnvironment(final Map<String, String> settings, final String nodeId)
    {
        this.defaults = otelOnly(settings);
        this.nodeId = nodeId;
    }

    /**
     * The autoconfigured SDK and whether it exports spans.
     */
    static final class Sdk
    {
        final OpenTelemetrySdk openTelemetry;
        final boolean exporting;

        Sdk(final OpenTelemetrySdk openTelemetry, final boolean exporting)
        {
            this.openTelemetry = openTelemetry;
            this.exporting = exporting;
        }
    }

    /**
     * @param settings defaults for the {@code OTEL_*} variables, e.g. the {@code .env} file; null for none.
     * @param nodeId   the node id, the default {@code service.instance.id}.
     * @return the SDK, not registered as the global one.
     * @throws ConfigurationException naming the {@code OTEL_*} variable that autoconfiguration refused.
     */
    static Sdk configure(final Map<String, String> settings, final String nodeId)
    {
        return new OtelEnvironment(settings, nodeId).build();
    }

    private Sdk build()
    {
        final AutoConfiguredOpenTelemetrySdkBuilder builder = AutoConfiguredOpenTelemetrySdk.builder()
            .disableShutdownHook()
            .addPropertiesSupplier(() -> defaults)
            .addPropertiesCustomizer(this::overrides)
            .addResourceCustomizer(this::resource)
            .addSamplerCustomizer((sampler, config) -> NodeTracing.sampler(sampler))
            .addSpanExporterCustomizer((exporter, config) ->
            {
                exporting.set(true);
                return exporter;
            });
        try
        {
            return new Sdk(builder.build().getOpenTelemetrySdk(), exporting.get());
        }
        catch (final io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException ex)
        {
            throw named(ex);
        }
    }

    private Map<String, String> overrides(final ConfigProperties config)
    {
        seen.set(config);
        final Map<String, String> overrides = new HashMap<>();
        overrides.put("otel.metrics.exporter", "none");
        overrides.put("otel.logs.exporter", "none");

        final List<String> configured = config.getList("otel.traces.exporter");
        final boolean nowhere = configured.isEmpty() &&
            isBlank(config.getString("otel.exporter.otlp.endpoint")) &&
            isBlank(config.getString("otel.exporter.otlp.traces.endpoint"));
        if (nowhere)
        {
            overrides.put("otel.traces.exporter", "none");
        }
        final List<String> exporters = nowhere ? List.of("none") : configured;

        final Map<String, String> resourceAttributes = config.getMap("otel.resource.attributes");
        if (isBlank(config.getString("otel.service.name")) && !resourceAttributes.containsKey("service.name"))
        {
            overrides.put("otel.service.name", SERVICE_NAME_DEFAULT);
        }
        if (!resourceAttributes.containsKey(SERVICE_INSTANCE_ID.getKey()))
        {
            // The node id replaces the random id of this provider; replacing it afterwards logs a warning.
            final List<String> disabled = new ArrayList<>(config.getList(DISABLED_RESOURCE_PROVIDERS));
            disabled.add(ServiceInstanceIdResourceProvider.class.getName());
            overrides.put(DISABLED_RESOURCE_PROVIDERS, String.join(",", disabled));
        }

        final String tracesProtocol = config.getString("otel.exporter.otlp.traces.protocol");
        final String protocol = config.getString("otel.exporter.otlp.protocol");
        if (isBlank(tracesProtocol) && isBlank(protocol))
        {
            overrides.put("otel.exporter.otlp.protocol", PROTOCOL_HTTP_PROTOBUF);
        }
        else if (exporters.isEmpty() || exporters.contains("otlp"))
        {
            final String name = isBlank(tracesProtocol) ?
                "otel.exporter.otlp.protocol" : "otel.exporter.otlp.traces.protocol";
            final String value = isBlank(tracesProtocol) ? protocol : tracesProtocol;
            if (PROTOCOL_GRPC.equals(value.strip()))
            {
                throw new ConfigurationException(envName(name) + "=" + value +
                    ": OTLP over gRPC is not supported by this node; use " + PROTOCOL_HTTP_PROTOBUF +
                    " (port 4318)");
            }
        }
        return overrides;
    }

    private Resource resource(final Resource resource, final ConfigProperties config)
    {
        if (config.getMap("otel.resource.attributes").containsKey(SERVICE_INSTANCE_ID.getKey()))
        {
            return resource;
        }
        return resource.toBuilder().put(SERVICE_INSTANCE_ID, nodeId).build();
    }

    private ConfigurationException named(final io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException ex)
    {
        final String message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        final Throwable cause = ex.getCause();
        final String why = cause == null || cause.getMessage() == null || message.contains(cause.getMessage()) ?
            message : message + ": " + cause.getMessage();
        final ConfigProperties config = seen.get();
        final String property = property(why, config);
        final String value = property == null || config == null ? null : config.getString(property);
        final String named;
        if (property == null)
        {
            named = "OTEL_*: " + why;
        }
        else if (value == null)
        {
            named = envName(property) + ": " + why;
        }
        else
        {
            named = envName(property) + "=" + shown(property, value) + ": " + why;
        }
        return new ConfigurationException(named, ex);
    }

    /**
     * @return the {@code otel.*} property the message is about, or null if it cannot be told.
     */
    private static String property(final String why, final ConfigProperties config)
    {
        final Matcher matcher = PROPERTY.matcher(why);
        if (matcher.find())
        {
            return matcher.group().replace('-', '.').replace('_', '.');
        }
        if (config == null)
        {
            return null;
        }
        if (why.contains("OTLP endpoint"))
        {
            return isBlank(config.getString("otel.exporter.otlp.traces.endpoint")) ?
                "otel.exporter.otlp.endpoint" : "otel.exporter.otlp.traces.endpoint";
        }
        if (why.contains("config file"))
        {
            return "otel.config.file";
        }
        return null;
    }

    private static String shown(final String property, final String value)
    {
        if (property.contains("headers"))
        {
            return "<redacted>";
        }
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < MAX_SHOWN_VALUE_LENGTH; i++)
        {
            final char c = value.charAt(i);
            out.append(c >= ' ' && c <= '~' ? c : '?');
        }
        if (value.length() > MAX_SHOWN_VALUE_LENGTH)
        {
            out.append("...");
        }
        return out.toString();
    }

    /**
     * @param property an {@code otel.*} property name.
     * @return the environment variable for it, e.g. {@code OTEL_TRACES_SAMPLER}.
     */
    static String envName(final String property)
    {
        return property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Map<String, String> otelOnly(final Map<String, String> settings)
    {
        final Map<String, String> otel = new HashMap<>();
        if (settings != null)
        {
            settings.forEach((name, value) ->
            {
                if (name != null && value != null && !value.isBlank() &&
                    (name.startsWith("OTEL_") || name.startsWith("otel.")))
                {
                    otel.put(name, value.strip());
                }
            });
        }
        return Map.copyOf(otel);
    }

    private static boolean isBlank(final String value)
    {
        return value == null || value.isBlank();
    }
}
