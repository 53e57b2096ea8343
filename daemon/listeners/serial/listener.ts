// The serial / vmchannel listener (fence_virtd's server/serial.c,
// virt-serial.c): find each running guest's unix socket in its libvirt
// definition, connect to it, and serve the requests the guest's fence_virt
// writes there.
//
// fence_virtd follows libvirt lifecycle events; we have virsh, so we poll
// the domain list every poll_ms. Each round: forget the definitions of
// domains that stopped (closing their channels), read the definition of
// each newly running one once, and connect to every wanted socket that has
// no channel yet. A socket that is missing or refuses is retried on the
// next round, and a channel that closes is reopened the same way, so guests
// and sockets may come and go without a restart. A definition is read once
// per start of a domain, and again while one of its sockets cannot be
// reached (the domain may have restarted between two rounds with another).
import { DomainState, type DomainInfo, type GuestSockets, type NamedBackend } from '../../backends/types.js';
import { withDeadline, OPERATION_TIMEOUT_MS, type Service } from '../../dispatch.js';
import { DomainNotFoundError, PalisadeError } from '../../errors.js';
import type { Listener, ListenerContext } from '../types.js';
import { settleWithin } from '../_drain.js';
import { listenerAbortController } from '../_abort.js';
import { DomainXmlError, findSocketDevices } from './domain-xml.js';
import { GuestChannel, connectGuest, type GuestIdentity } from './guest-channel.js';
import type { SerialOptions } from './options.js';
import { inDirectory } from './socket-dir.js';

/** How long close() lets requests in progress finish. */
export const SERIAL_DRAIN_MS = 10_000;

export interface WatchedBackend {
  readonly named: NamedBackend;
  /** Its guest-socket capability: hypervisor URIs (for the description) and domain definitions. */
  readonly guests: GuestSockets;
}

export class SerialListener implements Listener {
  readonly description: string;
  readonly #opts: SerialOptions;
  readonly #ctx: ListenerContext;
  /** The backend to watch, or what start() throws when there is none (a config check without backends). */
  readonly #watched: WatchedBackend | Error;
  /** Socket paths in each running domain's definition, by UUID; `stale`: read it again next round. */
  readonly #sockets = new Map<string, { readonly paths: readonly string[]; stale: boolean }>();
  readonly #channels = new Map<string, GuestChannel>();
  readonly #connecting = new Map<string, Promise<void>>();
  /** The last connect failure logged per path, so a missing socket is reported once, not every poll. */
  readonly #connectFailures = new Map<string, string>();
  readonly #xmlFailures = new Map<string, string>();
  readonly #warnedShared = new Set<string>();
  /** Wanted sockets after the last round: path → guest. */
  #wanted = new Map<string, GuestIdentity>();
  // Replaced by start(): a listener closed by a reload may be started again.
  #stop = new AbortController();
  #abort = listenerAbortController();
  #service: Service | undefined;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #listFailure: string | undefined;

