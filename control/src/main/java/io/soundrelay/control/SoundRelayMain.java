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

import java.io.IOException;

/**
 * {@code java -jar soundrelay.jar}: read the configuration from the environment and {@code .env}, start the node,
 * and stop it gracefully on SIGTERM or SIGINT (drain, then exit 0). A bad setting stops the node before anything
 * starts, with {@code NAME=value: why} and exit status 2.
 */
public final class SoundRelayMain
{
    private static SoundRelayNode running;
    private static boolean stopRequested;

    private SoundRelayMain()
    {
    }

    private static synchronized void requestStop()
    {
        if (!stopRequested)
        {
            stopRequested = true;
            if (running != null)
            {
                stopInBackground(running);
            }
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
        final Configuration config;
        try
        {
            config = Configuration.fromEnvironment();
        }
        catch (final ConfigurationException ex)
        {
            System.err.println("soundrelay: invalid configuration: " + ex.getMessage());
            System.exit(2);
            return;
        }

        // Before the first logger is made: slf4j-simple reads these once.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", config.logLevel().configName());
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.undertow", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.xnio", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.lettuce", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.reactor", "warn");
        System.setProperty("org.jboss.logging.provider", "slf4j");

        // Handlers go in before the node starts, so a SIGTERM during start-up also ends in a graceful stop.
        final sun.misc.SignalHandler stop = signal -> requestStop();
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

        try
        {
            node.awaitClose();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
