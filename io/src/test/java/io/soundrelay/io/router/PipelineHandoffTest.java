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
package io.soundrelay.io.router;

import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.ring.RelaySlotFactory;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-off between pipelines when the owner does not keep up: its inbox fills, and each datagram that does not
 * fit is dropped and counted as ring_full at once, never waited for; the owner is woken once per batch.
 */
class PipelineHandoffTest
{
    @Test
    void aFullInboxDropsAndCountsWithoutBlocking()
    {
        final ManyToOneRingBuffer[] inboxes = PipelineHandoff.newInboxes(2, 64);
        final AtomicInteger wakes = new AtomicInteger();
        final RelayCounters counters = new RelayCounters();
        final PipelineHandoff handoff = new PipelineHandoff(
            0, inboxes, new Runnable[]{ () -> { }, wakes::incrementAndGet }, null, counters, SystemNanoClock.INSTANCE,
            64);
        final RelaySlot slot = RelaySlotFactory.standalone(1, 64)[0];
        slot.length = 48;
        assertFalse(handoff.isForeign(1000));
        assertTrue(handoff.isForeign(1001));

        final int offered = PipelineHandoff.INBOX_BYTES / 64 + 100; // more records than the inbox holds
        for (int i = 0; i < offered; i++)
        {
            handoff.handOff(slot, 1001);
        }
        handoff.wakeOwners();
        handoff.wakeOwners();

        final long dropped = counters.errors(ErrorReason.RING_FULL);
        assertTrue(dropped > 0, "some did not fit");
        assertEquals(offered, handoff.handoffs() + dropped, "each handed off or counted");
        assertEquals(1, wakes.get(), "the owner woken once for the batch");
        assertFalse(inboxes[1].size() == 0);
        assertEquals(0, inboxes[0].size(), "nothing for the sender's own pipeline");
    }
}
