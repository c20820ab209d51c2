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
package io.soundrelay.examples.jdabot;

import club.minnced.discord.jdave.interop.JDaveSessionFactory;
import net.dv8tion.jda.api.audio.dave.DaveSessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bot's checks before it connects, and its audio, without Discord: a bad setting exits 2 naming the variable.
 */
final class ExampleBotTest
{
    private static final String TOKEN = "MTIz.secret-token.xyz";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();

    @Test
    void eachMissingRequiredVariableIsNamed() throws Exception
    {
        for (final String name : new String[]{"DISCORD_TOKEN", "GUILD_ID", "VOICE_CHANNEL_ID"})
        {
            final Map<String, String> env = valid();
            env.remove(name);
            assertRefused(env, name + ": missing");
            env.put(name, "  ");
            assertRefused(env, name + ": missing");
        }
    }

    @Test
    void badValuesAreNamedWithTheirValue() throws Exception
    {
        assertRefused(with("GUILD_ID", "my-server"), "GUILD_ID=my-server: not a Discord id");
        assertRefused(with("VOICE_CHANNEL_ID", "0"), "VOICE_CHANNEL_ID=0: not a Discord id");
        assertRefused(with("VOICE_CHANNEL_ID", "-5"), "VOICE_CHANNEL_ID=-5: not a Discord id");
        assertRefused(with("SOUNDRELAY_RELAY", "127.0.0.1"), "SOUNDRELAY_RELAY=127.0.0.1: not host:port");
        assertRefused(with("SOUNDRELAY_RELAY", "127.0.0.1:70000"), "SOUNDRELAY_RELAY=127.0.0.1:70000: not host:port");
        assertRefused(with("SOUNDRELAY_RELAY", "relay.invalid:4000"), "SOUNDRELAY_RELAY=relay.invalid:4000: cannot");
        assertRefused(with("SOUNDRELAY_API", "127.0.0.1:4300"), "SOUNDRELAY_API=127.0.0.1:4300: not an http://");
        assertRefused(with("SOUNDRELAY_PACE_MS", "2001"), "SOUNDRELAY_PACE_MS=2001: not a number of milliseconds");
        assertRefused(with("SOUNDRELAY_PACE_MS", "-1"), "SOUNDRELAY_PACE_MS=-1: not a number of milliseconds");
        assertRefused(with("SOUNDRELAY_PACE_MS", "0.5s"), "SOUNDRELAY_PACE_MS=0.5s: not a number of milliseconds");
        final String missing = dir.resolve("nope.wav").toString();
        assertRefused(with("AUDIO_FILE", missing), "AUDIO_FILE=" + missing + ": no such readable file");
    }

    @Test
    void aWavFileOfTheWrongFormatIsNamedWithWhatItIs() throws Exception
    {
        final Path mono = dir.resolve("mono.wav");
        Files.write(mono, wav(44_100, 1, new short[]{1, 2, 3, 4}));
        assertRefused(with("AUDIO_FILE", mono.toString()), "AUDIO_FILE=" + mono + ": PCM, 1 channel(s), 44100 Hz");
        final Path text = dir.resolve("notes.wav");
        Files.writeString(text, "hello");
        assertRefused(with("AUDIO_FILE", text.toString()), "AUDIO_FILE=" + text + ": not a WAV file");
    }

    @Test
    void theTokenIsNeverPrinted() throws Exception
    {
        assertRefused(with("GUILD_ID", "x"), "GUILD_ID=x");
        assertFalse(errBytes.toString(StandardCharsets.UTF_8).contains(TOKEN));
    }

