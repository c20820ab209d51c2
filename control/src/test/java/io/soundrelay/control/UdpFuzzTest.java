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

import io.soundrelay.control.DatagramFuzzer.Shape;
import io.soundrelay.control.WireOracle.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A node in its own process takes a million bad datagrams from several sockets, its legitimate sources among them,
 * while two routes relay a legitimate stream: SoundRelay frames to two targets, RTP and RTCP keyed by SSRC to a
 * third. Every bad datagram must be counted under the reason {@link WireOracle} gives it, every legitimate one
 * delivered once, in order and byte-exact, and the node's log must not grow with the garbage.
 * <p>
 * Flow control keeps the counts exact: datagrams go out in chunks, and the next chunk waits until the node has
 * received, routed and counted the last one, so neither the socket buffer nor the ring can overflow. The last
 * datagram on each route is a marker: once a target has it, everything before it was routed.
 * <p>
 * {@code -Dsoundrelay.fuzz.seed=} repeats a run, {@code -Dsoundrelay.fuzz.datagrams=} changes the number of bad
 * datagrams, {@code -Dsoundrelay.fuzz.transport=} forces epoll or nio.
 */
class UdpFuzzTest
{
    private static final int MAX_DATAGRAM_BYTES = 1500;
    private static final long DEFAULT_SEED = 0x50F7_F022L;
    private static final long DEFAULT_BAD_DATAGRAMS = 1_000_000;
    private static final int CHUNK = 1024;
    private static final int NODE_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024; // what DataPlane asks the kernel for
    private static final int LEGIT_ONE_IN = 16;
    private static final long LOG_GROWTH_LIMIT_BYTES = 4096;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);
    private static final String[] NEVER_EXPECTED = { "ring_full", "duplicate", "late", "send_failed" };

    private final List<DatagramChannel> opened = new ArrayList<>();
    private final long[] expectedErrors = new long[Verdict.values().length];
    private final long[] shapes = new long[Shape.values().length];
    private final BitSet firstByteShort = new BitSet(256);
    private final BitSet firstByteLong = new BitSet(256);
    private final BitSet truncatedHeaderLengths = new BitSet(WireOracle.FRAME_HEADER_LENGTH);
    private final BitSet shortRtcp = new BitSet(5 * 17);
    private final byte[] garbage = new byte[DatagramFuzzer.MAX_UDP_PAYLOAD];
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(DatagramFuzzer.MAX_UDP_PAYLOAD);

    private NodeProcess node;
    private WireOracle oracle;
    private DatagramFuzzer fuzzer;
    private SplittableRandom random;
    private long frameStreamId;
    private long rtpSsrc;
    private Sender frameSource;
    private Sender rtpSource;
    private Sender[] attackers;
    private Sender[] garbageSenders;
    private Target[] frameTargets;
    private Target[] rtpTargets;
    private long chunkBudgetBytes;
    private long chunkBytes;
    private long datagramsSent;
    private long badSent;
    private long legitFrames;
    private long legitForRtpRoute;
    private long datagramsOutExpected;
    private long redirected;
    private long fromSources;
    private long onRtcpMinLength;
    private long onSsrcZero;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aMillionBadDatagramsAreCountedByReasonWhileALegitimateStreamRelaysIntact() throws Exception
    {
        final long seed = Long.getLong("soundrelay.fuzz.seed", DEFAULT_SEED);
        final long badTotal = Long.getLong("soundrelay.fuzz.datagrams", DEFAULT_BAD_DATAGRAMS);
        final String transport = System.getProperty("soundrelay.fuzz.transport", "auto");
        System.out.println("UdpFuzzTest: seed " + seed + " (repeat with -Dsoundrelay.fuzz.seed=" + seed + ")");

        final SplittableRandom ids = new SplittableRandom(seed);
        frameStreamId = ids.nextLong() | Long.MIN_VALUE; // above 2^63: unsigned all the way, and no SSRC can name it
        rtpSsrc = (ids.nextLong() & 0xFFFF_FFFFL) | 0x8000_0000L;
        fuzzer = new DatagramFuzzer(ids.nextLong(), MAX_DATAGRAM_BYTES, frameStreamId, rtpSsrc);
        random = fuzzer.random();
        oracle = new WireOracle(MAX_DATAGRAM_BYTES);

        chunkBudgetBytes = chunkBudgetBytes();
        node = NodeProcess.start(Map.of("MAX_DATAGRAM_BYTES", Integer.toString(MAX_DATAGRAM_BYTES),
            "TRANSPORT", transport));
        try
        {
            frameSource = new Sender(open("127.0.0.1", 0));
            rtpSource = new Sender(open("127.0.0.1", 0));
            frameTargets = new Target[] { new Target("frame target 1"), new Target("frame target 2") };
            rtpTargets = new Target[] { new Target("rtp target") };
            attackers = new Sender[] {
                new Sender(open("127.0.0.1", 0)),
                new Sender(open("127.0.0.1", 0)),
                new Sender(open("127.0.0.1", 0)),
                new Sender(sameHostOtherAddress(frameSource.address.getPort())) };
            garbageSenders = Arrays.copyOf(attackers, attackers.length + 2);
            garbageSenders[attackers.length] = frameSource;
            garbageSenders[attackers.length + 1] = rtpSource;

            assertEquals(201, node.call("POST", "/route", NodeFixture.routeJson(frameStreamId, frameSource.channel,
                "payload", frameTargets[0].channel, frameTargets[1].channel)).statusCode());
            oracle.route(frameStreamId, frameSource.address, true);
            assertEquals(201, node.call("POST", "/route", NodeFixture.routeJson(rtpSsrc, rtpSource.channel,
                "payload", rtpTargets[0].channel)).statusCode());
            oracle.route(rtpSsrc, rtpSource.address, true);

            run(badTotal, seed);
        }
        finally
        {
            node.close();
            for (final DatagramChannel ch : opened)
            {
                ch.close();
            }
        }
    }

    private void run(final long badTotal, final long seed) throws Exception
    {
        final long logBefore = node.logBytes();
        final long startNs = System.nanoTime();
        long chunks = 0;
        while (badSent < badTotal)
        {
            chunkBytes = 0;
            for (int i = 0; i < CHUNK && chunkBytes < chunkBudgetBytes && badSent < badTotal; i++)
            {
                if (random.nextInt(LEGIT_ONE_IN) == 0)
                {
                    sendLegit();
                }
                else
                {
                    sendBad();
                }
            }
            chunks++;
            awaitCounted("after chunk " + chunks + " (seed " + seed + ")");
            drainTargets();
        }

        // Markers: the last datagram on each route; once a target has it, the node routed everything before it.
        legit(frameSource, fuzzer.frame(frameStreamId), frameTargets);
        legit(rtpSource, fuzzer.rtp(rtpSsrc), rtpTargets);
        awaitCounted("after the markers (seed " + seed + ")");
        final long deadline = System.nanoTime() + WAIT_NS;
        for (final Target t : all())
        {
            t.awaitEverything(deadline);
            receiveBuffer.clear();
            assertNull(t.channel.receive(receiveBuffer), t.name + " got a datagram after its marker");
        }
        for (final Sender s : garbageSenders)
        {
            s.channel.configureBlocking(false);
            receiveBuffer.clear();
            assertNull(s.channel.receive(receiveBuffer), s.address + " is no target, yet the node sent to it");
        }
        final double seconds = (System.nanoTime() - startNs) / 1e9;

        final long logGrowth = node.logBytes() - logBefore;
        final String grown = node.logSince(logBefore);

        final StringJoiner reasons = new StringJoiner(", ");
        for (final Verdict v : Verdict.values())
        {
            if (v.reason != null)
            {
                reasons.add(v.reason + "=" + expectedErrors[v.ordinal()]);
            }
        }
        final StringJoiner shapeCounts = new StringJoiner(", ");
        for (final Shape s : Shape.values())
        {
            shapeCounts.add(s.name().toLowerCase() + "=" + shapes[s.ordinal()]);
        }
        System.out.printf("UdpFuzzTest: seed %d, transport %s: %d bad datagrams counted by reason {%s}; " +
            "%d legitimate (%d frames to 2 targets, %d RTP/RTCP/frames to 1) delivered exactly once; " +
            "%d datagrams in, %d out; log grew %d bytes; %.1f s%n",
            seed, node.transport(), badSent, reasons, legitFrames + legitForRtpRoute, legitFrames, legitForRtpRoute,
            datagramsSent, datagramsOutExpected, logGrowth, seconds);
        System.out.printf("UdpFuzzTest: %d chunks of at most %d datagrams or %d KiB; %d bad datagrams sent " +
            "from the routes' own sources; %d redirected to an attacker socket because they were valid from their " +
            "first socket; decided by an open point of the contract: %d RTCP of 8-11 bytes, %d RTP/RTCP with " +
            "SSRC 0%n", chunks, CHUNK, chunkBudgetBytes / 1024, fromSources, redirected, onRtcpMinLength, onSsrcZero);
        System.out.println("UdpFuzzTest: shapes {" + shapeCounts + "}");

        assertTrue(logGrowth <= LOG_GROWTH_LIMIT_BYTES, "the log grew " + logGrowth + " bytes over " + badSent +
            " bad datagrams, starting with:\n" + grown.substring(0, Math.min(grown.length(), 2000)));
        if (badTotal >= DEFAULT_BAD_DATAGRAMS)
        {
            assertEquals(256, firstByteShort.cardinality(), "every first byte shorter than an RTP header");
            assertEquals(256, firstByteLong.cardinality(), "every first byte at RTP header length or more");
            assertEquals(WireOracle.FRAME_HEADER_LENGTH, truncatedHeaderLengths.cardinality(), "headers of 0..19");
            assertEquals(5 * 17, shortRtcp.cardinality(), "RTCP 200-204 at 0..16 bytes");
            for (final Verdict v : Verdict.values())
            {
                assertTrue(v.reason == null || expectedErrors[v.ordinal()] > 0, v.reason + " exercised");
            }
        }
        assertEquals(0, node.stop(), "the node stops cleanly after the flood");
    }

    private void sendLegit() throws IOException
    {
        if (random.nextInt(5) < 3)
        {
            legit(frameSource, fuzzer.frame(frameStreamId), frameTargets);
        }
        else
        {
            legit(rtpSource, fuzzer.forRtpRoute(), rtpTargets);
        }
    }

    private void legit(final Sender from, final byte[] datagram, final Target[] to) throws IOException
    {
        assertEquals(Verdict.ACCEPTED, oracle.classify(datagram, datagram.length, from.address));
        final byte[] delivered = oracle.delivered(datagram);
        assertNotNull(delivered, "legitimate datagrams are never keep-alives");
        send(from, datagram, datagram.length);
        for (final Target t : to)
        {
            t.expected.addLast(delivered);
        }
        datagramsOutExpected += to.length;
        if (to == frameTargets)
        {
            legitFrames++;
        }
        else
        {
            legitForRtpRoute++;
        }
    }

    private void sendBad() throws IOException
    {
        final Shape shape = fuzzer.nextShape();
        final int length = fuzzer.garbage(shape, garbage);
        Sender from = garbageSenders[random.nextInt(garbageSenders.length)];
        Verdict verdict = oracle.classify(garbage, length, from.address);
        if (verdict == Verdict.ACCEPTED)
        {
            // Valid from this socket (a mutation that left the header intact, say): from any other it is not.
            from = attackers[random.nextInt(attackers.length)];
            verdict = oracle.classify(garbage, length, from.address);
            redirected++;
        }
        assertNotEquals(Verdict.ACCEPTED, verdict);
        send(from, garbage, length);
        badSent++;
        expectedErrors[verdict.ordinal()]++;
        fromSources += from == frameSource || from == rtpSource ? 1 : 0;
        if (length <= MAX_DATAGRAM_BYTES)
        {
            onRtcpMinLength += WireOracle.hangsOnRtcpMinLength(garbage, length) ? 1 : 0;
            onSsrcZero += WireOracle.hangsOnSsrcZero(garbage, length) ? 1 : 0;
        }
        shapes[shape.ordinal()]++;
        if (length > 0)
        {
            (length < WireOracle.RTP_MIN_LENGTH ? firstByteShort : firstByteLong).set(garbage[0] & 0xFF);
        }
        if (shape == Shape.TRUNCATED_HEADER)
        {
            truncatedHeaderLengths.set(length);
        }
        else if (shape == Shape.SHORT_RTCP)
        {
            shortRtcp.set(((garbage[1] & 0xFF) - 200) * 17 + length);
        }
    }

    private void send(final Sender from, final byte[] datagram, final int length) throws IOException
    {
        assertEquals(length, from.channel.send(ByteBuffer.wrap(datagram, 0, length), node.relay()));
        datagramsSent++;
        chunkBytes += 2L * length + 1024; // over what the kernel charges the receive buffer for it (its truesize)
    }

    /**
     * @return how many bytes of datagrams a chunk may hold, as if the node read none of them until the chunk ends:
     * the receive buffer Java reports for a socket set up as the node's. Linux reserves twice that (the other half
     * for its own bookkeeping), all of it capped by net.core.rmem_max: 208 KiB on a stock kernel.
     */
    private static long chunkBudgetBytes() throws IOException
    {
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET))
        {
            probe.setOption(StandardSocketOptions.SO_RCVBUF, NODE_SOCKET_BUFFER_BYTES);
            return probe.getOption(StandardSocketOptions.SO_RCVBUF);
        }
    }

    /**
     * Wait until the node has received everything sent and routed it (each bad datagram counted, each legitimate
     * one sent to its targets), then check every reason against the oracle.
     */
    private void awaitCounted(final String where) throws Exception
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        Map<String, Double> m = node.metrics();
        while (value(m, "relay_packets_received_total") != datagramsSent || errorSum(m) != badSent ||
            value(m, "relay_packets_sent_total") != datagramsOutExpected)
        {
            if (System.nanoTime() > deadline)
            {
                fail(where + ": the node did not catch up within " + TimeUnit.NANOSECONDS.toSeconds(WAIT_NS) +
                    " s: " + describe(m));
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
            m = node.metrics();
        }
        for (final Verdict v : Verdict.values())
        {
            if (v.reason != null)
            {
                assertEquals(expectedErrors[v.ordinal()], value(m, errors(v.reason)), where + ": " + describe(m));
            }
        }
        for (final String reason : NEVER_EXPECTED)
        {
            assertEquals(0, value(m, errors(reason)), where + ": " + describe(m));
        }
    }

    private String describe(final Map<String, Double> m)
    {
        final StringJoiner s = new StringJoiner(", ");
        s.add("received " + value(m, "relay_packets_received_total") + " of " + datagramsSent + " sent");
        s.add("sent " + value(m, "relay_packets_sent_total") + " of " + datagramsOutExpected + " expected");
        for (final Verdict v : Verdict.values())
        {
            if (v.reason != null)
            {
                s.add(v.reason + " " + value(m, errors(v.reason)) + " (oracle " + expectedErrors[v.ordinal()] + ")");
            }
        }
        for (final String reason : NEVER_EXPECTED)
        {
            s.add(reason + " " + value(m, errors(reason)));
        }
        return s.toString();
    }

    private static String errors(final String reason)
    {
        return "relay_packet_errors_total{reason=\"" + reason + "\"}";
    }

    private static long value(final Map<String, Double> m, final String series)
    {
        final Double v = m.get(series);
        assertNotNull(v, "no series " + series);
        return v.longValue();
    }

    private static long errorSum(final Map<String, Double> m)
    {
        long sum = 0;
        for (final Map.Entry<String, Double> e : m.entrySet())
        {
            if (e.getKey().startsWith("relay_packet_errors_total{"))
            {
                sum += e.getValue().longValue();
            }
        }
        return sum;
    }

    private void drainTargets() throws IOException
    {
        for (final Target t : all())
        {
            t.drain();
        }
    }

    private Target[] all()
    {
        final Target[] all = Arrays.copyOf(frameTargets, frameTargets.length + rtpTargets.length);
        System.arraycopy(rtpTargets, 0, all, frameTargets.length, rtpTargets.length);
        return all;
    }

    private DatagramChannel open(final String host, final int port) throws IOException
    {
        final DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        opened.add(ch);
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 * 1024 * 1024);
        ch.bind(new InetSocketAddress(host, port));
        return ch;
    }

    /**
     * @param port the frame source's port.
     * @return a socket on another loopback address with the same port: same port, wrong IP.
     */
    private DatagramChannel sameHostOtherAddress(final int port) throws IOException
    {
        try
        {
            return open("127.0.0.2", port);
        }
        catch (final IOException ex)
        {
            System.out.println("UdpFuzzTest: cannot bind 127.0.0.2:" + port + " (" + ex + "); a fourth 127.0.0.1 " +
                "attacker instead");
            return open("127.0.0.1", 0);
        }
    }

    private static final class Sender
    {
        final DatagramChannel channel;
        final InetSocketAddress address;

        Sender(final DatagramChannel channel) throws IOException
        {
            this.channel = channel;
            this.address = (InetSocketAddress)channel.getLocalAddress();
        }
    }

    /**
     * A route target: what it must receive, in order, and a check of what it did.
     */
    private final class Target
    {
        final String name;
        final DatagramChannel channel;
        final ArrayDeque<byte[]> expected = new ArrayDeque<>();
        long delivered;

        Target(final String name) throws IOException
        {
            this.name = name;
            this.channel = open("127.0.0.1", 0);
            channel.configureBlocking(false);
        }

        void drain() throws IOException
        {
            while (true)
            {
                receiveBuffer.clear();
                final SocketAddress from = channel.receive(receiveBuffer);
                if (from == null)
                {
                    return;
                }
                receiveBuffer.flip();
                final byte[] got = new byte[receiveBuffer.remaining()];
                receiveBuffer.get(got);
                final byte[] want = expected.pollFirst();
                if (want == null)
                {
                    fail(name + ": datagram " + (delivered + 1) + " of " + got.length + " bytes from " + from +
                        " was not a legitimate one");
                }
                assertEquals(node.relay(), from, name + ": datagrams come from the relay socket");
                assertArrayEquals(want, got, name + ": legitimate datagram " + (delivered + 1));
                delivered++;
            }
        }

        void awaitEverything(final long deadline) throws IOException
        {
            drain();
            while (!expected.isEmpty())
            {
                if (System.nanoTime() > deadline)
                {
                    fail(name + ": " + expected.size() + " legitimate datagrams never arrived after " + delivered);
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
                drain();
            }
        }
    }
}
