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
package io.soundrelay.io.mix;

import io.github.jaredmdobson.concentus.OpusApplication;
import io.github.jaredmdobson.concentus.OpusDecoder;
import io.github.jaredmdobson.concentus.OpusEncoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.github.jaredmdobson.concentus.OpusPacketInfo;
import io.github.jaredmdobson.concentus.OpusRepacketizer;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The room mixer driven by hand: a fake clock (the {@code nowNs} each call is given) and an output that keeps every
 * datagram. Output frames are parsed and their samples compared value by value; nothing sleeps and nothing depends
 * on real time.
 */
class RoomMixerTest
{
    private static final int MAX_DATAGRAM_BYTES = 3860; // 20 ms of 48 kHz stereo PCM plus the header
    private static final int P = 960;
    private static final long PERIOD_NS = 20_000_000L;
    private static final long MS = 1_000_000L;
    /** Arbitrary clock origin, negative as System.nanoTime() may be. */
    private static final long T0 = -5_000_000_000L;

    /** One datagram the mixer sent. */
    private record Sent(Endpoint target, byte[] bytes)
    {
        FrameFlyweight header()
        {
            return new FrameFlyweight().wrap(ByteBuffer.wrap(bytes), 0);
        }

        byte[] payload()
        {
            return Arrays.copyOfRange(bytes, FrameFlyweight.HEADER_LENGTH, bytes.length);
        }

        short[] pcm()
        {
            assertEquals(FrameFlyweight.KIND_PCM, header().kind(), "a PCM frame");
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            final short[] samples = new short[(bytes.length - FrameFlyweight.HEADER_LENGTH) / 2];
            for (int i = 0; i < samples.length; i++)
            {
                samples[i] = buffer.getShort(FrameFlyweight.HEADER_LENGTH + 2 * i, ByteOrder.LITTLE_ENDIAN);
            }
            return samples;
        }
    }

    /** Keeps a copy of every datagram, as a real output copies before returning. */
    private static final class Capture implements MixOutput
    {
        final List<Sent> sent = new ArrayList<>();

        public void send(final DirectBuffer buffer, final int offset, final int length, final Endpoint target)
        {
            assertTrue(length <= MAX_DATAGRAM_BYTES, "datagram fits: " + length);
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            sent.add(new Sent(target, copy));
        }

        List<Sent> to(final Endpoint target)
        {
            final List<Sent> result = new ArrayList<>();
            for (final Sent s : sent)
            {
                if (s.target().equals(target))
                {
                    result.add(s);
                }
            }
            return result;
        }

        Sent only(final Endpoint target)
        {
            final List<Sent> to = to(target);
            assertEquals(1, to.size(), "datagrams to " + target);
            return to.get(0);
        }
    }

    private final Capture out = new Capture();
    private final RoomMixer mixer = new RoomMixer(MAX_DATAGRAM_BYTES, out);

    private static Endpoint target(final int port)
    {
        return Endpoint.parse("127.0.0.1:" + port);
    }

    private static RouteSpec route(
        final long id, final String room, final boolean mixMinus, final int jitterMs, final Endpoint... targets)
    {
        return new RouteSpec(id, Endpoint.parse("10.0.0.1:" + (1000 + id)), List.of(targets), room,
            Deliver.PAYLOAD, jitterMs, mixMinus);
    }

    private static RouteSpec route(final long id, final String room, final Endpoint... targets)
    {
        return route(id, room, false, 0, targets);
    }

