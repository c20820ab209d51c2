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
package io.soundrelay.io.send;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.NettyEpollInternals;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Sends a batch with one {@code sendmmsg(2)} per socket it leaves from, through Netty's own native epoll binding.
 * Netty's public send calls copy each recipient address into a new array per datagram; this sender fills Netty's JNI
 * message structs in place instead (their layout is what {@code sendmmsg0} reads), with one iovec per message
 * pointing straight into the ring slot: no copy and no allocation per datagram.
 * <p>
 * It depends on Netty internals, so {@link #isAvailable()} checks them once; without them the epoll transport is
 * unavailable and {@code TRANSPORT=auto} takes NIO.
 */
public final class NativeBatchSender implements DatagramSender
{
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;
    /** Not the kernel's: the native call itself failed, and nothing more can be sent in this batch. */
    private static final int EIO = 5;

    /** Largest batch one {@code sendmmsg} takes (UIO_MAXIOV). */
    public static final int MAX_BATCH = 1024;

    private static final int IOVEC_BYTES = 16;

    private static final MethodHandle SENDMMSG;
    private static final VarHandle MEMORY_ADDRESS;
    private static final VarHandle COUNT;
    private static final VarHandle RECIPIENT_ADDR_LEN;
    private static final VarHandle RECIPIENT_SCOPE_ID;
    private static final VarHandle RECIPIENT_PORT;
    private static final VarHandle SEGMENT_SIZE;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static
    {
        MethodHandle sendmmsg = null;
        VarHandle memoryAddress = null;
        VarHandle count = null;
        VarHandle addrLen = null;
        VarHandle scopeId = null;
        VarHandle port = null;
        VarHandle segmentSize = null;
        Throwable cause = null;
        try
        {
            sendmmsg = NettyEpollInternals.packetBatchCall("sendmmsg0");
            memoryAddress = NettyEpollInternals.packetField("memoryAddress", long.class);
            count = NettyEpollInternals.packetField("count", int.class);
            addrLen = NettyEpollInternals.packetField("recipientAddrLen", int.class);
            scopeId = NettyEpollInternals.packetField("recipientScopeId", int.class);
            port = NettyEpollInternals.packetField("recipientPort", int.class);
            segmentSize = NettyEpollInternals.packetField("segmentSize", int.class);
        }
        catch (final Throwable t)
        {
            cause = t;
        }
        SENDMMSG = sendmmsg;
        MEMORY_ADDRESS = memoryAddress;
        COUNT = count;
        RECIPIENT_ADDR_LEN = addrLen;
        RECIPIENT_SCOPE_ID = scopeId;
        RECIPIENT_PORT = port;
        SEGMENT_SIZE = segmentSize;
        UNAVAILABILITY_CAUSE = cause;
    }

    private final RelayCounters counters;
    private final Object[] packets;
    private final byte[][] recipientAddrs;
    private final UnsafeBuffer iovecs;
    private final long iovecAddress;
    private final int capacity;
    private final SendTally[] tallies;
    private final Endpoint[] targets;
    private final RelaySocket[] froms;
    private final SendFailureLog failureLog = new SendFailureLog();
    private int count;

    /**
     * @param batchSize most datagrams queued between two flushes, at most {@link #MAX_BATCH}.
     * @param counters  to count sends and failures.
     */
    public NativeBatchSender(final int batchSize, final RelayCounters counters)
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("native sendmmsg unavailable", UNAVAILABILITY_CAUSE);
        }
        this.counters = counters;
        this.capacity = Math.min(MAX_BATCH, batchSize);
        this.tallies = new SendTally[capacity];
        this.targets = new Endpoint[capacity];
        this.froms = new RelaySocket[capacity];
        try
        {
            this.packets = NettyEpollInternals.newPackets();
            this.recipientAddrs = new byte[packets.length][];
            for (int i = 0; i < packets.length; i++)
            {
                recipientAddrs[i] = NettyEpollInternals.packetBytes(packets[i], "recipientAddr");
            }
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("cannot build sendmmsg messages", ex);
        }
        final ByteBuffer memory = ByteBuffer.allocateDirect(capacity * IOVEC_BYTES).order(ByteOrder.nativeOrder());
        this.iovecs = new UnsafeBuffer(memory);
        this.iovecAddress = BufferUtil.address(memory);
    }

    /**
     * @return true when Netty's native sendmmsg binding is usable here.
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

    public int remaining()
    {
        return capacity - count;
    }

    public void queue(
        final RelaySlot slot,
        final int offset,
        final int length,
        final Endpoint target,
        final SendTally tally,
        final RelaySocket from)
    {
        if (failureLog.refusedFamily(from, target, tally, counters))
        {
            return;
        }
        final int i = count++;
        final int iovOffset = i * IOVEC_BYTES;
        iovecs.putLong(iovOffset, slot.address() + offset, ByteOrder.nativeOrder());
        iovecs.putLong(iovOffset + 8, length, ByteOrder.nativeOrder());

        final Object packet = packets[i];
        MEMORY_ADDRESS.set(packet, iovecAddress + iovOffset);
        COUNT.set(packet, 1);
        SEGMENT_SIZE.set(packet, 0);
        System.arraycopy(target.ipv6MappedAddress(), 0, recipientAddrs[i], 0, 16);
        RECIPIENT_ADDR_LEN.set(packet, 16);
        RECIPIENT_SCOPE_ID.set(packet, target.scopeId());
        RECIPIENT_PORT.set(packet, target.port());
        tallies[i] = tally;
        targets[i] = target;
        froms[i] = from;
    }

    /**
     * Send the queue as runs of datagrams that leave from the same socket, one {@code sendmmsg} per run (a datagram
     * and its fan-out leave from one socket, so a run is at least a datagram's targets; with only the main socket in
     * use the whole queue is one run).
     */
    public void flush()
    {
        final int total = count;
        int start = 0;
        while (start < total)
        {
            final RelaySocket from = froms[start];
            int end = start + 1;
            while (end < total && froms[end] == from)
            {
                end++;
            }
            flush(from, start, end);
            start = end;
        }
        for (int i = 0; i < total; i++)
        {
            tallies[i] = null;
            targets[i] = null;
            froms[i] = null;
        }
        count = 0;
    }

    /**
     * One {@code sendmmsg} after another until the run is through. The kernel stops a batch at the first message it
     * refuses and reports how many went before it; the next call then starts at the refused one and gets its error,
     * {@code -errno} from Netty's binding. A refusal of that one destination (EACCES for a broadcast address,
     * ENETUNREACH, EPERM from a firewall, ...) costs that datagram only: it is counted and skipped, and the rest of
     * the run goes on. Only a full socket buffer (EAGAIN, ENOBUFS), which every message after it on that socket would
     * meet too, drops what is left of the run.
     */
    private void flush(final RelaySocket from, final int start, final int end)
    {
        final int fd = from.fd();
        final boolean ipv6 = from.isIpv6();
        int offset = start;
        while (offset < end)
        {
            int sent;
            try
            {
                sent = (int)SENDMMSG.invokeExact(fd, ipv6, packets, offset, end - offset);
            }
            catch (final Throwable t)
            {
                sent = -EIO;
            }
            if (sent > 0)
            {
                for (int i = offset, last = offset + sent; i < last; i++)
                {
                    tallies[i].onSent();
                }
                counters.addSent(sent);
                offset += sent;
            }
            else if (sent == 0 || sent == -EAGAIN || sent == -ENOBUFS || sent == -EIO)
            {
                failureLog.failed(targets[offset], sent == 0 ? "the kernel took none" : SendFailureLog.errno(-sent));
                counters.addError(ErrorReason.SEND_FAILED, end - offset);
                for (int i = offset; i < end; i++)
                {
                    tallies[i].onSendFailed();
                }
                break;
            }
            else
            {
                failureLog.failed(targets[offset], SendFailureLog.errno(-sent));
                counters.addError(ErrorReason.SEND_FAILED, 1);
                tallies[offset].onSendFailed();
                offset++;
            }
        }
    }

    public String name()
    {
        return "sendmmsg";
    }
}
