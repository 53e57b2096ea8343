// The core of palisaded: turns a verified request into backend calls and a
// result code, with fence_virtd's semantics (server/libvirt.c, reference
// §4.1). Listeners see only `Handle`; ACL is applied here because what it
// protects depends on the operation.
import { FenceCommand, Result, commandName } from '../protocol/constants.js';
import type { FenceRequest } from '../protocol/fence-req.js';
import type { HostRecord } from '../protocol/host-list.js';
import { DomainState, type Backend } from './backends/types.js';
import { DomainNotFoundError, PeerTimeoutError } from './errors.js';
import type { LogFn } from './log.js';

export interface Peer {
  /** Listener instance name, for logs ("tcp", "tcp:cluster-a"). */
  readonly listener: string;
  /** ACL source string: numeric IP for tcp/multicast, domain UUID for serial. */
  readonly source: string;
  /** Human-readable peer for logs (ip:port, socket path). */
  readonly address: string;
}

export type Reply =
  | { readonly kind: 'result'; readonly result: number; readonly detail?: string; readonly unknownDomain?: boolean }
  | { readonly kind: 'hostlist'; readonly hosts: readonly HostRecord[] }
  | { readonly kind: 'drop'; readonly reason: string };

export type Handle = (req: FenceRequest, peer: Peer, signal: AbortSignal) => Promise<Reply>;
export type Layer = (next: Handle) => Handle;

export interface AccessPolicy {
  allows(source: string, target: string): boolean;
  allowsDomain(source: string, domain: { name: string; uuid: string }): boolean;
}

/** How long one backend operation may take before the request fails. */
export const OPERATION_TIMEOUT_MS = { status: 15_000, power: 30_000, reboot: 60_000, list: 15_000 } as const;

export function compose(handle: Handle, layers: readonly Layer[]): Handle {
  return layers.reduceRight((next, layer) => layer(next), handle);
}

export function createDispatcher(opts: { backend: Backend; acl: AccessPolicy; log: LogFn }): Handle {
  const { backend, acl, log } = opts;
  const locks = new KeyedMutex();

  const fail = (detail: string, extra?: { unknownDomain?: boolean }): Reply => ({ kind: 'result', result: Result.FAIL, detail, ...extra });
  const explain = (e: unknown, op: string, ms: number): Reply => {
    if (e instanceof DomainNotFoundError) return fail('domain not found', { unknownDomain: true });
    if (e instanceof PeerTimeoutError) return fail(e.message);
    if (e instanceof DOMException && e.name === 'TimeoutError') {
      const t = new PeerTimeoutError('backend', ms, `backend ${op}`);
      log('error', t.message);
      return fail(t.message);
    }
    log('error', `backend: ${e instanceof Error ? e.message : String(e)}`);
    return fail(e instanceof Error ? e.message : String(e));
  };

  return async (req, peer, signal) => {
    const domain = req.domain;
    switch (req.request) {
      case FenceCommand.NULL:
        // fence_virtd answers 1 to null; clients use it as a connectivity probe.
        return { kind: 'result', result: Result.FAIL, detail: 'null operation' };
      case FenceCommand.DEVSTATUS:
        try {
          await withDeadline(OPERATION_TIMEOUT_MS.list, signal, (s) => backend.list(s));
          return { kind: 'result', result: Result.SUCCESS };
        } catch (e) {
          return explain(e, 'monitor', OPERATION_TIMEOUT_MS.list);
        }
      case FenceCommand.HOSTLIST:
        try {
          const all = await withDeadline(OPERATION_TIMEOUT_MS.list, signal, (s) => backend.list(s));
          const hosts = all.filter((d) => acl.allowsDomain(peer.source, d)).map((d) => ({ domain: d.name, uuid: d.uuid, state: d.state }));
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
        return locks.run(domain.toLowerCase(), () => power(req.request, domain, signal));
      default:
        return { kind: 'result', result: Result.FAIL, detail: `unsupported request code ${req.request}` };
    }
  };

  async function power(op: number, domain: string, signal: AbortSignal): Promise<Reply> {
    const ms = op === FenceCommand.STATUS ? OPERATION_TIMEOUT_MS.status : op === FenceCommand.REBOOT ? OPERATION_TIMEOUT_MS.reboot : OPERATION_TIMEOUT_MS.power;
    try {
      switch (op) {
        case FenceCommand.STATUS: {
          const info = await withDeadline(ms, signal, (s) => backend.lookup(domain, s));
          // fence_virtd reports an unknown domain as off; multicast listeners use unknownDomain to stay silent.
          if (!info) return { kind: 'result', result: Result.OFF, detail: 'domain not found', unknownDomain: true };
          return { kind: 'result', result: info.state === DomainState.SHUTOFF ? Result.OFF : Result.SUCCESS };
        }
        case FenceCommand.OFF:
          await withDeadline(ms, signal, (s) => backend.off(domain, s));
          return { kind: 'result', result: Result.SUCCESS };
        case FenceCommand.ON:
          await withDeadline(ms, signal, (s) => backend.on(domain, s));
          return { kind: 'result', result: Result.SUCCESS };
        default: {
          const r = await withDeadline(ms, signal, (s) => backend.reboot(domain, s));
          return { kind: 'result', result: Result.SUCCESS, ...(r === 'was-off' ? { detail: 'was off; left off (fence_virtd semantics)' } : {}) };
        }
      }
    } catch (e) {
      return explain(e, `${commandName(op)} '${domain}'`, ms);
    }
  }
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
