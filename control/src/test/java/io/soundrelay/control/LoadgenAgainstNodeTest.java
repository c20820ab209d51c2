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

import io.soundrelay.tools.SoundRelayTools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user of {@code soundrelay-tools loadgen} sees against a real node: the load generator runs in its own JVM
 * as the jar runs it (its own environment, stdout, stderr and exit status), the node is a real one with
 * MAX_STREAMS_PER_NODE=5. A wrong key, a full node and a wrong --relay each end with a hint that names what to
 * change; a run that passes ends with the short summary, --verbose adds the percentile table, --plot draws an SVG;
 * Ctrl-C deletes the run's routes from the node and prints a partial summary.
 */
class LoadgenAgainstNodeTest
{
    private static final int MAX_STREAMS = 5;
    private static final String TABLE_HEADER = "Value     Percentile TotalCount 1/(1-Percentile)";
    private static final Pattern LATENCY =
        Pattern.compile("\nlatency    p50 [0-9.]+  p99 [0-9.]+  p99\\.9 [0-9.]+  max [0-9.]+ ms ");
    private static final Pattern STREAM_ID = Pattern.compile("\"stream_id\":\"?(\\d+)");
    private static final long RUN_DEADLINE_S = 120;

    private static NodeFixture fixture;

    @TempDir
    Path directory;

    @BeforeAll
    static void start() throws Exception
    {
        fixture = NodeFixture.start(Map.of("MAX_STREAMS_PER_NODE", Integer.toString(MAX_STREAMS)));
    }

    @AfterAll
    static void stop()
    {
        fixture.close();
    }

    @AfterEach
    void everyRunDeletedItsRoutes() throws Exception
    {
        assertEquals(List.of(), streamIds(), "the node holds no route after the test");
    }

    @Test
    void aWrongKeyIsA401WithAHintNamingWhereTheKeyComesFrom() throws Exception
    {
        final String wrongKey = "wrong-key-0123456789abcdef";
        final Run wrong = loadgen(Map.of("SOUNDRELAY_API_KEY", wrongKey), 4, "--relay", relay());
        assertEquals(1, wrong.exit, wrong::toString);
        assertTrue(wrong.stderr.contains("node answered 401"), wrong::toString);
        assertTrue(wrong.stderr.contains("hint: the node wants an API key and refused the one given. Give it with " +
            "--api-key KEY or the SOUNDRELAY_API_KEY environment variable: one of the keys in the node's API_KEYS."),
            wrong::toString);
        assertFalse(wrong.all().contains(wrongKey), "the key is never printed: " + wrong);
        assertNoStackTrace(wrong);

        final Run none = loadgen(Map.of(), 4, "--relay", relay());
        assertEquals(1, none.exit, none::toString);
        assertTrue(none.stderr.contains("node answered 401"), none::toString);
        assertTrue(none.stderr.contains("hint: the node wants an API key and none was given. Give it with " +
            "--api-key KEY or the SOUNDRELAY_API_KEY environment variable"), none::toString);
        assertNoStackTrace(none);
    }

    @Test
    void aFullNodeIsA503WithItsLimitAndItsRoutesAndTheStreamsThatFit() throws Exception
    {
        try (DatagramChannel source = NodeFixture.udp(); DatagramChannel target = NodeFixture.udp())
        {
            // Someone else's route: the node has room for MAX_STREAMS - 1 more.
            assertEquals(201, fixture.createRoute(900, source, null, target).statusCode());

            final Run full = loadgen(key(), 8, "--relay", relay(), "--first-stream-id", "1000");
            assertEquals(1, full.exit, full::toString);
            assertTrue(full.stderr.contains("node answered 503"), full::toString);
            assertTrue(full.stderr.contains("MAX_STREAMS_PER_NODE=5"), full::toString);
            assertTrue(full.stderr.contains("hint: the node is full: it held 5 routes of MAX_STREAMS_PER_NODE=5 " +
                "when it refused, 4 of them this run's (deleted since), 1 from elsewhere. At most 4 streams fit " +
                "now: run fewer --streams (this run asked for 8), or delete routes no one uses (GET /routes lists " +
                "them, DELETE /route/ID deletes one)."), full::toString);
            assertNoStackTrace(full);
            assertEquals(List.of("900"), streamIds(), "the run deleted the routes it created, only");

            // What the hint says fits does fit.
            final Run fits = loadgen(key(), 4, "--relay", relay(), "--first-stream-id", "1000");
            assertEquals(0, fits.exit, fits::toString);
            assertTrue(fits.stdout.contains("\nPASS"), fits::toString);
            assertEquals(List.of("900"), streamIds());

            assertEquals(204, fixture.authed("DELETE", "/route/900", null).statusCode());
        }
    }

