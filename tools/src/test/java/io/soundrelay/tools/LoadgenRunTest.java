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
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole {@code loadgen} runs without routes, through the {@link EchoRelay} or straight back to the generator's own
 * sink: exit status, the JSON report, the .hgrm file, fixed sink ports, and a failing route API.
 */
final class LoadgenRunTest
{
    private static final int STREAMS = 4;
    private static final int PPS = 50;
    private static final double SECONDS = 0.4;
    private static final double EXPECTED = STREAMS * Math.round(PPS * SECONDS);
    private static final String HGRM_HEADER = "       Value     Percentile TotalCount 1/(1-Percentile)";

    @TempDir
    Path directory;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final StringWriter picocliErr = new StringWriter();

    @Test
    void writesJsonAndHgrmThroughAnEchoRelay() throws Exception
    {
        final Path json = directory.resolve("run.json");
        final Path hgrm = directory.resolve("run.hgrm");
        try (EchoRelay relay = new EchoRelay(0, EchoRelay.Fault.NONE))
        {
            final int sink = FreePorts.one();
            relay.forwardTo(new InetSocketAddress("127.0.0.1", sink));

            // --warmup 0: every datagram's latency is in the report.
            assertEquals(0, loadgen(Map.of(), "--relay", relay.hostPort(), "--sink-ports", Integer.toString(sink),
                "--warmup", "0", "--json", json.toString(), "--hgrm", hgrm.toString(), "--verbose"), this::output);
        }

        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals("loadgen", report.get("tool"));
        assertEquals("sr", report.get("wire"));
        assertEquals((double)STREAMS, report.get("streams"));
        assertEquals((double)PPS, report.get("pps_per_stream"));
        assertEquals(false, report.get("rate_unlimited"));
        assertEquals(SECONDS, report.get("duration_s"));
        assertEquals(160.0, report.get("payload_bytes"));
        assertEquals(EXPECTED, report.get("sent"));
        assertEquals(EXPECTED, report.get("received"));
        assertEquals(0.0, report.get("lost"));
        assertEquals(0.0, report.get("loss_percent"));
        assertEquals(0.0, report.get("duplicates"));
        assertEquals(0.0, report.get("corrupt"));
        assertEquals(0.0, report.get("unexpected"));
        assertTrue((Double)report.get("sent_pps") > 0, report::toString);
        assertTrue((Double)report.get("delivered_pps") > 0, report::toString);
        assertEquals(true, report.get("passed"));
        @SuppressWarnings("unchecked")
        final Map<String, Object> latency = (Map<String, Object>)report.get("latency_us");
        assertEquals(EXPECTED, latency.get("count"));
        for (final String field : List.of("min", "mean", "p50", "p90", "p99", "p99_9", "max"))
        {
            assertTrue(latency.get(field) instanceof Double, field);
        }
        assertTrue((Double)latency.get("min") <= (Double)latency.get("p50"), latency::toString);
        assertTrue((Double)latency.get("p99") <= (Double)latency.get("max"), latency::toString);

        final List<String> lines = Files.readAllLines(hgrm);
        assertEquals(HGRM_HEADER, lines.get(0));
        assertTrue(lines.stream().anyMatch((line) -> line.startsWith("#[Mean    =")), lines::toString);
        assertTrue(lines.stream().anyMatch((line) -> line.startsWith("#[Max     =")), lines::toString);
        final String[] last = lines.get(lines.size() - 4).trim().split("\\s+");
        assertEquals("1.000000000000", last[1], lines::toString);
        assertEquals(Long.toString((long)EXPECTED), last[2], lines::toString);
        assertTrue(output().contains(HGRM_HEADER), "--verbose prints the same distribution");
        assertTrue(output().contains("PASS"), this::output);
        // A run that lost nothing: its progress lines (every 0.1 s) speak of datagrams in flight, never of loss.
        assertTrue(output().contains("  in flight "), this::output);
        assertFalse(output().contains("loss"), this::output);
    }

