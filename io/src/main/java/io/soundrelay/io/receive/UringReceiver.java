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

import io.netty.channel.unix.FileDescriptor;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import io.soundrelay.io.transport.UringRing;
import org.agrona.BufferUtil;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Receives on an io_uring of its own, owned by the receiving thread: {@code IORING_OP_RECVMSG} operations kept in
 * flight on every socket of the set at once ({@code RECEIVE_BATCH} on the main socket, two on each relay port), all
 * re-armed and submitted with one {@code io_uring_enter} per receive call, which also brings back the completions.
 * However many sockets there are, a datagram costs no system call of its own.
 * <p>
 * Each operation has its own preallocated {@code msghdr}, iovec, sender address and staging buffer; a completion
 * copies the datagram into the next free ring slot (completions of one socket's receives may come back out of
 * submission order, and the ring is published in order), stamps it with its socket and sender, and queues the same
 * operation again. Nothing is allocated per datagram. Waiting is an {@code io_uring_enter} for one completion, with a
 * timeout operation for the idle strategy's limit and a read on an eventfd that {@link #wake()} writes.
 * <p>
 * Removing a socket cancels its receives in flight; only when all of them have completed is the socket handed back
 * to be closed (a receive in flight holds the socket open in the kernel).
 */
public final class UringReceiver implements BatchReceiver
{
    /** Receives kept in flight on a relay port: one stream at 50 datagrams a second needs one; two absorb a burst. */
    public static final int PORT_IN_FLIGHT = 2;

    private static final Logger LOG = LoggerFactory.getLogger(UringReceiver.class);

    /** x86_64 Linux {@code struct msghdr}, then the iovec and the sender's address of one operation. */
    private static final int MSGHDR_BYTES = 64;
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int IOVEC = MSGHDR_BYTES;
    private static final int IOVEC_BYTES = 16;
    private static final int NAME = IOVEC + IOVEC_BYTES;
    private static final int SOCKADDR_BYTES = 32;
    private static final int SOCKADDR_IN6_BYTES = 28;
    private static final int OP_BYTES = NAME + SOCKADDR_BYTES;
    private static final short AF_INET = 2;
    private static final short AF_INET6 = 10;

    private static final int BLOCK_SHIFT = 8;
    private static final int BLOCK_OPS = 1 << BLOCK_SHIFT;
    private static final long WAKE = -1L;
    private static final long TIMEOUT = -2L;
    private static final long CANCEL = -3L;
    private static final int SUBMISSION_ENTRIES = 4096;
    private static final int COMPLETION_ENTRIES = 32768;

    private static final byte FREE = 0;
    private static final byte ARMED = 1;
    private static final byte CANCELLING = 2;

