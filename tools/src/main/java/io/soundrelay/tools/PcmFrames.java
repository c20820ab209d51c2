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

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The audio the WAV commands move through a relay: 16-bit PCM cut in 20 ms frames, one SoundRelay frame each, and
 * the picocli converters of their options.
 */
final class PcmFrames
{
    /** 20 ms frames: 50 a second. */
    static final int FRAMES_PER_SECOND = 50;
    static final long FRAME_NS = 1_000_000_000L / FRAMES_PER_SECOND;
    /** A frame's timestamp step on the 48 kHz clock of PROTOCOL.md section 1. */
    static final int TIMESTAMP_STEP = 48_000 / FRAMES_PER_SECOND;
    /** Flags bits 0-1 = 1: PCM s16le 48 kHz stereo interleaved. */
    static final byte FLAGS_PCM = 1;
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
        if (rate <= 0 || rate % FRAMES_PER_SECOND != 0)
        {
            return rate + " Hz: 20 ms is not a whole number of samples; use a rate that is a multiple of 50 Hz " +
                "(8000, 16000, 22050, 24000, 32000, 44100, 48000)";
        }
        return null;
    }

    /**
     * @return why a {@code --rate}/{@code --channels} pair is refused, or null when it is fine.
     */
    static String checkOptions(final int rate, final int channels)
    {
        if (rate < MIN_RATE || rate > MAX_RATE)
        {
            return "--rate=" + rate + ": must be " + MIN_RATE + "-" + MAX_RATE;
        }
        final String rateProblem = checkRate(rate);
        if (null != rateProblem)
        {
            return "--rate=" + rateProblem;
        }
        if (channels < 1 || channels > MAX_CHANNELS)
        {
            return "--channels=" + channels + ": must be 1-" + MAX_CHANNELS;
        }
        return null;
    }

    /**
     * @return bytes of 20 ms of 16-bit audio: {@code rate * channels * 2 / 50}.
     */
    static int frameBytes(final int rate, final int channels)
    {
        return rate / FRAMES_PER_SECOND * channels * WavFile.BYTES_PER_SAMPLE;
    }

    /**
     * @return the frame's payload kind: PCM when the audio is what the relay calls PCM (48 kHz stereo), else opaque.
     */
    static byte flags(final int rate, final int channels)
    {
        return RELAY_PCM_RATE == rate && RELAY_PCM_CHANNELS == channels ? FLAGS_PCM : FrameFlyweight.FLAGS_OPAQUE;
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
