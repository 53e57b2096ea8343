// An in-process fence_xvm for daemon tests: listens on a TCP port, sends a
// signed request by unicast UDP to a multicast listener (the daemon binds
// the wildcard address, so no multicast routing is needed), accepts the
// callback and runs the client side of the legacy or hmac-sha256 exchange.
// It can also misbehave on the callback, retransmit the same seqno, and
// replay recorded bytes. The stream halves (`legacyClientSide`,
// `hmacClientSide`) also serve the TCP tests.
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { randomBytes, randomInt } from 'node:crypto';
import {
  AF_INET, AF_INET6, CHALLENGE_SIZE, HashType, HOST_RECORD_SIZE, Result, type HashTypeValue,
} from '../../protocol/constants.js';
import { encodeRequest, makeRequest, signRequest, type FenceRequest } from '../../protocol/fence-req.js';
import { challengeResponse, verifyChallengeResponse } from '../../protocol/legacy-auth.js';
import { decodeHostRecord, isTerminator, type HostRecord } from '../../protocol/host-list.js';
import {
  HELLO_SIZE, NONCE_SIZE, TAG_SIZE, clientProof, hmacKeys, openDaemonHello, sealRequest, verifyResultTag,
} from '../../protocol/hmac-auth.js';
import { FENCE_VIRT_MODULES, DEMO_DOMAINS, freePort, type RunningDaemon, type Workspace } from './fence-daemons.js';

export type AuthMode = 'legacy' | 'hmac-sha256';

/**
 * What the client does when the daemon calls back:
 * - never-accept: nothing listens on the advertised port (the connect is refused);
 * - silent: accept and say nothing, holding the connection until the wait ends;
 * - garbage: accept and send random bytes;
 * - close-early: accept and close at once;
 * - half-close: accept and shut down our sending side, then wait.
 */
export type Misbehaviour = 'never-accept' | 'silent' | 'garbage' | 'close-early' | 'half-close';

export interface McastOptions {
  /** The daemon's UDP port. */
  port: number;
  /** Where to send the datagram and listen for the callback: 127.0.0.1 (default) or ::1. */
  host?: '127.0.0.1' | '::1';
  /** IPv4 only: send to this multicast group over the loopback interface instead of unicast to `host`. */
  group?: string;
  key: Uint8Array;
  mode?: AuthMode;
  /** Legacy: request hash (default sha256). */
  hash?: HashTypeValue;
  /** Legacy: challenge-response hash (default sha256). */
  auth?: HashTypeValue;
  /** Sign with this key instead of `key` (wrong-key tests). */
  signKey?: Uint8Array;
  request: number;
  domain?: string;
  seqno?: number;
  /** TCP port to listen on for the callback; default: a free one. */
  callbackPort?: number;
  misbehave?: Misbehaviour;
  /** Called when the daemon's first callback connection arrives (a test waits for this event, not for a time). */
  onCallback?: () => void;
  /** Datagrams to send, same seqno, each freshly signed as fence_xvm does (default 1). */
  sends?: number;
  /** Interval between them (default 300 ms). */
  resendMs?: number;
  /** After accepting, wait this long before answering (to keep a callback in flight). */
  holdMs?: number;
  /** How long to wait for a callback, and how long a misbehaving callback is held (default 5 s). */
  waitMs?: number;
  /** After a completed exchange, keep counting connections this long (default 0). */
  lingerMs?: number;
  /** Per-read limit during the exchange (default 15 s). */
  ioTimeoutMs?: number;
  /** Send these 176 bytes instead of building a request (replays). */
  raw?: Uint8Array;
  /** hmac-sha256: send this proof instead of computing one (replays). */
  proof?: Uint8Array;
}

export interface ExchangeOutcome {
  /** The result byte, or the trailer of a host list; undefined if the daemon closed first. */
  result?: number;
  hosts?: HostRecord[];
  /** The daemon closed (or stalled) before the whole answer arrived. */
  closedEarly: boolean;
  /** Legacy: the daemon answered our challenge correctly. hmac: its hello verified. */
  serverAuthOk?: boolean;
  /** hmac: the result tag verified. */
  tagOk?: boolean;
  /** hmac: the proof sent. */
  proof?: Uint8Array;
}

