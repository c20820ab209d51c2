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

import io.netty.channel.epoll.Native;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.transport.ErrorLogLimiter;
import io.soundrelay.io.transport.NettyEpollInternals;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Receives with one {@code recvmmsg(2)} per batch on the relay socket's file descriptor, through Netty's own native
 * epoll binding, with each message's iovec pointing straight into a free ring slot: the kernel copies the datagram
 * into the slot and nothing else copies or allocates. The sender's address is read from Netty's JNI message struct
 * into the slot's preallocated 16 bytes. Waits for the socket with its own {@code epoll_wait}, on an epoll set that
 * holds the socket and an eventfd for {@link #wake()}.
 * <p>
 * It depends on Netty internals, so {@link #isAvailable()} checks them once, and the node falls back to Netty's
 * read path when they are not as expected.
 */
public final class RecvmmsgReceiver implements BatchReceiver
{
    /** Largest batch: what Netty's JNI stub keeps on its stack per call. */
    public static final int MAX_BATCH = 64;

    private static final Logger LOG = LoggerFactory.getLogger(RecvmmsgReceiver.class);
    private static final int IOVEC_BYTES = 16;

    private static final MethodHandle RECVMMSG;
    private static final MethodHandle EPOLL_WAIT;
    private static final MethodHandle NEW_EVENT_ARRAY;
    private static final MethodHandle EVENT_FD;
    private static final VarHandle MEMORY_ADDRESS;
    private static final VarHandle COUNT;
    private static final VarHandle SENDER_ADDR_LEN;
    private static final VarHandle SENDER_PORT;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static
    {
        MethodHandle recvmmsg = null;
        MethodHandle epollWait = null;
        MethodHandle newEventArray = null;
        MethodHandle eventFdAt = null;
        VarHandle memoryAddress = null;
        VarHandle count = null;
        VarHandle addrLen = null;
        VarHandle port = null;
        Throwable cause = null;
        try
        {
            recvmmsg = NettyEpollInternals.packetBatchCall("recvmmsg0");
            final Class<?> eventArrayClass = Class.forName("io.netty.channel.epoll.EpollEventArray");
            epollWait = NettyEpollInternals.nativeLookup().findStatic(NettyEpollInternals.nativeClass(), "epollWait",
                MethodType.methodType(int.class, FileDescriptor.class, eventArrayClass, int.class))
                .asType(MethodType.methodType(int.class, FileDescriptor.class, Object.class, int.class));
            final MethodHandles.Lookup eventLookup = MethodHandles.privateLookupIn(eventArrayClass, MethodHandles.lookup());
            newEventArray = eventLookup.findConstructor(eventArrayClass, MethodType.methodType(void.class, int.class))
                .asType(MethodType.methodType(Object.class, int.class));
            eventFdAt = eventLookup.findVirtual(eventArrayClass, "fd", MethodType.methodType(int.class, int.class))
                .asType(MethodType.methodType(int.class, Object.class, int.class));
            memoryAddress = NettyEpollInternals.packetField("memoryAddress", long.class);
            count = NettyEpollInternals.packetField("count", int.class);
            addrLen = NettyEpollInternals.packetField("senderAddrLen", int.class);
            port = NettyEpollInternals.packetField("senderPort", int.class);
        }
        catch (final Throwable t)
        {
            cause = t;
        }
        RECVMMSG = recvmmsg;
        EPOLL_WAIT = epollWait;
        NEW_EVENT_ARRAY = newEventArray;
        EVENT_FD = eventFdAt;
        MEMORY_ADDRESS = memoryAddress;
        COUNT = count;
        SENDER_ADDR_LEN = addrLen;
        SENDER_PORT = port;
        UNAVAILABILITY_CAUSE = cause;
    }

    private final int fd;
    private final boolean ipv6Socket;
    private final RingWriter ring;
    private final RelayCounters counters;
    private final int batch;
    private final Object[] packets;
    private final byte[][] senderAddrs;
    private final UnsafeBuffer iovecs;
    private final long iovecAddress;
    private final ByteBuffer dropRegion;
    private final long dropAddress;
    private final FileDescriptor epollFd;
    private final FileDescriptor eventFd;
    private final Object events;
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));

    /**
     * @param fd         the relay socket's file descriptor, non-blocking (shared with the sender).
     * @param ipv6Socket whether the socket is AF_INET6.
     * @param ring       where datagrams go; the caller's thread is the ring's only producer.
     * @param slotBytes  bytes of each ring slot, so a datagram over the limit is seen as one byte too long.
     * @param batchSize  most datagrams per system call, at most {@link #MAX_BATCH}.
     * @param counters   receiver-owned counters.
     * @throws IOException when the epoll set cannot be made.
     */
    public RecvmmsgReceiver(
        final int fd,
        final boolean ipv6Socket,
        final RingWriter ring,
        final int slotBytes,
        final int batchSize,
        final RelayCounters counters) throws IOException
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("native recvmmsg unavailable", UNAVAILABILITY_CAUSE);
        }
        this.fd = fd;
        this.ipv6Socket = ipv6Socket;
        this.ring = ring;
        this.counters = counters;
        this.batch = Math.max(1, Math.min(MAX_BATCH, batchSize));
        try
        {
            this.packets = NettyEpollInternals.newPackets();
            this.senderAddrs = new byte[batch][];
            for (int i = 0; i < batch; i++)
            {
                senderAddrs[i] = NettyEpollInternals.packetBytes(packets[i], "senderAddr");
            }
            this.events = NEW_EVENT_ARRAY.invoke(2);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("cannot build recvmmsg messages", ex);
        }
        final ByteBuffer memory = ByteBuffer.allocateDirect(batch * IOVEC_BYTES).order(ByteOrder.nativeOrder());
        this.iovecs = new UnsafeBuffer(memory);
        this.iovecAddress = BufferUtil.address(memory);
        for (int i = 0; i < batch; i++)
        {
            MEMORY_ADDRESS.set(packets[i], iovecAddress + (long)i * IOVEC_BYTES);
        }
        this.dropRegion = ByteBuffer.allocateDirect(slotBytes);
        this.dropAddress = BufferUtil.address(dropRegion);

        this.epollFd = Native.newEpollCreate();
        this.eventFd = Native.newEventFd();
        try
        {
            Native.epollCtlAdd(epollFd.intValue(), fd, Native.EPOLLIN);
            Native.epollCtlAdd(epollFd.intValue(), eventFd.intValue(), Native.EPOLLIN);
        }
        catch (final IOException ex)
        {
            closeQuietly();
            throw ex;
        }
    }

    /**
     * @return true when Netty's native recvmmsg binding is usable here.
     */
    public static boolean isAvailable()
    {
        return UNAVAILABILITY_CAUSE == null;
    }

    /**
     * @return why {@link #isAvailable()} is false, or null.
     */
    public static Throwable unavailabilityCause()
    {
        return UNAVAILABILITY_CAUSE;
    }

    public String name()
    {
        return "recvmmsg";
    }

    public int receive()
    {
        final int free = ring.freeSlots(batch);
        final int n = free > 0 ? free : batch;
        for (int i = 0; i < n; i++)
        {
            final int at = i * IOVEC_BYTES;
            if (free > 0)
            {
                final RelaySlot slot = ring.freeSlot(i);
                iovecs.putLong(at, slot.address());
                iovecs.putLong(at + 8, slot.capacity());
            }
            else
            {
                iovecs.putLong(at, dropAddress);
                iovecs.putLong(at + 8, dropRegion.capacity());
            }
            COUNT.set(packets[i], 1);
        }

        final int received;
        try
        {
            received = (int)RECVMMSG.invokeExact(fd, ipv6Socket, packets, 0, n);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
        if (received <= 0)
        {
            if (received < 0 && received != Errors.ERRNO_EAGAIN_NEGATIVE)
            {
                onError(received);
            }
            return 0;
        }

        counters.addReceived(received);
        if (free == 0)
        {
            counters.addError(ErrorReason.RING_FULL, received);
            return received;
        }
        final long nowNs = System.nanoTime();
        for (int i = 0; i < received; i++)
        {
            final RelaySlot slot = ring.freeSlot(i);
            final Object packet = packets[i];
            slot.length = (int)COUNT.get(packet);
            slot.receiveNs = nowNs;
            Endpoint.toIpv6Mapped(senderAddrs[i], 0, (int)SENDER_ADDR_LEN.get(packet), slot.senderAddress);
            slot.senderPort = (int)SENDER_PORT.get(packet);
        }
        ring.publish(received);
        return received;
    }

    public void await(final int timeoutMs)
    {
        try
        {
            final int ready = (int)EPOLL_WAIT.invokeExact(epollFd, events, timeoutMs);
            for (int i = 0; i < ready; i++)
            {
                if ((int)EVENT_FD.invokeExact(events, i) == eventFd.intValue())
                {
                    Native.eventFdRead(eventFd.intValue()); // clear the wake-up
                }
            }
        }
        catch (final Throwable t)
        {
            onError(t.toString());
        }
    }

    public void wake()
    {
        Native.eventFdWrite(eventFd.intValue(), 1L);
    }

    public void close()
    {
        closeQuietly();
    }

    private void closeQuietly()
    {
        for (final FileDescriptor f : new FileDescriptor[]{ epollFd, eventFd })
        {
            if (f != null)
            {
                try
                {
                    f.close();
                }
                catch (final IOException ignore)
                {
                    // closing on the way out
                }
            }
        }
    }

    private void onError(final int negativeErrno)
    {
        onError("recvmmsg failed with errno " + -negativeErrno);
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
