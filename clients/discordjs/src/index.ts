/**
 * soundrelay-discordjs: puts an @discordjs/voice connection through a SoundRelay node.
 *
 * When the voice gateway answers READY with the voice server's UDP address, the package creates a route with a
 * return path on a live node (least loaded first, the next one when a node refuses or is down) and hands the library
 * the node's address and the route's relay port instead. IP discovery, audio, keep-alives, RTCP and the audio of the
 * other users then travel through the node, byte for byte: transport encryption and DAVE pass through untouched and
 * the node never holds a key. The route follows the connection: a new READY (reconnect, voice-server change) gets a
 * new route, a migration or a dead node moves the socket to the route's new home, and the route is deleted when the
 * connection's networking ends.
 *
 * The hook: @discordjs/voice's `Networking` listens to its voice WebSocket's `packet` event with a bound method
 * `onWsPacket`, an own property set in its constructor, and creates its `VoiceUDPSocket` from READY's `ip` and `port`
 * in that method. The package puts a wrapper in front of that listener, holds READY (and whatever follows it) until
 * the route exists, then passes READY on with the node's address. Moving a live connection sets the UDP socket's
 * public `remote`, which `VoiceUDPSocket.send` reads on every datagram. Nothing else of the library is touched.
 */
import { EventEmitter } from 'node:events';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, isIPv4 } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { version as voiceVersion, VoiceConnectionStatus } from '@discordjs/voice';
import type { VoiceConnection, VoiceConnectionState, JoinVoiceChannelOptions, CreateVoiceConnectionOptions } from '@discordjs/voice';
import { joinVoiceChannel as libraryJoinVoiceChannel } from '@discordjs/voice';

/** The versions of @discordjs/voice this package was tested with; any other one gets a warning. */
export const TESTED_VOICE_VERSIONS: readonly string[] = Object.freeze(['0.19.0', '0.19.1', '0.19.2']);

/** The warning a bot gets on attach when its @discordjs/voice is not one this package was tested with. */
export function untestedVersionWarning(version: string): string | undefined {
  if (TESTED_VOICE_VERSIONS.includes(version)) return undefined;
  return (
    `soundrelay-discordjs was tested with @discordjs/voice ${TESTED_VOICE_VERSIONS.join(', ')}, not ${version}: ` +
    'it checks the internals it hooks on every connection and reports UNSUPPORTED_LIBRARY (or falls back) when they differ'
  );
}

/** Voice gateway opcode of READY (discord-api-types VoiceOpcodes.Ready). */
const OP_READY = 2;
/** NetworkingStatusCode.Identifying: the state in which Networking acts on READY. */
const NETWORKING_IDENTIFYING = 1;
/** NetworkingStatusCode.Closed. */
const NETWORKING_CLOSED = 6;
/** Marks a Networking this package has hooked, so that a second SoundRelay does not hook it again. */
const HOOKED = Symbol('soundrelay-discordjs.hooked');

export type FallbackMode = 'error' | 'direct';

export interface SoundRelayOptions {
  /** Control API base URLs of the nodes, e.g. `['http://relay-1:4300', 'http://relay-2:4300']`. At least one. */
  nodes: string[];
  /** An API key of the nodes (one of their `API_KEYS`). Sent as `Authorization: Bearer`; never logged. */
  apiKey: string;
  /**
   * What happens when no node can take a connection's route: `'error'` (default) emits an `error` event and
   * disconnects the voice connection (`VoiceConnectionDisconnectReason.Manual`); `'direct'` emits `fallback` and lets
   * the library connect straight to the voice server, as it would without this package.
   */
  fallback?: FallbackMode;
  /**
   * The IPv4 address the nodes see this bot at, for the route's `source_addr` (`<ip>:0`: the node latches the port).
   * Default: the local address the kernel picks to reach the node. Set it when a NAT sits between bot and node.
   */
  sourceIp?: string;
  /**
   * Nodes listed by `GET /nodes` but not in `nodes` may be used too, at `http://<control_addr>` (the API key then goes
   * to addresses read from the nodes' Redis). Default false: only the configured nodes.
   */
  discover?: boolean;
  /** How often a connection's route is checked on its node (migration, node gone), in ms. Default 1000. */
  checkIntervalMs?: number;
  /** Timeout of each control-API request, in ms. Default 2000. */
  requestTimeoutMs?: number;
  /**
   * Hold an idle TCP connection to each node that carries a route, and check that node's routes the moment it
   * closes: a node process that dies is noticed at once, not at the next check. Default true.
   */
  watch?: boolean;
}

