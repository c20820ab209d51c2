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
package io.soundrelay.io.send;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * Sends through a JDK {@link DatagramChannel}: one {@code sendto} per datagram, from a direct buffer to a resolved
 * address, which allocates nothing. Used by the NIO transport, whose receive side wraps the same channel.
 */
public final class ChannelSender implements DatagramSender
{
    private final DatagramChannel channel;
    private final RelayCounters counters;
    private final boolean ipv4Socket;

    /**
     * @param channel    bound relay channel, shared with the receiver (the JDK locks reads and writes apart).
     * @param ipv4Socket whether the channel is IPv4-only, so IPv6 targets cannot be reached.
     * @param counters   to count sends and failures.
     */
    public ChannelSender(final DatagramChannel channel, final boolean ipv4Socket, final RelayCounters counters)
    {
        this.channel = channel;
        this.ipv4Socket = ipv4Socket;
        this.counters = counters;
    }

    public int remaining()
    {
        return Integer.MAX_VALUE;
    }

    public void queue(final RelaySlot slot, final int offset, final int length, final Endpoint target)
    {
        if (ipv4Socket && !target.isIpv4())
        {
            counters.addError(ErrorReason.SEND_FAILED, 1);
            return;
        }
        final ByteBuffer bytes = slot.byteBuffer();
        bytes.limit(offset + length).position(offset);
        try
        {
            if (channel.send(bytes, target.socketAddress()) == length)
            {
                counters.addSent(1);
            }
            else
            {
                counters.addError(ErrorReason.SEND_FAILED, 1);
            }
        }
        catch (final IOException ex)
        {
            counters.addError(ErrorReason.SEND_FAILED, 1);
        }
        finally
        {
            bytes.clear();
        }
    }

    public void flush()
    {
    }

    public String name()
    {
        return "sendto";
    }
}
