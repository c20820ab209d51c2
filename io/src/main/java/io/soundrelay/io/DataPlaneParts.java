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
package io.soundrelay.io;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.PipelineHandoff;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.socket.ReuseportSteering;
import io.soundrelay.io.transport.Transport;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * What {@link DataPlane#start(DataPlane.Context)} builds from its context, before any thread runs: the main port (one
 * socket, or one SO_REUSEPORT group of a socket per pipeline) and the relay ports on the chosen transport, the
 * {@link Pipeline}s (each with its ring, receiver, sender and router, the initial routes in their owners' tables)
 * and, with the mixer on, the mixer stage. Gathered so that a failure half way closes what was made.
 */
final class DataPlaneParts
{
    private static final Logger LOG = LoggerFactory.getLogger(DataPlaneParts.class);

    List<RelaySocket> mainSockets = List.of();
    RelaySocket mainSocket;
    RelayPorts relayPorts;
    Pipeline[] pipelines;
    MixerAgent mixerAgent;
    DatagramSender mixerSender;
    String steering;
    final Runnable[] wakes;

    private DataPlaneParts(final int pipelines)
    {
        this.pipelines = new Pipeline[pipelines];
        this.wakes = new Runnable[pipelines];
        Arrays.fill(wakes, (Runnable)() -> { });
    }

    /**
     * Bind the main port, make every part, and load the initial routes (binding their relay ports).
     *
     * @param ctx a concluded context.
     * @return the parts, no thread started.
     * @throws IOException when the relay socket cannot be bound ({@link BindFailure} says why); what was made is
     *                     closed.
     */
    static DataPlaneParts build(final DataPlane.Context ctx) throws IOException
    {
        final Transport transport = ctx.transport();
        final int n = ctx.pipelines();
        final DataPlaneParts parts = new DataPlaneParts(n);
        try
        {
            parts.mainSockets = RelaySocket.openReusePortGroup(
                transport, ctx.bindAddress(), n, RelaySocket.MAIN_BUFFER_BYTES);
            parts.mainSocket = parts.mainSockets.get(0);
            parts.steering = n == 1 ? "off: one pipeline" : steer(parts.mainSocket, n);
            parts.relayPorts = new RelayPorts(transport, parts.mainSocket.localAddress().getAddress(),
                ctx.relayPortsFirst(), ctx.relayPortsLast(), RelaySocket.PORT_BUFFER_BYTES);
            ctx.routerProxy().onUnclaimed(parts.relayPorts::release);
            ownAddresses(ctx.peers(), parts.mainSocket.localAddress());

            final MixerLink[] mixerLinks = ctx.mixer() ? parts.newMixer(ctx) : null;
            final ManyToOneRingBuffer[] inboxes = n == 1 ? null :
                PipelineHandoff.newInboxes(n, ctx.maxDatagramBytes());
            for (int k = 0; k < n; k++)
            {
                parts.pipelines[k] = Pipeline.build(ctx, k, parts.mainSockets.get(k), parts.relayPorts, inboxes,
                    parts.wakes, mixerLinks == null ? null : mixerLinks[k], n == 1 || "cbpf".equals(parts.steering));
            }
            for (final RouteEntry entry : ctx.initialRoutes())
            {
                parts.pipelines[RouterProxy.owner(entry.streamId(), n)].router.preload(
                    entry, entry.spec().returnPath() ? reopen(parts.relayPorts, entry) : null);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            parts.close();
            throw ex;
        }
        return parts;
    }

    /**
     * Steer the group's datagrams to their owners' sockets in the kernel, or say why not (then they are handed off).
     *
     * @return "cbpf", or the reason steering is off.
     */
    private static String steer(final RelaySocket first, final int n)
    {
        final String reason = ReuseportSteering.attach(first, n);
        if (reason != null)
        {
            LOG.info("steering off: {}; datagrams reaching the wrong pipeline are handed off", reason);
            return reason;
        }
        return "cbpf";
    }

    /**
     * The mixer stage: its own thread, fed by each pipeline's router through a bounded ring of its own, sending from
     * pipeline 0's main socket with its own sender. Plain forwarding never waits on a room.
     *
     * @return the links the pipelines feed it through.
     */
    private MixerLink[] newMixer(final DataPlane.Context ctx)
    {
        final RelayCounters mixerCounters = ctx.counters().newChild();
        final MixerLink[] links = new MixerLink[pipelines.length];
        for (int k = 0; k < links.length; k++)
        {
            links[k] = new MixerLink(ctx.mixerQueueBytes(), Math.max(1024, 2 * ctx.maxRoutes()));
        }
        mixerSender = Pipeline.newSender(ctx, mixerCounters);
        mixerAgent = new MixerAgent(
            links, ctx.maxDatagramBytes(), mixerSender, mixerCounters, mainSocket, ctx.clock(),
            ctx.mixerStaleMs(), ctx.mixerRoomEncodesPerPeriod(), ctx.mixerNodeEncodesPer20Ms());
        return links;
    }

    /**
     * Close what was made, the receivers first; for a data plane that never started its threads.
     */
    void close()
    {
        for (final Pipeline pipeline : pipelines)
        {
            if (pipeline != null)
            {
                pipeline.close();
            }
        }
        closeSockets();
    }

    /**
     * Close the senders, the relay ports and the main sockets.
     */
    void closeSockets()
    {
        for (final Pipeline pipeline : pipelines)
        {
            if (pipeline != null)
            {
                pipeline.closeSender();
            }
        }
        if (mixerSender != null)
        {
            mixerSender.close();
        }
        if (relayPorts != null)
        {
            relayPorts.closeAll();
        }
        for (final RelaySocket socket : mainSockets)
        {
            try
            {
                socket.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("closing the relay socket: {}", ex.toString());
            }
        }
    }

    /**
     * A restored route's relay port (see {@link RelayPorts#reopen}); without one the route is kept, with relay port 0.
     */
    private static RelaySocket reopen(final RelayPorts relayPorts, final RouteEntry entry)
    {
        final RelaySocket socket = relayPorts.reopen(entry.relayPort(), entry.spec().streamIdText());
        if (socket == null)
        {
            entry.relayPort(0);
        }
        return socket;
    }

    /**
     * The main socket's own addresses, so the router knows a datagram from this node itself: every address of the
     * host for a wildcard bind, else the bound one.
     */
    private static void ownAddresses(final PeerSet peers, final InetSocketAddress local)
    {
        if (local.getAddress().isAnyLocalAddress())
        {
            peers.own(local.getPort(), hostAddresses(), true);
        }
        else
        {
            final byte[] raw = local.getAddress().getAddress();
            final byte[] mapped = new byte[16];
            Endpoint.toIpv6Mapped(raw, 0, raw.length, mapped);
            peers.own(local.getPort(), List.of(mapped), false);
        }
    }

    /**
     * @return every address of the host's interfaces, 16 bytes each (IPv4 mapped): where the relay socket's own
     * datagrams come from when a route points back at it.
     */
    static List<byte[]> hostAddresses()
    {
        final List<byte[]> addresses = new ArrayList<>();
        try
        {
            for (final NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                for (final InetAddress address : Collections.list(nif.getInetAddresses()))
                {
                    final byte[] raw = address.getAddress();
                    final byte[] mapped = new byte[16];
                    Endpoint.toIpv6Mapped(raw, 0, raw.length, mapped);
                    addresses.add(mapped);
                }
            }
        }
        catch (final SocketException ex)
        {
            LOG.warn("cannot list the host's addresses ({}): only loopback counts as this node's own", ex.getMessage());
        }
        return addresses;
    }
}
