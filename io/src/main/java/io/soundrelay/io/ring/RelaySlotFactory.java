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
package io.soundrelay.io.ring;

import com.lmax.disruptor.EventFactory;

import io.soundrelay.core.protocol.HopTag;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Carves one direct allocation into equal, cache-line aligned slots, one per ring entry, so the whole ring is a
 * single region of off-heap memory allocated once at start-up.
 */
public final class RelaySlotFactory implements EventFactory<RelaySlot>
{
    private static final int ALIGNMENT = 64;

    private final ByteBuffer memory;
    private final int slotBytes;
    private final int slots;
    private int next;

    /**
     * @param slots            entries in the ring.
     * @param maxDatagramBytes largest datagram accepted; a slot holds one more byte so oversize can be detected.
     */
    public RelaySlotFactory(final int slots, final int maxDatagramBytes)
    {
        this(slots, maxDatagramBytes, null);
    }

    /**
     * @param what what the slots are for, named in the error when the memory cannot be had; null for the ring.
     */
    private RelaySlotFactory(final int slots, final int maxDatagramBytes, final String what)
    {
        this.slots = slots;
        this.slotBytes = slotBytesFor(maxDatagramBytes);
        final long bytes = (long)slots * slotBytes;
        // Say what asked for the memory: a jitter buffer that cannot have it is no RING_SIZE problem.
        final String size = what == null ? "s " + (bytes >> 20) + " MiB" : " " + (bytes >> 10) + " KiB";
        final String why = (what == null ? "RING_SIZE=" + slots + ": a ring of " : what + ": ") + slots +
            " slots of " + slotBytes + " bytes (MAX_DATAGRAM_BYTES=" + maxDatagramBytes +
            " plus a HOP tag and one, rounded to 64) need" + size + " of off-heap memory";
        final String smaller = what == null ? "use a smaller RING_SIZE" : "use a smaller MAX_DATAGRAM_BYTES";
        if (bytes > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(why + ", more than one 2 GiB region; " + smaller);
        }
        try
        {
            this.memory = ByteBuffer.allocateDirect((int)bytes);
        }
        catch (final OutOfMemoryError ex)
        {
            throw new IllegalArgumentException(why + ", more than the JVM allows (" + ex.getMessage() +
                "); " + smaller + " or raise -XX:MaxDirectMemorySize");
        }
    }

    /**
     * @param maxDatagramBytes largest datagram accepted.
     * @return bytes per slot: room for a HOP frame's tag and one byte over the limit, rounded up to a cache line (a
     * HOP frame of a datagram of the largest size is that long, and a frame is signed in the slot it came in).
     */
    public static int slotBytesFor(final int maxDatagramBytes)
    {
        return (maxDatagramBytes + HopTag.LENGTH + 1 + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Slots outside any ring, in one off-heap region: for stages that hold or build datagrams of their own (a
     * jitter buffer's held datagrams, a mixer's output frames) and hand them to a sender like ring slots.
     *
     * @param count            how many.
     * @param maxDatagramBytes longest datagram a slot must hold.
     * @return the slots, each {@link #slotBytesFor(int)} bytes.
     */
    public static RelaySlot[] standalone(final int count, final int maxDatagramBytes)
    {
        return standalone(count, maxDatagramBytes, "standalone slots");
    }

    /**
     * Like {@link #standalone(int, int)}, naming what the slots are for when their memory cannot be had.
     *
     * @param count            how many.
     * @param maxDatagramBytes longest datagram a slot must hold.
     * @param what             what they are for, e.g. {@code "a jitter buffer (JITTER_MAX_HELD)"}.
     * @return the slots.
     * @throws IllegalArgumentException naming {@code what} when the JVM has not that much direct memory left.
     */
    public static RelaySlot[] standalone(final int count, final int maxDatagramBytes, final String what)
    {
        final RelaySlotFactory factory = new RelaySlotFactory(count, maxDatagramBytes, what);
        final RelaySlot[] slots = new RelaySlot[count];
        for (int i = 0; i < count; i++)
        {
            slots[i] = factory.newInstance();
        }
        return slots;
    }

    public RelaySlot newInstance()
    {
        if (next >= slots)
        {
            throw new IllegalStateException("more slots asked for than were sized");
        }
        final int start = next++ * slotBytes;
        final ByteBuffer region = memory.slice(start, slotBytes).order(ByteOrder.BIG_ENDIAN);
        return new RelaySlot(region);
    }

    public int slotBytes()
    {
        return slotBytes;
    }
}
