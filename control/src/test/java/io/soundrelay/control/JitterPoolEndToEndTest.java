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

import io.soundrelay.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.NodeFixture.addr;
import static io.soundrelay.control.NodeFixture.frame;
import static io.soundrelay.control.NodeFixture.metric;
import static io.soundrelay.control.NodeFixture.receive;
import static io.soundrelay.control.NodeFixture.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jitter buffers come from a node-wide pool bounded by {@code JITTER_MAX_HELD} (issue 29, finding 2), as a user of the
 * API sees it: a route that cannot have its buffer is refused with 503 naming the limit and {@code jitter_ms}, nothing
 * of it applied; a freed buffer is had again; and a flood of PUTs toggling {@code jitter_ms} neither costs a
 * legitimate stream a datagram nor makes the node allocate direct memory once its buffers were had once.
 */
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class JitterPoolEndToEndTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

    /** Requests at once while warming up: more than the API's 16 worker threads. */
    private static final int WARM_UP_WORKERS = 20;
    /** Slots of a route's buffer at jitter_ms 1000 ({@code JitterBuffer.capacityFor(1000)}). */
    private static final int SLOTS_AT_1000 = 128;
    /** Bytes of the smallest jitter buffer, 8 slots, at the default MAX_DATAGRAM_BYTES (1500 + 1, rounded to 64). */
    private static final long SMALLEST_BUFFER_BYTES = 8 * 1536L;
    /** Direct buffers the JDK may add while the flood runs: temporary socket buffers of threads writing to sockets. */
    private static final int SMALL_JDK_BUFFERS = 16;

    private static String route(final long id, final DatagramChannel src, final DatagramChannel target,
        final int jitterMs) throws Exception
    {
        return "{\"stream_id\":" + id + ",\"source_addr\":\"" + addr(src) + "\",\"target_addrs\":[\"" +
            addr(target) + "\"],\"jitter_ms\":" + jitterMs + "}";
    }

    private static byte[] payload(final int seq)
    {
        final byte[] p = new byte[160];
        ByteBuffer.wrap(p).putInt(0, seq);
        for (int i = 4; i < p.length; i++)
        {
            p[i] = (byte)(seq * 31 + i);
        }
        return p;
    }

    private static void assertJitterFull(final HttpResponse<String> response)
    {
        assertEquals(503, response.statusCode(), response.body());
        final Map<?, ?> body = (Map<?, ?>)Json.parse(response.body());
        assertEquals("jitter_ms", body.get("field"));
        assertTrue(((String)body.get("error")).contains("JITTER_MAX_HELD=256"), response.body());
    }

    @Test
    void aRouteThatCannotHaveItsJitterBufferIsRefusedWith503AndAFreedBufferIsHadAgain() throws Exception
    {
        // Room for two buffers at jitter_ms 1000.
        try (NodeFixture node = NodeFixture.start(pipelines,
                Map.of("JITTER_MAX_HELD", String.valueOf(2 * SLOTS_AT_1000)));
            DatagramChannel src = udp(); DatagramChannel target = udp(); DatagramChannel other = udp())
        {
            assertEquals(201, node.authed("POST", "/route", route(1, src, target, 1000)).statusCode());
            assertEquals(201, node.authed("POST", "/route", route(2, src, target, 1000)).statusCode());

            assertJitterFull(node.authed("POST", "/route", route(3, src, target, 1000)));
            assertEquals(404, node.authed("GET", "/route/3", null).statusCode(), "a refused create leaves nothing");

            // Without a buffer it is welcome; asking for one by PUT is refused and changes nothing of the route.
            assertEquals(201, node.authed("POST", "/route", route(3, src, target, 0)).statusCode());
            assertJitterFull(node.authed("PUT", "/route/3", route(3, src, other, 1000)));
            final Map<?, ?> kept = (Map<?, ?>)Json.parse(node.authed("GET", "/route/3", null).body());
            assertEquals("0", String.valueOf(kept.get("jitter_ms")));
            assertEquals(List.of(addr(target)), kept.get("target_addrs"), "nothing of the refused PUT applied");

            // A route that keeps its buffer's size needs no other one, full pool or not.
            assertEquals(200, node.authed("PUT", "/route/1", route(1, src, other, 900)).statusCode());

            // Freed by a PUT to 0, then by a DELETE: each time the buffer is had again.
            assertEquals(200, node.authed("PUT", "/route/1", route(1, src, target, 0)).statusCode());
            assertEquals(200, node.authed("PUT", "/route/3", route(3, src, target, 1000)).statusCode());
            assertJitterFull(node.authed("POST", "/route", route(4, src, target, 1000)));
            assertEquals(204, node.authed("DELETE", "/route/2", null).statusCode());
            assertEquals(201, node.authed("POST", "/route", route(4, src, target, 1000)).statusCode());

            final String metrics = node.metrics();
            assertEquals(3.0, metric(metrics, "relay_jitter_buffers_refused_total"), "the three 503s");
            assertEquals(2.0 * SLOTS_AT_1000, metric(metrics, "relay_jitter_slots_reserved"), "routes 3 and 4");
            assertEquals(2.0 * SLOTS_AT_1000, metric(metrics, "relay_jitter_slots_capacity"));

            // The reused buffer works: frames sent out of order leave in order, byte exact.
            try (DatagramChannel src4 = udp(); DatagramChannel target4 = udp())
            {
                assertEquals(200, node.authed("PUT", "/route/4", route(4, src4, target4, 1000)).statusCode());
                for (final int seq : new int[]{0, 2, 1, 4, 3})
                {
                    node.send(src4, frame(4, 0, seq, payload(seq)));
                }
                for (int seq = 0; seq < 5; seq++)
                {
                    assertArrayEquals(payload(seq), receive(target4), "frame " + seq + " in order");
                }
            }
        }
    }

    @Test
    void aFloodOfPutsTogglingJitterMsCostsALegitimateStreamNothingAndAllocatesNoDirectMemory() throws Exception
    {
        final int workers = 4;
        final int routesPerWorker = 10;
        final int routes = workers * routesPerWorker;
        final BufferPoolMXBean direct = directPool();
        try (NodeFixture node = NodeFixture.start(pipelines,
                Map.of("JITTER_MAX_HELD", String.valueOf(routes * SLOTS_AT_1000)));
            DatagramChannel idle = udp(); DatagramChannel sink = udp();
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            final long legit = 100;
            assertEquals(201, node.authed("POST", "/route", route(legit, src, target, 0)).statusCode());
            for (int r = 0; r < routes; r++)
            {
                assertEquals(201, node.authed("POST", "/route", route(1000 + r, idle, sink, 0)).statusCode());
            }

            final ExecutorService pool = Executors.newFixedThreadPool(WARM_UP_WORKERS);
            try
            {
                // Warm-up: every route had its buffer at once (the pool's memory follows its peak: now all of
                // JITTER_MAX_HELD), then toggles with more requests at once than the flood makes, so every
                // API worker thread and HTTP connection ran (the JDK gives a thread that writes to a socket a small
                // temporary direct buffer of its own); the legitimate stream's path ran once too.
                for (int r = 0; r < routes; r++)
                {
                    assertEquals(200, node.authed("PUT", "/route/" + (1000 + r), route(1000 + r, idle, sink, 1000))
                        .statusCode());
                }
                toggle(node, pool, WARM_UP_WORKERS, routes / WARM_UP_WORKERS, idle, sink, 3);
                int seq = 0;
                seq = lockstep(node, src, target, legit, seq, 50);
                final long countBefore = direct.getCount();
                final long bytesBefore = direct.getMemoryUsed();

                final List<Future<Integer>> flood = toggleAsync(node, pool, workers, routesPerWorker, idle, sink, 15);
                long maxCount = countBefore;
                long maxBytes = bytesBefore;
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (!flood.stream().allMatch(Future::isDone) && System.nanoTime() - deadlineNs < 0)
                {
                    seq = lockstep(node, src, target, legit, seq, 10); // every datagram, in order, or it throws
                    maxCount = Math.max(maxCount, direct.getCount());
                    maxBytes = Math.max(maxBytes, direct.getMemoryUsed());
                }
                int puts = 0;
                for (final Future<Integer> f : flood)
                {
                    puts += f.get(10, TimeUnit.SECONDS);
                }
                assertEquals(workers * routesPerWorker * 15 * 2, puts, "every PUT answered 200");
                seq = lockstep(node, src, target, legit, seq, 10);
                maxCount = Math.max(maxCount, direct.getCount());
                maxBytes = Math.max(maxBytes, direct.getMemoryUsed());

                assertTrue(seq >= 70, "the legitimate stream flowed during the flood: " + seq);
                // The JDK itself may add a few temporary socket buffers of a few hundred bytes (one per thread that
                // writes to a socket, kept for reuse); a jitter buffer is 12 KiB at least, 192 KiB at 1000 ms, and
                // before the pool every PUT to 1000 allocated one.
                final String grew = "direct buffers " + countBefore + " -> " + maxCount + ", bytes " + bytesBefore +
                    " -> " + maxBytes;
                assertTrue(maxCount - countBefore < SMALL_JDK_BUFFERS, "no jitter buffer allocated: " + grew);
                assertTrue(maxBytes - bytesBefore < SMALLEST_BUFFER_BYTES, "no jitter buffer allocated: " + grew);
            }
            finally
            {
                pool.shutdownNow();
            }
        }
    }

    private static BufferPoolMXBean directPool()
    {
        for (final BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            if ("direct".equals(b.getName()))
            {
                return b;
            }
        }
        throw new IllegalStateException("no direct buffer pool bean");
    }

    /**
     * Send {@code count} frames of the legitimate stream one at a time, each received before the next is sent.
     *
     * @return the next sequence number.
     */
    private static int lockstep(final NodeFixture node, final DatagramChannel src, final DatagramChannel target,
        final long id, final int from, final int count) throws Exception
    {
        for (int seq = from; seq < from + count; seq++)
        {
            node.send(src, frame(id, 0, seq, payload(seq)));
            assertArrayEquals(payload(seq), receive(target), "legitimate frame " + seq);
        }
        return from + count;
    }

    private static void toggle(final NodeFixture node, final ExecutorService pool, final int workers,
        final int routesPerWorker, final DatagramChannel idle, final DatagramChannel sink, final int rounds)
        throws Exception
    {
        for (final Future<Integer> f : toggleAsync(node, pool, workers, routesPerWorker, idle, sink, rounds))
        {
            assertEquals(routesPerWorker * rounds * 2, f.get(60, TimeUnit.SECONDS));
        }
    }

    /**
     * Each worker PUTs its routes to jitter_ms 1000 and back to 0, {@code rounds} times.
     *
     * @return per worker, its PUTs answered 200.
     */
    private static List<Future<Integer>> toggleAsync(final NodeFixture node, final ExecutorService pool,
        final int workers, final int routesPerWorker, final DatagramChannel idle, final DatagramChannel sink,
        final int rounds)
    {
        final List<Future<Integer>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++)
        {
            final int first = 1000 + w * routesPerWorker;
            futures.add(pool.submit(() ->
            {
                int ok = 0;
                for (int round = 0; round < rounds; round++)
                {
                    for (final int jitterMs : new int[]{1000, 0})
                    {
                        for (int r = first; r < first + routesPerWorker; r++)
                        {
                            final HttpResponse<String> response =
                                node.authed("PUT", "/route/" + r, route(r, idle, sink, jitterMs));
                            if (response.statusCode() != 200)
                            {
                                throw new AssertionError("PUT " + r + ": " + response.statusCode() + " " +
                                    response.body());
                            }
                            ok++;
                        }
                    }
                }
                return ok;
            }));
        }
        return futures;
    }
}
