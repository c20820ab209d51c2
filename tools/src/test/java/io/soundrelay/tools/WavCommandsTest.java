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

import io.soundrelay.protocol.FrameFlyweight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WAV commands without a node: wav-send straight to wav-receive (which sees the whole frames, as through a
 * route with deliver framed), hand-made datagrams, and the options each command refuses.
 */
final class WavCommandsTest
{
    @TempDir
    Path dir;

    @Test
    void wavToneWritesACanonicalFileOfTheAskedFormat() throws Exception
    {
        final Path file = dir.resolve("tone.wav");
        final Run run = Run.of(new WavToneCommand(), "--out", file.toString(), "--hz", "1000", "--seconds", "0.25",
            "--rate", "16000", "--channels", "2");

        assertEquals(0, run.exitCode, run::toString);
        final byte[] bytes = Files.readAllBytes(file);
        assertEquals(44 + 4000 * 4, bytes.length);
        assertArrayEquals(WavFile.canonicalHeader(16_000, 2, 4000 * 4), Arrays.copyOf(bytes, 44));
        assertArrayEquals(new SineTone(1000, 16_000, 2, 4000).readAllBytes(), Arrays.copyOfRange(bytes, 44,
            bytes.length));
        assertTrue(run.out.contains("wrote " + file), run::toString);
    }

    @Test
    void wavToneRefusesAToneItCannotWrite()
    {
        final String out = dir.resolve("x.wav").toString();
        assertRefused(Run.of(new WavToneCommand(), "--out", out, "--hz", "13000"), "below half the rate");
        assertRefused(Run.of(new WavToneCommand(), "--out", out, "--rate", "11025"), "multiple of 50");
        assertRefused(Run.of(new WavToneCommand(), "--out", out, "--channels", "0"), "--channels=0");
        assertRefused(Run.of(new WavToneCommand(), "--out", out, "--seconds", "0"), "--seconds=0");
        assertRefused(Run.of(new WavToneCommand()), "--out");
        assertFalse(Files.exists(dir.resolve("x.wav")));
    }

    @Test
    void wavSendRefusesAFrameOverTheDatagramLimitAndSaysWhatToChange()
    {
        final Run run = Run.of(new WavSendCommand(), "--tone", "440", "--rate", "48000", "--channels", "2",
            "--stream-id", "7", "--relay", "127.0.0.1:9");

        assertRefused(run, "3860 bytes", "--max-datagram-bytes 1500", "MAX_DATAGRAM_BYTES", "rate or channels");
        assertFalse(run.out.contains("sent"), run::toString);
    }

