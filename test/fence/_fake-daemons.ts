// Tiny scripted daemons for the client's transports, speaking the protocol
// with protocol/ functions: a multicast daemon (UDP request in, TCP
// callback out, legacy or hmac-sha256 exchange), a UDP hub standing in for
// a multicast group (every datagram to every daemon behind it), and an
// hmac-sha256 TCP daemon. Each closes everything it opened in close().
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { CHALLENGE_SIZE, HashType, Result } from '../../protocol/constants.js';
import { decodeRequest, verifyRequest, type FenceRequest } from '../../protocol/fence-req.js';
import { encodeHostList, type HostRecord } from '../../protocol/host-list.js';
import {
  NONCE_SIZE, TAG_SIZE, daemonHello, hmacKeys, resultTag, verifyClientProof, verifySealedRequest,
} from '../../protocol/hmac-auth.js';
import { challengeResponse, verifyChallengeResponse } from '../../protocol/legacy-auth.js';
import { PeerClosedError, PeerConn, startScriptedPeer, type ScriptedPeer } from './_scripted-peer.js';

/** What a daemon answers: a result byte, or a host list. */
export type FakeAnswer = number | readonly HostRecord[];

export function answerBytes(a: FakeAnswer): Uint8Array {
  return typeof a === 'number' ? Uint8Array.of(a) : encodeHostList(a, Result.SUCCESS);
}

export interface FakeMulticastOptions {
  readonly key: Uint8Array;
  readonly mode?: 'legacy' | 'hmac';
  readonly answer: (req: FenceRequest) => FakeAnswer;
  /** Wait this long before calling back. */
  readonly delayMs?: number;
  /** Bind this UDP port (default: any) on 127.0.0.1. */
  readonly port?: number;
  /** Call back whatever the request's signature (an impostor without our key). */
  readonly acceptAny?: boolean;
  /** Change the answer bytes on the way (an hmac-sha256 tag still covers the true answer). */
  readonly tamper?: (body: Uint8Array) => Uint8Array;
}

export interface FakeMulticastDaemon {
  readonly port: number;
  /** Requests received and verified. */
  readonly requests: FenceRequest[];
  /** Callbacks this daemon completed. */
  readonly served: number;
  /** Stops the daemon; rejects with the first error of a callback exchange (other than the client hanging up). */
  close(): Promise<void>;
}

/** Like fence_virtd's multicast listener: verify, connect back to the request's address:port, response then challenge, answer. */
export async function startFakeMulticastDaemon(o: FakeMulticastOptions): Promise<FakeMulticastDaemon> {
  const udp = createSocket('udp4');
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: FenceRequest[] = [];
  const keys = hmacKeys(o.key);
  const seen = new Set<number>();
  const errors: unknown[] = [];
  let served = 0;
  udp.on('message', (msg) => {
    const bytes = new Uint8Array(msg);
    const valid = o.mode === 'hmac' ? verifySealedRequest(keys, bytes) : verifyRequest(decodeRequest(bytes), HashType.SHA256, o.key).ok;
    if (!valid && !o.acceptAny) return;
    const req = decodeRequest(bytes);
    // fence_virtd's history: one answer per seqno.
    if (seen.has(req.seqno)) return;
    seen.add(req.seqno);
    requests.push(req);
    const t = setTimeout(() => {
      timers.delete(t);
      const host = req.family === 10 ? ipv6Text(req.address.subarray(0, 16)) : Array.from(req.address.subarray(0, 4)).join('.');
      const s = connect({ host, port: req.port });
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      s.once('connect', () => {
        const c = new PeerConn(s);
        const body = answerBytes(o.answer(req));
        const sent = o.tamper ? o.tamper(body.slice()) : body;
        const run = o.mode === 'hmac' ? serveHmac(c, keys, bytes, sent, body) : serveLegacy(c, o.key, sent);
        run.then(() => { served++; }, (e: unknown) => { if (!(e instanceof PeerClosedError)) errors.push(e); }).finally(() => s.end());
      });
    }, o.delayMs ?? 0);
    timers.add(t);
  });
  await new Promise<void>((r) => udp.bind({ address: '127.0.0.1', port: o.port ?? 0 }, r));
  return {
    port: udp.address().port,
    requests,
    get served() { return served; },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => udp.close(() => r()));
      if (errors.length > 0) throw errors[0];
    },
  };
}

async function serveLegacy(c: PeerConn, key: Uint8Array, body: Uint8Array): Promise<void> {
  c.write(challengeResponse(HashType.SHA256, key, await c.read(CHALLENGE_SIZE)));
  const mine = randomBytes(CHALLENGE_SIZE);
  c.write(mine);
  if (!verifyChallengeResponse(HashType.SHA256, key, mine, await c.read(CHALLENGE_SIZE))) throw new Error('client answer wrong');
  c.write(body);
}

/** The daemon side of hmac-auth.md after the request: hello, proof check, body and tag. */
export async function serveHmac(c: PeerConn, keys: ReturnType<typeof hmacKeys>, request: Uint8Array, body: Uint8Array,
  tagBody: Uint8Array = body): Promise<void> {
  const nonce = randomBytes(NONCE_SIZE);
  c.write(daemonHello(keys, request, nonce));
  if (!verifyClientProof(keys, request, nonce, await c.read(TAG_SIZE))) throw new Error('client proof wrong');
  c.write(body);
  c.write(resultTag(keys, request, nonce, tagBody));
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

/** A stand-in for a multicast group on loopback: each datagram to `port` is copied to every daemon port. */
export async function startUdpHub(port: number, daemonPorts: () => readonly number[]): Promise<{ close(): Promise<void> }> {
  const hub: UdpSocket = createSocket('udp4');
  const out: UdpSocket = createSocket('udp4');
  hub.on('message', (msg) => {
    for (const p of daemonPorts()) out.send(msg, p, '127.0.0.1');
  });
  await new Promise<void>((r) => hub.bind({ address: '127.0.0.1', port }, r));
  return {
    close: async () => {
      await new Promise<void>((r) => hub.close(() => r()));
      await new Promise<void>((r) => out.close(() => r()));
    },
  };
}

export interface HmacTcpOptions {
  readonly key: Uint8Array;
  readonly answer: (req: FenceRequest) => FakeAnswer;
  /** Bytes actually sent; the tag still covers the true answer (tampering on the way). */
  readonly tamper?: (body: Uint8Array) => Uint8Array;
  /** Sign the hello with this key instead (a daemon with another key). */
  readonly helloKey?: Uint8Array;
}

/** An hmac-sha256 TCP daemon (what a palisaded listener with auth = "hmac-sha256" does). */
export function startHmacTcpDaemon(o: HmacTcpOptions): Promise<ScriptedPeer> {
  const keys = hmacKeys(o.key);
  return startScriptedPeer(async (c) => {
    const request = new Uint8Array(await c.read(176));
    if (!verifySealedRequest(keys, request)) {
      c.socket.destroy();
      return;
    }
    const body = answerBytes(o.answer(decodeRequest(request)));
    const sent = o.tamper ? o.tamper(body.slice()) : body;
    if (o.helloKey) {
      c.write(daemonHello(hmacKeys(o.helloKey), request, randomBytes(NONCE_SIZE)));
      await c.read(TAG_SIZE);
    } else {
      await serveHmac(c, keys, request, sent, body);
    }
    c.socket.end();
  });
}
