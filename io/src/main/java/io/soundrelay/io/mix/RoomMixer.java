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
import io.github.jaredmdobson.concentus.OpusPacketInfo;
import io.soundrelay.core.config.DataPlaneSettings;
import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The room mixer (PROTOCOL.md section 6): routes with the same room code form a room; their PCM and Opus frames
 * are placed on the room's clock, mixed once per period and sent as one SoundRelay stream. Single-threaded: every
 * method but {@link #rooms()} and {@link #room(String)} is called on the mixer thread only, and time is whatever
 * {@code nowNs} the caller passes (monotonic nanoseconds), so tests drive it with a fake clock.
 *
 * <h2>Format and clock</h2>
 * <ul>
 *   <li>PCM payload: s16 little-endian, 48 kHz, stereo interleaved; samples per period = length / 4. Opus:
 *       duration from the packet's TOC ({@link OpusPacketInfo#getNumSamples}), decoded by one decoder per source,
 *       48 kHz stereo. Mixing is always on PCM samples.</li>
 *   <li>The first accepted frame after the room forms sets the room's kind (PCM or Opus) and period; so does the
 *       first accepted frame after the room has accepted no frame for {@link #IDLE_RESET_NS} (1 s). Frames refused
 *       for any reason do not keep a room's format alive. On such a re-set everything still pending is emitted in
 *       the old format first, every source is re-anchored, decoders and encoders start afresh, and the room's
 *       timestamps restart at 0; its sequence numbers continue (a receiver's wrap-safe sequence check would take
 *       a restart at 0 for very old frames).</li>
 *   <li>A PCM frame in an Opus room, or an Opus frame in a PCM room, is accepted when its duration equals the
 *       period; the output kind is always the room's. Another duration: {@link ErrorReason#FRAME_SIZE}.</li>
 *   <li>A PCM payload longer than {@code maxDatagramBytes - 20} (its period could not fit an output datagram):
 *       FRAME_SIZE. An Opus payload that long, empty, with an invalid TOC, longer than 120 ms, that does not
 *       decode, or that decodes to another length than its TOC says: {@link ErrorReason#MALFORMED}. An empty PCM
 *       payload or one not a multiple of 4 bytes, and payload kinds 0 and 3: MALFORMED.</li>
 *   <li>Output period k has timestamp {@code k * P} (u32, wraps), counting from 0 when the format is set; the
 *       sequence starts at 0 when the room is created and grows by 1 per emitted period. Every datagram of one
 *       period (full mix and each mix-minus) carries the same sequence and timestamp.</li>
 * </ul>
 *
 * <h2>Timeline</h2>
 * <ul>
 *   <li>A source's first frame (after joining or a re-set) is placed by its arrival time: on the latest period
 *       any frame went to, plus the whole periods (rounded) since that period's first frame arrived; on
 *       {@code nextEmit} before the room's first frame or after a quiet spell of more than 64 periods. So a
 *       source that starts in step with the others lands on their periods. When that period was already mixed
 *       (a source joining just after the room's first frame went out alone), the source is anchored there and its
 *       first frame is {@link ErrorReason#LATE}; its second frame joins the others. Later frames are placed
 *       {@code round((ts - anchorTs) / P)} periods from the anchor, with signed 32-bit timestamp differences
 *       (wrap-safe) and rounding to the nearest period, half up. The anchor then moves to the accepted frame's
 *       period keeping its phase, so differences stay small.</li>
 *   <li>Each source has a store of {@link #DEPTH} = 16 periods (arrays allocated when the format is set or the
 *       source joins, not per frame). A frame for a period before {@code nextEmit}: {@link ErrorReason#LATE},
 *       counted in {@code framesLate}. A period the source already filled: {@link ErrorReason#DUPLICATE} (not
 *       counted in the view). A period at or past {@code nextEmit + 16}: earlier periods are emitted with what they
 *       have until it fits. More than 64 periods ahead of or behind {@code nextEmit}: the source restarted; it is
 *       re-anchored on {@code nextEmit}, its pending frames and its decoder state are dropped, and the frame is
 *       accepted. A source whose frames come {@link #LATE_STREAK_REALIGN} (3) times in a row LATE runs a period
 *       behind the others (its first frame's arrival misled the placement, or its sender's pace slipped): the
 *       third is placed on {@code nextEmit} instead and accepted, and the source keeps that placement (the
 *       first two stay dropped and counted). Refused frames change no other state (an Opus frame that will not be
 *       used is not decoded).</li>
 *   <li>wait = max(one period, the largest {@code jitter_ms} of the room's members). A source is active while its
 *       last accepted frame is less than max(200 ms, 2 x wait) old.</li>
 *   <li>Period {@code nextEmit} is emitted as soon as some source contributed to it and every active source has
 *       (checked after each accepted frame), else when its deadline passes: arrival of its first frame, or if it
 *       has none, of the first frame of the lowest later period with one, plus wait. A period nobody contributed
 *       to is skipped (no output, no sequence, no counter). {@link #onFrame} first emits the frame's room's
 *       periods whose deadline has passed, so whether a frame is late does not depend on how often
 *       {@link #poll(long)} runs.</li>
 *   <li>A member removed from the room takes its pending frames with it; a period that only it had filled is
 *       skipped.</li>
 * </ul>
 *
 * <h2>Mixing and output</h2>
 * <ul>
 *   <li>Per sample: 32-bit sum of the contributions, clamped to [-32768, 32767]; one contributor's samples come
 *       out unchanged. Each active source that did not contribute counts once in {@code sourcesSilent}.</li>
 *   <li>The full mix goes to the union of the targets of the members without mix-minus, each address once, in
 *       member order then target order, leaving out every address that is also a mix-minus member's target; it
 *       is not computed or encoded when that set is empty. Each mix-minus member's own targets get
 *       clamp(sum - its own contribution). Two mix-minus members sharing a target each send theirs to it.</li>
 *   <li>Output: a SoundRelay frame with the room's kind, stream id FNV-1a 64 of the room code. Opus output: one
 *       encoder per output stream (full mix, each mix-minus member), created when the format is set or the member
 *       joins; Concentus defaults (bitrate auto, complexity 10). An encoder failure drops that one datagram and
 *       resets the encoder.</li>
 *   <li>A mix-minus member that did not speak in the period (no frame, or every sample 0) gets the full mix's
 *       datagram: the full mix is made and encoded once per period when its targets or any such member hear it,
 *       and only a member that spoke costs an encode (and a clamp) of its own. Its own encoder skips the periods
 *       it was silent. In a PCM room the bytes are the same as a per-member mix-minus.</li>
 *   <li>Encode budget (Opus rooms): per period a room gives its speaking mix-minus members at most
 *       {@code roomEncodesPerPeriod} encodes, at most its equal share of {@code nodeEncodesPer20Ms} (the node
 *       budget over the Opus rooms with mix-minus members, at least 1) in the 20 ms window of {@code nowNs}, and
 *       at most what is left of the node budget in that window. The speakers take the granted encodes in turn,
 *       from where the last period's grant ended; the others' targets get no datagram that period, counted in
 *       {@link RoomView#mixMinusSkipped()} and through {@link MixOutput#dropped} as
 *       {@link ErrorReason#MIXER_BUDGET} (one per target). The full mix's encode is not budgeted.</li>
 *   <li>Rooms share no state but the node's encode budget. The PCM path allocates nothing per frame; Concentus
 *       allocates inside its encoder and decoder.</li>
 * </ul>
 *
 * <h2>Membership and views</h2>
 * <ul>
 *   <li>An {@link #upsertMember(RouteSpec)} keeps an existing member's place, timeline and decoder; a changed room
 *       code makes it a new member (fresh timeline) of the other room; a null room code removes it.</li>
 *   <li>{@code framesIn} counts every frame a member hands in, whatever its kind and whether accepted or not;
 *       {@code framesLate} only LATE ones.</li>
 * </ul>
 */
public final class RoomMixer
{
    /** Sample rate of every stream, Hz. */
    public static final int SAMPLE_RATE = 48_000;
    /** Channels of every stream. */
    public static final int CHANNELS = 2;
    /** Periods each source may have pending. */
    public static final int DEPTH = 16;
    static final int DEPTH_MASK = DEPTH - 1;
    /** A frame this many periods or more away from the room's next period restarts its source. */
    public static final int RESTART_PERIODS = 4 * DEPTH;
    /** A source whose frames are late this many times in a row is placed one period later from then on. */
    public static final int LATE_STREAK_REALIGN = 3;
    /** A room that accepted no frame this long takes its format again from the next frame. */
    public static final long IDLE_RESET_NS = TimeUnit.SECONDS.toNanos(1);
    /** Shortest time a source stays active after its last accepted frame. */
    public static final long MIN_ACTIVE_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Longest Opus packet: 120 ms. */
    public static final int MAX_OPUS_SAMPLES = 5760;
    /** The window of the node's encode budget. */
    public static final long NODE_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private static final ByteOrder PCM_ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER = FrameFlyweight.HEADER_LENGTH;

    private final int maxDatagramBytes;
    private final int maxPayloadBytes;
    private final Long2ObjectHashMap<MixSource> sources = new Long2ObjectHashMap<>();
    private final HashMap<String, Room> roomsByCode = new HashMap<>();
    private Room[] rooms = new Room[0];
    private volatile List<RoomView> roomViews = List.of();
    private volatile Map<String, RoomView> roomViewsByCode = Map.of();

    private final short[] decoded = new short[MAX_OPUS_SAMPLES * CHANNELS];
    /** Scratch for a payload as bytes: Opus input, or PCM on its way to shorts. */
    private final byte[] payloadIn;
    private final ShortBuffer pcmIn;
    private final PeriodMixer periodMixer;

    /**
     * A mixer with the default encode budgets.
     *
     * @param maxDatagramBytes longest datagram the node sends/accepts (output frames must fit).
     * @param output           where output datagrams go.
     */
    public RoomMixer(final int maxDatagramBytes, final MixOutput output)
    {
        this(maxDatagramBytes, DataPlaneSettings.MIXER_ROOM_ENCODES_PER_PERIOD.defaultValue(),
            DataPlaneSettings.MIXER_NODE_ENCODES_PER_20MS.defaultValue(), output);
    }

    /**
     * @param maxDatagramBytes     longest datagram the node sends/accepts (output frames must fit).
     * @param roomEncodesPerPeriod MIXER_ROOM_ENCODES_PER_PERIOD: most mix-minus encodes of one room in one period.
     * @param nodeEncodesPer20Ms   MIXER_NODE_ENCODES_PER_20MS: most mix-minus encodes of all rooms in one 20 ms
     *                             window of the clock.
     * @param output               where output datagrams go.
     */
    public RoomMixer(
        final int maxDatagramBytes,
        final int roomEncodesPerPeriod,
        final int nodeEncodesPer20Ms,
        final MixOutput output)
    {
        if (maxDatagramBytes <= HEADER)
        {
            throw new IllegalArgumentException("maxDatagramBytes " + maxDatagramBytes + " leaves no payload");
        }
        if (roomEncodesPerPeriod < 0 || nodeEncodesPer20Ms < 0)
        {
            throw new IllegalArgumentException(
                "encode budgets " + roomEncodesPerPeriod + ", " + nodeEncodesPer20Ms + ": not negative");
        }
        this.maxDatagramBytes = maxDatagramBytes;
        this.maxPayloadBytes = maxDatagramBytes - HEADER;
        final int maxSamples = Math.max(MAX_OPUS_SAMPLES, maxPayloadBytes / 4);
        this.payloadIn = new byte[maxPayloadBytes];
        this.pcmIn = ByteBuffer.wrap(payloadIn).order(PCM_ORDER).asShortBuffer();
        this.periodMixer = new PeriodMixer(maxDatagramBytes, maxSamples,
            new EncodeBudget(roomEncodesPerPeriod, nodeEncodesPer20Ms), output);
    }

    /**
     * @return longest datagram this mixer sends.
     */
    public int maxDatagramBytes()
    {
        return maxDatagramBytes;
    }

    /**
     * Add a route to its room ({@code spec.roomCode() != null}) or update it (targets, mix_minus, jitter_ms, or a
     * changed room_code moves it, as a new member of the other room). A null room code removes the route from its
     * room. Off the hot path; may allocate.
     *
     * @param spec the route.
     */
    public void upsertMember(final RouteSpec spec)
    {
        final long streamId = spec.streamId();
        final String code = spec.roomCode();
        final MixSource existing = sources.get(streamId);
        if (code == null)
        {
            removeMember(streamId);
            return;
        }
        if (existing != null && existing.room.code.equals(code))
        {
            existing.update(spec);
            final Room room = existing.room;
            room.membershipChanged();
            periodMixer.configureEncoders(room, false);
            room.updateDeadline();
            return;
        }
        if (existing != null)
        {
            removeMember(streamId);
        }
        Room room = roomsByCode.get(code);
        if (room == null)
        {
            room = new Room(code);
            roomsByCode.put(code, room);
            rooms = Arrays.copyOf(rooms, rooms.length + 1);
            rooms[rooms.length - 1] = room;
            publishViews();
        }
        final MixSource source = new MixSource(spec, room);
        if (room.formatted)
        {
            source.ensureCapacity(room.periodSamples);
        }
        room.add(source);
        sources.put(streamId, source);
        room.membershipChanged();
        periodMixer.configureEncoders(room, false);
        room.updateDeadline();
    }

    /**
     * Remove a route from its room; a room disappears with its last member. Unknown stream ids are ignored.
     *
     * @param streamId of the route.
     */
    public void removeMember(final long streamId)
    {
        final MixSource source = sources.remove(streamId);
        if (source == null)
        {
            return;
        }
        final Room room = source.room;
        room.remove(source);
        source.forgetTimeline();
        if (room.isEmpty())
        {
            roomsByCode.remove(room.code);
            final ArrayList<Room> kept = new ArrayList<>(rooms.length);
            for (final Room r : rooms)
            {
                if (r != room)
                {
                    kept.add(r);
                }
            }
            rooms = kept.toArray(new Room[0]);
            publishViews();
        }
        else
        {
            room.membershipChanged();
            periodMixer.configureEncoders(room, false);
            room.updateDeadline();
        }
    }

    /**
     * One PCM (payloadKind 1) or Opus (2) frame's payload from member streamId, with the frame's u32 timestamp
     * (48 kHz). May emit output (through {@link MixOutput}) when this frame completes a period, or when periods of
     * its room were past their deadline.
     *
     * @param streamId    the frame's stream.
     * @param payloadKind the frame's payload kind.
     * @param timestamp   the frame's u32 timestamp.
     * @param buffer      holding the payload.
     * @param offset      at which the payload starts.
     * @param length      of the payload.
     * @param nowNs       monotonic time of arrival.
     * @return null when accepted; otherwise why it was dropped: UNKNOWN_STREAM (not a member), FRAME_SIZE, LATE,
     * DUPLICATE, MALFORMED (PCM length not a positive multiple of 4, undecodable Opus, kind 0/3).
     */
    public ErrorReason onFrame(
        final long streamId,
        final int payloadKind,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long nowNs)
    {
        final MixSource source = sources.get(streamId);
        if (source == null)
        {
            return ErrorReason.UNKNOWN_STREAM;
        }
        final Room room = source.room;
        room.view.onFrameIn();
        if (payloadKind != FrameFlyweight.KIND_PCM && payloadKind != FrameFlyweight.KIND_OPUS)
        {
            return ErrorReason.MALFORMED;
        }

        emitDue(room, nowNs);
        if (room.formatted && nowNs - room.lastAcceptedNs >= IDLE_RESET_NS)
        {
            resetFormat(room);
        }

        final int samples;
        if (payloadKind == FrameFlyweight.KIND_PCM)
        {
            if (length <= 0 || (length & 3) != 0)
            {
                return ErrorReason.MALFORMED;
            }
            if (length > maxPayloadBytes)
            {
                return ErrorReason.FRAME_SIZE;
            }
            samples = length >> 2;
        }
        else
        {
            if (length <= 0 || length > maxPayloadBytes)
            {
                return ErrorReason.MALFORMED;
            }
            buffer.getBytes(offset, payloadIn, 0, length);
            samples = OpusPacketInfo.getNumSamples(payloadIn, 0, length, SAMPLE_RATE);
            if (samples <= 0 || samples > MAX_OPUS_SAMPLES)
            {
                return ErrorReason.MALFORMED;
            }
        }
        if (room.formatted && samples != room.periodSamples)
        {
            return ErrorReason.FRAME_SIZE;
        }
        return place(source, room, payloadKind, timestamp, buffer, offset, length, samples, nowNs);
    }

    /**
     * Place a frame of the right size on its room's timeline (the "Timeline" rules of the class comment), then
     * accept it unless it is late, a duplicate or does not decode.
     */
    private ErrorReason place(
        final MixSource source,
        final Room room,
        final int payloadKind,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int samples,
        final long nowNs)
    {
        long period = room.nextEmit;
        boolean restart = false;
        boolean realign = false;
        if (!source.anchored)
        {
            period = room.periodByTime(nowNs);
            if (period - room.nextEmit < 0)
            {
                // In step with a period already mixed: the source is placed there, and this first frame is late. It
                // counts as active from now on, so the next period waits for it rather than going out without it.
                source.anchor(timestamp, period);
                source.hasFrame = true;
                source.lastAcceptedNs = nowNs;
                room.view.onFrameLate();
                return ErrorReason.LATE;
            }
        }
        else
        {
            period = source.periodOf(timestamp, room.periodSamples);
            final long ahead = period - room.nextEmit;
            if (ahead > RESTART_PERIODS || ahead < -RESTART_PERIODS)
            {
                restart = true;
                period = room.nextEmit;
            }
            else if (ahead < 0)
            {
                if (++source.lateStreak < LATE_STREAK_REALIGN)
                {
                    room.view.onFrameLate();
                    return ErrorReason.LATE;
                }
                // Late again and again: this source runs behind the room's periods (it joined a period off, or its
                // sender's pace slipped). Place it one period later from this frame on rather than lose it for good.
                realign = true;
                period = room.nextEmit;
            }
            else if (source.holds(period))
            {
                return ErrorReason.DUPLICATE;
            }
        }

        if (payloadKind == FrameFlyweight.KIND_OPUS && !decode(source, restart, length, samples))
        {
            return ErrorReason.MALFORMED;
        }
        accept(source, room, payloadKind, timestamp, period, restart || realign, buffer, offset, length, samples,
            nowNs);
        return null;
    }

    /**
     * Accepted: from here on state changes. Store the frame's samples (PCM, or the Opus frame just decoded) in its
     * source's slot for the period, emitting earlier periods until it fits, then emit what is due.
     *
     * @param reanchor the source restarted or is realigned: its anchor moves to this frame.
     */
    private void accept(
        final MixSource source,
        final Room room,
        final int payloadKind,
        final long timestamp,
        final long period,
        final boolean reanchor,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int samples,
        final long nowNs)
    {
        if (!room.formatted)
        {
            setFormat(room, payloadKind, samples);
        }
        if (!source.anchored || reanchor)
        {
            source.anchor(timestamp, period);
        }
        else
        {
            source.advanceAnchor(period, samples);
        }
        while (period - room.nextEmit >= DEPTH)
        {
            periodMixer.emit(room, room.nextEmit, nowNs, rooms);
            room.nextEmit++;
        }

        source.ensureCapacity(samples);
        final int slot = (int)(period & DEPTH_MASK);
        final short[] pending = source.slots[slot];
        final int values = samples * CHANNELS;
        if (payloadKind == FrameFlyweight.KIND_PCM)
        {
            buffer.getBytes(offset, payloadIn, 0, length);
            pcmIn.get(0, pending, 0, values);
        }
        else
        {
            System.arraycopy(decoded, 0, pending, 0, values);
        }
        source.slotPeriod[slot] = period;
        source.slotQuiet[slot] = isZero(pending, values);
        source.hasFrame = true;
        source.lastAcceptedNs = nowNs;
        source.lateStreak = 0;
        room.lastAcceptedNs = nowNs;
        room.tag(period, nowNs);

        emitDue(room, nowNs);
    }

    /**
     * Emit every period whose deadline has passed.
     *
     * @param nowNs monotonic time now.
     * @return periods emitted.
     */
    public int poll(final long nowNs)
    {
        int emitted = 0;
        final Room[] rooms = this.rooms;
        for (final Room room : rooms)
        {
            if (room.deadlineNs != Long.MAX_VALUE && nowNs - room.deadlineNs >= 0)
            {
                emitted += emitDue(room, nowNs);
            }
        }
        return emitted;
    }

    /**
     * @return the earliest nowNs at which {@link #poll(long)} has something to do, Long.MAX_VALUE if none.
     */
    public long nextDeadlineNs()
    {
        long earliest = Long.MAX_VALUE;
        boolean found = false;
        for (final Room room : rooms)
        {
            if (room.deadlineNs != Long.MAX_VALUE && (!found || room.deadlineNs - earliest < 0))
            {
                earliest = room.deadlineNs;
                found = true;
            }
        }
        return earliest;
    }

    /**
     * @return a view of every room, sorted by room code. Any thread.
     */
    public List<RoomView> rooms()
    {
        return roomViews;
    }

    /**
     * @param roomCode a room code.
     * @return the room's view, null when no such room. Any thread.
     */
    public RoomView room(final String roomCode)
    {
        return roomViewsByCode.get(roomCode);
    }

    private void publishViews()
    {
        final TreeMap<String, RoomView> sorted = new TreeMap<>();
        for (final Room room : rooms)
        {
            sorted.put(room.code, room.view);
        }
        roomViewsByCode = Map.copyOf(sorted);
        roomViews = List.copyOf(sorted.values());
    }

    private boolean decode(final MixSource source, final boolean restart, final int length, final int samples)
    {
        final boolean fresh = source.decoder == null;
        final OpusDecoder decoder = source.decoder();
        if (restart && !fresh)
        {
            decoder.resetState();
        }
        final int decodedSamples;
        try
        {
            decodedSamples = decoder.decode(payloadIn, 0, length, decoded, 0, MAX_OPUS_SAMPLES, false);
        }
        catch (final OpusException | RuntimeException ex)
        {
            decoder.resetState();
            return false;
        }
        return decodedSamples == samples;
    }

    private void setFormat(final Room room, final int kind, final int samples)
    {
        room.formatted = true;
        room.kind = kind;
        room.periodSamples = samples;
        room.periodNs = samples * 1_000_000_000L / SAMPLE_RATE;
        room.nextEmit = 0;
        room.maxTagged = -1;
        Arrays.fill(room.tagPeriod, -1);
        room.updateTiming();
        for (final MixSource member : room.members)
        {
            member.ensureCapacity(samples);
        }
        periodMixer.configureEncoders(room, true);
        room.view.format(kind == FrameFlyweight.KIND_PCM ? "pcm" : "opus", samples);
    }

    private void resetFormat(final Room room)
    {
        while (room.hasPending())
        {
            periodMixer.emit(room, room.nextEmit, room.lastAcceptedNs, rooms);
            room.nextEmit++;
        }
        room.forgetFormat();
    }

    /**
     * Emit what is due in one room: periods every active source has filled, and periods past their deadline.
     *
     * @return periods emitted.
     */
    private int emitDue(final Room room, final long nowNs)
    {
        int emitted = 0;
        while (room.hasPending())
        {
            final long period = room.nextEmit;
            final boolean tagged = room.isTagged(period);
            if (!(tagged && isComplete(room, period, nowNs)) &&
                nowNs - room.earliestPendingArrivalNs() < room.waitNs)
            {
                break;
            }
            if (tagged)
            {
                emitted += periodMixer.emit(room, period, nowNs, rooms);
            }
            room.nextEmit = period + 1;
        }
        room.updateDeadline();
        return emitted;
    }

    private static boolean isComplete(final Room room, final long period, final long nowNs)
    {
        for (final MixSource member : room.members)
        {
            if (!member.holds(period) && member.isActive(nowNs, room.activeWindowNs))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isZero(final short[] samples, final int values)
    {
        int bits = 0;
        for (int i = 0; i < values; i++)
        {
            bits |= samples[i];
        }
        return bits == 0;
    }
}
