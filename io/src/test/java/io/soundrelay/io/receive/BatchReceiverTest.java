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
package io.soundrelay.io.receive;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.Transport;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The receivers that read straight into ring slots, on real loopback sockets, for every transport: every datagram
 * lands whole in its own slot, in order, with its sender and the socket it came in on; one over the limit is seen as
 * oversize; a full ring still drains the sockets and counts each datagram as ring_full; a wake-up ends a wait; a
 * socket set of many sockets is received as one, and a socket taken out of it is handed back to be closed, its port
 * free again.
 */
class BatchReceiverTest
{
    private static final int SLOTS = 64;
    private static final int MAX_DATAGRAM = 100;

    private final List<RelaySocket> sockets = new ArrayList<>();
    private BatchReceiver receiver;

    @AfterEach
    void close() throws Exception
    {
        if (receiver != null)
        {
            receiver.close();
        }
        for (final RelaySocket socket : sockets)
        {
            socket.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void fillsSlotsInOrderThenCountsRingFullWhileDrainingTheSocket(final Transport transport) throws Exception
    {
        final RingBuffer<RelaySlot> ring = ring(SLOTS);
        stall(ring);
        final RelayCounters counters = new RelayCounters();
        final RelaySocket relay = open(transport, ring, counters);

        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            final InetSocketAddress from = (InetSocketAddress)source.getLocalAddress();
            for (int i = 0; i < 100; i++)
            {
                final ByteBuffer datagram = ByteBuffer.allocate(i == 0 ? 150 : 20);
                datagram.putInt(i).putInt(0, i).clear();
                source.send(datagram, relay.localAddress());
            }

            // 100 datagrams in batches of at most 32: take them all, however the kernel hands them over.
            receiveUntil(() -> counters.received() >= 100);

            assertEquals(100, counters.received());
            assertEquals(100 - SLOTS, counters.errors(ErrorReason.RING_FULL), "the rest drained and counted");
            assertEquals(SLOTS - 1, ring.getCursor(), "the first 64 published, no more");
            final RelaySlot first = ring.get(0);
            assertEquals(first.capacity(), first.length, "one over the limit at least: the router sees oversize");
            assertTrue(first.length > MAX_DATAGRAM);
            for (int i = 0; i < SLOTS; i++)
            {
                final RelaySlot slot = ring.get(i);
                assertEquals(i, slot.buffer().getInt(0, java.nio.ByteOrder.BIG_ENDIAN), "slot " + i + " in order");
                assertEquals(from, slot.senderSocketAddress(), "slot " + i + " sender");
                assertSame(relay, slot.socket, "slot " + i + " socket");
                if (i > 0)
                {
                    assertEquals(20, slot.length);
                }
                assertTrue(slot.receiveNs != 0);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    @Timeout(30)
    void aWakeUpEndsAWait(final Transport transport) throws Exception
    {
        final RingBuffer<RelaySlot> ring = ring(SLOTS);
        stall(ring);
        open(transport, ring, new RelayCounters());
        receiver.receive(); // on io_uring: the first submission, on the receiving thread
        final Thread waker = new Thread(receiver::wake);
        waker.start();
        // Without the wake-up this would return only after an hour; the test's own timeout would fail it first.
        receiver.await((int)TimeUnit.HOURS.toMillis(1));
        waker.join();
        receiver.receive();
        assertEquals(-1, ring.getCursor(), "woken, not readable: nothing taken");
    }

    /**
     * The main socket and 200 relay ports in one set: datagrams sent to all of them arrive, each stamped with the
     * socket it came in on; then half the ports leave the set, each is handed back once, its port can be bound
     * again, and what is sent to the rest still arrives.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    @Timeout(60)
    void receivesASetOfManySocketsAsOneAndHandsBackTheOnesTakenOut(final Transport transport) throws Exception
    {
        final RingBuffer<RelaySlot> ring = ring(1024);
        final EventPoller<RelaySlot> consumer = ring.newPoller();
        ring.addGatingSequences(consumer.getSequence());
        final RelayCounters counters = new RelayCounters();
        final RelaySocket main = open(transport, ring, counters);
        final RelayPorts ports = new RelayPorts(transport, InetAddress.getLoopbackAddress(), 46000, 46999, 64 * 1024);
        final List<RelaySocket> relayPorts = new ArrayList<>();
        for (int i = 0; i < 200; i++)
        {
            final RelaySocket port = ports.open(0);
            relayPorts.add(port);
            receiver.add(port);
        }
        assertEquals(201, receiver.sockets());

        final Map<RelaySocket, Integer> seen = new HashMap<>();
        final EventPoller.Handler<RelaySlot> count = (slot, sequence, endOfBatch) ->
        {
            assertEquals(slot.socket.port(), slot.buffer().getInt(0, java.nio.ByteOrder.BIG_ENDIAN), "the datagram names the port it was sent to");
            seen.merge(slot.socket, 1, Integer::sum);
            return true;
        };
        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            final List<RelaySocket> all = new ArrayList<>(relayPorts);
            all.add(main);
            for (int round = 0; round < 3; round++)
            {
                for (final RelaySocket to : all)
                {
                    source.send(ByteBuffer.allocate(8).putInt(0, to.port()), to.localAddress());
                }
            }
            receiveUntil(() ->
            {
                poll(consumer, count);
                return seen.values().stream().mapToInt(Integer::intValue).sum() >= 3 * all.size();
            });
            for (final RelaySocket socket : all)
            {
                assertEquals(3, seen.get(socket), "three datagrams came in on " + socket);
            }

            final List<RelaySocket> out = new ArrayList<>();
            for (int i = 0; i < 100; i++)
            {
                receiver.remove(relayPorts.get(i), out::add);
            }
            receiveUntil(() -> out.size() >= 100);
            assertEquals(relayPorts.subList(0, 100), out, "each handed back once, in order");
            assertEquals(101, receiver.sockets());
            for (final RelaySocket socket : out)
            {
                ports.release(socket);
                try (DatagramChannel again = DatagramChannel.open())
                {
                    again.bind(socket.localAddress()); // free again: nothing holds the port in the kernel
                }
            }

            seen.clear();
            for (final RelaySocket to : relayPorts.subList(100, 200))
            {
                source.send(ByteBuffer.allocate(8).putInt(0, to.port()), to.localAddress());
            }
            receiveUntil(() ->
            {
                poll(consumer, count);
                return seen.size() >= 100;
            });
            for (final RelaySocket socket : relayPorts.subList(100, 200))
            {
                assertNotNull(seen.get(socket), socket + " still in the set");
            }
        }
        finally
        {
            ports.closeAll();
        }
    }

    private static void poll(final EventPoller<RelaySlot> consumer, final EventPoller.Handler<RelaySlot> handler)
    {
        try
        {
            consumer.poll(handler);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private void receiveUntil(final BooleanSupplier done)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean() && System.nanoTime() < deadline)
        {
            if (receiver.receive() == 0)
            {
                receiver.await(100);
            }
        }
        assertTrue(done.getAsBoolean(), "within 10 s");
    }

    /**
     * A consumer that never consumes: the ring is full once its slots are.
     */
    private static void stall(final RingBuffer<RelaySlot> ring)
    {
        ring.addGatingSequences(ring.newPoller().getSequence());
    }

    private static RingBuffer<RelaySlot> ring(final int slots)
    {
        final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
            new RelaySlotFactory(slots, MAX_DATAGRAM), slots, new BusySpinWaitStrategy());
        return ring;
    }

    private RelaySocket open(
        final Transport transport, final RingBuffer<RelaySlot> ring, final RelayCounters counters) throws IOException
    {
        assumeTrue(transport.isAvailable(), transport.wireName() + " not available here");
        final int slotBytes = RelaySlotFactory.slotBytesFor(MAX_DATAGRAM);
        final RingWriter writer = new RingWriter(ring);
        switch (transport)
        {
            case EPOLL:
                receiver = new EpollReceiver(writer, slotBytes, 32, counters, SystemNanoClock.INSTANCE);
                break;
            default:
                receiver = new NioReceiver(writer, slotBytes, 32, counters, SystemNanoClock.INSTANCE);
        }
        final RelaySocket socket =
            RelaySocket.open(transport, new InetSocketAddress("127.0.0.1", 0), 1024 * 1024, false);
        sockets.add(socket);
        receiver.add(socket);
        return socket;
    }
}
