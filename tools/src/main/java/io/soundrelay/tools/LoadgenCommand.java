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

import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

/**
 * {@code soundrelay-tools loadgen}: runs a {@link PacketGenerator} from the command line, prints progress and a
 * short summary (every counter and the percentile table with --verbose), optionally writes the result as JSON, the
 * latency distribution as an HdrHistogram .hgrm file and as a chart (--plot), and exits 0 when the run passed, 1
 * when it failed or could not run, 2 for bad options. A refusal by the node or a run where nothing arrived ends
 * with a hint ({@link LoadgenHints}).
 * <p>
 * The options are declared in {@link LoadgenOptions}'s sections; picocli converts each value to its type,
 * {@link LoadgenOptions#build()} then checks ranges and the rules between options, and a refusal becomes a
 * {@link ParameterException} naming the option.
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    versionProvider = SoundRelayTools.Version.class,
    sortOptions = false,
    abbreviateSynopsis = true,
    usageHelpWidth = 110,
    description = {
        "Loads a UDP relay with paced audio-sized streams, checks every datagram and measures latency.",
        "",
        "Sends datagrams from many streams through a SoundRelay node (or any UDP relay), checks every datagram " +
            "that arrives byte for byte (stream, sequence, payload) and measures one-way latency with " +
            "HdrHistogram. Point it only at a relay on your own machine or network." },
    optionListHeading = "%nOptions:%n",
    footerHeading = "%nNotes:%n",
    footer = {
        "Latency runs from each datagram's SCHEDULED send time to its arrival, so a sender that falls behind shows " +
            "its delay as latency instead of hiding it (corrected for coordinated omission). With --rate-unlimited " +
            "there is no schedule: latency starts at the actual send and is NOT CO-corrected.",
        "",
        "--total-pps T gives each stream T/streams packets/s, possibly fractional: every stream keeps its own " +
            "absolute schedule and the streams are offset evenly within a period, so the total is spread evenly.",
        "",
        "Without routes the relay must forward each datagram whole (a plain UDP proxy, or --relay set to one of " +
            "this run's --sink-ports): every datagram at a sink is checked against exactly what was sent.",
        "",
        "The summary shows the counts, the loss and the latency percentiles in ms; --verbose prints every counter " +
            "and the full percentile table. --plot draws the distribution; 'soundrelay-tools plot' draws several " +
            "--hgrm files on one chart to compare runs." },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:the run passed: every datagram arrived intact, once, within --allow-loss-percent, nothing unexpected",
        "1:the run failed, or could not run (relay or API unreachable, route refused, file not writable)",
        "2:bad options",
        "130:stopped by Ctrl-C (SIGINT), after deleting the routes" })
public final class LoadgenCommand implements Callable<Integer>
{
    /** Environment variable holding the API key when --api-key is absent. */
    public static final String API_KEY_ENV = "SOUNDRELAY_API_KEY";

    @Spec
    private CommandSpec spec;

    @ArgGroup(validate = false, heading = "%nRelay and routes:%n", order = 1)
    private LoadgenOptions.Relay relay = new LoadgenOptions.Relay();

    @ArgGroup(validate = false, heading = "%nTraffic:%n", order = 2)
    private LoadgenOptions.Traffic traffic = new LoadgenOptions.Traffic();

    @ArgGroup(validate = false, heading = "%nSockets:%n", order = 3)
    private LoadgenOptions.Sockets sockets = new LoadgenOptions.Sockets();

    @ArgGroup(validate = false, heading = "%nA socket per stream, relay ports and echo:%n", order = 4)
    private LoadgenOptions.Returns returns = new LoadgenOptions.Returns();

    @ArgGroup(validate = false, heading = "%nVerdict and reports:%n", order = 5)
    private LoadgenOptions.Reports reports = new LoadgenOptions.Reports();

    private final PrintStream stdout;
    private final PrintStream stderr;
    private final UnaryOperator<String> environment;

    /**
     * The command as the jar runs it: standard streams, the process environment.
     */
    public LoadgenCommand()
    {
        this(System.out, System.err, System::getenv);
    }

    LoadgenCommand(final PrintStream stdout, final PrintStream stderr, final UnaryOperator<String> environment)
    {
        this.stdout = stdout;
        this.stderr = stderr;
        this.environment = environment;
    }

    /**
     * Parse a {@code loadgen} command line into validated options, as the command does before it runs.
     *
     * @param args the options after {@code loadgen}.
     * @return the validated options.
     * @throws ParameterException naming the option at fault.
     */
    public static GeneratorOptions options(final String... args)
    {
        final LoadgenCommand command = new LoadgenCommand();
        SoundRelayTools.configure(new CommandLine(command)).parseArgs(args);
        return command.validatedOptions();
    }

    public Integer call()
    {
        final GeneratorOptions options = validatedOptions();
        checkWritable("--json", reports.json);
        checkWritable("--hgrm", reports.hgrm);
        checkWritable("--return-hgrm", reports.returnHgrm);
        checkWritable("--plot", reports.plot);
        if (null != reports.plot && null != LatencyPlot.checkFormat(reports.plot))
        {
            throw new ParameterException(spec.commandLine(), "--plot=" + reports.plot + ": " +
                LatencyPlot.checkFormat(reports.plot));
        }
        if (null != reports.returnHgrm && !options.echo())
        {
            throw new ParameterException(spec.commandLine(), "--return-hgrm=" + reports.returnHgrm +
                ": needs --echo (there is no return direction to measure)");
        }

        // With JSON on stdout, everything for people goes to stderr so that stdout parses.
        final PrintStream human = ReportFiles.human(reports.json, stdout, stderr);
        final GeneratorResult result;
        PacketGenerator opened = null;
        try (PacketGenerator generator = PacketGenerator.open(options, human))
        {
            opened = generator;
            result = generator.run();
        }
        catch (final IOException ex)
        {
            stderr.println("loadgen failed: " + ex.getMessage());
            final String hint = LoadgenHints.forFailure(ex, options, null == opened ? 0 : opened.routesCreated());
            if (null != hint)
            {
                stderr.println(hint);
            }
            writeJsonQuietly(LoadgenJson.error(ex.getMessage()));
            return 1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            stderr.println("loadgen interrupted");
            return 1;
        }

        result.printSummary(human, reports.verbose);
        boolean written = true;
        if (null != reports.hgrm)
        {
            written = write("--hgrm", reports.hgrm, result::printPercentileDistribution);
        }
        if (null != reports.returnHgrm)
        {
            written &= write("--return-hgrm", reports.returnHgrm, result::printReturnPercentileDistribution);
        }
        if (null != reports.plot)
        {
            written &= plot(result, options);
        }
        written &= writeJsonQuietly(result.toJson());
        return result.passed() && written ? 0 : 1;
    }

    /**
     * @return the options given, validated.
     * @throws ParameterException naming the option at fault.
     */
    GeneratorOptions validatedOptions()
    {
        // picocli replaces a section it matched an option of: take the sections as they are after parsing.
        final LoadgenOptions given = new LoadgenOptions(relay, traffic, sockets, returns, reports);
        if (null == relay.apiKey)
        {
            given.apiKey(environment.apply(API_KEY_ENV));
        }
        try
        {
            return given.build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage(), ex);
        }
    }

    private boolean plot(final GeneratorResult result, final GeneratorOptions options)
    {
        final LatencyPlot plot = new LatencyPlot(String.format(Locale.ROOT,
            "loadgen: %d streams, %s pps each, %s", options.streams(), options.rateUnlimited() ? "unlimited" :
            new BigDecimal(Double.toString(options.ppsPerStream())).stripTrailingZeros().toPlainString(),
            result.passed() ? "passed" :
            "failed"));
        plot.add("one way", result.latencyNs());
        if (null != result.returned())
        {
            plot.add("round trip", result.returned().roundTripNs());
        }
        try
        {
            plot.write(Path.of(reports.plot));
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            stderr.println("loadgen: cannot write --plot=" + reports.plot + ": " + ex.getMessage());
            return false;
        }
    }

    private void checkWritable(final String option, final String file)
    {
        ReportFiles.checkWritable(spec.commandLine(), option, file);
    }

    private boolean writeJsonQuietly(final String json)
    {
        return ReportFiles.writeJson("loadgen", reports.json, json, stdout, stderr);
    }

    private boolean write(final String option, final String file, final ReportFiles.Content content)
    {
        return ReportFiles.write("loadgen", option, file, content, stderr);
    }
}
