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
package io.soundrelay.jda;

import java.nio.ByteBuffer;

/**
 * Packets waiting for their route: a bounded FIFO of copies, the oldest dropped when full. Slots are allocated once
 * and grow only for a packet larger than any before.
 */
final class HeldPackets
{
    private static final int INITIAL_SLOT_BYTES = 1500;

    private final ByteBuffer[] slots;
    private int head;
    private int size;

    /**
     * @param capacity packets held at most; 0 holds none.
     */
    HeldPackets(final int capacity)
    {
        slots = new ByteBuffer[capacity];
        for (int i = 0; i < capacity; i++)
        {
            slots[i] = ByteBuffer.allocate(INITIAL_SLOT_BYTES);
        }
    }

    /**
     * Copy the packet's remaining bytes and consume them.
     *
     * @param packet the packet, from its position to its limit.
     * @return true when a packet was dropped for it: the oldest held, or this one when the capacity is 0.
     */
    boolean hold(final ByteBuffer packet)
    {
        if (slots.length == 0)
        {
            packet.position(packet.limit());
            return true;
        }
        final boolean full = size == slots.length;
        if (full)
        {
            head = (head + 1) % slots.length;
            size--;
        }
        final int index = (head + size) % slots.length;
        ByteBuffer slot = slots[index];
        if (slot.capacity() < packet.remaining())
        {
            slot = ByteBuffer.allocate(packet.remaining());
            slots[index] = slot;
        }
        slot.clear();
        slot.put(packet);
        slot.flip();
        size++;
        return full;
    }

    /**
     * @return the oldest packet, positioned on its bytes and valid until the next {@link #hold(ByteBuffer)}, or
     *         null when none is held.
     */
    ByteBuffer poll()
    {
        if (size == 0)
        {
            return null;
        }
        final ByteBuffer slot = slots[head];
        head = (head + 1) % slots.length;
        size--;
        return slot;
    }

    /**
     * Drop every packet held.
     *
     * @return how many were dropped.
     */
    int clear()
    {
        final int dropped = size;
        head = 0;
        size = 0;
        return dropped;
    }

    /**
     * @return packets held.
     */
    int size()
    {
        return size;
    }
}
