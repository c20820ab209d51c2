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

import club.minnced.discord.jdave.ffi.LibDave;
import club.minnced.discord.jdave.interop.JDaveSessionFactory;
import io.soundrelay.jda.SoundRelaySendFactory;
import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.JDABuilder;
import net.dv8tion.jda.api.audio.AudioModuleConfig;
import net.dv8tion.jda.api.audio.AudioNatives;
import net.dv8tion.jda.api.audio.dave.DaveSessionFactory;
import net.dv8tion.jda.api.entities.Guild;
import net.dv8tion.jda.api.entities.channel.middleman.AudioChannel;
import net.dv8tion.jda.api.exceptions.InvalidTokenException;
import net.dv8tion.jda.api.managers.AudioManager;
import net.dv8tion.jda.api.requests.GatewayIntent;
import net.dv8tion.jda.api.utils.cache.CacheFlag;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

/**
 * The example bot: joins one voice channel and plays a 440 Hz tone, or a WAV file, with every voice packet sent
 * through a SoundRelay node. Everything comes from the environment:
 * <pre>
 *   DISCORD_TOKEN       the bot's token (required)
 *   GUILD_ID            the server (required)
 *   VOICE_CHANNEL_ID    the voice channel to join (required)
 *   SOUNDRELAY_RELAY    the node's relay address, host:port (default 127.0.0.1:4000)
 *   SOUNDRELAY_API      the node's control API (default http://127.0.0.1:4300)
 *   SOUNDRELAY_API_KEY  one of the node's API_KEYS (none: for a node with AUTH_ENABLED=false)
 *   AUDIO_FILE          a 48 kHz stereo 16-bit WAV to play in a loop instead of the tone
 *   SOUNDRELAY_PACE_MS  how far ahead the bot sends and the node paces, 0-2000 ms (default 400; 0 for none)
 * </pre>
 * Pacing is on: the send factory's {@code paceMs} makes each route {@code "pace_ms": 400} and the send thread take
 * JDA's packets up to 400 ms early; the node holds them and sends each on its 20 ms slot, so a stall of this JVM
 * shorter than that is not heard. It needs a node with pacing (issue 19); for an older one, set
 * {@code SOUNDRELAY_PACE_MS=0}.
 * Exit status 2, with a message naming the variable, when a setting is missing or wrong; 3 when this machine
 * cannot do Discord voice (libdave or Opus not loading). Both are checked before connecting.
 * Ctrl+C leaves the channel, deletes the route and exits.
 */
public final class ExampleBot
{
    /** Exit status for a setting that is missing or wrong. */
    public static final int EXIT_BAD_SETTING = 2;
    /** Exit status when this machine cannot do Discord voice: libdave or Opus do not load. */
    public static final int EXIT_CANNOT_RUN = 3;
    private ExampleBot()
    {
    }

