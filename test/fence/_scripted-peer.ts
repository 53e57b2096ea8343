// A scriptable fence-virt daemon on 127.0.0.1 for the phases a real
// fence_virtd will not misbehave in on demand: stalls, short replies, a
// wrong challenge answer, host lists with garbage in the padding. It speaks
// the protocol with the lead's protocol/ functions.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { CHALLENGE_SIZE, HashType, REQUEST_SIZE, type HashTypeValue } from '../../protocol/constants.js';
import { decodeRequest, verifyRequest, type FenceRequest } from '../../protocol/fence-req.js';
import { challengeResponse, verifyChallengeResponse } from '../../protocol/legacy-auth.js';

/** The client hung up while the script waited for bytes: part of many scenarios, not a script failure. */
export class PeerClosedError extends Error {}

export class PeerConn {
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #ended = false;
  /** Settles when the client's connection is gone: a stalling script waits for this, not for a fixed time. */
  readonly closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.#buf = Buffer.concat([this.#buf, d]); this.#wake(); });
    socket.on('end', () => { this.#ended = true; this.#wake(); });
    socket.on('error', () => { this.#ended = true; this.#wake(); });
    this.closed = new Promise((r) => socket.once('close', () => { this.#ended = true; this.#wake(); r(); }));
  }
  #wake(): void { for (const w of this.#waiters.splice(0)) w(); }
  async read(n: number): Promise<Buffer> {
    while (this.#buf.length < n) {
      if (this.#ended) throw new PeerClosedError(`the client closed after ${this.#buf.length} of ${n} bytes`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
  write(b: Uint8Array): void { this.socket.write(b); }
  /** Reads and verifies the request, then runs both challenges like fence_virtd (response first). */
  async handshake(key: Uint8Array, auth: HashTypeValue = HashType.SHA256): Promise<FenceRequest> {
    const req = decodeRequest(await this.read(REQUEST_SIZE));
    if (!verifyRequest(req, HashType.SHA256, key).ok) throw new Error('request did not verify');
    if (auth === HashType.NONE) return req;
    this.write(challengeResponse(auth, key, await this.read(CHALLENGE_SIZE)));
    const mine = randomBytes(CHALLENGE_SIZE);
    this.write(mine);
    if (!verifyChallengeResponse(auth, key, mine, await this.read(CHALLENGE_SIZE))) throw new Error('client answer wrong');
    return req;
  }
}

export interface ScriptedPeer {
  readonly port: number;
  /** Connections whose script ran to its end. */
  readonly completed: number;
  /** Stops the peer; rejects with the first error a script threw (a failed expect() included), other than the client hanging up. */
  close(): Promise<void>;
}

/**
 * Every connection runs `script`. An error in it ends that connection and
 * is kept: close() rethrows it, so a broken script fails its test instead of
 * looking like a client-side failure.
 */
export async function startScriptedPeer(script: (c: PeerConn) => Promise<void>): Promise<ScriptedPeer> {
  const sockets = new Set<Socket>();
  const running = new Set<Promise<void>>();
  const errors: unknown[] = [];
  let completed = 0;
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    const run = script(new PeerConn(s)).then(
      () => { completed++; },
      (e: unknown) => {
        if (!(e instanceof PeerClosedError)) errors.push(e);
        s.destroy();
      },
    );
    running.add(run);
    void run.finally(() => running.delete(run));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    get completed() { return completed; },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all(running);
      if (errors.length > 0) throw errors[0];
    },
  };
}
