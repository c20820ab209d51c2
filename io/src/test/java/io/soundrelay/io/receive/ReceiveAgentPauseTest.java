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
import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.Transport;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A receiving thread that was not scheduled for seconds (SIGSTOP) drops what its sockets held, as {@code stale},
 * before it takes anything into the ring again (issue 32).
 */
class ReceiveAgentPauseTest
{
    private static final int SLOTS = 64;
    private static final int MAX_DATAGRAM = 100;

    private final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
        new RelaySlotFactory(SLOTS, MAX_DATAGRAM), SLOTS, new BusySpinWaitStrategy());
    private final RelayCounters counters = new RelayCounters();
    private final List<RelaySocket> sockets = new ArrayList<>();
    private final long[] now = {TimeUnit.SECONDS.toNanos(100)};
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
    void afterAPauseWhatTheSocketsHeldIsDroppedAsStaleAndWhatComesLaterIsReceived(final Transport transport)
        throws Exception
    {
        assumeTrue(transport.isAvailable(), transport.wireName() + " not available here");
        receiver = newReceiver(transport);
        final RelaySocket main = socket(transport, false);
        final RelaySocket relayPort = socket(transport, true);
        final ReceiveAgent agent = agent();
        receiver.add(main);
        receiver.add(relayPort);
        agent.onStart();

        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int i = 0; i < 10; i++)
            {
                // Loopback delivers in the send: the datagrams are in the sockets when it returns.
                source.send(datagram(i), main.localAddress());
                source.send(datagram(100 + i), relayPort.localAddress());
            }
            now[0] += TimeUnit.SECONDS.toNanos(15); // the process was stopped for 15 s

            agent.doWork();

            assertEquals(-1, ring.getCursor(), "nothing sent before the pause reaches the ring");
            assertEquals(20, counters.errors(ErrorReason.STALE), "both sockets emptied, counted stale");
            assertEquals(20, counters.received());
            assertEquals(1, agent.pauses());

            for (int i = 0; i < 3; i++)
            {
                source.send(datagram(1000 + i), main.localAddress());
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ring.getCursor() < 2 && System.nanoTime() < deadline)
            {
                now[0] += TimeUnit.MILLISECONDS.toNanos(1);
                agent.doWork();
            }
            assertEquals(2, ring.getCursor(), "what comes after the pause is received");
            for (int i = 0; i < 3; i++)
            {
                assertEquals(1000 + i, ring.get(i).buffer().getInt(0, ByteOrder.BIG_ENDIAN));
            }
            assertEquals(20, counters.errors(ErrorReason.STALE));
            assertEquals(1, agent.pauses());
        }
    }

    @Test
    void whatTheWaitTookBeforeThePauseIsDroppedToo() throws Exception
    {
        assumeTrue(Transport.EPOLL.isAvailable(), "epoll not available here");
        final EpollReceiver epoll = (EpollReceiver)newReceiver(Transport.EPOLL);
        receiver = epoll;
        final RelaySocket main = socket(Transport.EPOLL, false);
        epoll.add(main);
        epoll.receiveInWait(main, 0);
        final ReceiveAgent agent = agent();
        agent.onStart();

        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int i = 0; i < 5; i++)
            {
                source.send(datagram(i), main.localAddress());
            }
            epoll.awaitReceiving(100); // the blocking receive takes them, then the process is stopped
            now[0] += TimeUnit.SECONDS.toNanos(15);
            source.send(datagram(5), main.localAddress());

            agent.doWork();

            assertEquals(-1, ring.getCursor(), "neither what the wait took nor what the socket held is published");
            assertEquals(6, counters.errors(ErrorReason.STALE));
        }
    }

    @Test
    void waitsAndBusyCyclesAreNoPause() throws Exception
    {
        assumeTrue(Transport.NIO.isAvailable(), "nio not available here");
        receiver = newReceiver(Transport.NIO);
        final RelaySocket main = socket(Transport.NIO, false);
        receiver.add(main);
        final ReceiveAgent agent = agent();
        agent.onStart();
        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            source.send(datagram(7), main.localAddress());
            now[0] += ReceiveAgent.PAUSE_NS; // at the limit, not beyond
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ring.getCursor() < 0 && System.nanoTime() < deadline)
            {
                agent.doWork();
            }
            assertEquals(0, ring.getCursor());
            assertEquals(0, counters.errors(ErrorReason.STALE));
            assertEquals(0, agent.pauses());
        }
    }

    private ReceiveAgent agent()
    {
        return new ReceiveAgent(receiver, new ReceiverProxy(64), socket -> { }, () -> now[0]);
    }

    private BatchReceiver newReceiver(final Transport transport) throws IOException
    {
        final int slotBytes = RelaySlotFactory.slotBytesFor(MAX_DATAGRAM);
        final RingWriter writer = new RingWriter(ring);
        ring.addGatingSequences(ring.newPoller().getSequence());
        return transport == Transport.EPOLL ?
            new EpollReceiver(writer, slotBytes, 4, counters, SystemNanoClock.INSTANCE) :
            new NioReceiver(writer, slotBytes, 4, counters, SystemNanoClock.INSTANCE);
    }

    private RelaySocket socket(final Transport transport, final boolean relayPort) throws IOException
    {
        final RelaySocket socket =
            RelaySocket.open(transport, new InetSocketAddress("127.0.0.1", 0), 1024 * 1024, relayPort);
        sockets.add(socket);
        return socket;
    }

    private static ByteBuffer datagram(final int value)
    {
        return ByteBuffer.allocate(8).putInt(0, value);
    }
}
