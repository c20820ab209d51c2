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
package io.soundrelay.io.mix;

import io.github.jaredmdobson.concentus.OpusApplication;
import io.github.jaredmdobson.concentus.OpusBandwidth;
import io.github.jaredmdobson.concentus.OpusEncoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.github.jaredmdobson.concentus.OpusMode;
import io.github.jaredmdobson.concentus.OpusRepacketizer;

/**
 * One Opus output stream of a room (its full mix, or one member's mix-minus): an encoder that keeps its state
 * from period to period, 48 kHz stereo, {@code OPUS_APPLICATION_AUDIO}, Concentus defaults otherwise.
 * <p>
 * The encoder takes frames of up to 60 ms only. A period it cannot take in one call (80, 100 or 120 ms, or a
 * multi-frame period such as 3 x 2.5 ms) is encoded as equal CELT-only, full-band, stereo sub-frames of at most
 * 20 ms, joined into one packet by the repacketizer: forcing mode, bandwidth and channels keeps every sub-frame's
 * TOC configuration equal, which the repacketizer requires.
 */
final class MixEncoder
{
    /** Longest Opus frame, in bytes. */
    private static final int MAX_FRAME_BYTES = 1275;
    /** Frame sizes (per channel, 48 kHz) that one encoder call accepts. */
    private static final int[] SINGLE_CALL_SIZES = { 120, 240, 480, 960, 1920, 2880 };
    /** CELT frame sizes for sub-frames, longest first. */
    private static final int[] SUB_FRAME_SIZES = { 960, 480, 240, 120 };

    private final OpusEncoder encoder;
    private final int periodSamples;
    private final int subFrameSamples;
    private final int subFrames;
    private final int subPacketBytes;
    private final OpusRepacketizer repacketizer;
    private final byte[] subPackets;

    /**
     * @param periodSamples   samples per channel in one period; a whole Opus packet duration (multiple of 120,
     *                        at most 5760).
     * @param maxPayloadBytes longest packet the output datagram can carry.
     */
    MixEncoder(final int periodSamples, final int maxPayloadBytes)
    {
        this.periodSamples = periodSamples;
        try
        {
            encoder = new OpusEncoder(RoomMixer.SAMPLE_RATE, RoomMixer.CHANNELS,
                OpusApplication.OPUS_APPLICATION_AUDIO);
        }
        catch (final OpusException ex)
        {
            throw new IllegalStateException("cannot create an Opus encoder", ex);
        }
        if (isSingleCallSize(periodSamples))
        {
            subFrameSamples = periodSamples;
            subFrames = 1;
            subPacketBytes = 0;
            repacketizer = null;
            subPackets = null;
        }
        else
        {
            int size = SUB_FRAME_SIZES[SUB_FRAME_SIZES.length - 1];
            for (final int candidate : SUB_FRAME_SIZES)
            {
                if (periodSamples % candidate == 0)
                {
                    size = candidate;
                    break;
                }
            }
            subFrameSamples = size;
            subFrames = periodSamples / size;
            // Code 3 VBR packet: TOC and count bytes, a length of at most 2 bytes for all but the last frame,
            // then each frame without its own TOC byte.
            final int perFrame = (maxPayloadBytes - 2 - 2 * (subFrames - 1)) / subFrames;
            subPacketBytes = Math.min(MAX_FRAME_BYTES, perFrame) + 1;
            repacketizer = new OpusRepacketizer();
            subPackets = new byte[subFrames * subPacketBytes];
            encoder.setForceMode(OpusMode.MODE_CELT_ONLY);
            encoder.setBandwidth(OpusBandwidth.OPUS_BANDWIDTH_FULLBAND);
            encoder.setForceChannels(RoomMixer.CHANNELS);
        }
    }

    private static boolean isSingleCallSize(final int samples)
    {
        for (final int size : SINGLE_CALL_SIZES)
        {
            if (size == samples)
            {
                return true;
            }
        }
        return false;
    }

    int periodSamples()
    {
        return periodSamples;
    }

    /**
     * Forget the stream's history, as for a new stream: the room's format was set again.
     */
    void reset()
    {
        encoder.resetState();
    }

    /**
     * Encode one period.
     *
     * @param pcm       interleaved stereo, {@link #periodSamples()} samples per channel.
     * @param out       where the packet goes.
     * @param outOffset at which it starts.
     * @param maxBytes  longest packet allowed.
     * @return packet length, or -1 when the encoder failed (its state is reset; the period is not sent).
     */
    int encode(final short[] pcm, final byte[] out, final int outOffset, final int maxBytes)
    {
        try
        {
            if (subFrames == 1)
            {
                return encoder.encode(pcm, 0, periodSamples, out, outOffset, maxBytes);
            }
            repacketizer.Reset();
            for (int i = 0; i < subFrames; i++)
            {
                final int at = i * subPacketBytes;
                final int length = encoder.encode(
                    pcm, i * subFrameSamples * RoomMixer.CHANNELS, subFrameSamples, subPackets, at, subPacketBytes);
                if (repacketizer.addPacket(subPackets, at, length) != 0)
                {
                    encoder.resetState();
                    return -1;
                }
            }
            final int length = repacketizer.createPacket(out, outOffset, maxBytes);
            return length > 0 ? length : -1;
        }
        catch (final OpusException | RuntimeException ex)
        {
            encoder.resetState();
            return -1;
        }
    }
}
