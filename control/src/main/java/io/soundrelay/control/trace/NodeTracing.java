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

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.config.ConfigurationException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's OpenTelemetry traces (PROTOCOL.md section 8): a SERVER span per control-API request, a span per
 * stream from its creation (or restore, or adoption) at this node to its removal, spans on every node a migration
 * touches, and the W3C {@code traceparent}, {@code tracestate} and {@code baggage} that join them through Redis.
 * Never a span per datagram: every method here is for the control plane.
 * <p>
 * <b>Stream spans</b> ({@value #STREAM_SPAN_NAME}) carry {@link #STREAM_ID} (the id as an unsigned decimal
 * string), {@link #NODE_ID}, {@link #ROOM_CODE} when there is one and {@link #STREAM_CAUSE}. With the
 * {@link #sampler(Sampler) sampler} of this class (always there with {@link #fromEnvironment}) their trace state
 * starts with {@code soundrelay=stream_id:{id};node:{node_id}}, inherited by their children. That is {@code ';'}
 * where PROTOCOL.md writes {@code ','}: a {@code ','} is not allowed in a W3C trace-state value, see
 * {@link StreamTraceStateSampler} for the encoding. The context of a stream ({@link #streamContext}) also carries
 * the W3C baggage {@code soundrelay.stream_id} and {@code soundrelay.node_id}, and {@link #inject} always adds them.
 * <p>
 * At most {@value #MAX_OPEN_STREAM_SPANS} stream spans are open at once; a stream started beyond that is not traced,
 * counted in {@link #untracedStreams()} and logged once. The bookkeeping is thread safe: API workers, the Redis
 * thread and the sweeper may call any method at any time.
 * <p>
 * HTTP requests are read with the propagators of the {@link OpenTelemetry} instance ({@code OTEL_PROPAGATORS},
 * by default W3C trace context and baggage), or W3C trace context and baggage when it has none. Redis messages
 * always use W3C trace context and baggage, as the protocol says.
 */
public final class NodeTracing implements AutoCloseable
{
    /** Instrumentation scope of every span of the node. */
    public static final String INSTRUMENTATION_SCOPE = "io.soundrelay.control";

    /** Name of the span of a stream. */
    public static final String STREAM_SPAN_NAME = "soundrelay.stream";
    /** Suggested name of the span of a migration on the node that hands the route off. */
    public static final String MIGRATE_SPAN_NAME = "soundrelay.migrate";
    /** Suggested name of the span of a migration, or a failover, on the node that takes the route. */
    public static final String ADOPT_SPAN_NAME = "soundrelay.adopt";

    /** Stream id, an unsigned decimal string: a span attribute and a baggage key. */
    public static final AttributeKey<String> STREAM_ID = AttributeKey.stringKey("soundrelay.stream_id");
    /** Node id: a span attribute and a baggage key. */
    public static final AttributeKey<String> NODE_ID = AttributeKey.stringKey("soundrelay.node_id");
    /** Room code of a stream, when it has one. */
    public static final AttributeKey<String> ROOM_CODE = AttributeKey.stringKey("soundrelay.room_code");
    /** Why the stream span started at this node: one of the {@code CAUSE_*} values. */
    public static final AttributeKey<String> STREAM_CAUSE = AttributeKey.stringKey("soundrelay.stream.cause");
    /** Why the stream span ended: the {@code reason} of {@link #streamEnded}. */
    public static final AttributeKey<String> STREAM_END_REASON =
        AttributeKey.stringKey("soundrelay.stream.end_reason");

    /** Semantic conventions: HTTP method, or {@code _OTHER}. */
    public static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    /** Semantic conventions: the method as received when it is not a known one. */
    public static final AttributeKey<String> HTTP_REQUEST_METHOD_ORIGINAL =
        AttributeKey.stringKey("http.request.method_original");
    /** Semantic conventions: the route template, e.g. {@code /route/{id}}. */
    public static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    /** Semantic conventions: the response status. */
    public static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE =
        AttributeKey.longKey("http.response.status_code");
    /** Semantic conventions: the status code of a 5xx response, as a string. */
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    /** The route was created at this node ({@code POST /route}). */
    public static final String CAUSE_CREATED = "created";
    /** The route was restored from Redis when this node started. */
    public static final String CAUSE_RESTORED = "restored";
    /** The route was handed to this node by a migration. */
    public static final String CAUSE_ADOPTED = "adopted";
    /** The route was taken from a dead node, by hand or by {@code AUTO_FAILOVER}. */
    public static final String CAUSE_FAILOVER = "failover";

    /** Event of {@link #firstDatagram}. */
    public static final String EVENT_FIRST_DATAGRAM = "first_datagram";
    /** Event: the targets of the route changed. */
    public static final String EVENT_TARGETS_CHANGED = "targets_changed";
    /** Event: a migration of the route away from this node started. */
    public static final String EVENT_MIGRATION_STARTED = "migration_started";
    /** End reason: the route was handed to another node. */
    public static final String EVENT_MIGRATED = "migrated";
    /** End reason: the route expired. */
    public static final String EVENT_EXPIRED = "expired";
    /** End reason: the route was deleted. */
    public static final String EVENT_DELETED = "deleted";
    /** End reason: the stream was started again at this node before it ended. */
    public static final String EVENT_SUPERSEDED = "superseded";
    /** End reason: the node stopped with the stream span open ({@link #close()}). */
    public static final String EVENT_SHUTDOWN = "shutdown";

    /** Propagation header of the trace context. */
    public static final String TRACEPARENT = "traceparent";
    /** Propagation header of the trace state. */
    public static final String TRACESTATE = "tracestate";
    /** Propagation header of the baggage. */
    public static final String BAGGAGE = "baggage";

    /** Most stream spans open at once. */
    public static final int MAX_OPEN_STREAM_SPANS = 2 * 100_000;

    /** Longest wait of {@link #close()} for the last spans to be exported. */
    public static final long CLOSE_TIMEOUT_SECONDS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(NodeTracing.class);

    private static final TextMapPropagator W3C = TextMapPropagator.composite(
        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance());
    private static final Set<String> KNOWN_METHODS = Set.of(
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
    private static final String OTHER_METHOD = "_OTHER";

    private static final TextMapGetter<Function<String, String>> HEADER_GETTER =
        (carrier, key) -> carrier == null ? null : carrier.apply(key);

    private static final TextMapGetter<Map<String, String>> MAP_GETTER =
        (carrier, key) -> carrier == null ? null : carrier.get(key);

    private static final TextMapSetter<Map<String, String>> MAP_SETTER = (carrier, key, value) ->
    {
        if (carrier != null && value != null && !value.isEmpty())
        {
            carrier.put(key, value);
        }
    };

    private final OpenTelemetry openTelemetry;
    private final OpenTelemetrySdk ownedSdk;
    private final String nodeId;
    private final boolean exporting;
    private final boolean tracksStreams;
    private final int maxOpenStreams;
    private final Tracer tracer;
    private final TextMapPropagator httpPropagator;
    private final Map<Long, StreamSpan> streams = new ConcurrentHashMap<>();
    private final AtomicInteger openStreamCount = new AtomicInteger();
    private final AtomicLong untracedStreams = new AtomicLong();
    private final AtomicBoolean untracedLogged = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private NodeTracing(
        final OpenTelemetry openTelemetry,
        final OpenTelemetrySdk ownedSdk,
        final String nodeId,
        final boolean exporting,
        final boolean tracksStreams,
        final int maxOpenStreams)
    {
        this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
        this.ownedSdk = ownedSdk;
        this.nodeId = requireNodeId(nodeId);
        this.exporting = exporting;
        this.tracksStreams = tracksStreams;
        this.maxOpenStreams = maxOpenStreams;
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION_SCOPE);
        final TextMapPropagator configured = openTelemetry.getPropagators().getTextMapPropagator();
        this.httpPropagator = configured.fields().isEmpty() ? W3C : configured;
    }

    /**
     * Autoconfigure from the {@code OTEL_*} settings: the environment (and {@code otel.*} system properties) win
     * over the values passed in, which are typically the {@code .env} file. {@code OTEL_SERVICE_NAME} defaults to
     * {@code soundrelay}. With no {@code OTEL_EXPORTER_OTLP_ENDPOINT} nor
     * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} (and no explicit {@code OTEL_TRACES_EXPORTER}) nothing is exported
     * (traces exporter {@code none}); the metrics and logs exporters are always {@code none}. OTLP is sent as
     * {@code http/protobuf} (the default here; {@code grpc} is refused). The sampler ({@code OTEL_TRACES_SAMPLER},
     * default {@code parentbased_always_on}) is wrapped in {@link #sampler(Sampler)}.
     *
     * @param settings values of {@code OTEL_*} variables to use when the environment has none, e.g. the
     *                 {@code .env} file as {@link Configuration#readDotEnv(Path)} reads it; other names are
     *                 ignored; null for none.
     * @param nodeId   this node's id.
     * @return tracing over an SDK of its own, which {@link #close()} shuts down.
     * @throws ConfigurationException {@code NAME=value: why} naming the {@code OTEL_*} variable that is refused.
     */
    public static NodeTracing fromEnvironment(final Map<String, String> settings, final String nodeId)
    {
        requireNodeId(nodeId);
        final OtelEnvironment.Sdk sdk = OtelEnvironment.configure(settings, nodeId);
        return new NodeTracing(sdk.openTelemetry, sdk.openTelemetry, nodeId, sdk.exporting, true,
            MAX_OPEN_STREAM_SPANS);
    }

    /**
     * {@link #fromEnvironment(Map, String)} with the {@code OTEL_*} values of the {@code .env} file in the working
     * directory, if there is one.
     *
     * @param nodeId this node's id.
     * @return tracing over an SDK of its own, which {@link #close()} shuts down.
     * @throws ConfigurationException naming the {@code OTEL_*} variable that is refused, or the bad {@code .env}
     *                                line.
     */
    public static NodeTracing fromEnvironment(final String nodeId)
    {
        final Path dotEnv = Path.of(Configuration.DOT_ENV_FILE);
        final Map<String, String> settings = Files.exists(dotEnv) ? Configuration.readDotEnv(dotEnv) : Map.of();
        return fromEnvironment(settings, nodeId);
    }

    /**
     * For tests and embedding: tracing over an {@link OpenTelemetry} built by the caller, e.g. an
     * {@code SdkTracerProvider} with a {@code SimpleSpanProcessor} over an {@code InMemorySpanExporter}, built with
     * {@code NodeTracing.sampler(Sampler.alwaysOn())} for the {@code soundrelay} trace state. The caller keeps it:
     * {@link #close()} ends the open stream spans and flushes an {@link OpenTelemetrySdk}, but does not shut it down.
     *
     * @param openTelemetry the instance to trace with.
     * @param nodeId        this node's id.
     * @return tracing over {@code openTelemetry}; {@link #exporting()} is true unless its tracer provider is the
     * no-op one.
     */
    public static NodeTracing of(final OpenTelemetry openTelemetry, final String nodeId)
    {
        return of(openTelemetry, nodeId, MAX_OPEN_STREAM_SPANS);
    }

    static NodeTracing of(final OpenTelemetry openTelemetry, final String nodeId, final int maxOpenStreams)
    {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        final boolean exporting = openTelemetry.getTracerProvider() != TracerProvider.noop();
        return new NodeTracing(openTelemetry, null, nodeId, exporting, true, maxOpenStreams);
    }

    /**
     * No tracing: spans are no-op, no stream is tracked ({@link #streamContext} is {@link Context#root()}), but
     * {@link #startRequest} and {@link #inject} still pass an incoming trace context and baggage on.
     *
     * @param nodeId this node's id.
     * @return tracing that records nothing.
     */
    public static NodeTracing disabled(final String nodeId)
    {
        return new NodeTracing(OpenTelemetry.noop(), null, nodeId, false, false, 0);
    }

    /**
     * The sampler that gives stream spans, and every span started with both {@link #STREAM_ID} and
     * {@link #NODE_ID} attributes, the trace state {@code soundrelay=stream_id:{id};node:{node_id}} first (an older
     * {@code soundrelay} member replaced, other vendors' kept). The sampling decision is the delegate's.
     *
     * @param delegate the sampler that decides, e.g. {@link Sampler#parentBased(Sampler)}.
     * @return the wrapping sampler.
     */
    public static Sampler sampler(final Sampler delegate)
    {
        return new StreamTraceStateSampler(delegate);
    }

    /**
     * @param streamId the stream id.
     * @param nodeId   a node id.
     * @return the value of the {@code soundrelay} trace-state member of that stream's span at that node,
     * {@code stream_id:{id};node:{node_id}}.
     */
    public static String traceStateValue(final long streamId, final String nodeId)
    {
        return StreamTraceStateSampler.value(Long.toUnsignedString(streamId), requireNodeId(nodeId));
    }

    /**
     * @return true when spans are exported somewhere: an exporter is configured.
     */
    public boolean exporting()
    {
        return exporting;
    }

    /**
     * @return this node's id, as put in {@link #NODE_ID} and the baggage.
     */
    public String nodeId()
    {
        return nodeId;
    }

    /**
     * @return the instance spans are made with, e.g. to instrument a client library.
     */
    public OpenTelemetry openTelemetry()
    {
        return openTelemetry;
    }

    /**
     * A SERVER span of a control-API request, the child of the trace context of the request's headers when there is
     * a valid one ({@code traceparent}, with its {@code tracestate} and {@code baggage}), else a new trace. Named
     * {@code "{METHOD} {template}"}, e.g. {@code "POST /route"}, {@code "GET /route/{id}"}; attributes
     * {@link #HTTP_REQUEST_METHOD} and {@link #HTTP_ROUTE}, never the path itself (it holds ids). A method outside
     * the HTTP ones is {@code _OTHER}, the span named {@code "HTTP {template}"}. The span is not made current.
     *
     * @param method        the request method.
     * @param routeTemplate the matched route template, e.g. {@code /route/{id}}; null when no route matched.
     * @param header        a request header by name, ignoring case; null when absent.
     * @return the span; {@link RequestSpan#end(int)} must be called once the response status is known.
     */
    public RequestSpan startRequest(
        final String method, final String routeTemplate, final Function<String, String> header)
    {
        final Context incoming = header == null ? Context.root() :
            httpPropagator.extract(Context.root(), header, HEADER_GETTER);
        final boolean known = method != null && KNOWN_METHODS.contains(method);
        final String spanMethod = known ? method : OTHER_METHOD;
        final String namePrefix = known ? method : "HTTP";
        final String name = routeTemplate == null ? namePrefix : namePrefix + ' ' + routeTemplate;
        final SpanBuilder builder = tracer.spanBuilder(name)
            .setSpanKind(SpanKind.SERVER)
            .setParent(incoming)
            .setAttribute(HTTP_REQUEST_METHOD, spanMethod);
        if (!known && method != null)
        {
            builder.setAttribute(HTTP_REQUEST_METHOD_ORIGINAL, method);
        }
        if (routeTemplate != null)
        {
            builder.setAttribute(HTTP_ROUTE, routeTemplate);
        }
        final Span span = builder.startSpan();
        return new ServerSpan(span, incoming.with(span));
    }

    /**
     * The span of one control-API request.
     */
    public interface RequestSpan
    {
        /**
         * @return the context of the request: its span and the incoming baggage. Parent of what the request
         * starts, e.g. a stream span or a migration span.
         */
        Context context();

        /**
         * Set {@link #HTTP_RESPONSE_STATUS_CODE}, and the status ERROR for a 5xx, then end the span. Once: later
         * calls do nothing.
         *
         * @param status the response status.
         */
        void end(int status);
    }

    /**
     * Open the span of a stream ({@value #STREAM_SPAN_NAME}) at this node: on route creation, or when the route is
     * restored or adopted here. If a span of the stream is already open it ends first, with
     * {@link #EVENT_SUPERSEDED}. Beyond {@link #MAX_OPEN_STREAM_SPANS} open spans the stream is not traced.
     *
     * @param streamId the stream id.
     * @param roomCode the room code, or null.
     * @param parent   the context of what started it (a request, a migration), or null for a root span.
     * @param cause    one of the {@code CAUSE_*} values, e.g. {@link #CAUSE_CREATED}; null to leave it out.
     */
    public void streamStarted(final long streamId, final String roomCode, final Context parent, final String cause)
    {
        if (!tracksStreams || closed.get())
        {
            return;
        }
        final Long key = streamId;
        boolean reserved = false;
        if (!streams.containsKey(key))
        {
            if (!reserveStream())
            {
                untraced();
                return;
            }
            reserved = true;
        }

        final SpanBuilder builder = tracer.spanBuilder(STREAM_SPAN_NAME)
            .setSpanKind(SpanKind.INTERNAL)
            .setAttribute(STREAM_ID, Long.toUnsignedString(streamId))
            .setAttribute(NODE_ID, nodeId);
        if (roomCode != null)
        {
            builder.setAttribute(ROOM_CODE, roomCode);
        }
        if (cause != null)
        {
            builder.setAttribute(STREAM_CAUSE, cause);
        }
        parent(builder, parent);
        final Span span = builder.startSpan();
        final Context base = parent == null ? Context.root() : parent;
        final Context context = withStreamBaggage(base.with(span), streamId);

        final StreamSpan previous = streams.put(key, new StreamSpan(span, context));
        if (previous != null)
        {
            if (reserved)
            {
                openStreamCount.decrementAndGet();
            }
            previous.end(EVENT_SUPERSEDED, Attributes.empty());
        }
        else if (!reserved)
        {
            openStreamCount.incrementAndGet();
        }
    }

    /**
     * Add an event to the open span of a stream, e.g. {@link #EVENT_TARGETS_CHANGED} or
     * {@link #EVENT_MIGRATION_STARTED}; nothing when the stream has no span open.
     *
     * @param streamId   the stream id.
     * @param name       the event name.
     * @param attributes attributes of the event, or null for none.
     */
    public void streamEvent(final long streamId, final String name, final Attributes attributes)
    {
        final StreamSpan stream = streams.get(streamId);
        if (stream != null)
        {
            stream.span.addEvent(name, attributes == null ? Attributes.empty() : attributes);
        }
    }

    /**
     * End the span of a stream: add the event {@code reason} (e.g. {@link #EVENT_DELETED}, {@link #EVENT_EXPIRED},
     * {@link #EVENT_MIGRATED}), set {@link #STREAM_END_REASON} and end the span. Nothing when the stream has no span
     * open.
     *
     * @param streamId   the stream id.
     * @param reason     why the stream left this node.
     * @param attributes attributes of the event, or null for none.
     */
    public void streamEnded(final long streamId, final String reason, final Attributes attributes)
    {
        final StreamSpan stream = streams.remove(streamId);
        if (stream != null)
        {
            openStreamCount.decrementAndGet();
            stream.end(reason, attributes == null ? Attributes.empty() : attributes);
        }
    }

    /**
     * Record the stream's first datagram: the event {@link #EVENT_FIRST_DATAGRAM} at that time, once per stream
     * span; later calls do nothing.
     *
     * @param streamId   the stream id.
     * @param epochNanos when the datagram arrived, nanoseconds since the epoch.
     */
    public void firstDatagram(final long streamId, final long epochNanos)
    {
        final StreamSpan stream = streams.get(streamId);
        if (stream != null && stream.firstDatagram.compareAndSet(false, true))
        {
            stream.span.addEvent(EVENT_FIRST_DATAGRAM, epochNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * @param streamId the stream id.
     * @return the context of the stream's open span, with the baggage {@code soundrelay.stream_id} and
     * {@code soundrelay.node_id}; {@link Context#root()} when it has none.
     */
    public Context streamContext(final long streamId)
    {
        final StreamSpan stream = streams.get(streamId);
        return stream == null ? Context.root() : stream.context;
    }

    /**
     * @return a copy of the ids of the streams with a span open.
     */
    public Set<Long> openStreams()
    {
        return Set.copyOf(streams.keySet());
    }

    /**
     * @return how many streams were not traced because {@link #MAX_OPEN_STREAM_SPANS} spans were open.
     */
    public long untracedStreams()
    {
        return untracedStreams.get();
    }

    /**
     * Start an INTERNAL span about one stream, e.g. {@link #MIGRATE_SPAN_NAME} on the node that hands the route
     * off and {@link #ADOPT_SPAN_NAME} on the node that takes it, with {@link #STREAM_ID} and {@link #NODE_ID}
     * (so the {@code soundrelay} trace state too). The caller ends it.
     *
     * @param name     the span name.
     * @param parent   its parent, e.g. a request's context or one {@link #extract}ed from Redis; null for a root.
     * @param streamId the stream id.
     * @return the started span, not current.
     */
    public Span startSpan(final String name, final Context parent, final long streamId)
    {
        final SpanBuilder builder = tracer.spanBuilder(name)
            .setSpanKind(SpanKind.INTERNAL)
            .setAttribute(STREAM_ID, Long.toUnsignedString(streamId))
            .setAttribute(NODE_ID, nodeId);
        parent(builder, parent);
        return builder.startSpan();
    }

    /**
     * The W3C propagation fields of a context for a Redis message about a stream. The baggage always carries
     * {@code soundrelay.stream_id} (this stream) and {@code soundrelay.node_id} (this node), replacing values the
     * context had for them.
     *
     * @param context  the context to send on, e.g. a migration span's; null for none.
     * @param streamId the stream the message is about.
     * @return {@code traceparent}, {@code tracestate} and {@code baggage}, each absent when empty.
     */
    public Map<String, String> inject(final Context context, final long streamId)
    {
        final Context withBaggage = withStreamBaggage(context == null ? Context.root() : context, streamId);
        final Map<String, String> carrier = new LinkedHashMap<>();
        W3C.inject(withBaggage, carrier, MAP_SETTER);
        return Collections.unmodifiableMap(carrier);
    }

    /**
     * The context sent in a Redis message by {@link #inject} on another node.
     *
     * @param carrier the message's {@code traceparent}, {@code tracestate} and {@code baggage}; null for none.
     * @return that context, {@link Context#root()} when it has neither a valid trace context nor baggage.
     */
    public Context extract(final Map<String, String> carrier)
    {
        if (carrier == null || carrier.isEmpty())
        {
            return Context.root();
        }
        final Context context = W3C.extract(Context.root(), carrier, MAP_GETTER);
        if (!Span.fromContext(context).getSpanContext().isValid() && Baggage.fromContext(context).isEmpty())
        {
            return Context.root();
        }
        return context;
    }

    /**
     * End the stream spans still open with {@link #EVENT_SHUTDOWN}, then flush and shut down the SDK built by
     * {@link #fromEnvironment}, waiting at most {@value #CLOSE_TIMEOUT_SECONDS} s. For {@link #of} the SDK is flushed
     * but left to its owner. Later calls do nothing; streams started after it are not traced.
     */
    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        for (final Long streamId : openStreams())
        {
            streamEnded(streamId, EVENT_SHUTDOWN, Attributes.empty());
        }
        if (ownedSdk != null)
        {
            ownedSdk.shutdown().join(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        else if (openTelemetry instanceof OpenTelemetrySdk)
        {
            ((OpenTelemetrySdk)openTelemetry).getSdkTracerProvider().forceFlush()
                .join(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString()
    {
        return "NodeTracing{nodeId=" + nodeId + ", exporting=" + exporting + ", openStreams=" +
            openStreamCount.get() + '}';
    }

    private Context withStreamBaggage(final Context context, final long streamId)
    {
        return Baggage.fromContext(context).toBuilder()
            .put(STREAM_ID.getKey(), Long.toUnsignedString(streamId))
            .put(NODE_ID.getKey(), nodeId)
            .build()
            .storeInContext(context);
    }

    private boolean reserveStream()
    {
        while (true)
        {
            final int open = openStreamCount.get();
            if (open >= maxOpenStreams)
            {
                return false;
            }
            if (openStreamCount.compareAndSet(open, open + 1))
            {
                return true;
            }
        }
    }

    private void untraced()
    {
        untracedStreams.incrementAndGet();
        if (untracedLogged.compareAndSet(false, true))
        {
            LOG.warn("{} stream spans open: streams started from now on are not traced until some end",
                maxOpenStreams);
        }
    }

    private static void parent(final SpanBuilder builder, final Context parent)
    {
        if (parent == null)
        {
            builder.setNoParent();
        }
        else
        {
            builder.setParent(parent);
        }
    }

    private static String requireNodeId(final String nodeId)
    {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isEmpty())
        {
            throw new IllegalArgumentException("nodeId is empty");
        }
        return nodeId;
    }

    private static final class StreamSpan
    {
        final Span span;
        final Context context;
        final AtomicBoolean firstDatagram = new AtomicBoolean();

        StreamSpan(final Span span, final Context context)
        {
            this.span = span;
            this.context = context;
        }

        void end(final String reason, final Attributes attributes)
        {
            if (reason != null)
            {
                span.addEvent(reason, attributes);
                span.setAttribute(STREAM_END_REASON, reason);
            }
            span.end();
        }
    }
}
