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
import io.soundrelay.tools.GeneratorOptions.Wire;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The validated value behind {@code loadgen}: defaults, every option through the command line, and the rules
 * {@link LoadgenOptions#build()} enforces, each refusal naming its option.
 */
final class GeneratorOptionsTest
{
    @Test
    void defaultsMatchTheDocumentedOnes()
    {
        final GeneratorOptions options = GeneratorOptions.builder().build();

        assertEquals("http://127.0.0.1:4300", options.api().toString());
        assertNull(options.apiKey());
        assertEquals(new InetSocketAddress("127.0.0.1", 4000), options.relay());
        assertEquals("127.0.0.1", options.bindHost());
        assertEquals(100, options.streams());
        assertEquals(50.0, options.ppsPerStream());
        assertEquals(5.0, options.durationSeconds());
        assertEquals(160, options.payloadBytes());
        assertEquals(Deliver.PAYLOAD, options.deliver());
        assertEquals(Wire.SR, options.wire());
        assertEquals(1000, options.firstStreamId());
        assertTrue(options.createRoutes());
        assertEquals(2, options.senders());
        assertEquals(2, options.receivers());
        assertEquals(0, options.sourcePort());
        assertEquals(0, options.sinkPort(0));
        assertFalse(options.rateUnlimited());
        assertFalse(options.stranger());
        assertEquals(1.0, options.reportIntervalSeconds());
        assertEquals(0.0, options.allowLossPercent());
        assertEquals(1000, options.graceMs());
        assertEquals(1.0, options.warmupSeconds(), "a fifth of the default 5 s run");
        assertEquals(250, options.packetsPerStream());
        assertFalse(options.socketPerStream());
        assertFalse(options.returnPath());
        assertEquals(0, options.relayPortBase());
        assertFalse(options.echo());
        assertEquals(2, options.sourceSockets());
    }

    @Test
    void aReturnPathMeansASocketPerStreamAndWholeDatagramsAtTheSinks()
    {
        final GeneratorOptions shared = LoadgenCommand.options("--socket-per-stream", "--streams", "10");
        assertTrue(shared.socketPerStream());
        assertFalse(shared.returnPath());
        assertEquals(10, shared.sourceSockets());
        assertEquals(Deliver.PAYLOAD, shared.sinkDelivery(), "the main port still delivers as the route says");
        assertTrue(shared.toString().contains("127.0.0.1:4000, 2 senders with a socket per stream"), shared::toString);

        final GeneratorOptions ports = LoadgenCommand.options("--return-path", "--echo", "--streams", "10");
        assertTrue(ports.socketPerStream());
        assertTrue(ports.returnPath());
        assertTrue(ports.echo());
        assertEquals(Deliver.FRAMED, ports.sinkDelivery(), "a relay port forwards byte for byte");
        assertTrue(ports.toString().contains("-> 127.0.0.1:<each route's relay_port>"), ports::toString);
        assertTrue(ports.toString().contains("routes with a return path via"), ports::toString);
        assertTrue(ports.toString().contains("sinks echo"), ports::toString);

        final GeneratorOptions base = LoadgenCommand.options("--return-path", "--no-create-routes",
            "--relay-port-base", "30000", "--streams", "10", "--source-port", "31000");
        assertEquals(30000, base.relayPortBase());
        assertTrue(base.toString().contains("-> 127.0.0.1:30000-30009"), base::toString);
        assertTrue(base.toString().contains("on ports 31000-31009"), base::toString);
    }

    @Test
    void refusesBadCombinationsOfTheReturnPathOptions()
    {
        assertMessage("--echo=true: needs a socket per stream (--socket-per-stream or --return-path): a datagram " +
            "that comes back is checked on its stream's own socket", "--echo");
        assertMessage("--relay-port-base=30000: needs --return-path", "--relay-port-base", "30000");
        assertMessage("--relay-port-base=30000: only without routes (--no-create-routes): with routes each " +
            "stream's relay port is the one the node's answer names", "--return-path", "--relay-port-base", "30000");
        assertMessage("--return-path=true: without routes (--no-create-routes) needs --relay-port-base P: stream i " +
            "then sends to port P+i of --relay's host", "--return-path", "--no-create-routes");
        assertMessage("--relay-port-base=70000: must be between 0 and 65535", "--relay-port-base", "70000");
        assertMessage("--streams=20000: with a socket per stream at most 16384", "--socket-per-stream",
            "--streams", "20000");
        assertMessage("--source-port=65530: the 100 streams' sockets would need ports up to 65629",
            "--socket-per-stream", "--source-port", "65530");
        assertMessage("--source-port=5000: the streams' sockets' ports 5000-5099 overlap --sink-ports (5050)",
            "--socket-per-stream", "--source-port", "5000", "--sink-ports", "5050");
    }

    @Test
    void theDefaultWarmupIsTwoSecondsAndAtMostAFifthOfAShortRun()
    {
        assertEquals(2.0, LoadgenCommand.options("--duration", "60").warmupSeconds());
        assertEquals(2.0, LoadgenCommand.options("--duration", "10").warmupSeconds());
        assertEquals(0.2, LoadgenCommand.options("--duration", "1").warmupSeconds());
        assertEquals(0.08, LoadgenCommand.options("--duration", "0.4").warmupSeconds());
        assertEquals(0.0, LoadgenCommand.options("--duration", "0.001").warmupSeconds(), "under a millisecond");
        assertTrue(LoadgenCommand.options("--duration", "10").toString()
            .contains("for 10.0 s (warm-up: the first 2 s, not measured), "));

        assertEquals(0.0, LoadgenCommand.options("--duration", "60", "--warmup", "0").warmupSeconds());
        assertFalse(LoadgenCommand.options("--warmup", "0").toString().contains("warm-up"));
        assertEquals(5.0, LoadgenCommand.options("--duration", "60", "--warmup", "5").warmupSeconds());
        assertEquals(0.0, GeneratorOptions.builder().warmupSeconds(0).build().warmupSeconds());
    }

    @Test
    void anExplicitWarmupMustBeShorterThanTheRun()
    {
        assertMessage("--warmup=5: must be shorter than --duration=5", "--warmup", "5");
        assertMessage("--warmup=0.4: must be shorter than --duration=0.4", "--duration", "0.4", "--warmup", "0.4");
        assertMessage("--warmup=-1: must be between 0 and 86400", "--warmup", "-1");
    }

    @Test
    void theCommandLineDefaultsAreTheSame()
    {
        final GeneratorOptions fromCommand = LoadgenCommand.options();

        assertEquals(GeneratorOptions.builder().build().toString(), fromCommand.toString());
        assertEquals(50.0, fromCommand.ppsPerStream());
        assertEquals(2, fromCommand.receivers());
    }

    @Test
    void parsesEveryOption()
    {
        final GeneratorOptions options = LoadgenCommand.options(
            "--api", "http://10.0.0.1:8080", "--api-key", "secret", "--relay", "[::1]:4001",
            "--bind-host", "127.0.0.1", "--streams", "7", "--pps", "20", "--duration", "0.5",
            "--payload-bytes", "1488", "--deliver", "framed", "--wire", "RTP", "--first-stream-id", "9",
            "--no-create-routes", "--senders", "3", "--source-port", "40000", "--sink-ports", "41000-41003",
            "--rate-unlimited", "--report-interval", "0.25", "--allow-loss-percent", "1.5", "--stranger",
            "--grace-ms", "10");

        assertEquals("http://10.0.0.1:8080", options.api().toString());
        assertEquals("secret", options.apiKey());
        assertEquals(4001, options.relay().getPort());
        assertTrue(options.relay().getAddress().isLoopbackAddress());
        assertEquals(7, options.streams());
        assertEquals(20.0, options.ppsPerStream());
        assertEquals(0.5, options.durationSeconds());
        assertEquals(1488, options.payloadBytes());
        assertEquals(Deliver.FRAMED, options.deliver());
        assertEquals(Wire.RTP, options.wire());
        assertEquals(9, options.firstStreamId());
        assertFalse(options.createRoutes());
        assertEquals(3, options.senders());
        assertEquals(40000, options.sourcePort());
        assertEquals(4, options.receivers());
        assertEquals(41003, options.sinkPort(3));
        assertTrue(options.rateUnlimited());
        assertEquals(0.25, options.reportIntervalSeconds());
        assertEquals(1.5, options.allowLossPercent());
        assertTrue(options.stranger());
        assertEquals(10, options.graceMs());
        assertEquals(10, options.packetsPerStream());
        assertEquals(9 + 2 * 7 - 1, options.lastStreamId());
    }

    @Test
    void createRoutesIsNegatable()
    {
        assertTrue(LoadgenCommand.options().createRoutes());
        assertTrue(LoadgenCommand.options("--create-routes").createRoutes());
        assertFalse(LoadgenCommand.options("--no-create-routes").createRoutes());
    }

    @Test
    void withoutRoutesTheSinksGetWholeDatagrams()
    {
        assertEquals(Deliver.PAYLOAD, LoadgenCommand.options().sinkDelivery());
        assertEquals(Deliver.FRAMED, LoadgenCommand.options("--deliver", "framed").sinkDelivery());
        assertEquals(Deliver.FRAMED, LoadgenCommand.options("--no-create-routes").sinkDelivery());
    }

    @Test
    void aTotalRateIsSharedByTheStreamsAndMayBeFractional()
    {
        final GeneratorOptions options = LoadgenCommand.options("--streams", "3", "--total-pps", "100",
            "--duration", "1.5");

        assertEquals(100.0 / 3, options.ppsPerStream(), 1e-9);
        assertEquals(50, options.packetsPerStream());
        assertEquals(12.5, LoadgenCommand.options("--pps", "12.5").ppsPerStream());
        assertEquals(1, LoadgenCommand.options("--streams", "1000", "--total-pps", "10", "--duration", "1")
            .packetsPerStream(), "a stream sends at least one packet");
    }

    @Test
    void paceMsIsLeftOutOfTheRoutesUnlessGiven()
    {
        assertEquals(GeneratorOptions.PACE_MS_NOT_SENT, GeneratorOptions.builder().build().paceMs());
        assertEquals(GeneratorOptions.PACE_MS_NOT_SENT, LoadgenCommand.options().paceMs());
        assertEquals(0, LoadgenCommand.options("--pace-ms", "0").paceMs(), "0 is sent: pacing off on the route");
        assertEquals(500, LoadgenCommand.options("--pace-ms=500").paceMs());
        assertEquals(2000, LoadgenCommand.options("--pace-ms", "2000").paceMs());
        assertTrue(LoadgenCommand.options("--pace-ms", "500").toString().contains(", pace_ms 500"));
        assertFalse(LoadgenCommand.options().toString().contains("pace_ms"));
    }

    @Test
    void theRoutesCarryPaceMsOnlyWhenGiven()
    {
        final InetSocketAddress source = new InetSocketAddress("127.0.0.1", 5000);
        final List<InetSocketAddress> targets = List.of(new InetSocketAddress("127.0.0.1", 6000));
        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:5000\",\"target_addrs\":[\"127.0.0.1:6000\"]," +
            "\"deliver\":\"framed\",\"pace_ms\":500}",
            RouteClient.routeJson(7, source, targets, Deliver.FRAMED, null, false, false, 500,
                GeneratorOptions.JITTER_MS_NOT_SENT));
        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:5000\",\"target_addrs\":[\"127.0.0.1:6000\"]," +
            "\"deliver\":\"framed\",\"return_path\":true,\"pace_ms\":0}",
            RouteClient.routeJson(7, source, targets, Deliver.FRAMED, null, false, true, 0,
                GeneratorOptions.JITTER_MS_NOT_SENT));
        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:5000\",\"target_addrs\":[\"127.0.0.1:6000\"]," +
            "\"deliver\":\"framed\"}", RouteClient.routeJson(7, source, targets, Deliver.FRAMED, null, false, false,
            GeneratorOptions.PACE_MS_NOT_SENT, GeneratorOptions.JITTER_MS_NOT_SENT));
    }

    @Test
    void jitterMsIsLeftOutOfTheRoutesUnlessGiven()
    {
        assertEquals(GeneratorOptions.JITTER_MS_NOT_SENT, LoadgenCommand.options().jitterMs());
        assertEquals(40, LoadgenCommand.options("--jitter-ms", "40").jitterMs());
        assertTrue(LoadgenCommand.options("--pace-ms", "500", "--jitter-ms", "40").toString()
            .contains(", pace_ms 500, jitter_ms 40"));
        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:5000\",\"target_addrs\":[\"127.0.0.1:6000\"]," +
            "\"deliver\":\"framed\",\"pace_ms\":500,\"jitter_ms\":40}",
            RouteClient.routeJson(7, new InetSocketAddress("127.0.0.1", 5000),
                List.of(new InetSocketAddress("127.0.0.1", 6000)), Deliver.FRAMED, null, false, false, 500, 40));
        assertMessage("--jitter-ms=1001: must be between 0 and 1000", "--jitter-ms", "1001");
        assertMessage("--jitter-ms=40: needs routes: without them there is no route to buffer (--no-create-routes)",
            "--jitter-ms", "40", "--no-create-routes");
    }

    @Test
    void refusesBadPaceMs()
    {
        assertMessage("--pace-ms=2001: must be between 0 and 2000", "--pace-ms", "2001");
        assertMessage("--pace-ms=-2: must be between 0 and 2000", "--pace-ms", "-2");
        assertMessage("--pace-ms=500: needs routes: without them there is no route to pace (--no-create-routes)",
            "--pace-ms", "500", "--no-create-routes");
    }

    @Test
    void burstsAreOffByDefaultAndKeepTheAverageRateByDefault()
    {
        final GeneratorOptions even = GeneratorOptions.builder().build();
        assertFalse(even.bursts());
        assertEquals(GeneratorOptions.NO_BURST, even.burst());
        assertEquals(0, even.stallMs());
        assertFalse(even.burstAligned());

        final GeneratorOptions bursts = LoadgenCommand.options("--burst", "15", "--duration", "20");
        assertTrue(bursts.bursts());
        assertEquals(15, bursts.burst());
        assertEquals(300, bursts.stallMs(), "15 frames at 50 pps");
        assertFalse(bursts.burstAligned());
        assertEquals(50.0, bursts.averagePpsPerStream());
        assertEquals(1000, bursts.packetsPerStream());
        assertTrue(bursts.toString().contains("in bursts of 15 every 300 ms (streams staggered)"),
            bursts.toString());
    }

    @Test
    void stallMsSetsTheAverageRate()
    {
        final GeneratorOptions options = LoadgenCommand.options(
            "--burst=15", "--stall-ms=600", "--duration=6", "--burst-aligned");
        assertEquals(600, options.stallMs());
        assertTrue(options.burstAligned());
        assertEquals(25.0, options.averagePpsPerStream());
        assertEquals(150, options.packetsPerStream());
        assertTrue(options.toString().contains("(all streams at once)"), options.toString());
        assertEquals(200, LoadgenCommand.options("--burst", "4", "--pps", "20").stallMs(), "4 frames at 20 pps");
    }

    @Test
    void refusesBadBurstOptions()
    {
        assertMessage("--burst=0: must be between 1 and 1000", "--burst", "0");
        assertMessage("--burst=1001: must be between 1 and 1000", "--burst", "1001");
        assertMessage("--stall-ms=0: must be between 1 and 60000", "--burst", "15", "--stall-ms", "0");
        assertMessage("--stall-ms=60001: must be between 1 and 60000", "--burst", "15", "--stall-ms", "60001");
        assertMessage("--stall-ms=300: needs --burst", "--stall-ms", "300");
        assertMessage("--burst-aligned=true: needs --burst", "--burst-aligned");
        assertMessage("--burst=15: needs a paced rate, not --rate-unlimited", "--burst", "15", "--rate-unlimited");
    }

    @Test
    void refusesBadValuesNamingTheOption()
    {
        assertMessage("--streams=0: must be between 1 and 1000000", "--streams", "0");
        assertMessage("--pps=0: must be more than 0 and at most 1000000", "--pps", "0");
        assertMessage("--total-pps=-5: must be more than 0 and at most 100000000", "--total-pps", "-5");
        assertMessage("--duration=0: must be between 0.001 and 86400", "--duration", "0");
        assertMessage("--relay=localhost: expected host:port", "--relay", "localhost");
        assertMessage("--relay=127.0.0.1:70000: port must be 1-65535", "--relay", "127.0.0.1:70000");
        assertMessage("--api=ftp://x: expected http://host:port", "--api", "ftp://x");
        assertMessage("--bind-host=0.0.0.0: must be a concrete address, not a wildcard", "--bind-host", "0.0.0.0");
        assertMessage("--payload-bytes=23: must be between 24 and 1500", "--payload-bytes", "23");
        assertMessage("--senders=0: must be between 1 and 1024", "--senders", "0");
        assertMessage("--receivers=0: must be between 1 and 1024", "--receivers", "0");
        assertMessage("--source-port=70000: must be between 0 and 65535", "--source-port", "70000");
        assertMessage("--allow-loss-percent=101: must be between 0 and 100", "--allow-loss-percent", "101");
        assertMessage("--report-interval=0: must be between 0.01 and 3600", "--report-interval", "0");
        assertMessage("--grace-ms=-1: must be between 0 and 600000", "--grace-ms", "-1");
    }

    @Test
    void refusesConflictingOptions()
    {
        assertMessage("--pps and --total-pps are mutually exclusive: give the rate per stream or in total, not both",
            "--pps", "10", "--total-pps", "100");
        assertMessage("--receivers=3: conflicts with --sink-ports=5000-5003 (4 ports, one receiver each)",
            "--receivers", "3", "--sink-ports", "5000-5003");
        assertEquals(4, LoadgenCommand.options("--receivers", "4", "--sink-ports", "5000-5003").receivers());
        assertMessage("--source-port=65535: the 2 senders would need ports up to 65536", "--source-port", "65535");
        assertMessage("--source-port=5000: the senders' ports 5000-5001 overlap --sink-ports (5001)",
            "--source-port", "5000", "--sink-ports", "5001");
    }

    @Test
    void parsesSinkPortLists()
    {
        assertArrayEquals(new int[] { 5000 }, OptionChecks.parsePorts("5000"));
        assertArrayEquals(new int[] { 5000, 5001, 5002, 5003 }, OptionChecks.parsePorts("5000-5003"));
        assertArrayEquals(new int[] { 5000, 5002 }, OptionChecks.parsePorts("5000,5002"));
        assertArrayEquals(new int[] { 7000, 5000, 5001 }, OptionChecks.parsePorts(" 7000, 5000-5001 "));

        assertMessage("--sink-ports=5003-5000: range 5003-5000 ends before it starts", "--sink-ports", "5003-5000");
        assertMessage("--sink-ports=5000,5000: port 5000 given twice", "--sink-ports", "5000,5000");
        assertMessage("--sink-ports=5000-5002,5001: port 5001 given twice", "--sink-ports", "5000-5002,5001");
        assertMessage("--sink-ports=0: port 0 is not 1-65535", "--sink-ports", "0");
        assertMessage("--sink-ports=50x: '50x' is not a port", "--sink-ports", "50x");
        assertMessage("--sink-ports=5000,: '' is not a port", "--sink-ports", "5000,");
        assertMessage("--sink-ports=1-2000: more than 1024 ports", "--sink-ports", "1-2000");
    }

    @Test
    void checksTheDatagramFitsItsWire()
    {
        assertEquals(1480, LoadgenCommand.options("--payload-bytes", "1480").payloadBytes());
        assertMessage("--payload-bytes=1481: with the 20-byte sr header the datagram exceeds 1500 bytes",
            "--payload-bytes", "1481");
        assertEquals(1488, LoadgenCommand.options("--wire", "rtp", "--payload-bytes", "1488").payloadBytes());
    }

    @Test
    void rtpStreamIdsMustFitTheSsrc()
    {
        final String last = Long.toString(0xFFFF_FFFFL - 9);
        assertEquals(0xFFFF_FFFFL, LoadgenCommand.options("--wire", "rtp", "--streams", "10",
            "--first-stream-id", last).lastStreamId());
        final ParameterException ex = assertThrows(ParameterException.class,
            () -> LoadgenCommand.options("--wire", "rtp", "--streams", "10", "--first-stream-id", last,
                "--stranger"));
        assertTrue(ex.getMessage().startsWith("--first-stream-id=" + last + ": with --wire rtp"), ex.getMessage());
    }

    @Test
    void aBlankApiKeyIsNoKey()
    {
        assertNull(GeneratorOptions.builder().apiKey("  ").build().apiKey());
        assertEquals("k", GeneratorOptions.builder().apiKey("k").build().apiKey());
    }

    private static void assertMessage(final String message, final String... args)
    {
        final ParameterException ex = assertThrows(ParameterException.class, () -> LoadgenCommand.options(args));
        assertEquals(message, ex.getMessage());
    }
}
