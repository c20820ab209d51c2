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

import io.soundrelay.control.RelayPortKit.Datagram;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.RelayPortKit.addr;
import static io.soundrelay.control.RelayPortKit.assertNothingWaiting;
import static io.soundrelay.control.RelayPortKit.await;
import static io.soundrelay.control.RelayPortKit.dropped;
import static io.soundrelay.control.RelayPortKit.get;
import static io.soundrelay.control.RelayPortKit.longOf;
import static io.soundrelay.control.RelayPortKit.metric;
import static io.soundrelay.control.RelayPortKit.receive;
import static io.soundrelay.control.RelayPortKit.routeJson;
import static io.soundrelay.control.RelayPortKit.send;
import static io.soundrelay.control.RelayPortKit.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hostile datagrams on a relay port, both directions (PROTOCOL.md section 9): random, malformed, empty and oversize
 * datagrams from the route's source, from its two targets and from strangers. A relay port decodes nothing, so every
 * datagram of the source up to MAX_DATAGRAM_BYTES must reach both targets byte for byte and in order, every one of a
 * target must reach the source; strangers' are dropped as source_mismatch, anything longer than the limit as oversize.
 * The node stays up, and a normal exchange works afterwards.
 * <p>
 * Datagrams go out in chunks; the next chunk waits until the last one has arrived everywhere, so no socket buffer
 * overflows and the counts are exact. {@code -Dsoundrelay.fuzz.seed=} repeats a run.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RelayPortFuzzTest
{
    private static final int MAX_DATAGRAM_BYTES = 1500;
    private static final int DATAGRAMS = 10_000;
    private static final int CHUNK = 32;
    private static final long STREAM_ID = 0x0F0F_0016L;

    /** A socket of the test's and what it must receive, in order. */
    private static final class Peer
    {
        final String name;
        final DatagramChannel channel;
        final ArrayDeque<byte[]> expected = new ArrayDeque<>();
        long received;

        Peer(final String name, final DatagramChannel channel) throws IOException
        {
            this.name = name;
            this.channel = channel;
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        }

        void awaitExpected(final InetSocketAddress relay) throws IOException
        {
            while (!expected.isEmpty())
            {
                final byte[] want = expected.poll();
                final Datagram got = receive(channel);
                assertEquals(relay, got.from(), name + " hears the relay port");
                if (!Arrays.equals(want, got.bytes()))
                {
                    throw new AssertionError(name + ": datagram " + received + " differs: expected " + want.length +
                        " bytes, got " + got.bytes().length);
                }
                received++;
            }
        }
    }

    @ParameterizedTest(name = "TRANSPORT={0}")
    @ValueSource(strings = { "epoll", "nio" })
    void hostileDatagramsBothWaysAreRelayedByteForByteOrCountedAndDropped(final String transport) throws Exception
    {
        assumeTrue(RelayPortKit.available(transport), () -> transport + " is not available on this machine");
        final long seed = Long.getLong("soundrelay.fuzz.seed", System.nanoTime());
        System.out.println("RelayPortFuzzTest " + transport + ": seed " + seed +
            " (repeat with -Dsoundrelay.fuzz.seed=" + seed + ")");
        final DatagramFuzzer fuzzer = new DatagramFuzzer(seed, MAX_DATAGRAM_BYTES, STREAM_ID | Long.MIN_VALUE, STREAM_ID);
        final SplittableRandom random = fuzzer.random();
        final int[] range = RelayPortKit.freeRange(4);
        final Map<String, String> env = new HashMap<>();
        env.put("TRANSPORT", transport);
        env.put("RELAY_PORTS", RelayPortKit.setting(range));
        env.put("MAX_DATAGRAM_BYTES", Integer.toString(MAX_DATAGRAM_BYTES));
        try (NodeFixture node = NodeFixture.start(env);
            DatagramChannel sourceChannel = udp("127.0.0.3"); DatagramChannel t1Channel = udp("127.0.0.2");
            DatagramChannel t2Channel = udp("127.0.0.1"); DatagramChannel strangerA = udp("127.0.0.4");
            DatagramChannel strangerB = udp("127.0.0.1"))
        {
            final Peer source = new Peer("source", sourceChannel);
            final Peer t1 = new Peer("target 1", t1Channel);
            final Peer t2 = new Peer("target 2", t2Channel);
            final DatagramChannel[] strangers = { strangerA, strangerB };
            final int port = RelayPortKit.create(node, routeJson(STREAM_ID, addr(sourceChannel), addr(t1Channel),
                addr(t2Channel)), range);
            final InetSocketAddress relay = RelayPortKit.relayPort(port);

            final double mismatchBefore = dropped(node, "source_mismatch");
            final double oversizeBefore = dropped(node, "oversize");
            final byte[] buffer = new byte[DatagramFuzzer.MAX_UDP_PAYLOAD];
            long fromSource = 0;
            long fromTargets = 0;
            long fromStrangers = 0;
            long oversize = 0;
            long empty = 0;
            for (int sent = 0; sent < DATAGRAMS; )
            {
                for (int i = 0; i < CHUNK && sent < DATAGRAMS; i++, sent++)
                {
                    final byte[] d = next(fuzzer, random, buffer);
                    final boolean tooLong = d.length > MAX_DATAGRAM_BYTES;
                    oversize += tooLong ? 1 : 0;
                    empty += d.length == 0 ? 1 : 0;
                    final int who = random.nextInt(10);
                    if (who < 4)
                    {
                        send(sourceChannel, d, relay);
                        if (!tooLong)
                        {
                            t1.expected.add(d);
                            t2.expected.add(d);
                            fromSource++;
                        }
                    }
                    else if (who < 7)
                    {
                        send(who < 6 ? t1Channel : t2Channel, d, relay);
                        if (!tooLong)
                        {
                            source.expected.add(d);
                            fromTargets++;
                        }
                    }
                    else
                    {
                        send(strangers[who % 2], d, relay);
                        fromStrangers += tooLong ? 0 : 1;
                    }
                }
                t1.awaitExpected(relay);
                t2.awaitExpected(relay);
                source.awaitExpected(relay);
            }
            System.out.println("RelayPortFuzzTest " + transport + ": " + fromSource + " from the source, " +
                fromTargets + " from the targets, " + fromStrangers + " from strangers, " + oversize + " oversize, " +
                empty + " empty");

            final long mismatch = fromStrangers;
            final long tooLong = oversize;
            await("strangers' datagrams counted as source_mismatch, long ones as oversize", 10, () ->
                dropped(node, "source_mismatch") - mismatchBefore == mismatch &&
                dropped(node, "oversize") - oversizeBefore == tooLong);
            for (final DatagramChannel stranger : strangers)
            {
                assertNothingWaiting(stranger, "a stranger received something");
            }
            final Map<String, Object> route = get(node, STREAM_ID);
            assertEquals(fromSource, longOf(route.get("packets_in")), route.toString());
            assertEquals(2 * fromSource, longOf(route.get("packets_out")), route.toString());
            assertEquals(fromTargets, longOf(route.get("packets_returned")), route.toString());
            assertEquals((double)fromTargets, metric(node, "relay_packets_returned_total"));
            assertEquals(0.0, metric(node, "relay_data_plane_errors_total"), "no error escaped a duty cycle");

            // Still up, still relaying, both ways.
            assertEquals(200, node.call("GET", "/health", null).statusCode());
            final byte[] out = RelayEndToEndTest.payload(1, 160);
            send(sourceChannel, out, relay);
            assertArrayEquals(out, receive(t1Channel).bytes());
            assertArrayEquals(out, receive(t2Channel).bytes());
            final byte[] back = RelayEndToEndTest.payload(2, 40);
            send(t2Channel, back, relay);
            assertArrayEquals(back, receive(sourceChannel).bytes());
            node.send(sourceChannel, NodeFixture.frame(STREAM_ID, 0, 1, out));
            assertArrayEquals(out, receive(t1Channel).bytes(), "the main port still relays the stream");
        }
    }

    /**
     * @return one hostile datagram: the fuzzer's garbage of any shape, or now and then an empty one.
     */
    private static byte[] next(final DatagramFuzzer fuzzer, final SplittableRandom random, final byte[] buffer)
    {
        if (random.nextInt(40) == 0)
        {
            return new byte[0];
        }
        final int length = fuzzer.garbage(fuzzer.nextShape(), buffer);
        return Arrays.copyOf(buffer, length);
    }
}