    @Test
    void randomStreamIdsAreSentAndAccountedForThroughAnEchoRelay() throws Exception
    {
        try (EchoRelay relay = new EchoRelay(0, EchoRelay.Fault.NONE))
        {
            final int sink = FreePorts.one();
            relay.forwardTo(new InetSocketAddress("127.0.0.1", sink));

            // The ledger only knows the random ids: had the senders sent 1000..1003, nothing would count.
            assertEquals(0, loadgen(Map.of(), "--relay", relay.hostPort(), "--sink-ports", Integer.toString(sink),
                "--stream-ids", "random", "--stream-id-seed", "7", "--wire", "rtp", "--json", "-"), this::output);
        }

        final Map<String, Object> report = Json.object(stdout.toString(StandardCharsets.UTF_8).trim());
        assertEquals(EXPECTED, report.get("received"), this::output);
        assertEquals(0.0, report.get("unexpected"), this::output);
        assertEquals(true, report.get("passed"), this::output);
        assertTrue(output().contains("streams with random ids (seed 7)"), this::output);
    }

    @Test
    void jsonOnStdoutLeavesStdoutPureJson() throws Exception
    {
        final int sink = FreePorts.one();

        // --relay is the generator's own sink: it talks to itself, and every datagram arrives whole.
        assertEquals(0, loadgen(Map.of(), "--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink),
            "--json", "-"), this::output);

        final String json = stdout.toString(StandardCharsets.UTF_8);
        assertEquals(true, Json.object(json.trim()).get("passed"), json);
        assertTrue(json.startsWith("{") && json.endsWith("}" + System.lineSeparator()), json);
        final String human = stderr.toString(StandardCharsets.UTF_8);
        assertTrue(human.contains("loadgen: " + STREAMS + " streams"), human);
        assertTrue(human.contains("PASS"), human);
    }

    @Test
    void noRoutesThroughAnEchoRelayToFixedSinkPorts() throws Exception
    {
        final int[] ports = FreePorts.some(2);
        final int first = ports[0];
        final int second = ports[1];
        try (EchoRelay relay = new EchoRelay(0, EchoRelay.Fault.NONE))
        {
            relay.forwardTo(new InetSocketAddress("127.0.0.1", first), new InetSocketAddress("127.0.0.1", second));

            assertEquals(0, loadgen(Map.of(), "--relay", relay.hostPort(), "--sink-ports", first + "," + second,
                "--wire", "rtp", "--json", "-"), this::output);
        }

        final Map<String, Object> report = Json.object(stdout.toString(StandardCharsets.UTF_8).trim());
        assertEquals(2.0, report.get("receivers"));
        assertEquals(EXPECTED, report.get("received"));
        assertTrue(output().contains("2 receivers on [" + first + ", " + second + "]"), this::output);
    }

    @Test
    void oneThreadWithAWarmupMeasuresOnlyAfterTheWarmupAndPrintsTheMarkers() throws Exception
    {
        final int sink = FreePorts.one();
        final Path json = directory.resolve("warm.json");
        final LoadgenCommand command = new LoadgenCommand(
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8),
            Map.<String, String>of()::get);
        final CommandLine commandLine = SoundRelayTools.configure(new CommandLine(command));
        commandLine.setErr(new PrintWriter(picocliErr, true));

