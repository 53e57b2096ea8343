// Multicast listener (fence_xvm): signed requests arrive by UDP, and the
// daemon that owns the domain connects back to the client over TCP.
//   C->group request(176) ... S->C connect, then over the connection:
//   legacy:  C->S challenge(64)  S->C response(64) + challenge(64)  C->S response(64)  S->C result
//   hmac:    S->C hello(64)  C->S proof(32)  S->C result + tag
// Unlike fence_virtd (one request at a time, server/mcast.c), callbacks run
// concurrently, each phase with its own deadline, and a daemon that does not
// have the domain stays silent, so that with several hypervisors on one
// group only the owner answers.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { REQUEST_SIZE, commandName } from '../../../protocol/constants.js';
import { decodeRequest, type FenceRequest } from '../../../protocol/fence-req.js';
import { ProtocolError } from '../../../protocol/errors.js';
import { PalisadeError } from '../../errors.js';
import { hostPort } from '../../../core/host-port.js';
import { asciiLower, printable } from '../../_text.js';
import type { Peer, Service } from '../../dispatch.js';
import { createHistory } from '../../history.js';
import { ExactReader } from '../../../core/exact-reader.js';
import type { Credential } from '../credentials.js';
import { refusalText, requestAuthenticator, type Verdict } from '../_request-auth.js';
import { SESSION_TIMEOUTS, sessionRunner, type SessionInput } from '../_stream-session.js';
import type { Listener, ListenerContext, ListenerSpec } from '../types.js';
import { settleWithin } from '../_drain.js';
import { listenerAbortController } from '../_abort.js';
import { callbackTarget, connectBack, type CallbackTarget } from './callback.js';
import { parseMulticastSection, type MulticastOptions } from './options.js';
import { warnLimiter, type LimitedWarn } from '../_warn-limiter.js';
import { multicastSchema } from './schema.js';

/** Per-phase limits. fence_virtd: 5 s to connect back, 10 s per auth step. */
export const MULTICAST_TIMEOUTS = { connect: 5_000, ...SESSION_TIMEOUTS, drain: 10_000 } as const;
/** Callbacks in progress beyond this are not started; the client retransmits. */
export const MAX_CALLBACKS = 64;

export const multicastListener: ListenerSpec = {
  name: 'multicast',
  schema: multicastSchema,
  async create(section, ctx) {
    return new MulticastListener(await parseMulticastSection(section, ctx), ctx);
  },
};

/** A verified request to answer, or a legacy request on an hmac listener to turn away quickly. */
type Job =
  | { readonly kind: 'serve'; readonly raw: Uint8Array; readonly verdict: Extract<Verdict, { ok: true }> }
  | { readonly kind: 'turn-away'; readonly signer: Credential };

class MulticastListener implements Listener {
  readonly description: string;
  readonly #opts: MulticastOptions;
  readonly #ctx: ListenerContext;
  readonly #authenticate: (raw: Uint8Array) => Verdict;
  readonly #session: (input: SessionInput) => Promise<void>;
  /**
   * Ours, not the dispatcher's: fence_xvm resends the same seqno every
   * retransmit interval with a fresh signature, so a retransmission must be
   * dropped before it costs a callback, not after.
   */
  readonly #history = createHistory();
  readonly #pending = new Set<string>();
  readonly #warn: LimitedWarn;
  readonly #inflight = new Set<Promise<void>>();
  readonly #sockets = new Set<Socket>();
  /** Replaced by start(): a listener closed by a reload may be started again. */
  #abort = listenerAbortController();
  #udp: UdpSocket | undefined;

