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
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends the streams of one sender thread: from one socket, or each stream from its own (--socket-per-stream).
 * <p>
 * Paced, stream {@code i} of {@code n} sends its packet {@code k} at {@code start + (k + i / n) / pps}: an absolute
 * schedule that spreads all streams evenly over a period and never drifts (a late packet is sent at once, the next
 * keeps its own time). The rate per stream may be fractional (--total-pps / --streams): the schedule is computed in
 * nanoseconds from the rate, not from a whole period. Each datagram carries its scheduled time, and latency is
 * measured from it: when this sender falls behind, because the socket or the machine stalled it, the delay shows
 * as latency instead of silently thinning the traffic (coordinated omission).
 * <p>
 * Stall-and-burst (--burst B, --stall-ms S), stream {@code i} of {@code n} sends its packets {@code kB} to
 * {@code kB + B - 1} back to back at {@code start + k S + i S / n} (or {@code start + k S} for every stream with
 * --burst-aligned): nothing for a stall, then a burst of what it would have sent evenly meanwhile. Sequence numbers
 * and timestamps go on one frame at a time, as if the frames had left one per period; every frame of a burst
 * carries the burst's scheduled time.
 * <p>
 * Unlimited, it sends round robin as fast as the socket takes them and stamps the actual send time: there is no
 * schedule to fall behind.
 * <p>
 * With stranger traffic, every {@link #STRANGER_EVERY}th packet of a stream is followed by two that a relay must
 * drop: the same stream from the stranger socket, and an unrouted stream id from this sender's own socket.
 * <p>
 * Every stream goes to the options' relay, unless {@link Destinations} say otherwise per stream (the migrate drill
 * moves streams from node to node while they run; with a return path each stream goes to its own relay port);
 * {@link #stop()} ends the sending early. With a return path there is no unrouted stream id to send: a relay port
 * forwards whatever its source sends.
 */
final class Sender implements Runnable
{
    /**
     * How a datagram goes out; the generator uses the channel's own send, tests slip a stall in.
     */
    @FunctionalInterface
    interface Transport
    {
        Transport CHANNEL = Sender::sendWhole;

        void send(DatagramChannel from, ByteBuffer datagram, InetSocketAddress to) throws IOException;
    }

    /**
     * Where each stream's datagrams go, looked up for every datagram: a stream may move while it runs.
     */
    @FunctionalInterface
    interface Destinations
    {
        /**
         * @param streamIndex the stream's 0-based index.
         * @return the address its next datagram goes to.
         */
        InetSocketAddress of(int streamIndex);
    }

    static final int STRANGER_EVERY = 10;

    private static final int NO_BURST = GeneratorOptions.NO_BURST;

    private static final double NANOS_PER_SECOND = 1e9;
    // Park until this close to a send time, then spin: parkNanos overshoots by tens of microseconds.
    private static final long SPIN_NS = 20_000;

    private final DatagramChannel[] channels;
    private final DatagramChannel strangerChannel;
    private final boolean sendsUnroutedIds;
    private final Transport transport;
    private final Destinations destinations;
    private final DatagramFormat format;
    private final ByteBuffer buffer = ByteBuffer.allocate(GeneratorOptions.MAX_DATAGRAM_BYTES);
    private final SendCounters counters;
    private final GeneratorOptions options;
    private final int[] streamIndexes;
    private final double periodNs;
    private final int burst;
    private final double stallNs;
    private final double[] offsetsNs;
    private final long[] nextSequence;
    private final long startNs;
    private Receiver pollReceiver;
    private ReturnReceiver pollReturns;
    private volatile boolean stopRequested;

    /**
     * @param strangerChannel an unregistered socket, or null for no stranger traffic.
     * @param streamIndexes   the streams (0-based indexes) this sender owns, in increasing order.
     * @param startNs         when the first packet of stream 0 is due, on the {@link System#nanoTime()} clock.
     */
    Sender(
        final DatagramChannel channel,
        final DatagramChannel strangerChannel,
        final Transport transport,
        final GeneratorOptions options,
        final int[] streamIndexes,
        final SendCounters counters,
        final long startNs)
    {
        this(channel, strangerChannel, transport, relayOf(options), options, streamIndexes, counters, startNs);
    }

    /**
     * @param destinations where each stream's datagrams go instead of the options' relay.
     */
    Sender(
        final DatagramChannel channel,
        final DatagramChannel strangerChannel,
        final Transport transport,
        final Destinations destinations,
        final GeneratorOptions options,
        final int[] streamIndexes,
        final SendCounters counters,
        final long startNs)
    {
        this(sameChannel(channel, streamIndexes.length), strangerChannel, transport, destinations, options,
            streamIndexes, counters, startNs);
    }

    /**
     * @param channelsBySlot the socket each stream sends from, by slot: {@code channelsBySlot[slot]} for the stream
     *                       {@code streamIndexes[slot]}; a socket per stream, or the same one for every stream.
     * @param destinations   where each stream's datagrams go.
     */
    Sender(
        final DatagramChannel[] channelsBySlot,
        final DatagramChannel strangerChannel,
        final Transport transport,
        final Destinations destinations,
        final GeneratorOptions options,
        final int[] streamIndexes,
        final SendCounters counters,
        final long startNs)
    {
        this.channels = channelsBySlot.clone();
        this.strangerChannel = strangerChannel;
        // A relay port forwards every datagram of its source, whatever its stream id (PROTOCOL.md section 9): an
        // unrouted id sent from the stream's own socket to it is no stranger.
        this.sendsUnroutedIds = !options.returnPath();
        this.transport = transport;
        this.destinations = destinations;
        this.format = DatagramFormat.of(options);
        this.options = options;
        this.streamIndexes = streamIndexes;
        this.counters = counters;
        this.startNs = startNs;
        this.nextSequence = new long[streamIndexes.length];
        this.periodNs = NANOS_PER_SECOND / options.ppsPerStream();
        this.burst = options.burst();
        this.stallNs = options.stallMs() * 1e6;
        this.offsetsNs = new double[streamIndexes.length];
        for (int slot = 0; slot < streamIndexes.length; slot++)
        {
            // Staggered evenly over one period, or with bursts over one stall (or not at all when aligned).
            final double spreadNs = !options.bursts() ? periodNs : options.burstAligned() ? 0 : stallNs;
            offsetsNs[slot] = spreadNs * streamIndexes[slot] / options.streams();
        }
    }

    public void run()
    {
        if (options.rateUnlimited())
        {
            sendUnlimited();
        }
        else if (options.bursts())
        {
            sendBursts();
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

    /**
     * Stop sending: the sender finishes the datagram in hand and {@link #run()} returns, having counted what was
     * sent. Any thread may call it.
     */
    void stop()
    {
        stopRequested = true;
    }

    /**
     * @return when packet {@code tick} of the stream in {@code slot} is due; with bursts, every packet of a burst
     * is due when the burst is.
     */
    long scheduledNs(final long tick, final int slot)
    {
        if (NO_BURST != burst)
        {
            return startNs + (long)((tick / burst) * stallNs + offsetsNs[slot]);
        }
        return startNs + (long)(tick * periodNs + offsetsNs[slot]);
    }

    /**
     * Share this sender's thread with a receiver: while waiting for a send time, and after every send when the
     * rate is unlimited, the sender drains the receiver's socket instead of parking or spinning. On a generator
     * pinned to one core this keeps a spinning sender from starving a receiver thread (which would show up as
     * milliseconds of latency that the relay did not add).
     *
     * @param receiver a receiver whose channel is non-blocking.
     */
    void shareThreadWith(final Receiver receiver)
    {
        shareThreadWith(receiver, null);
    }

    /**
     * Share this sender's thread with a receiver and, with --echo, with the streams' sockets: both are polled
     * wherever {@link #shareThreadWith(Receiver)} polls the receiver.
     *
     * @param returns the streams' sockets' receiver, or null.
     */
    void shareThreadWith(final Receiver receiver, final ReturnReceiver returns)
    {
        this.pollReceiver = receiver;
        this.pollReturns = returns;
    }

    private void pollShared()
    {
        pollReceiver.poll();
        if (null != pollReturns)
        {
            pollReturns.poll();
        }
    }

    private void sendPaced()
    {
        final int packets = options.packetsPerStream();
        for (long tick = 0; tick < packets && !stopRequested; tick++)
        {
            for (int slot = 0; slot < streamIndexes.length && !stopRequested; slot++)
            {
                final long dueNs = scheduledNs(tick, slot);
                awaitDue(dueNs);
                sendNext(slot, dueNs);
            }
        }
    }

    /**
     * Burst by burst, and within a burst stream by stream: a stream's packets of one burst leave back to back. The
     * streams' burst times rise with the slot and stay below the next burst's first, so the order keeps to the
     * schedule.
     */
    private void sendBursts()
    {
        final int packets = options.packetsPerStream();
        for (long firstTick = 0; firstTick < packets && !stopRequested; firstTick += burst)
        {
            final long endTick = Math.min(packets, firstTick + burst);
            for (int slot = 0; slot < streamIndexes.length && !stopRequested; slot++)
            {
                final long dueNs = scheduledNs(firstTick, slot);
                awaitDue(dueNs);
                for (long tick = firstTick; tick < endTick && !stopRequested; tick++)
                {
                    sendNext(slot, dueNs);
                }
            }
        }
    }

    private void awaitDue(final long dueNs)
    {
        if (null != pollReceiver)
        {
            // Behind schedule there is no wait to drain in: drain once per send anyway, or a sender that
            // catches up (a cold JIT, a stall) sends a burst while the sink's socket overflows unread.
            do
            {
                pollShared();
            }
            while (dueNs - System.nanoTime() > 0);
        }
        else
        {
            waitUntil(dueNs);
        }
    }

    private void sendUnlimited()
    {
        final long endNs = startNs + (long)(options.durationSeconds() * NANOS_PER_SECOND);
        waitUntil(startNs);
        while (System.nanoTime() - endNs < 0 && !stopRequested)
        {
            for (int slot = 0; slot < streamIndexes.length; slot++)
            {
                sendNext(slot, System.nanoTime());
                if (null != pollReceiver)
                {
                    pollShared();
                }
            }
        }
    }

    private void sendNext(final int slot, final long sendTimeNs)
    {
        final long sequence = nextSequence[slot];
        if (sequence >= Integer.MAX_VALUE)
        {
            return;
        }

        final long streamId = options.streamId(streamIndexes[slot]);
        final InetSocketAddress to = destinations.of(streamIndexes[slot]);
        final DatagramChannel channel = channels[slot];
        if (send(channel, to, streamId, sequence, sendTimeNs))
        {
            nextSequence[slot] = sequence + 1;
            counters.sent.increment();

            if (null != strangerChannel && sequence % STRANGER_EVERY == 0)
            {
                final long forbidden = sequence | PayloadPattern.FORBIDDEN_FLAG;
                final long unroutedStreamId = options.streamId(streamIndexes[slot] + options.streams());
                if (send(strangerChannel, to, streamId, forbidden, sendTimeNs))
                {
                    counters.strangerSent.increment();
                }
                if (sendsUnroutedIds && send(channel, to, unroutedStreamId, forbidden, sendTimeNs))
                {
                    counters.strangerSent.increment();
                }
            }
        }
    }

    private boolean send(
        final DatagramChannel from,
        final InetSocketAddress to,
        final long streamId,
        final long sequence,
        final long sendTimeNs)
    {
        final int length = format.encode(buffer, streamId, sequence, sendTimeNs);
        buffer.clear().limit(length);
        try
        {
            transport.send(from, buffer, to);
            return true;
        }
        catch (final IOException ex)
        {
            counters.sendErrors.increment();
            return false;
        }
    }

    /**
     * The generator's send: a blocking channel sends the whole datagram or throws; a non-blocking one (a stream's
     * socket that a selector also watches for echoes) may take nothing when its send buffer is full, and is then
     * tried again until it takes the datagram, as a blocking send would wait.
     */
    static void sendWhole(final DatagramChannel from, final ByteBuffer datagram, final InetSocketAddress to)
        throws IOException
    {
        while (0 == from.send(datagram, to))
        {
            Thread.onSpinWait();
        }
    }

    private static DatagramChannel[] sameChannel(final DatagramChannel channel, final int slots)
    {
        final DatagramChannel[] channels = new DatagramChannel[slots];
        Arrays.fill(channels, channel);
        return channels;
    }

    private static Destinations relayOf(final GeneratorOptions options)
    {
        final InetSocketAddress relay = options.relay();
        return (streamIndex) -> relay;
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
