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
package io.soundrelay.io.transport;

import io.soundrelay.core.config.Configuration;
import io.soundrelay.io.linux.Syscalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the data plane's sockets are driven, in the order {@code TRANSPORT=auto} tries them. The order is the
 * measurement's (README, "Performance"): see {@link #select(Configuration.Transport)}.
 * <ul>
 * <li>{@link #EPOLL}: one epoll set over the sockets, {@code recvmmsg} per ready socket, {@code sendmmsg} per
 * socket a batch leaves from, through the node's own system calls on the foreign function API
 * ({@link Syscalls}).</li>
 * <li>{@link #NIO}: the JDK's datagram channels and a selector; works everywhere.</li>
 * </ul>
 * {@code TRANSPORT=io_uring}, a transport of earlier versions, is still accepted: the node says once that it runs
 * epoll instead.
 */
public enum Transport
{
    EPOLL("epoll"),
    NIO("nio");

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    private final String wireName;

    Transport(final String wireName)
    {
        this.wireName = wireName;
    }

    /**
     * @return the name used in settings, logs and {@code /health}.
     */
    public String wireName()
    {
        return wireName;
    }

    /**
     * @return whether this machine can run the transport: for epoll, Linux where the node's system calls link.
     */
    public boolean isAvailable()
    {
        return unavailabilityReason() == null;
    }

    /**
     * @return why the transport cannot run here, for a person; null when it can.
     */
    public String unavailabilityReason()
    {
        final Throwable cause = this == EPOLL ? Syscalls.unavailabilityCause() : null;
        if (cause == null)
        {
            return null;
        }
        final Throwable root = cause.getCause() != null ? cause.getCause() : cause;
        return cause + (root != cause ? " (" + root + ")" : "");
    }

    /**
     * @throws IllegalStateException when the transport cannot run here.
     */
    public void ensureAvailable()
    {
        final String why = unavailabilityReason();
        if (why != null)
        {
            throw new IllegalStateException(wireName + " is not available on this machine: " + why);
        }
    }

    /**
     * @param setting TRANSPORT.
     * @return the transport: for {@code auto}, the first available in declaration order.
     * @throws IllegalArgumentException naming TRANSPORT when the one asked for cannot run here.
     */
    public static Transport select(final Configuration.Transport setting)
    {
        if (setting == Configuration.Transport.AUTO)
        {
            for (final Transport t : values())
            {
                if (t.isAvailable())
                {
                    return t;
                }
            }
            return NIO;
        }
        if (setting == Configuration.Transport.IO_URING)
        {
            LOG.warn("TRANSPORT=io_uring: io_uring is no longer a transport of its own; the node uses epoll " +
                "(recvmmsg/sendmmsg through its own system calls, see docs/data-plane-decisions.md)");
            return select(Configuration.Transport.EPOLL);
        }
        for (final Transport t : values())
        {
            if (t.wireName.equals(setting.configName()))
            {
                if (!t.isAvailable())
                {
                    throw new IllegalArgumentException(
                        "TRANSPORT=" + setting.configName() + ": not available on this machine: " +
                        t.unavailabilityReason());
                }
                return t;
            }
        }
        throw new IllegalArgumentException("TRANSPORT=" + setting.configName() + ": unknown");
    }

    /**
     * @param setting TRANSPORT as written: auto, io_uring, epoll or nio.
     * @return as {@link #select(Configuration.Transport)}.
     * @throws IllegalArgumentException naming TRANSPORT for any other value.
     */
    public static Transport select(final String setting)
    {
        for (final Configuration.Transport t : Configuration.Transport.values())
        {
            if (t.configName().equals(setting))
            {
                return select(t);
            }
        }
        throw new IllegalArgumentException("TRANSPORT=" + setting + ": expected auto, io_uring, epoll or nio");
    }
}
