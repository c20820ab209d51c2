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
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code wav-spectrum}: the levels of given frequencies in a 16-bit PCM WAV file, or its strongest peaks, and a check
 * that expected tones are there and absent ones are not: what a mixer room's output should hold.
 */
@Command(
    name = "wav-spectrum",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    headerHeading = "%n",
    header = "Measure tones in a 16-bit PCM WAV file; check which are present and which absent.",
    synopsisHeading = "%nUsage: ",
    descriptionHeading = "%n",
    description = {
        "Analyses the file from --skip-ms after its start to --skip-ms before its end, in Blackman-Harris " +
            "windowed segments of a quarter of a second at most (8192 samples at 48 kHz: 5.9 Hz bins) that " +
            "overlap by half, and averages their power. A level is in dBFS of a sine's peak: a full-scale sine is " +
            "0 dBFS, one at amplitude 0.25 -12 dBFS; a frequency's level is that of its loudest channel, and every " +
            "channel is shown.",
        "",
        "It prints the level of each --expect and --absent frequency (Goertzel, at exactly that frequency), and " +
            "without them the --peaks strongest peaks (FFT). The check passes when every --expect tone is within " +
            "--min-db of the strongest tone in the file and above --floor-db, and every --absent tone is at least " +
            "--margin-db below the weakest expected tone found (without --expect: below the strongest peak). Two " +
            "frequencies closer than 4 bins (23 Hz at 48 kHz) cannot be told apart and are refused.",
        "",
        "A room of three tones, one of them mixed out of a mix-minus participant's stream:",
        "  wav-spectrum --file mix.wav --expect 440,660,880",
        "  wav-spectrum --file minus.wav --expect 440,660 --absent 880"
    },
    optionListHeading = "%nOptions:%n",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:The levels are printed and the check, if any, passed.",
        "1:An expected tone is missing or an absent one is present.",
        "2:A bad option, or a file that is unreadable, not 16-bit PCM WAV or too short."
    })
public final class WavSpectrumCommand implements Callable<Integer>
{
    static final int MAX_PEAKS = 100;
    // The shortest span worth analysing, besides Spectrum.MIN_SEGMENT_LENGTH samples.
    private static final double MIN_SPAN_SECONDS = 0.05;

