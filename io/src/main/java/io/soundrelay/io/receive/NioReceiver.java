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

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Receives with the JDK's {@link DatagramChannel}s into the ring slots' direct buffers: one {@link Selector} over the
 * main socket and the relay ports. With the main socket alone it reads the channel directly, no select per batch.
 * The JDK hands back the sender as an address object; it reuses the last one while the sender does not change, and
 * this receiver converts an address only when the object changes.
 */
public final class NioReceiver implements BatchReceiver
{
    private static final Logger LOG = LoggerFactory.getLogger(NioReceiver.class);

    private final RingWriter ring;
    private final RelayCounters counters;
    private final NanoClock clock;
    private final int batch;
    private final Selector selector;
    private final ByteBuffer dropRegion;
    private final Consumer<SelectionKey> ignoreKey = key -> { };
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final Consumer<SelectionKey> onStale = this::onStale;
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));
    private final byte[] lastAddress = new byte[16];
    private SocketAddress lastSender;
    private int lastPort;
    private RelaySocket only;
    private int receivedInSelect;
    private int discardedInSelect;
    private int discardMax;

    /**
     * @param ring      where datagrams go; the caller's thread is the ring's only producer.
     * @param slotBytes bytes of each ring slot.
     * @param batchSize most datagrams per call and socket.
     * @param counters  receiver-owned counters.
     * @param clock     stamps each datagram's receive time.
     * @throws IOException when the selector cannot be opened.
     */
    public NioReceiver(
        final RingWriter ring,
        final int slotBytes,
        final int batchSize,
        final RelayCounters counters,
        final NanoClock clock) throws IOException
    {
        this.ring = ring;
        this.counters = counters;
        this.clock = clock;
        this.batch = Math.max(1, batchSize);
        this.dropRegion = ByteBuffer.allocateDirect(slotBytes);
        this.selector = Selector.open();
    }

    public String name()
    {
        return "nio";
    }

    public void add(final RelaySocket socket) throws IOException
    {
        socket.channel().register(selector, SelectionKey.OP_READ, socket);
        only = selector.keys().size() == 1 ? socket : null;
    }

    public void remove(final RelaySocket socket, final Consumer<RelaySocket> out)
    {
        final SelectionKey key = socket.channel().keyFor(selector);
        if (key != null)
        {
            key.cancel();
        }
        try
        {
            selector.selectNow(ignoreKey); // deregisters the cancelled key before the channel is closed
        }
        catch (final IOException ex)
        {
            onError(ex.toString());
        }
        only = null;
        int valid = 0;
        RelaySocket last = null;
        for (final SelectionKey k : selector.keys())
        {
            if (k.isValid())
            {
                valid++;
                last = (RelaySocket)k.attachment();
            }
        }
        if (valid == 1)
        {
            only = last;
        }
        out.accept(socket);
    }

    public int sockets()
    {
        return selector.keys().size();
    }

    public int receive()
    {
        final RelaySocket single = only;
        if (single != null)
        {
            return receive(single);
        }
        receivedInSelect = 0;
        try
        {
            selector.selectNow(onReady);
        }
        catch (final IOException ex)
        {
            onError(ex.toString());
        }
        return receivedInSelect;
    }

    private void onReady(final SelectionKey key)
    {
        if (key.isValid() && key.isReadable())
        {
            receivedInSelect += receive((RelaySocket)key.attachment());
        }
    }

    private int receive(final RelaySocket socket)
    {
        final DatagramChannel channel = socket.channel();
        final int free = ring.freeSlots(batch);
        int received = 0;
        try
        {
            if (free == 0)
            {
                while (received < batch && channel.receive(dropRegion.clear()) != null)
                {
                    received++;
                }
                counters.addReceived(received);
                counters.addError(ErrorReason.RING_FULL, received);
                return received;
            }

            while (received < free)
            {
                final RelaySlot slot = ring.freeSlot(received);
                final ByteBuffer bytes = slot.byteBuffer();
                bytes.clear();
                final SocketAddress sender = channel.receive(bytes);
                if (sender == null)
                {
                    break;
                }
                if (sender != lastSender)
                {
                    final InetSocketAddress address = (InetSocketAddress)sender;
                    final byte[] raw = address.getAddress().getAddress();
                    Endpoint.toIpv6Mapped(raw, 0, raw.length, lastAddress);
                    lastPort = address.getPort();
                    lastSender = sender;
                }
                slot.length = bytes.position();
                bytes.clear();
                slot.receiveNs = clock.nanoTime();
                slot.socket = socket;
                System.arraycopy(lastAddress, 0, slot.senderAddress, 0, 16);
                slot.senderPort = lastPort;
                received++;
            }
        }
        catch (final ClosedChannelException ex)
        {
            onError(socket + " is closed");
        }
        catch (final IOException ex)
        {
            onError(ex.toString());
        }
        counters.addReceived(received);
        ring.publish(received);
        return received;
    }

    public int discardQueued(final int maxPerSocket)
    {
        discardMax = maxPerSocket;
        discardedInSelect = 0;
        try
        {
            selector.selectNow(onStale); // the ready keys are the sockets that hold something
        }
        catch (final IOException ex)
        {
            onError(ex.toString());
        }
        return discardedInSelect;
    }

    private void onStale(final SelectionKey key)
    {
        if (key.isValid() && key.isReadable())
        {
            discardedInSelect += discard((RelaySocket)key.attachment(), discardMax);
        }
    }

    /**
     * Take datagrams off one socket into the drop region until it holds none (or {@code max} went), counting them
     * received and stale.
     */
    private int discard(final RelaySocket socket, final int max)
    {
        int discarded = 0;
        try
        {
            while (discarded < max && socket.channel().receive(dropRegion.clear()) != null)
            {
                discarded++;
            }
        }
        catch (final IOException ex)
        {
            onError(ex.toString());
        }
        counters.addReceived(discarded);
        counters.addError(ErrorReason.STALE, discarded);
        return discarded;
    }

    public void await(final int timeoutMs)
    {
        try
        {
            selector.select(ignoreKey, timeoutMs);
        }
        catch (final IOException ex)
        {
            onError(ex.toString());
        }
    }

    public void wake()
    {
        selector.wakeup();
    }

    public void close()
    {
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // closing on the way out
        }
    }

    private void onError(final String what)
    {
        final long heldBack = errorLog.onError(clock.nanoTime());
        if (heldBack != ErrorLogLimiter.QUIET)
        {
            LOG.warn("relay socket receive error: {} ({} more since the last line)", what, heldBack);
        }
    }
}
