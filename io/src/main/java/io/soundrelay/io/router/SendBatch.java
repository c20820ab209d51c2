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
package io.soundrelay.io.router;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.NanoClock;

/**
 * The router's one batch of pending sends: queues datagrams to the sender, flushes it, and records each datagram's
 * receipt-to-send time and, for a paced one, its lateness against the due time its caller passes in. Router thread
 * only; nothing here allocates.
 */
final class SendBatch
{
    /** The due time of a datagram that is not paced: no lateness to record. */
    static final long NOT_PACED = Long.MIN_VALUE;

    private final DatagramSender sender;
    private final RelayCounters counters;
    private final DurationHistogram processingTime;
    private final DurationHistogram paceLateness;
    private final NanoClock clock;
    private final long[] pendingReceiveNs;
    private final long[] pendingDueNs;
    private int pendingCount;
    private long flushGeneration;

    SendBatch(
        final DatagramSender sender,
        final RelayCounters counters,
        final DurationHistogram processingTime,
        final DurationHistogram paceLateness,
        final NanoClock clock)
    {
        this.sender = sender;
        this.counters = counters;
        this.processingTime = processingTime;
        this.paceLateness = paceLateness;
        this.clock = clock;
        this.pendingReceiveNs = new long[Math.max(1, Math.min(sender.remaining(), 4096))];
        this.pendingDueNs = new long[pendingReceiveNs.length];
    }

    /**
     * Queue one send per target of the spec, never back to the datagram's own sender (counted as a loop).
     *
     * @param slot   holding the datagram, untouched until the next flush.
     * @param tally  counts the sends.
     * @param spec   whose targets it goes to.
     * @param from   the socket it leaves from.
     * @param offset where the bytes to send start.
     * @param length how many.
     * @param dueNs  when a paced datagram was due, or {@link #NOT_PACED}.
     */
    void toTargets(
        final RelaySlot slot,
        final SendTally tally,
        final RouteSpec spec,
        final RelaySocket from,
        final int offset,
        final int length,
        final long dueNs)
    {
        final int targets = spec.targetCount();
        if (sender.remaining() < targets || pendingCount == pendingReceiveNs.length)
        {
            flush();
        }
        for (int i = 0; i < targets; i++)
        {
            final Endpoint target = spec.target(i);
            if (target.matches(slot.senderAddress, slot.senderPort))
            {
                counters.addError(ErrorReason.LOOP, 1); // never back to where it came from
                continue;
            }
            sender.queue(slot, offset, length, target, tally, from);
        }
        pendingDueNs[pendingCount] = dueNs;
        pendingReceiveNs[pendingCount++] = slot.receiveNs;
    }

    /**
     * Queue one send to one address.
     *
     * @param slot   holding the datagram, untouched until the next flush.
     * @param tally  counts the send.
     * @param offset where the bytes to send start.
     * @param length how many.
     * @param target where it goes.
     * @param from   the socket it leaves from.
     */
    void toOne(
        final RelaySlot slot,
        final SendTally tally,
        final int offset,
        final int length,
        final Endpoint target,
        final RelaySocket from)
    {
        if (sender.remaining() < 1 || pendingCount == pendingReceiveNs.length)
        {
            flush();
        }
        sender.queue(slot, offset, length, target, tally, from);
        pendingDueNs[pendingCount] = NOT_PACED;
        pendingReceiveNs[pendingCount++] = slot.receiveNs;
    }

    /**
     * Send what is queued and record each datagram's receipt-to-send time (and a paced one's lateness).
     */
    void flush()
    {
        if (pendingCount == 0)
        {
            return;
        }
        sender.flush();
        flushGeneration++;
        final long nowNs = clock.nanoTime();
        for (int i = 0; i < pendingCount; i++)
        {
            processingTime.record(nowNs - pendingReceiveNs[i]);
            final long dueNs = pendingDueNs[i];
            if (dueNs != NOT_PACED)
            {
                paceLateness.record(nowNs - dueNs); // an early one (a re-anchor let it go) counts as 0
            }
        }
        pendingCount = 0;
    }

    /**
     * @return how many times the sender has flushed: a slot queued in this generation must not be reused yet.
     */
    long flushGeneration()
    {
        return flushGeneration;
    }
}
