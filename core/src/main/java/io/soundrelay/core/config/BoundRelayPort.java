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
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * BIND_ADDR with port 0 and no NODE_ID: the default NODE_ID ends in the relay port, so the node learns the port it
 * will have before it claims its id and starts. The kernel picks a free port for a probe socket; the node then binds
 * that port. (Another process could take it in between: the node then stops naming BIND_ADDR, as for any taken
 * port.)
 */
public final class BoundRelayPort
{
    private BoundRelayPort()
    {
    }

    /**
     * @param config the settings as read.
     * @return the same settings, or when BIND_ADDR's port is 0 and NODE_ID is unset, the settings with the port the
     * kernel gives a probe socket on BIND_ADDR's address (so NODE_ID is {@code <host>-<that port>}).
     * @throws ConfigurationException naming BIND_ADDR when no port can be had on its address.
     */
    public static Configuration choose(final Configuration config)
    {
        if (config.bindAddr().getPort() != 0 || config.isSet(Configuration.NODE_ID_ENV))
        {
            return config;
        }
        final InetSocketAddress any = config.bindAddr();
        final boolean v6 = any.getAddress() instanceof java.net.Inet6Address;
        try (DatagramChannel probe = DatagramChannel.open(v6 ? StandardProtocolFamily.INET6 :
            StandardProtocolFamily.INET))
        {
            probe.bind(any);
            return withPort(config, ((InetSocketAddress)probe.getLocalAddress()).getPort());
        }
        catch (final IOException ex)
        {
            throw Parsers.fail(Configuration.BIND_ADDR_ENV, Configuration.show(any),
                "cannot bind the relay socket: " + ex.getMessage());
        }
    }

    /**
     * @param config the settings as read.
     * @param port   the relay port.
     * @return the settings with BIND_ADDR on that port; an unset NODE_ID follows it.
     */
    static Configuration withPort(final Configuration config, final int port)
    {
        final Map<String, String> values = new HashMap<>(config.values());
        values.put(Configuration.BIND_ADDR_ENV,
            Configuration.show(new InetSocketAddress(config.bindAddr().getAddress(), port)));
        return new Configuration(values);
    }
}
