// A scriptable fence-virt daemon on 127.0.0.1 for the phases a real
// fence_virtd will not misbehave in on demand: stalls, short replies, a
// wrong challenge answer, host lists with garbage in the padding. It speaks
// the protocol with the lead's protocol/ functions.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { CHALLENGE_SIZE, HashType, REQUEST_SIZE, type HashTypeValue } from '../../protocol/constants.js';
import { decodeRequest, verifyRequest, type FenceRequest } from '../../protocol/fence-req.js';
import { challengeResponse, verifyChallengeResponse } from '../../protocol/legacy-auth.js';

export class PeerConn {
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #ended = false;
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.#buf = Buffer.concat([this.#buf, d]); this.#wake(); });
    socket.on('end', () => { this.#ended = true; this.#wake(); });
    socket.on('error', () => { this.#ended = true; this.#wake(); });
  }
  #wake(): void { for (const w of this.#waiters.splice(0)) w(); }
  async read(n: number): Promise<Buffer> {
    while (this.#buf.length < n) {
      if (this.#ended) throw new Error(`peer closed after ${this.#buf.length} of ${n} bytes`);
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
  close(): Promise<void>;
}

/** Every connection runs `script`; errors in it just end that connection. */
export async function startScriptedPeer(script: (c: PeerConn) => Promise<void>): Promise<ScriptedPeer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    script(new PeerConn(s)).catch(() => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const peer: ScriptedPeer = {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
  return peer;
}