/** A route the package holds for a connection. */
export interface RelayRoute {
  streamId: string;
  /** Control API base URL of the node that owns the route. */
  node: string;
  nodeId: string;
  /** Where the library's UDP socket sends: the node's relay IP and the route's relay port. */
  relayAddress: string;
  /** The voice server's UDP address from READY: the route's target. */
  voiceServer: string;
}

export interface RouteEvent extends RelayRoute {
  connection: VoiceConnection;
}

export type MoveReason = 'migrated' | 'rebound' | 'node_down' | 'route_lost';

export interface MoveEvent {
  connection: VoiceConnection;
  reason: MoveReason;
  from: RelayRoute;
  to: RelayRoute;
}

export interface FallbackEvent {
  connection: VoiceConnection;
  error: SoundRelayError;
}

export type SoundRelayErrorCode = 'NO_NODE' | 'UNSUPPORTED_LIBRARY' | 'MOVE_FAILED' | 'DELETE_FAILED';

export class SoundRelayError extends Error {
  readonly code: SoundRelayErrorCode;
  readonly connection: VoiceConnection | undefined;

  constructor(code: SoundRelayErrorCode, message: string, connection?: VoiceConnection, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SoundRelayError';
    this.code = code;
    this.connection = connection;
  }
}

export interface SoundRelayEvents {
  route: [RouteEvent];
  moved: [MoveEvent];
  routeDeleted: [RouteEvent];
  fallback: [FallbackEvent];
  error: [SoundRelayError];
  warning: [string];
}

/** Creates a relay over the given nodes. One per bot is enough; attach every voice connection to it. */
export function createSoundRelay(options: SoundRelayOptions): SoundRelay {
  return new SoundRelay(options);
}

interface Settings {
  nodes: URL[];
  apiKey: string;
  fallback: FallbackMode;
  sourceIp: string | undefined;
  discover: boolean;
  checkIntervalMs: number;
  requestTimeoutMs: number;
  watch: boolean;
}

function settings(options: SoundRelayOptions): Settings {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createSoundRelay: options must be an object with nodes and apiKey');
  }
  if (!Array.isArray(options.nodes) || options.nodes.length === 0) {
    throw new TypeError('createSoundRelay: options.nodes must be a non-empty array of control API URLs');
  }
  const nodes = options.nodes.map((node, i) => {
    let url: URL;
    try {
      url = new URL(String(node));
    } catch {
      throw new TypeError(`createSoundRelay: options.nodes[${i}] is not a URL: ${String(node)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`createSoundRelay: options.nodes[${i}] must be http:// or https://, not ${url.protocol}`);
    }
    url.pathname = url.pathname.replace(/\/+$/, '');
    url.search = '';
    url.hash = '';
    return url;
  });
  if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) {
    throw new TypeError('createSoundRelay: options.apiKey must be a non-empty string (one of the nodes\' API_KEYS)');
  }
  const fallback = options.fallback ?? 'error';
  if (fallback !== 'error' && fallback !== 'direct') {
    throw new TypeError(`createSoundRelay: options.fallback must be 'error' or 'direct', not ${String(fallback)}`);
  }
  if (options.sourceIp !== undefined && !isIPv4(options.sourceIp)) {
    throw new TypeError(`createSoundRelay: options.sourceIp must be an IPv4 address, not ${String(options.sourceIp)}`);
  }
  return {
    nodes,
    apiKey: options.apiKey,
    fallback,
    sourceIp: options.sourceIp,
    discover: options.discover ?? false,
    checkIntervalMs: positive(options.checkIntervalMs, 1000, 'checkIntervalMs'),
    requestTimeoutMs: positive(options.requestTimeoutMs, 2000, 'requestTimeoutMs'),
    watch: options.watch ?? true,
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`createSoundRelay: options.${name} must be a positive number of milliseconds`);
  }
  return value;
}

