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

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Receives on io_uring with the node's own {@code IORING_OP_RECVMSG} submissions, through Netty's public
 * {@link IoUringIoHandle} API, instead of Netty's datagram read path (which allocates a packet, an address and a
 * buffer slice per datagram). It keeps a fixed number of receives in flight, each with its own preallocated
 * {@code msghdr}, iovec, sender address and staging buffer; a completion copies the datagram into the next ring
 * slot, publishes it and submits the same prebuilt operation again. Nothing is allocated per datagram. Runs on the
 * Netty io_uring event loop that owns the relay socket.
 * <p>
 * Why a staging buffer and not the ring slot itself: completions of receives queued on one socket are not
 * guaranteed to come back in submission order, and a slot can only be published in ring order. The extra copy is a
 * {@code memcpy} of one datagram (a few hundred bytes).
 */
public final class UringReceiver implements IoUringIoHandle
{
    /** x86_64 Linux {@code struct msghdr}. */
    private static final int MSGHDR_BYTES = 64;
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int IOVEC_BYTES = 16;
    private static final int SOCKADDR_BYTES = 32;
    private static final int SOCKADDR_IN6_BYTES = 28;
    private static final short AF_INET = 2;
    private static final short AF_INET6 = 10;
    private static final byte IORING_OP_RECVMSG = 10;
    private static final int ECANCELED = 125;

    private static final Logger LOG = LoggerFactory.getLogger(UringReceiver.class);

    private final RingBuffer<RelaySlot> ring;
    private final RelayCounters counters;
    private final int inFlight;
    private final int stagingBytes;
    private final UnsafeBuffer headers;
    private final UnsafeBuffer staging;
    private final IoUringIoOps[] ops;
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));
    private volatile boolean receiving = true;
    private IoRegistration registration;

    /**
     * @param fd        the relay socket's file descriptor.
     * @param ring      where datagrams go; the event loop's thread is the ring's only producer.
     * @param slotBytes bytes of each ring slot (MAX_DATAGRAM_BYTES + 1 and more), so oversize is seen.
     * @param inFlight  receives kept submitted at once.
     * @param counters  receiver-owned counters.
     */
    public UringReceiver(
        final int fd, final RingBuffer<RelaySlot> ring, final int slotBytes, final int inFlight,
        final RelayCounters counters)
    {
        if (!"amd64".equals(System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) &&
            !"x86_64".equals(System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)))
        {
            throw new IllegalStateException("the io_uring receiver knows only the x86_64 struct msghdr");
        }
        this.ring = ring;
        this.counters = counters;
        this.inFlight = Math.max(1, Math.min(Short.MAX_VALUE, inFlight));
        this.stagingBytes = slotBytes;
        final int perOp = MSGHDR_BYTES + IOVEC_BYTES + SOCKADDR_BYTES;
        final ByteBuffer headerMemory = ByteBuffer.allocateDirect(this.inFlight * perOp).order(ByteOrder.nativeOrder());
        final ByteBuffer stagingMemory = ByteBuffer.allocateDirect(this.inFlight * slotBytes);
        this.headers = new UnsafeBuffer(headerMemory);
        this.staging = new UnsafeBuffer(stagingMemory);
        final long headerAddress = BufferUtil.address(headerMemory);
        final long stagingAddress = BufferUtil.address(stagingMemory);
        this.ops = new IoUringIoOps[this.inFlight];
        for (int i = 0; i < this.inFlight; i++)
        {
            final int msghdr = i * perOp;
            final int iovec = msghdr + MSGHDR_BYTES;
            final int name = iovec + IOVEC_BYTES;
            headers.putLong(msghdr + MSG_NAME, headerAddress + name);
            headers.putInt(msghdr + MSG_NAMELEN, SOCKADDR_IN6_BYTES);
            headers.putLong(msghdr + MSG_IOV, headerAddress + iovec);
            headers.putLong(msghdr + MSG_IOVLEN, 1);
            headers.putLong(iovec, stagingAddress + (long)i * slotBytes);
            headers.putLong(iovec + 8, slotBytes);
            // One prebuilt, immutable operation per receive, submitted again after each completion.
            ops[i] = new IoUringIoOps(IORING_OP_RECVMSG, (byte)0, (short)0, fd, 0L, headerAddress + msghdr, 1, 0,
                (short)i, (short)0, (short)0, 0, 0L);
        }
    }

    /**
     * Submit every receive; call on the event loop once registered.
     *
     * @param registration this handle's registration with the io_uring event loop.
     */
    public void start(final IoRegistration registration)
    {
        this.registration = registration;
        for (int i = 0; i < inFlight; i++)
        {
            submit(i);
        }
    }

    /**
     * Stop publishing; receives in flight complete into nothing when the socket closes.
     */
    public void stopReceiving()
    {
        receiving = false;
    }

    public void handle(final IoRegistration registration, final IoEvent ioEvent)
    {
        final IoUringIoEvent event = (IoUringIoEvent)ioEvent;
        final int index = event.data();
        final int res = event.res();
        if (index < 0 || index >= inFlight)
        {
            return;
        }
        if (res >= 0)
        {
            if (receiving)
            {
                onDatagram(index, res);
            }
        }
        else if (res == -ECANCELED)
        {
            return;
        }
        else
        {
            onError(res);
        }
        if (receiving)
        {
            submit(index);
        }
    }

    private void onDatagram(final int index, final int length)
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
            slot.buffer().putBytes(0, staging, index * stagingBytes, Math.min(length, slot.capacity()));
            slot.length = length;
            slot.receiveNs = System.nanoTime();
            final int name = index * (MSGHDR_BYTES + IOVEC_BYTES + SOCKADDR_BYTES) + MSGHDR_BYTES + IOVEC_BYTES;
            final short family = headers.getShort(name);
            slot.senderPort = headers.getShort(name + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final byte[] address = slot.senderAddress;
            if (family == AF_INET6)
            {
                headers.getBytes(name + 8, address, 0, 16);
            }
            else if (family == AF_INET)
            {
                for (int b = 0; b < 10; b++)
                {
                    address[b] = 0;
                }
                address[10] = (byte)0xFF;
                address[11] = (byte)0xFF;
                headers.getBytes(name + 4, address, 12, 4);
            }
            else
            {
                slot.senderPort = -1; // no address: no route's source check passes
            }
        }
        finally
        {
            ring.publish(sequence);
        }
    }

    private void submit(final int index)
    {
        // The kernel wrote the sender's address length back; give the full buffer again.
        headers.putInt(index * (MSGHDR_BYTES + IOVEC_BYTES + SOCKADDR_BYTES) + MSG_NAMELEN, SOCKADDR_IN6_BYTES);
        registration.submit(ops[index]);
    }

    private void onError(final int res)
    {
        final long heldBack = errorLog.onError(System.nanoTime());
        if (heldBack != ErrorLogLimiter.QUIET)
        {
            LOG.warn("relay socket receive error: errno {} ({} more since the last line)", -res, heldBack);
        }
    }

    public void close()
    {
        receiving = false;
    }
}
