// The agent contract: a parameter table plus observe/start/stop (and
// optionally promote/demote/notify/reload). No exit codes, stderr or XML in
// agents; the framework derives those (as resource-agents' ocf-rarun).

import type { Env } from './env.js';
import type { DetachOptions, RunOptions, RunResult } from './exec.js';
import type { OcfLog } from './log.js';
import type { ActionSpec } from './metadata.js';
import type { ParamTable, ParamValues } from './params.js';

export type { ActionSpec } from './metadata.js';
export type { RunOptions, RunResult, DetachOptions } from './exec.js';

/** What observe() reports; a failed or unknown state is thrown as OcfError. */
export type Observed = 'running' | 'stopped' | 'promoted';

export interface OcfContext {
  readonly action: string;
  readonly instance: string;
  /** monitor (or status) with CRM_meta_interval 0 or unset */
  readonly isProbe: boolean;
  readonly checkLevel: number;
  /** CRM_meta_interval, ms */
  readonly interval: number;
  /** CRM_meta_timeout, ms (20000 when unset) */
  readonly timeoutMs: number;
  /** OCF_RESKEY_CRM_meta_* without the prefix */
  readonly meta: Readonly<Record<string, string>>;
  readonly env: Env;
  /** Aborts a little before the operation deadline. */
  readonly signal: AbortSignal;
  /** ms left before the deadline */
  remaining(): number;
  /** Sleeps `ms`, but never past the deadline. */
  sleep(ms: number): Promise<void>;
  readonly log: OcfLog;
  /** Runs a program (see exec.ts); never rejects for a non-zero exit. */
  run(file: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** run(), then OcfError(ERR_GENERIC) naming the command and its stderr unless it exited 0. */
  mustRun(file: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a daemon detached from the agent's stdio; returns its pid. */
  spawnDetached(file: string, args: readonly string[], opts?: DetachOptions): number;
  /** PATH lookup honouring OCF_TESTER_FAIL_HAVE_BINARY. */
  findBinary(name: string): string | undefined;
}

export type Handler<P extends ParamTable> = (p: ParamValues<P>, ctx: OcfContext) => Promise<void>;

export interface OcfAgentSpec<P extends ParamTable> {
  name: string;
  /** Agent version: resource-agent@version in meta-data. */
  version: string;
  shortdesc: string;
  longdesc: string;
  params: P;
  /** Advertised actions; meta-data (5 s) and validate-all (20 s) are added if absent. */
  actions: readonly ActionSpec[];
  /** Programs every action but meta-data needs; missing -> OCF_ERR_INSTALLED (probe: 5, stop: 0). */
  binaries?: readonly string[] | ((p: ParamValues<P>) => readonly string[]);
  /** Checks beyond the parameter table; throw OcfError. */
  validate?(p: ParamValues<P>, ctx: OcfContext): Promise<void>;
  observe(p: ParamValues<P>, ctx: OcfContext): Promise<Observed>;
  start: Handler<P>;
  stop: Handler<P>;
  promote?: Handler<P>;
  demote?: Handler<P>;
  notify?: Handler<P>;
  reload?: Handler<P>;
}

export interface OcfAgent<P extends ParamTable> {
  readonly spec: Readonly<OcfAgentSpec<P>>;
  /** The advertised actions, completed with meta-data and validate-all. */
  readonly actions: readonly ActionSpec[];
  /** The meta-data XML (its renderer loads only for this action). */
  metadata(): Promise<string>;
}

/** Action names ra-api-1.dtd accepts (ocf-tester validates against it). */
const DTD_ACTIONS: ReadonlySet<string> = new Set([
  'start', 'stop', 'recover', 'monitor', 'restart', 'migrate_to', 'migrate_from', 'promote', 'demote',
  'notify', 'status', 'reload', 'meta-data', 'usage', 'methods', 'validate-all',
]);

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPTIONAL_HANDLERS = ['promote', 'demote', 'notify', 'reload'] as const;

/** Checks the declaration once (programming errors throw TypeError) and freezes it. */
export function defineAgent<P extends ParamTable>(spec: OcfAgentSpec<P>): OcfAgent<P> {
  const where = `agent ${spec.name}`;
  const names = Object.keys(spec.params);
  if (names.length === 0) throw new TypeError(`${where}: the OCF schema needs at least one parameter`);
  for (const n of names) {
    if (!PARAM_NAME.test(n)) throw new TypeError(`${where}: parameter name '${n}' is not a valid OCF_RESKEY_ suffix`);
  }
  const actions: ActionSpec[] = [];
  for (const a of spec.actions) {
    if (!DTD_ACTIONS.has(a.name)) throw new TypeError(`${where}: action '${a.name}' is not allowed by ra-api-1.dtd`);
    if (!(a.timeout > 0)) throw new TypeError(`${where}: action '${a.name}' needs a positive timeout`);
    actions.push(Object.freeze({ ...a }));
  }
  for (const h of OPTIONAL_HANDLERS) {
    const advertised = actions.some((a) => a.name === h);
    if (advertised !== (spec[h] !== undefined)) {
      throw new TypeError(`${where}: action '${h}' must be both advertised and implemented, or neither`);
    }
  }
  if ((spec.promote === undefined) !== (spec.demote === undefined)) {
    throw new TypeError(`${where}: promote and demote come together`);
  }
  for (const required of ['start', 'stop', 'monitor']) {
    if (!actions.some((a) => a.name === required)) throw new TypeError(`${where}: action '${required}' must be advertised`);
  }
  if (!actions.some((a) => a.name === 'validate-all')) actions.push({ name: 'validate-all', timeout: 20 });
  if (!actions.some((a) => a.name === 'meta-data')) actions.push({ name: 'meta-data', timeout: 5 });
  const frozen = Object.freeze({ ...spec, actions: Object.freeze(actions) });
  return Object.freeze({
    spec: frozen,
    actions: frozen.actions,
    metadata: async () => (await import('./metadata.js')).renderMetadata(frozen),
  });
}
