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

import java.io.InputStream;

/**
 * The samples of a sine tone as 16-bit signed little-endian PCM, the same value on every channel, by default at half
 * of full scale (-6 dBFS), with a 10 ms fade in and out so that it starts and stops without a click. The same
 * arguments give the same bytes on every JVM ({@link StrictMath}).
 */
final class SineTone extends InputStream
{
    /** Peak amplitude as a fraction of full scale: 0.5 is -6 dBFS. */
    static final double DEFAULT_AMPLITUDE = 0.5;
    static final double FADE_SECONDS = 0.01;

    private final double peak;
    private final double radiansPerSample;
    private final int blockAlign;
    private final long sampleFrames;
    private final long fadeFrames;
    private final long lengthBytes;
    private long position;
    private long cachedFrame = -1;
    private int cachedSample;

    /**
     * A tone at {@link #DEFAULT_AMPLITUDE}.
     *
     * @param sampleFrames samples per channel, e.g. {@link #sampleFrames(double, int)}.
     */
    SineTone(final double hz, final int sampleRate, final int channels, final long sampleFrames)
    {
        this(hz, sampleRate, channels, sampleFrames, DEFAULT_AMPLITUDE);
    }

    /**
     * @param sampleFrames samples per channel, e.g. {@link #sampleFrames(double, int)}.
     * @param amplitude peak amplitude as a fraction of full scale, 0-1.
     */
    SineTone(
        final double hz, final int sampleRate, final int channels, final long sampleFrames, final double amplitude)
    {
        this.peak = amplitude * Short.MAX_VALUE;
        this.radiansPerSample = 2 * Math.PI * hz / sampleRate;
        this.blockAlign = channels * WavFile.BYTES_PER_SAMPLE;
        this.sampleFrames = sampleFrames;
        this.fadeFrames = Math.max(1, Math.min(Math.round(FADE_SECONDS * sampleRate), sampleFrames / 2));
        this.lengthBytes = sampleFrames * blockAlign;
    }

    /**
     * @return samples per channel in {@code seconds} of audio, rounded to the nearest.
     */
    static long sampleFrames(final double seconds, final int sampleRate)
    {
        return Math.round(seconds * sampleRate);
    }

    /**
     * @return bytes of all the samples.
     */
    long lengthBytes()
    {
        return lengthBytes;
    }

    /**
     * @return the 16-bit value of sample frame {@code n}.
     */
    int sample(final long n)
    {
        final double gain = Math.min(1.0, Math.min((double)n, (double)(sampleFrames - 1 - n)) / fadeFrames);
        return (int)Math.round(peak * gain * StrictMath.sin(radiansPerSample * n));
    }

    public int read()
    {
        if (position >= lengthBytes)
        {
            return -1;
        }
        return byteAt(position++) & 0xFF;
    }

    public int read(final byte[] b, final int off, final int len)
    {
        if (0 == len)
        {
            return 0;
        }
        if (position >= lengthBytes)
        {
            return -1;
        }
        final int n = (int)Math.min(len, lengthBytes - position);
        for (int i = 0; i < n; i++)
        {
            b[off + i] = byteAt(position + i);
        }
        position += n;
        return n;
    }

    public int available()
    {
        return (int)Math.min(Integer.MAX_VALUE, lengthBytes - position);
    }

    private byte byteAt(final long bytePosition)
    {
        final long frame = bytePosition / blockAlign;
        if (frame != cachedFrame)
        {
            cachedFrame = frame;
            cachedSample = sample(frame);
        }
        // Little-endian: the low byte first. Every sample starts at an even byte.
        return (byte)((bytePosition & 1) == 0 ? cachedSample : cachedSample >> 8);
    }
}
