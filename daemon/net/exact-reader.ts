// Reads exact byte counts from a stream socket, each read with its own
// deadline, so one stalled peer times out alone (fence_virtd's select loop
// lets it stall everyone).
import type { Socket } from 'node:net';
import { PeerTimeoutError, PalisadeError, type PeerPhase } from '../errors.js';

export class PeerClosedError extends PalisadeError {
  readonly phase: PeerPhase;
  readonly got: number;
  constructor(peer: string, phase: PeerPhase, got: number, wanted: number) {
    super('PAL_ERR_LISTENER', `${peer}: connection closed during ${phase} after ${got} of ${wanted} bytes`);
    this.phase = phase;
    this.got = got;
  }
}

export class ExactReader {
  readonly #sock: Socket;
  readonly #peer: string;
  #buf: Buffer = Buffer.alloc(0);
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(sock: Socket, peer: string) {
    this.#sock = sock;
    this.#peer = peer;
    sock.on('data', (d: Buffer) => { this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d; this.#wake?.(); });
    sock.on('end', () => { this.#ended = true; this.#wake?.(); });
    sock.on('close', () => { this.#ended = true; this.#wake?.(); });
    sock.on('error', (e) => { this.#error = e; this.#wake?.(); });
  }

  /** Bytes received but not yet consumed (e.g. a client that sent too much). */
  get pending(): number {
    return this.#buf.length;
  }

  async read(n: number, phase: PeerPhase, ms: number): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    while (this.#buf.length < n) {
      if (this.#error) throw this.#error;
      if (this.#ended) throw new PeerClosedError(this.#peer, phase, this.#buf.length, n);
      const left = deadline - Date.now();
      if (left <= 0) throw new PeerTimeoutError(phase, ms, this.#peer);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(t); resolve(); };
      });
      this.#wake = undefined;
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return new Uint8Array(out);
  }
}
