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
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class WavFileTest
{
    @TempDir
    Path dir;

    @Test
    void theCanonicalHeaderHasTheDocumentedFields()
    {
        final ByteBuffer header = ByteBuffer.wrap(WavFile.canonicalHeader(24_000, 2, 960))
            .order(ByteOrder.LITTLE_ENDIAN);

        assertEquals(44, header.capacity());
        assertEquals("RIFF", fourCc(header, 0));
        assertEquals(36 + 960, header.getInt(4));
        assertEquals("WAVE", fourCc(header, 8));
        assertEquals("fmt ", fourCc(header, 12));
        assertEquals(16, header.getInt(16));
        assertEquals(1, header.getShort(20));
        assertEquals(2, header.getShort(22));
        assertEquals(24_000, header.getInt(24));
        assertEquals(96_000, header.getInt(28));
        assertEquals(4, header.getShort(32));
        assertEquals(16, header.getShort(34));
        assertEquals("data", fourCc(header, 36));
        assertEquals(960, header.getInt(40));
    }

    @Test
    void readsBackWhatItWrites() throws IOException
    {
        final byte[] samples = samples(1000);
        final Path file = write("canonical.wav", concat(WavFile.canonicalHeader(48_000, 2, samples.length), samples));

        final WavFile wav = WavFile.open(file);

        assertEquals(48_000, wav.sampleRate());
        assertEquals(2, wav.channels());
        assertEquals(4, wav.blockAlign());
        assertEquals(44, wav.dataOffset());
        assertEquals(1000, wav.dataBytes());
        assertEquals(0, wav.ignoredTrailingBytes());
        assertArrayEquals(samples, readData(wav));
    }

    @Test
    void skipsChunksItDoesNotUseWhereverTheyAre() throws IOException
    {
        final byte[] samples = samples(400);
        final Path file = write("chunky.wav", riff(
            chunk("LIST", "INFOISFT\u0005\u0000\u0000\u0000Lavf".getBytes(StandardCharsets.ISO_8859_1)),
            chunk("junk", new byte[] { 1, 2, 3 }), // odd size: a pad byte follows
            fmt(WavFile.FORMAT_PCM, 1, 16_000, 16, 16),
            chunk("fact", new byte[] { (byte)200, 0, 0, 0 }),
            chunk("data", samples),
            chunk("id3 ", new byte[] { 9, 9, 9, 9 })));

        final WavFile wav = WavFile.open(file);

        assertEquals(16_000, wav.sampleRate());
        assertEquals(1, wav.channels());
        assertEquals(400, wav.dataBytes());
        assertArrayEquals(samples, readData(wav));
    }

    @Test
    void findsTheFormatAfterTheData() throws IOException
    {
        final byte[] samples = samples(64);
        final WavFile wav = WavFile.open(write("late-fmt.wav", riff(
            chunk("data", samples), fmt(WavFile.FORMAT_PCM, 2, 44_100, 16, 16))));

        assertEquals(44_100, wav.sampleRate());
        assertEquals(2, wav.channels());
        assertArrayEquals(samples, readData(wav));
    }

    @Test
    void acceptsExtensiblePcmOfSixteenBits() throws IOException
    {
        final byte[] samples = samples(32);
        final WavFile wav = WavFile.open(write("extensible.wav", riff(
            fmt(WavFile.FORMAT_EXTENSIBLE, 2, 48_000, 16, 40, WavFile.FORMAT_PCM), chunk("data", samples))));

        assertEquals(48_000, wav.sampleRate());
        assertEquals(2, wav.channels());
        assertEquals(32, wav.dataBytes());
    }

    @Test
    void takesTheRestOfTheFileWhenTheDataSizeIsUnknownAndDropsAHalfSampleFrame() throws IOException
    {
        final byte[] samples = samples(101);
        final ByteBuffer header = ByteBuffer.wrap(WavFile.canonicalHeader(8_000, 1, 0)).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(40, -1); // 0xFFFFFFFF, as a streaming writer leaves it

        final WavFile wav = WavFile.open(write("streamed.wav", concat(header.array(), samples)));

        assertEquals(100, wav.dataBytes());
        assertEquals(1, wav.ignoredTrailingBytes());
    }

    @Test
    void refusesWhatIsNotSixteenBitPcmNamingTheFileAndWhy() throws IOException
    {
        final byte[] data = chunk("data", samples(16));
        assertRefused("float.wav", riff(fmt(3, 1, 48_000, 32, 16), data), "IEEE float", "16-bit PCM");
        assertRefused("alaw.wav", riff(fmt(6, 1, 8_000, 8, 16), data), "A-law", "16-bit PCM");
        assertRefused("24bit.wav", riff(fmt(WavFile.FORMAT_PCM, 2, 48_000, 24, 16), data), "24-bit samples");
        assertRefused("8bit.wav", riff(fmt(WavFile.FORMAT_PCM, 1, 8_000, 8, 16), data), "8-bit samples");
        assertRefused("ext-float.wav", riff(fmt(WavFile.FORMAT_EXTENSIBLE, 2, 48_000, 32, 40, 3), data),
            "IEEE float");
        assertRefused("no-data.wav", riff(fmt(WavFile.FORMAT_PCM, 1, 8_000, 16, 16)), "no data chunk");
        assertRefused("no-fmt.wav", riff(data), "no fmt chunk");
        assertRefused("short-fmt.wav", riff(chunk("fmt ", new byte[12]), data), "too short");
        assertRefused("mp3.mp3", "ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"
            .getBytes(StandardCharsets.ISO_8859_1), "not a WAV file");
        assertRefused("tiny.wav", new byte[] { 'R', 'I', 'F', 'F' }, "not a WAV file");
        assertRefused("rifx.wav", "RIFX\u0000\u0000\u0000\u0024WAVE".getBytes(StandardCharsets.ISO_8859_1), "RIFX");

        final ByteBuffer inconsistent = ByteBuffer.wrap(fmt(WavFile.FORMAT_PCM, 2, 48_000, 16, 16))
            .order(ByteOrder.LITTLE_ENDIAN);
        inconsistent.putShort(8 + 12, (short)2); // block align of one channel
        assertRefused("align.wav", riff(inconsistent.array(), data), "inconsistent fmt chunk");
    }

    @Test
    void aToneIsDeterministicFadesInAndStaysBelowHalfScale() throws IOException
    {
        final SineTone tone = new SineTone(440, 24_000, 2, SineTone.sampleFrames(0.5, 24_000));
        final byte[] bytes = tone.readAllBytes();
        final byte[] again = new SineTone(440, 24_000, 2, 12_000).readAllBytes();

        assertEquals(12_000 * 4, bytes.length);
        assertArrayEquals(bytes, again);
        final ByteBuffer samples = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, samples.getShort(0));
        int peak = 0;
        for (int i = 0; i < bytes.length; i += 4)
        {
            assertEquals(samples.getShort(i), samples.getShort(i + 2), "every channel holds the same sample");
            peak = Math.max(peak, Math.abs(samples.getShort(i)));
        }
        final double amplitude = SineTone.DEFAULT_AMPLITUDE * Short.MAX_VALUE;
        assertTrue(peak <= Math.round(amplitude) && peak > amplitude * 0.99, "peak " + peak);
    }

    @Test
    void aToneHasTheAskedAmplitude() throws IOException
    {
        final ByteBuffer samples = ByteBuffer.wrap(new SineTone(440, 48_000, 1, 4800, 0.25).readAllBytes())
            .order(ByteOrder.LITTLE_ENDIAN);
        int peak = 0;
        for (int i = 0; i < samples.capacity(); i += 2)
        {
            peak = Math.max(peak, Math.abs(samples.getShort(i)));
        }
        final double amplitude = 0.25 * Short.MAX_VALUE;
        assertTrue(peak <= Math.round(amplitude) && peak > amplitude * 0.99, "peak " + peak);
    }

    private void assertRefused(final String name, final byte[] content, final String... expected) throws IOException
    {
        final Path file = write(name, content);
        final WavFormatException ex = assertThrows(WavFormatException.class, () -> WavFile.open(file));
        assertTrue(ex.getMessage().startsWith(file + ": "), ex.getMessage());
        for (final String text : expected)
        {
            assertTrue(ex.getMessage().contains(text), () -> "'" + text + "' in: " + ex.getMessage());
        }
    }

    private Path write(final String name, final byte[] content) throws IOException
    {
        return Files.write(dir.resolve(name), content);
    }

    private static byte[] readData(final WavFile wav) throws IOException
    {
        try (InputStream in = wav.openData())
        {
            return in.readAllBytes();
        }
    }

    static byte[] samples(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        return bytes;
    }

    /**
     * @param extensibleSubFormat for a 40-byte chunk only: the sub-format's tag.
     */
    static byte[] fmt(
        final int tag, final int channels, final int rate, final int bits, final int size,
        final int... extensibleSubFormat)
    {
        final int blockAlign = channels * Math.max(1, bits / 8);
        final ByteBuffer body = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        body.putShort((short)tag).putShort((short)channels).putInt(rate).putInt(rate * blockAlign)
            .putShort((short)blockAlign).putShort((short)bits);
        if (size >= 40)
        {
            body.putShort((short)22).putShort((short)bits).putInt(3).putShort((short)extensibleSubFormat[0])
                .put(new byte[] { 0, 0, 0, 0, 0x10, 0, (byte)0x80, 0, 0, (byte)0xAA, 0, 0x38, (byte)0x9B, 0x71 });
        }
        return chunk("fmt ", body.array());
    }

    static byte[] chunk(final String id, final byte[] body)
    {
        final ByteBuffer chunk = ByteBuffer.allocate(8 + body.length + (body.length & 1))
            .order(ByteOrder.LITTLE_ENDIAN);
        chunk.put(id.getBytes(StandardCharsets.US_ASCII)).putInt(body.length).put(body);
        return chunk.array();
    }

    static byte[] riff(final byte[]... chunks)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("WAVE".getBytes(StandardCharsets.US_ASCII));
        for (final byte[] chunk : chunks)
        {
            body.writeBytes(chunk);
        }
        final ByteBuffer riff = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        riff.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(body.size());
        return concat(riff.array(), body.toByteArray());
    }

    static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] result = new byte[a.length + b.length];
        System.arraycopy(a, 0, result, 0, a.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }

    private static String fourCc(final ByteBuffer buffer, final int offset)
    {
        final byte[] id = new byte[4];
        buffer.get(offset, id);
        return new String(id, StandardCharsets.US_ASCII);
    }
}