    /** Interleaved stereo samples as a PCM payload, s16 little-endian. */
    private static UnsafeBuffer pcm(final short[] samples)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[samples.length * 2]);
        for (int i = 0; i < samples.length; i++)
        {
            buffer.putShort(i * 2, samples[i], ByteOrder.LITTLE_ENDIAN);
        }
        return buffer;
    }

    private static short[] samples(final IntUnaryOperator valueAt)
    {
        final short[] samples = new short[P * 2];
        for (int i = 0; i < samples.length; i++)
        {
            samples[i] = (short)valueAt.applyAsInt(i);
        }
        return samples;
    }

    private static short[] constant(final int value)
    {
        return samples(i -> value);
    }

    /** Stereo sine, the same on both channels, continuing over periods. */
    private static short[] sine(final double hz, final double amplitude, final int period)
    {
        return samples(i ->
        {
            final long n = (long)period * P + i / 2;
            return (int)Math.round(amplitude * Math.sin(2 * Math.PI * hz * n / RoomMixer.SAMPLE_RATE));
        });
    }

    private static short[] clampedSum(final short[]... parts)
    {
        final short[] result = new short[parts[0].length];
        for (int i = 0; i < result.length; i++)
        {
            int sum = 0;
            for (final short[] part : parts)
            {
                sum += part[i];
            }
            result[i] = (short)Math.max(-32768, Math.min(32767, sum));
        }
        return result;
    }

    private ErrorReason sendPcm(final long id, final long timestamp, final short[] samples, final long nowNs)
    {
        final UnsafeBuffer payload = pcm(samples);
        return mixer.onFrame(id, FrameFlyweight.KIND_PCM, timestamp & 0xFFFF_FFFFL, payload, 0,
            payload.capacity(), nowNs);
    }

    private ErrorReason sendOpus(final long id, final long timestamp, final byte[] packet, final long nowNs)
    {
        return mixer.onFrame(id, FrameFlyweight.KIND_OPUS, timestamp & 0xFFFF_FFFFL, new UnsafeBuffer(packet), 0,
            packet.length, nowNs);
    }

    /**
     * Make every source active and anchored so that timestamp k * P is room period k for all of them, then forget
     * what was sent. The first source's frame at 0 goes out alone at once (nobody else is active yet); the others'
     * frames at 0 arrive in step with it, so they are placed on period 0 too, already mixed: late, but anchored and
     * active. Every source's timestamp-P frame then completes period 1. The room's next period is then 2.
     */
    private void warmUp(final long... ids)
    {
        assertNull(sendPcm(ids[0], 0, constant(0), T0));
        for (int i = 1; i < ids.length; i++)
        {
            assertEquals(ErrorReason.LATE, sendPcm(ids[i], 0, constant(0), T0));
        }
        for (final long id : ids)
        {
            assertNull(sendPcm(id, P, constant(0), at(1)));
        }
        assertEquals(Long.MAX_VALUE, mixer.nextDeadlineNs(), "warm-up left nothing pending");
        out.sent.clear();
    }

    /** Time of room period k, one period apart from T0. */
    private static long at(final int period)
    {
        return T0 + period * PERIOD_NS;
    }

    @Test
    void sumsSampleBySampleAndClampsTo16Bits()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        warmUp(1, 2);
        final short[] a = samples(i -> ((i * 7919) % 65536) - 32768);
        final short[] b = samples(i -> ((i * 104729 + 12345) % 65536) - 32768);

        assertNull(sendPcm(1, 2L * P, a, at(2)));
        assertTrue(out.sent.isEmpty(), "waits for the other active source");
        assertNull(sendPcm(2, 2L * P, b, at(2) + MS));
        final short[] mixed = out.only(listener).pcm();
        assertArrayEquals(clampedSum(a, b), mixed);
        int clampedHigh = 0;
        int clampedLow = 0;
        for (int i = 0; i < a.length; i++)
        {
            final int sum = a[i] + b[i];
            clampedHigh += sum > 32767 ? 1 : 0;
            clampedLow += sum < -32768 ? 1 : 0;
            assertEquals(Math.max(-32768, Math.min(32767, sum)), mixed[i], "sample " + i);
        }
        assertTrue(clampedHigh > 100 && clampedLow > 100, "the inputs exercise both clamps");
    }

    @Test
    void twoFullScaleSourcesClampInsteadOfWrapping()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        warmUp(1, 2);
        // Left channel at the top of the range, right at the bottom.
        final short[] fullScale = samples(i -> (i & 1) == 0 ? 32767 : -32768);
        sendPcm(1, 2L * P, fullScale, at(2));
        sendPcm(2, 2L * P, fullScale, at(2));
        final short[] mixed = out.only(listener).pcm();
        for (int i = 0; i < mixed.length; i += 2)
        {
            assertEquals(32767, mixed[i], "32767 + 32767 at " + i);
            assertEquals(-32768, mixed[i + 1], "-32768 + -32768 at " + (i + 1));
        }
    }

    @Test
    void silenceInSilenceOut()
    {
        final Endpoint listener = target(7000);
        for (long id = 1; id <= 3; id++)
        {
            mixer.upsertMember(route(id, "room", listener));
        }
        warmUp(1, 2, 3);
        for (int period = 2; period < 5; period++)
        {
            for (long id = 1; id <= 3; id++)
            {
                sendPcm(id, (long)period * P, constant(0), at(period));
            }
        }
        assertEquals(3, out.to(listener).size());
        for (final Sent s : out.to(listener))
        {
            assertArrayEquals(new short[P * 2], s.pcm());
        }
    }

    @Test
    void oneSourceComesOutByteForByteWithTheRoomsHeader()
    {
        final Endpoint listener = target(7000);
        final String code = "a";
        mixer.upsertMember(route(42, code, listener));
        final SplittableRandom random = new SplittableRandom(7);
        final long firstTimestamp = 0xFFFF_FC00L; // wraps during the run
        for (int k = 0; k < 5; k++)
        {
            final short[] input = samples(i -> random.nextInt(65536) - 32768);
            assertNull(sendPcm(42, firstTimestamp + (long)k * P, input, T0 + k * PERIOD_NS));
            final Sent sent = out.sent.get(k);
            assertEquals(listener, sent.target());
            assertArrayEquals(pcm(input).byteArray(), sent.payload(), "identity, period " + k);
            final FrameFlyweight header = sent.header();
            assertEquals(FrameFlyweight.VERSION, header.version());
            assertEquals(FrameFlyweight.KIND_PCM, header.kind());
            assertFalse(header.isHop());
            assertEquals(0xaf63dc4c8601ec8cL, header.streamId(), "FNV-1a 64 of \"a\" (the published test vector)");
            assertEquals(k, header.sequence(), "sequence +1 per period from 0");
            assertEquals((long)k * P, header.timestamp(), "timestamp k * P on the room's clock");
        }
        assertEquals(5, out.sent.size());
        assertEquals(fnv1a64("room-\u2603"), new Room("room-\u2603").outputStreamId, "UTF-8 bytes are hashed");
    }

    private static long fnv1a64(final String text)
    {
        long hash = 0xcbf29ce484222325L;
        for (final byte b : text.getBytes(StandardCharsets.UTF_8))
        {
            hash = (hash ^ (b & 0xFF)) * 0x100000001b3L;
        }
        return hash;
    }

    @Test
    void aMissingSourceIsSilenceOnceTheDeadlinePassesAndItsLateFrameIsDropped()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        warmUp(1, 2);
        sendPcm(1, 2L * P, constant(100), at(2));
        sendPcm(2, 2L * P, constant(10), at(2) + MS);
        assertArrayEquals(constant(110), out.only(listener).pcm());
        assertEquals(Long.MAX_VALUE, mixer.nextDeadlineNs(), "nothing pending");

        assertNull(sendPcm(1, 3L * P, constant(200), at(3)));
        assertEquals(1, out.sent.size(), "source 2 is active: period 3 waits for it");
        assertEquals(at(3) + PERIOD_NS, mixer.nextDeadlineNs(), "wait = one period (no jitter_ms)");
        assertEquals(0, mixer.poll(at(3) + PERIOD_NS - 1));
        assertEquals(1, out.sent.size());
        assertEquals(1, mixer.poll(at(3) + PERIOD_NS));
        assertArrayEquals(constant(200), out.sent.get(1).pcm(), "the present source alone");
        assertEquals(3, out.sent.get(1).header().sequence());
        assertEquals(3L * P, out.sent.get(1).header().timestamp());

        assertEquals(ErrorReason.LATE, sendPcm(2, 3L * P, constant(20), at(3) + PERIOD_NS + MS));
        assertEquals(2, out.sent.size(), "a late frame sends nothing");
        final RoomView view = mixer.room("room");
        assertEquals(2, view.framesLate(), "this one and source 2's first frame in the warm-up");
        assertEquals(1, view.sourcesSilent());
        assertEquals(4, view.framesMixed(), "two warm-up periods and two more");
        assertEquals(4 + 3 + 1, view.framesIn());
    }

    @Test
    void jitterMsSetsTheWaitAndAQuietSourceStopsBeingWaitedFor()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", false, 0, listener));
        mixer.upsertMember(route(2, "room", false, 150, listener));
        warmUp(1, 2); // source 2's last frame: at(1)
        sendPcm(1, 2L * P, constant(1), at(1));
        assertEquals(at(1) + 150 * MS, mixer.nextDeadlineNs(), "wait = largest jitter_ms of the room");
        assertEquals(0, mixer.poll(at(1) + 149 * MS));
        assertEquals(1, mixer.poll(at(1) + 150 * MS));

        // Source 2 is active for max(200 ms, 2 x wait) = 300 ms after its last frame, then no longer waited for.
        sendPcm(1, 3L * P, constant(1), at(1) + 299 * MS);
        assertEquals(1, out.sent.size(), "still waits for source 2");
        sendPcm(1, 4L * P, constant(1), at(1) + 300 * MS);
        assertEquals(3, out.sent.size(), "periods 3 and 4 complete without the inactive source");
        assertEquals(1, mixer.room("room").sourcesSilent(), "period 2 missed an active source, 3 and 4 did not");
    }

    @Test
    void framesOfAnotherSizeOrKindOrFromStrangersAreRefused()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        warmUp(1, 2);
        assertEquals(960, mixer.room("room").frameSamples());
        assertEquals("pcm", mixer.room("room").kind());
        final long framesIn = mixer.room("room").framesIn();
        final long framesLate = mixer.room("room").framesLate();

        final UnsafeBuffer half = pcm(new short[480 * 2]);
        assertEquals(ErrorReason.FRAME_SIZE, mixer.onFrame(2, 1, 2L * P, half, 0, half.capacity(), at(2)));
        assertEquals(ErrorReason.FRAME_SIZE, sendOpus(2, 2L * P, opusPackets(sineSource(440, 5000), 1, 480)[0],
            at(2)), "10 ms of Opus in a 20 ms room");
        assertEquals(ErrorReason.MALFORMED, mixer.onFrame(2, 1, 2L * P, half, 0, 6, at(2)), "not a multiple of 4");
        assertEquals(ErrorReason.MALFORMED, mixer.onFrame(2, 1, 2L * P, half, 0, 0, at(2)), "empty");
        assertEquals(ErrorReason.MALFORMED, mixer.onFrame(2, 0, 2L * P, half, 0, 16, at(2)), "opaque");
        assertEquals(ErrorReason.MALFORMED, mixer.onFrame(2, 3, 2L * P, half, 0, 16, at(2)), "reserved kind");
        assertEquals(ErrorReason.MALFORMED, sendOpus(2, 2L * P, new byte[]{ (byte)0xFF, (byte)0xFF, 1, 2, 3 },
            at(2)), "bad Opus TOC");
        final UnsafeBuffer tooLong = pcm(new short[1000 * 2]);
        assertEquals(ErrorReason.FRAME_SIZE, mixer.onFrame(2, 1, 2L * P, tooLong, 0, tooLong.capacity(), at(2)),
            "output would not fit a datagram");
        assertEquals(ErrorReason.UNKNOWN_STREAM, sendPcm(3, 2L * P, constant(1), at(2)));
        assertNull(sendPcm(1, 2L * P, constant(1), at(2)));
        assertEquals(ErrorReason.DUPLICATE, sendPcm(1, 2L * P, constant(1), at(2)));
        assertEquals(ErrorReason.DUPLICATE, sendPcm(1, 2L * P + 400, constant(1), at(2)), "rounds to period 2");
        assertTrue(out.sent.isEmpty(), "refused frames complete nothing");
        assertEquals(framesIn + 11, mixer.room("room").framesIn(), "every frame of a member, refused or not");
        assertEquals(framesLate, mixer.room("room").framesLate(), "duplicates are not late");

        assertNull(sendPcm(2, 2L * P, constant(2), at(2)));
        assertArrayEquals(constant(3), out.only(listener).pcm());
    }

    @Test
    void twoRoomsWithTheSameTimingStayApart()
    {
        final Endpoint alphaListener = target(7001);
        final Endpoint betaListener = target(7002);
        mixer.upsertMember(route(1, "alpha", alphaListener));
        mixer.upsertMember(route(2, "alpha", alphaListener));
        mixer.upsertMember(route(3, "beta", betaListener));
        mixer.upsertMember(route(4, "beta", betaListener));
        warmUp(1, 2);
        warmUp(3, 4);
        for (int period = 2; period < 6; period++)
        {
            final long ts = (long)period * P;
            sendPcm(1, ts, constant(1000), at(period));
            sendPcm(3, ts, constant(-3000), at(period));
            sendPcm(2, ts, constant(20), at(period));
            if (period != 4)
            {
                sendPcm(4, ts, constant(-40), at(period));
            }
        }
        mixer.poll(at(10));
        final List<Sent> alpha = out.to(alphaListener);
        final List<Sent> beta = out.to(betaListener);
        assertEquals(4, alpha.size());
        assertEquals(4, beta.size());
        assertEquals(8, out.sent.size());
        for (int k = 0; k < 4; k++)
        {
            assertEquals(fnv1a64("alpha"), alpha.get(k).header().streamId());
            assertEquals(fnv1a64("beta"), beta.get(k).header().streamId());
            assertEquals(k + 2, alpha.get(k).header().sequence());
            assertEquals(k + 2, beta.get(k).header().sequence());
            assertArrayEquals(constant(1020), alpha.get(k).pcm());
            assertArrayEquals(constant(k == 2 ? -3000 : -3040), beta.get(k).pcm());
        }
        assertEquals(0, mixer.room("alpha").sourcesSilent());
        assertEquals(1, mixer.room("beta").sourcesSilent());
    }

    @Test
    void mixMinusGivesEachParticipantTheOthersAndTheRecorderEverything()
    {
        final Endpoint ta = target(7001);
        final Endpoint tb = target(7002);
        final Endpoint tc = target(7003);
        final Endpoint recorder = target(7009);
        mixer.upsertMember(route(1, "conf", true, 0, ta));
        mixer.upsertMember(route(2, "conf", true, 0, tb));
        mixer.upsertMember(route(3, "conf", true, 0, tc));
        mixer.upsertMember(route(4, "conf", false, 0, recorder)); // a listen-only route: never sends
        final short[] a = sine(300, 9000, 0);
        final short[] b = sine(500, 9000, 0);
        final short[] c = samples(i -> 30000); // makes sums clamp
        warmUp(1, 2, 3);
        sendPcm(1, 2L * P, a, at(2));
        sendPcm(2, 2L * P, b, at(2));
        sendPcm(3, 2L * P, c, at(2));

        assertArrayEquals(clampedSum(b, c), out.only(ta).pcm(), "A hears B + C");
        assertArrayEquals(clampedSum(a, c), out.only(tb).pcm(), "B hears A + C");
        assertArrayEquals(clampedSum(a, b), out.only(tc).pcm(), "C hears A + B");
        assertArrayEquals(clampedSum(a, b, c), out.only(recorder).pcm(), "the full mix");
        assertEquals(4, out.sent.size());
        for (final Sent s : out.sent)
        {
            assertEquals(2, s.header().sequence(), "one period, one sequence");
        }
        assertEquals(0, mixer.room("conf").sourcesSilent(), "a route that never sent is not a silent source");
    }

    @Test
    void fullMixTargetsAreTheUnionOnceEachLessMixMinusTargets()
    {
        final Endpoint t1 = target(7001);
        final Endpoint t2 = target(7002);
        final Endpoint t3 = target(7003);
        final Endpoint t4 = target(7004);
        mixer.upsertMember(route(1, "room", t1, t2));
        mixer.upsertMember(route(2, "room", target(7002), t3)); // an equal address, another object
        mixer.upsertMember(route(3, "room", true, 0, t3, t4));
        warmUp(1, 2, 3);
        sendPcm(1, 2L * P, constant(1), at(2));
        sendPcm(2, 2L * P, constant(10), at(2));
        sendPcm(3, 2L * P, constant(100), at(2));

        assertEquals(4, out.sent.size());
        assertEquals(List.of(t1, t2, t3, t4), out.sent.stream().map(Sent::target).toList(),
            "full mix in member order, then the mix-minus");
        assertArrayEquals(constant(111), out.only(t1).pcm());
        assertArrayEquals(constant(111), out.only(t2).pcm());
        assertArrayEquals(constant(11), out.only(t3).pcm(), "t3 is a mix-minus target: only the mix-minus");
        assertArrayEquals(constant(11), out.only(t4).pcm());
    }

    @Test
    void aFrameTooFarAheadPushesOutOlderPeriodsAndAFarJumpRestartsTheSource()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        warmUp(1, 2);
        // Source 1 sends periods 2..17 at once: its store holds 16 periods while source 2 is awaited.
        for (int period = 2; period <= 17; period++)
        {
            assertNull(sendPcm(1, (long)period * P, constant(period), at(2)));
        }
        assertTrue(out.sent.isEmpty());
        assertNull(sendPcm(1, 18L * P, constant(18), at(2)));
        assertEquals(1, out.sent.size(), "period 2 pushed out to make room for 18");
        assertArrayEquals(constant(2), out.sent.get(0).pcm());
        assertEquals(2L * P, out.sent.get(0).header().timestamp());

        // A jump of more than 64 periods: a restarted stream, placed on the room's next period (3).
        assertNull(sendPcm(2, 1_000_000L * P, constant(50), at(2) + MS));
        assertEquals(2, out.sent.size());
        assertArrayEquals(constant(53), out.sent.get(1).pcm(), "source 2's frame mixed with source 1's period 3");
        assertEquals(3L * P, out.sent.get(1).header().timestamp());
        assertNull(sendPcm(2, 1_000_001L * P, constant(50), at(2) + MS), "continues from its new anchor");
        assertArrayEquals(constant(54), out.sent.get(2).pcm());
        assertEquals(ErrorReason.LATE, sendPcm(2, 999_990L * P, constant(50), at(2) + MS), "10 behind: late");
    }

    @Test
    void aSourceJoiningLaterLandsOnThePeriodOfItsArrivalTimeWhateverItsTimestamps()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        for (int period = 0; period < 3; period++)
        {
            assertNull(sendPcm(1, (long)period * P, constant(1), at(period)));
        }
        assertEquals(3, out.sent.size(), "source 1 alone: each period out at once");

        // Source 2 starts 3 ms into period 3 on a clock of its own: it lands on period 3, not one ahead of it.
        assertNull(sendPcm(2, 777_000, constant(10), at(3) + 3 * MS));
        assertEquals(3, out.sent.size(), "period 3 waits for source 1, which is active");
        assertNull(sendPcm(1, 3L * P, constant(1), at(3) + 4 * MS));
        assertArrayEquals(constant(11), out.sent.get(3).pcm());
        assertEquals(3L * P, out.sent.get(3).header().timestamp());

        assertNull(sendPcm(2, 777_000 + P, constant(10), at(4)));
        assertNull(sendPcm(1, 4L * P, constant(1), at(4) + MS));
        assertArrayEquals(constant(11), out.sent.get(4).pcm(), "and they stay together");
        assertEquals(0, mixer.room("room").framesLate());
    }

    @Test
    void aSourceRunningAPeriodBehindIsPlacedAPeriodLaterAfterThreeLateFramesInARow()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        warmUp(1, 2);
        // Source 2 skips period 2, then each of its frames arrives 1 ms after source 1's frame for the NEXT
        // period: just past its own period's deadline, every time.
        assertNull(sendPcm(1, 2L * P, constant(1), at(2)));
        assertNull(sendPcm(1, 3L * P, constant(1), at(3)));
        assertEquals(ErrorReason.LATE, sendPcm(2, 2L * P, constant(10), at(3) + MS));
        assertNull(sendPcm(1, 4L * P, constant(1), at(4)));
        assertEquals(ErrorReason.LATE, sendPcm(2, 3L * P, constant(10), at(4) + MS));
        assertNull(sendPcm(1, 5L * P, constant(1), at(5)));
        assertNull(sendPcm(2, 4L * P, constant(10), at(5) + MS), "third in a row: placed on the open period 5");
        assertArrayEquals(constant(11), out.sent.get(out.sent.size() - 1).pcm());
        assertEquals(5L * P, out.sent.get(out.sent.size() - 1).header().timestamp());

        for (int k = 6; k < 10; k++)
        {
            assertNull(sendPcm(1, (long)k * P, constant(1), at(k)));
            assertNull(sendPcm(2, (long)(k - 1) * P, constant(10), at(k) + MS), "keeps the new placement");
            assertArrayEquals(constant(11), out.sent.get(out.sent.size() - 1).pcm());
        }
        assertEquals(2, mixer.room("room").framesLate() - 1, "two dropped, besides the warm-up's");
    }

    @Test
    void timestampsOffTheGridRoundToTheNearestPeriodAcrossTheWrap()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        mixer.upsertMember(route(2, "room", listener));
        final long base = 0xFFFF_FFFFL - 1000; // source 2's timestamps wrap after its first frame
        sendPcm(1, 0, constant(0), T0);
        assertEquals(ErrorReason.LATE, sendPcm(2, base, constant(0), T0)); // in step with period 0: anchored there
        sendPcm(1, P, constant(0), at(1));
        sendPcm(2, base + P, constant(0), at(1)); // period 1
        out.sent.clear();
        sendPcm(1, 2L * P, constant(1), at(2));
        sendPcm(2, base + 2L * P + 479, constant(2), at(2)); // 479 past the grid: period 2
        sendPcm(1, 3L * P, constant(1), at(3));
        sendPcm(2, base + 3L * P - 480, constant(2), at(3)); // anchor (base + 2P) + P / 2: halfway rounds up
        assertEquals(2, out.sent.size());
        for (final Sent s : out.sent)
        {
            assertArrayEquals(constant(3), s.pcm());
        }
    }

    @Test
    void anIdleRoomTakesItsFormatAgainAndRestartsItsClock()
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        sendPcm(1, 0, constant(1), T0);
        sendPcm(1, P, constant(1), T0 + PERIOD_NS);
        final UnsafeBuffer tenMs = pcm(new short[480 * 2]);
        final long idle = T0 + PERIOD_NS + RoomMixer.IDLE_RESET_NS;
        assertEquals(ErrorReason.FRAME_SIZE, mixer.onFrame(1, 1, 0, tenMs, 0, tenMs.capacity(), idle - 1));
        assertNull(mixer.onFrame(1, 1, 123_456, tenMs, 0, tenMs.capacity(), idle));
        assertEquals(480, mixer.room("room").frameSamples());
        final Sent sent = out.sent.get(2);
        assertEquals(480 * 4, sent.payload().length);
        assertEquals(0, sent.header().timestamp(), "the clock restarts with the format");
        assertEquals(2, sent.header().sequence(), "the sequence goes on");
    }

    @Test
    void anOpusRoomsOutputDecodesToTheMixOfItsDecodedInputs() throws OpusException
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "opus", listener));
        mixer.upsertMember(route(2, "opus", listener));
        final int periods = 50;
        final byte[][] a = opusPackets(sineSource(440, 6000), periods, P);
        final byte[][] b = opusPackets(sineSource(660, 5000), periods, P);
        // Source 1's first packet is period 0 and goes out alone; source 2 joins on period 1 (see warmUp).
        assertNull(sendOpus(1, 1000, a[0], T0));
        for (int k = 1; k < periods; k++)
        {
            assertNull(sendOpus(2, 77_000L + (long)k * P, b[k - 1], at(k) - MS));
            assertNull(sendOpus(1, 1000L + (long)k * P, a[k], at(k)));
        }
        assertEquals("opus", mixer.room("opus").kind());
        final List<Sent> sent = out.to(listener);
        assertEquals(periods, sent.size());

        // The reference: what the mixer mixes, i.e. the inputs through the same decoder the mixer uses.
        final short[] reference = new short[periods * P * 2];
        final OpusDecoder decoderA = new OpusDecoder(48000, 2);
        final OpusDecoder decoderB = new OpusDecoder(48000, 2);
        final short[] pa = new short[P * 2];
        final short[] pb = new short[P * 2];
        for (int k = 0; k < periods; k++)
        {
            decoderA.decode(a[k], 0, a[k].length, pa, 0, P, false);
            Arrays.fill(pb, (short)0);
            if (k > 0)
            {
                decoderB.decode(b[k - 1], 0, b[k - 1].length, pb, 0, P, false);
            }
            System.arraycopy(clampedSum(pa, pb), 0, reference, k * P * 2, P * 2);
        }
        final OpusDecoder decoder = new OpusDecoder(48000, 2);
        final short[] decoded = new short[periods * P * 2];
        for (int k = 0; k < periods; k++)
        {
            final Sent s = sent.get(k);
            assertEquals(FrameFlyweight.KIND_OPUS, s.header().kind());
            assertEquals(k, s.header().sequence());
            assertEquals((long)k * P, s.header().timestamp());
            final byte[] packet = s.payload();
            assertEquals(P, OpusPacketInfo.getNumSamples(packet, 0, packet.length, 48000));
            assertEquals(P, decoder.decode(packet, 0, packet.length, decoded, k * P * 2, P, false));
        }
        // The output encoder delays the signal by its lookahead (312 samples at 48 kHz): align on the best lag.
        final double snr = bestSnrDb(reference, decoded, 5 * P, 1200);
        // Measured: 35.7 dB at a lag of 312 (one Opus pass, Concentus' default ~100 kb/s stereo, two steady
        // tones). Bound 20 dB: over 15 dB of margin for codec error, yet a wrong mix fails by far (leaving out
        // the 660 Hz tone gives ~4 dB, a period off or a sign error well below 0 dB).
        assertTrue(snr > 20, "SNR " + snr + " dB");
    }

    @Test
    void pcmInAnOpusRoomAndOpusInAPcmRoomAreMixedInTheRoomsKind() throws OpusException
    {
        final Endpoint opusListener = target(7001);
        final Endpoint pcmListener = target(7002);
        mixer.upsertMember(route(1, "o", opusListener));
        mixer.upsertMember(route(2, "o", opusListener));
        mixer.upsertMember(route(3, "p", pcmListener));
        mixer.upsertMember(route(4, "p", pcmListener));
        final byte[][] packets = opusPackets(sineSource(440, 6000), 3, P);

        assertNull(sendOpus(1, 0, packets[0], T0));
        assertEquals(ErrorReason.LATE, sendPcm(2, 0, constant(0), T0)); // in step with period 0, already out
        assertNull(sendOpus(1, P, packets[1], at(1)));
        assertNull(sendPcm(2, P, constant(0), at(1)));
        assertEquals(2, out.to(opusListener).size());
        assertEquals(FrameFlyweight.KIND_OPUS, out.to(opusListener).get(1).header().kind());
        assertEquals("opus", mixer.room("o").kind());

        assertNull(sendPcm(3, 0, constant(0), T0));
        assertEquals(ErrorReason.LATE, sendOpus(4, 0, packets[2], T0)); // refused: not decoded
        assertNull(sendPcm(3, P, constant(0), at(1)));
        assertNull(sendOpus(4, P, packets[0], at(1)));
        final short[] expected = new short[P * 2];
        new OpusDecoder(48000, 2).decode(packets[0], 0, packets[0].length, expected, 0, P, false);
        final List<Sent> pcmOut = out.to(pcmListener);
        assertEquals(2, pcmOut.size());
        assertArrayEquals(expected, pcmOut.get(1).pcm(), "decoded Opus plus PCM silence, as PCM");
        assertEquals("pcm", mixer.room("p").kind());
    }

    @Test
    void opusPeriodsTheEncoderCannotTakeInOneCallAreRepacketized() throws OpusException
    {
        final Endpoint listener = target(7000);
        final int period = 5760; // 120 ms: two 60 ms packets joined by the repacketizer
        mixer.upsertMember(route(1, "long", listener));
        final byte[][] halves = opusPackets(sineSource(440, 6000), 6, 2880);
        final OpusDecoder decoder = new OpusDecoder(48000, 2);
        final short[] pcmOut = new short[period * 2];
        for (int k = 0; k < 3; k++)
        {
            final OpusRepacketizer repacketizer = new OpusRepacketizer();
            assertEquals(0, repacketizer.addPacket(halves[2 * k], 0, halves[2 * k].length));
            assertEquals(0, repacketizer.addPacket(halves[2 * k + 1], 0, halves[2 * k + 1].length));
            final byte[] packet = new byte[4000];
            final int length = repacketizer.createPacket(packet, 0, packet.length);
            assertNull(sendOpus(1, (long)k * period, Arrays.copyOf(packet, length), T0 + k * 120 * MS));
            final byte[] payload = out.sent.get(k).payload();
            assertEquals(period, OpusPacketInfo.getNumSamples(payload, 0, payload.length, 48000));
            assertEquals(period, decoder.decode(payload, 0, payload.length, pcmOut, 0, period, false));
        }
        assertEquals(period, mixer.room("long").frameSamples());
    }

    @Test
    void roomsAppearSortedWithTheirMembersAndDisappearWithTheLastOne()
    {
        final Endpoint listener = target(7000);
        assertTrue(mixer.rooms().isEmpty());
        mixer.upsertMember(route(5, "zulu", listener));
        mixer.upsertMember(route(6, "alpha", true, 0, listener));
        mixer.upsertMember(route(7, "alpha", listener));
        mixer.upsertMember(new RouteSpec(8, Endpoint.parse("10.0.0.9:9"), List.of(listener), null,
            Deliver.PAYLOAD, 0, false)); // no room code: not a member
        assertEquals(List.of("alpha", "zulu"), mixer.rooms().stream().map(RoomView::roomCode).toList());
        final RoomView alpha = mixer.room("alpha");
        assertNotNull(alpha);
        assertEquals(List.of(new RoomView.Member(6, true), new RoomView.Member(7, false)), alpha.members());
        assertEquals(fnv1a64("alpha"), alpha.outputStreamId());
        assertNull(alpha.kind());
        assertEquals(0, alpha.frameSamples());
        assertEquals(ErrorReason.UNKNOWN_STREAM, sendPcm(8, 0, constant(1), T0));

        sendPcm(6, 0, constant(1), T0);
        sendPcm(7, 0, constant(1), T0);
        assertEquals(2, alpha.framesIn());
        assertEquals(1, alpha.framesMixed());
        assertEquals(0, mixer.room("zulu").framesIn(), "rooms count apart");

        // An update keeps the place; a changed room code moves the route.
        mixer.upsertMember(route(6, "alpha", false, 0, listener));
        assertEquals(List.of(new RoomView.Member(6, false), new RoomView.Member(7, false)), alpha.members());
        mixer.upsertMember(route(7, "zulu", listener));
        assertEquals(List.of(new RoomView.Member(6, false)), alpha.members());
        assertEquals(List.of(new RoomView.Member(5, false), new RoomView.Member(7, false)),
            mixer.room("zulu").members());

        mixer.removeMember(6);
        assertNull(mixer.room("alpha"), "gone with its last member");
        assertEquals(List.of("zulu"), mixer.rooms().stream().map(RoomView::roomCode).toList());
        mixer.upsertMember(route(5, null, listener));
        mixer.removeMember(7);
        mixer.removeMember(7);
        assertTrue(mixer.rooms().isEmpty());
        assertEquals(ErrorReason.UNKNOWN_STREAM, sendPcm(5, 0, constant(1), T0));
    }

    @Test
    void viewsAreReadableFromAnotherThread() throws InterruptedException
    {
        final Endpoint listener = target(7000);
        mixer.upsertMember(route(1, "room", listener));
        sendPcm(1, 0, constant(1), T0);
        final long[] seen = new long[2];
        final Thread reader = new Thread(() ->
        {
            final RoomView view = mixer.room("room");
            seen[0] = view.framesMixed();
            seen[1] = view.members().size();
        });
        reader.start();
        reader.join();
        assertEquals(1, seen[0]);
        assertEquals(1, seen[1]);
    }

    /** Generator of a continuing stereo sine, period by period. */
    private static IntPeriodSource sineSource(final double hz, final double amplitude)
    {
        return (offset, length) ->
        {
            final short[] samples = new short[length * 2];
            for (int i = 0; i < length; i++)
            {
                final short v = (short)Math.round(
                    amplitude * Math.sin(2 * Math.PI * hz * (offset + i) / RoomMixer.SAMPLE_RATE));
                samples[2 * i] = v;
                samples[2 * i + 1] = v;
            }
            return samples;
        };
    }

    @FunctionalInterface
    private interface IntPeriodSource
    {
        short[] samples(long offset, int length);
    }

    private static byte[][] opusPackets(final IntPeriodSource source, final int count, final int frameSamples)
    {
        try
        {
            final OpusEncoder encoder = new OpusEncoder(48000, 2, OpusApplication.OPUS_APPLICATION_AUDIO);
            final byte[][] packets = new byte[count][];
            final byte[] buffer = new byte[1500];
            for (int k = 0; k < count; k++)
            {
                final short[] pcm = source.samples((long)k * frameSamples, frameSamples);
                final int length = encoder.encode(pcm, 0, frameSamples, buffer, 0, buffer.length);
                packets[k] = Arrays.copyOf(buffer, length);
            }
            return packets;
        }
        catch (final OpusException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return the best signal-to-error ratio, dB, of {@code actual} delayed by 0..maxLag samples per channel
     * against {@code reference}, from sample {@code skip} on.
     */
    private static double bestSnrDb(
        final short[] reference, final short[] actual, final int skip, final int maxLag)
    {
        double best = Double.NEGATIVE_INFINITY;
        for (int lag = 0; lag <= maxLag; lag++)
        {
            double signal = 0;
            double error = 0;
            for (int i = skip * 2; i + lag * 2 < actual.length; i++)
            {
                final double r = reference[i];
                final double d = actual[i + lag * 2] - r;
                signal += r * r;
                error += d * d;
            }
            best = Math.max(best, 10 * Math.log10(signal / Math.max(error, 1e-9)));
        }
        return best;
    }
}
