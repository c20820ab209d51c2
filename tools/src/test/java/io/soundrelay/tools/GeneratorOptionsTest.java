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

import io.soundrelay.tools.GeneratorOptions.Deliver;
import io.soundrelay.tools.GeneratorOptions.Mode;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class GeneratorOptionsTest
{
    @Test
    void defaultsMatchTheDocumentedOnes()
    {
        final GeneratorOptions options = GeneratorOptions.parse();

        assertEquals("http://127.0.0.1:4300", options.api().toString());
        assertNull(options.apiKey());
        assertEquals(new InetSocketAddress("127.0.0.1", 4000), options.relay());
        assertEquals(100, options.streams());
        assertEquals(50, options.pps());
        assertEquals(5.0, options.seconds());
        assertEquals(160, options.payloadBytes());
        assertEquals(Deliver.PAYLOAD, options.deliver());
        assertEquals(Mode.FRAMES, options.mode());
        assertEquals(1000, options.firstStreamId());
        assertTrue(options.createRoutes());
        assertFalse(options.rateUnlimited());
        assertFalse(options.stranger());
        assertEquals(1.0, options.reportIntervalSeconds());
        assertEquals(0.0, options.allowLossPercent());
        assertEquals(250, options.packetsPerStream());
    }

    @Test
    void parsesEveryOption()
    {
        final GeneratorOptions options = GeneratorOptions.parse(
            "--api", "http://10.0.0.1:8080", "--api-key", "secret", "--relay", "[::1]:4001",
            "--bind-host", "127.0.0.1", "--streams", "7", "--pps", "20", "--seconds", "0.5",
            "--payload-bytes", "1488", "--deliver", "framed", "--mode", "RTP", "--first-stream-id", "9",
            "--create-routes", "false", "--senders", "3", "--receivers", "4", "--rate-unlimited", "true",
            "--report-interval", "0.25", "--allow-loss-percent", "1.5", "--stranger", "true", "--grace-ms", "10");

        assertEquals("http://10.0.0.1:8080", options.api().toString());
        assertEquals("secret", options.apiKey());
        assertEquals(4001, options.relay().getPort());
        assertTrue(options.relay().getAddress().isLoopbackAddress());
        assertEquals(7, options.streams());
        assertEquals(20, options.pps());
        assertEquals(0.5, options.seconds());
        assertEquals(1488, options.payloadBytes());
        assertEquals(Deliver.FRAMED, options.deliver());
        assertEquals(Mode.RTP, options.mode());
        assertEquals(9, options.firstStreamId());
        assertFalse(options.createRoutes());
        assertEquals(3, options.senders());
        assertEquals(4, options.receivers());
        assertTrue(options.rateUnlimited());
        assertEquals(0.25, options.reportIntervalSeconds());
        assertEquals(1.5, options.allowLossPercent());
        assertTrue(options.stranger());
        assertEquals(10, options.graceMs());
        assertEquals(10, options.packetsPerStream());
        assertEquals(9 + 2 * 7 - 1, options.lastStreamId());
    }

    @Test
    void booleanOptionWithoutValueMeansTrue()
    {
        final GeneratorOptions options = GeneratorOptions.parse("--rate-unlimited", "--stranger", "--streams", "3");

        assertTrue(options.rateUnlimited());
        assertTrue(options.stranger());
        assertEquals(3, options.streams());
        assertTrue(GeneratorOptions.parse("--rate-unlimited").rateUnlimited());
    }

    @Test
    void refusesBadValuesNamingTheOption()
    {
        assertMessage("--pps=abc: not an integer", "--pps", "abc");
        assertMessage("--streams=0: must be between 1 and 1000000", "--streams", "0");
        assertMessage("--deliver=raw: expected payload or framed", "--deliver", "raw");
        assertMessage("--create-routes=yes: expected true or false", "--create-routes", "yes");
        assertMessage("--relay=localhost: expected host:port", "--relay", "localhost");
        assertMessage("--relay=127.0.0.1:70000: port must be 1-65535", "--relay", "127.0.0.1:70000");
        assertMessage("--api=ftp://x: expected http://host:port", "--api", "ftp://x");
        assertMessage("--bind-host=0.0.0.0: must be a concrete address, not a wildcard", "--bind-host", "0.0.0.0");
        assertMessage("--payload-bytes=23: must be between 24 and 1500", "--payload-bytes", "23");
        assertMessage("--frobnicate: unknown option", "--frobnicate", "1");
        assertMessage("--pps: missing value", "--pps");
        assertMessage("pps: expected an option --name", "pps", "5");
    }

    @Test
    void checksTheDatagramFitsItsMode()
    {
        assertEquals(1480, GeneratorOptions.parse("--payload-bytes", "1480").payloadBytes());
        assertMessage("--payload-bytes=1481: with the 20-byte frames header the datagram exceeds 1500 bytes",
            "--payload-bytes", "1481");
        assertEquals(1488, GeneratorOptions.parse("--mode", "rtp", "--payload-bytes", "1488").payloadBytes());
    }

    @Test
    void rtpStreamIdsMustFitTheSsrc()
    {
        final String last = Long.toString(0xFFFF_FFFFL - 9);
        assertEquals(0xFFFF_FFFFL, GeneratorOptions.parse("--mode", "rtp", "--streams", "10",
            "--first-stream-id", last).lastStreamId());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> GeneratorOptions.parse("--mode", "rtp", "--streams", "10", "--first-stream-id", last,
                "--stranger", "true"));
        assertTrue(ex.getMessage().startsWith("--first-stream-id=" + last + ": in rtp mode"), ex.getMessage());
    }

    @Test
    void recognisesHelp()
    {
        assertTrue(GeneratorOptions.isHelp("--streams", "3", "--help"));
        assertTrue(GeneratorOptions.isHelp("-h"));
        assertFalse(GeneratorOptions.isHelp("--streams", "3"));
        assertTrue(GeneratorOptions.usage().contains("--allow-loss-percent"));
    }

    private static void assertMessage(final String message, final String... args)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> GeneratorOptions.parse(args));
        assertEquals(message, ex.getMessage());
    }
}
