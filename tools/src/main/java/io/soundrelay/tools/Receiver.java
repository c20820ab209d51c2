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
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * Receives on one target socket until the socket is closed, checks every datagram byte for byte and records it in
 * a {@link Sink}: the generator's {@link DeliveryLedger}, or the migrate drill's {@link SequenceLedger}.
 */
final class Receiver implements Runnable
{
    /**
     * What a receiver tells about each datagram it takes.
     */
    interface Sink
    {
        /**
         * A datagram arrived that verified against its payload pattern.
         *
         * @param sequence the payload's sequence, {@link PayloadPattern#FORBIDDEN_FLAG} included.
         */
        void onVerified(int receiverIndex, long streamId, long sequence, long sendTimeNs, long nowNs);

        /**
         * A datagram arrived that is not byte for byte anything the generator sent.
         */
        void onCorrupt();
    }

    // Larger than any datagram the generator sends, so an oversize one shows up as a wrong length, not a cut one.
    private static final int BUFFER_BYTES = 65_536;

    private final int index;
    private final DatagramChannel channel;
    private final Sink ledger;
    private final DatagramFormat format;
    private final PrintStream errors;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);

    Receiver(
        final int index,
        final DatagramChannel channel,
        final Sink ledger,
        final DatagramFormat format,
        final PrintStream errors)
    {
        this.index = index;
        this.channel = channel;
        this.ledger = ledger;
        this.format = format;
        this.errors = errors;
    }

    /**
     * Take every datagram waiting on a non-blocking channel, without blocking; for a sender sharing this thread.
     *
     * @return datagrams taken.
     */
    int poll()
    {
        final int payloadOffset = format.receivedPayloadOffset();
        int taken = 0;
        try
        {
            while (true)
            {
                buffer.clear();
                if (null == channel.receive(buffer))
                {
                    return taken;
                }
                taken++;
                onDatagram(payloadOffset, System.nanoTime());
            }
        }
        catch (final IOException ex)
        {
            errors.println("receiver " + index + " poll failed: " + ex);
            return taken;
        }
    }

    private void onDatagram(final int payloadOffset, final long nowNs)
    {
        if (format.verify(buffer, buffer.position()))
        {
            ledger.onVerified(
                index,
                PayloadPattern.streamId(buffer, payloadOffset),
                PayloadPattern.sequence(buffer, payloadOffset),
                PayloadPattern.sendTimeNs(buffer, payloadOffset),
                nowNs);
        }
        else
        {
            ledger.onCorrupt();
        }
    }

    public void run()
    {
        final int payloadOffset = format.receivedPayloadOffset();
        try
        {
            while (true)
            {
                buffer.clear();
                channel.receive(buffer);
                onDatagram(payloadOffset, System.nanoTime());
            }
        }
        catch (final ClosedChannelException ex)
        {
            // closed at the end of the run: done
        }
        catch (final IOException ex)
        {
            errors.println("receiver " + index + " stopped: " + ex);
        }
    }
}
