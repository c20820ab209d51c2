// The example bot's settings, all from the environment, checked before anything connects. No dependencies, so a
// bad setting is reported even before `npm install`. A Discord setting that is set but wrong is refused here; one
// that is not set yet is listed in `missing` and reported after the SoundRelay nodes and key are checked, so those
// can be tried before the bot has a Discord token.

const SNOWFLAKE = /^\d{17,20}$/;

/** Thrown for a setting that is missing or wrong; the message starts with the variable's name. */
export class SettingError extends Error {}

/**
 * @param {Record<string, string | undefined>} env
 * @returns {{ token: string | undefined, guildId: string | undefined, channelId: string | undefined,
 *             missing: string[], nodes: string[], apiKey: string, audioFile: string | undefined,
 *             fallback: 'error' | 'direct', seconds: number }}
 *   `missing`: the Discord settings not set (DISCORD_TOKEN, GUILD_ID, VOICE_CHANNEL_ID), see {@link requireDiscord}
 */
export function readSettings(env) {
  const token = optional(env, 'DISCORD_TOKEN');
  if (token !== undefined && token.split('.').length !== 3) {
    throw new SettingError('DISCORD_TOKEN: not a bot token (three parts separated by dots): copy it from the Developer Portal, Bot, Reset Token');
  }
  const guildId = snowflake(env, 'GUILD_ID');
  const channelId = snowflake(env, 'VOICE_CHANNEL_ID');
  const missing = [
    ['DISCORD_TOKEN', token],
    ['GUILD_ID', guildId],
    ['VOICE_CHANNEL_ID', channelId],
  ].filter(([, value]) => value === undefined).map(([name]) => name);
  const nodes = (env.SOUNDRELAY_NODES ?? 'http://127.0.0.1:4300').split(',').map((s) => s.trim()).filter(Boolean);
  if (nodes.length === 0) throw new SettingError('SOUNDRELAY_NODES: empty: give the control API URL of at least one node');
  for (const node of nodes) {
    let url;
    try {
      url = new URL(node);
    } catch {
      throw new SettingError(`SOUNDRELAY_NODES: ${node} is not a URL (e.g. http://127.0.0.1:4300)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SettingError(`SOUNDRELAY_NODES: ${node} must start with http:// or https://`);
    }
  }
  const apiKey = required(env, 'SOUNDRELAY_API_KEY');
  const fallback = env.SOUNDRELAY_FALLBACK ?? 'error';
  if (fallback !== 'error' && fallback !== 'direct') {
    throw new SettingError(`SOUNDRELAY_FALLBACK: ${fallback} is neither error nor direct`);
  }
  const audioFile = env.AUDIO_FILE || undefined;
  const seconds = Number(env.TONE_SECONDS ?? '30');
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new SettingError(`TONE_SECONDS: ${env.TONE_SECONDS} is not a whole number of seconds from 1 to 3600`);
  }
  return { token, guildId, channelId, missing, nodes, apiKey, audioFile, fallback, seconds };
}

/**
 * @param {{missing: string[]}} settings what {@link readSettings} returned
 * @throws {SettingError} naming the first Discord setting that is not set
 */
export function requireDiscord(settings) {
  if (settings.missing.length > 0) {
    const others = settings.missing.length > 1 ? ` (nor ${settings.missing.slice(1).join(', ')})` : '';
    throw new SettingError(`${settings.missing[0]}: not set${others}`);
  }
}

function optional(env, name) {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function required(env, name) {
  const value = optional(env, name);
  if (value === undefined) throw new SettingError(`${name}: not set`);
  return value;
}

function snowflake(env, name) {
  const value = optional(env, name);
  if (value !== undefined && !SNOWFLAKE.test(value)) {
    throw new SettingError(`${name}: ${value} is not a Discord id (17 to 20 digits; Developer Mode, right-click, Copy ID)`);
  }
  return value;
}
