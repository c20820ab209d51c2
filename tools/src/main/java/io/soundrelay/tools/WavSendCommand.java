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
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * {@code wav-send}: streams a 16-bit PCM WAV file, or a generated tone, to a relay as SoundRelay frames, one per
 * 20 ms (or {@code --frame-ms}) of audio, paced in real time; optionally creates the route first, possibly as a member
 * of a mixer room, and deletes it at the end.
 */
@Command(
    name = "wav-send",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    headerHeading = "%n",
    header = "Stream a 16-bit PCM WAV file, or a tone, through a relay as SoundRelay frames.",
    synopsisHeading = "%nUsage: ",
    descriptionHeading = "%n",
    description = {
        "Sends one SoundRelay frame (version 1) per --frame-ms (default 20 ms) of audio, in real time on an " +
            "absolute schedule: frame i leaves at start + i x frame-ms, so the pace never drifts. A frame carries " +
            "rate x channels x 2 x frame-ms / 1000 bytes of samples (the last one may be shorter), its sequence " +
            "counts from 0 and its timestamp steps by 48 x frame-ms (960 per 20 ms: the frames' clock is 48 kHz " +
            "whatever the file's rate). The payload kind is PCM (1) for 48 kHz stereo, opaque (0) otherwise.",
        "",
        "With --create-route it first creates the route (POST /route: source_addr = this sender's socket, " +
            "target_addrs = the --target addresses, deliver = framed, as wav-receive expects, and room_code and " +
            "mix_minus when given), waits until the node has taken in every frame, then deletes the route, also " +
            "after an error or Ctrl-C.",
        "",
        "A frame must fit the node's MAX_DATAGRAM_BYTES (default 1500): 20 header bytes + the samples. At 20 ms: " +
            "980 for 24 kHz mono, 1940 for 48 kHz mono, 3860 for 48 kHz stereo; 48 kHz stereo fits 1500 in 5 ms " +
            "frames (980).",
        "",
        "A mixer room (node with ENABLE_MIXER=true) mixes the PCM frames of the routes with the same --room-code " +
            "and sends the mix to the room's targets as stream FNV-1a-64(code) (wav-receive --room-code picks it). " +
            "Every sender of a room must use the same --frame-ms. Three tones into room demo:",
        "  wav-send --tone 440 --rate 48000 --channels 2 --amplitude 0.25 --frame-ms 5 \\",
        "      --stream-id 1 --create-route --target 127.0.0.1:5000 --room-code demo \\",
        "      --api-key $KEY",
        "  (and the same with --tone 660 --stream-id 2, --tone 880 --stream-id 3)"
    },
    optionListHeading = "%nOptions:%n",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:Every frame was sent (and the route created and deleted).",
        "1:The node refused or could not be reached, or a send failed.",
        "2:A bad option, an unusable WAV file, or a frame over --max-datagram-bytes."
    })
