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
package io.soundrelay.control.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.ReanchorReason;
import io.soundrelay.core.status.RelayCounters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * The metrics of PROTOCOL.md section 4, built at scrape time from the data plane's single-writer counters: the hot
 * path never touches the Prometheus client. No label carries a stream id or an address.
 */
public final class RelayMetrics
{
    /** A stream is active when it sent a datagram within this window. */
    public static final long ACTIVE_WINDOW_NS = TimeUnit.SECONDS.toNanos(10);

    /**
     * The labels whose values the metrics reference describes rather than lists ({@code metric.label} to the
     * description): values a node makes up as it runs, from a bounded set.
     */
    public static final Map<String, String> OPEN_LABELS = Map.of(
        "http_requests.status", "the status code answered (200, 401, 404, ...)",
        "relay_pipeline_packets_received.pipeline", "0 to DATA_PLANE_PIPELINES - 1");

    private final RelayCounters counters;
    private final DurationHistogram processingTime;
    private final RouteRegistry registry;
    private final HttpRequestCounter httpRequests;
    private final RedisOperations redisOperations;
    private final LongSupplier redisBacklog;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private volatile LongSupplier relayPortsInUse = () -> 0;
    private volatile long relayPortsCapacity;
    private volatile ToLongFunction<String> rateLimited = reason -> 0;
    private volatile List<String> rateReasons = List.of();
    private volatile ToLongFunction<String> shed = reason -> 0;
    private volatile List<String> shedReasons = List.of();
    private volatile LongSupplier openConnections = () -> 0;
    private volatile LongSupplier dataPlaneErrors = () -> 0;
    private volatile LongSupplier redisResubscribes = () -> 0;
    private volatile DurationHistogram paceLateness = new DurationHistogram();
    private volatile LongSupplier jitterReserved = () -> 0;
    private volatile LongSupplier jitterRefused = () -> 0;
    private volatile long jitterCapacity;
    private volatile int pipelines = 1;
    private volatile IntToLongFunction pipelineReceived = k -> 0;
    private volatile LongSupplier handoffs = () -> 0;
    private volatile LongSupplier drainRemaining = () -> 0;
    private volatile List<String> drainResults = List.of();
    private volatile ToLongFunction<String> drainMigrations = result -> 0;

    /**
     * @param counters       data-plane counters.
     * @param processingTime receipt-to-last-send histogram.
     * @param registry       routes.
     * @param httpRequests   control API request counts.
     * @param redisOperations Redis operation counts.
     * @param redisBacklog   route writes waiting for Redis to come back.
     */
    public RelayMetrics(
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final RouteRegistry registry,
        final HttpRequestCounter httpRequests,
        final RedisOperations redisOperations,
        final LongSupplier redisBacklog)
    {
        this.counters = counters;
        this.processingTime = processingTime;
        this.registry = registry;
        this.httpRequests = httpRequests;
        this.redisOperations = redisOperations;
        this.redisBacklog = redisBacklog;
    }

    /**
     * @return the Content-Type of {@link #scrape()}.
     */
    /**
     * @param inUse    relay ports bound now.
     * @param capacity ports in RELAY_PORTS.
     * @return this.
     */
    public RelayMetrics relayPorts(final LongSupplier inUse, final long capacity)
    {
        this.relayPortsInUse = inUse;
        this.relayPortsCapacity = capacity;
        return this;
    }

    /**
     * @param count    DATA_PLANE_PIPELINES.
     * @param received datagrams pipeline k's receiver took, read at scrape time.
     * @param handoff  datagrams the pipelines passed to their streams' owners, all together.
     * @return this.
     */
    public RelayMetrics pipelines(final int count, final IntToLongFunction received, final LongSupplier handoff)
    {
        this.pipelineReceived = received;
        this.handoffs = handoff;
        this.pipelines = count;
        return this;
    }

    /**
     * @param remaining  the routes the node still owns while it drains, 0 when it does not.
     * @param results    the outcomes of a drain's hand-offs.
     * @param migrations a drain's hand-offs with an outcome.
     * @return this.
     */
    public RelayMetrics drain(
        final LongSupplier remaining, final List<String> results, final ToLongFunction<String> migrations)
    {
        this.drainRemaining = remaining;
        this.drainResults = results;
        this.drainMigrations = migrations;
        return this;
    }

    /**
     * @param errors errors thrown out of a data-plane thread's duty cycle.
     * @return this.
     */
    public RelayMetrics dataPlaneErrors(final LongSupplier errors)
    {
        this.dataPlaneErrors = errors;
        return this;
    }

    /**
     * @param resubscribes subscriptions to the announcement channel after the first.
     * @return this.
     */
    public RelayMetrics redisResubscribes(final LongSupplier resubscribes)
    {
        this.redisResubscribes = resubscribes;
        return this;
    }

    /**
     * @param lateness paced datagrams' actual minus scheduled departure.
     * @return this.
     */
    public RelayMetrics paceLateness(final DurationHistogram lateness)
    {
        this.paceLateness = lateness;
        return this;
    }

