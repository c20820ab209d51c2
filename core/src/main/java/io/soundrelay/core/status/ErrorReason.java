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
package io.soundrelay.core.status;

/**
 * Why a datagram was dropped: the {@code reason} label of {@code relay_packet_errors_total}. A closed set, so the
 * metric's cardinality is bounded.
 */
public enum ErrorReason
{
    MALFORMED("malformed"),
    OVERSIZE("oversize"),
    UNKNOWN_STREAM("unknown_stream"),
    SOURCE_MISMATCH("source_mismatch"),
    DUPLICATE("duplicate"),
    LATE("late"),
    /** The receive ring had no free slot: counted by the receiving thread, its only writer. */
    RING_FULL("ring_full"),
    SEND_FAILED("send_failed"),
    /**
     * The router could not hand a room's frame to the mixer: the router-to-mixer ring was full. Counted by the router,
     * its only writer (not {@code ring_full}, which the receiver owns).
     */
    MIXER_FULL("mixer_full"),
    /**
     * A datagram that came from a relay (a live node's relay address, or this node's own) but not as a HOP frame,
     * a HOP frame past its hop limit, or a send to the very address the datagram came from: a route points at a
     * relay, and forwarding would feed a loop.
     */
    LOOP("loop"),
    /** A mixer room got a frame whose duration differs from the room's frame period (PROTOCOL.md section 6). */
    FRAME_SIZE("frame_size"),
    /**
     * A datagram from a target to a relay port whose route's source is an IP with port 0 that has not sent yet: no
     * address to send it back to.
     */
    NOT_LATCHED("not_latched"),
    /**
     * A HOP frame from the peer an inbound hand-off names, whose tag the hand-off's key does not give: forged, or
     * corrupted on the way (PROTOCOL.md section 7).
     */
    HOP_AUTH("hop_auth"),
    /**
     * A mix-minus output the mixer left out because its room or the node had used its Opus encode budget for the
     * period (PROTOCOL.md section 6); one per target. Counted by the mixer, its only writer.
     */
    MIXER_BUDGET("mixer_budget"),
    /**
     * A room frame that waited longer than {@code MIXER_STALE_MS} in the router-to-mixer ring: dropped rather than
     * mixed late. Counted by the mixer, its only writer.
     */
    MIXER_STALE("mixer_stale"),
    /**
     * A datagram the node's sockets held when its data plane came back from a pause (SIGSTOP, a frozen VM or
     * container, a stall of several seconds): sent while the node was not running, so stale, and perhaps for a route a
     * peer adopted meanwhile. Taken off the sockets and dropped before anything is forwarded again. Counted by the
     * receiving thread, its only writer.
     */
    STALE("stale");

    private static final ErrorReason[] VALUES = values();

    private final String label;

    ErrorReason(final String label)
    {
        this.label = label;
    }

    /**
     * @return the metric label value.
     */
    public String label()
    {
        return label;
    }

    /**
     * @return every reason, shared array: never mutate.
     */
    public static ErrorReason[] all()
    {
        return VALUES;
    }
}
