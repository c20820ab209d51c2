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
package io.soundrelay.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * A socket of the node could not be bound to its configured address: what was bound, where, and why in words an
 * operator acts on (the port is taken, the host has no such address, the port needs privileges), not an errno.
 */
public final class BindFailure extends IOException
{
    private static final long serialVersionUID = 1L;

    private final transient InetSocketAddress address;
    private final String reason;

    /**
     * @param what    the socket, e.g. "the relay socket".
     * @param address where it was to be bound.
     * @param cause   what the bind threw.
     */
    public BindFailure(final String what, final InetSocketAddress address, final Throwable cause)
    {
        super("cannot bind " + what + " to " + hostPort(address) + ": " + reason(cause), cause);
        this.address = address;
        this.reason = reason(cause);
    }

    /**
     * @return where the socket was to be bound.
     */
    public InetSocketAddress address()
    {
        return address;
    }

    /**
     * @return why, for a person.
     */
    public String reason()
    {
        return reason;
    }

    /**
     * Name the usual bind errors, whichever layer reported them: the JDK ({@code BindException: Address already in
     * use}), Netty's native transports ({@code bind(..) failed with error(-98): Address already in use}) or XNIO.
     *
     * @param cause what the bind threw.
     * @return the reason, for a person.
     */
    public static String reason(final Throwable cause)
    {
        final StringBuilder all = new StringBuilder();
        for (Throwable t = cause; t != null && all.length() < 4096; t = t.getCause() == t ? null : t.getCause())
        {
            all.append(t.getMessage()).append(' ');
        }
        final String text = all.toString().toLowerCase(Locale.ROOT);
        if (text.contains("address already in use") || text.contains("error(-98)"))
        {
            return "address already in use (another process, or another node, is bound to this port)";
        }
        if (text.contains("cannot assign requested address") || text.contains("error(-99)"))
        {
            return "cannot assign requested address (this host has no interface with that IP address)";
        }
        if (text.contains("permission denied") || text.contains("error(-13)"))
        {
            return "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root)
        {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /**
     * @param address an address.
     * @return {@code ip:port}, {@code [v6]:port} for IPv6.
     */
    public static String hostPort(final InetSocketAddress address)
    {
        final String host = address.getAddress() == null ? address.getHostString() :
            address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
