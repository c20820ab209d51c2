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
package io.soundrelay.control;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What PROTOCOL.md section 1 says a node with jitter buffers off does with one datagram, written from the contract
 * and deliberately not from {@code DatagramDecoder}, so a fuzz run checks the decoder instead of repeating it.
 * <pre>
 *  longer than MAX_DATAGRAM_BYTES                  oversize (a HOP frame: not counting its 8-byte tag)
 *  'S' 'R', shorter than 20, version != 1, id 0    malformed
 *  top two bits 10: RTCP (2nd byte 200-204) or RTP, stream id = SSRC
 *  anything else                                   malformed
 *  no route for the stream id                      unknown_stream
 *  a HOP frame (no hand-off is open here)         source_mismatch
 *  not from the route's source ip:port             source_mismatch
 *  otherwise                                       accepted: forwarded, or a keep-alive
 * </pre>
 * Two points the contract leaves open follow the decoder's tested choices, each in one named constant.
 */
final class WireOracle
{
    /**
     * The contract's table puts "length >= 12" on the whole RTP row, RTCP included; the decoder takes RTCP from
     * 8 bytes (an RTCP receiver report without report blocks is 8 bytes long, RFC 3550). Reported on the issue.
     */
    static final int RTCP_MIN_LENGTH = 8;

    /**
     * The contract counts an unroutable stream id as unknown_stream; the decoder counts RTP or RTCP with SSRC 0 as
     * malformed, since no route can have id 0. Reported on the issue.
     */
    static final Verdict SSRC_ZERO = Verdict.MALFORMED;

    static final int RTP_MIN_LENGTH = 12;
    static final int FRAME_HEADER_LENGTH = 20;
    /** A HOP frame's tag after its payload (section 7): not counted against MAX_DATAGRAM_BYTES. */
    static final int HOP_TAG_LENGTH = 8;

    /**
     * Where a datagram ends up; the label is the {@code reason} of {@code relay_packet_errors_total}.
     */
    enum Verdict
    {
        ACCEPTED(null),
        MALFORMED("malformed"),
        OVERSIZE("oversize"),
        UNKNOWN_STREAM("unknown_stream"),
        SOURCE_MISMATCH("source_mismatch");

        final String reason;

        Verdict(final String reason)
        {
            this.reason = reason;
        }
    }

    private static final class Route
    {
        final InetSocketAddress source;
        final boolean deliverPayload;

        Route(final InetSocketAddress source, final boolean deliverPayload)
        {
            this.source = source;
            this.deliverPayload = deliverPayload;
        }
    }

    private final int maxDatagramBytes;
    private final Map<Long, Route> routes = new HashMap<>();

    WireOracle(final int maxDatagramBytes)
    {
        this.maxDatagramBytes = maxDatagramBytes;
    }

    /**
     * @param streamId       unsigned stream id of the route.
     * @param source         its source_addr.
     * @param deliverPayload true for {@code deliver: "payload"}, false for {@code "framed"}.
     */
    void route(final long streamId, final InetSocketAddress source, final boolean deliverPayload)
    {
        routes.put(streamId, new Route(source, deliverPayload));
    }

    /**
     * @param d      datagram bytes.
     * @param length datagram length.
     * @param from   the address it is sent from.
     * @return what the node must do with it.
     */
    Verdict classify(final byte[] d, final int length, final InetSocketAddress from)
    {
        final boolean hop = isFrame(d, length) && length >= FRAME_HEADER_LENGTH && u8(d, 2) == 1 &&
            (u8(d, 3) & 0x80) != 0;
        if ((hop && length >= FRAME_HEADER_LENGTH + HOP_TAG_LENGTH ? length - HOP_TAG_LENGTH : length) >
            maxDatagramBytes)
        {
            return Verdict.OVERSIZE;
        }
        final long streamId;
        if (isFrame(d, length))
        {
            if (length < FRAME_HEADER_LENGTH || u8(d, 2) != 1)
            {
                return Verdict.MALFORMED;
            }
            streamId = u64(d, 4);
            if (streamId == 0)
            {
                return Verdict.MALFORMED;
            }
        }
        else if (length >= 1 && (u8(d, 0) >>> 6) == 2)
        {
            if (isRtcp(d, length))
            {
                if (length < RTCP_MIN_LENGTH)
                {
                    return Verdict.MALFORMED;
                }
                streamId = u32(d, 4);
            }
            else
            {
                if (length < RTP_MIN_LENGTH)
                {
                    return Verdict.MALFORMED;
                }
                streamId = u32(d, 8);
            }
            if (streamId == 0)
            {
                return SSRC_ZERO;
            }
        }
        else
        {
            return Verdict.MALFORMED;
        }

        final Route route = routes.get(streamId);
        if (route == null)
        {
            return Verdict.UNKNOWN_STREAM;
        }
        return route.source.equals(from) && !hop ? Verdict.ACCEPTED : Verdict.SOURCE_MISMATCH;
    }

    /**
     * @param d      datagram bytes.
     * @param length datagram length.
     * @return true when {@link #RTCP_MIN_LENGTH} decided this datagram: RTCP of 8 to 11 bytes.
     */
    static boolean hangsOnRtcpMinLength(final byte[] d, final int length)
    {
        return length >= RTCP_MIN_LENGTH && length < RTP_MIN_LENGTH && (u8(d, 0) >>> 6) == 2 && isRtcp(d, length);
    }

    /**
     * @param d      datagram bytes.
     * @param length datagram length, at most MAX_DATAGRAM_BYTES.
     * @return true when {@link #SSRC_ZERO} decided this datagram: RTP or RTCP, long enough, with SSRC 0.
     */
    static boolean hangsOnSsrcZero(final byte[] d, final int length)
    {
        if (length < 2 || (u8(d, 0) >>> 6) != 2)
        {
            return false;
        }
        if (isRtcp(d, length))
        {
            return length >= RTCP_MIN_LENGTH && u32(d, 4) == 0;
        }
        return length >= RTP_MIN_LENGTH && u32(d, 8) == 0;
    }

    /**
     * What each target of the route receives for an accepted datagram.
     *
     * @param d      an accepted datagram, exactly its bytes.
     * @return the bytes a target gets, or null for a keep-alive (nothing is sent).
     */
    byte[] delivered(final byte[] d)
    {
        if (!isFrame(d, d.length))
        {
            return d.clone(); // RTP and RTCP: byte for byte, whatever the route's deliver
        }
        if (d.length == FRAME_HEADER_LENGTH)
        {
            return null;
        }
        return routes.get(u64(d, 4)).deliverPayload ? Arrays.copyOfRange(d, FRAME_HEADER_LENGTH, d.length) : d.clone();
    }

    private static boolean isFrame(final byte[] d, final int length)
    {
        return length >= 2 && u8(d, 0) == 0x53 && u8(d, 1) == 0x52;
    }

    private static boolean isRtcp(final byte[] d, final int length)
    {
        return length >= 2 && u8(d, 1) >= 200 && u8(d, 1) <= 204;
    }

    private static int u8(final byte[] d, final int i)
    {
        return d[i] & 0xFF;
    }

    private static long u32(final byte[] d, final int i)
    {
        return ((long)u8(d, i) << 24) | (u8(d, i + 1) << 16) | (u8(d, i + 2) << 8) | u8(d, i + 3);
    }

    private static long u64(final byte[] d, final int i)
    {
        return (u32(d, i) << 32) | u32(d, i + 4);
    }
}
