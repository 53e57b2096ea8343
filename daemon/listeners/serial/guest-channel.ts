// One guest's socket: we connect as the client (QEMU listens), read serial
// requests, and answer them in order. The ACL source is the domain's UUID.
// A peer can hurt only its own channel: a partial frame is dropped after
// SERIAL_TIMEOUTS.partialFrame, a reply the peer does not take closes the
// channel after SERIAL_TIMEOUTS.write, and requests beyond MAX_QUEUED
// waiting ones are dropped. Different channels are served concurrently.
import { connect, type Socket } from 'node:net';
import { HOST_RECORD_SIZE, Result } from '../../../protocol/constants.js';
import { makeRequest } from '../../../protocol/fence-req.js';
import { encodeHostRecord } from '../../../protocol/host-list.js';
import { encodeSerialResponse, type SerialRequest } from '../../../protocol/serial.js';
import type { Peer, Reply, Service } from '../../dispatch.js';
import { PeerTimeoutError } from '../../errors.js';
import type { LogFn } from '../../log.js';
import type { DomainScope } from '../../acl.js';
import { SerialFramer } from './framer.js';

export const SERIAL_TIMEOUTS = {
  /** fence_virtd's non-blocking connect waits 3 s. */
  connect: 3_000,
  /** fence_virtd gives a frame 1 s to arrive. */
  partialFrame: 1_000,
  /** A reply the guest does not take within this closes the channel. */
  write: 10_000,
} as const;
/** Requests waiting behind the one being served; more are dropped (fence_virt sends one at a time). */
export const MAX_QUEUED = 16;

export interface GuestIdentity {
  readonly name: string;
  readonly uuid: string;
}

export interface ChannelContext {
  readonly listener: string;
  readonly log: LogFn;
  readonly service: Service;
  readonly scope: DomainScope | undefined;
  /** Aborted when the listener has finished draining: in-flight operations stop. */
  readonly signal: AbortSignal;
}

