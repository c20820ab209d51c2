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
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.LongAdder;

/**
 * Receives on one target socket until the socket is closed, checks every datagram byte for byte and records it in
 * a {@link Sink}: the generator's {@link DeliveryLedger}, or the migrate drill's {@link SequenceLedger}. An echoing
 * receiver then sends every datagram, whatever it was, back from its socket to the address it came from, unchanged.
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
    private final LongAdder echoErrors;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);

    Receiver(
        final int index,
        final DatagramChannel channel,
        final Sink ledger,
        final DatagramFormat format,
        final PrintStream errors)
    {
        this(index, channel, ledger, format, errors, null);
    }

    /**
     * @param echoErrors null for a receiver that only receives; else the receiver echoes every datagram and counts
     *                   here the echoes its socket did not take.
     */
    Receiver(
        final int index,
        final DatagramChannel channel,
        final Sink ledger,
        final DatagramFormat format,
        final PrintStream errors,
        final LongAdder echoErrors)
    {
        this.index = index;
        this.channel = channel;
        this.ledger = ledger;
        this.format = format;
        this.errors = errors;
        this.echoErrors = echoErrors;
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
                final SocketAddress from = channel.receive(buffer);
                if (null == from)
                {
                    return taken;
                }
                taken++;
                onDatagram(payloadOffset, System.nanoTime());
                echo(from);
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

    /**
     * Send the datagram in the buffer back where it came from, as it arrived. A non-blocking socket with a full
     * send buffer takes nothing: that echo is counted and not retried, since the sender sharing the thread waits.
     */
    private void echo(final SocketAddress from) throws IOException
    {
        if (null == echoErrors)
        {
            return;
        }
        buffer.flip();
        try
        {
            if (0 == channel.send(buffer, from))
            {
                echoErrors.increment();
            }
        }
        catch (final ClosedChannelException ex)
        {
            throw ex;
        }
        catch (final IOException ex)
        {
            // e.g. ECONNREFUSED from an earlier ICMP error: that echo is lost, the next ones go on
            echoErrors.increment();
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
                final SocketAddress from = channel.receive(buffer);
                onDatagram(payloadOffset, System.nanoTime());
                echo(from);
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
