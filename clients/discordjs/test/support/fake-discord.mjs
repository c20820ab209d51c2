// A fake Discord voice server for the tests: the voice gateway (a WebSocket over TLS, protocol v8) and the voice UDP
// server, on a loopback IP of its own. It speaks what @discordjs/voice 0.19 speaks with DAVE off: HELLO, IDENTIFY,
// READY, SELECT_PROTOCOL, SESSION_DESCRIPTION (a real random secret key), heartbeats and their acks, SPEAKING, RESUME.
// The UDP side answers IP discovery with the address it saw, echoes keep-alives, decrypts every RTP packet it gets
// (aead_aes256_gcm_rtpsize, the mode the library picks when both are offered), latches to the last address that sent
// it audio, and sends encrypted audio of another user's SSRC to that address.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const MODES = ['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'];
const OPUS_PAYLOAD_TYPE = 0x78;

export class FakeVoiceServer {
  /** @param {string} ip a loopback IP of its own, e.g. 127.0.0.2 */
  constructor(ip) {
    this.ip = ip;
    this.ssrc = 1000 + Math.floor(Math.random() * 1000);
    this.otherSsrc = this.ssrc + 5000;
    this.otherUserId = '222222222222222222';
    /** Every UDP datagram's sender, "ip:port", in arrival order (one entry per datagram). */
    this.udpSenders = [];
    /** The decrypted payload of every audio packet, with who sent it, its RTP sequence number and when it came (ms). */
    this.frames = [];
    this.discoveries = [];
    this.keepAlives = 0;
    this.decryptFailures = 0;
    this.selected = [];
    this.identifies = [];
    this.latched = null;
    this.sessions = new Set();
    this.secretKey = null;
    this.mode = null;
    this.outSequence = 0;
    this.outTimestamp = 0;
    this.outNonce = 0;
    this.waiters = new Set();
  }

  async start() {
    this.udp = createSocket('udp4');
    this.udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    await new Promise((resolve) => this.udp.bind(0, this.ip, resolve));
    this.udpPort = this.udp.address().port;

    this.https = createServer({
      cert: readFileSync(join(FIXTURES, 'voice-gateway.crt')),
      key: readFileSync(join(FIXTURES, 'voice-gateway.key')),
    });
    this.wss = new WebSocketServer({ server: this.https });
    this.wss.on('connection', (ws) => this.onWebSocket(ws));
    await new Promise((resolve) => this.https.listen(0, this.ip, resolve));
    this.gatewayPort = this.https.address().port;
    return this;
  }

  /** What VOICE_SERVER_UPDATE carries as `endpoint`: the library connects to wss://<endpoint>?v=8. */
  get endpoint() {
    return `${this.ip}:${this.gatewayPort}`;
  }

  get udpAddress() {
    return `${this.ip}:${this.udpPort}`;
  }

  async stop() {
    for (const ws of this.sessions) ws.terminate();
    await new Promise((resolve) => this.wss.close(() => resolve()));
    await new Promise((resolve) => this.https.close(() => resolve()));
    this.udp.close();
  }

