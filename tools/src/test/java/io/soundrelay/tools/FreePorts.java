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
package io.soundrelay.tools;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;

/**
 * UDP ports on 127.0.0.1 for the tools' tests.
 */
final class FreePorts
{
    private FreePorts()
    {
    }

    /**
     * @return a UDP port that was free a moment ago.
     */
    static int one() throws IOException
    {
        return some(1)[0];
    }

    /**
     * @param count how many.
     * @return distinct UDP ports that were free a moment ago: held open together, then released.
     */
    static int[] some(final int count) throws IOException
    {
        final DatagramChannel[] channels = new DatagramChannel[count];
        final int[] ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                channels[i] = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                ports[i] = ((InetSocketAddress)channels[i].getLocalAddress()).getPort();
            }
            return ports;
        }
        finally
        {
            for (final DatagramChannel channel : channels)
            {
                if (null != channel)
                {
                    channel.close();
                }
            }
        }
    }
}
