// One node, one fake Discord voice server, the real @discordjs/voice: a connection goes through a relay port both
// ways, a voice-server change moves it to a new route, and destroying it deletes the route.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AudioPlayerStatus,
  EndBehaviorType,
  NoSubscriberBehavior,
  VoiceConnectionStatus,
  createAudioPlayer,
  entersState,
} from '@discordjs/voice';
import { createSoundRelay } from '../dist/esm/index.js';
import { FakeGateway, FakeVoiceServer } from './support/fake-discord.mjs';
import { API_KEY, RelayNode, waitFor } from './support/relay-node.mjs';
import { frame, indexOf, resourceOf, tally } from './support/audio.mjs';

let node;
const servers = [];

before(async () => {
  node = await new RelayNode('127.0.0.5').start();
});

after(async () => {
  await node?.stop();
  for (const server of servers) await server.stop();
});

async function voiceServer(ip) {
  const server = await new FakeVoiceServer(ip).start();
  servers.push(server);
  return server;
}

function player() {
  return createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
}

test('a connection plays through the relay port frame for frame and hears the other user back; destroy deletes the route', async (t) => {
  const server = await voiceServer('127.0.0.2');
  const gateway = new FakeGateway(server);
  const relay = createSoundRelay({ nodes: [node.url], apiKey: API_KEY });
  const events = [];
  relay.on('route', (e) => events.push(['route', e]));
  relay.on('routeDeleted', (e) => events.push(['routeDeleted', e]));
  relay.on('error', (e) => events.push(['error', e]));

  const connection = relay.joinVoiceChannel(gateway.joinConfig());
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);

  const route = relay.routeOf(connection);
  assert.ok(route, 'the connection holds a route');
  assert.match(route.relayAddress, /^127\.0\.0\.5:\d+$/);
  const [, relayPort] = route.relayAddress.split(':');
  const onNode = await node.api('GET', `/route/${route.streamId}`);
  assert.equal(onNode.status, 200);
  assert.equal(onNode.body.return_path, true);
  assert.deepEqual(onNode.body.target_addrs, [server.udpAddress]);
  assert.equal(onNode.body.relay_port, Number(relayPort));
  assert.equal(onNode.body.stream_id, route.streamId, 'the route reads back with the id the package drew');

  // The voice server learned the relay's address by IP discovery, and was told it in SELECT_PROTOCOL.
  assert.deepEqual(server.discoveries, [route.relayAddress]);
  assert.equal(server.selected.length, 1);
  assert.equal(`${server.selected[0].data.address}:${server.selected[0].data.port}`, route.relayAddress);

  // Audio out: 250 frames (5 s) from an AudioPlayer.
  const count = 250;
  const audio = player();
  connection.subscribe(audio);
  audio.play(resourceOf(count));
  await entersState(audio, AudioPlayerStatus.Playing, 5000);
  await server.until(() => server.frames.filter((f) => indexOf(f.payload) === count - 1).length > 0, 'the last frame', 30000);
  const result = tally(server.frames.map((f) => indexOf(f.payload)), count);
  t.diagnostic(`frames: ${result.received} received of ${count}, missing ${result.missing.length}, duplicates ${result.duplicates}, out of order ${result.outOfOrder}`);
  assert.deepEqual(result.missing, [], 'every frame arrived');
  assert.equal(result.duplicates, 0);
  assert.equal(result.outOfOrder, 0);
  for (let i = 0; i < count; i++) {
    const f = server.frames.find((x) => indexOf(x.payload) === i);
    assert.deepEqual(f.payload, frame(i), `frame ${i} arrived byte for byte`);
  }
  assert.equal(server.decryptFailures, 0);

  // The voice server saw one address only: the relay port. Never the bot's own socket.
  const bot = connection.state.networking.state.udp.socket.address();
  assert.deepEqual([...new Set(server.udpSenders)], [route.relayAddress]);
  assert.ok(!server.udpSenders.includes(`127.0.0.1:${bot.port}`));

  // Audio back: the other user's packets reach the bot's VoiceReceiver through the relay port.
  const received = [];
  const stream = connection.receiver.subscribe(server.otherUserId, { end: { behavior: EndBehaviorType.Manual } });
  stream.on('data', (chunk) => received.push(chunk));
  const back = 50;
  for (let i = 0; i < back; i++) {
    assert.ok(server.sendOtherUsersAudio(frame(i, 0xfd)));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitFor(() => received.length >= back, `${back} frames of the other user`, 10000);
  assert.deepEqual(received.map((p) => p.readUInt32BE(1)), Array.from({ length: back }, (_, i) => i));
  assert.ok(received.every((p, i) => p.equals(frame(i, 0xfd))));
  const returned = await node.api('GET', `/route/${route.streamId}`);
  assert.ok(returned.body.packets_returned >= back, `packets_returned ${returned.body.packets_returned}`);

  // Destroy: the route goes.
  connection.destroy();
  await waitFor(async () => (await node.api('GET', `/route/${route.streamId}`)).status === 404, 'the route deleted');
  await waitFor(() => events.some(([kind]) => kind === 'routeDeleted'), 'routeDeleted event');
  assert.deepEqual(events.filter(([kind]) => kind === 'error'), []);
});