    /**
     * @param args none; the settings come from the environment.
     * @throws InterruptedException when interrupted while connecting.
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final int status = run(System.getenv(), System.out, System.err);
        if (status != 0)
        {
            System.exit(status);
        }
    }

    /**
     * Check the settings, then connect and play until the JVM is stopped.
     *
     * @param env the environment.
     * @param out where to say what the bot does.
     * @param err where to say what is wrong.
     * @return the exit status: {@link #EXIT_BAD_SETTING} when a setting is wrong, {@link #EXIT_CANNOT_RUN} when
     *         this machine cannot do Discord voice (both found before connecting), 0 after a shutdown.
     * @throws InterruptedException when interrupted while connecting.
     */
    static int run(final Map<String, String> env, final PrintStream out, final PrintStream err)
        throws InterruptedException
    {
        final BotSettings settings;
        final PcmAudio audio;
        try
        {
            settings = BotSettings.fromEnv(env);
            audio = settings.audio();
        }
        catch (final BotSettings.BadSetting ex)
        {
            err.println(ex.getMessage());
            return EXIT_BAD_SETTING;
        }
        final DaveSessionFactory dave = daveSessionFactory(err);
        if (null == dave || !opusLoads(err))
        {
            return EXIT_CANNOT_RUN;
        }
        if (null == settings.apiKey)
        {
            out.println(BotSettings.SOUNDRELAY_API_KEY + " is not set: fine only for a node with AUTH_ENABLED=false");
        }

        // 1. The send factory: every voice connection of this bot sends through the node.
        final SoundRelaySendFactory relay = SoundRelaySendFactory.builder(settings.relay, settings.controlUrl)
            .apiKey(settings.apiKey)
            .paceMs(settings.paceMs) // run ahead; the node paces (0: off)
            .build();

        // 2. JDA with voice: the voice-state intent and cache, the relay, and DAVE (Discord requires it).
        final JDA jda;
        try
        {
            jda = JDABuilder.createLight(settings.token, GatewayIntent.GUILD_VOICE_STATES)
                .enableCache(CacheFlag.VOICE_STATE)
                .setAudioModuleConfig(new AudioModuleConfig().withAudioSendFactory(relay).withDaveSessionFactory(dave))
                .setEnableShutdownHook(false)
                .build();
        }
        catch (final InvalidTokenException ex)
        {
            err.println(BotSettings.DISCORD_TOKEN + ": Discord refused the token; copy it again from the portal");
            return EXIT_BAD_SETTING;
        }

        // 3. On Ctrl+C: leave, then wait until the routes are deleted, before the JVM ends.
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            jda.shutdown();
            try
            {
                jda.awaitShutdown(Duration.ofSeconds(5));
                relay.awaitShutdown(Duration.ofSeconds(5));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "example-bot-shutdown"));

        // 4. Join the channel and play.
        jda.awaitReady();
        final Guild guild = jda.getGuildById(settings.guildId);
        if (null == guild)
        {
            err.println(BotSettings.GUILD_ID + "=" + Long.toUnsignedString(settings.guildId) +
                ": the bot is not on this server; invite it first (OAuth2 URL Generator, scope bot)");
            return EXIT_BAD_SETTING;
        }
        final AudioChannel channel = guild.getChannelById(AudioChannel.class, settings.voiceChannelId);
        if (null == channel)
        {
            err.println(BotSettings.VOICE_CHANNEL_ID + "=" + Long.toUnsignedString(settings.voiceChannelId) +
                ": no voice or stage channel with this id on " + guild.getName());
            return EXIT_BAD_SETTING;
        }
        final AudioManager audioManager = guild.getAudioManager();
        audioManager.setSelfDeafened(true);
        audioManager.setSendingHandler(audio);
        audioManager.openAudioConnection(channel);
        out.println("Playing " + audio + " in " + channel.getName() + " on " + guild.getName() + " through the relay " +
            settings.relay.getAddress().getHostAddress() + ":" + settings.relay.getPort() +
            (settings.paceMs > 0 ? ", " + settings.paceMs + " ms ahead, paced by the node" : ", not paced") +
            ". Ctrl+C to stop.");
        jda.awaitShutdown();
        return 0;
    }

    /**
     * DAVE for JDA: JDAVE's session factory, with its native library loaded now rather than at the first voice
     * connection, so that a machine that cannot run it is told before the bot connects.
     *
     * @param err where to say why there is none.
     * @return the factory, or null when this system cannot run it.
     */
    static DaveSessionFactory daveSessionFactory(final PrintStream err)
    {
        try
        {
            LibDave.getMaxSupportedProtocolVersion(); // loads libdave and calls it
            return new JDaveSessionFactory();
        }
        catch (final LinkageError ex)
        {
            final Throwable cause = null == ex.getCause() ? ex : ex.getCause();
            err.println("libdave, JDAVE's native library, does not load on this system (" + cause.getMessage() +
                "). It needs Linux x86-64 with glibc 2.38+ and libstdc++ of GCC 13+: Ubuntu 24.04, Debian 13," +
                " Fedora 39 or newer.");
            return null;
        }
    }

    /**
     * @param err where to say why not.
     * @return true when JDA can encode Opus here (opus-java's natives load).
     */
    static boolean opusLoads(final PrintStream err)
    {
        if (AudioNatives.ensureOpus())
        {
            return true;
        }
        err.println("opus-java's native library does not load on this system: JDA cannot encode the audio");
        return false;
    }
}
