// A node that drains (PROTOCOL.md section 12): two nodes on a Redis of the test's own. A node sent SIGTERM hands the
// connection's route to its peer; the package follows the migration, the voice server sees every RTP packet once and
// in an unbroken sequence, and the node exits 0. A draining node takes no new route: the package skips it, by its
// `GET /nodes` entry or, before the heartbeat says so, by its 503 naming the drain.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, beforeEach, test } from 'node:test';
import {
  AudioPlayerStatus,
  EndBehaviorType,
  NoSubscriberBehavior,
  VoiceConnectionStatus,
  createAudioPlayer,
  entersState,
} from '@discordjs/voice';
import { createSoundRelay } from '../dist/esm/index.js';
import { ControlProxy } from './support/control-proxy.mjs';
import { FakeGateway, FakeVoiceServer } from './support/fake-discord.mjs';
import { API_KEY, RedisServer, RelayNode, freeUdpPort, waitFor } from './support/relay-node.mjs';
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
  await bothLive();
});

// A test that failed half-way may leave a node stopped: each test starts with both up.
beforeEach(async () => {
  let restarted = false;
  for (const node of nodes) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) {
      await node.restart();
      restarted = true;
    }
  }
  if (restarted) await bothLive();
});

after(async () => {
  for (const node of nodes) await node.stop();
  await server?.stop();
  await redis?.stop();
});

async function bothLive() {
  await waitFor(async () => {
    const listed = (await nodes[0].api('GET', '/nodes')).body.nodes;
    return listed.length === 2 && listed.every((n) => n.draining !== true);
  }, 'two live nodes, neither draining');
}

function destroyed(connection) {
  if (connection.state.status !== VoiceConnectionStatus.Destroyed) connection.destroy();
}

function nodeAt(relayAddress) {
  return nodes.find((n) => relayAddress.startsWith(`${n.ip}:`));
}

async function entryOf(node) {
  const other = nodes.find((n) => n !== node);
  return (await other.api('GET', '/nodes')).body.nodes.find((n) => n.node_id === node.nodeId);
}

/**
 * What the voice server saw of one stream, by RTP sequence number (unwrapped from the first): which numbers between
 * the first and the last are missing, how many arrived more than once, and the longest time between two arrivals.
 */
function rtpAccount(frames) {
  const first = frames[0].sequence;
  const unwrapped = frames.map((f) => ((f.sequence - first + 0x10000) & 0xffff));
  const counts = new Map();
  for (const s of unwrapped) counts.set(s, (counts.get(s) ?? 0) + 1);
  const last = Math.max(...unwrapped);
  const missing = [];
  for (let s = 0; s <= last; s++) if (!counts.has(s)) missing.push(s);
  let duplicates = 0;
  for (const n of counts.values()) if (n > 1) duplicates += n - 1;
  let largestGapMs = 0;
  let gapAfter = -1;
  for (let k = 1; k < frames.length; k++) {
    const gap = frames[k].at - frames[k - 1].at;
    if (gap > largestGapMs) {
      largestGapMs = gap;
      gapAfter = k - 1;
    }
  }
  return { packets: frames.length, missing, duplicates, largestGapMs, gapAfter };
}

