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
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.function.Consumer;

/**
 * Receives what comes back to the streams' own sockets (--echo): one NIO {@link Selector} watches every stream's
 * socket, and each ready socket is drained, every datagram checked byte for byte and recorded in the return
 * {@link DeliveryLedger} as arriving at receiver "stream index", so a datagram of another stream counts as wrong
 * stream.
 * <p>
 * Nothing is allocated per datagram: the selector hands ready keys to a handler held in a field
 * ({@link Selector#select(Consumer, long)}, no selected-key set to iterate), a key's attachment is its stream index
 * boxed once, and each socket receives from one relay port only, whose address the JDK keeps from one datagram to
 * the next. Either its own thread runs it ({@link #run()}), or a sender sharing its thread calls {@link #poll()}.
 */
final class ReturnReceiver implements Runnable
{
    // A blocking select wakes up this often to see a stop request that lost the race with its wakeup().
    private static final long SELECT_TIMEOUT_MS = 100;
    // Larger than any datagram the generator sends, so an oversize one shows up as a wrong length, not a cut one.
    private static final int BUFFER_BYTES = 65_536;

    private final Selector selector;
    private final Receiver.Sink ledger;
    private final DatagramFormat format;
    private final PrintStream errors;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    private final Consumer<SelectionKey> onReady = this::drain;
    private final int payloadOffset;
    private volatile boolean stopRequested;
    private boolean failed;

    /**
     * @param channelsByStream every stream's own socket, by stream index; each is made non-blocking.
     */
    ReturnReceiver(
        final List<DatagramChannel> channelsByStream,
        final Receiver.Sink ledger,
        final DatagramFormat format,
        final PrintStream errors) throws IOException
    {
        this.ledger = ledger;
        this.format = format;
        this.errors = errors;
        this.payloadOffset = format.receivedPayloadOffset();
        this.selector = Selector.open();
        try
        {
            for (int i = 0; i < channelsByStream.size(); i++)
            {
                final DatagramChannel channel = channelsByStream.get(i);
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ, i);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            selector.close();
            throw ex;
        }
    }

    /**
     * Take every datagram waiting on any stream's socket, without blocking; for a sender sharing this thread.
     *
     * @return sockets that had datagrams.
     */
    int poll()
    {
        try
        {
            return selector.selectNow(onReady);
        }
        catch (final IOException ex)
        {
            report("poll failed: " + ex);
            return 0;
        }
    }

    /**
     * Receive until {@link #stop()}.
     */
    public void run()
    {
        try
        {
            while (!stopRequested)
            {
                selector.select(onReady, SELECT_TIMEOUT_MS);
            }
        }
        catch (final ClosedSelectorException ex)
        {
            // closed at the end of the run: done
        }
        catch (final IOException ex)
        {
            report("stopped: " + ex);
        }
    }

    /**
     * Make {@link #run()} return soon; any thread may call it.
     */
    void stop()
    {
        stopRequested = true;
        selector.wakeup();
    }

    /**
     * Close the selector; the sockets stay open, their owner closes them. Call once no thread runs or polls it.
     */
    void close()
    {
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // nothing waits on it any more
        }
    }

    private void drain(final SelectionKey key)
    {
        final DatagramChannel channel = (DatagramChannel)key.channel();
        final int streamIndex = (Integer)key.attachment();
        try
        {
            while (true)
            {
                buffer.clear();
                if (null == channel.receive(buffer))
                {
                    return;
                }
                final long nowNs = System.nanoTime();
                if (format.verify(buffer, buffer.position()))
                {
                    ledger.onVerified(
                        streamIndex,
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
        }
        catch (final ClosedChannelException ex)
        {
            // the run is over
        }
        catch (final IOException ex)
        {
            report("stream " + streamIndex + ": " + ex);
        }
    }

    private void report(final String message)
    {
        // One line, not one per datagram: a socket that keeps failing would flood the output.
        if (!failed)
        {
            failed = true;
            errors.println("return receiver " + message);
        }
    }
}
