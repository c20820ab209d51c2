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

import io.github.jaredmdobson.concentus.OpusApplication;
import io.github.jaredmdobson.concentus.OpusEncoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.mix.MixOutput;
import io.soundrelay.io.mix.RoomMixer;
import io.soundrelay.io.mix.RoomView;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.DirectBuffer;
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

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The room mixer engine alone ({@link RoomMixer}), on one thread with a clock that advances 20 ms per op. One op:
 * every source of every room hands in one 20 ms frame (960 samples per channel, 48 kHz stereo) and every room
 * emits one period, so the cost per room per source per frame is ns/op / (rooms x sources).
 * <ul>
 *   <li>{@code codec=pcm}: 3,840-byte PCM payloads in, PCM out (maxDatagramBytes 3860); decode is a byte swap, the
 *       cost is placing, summing, clamping and writing the output frame.</li>
 *   <li>{@code codec=opus}: Opus packets (Concentus, default bitrate, a different tone per source) in: one decode
 *       per source per op; Opus out: one encode per output stream.</li>
 *   <li>{@code mixMinus=false}: each room sends one full mix (to one target per member: one encode, as many
 *       sends); {@code mixMinus=true}: every member is mix-minus, so each room makes one output per member.</li>
 * </ul>
 * The output is a counter: no copy, no system call. Inputs are prebuilt pools (16 PCM frames, 50 Opus packets per
 * source index, shared by the rooms) taken in turn. Setup runs a few periods and fails the trial unless every
 * frame is accepted and every room emits one period per op; teardown checks again.
 * <p>
 * Each iteration also prints what the benchmark thread alone allocated ({@link ThreadAllocation}), as
 * {@code -prof gc} counts every thread of the JVM.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED" })
public class MixerBenchmark
{
    private static final int MAX_DATAGRAM_BYTES = 3860;
    private static final int SAMPLES = 960;
    private static final long PERIOD_NS = 20_000_000L;
    private static final int PCM_POOL = 16;
    private static final int OPUS_POOL = 50;
    private static final int SETUP_PERIODS = 8;

    @Param({ "1", "10" })
    public int rooms;

    @Param({ "2", "5", "10" })
    public int sources;

    @Param({ "pcm", "opus" })
    public String codec;

    @Param({ "false", "true" })
    public boolean mixMinus;

    /** Counts what the mixer sends. */
    private static final class CountingOutput implements MixOutput
    {
        long datagrams;
        long bytes;

        public void send(final DirectBuffer buffer, final int offset, final int length, final Endpoint target)
        {
            datagrams++;
            bytes += length;
        }
    }

    private final ThreadAllocation allocation = new ThreadAllocation("mixer");
    private final CountingOutput output = new CountingOutput();
    private RoomMixer mixer;
    private long[][] streamIds;
    private UnsafeBuffer[][] payloads;
    private int[][] lengths;
    private int kind;
    private int pool;
    /** Ops since setup began: the timeline goes on, never back. */
    private long ops;
    private long nowNs;
    private long refused;

