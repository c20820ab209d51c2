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
package io.soundrelay.examples.jdabot;

import net.dv8tion.jda.api.audio.AudioSendHandler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the bot plays, in a loop: 20 ms at a time of 48 kHz stereo 16-bit PCM, which JDA encodes to Opus. JDA wants
 * the samples big-endian ({@link AudioSendHandler#INPUT_FORMAT}); WAV files hold them little-endian, so a file's
 * bytes are swapped once, when it is read.
 */
final class PcmAudio implements AudioSendHandler
{
    static final int SAMPLE_RATE = 48_000;
    static final int CHANNELS = 2;
    /** 20 ms: 960 samples of 2 channels of 2 bytes. */
    static final int FRAME_BYTES = SAMPLE_RATE / 50 * CHANNELS * 2;
    static final long MAX_WAV_BYTES = 256L * 1024 * 1024;

    private final byte[] pcm;
    private final String description;
    private int offset;

    private PcmAudio(final byte[] pcm, final String description)
    {
        this.pcm = pcm;
        this.description = description;
    }

    /**
     * @param hz        the tone's frequency; a whole number of cycles per second loops without a click.
     * @param amplitude 0 to 1 of full scale.
     * @return one second of a sine tone on both channels, played in a loop.
     */
    static PcmAudio tone(final int hz, final double amplitude)
    {
        final ByteBuffer pcm = ByteBuffer.allocate(SAMPLE_RATE * CHANNELS * 2).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < SAMPLE_RATE; i++)
        {
            final double phase = 2 * Math.PI * hz * i / SAMPLE_RATE;
            final short sample = (short)Math.round(amplitude * Short.MAX_VALUE * Math.sin(phase));
            pcm.putShort(sample).putShort(sample);
        }
        return new PcmAudio(pcm.array(), "a " + hz + " Hz tone");
    }

    /**
     * @param file a 48 kHz stereo 16-bit PCM WAV file.
     * @return its samples, played in a loop.
     * @throws IOException              when the file cannot be read.
     * @throws IllegalArgumentException saying what is wrong with the file and how to convert it.
     */
    static PcmAudio wav(final Path file) throws IOException
    {
        if (Files.size(file) > MAX_WAV_BYTES)
        {
            throw new IllegalArgumentException("larger than " + MAX_WAV_BYTES / (1024 * 1024) + " MiB");
        }
        final ByteBuffer wav = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (wav.remaining() < 12 || !tag(wav, 0).equals("RIFF") || !tag(wav, 8).equals("WAVE"))
        {
            throw new IllegalArgumentException("not a WAV file (no RIFF/WAVE header)");
        }
        boolean formatSeen = false;
        int position = 12;
        while (position + 8 <= wav.limit())
        {
            final String id = tag(wav, position);
            final long size = wav.getInt(position + 4) & 0xFFFF_FFFFL;
            final int body = position + 8;
            if (size > wav.limit() - body)
            {
                throw new IllegalArgumentException("chunk '" + id + "' runs past the end of the file");
            }
            if (id.equals("fmt "))
            {
                checkFormat(wav, body, (int)size);
                formatSeen = true;
            }
            else if (id.equals("data"))
            {
                if (!formatSeen)
                {
                    throw new IllegalArgumentException("no 'fmt ' chunk before the samples");
                }
                return new PcmAudio(bigEndianFrames(wav, body, (int)size), file.getFileName().toString());
            }
            position = body + (int)size + (int)(size & 1); // chunks are padded to an even length
        }
        throw new IllegalArgumentException("no 'data' chunk");
    }

    @Override
    public boolean canProvide()
    {
        return true;
    }

    @Override
    public ByteBuffer provide20MsAudio()
    {
        final ByteBuffer frame = ByteBuffer.wrap(pcm, offset, FRAME_BYTES);
        offset = (offset + FRAME_BYTES) % pcm.length;
        return frame;
    }

    @Override
    public boolean isOpus()
    {
        return false;
    }

    @Override
    public String toString()
    {
        return description;
    }

    private static void checkFormat(final ByteBuffer wav, final int body, final int size)
    {
        if (size < 16)
        {
            throw new IllegalArgumentException("'fmt ' chunk too short");
        }
        int format = wav.getShort(body) & 0xFFFF;
        if (format == 0xFFFE && size >= 26)
        {
            format = wav.getShort(body + 24) & 0xFFFF; // WAVE_FORMAT_EXTENSIBLE: the sub-format's tag
        }
        final int channels = wav.getShort(body + 2) & 0xFFFF;
        final int rate = wav.getInt(body + 4);
        final int bits = wav.getShort(body + 14) & 0xFFFF;
        if (format != 1 || channels != CHANNELS || rate != SAMPLE_RATE || bits != 16)
        {
            throw new IllegalArgumentException((format == 1 ? "PCM" : "format " + format) + ", " + channels +
                " channel(s), " + rate + " Hz, " + bits + "-bit; need PCM, 2 channels, 48000 Hz, 16-bit" +
                " (convert: ffmpeg -i IN -ar 48000 -ac 2 -c:a pcm_s16le OUT.wav)");
        }
    }

    private static byte[] bigEndianFrames(final ByteBuffer wav, final int body, final int size)
    {
        final int bytes = size / 4 * 4; // whole stereo samples
        final int frames = (bytes + FRAME_BYTES - 1) / FRAME_BYTES;
        if (frames == 0)
        {
            throw new IllegalArgumentException("no samples");
        }
        final byte[] pcm = new byte[frames * FRAME_BYTES]; // the last frame padded with silence
        for (int i = 0; i < bytes; i += 2)
        {
            pcm[i] = wav.get(body + i + 1);
            pcm[i + 1] = wav.get(body + i);
        }
        return pcm;
    }

    private static String tag(final ByteBuffer wav, final int position)
    {
        final byte[] tag = new byte[4];
        wav.get(position, tag);
        return new String(tag, StandardCharsets.US_ASCII);
    }
}
