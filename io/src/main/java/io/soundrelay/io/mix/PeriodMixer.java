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
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.status.ErrorReason;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

import static io.soundrelay.io.mix.RoomMixer.CHANNELS;

/**
 * Mixes one period of a room and sends it (PROTOCOL.md section 6; the rules are {@link RoomMixer}'s "Mixing and
 * output"): the full mix, encoded once, to the full-mix targets and to every mix-minus member that said nothing,
 * and each speaking mix-minus member's own mix to its targets, within the {@link EncodeBudget}. Owned by the mixer
 * thread; its buffers are allocated once, so the PCM path allocates nothing per period.
 */
final class PeriodMixer
{
    private static final ByteOrder PCM_ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER = FrameFlyweight.HEADER_LENGTH;

    private final int maxPayloadBytes;
    private final MixOutput output;
    private final EncodeBudget budget;
    private final int[] sum;
    private final short[] mix;
    /** Where the full mix's frame is written, kept while the period's mix-minus frames are made. */
    private final OutFrame fullMixOut;
    /** Where one mix-minus frame is written. */
    private final OutFrame mixMinusOut;

    /** One output datagram being written: its bytes, and a little-endian view of its PCM payload. */
    private static final class OutFrame
    {
        final byte[] bytes;
        final UnsafeBuffer buffer;
        /** The same bytes for the protocol's header writer. */
        final ByteBuffer header;
        final ShortBuffer pcm;

        OutFrame(final int maxDatagramBytes)
        {
            bytes = new byte[maxDatagramBytes];
            buffer = new UnsafeBuffer(bytes);
            header = ByteBuffer.wrap(bytes);
            // Bulk little-endian view: a copy (and a byte swap on big-endian hosts), not a bounds check per sample.
            pcm = ByteBuffer.wrap(bytes, HEADER, maxDatagramBytes - HEADER).slice().order(PCM_ORDER).asShortBuffer();
        }
    }

    /**
     * @param maxDatagramBytes longest datagram sent.
     * @param maxSamples       most samples per channel of one period.
     * @param budget           the node's encode budget.
     * @param output           where output datagrams go.
     */
    PeriodMixer(final int maxDatagramBytes, final int maxSamples, final EncodeBudget budget, final MixOutput output)
    {
        this.maxPayloadBytes = maxDatagramBytes - HEADER;
        this.output = output;
        this.budget = budget;
        this.sum = new int[maxSamples * CHANNELS];
        this.mix = new short[maxSamples * CHANNELS];
        this.fullMixOut = new OutFrame(maxDatagramBytes);
        this.mixMinusOut = new OutFrame(maxDatagramBytes);
    }

    /**
     * Give every Opus output stream of the room an encoder for the room's period, and drop those it no longer
     * needs.
     *
     * @param reset true when the format was just set: existing encoders start a new stream.
     */
    void configureEncoders(final Room room, final boolean reset)
    {
        final boolean opus = room.formatted && room.kind == FrameFlyweight.KIND_OPUS;
        // The full mix is also what every mix-minus member that said nothing hears.
        room.fullMixEncoder = opus && (room.fullMixTargets.length > 0 || room.mixMinusMembers > 0) ?
            encoderFor(room.fullMixEncoder, room.periodSamples, reset) : null;
        for (final MixSource member : room.members)
        {
            member.mixMinusEncoder = opus && member.mixMinus ?
                encoderFor(member.mixMinusEncoder, room.periodSamples, reset) : null;
        }
    }

    private MixEncoder encoderFor(final MixEncoder current, final int periodSamples, final boolean reset)
    {
        if (current == null || current.periodSamples() != periodSamples)
        {
            return new MixEncoder(periodSamples, maxPayloadBytes);
        }
        if (reset)
        {
            current.reset();
        }
        return current;
    }

    /**
     * Mix one period and send it: the full mix to the full-mix targets, each mix-minus to its member's targets.
     *
     * @param room   the room.
     * @param period the period.
     * @param nowNs  monotonic time now.
     * @param rooms  every room of the mixer (they share the node's encode budget).
     * @return 1 when it was emitted, 0 when nobody (still a member) contributed to it.
     */
    int emit(final Room room, final long period, final long nowNs, final Room[] rooms)
    {
        final MixSource[] members = room.members;
        final int values = room.periodSamples * CHANNELS;
        if (sum(members, period, values) == 0)
        {
            return 0;
        }
        int silent = 0;
        for (final MixSource member : members)
        {
            if (!member.holds(period) && member.isActive(nowNs, room.activeWindowNs))
            {
                silent++;
            }
        }

        final long sequence = room.sequence;
        final long timestamp = (period * room.periodSamples) & 0xFFFF_FFFFL;
        boolean fullMixHeard = room.fullMixTargets.length > 0;
        int speaking = 0;
        for (final MixSource member : members)
        {
            if (member.mixMinus)
            {
                if (member.speaks(period))
                {
                    speaking++;
                }
                else
                {
                    fullMixHeard = true;
                }
            }
        }

        // The full mix, encoded once: for its own targets and for every mix-minus member that said nothing, whose
        // mix-minus is the full mix.
        int fullMixLength = -1;
        if (fullMixHeard)
        {
            clamp(sum, null, mix, values);
            fullMixLength = frame(room, room.fullMixEncoder, fullMixOut, sequence, timestamp);
            sendAll(fullMixOut, fullMixLength, room.fullMixTargets);
        }
        final int granted = room.kind == FrameFlyweight.KIND_OPUS ?
            budget.grant(room, speaking, nowNs, rooms) : speaking;
        mixMinus(room, period, speaking, granted, fullMixLength, sequence, timestamp);
        room.sequence = sequence + 1;
        room.view.onPeriodMixed(silent);
        return 1;
    }