    @Test
    void wavSendRefusesBadOptionsAndFiles() throws Exception
    {
        final Path floats = Files.write(dir.resolve("float.wav"), WavFileTest.riff(
            WavFileTest.fmt(3, 1, 48_000, 32, 16), WavFileTest.chunk("data", new byte[16])));
        assertRefused(Run.of(new WavSendCommand(), "--file", floats.toString(), "--stream-id", "7"),
            floats + ": audio format IEEE float");
        assertRefused(Run.of(new WavSendCommand(), "--file", dir.resolve("none.wav").toString(), "--stream-id", "7"),
            "none.wav: no such file");
        assertRefused(Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "0"), "stream ids start at 1");
        assertRefused(Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "18446744073709551616"),
            "not a decimal number");
        assertRefused(Run.of(new WavSendCommand(), "--tone", "440"), "--stream-id");
        assertRefused(Run.of(new WavSendCommand(), "--stream-id", "7"), "--file", "--tone");
        assertRefused(Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7", "--create-route"),
            "--target");
        assertRefused(Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7", "--bind-host", "0.0.0.0",
            "--create-route", "--target", "127.0.0.1:9"), "wildcard");
        assertRefused(Run.of(new WavSendCommand(), "--file", floats.toString(), "--rate", "8000", "--stream-id",
            "7"), "shape --tone");
    }

    @Test
    void aWavFileSentStraightToTheReceiverComesBackByteIdentical() throws Exception
    {
        final Path sent = dir.resolve("tone.wav");
        final Path received = dir.resolve("received.wav");
        assertEquals(0, Run.of(new WavToneCommand(), "--out", sent.toString(), "--seconds", "0.5").exitCode);

        final Receiving receiving = Receiving.start(received, "--frames", "25");
        final Run send = Run.of(new WavSendCommand(), "--file", sent.toString(), "--stream-id", "18446744073709551615",
            "--relay", receiving.hostPort());
        final Run receive = receiving.finish();

        assertEquals(0, send.exitCode, send::toString);
        assertTrue(send.out.contains("sent 25 frames, 24000 bytes"), send::toString);
        assertEquals(0, receive.exitCode, receive::toString);
        assertTrue(receive.out.contains("stream 18446744073709551615: 25 frames received, 0 missing, 0 duplicates, " +
            "0 reordered; wrote 24000 bytes"), receive::toString);
        assertArrayEquals(Files.readAllBytes(sent), Files.readAllBytes(received));
    }

    @Test
    void theReceiverUndoesReorderingDropsDuplicatesAndWritesSilenceForALostFrame() throws Exception
    {
        final Path received = dir.resolve("received.wav");
        final Receiving receiving = Receiving.start(received, "--idle-timeout", "0.3", "--rate", "8000");
        try (DatagramChannel sender = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            final InetSocketAddress to = receiving.address();
            for (final int sequence : new int[] { 0, 2, 1, 1, 4 })
            {
                sender.send(ByteBuffer.wrap(frame(5, sequence, payload(sequence, 320))), to);
            }
            sender.send(ByteBuffer.wrap(frame(6, 3, payload(3, 320))), to); // another stream
            sender.send(ByteBuffer.wrap(frame(5, 3, new byte[0])), to); // a keep-alive
            sender.send(ByteBuffer.wrap(new byte[] { 1, 2, 3 }), to); // not a frame
        }
        final Run receive = receiving.finish();

        assertEquals(1, receive.exitCode, receive::toString);
        assertTrue(receive.out.contains("stream 5: 4 frames received, 1 missing, 1 duplicates, 1 reordered; " +
            "wrote 1600 bytes"), receive::toString);
        assertTrue(receive.out.contains("ignored 1 datagrams that were not SoundRelay frames"), receive::toString);
        assertTrue(receive.out.contains("ignored 1 frames of other streams"), receive::toString);
        assertTrue(receive.out.contains("ignored 1 keep-alives"), receive::toString);
        final byte[] expected = WavFileTest.concat(WavFile.canonicalHeader(8000, 1, 1600), WavFileTest.concat(
            WavFileTest.concat(payload(0, 320), payload(1, 320)),
            WavFileTest.concat(WavFileTest.concat(payload(2, 320), new byte[320]), payload(4, 320))));
        assertArrayEquals(expected, Files.readAllBytes(received));
    }

    @Test
    void withDeliverPayloadTheReceiverWritesDatagramsInArrivalOrder() throws Exception
    {
        final Path received = dir.resolve("received.wav");
        final Receiving receiving = Receiving.start(received, "--deliver", "payload", "--frames", "3");
        try (DatagramChannel sender = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            for (final int n : new int[] { 2, 0, 1 })
            {
                sender.send(ByteBuffer.wrap(payload(n, 960)), receiving.address());
            }
        }
        final Run receive = receiving.finish();

        assertEquals(0, receive.exitCode, receive::toString);
        assertTrue(receive.out.contains("3 datagrams received (deliver payload"), receive::toString);
        final byte[] data = Arrays.copyOfRange(Files.readAllBytes(received), 44, 44 + 3 * 960);
        assertArrayEquals(WavFileTest.concat(payload(2, 960), WavFileTest.concat(payload(0, 960), payload(1, 960))),
            data);
    }

    @Test
    void theReceiverStopsAtMaxSeconds() throws Exception
    {
        final Path received = dir.resolve("received.wav");
        final Receiving receiving = Receiving.start(received, "--max-seconds", "0.04", "--rate", "8000");
        try (DatagramChannel sender = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            for (int sequence = 0; sequence < 3; sequence++)
            {
                sender.send(ByteBuffer.wrap(frame(5, sequence, payload(sequence, 320))), receiving.address());
            }
        }
        final Run receive = receiving.finish();

        assertEquals(1, receive.exitCode, receive::toString);
        assertTrue(receive.err.contains("longer than --max-seconds 0.04"), receive::toString);
        assertEquals(44 + 640, Files.size(received));
    }

    @Test
    void theReceiverRefusesBadOptions()
    {
        final String out = dir.resolve("r.wav").toString();
        assertRefused(Run.of(new WavReceiveCommand(), "--out", out, "--deliver", "raw"), "framed or payload");
        assertRefused(Run.of(new WavReceiveCommand(), "--out", out, "--idle-timeout", "0"), "--idle-timeout=0");
        assertRefused(Run.of(new WavReceiveCommand(), "--out", out, "--max-seconds", "1e9"), "--max-seconds");
        assertRefused(Run.of(new WavReceiveCommand(), "--out", dir.resolve("no/r.wav").toString()),
            "no such directory");
        assertRefused(Run.of(new WavReceiveCommand(), "--out", out, "--listen", "127.0.0.1"), "host:port");
    }

    static byte[] frame(final long streamId, final int sequence, final byte[] payload)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(FrameFlyweight.HEADER_LENGTH + payload.length);
        new FrameFlyweight().wrap(buffer, 0).header(FrameFlyweight.KIND_OPAQUE, streamId, sequence, sequence * 960);
        buffer.put(FrameFlyweight.HEADER_LENGTH, payload);
        return buffer.array();
    }

    private static byte[] payload(final int n, final int length)
    {
        final byte[] bytes = new byte[length];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, n + 1);
        Arrays.fill(bytes, 4, length, (byte)(n * 17 + 1));
        return bytes;
    }

    static void assertRefused(final Run run, final String... expected)
    {
        assertEquals(2, run.exitCode, run::toString);
        for (final String text : expected)
        {
            assertTrue(run.err.contains(text), () -> "'" + text + "' in: " + run);
        }
    }

    /**
     * One command run through picocli, its output captured.
     */
    static final class Run
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
     * A wav-receive on an ephemeral loopback port, running in its own thread.
     */
    static final class Receiving
    {
        private final WavReceiveCommand command;
        private final AtomicReference<Run> run = new AtomicReference<>();
        private final Thread thread;

        private Receiving(final WavReceiveCommand command, final String... args)
        {
            this.command = command;
            thread = new Thread(() -> run.set(Run.of(command, args)), "wav-receive");
            thread.setDaemon(true);
        }

        static Receiving start(final Path out, final String... extra) throws InterruptedException
        {
            return start(new WavReceiveCommand(), out, extra);
        }

        /**
         * @param command the command to run, e.g. one on a test's clock.
         */
        static Receiving start(final WavReceiveCommand command, final Path out, final String... extra)
            throws InterruptedException
        {
            final String[] args = new String[4 + extra.length];
            args[0] = "--listen";
            args[1] = "127.0.0.1:0";
            args[2] = "--out";
            args[3] = out.toString();
            System.arraycopy(extra, 0, args, 4, extra.length);
            final Receiving receiving = new Receiving(command, args);
            receiving.thread.start();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (null == receiving.command.localAddress())
            {
                if (null != receiving.run.get() || System.nanoTime() - deadlineNs > 0)
                {
                    throw new AssertionError("wav-receive did not start listening: " + receiving.run.get());
                }
                Thread.sleep(1);
            }
            return receiving;
        }

        InetSocketAddress address()
        {
            return command.localAddress();
        }

        String hostPort()
        {
            return "127.0.0.1:" + address().getPort();
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
