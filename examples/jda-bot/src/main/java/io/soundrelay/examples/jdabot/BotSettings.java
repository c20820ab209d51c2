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

import io.soundrelay.jda.SoundRelaySendFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bot's settings, all from the environment, checked before anything connects. A bad one is a
 * {@link BadSetting} that names the variable.
 */
final class BotSettings
{
    static final String DISCORD_TOKEN = "DISCORD_TOKEN";
    static final String GUILD_ID = "GUILD_ID";
    static final String VOICE_CHANNEL_ID = "VOICE_CHANNEL_ID";
    static final String SOUNDRELAY_RELAY = "SOUNDRELAY_RELAY";
    static final String SOUNDRELAY_API = "SOUNDRELAY_API";
    static final String SOUNDRELAY_API_KEY = "SOUNDRELAY_API_KEY";
    static final String AUDIO_FILE = "AUDIO_FILE";
    static final String SOUNDRELAY_PACE_MS = "SOUNDRELAY_PACE_MS";
    /** Run 400 ms ahead and let the node pace, as jda-nas's native send buffer: a GC pause under that is not heard. */
    static final int DEFAULT_PACE_MS = 400;
    static final String DEFAULT_RELAY = "127.0.0.1:4000";
    static final String DEFAULT_API = "http://127.0.0.1:4300";

    final String token;
    final long guildId;
    final long voiceChannelId;
    final InetSocketAddress relay;
    final String controlUrl;
    final String apiKey;
    final int paceMs;
    final Path audioFile;

    private BotSettings(final Map<String, String> env) throws BadSetting
    {
        token = required(env, DISCORD_TOKEN, "the bot's token, from the Discord developer portal (Bot, Reset Token)");
        guildId = snowflake(env, GUILD_ID, "the server's id (Developer Mode on, right-click the server, Copy ID)");
        voiceChannelId = snowflake(env, VOICE_CHANNEL_ID, "the voice channel's id (right-click it, Copy ID)");
        relay = relay(value(env, SOUNDRELAY_RELAY, DEFAULT_RELAY));
        controlUrl = value(env, SOUNDRELAY_API, DEFAULT_API);
        if (!controlUrl.startsWith("http://") && !controlUrl.startsWith("https://"))
        {
            throw new BadSetting(SOUNDRELAY_API, controlUrl, "not an http:// or https:// URL");
        }
        final String key = env.get(SOUNDRELAY_API_KEY);
        apiKey = null == key || key.isBlank() ? null : key.strip();
        paceMs = paceMs(value(env, SOUNDRELAY_PACE_MS, Integer.toString(DEFAULT_PACE_MS)));
        final String file = env.get(AUDIO_FILE);
        audioFile = null == file || file.isBlank() ? null : Path.of(file);
        if (null != audioFile && !Files.isReadable(audioFile))
        {
            throw new BadSetting(AUDIO_FILE, file, "no such readable file");
        }
    }

    /**
     * @param env the environment.
     * @return the settings.
     * @throws BadSetting naming the first variable that is missing or wrong.
     */
    static BotSettings fromEnv(final Map<String, String> env) throws BadSetting
    {
        return new BotSettings(env);
    }

    /**
     * @return the audio to play: {@link #AUDIO_FILE}, or a 440 Hz tone without one.
     * @throws BadSetting when the file is not a 48 kHz stereo 16-bit WAV.
     */
    PcmAudio audio() throws BadSetting
    {
        if (null == audioFile)
        {
            return PcmAudio.tone(440, 0.2);
        }
        try
        {
            return PcmAudio.wav(audioFile);
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new BadSetting(AUDIO_FILE, audioFile.toString(), ex.getMessage());
        }
    }

    private static String value(final Map<String, String> env, final String name, final String defaultValue)
    {
        final String value = env.get(name);
        return null == value || value.isBlank() ? defaultValue : value.strip();
    }

    private static String required(final Map<String, String> env, final String name, final String what)
        throws BadSetting
    {
        final String value = env.get(name);
        if (null == value || value.isBlank())
        {
            throw new BadSetting(name, null, "missing: " + what);
        }
        return value.strip();
    }

    private static long snowflake(final Map<String, String> env, final String name, final String what)
        throws BadSetting
    {
        final String value = required(env, name, what);
        try
        {
            final long id = Long.parseUnsignedLong(value);
            if (id != 0)
            {
                return id;
            }
        }
        catch (final NumberFormatException ex)
        {
            // below
        }
        throw new BadSetting(name, value, "not a Discord id (a number such as 1234567890123456789): " + what);
    }

    private static int paceMs(final String value) throws BadSetting
    {
        try
        {
            final int paceMs = Integer.parseInt(value);
            if (paceMs >= 0 && paceMs <= SoundRelaySendFactory.MAX_PACE_MS)
            {
                return paceMs;
            }
        }
        catch (final NumberFormatException ex)
        {
            // below
        }
        throw new BadSetting(SOUNDRELAY_PACE_MS, value, "not a number of milliseconds from 0 to " +
            SoundRelaySendFactory.MAX_PACE_MS + " (0: no pacing, for a node without it)");
    }

    private static InetSocketAddress relay(final String value) throws BadSetting
    {
        final int colon = value.lastIndexOf(':');
        String host = colon > 0 ? value.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try
        {
            port = colon > 0 ? Integer.parseInt(value.substring(colon + 1)) : -1;
        }
        catch (final NumberFormatException ex)
        {
            throw new BadSetting(SOUNDRELAY_RELAY, value, "not host:port");
        }
        if (host.isEmpty() || port < 1 || port > 65535)
        {
            throw new BadSetting(SOUNDRELAY_RELAY, value, "not host:port with a port from 1 to 65535");
        }
        try
        {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        }
        catch (final UnknownHostException ex)
        {
            throw new BadSetting(SOUNDRELAY_RELAY, value, "cannot resolve " + host);
        }
    }

    /**
     * A setting that is missing or wrong. Its message names the variable, and its value unless it is a secret.
     */
    static final class BadSetting extends Exception
    {
        private static final long serialVersionUID = 1L;

        final String variable;

        BadSetting(final String variable, final String value, final String why)
        {
            super(variable + (null == value ? "" : "=" + value) + ": " + why);
            this.variable = variable;
        }
    }
}
