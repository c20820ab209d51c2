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
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stall-and-burst schedule (--burst, --stall-ms, --burst-aligned): which frame of which stream is due when,
 * read from {@link Sender#scheduledNs(long, int)}, and the order the frames leave in, from a sender whose whole
 * schedule is already past (every frame overdue, so it sends at once, in schedule order) through a transport that
 * records instead of sending. No clock is waited on.
 */
final class SenderBurstTest
{
    private static final long START_NS = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    @Test
    void everyFrameOfABurstIsDueWhenTheBurstIs()
    {
        // 4 streams, 15 frames every 300 ms, staggered by 300 / 4 = 75 ms.
        final GeneratorOptions options = LoadgenCommand.options(
            "--streams", "4", "--burst", "15", "--stall-ms", "300", "--duration", "3");
        final Sender sender = sender(options, new int[]{ 0, 1, 2, 3 }, START_NS, null);

        for (int frame = 0; frame < 15; frame++)
        {
            assertEquals(START_NS, sender.scheduledNs(frame, 0), "frame " + frame + " of stream 0");
            assertEquals(START_NS + 75 * MS, sender.scheduledNs(frame, 1), "frame " + frame + " of stream 1");
            assertEquals(START_NS + 225 * MS, sender.scheduledNs(frame, 3), "frame " + frame + " of stream 3");
        }
        assertEquals(START_NS + 300 * MS, sender.scheduledNs(15, 0), "the second burst, a stall later");
        assertEquals(START_NS + 300 * MS, sender.scheduledNs(29, 0));
        assertEquals(START_NS + 600 * MS, sender.scheduledNs(30, 0));
        assertEquals(START_NS + 375 * MS, sender.scheduledNs(15, 1));
        assertEquals(START_NS + 2700 * MS + 150 * MS, sender.scheduledNs(149, 2), "the tenth and last burst");
    }

    @Test
    void alignedStreamsBurstTogether()
    {
        final GeneratorOptions options = LoadgenCommand.options(
            "--streams", "4", "--burst", "15", "--stall-ms", "300", "--burst-aligned");
        final Sender sender = sender(options, new int[]{ 1, 3 }, START_NS, null);

        assertEquals(START_NS, sender.scheduledNs(0, 0));
        assertEquals(START_NS, sender.scheduledNs(14, 1));
        assertEquals(START_NS + 300 * MS, sender.scheduledNs(15, 0));
        assertEquals(START_NS + 300 * MS, sender.scheduledNs(15, 1));
    }

    @Test
    void evenlySpacedSendingIsUnchangedWithoutBursts()
    {
        // 50 pps: a frame every 20 ms, the 4 streams 5 ms apart.
        final GeneratorOptions options = LoadgenCommand.options("--streams", "4", "--pps", "50");
        final Sender sender = sender(options, new int[]{ 0, 1, 2, 3 }, START_NS, null);

        assertEquals(START_NS, sender.scheduledNs(0, 0));
        assertEquals(START_NS + 20 * MS, sender.scheduledNs(1, 0));
        assertEquals(START_NS + 5 * MS, sender.scheduledNs(0, 1));
        assertEquals(START_NS + 20 * MS * 7 + 15 * MS, sender.scheduledNs(7, 3));
    }

    @Test
    void aStreamsBurstLeavesBackToBackWithSequencesAndTimestampsGoingOn()
    {
        // 2 streams, bursts of 3 every 60 ms for 0.2 s: 10 frames each, bursts of 3, 3, 3 and 1.
        final GeneratorOptions options = LoadgenCommand.options(
            "--streams", "2", "--burst", "3", "--stall-ms", "60", "--duration", "0.2", "--no-create-routes");
        assertEquals(10, options.packetsPerStream());
        final List<long[]> sent = new ArrayList<>();
        // The whole schedule lies in the past: every frame is overdue and leaves at once, in schedule order.
        final long startNs = System.nanoTime() - 3_600_000 * MS;
        final SendCounters counters = new SendCounters(2);
        final Sender sender = sender(options, new int[]{ 0, 1 }, startNs, (from, datagram, to) ->
        {
            final FrameFlyweight frame = new FrameFlyweight().wrap(datagram, 0);
            sent.add(new long[]{ frame.streamId(), frame.sequence(), frame.timestamp(),
                PayloadPattern.sendTimeNs(datagram, FrameFlyweight.HEADER_LENGTH) });
        }, counters);

        sender.run();

        assertEquals(20, sent.size());
        assertEquals(10, counters.sentPerStream[0]);
        assertEquals(10, counters.sentPerStream[1]);
        final long[][] expected = {
            // stream, sequence, timestamp, scheduled send time (ms after start)
            { 1000, 0, 0, 0 }, { 1000, 1, 960, 0 }, { 1000, 2, 1920, 0 },
            { 1001, 0, 0, 30 }, { 1001, 1, 960, 30 }, { 1001, 2, 1920, 30 },
            { 1000, 3, 2880, 60 }, { 1000, 4, 3840, 60 }, { 1000, 5, 4800, 60 },
            { 1001, 3, 2880, 90 }, { 1001, 4, 3840, 90 }, { 1001, 5, 4800, 90 },
            { 1000, 6, 5760, 120 }, { 1000, 7, 6720, 120 }, { 1000, 8, 7680, 120 },
            { 1001, 6, 5760, 150 }, { 1001, 7, 6720, 150 }, { 1001, 8, 7680, 150 },
            { 1000, 9, 8640, 180 },
            { 1001, 9, 8640, 210 } };
        for (int i = 0; i < expected.length; i++)
        {
            final long[] actual = sent.get(i);
            assertEquals(expected[i][0], actual[0], "stream of datagram " + i);
            assertEquals(expected[i][1], actual[1], "sequence of datagram " + i);
            assertEquals(expected[i][2], actual[2], "timestamp of datagram " + i);
            assertEquals(startNs + expected[i][3] * MS, actual[3], "send time of datagram " + i);
        }
    }

    private static Sender sender(
        final GeneratorOptions options, final int[] streams, final long startNs, final Sender.Transport transport)
    {
        return sender(options, streams, startNs, transport, new SendCounters(options.streams()));
    }

    private static Sender sender(
        final GeneratorOptions options,
        final int[] streams,
        final long startNs,
        final Sender.Transport transport,
        final SendCounters counters)
    {
        return new Sender(null, null, null == transport ? Sender.Transport.CHANNEL : transport, options, streams,
            counters, startNs);
    }
}
