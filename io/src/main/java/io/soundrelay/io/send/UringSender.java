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
import io.soundrelay.io.transport.UringRing;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Sends on an io_uring of its own, owned by the sending thread: one {@code IORING_OP_SENDMSG} per datagram, each with
 * a preallocated {@code msghdr}, iovec (pointing straight into the ring slot) and destination address, and the whole
 * batch, whatever sockets it leaves from, submitted with one {@code io_uring_enter} that also waits for its
 * completions. Sends carry {@code MSG_DONTWAIT}: a full socket buffer completes the send at once with -EAGAIN
 * (counted {@code send_failed}) instead of parking it, so every send is over when {@link #flush()} returns and the
 * ring slots it read from may be reused. Nothing is allocated per datagram.
 */
public final class UringSender implements DatagramSender
{
    /** Largest batch between two flushes. */
    public static final int MAX_BATCH = 1024;

    private static final int MSGHDR_BYTES = 64;
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int IOVEC = MSGHDR_BYTES;
    private static final int NAME = IOVEC + 16;
    private static final int OP_BYTES = NAME + 32;
    private static final short AF_INET = 2;
    private static final short AF_INET6 = 10;
    private static final int SOCKADDR_IN_BYTES = 16;
    private static final int SOCKADDR_IN6_BYTES = 28;

    private final RelayCounters counters;
    private final int capacity;
    private final UringRing uring;
    private final UnsafeBuffer headers;
    private final long headerAddress;
    private final SendTally[] tallies;
    private final Endpoint[] targets;
    private final SendFailureLog failureLog = new SendFailureLog();
    private final UringRing.CompletionHandler onCompletion = this::onCompletion;
    private int count;
    private int completed;
    private boolean enabled;

    /**
     * @param batchSize most datagrams queued between two flushes, at most {@link #MAX_BATCH}.
     * @param counters  to count sends and failures.
     */
    public UringSender(final int batchSize, final RelayCounters counters)
    {
        this.counters = counters;
        this.capacity = Math.max(1, Math.min(MAX_BATCH, batchSize));
        this.uring = UringRing.open(Math.max(64, Integer.highestOneBit(capacity * 2 - 1)), capacity * 2);
        final ByteBuffer memory = ByteBuffer.allocateDirect(capacity * OP_BYTES).order(ByteOrder.nativeOrder());
        this.headers = new UnsafeBuffer(memory);
        this.headerAddress = BufferUtil.address(memory);
        this.tallies = new SendTally[capacity];
        this.targets = new Endpoint[capacity];
        for (int i = 0; i < capacity; i++)
        {
            final int at = i * OP_BYTES;
            headers.putLong(at + MSG_NAME, headerAddress + at + NAME);
            headers.putLong(at + MSG_IOV, headerAddress + at + IOVEC);
            headers.putLong(at + MSG_IOVLEN, 1);
        }
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
        if (!enabled)
        {
            uring.enable(); // on the sending thread, before its first submission
            enabled = true;
        }
        final int i = count++;
        final int at = i * OP_BYTES;
        headers.putLong(at + IOVEC, slot.address() + offset);
        headers.putLong(at + IOVEC + 8, length);
        final int name = at + NAME;
        final byte[] address = target.ipv6MappedAddress();
        if (from.isIpv6())
        {
            headers.putShort(name, AF_INET6);
            headers.putShort(name + 2, (short)target.port(), ByteOrder.BIG_ENDIAN);
            headers.putInt(name + 4, 0);
            headers.putBytes(name + 8, address, 0, 16);
            headers.putInt(name + 24, target.scopeId());
            headers.putInt(at + MSG_NAMELEN, SOCKADDR_IN6_BYTES);
        }
        else
        {
            headers.putShort(name, AF_INET);
            headers.putShort(name + 2, (short)target.port(), ByteOrder.BIG_ENDIAN);
            headers.putBytes(name + 4, address, 12, 4);
            headers.putLong(name + 8, 0L);
            headers.putInt(at + MSG_NAMELEN, SOCKADDR_IN_BYTES);
        }
        tallies[i] = tally;
        targets[i] = target;
        uring.enqueue(UringRing.IORING_OP_SENDMSG, from.fd(), 0, headerAddress + at, 1, UringRing.MSG_DONTWAIT, i);
    }

    /**
     * Submit the batch and wait for every send of it to complete (they complete during the submission: nothing
     * waits for socket space), then count each.
     */
    public void flush()
    {
        final int total = count;
        if (total == 0)
        {
            return;
        }
        completed = 0;
        int rounds = 0;
        while (completed < total)
        {
            if (uring.submitAndWait(total - completed) < 0 && ++rounds > 1000)
            {
                // The kernel refused to run the submission: give up on what has not completed, count it failed.
                for (int i = 0; i < total; i++)
                {
                    if (tallies[i] != null)
                    {
                        onCompletion(i, -5, 0);
                    }
                }
                break;
            }
            uring.reap(onCompletion);
        }
        count = 0;
    }

    private void onCompletion(final long userData, final int res, final int flags)
    {
        final int i = (int)userData;
        final SendTally tally = tallies[i];
        if (tally == null)
        {
            return;
        }
        if (res >= 0)
        {
            counters.addSent(1);
            tally.onSent();
        }
        else
        {
            counters.addError(ErrorReason.SEND_FAILED, 1);
            tally.onSendFailed();
            failureLog.failed(targets[i], SendFailureLog.errno(-res));
        }
        tallies[i] = null;
        targets[i] = null;
        completed++;
    }

    public String name()
    {
        return "io_uring sendmsg";
    }

    public void close()
    {
        uring.close();
    }
}