  constructor(opts: SerialOptions, ctx: ListenerContext, watched: WatchedBackend | Error) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#watched = watched;
    const via = watched instanceof Error
      ? (opts.uri ?? 'the first backend')
      : `${watched.named.name} ${opts.uri ?? watched.guests.uris.join(' ')}`.trim();
    this.description = `${ctx.name} (${opts.mode}) via ${via}${opts.path !== undefined ? `, path ${opts.path}` : ''}`;
  }

  async start(service: Service): Promise<void> {
    if (this.#watched instanceof Error) throw this.#watched;
    if (this.#service && !this.#stop.signal.aborted) throw new PalisadeError('PAL_ERR_LISTENER', `${this.description}: already started`);
    this.#stop = new AbortController();
    this.#abort = listenerAbortController();
    this.#sockets.clear();
    this.#wanted = new Map();
    this.#service = service;
    // The first round is awaited, so that guests already running are
    // connected (or their failure logged) by the time the daemon is ready.
    await this.#runRound(this.#watched);
  }

  #runRound(watched: WatchedBackend): Promise<void> {
    const round = this.#discover(watched)
      .catch((e: unknown) => this.#ctx.log('error', `${this.#ctx.name}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`))
      .finally(() => {
        this.#round = undefined;
        if (!this.#stop.signal.aborted) this.#timer = setTimeout(() => void this.#runRound(watched), this.#opts.pollMs);
      });
    this.#round = round;
    return round;
  }

  async #discover(watched: WatchedBackend): Promise<void> {
    const signal = this.#stop.signal;
    let domains: readonly DomainInfo[];
    try {
      domains = await withDeadline(OPERATION_TIMEOUT_MS.list, signal, (s) => watched.named.backend.list(s));
    } catch (e) {
      if (signal.aborted) return;
      const why = e instanceof Error ? e.message : String(e);
      if (this.#listFailure !== why) this.#ctx.log('warn', `${this.#ctx.name}: cannot list domains (channels stay as they are; retrying every ${this.#opts.pollMs} ms): ${why}`);
      this.#listFailure = why;
      return;
    }
    if (this.#listFailure !== undefined) this.#ctx.log('info', `${this.#ctx.name}: listing domains works again`);
    this.#listFailure = undefined;

    // fence_virtd watches every domain libvirt reports active: not shut off, not crashed.
    const running = domains.filter((d) => d.state !== DomainState.SHUTOFF && d.state !== DomainState.CRASHED);
    const runningIds = new Set(running.map((d) => d.uuid));
    for (const uuid of [...this.#sockets.keys()]) if (!runningIds.has(uuid)) this.#sockets.delete(uuid);
    for (const uuid of [...this.#xmlFailures.keys()]) if (!runningIds.has(uuid)) this.#xmlFailures.delete(uuid);
    const toRead = running.filter((d) => this.#sockets.get(d.uuid)?.stale ?? true);
    await Promise.all(toRead.map((d) => this.#readSockets(watched.guests, d, signal)));
    if (signal.aborted) return;

    this.#wanted = this.#wantedSockets(running);
    for (const [path, ch] of this.#channels) {
      if (this.#wanted.get(path)?.uuid === ch.guest.uuid) continue;
      this.#ctx.log('info', `${this.#ctx.name} ${ch.description}: domain stopped or no longer uses this socket; closing`);
      this.#channels.delete(path);
      ch.destroy();
    }
    for (const path of [...this.#connectFailures.keys()]) if (!this.#wanted.has(path)) this.#connectFailures.delete(path);
    const attempts = [...this.#wanted]
      .filter(([path]) => !this.#channels.has(path) && !this.#connecting.has(path))
      .map(([path, guest]) => this.#connect(path, guest));
    await Promise.all(attempts);
  }

  /** Socket path → guest, for running domains; a path claimed by two domains is served for neither. */
  #wantedSockets(running: readonly DomainInfo[]): Map<string, GuestIdentity> {
    const wanted = new Map<string, GuestIdentity>();
    const shared = new Set<string>();
    for (const d of running) {
      for (const path of this.#sockets.get(d.uuid)?.paths ?? []) {
        const other = wanted.get(path);
        if (other && other.uuid !== d.uuid) shared.add(path);
        else wanted.set(path, { name: d.name, uuid: d.uuid });
      }
    }
    for (const path of shared) {
      // Whose guest is on the other end is unknowable, and the UUID is the ACL source.
      if (!this.#warnedShared.has(path)) {
        this.#warnedShared.add(path);
        this.#ctx.log('error', `${this.#ctx.name}: socket ${path} is in the definition of more than one running domain; not serving it`);
      }
      wanted.delete(path);
    }
    return wanted;
  }

  async #readSockets(guests: GuestSockets, d: DomainInfo, signal: AbortSignal): Promise<void> {
    const kind = this.#opts.mode === 'serial' ? 'serial' : 'channel';
    let xml: string;
    try {
      xml = await withDeadline(OPERATION_TIMEOUT_MS.list, signal, (s) => guests.domainXml(d.uuid, s));
    } catch (e) {
      if (signal.aborted || e instanceof DomainNotFoundError) return; // gone meanwhile: nothing to watch
      const why = e instanceof Error ? e.message : String(e);
      if (this.#xmlFailures.get(d.uuid) !== why) this.#ctx.log('warn', `${this.#ctx.name}: cannot read the definition of ${d.name} (${d.uuid}), retrying: ${why}`);
      this.#xmlFailures.set(d.uuid, why);
      return;
    }
    this.#xmlFailures.delete(d.uuid);
    let paths: string[];
    try {
      paths = findSocketDevices(xml, kind).map((dev) => dev.path);
    } catch (e) {
      if (!(e instanceof DomainXmlError)) throw e;
      // The definition does not change while the domain runs: do not re-read it every round.
      this.#ctx.log('error', `${this.#ctx.name}: definition of ${d.name} (${d.uuid}) not understood, its sockets are not served until it restarts: ${e.message}`);
      this.#sockets.set(d.uuid, { paths: [], stale: false });
      return;
    }
    const previous = this.#sockets.get(d.uuid);
    const usable = paths.filter((p) => p.startsWith('/') && (this.#opts.path === undefined || inDirectory(this.#opts.path, p)));
    this.#sockets.set(d.uuid, { paths: usable, stale: false });
    // A definition read again (a socket was unreachable) is reported only if it changed.
    if (previous && previous.paths.join('\0') === usable.join('\0')) return;
    for (const p of paths) {
      if (!p.startsWith('/')) this.#ctx.log('warn', `${this.#ctx.name}: ${d.name}: socket path '${p}' is not absolute; ignored`);
      else if (!usable.includes(p)) this.#ctx.log('debug', `${this.#ctx.name}: ${d.name}: ${p} is not in ${this.#opts.path}; ignored`);
    }
    const tag = kind === 'serial' ? "<serial type='unix'>" : "<channel type='unix'>";
    if (usable.length > 0) this.#ctx.log('debug', `${this.#ctx.name}: ${d.name} (${d.uuid}): ${usable.join(', ')}`);
    else this.#ctx.log('debug', `${this.#ctx.name}: ${d.name} (${d.uuid}) has no ${tag} device with a bind source${this.#opts.path !== undefined ? ` in ${this.#opts.path}` : ''}`);
  }

  #connect(path: string, guest: GuestIdentity): Promise<void> {
    const attempt = this.#tryConnect(path, guest).finally(() => this.#connecting.delete(path));
    this.#connecting.set(path, attempt);
    return attempt;
  }

  async #tryConnect(path: string, guest: GuestIdentity): Promise<void> {
    const name = this.#ctx.name;
    let sock;
    try {
      sock = await connectGuest(path);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
      if (this.#connectFailures.get(path) !== why) {
        this.#ctx.log('info', `${name}: cannot connect to ${path} of domain ${guest.name} (${guest.uuid}): ${why}; retrying every ${this.#opts.pollMs} ms`);
      }
      this.#connectFailures.set(path, why);
      // The domain may have restarted between two rounds with another socket: read its definition again.
      const known = this.#sockets.get(guest.uuid);
      if (known) known.stale = true;
      return;
    }
    // The domain may have stopped, or the listener closed, while we connected.
    if (this.#stop.signal.aborted || this.#wanted.get(path)?.uuid !== guest.uuid) {
      sock.destroy();
      return;
    }
    this.#connectFailures.delete(path);
    const ch = new GuestChannel(sock, path, guest, {
      listener: name, log: this.#ctx.log, service: this.#service!, scope: this.#opts.scope, signal: this.#abort.signal,
    });
    this.#channels.set(path, ch);
    this.#ctx.log('info', `${name}: connected to domain ${guest.name} (${guest.uuid}) via ${path}`);
    void ch.closed.then(() => {
      if (this.#channels.get(path) !== ch) return;
      this.#channels.delete(path);
      if (!this.#stop.signal.aborted) this.#ctx.log('info', `${name} ${ch.description}: the guest side closed the socket; reconnecting on the next poll`);
    });
  }

  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    // No new rounds, connections or requests from here on.
    this.#stop.abort(new PalisadeError('PAL_ERR_LISTENER', `${this.description}: closing`));
    clearTimeout(this.#timer);
    const channels = [...this.#channels.values()];
    for (const ch of channels) ch.stopIntake();
    // Requests in progress may finish (a fence under way must complete), bounded.
    await settleWithin([this.#round, ...this.#connecting.values(), ...channels.map((c) => c.inflight)], SERIAL_DRAIN_MS);
    this.#abort.abort(new PalisadeError('PAL_ERR_LISTENER', `${this.description}: closed`));
    for (const ch of this.#channels.values()) ch.destroy();
    this.#channels.clear();
  }
}
