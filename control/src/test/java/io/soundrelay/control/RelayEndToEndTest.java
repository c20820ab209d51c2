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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.soundrelay.control.NodeFixture.frame;
import static io.soundrelay.control.NodeFixture.receive;
import static io.soundrelay.control.NodeFixture.udp;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A running node driven as a user would: routes over HTTP, datagrams over real loopback sockets. Where a test
 * shows that something was NOT forwarded, it sends a valid datagram after it: datagrams are routed in order, so
 * when the later one arrives first at the target the earlier one was certainly dropped.
 */
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class RelayEndToEndTest
{
    /** DATA_PLANE_PIPELINES of the node: every test runs against one with 1 and one with 2. */
    @Parameter
    int pipelines;

    private static NodeFixture fixture;
    private static final AtomicLong NEXT_ID = new AtomicLong(1000);

    @BeforeParameterizedClassInvocation
    static void start(final int pipelines) throws Exception
    {
        fixture = NodeFixture.start(pipelines, Map.of());
    }

    @AfterParameterizedClassInvocation
    static void stop()
    {
        fixture.close();
    }

    @Test
    void payloadDeliveryFansOutToThreeTargetsByteExact() throws Exception
    {
        final long id = NEXT_ID.incrementAndGet();
        try (DatagramChannel src = udp(); DatagramChannel a = udp(); DatagramChannel b = udp(); DatagramChannel c = udp())
        {
            assertEquals(201, fixture.createRoute(id, src, null, a, b, c).statusCode());
            for (int seq = 0; seq < 20; seq++)
            {
                final byte[] payload = payload(seq, 100 + seq * 7);
                fixture.send(src, frame(id, 0, seq, payload));
                assertArrayEquals(payload, receive(a));
                assertArrayEquals(payload, receive(b));
                assertArrayEquals(payload, receive(c));
            }
            // The targets can hold the last datagram before the sender has counted its send: wait for the count.
            waitFor("the route's counters after the sends", () -> routeShows(id, "\"packets_out\":60"));
            final HttpResponse<String> route = fixture.authed("GET", "/route/" + id, null);
            assertTrue(route.body().contains("\"packets_in\":20"), route.body());
            assertTrue(route.body().contains("\"packets_out\":60"), route.body());
        }
    }

    @Test
    void framedDeliveryForwardsTheWholeFrame() throws Exception
    {
        final long id = NEXT_ID.incrementAndGet();
        try (DatagramChannel src = udp(); DatagramChannel t = udp())
        {
            assertEquals(201, fixture.createRoute(id, src, "framed", t).statusCode());
            final byte[] frame = frame(id, 2, 7, payload(7, 160));
            fixture.send(src, frame);
            assertArrayEquals(frame, receive(t));
        }
    }

    @Test
    void rtpAndRtcpAreRoutedBySsrcAndForwardedUntouched() throws Exception
    {
        final long ssrc = 0xDEADBEEFL;
        try (DatagramChannel src = udp(); DatagramChannel t = udp())
        {
            assertEquals(201, fixture.createRoute(ssrc, src, "payload", t).statusCode());
            final byte[] rtp = new byte[12 + 180];
            rtp[0] = (byte)0x80;
            rtp[1] = 0x78;
            ByteBuffer.wrap(rtp).putShort(2, (short)513).putInt(4, 96000).putInt(8, (int)ssrc);
            Arrays.fill(rtp, 12, rtp.length, (byte)0x5A);
            fixture.send(src, rtp);
            assertArrayEquals(rtp, receive(t), "RTP is sent byte for byte even with deliver=payload");

            final byte[] rtcp = new byte[28];
            rtcp[0] = (byte)0x80;
            rtcp[1] = (byte)200;
            ByteBuffer.wrap(rtcp).putShort(2, (short)6).putInt(4, (int)ssrc);
            fixture.send(src, rtcp);
            assertArrayEquals(rtcp, receive(t));
        }
    }

    @Test
    void onlyTheRouteSourceCanSendAndUnknownStreamsGoNowhere() throws Exception
    {
        final long id = NEXT_ID.incrementAndGet();
        try (DatagramChannel src = udp(); DatagramChannel stranger = udp(); DatagramChannel t = udp())
        {
            assertEquals(201, fixture.createRoute(id, src, null, t).statusCode());
            final double mismatchBefore = errors("source_mismatch");
            final double unknownBefore = errors("unknown_stream");

            fixture.send(stranger, frame(id, 0, 1, payload(1, 50))); // same IP, other port
            fixture.send(src, frame(id + 1_000_000, 0, 2, payload(2, 50))); // no such stream
            final byte[] marker = payload(3, 60);
            fixture.send(src, frame(id, 0, 3, marker));

            assertArrayEquals(marker, receive(t), "the stranger's and the unknown stream's datagrams were dropped");
            waitFor("drops counted", () -> errors("source_mismatch") == mismatchBefore + 1 &&
                errors("unknown_stream") == unknownBefore + 1);
        }
    }

    @Test
    void keepAliveRefreshesTheRouteButIsNotForwarded() throws Exception
    {
        final long id = NEXT_ID.incrementAndGet();
        try (DatagramChannel src = udp(); DatagramChannel t = udp())
        {
            assertEquals(201, fixture.createRoute(id, src, "framed", t).statusCode());
            assertTrue(fixture.authed("GET", "/route/" + id, null).body().contains("\"last_seen_ms_ago\":null"));

            fixture.send(src, frame(id, 0, 1, new byte[0]));
            final byte[] marker = frame(id, 0, 2, payload(2, 40));
            fixture.send(src, marker);
            assertArrayEquals(marker, receive(t), "the keep-alive was not forwarded");

            waitFor("the route's counters after the send", () -> routeShows(id, "\"packets_out\":1"));
            final String route = fixture.authed("GET", "/route/" + id, null).body();
            assertFalse(route.contains("\"last_seen_ms_ago\":null"), route);
            assertTrue(route.contains("\"packets_in\":2"), route);
            assertTrue(route.contains("\"packets_out\":1"), route);
        }
    }

    @Test
    void malformedAndOversizeDatagramsAreCountedAndDropped() throws Exception
    {
        final long id = NEXT_ID.incrementAndGet();
        try (DatagramChannel src = udp(); DatagramChannel t = udp())
        {
            assertEquals(201, fixture.createRoute(id, src, null, t).statusCode());
            final double malformed = errors("malformed");
            final double oversize = errors("oversize");

            fixture.send(src, new byte[] { 'S', 'R', 1 });                     // short
            final byte[] badVersion = frame(id, 0, 1, payload(1, 10));
            badVersion[2] = 2;
            fixture.send(src, badVersion);                                      // bad version
            fixture.send(src, new byte[] { 0x10, 0x20, 0x30, 0x40 });          // neither frame nor RTP
            fixture.send(src, frame(id, 0, 2, new byte[1600]));                // over MAX_DATAGRAM_BYTES 1500
            final byte[] marker = payload(3, 30);
            fixture.send(src, frame(id, 0, 3, marker));

            assertArrayEquals(marker, receive(t));
            waitFor("drops counted", () -> errors("malformed") == malformed + 3 && errors("oversize") == oversize + 1);
        }
    }

    @Test
    void putSwitchesTargetsAtomicallyWhileASenderRuns() throws Exception
    {
        final long id = NEXT_ID.incrementAndGet();
        try (DatagramChannel src = udp();
            DatagramChannel oldA = udp(); DatagramChannel oldB = udp();
            DatagramChannel newA = udp(); DatagramChannel newB = udp())
        {
            assertEquals(201, fixture.createRoute(id, src, null, oldA, oldB).statusCode());
            final long sentBefore = fixture.node.dataPlane().counters().sent();
            final List<Set<Long>> seen = new ArrayList<>();
            final List<Thread> readers = new ArrayList<>();
            for (final DatagramChannel target : List.of(oldA, oldB, newA, newB))
            {
                target.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
                final Set<Long> seqs = ConcurrentHashMap.newKeySet();
                seen.add(seqs);
                final Thread reader = new Thread(() -> drain(target, seqs));
                reader.start();
                readers.add(reader);
            }

            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicLong sent = new AtomicLong();
            final Thread sender = new Thread(() ->
            {
                try
                {
                    while (running.get())
                    {
                        final long seq = sent.get();
                        fixture.send(src, frame(id, 0, seq, ByteBuffer.allocate(8).putLong(seq).array()));
                        sent.incrementAndGet();
                        LockSupport.parkNanos(20_000); // pace the sender so loopback buffers never overflow
                    }
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            sender.start();
            waitFor("datagrams before the switch", () -> seen.get(0).size() > 200);
            final String body = NodeFixture.routeJson(id, src, null, newA, newB)
                .replace("{\"stream_id\":" + id + ",", "{");
            assertEquals(200, fixture.authed("PUT", "/route/" + id, body).statusCode());
            waitFor("datagrams after the switch", () -> seen.get(2).size() > 200);
            running.set(false);
            sender.join();

            final long expected = 2 * sent.get();
            waitFor("the relay sent every datagram twice",
                () -> fixture.node.dataPlane().counters().sent() - sentBefore == expected);
            waitFor("every sent datagram was read",
                () -> seen.stream().mapToLong(Set::size).sum() == expected);
            readers.forEach(Thread::interrupt);

            final Set<Long> toOld = new java.util.HashSet<>(seen.get(0));
            toOld.addAll(seen.get(1));
            final Set<Long> toNew = new java.util.HashSet<>(seen.get(2));
            toNew.addAll(seen.get(3));
            assertEquals(seen.get(0), seen.get(1), "each datagram before the switch reached both old targets");
            assertEquals(seen.get(2), seen.get(3), "each datagram after the switch reached both new targets");
            toOld.retainAll(toNew);
            assertTrue(toOld.isEmpty(), "datagrams delivered to both old and new targets: " + toOld);
        }
    }

    private static void drain(final DatagramChannel ch, final Set<Long> seqs)
    {
        final ByteBuffer buf = ByteBuffer.allocate(64);
        try
        {
            ch.configureBlocking(true);
            while (!Thread.currentThread().isInterrupted())
            {
                buf.clear();
                ch.receive(buf);
                buf.flip();
                seqs.add(buf.getLong(0));
            }
        }
        catch (final Exception ex)
        {
            // closed or interrupted: done
        }
    }

    /** Whether the route's GET answer contains the fragment now (for waiting on counters the sender publishes). */
    private static boolean routeShows(final long id, final String fragment)
    {
        try
        {
            return fixture.authed("GET", "/route/" + id, null).body().contains(fragment);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static double errors(final String reason)
    {
        try
        {
            return NodeFixture.metric(fixture.metrics(), "relay_packet_errors_total{reason=\"" + reason + "\"}");
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static byte[] payload(final int seed, final int length)
    {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)(seed * 31 + i * 7);
        }
        return b;
    }
}