test('SIGTERM: the node drains, the connection follows its route to the other node, nothing lost or doubled, exit 0', async (t) => {
  const count = 750; // 15 s of audio: the drain happens well inside it
  const relay = createSoundRelay({ nodes: nodes.map((n) => n.url), apiKey: API_KEY });
  const moves = [];
  const errors = [];
  relay.on('moved', (e) => moves.push(e));
  relay.on('error', (e) => errors.push(e));
  const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
  t.after(() => destroyed(connection)); // also when an assertion fails: a live connection keeps the test file running
  await entersState(connection, VoiceConnectionStatus.Ready, 20000);
  const route = relay.routeOf(connection);
  const victim = nodeAt(route.relayAddress);
  const survivor = nodes.find((n) => n !== victim);
  const framesBefore = server.frames.length;
  const audio = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
  connection.subscribe(audio);
  audio.play(resourceOf(count));
  await server.until(() => server.frames.length - framesBefore >= 150, '150 frames before the SIGTERM');

  const termAt = performance.now();
  const exit = victim.terminate();
  await waitFor(() => moves.length === 1, 'the package to follow the drained route', 30000);
  const followedAfterMs = performance.now() - termAt;
  assert.equal(moves[0].reason, 'migrated');
  assert.equal(moves[0].to.streamId, route.streamId);
  assert.equal(nodeAt(moves[0].to.relayAddress), survivor);
  const onSurvivor = await survivor.api('GET', `/route/${route.streamId}`);
  assert.equal(onSurvivor.body.node_id, survivor.nodeId);
  assert.equal(`${survivor.ip}:${onSurvivor.body.relay_port}`, moves[0].to.relayAddress);

  const exited = await exit;
  const drainMs = performance.now() - termAt;
  assert.deepEqual(exited, { code: 0, signal: null }, `the drained node's exit\n${victim.log}`);

  await server.until(() => server.frames.slice(framesBefore).some((f) => indexOf(f.payload) === count - 1), 'the last frame', 40000);
  await entersState(audio, AudioPlayerStatus.Idle, 10000);
  const frames = server.frames.slice(framesBefore);
  const byIndex = tally(frames.map((f) => indexOf(f.payload)), count);
  const byRtp = rtpAccount(frames);
  const before = frames[byRtp.gapAfter];
  const after = frames[byRtp.gapAfter + 1];
  const around = byRtp.gapAfter >= 0
    ? `after frame ${indexOf(before.payload)}, ${(before.at - termAt).toFixed(0)} ms from SIGTERM, ${before.from} -> ${after.from}`
    : 'none';
  t.diagnostic(
    `drain: ${byRtp.packets} RTP packets, ${byRtp.missing.length} missing from the sequence, ${byRtp.duplicates} duplicated; ` +
      `frames ${byIndex.missing.length} of ${count} lost, ${byIndex.duplicates} duplicated, ${byIndex.outOfOrder} out of order; ` +
      `largest gap ${byRtp.largestGapMs.toFixed(1)} ms (${around}); followed ${followedAfterMs.toFixed(0)} ms after SIGTERM, ` +
      `node exited ${drainMs.toFixed(0)} ms after it`,
  );
  assert.deepEqual(byRtp.missing, [], 'no gap in the RTP sequence');
  assert.equal(byRtp.duplicates, 0, 'every RTP packet at most once');
  assert.deepEqual(byIndex.missing, [], 'no frame lost');
  assert.equal(byIndex.duplicates, 0);
  assert.ok(frames.some((f) => f.from === route.relayAddress), 'frames came through the drained node first');
  assert.equal(frames.at(-1).from, moves[0].to.relayAddress, 'the last frames leave from the new owner\'s relay port');
  assert.deepEqual(errors, []);

  // The other direction follows too: the voice server answers the address it last heard from.
  const received = [];
  const stream = connection.receiver.subscribe(server.otherUserId, { end: { behavior: EndBehaviorType.Manual } });
  stream.on('data', (chunk) => received.push(chunk));
  for (let i = 0; i < 20; i++) {
    server.sendOtherUsersAudio(frame(i, 0xfb));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitFor(() => received.filter((p) => p[0] === 0xfb).length >= 20, 'the other user\'s audio back', 10000);

  connection.destroy();
  await waitFor(async () => (await survivor.api('GET', `/route/${route.streamId}`)).status === 404, 'the route deleted on its new node');
  await victim.restart();
  await bothLive();
});

test('a draining node takes no route: skipped by its GET /nodes entry, and by its 503 before the entry says so', async (t) => {
  const [draining, other] = nodes;
  // A route on the node with a source that keeps sending to it: once the drain has handed it over, the node keeps
  // forwarding it (and so keeps draining, answering its API) until the source stops.
  const sourceIp = '127.0.0.9';
  const source = createSocket('udp4');
  await new Promise((resolve) => source.bind(0, sourceIp, resolve));
  const sink = await freeUdpPort(sourceIp);
  const keeper = '7300001';
  const created = await draining.api('POST', '/route', {
    stream_id: keeper,
    source_addr: `${sourceIp}:${source.address().port}`,
    target_addrs: [`${sourceIp}:${sink}`],
    return_path: true,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const sending = setInterval(() => source.send(Buffer.from('keep me draining'), created.body.relay_port, draining.ip), 20);
  // The other node carries more routes, so that a draining node that were a candidate would come first.
  const filler = ['7300002', '7300003'];
  for (const id of filler) {
    const answer = await other.api('POST', '/route', { stream_id: id, source_addr: '127.0.0.9:5000', target_addrs: ['127.0.0.9:6000'] });
    assert.equal(answer.status, 201);
  }
  const proxy = await new ControlProxy('127.0.0.7', draining.url).start();
  try {
    const drain = await draining.api('POST', '/drain');
    assert.equal(drain.status, 202, JSON.stringify(drain.body));
    await waitFor(async () => (await other.api('GET', `/route/${keeper}`)).body?.node_id === other.nodeId, 'the drain to hand the route over');
    await waitFor(async () => (await entryOf(draining))?.draining === true, 'GET /nodes to show the drain');
    // The heartbeats (every 3 s) show the loads: the draining node the less loaded, as the package will read them.
    await waitFor(async () => {
      const listed = (await draining.api('GET', '/nodes')).body.nodes;
      const load = (node) => listed.find((n) => n.node_id === node.nodeId)?.active_routes;
      return load(other) >= 3 && load(draining) < load(other);
    }, 'the heartbeats to show the other node the more loaded', 20000);
    const refused = await draining.api('POST', '/route', { stream_id: '7300004', source_addr: '127.0.0.9:5001', target_addrs: ['127.0.0.9:6001'] });
    assert.equal(refused.status, 503);
    assert.match(refused.body.error, /draining/);

    for (const hideDraining of [false, true]) {
      proxy.hideDraining = hideDraining;
      proxy.requests.length = 0;
      const relay = createSoundRelay({ nodes: [proxy.url, other.url], apiKey: API_KEY });
      const errors = [];
      const fallbacks = [];
      relay.on('error', (e) => errors.push(e));
      relay.on('fallback', (e) => fallbacks.push(e));
      const connection = relay.joinVoiceChannel(new FakeGateway(server).joinConfig());
      t.after(() => destroyed(connection));
      await entersState(connection, VoiceConnectionStatus.Ready, 20000);
      const what = hideDraining ? 'the entry not yet showing the drain' : 'the entry showing the drain';
      const route = relay.routeOf(connection);
      assert.equal(nodeAt(route.relayAddress), other, `${what}: the route on the other node`);
      const asked = proxy.routeCreates();
      if (hideDraining) {
        // It was asked (it looked like the least loaded), refused naming the drain, and the next node took the route.
        assert.equal(asked.length, 1, `${what}: ${JSON.stringify(proxy.requests)}`);
        assert.equal(asked[0].status, 503);
        assert.match(asked[0].body.error, /draining/);
      } else {
        assert.deepEqual(asked, [], `${what}: the draining node is not even asked`);
      }
      assert.deepEqual(errors, [], what);
      assert.deepEqual(fallbacks, [], what);
      connection.destroy();
      await waitFor(async () => (await other.api('GET', `/route/${route.streamId}`)).status === 404, 'the route deleted');
    }
  } finally {
    clearInterval(sending);
    await proxy.stop();
    source.close();
  }
  // The source quiet: the node finishes its drain and exits 0 by itself.
  const quietAt = performance.now();
  const exited = await draining.exited;
  t.diagnostic(`exited ${(performance.now() - quietAt).toFixed(0)} ms after its last route's source went quiet`);
  assert.deepEqual(exited, { code: 0, signal: null }, draining.log);
  for (const id of [keeper, ...filler]) await other.api('DELETE', `/route/${id}`);
  await draining.restart();
  await bothLive();
});
