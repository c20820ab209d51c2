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
package io.soundrelay.core.config;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

/**
 * Checks of settings against the machine they start on, rather than against their syntax: the CPUs PIN_CPUS names
 * and the exposure of a control API without authentication.
 */
public final class StartupChecks
{
    /** Where Linux says which CPUs the process may run on (its affinity mask, set by taskset or a cpuset). */
    static final Path PROC_STATUS = Path.of("/proc/self/status");

    private static final String CPUS_ALLOWED = "Cpus_allowed_list:";

    private StartupChecks()
    {
    }

    /**
     * @return the CPUs this process may run on, as the kernel writes the list ({@code 0-3,8}): from
     * {@code /proc/self/status}, else {@code 0-<available processors - 1>}.
     */
    public static String allowedCpus()
    {
        try
        {
            if (Files.isReadable(PROC_STATUS))
            {
                for (final String line : Files.readAllLines(PROC_STATUS, StandardCharsets.US_ASCII))
                {
                    if (line.startsWith(CPUS_ALLOWED))
                    {
                        return line.substring(CPUS_ALLOWED.length()).strip();
                    }
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // the fallback below
        }
        final int processors = Runtime.getRuntime().availableProcessors();
        return processors == 1 ? "0" : "0-" + (processors - 1);
    }

    /**
     * PIN_CPUS against the CPUs the process may use.
     *
     * @param pinCpus PIN_CPUS as read; empty for no pinning.
     * @param allowed the CPUs the process may run on, as the kernel writes the list ({@code 0-3,8}).
     * @throws ConfigurationException {@code PIN_CPUS=value: why}, naming the first CPU outside the list and the list.
     */
    public static void checkPinCpus(final List<Integer> pinCpus, final String allowed)
    {
        if (pinCpus.isEmpty())
        {
            return;
        }
        final BitSet cpus = parseCpuList(allowed);
        for (final int cpu : pinCpus)
        {
            if (!cpus.get(cpu))
            {
                final StringBuilder value = new StringBuilder();
                for (final int c : pinCpus)
                {
                    value.append(value.length() == 0 ? "" : ",").append(c);
                }
                throw Parsers.fail(DataPlaneSettings.PIN_CPUS.name(), value.toString(), "CPU " + cpu +
                    " is not one this process may run on; it may use CPUs " + allowed +
                    " (name some of those, or leave PIN_CPUS empty for no pinning)");
            }
        }
    }

    /**
     * @param list a CPU list as the kernel writes it: {@code 0-3,8,10-11}.
     * @return its CPUs; what does not parse is left out.
     */
    static BitSet parseCpuList(final String list)
    {
        final BitSet cpus = new BitSet();
        for (final String part : list.split(","))
        {
            final String range = part.strip();
            if (range.isEmpty())
            {
                continue;
            }
            final int dash = range.indexOf('-');
            try
            {
                final int first = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                final int last = dash < 0 ? first : Integer.parseInt(range.substring(dash + 1));
                if (first >= 0 && last >= first && last <= DataPlaneSettings.PIN_CPU_MAX)
                {
                    cpus.set(first, last + 1);
                }
            }
            catch (final NumberFormatException ex)
            {
                // left out
            }
        }
        return cpus;
    }

    /**
     * @param authEnabled AUTH_ENABLED.
     * @param apiAddress  CONTROL_API_ADDR.
     * @param boundPort   the port the control API is bound to (CONTROL_API_ADDR's, or the one its port 0 took).
     * @return the warning of a control API that anyone who reaches it may use, or null: authentication is on, or
     * the API listens on a loopback address only.
     */
    public static String openApiWarning(
        final boolean authEnabled, final InetSocketAddress apiAddress, final int boundPort)
    {
        if (authEnabled || apiAddress.getAddress().isLoopbackAddress())
        {
            return null;
        }
        final String shown = Configuration.show(new InetSocketAddress(apiAddress.getAddress(), boundPort));
        return ApiSettings.AUTH_ENABLED.name() + "=false and the control API listens on " + shown +
            ", which is not a loopback address: anyone who can reach that port can create, change and delete " +
            "routes, and so make this node send UDP wherever they ask. Set " + ApiSettings.AUTH_ENABLED.name() +
            "=true (clients then send one of " + ApiSettings.API_KEYS.name() + "), or bind " +
            ApiSettings.CONTROL_API_ADDR.name() + " to 127.0.0.1 or [::1].";
    }
}
