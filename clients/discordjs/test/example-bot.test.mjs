// The example bot (examples/discordjs-bot) checks its settings before it loads a library or connects anywhere: a
// missing or wrong one exits with status 2 and a message that starts with the variable's name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const BOT = join(import.meta.dirname, '..', '..', '..', 'examples', 'discordjs-bot', 'bot.mjs');
const GOOD = {
  DISCORD_TOKEN: 'MTIz.NDU2.Nzg5',
  GUILD_ID: '111111111111111111',
  VOICE_CHANNEL_ID: '444444444444444444',
  SOUNDRELAY_API_KEY: 'key',
};

function run(env) {
  const { PATH, HOME } = process.env;
  return spawnSync(process.execPath, [BOT], { env: { PATH, HOME, ...env }, encoding: 'utf8', timeout: 20000 });
}

for (const [name, env, message] of [
  ['no token', { ...GOOD, DISCORD_TOKEN: undefined }, /^DISCORD_TOKEN: not set/],
  ['a token that is not one', { ...GOOD, DISCORD_TOKEN: 'hunter2' }, /^DISCORD_TOKEN: not a bot token/],
  ['a guild id that is not an id', { ...GOOD, GUILD_ID: 'my-server' }, /^GUILD_ID: my-server is not a Discord id/],
  ['no voice channel', { ...GOOD, VOICE_CHANNEL_ID: '' }, /^VOICE_CHANNEL_ID: not set/],
  ['no API key', { ...GOOD, SOUNDRELAY_API_KEY: undefined }, /^SOUNDRELAY_API_KEY: not set/],
  ['a node that is not a URL', { ...GOOD, SOUNDRELAY_NODES: 'relay-1:4300' }, /^SOUNDRELAY_NODES: relay-1:4300 must start with http:\/\/ or https:\/\//],
  ['an unknown fallback', { ...GOOD, SOUNDRELAY_FALLBACK: 'maybe' }, /^SOUNDRELAY_FALLBACK: maybe is neither/],
  ['a file that is not there', { ...GOOD, AUDIO_FILE: '/nonexistent/song.ogg' }, /^AUDIO_FILE: \/nonexistent\/song\.ogg does not exist/],
]) {
  test(`the example bot refuses ${name} before connecting (exit 2, naming the variable)`, () => {
    const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
    const result = run(clean);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr.trim(), message);
    if (clean.DISCORD_TOKEN) assert.ok(!result.stderr.includes(clean.DISCORD_TOKEN), 'the token is never printed');
  });
}
