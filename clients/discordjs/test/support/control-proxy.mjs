// A recording stand-in in front of a node's control API: every request goes on to the node and back, and the test
// sees what was asked and answered. With `hideDraining` it takes `draining` out of `GET /nodes`: the node's entry
// then reads as it does in the window between the start of a drain and the heartbeat that shows it.
import { createServer } from 'node:http';

export class ControlProxy {
  /** @param {string} ip a loopback IP of its own; @param {string} target the node's control URL */
  constructor(ip, target) {
    this.ip = ip;
    this.target = target;
    this.hideDraining = false;
    /** Every request: { method, path, status, body } (body parsed when JSON). */
    this.requests = [];
  }

  async start() {
    this.server = createServer((req, res) => void this.forward(req, res));
    await new Promise((resolve) => this.server.listen(0, this.ip, resolve));
    return this;
  }

  get url() {
    return `http://${this.ip}:${this.server.address().port}`;
  }

  async forward(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = {};
    for (const name of ['authorization', 'content-type']) if (req.headers[name]) headers[name] = req.headers[name];
    let status = 502;
    let text = '';
    try {
      const answer = await fetch(this.target + req.url, {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      status = answer.status;
      text = await answer.text();
    } catch (error) {
      text = JSON.stringify({ error: `proxy: ${error.message}` });
    }
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (this.hideDraining && req.method === 'GET' && req.url.startsWith('/nodes') && Array.isArray(body?.nodes)) {
      for (const entry of body.nodes) delete entry.draining;
      text = JSON.stringify(body);
    }
    this.requests.push({ method: req.method, path: req.url, status, body });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  }

  /** The POST /route requests it passed on, with the node's answers. */
  routeCreates() {
    return this.requests.filter((r) => r.method === 'POST' && r.path === '/route');
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
