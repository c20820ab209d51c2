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
package io.soundrelay.control;

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.config.ConfigurationException;
import io.soundrelay.core.config.ConfigurationReference;
import io.soundrelay.core.config.SettingTypos;
import io.soundrelay.core.config.StartupChecks;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * {@code java -jar soundrelay.jar}: read the configuration from the environment and {@code .env}, start the node,
 * and drain it on SIGTERM or SIGINT (hand its routes to live peers, then exit 0; a second signal stops it at once).
 * A bad setting stops the node before anything starts, with {@code NAME=value: why} and exit status 2 (so does a
 * PIN_CPUS CPU this process may not run on); so does any argument but {@code --help}, {@code --help=markdown},
 * {@code --help=metrics} (the generated reference pages) and {@code --version}.
 */
public final class SoundRelayMain
{
    private static SoundRelayNode running;
    private static boolean stopRequested;
    private static boolean drainRequested;

    private SoundRelayMain()
    {
    }

    /**
     * The node takes its settings from the environment, so its only arguments are {@code --help} (and its reference
     * pages {@code --help=markdown} and {@code --help=metrics}) and {@code --version}; anything else is refused
     * before anything starts.
     *
     * @param args the command line.
     * @param out  where help and version go.
     * @param err  where a refusal goes.
     * @return the exit status when the process should end now, or -1 to start the node.
     */
    static int arguments(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length == 0)
        {
            return -1;
        }
        if (args.length == 1 && ("--help".equals(args[0]) || "-h".equals(args[0])))
        {
            out.print(help(System.getenv(), Path.of(Configuration.DOT_ENV_FILE)));
            return 0;
        }
        if (args.length == 1 && "--help=markdown".equals(args[0]))
        {
            out.print(ConfigurationReference.markdown());
            return 0;
        }
        if (args.length == 1 && "--help=metrics".equals(args[0]))
        {
            out.print(MetricsReference.markdown());
            return 0;
        }
        if (args.length == 1 && ("--version".equals(args[0]) || "-V".equals(args[0])))
        {
            out.println("soundrelay " + version());
            return 0;
        }
        err.println("soundrelay: unknown argument" + (args.length == 1 ? " " : "s ") + String.join(" ", args) +
            ": the node takes no arguments but --help (--help=markdown, --help=metrics: the reference pages) and " +
            "--version; its settings come from the environment " +
            "and .env (see --help)");
        return 2;
    }

    /**
     * @param env        the process environment.
     * @param dotEnvFile {@code .env} in the working directory.
     * @return the text of {@code --help}: usage, then each setting with its default, one line each, and under it the
     * value this environment or {@code .env} sets; then the NODE_ID these settings give.
     */
    static String help(final Map<String, String> env, final Path dotEnvFile)
    {
        final Map<String, String> setHere = ConfigurationReference.setHere(env, dotEnvFile);
        final StringBuilder sb = new StringBuilder()
            .append("Usage: java -jar soundrelay.jar [--help | --help=markdown | --help=metrics | --version]\n\n")
            .append("SoundRelay ").append(version()).append(": a UDP audio relay node. It takes its settings from ")
            .append("environment variables and from\n").append(Configuration.DOT_ENV_FILE)
            .append(" in the working directory (the environment wins). A bad setting stops it with exit status 2.\n\n")
            .append("Settings (default in brackets; under a setting, \"= value\" is what the environment or ")
            .append(Configuration.DOT_ENV_FILE).append(" here sets):\n");
        int width = 0;
        for (final Configuration.Help h : Configuration.help())
        {
            width = Math.max(width, h.name().length());
        }
        for (final Configuration.Help h : Configuration.help())
        {
            sb.append("  ").append(h.name()).append(" ".repeat(width - h.name().length() + 2))
                .append(h.summary()).append(" [").append(h.defaultValue()).append("]\n");
            final String set = setHere.get(h.name());
            if (set != null)
            {
                sb.append(" ".repeat(width + 4)).append("= ").append(set).append('\n');
            }
        }
        sb.append("  ").append(Configuration.OTEL_PREFIX).append('*').append(" ".repeat(width - 6 + 2))
            .append("the OpenTelemetry SDK's own variables (OTEL_EXPORTER_OTLP_ENDPOINT, ...) [none: no export]\n")
            .append('\n').append(nodeIdHere(env, dotEnvFile))
            .append("\nTo keep a trial node out of a shared Redis: REDIS_URL= (empty) keeps routes in memory.\n")
            .append("The reference pages: --help=markdown (settings), --help=metrics (metrics).\n");
        return sb.toString();
    }

    /**
     * @return what NODE_ID a node started here would have, or why these settings start no node.
     */
    private static String nodeIdHere(final Map<String, String> env, final Path dotEnvFile)
    {
        final Configuration config;
        try
        {
            config = Configuration.load(env, dotEnvFile);
        }
        catch (final ConfigurationException ex)
        {
            return "These settings start no node: " + ex.getMessage();
        }
        if (config.isSet(Configuration.NODE_ID_ENV))
        {
            return "NODE_ID here: " + config.nodeId() + " (set).";
        }
        final int port = config.bindAddr().getPort();
        if (port == 0)
        {
            return "Default NODE_ID here: " + Configuration.defaultNodeId(Configuration.localHostName(), 0)
                .replaceFirst("-0$", "-<port>") + ", <port> being the one BIND_ADDR's port 0 takes at start-up.";
        }
        return "Default NODE_ID here: " + config.nodeId() + " (the host name and BIND_ADDR's port).";
    }

    /**
     * @return the version the build wrote into {@code version.properties}, or "unknown".
     */
    static String version()
    {
        try (InputStream in = SoundRelayMain.class.getResourceAsStream("version.properties"))
        {
            if (in != null)
            {
                final Properties p = new Properties();
                p.load(in);
                final String v = p.getProperty("version");
                if (v != null && !v.isEmpty() && !v.startsWith("${"))
                {
                    return v;
                }
            }
        }
        catch (final IOException ex)
        {
            // unknown below
        }
        return "unknown";
    }

    /**
     * SIGTERM or SIGINT: the first one drains the node (PROTOCOL.md section 12); another one, or one while a drain
     * that {@code POST /drain} began is under way, stops it at once. One before the node is up stops it once it is.
     */
    private static synchronized void requestStop(final String signal)
    {
        if (stopRequested)
        {
            return;
        }
        if (running == null)
        {
            stopRequested = true;
        }
        else if (!drainRequested && running.drain("SIG" + signal))
        {
            drainRequested = true;
            System.err.println("soundrelay: SIG" + signal + ": draining (at most " +
                running.config().drainTimeoutSeconds() + " s); send SIGTERM or SIGINT again to stop at once");
        }
        else
        {
            stopRequested = true;
            System.err.println("soundrelay: SIG" + signal + ": stopping now");
            stopInBackground(running);
        }
    }

    private static synchronized void started(final SoundRelayNode node)
    {
        running = node;
        if (stopRequested)
        {
            stopInBackground(node);
        }
    }

    private static void stopInBackground(final SoundRelayNode node)
    {
        new Thread(() ->
        {
            node.close();
            System.exit(0);
        }, "soundrelay-shutdown").start();
    }

    public static void main(final String[] args)
    {
        final int argsStatus = arguments(args, System.out, System.err);
        if (argsStatus >= 0)
        {
            System.exit(argsStatus);
            return;
        }
        final Configuration config;
        try
        {
            config = Configuration.fromEnvironment();
            StartupChecks.checkPinCpus(config.pinCpus(), StartupChecks.allowedCpus());
        }
        catch (final ConfigurationException ex)
        {
            System.err.println("soundrelay: invalid configuration: " + ex.getMessage());
            System.exit(2);
            return;
        }

        // Before the first logger is made: slf4j-simple reads these once.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", config.logLevel().configName());
        // The rest of the format (short logger names, the libraries' levels) is in simplelogger.properties.
        System.setProperty("org.jboss.logging.provider", "slf4j");
        NodeLogging.install();
        for (final String typo : SettingTypos.find(System.getenv(), Path.of(Configuration.DOT_ENV_FILE)))
        {
            LoggerFactory.getLogger(SoundRelayMain.class).warn(typo);
        }

        // Handlers go in before the node starts, so a SIGTERM during start-up also ends in a graceful stop.
        final sun.misc.SignalHandler stop = signal -> requestStop(signal.getName());
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);

        final SoundRelayNode node;
        try
        {
            node = SoundRelayNode.start(config);
        }
        catch (final IllegalArgumentException | ConfigurationException ex)
        {
            System.err.println("soundrelay: invalid configuration: " + ex.getMessage());
            System.exit(2);
            return;
        }
        catch (final IOException ex)
        {
            System.err.println("soundrelay: cannot start: " + ex.getMessage());
            System.exit(1);
            return;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            System.exit(1);
            return;
        }
        started(node);
        final String openApi = StartupChecks.openApiWarning(
            config.authEnabled(), config.controlApiAddr(), node.apiAddress().getPort());
        if (openApi != null)
        {
            LoggerFactory.getLogger(SoundRelayMain.class).warn("UNAUTHENTICATED CONTROL API: {}", openApi);
        }

        try
        {
            node.awaitClose();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        System.exit(node.exitStatus()); // a drain, or a stop on a data-plane thread's death, closed the node
    }
}
