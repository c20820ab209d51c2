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

import java.io.IOException;
import java.io.PrintStream;

/**
 * What {@code migrate-drill} and {@code rolling-drill} do once their options are valid: run the drill with Ctrl-C
 * watched, print the summary for people, write the JSON report, and give the exit status (0 passed, 1 failed or could
 * not run).
 */
final class DrillRun
{
    /** A drill's outcome, as both drill commands print and write it. */
    interface Report
    {
        boolean passed();

        void printSummary(PrintStream out);

        String toJson();
    }

    /** The drill itself: it prints its progress to {@code human} and stops early once {@code stop} says so. */
    @FunctionalInterface
    interface Drill
    {
        Report run(PrintStream human, StopSignal stop) throws IOException, InterruptedException;
    }

    private DrillRun()
    {
    }

    /**
     * @param tool   the command's name, for messages and the JSON report.
     * @param json   {@code --json}: a file, "-" for stdout (people's output then goes to stderr), or null.
     * @param stdout standard output.
     * @param stderr standard error.
     * @param drill  the drill.
     * @return the exit status.
     */
    static int run(
        final String tool, final String json, final PrintStream stdout, final PrintStream stderr, final Drill drill)
    {
        // With JSON on stdout, everything for people goes to stderr so that stdout parses.
        final PrintStream human = ReportFiles.human(json, stdout, stderr);
        try (StopSignal stop = new StopSignal())
        {
            final Report report;
            try
            {
                report = drill.run(human, stop);
            }
            catch (final IOException ex)
            {
                stderr.println(tool + " failed: " + ex.getMessage());
                ReportFiles.writeJson(tool, json, Json.write((w) ->
                {
                    w.writeStartObject();
                    w.writeStringField("tool", tool);
                    w.writeBooleanField("passed", false);
                    w.writeStringField("error", String.valueOf(ex.getMessage()));
                    w.writeEndObject();
                }), stdout, stderr);
                return 1;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                stderr.println(tool + " interrupted");
                return 1;
            }

            report.printSummary(human);
            final boolean written = ReportFiles.writeJson(tool, json, report.toJson(), stdout, stderr);
            return report.passed() && written ? 0 : 1;
        }
    }
}
