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
package io.soundrelay.io.receive;

import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The receiving role as an Agrona agent: applies the socket-set changes the router queued, then takes what the
 * sockets hold into the ring. Stopped with {@link #stopReceiving()}, which leaves the datagrams in the sockets.
 *
 * <p>A thread that was not scheduled for {@link #PAUSE_NS} (the process was stopped with SIGSTOP, its VM or container
 * frozen) finds in its sockets what sources sent while it slept: seconds-old audio a voice server can only play late
 * or throw away, and, with AUTO_FAILOVER, datagrams of routes a peer adopted meanwhile. It takes all of it off the
 * sockets and drops it, counted as {@code stale}, before it takes anything into the ring again.
 */
public final class ReceiveAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(ReceiveAgent.class);
    private static final int CHANGE_LIMIT = 64;
    /**
     * A gap between two duty cycles (or one cycle this long) means the thread was paused: an idle cycle waits at
     * most RECEIVE_WAIT_MS (100 ms), so 3 s is 30 waits, longer than a JVM pause of a node's heap, shorter than the
     * 5 s after which {@code /livez} calls the thread stuck and the 10 s heartbeat TTL after which a peer adopts
     * the node's routes. Audio 3 s old is past any voice server's jitter buffer.
     */
    public static final long PAUSE_NS = TimeUnit.SECONDS.toNanos(3);
    /** Most datagrams taken off one socket after a pause: more than any socket buffer holds. */
    static final int DISCARD_MAX_PER_SOCKET = 1 << 16;

    private final BatchReceiver receiver;
    private final ReceiverProxy changes;
    private final Consumer<RelaySocket> closer;
    private final Consumer<ReceiverProxy.Change> applier = this::apply;
    private final NanoClock clock;
    private volatile boolean receiving = true;
    private volatile long pauses;
    private long lastCycleNs;

    /**
     * @param receiver owned by this agent's thread from now on.
     * @param changes  socket-set changes from the router.
     * @param closer   closes a socket once it has left the set (and frees its relay port).
     * @param clock    tells a pause ({@link #PAUSE_NS}) from a wait.
     */
    public ReceiveAgent(
        final BatchReceiver receiver,
        final ReceiverProxy changes,
        final Consumer<RelaySocket> closer,
        final NanoClock clock)
    {
        this.receiver = receiver;
        this.changes = changes;
        this.closer = closer;
        this.clock = clock;
        this.lastCycleNs = clock.nanoTime();
        changes.onOffer(receiver::wake);
    }

    public void onStart()
    {
        lastCycleNs = clock.nanoTime();
    }

    public int doWork()
    {
        final long startNs = clock.nanoTime();
        int work = 0;
        if (startNs - lastCycleNs > PAUSE_NS)
        {
            work += discardStale(startNs - lastCycleNs);
        }
        work += changes.drain(applier, CHANGE_LIMIT);
        work += receiving ? receiver.receive() : receiver.publishTaken();
        final long endNs = clock.nanoTime();
        if (endNs - startNs > PAUSE_NS)
        {
            work += discardStale(endNs - startNs); // paused inside this cycle: what it took before is gone already
        }
        lastCycleNs = endNs;
        return work;
    }

    private int discardStale(final long pausedNs)
    {
        final int dropped = receiver.discardQueued(DISCARD_MAX_PER_SOCKET);
        pauses++;
        LOG.warn("the receiving thread was not scheduled for {} ms (the process was paused?): dropped {} stale " +
            "datagram(s) its sockets held, counted as stale", TimeUnit.NANOSECONDS.toMillis(pausedNs), dropped);
        return Math.max(1, dropped);
    }

    /**
     * @return pauses this agent noticed ({@link #PAUSE_NS}) since it started; any thread may read it.
     */
    public long pauses()
    {
        return pauses;
    }

    private void apply(final ReceiverProxy.Change change)
    {
        if (change.add)
        {
            try
            {
                receiver.add(change.socket);
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.error("cannot receive on {}: {}; its route gets nothing through it", change.socket, ex.toString());
            }
        }
        else
        {
            receiver.remove(change.socket, closer);
        }
    }

    /**
     * Take no more datagrams off the sockets; any thread may call it.
     */
    public void stopReceiving()
    {
        receiving = false;
        receiver.wake();
    }

    /**
     * @return the receiver this agent drives.
     */
    public BatchReceiver receiver()
    {
        return receiver;
    }

    public void onClose()
    {
        receiver.close();
    }

    public String roleName()
    {
        return "soundrelay-receiver";
    }
}