    @Test
    void daveIsLoadedBeforeConnecting() throws Exception
    {
        final DaveSessionFactory dave = ExampleBot.daveSessionFactory(
            new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        final String err = errBytes.toString(StandardCharsets.UTF_8);
        if (null == dave)
        {
            // A system libdave does not load on (glibc older than 2.38): said, and the bot stops before connecting.
            assertTrue(err.startsWith("libdave, JDAVE's native library, does not load on this system"), err);
            errBytes.reset();
            assertEquals(ExampleBot.EXIT_CANNOT_RUN, run(valid()));
            assertTrue(errBytes.toString(StandardCharsets.UTF_8).startsWith("libdave"), errBytes.toString());
        }
        else
        {
            assertInstanceOf(JDaveSessionFactory.class, dave);
            assertEquals("", err);
        }
    }

    @Test
    void defaultsWhenOnlyTheRequiredAreSet() throws Exception
    {
        final BotSettings settings = BotSettings.fromEnv(valid());
        assertEquals("127.0.0.1", settings.relay.getAddress().getHostAddress());
        assertEquals(4000, settings.relay.getPort());
        assertEquals("http://127.0.0.1:4300", settings.controlUrl);
        assertNull(settings.apiKey);
        assertEquals(400, settings.paceMs, "pacing on by default");
        assertEquals(0, BotSettings.fromEnv(with("SOUNDRELAY_PACE_MS", "0")).paceMs);
        assertEquals(2000, BotSettings.fromEnv(with("SOUNDRELAY_PACE_MS", " 2000 ")).paceMs);
        assertNull(settings.audioFile);
        assertEquals(1234567890123456789L, settings.guildId);
        assertEquals("a 440 Hz tone", settings.audio().toString());
    }

    @Test
    void theToneIsTwentyMillisecondsOfBigEndianStereoPerFrame()
    {
        final PcmAudio tone = PcmAudio.tone(440, 0.2);
        assertTrue(tone.canProvide());
        assertFalse(tone.isOpus());
        final ByteBuffer first = tone.provide20MsAudio();
        assertEquals(3840, first.remaining());
        assertEquals(3840, PcmAudio.FRAME_BYTES);
        // Sample 1 of a 440 Hz sine at 48 kHz, 0.2 of full scale, big-endian, the same on both channels.
        final short expected = (short)Math.round(0.2 * Short.MAX_VALUE * Math.sin(2 * Math.PI * 440 / 48_000));
        final ByteBuffer samples = first.slice().order(ByteOrder.BIG_ENDIAN);
        assertEquals(expected, samples.getShort(4));
        assertEquals(expected, samples.getShort(6));
        for (int i = 1; i < 50; i++)
        {
            tone.provide20MsAudio();
        }
        assertEquals(0, tone.provide20MsAudio().slice().getShort(0), "one second later the loop starts again");
    }

    @Test
    void aWavFileIsSwappedToBigEndianAndPaddedToWholeFrames() throws Exception
    {
        final Path file = dir.resolve("two.wav");
        Files.write(file, wav(48_000, 2, new short[]{0x0102, -2, 0x7FFF, -32768}));
        final PcmAudio audio = BotSettings.fromEnv(with("AUDIO_FILE", file.toString())).audio();
        final ByteBuffer frame = audio.provide20MsAudio();
        assertEquals(3840, frame.remaining());
        final ByteBuffer samples = frame.slice().order(ByteOrder.BIG_ENDIAN);
        assertEquals(0x0102, samples.getShort(0));
        assertEquals(-2, samples.getShort(2));
        assertEquals(0x7FFF, samples.getShort(4));
        assertEquals(-32768, samples.getShort(6));
        assertEquals(0, samples.getShort(8), "padded with silence");
    }

    private void assertRefused(final Map<String, String> env, final String expected) throws Exception
    {
        errBytes.reset();
        assertEquals(ExampleBot.EXIT_BAD_SETTING, run(env));
        final String err = errBytes.toString(StandardCharsets.UTF_8);
        assertTrue(err.startsWith(expected), "expected '" + expected + "...' but got: " + err);
        assertFalse(err.contains(TOKEN));
    }

    private int run(final Map<String, String> env) throws Exception
    {
        return ExampleBot.run(env, new PrintStream(outBytes, true, StandardCharsets.UTF_8),
            new PrintStream(errBytes, true, StandardCharsets.UTF_8));
    }

    private static Map<String, String> valid()
    {
        final Map<String, String> env = new HashMap<>();
        env.put("DISCORD_TOKEN", TOKEN);
        env.put("GUILD_ID", "1234567890123456789");
        env.put("VOICE_CHANNEL_ID", "987654321098765432");
        return env;
    }

    private static Map<String, String> with(final String name, final String value)
    {
        final Map<String, String> env = valid();
        env.put(name, value);
        return env;
    }

    private static byte[] wav(final int rate, final int channels, final short[] samples)
    {
        final ByteBuffer wav = ByteBuffer.allocate(44 + samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples.length * 2)
            .put("WAVE".getBytes(StandardCharsets.US_ASCII))
            .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short)1).putShort((short)channels)
            .putInt(rate).putInt(rate * channels * 2).putShort((short)(channels * 2)).putShort((short)16)
            .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples.length * 2);
        for (final short sample : samples)
        {
            wav.putShort(sample);
        }
        return wav.array();
    }
}
