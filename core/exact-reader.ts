// Exact-length reads from a byte stream (a TCP socket or a serial port),
// each with its own phase and time limit, so a stalled peer costs at most
// one timeout per phase, times out alone (fence_virtd's select loop lets it
// stall everyone), and the error says which phase stalled. A failed read
// destroys the stream. Used by the daemon's listeners and the agent's
// stream transports.
import type { Duplex } from 'node:stream';
import { AbortedError, PeerTimeoutError, ShortReadError, type PeerPhase } from './errors.js';

export interface ReadFailureHints {
  /** Replaces the generic short-read error (the peer closed or reset after `received` bytes). */
  readonly onClose?: (received: number, expected: number) => Error;
  readonly timeoutHint?: string;
}

export class ExactReader {
  readonly #socket: Duplex;
  readonly #peer: string;
  #chunks: Buffer[] = [];
  #length = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(socket: Duplex, peer: string) {
    this.#socket = socket;
    this.#peer = peer;
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#wake?.();
    });
    // A reset (the peer closing with our bytes unread) is a close too; the
    // phase, not the errno, tells the operator what went wrong.
    const closed = (): void => {
      this.#closed = true;
      this.#wake?.();
    };
    socket.on('end', closed);
    socket.on('error', closed);
    socket.on('close', closed);
  }

  /**
   * Resolves with exactly `n` bytes, or throws a phase-named timeout,
   * short-read or abort error. The bytes are a copy the caller may change.
   */
  read(n: number, phase: PeerPhase, timeoutMs: number, signal?: AbortSignal, hints: ReadFailureHints = {}): Promise<Buffer> {
    return this.#wait(() => (this.#length >= n ? Buffer.from(this.#take(n)) : undefined), n, phase, timeoutMs, signal, hints);
  }

  /**
   * Discards bytes up to and including the first occurrence of `pattern`
   * (line noise before a serial frame) and resolves with how many bytes
   * came before it. Only the tail that could still start a match is kept.
   */
  skipPast(pattern: Uint8Array, phase: PeerPhase, timeoutMs: number, signal?: AbortSignal, hints: ReadFailureHints = {}): Promise<number> {
    let skipped = 0;
    const find = (): number | undefined => {
      if (this.#length === 0) return undefined;
      const all = this.#take(this.#length);
      const at = all.indexOf(pattern);
      if (at >= 0) {
        this.#unshift(all.subarray(at + pattern.length));
        return skipped + at;
      }
      const keep = Math.min(all.length, pattern.length - 1);
      skipped += all.length - keep;
      this.#unshift(all.subarray(all.length - keep));
      return undefined;
    };
    return this.#wait(find, pattern.length, phase, timeoutMs, signal, hints);
  }

  #wait<T>(
    attempt: () => T | undefined, n: number, phase: PeerPhase, timeoutMs: number, signal: AbortSignal | undefined, hints: ReadFailureHints,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (err: Error | undefined, value?: T): void => {
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#wake = undefined;
        if (err) {
          this.#socket.destroy();
          reject(err);
        } else resolve(value as T);
      };
      const check = (): void => {
        if (done) return;
        const value = attempt();
        if (value !== undefined) finish(undefined, value);
        else if (this.#closed) {
          finish(hints.onClose?.(this.#length, n) ?? new ShortReadError({ peer: this.#peer, phase, expected: n, received: this.#length }));
        }
      };
      const onAbort = (): void => finish(new AbortedError(this.#peer, phase, { cause: signal?.reason }));
      if (signal?.aborted) return onAbort();
      timer = setTimeout(() => finish(new PeerTimeoutError({ peer: this.#peer, phase, ms: timeoutMs, hint: hints.timeoutHint })), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = check;
      check();
    });
  }

  #unshift(rest: Buffer): void {
    if (rest.length === 0) return;
    this.#chunks.unshift(rest);
    this.#length += rest.length;
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
