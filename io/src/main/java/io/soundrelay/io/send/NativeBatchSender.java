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
import io.soundrelay.io.linux.Syscalls;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Sends a batch with one {@code sendmmsg(2)} per socket it leaves from, through the node's own system calls
 * ({@link Syscalls}). The message headers, one iovec each and one destination sockaddr each are laid out off-heap
 * once; queueing a datagram writes its iovec (pointing straight into the ring slot: no copy), its destination and
 * {@code msg_namelen}, and nothing is allocated per datagram.
 */
public final class NativeBatchSender implements DatagramSender
{
    /** Largest batch one {@code sendmmsg} takes (UIO_MAXIOV). */
    public static final int MAX_BATCH = 1024;

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int NAME_BYTES = 32;
    // The target's address bytes are read as words in native order through array views: MemorySegment.copy from a
    // heap array wraps the array in a segment, which escape analysis does not always remove.
    private static final VarHandle ARRAY_LONG =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle ARRAY_INT =
        MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final RelayCounters counters;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment msgs;
    private final MemorySegment[] msgAt;
    private final MemorySegment iovecs;
    private final MemorySegment names;
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
        Syscalls.ensureAvailable();
        this.counters = counters;
        this.capacity = Math.max(1, Math.min(MAX_BATCH, batchSize));
        this.tallies = new SendTally[capacity];
        this.targets = new Endpoint[capacity];
        this.froms = new RelaySocket[capacity];
        this.msgs = arena.allocate((long)capacity * Syscalls.MMSGHDR_BYTES, 64);
        this.iovecs = arena.allocate((long)capacity * Syscalls.IOVEC_BYTES, 64);
        this.names = arena.allocate((long)capacity * NAME_BYTES, 64);
        this.msgAt = new MemorySegment[capacity];
        for (int i = 0; i < capacity; i++)
        {
            final long msg = (long)i * Syscalls.MMSGHDR_BYTES;
            msgs.set(ValueLayout.JAVA_LONG, msg + Syscalls.MSG_NAME_OFFSET, names.address() + (long)i * NAME_BYTES);
            msgs.set(ValueLayout.JAVA_LONG, msg + Syscalls.MSG_IOV_OFFSET,
                iovecs.address() + (long)i * Syscalls.IOVEC_BYTES);
            msgs.set(ValueLayout.JAVA_LONG, msg + Syscalls.MSG_IOVLEN_OFFSET, 1L);
            msgAt[i] = msgs.asSlice(msg);
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
        final long iov = (long)i * Syscalls.IOVEC_BYTES;
        iovecs.set(ValueLayout.JAVA_LONG, iov, slot.address() + offset);
        iovecs.set(ValueLayout.JAVA_LONG, iov + 8, length);

        final MemorySegment n = names;
        final long name = (long)i * NAME_BYTES;
        final byte[] address = target.ipv6MappedAddress();
        final int nameLength;
        n.set(NET_SHORT, name + 2, (short)target.port());
        if (from.isIpv6())
        {
            n.set(ValueLayout.JAVA_SHORT, name, (short)Syscalls.AF_INET6);
            n.set(ValueLayout.JAVA_INT, name + 4, 0);
            n.set(ValueLayout.JAVA_LONG, name + 8, (long)ARRAY_LONG.get(address, 0));
            n.set(ValueLayout.JAVA_LONG, name + 16, (long)ARRAY_LONG.get(address, 8));
            n.set(ValueLayout.JAVA_INT, name + 24, target.scopeId());
            nameLength = Syscalls.SOCKADDR_IN6_BYTES;
        }
        else
        {
            n.set(ValueLayout.JAVA_SHORT, name, (short)Syscalls.AF_INET);
            n.set(ValueLayout.JAVA_INT, name + 4, (int)ARRAY_INT.get(address, 12));
            n.set(ValueLayout.JAVA_LONG, name + 8, 0L);
            nameLength = Syscalls.SOCKADDR_IN_BYTES;
        }
        msgs.set(ValueLayout.JAVA_INT, (long)i * Syscalls.MMSGHDR_BYTES + Syscalls.MSG_NAMELEN_OFFSET, nameLength);
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
     * refuses and reports how many went before it; the next call then starts at the refused one and gets its error.
     * A refusal of that one destination (EACCES for a broadcast address, ENETUNREACH, EPERM from a firewall, ...)
     * costs that datagram only: it is counted and skipped, and the rest of the run goes on. Only a full socket buffer
     * (EAGAIN, ENOBUFS), which every message after it on that socket would meet too, drops what is left of the run.
     * EINTR is tried again.
     */
    private void flush(final RelaySocket from, final int start, final int end)
    {
        final int fd = from.fd();
        int offset = start;
        while (offset < end)
        {
            final int sent = Syscalls.sendmmsg(fd, msgAt[offset], end - offset, Syscalls.MSG_DONTWAIT);
            if (sent > 0)
            {
                for (int i = offset, last = offset + sent; i < last; i++)
                {
                    tallies[i].onSent();
                }
                counters.addSent(sent);
                offset += sent;
                continue;
            }
            final int e = -sent;
            if (e == Syscalls.EINTR)
            {
                continue;
            }
            if (e == 0 || e == Syscalls.EAGAIN || e == Syscalls.ENOBUFS)
            {
                failureLog.failed(targets[offset], e == 0 ? "the kernel took none" : SendFailureLog.errno(e));
                counters.addError(ErrorReason.SEND_FAILED, end - offset);
                for (int i = offset; i < end; i++)
                {
                    tallies[i].onSendFailed();
                }
                break;
            }
            failureLog.failed(targets[offset], SendFailureLog.errno(e));
            counters.addError(ErrorReason.SEND_FAILED, 1);
            tallies[offset].onSendFailed();
            offset++;
        }
    }

    public String name()
    {
        return "sendmmsg";
    }
}
