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
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.Transport;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The epoll receiver that receives in its wait, on real loopback sockets: a wait blocked in {@code recvmmsg} ends at
 * once on {@link EpollReceiver#wake()} from another thread; what the wait took the next receive publishes; the wake
 * datagrams are never published nor counted, wherever they fall in a batch; with a relay port in the set the wait
 * stays on epoll.
 */
class ReceiveInWaitTest
{
    private static final int SLOTS = 64;
    private static final int MAX_DATAGRAM = 100;
    private static final int LONG_WAIT_MS = (int)TimeUnit.SECONDS.toMillis(60);

    private final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
        new RelaySlotFactory(SLOTS, MAX_DATAGRAM), SLOTS, new BusySpinWaitStrategy());
    private final RelayCounters counters = new RelayCounters();
    private EpollReceiver receiver;
    private RelaySocket main;

    @AfterEach
    void close() throws Exception
    {
        if (receiver != null)
        {
            receiver.close();
        }
        if (main != null)
        {
            main.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "127.0.0.1", "127.0.0.3", "0.0.0.0", "::1", "::" })
    @Timeout(60)
    void aWakeEndsAReceiveBlockedInTheWaitAndIsNeitherPublishedNorCounted(final String bind) throws Exception
    {
        open(bind);
        final Thread waiter = new Thread(() -> receiver.awaitReceiving(LONG_WAIT_MS));
        waiter.start();
        waitFor(receiver::blockedInReceive);
        receiver.wake();
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(waiter.isAlive(), "woken within 10 s of a 60 s wait");
        assertEquals(0, receiver.receive(), "the wake datagram is not published");
        assertEquals(0, counters.received(), "nor counted");
        assertEquals(-1, ring.getCursor());
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    @Timeout(60)
    void wakeDatagramsAmongOthersAreLeftOutOfTheBatch(final boolean inTheWait) throws Exception
    {
        open("127.0.0.1");
        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int i = 0; i < 6; i++)
            {
                receiver.sendWake();
                source.send(ByteBuffer.allocate(8).putInt(0, i), main.localAddress());
            }
            receiver.sendWake();
            final InetSocketAddress from = (InetSocketAddress)source.getLocalAddress();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int published = 0;
            while (published < 6 && System.nanoTime() < deadline)
            {
                if (inTheWait)
                {
                    receiver.awaitReceiving(100);
                }
                published += receiver.receive();
            }
            assertEquals(6, published);
            assertEquals(6, counters.received(), "only the datagrams from the source counted");
            assertEquals(5, ring.getCursor());
            for (int i = 0; i < 6; i++)
            {
                final RelaySlot slot = ring.get(i);
                assertEquals(i, slot.buffer().getInt(0, ByteOrder.BIG_ENDIAN), "slot " + i + " in order");
                assertEquals(8, slot.length);
                assertEquals(from, slot.senderSocketAddress());
                assertSame(main, slot.socket);
            }
        }
    }

    @Test
    @Timeout(60)
    void whatTheWaitTookTheNextReceivePublishes() throws Exception
    {
        open("127.0.0.1");
        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            source.send(ByteBuffer.allocate(4).putInt(0, 7), main.localAddress());
            receiver.awaitReceiving(LONG_WAIT_MS);
            assertEquals(-1, ring.getCursor(), "taken in the wait, not yet published");
            assertEquals(1, receiver.receive());
            assertEquals(0, ring.getCursor());
            assertEquals(7, ring.get(0).buffer().getInt(0, ByteOrder.BIG_ENDIAN));
            assertEquals(1, counters.received());
        }
    }

    @Test
    @Timeout(60)
    void withARelayPortInTheSetTheWaitStaysOnEpoll() throws Exception
    {
        open("127.0.0.1");
        final RelaySocket port = RelaySocket.open(Transport.EPOLL, new InetSocketAddress("127.0.0.1", 0), 65536, true);
        try
        {
            receiver.add(port);
            final Thread waiter = new Thread(() -> receiver.awaitReceiving(LONG_WAIT_MS));
            waiter.start();
            waiter.join(200);
            assertFalse(receiver.blockedInReceive(), "not in a receive with two sockets");
            receiver.wake();
            waiter.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(waiter.isAlive(), "woken from epoll");
            receiver.remove(port, s -> { });
        }
        finally
        {
            port.close();
        }
    }

    private void open(final String bind) throws Exception
    {
        assumeTrue(Transport.EPOLL.isAvailable(), "epoll not available here");
        final InetAddress address = InetAddress.getByName(bind);
        if (address instanceof java.net.Inet6Address)
        {
            try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET6))
            {
                probe.bind(new InetSocketAddress("::1", 0));
            }
            catch (final java.io.IOException ex)
            {
                assumeTrue(false, "no IPv6 loopback here");
            }
        }
        main = RelaySocket.open(Transport.EPOLL, new InetSocketAddress(address, 0), 1024 * 1024, false);
        receiver = new EpollReceiver(new RingWriter(ring), RelaySlotFactory.slotBytesFor(MAX_DATAGRAM), 32, counters,
            SystemNanoClock.INSTANCE);
        receiver.add(main);
        receiver.receiveInWait(main, 0);
    }

    private static void waitFor(final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertTrue(condition.getAsBoolean(), "within 10 s");
    }
}
