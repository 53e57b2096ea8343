// TCP listener (fence_virt -T): one connection per request, served
// concurrently, each phase with its own deadline.
//   C->S request(176)  C->S challenge(64)  S->C response(64)
//   S->C challenge(64) C->S response(64)   S->C result(1 | host list)
import { createServer, isIPv4, isIPv6, type Server, type Socket } from 'node:net';
import { REQUEST_SIZE } from '../../../protocol/constants.js';
import { decodeRequest } from '../../../protocol/fence-req.js';
import { ProtocolError } from '../../../protocol/errors.js';
import { configError } from '../../config/access.js';
import { readSection, sectionWarnings } from '../../config/schema.js';
import { PalisadeError } from '../../errors.js';
import type { Peer, Service } from '../../dispatch.js';
import { ExactReader } from '../../../core/exact-reader.js';
import { readListenerAuth, type ListenerAuth } from '../credentials.js';
import { refusalText, requestAuthenticator, type Verdict } from '../_request-auth.js';
import { SESSION_TIMEOUTS, sessionRunner, type SessionInput } from '../_stream-session.js';
import type { Listener, ListenerContext, ListenerSpec } from '../types.js';
import { hostPort } from '../../../core/host-port.js';
import { printable } from '../../_text.js';
import { settleWithin } from '../_drain.js';
import { listenerAbortController } from '../_abort.js';
import type { LogFn } from '../../log.js';
import { warnLimiter, type LimitedWarn } from '../_warn-limiter.js';
import { Admission, type AdmissionLimits } from './admission.js';
import { tcpSchema } from './schema.js';

/** Per-phase limits. fence_virtd waits 1 s for the request and 10 s per auth step. */
export const TCP_TIMEOUTS = { request: 5_000, ...SESSION_TIMEOUTS, drain: 10_000 } as const;
/** Eviction and refusal are logged at most once per this interval, with a count of what was held back. */
export const ADMISSION_LOG_INTERVAL_MS = 60_000;

interface TcpOptions {
  readonly auth: ListenerAuth;
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly port: number;
  readonly limits: AdmissionLimits;
}

export const tcpListener: ListenerSpec = {
  name: 'tcp',
  schema: tcpSchema,
  async create(section, ctx) {
    const v = readSection(section, tcpSchema);
    const address = v.address ?? (v.family === 'ipv6' ? '::1' : '127.0.0.1');
    if (v.family === 'ipv4' ? !isIPv4(address) : !isIPv6(address)) {
      throw configError(section, 'address', `'${printable(address)}' is not an ${v.family} address literal (family = "${v.family}")`);
    }
    for (const w of sectionWarnings(section, tcpSchema)) ctx.log('warn', w);
    const limits: AdmissionLimits = { total: v.max_connections, perSource: v.max_per_source };
    const opts: TcpOptions = { auth: await readListenerAuth(section, ctx), family: v.family, address, port: v.port, limits };
    return new TcpListener(opts, ctx);
  },
};

class TcpListener implements Listener {
  readonly description: string;
  readonly #opts: TcpOptions;
  readonly #ctx: ListenerContext;
  readonly #sockets = new Set<Socket>();
  readonly #admission: Admission<Socket>;
  readonly #warn: LimitedWarn;
  /** Warnings about what one peer sent: anyone can connect, and a flood must not become a log flood. */
  readonly #peerWarn: LimitedWarn;
  readonly #inflight = new Set<Promise<void>>();
  /** Replaced by start(): a listener closed by a reload may be started again. */
  #abort = listenerAbortController();
  /** Key hash states and HMAC keys, built once: hashing the key again per request is most of the verification cost. */
  readonly #authenticate: (raw: Uint8Array) => Verdict;
  readonly #session: (input: SessionInput) => Promise<void>;
  #server: Server | undefined;
  /** Removes this listener's handlers from #server (which a reload may hand on). */
  #detach: (() => void) | undefined;