export interface McastResult extends ExchangeOutcome {
  /** Callback connections accepted. */
  callbacks: number;
  /** The request the daemon answered (hmac), else the last datagram sent. */
  request: Uint8Array;
  /** The port the request named for the callback. */
  callbackPort: number;
}

/** Reads exact byte counts with a deadline; undefined on EOF or timeout. */
export class StreamReader {
  #buf = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;
  constructor(s: Socket) {
    s.on('data', (d: Buffer) => { this.#buf = Buffer.concat([this.#buf, d]); this.#wake?.(); });
    s.on('end', () => { this.#ended = true; this.#wake?.(); });
    s.on('close', () => { this.#ended = true; this.#wake?.(); });
    s.on('error', () => { this.#ended = true; this.#wake?.(); });
  }
  get ended(): boolean { return this.#ended; }
  async read(n: number, ms: number): Promise<Uint8Array | undefined> {
    const deadline = Date.now() + ms;
    while (this.#buf.length < n) {
      if (this.#ended || Date.now() >= deadline) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.#wake = () => { clearTimeout(t); r(); };
      });
      this.#wake = undefined;
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return new Uint8Array(out);
  }
  /** Waits until the peer closes (true) or `ms` pass (false). */
  async closed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#ended && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.#wake = () => { clearTimeout(t); r(); };
      });
      this.#wake = undefined;
    }
    return this.#ended;
  }
}

/** The request as fence_xvm builds it: callback address, family and port set. */
export function mcastRequest(o: Pick<McastOptions, 'request' | 'domain' | 'seqno' | 'hash'> & { host: string; callbackPort: number }): FenceRequest {
  const v6 = o.host.includes(':');
  const address = v6 ? Uint8Array.of(...new Array(15).fill(0), 1) : Uint8Array.of(127, 0, 0, 1);
  return makeRequest({
    request: o.request, domain: o.domain ?? '', seqno: o.seqno ?? randomInt(0, 1_000_000),
    hashType: o.hash ?? HashType.SHA256, address, addrLen: v6 ? 16 : 4, family: v6 ? AF_INET6 : AF_INET, port: o.callbackPort,
  });
}

/** The 176 bytes of one (re)transmission: a fresh random (legacy) or client nonce (hmac) each time. */
export function requestBytes(req: FenceRequest, mode: AuthMode, key: Uint8Array): Uint8Array {
  if (mode === 'hmac-sha256') return sealRequest(hmacKeys(key), req, new Uint8Array(randomBytes(NONCE_SIZE)));
  return encodeRequest(signRequest(req, key, new Uint8Array(randomBytes(6))));
}

/** The answer after authentication: one byte, or a host list with its trailer. `raw` collects every byte read. */
async function readAnswer(r: StreamReader, ms: number, raw: Uint8Array[]): Promise<ExchangeOutcome> {
  const first = await r.read(1, ms);
  if (!first) return { closedEarly: true };
  raw.push(first);
  if (first[0] !== Result.HOSTLIST) return { result: first[0], closedEarly: false };
  const hosts: HostRecord[] = [];
  for (;;) {
    const rec = await r.read(HOST_RECORD_SIZE, ms);
    if (!rec) return { hosts, closedEarly: true };
    raw.push(rec);
    const h = decodeHostRecord(rec);
    if (isTerminator(h)) break;
    hosts.push(h);
  }
  const trailer = await r.read(1, ms);
  if (!trailer) return { hosts, closedEarly: true };
  raw.push(trailer);
  return { result: trailer[0], hosts, closedEarly: false };
}

/** fence_xvm's side after the callback connects (client/mcast.c): our challenge, our response, the answer. */
export async function legacyClientSide(sock: Socket, r: StreamReader, key: Uint8Array, auth: HashTypeValue, ms: number): Promise<ExchangeOutcome> {
  let serverAuthOk: boolean | undefined;
  if (auth !== HashType.NONE) {
    const mine = new Uint8Array(randomBytes(CHALLENGE_SIZE));
    sock.write(mine);
    const resp = await r.read(CHALLENGE_SIZE, ms);
    if (!resp) return { closedEarly: true };
    serverAuthOk = verifyChallengeResponse(auth, key, mine, resp);
    if (!serverAuthOk) return { closedEarly: false, serverAuthOk };
    const theirs = await r.read(CHALLENGE_SIZE, ms);
    if (!theirs) return { closedEarly: true, serverAuthOk };
    sock.write(challengeResponse(auth, key, theirs));
  }
  return { ...(await readAnswer(r, ms, [])), ...(serverAuthOk !== undefined ? { serverAuthOk } : {}) };
}

/** hmac-sha256 client side (protocol/hmac-auth.md): check the hello, send the proof, check the tagged answer. */
export async function hmacClientSide(
  sock: Socket, r: StreamReader, key: Uint8Array, sent: readonly Uint8Array[], ms: number, replayProof?: Uint8Array,
): Promise<ExchangeOutcome & { request?: Uint8Array }> {
  const keys = hmacKeys(key);
  const hello = await r.read(HELLO_SIZE, ms);
  if (!hello) return { closedEarly: true };
  // Retransmissions carry fresh nonces: the hello says which one the daemon took.
  let request: Uint8Array | undefined;
  let nonce: Uint8Array | undefined;
  for (const candidate of sent) {
    nonce = openDaemonHello(keys, candidate, hello);
    if (nonce) { request = candidate; break; }
  }
  if (!nonce || !request) return { closedEarly: false, serverAuthOk: false };
  const proof = replayProof ?? clientProof(keys, request, nonce);
  sock.write(proof);
  const body: Uint8Array[] = [];
  const answer = await readAnswer(r, ms, body);
  if (answer.closedEarly) return { ...answer, serverAuthOk: true, proof, request };
  const tag = await r.read(TAG_SIZE, ms);
  const tagOk = tag !== undefined && verifyResultTag(keys, request, nonce, Buffer.concat(body), tag);
  return { ...answer, closedEarly: tag === undefined, serverAuthOk: true, tagOk, proof, request };
}

function listen(host: string, port: number): Promise<Server> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => { server.off('error', rej); res(server); });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One fence_xvm-style request against a multicast listener. Never throws for daemon behaviour; read the result. */
export async function mcastExchange(o: McastOptions): Promise<McastResult> {
  const host = o.host ?? '127.0.0.1';
  const mode = o.mode ?? 'legacy';
  // Ends at the first callback; tests expecting none pass their own waitMs.
  const waitMs = o.waitMs ?? 20_000;
  const ioMs = o.ioTimeoutMs ?? 15_000;
  const misbehave = o.misbehave;
  const server = misbehave === 'never-accept' ? undefined : await listen(host, o.callbackPort ?? 0);
  const callbackPort = server ? (server.address() as { port: number }).port : o.callbackPort ?? await freePort(host);
  const req = mcastRequest({ ...o, host, callbackPort });
  const signKey = o.signKey ?? o.key;
  const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  if (o.group) {
    // Out through lo only, as fence_xvm does per local address (IP_MULTICAST_IF): nothing leaves the host.
    await new Promise<void>((res) => udp.bind(0, '127.0.0.1', () => res()));
    udp.setMulticastInterface('127.0.0.1');
    udp.setMulticastLoopback(true);
  }
  const sockets = new Set<Socket>();
  let callbacks = 0;
  const sent: Uint8Array[] = [];
  let stopSending = false;

  let onFirst: (s: Socket) => void = () => {};
  let waitTimer: NodeJS.Timeout | undefined;
  const first = new Promise<Socket | undefined>((res) => {
    onFirst = res;
    waitTimer = setTimeout(() => res(undefined), waitMs);
  }).finally(() => clearTimeout(waitTimer));
  server?.on('connection', (s) => {
    callbacks++;
    sockets.add(s);
    s.on('error', () => {});
    if (callbacks === 1) { onFirst(s); o.onCallback?.(); }
    else s.destroy();
  });

  const sender = (async () => {
    const n = o.sends ?? 1;
    for (let i = 0; i < n && !stopSending; i++) {
      if (i > 0) await sleep(o.resendMs ?? 300);
      if (stopSending) break;
      const bytes = o.raw ?? requestBytes(req, mode, signKey);
      sent.push(bytes);
      await new Promise<void>((res) => udp.send(bytes, o.port, o.group ?? host, () => res()));
    }
  })();

  try {
    const sock = await first;
    if (!sock) {
      stopSending = true;
      await sender;
      return { callbacks, request: sent.at(-1)!, callbackPort, closedEarly: true };
    }
    const r = new StreamReader(sock);
    let outcome: ExchangeOutcome;
    switch (misbehave) {
      case 'silent':
        await r.closed(waitMs);
        outcome = { closedEarly: true };
        break;
      case 'garbage':
        sock.write(randomBytes(300));
        await r.closed(waitMs);
        outcome = { closedEarly: true };
        break;
      case 'close-early':
        sock.destroy();
        outcome = { closedEarly: true };
        break;
      case 'half-close':
        sock.end();
        await r.closed(waitMs);
        outcome = { closedEarly: true };
        break;
      default:
        if (o.holdMs) await sleep(o.holdMs);
        outcome = mode === 'hmac-sha256'
          ? await hmacClientSide(sock, r, o.key, sent, ioMs, o.proof)
          : await legacyClientSide(sock, r, o.key, o.auth ?? HashType.SHA256, ioMs);
    }
    stopSending = true;
    await sender;
    if (o.lingerMs) await sleep(o.lingerMs);
    return { callbacks, request: sent.at(-1)!, callbackPort, ...outcome };
  } finally {
    stopSending = true;
    for (const s of sockets) s.destroy();
    udp.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }
}

/** A UDP port nobody has bound on the wildcard address. */
export function freeUdpPort(type: 'udp4' | 'udp6' = 'udp4'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createSocket(type);
    s.once('error', rej);
    s.bind(0, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export interface MulticastConfOptions {
  port: number;
  keyFile: string;
  uri?: string;
  family?: 'ipv4' | 'ipv6';
  address?: string;
  /** Default lo: joining on another interface would send IGMP reports out of the host. */
  iface?: string | null;
  hash?: string;
  auth?: string;
  /** More lines inside the multicast block. */
  block?: string;
  /** Text after the listeners block (groups, more listeners). */
  extra?: string;
}

/** A fence_virt.conf with the multicast listener, read alike by palisaded and fence_virtd. */
export function multicastConf(o: MulticastConfOptions): string {
  const family = o.family ?? 'ipv4';
  const iface = o.iface === undefined ? 'lo' : o.iface;
  return `fence_virtd {
	listener = "multicast";
	backend = "libvirt";
	module_path = "${FENCE_VIRT_MODULES}";
}
listeners {
	multicast {
		key_file = "${o.keyFile}";
		address = "${o.address ?? (family === 'ipv6' ? 'ff05::3:1' : '225.0.0.12')}";
		port = "${o.port}";
		family = "${family}";
${iface ? `\t\tinterface = "${iface}";\n` : ''}${o.hash ? `\t\thash = "${o.hash}";\n` : ''}${o.auth ? `\t\tauth = "${o.auth}";\n` : ''}${o.block ?? ''}	}
}
backends {
	libvirt {
		uri = "${o.uri ?? `test://${DEMO_DOMAINS}`}";
	}
}
${o.extra ?? ''}`;
}

/** True once some socket is bound to UDP `port` (from /proc/net/udp and udp6). */
export async function udpPortBound(port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(f, 'utf8').catch(() => '');
    if (text.split('\n').slice(1).some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex.trim()))) return true;
  }
  return false;
}

/** The real fence_virtd with a multicast listener; resolves once its UDP port is bound. */
export async function startFenceVirtdMulticast(ws: Workspace, conf: string, port: number): Promise<RunningDaemon> {
  const confFile = await ws.file(`fence_virtd-mcast-${port}.conf`, conf);
  const child = ws.spawn('/usr/sbin/fence_virtd', ['-F', '-d', '1', '-f', confFile, '-p', ws.path(`fence_virtd-mcast-${port}.pid`)]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fence_virtd exited ${child.exitCode}: ${out}`);
    if (await udpPortBound(port)) break;
    if (Date.now() > deadline) throw new Error(`fence_virtd did not bind UDP ${port}: ${out}`);
    await sleep(50);
  }
  return {
    child, port, output: () => out,
    waitFor: async (re, ms = 15_000) => {
      const end = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; output so far:\n${out}`);
        await sleep(50);
      }
    },
  };
}
