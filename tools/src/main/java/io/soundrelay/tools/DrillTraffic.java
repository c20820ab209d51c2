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
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.util.function.BooleanSupplier;

import static io.soundrelay.tools.DrillSupport.RECEIVE_BUFFER_BYTES;
import static io.soundrelay.tools.DrillSupport.SEND_BUFFER_BYTES;
import static io.soundrelay.tools.DrillSupport.START_DELAY_NS;
import static io.soundrelay.tools.DrillSupport.awaitQuiet;
import static io.soundrelay.tools.DrillSupport.bind;
import static io.soundrelay.tools.DrillSupport.closeQuietly;
import static io.soundrelay.tools.DrillSupport.daemon;

/**
 * A drill's traffic, as {@code migrate-drill} and {@code rolling-drill} run it: one source socket, one sink socket
 * whose receiver thread counts every stream's sequences in the ledger, and one sender thread that sends every stream
 * on an absolute schedule to wherever the drill says its owner is. Closing stops the sender, then the receiver, then
 * the sockets.
 */
final class DrillTraffic implements AutoCloseable
{
    private final GeneratorOptions traffic;
    private final SequenceLedger ledger;
    private final DatagramChannel source;
    private final DatagramChannel sink;
    private final Thread receiverThread;
    private Sender sender;
    private Thread senderThread;
    private long startNs;
    private long sendEndNs;

    private DrillTraffic(
        final GeneratorOptions traffic,
        final SequenceLedger ledger,
        final DatagramChannel source,
        final DatagramChannel sink,
        final Thread receiverThread)
    {
        this.traffic = traffic;
        this.ledger = ledger;
        this.source = source;
        this.sink = sink;
        this.receiverThread = receiverThread;
    }

    /**
     * Bind both sockets and start receiving.
     *
     * @param traffic the drill's streams.
     * @param ledger  where the receiver counts.
     * @param out     the receiver's messages.
     * @return the traffic, receiving.
     * @throws IOException when a socket cannot be bound.
     */
    static DrillTraffic open(final GeneratorOptions traffic, final SequenceLedger ledger, final PrintStream out)
        throws IOException
    {
        DatagramChannel source = null;
        try
        {
            source = bind(traffic.bindHost(), StandardSocketOptions.SO_SNDBUF, SEND_BUFFER_BYTES);
            final DatagramChannel sink = bind(traffic.bindHost(), StandardSocketOptions.SO_RCVBUF,
                RECEIVE_BUFFER_BYTES);
            final Thread receiverThread = daemon(new Receiver(0, sink, ledger,
                DatagramFormat.of(traffic).acceptingHop(), out), "soundrelay-drill-receiver");
            receiverThread.start();
            return new DrillTraffic(traffic, ledger, source, sink, receiverThread);
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(source);
            throw ex;
        }
    }

    /**
     * @return where the routes' source sends from.
     */
    InetSocketAddress sourceAddress() throws IOException
    {
        return (InetSocketAddress)source.getLocalAddress();
    }

    /**
     * @return where the routes deliver to.
     */
    InetSocketAddress sinkAddress() throws IOException
    {
        return (InetSocketAddress)sink.getLocalAddress();
    }

    /**
     * Start sending every stream, shortly from now.
     *
     * @param destinations where each stream's datagrams go now.
     * @param streams      the number of streams.
     * @param counters     what the sender counts.
     */
    void startSending(final Sender.Destinations destinations, final int streams, final SendCounters counters)
    {
        startNs = System.nanoTime() + START_DELAY_NS;
        sender = new Sender(source, null, Sender.Transport.CHANNEL, destinations, traffic,
            PacketGenerator.streamsBySender(streams, 1)[0], counters, startNs);
        senderThread = daemon(sender, "soundrelay-drill-sender");
        senderThread.start();
    }

    /**
     * @return when the first datagram is due.
     */
    long startNs()
    {
        return startNs;
    }

    /**
     * Stop sending.
     *
     * @return how long sending lasted.
     */
    long stopSending() throws InterruptedException
    {
        sender.stop();
        senderThread.join();
        sendEndNs = System.nanoTime();
        return sendEndNs - startNs;
    }

    /**
     * Wait until the receiver has been quiet since sending stopped (or a stop is requested).
     */
    void awaitReceived(final BooleanSupplier stopRequested) throws InterruptedException
    {
        awaitQuiet(ledger, sendEndNs, stopRequested);
    }

    @Override
    public void close() throws InterruptedException
    {
        if (null != sender)
        {
            sender.stop();
            senderThread.join();
        }
        closeQuietly(sink);
        receiverThread.join();
        closeQuietly(source);
    }
}
