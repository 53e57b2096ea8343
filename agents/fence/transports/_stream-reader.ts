// Exact-length reads from a socket, each with its own phase and time limit,
// so a stalled daemon costs at most one timeout per phase and the error
// says which phase stalled. Internal to the stream transports.
import type { Socket } from 'node:net';
import { FenceAbortedError, PeerTimeoutError, ShortReadError, type FencePhase } from '../errors.js';

export interface ReadFailureHints {
  /** Replaces the generic short-read error (the peer closed or reset after `received` bytes). */
  readonly onClose?: (received: number, expected: number) => Error;
  readonly timeoutHint?: string;
}

export class StreamReader {
  readonly #socket: Socket;
  readonly #peer: string;
  #chunks: Buffer[] = [];
  #length = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(socket: Socket, peer: string) {
    this.#socket = socket;
    this.#peer = peer;
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#wake?.();
    });
    // A reset (the daemon closing with our bytes unread) is a close too; the
    // phase, not the errno, tells the operator what went wrong.
    const closed = (): void => {
      this.#closed = true;
      this.#wake?.();
    };
    socket.on('end', closed);
    socket.on('error', closed);
    socket.on('close', closed);
  }

  /** Resolves with exactly `n` bytes, or throws a phase-named timeout, short-read or abort error. */
  read(n: number, phase: FencePhase, timeoutMs: number, signal?: AbortSignal, hints: ReadFailureHints = {}): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#wake = undefined;
        if (err) {
          this.#socket.destroy();
          reject(err);
        } else resolve(this.#take(n));
      };
      const check = (): void => {
        if (this.#length >= n) finish();
        else if (this.#closed) {
          finish(hints.onClose?.(this.#length, n) ?? new ShortReadError(this.#peer, phase, n, this.#length));
        }
      };
      const onAbort = (): void => finish(new FenceAbortedError(this.#peer, phase, { cause: signal?.reason }));
      if (signal?.aborted) return onAbort();
      timer = setTimeout(() => finish(new PeerTimeoutError(this.#peer, phase, timeoutMs, hints.timeoutHint)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = check;
      check();
    });
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length ? [rest] : [];
    this.#length = rest.length;
    return out;
  }
}