  constructor(opts: TcpOptions, ctx: ListenerContext) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#authenticate = requestAuthenticator(opts.auth);
    this.#session = sessionRunner(opts.auth);
    this.#admission = new Admission(opts.limits);
    this.#warn = warnLimiter(ctx.log, ADMISSION_LOG_INTERVAL_MS);
    this.#peerWarn = warnLimiter(ctx.log);
    this.description = `${ctx.name} ${hostPort(opts.address, opts.port)}` +
      (opts.auth.mode === 'hmac-sha256' ? ' (hmac-sha256)' : '') +
      (opts.auth.credentials.length > 1 ? ` (${opts.auth.credentials.length} keys)` : '');
  }

  get bindKey(): string {
    return `tcp ${this.#opts.family} ${hostPort(this.#opts.address, this.#opts.port)}`;
  }

  start(service: Service, inherit?: Listener): Promise<void> {
    this.#abort = listenerAbortController();
    const onConnection = (sock: Socket) => {
      if (!this.#admit(sock)) return;
      this.#sockets.add(sock);
      const p = this.#serve(sock, service).finally(() => {
        this.#sockets.delete(sock);
        this.#admission.remove(sock);
        this.#inflight.delete(p);
      });
      this.#inflight.add(p);
    };
    const onError = (e: Error) => this.#ctx.log('error', `${this.description}: ${e.message}`);
    // A reload: take the bound socket over in this same turn of the event loop,
    // so no connection arrives while nobody listens and none is refused.
    const taken = inherit instanceof TcpListener && inherit.bindKey === this.bindKey ? inherit.#release() : undefined;
    if (taken) {
      this.#attach(taken, onConnection, onError);
      return Promise.resolve();
    }
    const server = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      const onBindError = (e: NodeJS.ErrnoException) => reject(new PalisadeError('PAL_ERR_LISTENER',
        `${this.description}: cannot listen: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another fence_virtd/palisaded running?)' : ''}`, { cause: e }));
      server.once('error', onBindError);
      server.listen({ host: this.#opts.address, port: this.#opts.port, backlog: 128, ipv6Only: this.#opts.family === 'ipv6' }, () => {
        server.off('error', onBindError);
        this.#attach(server, onConnection, onError);
        resolve();
      });
    });
  }

  #attach(server: Server, onConnection: (s: Socket) => void, onError: (e: Error) => void): void {
    server.on('connection', onConnection);
    server.on('error', onError);
    this.#server = server;
    this.#detach = () => {
      server.off('connection', onConnection);
      server.off('error', onError);
    };
  }

  /** Gives the bound server away (to a reload's listener); connections already accepted stay ours and drain on close(). */
  #release(): Server | undefined {
    const server = this.#server;
    if (!server?.listening) return undefined;
    this.#detach?.();
    this.#server = undefined;
    return server;
  }

  /** Makes room for `sock` by closing the oldest connections that have not sent a request; false when there is none to close. */
  #admit(sock: Socket): boolean {
    const source = sock.remoteAddress ?? 'unknown';
    const { total, perSource } = this.#opts.limits;
    const limitText = (why: 'total' | 'per-source') => why === 'total' ? `${total} connections open` : `${perSource} connections open from ${source}`;
    const verdict = this.#admission.admit(sock, source);
    if (!verdict.ok) {
      this.#warn(`refuse-${verdict.why}`, `${this.description}: ${limitText(verdict.why)}, all of them being served; refusing a new connection from ${source}`);
      sock.destroy();
      return false;
    }
    for (const v of verdict.evicted) {
      this.#warn(`evict-${v.why}`, `${this.description}: ${limitText(v.why)}; closing the oldest that has not sent a request (from ${v.source}) to admit ${source}`);
      v.conn.destroy();
    }
    return true;
  }

  async #serve(sock: Socket, service: Service): Promise<void> {
    const addr = sock.remoteAddress ?? 'unknown';
    // The ACL source is the numeric IP as the socket reports it; acl.ts
    // matches IPv4-mapped forms (::ffff:a.b.c.d) against IPv4 entries.
    const peer: Peer = { listener: this.#ctx.name, source: addr, address: hostPort(addr, sock.remotePort ?? 0) };
    const reader = new ExactReader(sock, peer.address);
    // One source repeating one complaint is logged once per window (the port varies per connection).
    const log: LogFn = (level, message) => level === 'warn'
      ? this.#peerWarn(`${addr} ${message.replace(peer.address, '')}`, message)
      : this.#ctx.log(level, message);
    try {
      const raw = await reader.read(REQUEST_SIZE, 'request', TCP_TIMEOUTS.request);
      this.#admission.requested(sock);
      const req = decodeRequest(raw);
      const verdict = this.#authenticate(raw);
      if (!verdict.ok) {
        log('warn', `${this.#ctx.name} ${peer.address}: ${refusalText(verdict.reason, req.hashType, this.#opts.auth.minimumHash)}; dropping client`);
        return;
      }
      await this.#session({ sock, reader, raw, req, verdict, peer, service, signal: this.#abort.signal, log });
    } catch (e) {
      if (e instanceof ProtocolError) log('warn', `${this.#ctx.name} ${peer.address}: malformed request: ${e.message}; dropping client`);
      else if (e instanceof PalisadeError) log('debug', e.message);
      else log('error', `${this.#ctx.name} ${peer.address}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    } finally {
      sock.destroy();
    }
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#detach?.();
    // Handed over on reload: not ours to close, but our connections still drain.
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await settleWithin(this.#inflight, TCP_TIMEOUTS.drain);
    this.#abort.abort(new Error('listener closed'));
    for (const s of this.#sockets) s.destroy();
  }
}
