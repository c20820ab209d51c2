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

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the generator end to end over loopback without routes against the {@link EchoRelay}, a plain forwarder
 * that can be told to corrupt, duplicate or drop, to show the verifier catches each fault. Without routes every
 * datagram must arrive whole, as sent. Runs against a real node, with routes made through its API and payload
 * delivery, are in the control module's tests. Runs are short; a run that passes ends as soon as everything has
 * arrived, one that loses datagrams waits out its grace period.
 */
final class PacketGeneratorTest
{
    private static final int STREAMS = 8;
    private static final int PPS = 100;
    private static final double SECONDS = 0.3;
    private static final long EXPECTED = STREAMS * Math.round(PPS * SECONDS);

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    @Test
    void framesThroughAnEchoRelayArriveIntact() throws Exception
    {
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.NONE);

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(EXPECTED, result.sent());
        assertEquals(EXPECTED, result.received());
        assertEquals(EXPECTED, result.delivered());
        assertEquals(0, result.lost());
        assertEquals(EXPECTED, result.latencyNs().getTotalCount());
        assertTrue(result.deliveredPerSecond() > 0);
        assertTrue(result.sentPerSecond() >= result.deliveredPerSecond());
        assertTrue(output().contains("received"), output());
        assertTrue(output().contains("(sinks get whole frames)"), output());
    }

    @Test
    void deliverIsIgnoredWithoutRoutes() throws Exception
    {
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.NONE, "--deliver", "payload");

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(EXPECTED, result.delivered());
    }

    @Test
    void rtpThroughAnEchoRelayArrivesIntact() throws Exception
    {
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.NONE, "--wire", "rtp");

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(EXPECTED, result.delivered());
    }

    @Test
    void paceSpreadsAFractionalTotalRateOverTheStreams() throws Exception
    {
        // 8 streams share 250 packets/s: 31.25 each, 9.375 -> 9 packets per stream in 0.3 s.
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.NONE, "--total-pps", "250");

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(31.25, result.options().ppsPerStream());
        assertEquals(STREAMS * 9, result.sent());
        assertEquals(STREAMS * 9, result.delivered());
    }

    @Test
    void stallAndBurstArrivesIntactAndShowsItsGapsAsInterArrivalTimes() throws Exception
    {
        // Bursts of 3 every 30 ms, 100 pps on average as the other runs: 10 bursts of 3 per stream in 0.3 s.
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.NONE, "--burst", "3", "--stall-ms", "30");

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(EXPECTED, result.sent());
        assertEquals(EXPECTED, result.delivered());
        assertEquals(EXPECTED - STREAMS, result.interArrivalNs().getTotalCount(), "every arrival but a stream's first");
        result.printSummary(printStream(), true);
        assertTrue(output().contains("inter-arrival (ms) of a stream's datagrams at its sink:"), output());
        assertTrue(result.toJson().contains("\"inter_arrival_ms\":{\"count\":" + (EXPECTED - STREAMS)),
            result.toJson());
        assertTrue(result.toJson().contains("\"burst\":3,\"stall_ms\":30,"), result.toJson());
    }

    @Test
    void detectsCorruption() throws Exception
    {
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.CORRUPT, "--grace-ms", "200");

        assertFalse(result.passed());
        assertEquals(EXPECTED / EchoRelay.FAULT_EVERY, result.corrupt());
        assertEquals(result.corrupt(), result.lost(), "a corrupt datagram does not count as delivered");
    }

    @Test
    void detectsDuplicates() throws Exception
    {
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.DUPLICATE);

        assertFalse(result.passed());
        assertEquals(EXPECTED / EchoRelay.FAULT_EVERY, result.duplicates());
        assertEquals(EXPECTED, result.delivered());
    }

    @Test
    void countsLossAgainstTheAllowance() throws Exception
    {
        final GeneratorResult strict = runThroughEcho(EchoRelay.Fault.DROP, "--grace-ms", "200");
        assertFalse(strict.passed());
        assertEquals(EXPECTED / EchoRelay.FAULT_EVERY, strict.lost());

        final GeneratorResult lenient = runThroughEcho(EchoRelay.Fault.DROP,
            "--grace-ms", "200", "--allow-loss-percent", "5");
        assertTrue(lenient.passed(), lenient.failures()::toString);
    }

    @Test
    void failsWhenStrangerTrafficIsForwarded() throws Exception
    {
        final GeneratorResult result = runThroughEcho(EchoRelay.Fault.NONE, "--stranger", "--grace-ms", "200");

        assertFalse(result.passed());
        assertTrue(result.strangerSent() > 0);
        assertEquals(result.strangerSent(), result.leaked(), "the echo relay forwards everything");
        assertEquals(result.leaked(), result.unexpected());
        assertEquals(EXPECTED, result.delivered());
    }

    @Test
    void spreadsStreamsRoundRobinOverSenders()
    {
        final int[][] bySender = PacketGenerator.streamsBySender(7, 3);

        assertArrayEquals(new int[]{ 0, 3, 6 }, bySender[0]);
        assertArrayEquals(new int[]{ 1, 4 }, bySender[1]);
        assertArrayEquals(new int[]{ 2, 5 }, bySender[2]);
    }

    private GeneratorResult runThroughEcho(final EchoRelay.Fault fault, final String... extra) throws Exception
    {
        try (EchoRelay relay = new EchoRelay(0, fault))
        {
            final List<String> args = new ArrayList<>(List.of(
                "--relay", relay.hostPort(), "--no-create-routes", "--senders", "2", "--receivers", "1"));
            // --warmup 0: every datagram's latency is recorded.
            args.addAll(List.of("--streams", Integer.toString(STREAMS), "--duration", Double.toString(SECONDS),
                "--report-interval", "0.1", "--warmup", "0"));
            if (!List.of(extra).contains("--total-pps"))
            {
                args.addAll(List.of("--pps", Integer.toString(PPS)));
            }
            args.addAll(List.of(extra));
            final GeneratorOptions options = LoadgenCommand.options(args.toArray(new String[0]));
            try (PacketGenerator generator = PacketGenerator.open(options, printStream()))
            {
                relay.forwardTo(generator.receiverAddresses().get(0));
                return generator.run();
            }
        }
    }

    private PrintStream printStream()
    {
        return new PrintStream(output, true, StandardCharsets.UTF_8);
    }

    private String output()
    {
        return output.toString(StandardCharsets.UTF_8);
    }
}