test('a stream id above 2^53 reads back exactly: answers carry stream ids as decimal strings', async () => {
  const id = '4726593916199531359';
  // What a bare JSON number would do to it: the reason the node writes strings.
  assert.notEqual(String(JSON.parse(`{"stream_id":${id}}`).stream_id), id);
  const created = await node.api('POST', '/route', { stream_id: id, source_addr: '127.0.0.9:5000', target_addrs: ['127.0.0.9:6000'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  try {
    assert.equal(created.body.stream_id, id);
    assert.equal((await node.api('GET', `/route/${id}`)).body.stream_id, id);
    const listed = (await node.routes()).map((r) => r.stream_id);
    assert.ok(listed.includes(id), `GET /routes lists ${id}: ${JSON.stringify(listed)}`);
    assert.ok(listed.every((s) => typeof s === 'string'), `every listed id is a string: ${JSON.stringify(listed)}`);
  } finally {
    assert.equal((await node.api('DELETE', `/route/${id}`)).status, 204);
  }
});

test('a voice-server change mid-stream moves the connection to a new route to the new server and deletes the old one', async (t) => {
  const first = await voiceServer('127.0.0.2');
  const second = await voiceServer('127.0.0.3');
  const gateway = new FakeGateway(first);
  const relay = createSoundRelay({ nodes: [node.url], apiKey: API_KEY });
  const routes = [];
  relay.on('route', (e) => routes.push(e));

  const connection = relay.joinVoiceChannel(gateway.joinConfig());
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  const count = 500;
  const audio = player();
  connection.subscribe(audio);
  audio.play(resourceOf(count));
  await first.until(() => first.frames.length >= 100, '100 frames at the first server');

  gateway.serverChange(second);
  await waitFor(() => routes.length === 2, 'a second route');
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  await second.until(() => second.frames.some((f) => indexOf(f.payload) === count - 1), 'the last frame at the second server', 30000);

  const [oldRoute, newRoute] = routes;
  assert.equal(newRoute.voiceServer, second.udpAddress);
  assert.notEqual(newRoute.relayAddress, oldRoute.relayAddress);
  assert.deepEqual([...new Set(second.udpSenders)], [newRoute.relayAddress]);
  assert.deepEqual([...new Set(first.udpSenders)], [oldRoute.relayAddress]);
  await waitFor(async () => (await node.api('GET', `/route/${oldRoute.streamId}`)).status === 404, 'the old route deleted');
  const onNode = await node.api('GET', `/route/${newRoute.streamId}`);
  assert.deepEqual(onNode.body.target_addrs, [second.udpAddress]);

  const all = [...first.frames, ...second.frames].map((f) => indexOf(f.payload));
  const result = tally(all, count);
  t.diagnostic(`voice-server change: ${result.missing.length} of ${count} frames not delivered to either server (sent while reconnecting)`);
  assert.equal(result.duplicates, 0);

  connection.destroy();
  await waitFor(async () => (await node.api('GET', `/route/${newRoute.streamId}`)).status === 404, 'the new route deleted');
});
