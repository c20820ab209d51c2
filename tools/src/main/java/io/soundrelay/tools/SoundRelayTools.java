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
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The {@code soundrelay-tools.jar} command line: {@code java -jar soundrelay-tools.jar COMMAND [OPTIONS]}.
 * <p>
 * Exit status, for every command: 0 success, 1 failure, 2 bad options. A bad option is reported in one line naming
 * it, followed by a pointer to the command's {@code --help}, not by the whole usage text.
 */
@Command(
    name = "soundrelay-tools",
    mixinStandardHelpOptions = true,
    versionProvider = SoundRelayTools.Version.class,
    description = "Tools for SoundRelay nodes.",
    synopsisSubcommandLabel = "COMMAND",
    commandListHeading = "%nCommands:%n",
    subcommands = { LoadgenCommand.class, MigrateDrillCommand.class, RollingDrillCommand.class, WavToneCommand.class,
        WavSendCommand.class, WavReceiveCommand.class, WavSpectrumCommand.class, PlotCommand.class, HelpCommand.class },
    footerHeading = "%n",
    footer = "Run 'soundrelay-tools COMMAND --help' for a command's options.")
public final class SoundRelayTools implements Callable<Integer>
{
    // Wide enough for "--report-interval=SECONDS" to keep its description on the same line.
    private static final int LONG_OPTIONS_WIDTH = 26;

    @Spec
    private CommandSpec spec;

    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    /**
     * @return the configured command line with every subcommand, as {@link #main(String[])} runs it.
     */
    public static CommandLine commandLine()
    {
        return configure(new CommandLine(new SoundRelayTools()));
    }

    /**
     * Apply the tools' conventions to a command line and to the subcommands it has so far: enum values in any case,
     * short error messages for bad options (exit status 2).
     *
     * @return the same command line.
     */
    static CommandLine configure(final CommandLine commandLine)
    {
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler(SoundRelayTools::badOptions);
        commandLine.setUsageHelpLongOptionsMaxWidth(LONG_OPTIONS_WIDTH);
        commandLine.setHelpSectionKeys(notesBeforeExitStatus(commandLine.getHelpSectionKeys()));
        return commandLine;
    }

    public Integer call()
    {
        throw new ParameterException(spec.commandLine(), "Missing a command");
    }

    private static List<String> notesBeforeExitStatus(final List<String> keys)
    {
        final List<String> reordered = new ArrayList<>(keys);
        reordered.remove(UsageMessageSpec.SECTION_KEY_FOOTER_HEADING);
        reordered.remove(UsageMessageSpec.SECTION_KEY_FOOTER);
        final int exitStatus = reordered.indexOf(UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST_HEADING);
        reordered.addAll(exitStatus < 0 ? reordered.size() : exitStatus,
            List.of(UsageMessageSpec.SECTION_KEY_FOOTER_HEADING, UsageMessageSpec.SECTION_KEY_FOOTER));
        return reordered;
    }

    private static int badOptions(final ParameterException ex, final String[] args)
    {
        final CommandLine commandLine = ex.getCommandLine();
        final PrintWriter err = commandLine.getErr();
        err.println(commandLine.getColorScheme().errorText(ex.getMessage()));
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * The jar's Implementation-Version, written by the build.
     */
    static final class Version implements IVersionProvider
    {
        public String[] getVersion()
        {
            final String version = SoundRelayTools.class.getPackage().getImplementationVersion();
            return new String[] { "soundrelay-tools " + (null == version ? "(development build)" : version) };
        }
    }
}