    /**
     * @param rateLimited     requests refused with 429 so far, by reason label.
     * @param rateReasons     those labels.
     * @param shed            connections closed by the connection cap so far, by reason label.
     * @param shedReasons     those labels.
     * @param openConnections HTTP connections open now.
     * @return this.
     */
    public RelayMetrics http(
        final ToLongFunction<String> rateLimited,
        final List<String> rateReasons,
        final ToLongFunction<String> shed,
        final List<String> shedReasons,
        final LongSupplier openConnections)
    {
        this.rateLimited = rateLimited;
        this.rateReasons = rateReasons;
        this.shed = shed;
        this.shedReasons = shedReasons;
        this.openConnections = openConnections;
        return this;
    }

    /**
     * @param reserved slots the routes' jitter buffers hold now.
     * @param capacity JITTER_MAX_HELD.
     * @param refused  routes (POST or PUT) refused a jitter buffer so far.
     * @return this.
     */
    public RelayMetrics jitterPool(final LongSupplier reserved, final long capacity, final LongSupplier refused)
    {
        this.jitterReserved = reserved;
        this.jitterCapacity = capacity;
        this.jitterRefused = refused;
        return this;
    }

    public String contentType()
    {
        return writer.getContentType();
    }

    /**
     * @return the exposition text of every metric, now.
     */
    public byte[] scrape()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try
        {
            writer.write(out, collect());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        return out.toByteArray();
    }

    /**
     * @return every metric as a snapshot.
     */
    public MetricSnapshots collect()
    {
        final long nowNs = System.nanoTime();
        return MetricSnapshots.of(
            counter("relay_packets_received", "Datagrams received on the relay socket", counters.received()),
            pipelineReceived(),
            counter("relay_pipeline_handoffs", "Datagrams a pipeline passed to the pipeline owning their stream " +
                "(PROTOCOL.md section 11)", handoffs.getAsLong()),
            counter("relay_packets_sent", "Datagrams sent (to targets, and back to sources through relay ports)",
                counters.sent()),
            counter("relay_packets_returned", "Datagrams from a route's targets relayed back to its source through " +
                "its relay port", counters.returned()),
            packetErrors(),
            gauge("relay_active_streams", "Routes with a datagram in the last 10 s",
                registry.countActive(nowNs, ACTIVE_WINDOW_NS)),
            gauge("relay_active_routes", "Routes in the table", registry.size()),
            histogram("relay_packet_processing_duration_seconds", "Time from receipt of a datagram to its last send",
                processingTime),
            httpRequests(),
            redisOperations(),
            redisSkipped(),
            gauge("relay_redis_queued_writes", "Route writes waiting for Redis to come back", redisBacklog.getAsLong()),
            counter("relay_routes_expired", "Routes removed after ROUTE_TTL_SECONDS without a datagram",
                counters.expired()),
            gauge("relay_ports_in_use", "Relay ports (RELAY_PORTS) bound for routes with a return path",
                relayPortsInUse.getAsLong()),
            gauge("relay_ports_capacity", "Ports in RELAY_PORTS", relayPortsCapacity),
            counter("relay_data_plane_errors", "Errors thrown out of a data-plane thread's duty cycle (each logged)",
                dataPlaneErrors.getAsLong()),
            counter("relay_redis_resubscribes",
                "Subscriptions to soundrelay:routes after the first (lost connection, failover, full queue); " +
                "each re-reads",
                redisResubscribes.getAsLong()),
            gauge("relay_pace_held_datagrams", "Datagrams paced routes hold until their departure time, all routes",
                counters.paceHeld()),
            gauge("relay_jitter_slots_reserved", "Datagram slots the routes' jitter buffers reserve, all routes",
                jitterReserved.getAsLong()),
            gauge("relay_jitter_slots_capacity", "Slots all jitter buffers together may reserve (JITTER_MAX_HELD)",
                jitterCapacity),
            counter("relay_jitter_buffers_refused", "Jitter buffers a POST or PUT could not have (answered 503)",
                jitterRefused.getAsLong()),
            histogram("relay_pace_lateness_seconds",
                "Paced datagrams' actual minus scheduled departure (one let go early counts as 0)", paceLateness),
            paceReanchors(),
            byReason("relay_http_rate_limited",
                "HTTP requests refused with 429 by the per-address limit (UNAUTH_RATE_PER_SECOND), by reason",
                rateReasons, rateLimited),
            byReason("relay_http_connections_shed",
                "HTTP connections closed by the cap (CONTROL_API_MAX_CONNECTIONS), by reason", shedReasons, shed),
            gauge("relay_http_connections_open", "HTTP connections open now, API and metrics listeners",
                openConnections.getAsLong()),
            gauge("relay_drain_routes_remaining", "Routes the node still owns while it drains (0 when it does not)",
                drainRemaining.getAsLong()),
            byLabel("relay_drain_migrations", "Hand-offs of a drain by result: ok, failed (no peer took the route: " +
                "it stays), skipped (Redis unreachable or DRAIN_TIMEOUT_SECONDS reached)", "result", drainResults,
                drainMigrations));
    }

