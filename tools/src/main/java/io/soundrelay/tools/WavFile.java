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

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A 16-bit PCM WAV file: its format and where its samples are. Reading walks the RIFF chunks, so chunks other than
 * {@code fmt } and {@code data} (LIST, fact, cue, ...) are skipped wherever they are; writing produces the canonical
 * 44-byte header, all integers little-endian:
 * <pre>
 *   offset  size  field
 *        0     4  "RIFF"
 *        4     4  36 + data bytes (+ 1 pad byte when odd)
 *        8     4  "WAVE"
 *       12     4  "fmt "
 *       16     4  16
 *       20     2  1 (PCM)
 *       22     2  channels
 *       24     4  sample rate
 *       28     4  byte rate = rate * channels * 2
 *       32     2  block align = channels * 2
 *       34     2  16 (bits per sample)
 *       36     4  "data"
 *       40     4  data bytes
 *       44     n  samples, s16le interleaved
 * </pre>
 */
public final class WavFile
{
    public static final int CANONICAL_HEADER_LENGTH = 44;
    public static final int BITS_PER_SAMPLE = 16;
    public static final int BYTES_PER_SAMPLE = BITS_PER_SAMPLE / Byte.SIZE;
    /** The RIFF size field is a u32 that counts 36 header bytes besides the data. */
    public static final long MAX_DATA_BYTES = 0xFFFF_FFFFL - 36 - 1;

    static final int FORMAT_PCM = 1;
    static final int FORMAT_EXTENSIBLE = 0xFFFE;
    private static final int CHUNK_HEADER_LENGTH = 8;
    private static final int FMT_MIN_LENGTH = 16;
    // cbSize (2), valid bits (2), channel mask (4), then the sub-format GUID whose first two bytes are the format tag.
    private static final int FMT_EXTENSIBLE_LENGTH = 40;
    private static final int EXTENSIBLE_VALID_BITS_OFFSET = 18;
    private static final int EXTENSIBLE_SUB_FORMAT_OFFSET = 24;
    private static final String CONVERT_HINT =
        "convert it to 16-bit PCM, e.g. ffmpeg -i IN -c:a pcm_s16le OUT.wav or sox IN -b 16 -e signed-integer OUT.wav";

    private final Path path;
    private final int sampleRate;
    private final int channels;
    private final long dataOffset;
    private final long dataBytes;
    private final long ignoredTrailingBytes;

    private WavFile(
        final Path path,
        final int sampleRate,
        final int channels,
        final long dataOffset,
        final long dataBytes,
        final long ignoredTrailingBytes)
    {
        this.path = path;
        this.sampleRate = sampleRate;
        this.channels = channels;
        this.dataOffset = dataOffset;
        this.dataBytes = dataBytes;
        this.ignoredTrailingBytes = ignoredTrailingBytes;
    }

