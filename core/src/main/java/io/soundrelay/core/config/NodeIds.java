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
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The NODE_ID of a node that sets none, {@code <host>-<relay port>}: see {@link Configuration#defaultNodeId}.
 */
final class NodeIds
{
    private NodeIds()
    {
    }

    static String defaultNodeId(final String hostName, final int relayPort, final String fallbackHost)
    {
        final String suffix = "-" + relayPort;
        final int hostMax = ClusterSettings.NODE_ID_MAX_LENGTH - suffix.length();
        final StringBuilder host = new StringBuilder();
        if (hostName != null)
        {
            for (int i = 0; i < hostName.length() && host.length() < hostMax; i++)
            {
                final char c = hostName.charAt(i);
                host.append(Parsers.isNodeIdChar(c) ? c : '-');
            }
        }
        boolean usable = false;
        for (int i = 0; i < host.length(); i++)
        {
            usable |= host.charAt(i) != '-' && host.charAt(i) != '.';
        }
        return (usable ? host.toString() : fallbackHost) + suffix;
    }

    /**
     * @return this host's name: the kernel's (also a container's own), else what the JDK resolves, else null.
     */
    static String localHostName()
    {
        try
        {
            final Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel))
            {
                final String name = Files.readString(kernel, StandardCharsets.US_ASCII).trim();
                if (!name.isEmpty())
                {
                    return name;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // fall through to the JDK
        }
        try
        {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }
}
