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
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code wav-receive}: receives the frames a relay delivers, puts them back in sequence order and writes the audio
 * to a canonical 16-bit PCM WAV file.
 */
@Command(
    name = "wav-receive",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    headerHeading = "%n",
    header = "Receive frames from a relay and write their audio to a 16-bit PCM WAV file.",
    synopsisHeading = "%nUsage: ",
    descriptionHeading = "%n",
    description = {
        "Listens on --listen for a route's deliveries. With --deliver framed (a route with \"deliver\": " +
            "\"framed\", as wav-send --create-route makes, or a mixer room's output) each datagram is a whole " +
            "SoundRelay frame: its payload is placed by its sequence number relative to the first frame received, " +
            "so reordering is undone, a duplicate is dropped, and a missing frame is written as silence, as long " +
            "as most frames are (20 ms, 5 ms, ...: taken from the frames), and counted. The file starts at the " +
            "earliest frame received: a stream may start at any sequence number (a room's mix continues the " +
            "room's count), so frames before it are called missing only when the first one came so soon after " +
            "wav-receive began listening that the stream was probably running already. It keeps the stream " +
            "--stream-id or --room-code names, else the first stream id received; frames of other streams are " +
            "counted and ignored. With --deliver payload each datagram is raw audio, written in arrival order " +
            "(loss and reordering cannot be seen).",
        "",
        "A mixer room (node with ENABLE_MIXER=true) sends its mix as stream FNV-1a-64 of the room code, to the " +
            "targets of the room's routes: --room-code CODE keeps that stream, e.g. for PCM rooms",
        "  wav-receive --out mix.wav --rate 48000 --channels 2 --room-code demo",
        "",
        "It stops --idle-timeout seconds after the last frame (the clock starts with the first one), after " +
            "--frames frames, or on Ctrl-C, then writes --out with the canonical 44-byte header: its samples are " +
            "byte-identical to the sent ones when nothing was lost. --rate and --channels only label the file: " +
            "they must match the sender's (a room's PCM is 48000 Hz, 2 channels).",
        "",
        "Memory is bounded: a stream longer than --max-seconds stops the receiver."
    },
    optionListHeading = "%nOptions:%n",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:The file is written and no frame was missing.",
        "1:Frames were missing, nothing was received, the stream outgrew --max-seconds, or the file could not " +
            "be written.",
        "2:A bad option."
    })
public final class WavReceiveCommand implements Callable<Integer>
{
    static final int RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
    private static final int MAX_UDP_BYTES = 65_536;
    private static final int POLL_MS = 50;
    // Frames are at least 1 ms long: bounds the span of a reception whatever the frame duration.
    private static final int MAX_FRAMES_PER_SECOND = 1000;
    /**
     * A first frame that comes within this many frame periods of the start of listening says the stream was
     * probably running already: a stream sends a frame every period, so one that had been going on would deliver
     * its next frame within a period, and the second period absorbs scheduling jitter.
     */
    private static final int ALREADY_RUNNING_PERIODS = 2;