public final class WavSendCommand implements Callable<Integer>
{
    static final String API_KEY_ENV = LoadgenCommand.API_KEY_ENV;
    static final int MIN_DATAGRAM_BYTES = 64;
    static final int MAX_DATAGRAM_BYTES = 65_507;
    // How long to wait for the node to take in the last frames before the route is deleted under them.
    private static final long DRAIN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long DRAIN_POLL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    @Spec
    private CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "%nAudio, one of:%n")
    private Input input;

    @Option(names = "--stream-id", required = true, paramLabel = "N", converter = PcmFrames.StreamIdConverter.class,
        description = "Stream id of the frames, 1 to 2^64-1 (decimal).")
    private Long streamId;

    @Option(names = "--relay", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:4000",
        converter = PcmFrames.HostPortConverter.class, description = "The node's relay address (BIND_ADDR).")
    private InetSocketAddress relay;

    @Option(names = "--bind-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
        description = "Address to send from; with --create-route a concrete one, the route's source.")
    private String bindHost;

    @Option(names = "--source-port", paramLabel = "P", defaultValue = "0",
        description = "Port to send from, 0 for any free one.")
    private int sourcePort;

    @Option(names = "--max-datagram-bytes", paramLabel = "N", defaultValue = "1500",
        description = "Largest datagram the node accepts: its MAX_DATAGRAM_BYTES.")
    private int maxDatagramBytes;

    @Option(names = "--frame-ms", paramLabel = "MS", defaultValue = "20",
        description = "Audio per frame: 5, 10 or 20 ms. The rate must make it whole samples.")
    private int frameMs;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3", description = "With --tone: its length.")
    private double seconds;

    @Option(names = "--rate", paramLabel = "HZ", defaultValue = WavToneCommand.DEFAULT_RATE,
        description = "With --tone: sample rate, 8000-192000, a multiple of 50 (of 100 for 10 ms frames, of 200 " +
            "for 5 ms).")
    private int rate;

    @Option(names = "--channels", paramLabel = "N", defaultValue = WavToneCommand.DEFAULT_CHANNELS,
        description = "With --tone: channels, 1-8.")
    private int channels;

    @Option(names = "--amplitude", paramLabel = "A", defaultValue = "0.5",
        description = "With --tone: peak level, a fraction of full scale, above 0 and at most 1.")
    private double amplitude;

    @Option(names = "--create-route", description = "Create the route before sending and delete it after.")
    private boolean createRoute;

    @Option(names = "--target", paramLabel = "HOST:PORT", converter = PcmFrames.HostPortConverter.class,
        showDefaultValue = Help.Visibility.NEVER,
        description = "With --create-route: where the node sends the frames, e.g. wav-receive's --listen. " +
            "Repeat for more targets.")
    private List<InetSocketAddress> targets = new ArrayList<>();

    @Option(names = "--room-code", paramLabel = "CODE", converter = RoomCode.Converter.class,
        showDefaultValue = Help.Visibility.NEVER,
        description = "With --create-route: the route's room_code, 1-64 of A-Z a-z 0-9 _ -; routes with the same " +
            "code form a mixer room.")
    private String roomCode;

    @Option(names = "--mix-minus", description = "With --room-code: the route's targets get the room's mix " +
        "without this sender's audio (mix_minus).")
    private boolean mixMinus;

    @Option(names = "--api", paramLabel = "URL", defaultValue = "http://127.0.0.1:4300",
        description = "With --create-route: the node's control API (CONTROL_API_ADDR).")
    private URI api;

    @Option(names = "--api-key", paramLabel = "KEY", showDefaultValue = Help.Visibility.NEVER,
        description = "With --create-route: an API key (else the environment variable " + API_KEY_ENV +
            "). Never printed.")
    private String apiKey;

    /**
     * Where the samples come from.
     */
    static final class Input
    {
        @Option(names = "--file", required = true, paramLabel = "FILE",
            description = "16-bit PCM WAV file to send; its rate and channels come from its header.")
        private Path file;

        @Option(names = "--tone", required = true, paramLabel = "HZ",
            description = "Send a sine tone of this frequency instead: the samples wav-tone writes for the same " +
                "--seconds, --rate, --channels and --amplitude.")
        private Double toneHz;
    }

    /**
     * The samples to send and their format.
     */
    private record Audio(String description, int rate, int channels, long bytes, InputStream data)
    {
    }

    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final String problem = checkOptions();
        if (null != problem)
        {
            err.println("wav-send: " + problem + " (see --help)");
            return 2;
        }

        final Audio audio;
        try
        {
            audio = openAudio();
        }
        catch (final WavFormatException ex)
        {
            err.println("wav-send: " + ex.getMessage());
            return 2;
        }
        catch (final IOException ex)
        {
            err.println("wav-send: cannot read " + input.file + ": " + PcmFrames.reason(ex));
            return 2;
        }

        try (InputStream data = audio.data())
        {
            final String rateProblem = PcmFrames.checkRate(audio.rate(), frameMs);
            if (null != rateProblem)
            {
                err.println("wav-send: " + audio.description() + ": " + rateProblem +
                    (PcmFrames.DEFAULT_FRAME_MS == frameMs ? "" : ", or pick another --frame-ms"));
                return 2;
            }
            final int frameBytes = PcmFrames.frameBytes(audio.rate(), audio.channels(), frameMs);
            final int datagramBytes = FrameFlyweight.HEADER_LENGTH + frameBytes;
            if (datagramBytes > maxDatagramBytes)
            {
                err.println(String.format(Locale.ROOT,
                    "wav-send: a %d ms frame of %d Hz %d-channel audio is %d bytes with its header, over " +
                    "--max-datagram-bytes %d, and a node drops a datagram over its MAX_DATAGRAM_BYTES. %s the " +
                    "rate or channels (24000 Hz mono needs 980 at 20 ms), or raise MAX_DATAGRAM_BYTES on the node " +
                    "to at least %d and pass --max-datagram-bytes %d.",
                    frameMs, audio.rate(), audio.channels(), datagramBytes, maxDatagramBytes,
                    shorterFrameHint(audio.rate(), audio.channels()), datagramBytes, datagramBytes));
                return 2;
            }
            if (null != roomCode && PcmFrames.FLAGS_PCM != PcmFrames.flags(audio.rate(), audio.channels()))
            {
                err.println("wav-send: warning: a mixer room mixes only PCM frames (48 kHz stereo); " +
                    audio.description() + " goes out as opaque frames, which the room forwards unmixed");
            }
            return send(audio, data, frameBytes, out, err);
        }
        catch (final IOException ex)
        {
            err.println("wav-send: " + ex.getMessage());
            return 1;
        }
    }

    private int send(
        final Audio audio, final InputStream data, final int frameBytes, final PrintWriter out, final PrintWriter err)
        throws IOException
    {
        final InetSocketAddress bindAddress = new InetSocketAddress(bindHost, sourcePort);
        if (bindAddress.isUnresolved())
        {
            err.println("wav-send: --bind-host=" + bindHost + ": unknown host");
            return 2;
        }
        if (createRoute && bindAddress.getAddress().isAnyLocalAddress())
        {
            err.println("wav-send: --bind-host=" + bindHost + ": with --create-route it must be a concrete " +
                "address, the route's source_addr, not a wildcard");
            return 2;
        }

        try (DatagramChannel channel = DatagramChannel.open(); StopSignal stop = new StopSignal())
        {
            try
            {
                channel.bind(bindAddress);
            }
            catch (final IOException ex)
            {
                err.println("wav-send: cannot bind " + RouteClient.format(bindAddress) + ": " + ex.getMessage());
                return 1;
            }
            final InetSocketAddress source = (InetSocketAddress)channel.getLocalAddress();
            final RouteClient routes = createRoute ? new RouteClient(api, resolveApiKey()) : null;
            if (null != routes && !createRoute(routes, source, err))
            {
                return 1;
            }

            int exitCode = 0;
            final long totalFrames = (audio.bytes() + frameBytes - 1) / frameBytes;
            final byte flags = PcmFrames.flags(audio.rate(), audio.channels());
            out.println(String.format(Locale.ROOT,
                "wav-send: %s as stream %s: %d frames of %d bytes (kind %s) every %d ms from %s to %s%s",
                audio.description(), Long.toUnsignedString(streamId), totalFrames, frameBytes,
                PcmFrames.FLAGS_PCM == flags ? "PCM" : "opaque", frameMs, RouteClient.format(source),
                RouteClient.format(relay), null == routes ? "" : "; created route -> " + targets.stream()
                    .map(RouteClient::format).collect(Collectors.joining(", ")) + " (framed" + roomDescription() +
                    ") via " + api));
            out.flush();

            final ByteBuffer buffer = ByteBuffer.allocate(FrameFlyweight.HEADER_LENGTH + frameBytes);
            final FrameFlyweight frame = new FrameFlyweight().wrap(buffer, 0);
            final long frameNs = PcmFrames.frameNs(frameMs);
            final int timestampStep = PcmFrames.timestampStep(frameMs);
            long frames = 0;
            long bytes = 0;
            final long startNs = System.nanoTime();
            long lastSendNs = startNs;
            try
            {
                while (!stop.stopRequested())
                {
                    final int length = data.readNBytes(buffer.array(), FrameFlyweight.HEADER_LENGTH, frameBytes);
                    if (0 == length)
                    {
                        break;
                    }
                    frame.header(flags, streamId, frames, frames * timestampStep);
                    buffer.limit(FrameFlyweight.HEADER_LENGTH + length).position(0);
                    if (!waitUntil(startNs + frames * frameNs, stop))
                    {
                        break;
                    }
                    channel.send(buffer, relay);
                    lastSendNs = System.nanoTime();
                    frames++;
                    bytes += length;
                }
            }
            catch (final IOException ex)
            {
                err.println("wav-send: stopped at frame " + frames + " (reading the audio or sending to " +
                    RouteClient.format(relay) + "): " + ex.getMessage());
                exitCode = 1;
            }
            finally
            {
                if (null != routes)
                {
                    exitCode = Math.max(exitCode, deleteRoute(routes, frames, stop, err));
                }
            }

            out.println(String.format(Locale.ROOT,
                "wav-send: %s %d frames, %d bytes of audio (%.3f s) in %.3f s%s",
                stop.stopRequested() ? "stopped after" : "sent", frames, bytes,
                (double)bytes / ((long)audio.rate() * audio.channels() * WavFile.BYTES_PER_SAMPLE),
                (lastSendNs - startNs) / 1e9, null == routes ? "" : "; route " + Long.toUnsignedString(streamId) +
                    (0 == exitCode ? " deleted" : " may remain")));
            return exitCode;
        }
    }

    /**
     * @return true when the node created the route; false, having said why, when it did not.
     */
    private boolean createRoute(final RouteClient routes, final InetSocketAddress source, final PrintWriter err)
    {
        try
        {
            routes.create(streamId, source, targets, GeneratorOptions.Deliver.FRAMED, roomCode, mixMinus);
            return true;
        }
        catch (final IOException ex)
        {
            err.println("wav-send: cannot create the route: " + ex.getMessage() + hint(ex));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            err.println("wav-send: interrupted while creating the route");
        }
        return false;
    }

    /**
     * Wait until the node has taken in every frame, so that none is dropped as {@code unknown_stream} behind the
     * DELETE, then delete the route.
     */
    private int deleteRoute(final RouteClient routes, final long frames, final StopSignal stop, final PrintWriter err)
    {
        try
        {
            final long deadlineNs = System.nanoTime() + DRAIN_TIMEOUT_NS;
            long packetsIn;
            while (!stop.stopRequested() && (packetsIn = routes.packetsIn(streamId)) >= 0 && packetsIn < frames &&
                System.nanoTime() - deadlineNs < 0)
            {
                LockSupport.parkNanos(DRAIN_POLL_NS);
            }
        }
        catch (final IOException ex)
        {
            err.println("wav-send: " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }

        try
        {
            routes.delete(streamId);
            return 0;
        }
        catch (final IOException ex)
        {
            err.println("wav-send: cannot delete the route: " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            err.println("wav-send: interrupted before the route was deleted");
        }
        return 1;
    }

    private String checkOptions()
    {
        if (null != input.file &&
            (matched("--seconds") || matched("--rate") || matched("--channels") || matched("--amplitude")))
        {
            return "--seconds, --rate, --channels and --amplitude shape --tone; a file's format comes from its " +
                "header";
        }
        final String frameMsProblem = PcmFrames.checkFrameMs(frameMs);
        if (null != frameMsProblem)
        {
            return frameMsProblem;
        }
        if (null != input.toneHz)
        {
            final String formatProblem = PcmFrames.checkOptions(rate, channels);
            if (null != formatProblem)
            {
                return formatProblem;
            }
            final String toneProblem = WavToneCommand.checkTone(input.toneHz, seconds, rate, channels);
            if (null != toneProblem)
            {
                return toneProblem.replace("--hz=", "--tone=");
            }
            final String amplitudeProblem = WavToneCommand.checkAmplitude(amplitude);
            if (null != amplitudeProblem)
            {
                return amplitudeProblem;
            }
        }
        if (sourcePort < 0 || sourcePort > 65_535)
        {
            return "--source-port=" + sourcePort + ": must be 0-65535";
        }
        if (maxDatagramBytes < MIN_DATAGRAM_BYTES || maxDatagramBytes > MAX_DATAGRAM_BYTES)
        {
            return "--max-datagram-bytes=" + maxDatagramBytes + ": must be " + MIN_DATAGRAM_BYTES + "-" +
                MAX_DATAGRAM_BYTES;
        }
        if (createRoute && targets.isEmpty())
        {
            return "--create-route needs at least one --target HOST:PORT";
        }
        if (!createRoute && !targets.isEmpty())
        {
            return "--target is the route's target: use it with --create-route";
        }
        if (!createRoute && null != roomCode)
        {
            return "--room-code=" + roomCode + " goes in the route request: use it with --create-route";
        }
        if (mixMinus && null == roomCode)
        {
            return "--mix-minus applies to a room member: give the route's --room-code too";
        }
        if (createRoute && (null == api.getScheme() || !api.getScheme().startsWith("http") || null == api.getHost()))
        {
            return "--api=" + api + ": expected http://host:port";
        }
        return null;
    }

    /**
     * @return the start of the advice: the longest frame duration below {@code --frame-ms} whose datagram fits.
     */
    private String shorterFrameHint(final int audioRate, final int audioChannels)
    {
        for (int i = PcmFrames.FRAME_MS_CHOICES.length - 1; i >= 0; i--)
        {
            final int shorter = PcmFrames.FRAME_MS_CHOICES[i];
            final int datagramBytes = FrameFlyweight.HEADER_LENGTH +
                PcmFrames.frameBytes(audioRate, audioChannels, shorter);
            if (shorter < frameMs && null == PcmFrames.checkRate(audioRate, shorter) &&
                datagramBytes <= maxDatagramBytes)
            {
                return "Send shorter frames (--frame-ms " + shorter + ": " + datagramBytes + " bytes), lower";
            }
        }
        return "Lower";
    }

    private String roomDescription()
    {
        return null == roomCode ? "" : ", room " + roomCode + (mixMinus ? ", mix-minus" : "") + "; the room's mix " +
            "is stream " + Long.toUnsignedString(RoomCode.streamId(roomCode));
    }

    private Audio openAudio() throws IOException
    {
        if (null != input.file)
        {
            final WavFile wav = WavFile.open(input.file);
            final String ignored = 0 == wav.ignoredTrailingBytes() ? "" :
                " (last " + wav.ignoredTrailingBytes() + " bytes, not a whole sample frame, left out)";
            return new Audio(wav + ignored, wav.sampleRate(), wav.channels(), wav.dataBytes(), wav.openData());
        }
        final SineTone tone = new SineTone(input.toneHz, rate, channels, SineTone.sampleFrames(seconds, rate),
            amplitude);
        final String description = String.format(Locale.ROOT, "%s Hz tone (%.1f dBFS, %d Hz, %d ch, 16-bit PCM, " +
            "%.3f s)", WavToneCommand.fmt(input.toneHz), 20 * Math.log10(amplitude), rate, channels,
            (double)tone.lengthBytes() / ((long)rate * channels * WavFile.BYTES_PER_SAMPLE));
        return new Audio(description, rate, channels, tone.lengthBytes(), tone);
    }

    private String resolveApiKey()
    {
        final String key = null != apiKey ? apiKey : System.getenv(API_KEY_ENV);
        return null == key || key.isEmpty() ? null : key;
    }

    private String hint(final IOException ex)
    {
        final String message = String.valueOf(ex.getMessage());
        if (message.contains("node answered 401"))
        {
            return null == resolveApiKey() ? " (pass --api-key or set " + API_KEY_ENV + ")" :
                " (the node does not know this key)";
        }
        if (message.contains("node answered 409"))
        {
            return " (a route for this stream id exists: pick another --stream-id or DELETE it)";
        }
        return "";
    }

    private boolean matched(final String option)
    {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /**
     * @return false when a stop was requested first.
     */
    private static boolean waitUntil(final long deadlineNs, final StopSignal stop)
    {
        long remainingNs;
        while ((remainingNs = deadlineNs - System.nanoTime()) > 0)
        {
            if (stop.stopRequested())
            {
                return false;
            }
            LockSupport.parkNanos(remainingNs);
        }
        return !stop.stopRequested();
    }
}
