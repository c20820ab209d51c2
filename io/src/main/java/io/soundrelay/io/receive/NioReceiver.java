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
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Receives with the JDK's non-blocking {@link DatagramChannel}, straight into the ring slots' direct buffers (the
 * kernel copies into the slot; the JDK adds no copy for a direct buffer). The JDK hands back the same
 * {@link InetSocketAddress} object while the sender stays the same, so the sender's 16-byte form is recomputed only
 * when it changes: a node fed by one socket allocates nothing per datagram; one fed by many interleaved sources
 * allocates the JDK's address object per change of source. Waits with a {@link Selector}.
 */
public final class NioReceiver implements BatchReceiver
{
    private static final Logger LOG = LoggerFactory.getLogger(NioReceiver.class);

    private final DatagramChannel channel;
    private final RingWriter ring;
    private final RelayCounters counters;
    private final int batch;
    private final Selector selector;
    private final ByteBuffer dropRegion;
    private final Consumer<SelectionKey> ignoreKey = key -> { };
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));
    private final byte[] lastAddress = new byte[16];
    private SocketAddress lastSender;
    private int lastPort;

    /**
     * @param channel   the relay socket, non-blocking (shared with the sender).
     * @param ring      where datagrams go; the caller's thread is the ring's only producer.
     * @param slotBytes bytes of each ring slot.
     * @param batchSize most datagrams per call.
     * @param counters  receiver-owned counters.
     * @throws IOException when the selector cannot be opened.
     */
    public NioReceiver(
        final DatagramChannel channel,
        final RingWriter ring,
        final int slotBytes,
        final int batchSize,
        final RelayCounters counters) throws IOException
    {
        this.channel = channel;
        this.ring = ring;
        this.counters = counters;
        this.batch = Math.max(1, batchSize);
        this.dropRegion = ByteBuffer.allocateDirect(slotBytes);
        this.selector = Selector.open();
        channel.configureBlocking(false);
        channel.register(selector, SelectionKey.OP_READ);
    }

    public String name()
    {
        return "nio";
    }

    public int receive()
    {
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
                slot.receiveNs = System.nanoTime();
                System.arraycopy(lastAddress, 0, slot.senderAddress, 0, 16);
                slot.senderPort = lastPort;
                received++;
            }
        }
        catch (final IOException ex)
        {
            onError(ex.toString());
        }
        counters.addReceived(received);
        ring.publish(received);
        return received;
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
        final long heldBack = errorLog.onError(System.nanoTime());
        if (heldBack != ErrorLogLimiter.QUIET)
        {
            LOG.warn("relay socket receive error: {} ({} more since the last line)", what, heldBack);
        }
    }
}