    @Setup(Level.Trial)
    public void setup()
    {
        kind = "pcm".equals(codec) ? FrameFlyweight.KIND_PCM : FrameFlyweight.KIND_OPUS;
        pool = kind == FrameFlyweight.KIND_PCM ? PCM_POOL : OPUS_POOL;
        payloads = new UnsafeBuffer[sources][pool];
        lengths = new int[sources][pool];
        for (int s = 0; s < sources; s++)
        {
            final double hz = 220 + 110 * s;
            for (int k = 0; k < pool; k++)
            {
                final short[] pcm = sine(hz, 3000, (long)k * SAMPLES);
                final byte[] bytes = kind == FrameFlyweight.KIND_PCM ? pcmBytes(pcm) : null;
                payloads[s][k] = bytes == null ? null : new UnsafeBuffer(bytes);
                lengths[s][k] = bytes == null ? 0 : bytes.length;
            }
            if (kind == FrameFlyweight.KIND_OPUS)
            {
                final byte[][] packets = opusPackets(hz, pool);
                for (int k = 0; k < pool; k++)
                {
                    payloads[s][k] = new UnsafeBuffer(packets[k]);
                    lengths[s][k] = packets[k].length;
                }
            }
        }

        mixer = new RoomMixer(MAX_DATAGRAM_BYTES, output);
        streamIds = new long[rooms][sources];
        final long[] ids = StreamIds.distinct(rooms * sources, 0x5EED_0005L);
        for (int r = 0; r < rooms; r++)
        {
            for (int s = 0; s < sources; s++)
            {
                final int n = r * sources + s;
                streamIds[r][s] = ids[n];
                final Endpoint source = Endpoint.parse("10.1." + (n >>> 8) + "." + (n & 0xFF) + ":5004");
                final Endpoint target = Endpoint.parse("10.2." + (n >>> 8) + "." + (n & 0xFF) + ":5004");
                mixer.upsertMember(new RouteSpec(ids[n], source, List.of(target), "room-" + r, Deliver.PAYLOAD, 0,
                    mixMinus));
            }
        }
        nowNs = System.nanoTime();
        // A room's very first frame goes out alone at once (no other source is active yet), and a source's first
        // frame is placed by its arrival time. So source 0 of each room sends one frame a period before the others
        // start, and comes last in each op: the others' first frames, one period later, land on period 1, as does
        // source 0's timestamp 0; all timestamps map to the same periods, source 0's frame completes each room's
        // period, and no frame ever meets a deadline.
        for (int r = 0; r < rooms; r++)
        {
            if (mixer.onFrame(streamIds[r][0], kind, (-SAMPLES) & 0xFFFF_FFFFL, payloads[0][pool - 1], 0,
                lengths[0][pool - 1], nowNs) != null)
            {
                throw new IllegalStateException("setup: first frame refused");
            }
        }
        for (int i = 0; i < SETUP_PERIODS; i++)
        {
            mix();
        }
        final long mixedBefore = framesMixed();
        mix();
        if (refused != 0 || framesMixed() != mixedBefore + rooms)
        {
            throw new IllegalStateException("setup: refused=" + refused + ", periods in one op=" +
                (framesMixed() - mixedBefore) + ", expected " + rooms);
        }
    }

    /**
     * Every source of every room contributes one frame; each room emits its period.
     */
    @Benchmark
    public void mix()
    {
        final long op = ops++;
        final int index = (int)(op % pool);
        final long timestamp = (op * SAMPLES) & 0xFFFF_FFFFL;
        final long now = nowNs += PERIOD_NS;
        for (int r = 0; r < rooms; r++)
        {
            final long[] ids = streamIds[r];
            for (int s = sources - 1; s >= 0; s--) // source 0 last: see setup
            {
                final ErrorReason reason = mixer.onFrame(
                    ids[s], kind, timestamp, payloads[s][index], 0, lengths[s][index], now);
                if (reason != null)
                {
                    refused++;
                }
            }
        }
    }

    @Setup(Level.Iteration)
    public void startIteration()
    {
        allocation.start(ops);
    }

    @TearDown(Level.Iteration)
    public void endIteration()
    {
        System.out.println();
        System.out.println(allocation.stop(ops));
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        final long mixed = framesMixed();
        System.out.println();
        System.out.println("rooms=" + rooms + " sources=" + sources + " codec=" + codec + " mixMinus=" + mixMinus +
            " framesMixed=" + mixed + " datagrams=" + output.datagrams + " bytes/datagram=" +
            (output.datagrams == 0 ? 0 : output.bytes / output.datagrams) + " refused=" + refused);
        if (refused != 0)
        {
            throw new IllegalStateException("frames refused: " + refused);
        }
    }

    private long framesMixed()
    {
        long total = 0;
        for (final RoomView view : mixer.rooms())
        {
            total += view.framesMixed();
        }
        return total;
    }

    private static short[] sine(final double hz, final double amplitude, final long firstSample)
    {
        final short[] pcm = new short[SAMPLES * 2];
        for (int i = 0; i < SAMPLES; i++)
        {
            final short v = (short)Math.round(amplitude * Math.sin(2 * Math.PI * hz * (firstSample + i) / 48_000));
            pcm[2 * i] = v;
            pcm[2 * i + 1] = v;
        }
        return pcm;
    }

    private static byte[] pcmBytes(final short[] pcm)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[pcm.length * 2]);
        for (int i = 0; i < pcm.length; i++)
        {
            buffer.putShort(2 * i, pcm[i], ByteOrder.LITTLE_ENDIAN);
        }
        return buffer.byteArray();
    }

    private static byte[][] opusPackets(final double hz, final int count)
    {
        try
        {
            final OpusEncoder encoder = new OpusEncoder(48_000, 2, OpusApplication.OPUS_APPLICATION_AUDIO);
            final byte[] packet = new byte[1500];
            final byte[][] packets = new byte[count][];
            for (int k = 0; k < count; k++)
            {
                final int length = encoder.encode(sine(hz, 3000, (long)k * SAMPLES), 0, SAMPLES, packet, 0,
                    packet.length);
                packets[k] = Arrays.copyOf(packet, length);
            }
            return packets;
        }
        catch (final OpusException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
