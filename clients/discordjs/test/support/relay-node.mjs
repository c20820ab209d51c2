// Real SoundRelay nodes (the jar the Java build makes) and a real redis-server for the tests, each on loopback
// addresses of its own, started and stopped by the tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');
export const JAR = process.env.SOUNDRELAY_JAR ?? join(REPO, 'control', 'target', 'soundrelay.jar');
export const API_KEY = 'test-key-' + Math.random().toString(36).slice(2);

export async function freeTcpPort(ip) {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, ip, resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function freeUdpPort(ip) {
  const socket = createSocket('udp4');
  await new Promise((resolve, reject) => socket.once('error', reject).bind(0, ip, resolve));
  const { port } = socket.address();
  socket.close();
  return port;
}

/** Polls until check() resolves truthy; rejects after timeoutMs with what it waited for. */
export async function waitFor(check, what, timeoutMs = 30000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export class RelayNode {
  /**
   * @param {string} ip the node's own loopback IP (BIND_ADDR, CONTROL_API_ADDR and its relay ports)
   * @param {{redisUrl?: string, nodeId?: string, env?: object}} options
   */
  constructor(ip, options = {}) {
    this.ip = ip;
    this.redisUrl = options.redisUrl ?? '';
    this.nodeId = options.nodeId ?? `djs-test-${ip.replaceAll('.', '-')}-${process.pid}`;
    this.extraEnv = options.env ?? {};
    this.log = '';
  }

  get url() {
    return `http://${this.ip}:${this.controlPort}`;
  }

  get relayAddr() {
    return `${this.ip}:${this.relayPort}`;
  }

  async start() {
    if (!existsSync(JAR)) {
      throw new Error(`no node jar at ${JAR}: build it first (./mvnw -q -DskipTests package) or set SOUNDRELAY_JAR`);
    }
    this.relayPort = await freeUdpPort(this.ip);
    this.controlPort = await freeTcpPort(this.ip);
    this.metricsPort = await freeTcpPort(this.ip);
    const base = 42000 + Math.floor(Math.random() * 150) * 100;
    this.relayPorts = `${base}-${base + 99}`;
    return this.launch();
  }

  /** Starts the node again after kill() or stop(): same NODE_ID, addresses and RELAY_PORTS (a restart, as systemd does). */
  async restart() {
    return this.launch();
  }

  async launch() {
    const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
    this.process = spawn(java, ['-Xmx256m', '-XX:+UseSerialGC', '-jar', JAR], {
      env: {
        ...process.env,
        NODE_ID: this.nodeId,
        BIND_ADDR: `${this.ip}:${this.relayPort}`,
        CONTROL_API_ADDR: `${this.ip}:${this.controlPort}`,
        METRICS_ADDR: `${this.ip}:${this.metricsPort}`,
        ADVERTISE_HOST: this.ip,
        API_KEYS: API_KEY,
        REDIS_URL: this.redisUrl,
        RELAY_PORTS: this.relayPorts,
        TRANSPORT: 'epoll',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk) => {
      this.log = (this.log + chunk).slice(-20000);
    };
    this.process.stdout.on('data', keep);
    this.process.stderr.on('data', keep);
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(async () => {
      if (this.process.exitCode !== null) throw new Error(`node exited with ${this.process.exitCode}:\n${this.log}`);
      const response = await fetch(`${this.url}/health`);
      return response.ok;
    }, `node ${this.nodeId} /health`, 60000, 100);
    return this;
  }

  async api(method, path, body) {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async routes() {
    const answer = await this.api('GET', '/routes?limit=1000');
    return answer.body.routes;
  }

  /** SIGKILL: the node dies as a crash would kill it. */
  async kill() {
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }

  /**
   * SIGTERM, as an operator or Kubernetes stops a node: resolves with how it exited ({code, signal}) once it has.
   * No SIGKILL behind it: a node that does not finish its drain is the test's failure to see.
   */
  async terminate() {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    return this.exited;
  }

  async stop() {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), 10000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/** A redis-server of the test's own, on a free port, keeping nothing on disk. */
export class RedisServer {
  async start() {
    this.port = await freeTcpPort('127.0.0.1');
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.exited = new Promise((resolve) => this.process.once('exit', resolve));
    await waitFor(async () => {
      if (this.process.exitCode !== null) throw new Error(`redis-server exited with ${this.process.exitCode}`);
      return await new Promise((resolve) => {
        const socket = connect(this.port, '127.0.0.1');
        socket.once('connect', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    }, 'redis-server', 20000);
    return this;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop() {
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}