    @Spec
    private CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:5000",
        converter = PcmFrames.ListenAddressConverter.class,
        description = "Address to receive on: the route's target. Port 0 picks a free one.")
    private InetSocketAddress listen;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "WAV file to write (replaced).")
    private Path out;

    @Option(names = "--rate", paramLabel = "HZ", defaultValue = WavToneCommand.DEFAULT_RATE,
        description = "The sender's sample rate, 8000-192000: the file's.")
    private int rate;

    @Option(names = "--channels", paramLabel = "N", defaultValue = WavToneCommand.DEFAULT_CHANNELS,
        description = "The sender's channels, 1-8.")
    private int channels;

    @Option(names = "--stream-id", paramLabel = "N", converter = PcmFrames.StreamIdConverter.class,
        description = "Keep only this stream's frames (decimal u64), not the first stream received.")
    private Long pickedStreamId;

    @Option(names = "--room-code", paramLabel = "CODE", converter = RoomCode.Converter.class,
        description = "Keep only the mix of this mixer room: stream id FNV-1a 64 of the code.")
    private String roomCode;

    @Option(names = "--deliver", paramLabel = "framed|payload", defaultValue = "framed",
        description = "The route's deliver: framed (whole frames) or payload (raw audio).")
    private String deliver;

    @Option(names = "--idle-timeout", paramLabel = "S", defaultValue = "2",
        description = "Stop this long after the last frame.")
    private double idleTimeoutSeconds;

    @Option(names = "--frames", paramLabel = "N", defaultValue = "0",
        description = "Stop after N frames; frames missing up to N count as missing. 0: no limit.")
    private long framesLimit;

    @Option(names = "--max-seconds", paramLabel = "S", defaultValue = "600",
        description = "Most audio to hold in memory and write.")
    private double maxSeconds;

    private final LongSupplier clock;
    private volatile InetSocketAddress localAddress;

    /**
     * The command as the jar runs it, on {@link System#nanoTime()}.
     */
    public WavReceiveCommand()
    {
        this(System::nanoTime);
    }

    /**
     * @param clock monotonic nanoseconds: the idle timeout, and when listening began and the first frame came.
     */
    WavReceiveCommand(final LongSupplier clock)
    {
        this.clock = clock;
    }

    /**
     * @return the address the command receives on once it is bound (useful with port 0), else null.
     */
    public InetSocketAddress localAddress()
    {
        return localAddress;
    }

    public Integer call()
    {
        final PrintWriter stdout = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final String problem = checkOptions();
        if (null != problem)
        {
            err.println("wav-receive: " + problem + " (see --help)");
            return 2;
        }
        final boolean framed = "framed".equals(deliver);
        final Long wantedStream = null != roomCode ? Long.valueOf(RoomCode.streamId(roomCode)) : pickedStreamId;
        final Reception reception = new Reception(framed, wantedStream, new FrameReassembler(maxFrames(maxSeconds),
            maxBytes(maxSeconds)), err);

        try (DatagramSocket socket = new DatagramSocket(null); StopSignal stop = new StopSignal())
        {
            try
            {
                socket.setReceiveBufferSize(RECEIVE_BUFFER_BYTES);
                socket.bind(listen);
                socket.setSoTimeout(POLL_MS);
            }
            catch (final IOException ex)
            {
                err.println("wav-receive: cannot listen on " + RouteClient.format(listen) + ": " + ex.getMessage());
                return 1;
            }
            reception.listeningSinceNs = clock.getAsLong();
            localAddress = (InetSocketAddress)socket.getLocalSocketAddress();
            stdout.println(String.format(Locale.ROOT,
                "wav-receive: listening on %s for %s, %d Hz %d ch 16-bit; stop %.3f s after the last frame%s",
                RouteClient.format(localAddress), framed ? "SoundRelay frames (deliver framed) of " +
                    streamDescription(wantedStream) : "raw audio (deliver payload)", rate, channels,
                idleTimeoutSeconds, framesLimit > 0 ? " or after " + framesLimit + " frames" : ""));
            stdout.flush();
            boolean failed = false;
            try
            {
                receive(socket, reception, stop);
            }
            catch (final IOException ex)
            {
                err.println("wav-receive: receiving on " + RouteClient.format(localAddress) + " failed: " +
                    ex.getMessage() + "; writing what arrived");
                failed = true;
            }
            // Still inside the stop signal: after a Ctrl-C the JVM waits for the file to be written.
            final int exitCode = finish(reception, stdout, err);
            return failed ? Math.max(1, exitCode) : exitCode;
        }
        catch (final IOException ex)
        {
            err.println("wav-receive: cannot open a socket: " + ex.getMessage());
            return 1;
        }
    }

    private void receive(final DatagramSocket socket, final Reception reception, final StopSignal stop)
        throws IOException
    {
        final long idleNs = (long)(idleTimeoutSeconds * TimeUnit.SECONDS.toNanos(1));
        final byte[] buffer = new byte[MAX_UDP_BYTES];
        final DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        long lastFrameNs = 0;
        while (!stop.stopRequested() && !reception.overLimit &&
            (framesLimit <= 0 || reception.frames.received() < framesLimit) &&
            (0 == reception.frames.received() || clock.getAsLong() - lastFrameNs < idleNs))
        {
            packet.setLength(buffer.length);
            try
            {
                socket.receive(packet);
            }
            catch (final SocketTimeoutException ex)
            {
                continue;
            }
            if (reception.accept(buffer, packet.getLength()))
            {
                lastFrameNs = clock.getAsLong();
                if (!reception.anyFrame)
                {
                    reception.anyFrame = true;
                    reception.firstFrameNs = lastFrameNs;
                }
            }
        }
    }

    private int finish(final Reception reception, final PrintWriter stdout, final PrintWriter err)
    {
        final FrameReassembler frames = reception.frames;
        if (0 == frames.received())
        {
            err.println("wav-receive: no frame received; " + out + " not written" + reception.ignoredSummary() +
                (null != roomCode && reception.otherStreams > 0 ? " (the routes' own streams, not the room's mix: " +
                "is the node's mixer on, ENABLE_MIXER=true?)" : ""));
            return 1;
        }
        final long expected = reception.framed ? framesLimit : 0;
        final int frameBytes = frames.frameBytes();
        final long dataBytes = frames.dataBytes(frameBytes, expected);
        try
        {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 65_536))
            {
                os.write(WavFile.canonicalHeader(rate, channels, dataBytes));
                frames.writeTo(os, frameBytes, expected);
                if ((dataBytes & 1) != 0)
                {
                    os.write(0); // RIFF pads a chunk to an even length
                }
            }
        }
        catch (final IOException ex)
        {
            err.println("wav-receive: cannot write " + out + ": " + PcmFrames.reason(ex));
            return 1;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("wav-receive: cannot write " + out + ": " + ex.getMessage());
            return 1;
        }

        final long missing = reception.framed ? frames.missing(expected) : 0;
        final String counts = reception.framed ?
            String.format(Locale.ROOT, "stream %s: %d frames received, %d missing, %d duplicates, %d reordered",
                Long.toUnsignedString(reception.streamId), frames.received(), missing, frames.duplicates(),
                frames.reordered()) :
            frames.received() + " datagrams received (deliver payload: no sequence numbers, so missing, duplicate " +
                "and reordered frames cannot be seen)";
        final long bytesPerSecond = (long)rate * channels * WavFile.BYTES_PER_SAMPLE;
        stdout.println(String.format(Locale.ROOT, "wav-receive: %s; wrote %d bytes (%.3f s) to %s; frames of %d " +
            "bytes (%s ms)%s", counts, dataBytes, (double)dataBytes / bytesPerSecond, out, frameBytes,
            WavToneCommand.fmt(Math.round(frameBytes * 1_000_000.0 / bytesPerSecond) / 1000.0),
            reception.ignoredSummary()));
        // A stream may start at any sequence (a room's mix goes on from the room's count), so a first sequence
        // other than 0 says nothing alone. Frames before it were missed only if the stream was already running when
        // listening began, which its first frame coming within a period or two of that shows.
        final double framePeriodMs = frameBytes * 1000.0 / bytesPerSecond;
        final double firstFrameAfterMs = (reception.firstFrameNs - reception.listeningSinceNs) / 1e6;
        if (reception.framed && 0 != frames.earliestSequence() &&
            firstFrameAfterMs < ALREADY_RUNNING_PERIODS * framePeriodMs)
        {
            err.println(String.format(Locale.ROOT, "wav-receive: note: the first frame came %.1f ms after " +
                "wav-receive began listening, within %d frame periods (%s ms): the stream was probably running " +
                "already, so its frames before sequence %d are probably not in the file (start wav-receive before " +
                "the sender)", firstFrameAfterMs, ALREADY_RUNNING_PERIODS,
                WavToneCommand.fmt(Math.round(ALREADY_RUNNING_PERIODS * framePeriodMs * 10) / 10.0),
                frames.earliestSequence()));
        }
        final long misSized = frames.misSized(frameBytes);
        if (reception.framed && misSized > 0)
        {
            err.println("wav-receive: warning: " + misSized + " frames were not " + frameBytes + " bytes long like " +
                "the others; missing frames were written as " + frameBytes + " bytes of silence");
        }
        if (0 != frameBytes % (channels * WavFile.BYTES_PER_SAMPLE))
        {
            err.println("wav-receive: warning: a frame of " + frameBytes + " bytes is not whole sample frames of " +
                channels + " 16-bit channels: is --channels " + channels + " the sender's?");
        }
        if (reception.overLimit)
        {
            err.println("wav-receive: stopped: the stream is longer than --max-seconds " +
                WavToneCommand.fmt(maxSeconds) + "; the file holds what came before");
        }
        return 0 == missing && !reception.overLimit ? 0 : 1;
    }

    private String checkOptions()
    {
        final String formatProblem = PcmFrames.checkFormat(rate, channels);
        if (null != formatProblem)
        {
            return formatProblem;
        }
        if (null != pickedStreamId && null != roomCode)
        {
            return "--stream-id and --room-code both pick the stream: give one";
        }
        if ((null != pickedStreamId || null != roomCode) && !"framed".equals(deliver))
        {
            return (null != roomCode ? "--room-code" : "--stream-id") + " picks frames by their header: " +
                "use it with --deliver framed";
        }
        // Found out now, not after the whole stream was received.
        final Path directory = out.toAbsolutePath().getParent();
        if (null != directory && !Files.isDirectory(directory))
        {
            return "--out=" + out + ": no such directory " + directory;
        }
        if (!"framed".equals(deliver) && !"payload".equals(deliver))
        {
            return "--deliver=" + deliver + ": expected framed or payload";
        }
        if (!(idleTimeoutSeconds > 0) || idleTimeoutSeconds > TimeUnit.DAYS.toSeconds(1))
        {
            return "--idle-timeout=" + WavToneCommand.fmt(idleTimeoutSeconds) + ": must be above 0, at most a day";
        }
        if (framesLimit < 0)
        {
            return "--frames=" + framesLimit + ": must be 0 (no limit) or more";
        }
        if (!(maxSeconds > 0) || maxSeconds * rate * channels * WavFile.BYTES_PER_SAMPLE > WavFile.MAX_DATA_BYTES / 2)
        {
            return "--max-seconds=" + WavToneCommand.fmt(maxSeconds) + ": must be above 0 and at most " +
                WavFile.MAX_DATA_BYTES / 2 / ((long)rate * channels * WavFile.BYTES_PER_SAMPLE) +
                " at this rate and channel count";
        }
        if (framesLimit > maxFrames(maxSeconds))
        {
            return "--frames=" + framesLimit + ": more than --max-seconds " + WavToneCommand.fmt(maxSeconds) +
                " holds";
        }
        return null;
    }

    /**
     * @return the most frames a reception may span: as many as 1 ms frames would make, the real bound being bytes.
     */
    private static long maxFrames(final double maxSeconds)
    {
        return (long)Math.ceil(maxSeconds * MAX_FRAMES_PER_SECOND);
    }

    private long maxBytes(final double maxSeconds)
    {
        return (long)Math.ceil(maxSeconds * rate * channels * WavFile.BYTES_PER_SAMPLE);
    }

    private static String streamDescription(final Long wantedStream)
    {
        return null == wantedStream ? "the first stream received" : "stream " +
            Long.toUnsignedString(wantedStream);
    }

    /**
     * The state of one reception: the frames and the datagrams ignored.
     */
    private final class Reception
    {
        final boolean framed;
        final FrameReassembler frames;
        final PrintWriter err;
        final FrameFlyweight header = new FrameFlyweight();
        boolean streamKnown;
        long streamId;
        long arrivals;
        long notFrames;
        long otherStreams;
        long keepAlives;
        boolean overLimit;
        boolean warnedKind;
        long listeningSinceNs;
        boolean anyFrame;
        long firstFrameNs;

        /**
         * @param wantedStream the only stream to keep, or null for the first one received.
         */
        Reception(final boolean framed, final Long wantedStream, final FrameReassembler frames, final PrintWriter err)
        {
            this.framed = framed;
            this.frames = frames;
            this.err = err;
            if (null != wantedStream)
            {
                streamKnown = true;
                streamId = wantedStream;
            }
        }

        /**
         * @return true when the datagram was a frame of the stream (placed or a duplicate).
         */
        boolean accept(final byte[] datagram, final int length)
        {
            if (!framed)
            {
                if (0 == length)
                {
                    return false;
                }
                return place(arrivals++, Arrays.copyOf(datagram, length));
            }

            header.wrap(ByteBuffer.wrap(datagram, 0, length), 0);
            if (!header.isValidHeader(length))
            {
                notFrames++;
                return false;
            }
            if (!streamKnown)
            {
                streamKnown = true;
                streamId = header.streamId();
            }
            else if (header.streamId() != streamId)
            {
                otherStreams++;
                return false;
            }
            if (FrameFlyweight.HEADER_LENGTH == length)
            {
                keepAlives++;
                return false;
            }
            if (header.kind() == PcmFrames.FLAGS_PCM && !warnedKind &&
                (PcmFrames.RELAY_PCM_RATE != rate || PcmFrames.RELAY_PCM_CHANNELS != channels))
            {
                warnedKind = true;
                err.println("wav-receive: warning: the frames say PCM 48 kHz stereo but --rate " + rate +
                    " --channels " + channels + " were given");
            }
            return place(header.sequence(),
                Arrays.copyOfRange(datagram, FrameFlyweight.HEADER_LENGTH, length));
        }

        private boolean place(final long sequence, final byte[] payload)
        {
            if (FrameReassembler.Outcome.OVER_LIMIT == frames.offer(sequence, payload))
            {
                overLimit = true;
                return false;
            }
            return true;
        }

        String ignoredSummary()
        {
            final StringBuilder sb = new StringBuilder();
            if (notFrames > 0)
            {
                sb.append("; ignored ").append(notFrames).append(" datagrams that were not SoundRelay frames")
                    .append(" (a route with deliver payload? then pass --deliver payload)");
            }
            if (otherStreams > 0)
            {
                sb.append("; ignored ").append(otherStreams).append(" frames of other streams");
            }
            if (keepAlives > 0)
            {
                sb.append("; ignored ").append(keepAlives).append(" keep-alives");
            }
            return sb.toString();
        }
    }
}
