// The core of palisaded: turns a verified request into backend calls and a
// result code, with fence_virtd's semantics (fence-virt server/libvirt.c).
// Listeners see only `Service`; ACL and cluster scope are applied
// here because what they protect depends on the operation. With several
// backends, a domain belongs to the first backend that has it.
import { FenceCommand, Result, commandName } from '../protocol/constants.js';
import type { FenceRequest } from '../protocol/fence-req.js';
import type { HostRecord } from '../protocol/host-list.js';
import { DomainState, compareDomains, type Backend, type DomainInfo } from './backends/types.js';
import type { DomainScope } from './acl.js';
import { DomainNotFoundError, PeerTimeoutError } from './errors.js';
import type { LogFn } from './log.js';

export interface Peer {
  /** Listener instance name, for logs ("tcp", "tcp:cluster-a"). */
  readonly listener: string;
  /** ACL source string: numeric IP for tcp/multicast, domain UUID for serial. */
  readonly source: string;
  /** Human-readable peer for logs (ip:port, socket path). */
  readonly address: string;
  /** The cluster whose key verified the request, or the listener's `group`: it may act only on these domains. */
  readonly scope?: DomainScope;
}

export type Reply =
  | { readonly kind: 'result'; readonly result: number; readonly detail?: string; readonly unknownDomain?: boolean }
  | { readonly kind: 'hostlist'; readonly hosts: readonly HostRecord[] }
  | { readonly kind: 'drop'; readonly reason: string };

export type Handle = (req: FenceRequest, peer: Peer, signal: AbortSignal) => Promise<Reply>;
export type Layer = (next: Handle) => Handle;
/**
 * Whether this daemon should answer `req` at all. Multicast listeners ask
 * before calling back, so that with several hypervisors only the one that
 * has the domain answers.
 */
export type Owns = (req: FenceRequest, peer: Peer, signal: AbortSignal) => Promise<boolean>;

/** What a listener gets: the request handler and the ownership question. */
export interface Service {
  readonly handle: Handle;
  readonly owns: Owns;
}

export interface AccessPolicy {
  allows(source: string, target: string): boolean;
  allowsDomain(source: string, domain: { name: string; uuid: string }): boolean;
}

/** How long one backend operation may take before the request fails. */
export const OPERATION_TIMEOUT_MS = { status: 15_000, power: 30_000, reboot: 60_000, list: 15_000 } as const;

export function compose(handle: Handle, layers: readonly Layer[]): Handle {
  return layers.reduceRight((next, layer) => layer(next), handle);
}

export interface Dispatcher {
  readonly handle: Handle;
  readonly owns: Owns;
}

