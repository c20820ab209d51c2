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

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * What the node may need in file descriptors, against RLIMIT_NOFILE, checked once at start-up: a relay port per route
 * (MAX_STREAMS_PER_NODE, at most what RELAY_PORTS holds), a connection per CONTROL_API_MAX_CONNECTIONS, what is open
 * already (the JVM, its jars, logs) and {@link #RESERVE} for the node's own sockets (relay socket, event loops,
 * epoll and eventfd, listeners, Redis, the exporters).
 * <p>
 * When that does not fit and the operator set MAX_STREAMS_PER_NODE or CONTROL_API_MAX_CONNECTIONS, the node refuses
 * to start naming them. With both at their defaults it starts (a 1024 limit is common, and most
 * routes take no relay port) and logs how many relay ports fit. Either way the relay ports get a budget: a route asking
 * for one past it is refused with 503, so relay ports never take the descriptors the API and the rest keep.
 */
final class DescriptorBudget
{
    /** Descriptors kept for the node's own sockets and files beyond those open at the check. */
    static final int RESERVE = 128;
    /** The variable named in messages for the limit. */
    static final String RLIMIT = "RLIMIT_NOFILE";

    private final long limit;
    private final long openAtStart;
    private final int relayPorts;
    private final int apiConnections;
    private final String warning;

    private DescriptorBudget(
        final long limit, final long openAtStart, final int relayPorts, final int apiConnections, final String warning)
    {
        this.limit = limit;
        this.apiConnections = apiConnections;
        this.openAtStart = openAtStart;
        this.relayPorts = relayPorts;
        this.warning = warning;
    }

    /**
     * @param config the settings.
     * @return the budget of this process, or null when the platform does not tell its limit (not a Unix JVM).
     * @throws ConfigurationException when the explicit settings cannot fit.
     */
    static DescriptorBudget ofThisProcess(final Configuration config)
    {
        final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (!(os instanceof com.sun.management.UnixOperatingSystemMXBean))
        {
            return null;
        }
        final com.sun.management.UnixOperatingSystemMXBean unix = (com.sun.management.UnixOperatingSystemMXBean)os;
        return check(config, unix.getMaxFileDescriptorCount(), unix.getOpenFileDescriptorCount());
    }

    /**
     * @param config      the settings.
     * @param limit       RLIMIT_NOFILE as the process has it (HotSpot raises the soft limit to the hard one).
     * @param openAtStart descriptors open now.
     * @return the budget.
     * @throws ConfigurationException when it cannot fit and the operator chose the numbers.
     */
    static DescriptorBudget check(final Configuration config, final long limit, final long openAtStart)
    {
        final int rangePorts = config.relayPortsLast() - config.relayPortsFirst() + 1;
        final int wantedPorts = Math.min(config.maxStreamsPerNode(), rangePorts);
        final int api = config.controlApiMaxConnections();
        final long reserve = openAtStart + RESERVE;
        final long needed = wantedPorts + api + reserve;
        final long spare = limit - api - reserve;
        if (needed <= limit)
        {
            return new DescriptorBudget(limit, openAtStart, (int)Math.min(Integer.MAX_VALUE, spare), api, null);
        }
        final String ports = config.maxStreamsPerNode() <= rangePorts ?
            Configuration.MAX_STREAMS_PER_NODE_ENV + "=" + config.maxStreamsPerNode() + " (a relay port per route)" :
            Configuration.RELAY_PORTS_ENV + "=" + config.relayPortsFirst() + "-" + config.relayPortsLast() + " (" +
            rangePorts + " relay ports, fewer than " + Configuration.MAX_STREAMS_PER_NODE_ENV + "=" +
            config.maxStreamsPerNode() + ")";
        final String sum = ports + " + " + Configuration.CONTROL_API_MAX_CONNECTIONS_ENV + "=" + api + " + " + reserve +
            " in reserve (" + openAtStart + " open at start-up, " + RESERVE + " for the node's own sockets) = " +
            needed + " file descriptors, over " + RLIMIT + "=" + limit;
        // RELAY_PORTS says which ports, not how many routes: it bounds the count but is no promise of it.
        final boolean chosen = config.isSet(Configuration.MAX_STREAMS_PER_NODE_ENV) ||
            config.isSet(Configuration.CONTROL_API_MAX_CONNECTIONS_ENV);
        if (chosen || spare < 1)
        {
            throw new ConfigurationException(sum + ": raise the limit (ulimit -n, systemd LimitNOFILE=, docker " +
                "--ulimit nofile=) or lower " + Configuration.MAX_STREAMS_PER_NODE_ENV + " (or narrow " +
                Configuration.RELAY_PORTS_ENV + ") or " + Configuration.CONTROL_API_MAX_CONNECTIONS_ENV);
        }
        return new DescriptorBudget(limit, openAtStart, (int)spare, api, sum +
            "; with these defaults the node starts, and routes with return_path beyond " + spare +
            " relay ports at once are refused (503): raise the limit (ulimit -n, systemd LimitNOFILE=) to lift it");
    }

    /**
     * @return most relay ports open at once.
     */
    int relayPorts()
    {
        return relayPorts;
    }

    /**
     * @return RLIMIT_NOFILE.
     */
    long limit()
    {
        return limit;
    }

    long openAtStart()
    {
        return openAtStart;
    }

    /**
     * @return what to log when the defaults did not fit, else null.
     */
    String warning()
    {
        return warning;
    }

    /**
     * @return why a relay port past the budget is refused, for the 503.
     */
    String reason()
    {
        return RLIMIT + "=" + limit + " leaves file descriptors for " + relayPorts + " relay ports (" +
            Configuration.CONTROL_API_MAX_CONNECTIONS_ENV + "=" + apiConnections + " and " + (openAtStart + RESERVE) +
            " more are kept for the API and the node)";
    }
}
