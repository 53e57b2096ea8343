// The libvirt backend over one or more hypervisors (uri, uri1, …), with
// fence_virtd's semantics (fence-virt server/libvirt.c).
//
// Lookup matches the request against each hypervisor's domain list: by
// UUID when the string is one (is_uuid), otherwise by exact name. Every
// command addresses the domain by UUID, never by name (see virsh.ts); a
// name's UUID from the previous listing is tried first and confirmed by
// virsh (domname) in the same round trip as the state.
//
// The first hypervisor, in uri order, that has the domain wins. If an
// earlier one cannot answer, the lookup fails: acting on a same-named
// domain further down the list could fence the wrong machine.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError, DomainNotFoundError } from '../../errors.js';
import { DomainState, compareDomains, type Backend, type BackendCapabilities, type DomainInfo, type DomainStateValue, type PluginContext } from '../types.js';
import { isUuid } from './is-uuid.js';
import { DEFAULT_STATUS_CACHE_MS, StatusCache } from './status-cache.js';
import type { DomainRef, Virsh } from './virsh.js';

export interface LibvirtBackendOptions {
  readonly log: PluginContext['log'];
  /** Pause between state checks while waiting for shut-off after destroy. */
  readonly pollMs?: number;
  /** How long a destroyed domain may take to reach shut-off (fence_virtd: 15 s). */
  readonly shutoffWaitMs?: number;
  /** Status answers may be reused this long (0: never); see status-cache.ts. */
  readonly statusCacheMs?: number;
}

interface Found {
  readonly virsh: Virsh;
  readonly ref: DomainRef;
  readonly state: DomainStateValue;
}

const DEFAULT_POLL_MS = 50;
const DEFAULT_SHUTOFF_WAIT_MS = 15_000;

export class LibvirtBackend implements Backend {
  readonly #hypervisors: readonly Virsh[];
  readonly #log: PluginContext['log'];
  readonly #pollMs: number;
  readonly #shutoffWaitMs: number;
  readonly #statusCache: StatusCache;
  /** Guests' serial and vmchannel sockets are named in their libvirt XML. */
  readonly capabilities: BackendCapabilities;

  constructor(hypervisors: readonly Virsh[], opts: LibvirtBackendOptions) {
    if (hypervisors.length === 0) throw new RangeError('LibvirtBackend needs at least one hypervisor');
    this.#hypervisors = hypervisors;
    this.#log = opts.log;
    this.#pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    this.#shutoffWaitMs = opts.shutoffWaitMs ?? DEFAULT_SHUTOFF_WAIT_MS;
    this.#statusCache = new StatusCache(opts.statusCacheMs ?? DEFAULT_STATUS_CACHE_MS);
    this.capabilities = {
      guestSockets: { uris: hypervisors.map((v) => v.uri), domainXml: (domain, signal) => this.domainXml(domain, signal) },
    };
  }


  async lookup(domain: string, signal: AbortSignal): Promise<DomainInfo | undefined> {
    const cached = this.#statusCache.get(domain);
    if (cached !== 'miss') return cached;
    const generation = this.#statusCache.generation;
    const hit = await this.#find(domain, signal);
    const info = hit && { name: hit.ref.name, uuid: hit.ref.uuid, state: hit.state };
    this.#statusCache.set(domain, info, generation);
    return info;
  }

  off(domain: string, signal: AbortSignal): Promise<void> {
    return this.#changing(() => this.#off(domain, signal));
  }

  on(domain: string, signal: AbortSignal): Promise<void> {
    return this.#changing(() => this.#on(domain, signal));
  }

  reboot(domain: string, signal: AbortSignal): Promise<'rebooted' | 'was-off'> {
    return this.#changing(() => this.#reboot(domain, signal));
  }

