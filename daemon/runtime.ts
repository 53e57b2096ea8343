// A running configuration: backend, dispatch layers and listeners, built
// from a DaemonPlan. Created fully (keys read, options checked, backend
// connected) before anything binds; closed in reverse order.
import type { DaemonPlan } from './daemon-config.js';
import { compose, createDispatcher, type Handle } from './dispatch.js';
import { auditLayer } from './layers/audit.js';
import { historyLayer } from './layers/history.js';
import { buildAcl } from './acl.js';
import { createHistory } from './history.js';
import type { Backend } from './backends/types.js';
import type { Listener } from './listeners/types.js';
import type { LogFn } from './log.js';

export class Runtime {
  readonly plan: DaemonPlan;
  readonly #backend: Backend;
  readonly #listeners: readonly Listener[];
  readonly #log: LogFn;
  readonly #handle: Handle;

  private constructor(plan: DaemonPlan, backend: Backend, listeners: readonly Listener[], log: LogFn, handle: Handle) {
    this.plan = plan;
    this.#backend = backend;
    this.#listeners = listeners;
    this.#log = log;
    this.#handle = handle;
  }

  static async create(plan: DaemonPlan, log: LogFn): Promise<Runtime> {
    const acl = buildAcl(plan.root);
    const listener = await plan.listener.spec.create(plan.listener.section, { log, name: plan.listener.name });
    const backend = await plan.backend.spec.create(plan.backend.section, { log });
    // Audit outermost so that dropped duplicates are logged too.
    const handle = compose(createDispatcher({ backend, acl, log }), [auditLayer(log), historyLayer(createHistory())]);
    return new Runtime(plan, backend, [listener], log, handle);
  }

  get descriptions(): string[] {
    return this.#listeners.map((l) => l.description);
  }

  /** Binds every listener; on failure releases what was bound and rethrows. */
  async start(): Promise<void> {
    const started: Listener[] = [];
    try {
      for (const l of this.#listeners) {
        await l.start(this.#handle);
        started.push(l);
        this.#log('info', `listening: ${l.description}`);
      }
    } catch (e) {
      await Promise.allSettled(started.map((l) => l.close()));
      throw e;
    }
  }

  /** Listeners first (stop intake, drain), then the backend. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#listeners.map((l) => l.close()));
    await this.#backend.close().catch((e: unknown) => this.#log('warn', `backend close: ${String(e)}`));
  }
}
