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
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts received frame payloads back in sequence order. A frame's place is its sequence relative to the first frame
 * received, wrap-safe (a u32 difference read as signed), so a frame that overtook another is put back, a duplicate
 * is counted and dropped, and a gap is counted and written as silence: as many zero bytes as most frames hold
 * ({@link #frameBytes()}), so the frame duration need not be known in advance. Memory and output are bounded: a frame
 * that would make the audio span more than {@code maxFrames}, or the output (frames and silence) possibly more than
 * {@code maxBytes}, is refused.
 */
final class FrameReassembler
{
    /** What became of an offered frame. */
    enum Outcome
    {
        PLACED, DUPLICATE, OVER_LIMIT
    }

    private final TreeMap<Long, byte[]> frames = new TreeMap<>();
    private final Map<Integer, Long> lengthCounts = new HashMap<>();
    private final long maxFrames;
    private final long maxBytes;
    private long firstSequence;
    private long minIndex;
    private long maxIndex;
    private long storedBytes;
    private int longestBytes;
    private long duplicates;
    private long reordered;

    FrameReassembler(final long maxFrames, final long maxBytes)
    {
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
    }

    /**
     * @param sequence the frame's u32 sequence.
     * @param payload kept, not copied.
     */
    Outcome offer(final long sequence, final byte[] payload)
    {
        if (frames.isEmpty())
        {
            if (payload.length > maxBytes)
            {
                return Outcome.OVER_LIMIT;
            }
            firstSequence = sequence;
            frames.put(0L, payload);
            storedBytes = payload.length;
            longestBytes = payload.length;
            lengthCounts.merge(payload.length, 1L, Long::sum);
            return Outcome.PLACED;
        }
        final long index = (int)(sequence - firstSequence);
        if (frames.containsKey(index))
        {
            duplicates++;
            return Outcome.DUPLICATE;
        }
        final long newMin = Math.min(minIndex, index);
        final long newMax = Math.max(maxIndex, index);
        final long newSpan = newMax - newMin + 1;
        // No frame is longer than the longest, nor is the silence for a missing one: span x longest bounds the output.
        if (newSpan > maxFrames || newSpan * Math.max(longestBytes, payload.length) > maxBytes)
        {
            return Outcome.OVER_LIMIT;
        }
        if (index < maxIndex)
        {
            reordered++;
        }
        frames.put(index, payload);
        storedBytes += payload.length;
        longestBytes = Math.max(longestBytes, payload.length);
        lengthCounts.merge(payload.length, 1L, Long::sum);
        minIndex = newMin;
        maxIndex = newMax;
        return Outcome.PLACED;
    }

    /**
     * @return the u32 sequence of the earliest frame held.
     */
    long earliestSequence()
    {
        return (firstSequence + minIndex) & 0xFFFF_FFFFL;
    }

    /**
     * @return distinct frames held.
     */
    long received()
    {
        return frames.size();
    }

    long duplicates()
    {
        return duplicates;
    }

    /**
     * @return frames that arrived after a frame with a later sequence.
     */
    long reordered()
    {
        return reordered;
    }

    /**
     * @param expectedFrames frames the stream should have, or 0 when unknown.
     * @return frames from the first to the last held, or {@code expectedFrames} when more.
     */
    long spanFrames(final long expectedFrames)
    {
        return frames.isEmpty() ? 0 : Math.max(maxIndex - minIndex + 1, expectedFrames);
    }

    /**
     * @return the payload length most frames have (of two as common, the longer), the length of a frame's worth of
     * silence; 0 before the first frame.
     */
    int frameBytes()
    {
        int mostCommon = 0;
        long count = 0;
        for (final Map.Entry<Integer, Long> entry : lengthCounts.entrySet())
        {
            if (entry.getValue() > count || entry.getValue() == count && entry.getKey() > mostCommon)
            {
                mostCommon = entry.getKey();
                count = entry.getValue();
            }
        }
        return mostCommon;
    }

    /**
     * @return frames in the span that never arrived.
     */
    long missing(final long expectedFrames)
    {
        return spanFrames(expectedFrames) - frames.size();
    }

    /**
     * @return frames other than the last whose payload is not {@code frameBytes} long: the sender's format differs.
     */
    long misSized(final int frameBytes)
    {
        long count = 0;
        for (final Map.Entry<Long, byte[]> entry : frames.entrySet())
        {
            if (entry.getValue().length != frameBytes && entry.getKey() != maxIndex)
            {
                count++;
            }
        }
        return count;
    }

    /**
     * @return bytes {@link #writeTo} writes.
     */
    long dataBytes(final int silenceBytes, final long expectedFrames)
    {
        return storedBytes + missing(expectedFrames) * (long)silenceBytes;
    }

    /**
     * Write the payloads in sequence order, {@code silenceBytes} of zeros for each missing frame.
     */
    void writeTo(final OutputStream out, final int silenceBytes, final long expectedFrames) throws IOException
    {
        final byte[] silence = new byte[silenceBytes];
        final long endIndex = minIndex + spanFrames(expectedFrames);
        for (long index = minIndex; index < endIndex; index++)
        {
            final byte[] payload = frames.get(index);
            out.write(null == payload ? silence : payload);
        }
    }
}
