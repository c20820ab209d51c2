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
package io.soundrelay.protocol;

/**
 * The sizes and bounds the contract names (PROTOCOL.md sections 1, 7 and 9), in one place for the node, the tools and
 * the JDA drop-in.
 * <pre>
 *  SoundRelay frame   header 20 bytes, then 0 to MAX_DATAGRAM_BYTES - 20 bytes of payload
 *  HOP frame          frame, then an 8-byte tag between nodes; forwarded on to at most the 3rd node
 *  RTP                at least the 12-byte fixed header; RTCP at least 8 bytes (header and sender SSRC)
 *  IP discovery       74 bytes: type, length 70, SSRC, 64-byte address, port
 * </pre>
 */
public final class WireLimits
{
    /** Default of {@code MAX_DATAGRAM_BYTES}: the largest datagram a node accepts, a frame's header included. */
    public static final int DEFAULT_MAX_DATAGRAM_BYTES = 1500;
    /** Smallest {@code MAX_DATAGRAM_BYTES} a node accepts. */
    public static final int MIN_MAX_DATAGRAM_BYTES = 64;
    /** Largest {@code MAX_DATAGRAM_BYTES}: the IPv4 UDP payload limit. */
    public static final int MAX_MAX_DATAGRAM_BYTES = 65_507;

    /** Bytes of a SoundRelay frame's header, version 1. */
    public static final int FRAME_HEADER_LENGTH = FrameFlyweight.HEADER_LENGTH;
    /** Bytes of the tag after a HOP frame between two nodes (a big-endian u64). */
    public static final int HOP_TAG_LENGTH = Long.BYTES;
    /** Most nodes a HOP frame passes: a stream migrated again within the grace window of its last migration. */
    public static final int MAX_HOPS = 3;

    /** Bytes of RTP's fixed header: the shortest datagram routed as RTP. */
    public static final int RTP_HEADER_LENGTH = RtpFlyweight.HEADER_LENGTH;
    /** Shortest datagram routed as RTCP: its header and the sender's SSRC. */
    public static final int RTCP_MIN_LENGTH = RtpFlyweight.RTCP_MIN_LENGTH;

    /** Bytes of a Discord IP discovery request or answer. */
    public static final int IP_DISCOVERY_LENGTH = IpDiscovery.LENGTH;

    /**
     * @param maxDatagramBytes a node's {@code MAX_DATAGRAM_BYTES}.
     * @return the largest payload a SoundRelay frame can carry to that node.
     */
    public static int maxFramePayload(final int maxDatagramBytes)
    {
        return maxDatagramBytes - FRAME_HEADER_LENGTH;
    }

    private WireLimits()
    {
    }
}
