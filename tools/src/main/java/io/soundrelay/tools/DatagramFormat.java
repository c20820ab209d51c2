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
package io.soundrelay.tools;

import io.soundrelay.protocol.FrameFlyweight;
import io.soundrelay.protocol.RtpFlyweight;

import java.nio.ByteBuffer;

/**
 * How one run's datagrams look: what a sender puts on the wire to the relay, and what a receiver must get back from
 * it. Holds flyweights, so each thread uses its own instance.
 * <ul>
 *   <li>sr, deliver payload: sends a 20-byte frame header + payload, receives the payload alone;</li>
 *   <li>sr, deliver framed (or no routes: a plain forwarder): sends and receives the whole frame;</li>
 *   <li>rtp: sends and receives the whole RTP packet (a relay never rewrites RTP), SSRC = stream id.</li>
 * </ul>
 * The payload is a {@link PayloadPattern}; frame and RTP sequence and timestamp derive from its sequence.
 */
final class DatagramFormat
{
    /** 48 kHz timestamp step per frame: 20 ms. */
    static final int SAMPLES_PER_FRAME = 960;

    private final GeneratorOptions.Wire wire;
    private final GeneratorOptions.Deliver deliver;
    private final int payloadBytes;
    private final byte checkedFlags;
    private final FrameFlyweight frame = new FrameFlyweight();
    private final RtpFlyweight rtp = new RtpFlyweight();

    /**
     * @param deliver what a sink gets of a SoundRelay frame; ignored for RTP, which always arrives whole.
     */
    DatagramFormat(final GeneratorOptions.Wire wire, final GeneratorOptions.Deliver deliver, final int payloadBytes)
    {
        this(wire, deliver, payloadBytes, (byte)0xFF);
    }

    private DatagramFormat(
        final GeneratorOptions.Wire wire,
        final GeneratorOptions.Deliver deliver,
        final int payloadBytes,
        final byte checkedFlags)
    {
        this.wire = wire;
        this.deliver = deliver;
        this.payloadBytes = payloadBytes;
        this.checkedFlags = checkedFlags;
    }

    static DatagramFormat of(final GeneratorOptions options)
    {
        return new DatagramFormat(options.wire(), options.sinkDelivery(), options.payloadBytes());
    }

    /**
     * @return the same format, except that a whole frame received may carry the HOP flag: the stream's old node
     * forwarded it to the new one during a migration (PROTOCOL.md section 7), and the new node delivered it.
     */
    DatagramFormat acceptingHop()
    {
        return new DatagramFormat(wire, deliver, payloadBytes, (byte)~FrameFlyweight.HOP_FLAG);
    }

    /**
     * @return bytes before the payload in a datagram sent to the relay.
     */
    int sentHeaderLength()
    {
        return wire == GeneratorOptions.Wire.RTP ? RtpFlyweight.HEADER_LENGTH : FrameFlyweight.HEADER_LENGTH;
    }

    /**
     * @return bytes before the payload in a datagram a receiver gets.
     */
    int receivedPayloadOffset()
    {
        return wire == GeneratorOptions.Wire.SR && deliver == GeneratorOptions.Deliver.PAYLOAD ?
            0 : sentHeaderLength();
    }

    int sentLength()
    {
        return sentHeaderLength() + payloadBytes;
    }

    int receivedLength()
    {
        return receivedPayloadOffset() + payloadBytes;
    }

    /**
     * Encode the datagram for (streamId, sequence) at position 0 of the buffer, which must be big-endian.
     *
     * @param sequence   the generator's sequence, {@link PayloadPattern#FORBIDDEN_FLAG} included.
     * @param sendTimeNs the time latency is measured from, on the {@link System#nanoTime()} clock.
     * @return the datagram's length.
     */
    int encode(final ByteBuffer buffer, final long streamId, final long sequence, final long sendTimeNs)
    {
        final int timestamp = (int)(sequence * SAMPLES_PER_FRAME);
        if (wire == GeneratorOptions.Wire.RTP)
        {
            rtp.wrap(buffer, 0).header(RtpFlyweight.DISCORD_PAYLOAD_TYPE, (int)sequence, timestamp, streamId);
        }
        else
        {
            frame.wrap(buffer, 0).header(FrameFlyweight.KIND_OPAQUE, streamId, sequence, timestamp);
        }
        PayloadPattern.write(buffer, sentHeaderLength(), payloadBytes, streamId, sequence, sendTimeNs);
        return sentLength();
    }

    /**
     * @param length bytes received, from position 0 of the big-endian buffer.
     * @return true when the datagram is byte for byte what the generator sent for the stream id and sequence in
     * its payload, less what the relay must strip. The payload then starts at {@link #receivedPayloadOffset()}.
     * A whole frame's flags must be opaque, and nothing else unless the format {@link #acceptingHop() accepts HOP}.
     */
    boolean verify(final ByteBuffer buffer, final int length)
    {
        if (length != receivedLength())
        {
            return false;
        }

        final int payloadOffset = receivedPayloadOffset();
        if (!PayloadPattern.verify(buffer, payloadOffset, payloadBytes))
        {
            return false;
        }

        final long streamId = PayloadPattern.streamId(buffer, payloadOffset);
        final long sequence = PayloadPattern.sequence(buffer, payloadOffset);
        final long timestamp = (sequence * SAMPLES_PER_FRAME) & 0xFFFF_FFFFL;
        if (wire == GeneratorOptions.Wire.RTP)
        {
            rtp.wrap(buffer, 0);
            return rtp.flags() == RtpFlyweight.VERSION_2_FLAGS &&
                !rtp.marker() && rtp.payloadType() == RtpFlyweight.DISCORD_PAYLOAD_TYPE &&
                rtp.sequence() == (sequence & 0xFFFF) &&
                rtp.timestamp() == timestamp &&
                rtp.ssrc() == streamId;
        }
        if (deliver == GeneratorOptions.Deliver.FRAMED)
        {
            frame.wrap(buffer, 0);
            return frame.isValidHeader(length) &&
                (frame.flags() & checkedFlags) == FrameFlyweight.KIND_OPAQUE &&
                frame.streamId() == streamId &&
                frame.sequence() == (sequence & 0xFFFF_FFFFL) &&
                frame.timestamp() == timestamp;
        }
        return true;
    }
}
