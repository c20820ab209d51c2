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
package io.soundrelay.core.route;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Addresses as a person writes them, for log lines: {@code 127.0.0.1:4000} and {@code [::1]:4000}, never the JDK's
 * {@code /127.0.0.1:4000}. Never resolves a name.
 */
public final class Addresses
{
    private Addresses()
    {
    }

    /**
     * @param address an address, or null.
     * @return {@code host:port} ({@code [v6]:port}), or {@code "-"} for null.
     */
    public static String text(final InetSocketAddress address)
    {
        if (address == null)
        {
            return "-";
        }
        final InetAddress host = address.getAddress();
        final String name = host == null ? address.getHostString() : host.getHostAddress();
        return (name.indexOf(':') >= 0 ? "[" + name + "]" : name) + ":" + address.getPort();
    }

    /**
     * @param address an address, or null.
     * @return its text ({@code 127.0.0.1}, {@code ::1}), or {@code "-"} for null.
     */
    public static String text(final InetAddress address)
    {
        return address == null ? "-" : address.getHostAddress();
    }
}