/** Connects to `path`; rejects with the errno error, or PeerTimeoutError after SERIAL_TIMEOUTS.connect. */
export function connectGuest(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new PeerTimeoutError({ peer: path, phase: 'connect', ms: SERIAL_TIMEOUTS.connect }));
    }, SERIAL_TIMEOUTS.connect);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export class GuestChannel {
  readonly path: string;
  readonly guest: GuestIdentity;
  /** Resolves once the socket is closed, by either side. */
  readonly closed: Promise<void>;
  readonly #sock: Socket;
  readonly #ctx: ChannelContext;
  readonly #peer: Peer;
  readonly #framer = new SerialFramer();
  readonly #queue: SerialRequest[] = [];
  #busy: Promise<void> | undefined;
  #partialTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #warnedSkip = false;
  #warnedFlood = false;

  constructor(sock: Socket, path: string, guest: GuestIdentity, ctx: ChannelContext) {
    this.#sock = sock;
    this.path = path;
    this.guest = guest;
    this.#ctx = ctx;
    this.#peer = {
      listener: ctx.listener, source: guest.uuid, address: `domain ${guest.name} (${path})`,
      ...(ctx.scope ? { scope: ctx.scope } : {}),
    };
    this.closed = new Promise((resolve) => sock.once('close', () => resolve()));
    sock.on('data', (d: Buffer) => this.#onData(d));
    sock.on('error', (e) => ctx.log('info', `${ctx.listener} ${this.#peer.address}: ${e.message}`));
    sock.once('close', () => {
      this.#closing = true;
      this.#queue.length = 0;
      clearTimeout(this.#partialTimer);
    });
  }

  get description(): string {
    return this.#peer.address;
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    const { requests, skipped, rejected } = this.#framer.push(chunk);
    if (skipped > 0 && !this.#warnedSkip) {
      this.#warnedSkip = true;
      this.#ctx.log('warn', `${this.#ctx.listener} ${this.#peer.address}: skipped ${skipped} bytes that are not a serial request${rejected ? ` (${rejected})` : ''}; resynchronising on the magic "abba" (logged once per connection)`);
    }
    for (const r of requests) {
      if (this.#queue.length >= MAX_QUEUED) {
        if (!this.#warnedFlood) {
          this.#warnedFlood = true;
          this.#ctx.log('warn', `${this.#ctx.listener} ${this.#peer.address}: more than ${MAX_QUEUED} requests waiting; dropping the excess (logged once per connection)`);
        }
        continue;
      }
      this.#queue.push(r);
    }
    this.#armPartialTimer(requests.length > 0);
    if (!this.#busy && this.#queue.length > 0) {
      this.#busy = this.#drainQueue().finally(() => { this.#busy = undefined; });
    }
  }

  /** A partial frame gets SERIAL_TIMEOUTS.partialFrame from its first byte; a completed frame restarts the clock for the next. */
  #armPartialTimer(frameCompleted: boolean): void {
    if (this.#framer.pending === 0) {
      clearTimeout(this.#partialTimer);
      this.#partialTimer = undefined;
      return;
    }
    if (this.#partialTimer && !frameCompleted) return;
    clearTimeout(this.#partialTimer);
    this.#partialTimer = setTimeout(() => {
      this.#partialTimer = undefined;
      const n = this.#framer.discard();
      if (n > 0) this.#ctx.log('warn', `${this.#ctx.listener} ${this.#peer.address}: discarded ${n} bytes of an incomplete request (no more within ${SERIAL_TIMEOUTS.partialFrame} ms)`);
    }, SERIAL_TIMEOUTS.partialFrame);
  }

  async #drainQueue(): Promise<void> {
    for (let r = this.#queue.shift(); r && !this.#closing; r = this.#queue.shift()) {
      await this.#serve(r);
    }
  }

  async #serve(r: SerialRequest): Promise<void> {
    const req = makeRequest({ request: r.request, flags: r.flags, domain: r.domain, seqno: r.seqno });
    let bytes: Uint8Array | undefined;
    try {
      bytes = encodeReply(await this.#ctx.service.handle(req, this.#peer, this.#ctx.signal));
    } catch (e) {
      this.#ctx.log('error', `${this.#ctx.listener} ${this.#peer.address}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      bytes = encodeSerialResponse({ response: Result.FAIL });
    }
    if (bytes && !this.#closing) await this.#write(bytes);
  }

  #write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#ctx.log('warn', `${this.#ctx.listener} ${this.#peer.address}: the guest did not take a reply within ${SERIAL_TIMEOUTS.write} ms; closing the channel (reconnected on the next poll)`);
        this.#sock.destroy();
        resolve();
      }, SERIAL_TIMEOUTS.write);
      this.#sock.write(bytes, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops taking requests; the one being served may finish (the caller bounds the wait). */
  stopIntake(): void {
    this.#closing = true;
    this.#queue.length = 0;
    clearTimeout(this.#partialTimer);
    this.#sock.pause();
  }

  /** The request being served, if any. */
  get inflight(): Promise<void> {
    return this.#busy ?? Promise.resolve();
  }

  destroy(): void {
    this.stopIntake();
    this.#sock.destroy();
  }
}

/** Serial form of a reply: 5-byte response; a host list is framed by two responses; a dropped duplicate gets nothing. */
export function encodeReply(reply: Reply): Uint8Array | undefined {
  switch (reply.kind) {
    case 'drop':
      return undefined;
    case 'result':
      return encodeSerialResponse({ response: reply.result & 0xff });
    case 'hostlist': {
      const head = encodeSerialResponse({ response: Result.HOSTLIST });
      const tail = encodeSerialResponse({ response: Result.SUCCESS });
      const out = new Uint8Array(head.length + (reply.hosts.length + 1) * HOST_RECORD_SIZE + tail.length);
      out.set(head);
      reply.hosts.forEach((h, i) => out.set(encodeHostRecord(h), head.length + i * HOST_RECORD_SIZE));
      // The terminator record is already zero.
      out.set(tail, out.length - tail.length);
      return out;
    }
  }
}