  constructor(opts: MulticastOptions, ctx: ListenerContext) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#authenticate = requestAuthenticator(opts.auth);
    this.#session = sessionRunner(opts.auth);
    this.#warn = warnLimiter(ctx.log);
    this.description = `${ctx.name} ${hostPort(opts.address, opts.port)}` +
      (opts.iface ? ` on ${opts.iface.name}` : '') +
      (opts.auth.mode === 'hmac-sha256' ? ' (hmac-sha256)' : '') +
      (opts.auth.credentials.length > 1 ? ` (${opts.auth.credentials.length} keys)` : '');
  }

  start(service: Service): Promise<void> {
    const { family, port, address, iface } = this.#opts;
    this.#abort = listenerAbortController();
    // Wildcard bind, as fence_virtd: unicast datagrams to the port are served too.
    const udp = createSocket({ type: family === 'ipv4' ? 'udp4' : 'udp6', reuseAddr: true, ipv6Only: family === 'ipv6' });
    return new Promise((resolve, reject) => {
      const fail = (what: string, e: NodeJS.ErrnoException, hint: string) => {
        udp.close();
        reject(new PalisadeError('PAL_ERR_LISTENER', `${this.description}: ${what}: ${e.code ?? e.message}${hint}`, { cause: e }));
      };
      const onBindError = (e: NodeJS.ErrnoException) =>
        fail(`cannot bind UDP port ${port}`, e, e.code === 'EADDRINUSE' ? ' (another fence_virtd/palisaded running?)' : '');
      udp.once('error', onBindError);
      udp.bind({ port, address: family === 'ipv4' ? '0.0.0.0' : '::' }, () => {
        udp.off('error', onBindError);
        try {
          udp.addMembership(address, iface?.membership);
          udp.setMulticastLoopback(true);
        } catch (e) {
          const hint = iface ? '' : ' (no route to pick an interface for the group; set interface = "<name>", e.g. the bridge the guests use)';
          fail(`cannot join group ${address}${iface ? ` on ${iface.name}` : ''}`, e as NodeJS.ErrnoException, hint);
          return;
        }
        udp.on('error', (e) => this.#ctx.log('error', `${this.description}: ${e.message}`));
        udp.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo, service));
        this.#udp = udp;
        resolve();
      });
    });
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo, service: Service): void {
    try {
      this.#accept(msg, rinfo, service);
    } catch (e) {
      // A bug must cost one datagram, not the daemon.
      this.#ctx.log('error', `${this.#ctx.name} datagram from ${rinfo.address}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  #accept(msg: Buffer, rinfo: RemoteInfo, service: Service): void {
    const name = this.#ctx.name;
    const src = hostPort(rinfo.address, rinfo.port);
    if (msg.length !== REQUEST_SIZE) {
      this.#warn(`size ${rinfo.address}`, `${name} ${src}: ${msg.length}-byte datagram; a request is ${REQUEST_SIZE} bytes; dropping packet`);
      return;
    }
    const raw = new Uint8Array(msg);
    let req: FenceRequest;
    try {
      req = decodeRequest(raw);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.#warn(`malformed ${rinfo.address}`, `${name} ${src}: malformed request: ${e.message}; dropping packet`);
      return;
    }
    const verdict = this.#authenticate(raw);
    let job: Job;
    if (verdict.ok) {
      job = { kind: 'serve', raw, verdict };
    } else if (verdict.reason === 'legacy-request' && verdict.legacySigner) {
      job = { kind: 'turn-away', signer: verdict.legacySigner };
    } else {
      this.#warn(`refused ${verdict.reason} ${rinfo.address}`, `${name} ${src}: ${refusalText(verdict.reason, req.hashType, this.#opts.auth.minimumHash)}; dropping packet`);
      return;
    }
    const t = callbackTarget(req, this.#opts.iface?.name);
    if (!t.ok) {
      this.#warn(`target ${rinfo.address}`, `${name} ${src}: ${t.problem}; dropping packet`);
      return;
    }
    const what = `${name} ${commandName(req.request)} '${printable(req.domain, 64)}' (seqno ${req.seqno}) from ${src}`;
    // In flight: per callback address, so that one unreachable address of a
    // multi-homed client cannot starve the copies sent from its others. Done:
    // per request, whatever the address.
    const pendingKey = `${req.request}:${req.seqno}:${asciiLower(req.domain)}:${t.target.label}`;
    if (this.#history.seen(req) || this.#pending.has(pendingKey)) {
      this.#ctx.log('debug', `${what}: retransmission or duplicate of a request being or just handled; dropping packet`);
      return;
    }
    if (this.#inflight.size >= MAX_CALLBACKS) {
      this.#warn('busy', `${name}: ${MAX_CALLBACKS} callbacks in progress; dropping ${commandName(req.request)} '${printable(req.domain, 64)}' from ${src} (the client retransmits)`);
      return;
    }
    this.#pending.add(pendingKey);
    const p = this.#callBack(req, t.target, job, what, service).finally(() => {
      this.#inflight.delete(p);
      this.#pending.delete(pendingKey);
    });
    this.#inflight.add(p);
  }

  async #callBack(req: FenceRequest, target: CallbackTarget, job: Job, what: string, service: Service): Promise<void> {
    const log = this.#ctx.log;
    const signal = this.#abort.signal;
    const credential = job.kind === 'serve' ? job.verdict.credential : job.signer;
    const peer: Peer = { listener: this.#ctx.name, source: target.ip, address: target.label };
    // Answered (or turned away) over the callback: only then does it enter
    // the history. fence_virtd likewise records nothing when the callback or
    // its authentication fails, so a retransmission gets another chance.
    // (The dispatcher's own history still runs an operation at most once.)
    let sock: Socket | undefined;
    try {
      const scoped: Peer = credential.scope ? { ...peer, scope: credential.scope } : peer;
      if (!(await service.owns(req, scoped, signal))) {
        log('debug', `${what}: not ours (no such domain here, or outside the sender's scope); staying silent`);
        return;
      }
      sock = await connectBack(target, MULTICAST_TIMEOUTS.connect, signal);
      this.#sockets.add(sock);
      if (job.kind === 'turn-away') {
        this.#history.record(req);
        log('warn', `${what}: ${refusalText('legacy-request', req.hashType, this.#opts.auth.minimumHash)}; ` +
          `closed the callback to ${target.label} at once so that the client fails now (request signed with ${credential.label})`);
        return;
      }
      const reader = new ExactReader(sock, target.label);
      const counted: Service = {
        owns: service.owns,
        handle: (r, p, s) => {
          this.#history.record(req);
          return service.handle(r, p, s);
        },
      };
      await this.#session({ sock, reader, raw: job.raw, req, verdict: job.verdict, peer, service: counted, signal, log });
    } catch (e) {
      // A peer that refuses, stalls or resets is expected weather, not a bug.
      const errno = e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
      if (e instanceof PalisadeError || errno) this.#warn(`callback ${target.ip}`, `${what}: ${(e as Error).message}`);
      else log('error', `${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    } finally {
      if (sock) {
        sock.destroy();
        this.#sockets.delete(sock);
      }
    }
  }

  async close(): Promise<void> {
    const udp = this.#udp;
    if (!udp) return;
    this.#udp = undefined;
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    // Let callbacks in progress finish (a fence in progress must complete), bounded.
    await settleWithin(this.#inflight, MULTICAST_TIMEOUTS.drain);
    this.#abort.abort(new Error('listener closed'));
    for (const s of this.#sockets) s.destroy();
  }
}
