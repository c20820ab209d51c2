// Compiled (not run) by scripts/build.mjs: a CommonJS TypeScript bot gets the CommonJS build's types, and they fit
// the library's CommonJS types.
import { joinVoiceChannel, type VoiceConnection } from '@discordjs/voice';
import { createSoundRelay, type RelayRoute } from '../../dist/cjs/index.js';

declare const adapterCreator: Parameters<typeof joinVoiceChannel>[0]['adapterCreator'];

const relay = createSoundRelay({ nodes: ['http://relay-1:4300'], apiKey: 'key' });
const connection: VoiceConnection = joinVoiceChannel({ channelId: '1', guildId: '2', adapterCreator });
relay.attach(connection);
const route: RelayRoute | undefined = relay.routeOf(connection);
void route;
