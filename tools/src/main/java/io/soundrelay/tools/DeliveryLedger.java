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

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.BitSet;
import java.util.concurrent.atomic.LongAdder;

/**
 * What arrived at the receivers, by stream: a sequence bitmap per stream tells new from duplicate, and the highest
 * sequence seen tells in order from out of order. Receiver threads record into it concurrently; a stream's state
 * is locked only while one datagram of that stream is recorded, and a stream normally reaches one receiver.
 * <p>
 * It also records, per stream, the time between consecutive arrivals of the stream's datagrams (the inter-arrival
 * time at its sink, what a relay's pacing smooths), over the measured window, without allocating on the receive
 * path.
 */
final class DeliveryLedger implements Receiver.Sink
{
    /** No receiver assignment: any receiver may get any stream (no routes were created). */
    static final int ANY_RECEIVER = -1;

    private final StreamIds streamIds;
    private final int receivers;
    private final StreamState[] streams;
    private final Recorder latencyRecorder = new Recorder(3);
    private final Recorder interArrivalRecorder = new Recorder(3);
    private final LongAdder received = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder outOfOrder = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder wrongStream = new LongAdder();
    private final LongAdder leaked = new LongAdder();
    private final LongAdder measured = new LongAdder();
    private volatile boolean warmup;
    private volatile long measureFromNs;

    /**
     * @param receivers the receiver count when stream i is routed to receiver {@code i % receivers}, else
     *                  {@link #ANY_RECEIVER}.
     */
    DeliveryLedger(final long firstStreamId, final int streamCount, final int receivers)
    {
        this(StreamIds.consecutive(firstStreamId, streamCount), streamCount, receivers);
    }

    /**
     * @param streamIds   the streams' ids: stream i has {@code streamIds.id(i)}.
     * @param streamCount streams carrying traffic.
     * @param receivers   the receiver count when stream i is routed to receiver {@code i % receivers}, else
     *                    {@link #ANY_RECEIVER}.
     */
    DeliveryLedger(final StreamIds streamIds, final int streamCount, final int receivers)
    {
        this.streamIds = streamIds;
        this.receivers = receivers;
        this.streams = new StreamState[streamCount];
        for (int i = 0; i < streamCount; i++)
        {
            streams[i] = new StreamState();
        }
    }

    /**
     * @return the receiver that stream {@code streamIndex} is routed to.
     */
    static int receiverFor(final int streamIndex, final int receivers)
    {
        return streamIndex % receivers;
    }

    /**
     * A datagram arrived that is not byte for byte anything the generator sent.
     */
    public void onCorrupt()
    {
        received.increment();
        corrupt.increment();
    }

    /**
     * A datagram arrived that verified against its payload pattern.
     *
     * @param sequence the payload's sequence, {@link PayloadPattern#FORBIDDEN_FLAG} included.
     */
    public void onVerified(
        final int receiverIndex, final long streamId, final long sequence, final long sendTimeNs, final long nowNs)
    {
        received.increment();
        if ((sequence & PayloadPattern.FORBIDDEN_FLAG) != 0)
        {
            leaked.increment();
            return;
        }

        final int index = streamIds.indexOf(streamId);
        if (index < 0 || index >= streams.length ||
            (receivers != ANY_RECEIVER && receiverFor(index, receivers) != receiverIndex))
        {
            wrongStream.increment();
            return;
        }
        if (sequence >= Integer.MAX_VALUE)
        {
            corrupt.increment();
            return;
        }

        final int outcome = streams[index].record((int)sequence);
        if (StreamState.DUPLICATE == outcome)
        {
            duplicates.increment();
            return;
        }
        if (StreamState.OUT_OF_ORDER == outcome)
        {
            outOfOrder.increment();
        }
        delivered.increment();
        final long gapNs = streams[index].arrived(nowNs);
        if (!warmup || sendTimeNs - measureFromNs >= 0)
        {
            measured.increment();
            latencyRecorder.recordValue(Math.max(0, nowNs - sendTimeNs));
            if (gapNs >= 0)
            {
                interArrivalRecorder.recordValue(gapNs);
            }
        }
    }

    /**
     * Record latency only for datagrams stamped at or after this time (the end of the warm-up).
     *
     * @param nanoTime a {@link System#nanoTime()} value.
     */
    void measureFrom(final long nanoTime)
    {
        measureFromNs = nanoTime;
        warmup = true;
    }

    /**
     * @return datagrams delivered intact, once, that were stamped inside the measured window.
     */
    long measured()
    {
        return measured.sum();
    }

    /**
     * @param recycle a histogram this method returned before, or null.
     * @return latencies in nanoseconds recorded since the previous call.
     */
    Histogram intervalLatencies(final Histogram recycle)
    {
        return latencyRecorder.getIntervalHistogram(recycle);
    }

    /**
     * @param recycle a histogram this method returned before, or null.
     * @return in nanoseconds, the times between two consecutive datagrams of a stream arriving (delivered, once
     * each), recorded since the previous call, for the datagrams inside the measured window.
     */
    Histogram intervalInterArrivals(final Histogram recycle)
    {
        return interArrivalRecorder.getIntervalHistogram(recycle);
    }

    /**
     * @param sentPerStream datagrams each stream sent, by stream index.
     * @return datagrams sent that never arrived.
     */
    long lost(final long[] sentPerStream)
    {
        long lost = 0;
        for (int i = 0; i < streams.length; i++)
        {
            lost += Math.max(0, sentPerStream[i] - streams[i].unique());
        }
        return lost;
    }

    /**
     * @return by stream index, the datagrams that arrived intact, once each: with --echo, what the sinks sent
     * back, which the return ledger's {@link #lost(long[])} counts against.
     */
    long[] deliveredPerStream()
    {
        final long[] delivered = new long[streams.length];
        for (int i = 0; i < streams.length; i++)
        {
            delivered[i] = streams[i].unique();
        }
        return delivered;
    }

    long received()
    {
        return received.sum();
    }

    long delivered()
    {
        return delivered.sum();
    }

    long duplicates()
    {
        return duplicates.sum();
    }

    long outOfOrder()
    {
        return outOfOrder.sum();
    }

    long corrupt()
    {
        return corrupt.sum();
    }

    long wrongStream()
    {
        return wrongStream.sum();
    }

    long leaked()
    {
        return leaked.sum();
    }

    private static final class StreamState
    {
        static final int IN_ORDER = 0;
        static final int OUT_OF_ORDER = 1;
        static final int DUPLICATE = 2;

        private final BitSet seen = new BitSet();
        private long highest = -1;
        private long unique;
        private long lastArrivalNs;
        private boolean arrivedBefore;

        synchronized int record(final int sequence)
        {
            if (seen.get(sequence))
            {
                return DUPLICATE;
            }
            seen.set(sequence);
            unique++;
            if (sequence < highest)
            {
                return OUT_OF_ORDER;
            }
            highest = sequence;
            return IN_ORDER;
        }

        /**
         * @return nanoseconds since the stream's previous arrival, or -1 for its first.
         */
        synchronized long arrived(final long nowNs)
        {
            final long gapNs = arrivedBefore ? Math.max(0, nowNs - lastArrivalNs) : -1;
            lastArrivalNs = nowNs;
            arrivedBefore = true;
            return gapNs;
        }

        synchronized long unique()
        {
            return unique;
        }
    }
}
