// A running configuration: backends, dispatch layers and listeners, built
// from a DaemonPlan. Created fully (keys read, options checked, backends
// connected) before anything binds; closed in reverse order.
import type { DaemonPlan } from './daemon-config.js';
import { compose, createDispatcher, type Service } from './dispatch.js';
import { auditLayer } from './layers/audit.js';
import { historyLayer } from './layers/history.js';
import { buildAcl, buildClusters, type Acl, type Cluster } from './acl.js';
import { createHistory } from './history.js';
import type { NamedBackend } from './backends/types.js';
import type { Listener } from './listeners/types.js';
import type { LogFn } from './log.js';
import { asciiLower } from './_text.js';

/** Groups named by a listener's `group` option: they are cluster scopes, not ACL groups. */
export function scopeGroupNames(plan: DaemonPlan): Set<string> {
  const named = new Set<string>();
  for (const l of plan.listeners) {
    const v = l.section.values.get('group')?.at(-1)?.value;
    if (v !== undefined) named.add(asciiLower(v));
  }
  return named;
}

export interface AccessModel {
  readonly acl: Acl;
  readonly clusters: ReadonlyMap<string, Cluster>;
}

export function accessModel(plan: DaemonPlan): AccessModel {
  const named = scopeGroupNames(plan);
  return { acl: buildAcl(plan.root, named), clusters: buildClusters(plan.root, named) };
}

export class Runtime {
  readonly plan: DaemonPlan;
  readonly #backends: readonly NamedBackend[];
  readonly #listeners: readonly Listener[];
  readonly #log: LogFn;
  readonly #service: Service;

  private constructor(plan: DaemonPlan, backends: readonly NamedBackend[], listeners: readonly Listener[], log: LogFn, service: Service) {
    this.plan = plan;
    this.#backends = backends;
    this.#listeners = listeners;
    this.#log = log;
    this.#service = service;
  }

  static async create(plan: DaemonPlan, log: LogFn): Promise<Runtime> {
    const { acl, clusters } = accessModel(plan);
    for (const w of [...plan.warnings, ...acl.warnings]) log('warn', w);
    const backends: NamedBackend[] = [];
    try {
      for (const b of plan.backends) backends.push({ name: b.name, backend: await b.spec.create(b.section, { log }) });
      const listeners: Listener[] = [];
      for (const l of plan.listeners) {
        listeners.push(await l.spec.create(l.section, { log, name: l.name, backends, clusters }));
      }
      const dispatcher = createDispatcher({ backends: backends.map((b) => b.backend), acl, log });
      // Audit outermost so that dropped duplicates are logged too.
      const handle = compose(dispatcher.handle, [auditLayer(log), historyLayer(createHistory())]);
      return new Runtime(plan, backends, listeners, log, { handle, owns: dispatcher.owns });
    } catch (e) {
      await Promise.allSettled(backends.map((b) => b.backend.close()));
      throw e;
    }
  }

  get descriptions(): string[] {
    return this.#listeners.map((l) => l.description);
  }

  #listening = false;
  /** Listeners started and not yet closed (some may have handed their socket to a reload). */
  readonly #open = new Set<Listener>();

  /** Whether every listener is bound and serving. */
  get listening(): boolean {
    return this.#listening;
  }

  /**
   * Binds every listener; on failure releases what was bound and rethrows.
   * May be called again after stopListening(): keys and backends are kept.
   * `inherit` maps bindKeys to a previous configuration's listeners whose
   * bound sockets may be taken over (see handoverTo).
   */
  async start(inherit: ReadonlyMap<string, Listener> = new Map()): Promise<void> {
    if (this.#listening) return;
    const started: Listener[] = [];
    try {
      for (const l of this.#listeners) {
        const from = l.bindKey === undefined ? undefined : inherit.get(l.bindKey);
        await l.start(this.#service, from);
        started.push(l);
        this.#open.add(l);
        this.#log('info', `listening: ${l.description}${from ? ' (socket taken over)' : ''}`);
      }
      this.#listening = true;
    } catch (e) {
      for (const l of started) this.#open.delete(l);
      await Promise.allSettled(started.map((l) => l.close()));
      throw e;
    }
  }

  /** What this runtime's listeners bind, for those that can take a socket over on reload. */
  get bindKeys(): readonly string[] {
    return this.#listeners.flatMap((l) => (l.bindKey === undefined ? [] : [l.bindKey]));
  }

  /** This runtime's listeners bound to what `next` binds too, by bindKey: next takes their sockets over. */
  handoverTo(next: { readonly bindKeys: readonly string[] }): Map<string, Listener> {
    const wanted = new Set(next.bindKeys);
    const out = new Map<string, Listener>();
    for (const l of this.#open) if (l.bindKey !== undefined && wanted.has(l.bindKey)) out.set(l.bindKey, l);
    return out;
  }

  /** Stops intake and drains the listeners, except those in `keep` (handed to a reload); the backends stay connected. */
  async stopListening(keep: ReadonlySet<Listener> = new Set()): Promise<void> {
    this.#listening = false;
    const closing = [...this.#open].filter((l) => !keep.has(l));
    for (const l of closing) this.#open.delete(l);
    await Promise.allSettled(closing.map((l) => l.close()));
  }

  /** Listeners first (stop intake, drain), then the backends. */
  async close(): Promise<void> {
    await this.stopListening();
    await Promise.all(this.#backends.map((b) => b.backend.close().catch((e: unknown) => this.#log('warn', `backend ${b.name} close: ${String(e)}`))));
  }
}
