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
package io.soundrelay.tools;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends the streams bound to one sender socket. Paced, stream {@code i} sends its packet {@code k} at
 * {@code start + k / pps + i / (pps * streams)}: an absolute schedule that spreads all streams evenly over a period
 * and never drifts (a late packet is sent at once, the next keeps its own time). Unlimited, it sends round robin as
 * fast as the socket takes them.
 * <p>
 * With stranger traffic, every {@link #STRANGER_EVERY}th packet of a stream is followed by two that a relay must
 * drop: the same stream from the stranger socket, and an unrouted stream id from this sender's own socket.
 */
final class Sender implements Runnable
{
    static final int STRANGER_EVERY = 10;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    // Park until this close to a send time, then spin: parkNanos overshoots by tens of microseconds.
    private static final long SPIN_NS = 20_000;

    private final DatagramChannel channel;
    private final DatagramChannel strangerChannel;
    private final InetSocketAddress relay;
    private final DatagramFormat format;
    private final ByteBuffer buffer = ByteBuffer.allocate(GeneratorOptions.MAX_DATAGRAM_BYTES);
    private final SendCounters counters;
    private final GeneratorOptions options;
    private final int[] streamIndexes;
    private final long[] offsetsNs;
    private final long[] nextSequence;
    private final long startNs;

    /**
     * @param strangerChannel an unregistered socket, or null for no stranger traffic.
     * @param streamIndexes   the streams (0-based indexes) this sender owns, in increasing order.
     */
    Sender(
        final DatagramChannel channel,
        final DatagramChannel strangerChannel,
        final GeneratorOptions options,
        final int[] streamIndexes,
        final SendCounters counters,
        final long startNs)
    {
        this.channel = channel;
        this.strangerChannel = strangerChannel;
        this.relay = options.relay();
        this.format = DatagramFormat.of(options);
        this.options = options;
        this.streamIndexes = streamIndexes;
        this.counters = counters;
        this.startNs = startNs;
        this.nextSequence = new long[streamIndexes.length];
        this.offsetsNs = new long[streamIndexes.length];
        for (int slot = 0; slot < streamIndexes.length; slot++)
        {
            offsetsNs[slot] = streamIndexes[slot] * NANOS_PER_SECOND / ((long)options.pps() * options.streams());
        }
    }

    public void run()
    {
        if (options.rateUnlimited())
        {
            sendUnlimited();
        }
        else
        {
            sendPaced();
        }

        for (int slot = 0; slot < streamIndexes.length; slot++)
        {
            counters.sentPerStream[streamIndexes[slot]] = nextSequence[slot];
        }
    }

    private void sendPaced()
    {
        final int packets = options.packetsPerStream();
        final long pps = options.pps();
        for (long tick = 0; tick < packets; tick++)
        {
            final long tickNs = startNs + tick * NANOS_PER_SECOND / pps;
            for (int slot = 0; slot < streamIndexes.length; slot++)
            {
                waitUntil(tickNs + offsetsNs[slot]);
                sendNext(slot);
            }
        }
    }

    private void sendUnlimited()
    {
        final long endNs = startNs + (long)(options.seconds() * NANOS_PER_SECOND);
        waitUntil(startNs);
        while (System.nanoTime() - endNs < 0)
        {
            for (int slot = 0; slot < streamIndexes.length; slot++)
            {
                sendNext(slot);
            }
        }
    }

    private void sendNext(final int slot)
    {
        final long sequence = nextSequence[slot];
        if (sequence >= Integer.MAX_VALUE)
        {
            return;
        }

        final long streamId = options.firstStreamId() + streamIndexes[slot];
        if (send(channel, streamId, sequence))
        {
            nextSequence[slot] = sequence + 1;
            counters.sent.increment();

            if (null != strangerChannel && sequence % STRANGER_EVERY == 0)
            {
                final long forbidden = sequence | PayloadPattern.FORBIDDEN_FLAG;
                final long unroutedStreamId = streamId + options.streams();
                if (send(strangerChannel, streamId, forbidden))
                {
                    counters.strangerSent.increment();
                }
                if (send(channel, unroutedStreamId, forbidden))
                {
                    counters.strangerSent.increment();
                }
            }
        }
    }

    private boolean send(final DatagramChannel from, final long streamId, final long sequence)
    {
        final int length = format.encode(buffer, streamId, sequence, System.nanoTime());
        buffer.clear().limit(length);
        try
        {
            from.send(buffer, relay);
            return true;
        }
        catch (final IOException ex)
        {
            counters.sendErrors.increment();
            return false;
        }
    }

    private static void waitUntil(final long deadlineNs)
    {
        long remainingNs;
        while ((remainingNs = deadlineNs - System.nanoTime()) > 0)
        {
            if (remainingNs > SPIN_NS)
            {
                LockSupport.parkNanos(remainingNs - SPIN_NS);
            }
            else
            {
                Thread.onSpinWait();
            }
        }
    }
}
