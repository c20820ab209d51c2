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

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Load generator and verifier for a running SoundRelay node, or any UDP relay: the engine of the {@code loadgen}
 * command ({@link LoadgenCommand}).
 * <p>
 * It binds sender and receiver sockets, optionally creates a route per stream (source: the stream's sender socket,
 * target: one receiver socket), sends every stream at its rate, checks each datagram that comes back byte for byte,
 * waits a grace period for stragglers, deletes the routes and reports: progress lines while it runs, then a
 * {@link GeneratorResult}.
 * <p>
 * The source sockets are one per sender thread, or one per stream (--socket-per-stream, --return-path). With a
 * return path each route is created with {@code "return_path": true} and its stream sends to the relay port the
 * node's answer names (or, without routes, to --relay-port-base + the stream's index). With --echo the sinks send
 * every datagram back where it came from, and a {@link ReturnReceiver} checks what reaches the streams' sockets
 * into a second ledger: the return direction.
 * <p>
 * Routes it created are deleted however the run ends: normally, by an exception, or by the JVM shutting down
 * (Ctrl-C), through a shutdown hook, which then prints what was sent and received so far and the latency
 * percentiles so far.
 * <pre>
 *   try (PacketGenerator generator = PacketGenerator.open(options, System.out))
 *   {
 *       List&lt;InetSocketAddress&gt; targets = generator.receiverAddresses(); // e.g. to route elsewhere first
 *       GeneratorResult result = generator.run();
 *   }
 * </pre>
 */
public final class PacketGenerator implements AutoCloseable
{
    private static final int RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
    private static final int SEND_BUFFER_BYTES = 1024 * 1024;
    // A stream's own socket gets its stream's echoes only: 1/streams of the traffic.
    private static final int STREAM_RECEIVE_BUFFER_BYTES = 256 * 1024;
    // Lets every sender thread start before the first send time.
    private static final long START_DELAY_NS = 20_000_000L;
    private static final long GRACE_POLL_NS = 1_000_000L;

    private final GeneratorOptions options;
    private final PrintStream out;
    private final Sender.Transport transport;
    private final List<DatagramChannel> senderChannels = new ArrayList<>();
    private final List<DatagramChannel> receiverChannels = new ArrayList<>();
    private final List<InetSocketAddress> senderAddresses = new ArrayList<>();
    private final List<InetSocketAddress> receiverAddresses = new ArrayList<>();
    private DatagramChannel strangerChannel;
    private boolean ran;
    private int routesCreated;

    private PacketGenerator(final GeneratorOptions options, final PrintStream out, final Sender.Transport transport)
    {
        this.options = options;
        this.out = out;
        this.transport = transport;
    }

    /**
     * Bind the generator's sockets on {@link GeneratorOptions#bindHost()}: the senders on
     * {@link GeneratorOptions#sourcePort()} onwards or ephemeral ports, the receivers on the sink ports or
     * ephemeral ports.
     *
     * @param out where progress lines go.
     * @return a generator ready to {@link #run()} once.
     */
    public static PacketGenerator open(final GeneratorOptions options, final PrintStream out) throws IOException
    {
        return open(options, out, Sender.Transport.CHANNEL);
    }

