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
package io.soundrelay.io.transport;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ReceiveAdapterTest
{
    @Test
    void copiesEachDatagramIntoASlotAndDropsWhenTheRingIsFull()
    {
        final RingBuffer<RelaySlot> ring = RingBuffer.createSingleProducer(
            new RelaySlotFactory(64, 100), 64, new BusySpinWaitStrategy());
        final EventPoller<RelaySlot> consumer = ring.newPoller(); // a consumer that never consumes
        ring.addGatingSequences(consumer.getSequence());
        final RelayCounters counters = new RelayCounters();
        final ReceiveAdapter adapter = new ReceiveAdapter(ring, counters);
        final InetSocketAddress sender = new InetSocketAddress("127.0.0.1", 5000);

        for (int i = 0; i < 100; i++)
        {
            final ByteBuf datagram = Unpooled.directBuffer(300);
            datagram.writeInt(i);
            datagram.writeZero(i == 0 ? 196 : 16); // the first is longer than the slot holds
            adapter.onDatagram(datagram, sender);
            datagram.release();
        }

        assertEquals(100, counters.received());
        assertEquals(36, counters.errors(ErrorReason.RING_FULL));
        assertEquals(63, ring.getCursor(), "64 datagrams published, no more");
        final RelaySlot first = ring.get(0);
        assertEquals(200, first.length, "the length as received, so the router sees it is oversize");
        assertEquals(first.capacity(), first.storedLength());
        assertEquals(sender, first.senderSocketAddress());
        final RelaySlot last = ring.get(63);
        assertEquals(20, last.length);
        assertEquals(63, last.buffer().getInt(0, java.nio.ByteOrder.BIG_ENDIAN));
    }
}
