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

import io.soundrelay.core.status.DurationHistogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.soundrelay.control.RelayPortKit.await;
import static io.soundrelay.control.RelayPortKit.metric;
import static io.soundrelay.control.RelayPortKit.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pacing through a running node (PROTOCOL.md section 10), as a bot that sends ahead sees it: a bot on 127.0.0.3 whose
 * sends stall and then burst, a voice server on 127.0.0.2 that must get every frame, in order, byte for byte. The
 * departure times are read from the node's lateness histogram and from receive times at the target, and printed:
 * speed and evenness are figures for the benchmark, not assertions here.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class PacingEndToEndTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

    private static final String SERVER_IP = "127.0.0.2";
    private static final String BOT_IP = "127.0.0.3";
    private static final long FRAME_NS = TimeUnit.MILLISECONDS.toNanos(20);

    /** What arrived at a target, and when, collected on a thread of its own. */
    private static final class Arrivals implements AutoCloseable
    {
        final List<byte[]> bytes = new CopyOnWriteArrayList<>();
        final List<Long> atNs = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        Arrivals(final DatagramChannel ch)
        {
            thread = new Thread(() ->
            {
                try
                {
                    while (running)
                    {
                        final RelayPortKit.Datagram d = RelayPortKit.poll(ch, 50);
                        if (d != null)
                        {
                            atNs.add(System.nanoTime());
                            bytes.add(d.bytes());
                        }
                    }
                }
                catch (final Exception ex)
                {
                    if (running)
                    {
                        throw new IllegalStateException(ex);
                    }
                }
            }, "arrivals");
            thread.setDaemon(true);
            thread.start();
        }

        int count()
        {
            return bytes.size();
        }

        public void close() throws InterruptedException
        {
            running = false;
            thread.join(5000);
        }
    }

    private static byte[] payload(final int seq)
    {
        final byte[] p = new byte[120];
        ByteBuffer.wrap(p).putInt(0, seq);
        for (int i = 4; i < p.length; i++)
        {
            p[i] = (byte)(seq * 31 + i);
        }
        return p;
    }

    private static String route(final long id, final DatagramChannel bot, final DatagramChannel server,
        final int paceMs, final boolean returnPath) throws Exception
    {
        return "{\"stream_id\":" + id + ",\"source_addr\":\"" + RelayPortKit.addr(bot) +
            "\",\"target_addrs\":[\"" + RelayPortKit.addr(server) + "\"],\"pace_ms\":" + paceMs +
            (returnPath ? ",\"return_path\":true" : "") + "}";
    }

    private static void parkUntil(final long deadlineNs)
    {
        long left;
        while ((left = deadlineNs - System.nanoTime()) > 0)
        {
            LockSupport.parkNanos(left);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "frames to the main port", "RTP to a relay port" })
    void aBotThatStallsAndBurstsReachesTheVoiceServerFrameByFrame(final String how) throws Exception
    {
        final boolean relayPort = how.startsWith("RTP");
        final int[] range = RelayPortKit.freeRange(2);
        final long id = relayPort ? 0x5EED_0019L : 19_001L;
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of("RELAY_PORTS", RelayPortKit.setting(range)));
            DatagramChannel bot = udp(BOT_IP);
            DatagramChannel server = udp(SERVER_IP);
            Arrivals arrivals = new Arrivals(server))
        {
            final InetSocketAddress to;
            if (relayPort)
            {
                to = RelayPortKit.relayPort(RelayPortKit.create(node, route(id, bot, server, 500, true), range));
            }
            else
            {
                assertEquals(201, node.authed("POST", "/route", route(id, bot, server, 500, false)).statusCode());
                to = node.relay();
            }
            assertEquals(500L, RelayPortKit.longOf(RelayPortKit.get(node, id).get("pace_ms")));

            // Five times: nothing for 300 ms, then the 15 frames of those 300 ms at once.
            final int bursts = 5;
            final int perBurst = 15;
            final List<byte[]> sent = new ArrayList<>();
            final long start = System.nanoTime();
            int seq = 0;
            for (int b = 0; b < bursts; b++)
            {
                parkUntil(start + b * perBurst * FRAME_NS); // the sender's own stall, not a wait for the node
                for (int k = 0; k < perBurst; k++, seq++)
                {
                    final byte[] datagram = relayPort ?
                        RelayPortKit.rtp(0x78, seq, id, 120, seq) : NodeFixture.frame(id, 0, seq, payload(seq));
                    sent.add(relayPort ? datagram : payload(seq));
                    RelayPortKit.send(bot, datagram, to);
                }
            }
            final int total = bursts * perBurst;
            await("every frame at the voice server", 20, () -> arrivals.count() == total);
            await("nothing held", 10, () -> metric(node, "relay_pace_held_datagrams") == 0.0);

            for (int i = 0; i < total; i++)
            {
                assertArrayEquals(sent.get(i), arrivals.bytes.get(i), "frame " + i + " in order, byte for byte");
            }
            assertEquals(0.0, RelayPortKit.dropped(node, "duplicate"));

            // Figures, not assertions: how evenly they left and arrived.
            final long[] gaps = new long[total - 1];
            for (int i = 1; i < total; i++)
            {
                gaps[i - 1] = arrivals.atNs.get(i) - arrivals.atNs.get(i - 1);
            }
            Arrays.sort(gaps);
            final String text = node.metrics();
            System.out.printf("pacing %s: %d frames in %d bursts of %d after 300 ms stalls; inter-arrival at the " +
                "target p50 %.2f ms, p99 %.2f ms, max %.2f ms; node lateness p50 <= %s, p99 <= %s; re-anchors " +
                "ahead %.0f behind %.0f full %.0f%n",
                how, total, bursts, perBurst, gaps[gaps.length / 2] / 1e6, gaps[(int)(gaps.length * 0.99)] / 1e6,
                gaps[gaps.length - 1] / 1e6, latenessQuantile(text, 0.5), latenessQuantile(text, 0.99),
                NodeFixture.metric(text, "relay_pace_reanchors_total{reason=\"ahead\"}"),
                NodeFixture.metric(text, "relay_pace_reanchors_total{reason=\"behind\"}"),
                NodeFixture.metric(text, "relay_pace_reanchors_total{reason=\"full\"}"));
            assertEquals(total, NodeFixture.metric(text, "relay_pace_lateness_seconds_count"),
                "every frame left on the stream's clock");
        }
    }

    /**
     * @return the upper bound of the histogram bucket the quantile falls in, as the exposition gives it.
     */
    private static String latenessQuantile(final String text, final double q)
    {
        final double count = NodeFixture.metric(text, "relay_pace_lateness_seconds_count");
        for (int i = 0; i < DurationHistogram.boundCount(); i++)
        {
            final double le = DurationHistogram.upperBoundSeconds(i);
            final double cumulative = bucket(text, le);
            if (cumulative >= q * count)
            {
                return String.format("%.3f ms", le * 1e3);
            }
        }
        return "+Inf";
    }

    private static double bucket(final String text, final double le)
    {
        for (final String line : text.split("\n"))
        {
            if (line.startsWith("relay_pace_lateness_seconds_bucket{le=\""))
            {
                final int q = line.indexOf('"') + 1;
                final String bound = line.substring(q, line.indexOf('"', q));
                if (!bound.equals("+Inf") && Math.abs(Double.parseDouble(bound) - le) < 1e-12)
                {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        throw new AssertionError("no bucket le=" + le);
    }

    @Test
    void pacingTurnsOffAndOnWithPut() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of());
            DatagramChannel bot = udp(BOT_IP);
            DatagramChannel server = udp(SERVER_IP);
            Arrivals arrivals = new Arrivals(server))
        {
            final long id = 19_002L;
            assertEquals(201, node.authed("POST", "/route", route(id, bot, server, 2000, false)).statusCode());
            // What the voice server must get, in this order: each datagram's sequence number.
            final List<Integer> expected = new ArrayList<>();
            // The first anchors and leaves at once; the other 29 are due 1.02 to 1.58 s after it (within pace_ms), so
            // they are still held when the PUT lands, however slow this machine is.
            sendHeldBurst(node, bot, id, 0, expected);
            await("29 held, the first sent", 10,
                () -> metric(node, "relay_pace_held_datagrams") == 29.0 && arrivals.count() == 1);

            // Off: what it held leaves now, in order.
            assertEquals(200, node.authed("PUT", "/route/" + id, route(id, bot, server, 0, false)).statusCode());
            assertEquals(0.0, metric(node, "relay_pace_held_datagrams"), "the PUT's answer came after the release");
            await("the held 29 at the voice server", 10, () -> arrivals.count() == 30);
            final double pacedDepartures = metric(node, "relay_pace_lateness_seconds_count");
            for (int seq = 100; seq < 130; seq++)
            {
                RelayPortKit.send(bot, NodeFixture.frame(id, 0, seq, payload(seq)), node.relay());
                expected.add(seq);
            }
            await("30 unpaced at the voice server", 10, () -> arrivals.count() == 60);
            assertEquals(pacedDepartures, metric(node, "relay_pace_lateness_seconds_count"),
                "with pacing off no datagram is paced");

            // On again: the next burst is held again, behind a new anchor.
            assertEquals(200, node.authed("PUT", "/route/" + id, route(id, bot, server, 2000, false)).statusCode());
            sendHeldBurst(node, bot, id, 200, expected);
            // The new anchor leaves at once, but may reach the voice server after the gauge says 29 are held.
            await("29 held again, the new anchor sent", 10,
                () -> metric(node, "relay_pace_held_datagrams") == 29.0 && arrivals.count() == 61);
            for (int i = 0; i < arrivals.count(); i++)
            {
                assertArrayEquals(payload(expected.get(i)), arrivals.bytes.get(i), "datagram " + i + " in order");
            }
        }
    }

    /**
     * An anchor (sequence {@code first}) and 29 frames whose timestamps are 51 to 79 frames after it: paced, the 29 are
     * held for over a second, so a test sees them held without racing their departure.
     */
    private static void sendHeldBurst(
        final NodeFixture node, final DatagramChannel bot, final long id, final int first, final List<Integer> expected)
        throws Exception
    {
        RelayPortKit.send(bot, NodeFixture.frame(id, 0, first, payload(first)), node.relay());
        expected.add(first);
        for (int seq = first + 51; seq < first + 80; seq++)
        {
            RelayPortKit.send(bot, NodeFixture.frame(id, 0, seq, payload(seq)), node.relay());
            expected.add(seq);
        }
    }

    @Test
    void aDeletedRouteSendsNothingItHeldAfterThe204() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of());
            DatagramChannel bot = udp(BOT_IP);
            DatagramChannel server = udp(SERVER_IP);
            Arrivals arrivals = new Arrivals(server))
        {
            final long id = 19_003L;
            assertEquals(201, node.authed("POST", "/route", route(id, bot, server, 2000, false)).statusCode());
            // The first anchors and leaves at once; the other 49 are due 1.02 to 1.98 s after it (within pace_ms), so
            // the DELETE below lands while all 49 are still held, however slow this machine is.
            final long burstNs = System.nanoTime();
            RelayPortKit.send(bot, NodeFixture.frame(id, 0, 0, payload(0)), node.relay());
            for (int seq = 51; seq < 100; seq++)
            {
                RelayPortKit.send(bot, NodeFixture.frame(id, 0, seq, payload(seq)), node.relay());
            }
            await("49 held, the first sent", 10,
                () -> metric(node, "relay_pace_held_datagrams") == 49.0 && arrivals.count() == 1);
            final double sentBefore = metric(node, "relay_packets_sent_total");

            assertEquals(204, node.authed("DELETE", "/route/" + id, null).statusCode());
            assertEquals(0.0, metric(node, "relay_pace_held_datagrams"), "dropped with the route");

            // Watch the voice server until the last of the 50 would have been due, and a little more.
            final long lastDueNs = burstNs + 99 * FRAME_NS + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() - lastDueNs < 0)
            {
                assertEquals(1, arrivals.count(), "nothing of the deleted route arrives after its 204");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            assertEquals(1, arrivals.count());
            assertEquals(sentBefore, metric(node, "relay_packets_sent_total"));
        }
    }
}
