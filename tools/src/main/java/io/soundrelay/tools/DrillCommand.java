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

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * What {@code migrate-drill} and {@code rolling-drill} share as commands: where their output goes, the API key from
 * {@link LoadgenCommand#API_KEY_ENV} when {@code --api-key} is not given, a random base for the stream ids,
 * {@code --json}, and {@link DrillRun} once the options are valid.
 *
 * @param <O> the drill's validated options.
 */
abstract class DrillCommand<O> implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--json", paramLabel = "FILE", order = 11,
        description = "Also write the report as one JSON object to FILE. '-': to stdout, and progress and summary " +
            "go to stderr.")
    private String json;

    final PrintStream stdout;
    final PrintStream stderr;
    final Function<String, MigrateDrill.NodeApi> nodeApi;
    private final UnaryOperator<String> environment;

    /**
     * @param nodeApi makes the control-API client from the API key (null for none).
     */
    DrillCommand(
        final PrintStream stdout,
        final PrintStream stderr,
        final UnaryOperator<String> environment,
        final Function<String, MigrateDrill.NodeApi> nodeApi)
    {
        this.stdout = stdout;
        this.stderr = stderr;
        this.environment = environment;
        this.nodeApi = nodeApi;
    }

    /**
     * @return the command's name, for messages and the JSON report.
     */
    abstract String tool();

    /**
     * @return {@code --api-key} as given, or null.
     */
    abstract String givenApiKey();

    /**
     * @param apiKey the API key the environment gives.
     */
    abstract void apiKey(String apiKey);

    /**
     * @param firstStreamId the first stream id.
     * @return the options given, validated.
     * @throws IllegalArgumentException naming the option at fault.
     */
    abstract O build(long firstStreamId);

    /**
     * Run the drill.
     */
    abstract DrillRun.Report drill(O options, PrintStream human, StopSignal stop)
        throws IOException, InterruptedException;

    public Integer call()
    {
        final O options = validatedOptions();
        ReportFiles.checkWritable(spec.commandLine(), "--json", json);
        return DrillRun.run(tool(), json, stdout, stderr, (human, stop) -> drill(options, human, stop));
    }

    /**
     * @return the options given, validated.
     * @throws ParameterException naming the option at fault.
     */
    O validatedOptions()
    {
        if (null == givenApiKey())
        {
            apiKey(environment.apply(LoadgenCommand.API_KEY_ENV));
        }
        try
        {
            // A random base keeps the drill's ids clear of the nodes' other routes, and of an earlier drill's.
            return build(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage(), ex);
        }
    }
}
