// The example bot (examples/discordjs-bot) checks its settings before it loads a library or connects anywhere: a
// missing or wrong one exits with status 2 and a message that starts with the variable's name. Then it tries its
// SoundRelay nodes and API key, before Discord: a wrong key or node URL shows without a Discord token, and a right
// one gets the bot as far as the Discord settings.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { API_KEY, RelayNode, freeTcpPort } from './support/relay-node.mjs';

const BOT = join(import.meta.dirname, '..', '..', '..', 'examples', 'discordjs-bot', 'bot.mjs');
const GOOD = {
  DISCORD_TOKEN: 'MTIz.NDU2.Nzg5',
  GUILD_ID: '111111111111111111',
  VOICE_CHANNEL_ID: '444444444444444444',
  SOUNDRELAY_API_KEY: 'key',
};

/** Runs the bot to its exit (at most 30 s) with only these variables (and PATH, HOME). */
function run(env) {
  const { PATH, HOME } = process.env;
  const clean = Object.fromEntries(Object.entries({ PATH, HOME, ...env }).filter(([, v]) => v !== undefined));
  const child = spawn(process.execPath, [BOT], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  return new Promise((resolve) =>
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    }),
  );
}

for (const [name, env, message] of [
  ['a token that is not one', { ...GOOD, DISCORD_TOKEN: 'hunter2' }, /^DISCORD_TOKEN: not a bot token/],
  ['a guild id that is not an id', { ...GOOD, GUILD_ID: 'my-server' }, /^GUILD_ID: my-server is not a Discord id/],
  ['no API key', { ...GOOD, SOUNDRELAY_API_KEY: undefined }, /^SOUNDRELAY_API_KEY: not set/],
  ['a node that is not a URL', { ...GOOD, SOUNDRELAY_NODES: 'relay-1:4300' }, /^SOUNDRELAY_NODES: relay-1:4300 must start with http:\/\/ or https:\/\//],
  ['an unknown fallback', { ...GOOD, SOUNDRELAY_FALLBACK: 'maybe' }, /^SOUNDRELAY_FALLBACK: maybe is neither/],
  ['a file that is not there', { ...GOOD, AUDIO_FILE: '/nonexistent/song.ogg' }, /^AUDIO_FILE: \/nonexistent\/song\.ogg does not exist/],
]) {
  test(`the example bot refuses ${name} before connecting (exit 2, naming the variable)`, async () => {
    const result = await run(env);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr.trim(), message);
    assert.equal(result.stdout, '', 'nothing connected, nothing to report');
    if (env.DISCORD_TOKEN) assert.ok(!result.stderr.includes(env.DISCORD_TOKEN), 'the token is never printed');
  });
}

test('the example bot says that no node answers, naming SOUNDRELAY_NODES (exit 1), before Discord', async () => {
  const nowhere = `http://127.0.0.1:${await freeTcpPort('127.0.0.1')}`;
  const result = await run({ ...GOOD, DISCORD_TOKEN: undefined, SOUNDRELAY_NODES: nowhere });
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`^SOUNDRELAY_NODES: ${nowhere} does not answer \\(ECONNREFUSED`, 'm'));
  assert.match(result.stderr, /^SOUNDRELAY_NODES: no node answers: start one/m);
  assert.doesNotMatch(result.stderr, /DISCORD_TOKEN/);
});

let node;
before(async () => {
  node = await new RelayNode('127.0.0.5').start();
});

after(async () => {
  await node?.stop();
});

test('against a real node, a wrong API key is named before any Discord setting (exit 2, the key never printed)', async () => {
  const result = await run({ SOUNDRELAY_NODES: node.url, SOUNDRELAY_API_KEY: 'not-the-key-123' });
  assert.equal(result.status, 2, result.stderr);
  assert.match(
    result.stderr.trim(),
    new RegExp(`^SOUNDRELAY_API_KEY: ${node.url} \\(node ${node.nodeId}\\) refused the key \\(401\\): give one of the node's API_KEYS`),
  );
  assert.ok(!result.stderr.includes('not-the-key-123') && !result.stdout.includes('not-the-key-123'), 'the key is never printed');
});

test('against a real node, a right key gets the bot to the Discord settings: each missing one is named (exit 2)', async () => {
  const result = await run({ SOUNDRELAY_NODES: node.url, SOUNDRELAY_API_KEY: API_KEY });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stdout, new RegExp(`^SoundRelay node ${node.nodeId} at ${node.url}: ok, API key accepted$`, 'm'));
  assert.equal(result.stderr.trim(), 'DISCORD_TOKEN: not set (nor GUILD_ID, VOICE_CHANNEL_ID)');

  const noChannel = await run({ ...GOOD, VOICE_CHANNEL_ID: '', SOUNDRELAY_NODES: node.url, SOUNDRELAY_API_KEY: API_KEY });
  assert.equal(noChannel.status, 2, noChannel.stderr);
  assert.equal(noChannel.stderr.trim(), 'VOICE_CHANNEL_ID: not set');
});

test('a URL that is no SoundRelay control API (the node\'s metrics port) is named as such (exit 2)', async () => {
  const metrics = `http://${node.ip}:${node.metricsPort}`;
  const result = await run({ ...GOOD, SOUNDRELAY_NODES: metrics, SOUNDRELAY_API_KEY: API_KEY });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr.trim(), new RegExp(`^SOUNDRELAY_NODES: ${metrics} is no SoundRelay control API \\(GET /health answered \\d+\\)`));
});