    /**
     * Read a WAV file's chunks up to its samples.
     *
     * @return the file's format and where its whole sample frames are.
     * @throws WavFormatException naming the file when it is not a 16-bit PCM WAV file.
     */
    public static WavFile open(final Path path) throws IOException
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            return parse(path, channel);
        }
    }

    /**
     * @return the canonical 44-byte header of a 16-bit PCM WAV file, ready to be followed by {@code dataBytes}.
     */
    public static byte[] canonicalHeader(final int sampleRate, final int channels, final long dataBytes)
    {
        if (dataBytes < 0 || dataBytes > MAX_DATA_BYTES)
        {
            throw new IllegalArgumentException(dataBytes + " bytes of samples do not fit a WAV file (at most " +
                MAX_DATA_BYTES + ")");
        }
        final int blockAlign = channels * BYTES_PER_SAMPLE;
        final ByteBuffer header = ByteBuffer.allocate(CANONICAL_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        header.put(ascii("RIFF")).putInt((int)(36 + dataBytes + (dataBytes & 1))).put(ascii("WAVE"));
        header.put(ascii("fmt ")).putInt(FMT_MIN_LENGTH)
            .putShort((short)FORMAT_PCM)
            .putShort((short)channels)
            .putInt(sampleRate)
            .putInt(sampleRate * blockAlign)
            .putShort((short)blockAlign)
            .putShort((short)BITS_PER_SAMPLE);
        header.put(ascii("data")).putInt((int)dataBytes);
        return header.array();
    }

    public Path path()
    {
        return path;
    }

    public int sampleRate()
    {
        return sampleRate;
    }

    public int channels()
    {
        return channels;
    }

    /**
     * @return bytes of one sample frame: one 16-bit sample per channel.
     */
    public int blockAlign()
    {
        return channels * BYTES_PER_SAMPLE;
    }

    /**
     * @return where the samples start in the file.
     */
    public long dataOffset()
    {
        return dataOffset;
    }

    /**
     * @return bytes of whole sample frames in the data chunk.
     */
    public long dataBytes()
    {
        return dataBytes;
    }

    /**
     * @return bytes at the end of the data chunk that do not make a whole sample frame, left out of
     * {@link #dataBytes()}.
     */
    public long ignoredTrailingBytes()
    {
        return ignoredTrailingBytes;
    }

    public double seconds()
    {
        return (double)dataBytes / ((long)sampleRate * blockAlign());
    }

    /**
     * @return a stream of the {@link #dataBytes()} sample bytes; the caller closes it.
     */
    public InputStream openData() throws IOException
    {
        final FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        channel.position(dataOffset);
        return new BoundedInputStream(new BufferedInputStream(Channels.newInputStream(channel), 65_536), dataBytes);
    }

    public String toString()
    {
        return path + " (" + sampleRate + " Hz, " + channels + " ch, 16-bit PCM, " +
            String.format(java.util.Locale.ROOT, "%.3f s", seconds()) + ")";
    }

    private static WavFile parse(final Path path, final FileChannel channel) throws IOException
    {
        final long fileBytes = channel.size();
        final ByteBuffer riff = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        if (fileBytes < riff.capacity())
        {
            throw bad(path, "not a WAV file (" + fileBytes + " bytes, too short for a RIFF/WAVE header)");
        }
        readFully(path, channel, riff, 0);
        final String riffId = fourCc(riff, 0);
        if ("RIFX".equals(riffId) || "RF64".equals(riffId))
        {
            throw bad(path, riffId + " files are not supported, only little-endian RIFF WAV; " + CONVERT_HINT);
        }
        if (!"RIFF".equals(riffId) || !"WAVE".equals(fourCc(riff, 8)))
        {
            throw bad(path, "not a WAV file (no RIFF/WAVE header)");
        }

        ByteBuffer fmt = null;
        long dataOffset = -1;
        long dataChunkBytes = 0;
        long position = riff.capacity();
        final ByteBuffer chunkHeader = ByteBuffer.allocate(CHUNK_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        while ((null == fmt || dataOffset < 0) && position + CHUNK_HEADER_LENGTH <= fileBytes)
        {
            readFully(path, channel, chunkHeader.clear(), position);
            final String id = fourCc(chunkHeader, 0);
            final long size = chunkHeader.getInt(4) & 0xFFFF_FFFFL;
            final long bodyOffset = position + CHUNK_HEADER_LENGTH;
            final long available = fileBytes - bodyOffset;
            if ("fmt ".equals(id))
            {
                if (size < FMT_MIN_LENGTH || size > available)
                {
                    throw bad(path, "fmt chunk of " + size + " bytes is " +
                        (size < FMT_MIN_LENGTH ? "too short (at least 16)" : "cut short by the end of the file"));
                }
                fmt = ByteBuffer.allocate((int)Math.min(size, FMT_EXTENSIBLE_LENGTH)).order(ByteOrder.LITTLE_ENDIAN);
                readFully(path, channel, fmt, bodyOffset);
            }
            else if ("data".equals(id))
            {
                dataOffset = bodyOffset;
                // Streaming writers may leave the size at 0xFFFFFFFF and a cut file ends early: take what is there.
                if (size > available)
                {
                    dataChunkBytes = available;
                    break;
                }
                dataChunkBytes = size;
            }
            position = bodyOffset + size + (size & 1);
        }

        if (null == fmt)
        {
            throw bad(path, "no fmt chunk: not a valid WAV file");
        }
        if (dataOffset < 0)
        {
            throw bad(path, "no data chunk: the file holds no samples");
        }
        final int channels = checkFormat(path, fmt);
        final int sampleRate = fmt.getInt(4);
        final int blockAlign = channels * BYTES_PER_SAMPLE;
        final long wholeBytes = dataChunkBytes - dataChunkBytes % blockAlign;
        return new WavFile(path, sampleRate, channels, dataOffset, wholeBytes, dataChunkBytes - wholeBytes);
    }

    /**
     * @return the channel count of a 16-bit PCM fmt chunk.
     */
    private static int checkFormat(final Path path, final ByteBuffer fmt) throws WavFormatException
    {
        int formatTag = fmt.getShort(0) & 0xFFFF;
        final int channels = fmt.getShort(2) & 0xFFFF;
        final long sampleRate = fmt.getInt(4) & 0xFFFF_FFFFL;
        final long byteRate = fmt.getInt(8) & 0xFFFF_FFFFL;
        final int blockAlign = fmt.getShort(12) & 0xFFFF;
        int bits = fmt.getShort(14) & 0xFFFF;
        if (FORMAT_EXTENSIBLE == formatTag)
        {
            if (fmt.capacity() < FMT_EXTENSIBLE_LENGTH)
            {
                throw bad(path, "WAVE_FORMAT_EXTENSIBLE fmt chunk of " + fmt.capacity() + " bytes is too short (40)");
            }
            formatTag = fmt.getShort(EXTENSIBLE_SUB_FORMAT_OFFSET) & 0xFFFF;
            final int validBits = fmt.getShort(EXTENSIBLE_VALID_BITS_OFFSET) & 0xFFFF;
            if (bits == BITS_PER_SAMPLE && validBits != 0 && validBits != bits)
            {
                bits = validBits;
            }
        }
        if (FORMAT_PCM != formatTag)
        {
            throw bad(path, "audio format " + formatName(formatTag) + " is not supported, only 16-bit PCM; " +
                CONVERT_HINT);
        }
        if (BITS_PER_SAMPLE != bits)
        {
            throw bad(path, bits + "-bit samples are not supported, only 16-bit PCM; " + CONVERT_HINT);
        }
        if (0 == channels || 0 == sampleRate || sampleRate > Integer.MAX_VALUE)
        {
            throw bad(path, "fmt chunk gives " + channels + " channels at " + sampleRate + " Hz");
        }
        if (blockAlign != channels * BYTES_PER_SAMPLE || byteRate != sampleRate * blockAlign)
        {
            throw bad(path, "inconsistent fmt chunk: " + channels + " channels of 16 bits at " + sampleRate +
                " Hz, but block align " + blockAlign + " and byte rate " + byteRate);
        }
        return channels;
    }

    private static String formatName(final int tag)
    {
        final String name;
        switch (tag)
        {
            case 2:
                name = "MS ADPCM";
                break;
            case 3:
                name = "IEEE float";
                break;
            case 6:
                name = "A-law";
                break;
            case 7:
                name = "mu-law";
                break;
            case 0x11:
                name = "IMA ADPCM";
                break;
            case 0x55:
                name = "MP3";
                break;
            default:
                name = "";
        }
        final String hex = String.format(java.util.Locale.ROOT, "0x%04X", tag);
        return name.isEmpty() ? hex : name + " (" + hex + ")";
    }

    private static void readFully(final Path path, final FileChannel channel, final ByteBuffer buffer, final long at)
        throws IOException
    {
        long position = at;
        while (buffer.hasRemaining())
        {
            final int read = channel.read(buffer, position);
            if (read < 0)
            {
                throw new EOFException(path + ": unexpected end of file at byte " + position);
            }
            position += read;
        }
        buffer.flip();
    }

    private static String fourCc(final ByteBuffer buffer, final int offset)
    {
        final byte[] id = new byte[4];
        buffer.get(offset, id);
        return new String(id, StandardCharsets.ISO_8859_1);
    }

    private static byte[] ascii(final String fourCc)
    {
        return fourCc.getBytes(StandardCharsets.US_ASCII);
    }

    private static WavFormatException bad(final Path path, final String why)
    {
        return new WavFormatException(path + ": " + why);
    }

    /**
     * Reads at most a given number of bytes of the wrapped stream, then reports the end.
     */
    private static final class BoundedInputStream extends FilterInputStream
    {
        private long remaining;

        BoundedInputStream(final InputStream in, final long limit)
        {
            super(in);
            this.remaining = limit;
        }

        public int read() throws IOException
        {
            if (remaining <= 0)
            {
                return -1;
            }
            final int b = super.read();
            if (b >= 0)
            {
                remaining--;
            }
            return b;
        }

        public int read(final byte[] b, final int off, final int len) throws IOException
        {
            if (remaining <= 0)
            {
                return -1;
            }
            final int read = super.read(b, off, (int)Math.min(len, remaining));
            if (read > 0)
            {
                remaining -= read;
            }
            return read;
        }

        public long skip(final long n) throws IOException
        {
            final long skipped = super.skip(Math.min(n, remaining));
            remaining -= skipped;
            return skipped;
        }

        public int available() throws IOException
        {
            return (int)Math.min(super.available(), remaining);
        }

        public boolean markSupported()
        {
            return false;
        }
    }
}