  /** A power operation: status answers from before it, or from during it, are never reused. */
  async #changing<T>(op: () => Promise<T>): Promise<T> {
    this.#statusCache.clear();
    try {
      return await op();
    } finally {
      this.#statusCache.clear();
    }
  }

  async #off(domain: string, signal: AbortSignal): Promise<void> {
    const hit = await this.#require(domain, signal);
    if (hit.state === DomainState.SHUTOFF) return;
    await this.#destroy(hit, signal);
  }

  async #on(domain: string, signal: AbortSignal): Promise<void> {
    const hit = await this.#require(domain, signal);
    // fence_virtd starts only a SHUTOFF domain; any other state counts as on.
    if (hit.state !== DomainState.SHUTOFF) return;
    try {
      await hit.virsh.start(hit.ref.uuid, signal);
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      // Someone else may have started it meanwhile.
      const now = await hit.virsh.domState(hit.ref.uuid, signal);
      if (now === undefined || now === DomainState.SHUTOFF) throw e;
    }
  }

  async #reboot(domain: string, signal: AbortSignal): Promise<'rebooted' | 'was-off'> {
    const hit = await this.#require(domain, signal);
    // fence_virtd quirk, kept: reboot leaves a shut-off domain off and succeeds.
    if (hit.state === DomainState.SHUTOFF) return 'was-off';
    const persistent = await hit.virsh.isPersistent(hit.ref.uuid, signal);
    if (persistent === undefined) throw new DomainNotFoundError(domain);
    // A transient domain disappears on destroy; keep its XML to create it again.
    const xml = persistent ? undefined : await hit.virsh.dumpXml(hit.ref.uuid, signal);
    await this.#destroy(hit, signal);
    try {
      if (xml === undefined) await hit.virsh.start(hit.ref.uuid, signal);
      else await this.#createTransient(hit.virsh, xml, signal);
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      // fence_virtd answers success here too: the domain was reset, which is what fencing needs.
      this.#log('error', `reboot ${hit.ref.name} (${hit.ref.uuid}) on ${hit.virsh.uri}: destroyed, but starting it again failed: ${e.message}`);
    }
    return 'rebooted';
  }

  /** All hypervisors' domains; a UUID seen on two hypervisors is listed once, from the first. */
  async list(signal: AbortSignal): Promise<readonly DomainInfo[]> {
    const perHypervisor = await Promise.all(
      this.#hypervisors.map(async (v) => {
        const refs = await v.listAll(signal);
        const states = refs.length > 0 ? await v.domStates(refs.map((r) => r.uuid), signal) : [];
        return refs.flatMap((r, i): DomainInfo[] => {
          const state = states[i];
          return state === undefined ? [] : [{ name: r.name, uuid: r.uuid, state }];
        });
      }),
    );
    const seen = new Set<string>();
    const all = perHypervisor.flat().filter((d) => !seen.has(d.uuid) && seen.add(d.uuid));
    return all.sort(compareDomains);
  }

  async domainXml(domain: string, signal: AbortSignal): Promise<string> {
    const hit = await this.#require(domain, signal);
    return hit.virsh.dumpXml(hit.ref.uuid, signal);
  }

  async close(): Promise<void> {
    await Promise.all(this.#hypervisors.map((v) => v.close()));
  }

  async #find(domain: string, signal: AbortSignal): Promise<Found | undefined> {
    const wantUuid = isUuid(domain);
    const want = wantUuid ? domain.toLowerCase() : domain;
    const tries = this.#hypervisors.map((v) => this.#findOn(v, want, wantUuid, signal));
    // Once an earlier hypervisor has the domain, later answers are not awaited.
    for (const p of tries) p.catch(() => {});
    for (const t of tries) {
      const hit = await t;
      if (hit) return hit;
    }
    return undefined;
  }

  /**
   * One round trip when the UUID is known (given, or cached from the last
   * listing) and virsh confirms it; otherwise list, match, and ask the state.
   */
  async #findOn(virsh: Virsh, want: string, wantUuid: boolean, signal: AbortSignal): Promise<Found | undefined> {
    const guess = wantUuid ? want : virsh.cachedUuid(want);
    if (guess) {
      const seen = await virsh.identify(guess, signal);
      if (seen && (wantUuid || seen.name === want)) return { virsh, ref: { uuid: guess, name: seen.name }, state: seen.state };
    }
    const ref = (await virsh.listAll(signal)).find((r) => (wantUuid ? r.uuid === want : r.name === want));
    if (!ref) return undefined;
    const state = await virsh.domState(ref.uuid, signal);
    return state === undefined ? undefined : { virsh, ref, state }; // undefined: gone since it was listed
  }

  async #require(domain: string, signal: AbortSignal): Promise<Found> {
    const hit = await this.#find(domain, signal);
    if (!hit) throw new DomainNotFoundError(domain);
    return hit;
  }

  /** Destroy, then wait until the domain is shut off (or gone, if transient). */
  async #destroy(hit: Found, signal: AbortSignal): Promise<void> {
    const { virsh, ref } = hit;
    try {
      await virsh.destroy(ref.uuid, signal);
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      // "domain is not running": it went down by itself meanwhile, which is what we want.
      const now = await virsh.domState(ref.uuid, signal);
      if (now !== undefined && now !== DomainState.SHUTOFF) throw e;
      return;
    }
    const deadline = Date.now() + this.#shutoffWaitMs;
    for (;;) {
      const state = await virsh.domState(ref.uuid, signal);
      if (state === undefined || state === DomainState.SHUTOFF) return;
      if (Date.now() >= deadline) {
        throw new BackendError(
          `${virsh.session.peer}: ${ref.name} (${ref.uuid}) is still ${stateName(state)} ${this.#shutoffWaitMs} ms after destroy`,
          { command: `${virsh.session.peer} destroy --domain ${ref.uuid}` },
        );
      }
      await sleep(this.#pollMs, signal);
    }
  }

  async #createTransient(virsh: Virsh, xml: string, signal: AbortSignal): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-virsh-'));
    try {
      const file = join(dir, 'domain.xml');
      await writeFile(file, xml, { mode: 0o600 });
      await virsh.create(file, signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function stateName(state: DomainStateValue): string {
  return Object.entries(DomainState).find(([, v]) => v === state)?.[0] ?? String(state);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
