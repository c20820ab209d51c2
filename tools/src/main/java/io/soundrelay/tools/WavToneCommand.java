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

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code wav-tone}: writes a sine tone to a canonical 16-bit PCM WAV file, the test signal of {@code wav-send} and
 * {@code wav-receive}.
 */
@Command(
    name = "wav-tone",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    headerHeading = "%n",
    header = "Write a sine tone to a 16-bit PCM WAV file.",
    synopsisHeading = "%nUsage: ",
    descriptionHeading = "%n",
    description = {
        "The file has the canonical 44-byte header and 16-bit signed little-endian samples, the same on every " +
            "channel, at --amplitude (0.5: -6 dBFS) with a 10 ms fade in and out. The defaults fit a 20 ms frame " +
            "(980 bytes with its header) into a node's default MAX_DATAGRAM_BYTES of 1500.",
        "",
        "Tones for a mixer room (PCM: 48 kHz stereo), quiet enough that three add up without clipping:",
        "  wav-tone --out a.wav --hz 440 --rate 48000 --channels 2 --amplitude 0.25",
        "",
        "Try it through a relay:",
        "  wav-tone --out tone.wav",
        "  wav-receive --out received.wav                  (another terminal)",
        "  wav-send --file tone.wav --stream-id 42 --create-route \\",
        "      --target 127.0.0.1:5000 --api-key $KEY",
        "  cmp tone.wav received.wav"
    },
    optionListHeading = "%nOptions:%n",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:The file is written.",
        "1:The file could not be written.",
        "2:A bad option."
    })
public final class WavToneCommand implements Callable<Integer>
{
    static final String DEFAULT_RATE = "24000";
    static final String DEFAULT_CHANNELS = "1";

    @Spec
    private CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "WAV file to write (replaced).")
    private Path out;

    @Option(names = "--hz", paramLabel = "HZ", defaultValue = "440",
        description = "Tone frequency, below half the rate.")
    private double hz;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3", description = "Length, e.g. 0.5.")
    private double seconds;

    @Option(names = "--rate", paramLabel = "HZ", defaultValue = DEFAULT_RATE,
        description = "Sample rate, 8000-192000 and a multiple of 50 (a 20 ms frame is whole samples).")
    private int rate;

    @Option(names = "--channels", paramLabel = "N", defaultValue = DEFAULT_CHANNELS,
        description = "Channels, 1-8, interleaved.")
    private int channels;

    @Option(names = "--amplitude", paramLabel = "A", defaultValue = "0.5",
        description = "Peak level, a fraction of full scale: above 0, at most 1 (0.5 is -6 dBFS, 0.25 -12 dBFS).")
    private double amplitude;

    public Integer call()
    {
        final PrintWriter err = spec.commandLine().getErr();
        final String problem = checkOptions();
        if (null != problem)
        {
            err.println("wav-tone: " + problem + " (see --help)");
            return 2;
        }

        final SineTone tone = new SineTone(hz, rate, channels, SineTone.sampleFrames(seconds, rate), amplitude);
        try
        {
            write(out, rate, channels, tone);
        }
        catch (final IOException ex)
        {
            err.println("wav-tone: cannot write " + out + ": " + PcmFrames.reason(ex));
            return 1;
        }
        spec.commandLine().getOut().println(String.format(Locale.ROOT,
            "wav-tone: wrote %s: %s Hz tone at %.1f dBFS, %.3f s, %d Hz %d ch 16-bit PCM, %d bytes of samples",
            out, fmt(hz), 20 * Math.log10(amplitude),
            (double)tone.lengthBytes() / ((long)rate * channels * WavFile.BYTES_PER_SAMPLE), rate, channels,
            tone.lengthBytes()));
        return 0;
    }

    /**
     * Write a canonical WAV file of all the samples of a tone.
     */
    static void write(final Path file, final int rate, final int channels, final SineTone tone) throws IOException
    {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 65_536))
        {
            os.write(WavFile.canonicalHeader(rate, channels, tone.lengthBytes()));
            tone.transferTo(os);
        }
    }

    private String checkOptions()
    {
        final String formatProblem = PcmFrames.checkOptions(rate, channels);
        if (null != formatProblem)
        {
            return formatProblem;
        }
        final String toneProblem = checkTone(hz, seconds, rate, channels);
        return null != toneProblem ? toneProblem : checkAmplitude(amplitude);
    }

    /**
     * @return why an {@code --amplitude} is refused, or null.
     */
    static String checkAmplitude(final double amplitude)
    {
        if (!(amplitude > 0) || amplitude > 1)
        {
            return "--amplitude=" + fmt(amplitude) + ": must be above 0 and at most 1 (a fraction of full scale)";
        }
        return null;
    }

    /**
     * @return why a tone of these options is refused, or null.
     */
    static String checkTone(final double hz, final double seconds, final int rate, final int channels)
    {
        if (!(hz > 0) || hz >= rate / 2.0)
        {
            return "--hz=" + fmt(hz) + ": must be above 0 and below half the rate (" + rate / 2 + " Hz)";
        }
        if (!(seconds > 0) || SineTone.sampleFrames(seconds, rate) < 1)
        {
            return "--seconds=" + fmt(seconds) + ": must be long enough for one sample";
        }
        final double bytes = seconds * rate * channels * WavFile.BYTES_PER_SAMPLE;
        if (bytes > WavFile.MAX_DATA_BYTES)
        {
            return "--seconds=" + fmt(seconds) + ": " + String.format(Locale.ROOT, "%.0f", bytes) +
                " bytes of samples do not fit a WAV file (at most " + WavFile.MAX_DATA_BYTES + ")";
        }
        return null;
    }

    static String fmt(final double value)
    {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long)value) :
            Double.toString(value);
    }
}