/** A node a route may be created on, with what the package knows of it. */
interface Candidate {
  url: URL;
  load: number;
  nodeId: string | undefined;
  relayHost: string | undefined;
}

interface HttpAnswer {
  status: number;
  body: any;
}

/** What went wrong with one node, for the error that lists them all. */
class NodeRefusal extends Error {}

export class SoundRelay extends EventEmitter<SoundRelayEvents> {
  private readonly settings: Settings;
  private readonly attached = new Map<VoiceConnection, ConnectionRelay>();
  private readonly watches = new Map<string, NodeWatch>();
  private readonly nodeIds = new Map<string, string>();
  private versionChecked = false;

  constructor(options: SoundRelayOptions) {
    super();
    this.settings = settings(options);
  }

  /** The library's version, and whether this package was tested with it. */
  static libraryVersion(): { version: string; tested: boolean } {
    return { version: voiceVersion, tested: TESTED_VOICE_VERSIONS.includes(voiceVersion) };
  }

  /**
   * Puts a voice connection through the relay from its next READY on: call it right after `joinVoiceChannel`.
   * A connection that is already connected keeps its direct path until it reconnects (a warning says so).
   * Returns a function that detaches it (its route is deleted).
   */
  attach(connection: VoiceConnection): () => void {
    this.checkVersion();
    const existing = this.attached.get(connection);
    if (existing) return () => existing.detach();
    const relay = new ConnectionRelay(this, connection);
    this.attached.set(connection, relay);
    relay.start();
    return () => relay.detach();
  }

  /** `joinVoiceChannel` of @discordjs/voice, with the connection attached before any of its packets arrive. */
  joinVoiceChannel(options: JoinVoiceChannelOptions & CreateVoiceConnectionOptions): VoiceConnection {
    const connection = libraryJoinVoiceChannel(options);
    this.attach(connection);
    return connection;
  }

  /** The route a connection holds now, if any. */
  routeOf(connection: VoiceConnection): RelayRoute | undefined {
    return this.attached.get(connection)?.current();
  }

  /** Detaches every connection, deleting their routes. The connections themselves stay as they are. */
  async close(): Promise<void> {
    await Promise.all([...this.attached.values()].map((relay) => relay.detach()));
  }

  /** @internal */
  forget(connection: VoiceConnection): void {
    this.attached.delete(connection);
  }

  /** Calls onClose whenever the watch connection to a node closes, until the returned function is called. @internal */
  watchNode(node: string, onClose: () => void): () => void {
    if (!this.settings.watch) return () => undefined;
    let watch = this.watches.get(node);
    if (!watch) {
      watch = new NodeWatch(new URL(node), this.settings.checkIntervalMs);
      this.watches.set(node, watch);
    }
    const active = watch;
    active.listeners.add(onClose);
    return () => {
      active.listeners.delete(onClose);
      if (active.listeners.size === 0) {
        active.stop();
        if (this.watches.get(node) === active) this.watches.delete(node);
      }
    };
  }

  /** @internal */
  get config(): Settings {
    return this.settings;
  }

