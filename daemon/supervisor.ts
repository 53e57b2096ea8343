// Owns the running configuration after start-up: SIGHUP reloads and the
// final stop, one at a time. A reload never ends the process. The new
// configuration is built completely (file parsed, keys read, backends
// connected) while the old one serves. A listener bound to the same address
// takes the old one's socket over; only the others need the old listeners
// closed first. If the new ones cannot bind, the old listeners start again
// with the keys and backend connections they already hold, so a key file
// removed or a hypervisor gone since start-up cannot stop the restore. If
// even that fails (someone else took the port), it is retried until it
// works or another SIGHUP brings a configuration that binds.
import { readConfigFile } from './config/parse.js';
import { planDaemon, type DaemonPlan } from './daemon-config.js';
import { Runtime } from './runtime.js';
import type { LogFn } from './log.js';

/** What the supervisor needs of a running configuration (Runtime; tests pass stand-ins). */
export type Serving = Pick<Runtime, 'listening' | 'bindKeys' | 'start' | 'stopListening' | 'close' | 'handoverTo'>;

export interface SupervisorOptions {
  readonly configFile: string;
  readonly log: LogFn;
  /** Applies the daemon-wide settings of a plan now in force (the debug level). */
  readonly applyPlan: (plan: DaemonPlan) => void;
  /** How long to wait before trying again to bind the previous listeners. */
  readonly retryMs: number;
  /** Builds the configuration in `configFile` (default: parse, plan, Runtime.create). */
  readonly build?: (configFile: string, log: LogFn) => Promise<{ plan: DaemonPlan; runtime: Serving }>;
}

async function buildRuntime(configFile: string, log: LogFn): Promise<{ plan: DaemonPlan; runtime: Serving }> {
  const plan = planDaemon(await readConfigFile(configFile));
  return { plan, runtime: await Runtime.create(plan, log) };
}

export class Supervisor {
  #runtime: Serving;
  #busy: Promise<void> = Promise.resolve();
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  #restoreFailure: string | undefined;
  readonly #opts: SupervisorOptions;

  constructor(runtime: Serving, opts: SupervisorOptions) {
    this.#runtime = runtime;
    this.#opts = opts;
  }

  /** Reloads the configuration file. Never rejects: every failure is logged and the daemon keeps what it can serve. */
  reload(): Promise<void> {
    return this.#serialize(() => this.#reload());
  }

  /** Stops the listeners (draining requests in progress) and the backends. */
  stop(): Promise<void> {
    return this.#serialize(async () => {
      this.#stopped = true;
      clearTimeout(this.#retry);
      await this.#runtime.close();
    });
  }

  #serialize(fn: () => Promise<void>): Promise<void> {
    const { log } = this.#opts;
    const guarded = async () => {
      try {
        await fn();
      } catch (e) {
        // A bug, not a configuration problem; still no reason to stop fencing.
        log('error', `reload: unexpected failure, keeping what runs: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      }
    };
    this.#busy = this.#busy.then(guarded);
    return this.#busy;
  }

  async #reload(): Promise<void> {
    if (this.#stopped) return;
    const { configFile, log } = this.#opts;
    log('info', `SIGHUP: reloading ${configFile}`);
    let plan: DaemonPlan;
    let next: Serving;
    try {
      ({ plan, runtime: next } = await (this.#opts.build ?? buildRuntime)(configFile, log));
    } catch (e) {
      log('error', `reload failed, keeping the running configuration: ${(e as Error).message}`);
      return;
    }
    const previous = this.#runtime;
    // Listeners bound to the same address keep their socket (no connection is
    // refused); the others are closed first so that their ports are free.
    const handover = previous.handoverTo(next);
    await previous.stopListening(new Set(handover.values()));
    try {
      await next.start(handover);
    } catch (e) {
      log('error', `reload failed to bind (${(e as Error).message}); restoring the previous configuration`);
      await next.close();
      await previous.stopListening();
      await this.#restore(previous);
      return;
    }
    clearTimeout(this.#retry);
    this.#runtime = next;
    await previous.close();
    this.#opts.applyPlan(plan);
    log('info', 'reload complete');
  }

  /** Starts the previous listeners again; on failure, retries later until they bind or a reload replaces them. */
  async #restore(previous: Serving): Promise<void> {
    const { log, retryMs } = this.#opts;
    if (this.#stopped || this.#runtime !== previous || previous.listening) return;
    try {
      await previous.start();
      this.#restoreFailure = undefined;
      log('info', 'previous configuration restored');
    } catch (e) {
      // Logged once per reason, not every retry.
      const why = (e as Error).message;
      if (why !== this.#restoreFailure) {
        log('error', `cannot restore the previous configuration (${why}); not serving; retrying every ${retryMs / 1000} s, or send SIGHUP once the configuration is fixed`);
      }
      this.#restoreFailure = why;
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => void this.#serialize(() => this.#restore(previous)), retryMs);
    }
  }
}
