// Compiled (not run) by scripts/build.mjs against the built declarations: what a TypeScript bot (ES modules) writes
// must type-check. usage.cts does the same for a CommonJS bot.
import { joinVoiceChannel, type VoiceConnection } from '@discordjs/voice';
import {
  createSoundRelay,
  SoundRelayError,
  type MoveEvent,
  type RelayRoute,
  type RouteEvent,
  type SoundRelay,
} from '../../dist/esm/index.js';

declare const adapterCreator: Parameters<typeof joinVoiceChannel>[0]['adapterCreator'];

const relay: SoundRelay = createSoundRelay({
  nodes: ['http://relay-1:4300'],
  apiKey: 'key',
  fallback: 'direct',
  checkIntervalMs: 500,
  watch: true,
});
relay.on('route', (event: RouteEvent) => console.log(event.streamId, event.relayAddress, event.voiceServer));
relay.on('moved', (event: MoveEvent) => console.log(event.reason, event.from.node, event.to.node));
relay.on('error', (error: SoundRelayError) => console.log(error.code, error.connection?.joinConfig.guildId));
relay.on('warning', (message: string) => console.log(message));

const connection: VoiceConnection = relay.joinVoiceChannel({ channelId: '1', guildId: '2', adapterCreator });
const detach: () => void = relay.attach(joinVoiceChannel({ channelId: '1', guildId: '3', adapterCreator }));
const route: RelayRoute | undefined = relay.routeOf(connection);
detach();
void route;
void relay.close();