        // Straight back to its own sink: 4 streams x 50 pps for 1 s, the first 0.5 s not measured.
        assertEquals(0, commandLine.execute("--no-create-routes", "--relay", "127.0.0.1:" + sink,
            "--sink-ports", Integer.toString(sink), "--senders", "1", "--one-thread", "--streams", "4",
            "--pps", "50", "--duration", "1", "--warmup", "0.5", "--json", json.toString()), this::output);

        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(200.0, report.get("received"));
        assertEquals(0.5, report.get("warmup_s"));
        final double measured = (Double)report.get("measured_received");
        // Datagrams are stamped with their scheduled time: those due in the second half are measured.
        assertEquals(100.0, measured, 4.0, "about half the run is measured");
        @SuppressWarnings("unchecked")
        final Map<String, Object> latency = (Map<String, Object>)report.get("latency_us");
        assertEquals(measured, latency.get("count"), "only measured datagrams have a latency");
        final String out = output();
        assertTrue(out.indexOf("loadgen: measuring") < out.indexOf("loadgen: sending done") &&
            out.contains("loadgen: measuring"), out);
    }

    @Test
    void withoutWarmupOptionAShortRunLeavesItsFirstFifthOutOfTheLatency() throws Exception
    {
        final int sink = FreePorts.one();
        final Path json = directory.resolve("default-warmup.json");

        assertEquals(0, loadgen(Map.of(), "--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink),
            "--json", json.toString()), this::output);

        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(EXPECTED, report.get("received"), "the warm-up is checked and counted");
        assertEquals(0.08, report.get("warmup_s"), "a fifth of the 0.4 s run");
        final double measured = (Double)report.get("measured_received");
        assertTrue(measured > 0 && measured < EXPECTED, report::toString);
        @SuppressWarnings("unchecked")
        final Map<String, Object> latency = (Map<String, Object>)report.get("latency_us");
        assertEquals(measured, latency.get("count"), "only measured datagrams have a latency");
        assertTrue(output().contains("(warm-up: the first 0.08 s, not measured)"), this::output);
    }

    @Test
    void oneThreadNeedsOneSenderAndOneReceiver()
    {
        assertEquals(2, loadgen(Map.of(), "--relay", "127.0.0.1:9", "--one-thread"), this::output);
        assertTrue(output().contains("--one-thread"), this::output);
    }

    @Test
    void aWarmupAsLongAsTheRunIsRefused()
    {
        assertEquals(2, loadgen(Map.of(), "--relay", "127.0.0.1:9", "--warmup", "0.4"), this::output);
        assertTrue(output().contains("--warmup"), this::output);
    }

    @Test
    void aLossyRunExitsOneAndStillReports() throws Exception
    {
        final Path json = directory.resolve("lossy.json");
        try (EchoRelay relay = new EchoRelay(0, EchoRelay.Fault.DROP))
        {
            final int sink = FreePorts.one();
            relay.forwardTo(new InetSocketAddress("127.0.0.1", sink));

            assertEquals(1, loadgen(Map.of(), "--relay", relay.hostPort(), "--sink-ports", Integer.toString(sink),
                "--grace-ms", "200", "--json", json.toString()), this::output);
        }

        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(false, report.get("passed"));
        assertEquals(Math.floor(EXPECTED / EchoRelay.FAULT_EVERY), report.get("lost"));
        assertTrue(output().contains("FAIL: lost"), this::output);
    }

    @Test
    void anUnreachableApiExitsOneWithoutPrintingTheKey() throws Exception
    {
        final String key = "secret-key-from-env-0123456789";
        final Path json = directory.resolve("failed.json");

        // Port 1 on loopback: nothing listens, the connection is refused at once.
        assertEquals(1, loadgen(Map.of(LoadgenCommand.API_KEY_ENV, key), "--create-routes",
            "--api", "http://127.0.0.1:1", "--json", json.toString()), this::output);

        assertTrue(output().contains("loadgen failed: POST http://127.0.0.1:1/route"), this::output);
        assertFalse(output().contains(key), this::output);
        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(false, report.get("passed"));
        assertFalse(Files.readString(json).contains(key));
    }

    private int loadgen(final Map<String, String> environment, final String... args)
    {
        final LoadgenCommand command = new LoadgenCommand(
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8),
            environment::get);
        final CommandLine commandLine = SoundRelayTools.configure(new CommandLine(command));
        commandLine.setErr(new PrintWriter(picocliErr, true));
        final List<String> all = new ArrayList<>(List.of("--streams", Integer.toString(STREAMS),
            "--pps", Integer.toString(PPS), "--duration", Double.toString(SECONDS), "--senders", "2",
            "--report-interval", "0.1"));
        if (!List.of(args).contains("--create-routes"))
        {
            all.add("--no-create-routes");
        }
        all.addAll(List.of(args));
        return commandLine.execute(all.toArray(new String[0]));
    }

    private String output()
    {
        return stdout.toString(StandardCharsets.UTF_8) + stderr.toString(StandardCharsets.UTF_8) + picocliErr;
    }


}
