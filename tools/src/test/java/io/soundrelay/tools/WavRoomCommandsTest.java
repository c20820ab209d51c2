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
import io.soundrelay.protocol.FrameFlyweight;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WAV commands' side of a mixer room (PROTOCOL.md section 6): wav-send's room options in the route request and
 * its shorter frames, wav-receive taking the room's output stream and frames shorter than 20 ms, wav-tone's level.
 * The control API is a stand-in HTTP server on loopback; the relay is a plain socket or wav-receive itself.
 */
final class WavRoomCommandsTest
{
    private static final int RECEIVE_TIMEOUT_MS = 10_000;
    private static final long SECOND_NS = 1_000_000_000L;

    @TempDir
    Path dir;

    private HttpServer api;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopApi()
    {
        if (null != api)
        {
            api.stop(0);
        }
    }

    @Test
    void roomCodesAreCheckedAsTheContractDoesAndHashToTheRoomStreamId()
    {
        assertEquals(null, RoomCode.check("a"));
        assertEquals(null, RoomCode.check("Room_1-b"));
        assertEquals(null, RoomCode.check("x".repeat(64)));
        assertTrue(RoomCode.check("").contains("1-64"));
        assertTrue(RoomCode.check("x".repeat(65)).contains("1-64"));
        assertTrue(RoomCode.check("a.b").contains("character 2"));
        assertTrue(RoomCode.check("caf\u00e9").contains("character 4"));

        // FNV-1a 64 test vectors.
        assertEquals(0xcbf29ce484222325L, RoomCode.streamId(""));
        assertEquals(0xaf63dc4c8601ec8cL, RoomCode.streamId("a"));
        assertEquals(0x85944171f73967e8L, RoomCode.streamId("foobar"));
    }

