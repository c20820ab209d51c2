// Two nodes sharing a Redis of the test's own: the connection's route goes to the least loaded node, follows a
// migration (POST /migrate) without losing a frame, and moves to the other node when its node is killed mid-stream.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
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
import { API_KEY, RedisServer, RelayNode, waitFor } from './support/relay-node.mjs';
import { frame, indexOf, resourceOf, tally } from './support/audio.mjs';

let redis;
let nodes = [];
let server;

before(async () => {
  redis = await new RedisServer().start();
  nodes = await Promise.all(
    ['127.0.0.5', '127.0.0.6'].map((ip) => new RelayNode(ip, { redisUrl: redis.url, env: { MIGRATION_GRACE_SECONDS: '30' } }).start()),
  );
  server = await new FakeVoiceServer('127.0.0.2').start();
  // Both nodes see each other before the tests begin.
  await waitFor(async () => (await nodes[0].api('GET', '/nodes')).body.nodes.length === 2, 'two live nodes');
});

after(async () => {
  for (const node of nodes) await node.stop();
  await server?.stop();
  await redis?.stop();
});

function nodeAt(relayAddress) {
  return nodes.find((n) => relayAddress.startsWith(`${n.ip}:`));
}

async function otherUsersAudioArrives(connection, marker) {
  const received = [];
  const stream = connection.receiver.subscribe(server.otherUserId, { end: { behavior: EndBehaviorType.Manual } });
  const onData = (chunk) => received.push(chunk);
  stream.on('data', onData);
  for (let i = 0; i < 20; i++) {
    server.sendOtherUsersAudio(frame(i, marker));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitFor(() => received.filter((p) => p[0] === marker).length >= 20, 'the other user\'s audio back', 10000);
  stream.off('data', onData);
}

/**
 * A connection through a relay with these options, playing `count` frames, once `first` of them have reached the
 * voice server: what each test needs before it breaks something.
 */
async function playing(options, count, first) {
  const relay = createSoundRelay({ apiKey: API_KEY, ...options });
  const moves = [];
  const errors = [];
  relay.on('moved', (e) => moves.push(e));
  relay.on('error', (e) => errors.push(e));
  const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  const route = relay.routeOf(connection);
  const framesBefore = server.frames.length;
  const audio = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
  connection.subscribe(audio);
  audio.play(resourceOf(count));
  await server.until(() => server.frames.length - framesBefore >= first, `${first} frames first`);
  /** The frames of this stream the voice server has, once the last one is there. */
  const frames = async () => {
    await server.until(() => server.frames.slice(framesBefore).some((f) => indexOf(f.payload) === count - 1), 'the last frame', 40000);
    return server.frames.slice(framesBefore);
  };
  return { relay, moves, errors, connection, route, audio, frames };
}

test('the least loaded node takes the route', async () => {
  // Load the second node with routes of no connection: the package must pick the first.
  const loaded = nodes[1];
  const filler = [];
  for (let i = 0; i < 3; i++) {
    const id = String(900000 + i);
    const answer = await loaded.api('POST', '/route', { stream_id: id, source_addr: '127.0.0.9:5000', target_addrs: ['127.0.0.9:6000'] });
    assert.equal(answer.status, 201);
    filler.push(id);
  }
  await waitFor(async () => (await nodes[0].api('GET', '/nodes')).body.nodes.find((n) => n.node_id === loaded.nodeId)?.active_routes === 3, 'the heartbeat showing the load');
  const relay = createSoundRelay({ nodes: [loaded.url, nodes[0].url], apiKey: API_KEY });
  const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  assert.equal(nodeAt(relay.routeOf(connection).relayAddress), nodes[0]);
  connection.destroy();

  // Only the loaded node configured: it is the only one used, unless discover lets the listing add the other.
  for (const [discover, expected] of [[false, loaded], [true, nodes[0]]]) {
    const only = createSoundRelay({ nodes: [loaded.url], apiKey: API_KEY, discover });
    const other = only.joinVoiceChannel(new FakeGateway(server).joinConfig());
    await entersState(other, VoiceConnectionStatus.Ready, 20000);
    assert.equal(nodeAt(only.routeOf(other).relayAddress), expected, `discover ${discover}`);
    other.destroy();
  }
  for (const id of filler) await loaded.api('DELETE', `/route/${id}`);
});

test('a migration (POST /migrate) is followed: the socket moves to the new relay port, no frame lost', async (t) => {
  const count = 500;
  const { moves, connection, route, audio, frames: arrived } = await playing({ nodes: nodes.map((n) => n.url), checkIntervalMs: 500 }, count, 100);
  const from = nodeAt(route.relayAddress);
  const to = nodes.find((n) => n !== from);

  const migrated = await from.api('POST', '/migrate', { stream_id: route.streamId, new_node_addr: to.relayAddr });
  assert.equal(migrated.status, 200, JSON.stringify(migrated.body));
  assert.equal(migrated.body.stream_id, route.streamId);
  await waitFor(() => moves.length === 1, 'the package to follow the migration', 20000);
  assert.equal(moves[0].reason, 'migrated');
  assert.equal(moves[0].to.relayAddress, `${to.ip}:${migrated.body.relay_port}`);
  assert.equal(moves[0].to.streamId, route.streamId);

  const frames = await arrived();
  await entersState(audio, AudioPlayerStatus.Idle, 10000);
  const result = tally(frames.map((f) => indexOf(f.payload)), count);
  t.diagnostic(`migration: ${result.missing.length} of ${count} frames lost, ${result.duplicates} duplicated, ${result.outOfOrder} out of order`);
  assert.deepEqual(result.missing, [], 'no frame lost');
  assert.equal(result.duplicates, 0);
  assert.equal(frames.at(-1).from, moves[0].to.relayAddress, 'the last frames leave from the new relay port');

  await otherUsersAudioArrives(connection, 0xfd);
  connection.destroy();
  await waitFor(async () => (await to.api('GET', `/route/${route.streamId}`)).status === 404, 'the route deleted on its new node');
});

test('a node restarted with its relay port taken rebinds another: the socket follows it (rebound)', async (t) => {
  const node = nodes[0];
  // Only this node, so that while it is down the package has nowhere to move (MOVE_FAILED) and waits for it.
  const count = 1000;
  const { moves, errors, connection, route, frames: arrived } = await playing({ nodes: [node.url], discover: false }, count, 100);
  assert.equal(nodeAt(route.relayAddress), node);

  await node.kill();
  const blocker = createSocket('udp4'); // another process takes the route's relay port while the node is down
  await new Promise((resolve) => blocker.bind(Number(route.relayAddress.split(':')[1]), node.ip, resolve));
  try {
    await node.restart();
    await waitFor(() => moves.length === 1, 'the package to follow the new relay port', 20000);
    assert.equal(moves[0].reason, 'rebound');
    assert.equal(moves[0].to.streamId, route.streamId);
    assert.notEqual(moves[0].to.relayAddress, route.relayAddress);
    const onNode = await node.api('GET', `/route/${route.streamId}`);
    assert.equal(`${node.ip}:${onNode.body.relay_port}`, moves[0].to.relayAddress);

    const frames = await arrived();
    const result = tally(frames.map((f) => indexOf(f.payload)), count);
    t.diagnostic(`node restarted: ${result.missing.length} of ${count} frames lost while it was down and until the next check`);
    const after = frames.filter((f) => f.from === moves[0].to.relayAddress).map((f) => indexOf(f.payload)).filter((i) => i !== undefined);
    assert.ok(after.length > 0, 'frames arrive from the new relay port');
    assert.deepEqual(result.missing.filter((i) => i >= Math.min(...after)), [], 'none lost after the switch');
    assert.ok(errors.every((e) => e.code === 'MOVE_FAILED'), errors.map((e) => e.message).join('; '));
    await otherUsersAudioArrives(connection, 0xfc);
  } finally {
    blocker.close();
  }
  connection.destroy();
  await waitFor(async () => (await node.api('GET', `/route/${route.streamId}`)).status === 404, 'the route deleted');
  await waitFor(async () => (await nodes[1].api('GET', '/nodes')).body.nodes.length === 2, 'both nodes live again');
});

test('the node killed mid-stream: the package moves the route to the other node and the stream goes on', async (t) => {
  // The defaults unless KILL_CHECK_INTERVAL_MS or KILL_WATCH=0 ask otherwise (for the figures in the README).
  const checkIntervalMs = Number(process.env.KILL_CHECK_INTERVAL_MS ?? 1000);
  const watch = process.env.KILL_WATCH !== '0';
  const count = 750;
  const { moves, errors, connection, route, audio, frames: arrived } = await playing({ nodes: nodes.map((n) => n.url), checkIntervalMs, watch }, count, 150);
  const victim = nodeAt(route.relayAddress);
  const survivor = nodes.find((n) => n !== victim);
  const killedAt = Date.now();
  await victim.kill();

  await waitFor(() => moves.length === 1, 'the package to move the route', 20000);
  const movedAfterMs = Date.now() - killedAt;
  assert.equal(moves[0].reason, 'node_down');
  assert.equal(nodeAt(moves[0].to.relayAddress), survivor);

  const frames = await arrived();
  await entersState(audio, AudioPlayerStatus.Idle, 10000);
  const result = tally(frames.map((f) => indexOf(f.payload)), count);
  const lostRuns = result.missing.length === 0 ? 'none' : `${result.missing[0]}-${result.missing.at(-1)}`;
  t.diagnostic(
    `node killed: ${result.missing.length} of ${count} frames lost (indexes ${lostRuns}), moved ${movedAfterMs} ms after the kill ` +
      `(check interval ${checkIntervalMs} ms, watch ${watch ? 'on' : 'off'}), ${result.duplicates} duplicated`,
  );
  // Everything after the move arrives, from the surviving node's new relay port.
  const after = frames.filter((f) => f.from === moves[0].to.relayAddress).map((f) => indexOf(f.payload)).filter((i) => i !== undefined);
  assert.ok(after.length > 0);
  const firstAfter = Math.min(...after);
  assert.deepEqual(result.missing.filter((i) => i >= firstAfter), [], 'no frame lost after the move');
  assert.equal(result.duplicates, 0);
  assert.deepEqual(errors, []);

  await otherUsersAudioArrives(connection, 0xfe);
  connection.destroy();
  await waitFor(async () => (await survivor.api('GET', `/route/${moves[0].to.streamId}`)).status === 404, 'the new route deleted');
});
