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

import io.soundrelay.core.protocol.Fnv1a64;
import io.soundrelay.io.mix.RoomView;
import io.soundrelay.protocol.FrameFlyweight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.StandardSocketOptions;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.NodeFixture.addr;
import static io.soundrelay.control.NodeFixture.receive;
import static io.soundrelay.control.NodeFixture.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mixer through a running node, as a user tries it: three sources stream PCM tones of different frequencies into
 * one room; a listener hears one stream (the room's id) whose spectrum holds all three tones; a mix-minus
 * participant hears the others without its own tone. Frames are 5 ms of 48 kHz stereo (960 bytes), so they fit the
 * default MAX_DATAGRAM_BYTES.
 */
@ParameterizedClass(name = "DATA_PLANE_PIPELINES={0}")
@ValueSource(ints = {1, 2})
class RoomMixEndToEndTest
{
    /** DATA_PLANE_PIPELINES of every node the test starts: each test runs with 1 and with 2. */
    @Parameter
    int pipelines;

    private static final int SAMPLES = 240; // 5 ms at 48 kHz
    private static final int PERIODS = 400; // 2 s of audio
    private static final double[] TONES = {440.0, 660.0, 1000.0};
    private static final double ABSENT = 1500.0;

    /**
     * The routes wait up to 1 s for each other's frames (jitter_ms): with two pipelines a source's frames reach the
     * mixer through another link than the others', and on a busy machine that link may lag a period (5 ms) behind:
     * with the default wait the mixer would mix that period without the source and then realign it a period late,
     * shifting its tone's phase. The test is about the mix, not about that wait.
     */
    private static String route(final long id, final DatagramChannel src, final DatagramChannel target,
        final boolean mixMinus) throws Exception
    {
        return "{\"stream_id\":" + id + ",\"source_addr\":\"" + addr(src) + "\",\"target_addrs\":[\"" +
            addr(target) + "\"],\"room_code\":\"band\",\"mix_minus\":" + mixMinus + ",\"jitter_ms\":1000}";
    }

    private static byte[] toneFrame(final long id, final int period, final double hz)
    {
        final byte[] bytes = new byte[FrameFlyweight.HEADER_LENGTH + SAMPLES * 4];
        FrameFlyweight.writeHeader(ByteBuffer.wrap(bytes), 0, FrameFlyweight.KIND_PCM, id, period,
            (long)period * SAMPLES);
        final ByteBuffer pcm = ByteBuffer.wrap(bytes, FrameFlyweight.HEADER_LENGTH, SAMPLES * 4)
            .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < SAMPLES; i++)
        {
            final long n = (long)period * SAMPLES + i;
            final short s = (short)Math.round(0.25 * 32767 * Math.sin(2 * Math.PI * hz * n / 48_000.0));
            pcm.putShort(s).putShort(s);
        }
        return bytes;
    }

    /**
     * With two pipelines, streams 1 and 3 belong to pipeline 1 and stream 2 to pipeline 0: the mixer takes the room's
     * frames from both.
     */
    @Test
    void aListenerHearsAllThreeTonesAndAMixMinusParticipantLacksItsOwn() throws Exception
    {
        // About the mix, not its timing: a cold JVM on a busy machine may stall the mixer past the default
        // MIXER_STALE_MS and drop frames the test counts on (MixerAgentStaleTest is about staleness).
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of("ENABLE_MIXER", "true", "MIXER_STALE_MS", "10000"));
            DatagramChannel a = udp(); DatagramChannel b = udp(); DatagramChannel c = udp();
            DatagramChannel listener = udp(); DatagramChannel cEar = udp())
        {
            // The whole mix (400 frames of 980 bytes) must fit while a cold JVM starts the ears' threads.
            listener.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            cEar.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            assertEquals(201, node.authed("POST", "/route", route(1, a, listener, false)).statusCode());
            assertEquals(201, node.authed("POST", "/route", route(2, b, listener, false)).statusCode());
            assertEquals(201, node.authed("POST", "/route", route(3, c, cEar, true)).statusCode());

            // Listen while the sources send: the frames would overflow a socket buffer nobody reads.
            final long roomId = Fnv1a64.roomStreamId("band");
            final ExecutorService ears = Executors.newFixedThreadPool(2);
            final Future<short[]> heardFuture = ears.submit(() -> collect(listener, roomId));
            final Future<short[]> cHeardFuture = ears.submit(() -> collect(cEar, roomId));
            ears.shutdown();

            final DatagramChannel[] sources = {a, b, c};
            for (int period = 0; period < PERIODS; period++)
            {
                for (int s = 0; s < 3; s++)
                {
                    node.send(sources[s], toneFrame(s + 1, period, TONES[s]));
                }
                // Let the mixer take each period before the next (its frames_in, not the node's receipt: with two
                // pipelines the sources' frames reach the mixer through two links, so a burst of many periods from
                // one could run 16 periods ahead of the others' and be mixed early; a real source sends one frame
                // per period).
                final long sent = 3L * (period + 1);
                NodeFixture.waitFor("mixer took " + sent + " frames", () -> framesIn(node) >= sent);
            }
            final RoomView band = node.node.dataPlane().mixer().room("band");

            final short[] heard = heardFuture.get(30, TimeUnit.SECONDS);
            final short[] cHeard = cHeardFuture.get(30, TimeUnit.SECONDS);

            final double reference = level(heard, TONES[0]);
            for (final double hz : TONES)
            {
                assertTrue(level(heard, hz) > reference - 3, "listener hears " + hz + " Hz: " + levels(heard) +
                    " (" + band + ")");
            }
            assertTrue(level(heard, ABSENT) < reference - 40, "no tone where none was sent: " + levels(heard));

            final double cReference = level(cHeard, TONES[0]);
            assertTrue(level(cHeard, TONES[1]) > cReference - 3, "C hears B: " + levels(cHeard));
            assertTrue(level(cHeard, TONES[2]) < cReference - 40, "C does not hear itself (mix-minus): " +
                levels(cHeard));

            final HttpResponse<String> room = node.authed("GET", "/rooms/band", null);
            assertEquals(200, room.statusCode(), room.body());
            assertTrue(room.body().contains("\"output_stream_id\":\"" + Long.toUnsignedString(roomId) + "\""), room.body());
            assertTrue(room.body().contains("\"kind\":\"pcm\""), room.body());
            assertTrue(room.body().contains("\"frame_samples\":" + SAMPLES), room.body());
            assertTrue(room.body().contains("{\"stream_id\":\"3\",\"mix_minus\":true}"), room.body());
            final HttpResponse<String> rooms = node.authed("GET", "/rooms", null);
            assertTrue(rooms.body().startsWith("{\"mixer_enabled\":true,\"rooms\":[{\"room_code\":\"band\""),
                rooms.body());

            for (int id = 1; id <= 3; id++)
            {
                assertEquals(204, node.authed("DELETE", "/route/" + id, null).statusCode());
            }
            NodeFixture.waitFor("room gone with its last route", () -> status(node, "/rooms/band") == 404);
        }
    }

    @Test
    void roomsWithTheMixerOffAreOnlyLabelsAndABadCodeIsRefused() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(pipelines, Map.of());
            DatagramChannel a = udp(); DatagramChannel t = udp())
        {
            assertEquals(201, node.authed("POST", "/route", route(11, a, t, false)).statusCode());
            final HttpResponse<String> rooms = node.authed("GET", "/rooms", null);
            assertEquals(200, rooms.statusCode());
            assertEquals("{\"mixer_enabled\":false,\"rooms\":[]}", rooms.body());
            final HttpResponse<String> room = node.authed("GET", "/rooms/band", null);
            assertEquals(404, room.statusCode());
            assertTrue(room.body().contains("ENABLE_MIXER=false"), room.body());
            final HttpResponse<String> bad = node.authed("GET", "/rooms/no%20spaces", null);
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("\"field\":\"room_code\""), bad.body());
            assertEquals(401, node.call("GET", "/rooms", null).statusCode());
            assertEquals(405, node.authed("POST", "/rooms", "{}").statusCode());
        }
    }

    /** The frames the mixer took from the room's sources, as GET /rooms/band shows them (0 before the room). */
    private static long framesIn(final NodeFixture node)
    {
        final RoomView band = node.node.dataPlane().mixer().room("band");
        return band == null ? 0 : band.framesIn();
    }

    private static int status(final NodeFixture node, final String path)
    {
        try
        {
            return node.authed("GET", path, null).statusCode();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Receive the room's frames until most periods are in (the first few may be mixed before every source joined),
     * and return the left channel in sequence order.
     */
    private static short[] collect(final DatagramChannel ch, final long roomId) throws Exception
    {
        final TreeMap<Long, byte[]> frames = new TreeMap<>();
        while (frames.size() < PERIODS - 10)
        {
            final byte[] got = receive(ch);
            final FrameFlyweight f = new FrameFlyweight().wrap(ByteBuffer.wrap(got), 0);
            assertEquals(roomId, f.streamId(), "one stream: the room's");
            assertEquals(FrameFlyweight.KIND_PCM, f.kind());
            frames.put(f.sequence(), got);
        }
        final short[] left = new short[frames.size() * SAMPLES];
        int n = 0;
        for (final byte[] frame : frames.values())
        {
            final ByteBuffer pcm = ByteBuffer.wrap(frame, FrameFlyweight.HEADER_LENGTH,
                frame.length - FrameFlyweight.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            while (pcm.remaining() >= 4 && n < left.length)
            {
                left[n++] = pcm.getShort();
                pcm.getShort();
            }
        }
        return left;
    }

    private static String levels(final short[] signal)
    {
        final StringBuilder sb = new StringBuilder();
        for (final double hz : new double[]{TONES[0], TONES[1], TONES[2], ABSENT})
        {
            sb.append(String.format(Locale.ROOT, "%.0f Hz %.1f dB ", hz, level(signal, hz)));
        }
        return sb.toString().trim();
    }

    /**
     * Goertzel power at {@code hz} over the signal after its first 100 ms, in dB (relative; only differences count).
     */
    private static double level(final short[] signal, final double hz)
    {
        final int start = 4800;
        final double coeff = 2 * Math.cos(2 * Math.PI * hz / 48_000.0);
        double s1 = 0;
        double s2 = 0;
        for (int i = start; i < signal.length; i++)
        {
            final double s0 = signal[i] + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        final double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        return 10 * Math.log10(power + 1e-9);
    }
}
