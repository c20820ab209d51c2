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

import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.core.protocol.HopTag;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What authenticating a HOP frame costs (PROTOCOL.md section 7): the old node signs each frame it forwards, the new
 * node checks it, with one {@link HopTag} per router thread. {@code sign} writes the tag after a frame of
 * {@code payload} bytes (20-byte header); {@code verify} checks it. The frames sit off-heap, as in ring slots, and a
 * few keys alternate so no constant folds. Ordinary frames never reach this code. {@code isHopFrameOnAnOrdinaryFrame}
 * times {@link FrameFlyweight#isHopFrame}, which a first version of the router asked of every datagram; the router
 * now asks it only of a datagram too long to decode.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HopTagBenchmark
{
    private static final int KEYS = 8;

    /** A voice frame's payload (an Opus packet of 20 ms at 64 kbit/s is 160 bytes) and a large datagram's. */
    @Param({ "160", "1452" })
    public int payload;

    private final HopTag tag = new HopTag();
    private final long[] k0 = new long[KEYS];
    private final long[] k1 = new long[KEYS];
    private UnsafeBuffer frame;
    private UnsafeBuffer ordinary;
    private int length;
    private int next;

    @Setup
    public void setup()
    {
        length = FrameFlyweight.HEADER_LENGTH + payload;
        frame = new UnsafeBuffer(ByteBuffer.allocateDirect(length + HopTag.LENGTH));
        ordinary = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        final SplittableRandom random = new SplittableRandom(29);
        for (int i = 0; i < length; i++)
        {
            frame.putByte(i, (byte)random.nextInt());
            ordinary.putByte(i, (byte)random.nextInt());
        }
        FrameFlyweight.writeHeader(
            frame.byteBuffer(), 0, FrameFlyweight.HOP_FLAG | FrameFlyweight.KIND_OPUS, 42, 1, 960);
        FrameFlyweight.writeHeader(ordinary.byteBuffer(), 0, FrameFlyweight.KIND_OPUS, 42, 1, 960);
        for (int i = 0; i < KEYS; i++)
        {
            final HopKey key = HopKey.random();
            k0[i] = key.k0();
            k1[i] = key.k1();
        }
        tag.sign(frame, 0, length, k0[0], k1[0]);
        if (!tag.verify(frame, 0, length + HopTag.LENGTH, k0[0], k1[0]) ||
            FrameFlyweight.isHopFrame(ordinary.byteBuffer(), length) ||
            !FrameFlyweight.isHopFrame(frame.byteBuffer(), length + HopTag.LENGTH))
        {
            throw new IllegalStateException("the benchmark's frames are not what it means to time");
        }
    }

    @Benchmark
    public int sign()
    {
        final int k = next++ & (KEYS - 1);
        return tag.sign(frame, 0, length, k0[k], k1[k]);
    }

    @Benchmark
    public boolean verify()
    {
        final int k = next++ & (KEYS - 1);
        return tag.verify(frame, 0, length + HopTag.LENGTH, k0[k], k1[k]);
    }

    @Benchmark
    public boolean isHopFrameOnAnOrdinaryFrame()
    {
        return FrameFlyweight.isHopFrame(ordinary.byteBuffer(), length);
    }
}
