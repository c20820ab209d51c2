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
package io.soundrelay.io.receive;

import com.lmax.disruptor.RingBuffer;
import io.soundrelay.io.ring.RelaySlot;

/**
 * The receive side of the ring for a receiver that reads straight into slots: it lends the free slots after the
 * cursor, lets the kernel fill them, then publishes the ones filled as one range. Only the single producer may
 * use it. A slot is lent only while the consumers have passed it, so writing into it before claiming is safe: no
 * one reads it until it is published.
 */
public final class RingWriter
{
    private final RingBuffer<RelaySlot> ring;

    /**
     * @param ring a single-producer ring whose only producer is the caller.
     */
    public RingWriter(final RingBuffer<RelaySlot> ring)
    {
        this.ring = ring;
    }

    /**
     * @param max most slots wanted.
     * @return how many slots after the cursor are free now, at most {@code max}.
     */
    public int freeSlots(final int max)
    {
        return (int)Math.min(max, ring.remainingCapacity());
    }

    /**
     * @param index 0 for the first free slot.
     * @return the free slot {@code index} places after the cursor; valid for index below {@link #freeSlots(int)}.
     */
    public RelaySlot freeSlot(final int index)
    {
        return ring.get(ring.getCursor() + 1 + index);
    }

    /**
     * Publish the first {@code count} free slots, filled by the caller, as one range.
     *
     * @param count slots filled, at most what {@link #freeSlots(int)} returned.
     */
    public void publish(final int count)
    {
        if (count > 0)
        {
            final long hi = ring.next(count);
            ring.publish(hi - count + 1, hi);
        }
    }
}