    static PacketGenerator open(
        final GeneratorOptions options, final PrintStream out, final Sender.Transport transport) throws IOException
    {
        final PacketGenerator generator = new PacketGenerator(options, out, transport);
        try
        {
            for (int i = 0; i < options.sourceSockets(); i++)
            {
                final int port = options.sourcePort() > 0 ? options.sourcePort() + i : 0;
                final DatagramChannel channel = bind(options.bindHost(), port, StandardSocketOptions.SO_SNDBUF,
                    SEND_BUFFER_BYTES);
                generator.senderChannels.add(channel);
                if (options.echo())
                {
                    channel.setOption(StandardSocketOptions.SO_RCVBUF, STREAM_RECEIVE_BUFFER_BYTES);
                }
                generator.senderAddresses.add((InetSocketAddress)channel.getLocalAddress());
            }
            for (int i = 0; i < options.receivers(); i++)
            {
                final DatagramChannel channel = bind(options.bindHost(), options.sinkPort(i),
                    StandardSocketOptions.SO_RCVBUF, RECEIVE_BUFFER_BYTES);
                generator.receiverChannels.add(channel);
                generator.receiverAddresses.add((InetSocketAddress)channel.getLocalAddress());
            }
            if (options.stranger())
            {
                generator.strangerChannel = bind(options.bindHost(), 0, StandardSocketOptions.SO_SNDBUF,
                    SEND_BUFFER_BYTES);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            generator.close();
            throw ex;
        }
        return generator;
    }

    /**
     * @return the source sockets' addresses; stream {@code i} is sent from entry {@code i % size}: one per sender,
     * or one per stream.
     */
    public List<InetSocketAddress> senderAddresses()
    {
        return Collections.unmodifiableList(senderAddresses);
    }

    /**
     * @return the receiver sockets' addresses; with routes, stream {@code i} targets entry {@code i % receivers}.
     */
    public List<InetSocketAddress> receiverAddresses()
    {
        return Collections.unmodifiableList(receiverAddresses);
    }

    /**
     * @return routes this generator created (those of a failed run are deleted by then).
     */
    int routesCreated()
    {
        return routesCreated;
    }

    /**
     * Create the routes if asked, send, wait for stragglers, delete the routes, and close the sockets.
     *
     * @return what was sent and what arrived.
     * @throws IOException when the node refuses a route (the message has its status and body) or is unreachable.
     */
    public GeneratorResult run() throws IOException, InterruptedException
    {
        if (ran)
        {
            throw new IllegalStateException("a PacketGenerator runs once");
        }
        ran = true;
        out.println("loadgen: " + options);

        final SendCounters counters = new SendCounters(options.streams());
        final DeliveryLedger ledger = new DeliveryLedger(options.streamIds(), options.streams(),
            options.createRoutes() ? options.receivers() : DeliveryLedger.ANY_RECEIVER);
        // What comes back: "receiver" i is stream i's own socket, so a datagram at another stream's is wrong.
        final DeliveryLedger returnLedger = options.echo() ?
            new DeliveryLedger(options.streamIds(), options.streams(), options.streams()) : null;
        final InetSocketAddress[] destinations = new InetSocketAddress[options.streams()];
        final RouteClient routes = options.createRoutes() ?
            new RouteClient(options.api(), options.apiKey(), options.paceMs(), options.jitterMs()) : null;
        final Queue<Long> created = new ConcurrentLinkedQueue<>();
        final Progress progress = new Progress();
        final Thread cleanup = new Thread(
            () -> cleanUpOnShutdown(routes, created, progress), "soundrelay-loadgen-stop");
        final long sendNs;
        final Histogram latencyNs;
        final Histogram interArrivalNs;
        final IntervalReporter reporter;
        int routeErrors = 0;
        try
        {
            Runtime.getRuntime().addShutdownHook(cleanup);
            if (null != routes)
            {
                createRoutes(routes, created, destinations);
            }
            else
            {
                setDestinations(destinations);
            }
            final long startNs = System.nanoTime() + START_DELAY_NS;
            if (options.warmupSeconds() > 0)
            {
                ledger.measureFrom(startNs + (long)(options.warmupSeconds() * 1e9));
                if (null != returnLedger)
                {
                    returnLedger.measureFrom(startNs + (long)(options.warmupSeconds() * 1e9));
                }
            }
            reporter = new IntervalReporter(
                out, counters, ledger, returnLedger, options.reportIntervalSeconds(), startNs);
            progress.started(counters, ledger, reporter, startNs);
            sendNs = sendAndReceive(counters, ledger, returnLedger, destinations, reporter, startNs);
            latencyNs = reporter.finish();
            interArrivalNs = ledger.intervalInterArrivals(null);
        }
        finally
        {
            close();
            if (null != routes)
            {
                routeErrors = deleteRoutes(routes, created);
            }
            removeShutdownHook(cleanup);
        }

        return new GeneratorResult(options, counters, ledger, latencyNs, interArrivalNs, returnLedger,
            null == returnLedger ? null : reporter.returnTotal(), sendNs, routeErrors);
    }

    public void close()
    {
        closeQuietly(senderChannels);
        closeQuietly(receiverChannels);
        if (null != strangerChannel)
        {
            closeQuietly(List.of(strangerChannel));
        }
    }

    private long sendAndReceive(
        final SendCounters counters,
        final DeliveryLedger ledger,
        final DeliveryLedger returnLedger,
        final InetSocketAddress[] destinations,
        final IntervalReporter reporter,
        final long startNs) throws InterruptedException, IOException
    {
        final List<Thread> receivers = new ArrayList<>();
        final List<Receiver> sharing = new ArrayList<>();
        final LongAdder echoErrors = options.echo() ? counters.echoErrors : null;
        for (int i = 0; i < receiverChannels.size(); i++)
        {
            final Receiver receiver = new Receiver(
                i, receiverChannels.get(i), ledger, DatagramFormat.of(options), out, echoErrors);
            if (options.oneThread())
            {
                configureBlocking(receiverChannels.get(i), false);
                sharing.add(receiver);
            }
            else
            {
                receivers.add(start(receiver, "soundrelay-receiver-" + i));
            }
        }

        final ReturnReceiver returns = null == returnLedger ? null :
            new ReturnReceiver(senderChannels, returnLedger, DatagramFormat.of(options), out);
        Thread returnThread = null;
        if (null != returns && !options.oneThread())
        {
            returnThread = start(returns, "soundrelay-return-receiver");
        }

        final CountDownLatch sendersDone = new CountDownLatch(options.senders());
        final List<Thread> senders = startSenders(counters, destinations, startNs, sharing, returns, sendersDone);
        awaitSenders(sendersDone, reporter, startNs);
        for (final Thread sender : senders)
        {
            sender.join();
        }
        final long sendEndNs = System.nanoTime();
        out.println("loadgen: sending done");
        out.flush();
        for (int i = 0; i < sharing.size(); i++)
        {
            // The sender is done: the receiver gets its own thread for the stragglers.
            configureBlocking(receiverChannels.get(i), true);
            receivers.add(start(sharing.get(i), "soundrelay-receiver-" + i));
        }
        if (null != returns && null == returnThread)
        {
            returnThread = start(returns, "soundrelay-return-receiver");
        }

        // Stragglers may still be in flight. With stranger traffic wait the grace out in full: a leak may come last.
        final long deadlineNs = sendEndNs + options.graceMs() * 1_000_000L;
        long nowNs;
        while ((nowNs = System.nanoTime()) - deadlineNs < 0 &&
            (options.stranger() || ledger.delivered() < counters.sent.sum() ||
            (null != returnLedger && returnLedger.delivered() < ledger.delivered())))
        {
            reporter.reportIfDue(nowNs);
            LockSupport.parkNanos(GRACE_POLL_NS);
        }

        closeQuietly(receiverChannels);
        for (final Thread receiver : receivers)
        {
            receiver.join();
        }
        if (null != returns)
        {
            returns.stop();
            returnThread.join();
            returns.close();
        }
        return sendEndNs - startNs;
    }

    private List<Thread> startSenders(
        final SendCounters counters,
        final InetSocketAddress[] destinations,
        final long startNs,
        final List<Receiver> sharing,
        final ReturnReceiver returns,
        final CountDownLatch sendersDone)
    {
        final int[][] streamsBySender = streamsBySender(options.streams(), options.senders());
        final List<Thread> senders = new ArrayList<>();
        for (int i = 0; i < options.senders(); i++)
        {
            final DatagramChannel[] channelsBySlot = new DatagramChannel[streamsBySender[i].length];
            for (int slot = 0; slot < channelsBySlot.length; slot++)
            {
                channelsBySlot[slot] = senderChannels.get(options.socketPerStream() ? streamsBySender[i][slot] : i);
            }
            final Sender sender = new Sender(channelsBySlot, strangerChannel, transport,
                (streamIndex) -> destinations[streamIndex], options, streamsBySender[i], counters, startNs);
            if (options.oneThread())
            {
                sender.shareThreadWith(sharing.get(i), returns);
            }
            final Runnable task = () ->
            {
                try
                {
                    sender.run();
                }
                finally
                {
                    sendersDone.countDown();
                }
            };
            senders.add(start(task, "soundrelay-sender-" + i));
        }
        return senders;
    }

    /**
     * Wait for the senders, printing progress lines, and the marker lines a benchmark script samples the relay's CPU
     * between.
     */
    private void awaitSenders(final CountDownLatch sendersDone, final IntervalReporter reporter, final long startNs)
        throws InterruptedException
    {
        final long measureAtNs = startNs + (long)(options.warmupSeconds() * 1e9);
        boolean measuring = false;
        while (true)
        {
            final long nowNs = System.nanoTime();
            if (!measuring && nowNs - measureAtNs >= 0)
            {
                measuring = true;
                out.println("loadgen: measuring");
                out.flush();
            }
            long waitNs = reporter.nanosToNextReport(nowNs);
            if (!measuring)
            {
                waitNs = Math.max(1, Math.min(waitNs, measureAtNs - nowNs));
            }
            if (sendersDone.await(waitNs, TimeUnit.NANOSECONDS))
            {
                break;
            }
            reporter.reportIfDue(System.nanoTime());
        }
    }

    private static void configureBlocking(final DatagramChannel channel, final boolean blocking)
    {
        try
        {
            channel.configureBlocking(blocking);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private void createRoutes(final RouteClient routes, final Queue<Long> created,
        final InetSocketAddress[] destinations) throws IOException, InterruptedException
    {
        for (int i = 0; i < options.streams(); i++)
        {
            final long streamId = options.streamId(i);
            final InetSocketAddress source = senderAddresses.get(i % senderAddresses.size());
            final InetSocketAddress target =
                receiverAddresses.get(DeliveryLedger.receiverFor(i, receiverAddresses.size()));
            if (options.returnPath())
            {
                final int relayPort = routes.createWithReturnPath(streamId, source, target, options.deliver());
                created.add(streamId);
                routesCreated++;
                if (0 == relayPort)
                {
                    throw new IOException("POST " + options.api().resolve("/route") + ": the node answered 201 " +
                        "without a relay_port (1-65535) for stream " + streamId + ", a route with a return path");
                }
                destinations[i] = new InetSocketAddress(options.relay().getAddress(), relayPort);
            }
            else
            {
                routes.create(streamId, source, target, options.deliver());
                created.add(streamId);
                routesCreated++;
                destinations[i] = options.relay();
            }
        }
        out.println("created " + created.size() + " routes" + (options.returnPath() ? " with a return path" : "") +
            " via " + options.api());
    }

    /**
     * Without routes: every stream sends to --relay, or with --relay-port-base P, stream i to port P+i of its host.
     */
    private void setDestinations(final InetSocketAddress[] destinations)
    {
        for (int i = 0; i < destinations.length; i++)
        {
            destinations[i] = options.relayPortBase() > 0 ?
                new InetSocketAddress(options.relay().getAddress(), options.relayPortBase() + i) : options.relay();
        }
    }

    /**
     * Delete every route still in the queue; the run's end and the shutdown hook may both be at it, each route
     * is taken by one of them.
     *
     * @return routes the node failed to delete.
     */
    private int deleteRoutes(final RouteClient routes, final Queue<Long> created) throws InterruptedException
    {
        int errors = 0;
        Long streamId;
        while (null != (streamId = created.poll()))
        {
            try
            {
                routes.delete(streamId);
            }
            catch (final IOException ex)
            {
                out.println(ex.getMessage());
                errors++;
            }
        }
        return errors;
    }

    private void cleanUpOnShutdown(final RouteClient routes, final Queue<Long> created, final Progress progress)
    {
        if (null != routes && !created.isEmpty())
        {
            out.println("loadgen: stopping, deleting " + created.size() + " routes");
            try
            {
                deleteRoutes(routes, created);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        progress.printStopped(out);
    }

    /**
     * What the Ctrl-C hook needs for a partial summary, set once sending is about to start.
     */
    private static final class Progress
    {
        private volatile SendCounters counters;
        private volatile DeliveryLedger ledger;
        private volatile IntervalReporter reporter;
        private volatile long startNs;

        void started(
            final SendCounters counters, final DeliveryLedger ledger, final IntervalReporter reporter,
            final long startNs)
        {
            this.counters = counters;
            this.ledger = ledger;
            this.startNs = startNs;
            this.reporter = reporter;
        }

        /**
         * Print what was sent and received so far and the latency percentiles so far.
         */
        void printStopped(final PrintStream out)
        {
            final IntervalReporter running = reporter;
            out.println();
            if (null == running)
            {
                out.println("loadgen: stopped (Ctrl-C) before sending");
                out.flush();
                return;
            }
            final long sent = counters.sent.sum();
            final long received = ledger.delivered();
            out.println(String.format(Locale.ROOT, "loadgen: stopped (Ctrl-C) after %.1f s: partial summary",
                Math.max(0, System.nanoTime() - startNs) / 1e9));
            out.println("sent       " + sent);
            out.println("received   " + received + " intact, once each (" + Math.max(0, sent - received) +
                " in flight or lost)");
            out.println("latency    " + GeneratorSummary.millisLine(running.snapshot()) + "  (so far)");
            out.flush();
        }
    }

    private static void removeShutdownHook(final Thread hook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ex)
        {
            // the JVM is already shutting down: the hook is running or has run, and the queue keeps it single-use
        }
    }

    /**
     * @return for each sender, the indexes of the streams it sends, stream {@code i} going to sender
     * {@code i % senders}.
     */
    static int[][] streamsBySender(final int streams, final int senders)
    {
        final int[][] result = new int[senders][];
        for (int s = 0; s < senders; s++)
        {
            result[s] = new int[(streams - s + senders - 1) / senders];
            for (int slot = 0; slot < result[s].length; slot++)
            {
                result[s][slot] = s + slot * senders;
            }
        }
        return result;
    }

    private static DatagramChannel bind(
        final String host, final int port, final SocketOption<Integer> bufferOption, final int bufferBytes)
        throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open();
        try
        {
            channel.setOption(bufferOption, bufferBytes);
            channel.bind(new InetSocketAddress(host, port));
            return channel;
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot bind " + host + ":" + port + ": " + ex.getMessage(), ex);
        }
    }

    private static Thread start(final Runnable task, final String name)
    {
        final Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void closeQuietly(final List<DatagramChannel> channels)
    {
        for (final DatagramChannel channel : channels)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // closing a datagram socket cannot lose anything we still need
            }
        }
    }
}
