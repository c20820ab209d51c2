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
package io.soundrelay.jda;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.jda.TestNode.address;
import static io.soundrelay.jda.TestNode.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A factory over two real nodes that share a real Redis (a {@code redis-server} of the test's own): which node a
 * connection's route goes on, and how the connection follows a migration, a node that stops and a node that is
 * full. The "voice server" counts the packets by their RTP sequence number.
 */
final class SeveralNodesTest
{
    private static final long SSRC = 0xA1B2_C3D4L;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Process redis;
    private String redisUrl;
    private File redisDir;
    private DatagramChannel voice;
    private FakePacketProvider provider;

    @BeforeEach
    void startRedis() throws Exception
    {
        final int port;
        try (ServerSocket probe = new ServerSocket(0))
        {
            port = probe.getLocalPort();
        }
        redisDir = Files.createTempDirectory("soundrelay-jda-redis").toFile();
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", redisDir.getAbsolutePath())
            .redirectErrorStream(true).redirectOutput(new File(redisDir, "redis.log")).start();
        redisUrl = "redis://127.0.0.1:" + port;
        final long deadlineNs = System.nanoTime() + TestNode.WAIT_NS;
        while (true)
        {
            try (Socket ignored = new Socket("127.0.0.1", port))
            {
                break;
            }
            catch (final IOException ex)
            {
                if (!redis.isAlive() || System.nanoTime() > deadlineNs)
                {
                    throw new IllegalStateException("redis-server did not start: " +
                        Files.readString(new File(redisDir, "redis.log").toPath()), ex);
                }
                Thread.sleep(5);
            }
        }
        voice = TestNode.voiceServer();
    }

    @AfterEach
    void stopAll() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
        voice.close();
        redis.destroyForcibly();
        redis.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void aNewConnectionGoesOnTheLessLoadedNode() throws Exception
    {
        final TestNode busy = node("jda-busy");
        final TestNode idle = node("jda-idle");
        holdRoutes(busy, 3);
        waitForLoads(busy, 3, idle, 0);

        // Relay addresses from GET /nodes; the busy node first in the configured order.
        final SoundRelaySendSystem system = start(factory(busy, idle).build());
        waitFor("the route on the idle node", () -> idle.controlUrl().equals(system.routeNode()) &&
            system.isRouteConfirmed());
        assertEquals("jda-idle", idle.route(SSRC).get("node_id"));
        assertEquals(idle.relay(), system.routeRelay());
        final List<byte[]> received = receive(50);
        assertInOrder(provider.handedOut(), received);
        assertEquals(0, ((Number)busy.health().get("packets_received")).intValue(), "nothing went to the busy node");
    }

    @Test
    void aMigrationIsFollowedWithoutLosingAPacket() throws Exception
    {
        final TestNode a = node("jda-a");
        final TestNode b = node("jda-b");
        waitForLoads(a, 0, b, 0);
        final SoundRelaySendSystem system = start(factory(a, b).build());
        waitFor("the route on the first node", () -> a.controlUrl().equals(system.routeNode()));
        final List<byte[]> received = new ArrayList<>(receive(50));

        final HttpResponse<String> migrated = a.call("POST", "/migrate",
            "{\"stream_id\":" + SSRC + ",\"new_node_addr\":\"" + b.relayAddr() + "\"}");
        assertEquals(200, migrated.statusCode(), migrated.body());
        waitFor("the send system following the route to the second node", () ->
        {
            received.addAll(drain());
            return b.controlUrl().equals(system.routeNode()) && b.relay().equals(system.routeRelay());
        });
        final int handedAtSwitch = provider.handedOut().size();
        waitFor("100 packets more at the voice server", () ->
        {
            received.addAll(drain());
            return received.size() >= handedAtSwitch + 100;
        });
        final List<byte[]> handedOut = provider.handedOut();
        final int lost = assertEachOnce(handedOut, received);
        System.out.println("migration: " + received.size() + " packets received, " + lost + " lost, " +
            reordered(received) + " out of order");
        assertEquals(0, lost, "packets lost over the migration");
        assertEquals("jda-b", b.route(SSRC).get("node_id"));
    }

    @Test
    void aNodeThatStopsIsReplacedByTheOther() throws Exception
    {
        final TestNode a = node("jda-doomed");
        final TestNode b = node("jda-survivor");
        waitForLoads(a, 0, b, 0);
        final SoundRelaySendSystem system = start(factory(a, b).build());
        waitFor("the route on the first node", () -> a.controlUrl().equals(system.routeNode()));
        final List<byte[]> received = new ArrayList<>(receive(50));

        a.close();
        final int handedAtStop = provider.handedOut().size();
        waitFor("the route on the second node", () ->
        {
            received.addAll(drain());
            return b.controlUrl().equals(system.routeNode()) && system.isRouteConfirmed();
        });
        final int handedAtMove = provider.handedOut().size();
        assertEquals("jda-survivor", b.route(SSRC).get("node_id"));
        waitFor("audio again, 50 packets handed out after the stop", () ->
        {
            received.addAll(drain());
            return received.size() >= handedAtStop + 50;
        });
        final List<byte[]> handedOut = provider.handedOut();
        final int lost = assertEachOnce(handedOut, received);
        System.out.println("node stopped: " + received.size() + " packets received, " + lost + " lost (sent to " +
            "the stopped node before the check found it gone)");
        final Set<Integer> sequences = new HashSet<>();
        int highest = 0;
        for (final byte[] packet : received)
        {
            sequences.add(sequence(packet));
            highest = Math.max(highest, sequence(packet));
        }
        for (int sequence = handedAtMove; sequence <= highest; sequence++)
        {
            assertTrue(sequences.contains(sequence), "packet " + sequence + ", after the move, never came");
        }
    }

    @Test
    void aFullNodeIsSkippedForTheNext() throws Exception
    {
        final TestNode full = node("jda-full", "MAX_STREAMS_PER_NODE", "1");
        final TestNode other = node("jda-other");
        holdRoutes(full, 1);
        holdRoutes(other, 2);
        waitForLoads(full, 1, other, 2);

        // The full node is the less loaded: it is asked first, answers 503, and the other takes the route. The relay
        // addresses given this time, not read from GET /nodes.
        final SoundRelaySendSystem system = start(SoundRelaySendFactory.builder(full.relay(), full.controlUrl())
            .node(other.controlUrl(), other.relay()).apiKey(TestNode.KEY).maxHeldPackets(500).build());
        waitFor("the route on the other node", () -> other.controlUrl().equals(system.routeNode()) &&
            system.isRouteConfirmed());
        assertEquals("jda-other", other.route(SSRC).get("node_id"));
        assertNull(system.lastRouteError());
        final List<byte[]> received = receive(20);
        assertInOrder(provider.handedOut(), received);
        assertEquals(503, full.call("POST", "/route", Json.routeRequest(
            99, "127.0.0.1:9", List.of("127.0.0.1:9"))).statusCode(), "the node is full indeed");
    }

    @Test
    void aDrainingNodeHandsTheConnectionToItsPeerAndEveryPacketArrivesOnce() throws Exception
    {
        final TestNode a = node("jda-draining");
        final TestNode b = node("jda-peer");
        holdRoutes(b, 2); // the draining node stays the less loaded: only its drain keeps new routes off it
        waitForLoads(a, 0, b, 2);
        final SoundRelaySendSystem system = start(factory(a, b).build());
        waitFor("the route on the first node", () -> a.controlUrl().equals(system.routeNode()));
        final List<byte[]> received = new ArrayList<>(receive(50));

        final HttpResponse<String> drain = a.call("POST", "/drain", "");
        assertEquals(202, drain.statusCode(), drain.body());
        final long drainNs = System.nanoTime();

        // A connection made while the node drains goes on the peer (the node is left out, or its 503 skipped).
        final DatagramChannel otherVoice = TestNode.voiceServer();
        closeables.add(otherVoice);
        final FakePacketProvider otherProvider = new FakePacketProvider("conn-during-drain", SSRC + 1,
            address(otherVoice));
        otherProvider.quirks(false);
        final SoundRelaySendSystem other = factory(a, b).build().createSendSystem(otherProvider);
        closeables.add(() ->
        {
            other.shutdown();
            other.awaitTermination(Duration.ofSeconds(10));
        });
        other.start();

        waitFor("the send system following the route to the peer", () ->
        {
            received.addAll(drain());
            return b.controlUrl().equals(system.routeNode()) && b.relay().equals(system.routeRelay());
        });
        final long followedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainNs);
        final int handedAtSwitch = provider.handedOut().size();
        waitFor("100 packets more at the voice server", () ->
        {
            received.addAll(drain());
            return received.size() >= handedAtSwitch + 100;
        });
        final int lost = assertEachOnce(provider.handedOut(), received);
        System.out.println("drain: followed after " + followedMs + " ms; " + received.size() +
            " packets received, " + lost + " lost, " + reordered(received) + " out of order");
        assertEquals(0, lost, "packets lost over the drain");
        assertEquals("jda-peer", b.route(SSRC).get("node_id"));

        waitFor("the other connection on the peer", () -> b.controlUrl().equals(other.routeNode()) &&
            other.isRouteConfirmed());
        assertEquals("jda-peer", b.route(SSRC + 1).get("node_id"));
        final byte[] first = TestNode.receive(otherVoice);
        assertArrayEquals(otherProvider.handedOut().get(0), first, "the other connection's first packet");
    }

    private TestNode node(final String nodeId, final String... settings) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redisUrl);
        env.put("NODE_ID", nodeId);
        env.put("MIGRATION_GRACE_SECONDS", "5");
        for (int i = 0; i < settings.length; i += 2)
        {
            env.put(settings[i], settings[i + 1]);
        }
        final TestNode node = TestNode.start(env);
        closeables.add(node);
        return node;
    }

    private static SoundRelaySendFactory.Builder factory(final TestNode... nodes)
    {
        final List<String> urls = new ArrayList<>();
        for (final TestNode node : nodes)
        {
            urls.add(node.controlUrl());
        }
        return SoundRelaySendFactory.builder(urls).apiKey(TestNode.KEY).maxHeldPackets(500);
    }

    private SoundRelaySendSystem start(final SoundRelaySendFactory factory) throws Exception
    {
        provider = new FakePacketProvider("conn-several", SSRC, address(voice));
        provider.quirks(false);
        final SoundRelaySendSystem system = factory.createSendSystem(provider);
        closeables.add(() ->
        {
            system.shutdown();
            system.awaitTermination(Duration.ofSeconds(10));
        });
        system.start();
        return system;
    }

    private static void holdRoutes(final TestNode node, final int count) throws Exception
    {
        for (int i = 1; i <= count; i++)
        {
            final HttpResponse<String> created = node.call("POST", "/route",
                Json.routeRequest(1000 + i + (long)node.relay().getPort() * 100, "127.0.0.1:" + (20000 + i),
                List.of("127.0.0.1:" + (21000 + i))));
            assertEquals(201, created.statusCode(), created.body());
        }
    }

    /**
     * Wait until {@code GET /nodes} shows both nodes with these loads (heartbeats come every 3 s).
     */
    private static void waitForLoads(final TestNode a, final int loadA, final TestNode b, final int loadB)
        throws Exception
    {
        final String idA = (String)a.health().get("node_id");
        final String idB = (String)b.health().get("node_id");
        waitFor("GET /nodes with " + idA + " at " + loadA + " and " + idB + " at " + loadB, () ->
        {
            final Map<String, Integer> loads = new HashMap<>();
            final Object nodes = Json.object(a.call("GET", "/nodes", null).body()).get("nodes");
            for (final Object entry : (List<?>)nodes)
            {
                final Map<?, ?> map = (Map<?, ?>)entry;
                loads.put((String)map.get("node_id"), ((Number)map.get("active_routes")).intValue());
            }
            return Integer.valueOf(loadA).equals(loads.get(idA)) && Integer.valueOf(loadB).equals(loads.get(idB));
        });
    }

    private List<byte[]> receive(final int count) throws Exception
    {
        final List<byte[]> received = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            received.add(TestNode.receive(voice));
        }
        return received;
    }

    private List<byte[]> drain() throws Exception
    {
        final List<byte[]> received = new ArrayList<>();
        byte[] datagram;
        while (null != (datagram = TestNode.poll(voice)))
        {
            received.add(datagram);
        }
        return received;
    }

    private static int sequence(final byte[] packet)
    {
        return ByteBuffer.wrap(packet).getChar(2);
    }

    private static void assertInOrder(final List<byte[]> handedOut, final List<byte[]> received)
    {
        for (int i = 0; i < received.size(); i++)
        {
            assertArrayEquals(handedOut.get(i), received.get(i), "packet " + i);
        }
    }

    /**
     * Each received packet is one handed out, byte for byte, and none came twice.
     *
     * @return how many packets handed out before the last one received never came.
     */
    private static int assertEachOnce(final List<byte[]> handedOut, final List<byte[]> received)
    {
        final Map<Integer, byte[]> bySequence = new HashMap<>();
        int highest = -1;
        for (final byte[] packet : received)
        {
            final int sequence = sequence(packet);
            assertNull(bySequence.put(sequence, packet), "packet " + sequence + " came twice");
            assertArrayEquals(handedOut.get(sequence), packet, "packet " + sequence);
            highest = Math.max(highest, sequence);
        }
        return highest + 1 - bySequence.size();
    }

    private static int reordered(final List<byte[]> received)
    {
        int count = 0;
        for (int i = 1; i < received.size(); i++)
        {
            count += sequence(received.get(i)) < sequence(received.get(i - 1)) ? 1 : 0;
        }
        return count;
    }
}
