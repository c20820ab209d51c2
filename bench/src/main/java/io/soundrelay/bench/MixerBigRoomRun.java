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
import io.soundrelay.io.mix.RoomView;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;

/**
 * The red team's big room (issue 29, finding 3) on the mixer alone: one Opus room of {@code members} mix-minus
 * routes, each sending 20 ms Opus frames, of which {@code speakers} carry a tone and the rest digital silence. The
 * mixer is stepped on a fake clock, one period per step, on this thread; the figure is this thread's CPU time per
 * period (of the 20 ms a period lasts), and the room's Opus encodes per period where the build counts them.
 * <p>
 * {@code java -cp <bench classpath> io.soundrelay.bench.MixerBigRoomRun [members] [speakers] [periods]}
 */
public final class MixerBigRoomRun
{
    private static final int SAMPLES = 960;
    private static final long PERIOD_NS = 20_000_000L;
    private static final int POOL = 50;

    private MixerBigRoomRun()
    {
    }

    /** Counts datagrams; copies nothing. */
    private static final class Counting implements MixOutput
    {
        long datagrams;

        public void send(final DirectBuffer buffer, final int offset, final int length, final Endpoint target)
        {
            datagrams++;
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final int members = args.length > 0 ? Integer.parseInt(args[0]) : 150;
        final int speakers = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        final int periods = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        final int warmUp = Math.max(200, periods / 2);

        final UnsafeBuffer[] silence = packets(0, POOL);
        final UnsafeBuffer[] tone = packets(440, POOL);
        final Counting output = new Counting();
        final RoomMixer mixer = new RoomMixer(3860, output);
        for (int m = 0; m < members; m++)
        {
            mixer.upsertMember(new RouteSpec(m + 1, Endpoint.parse("10.1." + (m >>> 8) + "." + (m & 0xFF) + ":5004"),
                List.of(Endpoint.parse("10.2." + (m >>> 8) + "." + (m & 0xFF) + ":5004")), "big", Deliver.PAYLOAD, 0,
                true));
        }
        final long t0 = 1_000_000_000_000L;
        // Period 0: the first member alone (it goes out at once), the others late but anchored; see RoomMixerTest.
        for (int m = 0; m < members; m++)
        {
            frame(mixer, m, 0, m < speakers ? tone : silence, t0);
        }
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final RoomView room = mixer.room("big");
        long cpuStart = 0;
        long encodesStart = 0;
        long mixedStart = 0;
        for (int k = 1; k <= warmUp + periods; k++)
        {
            if (k == warmUp + 1)
            {
                cpuStart = threads.getCurrentThreadCpuTime();
                encodesStart = encodes(room);
                mixedStart = room.framesMixed();
            }
            final long nowNs = t0 + k * PERIOD_NS;
            for (int m = 0; m < members; m++)
            {
                frame(mixer, m, k, m < speakers ? tone : silence, nowNs);
            }
        }
        final long cpuNs = threads.getCurrentThreadCpuTime() - cpuStart;
        final long mixed = room.framesMixed() - mixedStart;
        final long encodes = encodes(room);
        System.out.printf("members=%d speakers=%d periods=%d mixed=%d cpu_per_period_us=%.1f (%.1f%% of 20 ms) " +
            "encodes_per_period=%s datagrams=%d%n", members, speakers, periods, mixed, cpuNs / 1e3 / periods,
            cpuNs / 2e5 / periods, encodes < 0 ? "n/a" :
            String.format("%.2f", (double)(encodes - encodesStart) / periods), output.datagrams);
    }

    private static void frame(
        final RoomMixer mixer, final int member, final int period, final UnsafeBuffer[] pool, final long nowNs)
    {
        final UnsafeBuffer packet = pool[period % POOL];
        mixer.onFrame(member + 1, FrameFlyweight.KIND_OPUS, ((long)period * SAMPLES) & 0xFFFF_FFFFL, packet, 0,
            packet.capacity(), nowNs);
    }

    /** The room's encode count where the build has one (RoomView.encodes), else -1. */
    private static long encodes(final RoomView room)
    {
        try
        {
            return (long)RoomView.class.getMethod("encodes").invoke(room);
        }
        catch (final ReflectiveOperationException ex)
        {
            return -1;
        }
    }

    private static UnsafeBuffer[] packets(final double hz, final int count) throws OpusException
    {
        final OpusEncoder encoder = new OpusEncoder(48000, 2, OpusApplication.OPUS_APPLICATION_AUDIO);
        final UnsafeBuffer[] packets = new UnsafeBuffer[count];
        final byte[] buffer = new byte[1500];
        final short[] pcm = new short[SAMPLES * 2];
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < SAMPLES; i++)
            {
                final short v = (short)Math.round(6000 * Math.sin(2 * Math.PI * hz * (k * SAMPLES + i) / 48000));
                pcm[2 * i] = v;
                pcm[2 * i + 1] = v;
            }
            final int length = encoder.encode(pcm, 0, SAMPLES, buffer, 0, buffer.length);
            packets[k] = new UnsafeBuffer(Arrays.copyOf(buffer, length));
        }
        return packets;
    }
}