    /**
     * Sum the contributions of the members that hold the period into {@link #sum}.
     *
     * @return how many contributed.
     */
    private int sum(final MixSource[] members, final long period, final int values)
    {
        final int[] sum = this.sum;
        int contributors = 0;
        for (final MixSource member : members)
        {
            if (member.holds(period))
            {
                final short[] contribution = member.slot(period);
                if (contributors == 0)
                {
                    for (int i = 0; i < values; i++)
                    {
                        sum[i] = contribution[i];
                    }
                }
                else
                {
                    for (int i = 0; i < values; i++)
                    {
                        sum[i] += contribution[i];
                    }
                }
                contributors++;
            }
        }
        return contributors;
    }

    /**
     * Send each mix-minus member its mix: the full mix's datagram to one that said nothing, its own to a speaker
     * within the granted encodes; the speakers take them in turn, from where the last period's grant ended.
     */
    private void mixMinus(
        final Room room,
        final long period,
        final int speaking,
        final int granted,
        final int fullMixLength,
        final long sequence,
        final long timestamp)
    {
        final int values = room.periodSamples * CHANNELS;
        final int first = speaking == 0 ? 0 : room.mixMinusCursor % speaking;
        int speaker = 0;
        int skipped = 0;
        int skippedDatagrams = 0;
        for (final MixSource member : room.members)
        {
            if (!member.mixMinus)
            {
                continue;
            }
            if (!member.speaks(period))
            {
                sendAll(fullMixOut, fullMixLength, member.targets);
                continue;
            }
            if (Math.floorMod(speaker++ - first, speaking) >= granted)
            {
                skipped++;
                skippedDatagrams += member.targets.length;
                continue;
            }
            clamp(sum, member.slot(period), mix, values);
            sendAll(mixMinusOut, frame(room, member.mixMinusEncoder, mixMinusOut, sequence, timestamp),
                member.targets);
        }
        if (speaking > 0)
        {
            room.mixMinusCursor = (first + granted) % speaking;
        }
        if (skipped > 0)
        {
            room.view.onMixMinusSkipped(skipped);
            output.dropped(ErrorReason.MIXER_BUDGET, skippedDatagrams);
        }
    }

    private static void clamp(final int[] sum, final short[] minus, final short[] out, final int values)
    {
        if (minus == null)
        {
            for (int i = 0; i < values; i++)
            {
                out[i] = (short)Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, sum[i]));
            }
        }
        else
        {
            for (int i = 0; i < values; i++)
            {
                out[i] = (short)Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, sum[i] - minus[i]));
            }
        }
    }

    /**
     * Write one output frame of the room's kind for {@link #mix} into {@code out}: header and PCM payload, or
     * header and the packet of {@code encoder}.
     *
     * @return the frame's length, or -1 when there is nothing to send (no encoder, or it failed).
     */
    private int frame(
        final Room room,
        final MixEncoder encoder,
        final OutFrame out,
        final long sequence,
        final long timestamp)
    {
        final int values = room.periodSamples * CHANNELS;
        final int payloadLength;
        if (room.kind == FrameFlyweight.KIND_PCM)
        {
            out.pcm.put(0, mix, 0, values);
            payloadLength = values << 1;
        }
        else
        {
            if (encoder == null)
            {
                return -1;
            }
            room.view.onEncode();
            payloadLength = encoder.encode(mix, out.bytes, HEADER, maxPayloadBytes);
            if (payloadLength < 0)
            {
                return -1;
            }
        }
        FrameFlyweight.writeHeader(out.header, 0, room.kind, room.outputStreamId, sequence, timestamp);
        return HEADER + payloadLength;
    }

    private void sendAll(final OutFrame frame, final int length, final Endpoint[] targets)
    {
        if (length < 0)
        {
            return;
        }
        for (final Endpoint target : targets)
        {
            output.send(frame.buffer, 0, length, target);
        }
    }
}
