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

import io.github.jaredmdobson.concentus.OpusDecoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;

import java.util.Arrays;

/**
 * One member of a room, as the mixer thread sees it: its route's options, where its timestamps sit on the room's
 * clock, its pending store of {@link RoomMixer#DEPTH} periods, its Opus decoder and, for a mix-minus member, the
 * encoder of its own output stream. Mixer thread only.
 */
final class MixSource
{
    final long streamId;
    final Room room;
    Endpoint[] targets;
    boolean mixMinus;
    int jitterMs;

    boolean anchored;
    /** u32 timestamp of {@link #anchorPeriod}, in the source's own timestamp phase. */
    int anchorTimestamp;
    long anchorPeriod;

    boolean hasFrame;
    long lastAcceptedNs;
    /** LATE frames in a row. */
    int lateStreak;

    /** Period held by each slot; a slot holds period p when {@code slotPeriod[p & DEPTH_MASK] == p}. */
    final long[] slotPeriod = new long[RoomMixer.DEPTH];
    /** Whether each slot's samples are all zero: digital silence, which takes nothing from the mix. */
    final boolean[] slotQuiet = new boolean[RoomMixer.DEPTH];
    short[][] slots = new short[RoomMixer.DEPTH][0];
    int capacitySamples;

    OpusDecoder decoder;
    MixEncoder mixMinusEncoder;

    MixSource(final RouteSpec spec, final Room room)
    {
        this.streamId = spec.streamId();
        this.room = room;
        update(spec);
        Arrays.fill(slotPeriod, -1);
    }

    void update(final RouteSpec spec)
    {
        targets = spec.targets().toArray(new Endpoint[0]);
        mixMinus = spec.mixMinus();
        jitterMs = spec.jitterMs();
    }

    /**
     * Make every slot hold at least this many samples per channel. Allocates only when the period grows.
     */
    void ensureCapacity(final int samples)
    {
        if (capacitySamples < samples)
        {
            slots = new short[RoomMixer.DEPTH][samples * RoomMixer.CHANNELS];
            capacitySamples = samples;
            Arrays.fill(slotPeriod, -1);
        }
    }

    boolean holds(final long period)
    {
        return slotPeriod[(int)(period & RoomMixer.DEPTH_MASK)] == period;
    }

    /**
     * @return true when the source contributed something other than digital silence to the period, so that its
     * mix-minus differs from the full mix.
     */
    boolean speaks(final long period)
    {
        final int slot = (int)(period & RoomMixer.DEPTH_MASK);
        return slotPeriod[slot] == period && !slotQuiet[slot];
    }

    short[] slot(final long period)
    {
        return slots[(int)(period & RoomMixer.DEPTH_MASK)];
    }

    boolean isActive(final long nowNs, final long activeWindowNs)
    {
        return hasFrame && nowNs - lastAcceptedNs < activeWindowNs;
    }

    /**
     * @param timestamp     u32 timestamp of a frame.
     * @param periodSamples the room's period.
     * @return the room period the frame belongs to: nearest whole number of periods from the anchor, wrap-safe.
     */
    long periodOf(final long timestamp, final int periodSamples)
    {
        final long delta = (int)timestamp - anchorTimestamp; // signed 32-bit difference: wrap-safe
        return anchorPeriod + Math.floorDiv(delta + (periodSamples >> 1), periodSamples);
    }

    /**
     * Tie the source's timestamps to a room period, dropping whatever it had pending.
     */
    void anchor(final long timestamp, final long period)
    {
        anchored = true;
        anchorTimestamp = (int)timestamp;
        anchorPeriod = period;
        lateStreak = 0;
        Arrays.fill(slotPeriod, -1);
    }

    /**
     * Move the anchor to an accepted frame's period, keeping the anchor's phase, so that timestamp differences stay
     * small however long the stream runs.
     */
    void advanceAnchor(final long period, final int periodSamples)
    {
        anchorTimestamp += (int)((period - anchorPeriod) * periodSamples);
        anchorPeriod = period;
    }

    /**
     * Forget the timeline: the room's format is set again, or the source left.
     */
    void forgetTimeline()
    {
        anchored = false;
        hasFrame = false;
        Arrays.fill(slotPeriod, -1);
        if (decoder != null)
        {
            decoder.resetState();
        }
    }

    OpusDecoder decoder()
    {
        if (decoder == null)
        {
            try
            {
                decoder = new OpusDecoder(RoomMixer.SAMPLE_RATE, RoomMixer.CHANNELS);
            }
            catch (final OpusException ex)
            {
                throw new IllegalStateException("cannot create an Opus decoder", ex);
            }
        }
        return decoder;
    }
}
