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
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import io.soundrelay.io.transport.NettyEpollInternals;
import org.agrona.BufferUtil;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Receives on epoll: one epoll set over every socket of the data plane (the main socket and the relay ports), and a
 * {@code recvmmsg} per ready socket straight into free ring slots, through Netty's native binding. Nothing is
 * allocated per datagram; each slot is stamped with the socket it came in on.
 * <p>
 * With the main socket alone in the set (no route has a relay port) a receive is one {@code recvmmsg} on it, as
 * before relay ports existed: no {@code epoll_wait} per batch. With more sockets, one {@code epoll_wait(0)} lists the
 * ready ones (level-triggered: a socket with more queued than one batch stays ready), or the ready list an
 * {@link #await(int)} brought back is used without asking again.
 */
public final class EpollReceiver implements BatchReceiver
{
    /** Largest batch per socket: what Netty's JNI stub keeps on its stack per call. */
    public static final int MAX_BATCH = 64;
    /** Ready sockets taken from one {@code epoll_wait}. */
    public static final int MAX_EVENTS = 512;

    private static final Logger LOG = LoggerFactory.getLogger(EpollReceiver.class);
    private static final int IOVEC_BYTES = 16;
    private static final int EINTR_NEGATIVE = -4;

    private static final MethodHandle RECVMMSG;
    private static final MethodHandle EPOLL_WAIT;
    private static final VarHandle MEMORY_ADDRESS;
    private static final VarHandle COUNT;
    private static final VarHandle SENDER_ADDR_LEN;
    private static final VarHandle SENDER_PORT;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static
    {
        MethodHandle recvmmsg = null;
        MethodHandle epollWait = null;
        VarHandle memoryAddress = null;
        VarHandle count = null;
        VarHandle addrLen = null;
        VarHandle port = null;
        Throwable cause = null;
        try
        {
            recvmmsg = NettyEpollInternals.packetBatchCall("recvmmsg0");
            epollWait = NettyEpollInternals.nativeLookup().findStatic(NettyEpollInternals.nativeClass(), "epollWait",
                MethodType.methodType(int.class, int.class, long.class, int.class, int.class));
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
        MEMORY_ADDRESS = memoryAddress;
        COUNT = count;
        SENDER_ADDR_LEN = addrLen;
        SENDER_PORT = port;
        UNAVAILABILITY_CAUSE = cause;
    }

    private final RingWriter ring;
    private final RelayCounters counters;
    private final NanoClock clock;
    private final int batch;
    private final Object[] packets;
    private final byte[][] senderAddrs;
    private final UnsafeBuffer iovecs;
    private final ByteBuffer dropRegion;
    private final long dropAddress;
    private final FileDescriptor epollFd;
    private final FileDescriptor eventFd;
    private final ByteBuffer eventMemory;
    private final long eventAddress;
    private final int eventBytes;
    private final int eventDataOffset;
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));
    private RelaySocket[] byFd = new RelaySocket[1024];
    private RelaySocket only;
    private int socketCount;
    private int readyPending;

    /**
     * @param ring      where datagrams go; the caller's thread is the ring's only producer.
     * @param slotBytes bytes of each ring slot, so a datagram over the limit is seen as one byte too long.
     * @param batchSize most datagrams per system call, at most {@link #MAX_BATCH}.
     * @param counters  receiver-owned counters.
     * @param clock     stamps each datagram's receive time.
     * @throws IOException when the epoll set cannot be made.
     */
    public EpollReceiver(
        final RingWriter ring,
        final int slotBytes,
        final int batchSize,
        final RelayCounters counters,
        final NanoClock clock) throws IOException
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("native recvmmsg unavailable", UNAVAILABILITY_CAUSE);
        }
        this.ring = ring;
        this.counters = counters;
        this.clock = clock;
        this.batch = Math.max(1, Math.min(MAX_BATCH, batchSize));
        try
        {
            this.packets = NettyEpollInternals.newPackets();
            this.senderAddrs = new byte[batch][];
            for (int i = 0; i < batch; i++)
            {
                senderAddrs[i] = NettyEpollInternals.packetBytes(packets[i], "senderAddr");
            }
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("cannot build recvmmsg messages", ex);
        }
        final ByteBuffer memory = ByteBuffer.allocateDirect(batch * IOVEC_BYTES).order(ByteOrder.nativeOrder());
        this.iovecs = new UnsafeBuffer(memory);
        final long iovecAddress = BufferUtil.address(memory);
        for (int i = 0; i < batch; i++)
        {
            MEMORY_ADDRESS.set(packets[i], iovecAddress + (long)i * IOVEC_BYTES);
        }
        this.dropRegion = ByteBuffer.allocateDirect(slotBytes);
        this.dropAddress = BufferUtil.address(dropRegion);
        this.eventBytes = Native.sizeofEpollEvent();
        this.eventDataOffset = Native.offsetofEpollData();
        this.eventMemory = ByteBuffer.allocateDirect(eventBytes * MAX_EVENTS).order(ByteOrder.nativeOrder());
        this.eventAddress = BufferUtil.address(eventMemory);

        this.epollFd = Native.newEpollCreate();
        this.eventFd = Native.newEventFd();
        try
        {
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

    public void add(final RelaySocket socket) throws IOException
    {
        final int fd = socket.fd();
        if (fd >= byFd.length)
        {
            byFd = Arrays.copyOf(byFd, Math.max(fd + 1, byFd.length * 2));
        }
        Native.epollCtlAdd(epollFd.intValue(), fd, Native.EPOLLIN);
        byFd[fd] = socket;
        socketCount++;
        only = socketCount == 1 ? socket : null;
        readyPending = 0; // a ready list read before the change may name a descriptor that meanwhile changed hands
    }

    public void remove(final RelaySocket socket, final Consumer<RelaySocket> out)
    {
        final int fd = socket.fd();
        if (fd < byFd.length && byFd[fd] == socket)
        {
            try
            {
                Native.epollCtlDel(epollFd.intValue(), fd);
            }
            catch (final IOException ex)
            {
                onError("epoll_ctl(DEL) of " + socket + ": " + ex.getMessage());
            }
            byFd[fd] = null;
            socketCount--;
            only = null;
            if (socketCount == 1)
            {
                for (final RelaySocket s : byFd)
                {
                    if (s != null)
                    {
                        only = s;
                        break;
                    }
                }
            }
            readyPending = 0;
        }
        out.accept(socket);
    }

    public int sockets()
    {
        return socketCount;
    }

    public int receive()
    {
        final RelaySocket single = only;
        if (single != null)
        {
            return receive(single);
        }
        int ready = readyPending;
        readyPending = 0;
        if (ready == 0)
        {
            ready = epollWait(0);
            clearWakeUp(ready);
        }
        int received = 0;
        for (int i = 0; i < ready; i++)
        {
            final int fd = eventMemory.getInt(i * eventBytes + eventDataOffset);
            final RelaySocket socket = fd >= 0 && fd < byFd.length ? byFd[fd] : null;
            if (socket != null)
            {
                received += receive(socket);
            }
        }
        return received;
    }

    /**
     * One {@code recvmmsg} on one socket: into free slots, or into the drop region (counted ring_full) when the ring
     * is full, so a full ring never leaves a socket readable forever.
     */
    private int receive(final RelaySocket socket)
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
            received = (int)RECVMMSG.invokeExact(socket.fd(), socket.isIpv6(), packets, 0, n);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
        if (received <= 0)
        {
            if (received < 0 && received != Errors.ERRNO_EAGAIN_NEGATIVE)
            {
                onError("recvmmsg on " + socket + " failed with errno " + -received);
            }
            return 0;
        }

        counters.addReceived(received);
        if (free == 0)
        {
            counters.addError(ErrorReason.RING_FULL, received);
            return received;
        }
        final long nowNs = clock.nanoTime();
        for (int i = 0; i < received; i++)
        {
            final RelaySlot slot = ring.freeSlot(i);
            final Object packet = packets[i];
            slot.length = (int)COUNT.get(packet);
            slot.receiveNs = nowNs;
            slot.socket = socket;
            Endpoint.toIpv6Mapped(senderAddrs[i], 0, (int)SENDER_ADDR_LEN.get(packet), slot.senderAddress);
            slot.senderPort = (int)SENDER_PORT.get(packet);
        }
        ring.publish(received);
        return received;
    }

    public void await(final int timeoutMs)
    {
        final int ready = epollWait(timeoutMs);
        clearWakeUp(ready);
        readyPending = ready;
    }

    /**
     * Read the wake-up event off the eventfd once, and blank its entry so the ready list names sockets only.
     */
    private void clearWakeUp(final int ready)
    {
        for (int i = 0; i < ready; i++)
        {
            final int at = i * eventBytes + eventDataOffset;
            if (eventMemory.getInt(at) == eventFd.intValue())
            {
                Native.eventFdRead(eventFd.intValue());
                eventMemory.putInt(at, -1);
            }
        }
    }

    private int epollWait(final int timeoutMs)
    {
        final int ready;
        try
        {
            ready = (int)EPOLL_WAIT.invokeExact(epollFd.intValue(), eventAddress, MAX_EVENTS, timeoutMs);
        }
        catch (final Throwable t)
        {
            onError(t.toString());
            return 0;
        }
        if (ready < 0)
        {
            if (ready != EINTR_NEGATIVE)
            {
                onError("epoll_wait failed with errno " + -ready);
            }
            return 0;
        }
        return ready;
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

    private void onError(final String what)
    {
        final long heldBack = errorLog.onError(clock.nanoTime());
        if (heldBack != ErrorLogLimiter.QUIET)
        {
            LOG.warn("relay socket receive error: {} ({} more since the last line)", what, heldBack);
        }
    }
}
