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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code soundrelay-tools plot}: draws HdrHistogram percentile-distribution files (loadgen --hgrm, the .hgrm files
 * of bench/e2e) on one latency chart, SVG or PNG, to compare runs. Exits 0 when the chart is written, 1 when a file
 * cannot be read or the chart cannot be written, 2 for bad options.
 */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    versionProvider = SoundRelayTools.Version.class,
    sortOptions = false,
    usageHelpWidth = 110,
    description = {
        "Draws latency percentile distributions (.hgrm files) on one chart, to compare runs.",
        "",
        "Reads HdrHistogram's percentile-distribution format in microseconds, as 'loadgen --hgrm' writes it, and " +
            "draws each file as a line: latency (ms) over the percentile, on a log scale of 1/(1-percentile) " +
            "labelled 0%, 90%, 99%, 99.9%..., as HdrHistogram's plotter does." },
    optionListHeading = "%nOptions:%n",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:the chart was written",
        "1:a file could not be read, or the chart could not be written",
        "2:bad options" })
public final class PlotCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Option(names = "--out", paramLabel = "FILE", required = true, order = 1,
        description = "The chart to write: " + LatencyPlot.FORMATS + " by the name's ending.")
    private String out;

    @Option(names = "--title", paramLabel = "TEXT", order = 2, defaultValue = "Latency by percentile",
        description = "The chart's title. Default: ${DEFAULT-VALUE}.")
    private String title;

    @Parameters(paramLabel = "[NAME=]FILE", arity = "1..*",
        description = "A .hgrm file, drawn as a line named NAME, or by default its file name without .hgrm.")
    private List<String> files;

    private final PrintStream stdout;
    private final PrintStream stderr;

    /**
     * The command as the jar runs it: standard streams.
     */
    public PlotCommand()
    {
        this(System.out, System.err);
    }

    PlotCommand(final PrintStream stdout, final PrintStream stderr)
    {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public Integer call()
    {
        final String badFormat = LatencyPlot.checkFormat(out);
        if (null != badFormat)
        {
            throw new ParameterException(spec.commandLine(), "--out=" + out + ": " + badFormat);
        }
        ReportFiles.checkWritable(spec.commandLine(), "--out", out);
        final LatencyPlot plot = new LatencyPlot(title);
        for (final String file : files)
        {
            final Path path = path(file);
            try
            {
                plot.addHgrm(name(file, path), path);
            }
            catch (final IOException ex)
            {
                stderr.println("plot: cannot read " + path + ": " + ex.getMessage());
                return 1;
            }
        }
        try
        {
            plot.write(Path.of(out));
        }
        catch (final IOException | RuntimeException ex)
        {
            stderr.println("plot: cannot write --out=" + out + ": " + ex.getMessage());
            return 1;
        }
        stdout.println("plot: " + plot.series().size() + " series in " + out);
        return 0;
    }

    /**
     * @return the file of {@code NAME=FILE}, or the whole argument when it names a file or has no {@code =}.
     */
    private static Path path(final String argument)
    {
        final int equals = argument.indexOf('=');
        return equals <= 0 || Files.exists(Path.of(argument)) ? Path.of(argument) :
            Path.of(argument.substring(equals + 1));
    }

    private static String name(final String argument, final Path path)
    {
        final int equals = argument.indexOf('=');
        if (equals > 0 && !Files.exists(Path.of(argument)))
        {
            return argument.substring(0, equals);
        }
        final String name = path.getFileName().toString();
        return name.endsWith(".hgrm") ? name.substring(0, name.length() - ".hgrm".length()) : name;
    }
}
