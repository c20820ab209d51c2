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

import io.soundrelay.protocol.FrameFlyweight;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

import static io.soundrelay.control.MultiNodeTest.await;
import static io.soundrelay.control.MultiNodeTest.json;
import static io.soundrelay.control.MultiNodeTest.migrateBody;
import static io.soundrelay.control.MultiNodeTest.nodeIds;
import static io.soundrelay.control.MultiNodeTest.quietly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The red team's spoofing attack, as they ran it: a raw socket (root) forges node B's relay address towards node A,
 * and node A's towards node B during a hand-off, with HOP frames of every kind (PROTOCOL.md section 7). Two real
 * nodes on one real Redis, each on its own loopback address; the bot on 127.0.0.3, the voice server on 127.0.0.2.
 * Nothing forged may reach a target or a source; the real stream loses nothing.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class HopSpoofTest
{
    private static final int FRAMES_PER_CASE = 1000;
    private static final int BURST = 100;
    private static final String MISMATCH = "relay_packet_errors_total{reason=\"source_mismatch\"}";
    private static final String HOP_AUTH = "relay_packet_errors_total{reason=\"hop_auth\"}";

    private static RedisServer redis;
    private static RawUdp raw;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Random random = new Random(29);

    @BeforeAll
    static void start() throws Exception
    {
        raw = RawUdp.openOrNull();
        assumeTrue(raw != null, "forging a sender's address needs a raw socket: run as root (CI does)");
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() throws Exception
    {
        if (redis != null)
        {
            redis.close();
        }
        if (raw != null)
        {
            raw.close();
        }
    }

    @BeforeEach
    void emptyRedis()
    {
        redis.cli().flushall();
    }

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    @Test
    void aForgedPeerAddressInjectsIntoNoStreamThatIsNotComingFromThatPeer() throws Exception
    {
        final NodeFixture a = node("node-a", "127.0.0.11");
        final NodeFixture b = node("node-b", "127.0.0.12");
        await("both nodes live on A", 15, quietly(() -> nodeIds(a).size() == 2));
        final DatagramChannel frames = udp("127.0.0.3");
        final DatagramChannel rtp = udp("127.0.0.3");
        final DatagramChannel latched = udp("127.0.0.3");
        final DatagramChannel target = udp("127.0.0.2");
        final long framed = 0x5A00_0000_0000_0001L;
        final long ssrc = 0x5A5A_0002L;
        final long ported = 0x5A00_0000_0000_0003L;
        assertEquals(201, a.authed("POST", "/route", route(framed, addr(frames), target, false)).statusCode());
        assertEquals(201, a.authed("POST", "/route", route(ssrc, addr(rtp), target, false)).statusCode());
        final var created = a.authed("POST", "/route", route(ported, "127.0.0.3:0", target, true));
        assertEquals(201, created.statusCode(), created.body());
        final int relayPort = Integer.parseInt(json(created).get("relay_port").toString());
        final InetSocketAddress relayPortAddr = new InetSocketAddress("127.0.0.11", relayPort);

        // The real sources each send once: every route works, and the port-0 source latches.
        frames.send(ByteBuffer.wrap(NodeFixture.frame(framed, 0, 1, "hello".getBytes())), a.relay());
        rtp.send(ByteBuffer.wrap(rtp(ssrc, 1)), a.relay());
        latched.send(ByteBuffer.wrap("latch".getBytes()), relayPortAddr);
        assertEquals(3, drain(target, 3), "the real sources' datagrams");

        // B's well-known relay address, forged towards A: every kind of HOP frame, for streams never handed off.
        final InetSocketAddress forged = b.relay();
        final int hop = FrameFlyweight.HOP_FLAG;
        final int port = hop | FrameFlyweight.HOP_PORT_FLAG;
        final int back = port | FrameFlyweight.HOP_BACK_FLAG;
        // A knows B's address as a peer's: a plain frame from it is a loop (so the frames below are not refused
        // merely for coming from a stranger).
        await("A takes B's relay address for a peer's", 15, () ->
        {
            raw.send(forged, a.relay(), NodeFixture.frame(framed, 0, 0, "plain".getBytes()));
            return a.metricNow("relay_packet_errors_total{reason=\"loop\"}") > 0;
        });
        final double before = a.metricNow(MISMATCH) + a.metricNow(HOP_AUTH);
        int sent = 0;
        sent += forge(a, forged, a.relay(), i -> tagged(NodeFixture.frame(framed, hop, i, "injected".getBytes())));
        sent += forge(a, forged, a.relay(),
            i -> tagged(concat(header(hop | FrameFlyweight.HOP_RTP_FLAG, ssrc, i), rtp(ssrc, i))));
        sent += forge(a, forged, a.relay(), i -> tagged(concat(header(port, ported, i), discoveryAnswer(ssrc))));
        sent += forge(a, forged, a.relay(), i -> tagged(concat(header(back, framed, i), discoveryAnswer(ssrc))));
        sent += forge(a, forged, a.relay(), i -> tagged(concat(header(back, ported, i), discoveryAnswer(ssrc))));
        final int total = sent;
        await("A dropped every forged frame", 30, () -> a.metricNow(MISMATCH) + a.metricNow(HOP_AUTH) - before == total);

        // The real sources still get through; nothing forged reached a target or a source.
        frames.send(ByteBuffer.wrap(NodeFixture.frame(framed, 0, 2, "again".getBytes())), a.relay());
        assertEquals(1, drain(target, 1));
        assertEquals(0, drain(target, 0), "no forged datagram at the voice server");
        assertEquals(0, drain(frames, 0), "none at a one-way route's source");
        assertEquals(0, drain(latched, 0), "none at a latched source");
        assertEquals(0, a.metricNow("relay_packets_returned_total"));
    }

    @Test
    void duringAHandOffOnlyTheOldNodesSignedFramesReachTheNewNode() throws Exception
    {
        final NodeFixture a = node("node-a", "127.0.0.11");
        final NodeFixture b = node("node-b", "127.0.0.12");
        await("both nodes live", 15, quietly(() -> nodeIds(a).size() == 2 && nodeIds(b).size() == 2));
        final long streamId = 0x5A00_0000_0000_0010L;
        final DatagramChannel sourceChannel = udp("127.0.0.3");
        sourceChannel.configureBlocking(true);
        final DatagramChannel targetChannel = udp("127.0.0.2");
        targetChannel.configureBlocking(true);
        targetChannel.socket().setSoTimeout(5000);
        assertEquals(201, a.authed("POST", "/route", route(streamId, addr(sourceChannel), targetChannel, false))
            .statusCode());
        final MultiNodeTest.Sink sink = keep(new MultiNodeTest.Sink(targetChannel));
        final MultiNodeTest.Source source = keep(new MultiNodeTest.Source(sourceChannel, streamId, a.relay()));
        source.awaitSent(10);
        final var migrated = a.authed("POST", "/migrate",
            migrateBody(streamId, "127.0.0.12:" + b.relay().getPort()));
        assertEquals(200, migrated.statusCode(), migrated.body());

        // While A forwards to B, A's relay address forged towards B: frames B would take, but for the tag. B knows
        // A's address for a peer's: a plain frame from it is a loop.
        await("B takes A's relay address for a peer's", 15, () ->
        {
            raw.send(a.relay(), b.relay(), NodeFixture.frame(streamId, 0, 0, "plain".getBytes()));
            return b.metricNow("relay_packet_errors_total{reason=\"loop\"}") > 0;
        });
        final double before = b.metricNow(HOP_AUTH);
        final int sent = forge(b, a.relay(), b.relay(), i -> tagged(NodeFixture.frame(streamId,
            FrameFlyweight.withHopCount(FrameFlyweight.HOP_FLAG, 1), 1_000_000 + i, ("forged-" + i).getBytes())));
        await("B refused every forged frame", 30, () -> b.metricNow(HOP_AUTH) - before == sent);

        source.awaitSent(source.sent + 10);
        source.destination = b.relay();
        source.awaitSent(source.sent + 10);
        source.close();
        final long total = source.sent;
        await("every real frame at the target", 15, () -> sink.received().size() >= total);
        sink.close();
        final List<Long> expected = new ArrayList<>();
        for (long i = 0; i < total; i++)
        {
            expected.add(i);
        }
        assertEquals(expected, sink.received(), "every real frame once, in order, and no forged one");
    }

    /** Forged frames in bursts, each burst counted by the node before the next, so no kernel buffer overflows. */
    private int forge(final NodeFixture node, final InetSocketAddress from, final InetSocketAddress to,
        final IntFunction<byte[]> frame)
    {
        final double start = node.metricNow(MISMATCH) + node.metricNow(HOP_AUTH);
        for (int i = 0; i < FRAMES_PER_CASE; i++)
        {
            raw.send(from, to, frame.apply(i));
            if ((i + 1) % BURST == 0)
            {
                final int sent = i + 1;
                await(sent + " forged frames counted", 30,
                    () -> node.metricNow(MISMATCH) + node.metricNow(HOP_AUTH) - start == sent);
            }
        }
        return FRAMES_PER_CASE;
    }

    /** A frame with eight bytes after it where a tag goes: a guess, as an attacker without the key makes it. */
    private byte[] tagged(final byte[] frame)
    {
        final byte[] guess = new byte[8];
        random.nextBytes(guess);
        return concat(frame, guess);
    }

    private NodeFixture node(final String id, final String ip) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", id);
        env.put("BIND_ADDR", ip + ":0");
        env.put("RELAY_PORTS", "41000-41999");
        env.put("MIGRATION_GRACE_SECONDS", "30");
        return keep(NodeFixture.start(env));
    }

    private <T extends AutoCloseable> T keep(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    private DatagramChannel udp(final String ip) throws Exception
    {
        final DatagramChannel ch = keep(DatagramChannel.open());
        ch.bind(new InetSocketAddress(ip, 0));
        ch.configureBlocking(false);
        return ch;
    }

    private static String addr(final DatagramChannel ch) throws Exception
    {
        final InetSocketAddress a = (InetSocketAddress)ch.getLocalAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static String route(final long id, final String source, final DatagramChannel target,
        final boolean returnPath) throws Exception
    {
        return "{\"stream_id\":\"" + Long.toUnsignedString(id) + "\",\"source_addr\":\"" + source +
            "\",\"target_addrs\":[\"" + addr(target) + "\"],\"deliver\":\"framed\"" +
            (returnPath ? ",\"return_path\":true" : "") + "}";
    }

    /**
     * Take {@code expected} datagrams from a socket, waiting up to 10 s for them, then whatever else waits there now
     * (with 0 expected: only what waits now; the node routes in order, so once a later datagram of the real source
     * has arrived, anything the node sent before it is here too).
     *
     * @return how many were taken.
     */
    private static int drain(final DatagramChannel ch, final int expected) throws Exception
    {
        final ByteBuffer buf = ByteBuffer.allocate(2048);
        int count = 0;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count < expected && System.nanoTime() - deadline < 0)
        {
            buf.clear();
            if (ch.receive(buf) != null)
            {
                count++;
            }
            else
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        buf.clear();
        while (ch.receive(buf) != null)
        {
            count++;
            buf.clear();
        }
        return count;
    }

    private static byte[] header(final int flags, final long id, final long seq)
    {
        return NodeFixture.frame(id, flags, seq, new byte[0]);
    }

    private static byte[] rtp(final long ssrc, final int seq)
    {
        final ByteBuffer bb = ByteBuffer.allocate(12 + 40).order(ByteOrder.BIG_ENDIAN);
        bb.put((byte)0x80).put((byte)0x78).putShort((short)seq).putInt(960 * seq).putInt((int)ssrc);
        return bb.array();
    }

    /** A forged Discord IP-discovery answer (74 bytes) naming an address of the attacker's choosing. */
    private static byte[] discoveryAnswer(final long ssrc)
    {
        final ByteBuffer bb = ByteBuffer.allocate(74).order(ByteOrder.BIG_ENDIAN);
        bb.putShort((short)0x0002).putShort((short)70).putInt((int)ssrc).put("6.6.6.6".getBytes());
        bb.position(72);
        bb.putShort((short)6666);
        return bb.array();
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
