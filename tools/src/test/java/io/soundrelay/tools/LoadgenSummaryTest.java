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

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code loadgen} shows: the short summary and --verbose, --plot and the plot command, the hints for a 401, a
 * 503 at capacity and a run where nothing arrived, and the partial summary of a run stopped by Ctrl-C.
 */
final class LoadgenSummaryTest
{
    private static final String TABLE_HEADER = "       Value     Percentile TotalCount 1/(1-Percentile)";
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(60);

    @TempDir
    Path directory;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final StringWriter picocliErr = new StringWriter();

    @Test
    void theSummaryIsShortAndInMillisecondsAndVerboseHasTheTable() throws Exception
    {
        final int sink = FreePorts.one();
        assertEquals(0, loadgen("--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink)),
            this::output);

        final String brief = output();
        assertTrue(brief.contains("\nsent       200\n"), brief);
        assertTrue(brief.contains("\nreceived   200 intact, once each\n"), brief);
        assertTrue(brief.contains("\nlost       0 (0.000%)\n"), brief);
        assertTrue(brief.matches("(?s).*\\nlatency    p50 [0-9.]+  p99 [0-9.]+  p99\\.9 [0-9.]+  max [0-9.]+ ms .*"),
            brief);
        assertTrue(brief.contains("\nPASS"), brief);
        assertFalse(brief.contains(TABLE_HEADER), brief);
        final String summary = brief.substring(brief.indexOf("\nsent       "));
        assertFalse(summary.contains("us"), "one unit, ms:\n" + summary);
        assertFalse(brief.contains("duplicates"), brief);

        stdout.reset();
        assertEquals(0, loadgen("--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink),
            "--verbose"), this::output);
        assertTrue(output().contains(TABLE_HEADER), this::output);
        assertTrue(output().contains("duplicates    0"), this::output);
    }

    @Test
    void plotWritesAnSvgWithTheSeriesAndTheAxesAndAPng() throws Exception
    {
        final int sink = FreePorts.one();
        final Path svg = directory.resolve("run.svg");
        final Path png = directory.resolve("run.PNG");

        assertEquals(0, loadgen("--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink),
            "--plot", svg.toString()), this::output);
        assertEquals(0, loadgen("--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink),
            "--plot", png.toString()), this::output);

        final List<String> texts = svgTexts(svg);
        assertTrue(texts.contains("one way"), texts::toString);
        assertTrue(texts.contains("percentile"), texts::toString);
        assertTrue(texts.contains("latency (ms)"), texts::toString);
        assertTrue(texts.containsAll(List.of("0%", "90%", "99%", "99.9%", "99.99%", "99.999%")), texts::toString);
        final BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO reads the PNG");
        assertTrue(image.getWidth() > 100 && image.getHeight() > 100);
    }

    @Test
    void plotRefusesAnotherFormatNamingTheOption()
    {
        assertEquals(2, loadgen("--relay", "127.0.0.1:9", "--plot", directory.resolve("run.jpg").toString()),
            this::output);
        assertTrue(output().contains("--plot=") && output().contains(".svg or .png"), this::output);
        assertFalse(output().contains("Exception"), this::output);
    }

    @Test
    void plotCommandDrawsOneSeriesPerFile() throws Exception
    {
        final int sink = FreePorts.one();
        final Path first = directory.resolve("first.hgrm");
        final Path second = directory.resolve("second.hgrm");
        assertEquals(0, loadgen("--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink),
            "--hgrm", first.toString()), this::output);
        assertEquals(0, loadgen("--relay", "127.0.0.1:" + sink, "--sink-ports", Integer.toString(sink),
            "--hgrm", second.toString()), this::output);
        final Path chart = directory.resolve("compare.svg");

        stdout.reset();
        assertEquals(0, tools("plot", "--out", chart.toString(), first.toString(), "named=" + second), this::output);

        assertTrue(output().contains("plot: 2 series in " + chart), this::output);
        final List<String> texts = svgTexts(chart);
        assertTrue(texts.contains("first") && texts.contains("named"), texts::toString);

        final Path notHgrm = directory.resolve("notes.txt");
        Files.writeString(notHgrm, "nothing here\n");
        assertEquals(1, tools("plot", "--out", chart.toString(), notHgrm.toString()), this::output);
        assertTrue(output().contains("no percentile lines"), this::output);
        assertEquals(2, tools("plot", "--out", directory.resolve("x.gif").toString(), first.toString()),
            this::output);
        assertTrue(output().contains("--out="), this::output);
    }

    @Test
    void aRefusedKeyHintsAtTheKeyVariables() throws Exception
    {
        try (FakeApi api = new FakeApi(401, "{\"error\":\"missing or invalid API key\"}"))
        {
            assertEquals(1, loadgen("--create-routes", "--api", api.url(), "--relay", "127.0.0.1:9"),
                this::output);
        }
        assertTrue(output().contains("hint: the node wants an API key and none was given"), this::output);
        assertTrue(output().contains("--api-key") && output().contains("SOUNDRELAY_API_KEY") &&
            output().contains("API_KEYS"), this::output);
    }

    @Test
    void aFullNodeHintsHowManyRoutesItHolds() throws Exception
    {
        try (FakeApi api = new FakeApi(503, "{\"error\":\"node is at MAX_STREAMS_PER_NODE=1000: it holds 1000 " +
            "route(s) (handed-off routes count until their grace ends); create the route on another node\"}"))
        {
            assertEquals(1, loadgen("--create-routes", "--api", api.url(), "--relay", "127.0.0.1:9"),
                this::output);
        }
        assertTrue(output().contains("hint: the node is full: it held 1000 routes of MAX_STREAMS_PER_NODE=1000 " +
            "when it refused, 0 of them this run's"), this::output);
        assertTrue(output().contains("No stream fits now: delete routes no one uses (GET /routes lists them"),
            this::output);
        assertFalse(output().contains("fewer --streams"), "fewer streams would not fit either: " + output());
    }

    @Test
    void aFullNodeThatDoesNotCountIsAskedForItsHealth() throws Exception
    {
        try (FakeApi api = new FakeApi(503, "{\"error\":\"node is at MAX_STREAMS_PER_NODE\"}"))
        {
            assertEquals(1, loadgen("--create-routes", "--api", api.url(), "--relay", "127.0.0.1:9"),
                this::output);
        }
        assertTrue(output().contains("hint: the node is full: it held 7 routes when it refused"), this::output);
    }

    @Test
    void aDrainingNodeGetsNoCapacityHint() throws Exception
    {
        try (FakeApi api = new FakeApi(503, "{\"error\":\"node is draining (SIGTERM or POST /drain): it takes " +
            "no new route; create it on another node\"}"))
        {
            assertEquals(1, loadgen("--create-routes", "--api", api.url(), "--relay", "127.0.0.1:9"),
                this::output);
        }
        assertTrue(output().contains("node is draining"), this::output);
        assertFalse(output().contains("hint:"), this::output);
    }

    @Test
    void nothingArrivingHintsAtTheRelayAddress() throws Exception
    {
        final int[] ports = FreePorts.some(2);
        assertEquals(1, loadgen("--relay", "127.0.0.1:" + ports[0], "--sink-ports", Integer.toString(ports[1]),
            "--grace-ms", "100"), this::output);
        assertTrue(output().contains("FAIL: lost 200 (100.000%"), this::output);
        assertTrue(output().contains("hint: nothing arrived. The datagrams went to 127.0.0.1:" + ports[0] +
            " (--relay)"), this::output);
    }

    @Test
    void ctrlCPrintsAPartialSummary() throws Exception
    {
        final int sink = FreePorts.one();
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        final Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
            SoundRelayTools.class.getName(), "loadgen", "--no-create-routes", "--relay", "127.0.0.1:" + sink,
            "--sink-ports", Integer.toString(sink), "--streams", "2", "--pps", "50", "--duration", "120",
            "--warmup", "0.1").redirectErrorStream(true).start();
        final StringBuffer out = new StringBuffer();
        final Thread reader = Thread.ofVirtual().start(() -> copy(process.getInputStream(), out));
        try
        {
            final long deadline = System.nanoTime() + DEADLINE_NS;
            while (!out.toString().contains("received") && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(20);
            }
            assertTrue(out.toString().contains("received"), out::toString);
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor());
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), out::toString);
            reader.join(TimeUnit.SECONDS.toMillis(10));
        }
        finally
        {
            process.destroyForcibly();
        }

        assertEquals(130, process.exitValue(), out::toString);
        final String text = out.toString();
        assertTrue(text.contains("loadgen: stopped (Ctrl-C) after "), text);
        assertTrue(text.matches("(?s).*\\nsent       [1-9][0-9]*\\n.*"), text);
        assertTrue(text.matches("(?s).*\\nreceived   [0-9]+ intact, once each.*"), text);
        assertTrue(text.matches("(?s).*\\nlatency    p50 [0-9.]+ .* ms  \\(so far\\).*"), text);
    }

    private static void copy(final InputStream in, final StringBuffer out)
    {
        try (in)
        {
            final byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                out.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        }
        catch (final IOException ignore)
        {
            // the process ended
        }
    }

    private static List<String> svgTexts(final Path svg) throws Exception
    {
        final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        // The SVG names the SVG 1.0 DTD: parse it offline.
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        final Document document = factory.newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", document.getDocumentElement().getNodeName());
        final NodeList texts = document.getElementsByTagName("text");
        final List<String> result = new ArrayList<>();
        for (int i = 0; i < texts.getLength(); i++)
        {
            result.add(texts.item(i).getTextContent().trim());
        }
        return result;
    }

    /**
     * A control API that answers every request with one status and body, but GET /health: 200, 7 routes.
     */
    private static final class FakeApi implements AutoCloseable
    {
        static final String HEALTH = "{\"status\":\"ok\",\"active_routes\":7}";

        private final HttpServer server;

        FakeApi(final int status, final String body) throws IOException
        {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", (exchange) ->
            {
                final boolean health = "/health".equals(exchange.getRequestURI().getPath());
                final byte[] bytes = (health ? HEALTH : body).getBytes(StandardCharsets.UTF_8);
                exchange.getRequestBody().readAllBytes();
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(health ? 200 : status, bytes.length);
                exchange.getResponseBody().write(bytes);
                exchange.close();
            });
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
    }

    private int loadgen(final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("loadgen", "--streams", "4", "--pps", "50",
            "--duration", "1", "--warmup", "0"));
        if (!List.of(args).contains("--create-routes"))
        {
            all.add("--no-create-routes");
        }
        all.addAll(List.of(args));
        return tools(all.toArray(new String[0]));
    }

    private int tools(final String... args)
    {
        final String command = args[0];
        final Object instance = "plot".equals(command) ?
            new PlotCommand(new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8)) :
            new LoadgenCommand(new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8), Map.<String, String>of()::get);
        final CommandLine commandLine = SoundRelayTools.configure(new CommandLine(instance));
        commandLine.setErr(new PrintWriter(picocliErr, true));
        return commandLine.execute(List.of(args).subList(1, args.length).toArray(new String[0]));
    }

    private String output()
    {
        return stdout.toString(StandardCharsets.UTF_8) + stderr.toString(StandardCharsets.UTF_8) + picocliErr;
    }


}
