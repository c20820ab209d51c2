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

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

final class WavFrameReassemblerTest
{
    @Test
    void putsFramesBackInSequenceOrderAndFillsGapsWithSilence() throws IOException
    {
        final FrameReassembler frames = new FrameReassembler(100, 10_000);
        assertEquals(FrameReassembler.Outcome.PLACED, frames.offer(10, payload(0)));
        assertEquals(FrameReassembler.Outcome.PLACED, frames.offer(12, payload(2)));
        assertEquals(FrameReassembler.Outcome.PLACED, frames.offer(11, payload(1)));
        assertEquals(FrameReassembler.Outcome.DUPLICATE, frames.offer(11, payload(9)));
        assertEquals(FrameReassembler.Outcome.PLACED, frames.offer(14, payload(4)));

        assertEquals(4, frames.received());
        assertEquals(10, frames.earliestSequence());
        assertEquals(1, frames.missing(0));
        assertEquals(1, frames.duplicates());
        assertEquals(1, frames.reordered());
        assertEquals(5 * 4, frames.dataBytes(4, 0));
        assertArrayEquals(concat(payload(0), payload(1), payload(2), new byte[4], payload(4)), written(frames, 0));
    }

    @Test
    void aFrameOlderThanTheFirstGoesBeforeItAndTheExpectedCountAddsMissingTailFrames() throws IOException
    {
        final FrameReassembler frames = new FrameReassembler(100, 10_000);
        frames.offer(1, payload(1));
        frames.offer(0, payload(0));

        assertEquals(1, frames.reordered());
        assertEquals(0, frames.earliestSequence());
        assertEquals(0, frames.missing(0));
        assertEquals(2, frames.missing(4));
        assertArrayEquals(concat(payload(0), payload(1), new byte[4], new byte[4]), written(frames, 4));
    }

    @Test
    void sequencesWrapAround() throws IOException
    {
        final FrameReassembler frames = new FrameReassembler(100, 10_000);
        frames.offer(0xFFFF_FFFEL, payload(0));
        frames.offer(0xFFFF_FFFFL, payload(1));
        frames.offer(0, payload(2));
        frames.offer(1, payload(3));

        assertEquals(0, frames.missing(0));
        assertEquals(0, frames.reordered());
        assertEquals(0xFFFF_FFFEL, frames.earliestSequence());
        assertArrayEquals(concat(payload(0), payload(1), payload(2), payload(3)), written(frames, 0));
    }

    @Test
    void refusesAFrameThatWouldOutgrowTheBoundsAndCountsOddSizes()
    {
        final FrameReassembler frames = new FrameReassembler(3, 1_000);
        frames.offer(0, payload(0));
        frames.offer(2, new byte[2]);
        assertEquals(FrameReassembler.Outcome.OVER_LIMIT, frames.offer(3, payload(3)));
        assertEquals(FrameReassembler.Outcome.OVER_LIMIT, new FrameReassembler(10, 7).offer(5, new byte[8]));
        assertEquals(0, frames.misSized(4), "the last frame may be shorter");
        frames.offer(1, new byte[6]);
        assertEquals(1, frames.misSized(4));
    }

    @Test
    void aMissingFrameIsAsLongAsMostFramesWhateverTheirDuration() throws IOException
    {
        final FrameReassembler frames = new FrameReassembler(100, 10_000);
        assertEquals(0, frames.frameBytes());
        frames.offer(0, new byte[6]);
        frames.offer(1, new byte[6]);
        frames.offer(3, new byte[6]);
        frames.offer(4, new byte[2]); // the last frame of a stream may be shorter

        assertEquals(6, frames.frameBytes());
        assertEquals(0, frames.misSized(frames.frameBytes()));
        assertEquals(6 + 6 + 6 + 6 + 2, frames.dataBytes(frames.frameBytes(), 0));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        frames.writeTo(out, frames.frameBytes(), 0);
        assertArrayEquals(concat(new byte[6], new byte[6], new byte[6], new byte[6], new byte[2]), out.toByteArray());
    }

    @Test
    void theByteBoundCountsTheSilenceAFarFrameWouldAdd()
    {
        final FrameReassembler frames = new FrameReassembler(1_000, 40);
        assertEquals(FrameReassembler.Outcome.PLACED, frames.offer(0, payload(0)));
        assertEquals(FrameReassembler.Outcome.PLACED, frames.offer(9, payload(9)));
        // Frame 10 would make 11 frames of 4 bytes, frames and silence: over 40.
        assertEquals(FrameReassembler.Outcome.OVER_LIMIT, frames.offer(10, payload(1)));
        assertEquals(40, frames.dataBytes(frames.frameBytes(), 0));
    }

    private static byte[] written(final FrameReassembler frames, final long expected) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        frames.writeTo(out, 4, expected);
        return out.toByteArray();
    }

    private static byte[] payload(final int n)
    {
        return new byte[] { (byte)n, (byte)(n + 1), (byte)(n + 2), (byte)(n + 3) };
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
