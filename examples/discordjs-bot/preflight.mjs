// The bot's SoundRelay nodes and API key, checked before it goes near Discord: each node must answer GET /health as
// a SoundRelay node, and accept the key on an authenticated call (GET /routes?limit=1). No dependencies (the fetch
// of Node.js), so a wrong node URL or key is reported without a Discord token and before `npm install`.
import { SettingError } from './settings.mjs';

const TIMEOUT_MS = 5000;

/**
 * @param {string[]} nodes the control API URLs (SOUNDRELAY_NODES)
 * @param {string} apiKey SOUNDRELAY_API_KEY; never printed
 * @returns {Promise<{ready: {url: string, nodeId: string, status: string}[], unreachable: {url: string, why: string}[]}>}
 *   the nodes that answered and took the key, and the ones that did not answer (with why)
 * @throws {SettingError} a node refused the key (SOUNDRELAY_API_KEY), or answered as no SoundRelay node does
 *   (SOUNDRELAY_NODES)
 */
export async function checkNodes(nodes, apiKey) {
  const ready = [];
  const unreachable = [];
  for (const node of nodes) {
    const base = node.replace(/\/+$/, '');
    let health;
    try {
      health = await get(`${base}/health`);
    } catch (error) {
      unreachable.push({ url: node, why: reason(error) });
      continue;
    }
    const nodeId = health.body?.node_id;
    if (health.status !== 200 || typeof nodeId !== 'string') {
      throw new SettingError(
        `SOUNDRELAY_NODES: ${node} is no SoundRelay control API (GET /health answered ${health.status}): ` +
          'give the node\'s CONTROL_API_ADDR, e.g. http://127.0.0.1:4300',
      );
    }
    let routes;
    try {
      routes = await get(`${base}/routes?limit=1`, { authorization: `Bearer ${apiKey}` });
    } catch (error) {
      unreachable.push({ url: node, why: reason(error) });
      continue;
    }
    if (routes.status === 401) {
      throw new SettingError(
        `SOUNDRELAY_API_KEY: ${node} (node ${nodeId}) refused the key (401): give one of the node's API_KEYS ` +
          '(a node started without API_KEYS prints the key it generated once, in its log)',
      );
    }
    if (routes.status !== 200) {
      const error = typeof routes.body?.error === 'string' ? `: ${routes.body.error}` : '';
      unreachable.push({ url: node, why: `GET /routes answered ${routes.status}${error}` });
      continue;
    }
    ready.push({ url: node, nodeId, status: String(health.body.status) });
  }
  return { ready, unreachable };
}

async function get(url, headers = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: no SoundRelay node
  }
  return { status: response.status, body };
}

function reason(error) {
  if (error?.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error?.cause;
  return cause?.code ? `${cause.code}${cause.address ? ` ${cause.address}:${cause.port}` : ''}` : String(error?.message ?? error);
}
