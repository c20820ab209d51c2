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

import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mixer stage stepped by hand with a fake clock: a room frame that waited in the router-to-mixer ring longer than
 * MIXER_STALE_MS is dropped and counted as {@code mixer_stale}, not mixed and sent late (finding 3 of issue 29: a
 * backlog of seconds of PCM turned into seconds of latency).
 */
class MixerAgentStaleTest
{
    private static final long MS = 1_000_000L;
    private static final int PCM_20_MS = 960 * 4;

    /** Records what the mixer stage queues; sends nothing. */
    private static final class Recorder implements DatagramSender
    {
        final List<Long> sequences = new ArrayList<>();

        public int remaining()
        {
            return 64;
        }

        public void queue(
            final RelaySlot slot,
            final int offset,
            final int length,
            final Endpoint target,
            final SendTally tally,
            final RelaySocket from)
        {
            sequences.add(new FrameFlyweight().wrap(slot.byteBuffer(), offset).sequence());
        }

        public void flush()
        {
        }

        public String name()
        {
            return "recorder";
        }
    }

    private long nowNs = 1_000 * MS;

    @Test
    void aFrameOlderThanTheStaleBoundIsDroppedAndCountedNotMixedLate()
    {
        final MixerLink link = new MixerLink(64 * 1024, 16);
        final Recorder sender = new Recorder();
        final RelayCounters counters = new RelayCounters();
        final MixerAgent agent = new MixerAgent(link, 1500 + PCM_20_MS, sender, counters, null, () -> nowNs,
            100, 16, 96);
        final RouteSpec spec = new RouteSpec(7, Endpoint.parse("10.0.0.1:1007"),
            List.of(Endpoint.parse("127.0.0.1:7007")), "r", Deliver.PAYLOAD, 0, false);
        link.join(spec);
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[PCM_20_MS]);
        payload.setMemory(0, PCM_20_MS, (byte)1);

        final long t0 = nowNs;
        assertTrue(link.offerFrame(7, FrameFlyweight.KIND_PCM, 0, payload, 0, PCM_20_MS, t0));
        nowNs = t0 + 5 * MS;
        agent.doWork();
        assertEquals(List.of(0L), sender.sequences, "a fresh frame is mixed and sent");

        // The mixer stalls for 150 ms: the frame received at +20 ms waited 135 ms, over the 100 ms bound.
        assertTrue(link.offerFrame(7, FrameFlyweight.KIND_PCM, 960, payload, 0, PCM_20_MS, t0 + 20 * MS));
        assertTrue(link.offerFrame(7, FrameFlyweight.KIND_PCM, 1920, payload, 0, PCM_20_MS, t0 + 60 * MS));
        nowNs = t0 + 155 * MS;
        agent.doWork();
        assertEquals(1, counters.errors(ErrorReason.MIXER_STALE), "the 135 ms old frame is stale");
        assertEquals(List.of(0L, 1L), sender.sequences, "the 95 ms old frame is still mixed");
        assertEquals(2, agent.room("r").framesIn(), "a stale frame never reaches the room");

        // Exactly at the bound is not over it.
        assertTrue(link.offerFrame(7, FrameFlyweight.KIND_PCM, 2880, payload, 0, PCM_20_MS, t0 + 80 * MS));
        nowNs = t0 + 180 * MS;
        agent.doWork();
        assertEquals(1, counters.errors(ErrorReason.MIXER_STALE));
        assertEquals(List.of(0L, 1L, 2L), sender.sequences);
    }
}
