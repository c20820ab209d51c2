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
package io.soundrelay.bench;

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.protocol.DatagramDecoder;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.router.RouterAgent;
import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.RtpFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The header decode alone: one {@link DatagramDecoder#decode} call, exactly as {@link RouterAgent#route(RelaySlot)}
 * makes it (one decoder per thread, the slot's buffer at offset 0, the length as received), then the kind and
 * stream id the router reads next. The datagrams sit in ring slots made by the production {@link RelaySlotFactory}
 * (off-heap, 64-byte aligned, big-endian), 1,024 of them with different stream ids, taken in turn so neither the
 * JIT nor the branch predictor sees one constant datagram. All datagrams of a trial are of one {@code kind}:
 * <ul>
 *   <li>{@code sr}: SoundRelay frame v1, Opus kind, 160-byte payload (180 bytes), 64-bit stream ids.</li>
 *   <li>{@code rtp}: RTP v2, payload type 0x78 (120), 12-byte header plus 160 bytes; the SSRC is the stream id.</li>
 *   <li>{@code rtcp}: RTCP sender report (second byte 200), 28 bytes; the sender SSRC is the stream id.</li>
 *   <li>{@code malformed}: a 180-byte SoundRelay frame whose second magic byte is wrong: rejected as
 *       {@link ErrorReason#MALFORMED} after reading the first two bytes.</li>
 * </ul>
 * Setup decodes every prebuilt datagram and fails the trial unless the decoder yields the expected kind and stream
 * id (or, for {@code malformed}, the malformed drop), so the benchmark cannot silently time the wrong path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED" })
public class HeaderParseBenchmark
{
    private static final int DATAGRAMS = 1_024; // a power of two
    private static final int DATAGRAM_MASK = DATAGRAMS - 1;
    private static final int MAX_DATAGRAM_BYTES = Configuration.MAX_DATAGRAM_BYTES_DEFAULT;
    private static final int PAYLOAD_BYTES = 160;
    private static final int RTP_HEADER_BYTES = RtpFlyweight.HEADER_LENGTH;
    private static final int RTP_PAYLOAD_TYPE = RtpFlyweight.DISCORD_PAYLOAD_TYPE;
    private static final int RTCP_SR = 200;
    private static final int RTCP_SR_BYTES = 28; // header 8, sender info 20, no report blocks
    private static final byte BAD_MAGIC_1 = 0x58; // 'X' where 'R' belongs
    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

    @Param({ "sr", "rtp", "rtcp", "malformed" })
    public String kind;

    private final ThreadAllocation allocation = new ThreadAllocation("decoder");
    private DatagramDecoder decoder;
    private RelaySlot[] slots;
    private long next;

    @Setup(Level.Trial)
    public void setup()
    {
        decoder = new DatagramDecoder(MAX_DATAGRAM_BYTES);
        final RelaySlotFactory factory = new RelaySlotFactory(DATAGRAMS, MAX_DATAGRAM_BYTES);
        final SplittableRandom random = new SplittableRandom(0x5EED_0005L);
        final long[] frameIds = StreamIds.distinct(DATAGRAMS, 0x5EED_0006L);
        final long[] expectedIds = new long[DATAGRAMS];
        final int expectedKind;
        switch (kind)
        {
            case "sr":
            case "malformed":
                expectedKind = "sr".equals(kind) ? DatagramDecoder.KIND_FRAME : DatagramDecoder.KIND_INVALID;
                break;
            case "rtp":
                expectedKind = DatagramDecoder.KIND_RTP;
                break;
            case "rtcp":
                expectedKind = DatagramDecoder.KIND_RTCP;
                break;
            default:
                throw new IllegalArgumentException("kind=" + kind + ": expected sr, rtp, rtcp or malformed");
        }

        final RtpFlyweight rtp = new RtpFlyweight();
        slots = new RelaySlot[DATAGRAMS];
        for (int i = 0; i < DATAGRAMS; i++)
        {
            final RelaySlot slot = factory.newInstance();
            final UnsafeBuffer buffer = slot.buffer();
            final long ssrc = nonZeroSsrc(random);
            switch (kind)
            {
                case "sr":
                case "malformed":
                    FrameFlyweight.writeHeader(
                        slot.byteBuffer(), 0, FrameFlyweight.KIND_OPUS, frameIds[i], i, i * 960L);
                    fill(buffer, FrameFlyweight.HEADER_LENGTH, PAYLOAD_BYTES, i);
                    slot.length = FrameFlyweight.HEADER_LENGTH + PAYLOAD_BYTES;
                    if ("malformed".equals(kind))
                    {
                        buffer.putByte(FrameFlyweight.MAGIC_OFFSET + 1, BAD_MAGIC_1);
                    }
                    else
                    {
                        expectedIds[i] = frameIds[i];
                    }
                    break;

                case "rtp":
                    // V=2, no padding, no extension, no CSRC, marker clear
                    rtp.wrap(slot.byteBuffer(), 0).header(RTP_PAYLOAD_TYPE, i, i * 960, ssrc);
                    fill(buffer, RTP_HEADER_BYTES, PAYLOAD_BYTES, i);
                    slot.length = RTP_HEADER_BYTES + PAYLOAD_BYTES;
                    expectedIds[i] = ssrc;
                    break;

                default: // rtcp
                    buffer.putByte(0, (byte)0x80); // V=2, no padding, no report blocks
                    buffer.putByte(1, (byte)RTCP_SR);
                    buffer.putShort(2, (short)(RTCP_SR_BYTES / 4 - 1), ORDER);
                    buffer.putInt(DatagramDecoder.RTCP_SSRC_OFFSET, (int)ssrc, ORDER);
                    fill(buffer, 8, RTCP_SR_BYTES - 8, i);
                    slot.length = RTCP_SR_BYTES;
                    expectedIds[i] = ssrc;
            }
            slots[i] = slot;
        }

        for (int i = 0; i < DATAGRAMS; i++)
        {
            final RelaySlot slot = slots[i];
            final boolean routable = decoder.decode(slot.buffer(), 0, slot.length);
            final boolean expectRoutable = expectedKind != DatagramDecoder.KIND_INVALID;
            if (routable != expectRoutable || decoder.kind() != expectedKind || decoder.streamId() != expectedIds[i] ||
                decoder.error() != (expectRoutable ? null : ErrorReason.MALFORMED))
            {
                throw new IllegalStateException("kind=" + kind + " datagram " + i + " decoded as routable=" +
                    routable + " kind=" + decoder.kind() + " streamId=" + Long.toUnsignedString(decoder.streamId()) +
                    " error=" + decoder.error() + "; expected routable=" + expectRoutable + " kind=" + expectedKind +
                    " streamId=" + Long.toUnsignedString(expectedIds[i]));
            }
        }
        next = 0;
    }

    /**
     * Decode the next datagram in place and hand what the router reads next (routable or not, kind, stream id)
     * to the blackhole.
     */
    @Benchmark
    public void decode(final Blackhole bh)
    {
        final RelaySlot slot = slots[(int)(next++) & DATAGRAM_MASK];
        bh.consume(decoder.decode(slot.buffer(), 0, slot.length));
        bh.consume(decoder.kind());
        bh.consume(decoder.streamId());
    }

    @Setup(Level.Iteration)
    public void startIteration()
    {
        allocation.start(next);
    }

    @TearDown(Level.Iteration)
    public void endIteration()
    {
        System.out.println();
        System.out.println(allocation.stop(next));
    }

    private static long nonZeroSsrc(final SplittableRandom random)
    {
        long ssrc;
        do
        {
            ssrc = random.nextInt() & 0xFFFF_FFFFL;
        }
        while (ssrc == 0);
        return ssrc;
    }

    private static void fill(final UnsafeBuffer buffer, final int offset, final int length, final int seed)
    {
        for (int b = 0; b < length; b++)
        {
            buffer.putByte(offset + b, (byte)(seed + b));
        }
    }
}
