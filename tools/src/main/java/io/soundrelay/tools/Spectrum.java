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
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The spectrum of a 16-bit PCM WAV file, per channel, averaged over Blackman-Harris windowed segments that overlap by
 * half (Welch's method): the level of given frequencies (Goertzel, at exactly those frequencies) and the strongest
 * peaks (FFT, frequency refined by parabolic interpolation). Levels are dBFS of a sine's peak: a full-scale sine is
 * 0 dBFS, one at a quarter of full scale -12 dBFS. The window's sidelobes are 92 dB down, so a tone leaks nothing
 * measurable beyond {@link #MAIN_LOBE_BINS} bins of it; that is also how far apart two frequencies must be to be told
 * apart ({@link #resolutionHz()}).
 */
final class Spectrum
{
    /** Half the width of the Blackman-Harris main lobe, in bins. */
    static final int MAIN_LOBE_BINS = 4;
    /** Segments last a quarter of a second at most: 8192 samples at 48 kHz, 5.9 Hz bins. */
    static final int SEGMENTS_PER_SECOND = 4;
    static final int MIN_SEGMENT_LENGTH = 256;
    /** Peaks are listed down to this far below the strongest bin, and never below {@link #PEAK_FLOOR_DBFS}. */
    static final double PEAK_RANGE_DB = 60;
    static final double PEAK_FLOOR_DBFS = -120;

    private static final double FULL_SCALE = 32_768.0;
    private static final double[] BLACKMAN_HARRIS = { 0.35875, 0.48829, 0.14128, 0.01168 };

    private final int sampleRate;
    private final int channels;
    private final int segmentLength;
    private final double[] frequencies;
    private final double[] window;
    private final double levelOffsetDb;
    private final double[] cos;
    private final double[] sin;
    private final double[][] goertzelPower;
    private final double[][] binPower;
    private final double[] re;
    private final double[] im;
    private long segments;

    private Spectrum(final int sampleRate, final int channels, final int segmentLength, final double[] frequencies)
    {
        this.sampleRate = sampleRate;
        this.channels = channels;
        this.segmentLength = segmentLength;
        this.frequencies = frequencies.clone();
        this.window = new double[segmentLength];
        double windowSum = 0;
        for (int n = 0; n < segmentLength; n++)
        {
            final double phase = 2 * Math.PI * n / segmentLength;
            window[n] = BLACKMAN_HARRIS[0] - BLACKMAN_HARRIS[1] * Math.cos(phase) +
                BLACKMAN_HARRIS[2] * Math.cos(2 * phase) - BLACKMAN_HARRIS[3] * Math.cos(3 * phase);
            windowSum += window[n];
        }
        // A sine of peak a (of full scale) gives |X| = a * FULL_SCALE * windowSum / 2 at its frequency.
        this.levelOffsetDb = 20 * Math.log10(2 / (windowSum * FULL_SCALE));
        this.cos = new double[segmentLength / 2];
        this.sin = new double[segmentLength / 2];
        for (int k = 0; k < segmentLength / 2; k++)
        {
            cos[k] = Math.cos(2 * Math.PI * k / segmentLength);
            sin[k] = Math.sin(2 * Math.PI * k / segmentLength);
        }
        this.goertzelPower = new double[frequencies.length][channels];
        this.binPower = new double[channels][segmentLength / 2 + 1];
        this.re = new double[segmentLength];
        this.im = new double[segmentLength];
    }

    /**
     * @return the segment length for {@code spanFrames} samples per channel at {@code sampleRate}: the largest power
     * of two that is at most a quarter of a second and at most the span, or 0 when the span is under
     * {@link #MIN_SEGMENT_LENGTH}.
     */
    static int segmentLength(final int sampleRate, final long spanFrames)
    {
        final long limit = Math.min(spanFrames, Math.max(MIN_SEGMENT_LENGTH, sampleRate / SEGMENTS_PER_SECOND));
        return limit < MIN_SEGMENT_LENGTH ? 0 : Integer.highestOneBit((int)Math.min(limit, 1 << 30));
    }

    /**
     * Analyse a file's samples from {@code skipFrames} after the start to {@code skipFrames} before the end.
     *
     * @param segmentLength from {@link #segmentLength(int, long)}, not 0.
     * @param frequencies whose levels {@link #levelDbfs(int, int)} gives, each above 0 and below half the rate.
     */
    static Spectrum analyse(final WavFile wav, final long skipFrames, final int segmentLength,
        final double[] frequencies) throws IOException
    {
        final Spectrum spectrum = new Spectrum(wav.sampleRate(), wav.channels(), segmentLength, frequencies);
        final int blockAlign = wav.blockAlign();
        final long totalFrames = wav.dataBytes() / blockAlign;
        final long spanFrames = totalFrames - 2 * skipFrames;
        final int hop = segmentLength / 2;
        final double[][] segment = new double[wav.channels()][segmentLength];
        final byte[] bytes = new byte[segmentLength * blockAlign];
        try (InputStream data = wav.openData())
        {
            data.skipNBytes(skipFrames * blockAlign);
            int filled = 0;
            long remaining = spanFrames;
            while (remaining > 0)
            {
                final int wanted = (int)Math.min(segmentLength - filled, remaining);
                final int read = data.readNBytes(bytes, 0, wanted * blockAlign) / blockAlign;
                if (read < wanted)
                {
                    throw new IOException(wav.path() + ": the samples ended early, the file may be changing");
                }
                for (int i = 0; i < read; i++)
                {
                    for (int c = 0; c < wav.channels(); c++)
                    {
                        final int at = i * blockAlign + c * WavFile.BYTES_PER_SAMPLE;
                        segment[c][filled + i] = (short)((bytes[at] & 0xFF) | (bytes[at + 1] << 8));
                    }
                }
                filled += read;
                remaining -= read;
                if (segmentLength == filled)
                {
                    spectrum.addSegment(segment);
                    for (int c = 0; c < wav.channels(); c++)
                    {
                        System.arraycopy(segment[c], hop, segment[c], 0, segmentLength - hop);
                    }
                    filled = segmentLength - hop;
                }
            }
        }
        return spectrum;
    }

    int segmentLength()
    {
        return segmentLength;
    }

    long segments()
    {
        return segments;
    }

    /**
     * @return the width of a bin, in Hz.
     */
    double binHz()
    {
        return (double)sampleRate / segmentLength;
    }

    /**
     * @return how far apart two frequencies must be for the level of one not to take in the other.
     */
    double resolutionHz()
    {
        return MAIN_LOBE_BINS * binHz();
    }

    /**
     * @return the level of {@code frequencies[index]} in {@code channel}, in dBFS; -Infinity for digital silence.
     */
    double levelDbfs(final int index, final int channel)
    {
        return dbfs(goertzelPower[index][channel]);
    }

    /**
     * @return the level of {@code frequencies[index]} in its loudest channel, in dBFS.
     */
    double levelDbfs(final int index)
    {
        double level = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < channels; c++)
        {
            level = Math.max(level, levelDbfs(index, c));
        }
        return level;
    }

    /**
     * @return at most {@code max} peaks, strongest first: bins that are the loudest within {@link #MAIN_LOBE_BINS}
     * on either side in the loudest channel, within {@link #PEAK_RANGE_DB} of the strongest, above
     * {@link #PEAK_FLOOR_DBFS}, and above DC (its main lobe).
     */
    List<Peak> peaks(final int max)
    {
        final int bins = segmentLength / 2 + 1;
        final double[] levels = new double[bins];
        double strongest = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < bins; k++)
        {
            double power = 0;
            for (int c = 0; c < channels; c++)
            {
                power = Math.max(power, binPower[c][k]);
            }
            levels[k] = dbfs(power);
            if (k > MAIN_LOBE_BINS)
            {
                strongest = Math.max(strongest, levels[k]);
            }
        }

        final List<Peak> peaks = new ArrayList<>();
        final double threshold = Math.max(strongest - PEAK_RANGE_DB, PEAK_FLOOR_DBFS);
        for (int k = MAIN_LOBE_BINS + 1; k < bins - 1; k++)
        {
            if (levels[k] >= threshold && isLocalMaximum(levels, k))
            {
                peaks.add(refine(levels, k));
            }
        }
        peaks.sort(Comparator.comparingDouble(Peak::dbfs).reversed());
        return peaks.size() > max ? new ArrayList<>(peaks.subList(0, max)) : peaks;
    }

    /**
     * A spectral peak: its frequency and level.
     */
    record Peak(double hz, double dbfs)
    {
    }

    private void addSegment(final double[][] segment)
    {
        final int half = segmentLength / 2;
        for (int c = 0; c < channels; c++)
        {
            for (int n = 0; n < segmentLength; n++)
            {
                re[n] = segment[c][n] * window[n];
                im[n] = 0;
            }
            for (int f = 0; f < frequencies.length; f++)
            {
                goertzelPower[f][c] += goertzel(re, segmentLength, 2 * Math.PI * frequencies[f] / sampleRate);
            }
            fft(re, im);
            for (int k = 0; k <= half; k++)
            {
                binPower[c][k] += re[k] * re[k] + im[k] * im[k];
            }
        }
        segments++;
    }

    private double dbfs(final double powerSum)
    {
        if (0 == segments || !(powerSum > 0))
        {
            return Double.NEGATIVE_INFINITY;
        }
        return 10 * Math.log10(powerSum / segments) + levelOffsetDb;
    }

    private static boolean isLocalMaximum(final double[] levels, final int k)
    {
        for (int j = Math.max(0, k - MAIN_LOBE_BINS); j <= Math.min(levels.length - 1, k + MAIN_LOBE_BINS); j++)
        {
            // Strictly above the bins before it, at least as high as those after: one peak per plateau.
            if (j < k ? levels[j] >= levels[k] : j > k && levels[j] > levels[k])
            {
                return false;
            }
        }
        return true;
    }

    private Peak refine(final double[] levels, final int k)
    {
        final double a = levels[k - 1];
        final double b = levels[k];
        final double c = levels[k + 1];
        final double curvature = a - 2 * b + c;
        if (Double.isInfinite(a) || Double.isInfinite(c) || !(curvature < 0))
        {
            return new Peak(k * binHz(), b);
        }
        final double offset = 0.5 * (a - c) / curvature;
        return new Peak((k + offset) * binHz(), b - 0.25 * (a - c) * offset);
    }

    /**
     * @return |X(omega)|^2 of {@code x[0..length)}: the Goertzel recurrence, at any frequency, not only a bin's.
     */
    static double goertzel(final double[] x, final int length, final double omega)
    {
        final double coefficient = 2 * Math.cos(omega);
        double previous = 0;
        double beforePrevious = 0;
        for (int n = 0; n < length; n++)
        {
            final double current = x[n] + coefficient * previous - beforePrevious;
            beforePrevious = previous;
            previous = current;
        }
        return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
    }

    /**
     * In-place iterative radix-2 FFT of a power-of-two length {@link #segmentLength}.
     */
    private void fft(final double[] real, final double[] imaginary)
    {
        final int n = segmentLength;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
            {
                j ^= bit;
            }
            j ^= bit;
            if (i < j)
            {
                final double tr = real[i];
                real[i] = real[j];
                real[j] = tr;
                final double ti = imaginary[i];
                imaginary[i] = imaginary[j];
                imaginary[j] = ti;
            }
        }
        for (int size = 2; size <= n; size <<= 1)
        {
            final int half = size >> 1;
            final int step = n / size;
            for (int start = 0; start < n; start += size)
            {
                for (int k = 0; k < half; k++)
                {
                    final double wr = cos[k * step];
                    final double wi = -sin[k * step];
                    final int top = start + k;
                    final int bottom = top + half;
                    final double xr = real[bottom] * wr - imaginary[bottom] * wi;
                    final double xi = real[bottom] * wi + imaginary[bottom] * wr;
                    real[bottom] = real[top] - xr;
                    imaginary[bottom] = imaginary[top] - xi;
                    real[top] += xr;
                    imaginary[top] += xi;
                }
            }
        }
    }
}
