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

import io.soundrelay.core.protocol.Fnv1a64;
import io.soundrelay.core.route.Endpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One room's state: members, format, clock, and which periods someone has contributed to. Mixer thread only,
 * but for {@link #view}.
 */
final class Room
{
    private static final MixSource[] NO_MEMBERS = new MixSource[0];
    private static final Endpoint[] NO_TARGETS = new Endpoint[0];

    final String code;
    final long outputStreamId;
    final RoomView view;

    MixSource[] members = NO_MEMBERS;
    /** Full-mix targets: union over non-mix-minus members, insertion order, less any mix-minus member's target. */
    Endpoint[] fullMixTargets = NO_TARGETS;
    MixEncoder fullMixEncoder;
    int maxJitterMs;
    int mixMinusMembers;
    /** Which speaking mix-minus member (by order among this period's speakers) is served first when over budget. */
    int mixMinusCursor;
    /** The node budget window this room last took encodes in, and how many it took there. */
    long budgetWindow = Long.MIN_VALUE;
    int windowEncodes;

    boolean formatted;
    int kind;
    int periodSamples;
    long periodNs;
    long waitNs;
    long activeWindowNs;
    long lastAcceptedNs;

    /** Next period not yet emitted or skipped; period k has timestamp k * periodSamples. */
    long nextEmit;
    long sequence;
    /** Highest period anyone contributed to; nothing is pending while it is below {@link #nextEmit}. */
    long maxTagged = -1;
    long maxTaggedArrivalNs;
    final long[] tagPeriod = new long[RoomMixer.DEPTH];
    final long[] firstArrivalNs = new long[RoomMixer.DEPTH];
    long deadlineNs = Long.MAX_VALUE;

    Room(final String code)
    {
        this.code = code;
        this.outputStreamId = Fnv1a64.roomStreamId(code);
        this.view = new RoomView(code, outputStreamId);
        Arrays.fill(tagPeriod, -1);
    }

    boolean isEmpty()
    {
        return members.length == 0;
    }

    void add(final MixSource source)
    {
        final MixSource[] grown = Arrays.copyOf(members, members.length + 1);
        grown[members.length] = source;
        members = grown;
    }

    void remove(final MixSource source)
    {
        final ArrayList<MixSource> kept = new ArrayList<>(members.length);
        for (final MixSource member : members)
        {
            if (member != source)
            {
                kept.add(member);
            }
        }
        members = kept.toArray(NO_MEMBERS);
    }

    /**
     * Recompute what depends on the membership: targets, wait, the view's member list.
     */
    void membershipChanged()
    {
        final Set<Endpoint> mixMinusTargets = new HashSet<>();
        int jitter = 0;
        int mixMinusCount = 0;
        final List<RoomView.Member> viewMembers = new ArrayList<>(members.length);
        for (final MixSource member : members)
        {
            if (member.mixMinus)
            {
                mixMinusTargets.addAll(Arrays.asList(member.targets));
                mixMinusCount++;
            }
            jitter = Math.max(jitter, member.jitterMs);
            viewMembers.add(new RoomView.Member(member.streamId, member.mixMinus));
        }
        final Set<Endpoint> full = new LinkedHashSet<>();
        for (final MixSource member : members)
        {
            if (!member.mixMinus)
            {
                for (final Endpoint target : member.targets)
                {
                    if (!mixMinusTargets.contains(target))
                    {
                        full.add(target);
                    }
                }
            }
        }
        fullMixTargets = full.toArray(NO_TARGETS);
        maxJitterMs = jitter;
        mixMinusMembers = mixMinusCount;
        updateTiming();
        view.members(List.copyOf(viewMembers));
    }

    void updateTiming()
    {
        waitNs = Math.max(periodNs, maxJitterMs * 1_000_000L);
        activeWindowNs = Math.max(RoomMixer.MIN_ACTIVE_WINDOW_NS, 2 * waitNs);
    }

    boolean isTagged(final long period)
    {
        return tagPeriod[(int)(period & RoomMixer.DEPTH_MASK)] == period;
    }

    void tag(final long period, final long nowNs)
    {
        final int slot = (int)(period & RoomMixer.DEPTH_MASK);
        if (tagPeriod[slot] != period)
        {
            tagPeriod[slot] = period;
            firstArrivalNs[slot] = nowNs;
        }
        if (period > maxTagged)
        {
            maxTagged = period;
            maxTaggedArrivalNs = firstArrivalNs[slot];
        }
    }

    /**
     * The period a source's first frame belongs to by its arrival time: the latest period any frame was placed in,
     * plus the whole periods since that period's first frame arrived (rounded to the nearest). So a source that
     * starts in step with the others lands on their periods, not one ahead. Before any frame, or when that is more
     * than {@link RoomMixer#RESTART_PERIODS} ahead (the room was quiet), the next period to emit.
     *
     * @param nowNs arrival time of the frame.
     * @return the period.
     */
    long periodByTime(final long nowNs)
    {
        if (!formatted || maxTagged < 0)
        {
            return nextEmit;
        }
        final long period = maxTagged + Math.floorDiv(nowNs - maxTaggedArrivalNs + (periodNs >> 1), periodNs);
        return period - nextEmit > RoomMixer.RESTART_PERIODS ? nextEmit : period;
    }

    boolean hasPending()
    {
        return maxTagged >= nextEmit;
    }

    /**
     * @return arrival time of the first frame of the lowest contributed period at or after {@link #nextEmit};
     * call only when {@link #hasPending()}.
     */
    long earliestPendingArrivalNs()
    {
        final long last = Math.min(maxTagged, nextEmit + RoomMixer.DEPTH - 1);
        for (long period = nextEmit; period <= last; period++)
        {
            final int slot = (int)(period & RoomMixer.DEPTH_MASK);
            if (tagPeriod[slot] == period)
            {
                return firstArrivalNs[slot];
            }
        }
        return Long.MAX_VALUE; // not reached: maxTagged is within the window
    }

    void updateDeadline()
    {
        deadlineNs = hasPending() ? earliestPendingArrivalNs() + waitNs : Long.MAX_VALUE;
    }

    /**
     * Drop the format and the timeline: the next accepted frame sets them again.
     */
    void forgetFormat()
    {
        formatted = false;
        kind = 0;
        periodSamples = 0;
        periodNs = 0;
        nextEmit = 0;
        maxTagged = -1;
        Arrays.fill(tagPeriod, -1);
        deadlineNs = Long.MAX_VALUE;
        updateTiming();
        for (final MixSource member : members)
        {
            member.forgetTimeline();
        }
        view.format(null, 0);
    }
}
