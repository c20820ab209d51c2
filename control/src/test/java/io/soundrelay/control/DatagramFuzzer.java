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

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Makes the datagrams of {@link UdpFuzzTest} from one seed: legitimate SoundRelay frames, RTP and RTCP for the two
 * routed streams, and garbage of the {@link Shape}s below. Bytes are written by hand, big-endian, from PROTOCOL.md,
 * not with the node's flyweights. Whether a piece of garbage is bad, and why, is the {@link WireOracle}'s call,
 * not this class's: a mutation may well produce a valid datagram.
 */
final class DatagramFuzzer
{
    /** Largest datagram loopback carries: the generator goes that far in a few random datagrams. */
    static final int MAX_UDP_PAYLOAD = 65_507;

    /**
     * Kinds of garbage, with their relative weights.
     */
    enum Shape
    {
        /** Random bytes of a random length, 0 to twice the limit, and a few edge lengths up to 65,507. */
        RANDOM_BYTES(20),
        /** A SoundRelay header cut to 0..19 bytes, every length in turn. */
        TRUNCATED_HEADER(8),
        /** A whole SoundRelay frame with a version other than 1. */
        BAD_VERSION(5),
        /** A whole SoundRelay frame with stream id 0, or RTP or RTCP with SSRC 0. */
        ZERO_STREAM_ID(4),
        /** Every first byte in turn, each with every length of a list (short of an RTP header and past the limit). */
        FIRST_BYTE_SWEEP(15),
        /** RTCP packet types 200-204 at 0..16 bytes. */
        SHORT_RTCP(6),
        /** A valid SoundRelay frame (or keep-alive) for a stream with no route. */
        UNROUTED_FRAME(8),
        /** Valid RTP or RTCP for an SSRC with no route. */
        UNROUTED_RTP(8),
        /** A valid datagram for a routed stream: garbage only when it comes from a socket other than the source. */
        ROUTED_STREAM(10),
        /** A legitimate datagram with bits flipped, cut short or extended. */
        MUTATED_LEGIT(16);

        final int weight;

        Shape(final int weight)
        {
            this.weight = weight;
        }
    }

