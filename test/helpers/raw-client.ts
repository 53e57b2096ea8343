// A protocol-level TCP client for daemon tests: speaks the fence_virt
// exchange from protocol/ so tests can send exactly the bytes they want.
import { connect, type Socket } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { CHALLENGE_SIZE, HashType, HOST_RECORD_SIZE, Result, type HashTypeValue } from '../../protocol/constants.js';
import { encodeRequest, makeRequest, signRequest, type FenceRequest } from '../../protocol/fence-req.js';
import { challengeResponse, verifyChallengeResponse } from '../../protocol/legacy-auth.js';
import { decodeHostRecord, isTerminator, type HostRecord } from '../../protocol/host-list.js';

export interface ExchangeOptions {
  host?: string;
  port: number;
  key: Uint8Array;
  hash?: HashTypeValue;
  auth?: HashTypeValue;
  request: number;
  domain?: string;
  seqno?: number;
  timeoutMs?: number;
  /** Sign with this key instead of `key` (wrong-key tests). */
  signKey?: Uint8Array;
}

export interface ExchangeResult {
  result: number | undefined;
  hosts?: HostRecord[];
  closedEarly: boolean;
  serverAuthOk?: boolean;
}

class Reader {
  buf = Buffer.alloc(0);
  ended = false;
  wake: (() => void) | undefined;
  constructor(s: Socket) {
    s.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake?.(); });
    s.on('close', () => { this.ended = true; this.wake?.(); });
    s.on('error', () => { this.ended = true; this.wake?.(); });
  }
  async read(n: number, ms: number): Promise<Buffer | undefined> {
    const deadline = Date.now() + ms;
    while (this.buf.length < n) {
      if (this.ended || Date.now() > deadline) return undefined;
      await new Promise<void>((r) => { const t = setTimeout(r, Math.max(1, deadline - Date.now())); this.wake = () => { clearTimeout(t); r(); }; });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export function open(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ host, port });
    s.once('connect', () => res(s));
    s.once('error', rej);
  });
}

export function buildRequest(o: ExchangeOptions): FenceRequest {
  return signRequest(makeRequest({
    request: o.request, hashType: o.hash ?? HashType.SHA256, domain: o.domain ?? '', seqno: o.seqno ?? randomInt(0, 2 ** 32 - 1),
  }), o.signKey ?? o.key, new Uint8Array(randomBytes(6)));
}

export async function exchange(o: ExchangeOptions): Promise<ExchangeResult> {
  const s = await open(o.port, o.host);
  const r = new Reader(s);
  // Generous: the wait ends when the daemon answers or closes; only a loaded machine comes near it.
  const ms = o.timeoutMs ?? 20_000;
  const auth = o.auth ?? HashType.SHA256;
  try {
    s.write(encodeRequest(buildRequest(o)));
    let serverAuthOk: boolean | undefined;
    if (auth !== HashType.NONE) {
      const mine = randomBytes(CHALLENGE_SIZE);
      s.write(mine);
      const resp = await r.read(CHALLENGE_SIZE, ms);
      if (!resp) return { result: undefined, closedEarly: true };
      serverAuthOk = verifyChallengeResponse(auth, o.key, mine, resp);
      const theirs = await r.read(CHALLENGE_SIZE, ms);
      if (!theirs) return { result: undefined, closedEarly: true, serverAuthOk };
      s.write(challengeResponse(auth, o.key, theirs));
    }
    const first = await r.read(1, ms);
    if (!first) return { result: undefined, closedEarly: true, ...(serverAuthOk !== undefined ? { serverAuthOk } : {}) };
    if (first[0] !== Result.HOSTLIST) return { result: first[0], closedEarly: false, ...(serverAuthOk !== undefined ? { serverAuthOk } : {}) };
    const hosts: HostRecord[] = [];
    for (;;) {
      const rec = await r.read(HOST_RECORD_SIZE, ms);
      if (!rec) return { result: undefined, hosts, closedEarly: true };
      const h = decodeHostRecord(new Uint8Array(rec));
      if (isTerminator(h)) break;
      hosts.push(h);
    }
    const trailer = await r.read(1, ms);
    return { result: trailer?.[0], hosts, closedEarly: false };
  } finally {
    s.destroy();
  }
}

/** Sends raw bytes, then waits for the server to answer or close. */
export async function sendRaw(port: number, bytes: Uint8Array, waitMs = 3_000, host = '127.0.0.1'): Promise<{ received: Buffer; closed: boolean }> {
  const s = await open(port, host);
  const r = new Reader(s);
  s.write(bytes);
  const deadline = Date.now() + waitMs;
  while (!r.ended && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  s.destroy();
  return { received: r.buf, closed: r.ended };
}