  onWebSocket(ws) {
    this.sessions.add(ws);
    ws.on('close', () => this.sessions.delete(ws));
    const send = (op, d) => ws.send(JSON.stringify({ op, d }));
    send(8, { heartbeat_interval: 1000 });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const packet = JSON.parse(String(data));
      switch (packet.op) {
        case 0: // IDENTIFY
          this.identifies.push(packet.d);
          send(2, { ssrc: this.ssrc, ip: this.ip, port: this.udpPort, modes: MODES, heartbeat_interval: 1000 });
          break;
        case 1: // SELECT_PROTOCOL
          this.selected.push(packet.d);
          this.mode = packet.d.data.mode;
          this.secretKey = randomBytes(32);
          send(4, { mode: this.mode, secret_key: [...this.secretKey], dave_protocol_version: 0 });
          // The other user in the channel speaks with its own SSRC.
          send(5, { user_id: this.otherUserId, ssrc: this.otherSsrc, speaking: 1 });
          break;
        case 3: // HEARTBEAT
          send(6, { t: packet.d?.t ?? packet.d });
          break;
        case 7: // RESUME
          send(9, null);
          break;
        default:
          break;
      }
      this.wake();
    });
  }

  onDatagram(msg, rinfo) {
    const from = `${rinfo.address}:${rinfo.port}`;
    this.udpSenders.push(from);
    if (msg.length === 74 && msg.readUInt16BE(0) === 1) {
      this.discoveries.push(from);
      const answer = Buffer.alloc(74);
      answer.writeUInt16BE(2, 0);
      answer.writeUInt16BE(70, 2);
      answer.writeUInt32BE(msg.readUInt32BE(4), 4);
      answer.write(rinfo.address, 8, 'utf8');
      answer.writeUInt16BE(rinfo.port, 72);
      this.udp.send(answer, rinfo.port, rinfo.address);
    } else if (msg.length === 8) {
      this.keepAlives++;
      this.udp.send(msg, rinfo.port, rinfo.address);
    } else if (msg.length >= 12 && msg[0] >> 6 === 2 && (msg[1] & 0x7f) === OPUS_PAYLOAD_TYPE) {
      const payload = this.decrypt(msg);
      if (payload === null) {
        this.decryptFailures++;
      } else {
        this.latched = { address: rinfo.address, port: rinfo.port };
        this.frames.push({ from, sequence: msg.readUInt16BE(2), payload, at: performance.now() });
      }
    }
    this.wake();
  }

  /** aead_aes256_gcm_rtpsize: AAD is the RTP header (12 bytes, +4 with an extension), a 4-byte nonce trails. */
  decrypt(msg) {
    if (this.mode !== 'aead_aes256_gcm_rtpsize' || this.secretKey === null) return null;
    const headerSize = 12 + (msg[0] & 0x10 ? 4 : 0);
    const nonce = Buffer.alloc(12);
    msg.copy(nonce, 0, msg.length - 4);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.secretKey, nonce);
      decipher.setAAD(msg.subarray(0, headerSize));
      decipher.setAuthTag(msg.subarray(msg.length - 20, msg.length - 4));
      return Buffer.concat([decipher.update(msg.subarray(headerSize, msg.length - 20)), decipher.final()]);
    } catch {
      return null;
    }
  }

  /** Sends one encrypted audio packet of the other user to the latched address; false when nothing latched yet. */
  sendOtherUsersAudio(opus) {
    if (this.latched === null || this.secretKey === null) return false;
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = OPUS_PAYLOAD_TYPE;
    header.writeUInt16BE(this.outSequence++ & 0xffff, 2);
    header.writeUInt32BE((this.outTimestamp += 960) >>> 0, 4);
    header.writeUInt32BE(this.otherSsrc, 8);
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(++this.outNonce, 0);
    const cipher = createCipheriv('aes-256-gcm', this.secretKey, nonce);
    cipher.setAAD(header);
    const packet = Buffer.concat([header, cipher.update(opus), cipher.final(), cipher.getAuthTag(), nonce.subarray(0, 4)]);
    this.udp.send(packet, this.latched.port, this.latched.address);
    return true;
  }

  /** Resolves when predicate() holds, checked on every packet and every 50 ms; rejects after timeoutMs. */
  until(predicate, what, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        let value;
        try {
          value = predicate();
        } catch (error) {
          done();
          reject(error);
          return;
        }
        if (value) {
          done();
          resolve(value);
        }
      };
      const interval = setInterval(waiter, 50);
      const timeout = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearInterval(interval);
        clearTimeout(timeout);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter();
    });
  }

  wake() {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * The bot's side of the main Discord gateway, as @discordjs/voice's adapter sees it: a join request answered with
 * VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE naming the given fake voice server. `serverChange(server)` sends a
 * new VOICE_SERVER_UPDATE, as Discord does when it moves a call to another voice server.
 */
export class FakeGateway {
  constructor(server) {
    this.server = server;
    this.methods = null;
    this.joins = 0;
    this.leaves = 0;
    this.guildId = '111111111111111111';
    this.userId = '333333333333333333';
    this.channelId = '444444444444444444';
    this.adapterCreator = (methods) => {
      this.methods = methods;
      return {
        sendPayload: (payload) => {
          if (payload?.op !== 4) return true;
          if (payload.d.channel_id === null) {
            this.leaves++;
            return true;
          }
          this.joins++;
          setImmediate(() => {
            methods.onVoiceStateUpdate({
              guild_id: this.guildId,
              channel_id: payload.d.channel_id,
              user_id: this.userId,
              session_id: `session-${this.joins}`,
              deaf: false,
              mute: false,
              self_deaf: payload.d.self_deaf,
              self_mute: payload.d.self_mute,
              self_video: false,
              suppress: false,
              request_to_speak_timestamp: null,
            });
            this.sendServerUpdate();
          });
          return true;
        },
        destroy: () => {
          this.methods = null;
        },
      };
    };
  }

  sendServerUpdate() {
    this.methods?.onVoiceServerUpdate({ token: 'voice-token', guild_id: this.guildId, endpoint: this.server.endpoint });
  }

  serverChange(server) {
    this.server = server;
    this.sendServerUpdate();
  }

  joinConfig() {
    return {
      channelId: this.channelId,
      guildId: this.guildId,
      adapterCreator: this.adapterCreator,
      daveEncryption: false,
      selfDeaf: false,
    };
  }
}
