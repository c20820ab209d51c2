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

import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.soundrelay.control.NodeFixture.addr;
import static io.soundrelay.control.NodeFixture.frame;
import static io.soundrelay.control.NodeFixture.metric;
import static io.soundrelay.control.NodeFixture.receive;
import static io.soundrelay.control.NodeFixture.udp;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The jitter buffer through a running node, as a user sees it: a route with {@code jitter_ms}, a source that sends
 * its frames shuffled, duplicated or with a hole, and a target that gets them in sequence order, byte exact. Runs
 * with one data-plane thread (the hold must wake a thread asleep on the socket) and with two.
 */
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class JitterEndToEndTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

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

    private static int seqOf(final byte[] payload)
    {
        return ByteBuffer.wrap(payload).getInt(0);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void shuffledFramesLeaveInSequenceOrderByteExact(final int threads) throws Exception
    {
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of("DATA_PLANE_THREADS", String.valueOf(threads)));
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            final long id = 7001;
            assertEquals(201, node.authed("POST", "/route", route(id, src, target, 200)).statusCode());

            // 200 frames: the first in order (it starts the stream), the rest shuffled in windows of 6, the way a
            // network that reorders delivers them.
            final int count = 200;
            final List<Integer> order = new ArrayList<>();
            order.add(0);
            final Random random = new Random(42);
            for (int start = 1; start < count; start += 6)
            {
                final List<Integer> window = new ArrayList<>();
                for (int s = start; s < Math.min(count, start + 6); s++)
                {
                    window.add(s);
                }
                Collections.shuffle(window, random);
                order.addAll(window);
            }
            for (final int seq : order)
            {
                node.send(src, frame(id, 0, seq, payload(seq)));
            }

            for (int expected = 0; expected < count; expected++)
            {
                final byte[] got = receive(target);
                assertEquals(expected, seqOf(got), "frames leave in sequence order");
                assertArrayEquals(payload(expected), got);
            }
            final String metrics = node.metrics();
            assertEquals(0.0, metric(metrics, "relay_packet_errors_total{reason=\"late\"}"));
            assertEquals(0.0, metric(metrics, "relay_packet_errors_total{reason=\"duplicate\"}"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aLostFrameIsSkippedAfterTheHoldAndItsLateArrivalAndDuplicatesAreDropped(final int threads) throws Exception
    {
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of("DATA_PLANE_THREADS", String.valueOf(threads)));
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            final long id = 7002;
            assertEquals(201, node.authed("POST", "/route", route(id, src, target, 60)).statusCode());

            node.send(src, frame(id, 0, 0, payload(0)));
            node.send(src, frame(id, 0, 1, payload(1)));
            node.send(src, frame(id, 0, 3, payload(3))); // 2 is lost: 3 waits at most 60 ms for it
            node.send(src, frame(id, 0, 3, payload(3))); // a duplicate of a held frame
            assertEquals(0, seqOf(receive(target)));
            assertEquals(1, seqOf(receive(target)));
            // Nothing else is sent: the hold's deadline alone must release 3, past the gap.
            assertEquals(3, seqOf(receive(target)));

            node.send(src, frame(id, 0, 2, payload(2))); // too late: its gap was skipped
            node.send(src, frame(id, 0, 1, payload(1))); // a duplicate of a released frame
            node.send(src, frame(id, 0, 4, payload(4)));
            assertEquals(4, seqOf(receive(target)), "the late and the duplicate frames are not forwarded");

            waitFor("late and duplicate counted", () ->
            {
                try
                {
                    final String metrics = node.metrics();
                    return metric(metrics, "relay_packet_errors_total{reason=\"late\"}") == 1.0 &&
                        metric(metrics, "relay_packet_errors_total{reason=\"duplicate\"}") == 2.0;
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void rtpIsReorderedByItsSequenceAcrossTheWrapAndSentUntouched(final int threads) throws Exception
    {
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of("DATA_PLANE_THREADS", String.valueOf(threads)));
            DatagramChannel src = udp(); DatagramChannel target = udp())
        {
            final long ssrc = 0x1234_5678L;
            assertEquals(201, node.authed("POST", "/route", route(ssrc, src, target, 100)).statusCode());
            final int[] sent = {65533, 65535, 65534, 1, 0, 2};
            for (final int seq : sent)
            {
                node.send(src, rtp(ssrc, seq));
            }
            for (final int seq : new int[]{65533, 65534, 65535, 0, 1, 2})
            {
                assertArrayEquals(rtp(ssrc, seq), receive(target), "RTP " + seq + " in order, byte for byte");
            }
        }
    }

    private static byte[] rtp(final long ssrc, final int seq)
    {
        final byte[] rtp = new byte[12 + 120];
        rtp[0] = (byte)0x80;
        rtp[1] = 0x78;
        ByteBuffer.wrap(rtp).putShort(2, (short)seq).putInt(4, seq * 960).putInt(8, (int)ssrc);
        for (int i = 12; i < rtp.length; i++)
        {
            rtp[i] = (byte)(seq + i);
        }
        return rtp;
    }
}