    @Spec
    private CommandSpec spec;

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "16-bit PCM WAV file to analyse.")
    private Path file;

    @Option(names = "--expect", paramLabel = "HZ", split = ",", showDefaultValue = Help.Visibility.NEVER,
        description = "Tones that must be present.")
    private List<Double> expected = new ArrayList<>();

    @Option(names = "--absent", paramLabel = "HZ", split = ",", showDefaultValue = Help.Visibility.NEVER,
        description = "Tones that must be absent.")
    private List<Double> absent = new ArrayList<>();

    @Option(names = "--min-db", paramLabel = "DB", defaultValue = "12",
        description = "An expected tone is present within this many dB of the strongest tone.")
    private double minDb;

    @Option(names = "--margin-db", paramLabel = "DB", defaultValue = "30",
        description = "An absent tone is at least this many dB below the weakest expected tone.")
    private double marginDb;

    @Option(names = "--floor-db", paramLabel = "DBFS", defaultValue = "-60",
        description = "No tone quieter than this is present, however quiet the rest.")
    private double floorDb;

    @Option(names = "--skip-ms", paramLabel = "MS", defaultValue = "100",
        description = "Leave out this much at the start and at the end (fades, a late first source).")
    private double skipMs;

    @Option(names = "--peaks", paramLabel = "N", defaultValue = "5",
        description = "How many of the strongest peaks to list, without --expect and --absent or when the check " +
            "fails.")
    private int peakCount;

    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final String problem = checkOptions();
        if (null != problem)
        {
            err.println("wav-spectrum: " + problem + " (see --help)");
            return 2;
        }

        final WavFile wav;
        try
        {
            wav = WavFile.open(file);
        }
        catch (final WavFormatException ex)
        {
            err.println("wav-spectrum: " + ex.getMessage());
            return 2;
        }
        catch (final IOException ex)
        {
            err.println("wav-spectrum: cannot read " + file + ": " + PcmFrames.reason(ex));
            return 2;
        }

        final long totalFrames = wav.dataBytes() / wav.blockAlign();
        final long skipFrames = Math.round(skipMs / 1000 * wav.sampleRate());
        final long spanFrames = totalFrames - 2 * skipFrames;
        final int segmentLength = spanFrames < MIN_SPAN_SECONDS * wav.sampleRate() ? 0 :
            Spectrum.segmentLength(wav.sampleRate(), spanFrames);
        if (0 == segmentLength)
        {
            err.println(String.format(Locale.ROOT, "wav-spectrum: %s is too short: %.3f s, and the analysis needs " +
                "at least %.3f s (%s ms skipped at each end by --skip-ms, then %.3f s)", wav,
                wav.seconds(), 2 * skipMs / 1000 + minSpanSeconds(wav.sampleRate()), WavToneCommand.fmt(skipMs),
                minSpanSeconds(wav.sampleRate())));
            return 2;
        }
        final double resolutionHz = Spectrum.MAIN_LOBE_BINS * (double)wav.sampleRate() / segmentLength;
        final String frequencyProblem = checkFrequencies(wav.sampleRate(), resolutionHz);
        if (null != frequencyProblem)
        {
            err.println("wav-spectrum: " + frequencyProblem);
            return 2;
        }

        final double[] frequencies = new double[expected.size() + absent.size()];
        for (int i = 0; i < frequencies.length; i++)
        {
            frequencies[i] = i < expected.size() ? expected.get(i) : absent.get(i - expected.size());
        }
        final Spectrum spectrum;
        try
        {
            spectrum = Spectrum.analyse(wav, skipFrames, segmentLength, frequencies);
        }
        catch (final IOException ex)
        {
            err.println("wav-spectrum: cannot read " + file + ": " + PcmFrames.reason(ex));
            return 2;
        }

        out.println(String.format(Locale.ROOT, "wav-spectrum: %s: %.3f-%.3f s in %d segments of %d samples " +
            "(%.1f Hz bins)", wav, (double)skipFrames / wav.sampleRate(),
            (double)(skipFrames + spanFrames) / wav.sampleRate(), spectrum.segments(), segmentLength,
            spectrum.binHz()));
        final List<Spectrum.Peak> peaks = spectrum.peaks(peakCount);
        if (0 == frequencies.length)
        {
            printPeaks(out, peaks);
            return 0;
        }
        return check(spectrum, peaks, wav.channels(), out, err);
    }

    private int check(
        final Spectrum spectrum,
        final List<Spectrum.Peak> peaks,
        final int channels,
        final PrintWriter out,
        final PrintWriter err)
    {
        double strongest = peaks.isEmpty() ? Double.NEGATIVE_INFINITY : peaks.get(0).dbfs();
        for (int i = 0; i < expected.size(); i++)
        {
            strongest = Math.max(strongest, spectrum.levelDbfs(i));
        }
        double weakestPresent = Double.POSITIVE_INFINITY;
        final List<String> failures = new ArrayList<>();
        final StringBuilder table = new StringBuilder(header(channels));
        for (int i = 0; i < expected.size(); i++)
        {
            final double level = spectrum.levelDbfs(i);
            final String verdict;
            if (level < floorDb)
            {
                verdict = "MISSING: below --floor-db " + WavToneCommand.fmt(floorDb);
            }
            else if (level < strongest - minDb)
            {
                verdict = String.format(Locale.ROOT, "MISSING: %.1f dB below the strongest tone (at most %s)",
                    strongest - level, WavToneCommand.fmt(minDb));
            }
            else
            {
                weakestPresent = Math.min(weakestPresent, level);
                verdict = String.format(Locale.ROOT, "present, %.1f dB below the strongest tone", strongest - level);
            }
            if (verdict.startsWith("MISSING"))
            {
                failures.add(hz(expected.get(i)) + " Hz missing");
            }
            row(table, "expected", expected.get(i), spectrum, i, channels, verdict);
        }

        final boolean againstExpected = Double.POSITIVE_INFINITY != weakestPresent;
        final double reference = againstExpected ? weakestPresent : strongest;
        final String referenceName = againstExpected ? "the weakest expected tone" : "the strongest tone";
        for (int i = 0; i < absent.size(); i++)
        {
            final int index = expected.size() + i;
            final double level = spectrum.levelDbfs(index);
            final double below = reference - level;
            final String verdict;
            if (level <= reference - marginDb)
            {
                verdict = Double.isInfinite(level) ? "absent: digital silence" : String.format(Locale.ROOT,
                    "absent: %.1f dB below %s", below, referenceName);
            }
            else
            {
                verdict = below >= 0.05 ?
                    String.format(Locale.ROOT, "PRESENT: only %.1f dB below %s (at least %s)", below, referenceName,
                    WavToneCommand.fmt(marginDb)) :
                    String.format(Locale.ROOT, "PRESENT: %.1f dB above %s (at least %s below)", Math.max(0, -below),
                    referenceName, WavToneCommand.fmt(marginDb));
                failures.add(hz(absent.get(i)) + " Hz present");
            }
            row(table, "absent", absent.get(i), spectrum, index, channels, verdict);
        }
        out.print(table);

        if (failures.isEmpty())
        {
            out.println("wav-spectrum: pass: every expected tone present (" + expected.size() + "), every absent " +
                "tone absent (" + absent.size() + ")");
            return 0;
        }
        printPeaks(out, peaks);
        out.flush();
        err.println("wav-spectrum: check failed: " + String.join(", ", failures));
        return 1;
    }

    private String checkOptions()
    {
        if (!(minDb >= 0) || minDb > 200)
        {
            return "--min-db=" + WavToneCommand.fmt(minDb) + ": must be 0-200";
        }
        if (!(marginDb >= 0) || marginDb > 200)
        {
            return "--margin-db=" + WavToneCommand.fmt(marginDb) + ": must be 0-200";
        }
        if (!(floorDb <= 0) || floorDb < -200)
        {
            return "--floor-db=" + WavToneCommand.fmt(floorDb) + ": must be -200-0 (dBFS)";
        }
        if (!(skipMs >= 0) || skipMs > 3_600_000)
        {
            return "--skip-ms=" + WavToneCommand.fmt(skipMs) + ": must be 0 or more, at most an hour";
        }
        if (peakCount < 1 || peakCount > MAX_PEAKS)
        {
            return "--peaks=" + peakCount + ": must be 1-" + MAX_PEAKS;
        }
        return null;
    }

    private String checkFrequencies(final int sampleRate, final double resolutionHz)
    {
        final List<Double> all = new ArrayList<>(expected);
        all.addAll(absent);
        for (final double frequency : all)
        {
            if (!(frequency > 0) || frequency >= sampleRate / 2.0)
            {
                return (expected.contains(frequency) ? "--expect " : "--absent ") + hz(frequency) +
                    ": must be above 0 and below half the file's rate (" + hz(sampleRate / 2.0) + " Hz)";
            }
        }
        for (final double tone : expected)
        {
            for (final double quiet : absent)
            {
                if (Math.abs(tone - quiet) < resolutionHz)
                {
                    return String.format(Locale.ROOT, "--expect %s and --absent %s are closer than this analysis " +
                        "tells apart (%.1f Hz at %d Hz)", hz(tone), hz(quiet), resolutionHz, sampleRate);
                }
            }
        }
        return null;
    }

    private static double minSpanSeconds(final int sampleRate)
    {
        return Math.max(MIN_SPAN_SECONDS, (double)Spectrum.MIN_SEGMENT_LENGTH / sampleRate);
    }

    private static String header(final int channels)
    {
        final StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-9s %9s %8s", "tone", "Hz",
            "dBFS"));
        for (int c = 1; channels > 1 && c <= channels; c++)
        {
            header.append(String.format(Locale.ROOT, " %8s", "ch" + c));
        }
        return header.append("  result").append(System.lineSeparator()).toString();
    }

    private static void row(
        final StringBuilder table,
        final String role,
        final double frequency,
        final Spectrum spectrum,
        final int index,
        final int channels,
        final String verdict)
    {
        table.append(String.format(Locale.ROOT, "%-9s %9s %8s", role, hz(frequency), db(spectrum.levelDbfs(index))));
        for (int c = 0; channels > 1 && c < channels; c++)
        {
            table.append(String.format(Locale.ROOT, " %8s", db(spectrum.levelDbfs(index, c))));
        }
        table.append("  ").append(verdict).append(System.lineSeparator());
    }

    private static void printPeaks(final PrintWriter out, final List<Spectrum.Peak> peaks)
    {
        if (peaks.isEmpty())
        {
            out.println("strongest peaks: none (silence)");
            return;
        }
        out.println("strongest peaks (loudest channel):");
        out.println(String.format(Locale.ROOT, "%9s %8s", "Hz", "dBFS"));
        for (final Spectrum.Peak peak : peaks)
        {
            out.println(String.format(Locale.ROOT, "%9.1f %8s", peak.hz(), db(peak.dbfs())));
        }
    }

    private static String hz(final double frequency)
    {
        return WavToneCommand.fmt(frequency);
    }

    private static String db(final double level)
    {
        return Double.isInfinite(level) ? "-inf" : String.format(Locale.ROOT, "%.1f", level);
    }
}
