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

import io.soundrelay.tools.WavReceiveCommand;
import io.soundrelay.tools.WavSendCommand;
import io.soundrelay.tools.WavToneCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WAV example client through a real node: wav-tone writes a file, wav-send creates a framed route to one or two
 * wav-receive commands, streams the file and deletes the route, and every receiver writes a byte-identical file.
 */
class WavThroughNodeTest
{
    // Large enough for a 20 ms frame of 48 kHz stereo: 20 + 3840 bytes.
    private static final String MAX_DATAGRAM_BYTES = "3860";

    private static NodeFixture fixture;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception
    {
        fixture = NodeFixture.start(Map.of("MAX_DATAGRAM_BYTES", MAX_DATAGRAM_BYTES));
    }

    @AfterAll
    static void stop()
    {
        fixture.close();
    }

    @Test
    void aToneStreamedToTwoTargetsArrivesByteIdenticalAtBothAndTheRouteIsDeleted() throws Exception
    {
        final Path tone = dir.resolve("tone.wav");
        final Run toneRun = Run.of(new WavToneCommand(), "--out", tone.toString(), "--seconds", "1");
        assertEquals(0, toneRun.exitCode, toneRun::toString);

        final Receiving first = Receiving.start(dir.resolve("received-1.wav"), "--frames", "50");
        final Receiving second = Receiving.start(dir.resolve("received-2.wav"), "--frames", "50");
        final Run send = Run.of(new WavSendCommand(), "--file", tone.toString(), "--stream-id", "42",
            "--relay", "127.0.0.1:" + fixture.relay().getPort(), "--api", fixture.api(""),
            "--api-key", NodeFixture.KEY, "--create-route", "--target", first.hostPort(),
            "--target", second.hostPort());

        assertEquals(0, send.exitCode, send::toString);
        assertTrue(send.out.contains("sent 50 frames, 48000 bytes"), send::toString);
        assertTrue(send.out.contains("route 42 deleted"), send::toString);
        assertFalse((send.out + send.err).contains(NodeFixture.KEY), "the API key is never printed");
        for (final Receiving receiving : List.of(first, second))
        {
            final Run receive = receiving.finish();
            assertEquals(0, receive.exitCode, receive::toString);
            assertTrue(receive.out.contains("stream 42: 50 frames received, 0 missing"), receive::toString);
            assertArrayEquals(Files.readAllBytes(tone), Files.readAllBytes(receiving.out));
        }
        assertEquals(404, fixture.authed("GET", "/route/42", null).statusCode());
    }

    @Test
    void fortyEightKilohertzStereoGoesAsPcmFramesWhenTheNodeTakesTheirSize() throws Exception
    {
        final Path tone = dir.resolve("stereo.wav");
        assertEquals(0, Run.of(new WavToneCommand(), "--out", tone.toString(), "--seconds", "0.5", "--rate", "48000",
            "--channels", "2").exitCode);

        final Receiving receiving = Receiving.start(dir.resolve("received.wav"), "--frames", "25", "--rate", "48000",
            "--channels", "2");
        final Run send = Run.of(new WavSendCommand(), "--file", tone.toString(), "--stream-id", "43",
            "--relay", "127.0.0.1:" + fixture.relay().getPort(), "--api", fixture.api(""),
            "--api-key", NodeFixture.KEY, "--create-route", "--target", receiving.hostPort(),
            "--max-datagram-bytes", MAX_DATAGRAM_BYTES);
        final Run receive = receiving.finish();

        assertEquals(0, send.exitCode, send::toString);
        assertTrue(send.out.contains("25 frames of 3840 bytes (kind PCM)"), send::toString);
        assertEquals(0, receive.exitCode, receive::toString);
        assertFalse(receive.err.contains("warning"), receive::toString);
        assertArrayEquals(Files.readAllBytes(tone), Files.readAllBytes(receiving.out));
        assertEquals(404, fixture.authed("GET", "/route/43", null).statusCode());
    }

    @Test
    void aRefusedRouteStopsTheSendWithTheNodesAnswerAndNoKeyInIt() throws Exception
    {
        final String wrongKey = "wrong-key-0123456789abcdef";
        final Run send = Run.of(new WavSendCommand(), "--tone", "440", "--seconds", "0.1", "--stream-id", "44",
            "--relay", "127.0.0.1:" + fixture.relay().getPort(), "--api", fixture.api(""),
            "--api-key", wrongKey, "--create-route", "--target", "127.0.0.1:9");

        assertEquals(1, send.exitCode, send::toString);
        assertTrue(send.err.contains("node answered 401"), send::toString);
        assertFalse((send.out + send.err).contains(wrongKey), send::toString);
        assertFalse(send.out.contains("sent"), send::toString);
        assertEquals(404, fixture.authed("GET", "/route/44", null).statusCode());
    }

    /**
     * One command run through picocli, its output captured.
     */
    private static final class Run
    {
        final int exitCode;
        final String out;
        final String err;

        private Run(final int exitCode, final String out, final String err)
        {
            this.exitCode = exitCode;
            this.out = out;
            this.err = err;
        }

        static Run of(final Object command, final String... args)
        {
            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final int exitCode = new CommandLine(command)
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
            return new Run(exitCode, out.toString(), err.toString());
        }

        public String toString()
        {
            return "exit " + exitCode + "\nout:\n" + out + "err:\n" + err;
        }
    }

    /**
     * A wav-receive on an ephemeral loopback port, in its own thread.
     */
    private static final class Receiving
    {
        final Path out;
        private final WavReceiveCommand command = new WavReceiveCommand();
        private final AtomicReference<Run> run = new AtomicReference<>();
        private final Thread thread;

        private Receiving(final Path out, final String[] args)
        {
            this.out = out;
            this.thread = new Thread(() -> run.set(Run.of(command, args)), "wav-receive");
            thread.setDaemon(true);
        }

        static Receiving start(final Path out, final String... extra) throws InterruptedException
        {
            final List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--out", out.toString(),
                "--idle-timeout", "5"));
            args.addAll(List.of(extra));
            final Receiving receiving = new Receiving(out, args.toArray(new String[0]));
            receiving.thread.start();
            NodeFixture.waitFor("wav-receive listening",
                () -> null != receiving.command.localAddress() || null != receiving.run.get());
            if (null == receiving.command.localAddress())
            {
                throw new AssertionError("wav-receive did not start: " + receiving.run.get());
            }
            return receiving;
        }

        String hostPort()
        {
            return "127.0.0.1:" + command.localAddress().getPort();
        }

        Run finish() throws InterruptedException
        {
            thread.join(TimeUnit.SECONDS.toMillis(30));
            if (thread.isAlive())
            {
                throw new AssertionError("wav-receive did not stop within 30 s");
            }
            return run.get();
        }
    }
}
