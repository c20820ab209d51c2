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
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.io.receive.BatchReceiver;
import io.soundrelay.io.receive.EpollReceiver;
import io.soundrelay.io.receive.NioReceiver;
import io.soundrelay.io.receive.ReceiveAgent;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.receive.RingWriter;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.PipelineHandoff;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.io.send.ChannelSender;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.send.NativeBatchSender;
import io.soundrelay.io.socket.RelayPorts;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * One share-nothing pipeline of the data plane (PROTOCOL.md section 11): its main socket (one of the main port's
 * SO_REUSEPORT group), its ring, receiver and sender, its router with its shard of the routes, their timers and relay
 * ports, and, with several pipelines, its side of the hand-off between them. Built by {@link DataPlaneParts}, run by
 * {@link DataPlane} on the pipeline's own thread(s). Stream s belongs to pipeline {@code (s & 0xFFFFFFFF) mod N}
 * ({@link io.soundrelay.io.router.RouterProxy#owner(long, int)}).
 * <p>
 * The memory limits: JITTER_MAX_HELD stays node-wide (one jitter pool all pipelines share: taken on the asking
 * thread under a lock, given back through a many-to-one queue). PACE_MAX_HELD is each pipeline's whole: a pacing
 * pool's bookkeeping is per pipeline (20 B a place) and its memory is provisioned per paced route by the asking
 * thread, so what is allocated follows the paced routes, not N; what may be held is at most N * PACE_MAX_HELD. A
 * pool split N ways would refuse a paced route on a pipeline whose share is spent while others idle.
 */
final class Pipeline
{
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    private static final int SOCKET_CHANGE_QUEUE = 4096;

    final int index;
    final RelaySocket mainSocket;
    RingBuffer<RelaySlot> ring;
    BatchReceiver receiver;
    ReceiveAgent receiveAgent;
    RouterAgent router;
    DatagramSender sender;
    RelayCounters receiverCounters;
    PipelineHandoff handoff;
    AgentRunner routerRunner;
    AgentRunner receiveRunner;

    private Pipeline(final int index, final RelaySocket mainSocket)
    {
        this.index = index;
        this.mainSocket = mainSocket;
    }

    /**
     * Make pipeline {@code index}'s parts around its main socket; on failure {@link #close()} what was made.
     *
     * @param ctx        a concluded context.
     * @param index      the pipeline, 0 to N - 1.
     * @param mainSocket its main socket.
     * @param relayPorts the node's relay ports: the pipeline's receiver closes and frees its own.
     * @param inboxes    every pipeline's hand-off inbox, or null with one pipeline.
     * @param wakes      how to wake each pipeline, filled in before the threads start; null with one pipeline.
     * @param mixerLink  the pipeline's link to the mixer, or null.
     * @param steered    whether a datagram to the main port reaches this pipeline's socket by its stream id (one
     *                   pipeline, or the reuseport program attached): the receiver may then wait in a receive.
     * @return the pipeline, no thread started.
     * @throws IOException when its receiver cannot be made.
     */
    static Pipeline build(
        final DataPlane.Context ctx,
        final int index,
        final RelaySocket mainSocket,
        final RelayPorts relayPorts,
        final ManyToOneRingBuffer[] inboxes,
        final Runnable[] wakes,
        final MixerLink mixerLink,
        final boolean steered) throws IOException
    {
        final Pipeline pipeline = new Pipeline(index, mainSocket);
        try
        {
            pipeline.make(ctx, relayPorts, inboxes, wakes, mixerLink);
            if (steered && pipeline.receiver instanceof EpollReceiver)
            {
                pipeline.receiveInWait((EpollReceiver)pipeline.receiver);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            pipeline.close();
            throw ex;
        }
        return pipeline;
    }

    private void make(
        final DataPlane.Context ctx,
        final RelayPorts relayPorts,
        final ManyToOneRingBuffer[] inboxes,
        final Runnable[] wakes,
        final MixerLink mixerLink) throws IOException
    {
        final Pipeline pipeline = this;
        pipeline.ring = DataPlane.newRing(ctx.ringSize(), ctx.maxDatagramBytes());
        pipeline.receiverCounters = ctx.counters().newChild();
        final RelayCounters routerCounters = ctx.counters().newChild();
        pipeline.receiver = newReceiver(ctx, pipeline.ring, pipeline.receiverCounters);
        pipeline.sender = newSender(ctx, routerCounters);

        final ReceiverProxy socketChanges = new ReceiverProxy(SOCKET_CHANGE_QUEUE);
        pipeline.receiveAgent = new ReceiveAgent(pipeline.receiver, socketChanges, relayPorts::release, ctx.clock());
        socketChanges.add(mainSocket);
        if (inboxes != null)
        {
            pipeline.handoff = new PipelineHandoff(
                index, inboxes, wakes, mainSocket, routerCounters, ctx.clock(), ctx.maxDatagramBytes());
        }
        pipeline.router = new RouterAgent(ctx, index, pipeline.handoff, pipeline.ring, pipeline.sender, mainSocket,
            socketChanges, mixerLink, routerCounters);
    }

    private void receiveInWait(final EpollReceiver receiver)
    {
        try
        {
            receiver.receiveInWait(mainSocket, index);
        }
        catch (final IOException ex)
        {
            LOG.warn("pipeline {}: no wake socket ({}); it waits on epoll", index, ex.getMessage());
        }
    }

    /**
     * @return datagrams this pipeline passed to their owners.
     */
    long handoffs()
    {
        return handoff == null ? 0 : handoff.handoffs();
    }

    /**
     * @return whether the router routed all it was given, its hand-off inbox included, once draining was asked.
     */
    boolean isDrained()
    {
        return router.isDrained() && (handoff == null || handoff.inboxEmpty());
    }

    /**
     * Close the receiver (for a pipeline whose threads never ran) and the sender; the main socket is the data
     * plane's to close.
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
        closeSender();
    }

    void closeSender()
    {
        if (sender != null)
        {
            sender.close();
        }
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

    static DatagramSender newSender(final DataPlane.Context ctx, final RelayCounters counters)
    {
        switch (ctx.transport())
        {
            case EPOLL:
                return new NativeBatchSender(ctx.sendBatch(), counters);
            default:
                return new ChannelSender(counters);
        }
    }
}
