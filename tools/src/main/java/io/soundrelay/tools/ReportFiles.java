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
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The report files the tools write ({@code --json}, {@code --hgrm}, {@code --return-hgrm}): checked before a run,
 * written after it, a failure to write said on stderr without losing the run's verdict.
 */
final class ReportFiles
{
    /** The --json value that writes JSON to stdout. */
    static final String STDOUT = "-";

    private ReportFiles()
    {
    }

    /**
     * What writes a report's text.
     */
    @FunctionalInterface
    interface Content
    {
        void writeTo(PrintStream out);
    }

    /**
     * Check, before a run, that a report file can be written: its directory exists and it is no directory.
     *
     * @param file the option's value, or null when absent; {@code -} for --json means stdout.
     * @throws ParameterException naming the option.
     */
    static void checkWritable(final CommandLine commandLine, final String option, final String file)
    {
        if (null == file || (STDOUT.equals(file) && "--json".equals(option)))
        {
            return;
        }
        final String why;
        try
        {
            final Path path = Path.of(file);
            final Path parent = path.toAbsolutePath().getParent();
            why = Files.isDirectory(path) ? "is a directory" :
                null == parent || !Files.isDirectory(parent) ? "directory " + parent + " does not exist" : null;
        }
        catch (final InvalidPathException ex)
        {
            throw new ParameterException(commandLine, option + "=" + file + ": not a file name");
        }
        if (null != why)
        {
            throw new ParameterException(commandLine, option + "=" + file + ": " + why);
        }
    }

    /**
     * @param file the --json value: null for none, {@code -} for stdout.
     * @return where the lines for people go: stderr when the JSON goes to stdout, so that stdout parses.
     */
    static PrintStream human(final String file, final PrintStream stdout, final PrintStream stderr)
    {
        return STDOUT.equals(file) ? stderr : stdout;
    }

    /**
     * Write a JSON report, one line, to --json's file or stdout.
     *
     * @param tool the command, naming a failure.
     * @param file the --json value: null for none, {@code -} for stdout.
     * @return false when the file could not be written.
     */
    static boolean writeJson(
        final String tool, final String file, final String json, final PrintStream stdout, final PrintStream stderr)
    {
        if (null == file)
        {
            return true;
        }
        if (STDOUT.equals(file))
        {
            stdout.println(json);
            stdout.flush();
            return true;
        }
        return write(tool, "--json", file, (out) -> out.println(json), stderr);
    }

    /**
     * @return false, having said so on stderr, when the file could not be written.
     */
    static boolean write(
        final String tool, final String option, final String file, final Content content, final PrintStream stderr)
    {
        try (OutputStream stream = Files.newOutputStream(Path.of(file));
            PrintStream out = new PrintStream(stream, false, StandardCharsets.UTF_8))
        {
            content.writeTo(out);
            if (out.checkError())
            {
                throw new IOException("write failed");
            }
            return true;
        }
        catch (final IOException ex)
        {
            stderr.println(tool + ": cannot write " + option + "=" + file + ": " + ex.getMessage());
            return false;
        }
    }
}
