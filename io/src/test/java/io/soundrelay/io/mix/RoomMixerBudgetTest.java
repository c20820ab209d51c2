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
import io.github.jaredmdobson.concentus.OpusEncoder;
import io.github.jaredmdobson.concentus.OpusException;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What a room's Opus output costs (finding 3 of issue 29): a mix-minus member that said nothing gets the full mix's
 * packet, encoded once; the encodes of speaking members are bounded per room and per node, shared fairly between
 * rooms. Driven by hand with a fake clock, as {@link RoomMixerTest}; counts come from the rooms' views.
 */
class RoomMixerBudgetTest
{
    private static final int MAX_DATAGRAM_BYTES = 3860;
    private static final int P = 960;
    private static final long PERIOD_NS = 20_000_000L;
    private static final long MS = 1_000_000L;
    private static final long T0 = -5_000_000_000L;

    private record Sent(Endpoint target, byte[] bytes)
    {
        byte[] payload()
        {
            return Arrays.copyOfRange(bytes, FrameFlyweight.HEADER_LENGTH, bytes.length);
        }

        long sequence()
        {
            return new FrameFlyweight().wrap(ByteBuffer.wrap(bytes), 0).sequence();
        }
    }

    private static final class Capture implements MixOutput
    {
        final List<Sent> sent = new ArrayList<>();
        long budgetDrops;

        public void send(final DirectBuffer buffer, final int offset, final int length, final Endpoint target)
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            sent.add(new Sent(target, copy));
        }

        public void dropped(final ErrorReason reason, final int datagrams)
        {
            assertEquals(ErrorReason.MIXER_BUDGET, reason);
            budgetDrops += datagrams;
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
    }

    private final Capture out = new Capture();

    private static Endpoint target(final int port)
    {
        return Endpoint.parse("127.0.0.1:" + port);
    }

    private static RouteSpec route(final long id, final String room, final boolean mixMinus, final Endpoint target)
    {
        return new RouteSpec(id, Endpoint.parse("10.0.0.1:" + (1000 + id)), List.of(target), room,
            Deliver.PAYLOAD, 0, mixMinus);
    }

    private static short firstSample(final Sent sent)
    {
        return new UnsafeBuffer(sent.payload()).getShort(0, ByteOrder.LITTLE_ENDIAN);
    }

    private static long at(final int period)
    {
        return T0 + period * PERIOD_NS;
    }

