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

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;

/**
 * The receive transports, in the order {@code TRANSPORT=auto} tries them. Epoll comes first because there the node
 * receives with its own recvmmsg straight into the ring (no allocation, one copy, receive and route on one
 * thread), which measured ahead of io_uring through Netty's read path: see bench/results and the README.
 */
public enum Transport
{
    EPOLL("epoll"),
    IO_URING("io_uring"),
    NIO("nio");

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
     * @return true when this transport can run on this machine.
     */
    public boolean isAvailable()
    {
        switch (this)
        {
            case IO_URING:
                return IoUring.isAvailable();
            case EPOLL:
                return Epoll.isAvailable();
            default:
                return true;
        }
    }

    /**
     * @return why {@link #isAvailable()} is false, for the log; null when available.
     */
    public String unavailabilityReason()
    {
        final Throwable cause;
        switch (this)
        {
            case IO_URING:
                cause = IoUring.unavailabilityCause();
                break;
            case EPOLL:
                cause = Epoll.unavailabilityCause();
                break;
            default:
                cause = null;
        }
        if (cause == null)
        {
            return null;
        }
        final Throwable root = cause.getCause() != null ? cause.getCause() : cause;
        return cause.getMessage() + (root != cause ? " (" + root.getMessage() + ")" : "");
    }

    /**
     * Choose the transport for a setting.
     *
     * @param setting {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}.
     * @return the transport to use.
     * @throws IllegalArgumentException when a forced transport is unavailable, saying why.
     */
    public static Transport select(final String setting)
    {
        if ("auto".equals(setting))
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
        for (final Transport t : values())
        {
            if (t.wireName.equals(setting))
            {
                if (!t.isAvailable())
                {
                    throw new IllegalArgumentException(
                        "TRANSPORT=" + setting + ": not available on this machine: " + t.unavailabilityReason());
                }
                return t;
            }
        }
        throw new IllegalArgumentException("TRANSPORT=" + setting + ": expected auto, io_uring, epoll or nio");
    }
}