    @Test
    void aNodeFullOfOtherRoutesGetsNoAdviceToRunFewerStreams() throws Exception
    {
        final List<DatagramChannel> sockets = new ArrayList<>();
        try
        {
            for (int i = 0; i < MAX_STREAMS; i++)
            {
                final DatagramChannel source = NodeFixture.udp();
                final DatagramChannel target = NodeFixture.udp();
                sockets.addAll(List.of(source, target));
                assertEquals(201, fixture.createRoute(900 + i, source, null, target).statusCode());
            }

            final Run full = loadgen(key(), 2, "--relay", relay(), "--first-stream-id", "1000");
            assertEquals(1, full.exit, full::toString);
            assertTrue(full.stderr.contains("hint: the node is full: it held 5 routes of MAX_STREAMS_PER_NODE=5 " +
                "when it refused, 0 of them this run's (deleted since), 5 from elsewhere. No stream fits now: " +
                "delete routes no one uses (GET /routes lists them, DELETE /route/ID deletes one), or run against " +
                "another node."), full::toString);
            assertFalse(full.stderr.contains("fewer --streams"), full::toString);
            assertNoStackTrace(full);
            assertEquals(List.of("900", "901", "902", "903", "904"), streamIds());
        }
        finally
        {
            for (int i = 0; i < MAX_STREAMS; i++)
            {
                fixture.authed("DELETE", "/route/" + (900 + i), null);
            }
            for (final DatagramChannel socket : sockets)
            {
                socket.close();
            }
        }
    }

    @Test
    void nothingArrivingFailsWithAHintNamingTheAddressTheDatagramsWentTo() throws Exception
    {
        // Bound, so the datagrams do not bounce: a socket that takes them and relays nothing.
        try (DatagramChannel silent = DatagramChannel.open())
        {
            silent.bind(new InetSocketAddress("127.0.0.44", 0));
            final String address = "127.0.0.44:" + ((InetSocketAddress)silent.getLocalAddress()).getPort();

            final Run lost = loadgen(key(), 2, "--relay", address);
            assertEquals(1, lost.exit, lost::toString);
            assertTrue(lost.stdout.contains("\nsent       100\n"), lost::toString);
            assertTrue(lost.stdout.contains("\nreceived   0 intact, once each\n"), lost::toString);
            assertTrue(lost.stdout.contains("\nFAIL: lost 100 (100.000% > 0.000% allowed)"), lost::toString);
            assertTrue(lost.stdout.contains("hint: nothing arrived. The datagrams went to " + address + " (--relay): " +
                "is that the relay's UDP address (the node's BIND_ADDR), reachable from here, and can the node " +
                "reach the sinks on --bind-host 127.0.0.1?"), lost::toString);
            assertNoStackTrace(lost);

            silent.configureBlocking(false);
            assertTrue(null != silent.receive(ByteBuffer.allocate(2048)), "the datagrams went to " + address);
        }
    }

    @Test
    void aRunThatPassesEndsWithTheShortSummaryAndVerboseAddsTheTableAndPlotAnSvg() throws Exception
    {
        // The sinks on a loopback address of their own: the node's routes name it.
        final Run brief = loadgen(key(), 3, "--relay", relay(), "--bind-host", "127.0.0.45");
        assertEquals(0, brief.exit, brief::toString);
        assertTrue(brief.stdout.contains("created 3 routes"), brief::toString);
        assertTrue(brief.stdout.contains("\nsent       150\n"), brief::toString);
        assertTrue(brief.stdout.contains("\nreceived   150 intact, once each\n"), brief::toString);
        assertTrue(brief.stdout.contains("\nlost       0 (0.000%)\n"), brief::toString);
        assertTrue(LATENCY.matcher(brief.stdout).find(), brief::toString);
        assertTrue(brief.stdout.endsWith("\nPASS\n"), brief::toString);
        assertFalse(brief.stdout.contains(TABLE_HEADER), brief::toString);
        assertFalse(brief.stdout.contains("hint:"), brief::toString);
        assertEquals("", brief.stderr, brief::toString);

        final Path svg = directory.resolve("x.svg");
        final Run verbose = loadgen(key(), 3, "--relay", relay(), "--verbose", "--plot", svg.toString());
        assertEquals(0, verbose.exit, verbose::toString);
        assertTrue(verbose.stdout.contains(TABLE_HEADER), verbose::toString);
        assertTrue(verbose.stdout.contains("#[Max     ="), verbose::toString);
        assertTrue(verbose.stdout.endsWith("\nPASS\n"), verbose::toString);

        final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        final Document chart = factory.newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", chart.getDocumentElement().getNodeName());
        final String texts = chart.getDocumentElement().getTextContent();
        assertTrue(texts.contains("loadgen: 3 streams, 50 pps each, passed"), texts);
        assertTrue(texts.contains("one way") && texts.contains("99.9%"), texts);
    }

