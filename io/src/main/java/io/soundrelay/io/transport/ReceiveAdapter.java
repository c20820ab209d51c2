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

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Runs on the transport's event loop: copies each datagram once into the next free ring slot, stamps the receive
 * time and source, and publishes it. A full ring drops the datagram and counts {@code ring_full}: the receive
 * thread never waits for the router.
 */
public final class ReceiveAdapter extends ChannelInboundHandlerAdapter
{
    private static final Logger LOG = LoggerFactory.getLogger(ReceiveAdapter.class);

    private final RingBuffer<RelaySlot> ring;
    private final RelayCounters counters;
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));

    /**
     * @param ring     to publish into; this adapter is its only producer.
     * @param counters receiver-owned counters.
     */
    public ReceiveAdapter(final RingBuffer<RelaySlot> ring, final RelayCounters counters)
    {
        this.ring = ring;
        this.counters = counters;
    }

    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (msg instanceof DatagramPacket)
        {
            final DatagramPacket packet = (DatagramPacket)msg;
            try
            {
                onDatagram(packet.content(), packet.sender());
            }
            finally
            {
                packet.release();
            }
        }
        else
        {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Copy one datagram into the ring.
     *
     * @param content the datagram's bytes.
     * @param sender  its source.
     */
    public void onDatagram(final ByteBuf content, final InetSocketAddress sender)
    {
        counters.addReceived(1);
        final long sequence;
        try
        {
            sequence = ring.tryNext();
        }
        catch (final InsufficientCapacityException ex)
        {
            counters.addError(ErrorReason.RING_FULL, 1);
            return;
        }

        final RelaySlot slot = ring.get(sequence);
        try
        {
            final int length = content.readableBytes();
            final ByteBuffer bytes = slot.byteBuffer();
            bytes.clear().limit(Math.min(length, bytes.capacity()));
            content.getBytes(content.readerIndex(), bytes);
            bytes.clear();
            slot.length = length;
            slot.sender(sender);
            slot.receiveNs = System.nanoTime();
        }
        finally
        {
            ring.publish(sequence);
        }
    }

    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // A flood of ICMP errors must not flood the log: at most one line a second, saying how many it stands for.
        final long heldBack = errorLog.onError(System.nanoTime());
        if (heldBack == 0)
        {
            LOG.warn("relay socket error: {}", cause.toString());
        }
        else if (heldBack > 0)
        {
            LOG.warn("relay socket error: {} ({} more since the last line)", cause.toString(), heldBack);
        }
    }
}
