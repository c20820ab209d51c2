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
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Latency counts from the scheduled send time: a sender that is stalled shows the stall as latency for every
 * datagram scheduled during it, instead of sending them late with fresh timestamps (coordinated omission).
 * <p>
 * One stream at 100 packets/s (a datagram due every 10 ms) goes through one sender whose socket send blocks for
 * {@link #STALL_NS} on its {@link #STALLED_SEND}th datagram. Every assertion follows from the schedule and the
 * stall alone, however slow the machine: datagram {@code k} of the stall is due 10k ms after the stalled one, goes
 * out after the stall, so its latency is at least {@code STALL - 10k ms}; the first 11 therefore have at least
 * half the stall. Nothing asserts that anything is fast.
 */
final class LoadgenCoordinatedOmissionTest
{
    private static final long STALL_NS = 200_000_000L;
    private static final long PERIOD_NS = 10_000_000L;
    private static final int STALLED_SEND = 20;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    @Test
    void aStalledSenderShowsTheStallAsLatency() throws Exception
    {
        final StallingTransport transport = new StallingTransport();
        final GeneratorResult result;
        try (EchoRelay relay = new EchoRelay(0, EchoRelay.Fault.NONE))
        {
            final GeneratorOptions options = LoadgenCommand.options("--relay", relay.hostPort(),
                "--no-create-routes", "--streams", "1", "--senders", "1", "--receivers", "1",
                "--pps", Long.toString(1_000_000_000L / PERIOD_NS), "--duration", "0.5", "--report-interval", "0.1",
                "--warmup", "0");
            try (PacketGenerator generator = PacketGenerator.open(options, printStream(), transport))
            {
                relay.forwardTo(generator.receiverAddresses().get(0));
                result = generator.run();
            }
        }

        assertTrue(result.passed(), () -> result.failures() + "\n" + output.toString(StandardCharsets.UTF_8));
        assertEquals(50, result.delivered());

        // Stamped with their schedule, not with the time they finally went out.
        assertTrue(transport.stalledStampNs <= transport.stallStartNs);
        assertTrue(transport.nextStampNs < transport.stallEndNs);
        assertTrue(transport.stallEndNs - transport.stallStartNs >= STALL_NS);

        final Histogram latencyNs = result.latencyNs();
        assertTrue(latencyNs.getMaxValue() >= STALL_NS, "max " + latencyNs.getMaxValue());
        // 1% below half the stall: HdrHistogram buckets with 3 significant digits cannot push a value under it.
        final long halfStallNs = (long)(STALL_NS / 2 * 0.99);
        final long delayed = latencyNs.getCountBetweenValues(halfStallNs, latencyNs.getMaxValue());
        assertTrue(delayed >= 1 + (STALL_NS / 2) / PERIOD_NS, "datagrams delayed by half the stall: " + delayed);
    }

    @Test
    void unlimitedRateStampsTheActualSendTime() throws Exception
    {
        final StallingTransport transport = new StallingTransport();
        try (EchoRelay relay = new EchoRelay(0, EchoRelay.Fault.NONE))
        {
            // The relay forwards nothing: only what the sender stamps matters here.
            final GeneratorOptions options = LoadgenCommand.options("--relay", relay.hostPort(),
                "--no-create-routes", "--streams", "1", "--senders", "1", "--receivers", "1", "--rate-unlimited",
                "--duration", "1", "--grace-ms", "0", "--report-interval", "0.1");
            try (PacketGenerator generator = PacketGenerator.open(options, printStream(), transport))
            {
                generator.run();
            }
        }

        assertTrue(transport.sends > STALLED_SEND + 1, "the run went on after the stall: " + transport.sends + " sends");
        assertTrue(transport.nextStampNs >= transport.stallEndNs, "no schedule: the stamp is taken at the send");
    }

    private PrintStream printStream()
    {
        return new PrintStream(output, true, StandardCharsets.UTF_8);
    }

    /**
     * Sends through the channel, but blocks the {@link #STALLED_SEND}th send for {@link #STALL_NS}: the injected
     * fault, standing for a descheduled thread or a full socket buffer. Used by the one sender thread only; the
     * test reads the fields after the generator has joined that thread.
     */
    private static final class StallingTransport implements Sender.Transport
    {
        private int sends;
        private long stalledStampNs;
        private long nextStampNs;
        private long stallStartNs;
        private long stallEndNs;

        public void send(final DatagramChannel from, final ByteBuffer datagram, final InetSocketAddress to)
            throws IOException
        {
            final long stampNs = PayloadPattern.sendTimeNs(datagram, FrameFlyweight.HEADER_LENGTH);
            sends++;
            if (sends == STALLED_SEND)
            {
                stalledStampNs = stampNs;
                stallStartNs = System.nanoTime();
                long remainingNs;
                while ((remainingNs = stallStartNs + STALL_NS - System.nanoTime()) > 0)
                {
                    LockSupport.parkNanos(remainingNs);
                }
                stallEndNs = System.nanoTime();
            }
            else if (sends == STALLED_SEND + 1)
            {
                nextStampNs = stampNs;
            }
            from.send(datagram, to);
        }
    }
}
