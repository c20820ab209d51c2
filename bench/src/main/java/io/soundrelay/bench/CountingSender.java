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
package io.soundrelay.bench;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import io.soundrelay.io.socket.RelaySocket;

/**
 * A {@link DatagramSender} that sends nothing: it counts what the router queues, so a benchmark over it measures
 * parse, lookup and checks without a system call. It holds a batch the size of {@link NativeBatchSender}'s and,
 * as every sender does, counts {@code relay_packets_sent_total} when the batch is flushed. It remembers the socket
 * the last datagram was queued to leave from, so a benchmark can check the router picked the right one.
 */
public final class CountingSender implements DatagramSender
{
    private final RelayCounters counters;
    private final int capacity;
    private int queued;
    private long queuedDatagrams;
    private long queuedBytes;
    private RelaySocket lastFrom;

    /**
     * @param counters to count sends, as the real senders do.
     */
    public CountingSender(final RelayCounters counters)
    {
        this.counters = counters;
        this.capacity = NativeBatchSender.MAX_BATCH;
    }

    public int remaining()
    {
        return capacity - queued;
    }

    public void queue(
        final RelaySlot slot,
        final int offset,
        final int length,
        final Endpoint target,
        final SendTally tally,
        final RelaySocket from)
    {
        tally.onSent(); // as a real sender does once the kernel took it: the route's count is part of the cost
        lastFrom = from;
        queued++;
        queuedDatagrams++;
        queuedBytes += length;
    }

    public void flush()
    {
        if (queued > 0)
        {
            counters.addSent(queued);
            queued = 0;
        }
    }

    public String name()
    {
        return "counting";
    }

    /**
     * @return datagrams queued since creation.
     */
    public long queuedDatagrams()
    {
        return queuedDatagrams;
    }

    /**
     * @return bytes queued since creation.
     */
    public long queuedBytes()
    {
        return queuedBytes;
    }

    /**
     * @return the socket the last queued datagram was to leave from, or null before the first.
     */
    public RelaySocket lastFrom()
    {
        return lastFrom;
    }
}
