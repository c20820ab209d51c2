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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * What the control API shows of a mixer room ({@code GET /rooms}, {@code GET /rooms/{code}}). The mixer thread is
 * the only writer (release stores, no locks); any thread may read (acquire loads). Each getter is individually
 * current; two getters read one after the other need not describe the same instant.
 */
public final class RoomView
{
    /**
     * One route of the room.
     *
     * @param streamId unsigned 64-bit stream id of the route.
     * @param mixMinus true when the route's targets get the mix without its own source.
     */
    public record Member(long streamId, boolean mixMinus)
    {
    }

    private static final VarHandle FRAMES_IN;
    private static final VarHandle FRAMES_MIXED;
    private static final VarHandle FRAMES_LATE;
    private static final VarHandle SOURCES_SILENT;
    private static final VarHandle ENCODES;
    private static final VarHandle MIX_MINUS_SKIPPED;
    private static final VarHandle FRAME_SAMPLES;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            FRAMES_IN = lookup.findVarHandle(RoomView.class, "framesIn", long.class);
            FRAMES_MIXED = lookup.findVarHandle(RoomView.class, "framesMixed", long.class);
            FRAMES_LATE = lookup.findVarHandle(RoomView.class, "framesLate", long.class);
            SOURCES_SILENT = lookup.findVarHandle(RoomView.class, "sourcesSilent", long.class);
            ENCODES = lookup.findVarHandle(RoomView.class, "encodes", long.class);
            MIX_MINUS_SKIPPED = lookup.findVarHandle(RoomView.class, "mixMinusSkipped", long.class);
            FRAME_SAMPLES = lookup.findVarHandle(RoomView.class, "frameSamples", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final String roomCode;
    private final long outputStreamId;
    private volatile String kind;
    private volatile List<Member> members = List.of();

    @SuppressWarnings("unused") private int frameSamples;
    @SuppressWarnings("unused") private long framesIn;
    @SuppressWarnings("unused") private long framesMixed;
    @SuppressWarnings("unused") private long framesLate;
    @SuppressWarnings("unused") private long sourcesSilent;
    @SuppressWarnings("unused") private long encodes;
    @SuppressWarnings("unused") private long mixMinusSkipped;

    RoomView(final String roomCode, final long outputStreamId)
    {
        this.roomCode = roomCode;
        this.outputStreamId = outputStreamId;
    }

    /**
     * @return the room code, as the routes give it.
     */
    public String roomCode()
    {
        return roomCode;
    }

    /**
     * @return stream id of the room's output frames (FNV-1a 64 of the UTF-8 room code), unsigned.
     */
    public long outputStreamId()
    {
        return outputStreamId;
    }

    /**
     * @return {@code "pcm"} or {@code "opus"}, the kind of the room's output; null before the room's first frame.
     */
    public String kind()
    {
        return kind;
    }

    /**
     * @return samples per channel in one output period (960 for 20 ms), 0 before the room's first frame.
     */
    public int frameSamples()
    {
        return (int)FRAME_SAMPLES.getAcquire(this);
    }

    /**
     * @return the room's routes in the order they joined; immutable, replaced whole on every membership change.
     */
    public List<Member> members()
    {
        return members;
    }

    /**
     * @return PCM and Opus frames the room's routes handed to the mixer, whatever became of them.
     */
    public long framesIn()
    {
        return (long)FRAMES_IN.getAcquire(this);
    }

    /**
     * @return output periods emitted (one per period, however many datagrams it was sent as).
     */
    public long framesMixed()
    {
        return (long)FRAMES_MIXED.getAcquire(this);
    }

    /**
     * @return frames dropped because their period had already been mixed.
     */
    public long framesLate()
    {
        return (long)FRAMES_LATE.getAcquire(this);
    }

    /**
     * @return sum over emitted periods of the active sources that contributed nothing to that period.
     */
    public long sourcesSilent()
    {
        return (long)SOURCES_SILENT.getAcquire(this);
    }

    /**
     * @return Opus encodes the room's output took: one per period for the full mix (when some target hears it),
     * one per period for each mix-minus member that spoke that period; 0 for a PCM room.
     */
    public long encodes()
    {
        return (long)ENCODES.getAcquire(this);
    }

    /**
     * @return mix-minus outputs left out because the room or the node was over its encode budget, one per member
     * and period.
     */
    public long mixMinusSkipped()
    {
        return (long)MIX_MINUS_SKIPPED.getAcquire(this);
    }

    public String toString()
    {
        return "RoomView{roomCode=" + roomCode + ", outputStreamId=" + Long.toUnsignedString(outputStreamId) +
            ", kind=" + kind + ", frameSamples=" + frameSamples() + ", members=" + members.size() +
            ", framesIn=" + framesIn() + ", framesMixed=" + framesMixed() + ", framesLate=" + framesLate() +
            ", sourcesSilent=" + sourcesSilent() + ", encodes=" + encodes() + ", mixMinusSkipped=" + mixMinusSkipped() +
            '}';
    }

    void format(final String kind, final int frameSamples)
    {
        this.kind = kind;
        FRAME_SAMPLES.setRelease(this, frameSamples);
    }

    void members(final List<Member> members)
    {
        this.members = members;
    }

    void onFrameIn()
    {
        FRAMES_IN.setRelease(this, (long)FRAMES_IN.get(this) + 1);
    }

    void onFrameLate()
    {
        FRAMES_LATE.setRelease(this, (long)FRAMES_LATE.get(this) + 1);
    }

    void onPeriodMixed(final int silentSources)
    {
        FRAMES_MIXED.setRelease(this, (long)FRAMES_MIXED.get(this) + 1);
        if (silentSources != 0)
        {
            SOURCES_SILENT.setRelease(this, (long)SOURCES_SILENT.get(this) + silentSources);
        }
    }

    void onEncode()
    {
        ENCODES.setRelease(this, (long)ENCODES.get(this) + 1);
    }

    void onMixMinusSkipped(final int members)
    {
        MIX_MINUS_SKIPPED.setRelease(this, (long)MIX_MINUS_SKIPPED.get(this) + members);
    }
}
