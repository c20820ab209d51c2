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
import io.soundrelay.io.mix.MixOutput;
import io.soundrelay.io.mix.RoomMixer;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;

/**
 * Another room's latency next to the red team's big room (issue 29, finding 3), on the mixer alone, as if on a core
 * of its own: this thread is the mixer thread, taking frames in the order and at the times they would arrive (each
 * period, the big room's {@code members} silent Opus frames spread over the 20 ms, and a 3-source PCM room's frames
 * at 10 ms), a frame arriving while the thread is still busy waiting its turn as it would in the ring. Time is
 * virtual: it jumps to each frame's arrival when the thread is idle, and otherwise advances by this thread's CPU
 * time, so a machine shared with other work (which deschedules the thread for tens of ms) does not blur the
 * figure. The figure is the PCM room's latency: from its period's frames' arrival to its mix's datagram,
 * p50/p99/max, and how far behind the mixer ends.
 * <p>
 * {@code java -cp <bench classpath> io.soundrelay.bench.MixerRoomLatencyRun [members] [periods]}; members 0 is the
 * idle baseline.
 */
public final class MixerRoomLatencyRun
{
    private static final int SAMPLES = 960;
    private static final long PERIOD_NS = 20_000_000L;
    private static final int POOL = 50;
    private static final Endpoint LISTENER = Endpoint.parse("10.3.0.1:5004");

    private MixerRoomLatencyRun()
    {
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Virtual time: the arrival of the frame in hand, plus the CPU time spent since. */
    private static final class VirtualClock
    {
        long markNs;
        long cpuMarkNs;

        long nowNs()
        {
            return markNs + THREADS.getCurrentThreadCpuTime() - cpuMarkNs;
        }

        /** A frame arrives at arrivalNs: the thread takes it then, or when it is done with what came before. */
        void arrive(final long arrivalNs)
        {
            markNs = Math.max(nowNs(), arrivalNs);
            cpuMarkNs = THREADS.getCurrentThreadCpuTime();
        }
    }

    private static final VirtualClock CLOCK = new VirtualClock();

    /** Records when the PCM room's mix leaves. */
    private static final class Timing implements MixOutput
    {
        final long[] latencies;
        int count;
        long arrivalNs;

        Timing(final int periods)
        {
            latencies = new long[periods];
        }

        public void send(final DirectBuffer buffer, final int offset, final int length, final Endpoint target)
        {
            if (target.equals(LISTENER) && count < latencies.length)
            {
                latencies[count++] = CLOCK.nowNs() - arrivalNs;
            }
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final int members = args.length > 0 ? Integer.parseInt(args[0]) : 150;
        final int periods = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
        final int warmUp = 250;

        final UnsafeBuffer[] silence = packets(POOL);
        final UnsafeBuffer pcm = new UnsafeBuffer(new byte[SAMPLES * 4]);
        for (int i = 0; i < SAMPLES * 2; i++)
        {
            pcm.putShort(2 * i, (short)(1000 + i % 100), java.nio.ByteOrder.LITTLE_ENDIAN);
        }
        final Timing timing = new Timing(warmUp + periods);
        final RoomMixer mixer = new RoomMixer(3860, timing);
        for (int m = 0; m < members; m++)
        {
            mixer.upsertMember(new RouteSpec(m + 1, Endpoint.parse("10.1." + (m >>> 8) + "." + (m & 0xFF) + ":5004"),
                List.of(Endpoint.parse("10.2." + (m >>> 8) + "." + (m & 0xFF) + ":5004")), "big", Deliver.PAYLOAD, 0,
                true));
        }
        for (int s = 0; s < 3; s++)
        {
            mixer.upsertMember(new RouteSpec(10_000 + s, Endpoint.parse("10.4.0." + s + ":5004"), List.of(LISTENER),
                "other", Deliver.PAYLOAD, 0, false));
        }

        final long start = 0;
        CLOCK.cpuMarkNs = THREADS.getCurrentThreadCpuTime();
        final long spreadNs = members == 0 ? 0 : PERIOD_NS / members;
        for (int k = 0; k < warmUp + periods; k++)
        {
            final long periodStart = start + k * PERIOD_NS;
            for (int m = 0; m < members; m++)
            {
                final long arrival = periodStart + m * spreadNs;
                CLOCK.arrive(arrival);
                final UnsafeBuffer packet = silence[k % POOL];
                mixer.onFrame(m + 1, FrameFlyweight.KIND_OPUS, ((long)k * SAMPLES) & 0xFFFF_FFFFL, packet, 0,
                    packet.capacity(), arrival);
                if (m == members / 2)
                {
                    other(mixer, timing, pcm, k, periodStart + PERIOD_NS / 2);
                }
            }
            if (members == 0)
            {
                other(mixer, timing, pcm, k, periodStart + PERIOD_NS / 2);
            }
            mixer.poll(CLOCK.nowNs());
        }
        final long[] measured = Arrays.copyOfRange(timing.latencies, Math.min(warmUp, timing.count), timing.count);
        Arrays.sort(measured);
        System.out.printf("members=%d periods=%d other_room_mixes=%d latency_us p50=%.0f p99=%.0f max=%.0f " +
            "behind_at_end_ms=%.1f%n", members, periods, measured.length, measured[measured.length / 2] / 1e3,
            measured[(int)(measured.length * 0.99)] / 1e3, measured[measured.length - 1] / 1e3,
            Math.max(0, CLOCK.nowNs() - (start + (warmUp + periods) * PERIOD_NS)) / 1e6);
    }

    /** The PCM room's three frames of period k, arriving together at arrivalNs. */
    private static void other(
        final RoomMixer mixer, final Timing timing, final UnsafeBuffer pcm, final int k, final long arrivalNs)
    {
        CLOCK.arrive(arrivalNs);
        timing.arrivalNs = arrivalNs;
        for (int s = 0; s < 3; s++)
        {
            mixer.onFrame(10_000 + s, FrameFlyweight.KIND_PCM, ((long)k * SAMPLES) & 0xFFFF_FFFFL, pcm, 0,
                pcm.capacity(), arrivalNs);
        }
    }

    private static UnsafeBuffer[] packets(final int count) throws OpusException
    {
        final OpusEncoder encoder = new OpusEncoder(48000, 2, OpusApplication.OPUS_APPLICATION_AUDIO);
        final UnsafeBuffer[] packets = new UnsafeBuffer[count];
        final byte[] buffer = new byte[1500];
        final short[] zeros = new short[SAMPLES * 2];
        for (int k = 0; k < count; k++)
        {
            final int length = encoder.encode(zeros, 0, SAMPLES, buffer, 0, buffer.length);
            packets[k] = new UnsafeBuffer(Arrays.copyOf(buffer, length));
        }
        return packets;
    }
}
