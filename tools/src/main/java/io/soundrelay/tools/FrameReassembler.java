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
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts received frame payloads back in sequence order. A frame's place is its sequence relative to the first frame
 * received, wrap-safe (a u32 difference read as signed), so a frame that overtook another is put back, a duplicate
 * is counted and dropped, and a gap is counted and written as silence. Memory is bounded: a frame that would make the
 * audio span more than {@code maxFrames} or hold more than {@code maxBytes} is refused.
 */
final class FrameReassembler
{
    /** What became of an offered frame. */
    enum Outcome
    {
        PLACED, DUPLICATE, OVER_LIMIT
    }

    private final TreeMap<Long, byte[]> frames = new TreeMap<>();
    private final long maxFrames;
    private final long maxBytes;
    private long firstSequence;
    private long minIndex;
    private long maxIndex;
    private long storedBytes;
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
        if (newMax - newMin + 1 > maxFrames || storedBytes + payload.length > maxBytes)
        {
            return Outcome.OVER_LIMIT;
        }
        if (index < maxIndex)
        {
            reordered++;
        }
        frames.put(index, payload);
        storedBytes += payload.length;
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
