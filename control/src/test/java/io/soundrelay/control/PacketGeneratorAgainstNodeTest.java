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
package io.soundrelay.control;

import io.soundrelay.tools.GeneratorOptions;
import io.soundrelay.tools.GeneratorResult;
import io.soundrelay.tools.LoadgenCommand;
import io.soundrelay.tools.PacketGenerator;
import io.soundrelay.tools.SoundRelayTools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped packet generator ({@code soundrelay-tools loadgen}) against a real node: it creates its routes over
 * HTTP, sends paced traffic plus stranger and unknown-stream datagrams, and checks every delivered byte.
 */
class PacketGeneratorAgainstNodeTest
{
    private static NodeFixture fixture;

    @BeforeAll
    static void start() throws Exception
    {
        fixture = NodeFixture.start();
    }

    @AfterAll
    static void stop()
    {
        fixture.close();
    }

    private static GeneratorOptions options(final String key, final long firstStream, final String... extra)
    {
        final java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
            "--api", "http://127.0.0.1:" + fixture.node.apiAddress().getPort(), "--api-key", key,
            "--relay", "127.0.0.1:" + fixture.relay().getPort(), "--first-stream-id", Long.toString(firstStream),
            "--streams", "20", "--pps", "50", "--duration", "1", "--senders", "3", "--receivers", "2",
            "--report-interval", "0.5", "--grace-ms", "2000"));
        args.addAll(java.util.List.of(extra));
        return LoadgenCommand.options(args.toArray(new String[0]));
    }

    private static GeneratorResult runGenerator(final GeneratorOptions options, final PrintStream out)
        throws IOException, InterruptedException
    {
        try (PacketGenerator generator = PacketGenerator.open(options, out))
        {
            return generator.run();
        }
    }

    @Test
    void everyDatagramArrivesByteExactAndStrangersGetNothingThrough() throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final String wire : new String[] { "sr", "rtp" })
        {
            final GeneratorResult result = runGenerator(
                options(NodeFixture.KEY, 3000, "--wire", wire, "--stranger"),
                new PrintStream(out, true, StandardCharsets.UTF_8));
            assertTrue(result.passed(), () -> result.failures() + "\n" + out);
            assertEquals(1000, result.sent());
            assertEquals(1000, result.delivered());
            assertEquals(0, result.lost() + result.duplicates() + result.corrupt() + result.wrongStream());
            assertTrue(result.strangerSent() > 0);
            assertEquals(0, result.leaked());
        }
        final String routes = fixture.authed("GET", "/routes", null).body();
        assertTrue(routes.startsWith("{\"routes\":[]"), "the generator deleted its routes: " + routes);
    }

    @Test
    void theLoadgenCommandRoutesFixedPortsWithFramedDeliveryAndWritesItsReport(@TempDir final Path directory)
        throws Exception
    {
        final int[] ports = freePorts(3);
        final int sourcePort = ports[0];
        final int sinkA = ports[1];
        final int sinkB = ports[2];
        final Path json = directory.resolve("loadgen.json");
        final Path hgrm = directory.resolve("loadgen.hgrm");

        final int exit = SoundRelayTools.commandLine().execute("loadgen",
            "--api", "http://127.0.0.1:" + fixture.node.apiAddress().getPort(), "--api-key", NodeFixture.KEY,
            "--relay", "127.0.0.1:" + fixture.relay().getPort(), "--first-stream-id", "7000", "--streams", "10",
            "--total-pps", "250", "--duration", "0.8", "--deliver", "framed", "--senders", "1",
            "--source-port", Integer.toString(sourcePort), "--sink-ports", sinkA + "," + sinkB,
            "--report-interval", "0.5", "--json", json.toString(), "--hgrm", hgrm.toString());

        final String report = Files.readString(json);
        assertEquals(0, exit, report);
        assertTrue(report.startsWith("{\"tool\":\"loadgen\",\"wire\":\"sr\",\"deliver\":\"framed\""), report);
        assertTrue(report.contains("\"sent\":200,\"received\":200,\"lost\":0,"), report);
        assertTrue(report.contains("\"pps_per_stream\":25.0,"), report);
        assertTrue(report.contains("\"passed\":true"), report);
        assertTrue(Files.readString(hgrm).contains("#[Mean    ="));
        final String routes = fixture.authed("GET", "/routes", null).body();
        assertTrue(routes.startsWith("{\"routes\":[]"), "the command deleted its routes: " + routes);
    }

    @Test
    void aRefusedRouteFailsTheRunWithTheNodesAnswerAndCleansUp() throws Exception
    {
        try (java.nio.channels.DatagramChannel src = NodeFixture.udp(); java.nio.channels.DatagramChannel t =
            NodeFixture.udp())
        {
            assertEquals(201, fixture.createRoute(5002, src, null, t).statusCode());
            final IOException ex = assertThrows(IOException.class, () -> runGenerator(
                options(NodeFixture.KEY, 5000), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)));
            assertTrue(ex.getMessage().contains("node answered 409"), ex.getMessage());
            assertEquals(404, fixture.authed("GET", "/route/5000", null).statusCode());
            assertEquals(404, fixture.authed("GET", "/route/5001", null).statusCode());
            assertEquals(204, fixture.authed("DELETE", "/route/5002", null).statusCode());
        }
        final IOException unauthorized = assertThrows(IOException.class, () -> runGenerator(
            options("wrong-key-0123456789", 6000), new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8)));
        assertTrue(unauthorized.getMessage().contains("node answered 401"), unauthorized.getMessage());
    }

    /**
     * @return distinct UDP ports that were free a moment ago: held open together, then released.
     */
    private static int[] freePorts(final int count) throws Exception
    {
        final java.nio.channels.DatagramChannel[] channels = new java.nio.channels.DatagramChannel[count];
        final int[] ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                channels[i] = NodeFixture.udp();
                ports[i] = ((InetSocketAddress)channels[i].getLocalAddress()).getPort();
            }
            return ports;
        }
        finally
        {
            for (final java.nio.channels.DatagramChannel channel : channels)
            {
                if (null != channel)
                {
                    channel.close();
                }
            }
        }
    }
}