  /** @internal Emits an error without ever throwing: with no `error` listener it becomes a process warning. */
  report(error: SoundRelayError): void {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error);
    } else {
      process.emitWarning(error.message, { type: 'SoundRelayError', code: error.code });
    }
  }

  /**
   * Emits one of the informational events; a listener that throws does not break the connection's handling (the
   * throw becomes a warning). @internal
   */
  notify<K extends 'route' | 'moved' | 'routeDeleted' | 'fallback'>(event: K, ...payload: SoundRelayEvents[K]): void {
    try {
      (this.emit as (event: string, ...args: unknown[]) => boolean)(event, ...payload);
    } catch (error) {
      this.warn(`a '${event}' listener threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** @internal */
  warn(message: string): void {
    if (this.listenerCount('warning') > 0) {
      this.emit('warning', message);
    } else {
      process.emitWarning(message, { type: 'SoundRelayWarning' });
    }
  }

  private checkVersion(): void {
    if (this.versionChecked) return;
    this.versionChecked = true;
    const warning = untestedVersionWarning(voiceVersion);
    if (warning !== undefined) this.warn(warning);
  }

  // ---- control API ----

  /** @internal */
  async request(base: URL, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.settings.apiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base.href.replace(/\/+$/, '') + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
    });
    const text = await response.text();
    let parsed: any = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { error: text.slice(0, 200) };
      }
    }
    return { status: response.status, body: parsed };
  }

  /**
   * The nodes to try, least loaded first. `GET /nodes` (asked of the configured nodes in turn until one answers)
   * gives each live node's `active_routes`; a configured node is found in it by its control address, or else by the
   * `node_id` its `/health` gives (a URL with a DNS name). Configured nodes it does not list come last, in the given
   * order; with `discover`, listed nodes that are not configured are candidates too. A node whose entry says
   * `"draining": true` is no candidate (it is handing its routes to its peers and will stop).
   * @internal
   */
  async candidates(exclude: Set<string>): Promise<Candidate[]> {
    const entries = await this.listing(exclude);
    const candidates: Candidate[] = [];
    const matched = new Set<any>();
    for (const node of this.settings.nodes) {
      if (exclude.has(node.href)) continue;
      let entry = entries.find((e) => e.control_addr === hostPort(node));
      if (entry === undefined && entries.length > 0) {
        const nodeId = await this.nodeIdOf(node);
        entry = nodeId === undefined ? undefined : entries.find((e) => e.node_id === nodeId);
      }
      if (entry !== undefined) matched.add(entry);
      if (entry?.draining === true) continue; // it takes no route: its POST /route would answer 503
      candidates.push(candidateOf(node, entry));
    }
    if (this.settings.discover) {
      for (const entry of entries) {
        if (matched.has(entry) || typeof entry.control_addr !== 'string' || entry.draining === true) continue;
        const url = httpUrl(entry.control_addr);
        if (!exclude.has(url.href) && !candidates.some((c) => c.url.href === url.href)) candidates.push(candidateOf(url, entry));
      }
    }
    return candidates.sort((a, b) => a.load - b.load); // stable: unknown loads keep the configured order
  }

  /** The live nodes, from the first configured node that answers `GET /nodes`; none when none answers. */
  private async listing(exclude: Set<string>): Promise<any[]> {
    for (const node of this.settings.nodes) {
      if (exclude.has(node.href)) continue;
      try {
        const answer = await this.request(node, 'GET', '/nodes');
        if (answer.status === 200 && Array.isArray(answer.body?.nodes)) {
          return answer.body.nodes.filter((e: any) => e !== null && typeof e === 'object');
        }
      } catch {
        // this node does not answer: ask the next one
      }
    }
    return [];
  }

  /** A configured node's `node_id`, from its `/health` (no key needed), remembered once known. */
  private async nodeIdOf(node: URL): Promise<string | undefined> {
    const known = this.nodeIds.get(node.href);
    if (known !== undefined) return known;
    try {
      const response = await fetch(node.href.replace(/\/+$/, '') + '/health', {
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
      const body: any = await response.json();
      if (typeof body?.node_id === 'string') {
        this.nodeIds.set(node.href, body.node_id);
        return body.node_id;
      }
    } catch {
      // down or not a node: it stays unlisted
    }
    return undefined;
  }

  /**
   * Creates a route with a return path to the voice server on the first candidate that takes it. A candidate that
   * refuses (down, a timeout, `401`, `503` full or draining, ...) costs only its own request: the next one is asked at
   * once. (A node starts draining up to a heartbeat before `GET /nodes` says so: its `503` naming the drain is how
   * the package learns it in that window.)
   * @internal
   */
  async createRoute(voiceServer: string, exclude: Set<string>): Promise<RelayRoute> {
    const refusals: string[] = [];
    for (const candidate of await this.candidates(exclude)) {
      try {
        return await this.createRouteOn(candidate, voiceServer);
      } catch (error) {
        refusals.push(`${candidate.url.href}: ${describe(error)}`);
      }
    }
    throw new NodeRefusal(
      refusals.length === 0 ? 'no node to try (options.nodes all excluded)' : refusals.join('; '),
    );
  }

  private async createRouteOn(candidate: Candidate, voiceServer: string): Promise<RelayRoute> {
    const relayHost = candidate.relayHost ?? (await lookup(candidate.url.hostname, { family: 4 })).address;
    if (!isIPv4(relayHost)) {
      throw new NodeRefusal(`relay address ${relayHost} is not IPv4 (the library's voice socket is IPv4 only)`);
    }
    const sourceIp = this.settings.sourceIp ?? (await localAddressToward(relayHost));
    for (let attempt = 0; attempt < 3; attempt++) {
      const streamId = randomStreamId();
      const answer = await this.request(candidate.url, 'POST', '/route', {
        stream_id: streamId,
        source_addr: `${sourceIp}:0`,
        target_addrs: [voiceServer],
        return_path: true,
      });
      if (answer.status === 409) continue; // that id is taken somewhere: draw another
      if (answer.status !== 201) {
        const reason = typeof answer.body?.error === 'string' ? answer.body.error : 'no reason given';
        throw new NodeRefusal(`POST /route answered ${answer.status}: ${reason}`);
      }
      const relayPort = answer.body?.relay_port;
      if (typeof relayPort !== 'number') {
        throw new NodeRefusal('POST /route answered without a relay_port (a node older than return paths?)');
      }
      return {
        streamId,
        node: candidate.url.href,
        nodeId: String(answer.body.node_id ?? candidate.nodeId ?? ''),
        relayAddress: `${relayHost}:${relayPort}`,
        voiceServer,
      };
    }
    throw new NodeRefusal('POST /route answered 409 three times');
  }

  /** Deletes a route; a route already gone is fine. @internal */
  async deleteRoute(route: RelayRoute): Promise<void> {
    const answer = await this.request(new URL(route.node), 'DELETE', `/route/${route.streamId}`);
    if (answer.status !== 204 && answer.status !== 404) {
      throw new Error(`DELETE /route/${route.streamId} answered ${answer.status}`);
    }
  }

  /** Where a migrated route lives now: its owner's control URL and relay IP, from `GET /nodes`. @internal */
  async locate(nodeId: string, via: URL): Promise<Candidate | undefined> {
    const answer = await this.request(via, 'GET', '/nodes');
    if (answer.status !== 200 || !Array.isArray(answer.body?.nodes)) return undefined;
    const entry = answer.body.nodes.find((n: any) => n?.node_id === nodeId);
    if (!entry || typeof entry.control_addr !== 'string' || typeof entry.relay_addr !== 'string') return undefined;
    // A configured node when it is one (by address, or by the node id its /health gave); else the address the listing
    // gives: the operator moved the route there, and the stream must follow it whatever `discover` says.
    const url =
      this.settings.nodes.find((n) => hostPort(n) === entry.control_addr || this.nodeIds.get(n.href) === nodeId) ??
      httpUrl(entry.control_addr);
    return { url, load: 0, nodeId, relayHost: hostOf(entry.relay_addr) };
  }
}

/** The library's objects, as far as this package reads them. */
interface VoiceWebSocketLike extends EventEmitter {}

interface VoiceUdpSocketLike {
  remote: { ip: string; port: number };
}

interface NetworkingLike extends EventEmitter {
  state: { code: number; ws?: VoiceWebSocketLike; udp?: VoiceUdpSocketLike };
  onWsPacket: (packet: any) => void;
}

/**
 * An idle TCP connection to a node's control API, reopened whenever it closes. The kernel closes it the moment the
 * node's process dies (or the node closes idle connections): either way the listeners check their routes at once.
 * A node whose host or network goes away leaves it open; the periodic check covers that.
 */
class NodeWatch {
  readonly listeners = new Set<() => void>();
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly url: URL,
    private readonly reopenAfterMs: number,
  ) {
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    const port = Number(this.url.port || (this.url.protocol === 'https:' ? 443 : 80));
    const host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const socket =
      this.url.protocol === 'https:'
        ? tlsConnect({ host, port, servername: isIPv4(host) ? undefined : host })
        : tcpConnect({ host, port });
    socket.setNoDelay(true);
    socket.unref();
    socket.on('error', () => undefined); // 'close' follows, and is what counts
    socket.on('data', () => undefined);
    socket.once('close', () => {
      if (this.stopped) return;
      for (const listener of [...this.listeners]) listener();
      this.timer = setTimeout(() => this.open(), this.reopenAfterMs);
      this.timer.unref();
    });
    this.socket = socket;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
  }
}

