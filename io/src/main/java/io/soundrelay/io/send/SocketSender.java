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

import io.netty.channel.unix.Socket;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;

import java.io.IOException;

/**
 * Fallback for the native transports when {@link NativeBatchSender} cannot bind to Netty's internals: one
 * {@code sendto} per datagram through Netty's public {@link Socket} API, which copies the address into a small
 * array per call. Correct, but not allocation free; the node logs when it uses this.
 */
public final class SocketSender implements DatagramSender
{
    private final Socket socket;
    private final boolean ipv6Socket;
    private final RelayCounters counters;
    private final SendFailureLog failureLog = new SendFailureLog();

    /**
     * @param socket     the relay socket.
     * @param ipv6Socket whether it is AF_INET6.
     * @param counters   to count sends and failures.
     */
    public SocketSender(final Socket socket, final boolean ipv6Socket, final RelayCounters counters)
    {
        this.socket = socket;
        this.ipv6Socket = ipv6Socket;
        this.counters = counters;
    }

    public int remaining()
    {
        return Integer.MAX_VALUE;
    }

    public void queue(
        final RelaySlot slot, final int offset, final int length, final Endpoint target, final SendTally tally)
    {
        if (!ipv6Socket && !target.isIpv4())
        {
            failed(target, tally, "an IPv6 target on an IPv4 relay socket");
            return;
        }
        try
        {
            final int n = socket.sendToAddress(
                slot.address(), offset, offset + length, target.socketAddress().getAddress(), target.port());
            if (n == length)
            {
                counters.addSent(1);
                tally.onSent();
            }
            else
            {
                failed(target, tally, "sent " + n + " of " + length + " bytes");
            }
        }
        catch (final IOException ex)
        {
            failed(target, tally, ex.getMessage());
        }
    }

    private void failed(final Endpoint target, final SendTally tally, final String why)
    {
        counters.addError(ErrorReason.SEND_FAILED, 1);
        tally.onSendFailed();
        failureLog.failed(target, why);
    }

    public void flush()
    {
    }

    public String name()
    {
        return "sendto(netty)";
    }
}
