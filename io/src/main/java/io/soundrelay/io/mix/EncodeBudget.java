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

import io.soundrelay.protocol.FrameFlyweight;

/**
 * The mixer's encode budget (PROTOCOL.md section 6): per period a room gives its speaking mix-minus members at most
 * {@code roomEncodesPerPeriod} Opus encodes, at most its equal share of {@code nodeEncodesPer20Ms} in the 20 ms window
 * of the clock, and at most what is left of the node's budget in that window. Owned by the mixer thread.
 */
final class EncodeBudget
{
    private final int roomEncodesPerPeriod;
    private final int nodeEncodesPerWindow;
    private boolean nodeWindowStarted;
    private long nodeWindow;
    private int nodeEncodesUsed;
    private int fairShare;

    /**
     * @param roomEncodesPerPeriod MIXER_ROOM_ENCODES_PER_PERIOD.
     * @param nodeEncodesPer20Ms   MIXER_NODE_ENCODES_PER_20MS.
     */
    EncodeBudget(final int roomEncodesPerPeriod, final int nodeEncodesPer20Ms)
    {
        this.roomEncodesPerPeriod = roomEncodesPerPeriod;
        this.nodeEncodesPerWindow = nodeEncodesPer20Ms;
    }

    /**
     * Encodes a room may spend this period on its speaking mix-minus members: at most its own budget per period,
     * its fair share of the node's budget in this window (the node budget over the Opus rooms with mix-minus
     * members, at least 1), and what is left of the node's budget in the window.
     *
     * @param room   the room.
     * @param wanted speaking mix-minus members.
     * @param nowNs  the time of the period's emission.
     * @param rooms  every room of the mixer.
     * @return encodes granted, 0 to wanted; taken from the budgets.
     */
    int grant(final Room room, final int wanted, final long nowNs, final Room[] rooms)
    {
        if (wanted == 0)
        {
            return 0;
        }
        final long window = Math.floorDiv(nowNs, RoomMixer.NODE_WINDOW_NS);
        if (!nodeWindowStarted || window - nodeWindow > 0)
        {
            nodeWindowStarted = true;
            nodeWindow = window;
            nodeEncodesUsed = 0;
            int opusRooms = 0;
            for (final Room r : rooms)
            {
                if (r.formatted && r.kind == FrameFlyweight.KIND_OPUS && r.mixMinusMembers > 0)
                {
                    opusRooms++;
                }
            }
            fairShare = Math.max(1, nodeEncodesPerWindow / Math.max(1, opusRooms));
        }
        if (room.budgetWindow != nodeWindow)
        {
            room.budgetWindow = nodeWindow;
            room.windowEncodes = 0;
        }
        final int granted = Math.max(0, Math.min(Math.min(wanted, roomEncodesPerPeriod),
            Math.min(fairShare - room.windowEncodes, nodeEncodesPerWindow - nodeEncodesUsed)));
        room.windowEncodes += granted;
        nodeEncodesUsed += granted;
        return granted;
    }
}