    @Test
    void theRouteRequestCarriesTheRoomOnlyWhenGiven()
    {
        final InetSocketAddress source = new InetSocketAddress("127.0.0.1", 4001);
        final List<InetSocketAddress> targets = List.of(new InetSocketAddress("127.0.0.1", 5000));

        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:4001\",\"target_addrs\":[\"127.0.0.1:5000\"]," +
            "\"deliver\":\"framed\"}", RouteClient.routeJson(7, source, targets, GeneratorOptions.Deliver.FRAMED));
        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:4001\",\"target_addrs\":[\"127.0.0.1:5000\"]," +
            "\"deliver\":\"framed\",\"room_code\":\"demo\",\"mix_minus\":true}", RouteClient.routeJson(7, source,
            targets, GeneratorOptions.Deliver.FRAMED, "demo", true));
        assertEquals("{\"stream_id\":7,\"source_addr\":\"127.0.0.1:4001\",\"target_addrs\":[\"127.0.0.1:5000\"]," +
            "\"deliver\":\"framed\",\"room_code\":\"demo\"}", RouteClient.routeJson(7, source, targets,
            GeneratorOptions.Deliver.FRAMED, "demo", false));
    }

    @Test
    void wavSendCreatesARoomRouteWithMixMinusAndSends5MsFramesOnThe48KhzClock() throws Exception
    {
        startApi();
        try (DatagramSocket relay = relaySocket())
        {
            final WavCommandsTest.Run send = WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440",
                "--rate", "48000", "--channels", "2", "--amplitude", "0.25", "--seconds", "0.1", "--frame-ms", "5",
                "--stream-id", "7", "--relay", "127.0.0.1:" + relay.getLocalPort(), "--create-route",
                "--target", "127.0.0.1:5999", "--room-code", "demo-1", "--mix-minus", "--api", apiUrl(),
                "--api-key", "k3y");

            assertEquals(0, send.exitCode, send::toString);
            assertTrue(send.out.contains("20 frames of 960 bytes (kind PCM) every 5 ms"), send::toString);
            assertTrue(send.out.contains("room demo-1, mix-minus; the room's mix is stream " +
                Long.toUnsignedString(RoomCode.streamId("demo-1"))), send::toString);
            assertEquals(List.of("POST /route", "GET /route/7", "DELETE /route/7"), requests);
            assertEquals(List.of("Bearer k3y", "Bearer k3y", "Bearer k3y"), authorizations);
            final Map<String, Object> route = Json.object(bodies.get(0));
            assertEquals("demo-1", route.get("room_code"));
            assertEquals(Boolean.TRUE, route.get("mix_minus"));
            assertEquals(7.0, route.get("stream_id"));
            assertEquals("framed", route.get("deliver"));
            assertEquals(List.of("127.0.0.1:5999"), route.get("target_addrs"));
            assertTrue(((String)route.get("source_addr")).startsWith("127.0.0.1:"), bodies::toString);

            final byte[] tone = new SineTone(440, 48_000, 2, 4800, 0.25).readAllBytes();
            for (int i = 0; i < 20; i++)
            {
                final DatagramPacket datagram = receive(relay, 20 + 960);
                final FrameFlyweight frame = new FrameFlyweight().wrap(ByteBuffer.wrap(datagram.getData()), 0);
                assertEquals(PcmFrames.FLAGS_PCM, frame.flags());
                assertEquals(7, frame.streamId());
                assertEquals(i, frame.sequence());
                assertEquals(i * 240L, frame.timestamp(), "48 kHz clock: 240 per 5 ms");
                assertArrayEquals(Arrays.copyOfRange(tone, i * 960, (i + 1) * 960),
                    Arrays.copyOfRange(datagram.getData(), 20, 20 + 960));
            }
        }
    }

    @Test
    void theTimestampStepsOnThe48KhzClockWhateverTheFileRate() throws Exception
    {
        final Path file = dir.resolve("tone.wav");
        assertEquals(0, WavCommandsTest.Run.of(new WavToneCommand(), "--out", file.toString(), "--seconds",
            "0.05", "--rate", "24000").exitCode);
        try (DatagramSocket relay = relaySocket())
        {
            final WavCommandsTest.Run send = WavCommandsTest.Run.of(new WavSendCommand(), "--file", file.toString(),
                "--frame-ms", "10", "--stream-id", "3", "--relay", "127.0.0.1:" + relay.getLocalPort());

            assertEquals(0, send.exitCode, send::toString);
            for (int i = 0; i < 5; i++)
            {
                final FrameFlyweight frame = new FrameFlyweight().wrap(ByteBuffer.wrap(receive(relay, 20 + 480)
                    .getData()), 0);
                assertEquals(FrameFlyweight.KIND_OPAQUE, frame.flags());
                assertEquals(i, frame.sequence());
                assertEquals(i * 480L, frame.timestamp(), "48 kHz clock: 480 per 10 ms, at 24 kHz too");
            }
        }
    }

    @Test
    void wavSendRefusesBadRoomAndFrameOptions()
    {
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7",
            "--create-route", "--target", "127.0.0.1:9", "--room-code", "a b"), "--room-code", "'a b'",
            "character 2");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7",
            "--create-route", "--target", "127.0.0.1:9", "--room-code", "r".repeat(65)), "--room-code", "1-64");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7",
            "--room-code", "demo"), "--room-code=demo", "--create-route");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7",
            "--create-route", "--target", "127.0.0.1:9", "--mix-minus"), "--mix-minus", "--room-code");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7",
            "--frame-ms", "7"), "--frame-ms=7", "5, 10 or 20");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--rate", "44100",
            "--frame-ms", "5", "--stream-id", "7", "--relay", "127.0.0.1:9"), "5 ms is not a whole number",
            "multiple of 200");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--stream-id", "7",
            "--amplitude", "1.5"), "--amplitude=1.5");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavSendCommand(), "--tone", "440", "--rate", "48000",
            "--channels", "2", "--frame-ms", "10", "--stream-id", "7", "--relay", "127.0.0.1:9"), "1940 bytes",
            "--frame-ms 5: 980 bytes");
    }

    @Test
    void wavToneWritesTheAskedAmplitudeAndRefusesAnotherOutOfRange() throws Exception
    {
        final Path file = dir.resolve("quiet.wav");
        final WavCommandsTest.Run run = WavCommandsTest.Run.of(new WavToneCommand(), "--out", file.toString(),
            "--hz", "660", "--rate", "48000", "--channels", "2", "--amplitude", "0.25", "--seconds", "0.1");

        assertEquals(0, run.exitCode, run::toString);
        assertTrue(run.out.contains("660 Hz tone at -12.0 dBFS"), run::toString);
        assertArrayEquals(new SineTone(660, 48_000, 2, 4800, 0.25).readAllBytes(),
            Arrays.copyOfRange(Files.readAllBytes(file), 44, 44 + 4800 * 4));
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavToneCommand(), "--out", file.toString(), "--amplitude", "0"),
            "--amplitude=0");
    }

    @Test
    void wavReceiveTakes5MsFramesAndWritesALostOneAs5MsOfSilence() throws Exception
    {
        final Path received = dir.resolve("received.wav");
        final WavCommandsTest.Receiving receiving = WavCommandsTest.Receiving.start(received, "--rate", "48000",
            "--channels", "2", "--frames", "4", "--idle-timeout", "0.3");
        try (DatagramChannel sender = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            for (final int sequence : new int[] { 0, 1, 3 })
            {
                sender.send(ByteBuffer.wrap(WavCommandsTest.frame(5, sequence, payload(sequence, 960))),
                    receiving.address());
            }
        }
        final WavCommandsTest.Run receive = receiving.finish();

        assertEquals(1, receive.exitCode, receive::toString);
        assertTrue(receive.out.contains("stream 5: 3 frames received, 1 missing, 0 duplicates, 0 reordered; " +
            "wrote 3840 bytes (0.020 s)"), receive::toString);
        assertTrue(receive.out.contains("frames of 960 bytes (5 ms)"), receive::toString);
        assertFalse(receive.err.contains("warning"), receive::toString);
        final byte[] expected = WavFileTest.concat(WavFile.canonicalHeader(48_000, 2, 3840), WavFileTest.concat(
            WavFileTest.concat(payload(0, 960), payload(1, 960)), WavFileTest.concat(new byte[960],
            payload(3, 960))));
        assertArrayEquals(expected, Files.readAllBytes(received));
    }

    @Test
    void wavReceiveWithARoomCodeKeepsTheRoomsMixAndIgnoresOtherStreamsThatCameFirst() throws Exception
    {
        final long room = RoomCode.streamId("demo");
        final Path received = dir.resolve("mix.wav");
        final AtomicLong clock = new AtomicLong();
        final WavCommandsTest.Receiving receiving = WavCommandsTest.Receiving.start(new WavReceiveCommand(clock::get),
            received, "--rate", "48000", "--channels", "2", "--room-code", "demo", "--frames", "3");
        assertTrue(Long.compareUnsigned(room, Long.MAX_VALUE) > 0, "a stream id above 2^63 exercises u64 handling");
        clock.addAndGet(SECOND_NS); // wav-receive listened for a second before the room's first frame
        try (DatagramChannel sender = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            sender.send(ByteBuffer.wrap(WavCommandsTest.frame(7, 0, payload(9, 960))), receiving.address());
            for (int sequence = 100; sequence < 103; sequence++)
            {
                sender.send(ByteBuffer.wrap(WavCommandsTest.frame(room, sequence, payload(sequence, 960))),
                    receiving.address());
            }
        }
        final WavCommandsTest.Run receive = receiving.finish();

        assertEquals(0, receive.exitCode, receive::toString);
        assertTrue(receive.out.contains("of stream " + Long.toUnsignedString(room)), receive::toString);
        assertTrue(receive.out.contains("stream " + Long.toUnsignedString(room) + ": 3 frames received, 0 missing"),
            receive::toString);
        assertTrue(receive.out.contains("ignored 1 frames of other streams"), receive::toString);
        assertEquals("", receive.err, "a room's mix may start at any sequence: nothing was missed");
        assertArrayEquals(WavFileTest.concat(payload(100, 960), WavFileTest.concat(payload(101, 960),
            payload(102, 960))), Arrays.copyOfRange(Files.readAllBytes(received), 44, 44 + 3 * 960));
    }

    @Test
    void aStreamThatStartsAtSequence41AfterWavReceiveListensIsWholeAndGetsNoNote() throws Exception
    {
        // The room demo's mix-minus receiver: the room had counted 41 periods before this target joined it.
        final Path received = dir.resolve("minus.wav");
        final AtomicLong clock = new AtomicLong();
        final WavCommandsTest.Receiving receiving = WavCommandsTest.Receiving.start(new WavReceiveCommand(clock::get),
            received, "--rate", "48000", "--channels", "2", "--frames", "3");
        clock.addAndGet(SECOND_NS); // started first: a second passes before the first frame
        sendFrames(receiving, 9, 41, 44);
        final WavCommandsTest.Run receive = receiving.finish();

        assertEquals(0, receive.exitCode, receive::toString);
        assertTrue(receive.out.contains("stream 9: 3 frames received, 0 missing"), receive::toString);
        assertEquals("", receive.err, "no note, no warning: nothing says a frame was missed");
        assertArrayEquals(WavFileTest.concat(payload(41, 960), WavFileTest.concat(payload(42, 960),
            payload(43, 960))), Arrays.copyOfRange(Files.readAllBytes(received), 44, 44 + 3 * 960));
    }

    @Test
    void aStreamAlreadyRunningWhenWavReceiveStartsIsNotedAsProbablyMissingItsStart() throws Exception
    {
        final Path received = dir.resolve("late.wav");
        final AtomicLong clock = new AtomicLong();
        final WavCommandsTest.Receiving receiving = WavCommandsTest.Receiving.start(new WavReceiveCommand(clock::get),
            received, "--rate", "48000", "--channels", "2", "--frames", "3");
        // Frames come at once: no time passes on the clock between listening and the first frame.
        sendFrames(receiving, 9, 41, 44);
        final WavCommandsTest.Run receive = receiving.finish();

        assertEquals(0, receive.exitCode, "the frames from 41 on are all there: " + receive);
        assertTrue(receive.err.contains("wav-receive: note: the first frame came 0.0 ms after wav-receive began " +
            "listening, within 2 frame periods (10 ms): the stream was probably running already, so its frames " +
            "before sequence 41 are probably not in the file (start wav-receive before the sender)"),
            receive::toString);
    }

    @Test
    void aStreamFromSequence0ThatComesAtOnceGetsNoNote() throws Exception
    {
        final Path received = dir.resolve("from0.wav");
        final AtomicLong clock = new AtomicLong();
        final WavCommandsTest.Receiving receiving = WavCommandsTest.Receiving.start(new WavReceiveCommand(clock::get),
            received, "--rate", "48000", "--channels", "2", "--frames", "3");
        sendFrames(receiving, 9, 0, 3);
        final WavCommandsTest.Run receive = receiving.finish();

        assertEquals(0, receive.exitCode, receive::toString);
        assertEquals("", receive.err, "its first frame, sequence 0, arrived: nothing before it was missed");
    }

    @Test
    void aMixtureSentIn5MsFramesComesBackWithItsTonesAndWavSpectrumFindsThem() throws Exception
    {
        final Path mix = dir.resolve("mix.wav");
        WavSpectrumCommandTest.write(mix, 48_000, 2, 0.5, new double[] { 440, 660, 880 },
            new double[] { 0.25, 0.25, 0.25 });
        final Path received = dir.resolve("received.wav");
        final WavCommandsTest.Receiving receiving = WavCommandsTest.Receiving.start(received, "--rate", "48000",
            "--channels", "2", "--stream-id", "11", "--frames", "100");
        final WavCommandsTest.Run send = WavCommandsTest.Run.of(new WavSendCommand(), "--file", mix.toString(),
            "--frame-ms", "5", "--stream-id", "11", "--relay", receiving.hostPort());
        final WavCommandsTest.Run receive = receiving.finish();

        assertEquals(0, send.exitCode, send::toString);
        assertEquals(0, receive.exitCode, receive::toString);
        assertArrayEquals(Files.readAllBytes(mix), Files.readAllBytes(received));
        final WavCommandsTest.Run spectrum = WavCommandsTest.Run.of(new WavSpectrumCommand(), "--file",
            received.toString(), "--expect", "440,660,880", "--absent", "550,770");
        assertEquals(0, spectrum.exitCode, spectrum::toString);
    }

    @Test
    void wavReceiveRefusesTwoWaysToPickTheStream()
    {
        final String out = dir.resolve("r.wav").toString();
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavReceiveCommand(), "--out", out, "--room-code", "demo",
            "--stream-id", "5"), "give one");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavReceiveCommand(), "--out", out, "--room-code", "de mo"),
            "--room-code", "'de mo'");
        WavCommandsTest.assertRefused(WavCommandsTest.Run.of(new WavReceiveCommand(), "--out", out, "--room-code", "demo",
            "--deliver", "payload"), "--deliver framed");
    }

    private void startApi() throws IOException
    {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/", this::answer);
        api.start();
    }

    private String apiUrl()
    {
        return "http://127.0.0.1:" + api.getAddress().getPort();
    }

    /**
     * A node's control API, just enough for wav-send: 201 to a POST, the route's packets_in to a GET (as many as
     * could have been sent, so the drain wait ends at once), 204 to a DELETE.
     */
    private void answer(final HttpExchange exchange) throws IOException
    {
        final String method = exchange.getRequestMethod();
        requests.add(method + " " + exchange.getRequestURI().getPath());
        authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        final int status;
        final String answer;
        switch (method)
        {
            case "POST":
                bodies.add(body);
                status = 201;
                answer = body;
                break;
            case "GET":
                status = 200;
                answer = "{\"packets_in\":1000000}";
                break;
            case "DELETE":
                status = 204;
                answer = "";
                break;
            default:
                status = 405;
                answer = "{\"error\":\"method\"}";
        }
        final byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, 204 == status ? -1 : bytes.length);
        try (OutputStream os = exchange.getResponseBody())
        {
            os.write(bytes);
        }
    }

    private static DatagramSocket relaySocket() throws IOException
    {
        final DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        socket.setReceiveBufferSize(WavReceiveCommand.RECEIVE_BUFFER_BYTES);
        socket.setSoTimeout(RECEIVE_TIMEOUT_MS);
        return socket;
    }

    private static DatagramPacket receive(final DatagramSocket socket, final int expectedLength) throws IOException
    {
        final DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
        socket.receive(packet);
        assertEquals(expectedLength, packet.getLength());
        return packet;
    }

    /**
     * Send 5 ms frames of 48 kHz stereo (960 bytes) with sequences {@code from} up to {@code to}, exclusive.
     */
    private static void sendFrames(final WavCommandsTest.Receiving receiving, final long streamId, final int from,
        final int to) throws IOException
    {
        try (DatagramChannel sender = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            for (int sequence = from; sequence < to; sequence++)
            {
                sender.send(ByteBuffer.wrap(WavCommandsTest.frame(streamId, sequence, payload(sequence, 960))),
                    receiving.address());
            }
        }
    }

    private static byte[] payload(final int n, final int length)
    {
        final byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte)(n * 13 + 1));
        return bytes;
    }
}