/** One voice connection's relay: the route of each of its networking instances, and the check loop. */
class ConnectionRelay {
  private readonly relay: SoundRelay;
  private readonly connection: VoiceConnection;
  private networking: NetworkingLike | undefined;
  private route: RelayRoute | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private checking = false;
  private recheck = false;
  private detached = false;
  private readonly onStateChange: (oldState: VoiceConnectionState, newState: VoiceConnectionState) => void;

  constructor(relay: SoundRelay, connection: VoiceConnection) {
    this.relay = relay;
    this.connection = connection;
    this.onStateChange = (oldState, newState) => this.stateChanged(oldState, newState);
  }

  current(): RelayRoute | undefined {
    return this.route;
  }

  start(): void {
    this.connection.on('stateChange', this.onStateChange);
    const networking = networkingOf(this.connection.state);
    if (networking) {
      if (networking.state.code > NETWORKING_IDENTIFYING && networking.state.code !== NETWORKING_CLOSED) {
        this.relay.warn('attach: this voice connection is already connected directly; it goes through the relay from its next reconnect');
      }
      this.hook(networking);
    }
  }

  async detach(): Promise<void> {
    if (this.detached) return;
    this.detached = true;
    this.connection.off('stateChange', this.onStateChange);
    this.relay.forget(this.connection);
    this.networking = undefined;
    await this.release();
  }

