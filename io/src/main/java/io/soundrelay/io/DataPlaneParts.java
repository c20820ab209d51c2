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

import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerAgent;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.receive.BatchReceiver;
import io.soundrelay.io.receive.EpollReceiver;
import io.soundrelay.io.receive.NioReceiver;
import io.soundrelay.io.receive.ReceiveAgent;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.receive.RingWriter;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.PeerSet;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.send.ChannelSender;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What {@link DataPlane#start(DataPlane.Context)} builds from its context, before any thread runs: the main relay
 * socket and the relay ports on the chosen transport, the ring, the receiver and the senders, the router (with the
 * initial routes) and, with the mixer on, the mixer stage. Gathered so that a failure half way closes what was made.
 */
final class DataPlaneParts
{
    private static final Logger LOG = LoggerFactory.getLogger(DataPlaneParts.class);
    private static final int SOCKET_CHANGE_QUEUE = 4096;

    RelaySocket mainSocket;
    RelayPorts relayPorts;
    RingBuffer<RelaySlot> ring;
    BatchReceiver receiver;
    ReceiveAgent receiveAgent;
    RouterAgent router;
    MixerAgent mixerAgent;
    DatagramSender sender;
    DatagramSender mixerSender;

    private DataPlaneParts()
    {
    }

    /**
     * Bind the main relay socket, make every part, and load the initial routes (binding their relay ports).
     *
     * @param ctx a concluded context.
     * @return the parts, no thread started.
     * @throws IOException when the relay socket cannot be bound ({@link BindFailure} says why); what was made is
     *                     closed.
     */
    static DataPlaneParts build(final DataPlane.Context ctx) throws IOException
    {
        final Transport transport = ctx.transport();
        final DataPlaneParts parts = new DataPlaneParts();
        try
        {
            parts.mainSocket = RelaySocket.open(transport, ctx.bindAddress(), RelaySocket.MAIN_BUFFER_BYTES, false);
            parts.relayPorts = new RelayPorts(transport, parts.mainSocket.localAddress().getAddress(),
                ctx.relayPortsFirst(), ctx.relayPortsLast(), RelaySocket.PORT_BUFFER_BYTES);
            ctx.routerProxy().onUnclaimed(parts.relayPorts::release);
            parts.ring = DataPlane.newRing(ctx.ringSize(), ctx.maxDatagramBytes());
            final RelayCounters receiverCounters = ctx.counters().newChild();
            final RelayCounters routerCounters = ctx.counters().newChild();
            parts.receiver = newReceiver(ctx, parts.ring, receiverCounters);
            parts.sender = newSender(ctx, routerCounters);

            final ReceiverProxy socketChanges = new ReceiverProxy(SOCKET_CHANGE_QUEUE);
            parts.receiveAgent = new ReceiveAgent(parts.receiver, socketChanges, parts.relayPorts::release);
            socketChanges.add(parts.mainSocket);
            ownAddresses(ctx.peers(), parts.mainSocket.localAddress());

            final MixerLink mixerLink = ctx.mixer() ? parts.newMixer(ctx) : null;
            parts.router = new RouterAgent(
                ctx, parts.ring, parts.sender, parts.mainSocket, socketChanges, mixerLink, routerCounters);
            for (final RouteEntry entry : ctx.initialRoutes())
            {
                parts.router.preload(entry, entry.spec().returnPath() ? reopen(parts.relayPorts, entry) : null);
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
     * The mixer stage: its own thread, fed by the router through a bounded ring, sending from the main socket with
     * its own sender. Plain forwarding never waits on a room.
     *
     * @return the link the router feeds it through.
     */
    private MixerLink newMixer(final DataPlane.Context ctx)
    {
        final RelayCounters mixerCounters = ctx.counters().newChild();
        final MixerLink mixerLink = new MixerLink(ctx.mixerQueueBytes(), Math.max(1024, 2 * ctx.maxRoutes()));
        mixerSender = newSender(ctx, mixerCounters);
        mixerAgent = new MixerAgent(
            mixerLink, ctx.maxDatagramBytes(), mixerSender, mixerCounters, mainSocket, ctx.clock(),
            ctx.mixerStaleMs(), ctx.mixerRoomEncodesPerPeriod(), ctx.mixerNodeEncodesPer20Ms());
        return mixerLink;
    }

    /**
     * Close what was made, the receiver first; for a data plane that never started its threads.
     */
    void close()
    {
        if (receiveAgent == null && receiver != null)
        {
            receiver.close();
        }
        else if (receiveAgent != null)
        {
            receiveAgent.onClose();
        }
        closeSockets();
    }

    /**
     * Close the senders, the relay ports and the main socket.
     */
    void closeSockets()
    {
        if (sender != null)
        {
            sender.close();
        }
        if (mixerSender != null)
        {
            mixerSender.close();
        }
        if (relayPorts != null)
        {
            relayPorts.closeAll();
        }
        if (mainSocket != null)
        {
            try
            {
                mainSocket.close();
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

    private static BatchReceiver newReceiver(
        final DataPlane.Context ctx, final RingBuffer<RelaySlot> ring, final RelayCounters counters) throws IOException
    {
        final int slotBytes = RelaySlotFactory.slotBytesFor(ctx.maxDatagramBytes());
        final RingWriter writer = new RingWriter(ring);
        switch (ctx.transport())
        {
            case EPOLL:
                return new EpollReceiver(writer, slotBytes, ctx.receiveBatch(), counters, ctx.clock());
            default:
                return new NioReceiver(writer, slotBytes, ctx.receiveBatch(), counters, ctx.clock());
        }
    }

    private static DatagramSender newSender(final DataPlane.Context ctx, final RelayCounters counters)
    {
        switch (ctx.transport())
        {
            case EPOLL:
                return new NativeBatchSender(ctx.sendBatch(), counters);
            default:
                return new ChannelSender(counters);
        }
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