    @Test
    void ctrlCDeletesTheRoutesFromTheNodeAndPrintsAPartialSummary() throws Exception
    {
        final Launched running = launch(key(), 3, "60", "--relay", relay(), "--warmup", "0");
        final Run stopped;
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_DEADLINE_S);
            while (!running.stdoutSoFar().contains("received") || streamIds().size() < 3)
            {
                assertTrue(running.process().isAlive() && System.nanoTime() < deadline, running.stdoutSoFar());
                Thread.sleep(20);
            }
            assertEquals(List.of("1000", "1001", "1002"), streamIds());
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(running.process().pid())).start()
                .waitFor());
            stopped = running.finish();
        }
        finally
        {
            running.process().destroyForcibly();
        }
        assertEquals(130, stopped.exit, stopped::toString);
        assertTrue(stopped.stdout.contains("loadgen: stopping, deleting 3 routes"), stopped::toString);
        assertTrue(stopped.stdout.contains("loadgen: stopped (Ctrl-C) after "), stopped::toString);
        assertTrue(stopped.stdout.matches("(?s).*\\nsent       [1-9][0-9]*\\n.*"), stopped::toString);
        assertTrue(stopped.stdout.matches("(?s).*\\nlatency    p50 [0-9.]+ .* ms  \\(so far\\).*"),
            stopped::toString);
        assertNoStackTrace(stopped);
        assertEquals(List.of(), streamIds(), "the run deleted its routes from the node");
    }

    private static String relay()
    {
        return "127.0.0.1:" + fixture.relay().getPort();
    }

    private static Map<String, String> key()
    {
        return Map.of("SOUNDRELAY_API_KEY", NodeFixture.KEY);
    }

    /**
     * @return the stream ids of the routes the node holds now, from GET /routes.
     */
    private static List<String> streamIds() throws Exception
    {
        final Matcher ids = STREAM_ID.matcher(fixture.authed("GET", "/routes", null).body());
        final List<String> result = new ArrayList<>();
        while (ids.find())
        {
            result.add(ids.group(1));
        }
        return result;
    }

    private static void assertNoStackTrace(final Run run)
    {
        assertFalse(run.all().contains("\tat ") || run.all().contains("Exception"), "no stack trace: " + run);
    }

    /**
     * Run {@code soundrelay-tools loadgen} for 1 s and wait for it to end.
     */
    private Run loadgen(final Map<String, String> env, final int streams, final String... options) throws Exception
    {
        return launch(env, streams, "1", options).finish();
    }

    /**
     * Start {@code soundrelay-tools loadgen} in a JVM of its own, as {@code java -jar soundrelay-tools.jar} does,
     * with only the given environment on top of PATH and HOME: the node's API, {@code streams} streams at 50
     * packets/s for {@code seconds}, then the test's options.
     */
    private Launched launch(final Map<String, String> env, final int streams, final String seconds,
        final String... options) throws Exception
    {
        final List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java", "-cp",
            System.getProperty("java.class.path"), SoundRelayTools.class.getName(), "loadgen",
            "--api", fixture.api(""), "--streams", Integer.toString(streams), "--pps", "50", "--duration", seconds,
            "--grace-ms", "500", "--report-interval", "0.5"));
        cmd.addAll(List.of(options));
        final Path out = Files.createTempFile(directory, "loadgen", ".out");
        final Path err = Files.createTempFile(directory, "loadgen", ".err");
        final ProcessBuilder builder = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf((name) -> !name.equals("PATH") && !name.equals("HOME"));
        builder.environment().putAll(env);
        return new Launched(builder.start(), out, err);
    }

    /**
     * A loadgen process and the files its stdout and stderr go to.
     */
    private record Launched(Process process, Path out, Path err)
    {
        String stdoutSoFar() throws Exception
        {
            return Files.readString(out, StandardCharsets.UTF_8);
        }

        Run finish() throws Exception
        {
            if (!process.waitFor(RUN_DEADLINE_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("loadgen still ran after " + RUN_DEADLINE_S + " s:\n" + stdoutSoFar() +
                    Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Run(process.exitValue(), stdoutSoFar(), Files.readString(err, StandardCharsets.UTF_8));
        }
    }

    /**
     * One loadgen run as its user sees it.
     */
    private record Run(int exit, String stdout, String stderr)
    {
        String all()
        {
            return stdout + stderr;
        }

        @Override
        public String toString()
        {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }
}
