// A discord.js bot that joins one voice channel and plays a file, or a 440 Hz tone, through SoundRelay: its IP
// discovery, audio, keep-alives and what it hears all go through a node's relay port. Settings come from the
// environment (see README) and are checked before anything connects: a bad one exits with status 2, naming it.
// Then the SoundRelay nodes and the API key are tried (preflight.mjs), and only then Discord: a wrong node URL or
// key shows without a Discord token.
import { createReadStream, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { checkNodes } from './preflight.mjs';
import { SettingError, readSettings, requireDiscord } from './settings.mjs';

let settings;
try {
  settings = readSettings(process.env);
  if (settings.audioFile !== undefined && !existsSync(settings.audioFile)) {
    throw new SettingError(`AUDIO_FILE: ${settings.audioFile} does not exist`);
  }
} catch (error) {
  if (!(error instanceof SettingError)) throw error;
  console.error(error.message);
  process.exit(2);
}
try {
  const { ready, unreachable } = await checkNodes(settings.nodes, settings.apiKey);
  for (const node of ready) {
    console.log(`SoundRelay node ${node.nodeId} at ${node.url}: ${node.status}, API key accepted`);
  }
  for (const node of unreachable) {
    console.warn(`SOUNDRELAY_NODES: ${node.url} does not answer (${node.why})`);
  }
  if (ready.length === 0) {
    if (settings.fallback !== 'direct') {
      console.error('SOUNDRELAY_NODES: no node answers: start one, or correct the URLs (SOUNDRELAY_FALLBACK=direct ' +
        'connects to Discord directly instead)');
      process.exit(1);
    }
    console.warn('SoundRelay unavailable: the bot connects directly (SOUNDRELAY_FALLBACK=direct)');
  }
  requireDiscord(settings);
} catch (error) {
  if (!(error instanceof SettingError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`Node.js ${process.versions.node}: @discordjs/voice 0.19 needs Node.js 22.12 or newer`);
  process.exit(3);
}

// Only now load the libraries: the checks above need none of them.
const { Client, Events, GatewayIntentBits } = await import('discord.js');
const {
  AudioPlayerStatus,
  StreamType,
  VoiceConnectionStatus,
  createAudioPlayer,
  createAudioResource,
  demuxProbe,
  entersState,
} = await import('@discordjs/voice');
const { createSoundRelay } = await import('soundrelay-discordjs');

const relay = createSoundRelay({ nodes: settings.nodes, apiKey: settings.apiKey, fallback: settings.fallback });
relay.on('route', (e) =>
  console.log(`route ${e.streamId} on ${e.node}: the voice server ${e.voiceServer} hears the bot from ${e.relayAddress}`),
);
relay.on('moved', (e) => console.log(`route moved (${e.reason}): now ${e.to.streamId} on ${e.to.node}, ${e.to.relayAddress}`));
relay.on('routeDeleted', (e) => console.log(`route ${e.streamId} deleted on ${e.node}`));
relay.on('fallback', (e) => console.warn(`SoundRelay unavailable, connecting directly: ${e.error.message}`));
relay.on('warning', (message) => console.warn(`SoundRelay: ${message}`));
relay.on('error', (error) => console.error(`SoundRelay: ${error.message}`));

const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates] });
let connection;

async function shutdown(status) {
  connection?.destroy();
  await relay.close();
  await client.destroy();
  process.exit(status);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

client.once(Events.ClientReady, async () => {
  let guild;
  let channel;
  try {
    guild = await client.guilds.fetch(settings.guildId);
    channel = await guild.channels.fetch(settings.channelId);
  } catch {
    console.error('GUILD_ID / VOICE_CHANNEL_ID: the bot cannot see that server or channel (is it invited?)');
    return shutdown(2);
  }
  if (!channel?.isVoiceBased()) {
    console.error(`VOICE_CHANNEL_ID: ${settings.channelId} is not a voice channel`);
    return shutdown(2);
  }
  console.log(`joining ${guild.name} / ${channel.name} through ${settings.nodes.join(', ')}`);
  connection = relay.joinVoiceChannel({
    channelId: channel.id,
    guildId: guild.id,
    adapterCreator: guild.voiceAdapterCreator,
    selfDeaf: false,
  });
  connection.on('error', (error) => console.error(`voice connection: ${error.message}`));
  try {
    await entersState(connection, VoiceConnectionStatus.Ready, 30_000);
  } catch {
    console.error('the voice connection did not become ready within 30 s (see the SoundRelay lines above)');
    return shutdown(1);
  }
  connection.receiver.speaking.on('start', (userId) => console.log(`hearing user ${userId} (through the relay port)`));

  const player = createAudioPlayer();
  connection.subscribe(player);
  player.play(await resource());
  player.on('error', (error) => console.error(`player: ${error.message}`));
  player.once(AudioPlayerStatus.Idle, () => {
    console.log('done playing; Ctrl+C leaves the channel and deletes the route');
  });
});

/** The file (Ogg/Opus or WebM/Opus as they are; anything else through FFmpeg), or a tone encoded by opusscript. */
async function resource() {
  if (settings.audioFile !== undefined) {
    const { stream, type } = await demuxProbe(createReadStream(settings.audioFile));
    return createAudioResource(stream, { inputType: type });
  }
  return createAudioResource(tone(440, settings.seconds), { inputType: StreamType.Raw });
}

/** A sine tone as 48 kHz stereo 16-bit PCM, 20 ms at a time. */
function tone(hz, seconds) {
  const samplesPerFrame = 960;
  let frame = 0;
  return new Readable({
    read() {
      if (frame >= seconds * 50) return this.push(null);
      const pcm = Buffer.alloc(samplesPerFrame * 4);
      for (let i = 0; i < samplesPerFrame; i++) {
        const t = (frame * samplesPerFrame + i) / 48000;
        const sample = Math.round(Math.sin(2 * Math.PI * hz * t) * 8000);
        pcm.writeInt16LE(sample, i * 4);
        pcm.writeInt16LE(sample, i * 4 + 2);
      }
      frame++;
      this.push(pcm);
    },
  });
}

client.login(settings.token).catch((error) => {
  if (error?.code === 'TokenInvalid' || error?.status === 401) {
    console.error('DISCORD_TOKEN: Discord refused the token: copy it again from the Developer Portal');
    process.exit(2);
  }
  console.error(`cannot reach Discord: ${error?.message ?? error}`);
  process.exit(1);
});
