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

import java.util.BitSet;
import java.util.concurrent.atomic.LongAdder;

/**
 * What arrived of each stream, by the frames' 32-bit sequence numbers: new, duplicate, out of order, and, given what
 * was sent, lost. Streams are {@code firstStreamId + index}; every stream's sequence starts at the same
 * {@code firstSequence} and counts up by one per frame, wrapping from 2^32 - 1 to 0.
 * <p>
 * A sequence is unwrapped against the highest one seen of its stream: it lies within 2^31 either side of it, so
 * 0 after 0xFFFFFFFF is one frame later, not four billion earlier. An unwrapped sequence is the frame's offset from
 * {@code firstSequence}; a bitmap of offsets tells new from duplicate, and the highest offset in order from out of
 * order (a frame that arrives after a later one). An offset before the first frame, or 2^31 frames or more after
 * it, cannot be anything the sender sent: it is counted as unexpected.
 * <p>
 * The {@link DeliveryLedger} of loadgen keys its bitmap on the payload's 63-bit sequence and does not wrap; this
 * ledger is the one for the frame header's u32. One receiver thread records, any thread may read the totals; a
 * stream's counts are locked while one datagram of it is recorded.
 */
final class SequenceLedger implements Receiver.Sink
{
    /** How a datagram counted. */
    enum Outcome
    {
        /** New, and later than every frame of its stream so far. */
        IN_ORDER,
        /** New, but a later frame of its stream arrived before it. */
        OUT_OF_ORDER,
        /** Seen before. */
        DUPLICATE,
        /** Not a frame the sender can have sent: before the first, or 2^31 frames or more after it. */
        UNEXPECTED
    }

    /**
     * One stream's counts.
     *
     * @param sent       frames the sender sent.
     * @param received   datagrams that arrived, duplicates and unexpected ones included.
     * @param lost       frames sent that never arrived.
     * @param duplicated datagrams that repeated a frame already received.
     * @param reordered  frames that arrived after a later frame of the stream.
     * @param unexpected datagrams that are no frame sent: before the first, or at or after {@code sent}.
     */
    record Counts(long sent, long received, long lost, long duplicated, long reordered, long unexpected)
    {
    }

    private final long firstStreamId;
    private final int firstSequence;
    private final StreamState[] streams;
    private final LongAdder received = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder unknownStream = new LongAdder();
    private volatile long lastArrivalNs = System.nanoTime();

    /**
     * @param firstSequence the u32 sequence of every stream's first frame, as an int.
     */
    SequenceLedger(final long firstStreamId, final int streamCount, final int firstSequence)
    {
        this.firstStreamId = firstStreamId;
        this.firstSequence = firstSequence;
        this.streams = new StreamState[streamCount];
        for (int i = 0; i < streamCount; i++)
        {
            streams[i] = new StreamState();
        }
    }

    /**
     * Record the arrival of frame {@code sequence} of the stream at {@code streamIndex}.
     *
     * @param sequence the frame header's u32 sequence, as an int.
     * @return how it counted.
     */
    Outcome record(final int streamIndex, final int sequence)
    {
        received.increment();
        return streams[streamIndex].record(sequence, firstSequence);
    }

    /**
     * A datagram that verified: counted against its stream, or as an unknown stream when its id is none of the
     * ledger's.
     *
     * @param sequence the frame's sequence; its low 32 bits are the header's.
     */
    public void onVerified(
        final int receiverIndex, final long streamId, final long sequence, final long sendTimeNs, final long nowNs)
    {
        lastArrivalNs = nowNs;
        final long index = streamId - firstStreamId;
        if (index < 0 || index >= streams.length)
        {
            received.increment();
            unknownStream.increment();
            return;
        }
        record((int)index, (int)sequence);
    }

    /**
     * A datagram that is not byte for byte a frame the sender sent.
     */
    public void onCorrupt()
    {
        lastArrivalNs = System.nanoTime();
        received.increment();
        corrupt.increment();
    }

    /**
     * @param sent frames the sender sent on the stream.
     * @return the stream's counts.
     */
    Counts counts(final int streamIndex, final long sent)
    {
        return streams[streamIndex].counts(sent);
    }

    /**
     * @return every datagram recorded: of the streams, of unknown streams, and corrupt ones.
     */
    long received()
    {
        return received.sum();
    }

    /**
     * @return datagrams that failed the byte-for-byte check.
     */
    long corrupt()
    {
        return corrupt.sum();
    }

    /**
     * @return datagrams that verified but carry a stream id that is none of the ledger's.
     */
    long unknownStream()
    {
        return unknownStream.sum();
    }

    /**
     * @return the {@link System#nanoTime()} of the last datagram, or of the ledger's creation before the first.
     */
    long lastArrivalNs()
    {
        return lastArrivalNs;
    }

    private static final class StreamState
    {
        private final BitSet seen = new BitSet();
        private long highest = -1;
        private long received;
        private long duplicated;
        private long reordered;
        private long unexpected;

        synchronized Outcome record(final int sequence, final int firstSequence)
        {
            received++;
            // The signed 32-bit distance from the highest frame seen, on the wrapping circle of u32 sequences.
            final int distance = sequence - (int)(firstSequence + highest);
            final long offset = highest + distance;
            if (offset < 0 || offset >= Integer.MAX_VALUE)
            {
                unexpected++;
                return Outcome.UNEXPECTED;
            }
            if (seen.get((int)offset))
            {
                duplicated++;
                return Outcome.DUPLICATE;
            }
            seen.set((int)offset);
            if (offset < highest)
            {
                reordered++;
                return Outcome.OUT_OF_ORDER;
            }
            highest = offset;
            return Outcome.IN_ORDER;
        }

        synchronized Counts counts(final long sent)
        {
            final int end = (int)Math.min(Math.max(0, sent), Integer.MAX_VALUE);
            final long arrived = seen.get(0, end).cardinality();
            final long beyondSent = seen.cardinality() - arrived;
            return new Counts(sent, received, sent - arrived, duplicated, reordered, unexpected + beyondSent);
        }
    }
}
