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
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * Sends through the JDK {@link DatagramChannel} of the socket a datagram leaves from: one {@code sendto} per
 * datagram, from a direct buffer to a resolved address, which allocates nothing. Used by the NIO transport, whose
 * receive side reads the same channels (the JDK locks reads and writes apart).
 */
public final class ChannelSender implements DatagramSender
{
    private final RelayCounters counters;
    private final SendFailureLog failureLog = new SendFailureLog();

    /**
     * @param counters to count sends and failures.
     */
    public ChannelSender(final RelayCounters counters)
    {
        this.counters = counters;
    }

    public int remaining()
    {
        return Integer.MAX_VALUE;
    }

    public void queue(
        final RelaySlot slot,
        final int offset,
        final int length,
        final Endpoint target,
        final SendTally tally,
        final RelaySocket from)
    {
        if (failureLog.refusedFamily(from, target, tally, counters))
        {
            return;
        }
        final ByteBuffer bytes = slot.byteBuffer();
        bytes.limit(offset + length).position(offset);
        try
        {
            final int n = from.channel().send(bytes, target.socketAddress());
            if (n == length)
            {
                counters.addSent(1);
                tally.onSent();
            }
            else
            {
                failed(target, tally, n == 0 ? "the socket's send buffer is full" : "sent " + n + " bytes");
            }
        }
        catch (final IOException ex)
        {
            failed(target, tally, ex.getMessage());
        }
        finally
        {
            bytes.clear();
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
        return "sendto";
    }
}