    private static final int[] SWEEP_LENGTHS = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 19, 20, 21, 32, 100 };
    private static final Shape[] SHAPES = Shape.values();

    private final SplittableRandom random;
    private final int maxDatagramBytes;
    private final long frameStreamId;
    private final long rtpSsrc;
    private final int[] sweepLengths;
    private final int[] edgeLengths;
    private final Shape[] shapeTable;
    private long frameSequence;
    private long rtpRouteFrameSequence;
    private long rtpSequence;
    private long sweepCount;
    private long truncatedCount;
    private long rtcpCount;

    /**
     * @param seed             of every random choice.
     * @param maxDatagramBytes the node's MAX_DATAGRAM_BYTES.
     * @param frameStreamId    routed stream taking SoundRelay frames (above 2^32, so no SSRC can name it).
     * @param rtpSsrc          routed stream taking RTP (a u32).
     */
    DatagramFuzzer(final long seed, final int maxDatagramBytes, final long frameStreamId, final long rtpSsrc)
    {
        this.random = new SplittableRandom(seed);
        this.maxDatagramBytes = maxDatagramBytes;
        this.frameStreamId = frameStreamId;
        this.rtpSsrc = rtpSsrc;
        final int max = maxDatagramBytes;
        this.sweepLengths = concat(SWEEP_LENGTHS, new int[] { max - 1, max, max + 1, 2 * max });
        this.edgeLengths = new int[] { 0, 1, 2, 7, 8, 11, 12, 19, 20, 21, max - 1, max, max + 1, 2 * max,
            MAX_UDP_PAYLOAD };
        int total = 0;
        for (final Shape s : SHAPES)
        {
            total += s.weight;
        }
        this.shapeTable = new Shape[total];
        int i = 0;
        for (final Shape s : SHAPES)
        {
            for (int w = 0; w < s.weight; w++)
            {
                shapeTable[i++] = s;
            }
        }
    }

    /**
     * @return the random source, for the test's own choices (sockets, interleaving), so one seed fixes a run.
     */
    SplittableRandom random()
    {
        return random;
    }

    /**
     * @return the next garbage shape, by weight.
     */
    Shape nextShape()
    {
        return shapeTable[random.nextInt(shapeTable.length)];
    }

    /**
     * Write one garbage datagram.
     *
     * @param shape what kind.
     * @param out   at least {@link #MAX_UDP_PAYLOAD} bytes.
     * @return its length.
     */
    int garbage(final Shape shape, final byte[] out)
    {
        switch (shape)
        {
            case RANDOM_BYTES:
            {
                final int length = random.nextInt(16) == 0 ?
                    edgeLengths[random.nextInt(edgeLengths.length)] : random.nextInt(2 * maxDatagramBytes + 1);
                fill(out, 0, length);
                return length;
            }
            case TRUNCATED_HEADER:
            {
                final int length = (int)(truncatedCount++ % WireOracle.FRAME_HEADER_LENGTH);
                writeFrameHeader(out, anyStreamId(), random.nextInt());
                return length;
            }
            case BAD_VERSION:
            {
                final int length = frameLength();
                writeFrameHeader(out, anyStreamId(), random.nextInt());
                fill(out, WireOracle.FRAME_HEADER_LENGTH, length - WireOracle.FRAME_HEADER_LENGTH);
                final int version = random.nextInt(255);
                out[2] = (byte)(version >= 1 ? version + 1 : version); // 0, 2..255
                return length;
            }
            case ZERO_STREAM_ID:
            {
                final int pick = random.nextInt(4);
                if (pick >= 2)
                {
                    final byte[] d = pick == 2 ? rtp(0) : rtcp(0);
                    System.arraycopy(d, 0, out, 0, d.length);
                    return d.length;
                }
                final int length = frameLength();
                writeFrameHeader(out, 0, random.nextInt());
                fill(out, WireOracle.FRAME_HEADER_LENGTH, length - WireOracle.FRAME_HEADER_LENGTH);
                return length;
            }
            case FIRST_BYTE_SWEEP:
                return firstByteSweep(out);
            case SHORT_RTCP:
            {
                final long n = rtcpCount++;
                final int length = (int)((n / 5) % 17);
                fill(out, 0, Math.max(length, 8));
                out[0] = (byte)(0x80 | random.nextInt(64));
                out[1] = (byte)(200 + n % 5);
                if (random.nextBoolean())
                {
                    putInt(out, 4, rtpSsrc);
                }
                return length;
            }
            case UNROUTED_FRAME:
            {
                final int length = random.nextInt(8) == 0 ? WireOracle.FRAME_HEADER_LENGTH : frameLength();
                writeFrameHeader(out, unroutedId(), random.nextInt());
                fill(out, WireOracle.FRAME_HEADER_LENGTH, length - WireOracle.FRAME_HEADER_LENGTH);
                return length;
            }
            case UNROUTED_RTP:
            {
                final byte[] d = random.nextInt(10) < 7 ? rtp(unroutedSsrc()) : rtcp(unroutedSsrc());
                System.arraycopy(d, 0, out, 0, d.length);
                return d.length;
            }
            case ROUTED_STREAM:
            {
                final byte[] d = legit();
                System.arraycopy(d, 0, out, 0, d.length);
                return d.length;
            }
            case MUTATED_LEGIT:
                return mutate(legit(), out);
            default:
                throw new IllegalArgumentException(shape.name());
        }
    }

    /**
     * @return a legitimate datagram for one of the two routed streams, chosen at random.
     */
    byte[] legit()
    {
        return random.nextInt(5) < 3 ? frame(frameStreamId) : forRtpRoute();
    }

    /**
     * @return a legitimate datagram for the RTP route: RTP mostly, some RTCP, and a few SoundRelay frames carrying
     * the SSRC as their stream id (one id space for both).
     */
    byte[] forRtpRoute()
    {
        final int pick = random.nextInt(8);
        return pick < 6 ? rtp(rtpSsrc) : pick == 6 ? rtcp(rtpSsrc) : frame(rtpSsrc);
    }

    /**
     * @param streamId unsigned stream id.
     * @return a SoundRelay frame with a payload of 1 byte to the limit; kind and reserved flag bits at random, HOP
     * never set.
     */
    byte[] frame(final long streamId)
    {
        final int payload = random.nextInt(16) == 0 ?
            (random.nextBoolean() ? 1 : maxDatagramBytes - WireOracle.FRAME_HEADER_LENGTH) :
            1 + random.nextInt(maxDatagramBytes - WireOracle.FRAME_HEADER_LENGTH);
        final byte[] d = new byte[WireOracle.FRAME_HEADER_LENGTH + payload];
        writeFrameHeader(d, streamId, streamId == frameStreamId ? frameSequence++ : rtpRouteFrameSequence++);
        fill(d, WireOracle.FRAME_HEADER_LENGTH, payload);
        return d;
    }

    /**
     * @param ssrc unsigned 32-bit SSRC.
     * @return an RTP packet of 12 bytes to the limit, its second byte never an RTCP packet type.
     */
    byte[] rtp(final long ssrc)
    {
        final byte[] d = new byte[WireOracle.RTP_MIN_LENGTH + random.nextInt(maxDatagramBytes - 11)];
        fill(d, 0, d.length);
        d[0] = (byte)(0x80 | random.nextInt(64));
        final int second = random.nextInt(256 - 5);
        d[1] = (byte)(second >= 200 ? second + 5 : second);
        ByteBuffer.wrap(d).putShort(2, (short)rtpSequence).putInt(4, (int)(rtpSequence * 960));
        rtpSequence++;
        putInt(d, 8, ssrc);
        return d;
    }

    /**
     * @param ssrc unsigned 32-bit sender SSRC.
     * @return an RTCP packet of type 200-204, 12 bytes to the limit (the 8-11 byte range is left to garbage: see
     * {@link WireOracle#RTCP_MIN_LENGTH}).
     */
    byte[] rtcp(final long ssrc)
    {
        final byte[] d = new byte[12 + random.nextInt(maxDatagramBytes - 11)];
        fill(d, 0, d.length);
        d[0] = (byte)(0x80 | random.nextInt(64));
        d[1] = (byte)(200 + random.nextInt(5));
        ByteBuffer.wrap(d).putShort(2, (short)(d.length / 4 - 1));
        putInt(d, 4, ssrc);
        return d;
    }

    private int firstByteSweep(final byte[] out)
    {
        final long n = sweepCount++;
        final int length = sweepLengths[(int)((n >>> 8) % sweepLengths.length)];
        fill(out, 0, Math.max(length, 20));
        out[0] = (byte)n;
        switch (random.nextInt(6))
        {
            case 0:
                out[1] = 0x52; // 'R': with first byte 'S', a frame header
                out[2] = 1;
                putLong(out, 4, frameStreamId);
                break;
            case 1:
                out[1] = (byte)(200 + random.nextInt(5));
                putInt(out, 4, rtpSsrc);
                break;
            case 2:
                putInt(out, 8, rtpSsrc);
                break;
            default:
                break;
        }
        return length;
    }

    private int mutate(final byte[] legit, final byte[] out)
    {
        int length = legit.length;
        System.arraycopy(legit, 0, out, 0, length);
        final int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.nextInt(3))
            {
                case 0: // flip 1 to 8 bits, half of them in the first 20 bytes
                    if (length > 0)
                    {
                        final int flips = 1 + random.nextInt(8);
                        for (int f = 0; f < flips; f++)
                        {
                            final int at = random.nextInt(random.nextBoolean() ? Math.min(length, 20) : length);
                            out[at] ^= (byte)(1 << random.nextInt(8));
                        }
                    }
                    break;
                case 1: // cut short
                    if (length > 0)
                    {
                        length = random.nextInt(length);
                    }
                    break;
                default: // extend, sometimes past the limit
                {
                    final int grow = 1 + random.nextInt(Math.max(1, 2 * maxDatagramBytes - length));
                    fill(out, length, grow);
                    length += grow;
                }
            }
        }
        return length;
    }

    private int frameLength()
    {
        return WireOracle.FRAME_HEADER_LENGTH + random.nextInt(maxDatagramBytes - WireOracle.FRAME_HEADER_LENGTH + 1);
    }

    private long anyStreamId()
    {
        final int pick = random.nextInt(3);
        return pick == 0 ? frameStreamId : pick == 1 ? rtpSsrc : unroutedId();
    }

    private long unroutedId()
    {
        long id;
        do
        {
            id = random.nextBoolean() ? random.nextLong() : 1 + random.nextInt(1 << 20);
        }
        while (id == 0 || id == frameStreamId || id == rtpSsrc);
        return id;
    }

    private long unroutedSsrc()
    {
        long ssrc;
        do
        {
            ssrc = random.nextLong() & 0xFFFF_FFFFL;
        }
        while (ssrc == 0 || ssrc == rtpSsrc);
        return ssrc;
    }

    private void writeFrameHeader(final byte[] d, final long streamId, final long sequence)
    {
        d[0] = 0x53;
        d[1] = 0x52;
        d[2] = 1;
        d[3] = (byte)(random.nextInt(4) | (random.nextInt(4) == 0 ? random.nextInt(128) & 0x7C : 0));
        putLong(d, 4, streamId);
        putInt(d, 12, sequence);
        putInt(d, 16, sequence * 960);
    }

    private void fill(final byte[] d, final int offset, final int length)
    {
        for (int i = offset, end = offset + length; i < end; )
        {
            long bits = random.nextLong();
            for (int b = 0; b < 8 && i < end; b++, i++)
            {
                d[i] = (byte)bits;
                bits >>>= 8;
            }
        }
    }

    private static void putInt(final byte[] d, final int at, final long value)
    {
        d[at] = (byte)(value >>> 24);
        d[at + 1] = (byte)(value >>> 16);
        d[at + 2] = (byte)(value >>> 8);
        d[at + 3] = (byte)value;
    }

    private static void putLong(final byte[] d, final int at, final long value)
    {
        putInt(d, at, value >>> 32);
        putInt(d, at + 4, value);
    }

    private static int[] concat(final int[] a, final int[] b)
    {
        final int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
