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

import io.soundrelay.core.route.RouteSpec;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The router's way into the mixer: two bounded single-producer single-consumer channels. Room frames travel through
 * a byte ring (Agrona's {@link OneToOneRingBuffer}): the router copies the payload in place with no allocation, and a
 * full ring refuses the frame so the router counts a drop and never waits. Membership changes (a route joining,
 * changing or leaving a room) travel as objects through a queue; they are rare and come from route commands, off
 * the per-datagram path. The router publishes a route's membership before its first frame, and the mixer drains
 * membership before frames on each duty cycle, so a frame never arrives before its route.
 * <p>
 * Frame message: stream id (8), receive time ns (8), timestamp (4), payload kind (4), payload (n).
 */
public final class MixerLink
{
    /** Message type of a frame in the ring. */
    public static final int MSG_FRAME = 1;
    public static final int STREAM_ID_OFFSET = 0;
    public static final int RECEIVE_NS_OFFSET = 8;
    public static final int TIMESTAMP_OFFSET = 16;
    public static final int KIND_OFFSET = 20;
    public static final int PAYLOAD_OFFSET = 24;

    /** A membership change; {@code spec} null means the route left its room. */
    public static final class Membership
    {
        final long streamId;
        final RouteSpec spec;

        Membership(final long streamId, final RouteSpec spec)
        {
            this.streamId = streamId;
            this.spec = spec;
        }
    }

    private final RingBuffer frames;
    private final OneToOneConcurrentArrayQueue<Membership> membership;
    private final ArrayDeque<Membership> overflow = new ArrayDeque<>();

    /**
     * @param frameBytes      capacity of the frame ring in bytes, rounded up to a power of two.
     * @param membershipSlots capacity of the membership queue.
     */
    public MixerLink(final int frameBytes, final int membershipSlots)
    {
        final int capacity = BitUtil.findNextPositivePowerOfTwo(frameBytes) + RingBufferDescriptor.TRAILER_LENGTH;
        frames = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(capacity)));
        membership = new OneToOneConcurrentArrayQueue<>(membershipSlots);
    }

    /**
     * Hand one room frame to the mixer. Router thread only; copies the payload, allocates nothing.
     *
     * @param streamId  the route's stream.
     * @param kind      payload kind, 1 PCM or 2 Opus.
     * @param timestamp the frame's u32 timestamp.
     * @param buffer    holding the payload.
     * @param offset    of the payload.
     * @param length    of the payload.
     * @param receiveNs when the datagram was received.
     * @return false when the ring is full: the frame is not taken.
     */
    public boolean offerFrame(
        final long streamId,
        final int kind,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long receiveNs)
    {
        final int index = frames.tryClaim(MSG_FRAME, PAYLOAD_OFFSET + length);
        if (index <= 0)
        {
            return false;
        }
        final MutableDirectBuffer out = frames.buffer();
        out.putLong(index + STREAM_ID_OFFSET, streamId);
        out.putLong(index + RECEIVE_NS_OFFSET, receiveNs);
        out.putInt(index + TIMESTAMP_OFFSET, (int)timestamp);
        out.putInt(index + KIND_OFFSET, kind);
        out.putBytes(index + PAYLOAD_OFFSET, buffer, offset, length);
        frames.commit(index);
        return true;
    }

    /**
     * Tell the mixer a route joined or changed its room. Router thread only.
     *
     * @param spec the route as it is now (room code not null).
     */
    public void join(final RouteSpec spec)
    {
        enqueue(new Membership(spec.streamId(), spec));
    }

    /**
     * Tell the mixer a route left its room (deleted, expired, or its room code removed). Router thread only.
     *
     * @param streamId the route's stream.
     */
    public void leave(final long streamId)
    {
        enqueue(new Membership(streamId, null));
    }

    /**
     * Move changes that did not fit the queue; called on each router duty cycle. Router thread only.
     *
     * @return changes moved.
     */
    public int retryOverflow()
    {
        int moved = 0;
        while (!overflow.isEmpty() && membership.offer(overflow.peekFirst()))
        {
            overflow.pollFirst();
            moved++;
        }
        return moved;
    }

    private void enqueue(final Membership change)
    {
        // Order matters (join then leave), so once anything waits in the overflow everything queues behind it.
        if (!overflow.isEmpty() || !membership.offer(change))
        {
            overflow.addLast(change);
        }
    }

    /**
     * @return true when membership changes wait in the router's overflow (the mixer has not seen them yet).
     */
    public boolean hasOverflow()
    {
        return !overflow.isEmpty();
    }

    RingBuffer frames()
    {
        return frames;
    }

    OneToOneConcurrentArrayQueue<Membership> membership()
    {
        return membership;
    }
}
