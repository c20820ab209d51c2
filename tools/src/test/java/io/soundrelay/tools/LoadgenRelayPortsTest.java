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

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole {@code loadgen} runs with a socket per stream, relay ports and echo, against {@link PortsRelay} (a UDP port
 * per stream, as a node's relay ports behave) and, for the routes, a stand-in control API over real HTTP that binds
 * a relay port per route with a return path and answers its number. Every run is short; one that passes ends as
 * soon as everything is back, one that loses waits out its grace period.
 */
final class LoadgenRelayPortsTest
{
    private static final int STREAMS = 6;
    private static final int PPS = 50;
    private static final double SECONDS = 0.4;
    private static final long EXPECTED = STREAMS * Math.round(PPS * SECONDS);

    @TempDir
    Path directory;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final StringWriter picocliErr = new StringWriter();

    @Test
    void returnPathWithoutRoutesEchoesEveryDatagramBothWays() throws Exception
    {
        final int sink = freePort();
        final Path json = directory.resolve("echo.json");
        final Path returnHgrm = directory.resolve("return.hgrm");
        try (PortsRelay relay = new PortsRelay(new InetSocketAddress("127.0.0.1", sink)))
        {
            final int first = relay.openConsecutive(STREAMS);

            assertEquals(0, loadgen("--no-create-routes", "--return-path", "--relay-port-base", Integer.toString(first),
                "--relay", "127.0.0.1:9", "--sink-ports", Integer.toString(sink), "--echo", "--warmup", "0",
                "--json", json.toString(), "--return-hgrm", returnHgrm.toString()), this::output);

            assertEquals(EXPECTED, relay.forwardSeen());
            assertEquals(EXPECTED, relay.returnSeen());
            assertEquals(0, relay.strangers());
        }

        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(true, report.get("passed"), report::toString);
        assertEquals(true, report.get("socket_per_stream"));
        assertEquals(true, report.get("return_path"));
        assertEquals(true, report.get("echo"));
        assertEquals((double)EXPECTED, report.get("sent"));
        assertEquals((double)EXPECTED, report.get("received"));
        assertEquals(0.0, report.get("lost"));
        final Map<String, Object> back = object(report, "return");
        assertEquals((double)EXPECTED, back.get("echoed"));
        assertEquals((double)EXPECTED, back.get("received"));
        for (final String field : List.of("lost", "loss_percent", "duplicates", "corrupt", "unexpected",
            "echo_errors"))
        {
            assertEquals(0.0, back.get(field), field);
        }
        assertTrue((Double)back.get("delivered_pps") > 0, back::toString);
        final Map<String, Object> roundTrip = object(back, "latency_us");
        assertEquals((double)EXPECTED, roundTrip.get("count"));
        // A round trip holds the one-way trip: its minimum cannot be below the forward one's.
        assertTrue((Double)roundTrip.get("min") >= (Double)object(report, "latency_us").get("min"), report::toString);

        final List<String> lines = Files.readAllLines(returnHgrm);
        assertEquals("       Value     Percentile TotalCount 1/(1-Percentile)", lines.get(0));
        assertTrue(output().contains("round trip p99"), this::output);
        assertTrue(output().contains("returned   " + EXPECTED + " of " + EXPECTED + " echoed, lost back 0"),
            this::output);
        assertTrue(output().contains("PASS"), this::output);
    }

    @Test
    void oneThreadSharesTheSenderWithTheSinkAndTheStreamsSockets() throws Exception
    {
        final int sink = freePort();
        final Path json = directory.resolve("one-thread.json");
        try (PortsRelay relay = new PortsRelay(new InetSocketAddress("127.0.0.1", sink)))
        {
            final int first = relay.openConsecutive(STREAMS);

            assertEquals(0, loadgen("--no-create-routes", "--return-path", "--relay-port-base", Integer.toString(first),
                "--sink-ports", Integer.toString(sink), "--echo", "--senders", "1", "--one-thread",
                "--json", json.toString()), this::output);
        }

        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(true, report.get("passed"), report::toString);
        assertEquals((double)EXPECTED, object(report, "return").get("received"));
    }

    @Test
    void whatTheRelayDropsEachWayIsLostThatWayAndNothingElse() throws Exception
    {
        final int sink = freePort();
        final Path json = directory.resolve("lossy.json");
        final long forwardDropped;
        final long returnDropped;
        try (PortsRelay relay = new PortsRelay(new InetSocketAddress("127.0.0.1", sink)))
        {
            final int first = relay.openConsecutive(STREAMS);
            relay.drop(7, 5);

            assertEquals(1, loadgen("--no-create-routes", "--return-path", "--relay-port-base", Integer.toString(first),
                "--sink-ports", Integer.toString(sink), "--echo", "--grace-ms", "300", "--json", json.toString()),
                this::output);
            forwardDropped = relay.forwardDropped();
            returnDropped = relay.returnDropped();
        }

        assertEquals(EXPECTED / 7, forwardDropped);
        assertEquals((EXPECTED - forwardDropped) / 5, returnDropped);
        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(false, report.get("passed"));
        assertEquals((double)forwardDropped, report.get("lost"));
        assertEquals((double)(EXPECTED - forwardDropped), report.get("received"));
        final Map<String, Object> back = object(report, "return");
        assertEquals((double)(EXPECTED - forwardDropped), back.get("echoed"));
        assertEquals((double)returnDropped, back.get("lost"));
        assertEquals((double)(EXPECTED - forwardDropped - returnDropped), back.get("received"));
        assertEquals(0.0, back.get("duplicates"));
        assertEquals(0.0, back.get("corrupt"));
        assertEquals(0.0, back.get("unexpected"));
        assertTrue(output().contains("FAIL: lost " + forwardDropped), this::output);
        assertTrue(output().contains("lost on the way back " + returnDropped), this::output);
    }

    @Test
    void returnPathRoutesNameEachStreamsSocketAndUseTheRelayPortTheNodeAnswers() throws Exception
    {
        final int sink = freePort();
        final Path json = directory.resolve("routes.json");
        try (PortsRelay relay = new PortsRelay(new InetSocketAddress("127.0.0.1", sink));
            FakeRouteApi api = new FakeRouteApi(relay, true))
        {
            assertEquals(0, loadgen("--create-routes", "--api", api.url(), "--return-path", "--deliver", "framed",
                "--sink-ports", Integer.toString(sink), "--echo", "--json", json.toString()), this::output);

            assertEquals(STREAMS, api.created.size());
            final Set<String> sources = new HashSet<>();
            for (final Map<String, Object> route : api.created)
            {
                assertEquals(true, route.get("return_path"), route::toString);
                assertEquals("framed", route.get("deliver"), route::toString);
                assertEquals(List.of("127.0.0.1:" + sink), route.get("target_addrs"), route::toString);
                sources.add((String)route.get("source_addr"));
            }
            assertEquals(STREAMS, sources.size(), "a socket per stream: " + sources);
            assertEquals(STREAMS, api.deleted.get(), "every route deleted at the end");
            // The relay's ports know their route's source: anything from elsewhere would be dropped and lost.
            assertEquals(0, relay.strangers());
            assertEquals(EXPECTED, relay.forwardSeen());
        }

        final Map<String, Object> report = Json.object(Files.readString(json));
        assertEquals(true, report.get("passed"), report::toString);
        assertEquals((double)EXPECTED, object(report, "return").get("received"));
        assertTrue(output().contains("created " + STREAMS + " routes with a return path"), this::output);
    }

    @Test
    void strangersToARelayPortAreDroppedAndNoUnroutedIdIsSentToIt() throws Exception
    {
        final int sink = freePort();
        final Path json = directory.resolve("stranger.json");
        try (PortsRelay relay = new PortsRelay(new InetSocketAddress("127.0.0.1", sink));
            FakeRouteApi api = new FakeRouteApi(relay, true))
        {
            assertEquals(0, loadgen("--create-routes", "--api", api.url(), "--return-path", "--stranger", "--echo",
                "--grace-ms", "200", "--sink-ports", Integer.toString(sink), "--json", json.toString()),
                this::output);

            final Map<String, Object> report = Json.object(Files.readString(json));
            // A relay port forwards whatever its source sends: only the stranger socket's datagrams are strangers.
            final long strangerSent = (long)(double)(Double)report.get("stranger_sent");
            final long packets = Math.round(PPS * SECONDS);
            assertEquals(STREAMS * ((packets + Sender.STRANGER_EVERY - 1) / Sender.STRANGER_EVERY), strangerSent,
                report::toString);
            assertEquals(strangerSent, relay.strangers());
            assertEquals(EXPECTED, relay.forwardSeen(), "no unrouted stream id went to a relay port");
            assertEquals(0.0, report.get("leaked"));
            assertEquals(0.0, object(report, "return").get("leaked"));
        }
    }

    @Test
    void socketPerStreamRoutesNameEachStreamsSocketAndSendToTheMainPort() throws Exception
    {
        final int sink = freePort();
        try (EchoRelay mainPort = new EchoRelay(0, EchoRelay.Fault.NONE);
            FakeRouteApi api = new FakeRouteApi(null, true))
        {
            mainPort.forwardTo(new InetSocketAddress("127.0.0.1", sink));

            assertEquals(0, loadgen("--create-routes", "--api", api.url(), "--socket-per-stream", "--deliver",
                "framed", "--relay", mainPort.hostPort(), "--sink-ports", Integer.toString(sink)), this::output);

            final Set<String> sources = new HashSet<>();
            for (final Map<String, Object> route : api.created)
            {
                assertNull(route.get("return_path"), route::toString);
                sources.add((String)route.get("source_addr"));
            }
            assertEquals(STREAMS, sources.size(), "a socket per stream: " + sources);
        }
        assertTrue(output().contains("1 sender with a socket per stream") ||
            output().contains("2 senders with a socket per stream"), this::output);
    }

    @Test
    void aNodeThatAnswersWithoutARelayPortFailsTheRunAndLosesNoRoute() throws Exception
    {
        final int sink = freePort();
        try (FakeRouteApi api = new FakeRouteApi(null, false))
        {
            assertEquals(1, loadgen("--create-routes", "--api", api.url(), "--return-path",
                "--sink-ports", Integer.toString(sink)), this::output);

            assertEquals(1, api.created.size());
            assertEquals(1, api.deleted.get(), "the route the node made is deleted");
        }
        assertTrue(output().contains("without a relay_port"), this::output);
    }

    @Test
    void badCombinationsExitTwoNamingTheOption()
    {
        assertBad("--echo=true: needs a socket per stream", "--echo");
        assertBad("--relay-port-base=40000: needs --return-path", "--relay-port-base", "40000");
        assertBad("--relay-port-base=40000: only without routes", "--create-routes", "--return-path",
            "--relay-port-base", "40000");
        assertBad("--return-path=true: without routes (--no-create-routes) needs --relay-port-base",
            "--return-path");
        assertBad("--relay-port-base=65535: the 6 streams would need relay ports up to 65540", "--return-path",
            "--relay-port-base", "65535");
        assertBad("--return-hgrm=" + directory.resolve("x.hgrm") + ": needs --echo", "--socket-per-stream",
            "--return-hgrm", directory.resolve("x.hgrm").toString());
    }

    private void assertBad(final String expected, final String... args)
    {
        stdout.reset();
        stderr.reset();
        picocliErr.getBuffer().setLength(0);
        assertEquals(2, loadgen(args), this::output);
        assertTrue(output().contains(expected), this::output);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(final Map<String, Object> json, final String field)
    {
        final Object value = json.get(field);
        assertNotNull(value, field + " in " + json);
        return (Map<String, Object>)value;
    }

    private int loadgen(final String... args)
    {
        final LoadgenCommand command = new LoadgenCommand(
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8),
            Map.<String, String>of()::get);
        final CommandLine commandLine = SoundRelayTools.configure(new CommandLine(command));
        commandLine.setErr(new PrintWriter(picocliErr, true));
        final List<String> all = new ArrayList<>(List.of("--streams", Integer.toString(STREAMS),
            "--pps", Integer.toString(PPS), "--duration", Double.toString(SECONDS), "--report-interval", "0.1"));
        if (!List.of(args).contains("--senders"))
        {
            all.addAll(List.of("--senders", "2"));
        }
        // Each option once: picocli starts the argument groups afresh at a repeated option, forgetting the others.
        if (!List.of(args).contains("--create-routes") && !List.of(args).contains("--no-create-routes"))
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

    private static int freePort() throws IOException
    {
        try (DatagramChannel channel = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            return ((InetSocketAddress)channel.getLocalAddress()).getPort();
        }
    }

    /**
     * The control API's route calls over real HTTP, as PROTOCOL.md sections 2 and 9 have a node answer them: POST
     * /route answers 201 with the route, and for a route with a return path opens a port on the {@link PortsRelay}
     * that knows the route's source and answers its number as {@code relay_port} (or leaves it out, a faulty node);
     * DELETE /route/{id} answers 204.
     */
    private static final class FakeRouteApi implements AutoCloseable
    {
        final List<Map<String, Object>> created = new CopyOnWriteArrayList<>();
        final AtomicInteger deleted = new AtomicInteger();
        private final HttpServer server;
        private final PortsRelay relay;
        private final boolean answersRelayPort;

        FakeRouteApi(final PortsRelay relay, final boolean answersRelayPort) throws IOException
        {
            this.relay = relay;
            this.answersRelayPort = answersRelayPort;
            this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/route", this::handle);
            server.start();
        }

        String url()
        {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        public void close()
        {
            server.stop(0);
        }

        private void handle(final HttpExchange exchange) throws IOException
        {
            try (exchange)
            {
                if ("DELETE".equals(exchange.getRequestMethod()))
                {
                    deleted.incrementAndGet();
                    exchange.sendResponseHeaders(204, -1);
                    return;
                }
                final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                final Map<String, Object> route = Json.object(body);
                created.add(route);
                final StringBuilder answer = new StringBuilder(body.substring(0, body.length() - 1));
                if (Boolean.TRUE.equals(route.get("return_path")) && answersRelayPort)
                {
                    final InetSocketAddress source =
                        GeneratorOptions.parseSocketAddress((String)route.get("source_addr"));
                    answer.append(",\"relay_port\":").append(relay.open(source));
                }
                final byte[] bytes = answer.append(",\"node_id\":\"fake\"}").toString()
                    .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(201, bytes.length);
                try (OutputStream out = exchange.getResponseBody())
                {
                    out.write(bytes);
                }
            }
        }
    }
}
