// What a bot sees when nodes are down at connect: the next node takes the route; with none, a clear error and a
// disconnected connection that never sent a datagram to the voice server, or with fallback 'direct', a direct path.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { AudioPlayerStatus, NoSubscriberBehavior, VoiceConnectionStatus, createAudioPlayer, entersState } from '@discordjs/voice';
import { once } from 'node:events';
import { joinVoiceChannel } from '@discordjs/voice';
import { SoundRelay, SoundRelayError, TESTED_VOICE_VERSIONS, createSoundRelay, untestedVersionWarning } from '../dist/esm/index.js';
import { FakeGateway, FakeVoiceServer } from './support/fake-discord.mjs';
import { API_KEY, RelayNode, freeTcpPort, waitFor } from './support/relay-node.mjs';
import { indexOf, resourceOf, tally } from './support/audio.mjs';

let node;
let server;
let deadUrl;

before(async () => {
  node = await new RelayNode('127.0.0.5').start();
  server = await new FakeVoiceServer('127.0.0.2').start();
  deadUrl = `http://127.0.0.7:${await freeTcpPort('127.0.0.7')}`; // nothing listens there
});

after(async () => {
  await node?.stop();
  await server?.stop();
});

test('a node that is down is skipped: the next one takes the route', async () => {
  const relay = createSoundRelay({ nodes: [deadUrl, node.url], apiKey: API_KEY });
  const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  const route = relay.routeOf(connection);
  assert.equal(route.node, new URL(node.url).href);
  assert.match(route.relayAddress, /^127\.0\.0\.5:/);
  connection.destroy();
  await waitFor(async () => (await node.api('GET', `/route/${route.streamId}`)).status === 404, 'route deleted');
});

test('a node that refuses (wrong API key) is reported with its reason when no node takes the route', async () => {
  const relay = createSoundRelay({ nodes: [node.url], apiKey: 'not-the-key' });
  const errors = [];
  relay.on('error', (e) => errors.push(e));
  const sendersBefore = server.udpSenders.length;
  const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
  await entersState(connection, VoiceConnectionStatus.Disconnected, 20000);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof SoundRelayError);
  assert.equal(errors[0].code, 'NO_NODE');
  assert.equal(errors[0].connection, connection);
  assert.match(errors[0].message, /401/);
  assert.equal(server.udpSenders.length, sendersBefore, 'nothing was sent to the voice server directly');
  connection.destroy();
});

test("no reachable node, fallback 'error' (the default): an error event, the connection disconnects, no datagram reaches the voice server", async () => {
  const relay = createSoundRelay({ nodes: [deadUrl], apiKey: API_KEY });
  const errors = [];
  relay.on('error', (e) => errors.push(e));
  const sendersBefore = server.udpSenders.length;
  const gateway = new FakeGateway(server);
  const connection = relay.joinVoiceChannel(gateway.joinConfig());
  await entersState(connection, VoiceConnectionStatus.Disconnected, 20000);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'NO_NODE');
  assert.ok(errors[0].message.includes(new URL(deadUrl).href), errors[0].message);
  assert.match(errors[0].message, /ECONNREFUSED/);
  assert.equal(connection.state.reason, 3 /* VoiceConnectionDisconnectReason.Manual */);
  assert.equal(gateway.leaves, 1, 'the bot left the voice channel');
  assert.equal(server.udpSenders.length, sendersBefore, 'nothing was sent to the voice server directly');
  connection.destroy();
});

test("no reachable node, fallback 'direct': a fallback event and the connection plays straight to the voice server", async (t) => {
  const relay = createSoundRelay({ nodes: [deadUrl], apiKey: API_KEY, fallback: 'direct' });
  const fallbacks = [];
  relay.on('fallback', (e) => fallbacks.push(e));
  const framesBefore = server.frames.length;
  const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  assert.equal(fallbacks.length, 1);
  assert.equal(fallbacks[0].error.code, 'NO_NODE');
  assert.equal(relay.routeOf(connection), undefined);

  const audio = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
  connection.subscribe(audio);
  audio.play(resourceOf(50));
  await entersState(audio, AudioPlayerStatus.Playing, 5000);
  await server.until(() => server.frames.slice(framesBefore).some((f) => indexOf(f.payload) === 49), 'the last frame');
  const bot = connection.state.networking.state.udp.socket.address();
  const frames = server.frames.slice(framesBefore);
  assert.ok(frames.every((f) => f.from === `127.0.0.1:${bot.port}`), 'straight from the bot');
  t.diagnostic(`direct: ${tally(frames.map((f) => indexOf(f.payload)), 50).missing.length} of 50 missing`);
  connection.destroy();
});

