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
package io.soundrelay.core.route;

import java.util.List;
import java.util.Objects;

/**
 * A validated route as a client asked for it: immutable, shared freely between the API thread and the router.
 * The router swaps a whole {@code RouteSpec} in one reference write, so a datagram sees either the old source
 * and targets or the new ones, never a mix.
 */
public final class RouteSpec
{
    /** Largest jitter buffer a route may ask for. */
    public static final int MAX_JITTER_MS = 1000;
    /** Longest lead a paced route may ask for (PROTOCOL.md section 10). */
    public static final int MAX_PACE_MS = 2000;
    /** Longest room code. */
    public static final int MAX_ROOM_CODE_LENGTH = 64;

    private final long streamId;
    private final Endpoint source;
    private final Endpoint[] targets;
    private final String roomCode;
    private final Deliver deliver;
    private final int jitterMs;
    private final boolean mixMinus;
    private final boolean returnPath;
    private final int paceMs;
    private final Latch latch;

    /**
     * @param streamId unsigned 64-bit id, never 0.
     * @param source   the only address that may send into the stream.
     * @param targets  distinct targets, in send order.
     * @param roomCode room label or null.
     * @param deliver  payload or framed.
     * @param jitterMs jitter buffer depth, 0 for none.
     * @param mixMinus mixer option, kept for the mixer.
     */
    public RouteSpec(
        final long streamId,
        final Endpoint source,
        final List<Endpoint> targets,
        final String roomCode,
        final Deliver deliver,
        final int jitterMs,
        final boolean mixMinus)
    {
        this(streamId, source, targets, roomCode, deliver, jitterMs, mixMinus, false);
    }

    /**
     * @param streamId   unsigned 64-bit id, never 0.
     * @param source     the only address that may send into the stream; port 0 pins the IP and latches a port.
     * @param targets    distinct targets, in send order.
     * @param roomCode   room label or null.
     * @param deliver    payload or framed.
     * @param jitterMs   jitter buffer depth, 0 for none.
     * @param mixMinus   mixer option, kept for the mixer.
     * @param returnPath whether the route has a relay port of its own that carries both directions.
     */
    public RouteSpec(
        final long streamId,
        final Endpoint source,
        final List<Endpoint> targets,
        final String roomCode,
        final Deliver deliver,
        final int jitterMs,
        final boolean mixMinus,
        final boolean returnPath)
    {
        this(streamId, source, targets, roomCode, deliver, jitterMs, mixMinus, returnPath, 0);
    }

    /**
     * @param streamId   unsigned 64-bit id, never 0.
     * @param source     the only address that may send into the stream; port 0 pins the IP and latches a port.
     * @param targets    distinct targets, in send order.
     * @param roomCode   room label or null.
     * @param deliver    payload or framed.
     * @param jitterMs   jitter buffer depth, 0 for none.
     * @param mixMinus   mixer option, kept for the mixer.
     * @param returnPath whether the route has a relay port of its own that carries both directions.
     * @param paceMs     how far ahead of its media clock the source may send, 0 for no pacing (0-2000).
     */
    public RouteSpec(
        final long streamId,
        final Endpoint source,
        final List<Endpoint> targets,
        final String roomCode,
        final Deliver deliver,
        final int jitterMs,
        final boolean mixMinus,
        final boolean returnPath,
        final int paceMs)
    {
        this(streamId, source, targets, roomCode, deliver, jitterMs, mixMinus, returnPath, paceMs, Latch.FIRST);
    }

    /**
     * @param streamId   unsigned 64-bit id, never 0.
     * @param source     the only address that may send into the stream; port 0 pins the IP and latches a port.
     * @param targets    distinct targets, in send order.
     * @param roomCode   room label or null.
     * @param deliver    payload or framed.
     * @param jitterMs   jitter buffer depth, 0 for none.
     * @param mixMinus   mixer option, kept for the mixer.
     * @param returnPath whether the route has a relay port of its own that carries both directions.
     * @param paceMs     how far ahead of its media clock the source may send, 0 for no pacing (0-2000).
     * @param latch      what latches a port-0 source's port.
     */
    public RouteSpec(
        final long streamId,
        final Endpoint source,
        final List<Endpoint> targets,
        final String roomCode,
        final Deliver deliver,
        final int jitterMs,
        final boolean mixMinus,
        final boolean returnPath,
        final int paceMs,
        final Latch latch)
    {
        if (streamId == 0)
        {
            throw new IllegalArgumentException("stream_id 0 is reserved");
        }
        this.streamId = streamId;
        this.source = Objects.requireNonNull(source, "source");
        this.targets = targets.toArray(new Endpoint[0]);
        if (this.targets.length == 0)
        {
            throw new IllegalArgumentException("a route needs at least one target");
        }
        this.roomCode = roomCode;
        this.deliver = Objects.requireNonNull(deliver, "deliver");
        this.jitterMs = jitterMs;
        this.mixMinus = mixMinus;
        this.returnPath = returnPath;
        if (paceMs < 0 || paceMs > MAX_PACE_MS)
        {
            throw new IllegalArgumentException("pace_ms must be 0-" + MAX_PACE_MS + ": " + paceMs);
        }
        this.paceMs = paceMs;
        this.latch = Objects.requireNonNull(latch, "latch");
    }

    public long streamId()
    {
        return streamId;
    }

    /**
     * @return the stream id as an unsigned decimal string, as JSON and Redis keys write it.
     */
    public String streamIdText()
    {
        return Long.toUnsignedString(streamId);
    }

    public Endpoint source()
    {
        return source;
    }

    public int targetCount()
    {
        return targets.length;
    }

    public Endpoint target(final int index)
    {
        return targets[index];
    }

    public List<Endpoint> targets()
    {
        return List.of(targets);
    }

    public String roomCode()
    {
        return roomCode;
    }

    public Deliver deliver()
    {
        return deliver;
    }

    public int jitterMs()
    {
        return jitterMs;
    }

    public boolean mixMinus()
    {
        return mixMinus;
    }

    /**
     * @return whether the route has a relay port of its own (PROTOCOL.md section 9).
     */
    public boolean returnPath()
    {
        return returnPath;
    }

    /**
     * @return how far ahead of its media clock the source may send, in milliseconds; 0 when the route is not paced
     * (PROTOCOL.md section 10).
     */
    public int paceMs()
    {
        return paceMs;
    }

    /**
     * @return whether the source names only an IP (port 0): the route latches the first port that sends from it.
     */
    public boolean latchesSourcePort()
    {
        return source.port() == 0;
    }

    /**
     * @return what latches a port-0 source's port: the first datagram from its IP, or only an IP discovery request
     * with the route's SSRC.
     */
    public Latch latch()
    {
        return latch;
    }

    /**
     * @param senderAddress 16 bytes, IPv4 mapped.
     * @param senderPort    the sender's port.
     * @return the index of the target with this address, or -1.
     */
    public int targetIndexOf(final byte[] senderAddress, final int senderPort)
    {
        for (int i = 0; i < targets.length; i++)
        {
            if (targets[i].matches(senderAddress, senderPort))
            {
                return i;
            }
        }
        return -1;
    }

    public String toString()
    {
        return "RouteSpec{streamId=" + streamIdText() + ", source=" + source + ", targets=" + targets().size() + '}';
    }
}