    private static ErrorReason pcm(
        final RoomMixer mixer, final long id, final int period, final int value, final long nowNs)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[P * 4]);
        for (int i = 0; i < P * 2; i++)
        {
            payload.putShort(i * 2, (short)value, ByteOrder.LITTLE_ENDIAN);
        }
        return mixer.onFrame(id, FrameFlyweight.KIND_PCM, (long)period * P, payload, 0, payload.capacity(), nowNs);
    }

    private static ErrorReason opus(
        final RoomMixer mixer, final long id, final int period, final byte[] packet, final long nowNs)
    {
        return mixer.onFrame(id, FrameFlyweight.KIND_OPUS, (long)period * P, new UnsafeBuffer(packet), 0,
            packet.length, nowNs);
    }

    /** Opus packets of a steady tone, 20 ms each: a speaking member. */
    private static byte[][] tone(final double hz, final int count)
    {
        try
        {
            final OpusEncoder encoder = new OpusEncoder(48000, 2, OpusApplication.OPUS_APPLICATION_AUDIO);
            final byte[][] packets = new byte[count][];
            final byte[] buffer = new byte[1500];
            final short[] pcm = new short[P * 2];
            for (int k = 0; k < count; k++)
            {
                for (int i = 0; i < P; i++)
                {
                    final short v = (short)Math.round(6000 * Math.sin(2 * Math.PI * hz * (k * P + i) / 48000));
                    pcm[2 * i] = v;
                    pcm[2 * i + 1] = v;
                }
                final int length = encoder.encode(pcm, 0, P, buffer, 0, buffer.length);
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
     * Anchor every sender on the room's periods (see RoomMixerTest.warmUp): the first sender's Opus frame makes an
     * Opus room and period 0 goes out alone; the others' frames at 0 are late but anchor them; everyone's frame at 1
     * completes period 1. The room's next period is then 2.
     */
    private static void warmUpOpusRoom(final RoomMixer mixer, final byte[] firstPacket, final long... senders)
    {
        assertNull(opus(mixer, senders[0], 0, firstPacket, T0));
        for (int i = 1; i < senders.length; i++)
        {
            assertEquals(ErrorReason.LATE, pcm(mixer, senders[i], 0, 0, T0));
        }
        for (final long id : senders)
        {
            assertNull(pcm(mixer, id, 1, 0, at(1)));
        }
    }

    @Test
    void silentMixMinusMembersShareTheFullMixesSingleEncode()
    {
        final RoomMixer mixer = new RoomMixer(MAX_DATAGRAM_BYTES, out);
        final int members = 150;
        final Endpoint recorder = target(6999);
        mixer.upsertMember(route(1000, "big", false, recorder)); // listen-only: hears the full mix
        for (int m = 1; m <= members; m++)
        {
            mixer.upsertMember(route(m, "big", true, target(7000 + m)));
        }
        // Members 1 and 2 speak, 3..100 send digital silence, 101..150 send nothing at all.
        final long[] senders = new long[100];
        for (int i = 0; i < senders.length; i++)
        {
            senders[i] = i + 1;
        }
        final int periods = 6;
        final byte[][] a = tone(440, periods);
        final byte[][] b = tone(660, periods);
        warmUpOpusRoom(mixer, a[0], senders);
        final RoomView room = mixer.room("big");
        assertEquals("opus", room.kind());

        for (int k = 2; k < periods; k++)
        {
            out.sent.clear();
            final long encodesBefore = room.encodes();
            assertNull(opus(mixer, 1, k, a[k], at(k)));
            assertNull(opus(mixer, 2, k, b[k], at(k)));
            for (int m = 3; m <= 100; m++)
            {
                assertNull(pcm(mixer, m, k, 0, at(k)));
            }
            assertEquals(3, room.encodes() - encodesBefore, "the full mix once, and one per speaking member");

            final byte[] fullMix = out.to(recorder).get(0).payload();
            for (int m = 3; m <= members; m++)
            {
                final List<Sent> toMember = out.to(target(7000 + m));
                assertEquals(1, toMember.size(), "member " + m + " gets one datagram per period");
                assertEquals(k, toMember.get(0).sequence());
                assertArrayEquals(fullMix, toMember.get(0).payload(), "a silent member hears the full mix");
            }
            for (int m = 1; m <= 2; m++)
            {
                final List<Sent> toSpeaker = out.to(target(7000 + m));
                assertEquals(1, toSpeaker.size());
                assertFalse(Arrays.equals(fullMix, toSpeaker.get(0).payload()), "a speaker hears the others");
            }
            assertEquals(members + 1, out.sent.size());
        }
        assertEquals(0, room.mixMinusSkipped());
    }

    @Test
    void aRoomOverItsBudgetServesItsSpeakersInTurnAndCountsTheRest()
    {
        final RoomMixer mixer = new RoomMixer(MAX_DATAGRAM_BYTES, 3, 1000, out);
        final int speakers = 6;
        final long[] ids = new long[speakers];
        for (int m = 1; m <= speakers; m++)
        {
            mixer.upsertMember(route(m, "talk", true, target(7000 + m)));
            ids[m - 1] = m;
        }
        warmUpOpusRoom(mixer, tone(440, 1)[0], ids);
        final RoomView room = mixer.room("talk");
        final int[] served = new int[speakers + 1];
        for (int k = 2; k < 6; k++)
        {
            out.sent.clear();
            final long encodesBefore = room.encodes();
            final long skippedBefore = room.mixMinusSkipped();
            for (int m = 1; m <= speakers; m++)
            {
                assertNull(pcm(mixer, m, k, 1000 * m, at(k)));
            }
            assertEquals(3, room.encodes() - encodesBefore, "three of six speakers get their mix-minus");
            assertEquals(3, room.mixMinusSkipped() - skippedBefore);
            assertEquals(3, out.sent.size());
            for (int m = 1; m <= speakers; m++)
            {
                served[m] += out.to(target(7000 + m)).size();
            }
        }
        for (int m = 1; m <= speakers; m++)
        {
            assertEquals(2, served[m], "in four periods each speaker is served twice: " + Arrays.toString(served));
        }
        assertEquals(12, out.budgetDrops, "one datagram counted per target left out");
    }

    @Test
    void theNodeBudgetIsSharedEquallySoABigRoomCannotStarveASmallOne()
    {
        final RoomMixer mixer = new RoomMixer(MAX_DATAGRAM_BYTES, 16, 8, out);
        final int bigSpeakers = 20;
        final long[] big = new long[bigSpeakers];
        for (int m = 1; m <= bigSpeakers; m++)
        {
            mixer.upsertMember(route(m, "big", true, target(7000 + m)));
            big[m - 1] = m;
        }
        final long[] small = { 101, 102, 103, 104 };
        for (final long id : small)
        {
            mixer.upsertMember(route(id, "small", true, target(7000 + (int)id)));
        }
        final byte[] first = tone(440, 1)[0];
        warmUpOpusRoom(mixer, first, big);
        warmUpOpusRoom(mixer, first, small);
        final RoomView bigRoom = mixer.room("big");
        final RoomView smallRoom = mixer.room("small");

        for (int k = 2; k < 6; k++)
        {
            out.sent.clear();
            final long bigBefore = bigRoom.encodes();
            final long smallBefore = smallRoom.encodes();
            // The big room's period goes out first in the 20 ms window, and would take the whole node budget.
            for (final long id : big)
            {
                assertNull(pcm(mixer, id, k, 500, at(k)));
            }
            for (final long id : small)
            {
                assertNull(pcm(mixer, id, k, 700, at(k) + MS));
            }
            assertEquals(4, bigRoom.encodes() - bigBefore, "the big room gets its half of 8");
            assertEquals(4, smallRoom.encodes() - smallBefore, "the small room gets all it needs");
            for (final long id : small)
            {
                assertEquals(1, out.to(target(7000 + (int)id)).size(), "small-room member " + id + " served");
            }
        }
        assertEquals(0, smallRoom.mixMinusSkipped());
        assertEquals(4 * 16, bigRoom.mixMinusSkipped());
    }

    @Test
    void inAPcmRoomASilentMembersDatagramIsTheFullMixByteForByteAndNothingIsEncoded()
    {
        final RoomMixer mixer = new RoomMixer(MAX_DATAGRAM_BYTES, 1, 1, out);
        final Endpoint recorder = target(6999);
        mixer.upsertMember(route(100, "pcm", false, recorder));
        for (int m = 1; m <= 4; m++)
        {
            mixer.upsertMember(route(m, "pcm", true, target(7000 + m)));
        }
        assertNull(pcm(mixer, 1, 0, 0, T0));
        for (int m = 2; m <= 3; m++)
        {
            assertEquals(ErrorReason.LATE, pcm(mixer, m, 0, 0, T0));
        }
        for (int m = 1; m <= 3; m++)
        {
            assertNull(pcm(mixer, m, 1, 0, at(1)));
        }
        out.sent.clear();
        // Members 1 and 2 speak, 3 sends zeros, 4 never sends: budgets of 1 do not apply to PCM.
        assertNull(pcm(mixer, 1, 2, 1000, at(2)));
        assertNull(pcm(mixer, 2, 2, 300, at(2)));
        assertNull(pcm(mixer, 3, 2, 0, at(2)));
        final byte[] full = out.to(recorder).get(0).payload();
        assertEquals(1300, new UnsafeBuffer(full).getShort(0, ByteOrder.LITTLE_ENDIAN), "the full mix");
        assertArrayEquals(full, out.to(target(7003)).get(0).payload());
        assertArrayEquals(full, out.to(target(7004)).get(0).payload());
        assertEquals(300, firstSample(out.to(target(7001)).get(0)), "member 1 hears member 2");
        assertEquals(1000, firstSample(out.to(target(7002)).get(0)), "member 2 hears member 1");
        assertEquals(5, out.sent.size());
        assertEquals(0, mixer.room("pcm").encodes());
        assertEquals(0, mixer.room("pcm").mixMinusSkipped());
    }
}
