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

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node as its own process ({@code SoundRelayMain} on the test class path), on free loopback ports chosen up
 * front, with its log collected line by line. A test can kill it with SIGKILL and start another.
 */
final class NodeProcess implements AutoCloseable
{
    final int relayPort;
    final int apiPort;
    private final Process process;
    private final StringBuffer log = new StringBuffer();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private NodeProcess(final Process process, final int relayPort, final int apiPort)
    {
        this.process = process;
        this.relayPort = relayPort;
        this.apiPort = apiPort;
        final Thread pump = new Thread(() ->
        {
            try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    log.append(line).append('\n');
                }
            }
            catch (final Exception ex)
            {
                // the process is gone
            }
        }, "node-log-pump");
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Start a node and wait until it says it is up.
     *
     * @param env      its environment (ports are added).
     * @param jvmArgs  extra JVM options.
     * @return the running node.
     */
    static NodeProcess start(final Map<String, String> env, final String... jvmArgs) throws Exception
    {
        final int relayPort;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)))
        {
            relayPort = s.getLocalPort();
        }
        final int apiPort = RedisServer.freePort();
        final List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + "/bin/java");
        cmd.add("--add-exports");
        cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SoundRelayMain.class.getName());
        final File dir = java.nio.file.Files.createTempDirectory("soundrelay-node").toFile();
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
        pb.environment().put("BIND_ADDR", "127.0.0.1:" + relayPort);
        pb.environment().put("CONTROL_API_ADDR", "127.0.0.1:" + apiPort);
        pb.environment().put("METRICS_ADDR", "127.0.0.1:" + apiPort);
        pb.environment().put("API_KEYS", NodeFixture.KEY);
        pb.environment().putAll(env);
        final NodeProcess node = new NodeProcess(pb.start(), relayPort, apiPort);
        node.awaitLog(" up: relay ");
        return node;
    }

    /**
     * Wait until the log holds a text, or fail with the log.
     *
     * @param text to find.
     */
    void awaitLog(final String text) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (log.indexOf(text) < 0)
        {
            if (!process.isAlive() || System.nanoTime() > deadline)
            {
                throw new AssertionError("node never logged \"" + text + "\":\n" + log);
            }
            Thread.sleep(5);
        }
    }

    String log()
    {
        return log.toString();
    }

    InetSocketAddress relay()
    {
        return new InetSocketAddress("127.0.0.1", relayPort);
    }

    HttpResponse<String> call(final String method, final String path, final String body) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + NodeFixture.KEY)
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * SIGKILL: no drain, no goodbye to Redis.
     */
    void kill9() throws Exception
    {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * SIGTERM and wait for the exit status.
     *
     * @return the exit status.
     */
    int stop() throws Exception
    {
        process.toHandle().destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
        }
        return process.exitValue();
    }

    public void close() throws Exception
    {
        if (process.isAlive())
        {
            kill9();
        }
    }
}