test('options are checked when the relay is created, naming the option', () => {
  assert.throws(() => createSoundRelay({ nodes: [], apiKey: 'k' }), /options\.nodes/);
  assert.throws(() => createSoundRelay({ nodes: ['relay-1:4300'], apiKey: 'k' }), /options\.nodes\[0\]/);
  assert.throws(() => createSoundRelay({ nodes: ['ftp://relay-1'], apiKey: 'k' }), /options\.nodes\[0\] must be http/);
  assert.throws(() => createSoundRelay({ nodes: ['http://relay-1:4300'] }), /options\.apiKey/);
  assert.throws(() => createSoundRelay({ nodes: ['http://relay-1:4300'], apiKey: 'k', fallback: 'maybe' }), /options\.fallback/);
  assert.throws(() => createSoundRelay({ nodes: ['http://relay-1:4300'], apiKey: 'k', sourceIp: 'bot' }), /options\.sourceIp/);
  assert.throws(() => createSoundRelay({ nodes: ['http://relay-1:4300'], apiKey: 'k', checkIntervalMs: 0 }), /options\.checkIntervalMs/);
});

test('the CommonJS build is the same package, and the tested versions include the installed library', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('../dist/cjs/index.js');
  assert.equal(typeof cjs.createSoundRelay, 'function');
  assert.ok(cjs.createSoundRelay({ nodes: ['http://127.0.0.1:4300'], apiKey: 'k' }) instanceof cjs.SoundRelay);
  const { version, tested } = SoundRelay.libraryVersion();
  assert.ok(TESTED_VOICE_VERSIONS.includes(version), `installed @discordjs/voice ${version}`);
  assert.equal(tested, true);
});

test('a library version it was not tested with gets a warning that names both', () => {
  assert.equal(untestedVersionWarning('0.19.2'), undefined);
  const warning = untestedVersionWarning('0.20.0');
  assert.match(warning, /tested with @discordjs\/voice 0\.19\.0, 0\.19\.1, 0\.19\.2, not 0\.20\.0/);
});

test('internals not where the package expects them (a future library): UNSUPPORTED_LIBRARY, and nothing reaches the voice server', async () => {
  const relay = createSoundRelay({ nodes: [node.url], apiKey: API_KEY });
  const errors = [];
  relay.on('error', (e) => errors.push(e));
  const sendersBefore = server.udpSenders.length;
  const connection = joinVoiceChannel(new FakeGateway(server).joinConfig());
  // Wait for the library's Networking, then take away the own property the hook relies on, as a version that
  // handled READY differently would not have it.
  while (!connection.state.networking) await once(connection, 'stateChange');
  delete connection.state.networking.onWsPacket;
  relay.attach(connection);
  await entersState(connection, VoiceConnectionStatus.Disconnected, 20000);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'UNSUPPORTED_LIBRARY');
  assert.match(errors[0].message, /Networking\.onWsPacket/);
  assert.equal(server.udpSenders.length, sendersBefore, 'nothing was sent to the voice server directly');
  connection.destroy();
});

test("a listener of the bot's that throws does not break the connection: it becomes a warning", async () => {
  const relay = createSoundRelay({ nodes: [node.url], apiKey: API_KEY });
  const warnings = [];
  relay.on('warning', (message) => warnings.push(message));
  relay.on('route', () => {
    throw new Error('a bug in the bot');
  });
  const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  assert.ok(warnings.some((w) => w.includes("a 'route' listener threw: a bug in the bot")), warnings.join('; '));
  assert.ok(relay.routeOf(connection));
  connection.destroy();
});
