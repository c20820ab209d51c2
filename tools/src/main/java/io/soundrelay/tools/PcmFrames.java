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

import io.soundrelay.protocol.FrameFlyweight;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The audio the WAV commands move through a relay: 16-bit PCM cut in frames of 20 ms (or 10 or 5), one SoundRelay
 * frame each, and the picocli converters of their options.
 */
final class PcmFrames
{
    /** 20 ms frames, the default: 50 a second. */
    static final int FRAMES_PER_SECOND = 50;
    static final int DEFAULT_FRAME_MS = 1000 / FRAMES_PER_SECOND;
    /** The frame durations wav-send offers, in ms. */
    static final int[] FRAME_MS_CHOICES = { 5, 10, 20 };
    /** A 20 ms frame's timestamp step on the 48 kHz clock of PROTOCOL.md section 1. */
    static final int TIMESTAMP_STEP = 48_000 / FRAMES_PER_SECOND;
    /** Ticks of the frames' 48 kHz timestamp clock per ms, whatever the audio's own rate. */
    static final int TIMESTAMP_TICKS_PER_MS = 48;
    /** Flags bits 0-1 = 1: PCM s16le 48 kHz stereo interleaved. */
    static final byte FLAGS_PCM = FrameFlyweight.KIND_PCM;
    static final int RELAY_PCM_RATE = 48_000;
    static final int RELAY_PCM_CHANNELS = 2;

    static final int MIN_RATE = 8_000;
    static final int MAX_RATE = 192_000;
    static final int MAX_CHANNELS = 8;

    private PcmFrames()
    {
    }

    /**
     * @return why {@code rate} Hz cannot be cut in 20 ms frames, or null when it can.
     */
    static String checkRate(final int rate)
    {
        return checkRate(rate, DEFAULT_FRAME_MS);
    }

    /**
     * @return why {@code rate} Hz cannot be cut in frames of {@code frameMs}, or null when it can.
     */
    static String checkRate(final int rate, final int frameMs)
    {
        if (rate <= 0 || ((long)rate * frameMs) % 1000 != 0)
        {
            final int multiple = 1000 / gcd(1000, frameMs);
            return rate + " Hz: " + frameMs + " ms is not a whole number of samples; use a rate that is a multiple " +
                "of " + multiple + " Hz (" + (DEFAULT_FRAME_MS == frameMs ?
                "8000, 16000, 22050, 24000, 32000, 44100, 48000)" : "8000, 16000, 24000, 32000, 48000)");
        }
        return null;
    }

    /**
     * @return why a {@code --rate}/{@code --channels} pair is refused for 20 ms frames, or null when it is fine.
     */
    static String checkOptions(final int rate, final int channels)
    {
        final String formatProblem = checkFormat(rate, channels);
        if (null != formatProblem)
        {
            return formatProblem;
        }
        final String rateProblem = checkRate(rate);
        return null == rateProblem ? null : "--rate=" + rateProblem;
    }

    /**
     * @return why a {@code --rate}/{@code --channels} pair is out of range, or null when it is fine.
     */
    static String checkFormat(final int rate, final int channels)
    {
        if (rate < MIN_RATE || rate > MAX_RATE)
        {
            return "--rate=" + rate + ": must be " + MIN_RATE + "-" + MAX_RATE;
        }
        if (channels < 1 || channels > MAX_CHANNELS)
        {
            return "--channels=" + channels + ": must be 1-" + MAX_CHANNELS;
        }
        return null;
    }

    /**
     * @return why {@code frameMs} is not a frame duration wav-send offers, or null when it is.
     */
    static String checkFrameMs(final int frameMs)
    {
        for (final int choice : FRAME_MS_CHOICES)
        {
            if (choice == frameMs)
            {
                return null;
            }
        }
        return "--frame-ms=" + frameMs + ": must be 5, 10 or 20";
    }

    /**
     * @return bytes of 20 ms of 16-bit audio: {@code rate * channels * 2 / 50}.
     */
    static int frameBytes(final int rate, final int channels)
    {
        return frameBytes(rate, channels, DEFAULT_FRAME_MS);
    }

    /**
     * @return bytes of {@code frameMs} of 16-bit audio, for a rate {@link #checkRate(int, int)} accepts.
     */
    static int frameBytes(final int rate, final int channels, final int frameMs)
    {
        return (int)((long)rate * frameMs / 1000) * channels * WavFile.BYTES_PER_SAMPLE;
    }

    /**
     * @return the timestamp step of a frame of {@code frameMs}: the frames' clock is 48 kHz whatever the audio's
     * rate (PROTOCOL.md section 1: +960 per 20 ms).
     */
    static int timestampStep(final int frameMs)
    {
        return TIMESTAMP_TICKS_PER_MS * frameMs;
    }

    /**
     * @return nanoseconds between two frames of {@code frameMs}.
     */
    static long frameNs(final int frameMs)
    {
        return frameMs * 1_000_000L;
    }

    private static int gcd(final int a, final int b)
    {
        return 0 == b ? a : gcd(b, a % b);
    }

    /**
     * @return the frame's payload kind: PCM when the audio is what the relay calls PCM (48 kHz stereo), else opaque.
     */
    static byte flags(final int rate, final int channels)
    {
        return RELAY_PCM_RATE == rate && RELAY_PCM_CHANNELS == channels ? FLAGS_PCM : FrameFlyweight.KIND_OPAQUE;
    }

    /**
     * @return why a file operation failed, for a person: the NIO exceptions' messages are often only the path.
     */
    static String reason(final IOException ex)
    {
        if (ex instanceof NoSuchFileException)
        {
            return "no such file or directory";
        }
        if (ex instanceof AccessDeniedException)
        {
            return "permission denied";
        }
        if (ex instanceof FileSystemException && null != ((FileSystemException)ex).getReason())
        {
            return ((FileSystemException)ex).getReason();
        }
        return null == ex.getMessage() ? ex.toString() : ex.getMessage();
    }

    /**
     * {@code host:port} or {@code [v6]:port}, port 1-65535.
     */
    static final class HostPortConverter implements ITypeConverter<InetSocketAddress>
    {
        public InetSocketAddress convert(final String value)
        {
            try
            {
                return GeneratorOptions.parseSocketAddress(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException("'" + value + "': " + ex.getMessage());
            }
        }
    }

    /**
     * {@code host:port} or {@code [v6]:port} to listen on, port 0-65535 (0: any free port).
     */
    static final class ListenAddressConverter implements ITypeConverter<InetSocketAddress>
    {
        public InetSocketAddress convert(final String value)
        {
            final String trimmed = value.trim();
            if (trimmed.endsWith(":0"))
            {
                final InetSocketAddress any = new HostPortConverter().convert(
                    trimmed.substring(0, trimmed.length() - 1) + "1");
                return new InetSocketAddress(any.getAddress(), 0);
            }
            return new HostPortConverter().convert(value);
        }
    }

    /**
     * A stream id: a decimal u64, 1 to 2^64-1.
     */
    static final class StreamIdConverter implements ITypeConverter<Long>
    {
        public Long convert(final String value)
        {
            final long streamId;
            try
            {
                streamId = Long.parseUnsignedLong(value.trim());
            }
            catch (final NumberFormatException ex)
            {
                throw new TypeConversionException("'" + value + "': not a decimal number 1-18446744073709551615");
            }
            if (0 == streamId)
            {
                throw new TypeConversionException("'" + value + "': stream ids start at 1");
            }
            return streamId;
        }
    }
}
