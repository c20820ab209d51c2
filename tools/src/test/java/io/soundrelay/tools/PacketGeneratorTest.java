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
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the generator end to end over loopback against the {@link EchoRelay}, which can be told to corrupt,
 * duplicate or drop, to show the verifier catches each fault. Runs against a real node, with routes made through
 * its API, are in the control module's tests. Runs are short; a run that passes ends as soon as everything
 * has arrived, one that loses datagrams waits out its grace period.
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
        final GeneratorResult result = runThroughEcho(20, EchoRelay.Fault.NONE);

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(EXPECTED, result.sent());
        assertEquals(EXPECTED, result.received());
        assertEquals(EXPECTED, result.delivered());
        assertEquals(0, result.lost());
        assertEquals(EXPECTED, result.latencyNs().getTotalCount());
        assertTrue(result.deliveredPerSecond() > 0);
        assertTrue(output().contains("sent/s"), output());
    }

    @Test
    void framedDeliveryThroughAnEchoRelayArrivesIntact() throws Exception
    {
        final GeneratorResult result = runThroughEcho(0, EchoRelay.Fault.NONE, "--deliver", "framed");

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(EXPECTED, result.delivered());
    }

    @Test
    void rtpThroughAnEchoRelayArrivesIntact() throws Exception
    {
        final GeneratorResult result = runThroughEcho(0, EchoRelay.Fault.NONE, "--mode", "rtp");

        assertTrue(result.passed(), result.failures()::toString);
        assertEquals(EXPECTED, result.delivered());
    }

    @Test
    void detectsCorruption() throws Exception
    {
        final GeneratorResult result = runThroughEcho(20, EchoRelay.Fault.CORRUPT, "--grace-ms", "200");

        assertFalse(result.passed());
        assertEquals(EXPECTED / EchoRelay.FAULT_EVERY, result.corrupt());
        assertEquals(result.corrupt(), result.lost(), "a corrupt datagram does not count as delivered");
    }

    @Test
    void detectsDuplicates() throws Exception
    {
        final GeneratorResult result = runThroughEcho(20, EchoRelay.Fault.DUPLICATE);

        assertFalse(result.passed());
        assertEquals(EXPECTED / EchoRelay.FAULT_EVERY, result.duplicates());
        assertEquals(EXPECTED, result.delivered());
    }

    @Test
    void countsLossAgainstTheAllowance() throws Exception
    {
        final GeneratorResult strict = runThroughEcho(20, EchoRelay.Fault.DROP, "--grace-ms", "200");
        assertFalse(strict.passed());
        assertEquals(EXPECTED / EchoRelay.FAULT_EVERY, strict.lost());

        final GeneratorResult lenient = runThroughEcho(20, EchoRelay.Fault.DROP,
            "--grace-ms", "200", "--allow-loss-percent", "5");
        assertTrue(lenient.passed(), lenient.failures()::toString);
    }

    @Test
    void failsWhenStrangerTrafficIsForwarded() throws Exception
    {
        final GeneratorResult result = runThroughEcho(20, EchoRelay.Fault.NONE,
            "--stranger", "true", "--grace-ms", "200");

        assertFalse(result.passed());
        assertTrue(result.strangerSent() > 0);
        assertEquals(result.strangerSent(), result.leaked(), "the echo relay forwards everything");
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

    private GeneratorResult runThroughEcho(final int stripBytes, final EchoRelay.Fault fault, final String... extra)
        throws Exception
    {
        try (EchoRelay relay = new EchoRelay(stripBytes, fault))
        {
            final List<String> args = new ArrayList<>(List.of(
                "--relay", relay.hostPort(), "--create-routes", "false", "--senders", "2", "--receivers", "1"));
            args.addAll(traffic());
            args.addAll(List.of(extra));
            try (PacketGenerator generator = PacketGenerator.open(options(args), printStream()))
            {
                relay.forwardTo(generator.receiverAddresses().get(0));
                return generator.run();
            }
        }
    }

    private static List<String> traffic()
    {
        return List.of("--streams", Integer.toString(STREAMS), "--pps", Integer.toString(PPS),
            "--seconds", Double.toString(SECONDS), "--report-interval", "0.1");
    }

    private static GeneratorOptions options(final List<String> args)
    {
        return GeneratorOptions.parse(args.toArray(new String[0]));
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
