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
package io.soundrelay.jda;

import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.RtpFlyweight;
import net.dv8tion.jda.api.audio.factory.IAudioSendSystem;
import net.dv8tion.jda.api.audio.factory.IPacketProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends one JDA voice connection's packets through a SoundRelay node. Made by {@link SoundRelaySendFactory}; JDA
 * calls {@link #start()} and {@link #shutdown()}.
 * <p>
 * Two threads, both daemons named after the connection:
 * <ul>
 *   <li>the <b>send thread</b> ticks every 20 ms on a deadline schedule ({@code FramePacer}: no drift, no burst
 *       after a stall), takes {@link IPacketProvider#getNextPacketRaw(boolean)} and writes each RTP packet, byte
 *       for byte, from the system's own UDP socket to the relay address of the node that holds the route (read
 *       per packet from the control thread's last word, so that a migration moves the next packet). It never
 *       waits for the network and allocates nothing per packet. With
 *       {@link SoundRelaySendFactory.Builder#paceMs(int)} its ticks run up to {@code paceMs} ahead of their play
 *       time while the route is confirmed (at most {@code paceMs / 20 + 1} frames at once, after a start or a
 *       stall) and the node plays them out; a tick without a packet keeps the schedule, since JDA's RTP timestamp
 *       moves on at every call;</li>
 *   <li>the <b>control thread</b> keeps the route on the node in line through the control API: created before the
 *       first packet of a stream (stream id = the SSRC, bytes 8-11; source = the socket; target = the voice server
 *       from {@link IPacketProvider#getSocketAddress()}), taken over when it exists (409), changed when the voice
 *       server moves or the SSRC changes, deleted on {@link #shutdown()}; and, every
 *       {@link SoundRelaySendFactory.Builder#checkInterval(Duration)}, checked on its node: followed to a
 *       migration's new owner, or created on another node when its node is gone or lost it.</li>
 * </ul>
 * Until the node has confirmed the route for a packet's SSRC and voice server, packets are held, at most
 * {@link SoundRelaySendFactory.Builder#maxHeldPackets(int)} (the oldest dropped beyond), and sent in order once it
 * has: the node would drop them anyway, and the start of a sound is kept. A route the node refuses (401, 400, ...)
 * is logged with the node's status and message and kept in {@link #lastRouteError()}; nothing is sent on it.
 * <p>
 * While the connection is silent and its route confirmed, a SoundRelay keep-alive frame (empty payload, never
 * forwarded) goes every 10 s, so that the node does not expire the route ({@code ROUTE_TTL_SECONDS}).
 * <p>
 * Speaking: the {@code changeTalking} argument is computed as JDA's {@code DefaultSendSystem} does (true after a
 * tick without a packet or after the schedule restarted). JDA 6 itself ignores it and sends the speaking state when
 * it starts the send system.
 */
public final class SoundRelaySendSystem implements IAudioSendSystem
{
    static final int RTP_HEADER_LENGTH = RtpFlyweight.HEADER_LENGTH;
    private static final long SEND_THREAD_JOIN_MS = 2_000;
    private static final long ERROR_LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int FRAME_HEADER_LENGTH = FrameFlyweight.HEADER_LENGTH;
    private static final Logger LOG = LoggerFactory.getLogger(SoundRelaySendSystem.class);

    private final IPacketProvider provider;
    private final SoundRelaySendFactory factory;
    private final String name;
    private final HeldPackets held;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final ByteBuffer keepAlive = ByteBuffer.allocate(FRAME_HEADER_LENGTH).order(ByteOrder.BIG_ENDIAN);
    private final Object lifecycle = new Object();

    private volatile boolean running;
    private volatile ConcurrentMap<String, String> contextMap;
    private volatile InetSocketAddress sourceAddress;
    private volatile RouteKey wanted;
    private volatile long packetsSent;
    private volatile long packetsDropped;

    // Under lifecycle.
    private boolean started;
    private boolean shutdown;
    private Thread sendThread;
    private ScheduledThreadPoolExecutor control;
    private DatagramChannel channel;
    private RouteConductor conductor;

    // Send thread only.
    private RouteKey current;
    private long tickIndex;
    private long heldFromTick;
    private long flushedSpan;
    private long lastDatagramNs;
    private int keepAliveSequence;
    private long sendErrors;
    private long lastErrorLogNs;

    // Control thread only.
    private ScheduledFuture<?> retry;

    SoundRelaySendSystem(final IPacketProvider provider, final SoundRelaySendFactory factory)
    {
        this.provider = provider;
        this.factory = factory;
        this.name = provider.getIdentifier();
        this.held = new HeldPackets(factory.maxHeldPackets());
    }

    /**
     * Called by JDA before {@link #start()}: the send and control threads log with this MDC context.
     *
     * @param contextMap JDA's MDC context, or null.
     */
    @Override
    public void setContextMap(final ConcurrentMap<String, String> contextMap)
    {
        this.contextMap = contextMap;
    }

    /**
     * Open the socket to the relay and start the send and control threads; returns at once. A socket that cannot
     * be opened is logged and the system ends, as after {@link #shutdown()}.
     */
    @Override
    public void start()
    {
        synchronized (lifecycle)
        {
            if (started || shutdown)
            {
                return;
            }
            started = true;
            final InetSocketAddress firstRelay = factory.relay();
            try
            {
                channel = openChannel(firstRelay);
                if (null != firstRelay)
                {
                    sourceAddress = sourceAddressOf(firstRelay);
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.error("{}: cannot open a UDP socket to the relay {}: {}", name,
                    null == firstRelay ? "(from GET /nodes)" : Addresses.format(firstRelay), ex.toString());
                closeChannel();
                finish();
                return;
            }
            final boolean ipv4Only = family(firstRelay) == StandardProtocolFamily.INET;
            conductor = new RouteConductor(factory.nodes(), this::sourceFor, ipv4Only, factory.paceMs(), name, LOG);
            control = new ScheduledThreadPoolExecutor(1, (runnable) -> daemon(runnable, " SoundRelay Control Thread"));
            control.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // pending retries die with it
            running = true;
            sendThread = daemon(this::sendLoop, " SoundRelay Sending Thread");
            sendThread.setPriority((Thread.NORM_PRIORITY + Thread.MAX_PRIORITY) / 2); // as JDA's own send thread
            sendThread.start();
            final long checkMs = factory.checkInterval().toMillis();
            control.scheduleWithFixedDelay(this::check, checkMs, checkMs, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Stop sending, then, on the control thread, delete the route if the node still has it from this system (a
     * {@code 404} is fine) and close the socket. Returns at once; {@link #awaitTermination(Duration)} waits for the
     * end. Safe to call more than once, and before {@link #start()}.
     */
    @Override
    public void shutdown()
    {
        synchronized (lifecycle)
        {
            if (shutdown)
            {
                return;
            }
            shutdown = true;
            running = false;
            if (null == control)
            {
                closeChannel();
                finish();
                return;
            }
            final Thread thread = sendThread;
            thread.interrupt();
            control.execute(() ->
            {
                try
                {
                    thread.join(SEND_THREAD_JOIN_MS);
                    closeChannel();
                    conductor.remove();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                finally
                {
                    finish();
                }
            });
            control.shutdown();
        }
    }

    /**
     * @param timeout how long to wait at most.
     * @return true once the system has ended: sending stopped, route deleted or given up on, socket closed.
     * @throws InterruptedException when interrupted while waiting.
     */
    public boolean awaitTermination(final Duration timeout) throws InterruptedException
    {
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * @return true once the system has ended, see {@link #awaitTermination(Duration)}.
     */
    public boolean isTerminated()
    {
        return terminated.getCount() == 0;
    }

    /**
     * @return the address the route names as its {@code source_addr}: the socket's port, with the local address or
     *         the configured public address; null before {@link #start()}, and, when the first node's relay address
     *         comes from {@code GET /nodes}, until the first route is created.
     */
    public InetSocketAddress sourceAddress()
    {
        return sourceAddress;
    }

    /**
     * @return the last failure of a route call, or null when the route is confirmed or none failed. Its message has
     *         the call, the node's status and what the node said, never the API key.
     */
    public SoundRelayRouteException lastRouteError()
    {
        final RouteConductor conductor = conductorOrNull();
        return null == conductor ? null : conductor.lastError();
    }

    /**
     * @return true once the node has confirmed the route for the packets the connection sends now.
     */
    public boolean isRouteConfirmed()
    {
        final RouteConductor conductor = conductorOrNull();
        final RouteKey wanted = this.wanted;
        return null != conductor && null != wanted && wanted.equals(conductor.confirmed());
    }

    /**
     * @return RTP packets written to the relay so far.
     */
    public long packetsSent()
    {
        return packetsSent;
    }

    /**
     * @return packets not sent: dropped while waiting for a route (held queue full, SSRC or voice server changed),
     *         not RTP, or failed to send.
     */
    public long packetsDropped()
    {
        return packetsDropped;
    }

    /**
     * @return the control API of the node that holds the route as far as known, or null.
     */
    String routeNode()
    {
        final RouteConductor conductor = conductorOrNull();
        final NodeDirectory.Node owner = null == conductor ? null : conductor.owner();
        return null == owner ? null : owner.controlUrl();
    }

    /**
     * @return where the packets go now, or null before a route was confirmed.
     */
    InetSocketAddress routeRelay()
    {
        final RouteConductor conductor = conductorOrNull();
        return null == conductor ? null : conductor.relay();
    }

    boolean socketOpen()
    {
        synchronized (lifecycle)
        {
            return null != channel && channel.isOpen();
        }
    }

    private RouteConductor conductorOrNull()
    {
        synchronized (lifecycle)
        {
            return conductor;
        }
    }

    private void sendLoop()
    {
        applyContext();
        final FramePacer pacer = FramePacer.ahead(TimeUnit.MILLISECONDS.toNanos(factory.paceMs()), System::nanoTime);
        pacer.start();
        lastDatagramNs = System.nanoTime();
        boolean sentLast = true;
        boolean restarted = false;
        while (running)
        {
            long waitNs;
            while (running && (waitNs = nanosToNextTick(pacer)) > 0)
            {
                LockSupport.parkNanos(this, waitNs);
            }
            if (!running)
            {
                break;
            }
            Thread.interrupted(); // only shutdown interrupts, and it clears running first
            tickIndex = pacer.ticks();
            flushedSpan = 0;
            try
            {
                sentLast = tick(!sentLast || restarted);
            }
            catch (final RuntimeException ex)
            {
                sentLast = false;
                reportSendError("the packet provider failed", ex);
            }
            if (flushedSpan > 0 && pacer.leadNs() > 0)
            {
                pacer.reanchor(flushedSpan); // the held packets went late and together: the node anchors on them
                restarted = false;
            }
            else
            {
                restarted = pacer.advance();
            }
        }
    }

    /**
     * With pacing, the send thread runs {@code paceMs} ahead only while its packets go straight out: packets held
     * for a route are taken at play time, so that they do not pile up beyond what the node may hold once they go.
     */
    private long nanosToNextTick(final FramePacer pacer)
    {
        final RouteKey key = current;
        return null != key && key.equals(conductor.confirmed()) ? pacer.nanosToDeadline() : pacer.nanosToPlayTime();
    }

    /**
     * One 20 ms tick: take a packet, route it, send or hold it.
     *
     * @param changeTalking as JDA's default send system passes it.
     * @return true when the provider gave a packet.
     */
    private boolean tick(final boolean changeTalking)
    {
        final ByteBuffer packet = provider.getNextPacketRaw(changeTalking);
        if (null == packet || !packet.hasRemaining())
        {
            if (held.size() > 0 && null != current && current.equals(conductor.confirmed()))
            {
                flushHeld(); // the route came after the last packet: do not keep the end of a sound back
            }
            keepAliveIfDue();
            return false;
        }
        final int position = packet.position();
        if (packet.remaining() < RTP_HEADER_LENGTH || !RtpFlyweight.isVersion2(packet.get(position)))
        {
            packet.position(packet.limit()); // JDA hands its previous buffer back when it has no new packet
            packetsDropped++;
            return false;
        }
        final long ssrc = RtpFlyweight.ssrc(packet, position);
        final InetSocketAddress target = provider.getSocketAddress();
        RouteKey key = current;
        if (null == key || key.streamId() != ssrc || !key.target().equals(target))
        {
            packetsDropped += held.clear();
            if (ssrc == 0 || null == target || target.isUnresolved())
            {
                packet.position(packet.limit()); // stream id 0 is not a stream; an unresolved server is nowhere
                packetsDropped++;
                current = null;
                return true;
            }
            key = new RouteKey(ssrc, target);
            current = key;
            wanted = key;
            submitReconcile();
        }
        if (key.equals(conductor.confirmed()))
        {
            flushHeld();
            send(packet);
        }
        else
        {
            if (held.size() == 0)
            {
                heldFromTick = tickIndex;
            }
            if (held.hold(packet))
            {
                packetsDropped++;
            }
        }
        return true;
    }

    private void flushHeld()
    {
        if (held.size() > 0)
        {
            flushedSpan = tickIndex - heldFromTick + 1; // JDA's RTP timestamp moves 960 per call, packet or not
        }
        ByteBuffer waiting;
        while (null != (waiting = held.poll()))
        {
            send(waiting);
        }
    }

    private void send(final ByteBuffer datagram)
    {
        try
        {
            // Read after the route was seen confirmed, which the control thread publishes after its node's relay.
            // Unconnected: a migration changes the relay between two packets; send caches the target's native form.
            channel.send(datagram, conductor.relay());
            packetsSent++;
            lastDatagramNs = System.nanoTime();
        }
        catch (final IOException ex)
        {
            packetsDropped++;
            if (running)
            {
                reportSendError("cannot send to the relay " + conductor.relay(), ex);
            }
        }
        finally
        {
            datagram.position(datagram.limit());
        }
    }

    private void keepAliveIfDue()
    {
        final RouteKey key = current;
        if (null == key || !key.equals(conductor.confirmed()) ||
            System.nanoTime() - lastDatagramNs < factory.keepAliveIntervalNs())
        {
            return;
        }
        // A SoundRelay frame with an empty payload: refreshes the route's last_seen, never forwarded.
        keepAlive.clear();
        FrameFlyweight.writeHeader(keepAlive, 0, FrameFlyweight.KIND_OPAQUE, key.streamId(), keepAliveSequence++, 0);
        try
        {
            channel.send(keepAlive, conductor.relay());
            lastDatagramNs = System.nanoTime();
        }
        catch (final IOException ex)
        {
            if (running)
            {
                reportSendError("cannot send a keep-alive to the relay " + conductor.relay(), ex);
            }
        }
    }

    private void reportSendError(final String what, final Exception ex)
    {
        // At most one line per 10 s, so that a relay that is down cannot flood the log at 50 packets a second.
        sendErrors++;
        final long nowNs = System.nanoTime();
        if (lastErrorLogNs == 0 || nowNs - lastErrorLogNs >= ERROR_LOG_INTERVAL_NS)
        {
            LOG.warn("{}: {} ({} since the last report): {}", name, what, sendErrors, ex.toString());
            lastErrorLogNs = nowNs;
            sendErrors = 0;
        }
    }

    private void submitReconcile()
    {
        try
        {
            control.execute(this::reconcile);
        }
        catch (final RejectedExecutionException ex)
        {
            // Shutting down: no more route changes.
        }
    }

    private void reconcile()
    {
        applyContext();
        if (null != retry)
        {
            retry.cancel(false);
            retry = null;
        }
        if (!running)
        {
            return;
        }
        try
        {
            final long delayMs = conductor.reconcile(wanted);
            if (delayMs != RouteConductor.NO_RETRY && running)
            {
                retry = control.schedule(this::reconcile, delayMs, TimeUnit.MILLISECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final RejectedExecutionException ex)
        {
            // Shutting down.
        }
    }

    private void check()
    {
        applyContext();
        if (!running || null != retry)
        {
            return; // a reconcile is due: it does what a check would
        }
        try
        {
            final long delayMs = conductor.check(wanted);
            if (delayMs != RouteConductor.NO_RETRY && running)
            {
                retry = control.schedule(this::reconcile, delayMs, TimeUnit.MILLISECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final RejectedExecutionException ex)
        {
            // Shutting down.
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("{}: checking the route failed: {}", name, ex.toString());
        }
    }

    private DatagramChannel openChannel(final InetSocketAddress firstRelay) throws IOException
    {
        // Unconnected, so that the packets can follow the route from node to node; the send thread sends each to
        // the relay of the route's node (DatagramChannel.send caches the target's native form: no allocation).
        final DatagramChannel channel = DatagramChannel.open(family(firstRelay));
        try
        {
            channel.bind(new InetSocketAddress(factory.bindAddress(), 0));
            return channel;
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * IPv6 when the first relay address is (or, unknown, the bind address is); the nodes the socket cannot reach are
     * skipped.
     */
    private StandardProtocolFamily family(final InetSocketAddress firstRelay)
    {
        final InetAddress decides = null != firstRelay ? firstRelay.getAddress() : factory.bindAddress();
        return decides instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    }

    /**
     * The route's {@code source_addr}: told once, toward the first relay, and the same for every node after.
     */
    private String sourceFor(final InetSocketAddress relay) throws IOException
    {
        InetSocketAddress known = sourceAddress;
        if (null == known)
        {
            if (null == relay)
            {
                throw new IOException("the source address is not known yet");
            }
            known = sourceAddressOf(relay);
            sourceAddress = known;
        }
        return Addresses.format(known);
    }

    private InetSocketAddress sourceAddressOf(final InetSocketAddress relay) throws IOException
    {
        return Addresses.sourceAddress((InetSocketAddress)channel.getLocalAddress(), factory.publicAddress(), relay);
    }

    private void closeChannel()
    {
        synchronized (lifecycle)
        {
            if (null != channel)
            {
                try
                {
                    channel.close();
                }
                catch (final IOException ex)
                {
                    LOG.debug("{}: closing the socket: {}", name, ex.toString());
                }
            }
        }
    }

    private void finish()
    {
        terminated.countDown();
        factory.terminated(this);
    }

    private Thread daemon(final Runnable runnable, final String suffix)
    {
        final Thread thread = new Thread(runnable, name + suffix);
        thread.setDaemon(true);
        thread.setUncaughtExceptionHandler(
            (t, ex) -> LOG.error("{}: uncaught exception in {}", name, t.getName(), ex));
        return thread;
    }

    private void applyContext()
    {
        final ConcurrentMap<String, String> context = contextMap;
        if (null != context)
        {
            MDC.setContextMap(context);
        }
    }
}
