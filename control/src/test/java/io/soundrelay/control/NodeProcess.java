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

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node in its own JVM, started from the test class path as {@link NodeProcessTest} does, with stdout and stderr
 * going to one file: the node's whole log, which a test can measure.
 */
final class NodeProcess implements AutoCloseable
{
    static final String KEY = "fuzz-key-0123456789abcdef";

    private static final Pattern UP = Pattern.compile(
        " up: relay ([0-9.]+):(\\d+) \\((\\w+)\\), control API http://([0-9.]+):(\\d+)");

    private final Process process;
    private final Path log;
    private final InetSocketAddress relay;
    private final String transport;
    private final String api;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private NodeProcess(final Process process, final Path log, final Matcher up)
    {
        this.process = process;
        this.log = log;
        this.relay = new InetSocketAddress(up.group(1), Integer.parseInt(up.group(2)));
        this.transport = up.group(3);
        this.api = "http://" + up.group(4) + ":" + up.group(5);
    }

    /**
     * Start a node on loopback with ephemeral ports, no Redis and {@link #KEY} as its API key, and wait until it
     * logs that it is up.
     *
     * @param env     settings on top of those.
     * @param jvmArgs extra JVM options.
     * @return the running node.
     * @throws Exception when it does not come up within 30 s.
     */
    static NodeProcess start(final Map<String, String> env, final String... jvmArgs) throws Exception
    {
        return start(List.of(), env, jvmArgs);
    }

    /**
     * Start a node as {@link #start(Map, String...)} does, its command behind a prefix such as
     * {@code prlimit --nofile=512:512 --}.
     *
     * @param prefix  words before the java command.
     * @param env     settings on top of the test's.
     * @param jvmArgs extra JVM options.
     * @return the running node.
     * @throws Exception when it does not come up within 30 s.
     */
    static NodeProcess start(final List<String> prefix, final Map<String, String> env, final String... jvmArgs)
        throws Exception
    {
        final Path dir = Files.createTempDirectory("soundrelay-node");
        final Path log = dir.resolve("node.log");
        final Process process = launch(prefix, env, dir, log, jvmArgs);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            final Matcher up = UP.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (up.find())
            {
                return new NodeProcess(process, log, up);
            }
            if (!process.isAlive() || System.nanoTime() > deadline)
            {
                process.destroyForcibly();
                throw new AssertionError("node did not come up:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * Start a node that is expected to refuse to start, and wait for it to exit.
     *
     * @param prefix words before the java command.
     * @param env    settings on top of the test's.
     * @return the exit code (-1 when it still ran after 30 s and was killed) and the whole log, as "code\nlog".
     * @throws Exception on I/O failure.
     */
    static String runToExit(final List<String> prefix, final Map<String, String> env) throws Exception
    {
        final Path dir = Files.createTempDirectory("soundrelay-node");
        final Path log = dir.resolve("node.log");
        final Process process = launch(prefix, env, dir, log);
        final boolean exited = process.waitFor(30, TimeUnit.SECONDS);
        if (!exited)
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        final String text = (exited ? process.exitValue() : -1) + "\n" + Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        Files.deleteIfExists(dir);
        return text;
    }

    private static Process launch(
        final List<String> prefix, final Map<String, String> env, final Path dir, final Path log,
        final String... jvmArgs) throws IOException
    {
        final List<String> cmd = new ArrayList<>(prefix);
        cmd.add(System.getProperty("java.home") + "/bin/java");
        cmd.add("--add-exports");
        cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("--enable-native-access=ALL-UNNAMED"); // as the node jar's manifest
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SoundRelayMain.class.getName());
        final ProcessBuilder pb = new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
        final Map<String, String> settings = new HashMap<>();
        settings.put("BIND_ADDR", "127.0.0.1:0");
        settings.put("CONTROL_API_ADDR", "127.0.0.1:0");
        settings.put("METRICS_ADDR", "127.0.0.1:0");
        settings.put("REDIS_URL", "");
        settings.put("API_KEYS", KEY);
        settings.putAll(env);
        pb.environment().putAll(settings);
        return pb.start();
    }

    /**
     * @return the control API's address.
     */
    InetSocketAddress apiAddress()
    {
        final URI uri = URI.create(api);
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }

    /**
     * @return the node's process id (for prlimit --pid).
     */
    long pid()
    {
        return process.pid();
    }

    InetSocketAddress relay()
    {
        return relay;
    }

    /**
     * @return the receive transport the node reported: epoll or nio.
     */
    String transport()
    {
        return transport;
    }

    /**
     * @return bytes the node has written to its log so far.
     * @throws IOException when the file cannot be read.
     */
    long logBytes() throws IOException
    {
        return Files.size(log);
    }

    /**
     * @param from byte offset.
     * @return the log from that offset on.
     * @throws IOException when the file cannot be read.
     */
    String logSince(final long from) throws IOException
    {
        final byte[] all = Files.readAllBytes(log);
        return new String(all, (int)Math.min(from, all.length), (int)Math.max(0, all.length - from),
            StandardCharsets.UTF_8);
    }

    /**
     * @return the whole log so far.
     * @throws IOException when the file cannot be read.
     */
    String log() throws IOException
    {
        return logSince(0);
    }

    /**
     * SIGKILL: no drain, no goodbye to Redis.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    void kill9() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * @param method HTTP method.
     * @param path   request path.
     * @param body   JSON body or null.
     * @return the response, authenticated with {@link #KEY}.
     * @throws Exception on I/O failure.
     */
    HttpResponse<String> call(final String method, final String path, final String body) throws Exception
    {
        final HttpRequest request = HttpRequest.newBuilder(URI.create(api + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + KEY)
            .method(method, body == null ?
                HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * @return every sample of {@code /metrics} without labels or with one, by series name as written.
     * @throws Exception on I/O failure.
     */
    Map<String, Double> metrics() throws Exception
    {
        final Map<String, Double> samples = new HashMap<>();
        for (final String line : call("GET", "/metrics", null).body().split("\n"))
        {
            final int space = line.lastIndexOf(' ');
            if (!line.startsWith("#") && space > 0)
            {
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }

    /**
     * Stop with SIGTERM, as an orchestrator would.
     *
     * @return the exit code.
     * @throws InterruptedException when interrupted while waiting.
     */
    int stop() throws InterruptedException
    {
        process.toHandle().destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) // a drain takes DRAIN_TIMEOUT_SECONDS (60) at most
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    /**
     * Send SIGTERM and return at once.
     */
    void sigterm()
    {
        process.toHandle().destroy();
    }

    /**
     * @param seconds how long to wait at most.
     * @return the exit code, or -1 when the node still runs.
     * @throws InterruptedException when interrupted while waiting.
     */
    int awaitExit(final long seconds) throws InterruptedException
    {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    /**
     * Kill the node if it still runs and delete its log.
     */
    public void close()
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            try
            {
                process.waitFor(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        try
        {
            Files.deleteIfExists(log);
            Files.deleteIfExists(log.getParent());
        }
        catch (final IOException ex)
        {
            // a leftover temporary file is no failure
        }
    }
}