  private stateChanged(oldState: VoiceConnectionState, newState: VoiceConnectionState): void {
    const before = networkingOf(oldState);
    const after = networkingOf(newState);
    if (before !== after) {
      // A new networking (reconnect, voice-server change) or none (disconnected, destroyed): the old one's route
      // carries nothing any more.
      this.networking = undefined;
      void this.release();
      if (after) this.hook(after);
    }
    if (newState.status === VoiceConnectionStatus.Destroyed) void this.detach();
  }

  /** Puts the wrapper in front of the networking's READY handling. */
  private hook(networking: NetworkingLike): void {
    if (Reflect.get(networking, HOOKED)) {
      this.relay.warn('attach: this voice connection is attached to another SoundRelay already; this one leaves it alone');
      return;
    }
    const original = Object.prototype.hasOwnProperty.call(networking, 'onWsPacket') ? networking.onWsPacket : undefined;
    const ws = networking.state.ws;
    if (typeof original !== 'function' || !ws || !ws.listeners('packet').includes(original)) {
      this.unsupported(networking);
      return;
    }
    this.networking = networking;
    let held: any[] | undefined;
    const wrapper = (packet: any): void => {
      if (held) {
        held.push(packet);
        return;
      }
      if (packet?.op === OP_READY && networking.state.code === NETWORKING_IDENTIFYING && !this.detached) {
        held = [];
        void this.routeFor(networking, packet)
          .then((ready) => {
            const queued = held ?? [];
            held = undefined;
            if (this.networking !== networking || networking.state.code !== NETWORKING_IDENTIFYING) return;
            if (ready === undefined) return;
            original(ready);
            for (const later of queued) original(later);
          })
          .catch((error) => this.relay.warn(`handling READY failed: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
      original(packet);
    };
    // Networking registers this.onWsPacket on each WebSocket it creates (a resume makes a new one) and removes it
    // when it drops one: the wrapper takes its place in both.
    networking.onWsPacket = wrapper;
    Reflect.set(networking, HOOKED, true);
    ws.off('packet', original);
    ws.on('packet', wrapper);
  }

  /** The library's internals are not what this package knows: fail or go direct, as the bot chose. */
  private unsupported(networking: NetworkingLike): void {
    const error = new SoundRelayError(
      'UNSUPPORTED_LIBRARY',
      `soundrelay-discordjs cannot hook @discordjs/voice ${voiceVersion} (tested: ${TESTED_VOICE_VERSIONS.join(', ')}): ` +
        'Networking.onWsPacket is not where it expects it',
      this.connection,
    );
    this.fail(error, () => undefined, networking);
  }

  /** Creates the route for a READY and returns the READY to pass on, or undefined when the connection fails. */
  private async routeFor(networking: NetworkingLike, packet: any): Promise<any | undefined> {
    const { ip, port } = packet.d ?? {};
    if (typeof ip !== 'string' || typeof port !== 'number') return packet; // not a READY the library can use either
    const voiceServer = `${ip}:${port}`;
    let route: RelayRoute;
    try {
      route = await this.relay.createRoute(voiceServer, new Set());
    } catch (error) {
      const failure = new SoundRelayError(
        'NO_NODE',
        `no SoundRelay node took the route to voice server ${voiceServer}: ${error instanceof Error ? error.message : String(error)}`,
        this.connection,
        error,
      );
      return this.fail(failure, () => packet, networking);
    }
    if (this.networking !== networking || this.detached) {
      // The connection moved on while the node answered: this route carries nothing.
      void this.relay.deleteRoute(route).catch(() => undefined);
      return undefined;
    }
    this.route = route;
    this.relay.notify('route', { connection: this.connection, ...route });
    this.startChecks();
    const [relayIp, relayPort] = splitAddress(route.relayAddress);
    return { ...packet, d: { ...packet.d, ip: relayIp, port: relayPort } };
  }

  /** Reports the error, then either lets the connection go direct or disconnects it. */
  private fail(error: SoundRelayError, direct: () => any, networking: NetworkingLike): any | undefined {
    if (this.relay.config.fallback === 'direct') {
      this.relay.notify('fallback', { connection: this.connection, error });
      return direct();
    }
    this.relay.report(error);
    // Not from inside the library's state change that may be calling us.
    setImmediate(() => {
      if (networkingOf(this.connection.state) === networking) this.connection.disconnect();
    });
    return undefined;
  }

  private startChecks(): void {
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.relay.config.checkIntervalMs);
      this.timer.unref();
    }
    this.watch();
  }

  /** Watches the current route's node: when its watch connection closes, check the route at once. */
  private watch(): void {
    this.unwatch?.();
    this.unwatch = this.route ? this.relay.watchNode(this.route.node, () => void this.check()) : undefined;
  }

  /** Asks the route's node about the route: still there, moved by a migration, gone, or the node is down. */
  private async check(): Promise<void> {
    const route = this.route;
    const networking = this.networking;
    if (!route || !networking) return;
    if (this.checking) {
      this.recheck = true; // e.g. the watch connection closed while a periodic check was waiting: check again after
      return;
    }
    this.checking = true;
    try {
      let answer: HttpAnswer;
      try {
        answer = await this.relay.request(new URL(route.node), 'GET', `/route/${route.streamId}`);
      } catch {
        await this.move(networking, route, 'node_down');
        return;
      }
      if (this.route !== route) return;
      if (answer.status === 404) {
        await this.move(networking, route, 'route_lost');
      } else if (answer.status === 200 && typeof answer.body?.node_id === 'string' && answer.body.node_id !== route.nodeId) {
        await this.follow(networking, route, answer.body.node_id, answer.body.relay_port);
      } else if (answer.status === 200 && typeof answer.body?.relay_port === 'number' && answer.body.relay_port !== portOf(route)) {
        // Same node, another relay port: it restarted between two checks and its old port was taken.
        const [ip] = splitAddress(route.relayAddress);
        this.switchTo(networking, route, { ...route, relayAddress: `${ip}:${answer.body.relay_port}` }, 'rebound');
      } else if (isDraining(answer)) {
        // The node is draining: it hands this route to a peer (the next check follows it there, nothing lost) or,
        // with no peer, stops, and the watch or the next check moves the route then.
      } else if (answer.status >= 500) {
        await this.move(networking, route, 'node_down');
      }
    } finally {
      this.checking = false;
      if (this.recheck) {
        this.recheck = false;
        void this.check();
      }
    }
  }

  /** The route was migrated to another node: send to the new owner's relay port. */
  private async follow(networking: NetworkingLike, route: RelayRoute, nodeId: string, relayPort: unknown): Promise<void> {
    if (typeof relayPort !== 'number') return; // the new owner has not written its relay port yet: next check
    let owner: Candidate | undefined;
    try {
      owner = await this.relay.locate(nodeId, new URL(route.node));
    } catch {
      owner = undefined;
    }
    if (!owner || !owner.relayHost || this.route !== route) return;
    const moved: RelayRoute = {
      ...route,
      node: owner.url.href,
      nodeId,
      relayAddress: `${owner.relayHost}:${relayPort}`,
    };
    this.switchTo(networking, route, moved, 'migrated');
  }

  /** The route's node is down or lost the route: a new route on another node, and the socket sends there. */
  private async move(networking: NetworkingLike, route: RelayRoute, reason: MoveReason): Promise<void> {
    const exclude = new Set<string>(reason === 'node_down' ? [route.node] : []);
    let moved: RelayRoute;
    try {
      moved = await this.relay.createRoute(route.voiceServer, exclude);
    } catch (error) {
      this.relay.report(
        new SoundRelayError(
          'MOVE_FAILED',
          `the route of stream ${route.streamId} (${reason} on ${route.node}) could not move to another node: ` +
            `${error instanceof Error ? error.message : String(error)}; trying again in ${this.relay.config.checkIntervalMs} ms`,
          this.connection,
          error,
        ),
      );
      return;
    }
    if (this.route !== route || this.networking !== networking) {
      void this.relay.deleteRoute(moved).catch(() => undefined);
      return;
    }
    this.switchTo(networking, route, moved, reason);
  }

  private switchTo(networking: NetworkingLike, from: RelayRoute, to: RelayRoute, reason: MoveReason): void {
    const udp = networking.state.udp;
    this.route = to;
    if (udp) {
      const [ip, port] = splitAddress(to.relayAddress);
      udp.remote = { ip, port };
    }
    if (to.node !== from.node) this.watch();
    this.relay.notify('moved', { connection: this.connection, reason, from, to });
  }

  /** Deletes the current route (if any) and stops checking it. */
  private async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    const route = this.route;
    this.route = undefined;
    if (!route) return;
    try {
      await this.relay.deleteRoute(route);
      this.relay.notify('routeDeleted', { connection: this.connection, ...route });
    } catch (error) {
      this.relay.report(
        new SoundRelayError(
          'DELETE_FAILED',
          `could not delete route ${route.streamId} on ${route.node} (it expires after the node's ROUTE_TTL_SECONDS): ` +
            `${error instanceof Error ? error.message : String(error)}`,
          this.connection,
          error,
        ),
      );
    }
  }
}

function networkingOf(state: VoiceConnectionState): NetworkingLike | undefined {
  const networking = Reflect.get(state, 'networking');
  return networking instanceof EventEmitter ? (networking as unknown as NetworkingLike) : undefined;
}

/** A stream id no other bot is likely to draw: 63 random bits, as a decimal string (the contract takes either). */
function randomStreamId(): string {
  const id = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
  return (id === 0n ? 1n : id).toString();
}

/** The local IPv4 address the kernel sends from to reach an address: what the node will see as the source. */
async function localAddressToward(ip: string): Promise<string> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, ip, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/** An error for a person: fetch's "fetch failed" gains its cause ("connect ECONNREFUSED 10.0.0.5:4300"). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within the request timeout (${error.message})`;
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? `${error.message}: ${cause.message}` : error.message;
}

/** A node's `503` because it is draining (the contract's `"error"` names the drain). */
function isDraining(answer: HttpAnswer): boolean {
  return answer.status === 503 && typeof answer.body?.error === 'string' && /draining/i.test(answer.body.error);
}

/** A node to try; its load and addresses from its `GET /nodes` entry when it has one. */
function candidateOf(url: URL, entry: any): Candidate {
  return {
    url,
    load: typeof entry?.active_routes === 'number' ? entry.active_routes : Number.MAX_SAFE_INTEGER,
    nodeId: typeof entry?.node_id === 'string' ? entry.node_id : undefined,
    relayHost: typeof entry?.relay_addr === 'string' ? hostOf(entry.relay_addr) : undefined,
  };
}

function hostPort(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

function httpUrl(controlAddr: string): URL {
  return new URL(`http://${controlAddr}`);
}

function portOf(route: RelayRoute): number {
  return splitAddress(route.relayAddress)[1];
}

function hostOf(address: string): string {
  const [host] = splitAddress(address);
  return host;
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return [host, Number(address.slice(at + 1))];
}
