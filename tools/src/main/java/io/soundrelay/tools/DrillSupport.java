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
import java.net.SocketOption;
import java.nio.channels.DatagramChannel;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What the drills share ({@link MigrateDrill}, {@link RollingDrill}): their sockets and threads, waits that watch for
 * a stop request, and the wait for the receiver to go quiet once sending stops.
 */
final class DrillSupport
{
    /** The receiver counts as done when nothing arrived for this long after sending stopped. */
    static final long QUIET_MS = 500;
    /** The longest wait for the receiver to go quiet. */
    static final long QUIET_DEADLINE_MS = 10_000;

    static final int RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
    static final int SEND_BUFFER_BYTES = 1024 * 1024;
    /** Lets the sender thread start before the first send time. */
    static final long START_DELAY_NS = 20_000_000L;
    /** How often a wait looks at the stop request. */
    static final long STOP_POLL_NS = 50_000_000L;

    private DrillSupport()
    {
    }

    /**
     * Wait until {@code deadlineNs} on the {@link System#nanoTime()} clock.
     *
     * @return false when a stop was requested first.
     */
    static boolean waitUntil(final long deadlineNs, final BooleanSupplier stopRequested)
    {
        long remainingNs;
        while ((remainingNs = deadlineNs - System.nanoTime()) > 0)
        {
            if (stopRequested.getAsBoolean())
            {
                return false;
            }
            LockSupport.parkNanos(Math.min(remainingNs, STOP_POLL_NS));
        }
        return !stopRequested.getAsBoolean();
    }

    /**
     * Wait until the ledger saw nothing for {@link #QUIET_MS} after sending stopped, for at most
     * {@link #QUIET_DEADLINE_MS}, or until a stop is requested.
     */
    static void awaitQuiet(final SequenceLedger ledger, final long sendEndNs, final BooleanSupplier stopRequested)
    {
        final long quietNs = TimeUnit.MILLISECONDS.toNanos(QUIET_MS);
        final long deadlineNs = sendEndNs + TimeUnit.MILLISECONDS.toNanos(QUIET_DEADLINE_MS);
        while (!stopRequested.getAsBoolean())
        {
            final long lastNs = ledger.lastArrivalNs();
            final long quietUntilNs = (lastNs - sendEndNs > 0 ? lastNs : sendEndNs) + quietNs;
            final long nowNs = System.nanoTime();
            final long untilNs = quietUntilNs - deadlineNs < 0 ? quietUntilNs : deadlineNs;
            if (nowNs - untilNs >= 0)
            {
                return;
            }
            LockSupport.parkNanos(Math.min(untilNs - nowNs, STOP_POLL_NS));
        }
    }

    /**
     * @return {@code host:port} parsed, or null when it is none.
     */
    static InetSocketAddress parseOrNull(final String hostPort)
    {
        if (null == hostPort)
        {
            return null;
        }
        try
        {
            return OptionChecks.parseSocketAddress(hostPort);
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }

    /**
     * @return a rate as a whole number when it is one, else with three decimals.
     */
    static String rate(final double pps)
    {
        return pps == Math.rint(pps) ? Long.toString((long)pps) : String.format(Locale.ROOT, "%.3f", pps);
    }

    /**
     * @return a datagram channel bound to an ephemeral port of {@code host}, its buffer set.
     * @throws IOException naming the host when it cannot be bound.
     */
    static DatagramChannel bind(final String host, final SocketOption<Integer> bufferOption, final int bufferBytes)
        throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open();
        try
        {
            channel.setOption(bufferOption, bufferBytes);
            channel.bind(new InetSocketAddress(host, 0));
            return channel;
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot bind " + host + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @return a daemon thread, not started.
     */
    static Thread daemon(final Runnable task, final String name)
    {
        final Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    static void closeQuietly(final DatagramChannel channel)
    {
        if (null == channel)
        {
            return;
        }
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
