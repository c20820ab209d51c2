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

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} of a test's own on a free loopback port, which the test can kill (SIGKILL) and start
 * again, empty or from its last {@code SAVE}. Never the machine's shared Redis.
 */
public final class RedisServer implements AutoCloseable
{
    private final int port;
    private final File dir;
    private final List<String> extraArgs;
    private Process process;
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;

    private RedisServer(final int port, final File dir, final List<String> extraArgs)
    {
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    public static RedisServer start(final String... extraArgs) throws Exception
    {
        final RedisServer server = new RedisServer(
            freePort(), Files.createTempDirectory("soundrelay-redis").toFile(), List.of(extraArgs));
        server.startProcess();
        return server;
    }

    /**
     * A server that speaks only TLS on its port.
     *
     * @param cert PEM certificate (also the CA: self-signed).
     * @param key  PEM private key.
     * @return the running server.
     */
    static RedisServer startTls(final File cert, final File key) throws Exception
    {
        final int port = freePort();
        final RedisServer server = new RedisServer(port, Files.createTempDirectory("soundrelay-redis").toFile(),
            List.of("--port", "0", "--tls-port", Integer.toString(port), "--tls-cert-file", cert.getAbsolutePath(),
                "--tls-key-file", key.getAbsolutePath(), "--tls-ca-cert-file", cert.getAbsolutePath(),
                "--tls-auth-clients", "no"));
        server.startProcess();
        return server;
    }

    static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0))
        {
            return s.getLocalPort();
        }
    }

    public int port()
    {
        return port;
    }

    boolean isAlive()
    {
        return process != null && process.isAlive();
    }

    public String url()
    {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * Start the server process; it loads {@code dump.rdb} from its directory when one was saved.
     */
    public void startProcess() throws Exception
    {
        final List<String> cmd = new ArrayList<>(List.of("redis-server",
            "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", dir.getAbsolutePath(), "--dbfilename", "dump.rdb"));
        cmd.addAll(extraArgs);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(new File(dir, "redis.log")).start();
        awaitPort(process, port, new File(dir, "redis.log"));
    }

    /**
     * Returns once the process accepts connections on the port; fails with its log if it exits or takes 10 s.
     */
    static void awaitPort(final Process process, final int port, final File log) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true)
        {
            try (Socket s = new Socket("127.0.0.1", port))
            {
                return;
            }
            catch (final IOException ex)
            {
                if (!process.isAlive() || System.nanoTime() > deadline)
                {
                    throw new IllegalStateException(String.join(" ", process.info().commandLine().orElse("redis-server")) +
                        " did not start: " + Files.readString(log.toPath()));
                }
                Thread.sleep(5);
            }
        }
    }

    /**
     * SIGKILL: everything not saved is gone.
     */
    public void kill() throws Exception
    {
        closeClient();
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * SIGSTOP: the process stops answering but keeps its connections open, as a host that froze or a network that
     * went dead would look.
     */
    void freeze() throws Exception
    {
        signal("-STOP");
    }

    /**
     * SIGCONT after {@link #freeze()}.
     */
    void thaw() throws Exception
    {
        signal("-CONT");
    }

    private void signal(final String signal) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0)
        {
            throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
        }
    }

    /**
     * Forget any saved data, so the next start is empty.
     */
    void wipe()
    {
        new File(dir, "dump.rdb").delete();
    }

    /**
     * @return a client connection of the test's own, to check Redis from outside the node.
     */
    public RedisCommands<String, String> cli()
    {
        if (connection == null || !connection.isOpen())
        {
            closeClient();
            client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(5)).build());
            connection = client.connect();
        }
        return connection.sync();
    }

    private void closeClient()
    {
        if (client != null)
        {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            client = null;
            connection = null;
        }
    }

    public void close() throws Exception
    {
        kill();
    }
}
