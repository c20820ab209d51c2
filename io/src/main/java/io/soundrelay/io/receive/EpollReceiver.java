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

import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.linux.Syscalls;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Receives on epoll: one epoll set over every socket of the data plane (the main socket and the relay ports), and a
 * {@code recvmmsg} per ready socket straight into free ring slots, through the node's own system calls
 * ({@link Syscalls}). The message headers, their iovecs and source addresses are laid out off-heap once; per datagram
 * only the iovec's base and length and {@code msg_namelen} are written before the call, and the length and source
 * read after it. Nothing is allocated per datagram; each slot is stamped with the socket it came in on.
 * <p>
 * With the main socket alone in the set (no route has a relay port) a receive is one {@code recvmmsg} on it: no
 * {@code epoll_wait} per batch. With more sockets, one {@code epoll_wait(0)} lists the ready ones (level-triggered: a
 * socket with more queued than one batch stays ready), or the ready list an {@link #await(int)} brought back is used
 * without asking again. A {@code recvmmsg} that fills less than it asked for drained its socket: when every socket
 * read in a receive was drained (or the wait found none ready), the next receive makes no system call and returns 0,
 * so the caller goes to wait instead of asking the kernel for what it just said it has not.
 * <p>
 * Receiving in the wait ({@link #receiveInWait}): with the main socket alone in the set, {@link #awaitReceiving(int)}
 * is itself a blocking {@code recvmmsg(MSG_WAITFORONE)} on it (SO_RCVTIMEO the timeout, set only when it changes)
 * into free ring slots, which the next {@link #receive()} publishes: under steady load a batch costs one receive and
 * one send, no {@code epoll_wait}. {@link #wake()} interrupts it with a datagram from the receiver's own wake socket,
 * which the receiver knows by its source and drops uncounted. A volatile flag says where the thread may block, so a
 * wake while it runs makes no system call; the thread sets it before it checks for a wake due, and the waker marks
 * the wake due before it reads the flag, so either the waker sends or the thread does not block.
 */
public final class EpollReceiver implements BatchReceiver
{
    /** Largest batch per socket. */
    public static final int MAX_BATCH = 64;
    /** Ready sockets taken from one {@code epoll_wait}. */
    public static final int MAX_EVENTS = 512;

    private static final Logger LOG = LoggerFactory.getLogger(EpollReceiver.class);
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int NAME_BYTES = 32;
    private static final int RUNNING = 0;
    private static final int IN_EPOLL = 1;
    private static final int IN_RECEIVE = 2;
    // Address bytes move between the sockaddrs and the slot's array as words in native order, through array views:
    // MemorySegment.copy to a heap array wraps the array in a segment, which escape analysis does not always remove.
    private static final VarHandle ARRAY_LONG =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle ARRAY_INT =
        MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());

    /** Bytes 8..11 of an IPv4-mapped IPv6 address, {@code 00 00 FF FF}, as a native-order word. */
    private static final int V4_MAPPED_WORD =
        ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? 0x0000_FFFF : 0xFFFF_0000;

    private final RingWriter ring;
    private final RelayCounters counters;
    private final NanoClock clock;
    private final int batch;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment msgs;
    private final MemorySegment iovecs;
    private final MemorySegment names;
    private final MemorySegment events;
    private final MemorySegment errno;
    private final MemorySegment wakeErrno;
    private final MemorySegment wakeValue;
    private final MemorySegment readValue;
    private final long dropAddress;
    private final int dropBytes;
    private final int epollFd;
    private final int eventFd;
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));
    private RelaySocket[] byFd = new RelaySocket[1024];
    private RelaySocket only;
    private int socketCount;
    private int readyPending;
    private boolean skipOnce;
    private int dropped;
    private ErrorReason dropAs = ErrorReason.RING_FULL;
    private volatile boolean closed;
    private volatile int blockedIn = RUNNING;
    private volatile boolean wakeDue;
    private RelaySocket waitSocket;
    private WakeSocket wake;
    private int wakePort = -1;
    private long wakeHigh;
    private int wakeMid;
    private int wakeLow;
    private MemorySegment timeval;
    private int receiveTimeoutMs = -1;
    private int taken;
    private MemorySegment errnoAt;
    private Thread errnoThread;

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
        Syscalls.ensureAvailable();
        this.ring = ring;
        this.counters = counters;
        this.clock = clock;
        this.batch = Math.max(1, Math.min(MAX_BATCH, batchSize));
        this.msgs = arena.allocate((long)batch * Syscalls.MMSGHDR_BYTES, 64);
        this.iovecs = arena.allocate((long)batch * Syscalls.IOVEC_BYTES, 64);
        this.names = arena.allocate((long)batch * NAME_BYTES, 64);
        this.events = arena.allocate((long)MAX_EVENTS * Syscalls.EPOLL_EVENT_BYTES, 64);
        this.errno = Syscalls.newErrnoSegment(arena);
        // Any thread wakes the receiver, even while it closes: the wake-up's own memory is never freed by close().
        final Arena wakeArena = Arena.ofAuto();
        this.wakeErrno = Syscalls.newErrnoSegment(wakeArena);
        this.wakeValue = wakeArena.allocate(ValueLayout.JAVA_LONG);
        this.wakeValue.set(ValueLayout.JAVA_LONG, 0, 1L);
        this.readValue = arena.allocate(ValueLayout.JAVA_LONG);
        this.dropBytes = slotBytes;
        this.dropAddress = arena.allocate(slotBytes, 64).address();
        for (int i = 0; i < batch; i++)
        {
            final long msg = (long)i * Syscalls.MMSGHDR_BYTES;
            msgs.set(ValueLayout.JAVA_LONG, msg + Syscalls.MSG_NAME_OFFSET, names.address() + (long)i * NAME_BYTES);
            msgs.set(ValueLayout.JAVA_LONG, msg + Syscalls.MSG_IOV_OFFSET,
                iovecs.address() + (long)i * Syscalls.IOVEC_BYTES);
            msgs.set(ValueLayout.JAVA_LONG, msg + Syscalls.MSG_IOVLEN_OFFSET, 1L);
        }

        this.epollFd = Syscalls.epollCreate1(errno, Syscalls.O_CLOEXEC);
        if (epollFd < 0)
        {
            arena.close();
            throw new IOException("epoll_create1 failed: " + Syscalls.strerror(Syscalls.errno(errno)));
        }
        this.eventFd = Syscalls.eventfd(errno, 0, Syscalls.EFD_NONBLOCK | Syscalls.O_CLOEXEC);
        try
        {
            if (eventFd < 0)
            {
                throw new IOException("eventfd failed: " + Syscalls.strerror(Syscalls.errno(errno)));
            }
            epollCtl(Syscalls.EPOLL_CTL_ADD, eventFd);
        }
        catch (final IOException ex)
        {
            close();
            throw ex;
        }
    }

    /**
     * @return true when the node's system calls link here.
     */
    public static boolean isAvailable()
    {
        return Syscalls.isAvailable();
    }

    /**
     * @return why {@link #isAvailable()} is false, or null.
     */
    public static Throwable unavailabilityCause()
    {
        return Syscalls.unavailabilityCause();
    }

    /**
     * Receive in the wait on the main socket from now on: make the wake socket that interrupts it. Call before the
     * receiver's thread starts; with several pipelines only when the reuseport program steers the group (the wake
     * datagram reaches this pipeline's socket by its stream id).
     *
     * @param mainSocket this pipeline's main socket, blocking (every other receive on it passes MSG_DONTWAIT).
     * @param pipeline   the pipeline's index: the wake datagram's stream id's low 32 bits.
     * @throws IOException when no wake socket can be made; the wait then stays on epoll.
     */
    public void receiveInWait(final RelaySocket mainSocket, final int pipeline) throws IOException
    {
        final WakeSocket socket = WakeSocket.open(mainSocket, pipeline);
        wakeHigh = socket.high;
        wakeMid = socket.mid;
        wakeLow = socket.low;
        wakePort = socket.port;
        timeval = arena.allocate(16, 8);
        wake = socket;
        waitSocket = mainSocket;
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
        epollCtl(Syscalls.EPOLL_CTL_ADD, fd);
        byFd[fd] = socket;
        socketCount++;
        only = socketCount == 1 ? socket : null;
        readyPending = 0; // a ready list read before the change may name a descriptor that meanwhile changed hands
        skipOnce = false;
    }

    public void remove(final RelaySocket socket, final Consumer<RelaySocket> out)
    {
        final int fd = socket.fd();
        if (fd >= 0 && fd < byFd.length && byFd[fd] == socket)
        {
            try
            {
                epollCtl(Syscalls.EPOLL_CTL_DEL, fd);
            }
            catch (final IOException ex)
            {
                onError(ex.getMessage() + " (" + socket + ")");
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
            skipOnce = false;
        }
        out.accept(socket);
    }

    private void epollCtl(final int op, final int fd) throws IOException
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment event = call.allocate(16, 8);
            event.set(ValueLayout.JAVA_INT, 0, Syscalls.EPOLLIN);
            event.set(ValueLayout.JAVA_LONG_UNALIGNED, Syscalls.EPOLL_DATA_OFFSET, fd);
            final MemorySegment callErrno = Syscalls.newErrnoSegment(call);
            if (Syscalls.epollCtl(callErrno, epollFd, op, fd, event) != 0)
            {
                throw new IOException("epoll_ctl(" + (op == Syscalls.EPOLL_CTL_ADD ? "ADD" : "DEL") + ", " + fd +
                    ") failed: " + Syscalls.strerror(Syscalls.errno(callErrno)));
            }
        }
    }

    public int sockets()
    {
        return socketCount;
    }

    public int receive()
    {
        if (taken > 0)
        {
            return publishTaken();
        }
        if (skipOnce)
        {
            skipOnce = false;
            return 0;
        }
        final RelaySocket single = only;
        if (single != null)
        {
            readyPending = 0;
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
        boolean drained = true;
        for (int i = 0; i < ready; i++)
        {
            final int fd = events.get(ValueLayout.JAVA_INT_UNALIGNED,
                (long)i * Syscalls.EPOLL_EVENT_BYTES + Syscalls.EPOLL_DATA_OFFSET);
            final RelaySocket socket = fd >= 0 && fd < byFd.length ? byFd[fd] : null;
            if (socket != null)
            {
                received += receive(socket);
                drained &= skipOnce;
            }
        }
        skipOnce = drained;
        return received;
    }

    /**
     * One {@code recvmmsg} on one socket: into free slots, or into the drop region (counted ring_full) when the ring
     * is full, so a full ring never leaves a socket readable forever. Sets {@link #skipOnce} when it drained the
     * socket (took fewer than it asked for).
     */
    private int receive(final RelaySocket socket)
    {
        final int filled = take(socket, Syscalls.MSG_DONTWAIT);
        ring.publish(filled);
        return filled + dropped;
    }

    /**
     * One {@code recvmmsg} into free slots (or the drop region), without publishing; wake datagrams are left out.
     *
     * @return slots filled; {@link #dropped} holds the datagrams dropped as ring_full (as stale while discarding).
     */
    private int take(final RelaySocket socket, final int flags)
    {
        dropped = 0;
        final int free = dropAs == ErrorReason.RING_FULL ? ring.freeSlots(batch) : 0;
        final int n = free > 0 ? free : batch;
        final MemorySegment iov = iovecs;
        final MemorySegment m = msgs;
        for (int i = 0; i < n; i++)
        {
            final long at = (long)i * Syscalls.IOVEC_BYTES;
            if (free > 0)
            {
                final RelaySlot slot = ring.freeSlot(i);
                iov.set(ValueLayout.JAVA_LONG, at, slot.address());
                iov.set(ValueLayout.JAVA_LONG, at + 8, slot.capacity());
            }
            else
            {
                iov.set(ValueLayout.JAVA_LONG, at, dropAddress);
                iov.set(ValueLayout.JAVA_LONG, at + 8, dropBytes);
            }
            m.set(ValueLayout.JAVA_INT, (long)i * Syscalls.MMSGHDR_BYTES + Syscalls.MSG_NAMELEN_OFFSET, NAME_BYTES);
        }

        final int received = flags == Syscalls.MSG_DONTWAIT ? Syscalls.recvmmsg(socket.fd(), m, n, flags) :
            waitingReceive(socket.fd(), m, n, flags);
        if (received <= 0)
        {
            skipOnce = true;
            if (received < 0)
            {
                final int e = -received;
                if (e == Syscalls.EINTR)
                {
                    skipOnce = false;
                }
                else if (e != Syscalls.EAGAIN)
                {
                    onError("recvmmsg on " + socket + " failed: " + Syscalls.strerror(e));
                }
            }
            return 0;
        }
        skipOnce = received < n;
        final boolean wakes = socket == waitSocket;
        if (free == 0)
        {
            int count = received;
            for (int i = 0; wakes && i < received; i++)
            {
                count -= isWake((long)i * NAME_BYTES) ? 1 : 0;
            }
            counters.addReceived(count);
            counters.addError(dropAs, count);
            dropped = count;
            return 0;
        }
        final long nowNs = clock.nanoTime();
        int kept = 0;
        for (int i = 0; i < received; i++)
        {
            final long name = (long)i * NAME_BYTES;
            final int length = m.get(ValueLayout.JAVA_INT, (long)i * Syscalls.MMSGHDR_BYTES + Syscalls.MSG_LEN_OFFSET);
            if (wakes && isWake(name))
            {
                continue;
            }
            final RelaySlot slot = ring.freeSlot(kept);
            if (kept != i)
            {
                final RelaySlot from = ring.freeSlot(i);
                from.length = length;
                slot.copyFrom(from);
            }
            slot.length = length;
            slot.receiveNs = nowNs;
            slot.socket = socket;
            source(name, slot);
            kept++;
        }
        counters.addReceived(kept);
        return kept;
    }

    /**
     * The receive that waits, its failure as {@code -errno} read from this thread's errno (located once per thread).
     */
    private int waitingReceive(final int fd, final MemorySegment m, final int n, final int flags)
    {
        final int received = Syscalls.recvmmsgWaiting(fd, m, n, flags);
        if (received >= 0)
        {
            return received;
        }
        if (errnoThread != Thread.currentThread())
        {
            errnoAt = Syscalls.errnoLocation();
            errnoThread = Thread.currentThread();
        }
        return -errnoAt.get(ValueLayout.JAVA_INT, 0);
    }

    /**
     * @return whether the source in a sockaddr is this receiver's wake socket's.
     */
    private boolean isWake(final long name)
    {
        final MemorySegment n = names;
        if ((n.get(NET_SHORT, name + 2) & 0xFFFF) != wakePort)
        {
            return false;
        }
        if (n.get(ValueLayout.JAVA_SHORT, name) == Syscalls.AF_INET6)
        {
            return n.get(ValueLayout.JAVA_LONG, name + 8) == wakeHigh &&
                n.get(ValueLayout.JAVA_INT, name + 16) == wakeMid && n.get(ValueLayout.JAVA_INT, name + 20) == wakeLow;
        }
        return wakeHigh == 0 && wakeMid == V4_MAPPED_WORD && n.get(ValueLayout.JAVA_INT, name + 4) == wakeLow;
    }

    /**
     * Copy a source sockaddr into the slot: its address IPv6-mapped, its port.
     */
    private void source(final long name, final RelaySlot slot)
    {
        final MemorySegment n = names;
        final byte[] address = slot.senderAddress;
        slot.senderPort = n.get(NET_SHORT, name + 2) & 0xFFFF;
        if (n.get(ValueLayout.JAVA_SHORT, name) == Syscalls.AF_INET6)
        {
            ARRAY_LONG.set(address, 0, n.get(ValueLayout.JAVA_LONG, name + 8));
            ARRAY_LONG.set(address, 8, n.get(ValueLayout.JAVA_LONG, name + 16));
        }
        else
        {
            ARRAY_LONG.set(address, 0, 0L);
            ARRAY_INT.set(address, 8, V4_MAPPED_WORD);
            ARRAY_INT.set(address, 12, n.get(ValueLayout.JAVA_INT, name + 4));
        }
    }

    public void await(final int timeoutMs)
    {
        blockedIn = IN_EPOLL;
        if (wakeDue)
        {
            blockedIn = RUNNING;
            wakeDue = false;
            return;
        }
        final int ready = epollWait(timeoutMs);
        blockedIn = RUNNING;
        wakeDue = false;
        final int sockets = clearWakeUp(ready);
        readyPending = ready;
        skipOnce = sockets == 0;
    }

    public void awaitReceiving(final int timeoutMs)
    {
        final RelaySocket socket = waitSocket;
        if (socket == null || only != socket || taken > 0 || timeoutMs <= 0 || ring.freeSlots(batch) == 0 ||
            (timeoutMs != receiveTimeoutMs && !receiveTimeout(socket, timeoutMs)))
        {
            await(timeoutMs);
            return;
        }
        blockedIn = IN_RECEIVE;
        if (wakeDue)
        {
            blockedIn = RUNNING;
            wakeDue = false;
            return;
        }
        final int filled = take(socket, Syscalls.MSG_WAITFORONE);
        blockedIn = RUNNING;
        wakeDue = false;
        readyPending = 0;
        taken = filled;
    }

    public int publishTaken()
    {
        final int filled = taken;
        taken = 0;
        ring.publish(filled);
        return filled;
    }

    public int discardQueued(final int maxPerSocket)
    {
        int discarded = taken; // counted received by the wait that took them
        counters.addError(ErrorReason.STALE, taken);
        taken = 0;
        dropAs = ErrorReason.STALE; // take() then fills the drop region only
        for (final RelaySocket socket : byFd)
        {
            for (int took = 0; socket != null && took < maxPerSocket; took += batch)
            {
                take(socket, Syscalls.MSG_DONTWAIT);
                discarded += dropped;
                if (skipOnce)
                {
                    break; // it took fewer than it asked for: the socket is empty
                }
            }
        }
        dropAs = ErrorReason.RING_FULL;
        readyPending = 0;
        skipOnce = false;
        return discarded;
    }

    /**
     * Set SO_RCVTIMEO of the socket the wait receives on.
     *
     * @return false when the kernel refused (the wait then stays on epoll).
     */
    private boolean receiveTimeout(final RelaySocket socket, final int timeoutMs)
    {
        timeval.set(ValueLayout.JAVA_LONG, 0, timeoutMs / 1000);
        timeval.set(ValueLayout.JAVA_LONG, 8, (timeoutMs % 1000) * 1000L);
        if (Syscalls.setsockopt(errno, socket.fd(), Syscalls.SOL_SOCKET, Syscalls.SO_RCVTIMEO, timeval, 16) != 0)
        {
            onError("setsockopt(SO_RCVTIMEO) on " + socket + " failed: " + Syscalls.strerror(Syscalls.errno(errno)));
            return false;
        }
        receiveTimeoutMs = timeoutMs;
        return true;
    }

    /**
     * Read the wake-up event off the eventfd once, and blank its entry so the ready list names sockets only.
     *
     * @return ready entries that are sockets.
     */
    private int clearWakeUp(final int ready)
    {
        int sockets = ready;
        for (int i = 0; i < ready; i++)
        {
            final long at = (long)i * Syscalls.EPOLL_EVENT_BYTES + Syscalls.EPOLL_DATA_OFFSET;
            if (events.get(ValueLayout.JAVA_INT_UNALIGNED, at) == eventFd)
            {
                Syscalls.read(errno, eventFd, readValue, 8);
                events.set(ValueLayout.JAVA_INT_UNALIGNED, at, -1);
                sockets--;
            }
        }
        return sockets;
    }

    private int epollWait(final int timeoutMs)
    {
        final int ready = Syscalls.epollWait(epollFd, events, MAX_EVENTS, timeoutMs);
        if (ready < 0)
        {
            final int e = -ready;
            if (e != Syscalls.EINTR && e != 0)
            {
                onError("epoll_wait failed: " + Syscalls.strerror(e));
            }
            return 0;
        }
        return ready;
    }

    public void wake()
    {
        if (closed)
        {
            return;
        }
        wakeDue = true;
        final int where = blockedIn;
        if (where == IN_RECEIVE)
        {
            sendWake();
        }
        else if (where == IN_EPOLL)
        {
            Syscalls.write(wakeErrno, eventFd, wakeValue, 8);
        }
    }

    /**
     * Send a wake datagram to the main socket from the wake socket, whatever the thread does.
     */
    void sendWake()
    {
        wake.send();
    }

    /**
     * @return whether the owning thread is in (or about to enter) a receive that waits.
     */
    boolean blockedInReceive()
    {
        return blockedIn == IN_RECEIVE;
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final int fd : new int[]{ epollFd, eventFd, wake == null ? -1 : wake.fd })
        {
            if (fd >= 0)
            {
                Syscalls.close(errno, fd);
            }
        }
        arena.close();
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