export function createDispatcher(opts: { backends: readonly Backend[]; acl: AccessPolicy; log: LogFn }): Dispatcher {
  const { backends, acl, log } = opts;
  if (backends.length === 0) throw new RangeError('createDispatcher: no backend');
  const locks = new KeyedMutex();

  const fail = (detail: string, extra?: { unknownDomain?: boolean }): Reply => ({ kind: 'result', result: Result.FAIL, detail, ...extra });
  const explain = (e: unknown, op: string, ms: number): Reply => {
    if (e instanceof DomainNotFoundError) return fail('domain not found', { unknownDomain: true });
    if (e instanceof PeerTimeoutError) return fail(e.message);
    if (e instanceof DOMException && e.name === 'TimeoutError') {
      const t = new PeerTimeoutError({ peer: `backend ${op}`, phase: 'backend', ms });
      log('error', t.message);
      return fail(t.message);
    }
    log('error', `backend: ${e instanceof Error ? e.message : String(e)}`);
    return fail(e instanceof Error ? e.message : String(e));
  };

  /** The backend that has `domain`, and what it says about it. */
  const locate = async (domain: string, signal: AbortSignal): Promise<{ backend: Backend; info: DomainInfo } | undefined> => {
    for (const backend of backends) {
      const info = await backend.lookup(domain, signal);
      if (info) return { backend, info };
    }
    return undefined;
  };

  const listAll = async (signal: AbortSignal): Promise<DomainInfo[]> => {
    const lists = await Promise.all(backends.map((b) => b.list(signal)));
    if (lists.length === 1) return [...lists[0]!];
    // First backend wins a name seen twice, as `locate` does.
    const seen = new Set<string>();
    return lists.flat().filter((d) => !seen.has(d.uuid) && (seen.add(d.uuid), true))
      .sort(compareDomains);
  };

  /**
   * One lock per domain, however the request names it: `off web1` and
   * `reboot <uuid of web1>` must not run side by side. A domain no backend
   * can find (or no backend can answer for) is locked by the name given.
   */
  const lockKey = async (domain: string, signal: AbortSignal): Promise<string> => {
    try {
      const hit = await withDeadline(OPERATION_TIMEOUT_MS.status, signal, (s) => locate(domain, s));
      if (hit) return `uuid:${hit.info.uuid.toLowerCase()}`;
    } catch {
      // power() meets the same failure and reports it.
    }
    return `as-given:${domain.toLowerCase()}`;
  };

  const visible = (peer: Peer, d: DomainInfo): boolean =>
    acl.allowsDomain(peer.source, d) && (peer.scope?.allowsDomain(peer.source, d) ?? true);

  const handle: Handle = async (req, peer, signal) => {
    const domain = req.domain;
    switch (req.request) {
      case FenceCommand.NULL:
        // fence_virtd answers 1 to null; clients use it as a connectivity probe.
        return { kind: 'result', result: Result.FAIL, detail: 'null operation' };
      case FenceCommand.DEVSTATUS:
        try {
          await withDeadline(OPERATION_TIMEOUT_MS.list, signal, (s) => Promise.all(backends.map((b) => b.list(s))));
          return { kind: 'result', result: Result.SUCCESS };
        } catch (e) {
          return explain(e, 'monitor', OPERATION_TIMEOUT_MS.list);
        }
      case FenceCommand.HOSTLIST:
        try {
          const all = await withDeadline(OPERATION_TIMEOUT_MS.list, signal, listAll);
          const hosts = all.filter((d) => visible(peer, d)).map((d) => ({ domain: d.name, uuid: d.uuid, state: d.state }));
          return { kind: 'hostlist', hosts };
        } catch (e) {
          return explain(e, 'list', OPERATION_TIMEOUT_MS.list);
        }
      case FenceCommand.OFF:
      case FenceCommand.ON:
      case FenceCommand.REBOOT:
      case FenceCommand.STATUS:
        if (!acl.allows(peer.source, domain)) {
          return { kind: 'result', result: Result.PERM, detail: `source ${peer.source} may not act on '${domain}'` };
        }
        return locks.run(await lockKey(domain, signal), () => power(req.request, domain, peer, signal));
      default:
        return { kind: 'result', result: Result.FAIL, detail: `unsupported request code ${req.request}` };
    }
  };

  const owns: Owns = async (req, peer, signal) => {
    try {
      switch (req.request) {
        case FenceCommand.DEVSTATUS:
          return true;
        case FenceCommand.HOSTLIST:
          return (await withDeadline(OPERATION_TIMEOUT_MS.list, signal, listAll)).some((d) => visible(peer, d));
        default: {
          const hit = await withDeadline(OPERATION_TIMEOUT_MS.status, signal, (s) => locate(req.domain, s));
          return hit !== undefined && (peer.scope?.allowsDomain(peer.source, hit.info) ?? true);
        }
      }
    } catch (e) {
      // A backend that cannot answer cannot claim the domain; another host may.
      log('warn', `cannot tell whether '${req.domain}' is ours: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  };

  async function power(op: number, domain: string, peer: Peer, signal: AbortSignal): Promise<Reply> {
    const ms = op === FenceCommand.STATUS ? OPERATION_TIMEOUT_MS.status : op === FenceCommand.REBOOT ? OPERATION_TIMEOUT_MS.reboot : OPERATION_TIMEOUT_MS.power;
    try {
      return await withDeadline(ms, signal, async (s) => {
        // One backend and no scope: the backend resolves the name itself (one round trip fewer).
        let backend = backends[0]!;
        if (backends.length > 1 || peer.scope || op === FenceCommand.STATUS) {
          const hit = await locate(domain, s);
          // fence_virtd reports an unknown domain as off (multicast listeners never get here: owns() said no).
          if (!hit) {
            return op === FenceCommand.STATUS
              ? { kind: 'result', result: Result.OFF, detail: 'domain not found', unknownDomain: true }
              : fail('domain not found', { unknownDomain: true });
          }
          if (peer.scope && !peer.scope.allowsDomain(peer.source, hit.info)) {
            return { kind: 'result', result: Result.PERM, detail: `'${domain}' is outside cluster ${peer.scope.name}` };
          }
          if (op === FenceCommand.STATUS) return { kind: 'result', result: hit.info.state === DomainState.SHUTOFF ? Result.OFF : Result.SUCCESS };
          backend = hit.backend;
        }
        switch (op) {
          case FenceCommand.OFF:
            await backend.off(domain, s);
            return { kind: 'result', result: Result.SUCCESS };
          case FenceCommand.ON:
            await backend.on(domain, s);
            return { kind: 'result', result: Result.SUCCESS };
          default: {
            const r = await backend.reboot(domain, s);
            return { kind: 'result', result: Result.SUCCESS, ...(r === 'was-off' ? { detail: 'was off; left off (fence_virtd semantics)' } : {}) };
          }
        }
      });
    } catch (e) {
      return explain(e, `${commandName(op)} '${domain}'`, ms);
    }
  }

  return { handle, owns };
}

/**
 * Runs `fn` with a signal that aborts after `ms` (a TimeoutError
 * DOMException, like AbortSignal.timeout) or when `outer` aborts. Timer and
 * listener are always released: AbortSignal.any() would hang a composite
 * signal per request off the listener's long-lived one.
 */
export async function withDeadline<T>(ms: number, outer: AbortSignal, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onOuter = () => ac.abort(outer.reason);
  if (outer.aborted) onOuter();
  else outer.addEventListener('abort', onOuter, { once: true });
  const timer = setTimeout(() => ac.abort(new DOMException(`operation exceeded ${ms} ms`, 'TimeoutError')), ms);
  try {
    return await fn(ac.signal);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuter);
  }
}

/** Serializes work per key; different keys run concurrently. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
