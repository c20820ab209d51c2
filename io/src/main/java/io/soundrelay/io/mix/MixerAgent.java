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
package io.soundrelay.io.mix;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The mixer stage: owns the {@link RoomMixer} and runs it on a thread of its own, so plain forwarding never waits on
 * a room (an Opus room decodes and re-encodes every frame). Each duty cycle it applies membership changes, takes the
 * room frames the router handed over, emits the periods that are due, and sends the mixed frames from the relay
 * socket with its own batching sender. Its counters are a child of the data plane's: one writer each.
 * <p>
 * A frame that waited in the ring longer than {@code MIXER_STALE_MS} (its receive time against this stage's clock
 * when it is taken) is dropped as {@link ErrorReason#MIXER_STALE} without being decoded: a mixer that fell behind
 * catches up by dropping, cheaply, and a backlog never turns into late audio.
 */
public final class MixerAgent implements Agent, MixOutput
{
    private static final Logger LOG = LoggerFactory.getLogger(MixerAgent.class);
    private static final int FRAME_LIMIT = 256;
    private static final int OUTPUT_SLOTS = 64;

    private final RingBuffer[] frames;
    private final List<OneToOneConcurrentArrayQueue<MixerLink.Membership>> membership;
    private final RoomMixer mixer;
    private final DatagramSender sender;
    private final RelaySocket from;
    private final RelayCounters counters;
    private final RelaySlot[] outputSlots;
    private final NanoClock clock;
    private final long staleNs;
    private final ErrorLogLimiter errors = new ErrorLogLimiter(TimeUnit.SECONDS.toNanos(1));
    private final Consumer<MixerLink.Membership> membershipHandler = this::apply;
    private final MessageHandler frameHandler = this::onMessage;
    private int outputSlotsUsed;
    private long nowNs;

    /**
     * @param link                 the router's hand-off.
     * @param maxDatagramBytes     longest datagram the node sends.
     * @param sender               sends from the relay socket; counts into {@code counters}.
     * @param counters             this stage's counters (a child of the data plane's).
     * @param from                 the main relay socket: mixed frames leave from it.
     * @param clock                the data plane's clock (that of the frames' receive times).
     * @param staleMs              MIXER_STALE_MS: a frame older than this when taken is dropped.
     * @param roomEncodesPerPeriod MIXER_ROOM_ENCODES_PER_PERIOD.
     * @param nodeEncodesPer20Ms   MIXER_NODE_ENCODES_PER_20MS.
     */
    public MixerAgent(
        final MixerLink link,
        final int maxDatagramBytes,
        final DatagramSender sender,
        final RelayCounters counters,
        final RelaySocket from,
        final NanoClock clock,
        final int staleMs,
        final int roomEncodesPerPeriod,
        final int nodeEncodesPer20Ms)
    {
        this(new MixerLink[]{ link }, maxDatagramBytes, sender, counters, from, clock, staleMs, roomEncodesPerPeriod,
            nodeEncodesPer20Ms);
    }

    /**
     * The mixer of several pipelines: each feeds it through a link of its own (one producer each), polled in turn.
     *
     * @param links                one per pipeline.
     * @param maxDatagramBytes     longest datagram the node sends.
     * @param sender               sends from the relay socket; counts into {@code counters}.
     * @param counters             this stage's counters (a child of the data plane's).
     * @param from                 pipeline 0's main socket: mixed frames leave from it.
     * @param clock                the data plane's clock (that of the frames' receive times).
     * @param staleMs              MIXER_STALE_MS: a frame older than this when taken is dropped.
     * @param roomEncodesPerPeriod MIXER_ROOM_ENCODES_PER_PERIOD.
     * @param nodeEncodesPer20Ms   MIXER_NODE_ENCODES_PER_20MS.
     */
    public MixerAgent(
        final MixerLink[] links,
        final int maxDatagramBytes,
        final DatagramSender sender,
        final RelayCounters counters,
        final RelaySocket from,
        final NanoClock clock,
        final int staleMs,
        final int roomEncodesPerPeriod,
        final int nodeEncodesPer20Ms)
    {
        this.clock = clock;
        this.staleNs = TimeUnit.MILLISECONDS.toNanos(staleMs);
        this.from = from;
        this.frames = new RingBuffer[links.length];
        final List<OneToOneConcurrentArrayQueue<MixerLink.Membership>> changes = new ArrayList<>(links.length);
        for (int i = 0; i < links.length; i++)
        {
            frames[i] = links[i].frames();
            changes.add(links[i].membership());
        }
        this.membership = List.copyOf(changes);
        this.sender = sender;
        this.counters = counters;
        this.outputSlots = RelaySlotFactory.standalone(OUTPUT_SLOTS, maxDatagramBytes);
        this.mixer = new RoomMixer(maxDatagramBytes, roomEncodesPerPeriod, nodeEncodesPer20Ms, this);
    }

    public String roleName()
    {
        return "soundrelay-mixer";
    }

    public int doWork()
    {
        int work = 0;
        for (int i = 0; i < frames.length; i++)
        {
            work += membership.get(i).drain(membershipHandler);
        }
        nowNs = clock.nanoTime();
        for (final RingBuffer link : frames)
        {
            work += link.read(frameHandler, FRAME_LIMIT);
        }
        work += mixer.poll(clock.nanoTime());
        flush();
        return work;
    }

    /**
     * @return the rooms, for the control API; any thread.
     */
    public List<RoomView> rooms()
    {
        return mixer.rooms();
    }

    /**
     * @param roomCode a room code.
     * @return the room, or null; any thread.
     */
    public RoomView room(final String roomCode)
    {
        return mixer.room(roomCode);
    }

    /**
     * Copy one mixed frame into an output slot and queue it; flushes when the slots or the sender's batch run out.
     */
    public void send(final DirectBuffer buffer, final int offset, final int length, final Endpoint target)
    {
        if (outputSlotsUsed == outputSlots.length || sender.remaining() == 0)
        {
            flush();
        }
        final RelaySlot slot = outputSlots[outputSlotsUsed++];
        slot.buffer().putBytes(0, buffer, offset, length);
        slot.length = length;
        sender.queue(slot, 0, length, target, SendTally.NONE, from);
    }

    /**
     * Count mix-minus datagrams the mixer left out over its encode budget.
     */
    public void dropped(final ErrorReason reason, final int datagrams)
    {
        counters.addError(reason, datagrams);
    }

    private void flush()
    {
        if (outputSlotsUsed > 0)
        {
            sender.flush();
            outputSlotsUsed = 0;
        }
    }

    private void apply(final MixerLink.Membership change)
    {
        if (change.spec == null)
        {
            mixer.removeMember(change.streamId);
        }
        else
        {
            mixer.upsertMember(change.spec);
        }
    }

    private void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (msgTypeId != MixerLink.MSG_FRAME)
        {
            return;
        }
        final long streamId = buffer.getLong(index + MixerLink.STREAM_ID_OFFSET);
        final long receiveNs = buffer.getLong(index + MixerLink.RECEIVE_NS_OFFSET);
        if (nowNs - receiveNs > staleNs)
        {
            counters.addError(ErrorReason.MIXER_STALE, 1);
            return;
        }
        final long timestamp = buffer.getInt(index + MixerLink.TIMESTAMP_OFFSET) & 0xFFFF_FFFFL;
        final int kind = buffer.getInt(index + MixerLink.KIND_OFFSET);
        ErrorReason reason;
        try
        {
            reason = mixer.onFrame(streamId, kind, timestamp, buffer, index + MixerLink.PAYLOAD_OFFSET,
                length - MixerLink.PAYLOAD_OFFSET, receiveNs);
        }
        catch (final RuntimeException ex)
        {
            // A codec failure on one frame must not stop the room: the frame is dropped and counted.
            reason = ErrorReason.MALFORMED;
            final long heldBack = errors.onError(System.nanoTime());
            if (heldBack != ErrorLogLimiter.QUIET)
            {
                LOG.error("mixer failed on a frame; dropped as malformed ({} more since the last line)", heldBack, ex);
            }
        }
        if (reason != null)
        {
            counters.addError(reason, 1);
        }
    }

    public void onClose()
    {
        flush();
        sender.close();
    }
}