    private CounterSnapshot pipelineReceived()
    {
        final CounterSnapshot.Builder builder = CounterSnapshot.builder()
            .name("relay_pipeline_packets_received")
            .help("Datagrams each pipeline received: its main socket and its routes' relay ports");
        final IntToLongFunction received = pipelineReceived;
        for (int k = 0, n = pipelines; k < n; k++)
        {
            builder.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of("pipeline", Integer.toString(k)))
                .value(received.applyAsLong(k))
                .build());
        }
        return builder.build();
    }

    private CounterSnapshot packetErrors()
    {
        final CounterSnapshot.Builder errors = CounterSnapshot.builder()
            .name("relay_packet_errors")
            .help("Datagrams dropped, by reason");
        for (final ErrorReason reason : ErrorReason.all())
        {
            errors.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of("reason", reason.label()))
                .value(counters.errors(reason))
                .build());
        }
        return errors.build();
    }

    private CounterSnapshot httpRequests()
    {
        final CounterSnapshot.Builder http = CounterSnapshot.builder()
            .name("http_requests")
            .help("Control API requests by method and status");
        for (final Map.Entry<String, Long> e : httpRequests.snapshot().entrySet())
        {
            final int space = e.getKey().indexOf(' ');
            http.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of("method", e.getKey().substring(0, space), "status", e.getKey().substring(space + 1)))
                .value(e.getValue())
                .build());
        }
        return http.build();
    }

    private CounterSnapshot redisOperations()
    {
        final CounterSnapshot.Builder redis = CounterSnapshot.builder()
            .name("relay_redis_operations")
            .help("Redis operations by operation and result");
        for (final RedisOperations.Op op : RedisOperations.ops())
        {
            for (final RedisOperations.Result result : RedisOperations.results())
            {
                final long value = redisOperations.get(op, result);
                if (value != 0 || result == RedisOperations.Result.OK || result == RedisOperations.Result.ERROR)
                {
                    redis.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                        .labels(Labels.of("op", op.label(), "result", result.label()))
                        .value(value)
                        .build());
                }
            }
        }
        return redis.build();
    }

    private CounterSnapshot redisSkipped()
    {
        final CounterSnapshot.Builder skipped = CounterSnapshot.builder()
            .name("relay_redis_skipped")
            .help("Values read from Redis and left out: excess or malformed heartbeats, values over their size bound");
        for (final RedisOperations.Skip reason : RedisOperations.skips())
        {
            skipped.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of("reason", reason.label()))
                .value(redisOperations.skipped(reason))
                .build());
        }
        return skipped.build();
    }

    private CounterSnapshot paceReanchors()
    {
        final CounterSnapshot.Builder reanchors = CounterSnapshot.builder()
            .name("relay_pace_reanchors")
            .help("Times a paced route's clock started over, by reason (PROTOCOL.md section 10)");
        for (final ReanchorReason reason : ReanchorReason.all())
        {
            reanchors.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of("reason", reason.label()))
                .value(counters.reanchors(reason))
                .build());
        }
        return reanchors.build();
    }

    private static CounterSnapshot byReason(
        final String name, final String help, final List<String> reasons, final ToLongFunction<String> count)
    {
        return byLabel(name, help, "reason", reasons, count);
    }

    private static CounterSnapshot byLabel(final String name, final String help, final String label,
        final List<String> reasons, final ToLongFunction<String> count)
    {
        final CounterSnapshot.Builder builder = CounterSnapshot.builder().name(name).help(help);
        for (final String reason : reasons)
        {
            builder.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of(label, reason))
                .value(count.applyAsLong(reason))
                .build());
        }
        return builder.build();
    }

    private static HistogramSnapshot histogram(final String name, final String help, final DurationHistogram histogram)
    {
        final int bounds = DurationHistogram.boundCount();
        final double[] upper = new double[bounds + 1];
        final long[] counts = new long[bounds + 1];
        long total = 0;
        for (int i = 0; i <= bounds; i++)
        {
            upper[i] = i < bounds ? DurationHistogram.upperBoundSeconds(i) : Double.POSITIVE_INFINITY;
            counts[i] = histogram.bucketCount(i);
            total += counts[i];
        }
        // Buckets and sum are read one after the other while the router writes: the sum is scaled to the
        // bucket total so the pair stays consistent within one scrape.
        final long count = histogram.count();
        final double sum = count == 0 ? 0 : histogram.sumSeconds() * ((double)total / count);
        return HistogramSnapshot.builder()
            .name(name)
            .help(help)
            .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, counts))
                .sum(sum)
                .build())
            .build();
    }

    private static CounterSnapshot counter(final String name, final String help, final long value)
    {
        return CounterSnapshot.builder()
            .name(name)
            .help(help)
            .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).build())
            .build();
    }

    private static GaugeSnapshot gauge(final String name, final String help, final double value)
    {
        return GaugeSnapshot.builder()
            .name(name)
            .help(help)
            .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).build())
            .build();
    }
}
