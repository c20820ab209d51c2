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
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.UnixChannel;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The receivers that read straight into ring slots, on real loopback sockets: every datagram lands whole in its
 * own slot, in order, with its sender; one over the limit is seen as oversize; a full ring still drains the socket
 * and counts each datagram as ring_full; a wake-up ends a wait.
 */
class BatchReceiverTest
{
    private static final int SLOTS = 64;
    private static final int MAX_DATAGRAM = 100;

    private EventLoopGroup group;
    private Channel channel;
    private DatagramChannel nio;
    private BatchReceiver receiver;

    @AfterEach
    void close() throws Exception
    {
        if (receiver != null)
        {
            receiver.close();
        }
        if (channel != null)
        {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (nio != null)
        {
            nio.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "recvmmsg", "nio" })
    void fillsSlotsInOrderThenCountsRingFullWhileDrainingTheSocket(final String kind) throws Exception
    {
        final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
            new RelaySlotFactory(SLOTS, MAX_DATAGRAM), SLOTS, new BusySpinWaitStrategy());
        final EventPoller<RelaySlot> consumer = ring.newPoller(); // a consumer that never consumes
        ring.addGatingSequences(consumer.getSequence());
        final RelayCounters counters = new RelayCounters();
        final InetSocketAddress relay = open(kind, ring, counters);

        try (DatagramChannel source = DatagramChannel.open())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            final InetSocketAddress from = (InetSocketAddress)source.getLocalAddress();
            for (int i = 0; i < 100; i++)
            {
                final ByteBuffer datagram = ByteBuffer.allocate(i == 0 ? 150 : 20);
                datagram.putInt(i).putInt(0, i).clear();
                source.send(datagram, relay);
            }

            // 100 datagrams in batches of at most 32: take them all, however the kernel hands them over.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (counters.received() < 100 && System.nanoTime() < deadline)
            {
                if (receiver.receive() == 0)
                {
                    receiver.await(100);
                }
            }

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
                if (i > 0)
                {
                    assertEquals(20, slot.length);
                }
                assertTrue(slot.receiveNs != 0);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "recvmmsg", "nio" })
    @Timeout(30)
    void aWakeUpEndsAWait(final String kind) throws Exception
    {
        final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
            new RelaySlotFactory(SLOTS, MAX_DATAGRAM), SLOTS, new BusySpinWaitStrategy());
        open(kind, ring, new RelayCounters());
        final Thread waker = new Thread(receiver::wake);
        waker.start();
        // Without the wake-up this would return only after an hour; the test's own timeout would fail it first.
        receiver.await((int)TimeUnit.HOURS.toMillis(1));
        waker.join();
        assertEquals(0, receiver.receive(), "woken, not readable: nothing to take");
    }

    private InetSocketAddress open(
        final String kind, final RingBuffer<RelaySlot> ring, final RelayCounters counters) throws Exception
    {
        final int slotBytes = RelaySlotFactory.slotBytesFor(MAX_DATAGRAM);
        if ("nio".equals(kind))
        {
            nio = DatagramChannel.open();
            nio.bind(new InetSocketAddress("127.0.0.1", 0));
            receiver = new NioReceiver(nio, new RingWriter(ring), slotBytes, 32, counters);
            return (InetSocketAddress)nio.getLocalAddress();
        }
        assumeTrue(Epoll.isAvailable() && RecvmmsgReceiver.isAvailable(), "epoll recvmmsg not available here");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        channel = new Bootstrap().group(group)
            .channelFactory(() -> new EpollDatagramChannel(SocketProtocolFamily.INET))
            .option(ChannelOption.AUTO_READ, false)
            .handler(new ChannelInboundHandlerAdapter())
            .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        final int fd = ((UnixChannel)channel).fd().intValue();
        receiver = new RecvmmsgReceiver(fd, false, new RingWriter(ring), slotBytes, 32, counters);
        return (InetSocketAddress)channel.localAddress();
    }
}
