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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The {@code rolling-drill}'s restart: the user's {@code --restart-command} run with {@code sh -c}, its placeholders
 * filled in for the node and the node in its environment too; what it prints goes to the drill's output, each line
 * marked with the node. Its exit status is the restart's.
 */
final class ShellRestart implements RollingDrill.Restart
{
    private final RollingDrillOptions options;
    private final PrintStream out;

    ShellRestart(final RollingDrillOptions options, final PrintStream out)
    {
        this.options = options;
        this.out = out;
    }

    public int restart(final String nodeId, final URI controlUrl) throws IOException, InterruptedException
    {
        final ProcessBuilder builder =
            new ProcessBuilder("sh", "-c", command(nodeId, controlUrl)).redirectErrorStream(true);
        builder.environment().put("SOUNDRELAY_NODE_ID", nodeId);
        builder.environment().put("SOUNDRELAY_CONTROL_URL", controlUrl.toString());
        final Process process;
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new IOException("--restart-command for " + nodeId + " cannot start: " + ex.getMessage(), ex);
        }
        final Thread copier = DrillSupport.daemon(() -> copy(process, nodeId), "soundrelay-drill-restart-output");
        copier.start();
        try
        {
            final int status = process.waitFor();
            copier.join();
            return status;
        }
        finally
        {
            if (process.isAlive())
            {
                // The drill stopped or gave up on the node: do not leave the command running.
                process.destroy();
            }
        }
    }

    public String describe(final String nodeId, final URI controlUrl)
    {
        return "sh -c '" + command(nodeId, controlUrl) + "'";
    }

    private void copy(final Process process, final String nodeId)
    {
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = lines.readLine()))
            {
                out.println("  " + nodeId + " restart: " + line);
            }
        }
        catch (final IOException ex)
        {
            // the command's output ended with it
        }
    }

    private String command(final String nodeId, final URI controlUrl)
    {
        return options.restartCommand(nodeId, controlUrl);
    }
}