    private final RingWriter ring;
    private final RelayCounters counters;
    private final NanoClock clock;
    private final int mainInFlight;
    private final int stagingBytes;
    private final UringRing uring;
    private final FileDescriptor eventFd;
    private final UnsafeBuffer control;
    private final long wakeBufferAddress;
    private final long timespecAddress;
    private final UringRing.CompletionHandler onCompletion = this::onCompletion;
    private final ErrorLogLimiter errorLog = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));
    private final List<UnsafeBuffer> headerBlocks = new ArrayList<>();
    private final List<UnsafeBuffer> stagingBlocks = new ArrayList<>();
    private long[] blockAddresses = new long[0];
    private final IntArrayList freeOps = new IntArrayList();
    private final Map<RelaySocket, int[]> opsBySocket = new IdentityHashMap<>();
    private final Map<RelaySocket, Consumer<RelaySocket>> leaving = new IdentityHashMap<>();
    private RelaySocket[] opSocket = new RelaySocket[0];
    private byte[] opState = new byte[0];
    private int opCapacity;
    private boolean enabled;
    private boolean wakeArmed;
    private int timeoutsPending;
    private boolean closed;

    // Per reap: free ring slots at its start, slots filled so far.
    private int reapFree;
    private int reapFilled;
    private long reapNowNs;

    /**
     * @param ring         where datagrams go; the owning thread is the ring's only producer.
     * @param slotBytes    bytes of each ring slot (MAX_DATAGRAM_BYTES + 1 and more), so oversize is seen.
     * @param mainInFlight receives kept in flight on the main socket.
     * @param counters     receiver-owned counters.
     * @param clock        stamps each datagram's receive time.
     */
    public UringReceiver(
        final RingWriter ring,
        final int slotBytes,
        final int mainInFlight,
        final RelayCounters counters,
        final NanoClock clock)
    {
        this(ring, slotBytes, mainInFlight, counters, clock, 0);
    }

    /**
     * A receiver whose receive operations (headers and staging buffers, off-heap) are all allocated here, on the
     * thread that builds it, for the main socket and {@code relayPorts} relay ports: adding a socket later never
     * allocates direct memory on the receive thread (a relay port past that, which the relay ports' budget refuses,
     * still would).
     *
     * @param ring         where datagrams go.
     * @param slotBytes    a ring slot's size.
     * @param mainInFlight receives kept in flight on the main socket.
     * @param counters     the receive thread's counters.
     * @param clock        receive stamps.
     * @param relayPorts   most relay ports open at once.
     */
    public UringReceiver(
        final RingWriter ring,
        final int slotBytes,
        final int mainInFlight,
        final RelayCounters counters,
        final NanoClock clock,
        final int relayPorts)
    {
        final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!"amd64".equals(arch) && !"x86_64".equals(arch))
        {
            throw new IllegalStateException("the io_uring receiver knows only the x86_64 struct msghdr");
        }
        this.ring = ring;
        this.counters = counters;
        this.clock = clock;
        this.mainInFlight = Math.max(1, Math.min(BLOCK_OPS, mainInFlight));
        this.stagingBytes = slotBytes;
        this.uring = UringRing.open(SUBMISSION_ENTRIES, COMPLETION_ENTRIES);
        FileDescriptor fd = null;
        try
        {
            fd = UringRing.newEventFd();
        }
        finally
        {
            if (fd == null)
            {
                uring.close();
            }
        }
        this.eventFd = fd;
        final ByteBuffer controlMemory = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
        this.control = new UnsafeBuffer(controlMemory);
        this.wakeBufferAddress = BufferUtil.address(controlMemory);
        this.timespecAddress = wakeBufferAddress + 16;
        final long ops = this.mainInFlight + (long)relayPorts * PORT_IN_FLIGHT;
        while (opCapacity < ops)
        {
            grow();
        }
    }

    public String name()
    {
        return "io_uring recvmsg";
    }

    public void add(final RelaySocket socket) throws IOException
    {
        enable();
        final int count = socket.isRelayPort() ? PORT_IN_FLIGHT : mainInFlight;
        while (freeOps.size() < count)
        {
            grow();
        }
        final int[] ops = new int[count];
        for (int i = 0; i < count; i++)
        {
            final int op = freeOps.popInt();
            ops[i] = op;
            opSocket[op] = socket;
            arm(op);
        }
        opsBySocket.put(socket, ops);
    }

    public void remove(final RelaySocket socket, final Consumer<RelaySocket> out)
    {
        final int[] ops = opsBySocket.remove(socket);
        if (ops == null)
        {
            out.accept(socket);
            return;
        }
        for (final int op : ops)
        {
            if (opState[op] == ARMED)
            {
                opState[op] = CANCELLING;
                uring.enqueue(UringRing.IORING_OP_ASYNC_CANCEL, -1, 0, op, 0, 0, CANCEL);
            }
        }
        leaving.put(socket, out);
        uring.submitAndPoll();
        reap(); // a receive that completed meanwhile is published; the last one to end hands the socket out
    }

    public int sockets()
    {
        return opsBySocket.size();
    }

    public int receive()
    {
        enable();
        uring.submitAndPoll();
        return reap();
    }

    public void await(final int timeoutMs)
    {
        enable();
        if (uring.hasCompletions())
        {
            return;
        }
        armWake();
        if (timeoutMs > 0)
        {
            final long ns = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            control.putLong(16, ns / 1_000_000_000L);
            control.putLong(24, ns % 1_000_000_000L);
            // Completes after one other completion or when the time is up, whichever is first.
            uring.enqueue(UringRing.IORING_OP_TIMEOUT, -1, 1, timespecAddress, 1, 0, TIMEOUT);
            timeoutsPending++;
        }
        if (uring.submitAndWait(timeoutMs > 0 ? 1 : 0) < 0)
        {
            onError(null, 0);
        }
    }

    public void wake()
    {
        if (!closed)
        {
            UringRing.eventFdWrite(eventFd.intValue(), 1L);
        }
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            eventFd.close();
        }
        catch (final IOException ignore)
        {
            // closing on the way out
        }
        uring.close(); // cancels what is in flight
    }

    private int reap()
    {
        reapFree = ring.freeSlots(Integer.MAX_VALUE);
        reapFilled = 0;
        reapNowNs = clock.nanoTime();
        final int handled = uring.reap(onCompletion);
        ring.publish(reapFilled);
        return handled;
    }

    private void onCompletion(final long userData, final int res, final int flags)
    {
        if (userData < 0)
        {
            if (userData == WAKE)
            {
                wakeArmed = false;
            }
            else if (userData == TIMEOUT)
            {
                timeoutsPending--;
            }
            return;
        }
        final int op = (int)userData;
        final RelaySocket socket = opSocket[op];
        if (res >= 0)
        {
            onDatagram(op, socket, res);
        }
        else if (res != -UringRing.ECANCELED && res != -UringRing.EAGAIN)
        {
            // -EAGAIN: another receive in flight on the same socket took the datagram first; re-armed below
            onError(socket, -res);
        }
        if (opState[op] == ARMED)
        {
            arm(op);
        }
        else
        {
            retire(op, socket);
        }
    }

    private void onDatagram(final int op, final RelaySocket socket, final int length)
    {
        counters.addReceived(1);
        if (reapFilled >= reapFree)
        {
            reapFree = ring.freeSlots(Integer.MAX_VALUE); // the router may have freed some meanwhile
            if (reapFilled >= reapFree)
            {
                counters.addError(ErrorReason.RING_FULL, 1);
                return;
            }
        }
        final RelaySlot slot = ring.freeSlot(reapFilled++);
        final UnsafeBuffer headers = headerBlocks.get(op >>> BLOCK_SHIFT);
        final int at = (op & (BLOCK_OPS - 1)) * OP_BYTES;
        slot.buffer().putBytes(0, stagingBlocks.get(op >>> BLOCK_SHIFT), (op & (BLOCK_OPS - 1)) * stagingBytes,
            Math.min(length, slot.capacity()));
        slot.length = length;
        slot.receiveNs = reapNowNs;
        slot.socket = socket;
        final int name = at + NAME;
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

    private void arm(final int op)
    {
        opState[op] = ARMED;
        final UnsafeBuffer headers = headerBlocks.get(op >>> BLOCK_SHIFT);
        final int at = (op & (BLOCK_OPS - 1)) * OP_BYTES;
        headers.putInt(at + MSG_NAMELEN, SOCKADDR_IN6_BYTES); // the kernel wrote the sender's length back
        final long msghdr = blockAddresses[op >>> BLOCK_SHIFT] + at;
        uring.enqueue(UringRing.IORING_OP_RECVMSG, opSocket[op].fd(), 0, msghdr, 1, 0, op);
    }

    /**
     * A receive of a leaving socket is over: when it was the socket's last, the socket goes out to be closed.
     */
    private void retire(final int op, final RelaySocket socket)
    {
        opState[op] = FREE;
        opSocket[op] = null;
        freeOps.addInt(op);
        for (int i = 0; i < opCapacity; i++)
        {
            if (opSocket[i] == socket)
            {
                return;
            }
        }
        final Consumer<RelaySocket> out = leaving.remove(socket);
        if (out != null)
        {
            out.accept(socket);
        }
    }

    private void armWake()
    {
        if (!wakeArmed)
        {
            uring.enqueue(UringRing.IORING_OP_READ, eventFd.intValue(), 0, wakeBufferAddress, 8, 0, WAKE);
            wakeArmed = true;
        }
    }

    private void enable()
    {
        if (!enabled)
        {
            uring.enable();
            enabled = true;
        }
    }

    /**
     * One more block of operations: headers and staging buffers preallocated, the msghdr and iovec filled once.
     */
    private void grow()
    {
        final int first = opCapacity;
        final ByteBuffer headerMemory = ByteBuffer.allocateDirect(BLOCK_OPS * OP_BYTES).order(ByteOrder.nativeOrder());
        final ByteBuffer stagingMemory = ByteBuffer.allocateDirect(BLOCK_OPS * stagingBytes);
        final UnsafeBuffer headers = new UnsafeBuffer(headerMemory);
        final long headerAddress = BufferUtil.address(headerMemory);
        final long stagingAddress = BufferUtil.address(stagingMemory);
        for (int i = 0; i < BLOCK_OPS; i++)
        {
            final int at = i * OP_BYTES;
            headers.putLong(at + MSG_NAME, headerAddress + at + NAME);
            headers.putInt(at + MSG_NAMELEN, SOCKADDR_IN6_BYTES);
            headers.putLong(at + MSG_IOV, headerAddress + at + IOVEC);
            headers.putLong(at + MSG_IOVLEN, 1);
            headers.putLong(at + IOVEC, stagingAddress + (long)i * stagingBytes);
            headers.putLong(at + IOVEC + 8, stagingBytes);
        }
        headerBlocks.add(headers);
        stagingBlocks.add(new UnsafeBuffer(stagingMemory));
        blockAddresses = java.util.Arrays.copyOf(blockAddresses, blockAddresses.length + 1);
        blockAddresses[blockAddresses.length - 1] = headerAddress;
        opCapacity += BLOCK_OPS;
        opSocket = java.util.Arrays.copyOf(opSocket, opCapacity);
        opState = java.util.Arrays.copyOf(opState, opCapacity);
        for (int op = opCapacity - 1; op >= first; op--)
        {
            freeOps.addInt(op);
        }
    }

    /**
     * Logs a receive error, at most a line a second; builds no text unless it logs.
     *
     * @param socket the socket whose receive failed, or null when waiting on the ring failed.
     * @param errno  the error number of a failed receive.
     */
    private void onError(final RelaySocket socket, final int errno)
    {
        final long heldBack = errorLog.onError(clock.nanoTime());
        if (heldBack != ErrorLogLimiter.QUIET)
        {
            if (socket == null)
            {
                LOG.warn("io_uring_enter failed while waiting ({} more errors since the last line)", heldBack);
            }
            else
            {
                LOG.warn("relay socket receive error: recvmsg on {} failed with errno {} ({} more since the last line)",
                    socket, errno, heldBack);
            }
        }
    }
}
