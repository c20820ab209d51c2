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

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * wav-spectrum on generated files: the tones of a mixture found at their level, an absent one reported absent, and
 * the check failing when a tone is missing or one that should be absent is there.
 */
final class WavSpectrumCommandTest
{
    @TempDir
    Path dir;

    @Test
    void findsTheThreeTonesOfAMixtureAndReportsAnotherAbsent() throws Exception
    {
        final Path mix = mixture("mix.wav", 48_000, 2, 1.0, 0.25, 440, 660, 880);

        final WavCommandsTest.Run run = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString(),
            "--expect", "440,660,880", "--absent", "550");

        assertEquals(0, run.exitCode, run::toString);
        for (final String hz : new String[] { "440", "660", "880" })
        {
            // Amplitude 0.25 is -12.04 dBFS, on both channels.
            assertTrue(run.out.contains(String.format("expected  %9s    -12.0    -12.0    -12.0  present", hz)),
                () -> hz + " in " + run);
        }
        assertTrue(run.out.contains("absent          550"), run::toString);
        assertTrue(run.out.contains("absent: "), run::toString);
        assertTrue(run.out.contains("wav-spectrum: pass"), run::toString);
        assertEquals("", run.err, run::toString);
    }

    @Test
    void failsWhenAnExpectedToneIsMissing() throws Exception
    {
        final Path mix = mixture("two.wav", 48_000, 2, 1.0, 0.25, 440, 660);

        final WavCommandsTest.Run run = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString(),
            "--expect", "440,660,880");

        assertEquals(1, run.exitCode, run::toString);
        assertTrue(run.out.contains("MISSING"), run::toString);
        assertTrue(run.err.contains("check failed: 880 Hz missing"), run::toString);
        assertFalse(run.err.contains("440 Hz"), run::toString);
        assertTrue(run.out.contains("strongest peaks"), run::toString);
    }

    @Test
    void failsWhenAToneThatShouldBeAbsentIsThereAsInAMixMinusStreamThatKeptItsOwnSource() throws Exception
    {
        final Path mix = mixture("all.wav", 48_000, 2, 1.0, 0.25, 440, 660, 880);

        final WavCommandsTest.Run run = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString(),
            "--expect", "440,660", "--absent", "880");

        assertEquals(1, run.exitCode, run::toString);
        assertTrue(run.out.contains("PRESENT: 0.0 dB above the weakest expected tone (at least 30 below)"),
            run::toString);
        assertTrue(run.err.contains("check failed: 880 Hz present"), run::toString);
    }

    @Test
    void anExpectedToneMustBeWithinMinDbOfTheStrongest() throws Exception
    {
        final Path file = dir.resolve("loud-and-quiet.wav");
        write(file, 48_000, 1, 1.0, new double[] { 440, 1000.3 }, new double[] { 0.25, 0.01 });

        final WavCommandsTest.Run strict = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file",
            file.toString(), "--expect", "440,1000.3");
        final WavCommandsTest.Run lenient = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file",
            file.toString(), "--expect", "440,1000.3", "--min-db", "30");

        assertEquals(1, strict.exitCode, strict::toString);
        // 0.01 is -40 dBFS, 28 dB below 0.25: a level off the bin grid is measured as well as one on it.
        assertTrue(strict.out.contains("expected     1000.3    -40.0  MISSING: 28.0 dB below the strongest tone " +
            "(at most 12)"), strict::toString);
        assertEquals(0, lenient.exitCode, lenient::toString);
    }

    @Test
    void withoutExpectItListsTheStrongestPeaks() throws Exception
    {
        final Path mix = mixture("peaks.wav", 24_000, 1, 1.0, 0.25, 440, 660, 880);

        final WavCommandsTest.Run run = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString());

        assertEquals(0, run.exitCode, run::toString);
        for (final String hz : new String[] { "440", "660", "880" })
        {
            assertTrue(run.out.contains(String.format("%9s    -12.0", hz + ".0")), () -> hz + " in " + run);
        }
        assertEquals(3 + 3, run.out.split("\n").length, run::toString);
    }

    @Test
    void silenceHasNoPeaksAndNoExpectedTone() throws Exception
    {
        final Path file = dir.resolve("silence.wav");
        Files.write(file, WavFileTest.concat(WavFile.canonicalHeader(8000, 1, 16_000), new byte[16_000]));

        final WavCommandsTest.Run peaks = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", file.toString());
        final WavCommandsTest.Run check = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", file.toString(),
            "--expect", "440", "--absent", "1000");

        assertEquals(0, peaks.exitCode, peaks::toString);
        assertTrue(peaks.out.contains("none (silence)"), peaks::toString);
        assertEquals(1, check.exitCode, check::toString);
        assertTrue(check.out.contains("MISSING: below --floor-db -60"), check::toString);
        assertTrue(check.out.contains("absent: digital silence"), check::toString);
    }

    @Test
    void refusesBadInput() throws Exception
    {
        final Path mix = mixture("mix.wav", 48_000, 2, 0.5, 0.25, 440);
        final Path text = Files.writeString(dir.resolve("text.wav"), "not a wav file");
        final Path tiny = mixture("tiny.wav", 48_000, 2, 0.2, 0.25, 440);

        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", text.toString()),
            "text.wav: not a WAV file");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", dir.resolve("no.wav").toString()),
            "no such file");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", tiny.toString()),
            "too short", "--skip-ms");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString(), "--expect",
            "24000"), "--expect 24000", "below half the file's rate");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString(), "--expect", "440",
            "--absent", "450"), "closer than this analysis tells apart");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString(), "--expect",
            "440,x"), "--expect");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file", mix.toString(), "--min-db",
            "-1"), "--min-db=-1");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSpectrumCommand()), "--file");
    }

    @Test
    void goertzelMeasuresAFrequencyBetweenBins()
    {
        final int length = 1000;
        final double omega = 2 * Math.PI * 0.1234;
        final double[] x = new double[length];
        for (int n = 0; n < length; n++)
        {
            x[n] = Math.cos(omega * n + 0.3);
        }
        double re = 0;
        double im = 0;
        for (int n = 0; n < length; n++)
        {
            re += x[n] * Math.cos(omega * n);
            im -= x[n] * Math.sin(omega * n);
        }
        assertEquals(re * re + im * im, Spectrum.goertzel(x, length, omega), 1e-6 * (re * re + im * im));
    }

    /**
     * A file of tones of the same amplitude, as a mixer room sums them.
     */
    Path mixture(
        final String name,
        final int rate,
        final int channels,
        final double seconds,
        final double amplitude,
        final double... hz) throws IOException
    {
        final double[] amplitudes = new double[hz.length];
        java.util.Arrays.fill(amplitudes, amplitude);
        final Path file = dir.resolve(name);
        write(file, rate, channels, seconds, hz, amplitudes);
        return file;
    }

    /**
     * Write the sum of wav-tone's tones, clamped to 16 bits as the mixer does.
     */
    static void write(
        final Path file,
        final int rate,
        final int channels,
        final double seconds,
        final double[] hz,
        final double[] amplitudes) throws IOException
    {
        final long frames = SineTone.sampleFrames(seconds, rate);
        final SineTone[] tones = new SineTone[hz.length];
        for (int i = 0; i < hz.length; i++)
        {
            tones[i] = new SineTone(hz[i], rate, channels, frames, amplitudes[i]);
        }
        final ByteBuffer samples = ByteBuffer.allocate((int)frames * channels * WavFile.BYTES_PER_SAMPLE)
            .order(ByteOrder.LITTLE_ENDIAN);
        for (long n = 0; n < frames; n++)
        {
            int sum = 0;
            for (final SineTone tone : tones)
            {
                sum += tone.sample(n);
            }
            final short clamped = (short)Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, sum));
            for (int c = 0; c < channels; c++)
            {
                samples.putShort(clamped);
            }
        }
        try (OutputStream os = Files.newOutputStream(file))
        {
            os.write(WavFile.canonicalHeader(rate, channels, samples.capacity()));
            os.write(samples.array());
        }
    }
}
