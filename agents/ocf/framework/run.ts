// The action runner (ocf-rarun): fixes the order of checks, applies the
// invalid-environment policy in one place, derives start/stop/monitor/
// promote/demote from observe(), and turns errors into exit codes and
// `ocf-exit-reason:` lines.

import type { Handler, Observed, OcfAgent, OcfContext } from './agent.js';
import { uptimeMs } from './_builtins.js';
import { checkInstance, checkLevelOf, readOcfEnv, type Env, type OcfEnv } from './env.js';
import { checkResult, findBinary, run, spawnDetached, type Deadline } from './exec.js';
import { DeadlineError, MissingBinaryError, OCF, OcfError, UnknownStateError, ocfCodeName, type OcfExitCode } from './exit.js';
import { createLog, type OcfLog } from './log.js';
import { parseParams, type Fallback, type InvalidParam, type ParamTable, type ParamValues } from './params.js';

export interface ActionIo {
  out(s: string): void;
  err(s: string): void;
}

export interface RunActionOptions {
  /** When the operation began, in ms since process start (process.uptime()); defaults to the call time. */
  startedAt?: number;
}

/** Actions the framework implements for every agent. */
const CORE = new Set(['start', 'stop', 'monitor', 'status', 'validate-all']);

function usage<P extends ParamTable>(agent: OcfAgent<P>, type: string): string {
  const names = [...new Set([...agent.actions.map((a) => a.name), 'usage'])];
  return `usage: ${type} {${names.join('|')}}\n`;
}

/** The handler behind an action name, or undefined for an unknown/unsupported one. */
function resolveAction<P extends ParamTable>(agent: OcfAgent<P>, action: string): string | undefined {
  if (CORE.has(action)) return action;
  const name = action === 'reload-agent' ? 'reload' : action;
  if ((name === 'promote' || name === 'demote' || name === 'notify' || name === 'reload') && agent.spec[name]) {
    return name;
  }
  return undefined;
}

/** How long before the operation timeout our own deadline fires. */
function margin(timeoutMs: number): number {
  return Math.min(1000, Math.max(50, timeoutMs * 0.05));
}

interface Clock extends Deadline {
  sleep(ms: number): Promise<void>;
  /** Rejects with `error()` when the deadline passes. */
  expired(error: () => Error): Promise<never>;
  /** Stops the timer and aborts the signal, ending any child still running. */
  dispose(): void;
}

/**
 * The operation deadline. `startedAt` is in ms since process start (0 =
 * the resource manager's fork, so Node's own start-up counts). The
 * AbortController is only created when something asks for the signal:
 * loading it costs start-up time a plain monitor does not need.
 */
function clock(timeoutMs: number, startedAt: number): Clock {
  const at = startedAt + timeoutMs - margin(timeoutMs);
  const waiters = new Set<() => void>();
  let fired = false;
  // timers may fire a fraction of a millisecond early; once fired, no time is left
  const remaining = () => (fired ? 0 : Math.max(0, at - uptimeMs()));
  let controller: AbortController | undefined;
  const fire = () => {
    fired = true;
    controller?.abort();
    for (const w of [...waiters]) w();
  };
  const timer = setTimeout(fire, remaining());
  return {
    get signal() {
      controller ??= new AbortController();
      if (fired) controller.abort();
      return controller.signal;
    },
    remaining,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (fired) return resolve();
        const done = () => {
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(ms, remaining()));
        waiters.add(done);
      }),
    expired: (error) =>
      new Promise<never>((_, reject) => {
        if (fired) return reject(error());
        waiters.add(() => reject(error()));
      }),
    dispose: () => {
      clearTimeout(timer);
      waiters.clear();
      controller?.abort();
    },
  };
}

function makeContext(action: string, oe: OcfEnv, env: Env, log: OcfLog, c: Clock): OcfContext {
  const deadline: Deadline = c;
  let checkLevel = 0;
  try {
    checkLevel = checkLevelOf(env);
  } catch {
    // reported by prepare(), in its place in the order of checks
  }
  const ctx: OcfContext = {
    action,
    instance: oe.instance,
    isProbe: (action === 'monitor' || action === 'status') && oe.interval === 0,
    checkLevel,
    interval: oe.interval,
    timeoutMs: oe.timeoutMs,
    meta: oe.meta,
    env,
    get signal() {
      return c.signal;
    },
    remaining: c.remaining,
    sleep: c.sleep,
    log,
    run: (file, args, opts) => {
      log.debug(`running ${file} ${args.join(' ')}`);
      return run(file, args, opts ?? {}, deadline, env);
    },
    mustRun: async (file, args, opts) => checkResult(await ctx.run(file, args, opts), oe.timeoutMs),
    spawnDetached: (file, args, opts) => spawnDetached(file, args, opts ?? {}, env),
    findBinary: (name) => findBinary(name, env),
  };
  return ctx;
}

interface Prepared<P extends ParamTable> {
  p: ParamValues<P>;
  /** stop only: invalid values without a default; observe with them, never act on them */
  unchecked: readonly InvalidParam[];
}

const FALLBACK_NOTE: Record<Fallback, string> = {
  default: 'using its default so that the stop still runs',
  raw: 'and no default; observing with what is known',
  unset: 'and no default; observing with what is known',
};

/** Parameters, check level, required parameters, binaries, validate(): the rarun order. */
async function prepare<P extends ParamTable>(agent: OcfAgent<P>, ctx: OcfContext): Promise<Prepared<P>> {
  checkInstance(ctx.env);
  const lenient = ctx.action === 'stop'
    ? {
        onInvalid: (name: string, raw: string, problem: string, fallback: Fallback) =>
          ctx.log.warn(`stop: invalid ${name}='${raw}' (${problem}) ${FALLBACK_NOTE[fallback]}`),
      }
    : undefined;
  const parsed = parseParams(agent.spec.params, ctx.env, lenient ? { lenient } : {});
  for (const d of parsed.deprecatedSet) ctx.log.warn(`parameter ${d} is deprecated`);
  checkLevelOf(ctx.env);
  if (parsed.missing.length > 0) {
    const s = parsed.missing.length > 1 ? 's' : '';
    throw new OcfError(OCF.ERR_CONFIGURED, `Missing required parameter${s}: ${parsed.missing.join(', ')}`);
  }
  const p = parsed.values;
  const b = agent.spec.binaries;
  for (const name of typeof b === 'function' ? b(p) : (b ?? [])) {
    if (ctx.findBinary(name) === undefined) throw new MissingBinaryError(name);
  }
  // validate() would refuse the unchecked values and turn the stop into "nothing to stop" unseen
  if (parsed.unchecked.length === 0) await agent.spec.validate?.(p, ctx);
  return { p, unchecked: parsed.unchecked };
}

/**
 * A stop that cannot use some parameters (invalid, no default) looks with
 * what it has: "stopped" is the only answer it may give without acting.
 * Anything else fails: stopping with unchecked values could hit the wrong
 * thing, and answering 0 could let Pacemaker start a second copy.
 */
async function observeUnchecked<P extends ParamTable>(
  agent: OcfAgent<P>,
  { p, unchecked }: Prepared<P>,
  ctx: OcfContext,
): Promise<number> {
  const s = agent.spec;
  const what = `${s.name} ${ctx.instance}`;
  const params = unchecked.map((u) => `${u.name}='${u.raw}' is invalid (${u.problem})`).join(', ');
  const fail = (state: string) =>
    new UnknownStateError(
      `cannot stop ${what}: ${state}, and parameter ${params} with no default to fall back on; fix the value, then stop again`,
    );
  // a required value left unset cannot be observed with
  if (unchecked.some((u) => s.params[u.name]?.required && p[u.name] === undefined)) throw fail('its state cannot be observed');
  let state: Observed;
  try {
    state = await s.observe(p, ctx);
  } catch (e) {
    if (e instanceof DeadlineError) throw e;
    throw fail(`its state is unknown (${errMessage(e)})`);
  }
  if (state !== 'stopped') throw fail(`it is ${state}`);
  ctx.log.info(`${what} is already stopped`);
  return OCF.SUCCESS;
}

interface Outcome {
  code: number;
  /** exit reason to print; none for success or an expected "not running" */
  reason?: string;
}

/**
 * ocf-rarun's handle_invalid_env, the one place that decides what a broken
 * environment means: stop has nothing to stop, a probe sees "not running"
 * (5 for a missing program, so Pacemaker avoids the node), a recurring
 * monitor fails (never 7: Pacemaker would treat it as a clean stop), any
 * other action returns the error's own code.
 */
export function invalidEnvOutcome(action: string, isProbe: boolean, err: OcfError, log: OcfLog): Outcome {
  if (action === 'stop') {
    log.info(`nothing to stop: ${err.message}`);
    return { code: OCF.SUCCESS };
  }
  if (isProbe) {
    log.info(`probe: resource cannot be running here: ${err.message}`);
    return { code: err instanceof MissingBinaryError ? OCF.ERR_INSTALLED : OCF.NOT_RUNNING };
  }
  if (action === 'monitor' || action === 'status') return { code: OCF.ERR_GENERIC, reason: err.message };
  return { code: err.exitCode, reason: err.message };
}

const STATE_CODE: Record<Observed, OcfExitCode> = {
  running: OCF.SUCCESS,
  stopped: OCF.NOT_RUNNING,
  promoted: OCF.RUNNING_PROMOTED,
};

async function perform<P extends ParamTable>(
  agent: OcfAgent<P>,
  name: string,
  p: ParamValues<P>,
  ctx: OcfContext,
): Promise<number> {
  const s = agent.spec;
  const what = `${s.name} ${ctx.instance}`;
  switch (name) {
    case 'validate-all':
      return OCF.SUCCESS;
    case 'monitor':
    case 'status':
      return STATE_CODE[await s.observe(p, ctx)];
    case 'start': {
      if ((await s.observe(p, ctx)) !== 'stopped') {
        ctx.log.info(`${what} is already running`);
        return OCF.SUCCESS;
      }
      await s.start(p, ctx);
      if ((await s.observe(p, ctx)) === 'stopped') {
        throw new OcfError(OCF.ERR_GENERIC, `${what} is not running after a successful start`);
      }
      return OCF.SUCCESS;
    }
    case 'stop': {
      let before: Observed | undefined;
      try {
        before = await s.observe(p, ctx);
      } catch (e) {
        ctx.log.warn(`state before stop unclear (${errMessage(e)}); stopping anyway`);
      }
      if (before === 'stopped') {
        ctx.log.info(`${what} is already stopped`);
        return OCF.SUCCESS;
      }
      await s.stop(p, ctx);
      const after = await s.observe(p, ctx);
      if (after !== 'stopped') throw new OcfError(OCF.ERR_GENERIC, `${what} is still ${after} after stop`);
      return OCF.SUCCESS;
    }
    case 'promote':
    case 'demote': {
      const handler = s[name] as Handler<P>;
      const want: Observed = name === 'promote' ? 'promoted' : 'running';
      const before = await s.observe(p, ctx);
      if (before === want) return OCF.SUCCESS;
      if (before === 'stopped') {
        // demote of a stopped instance answers "not running" as mysql and drbd do
        if (name === 'demote') return OCF.NOT_RUNNING;
        throw new OcfError(OCF.ERR_GENERIC, `cannot promote ${what}: it is not running`);
      }
      await handler(p, ctx);
      const after = await s.observe(p, ctx);
      if (after !== want) throw new OcfError(OCF.ERR_GENERIC, `${what} is ${after} after ${name}, expected ${want}`);
      return OCF.SUCCESS;
    }
    default: {
      // notify, reload: the handler's own success or error
      await (s[name as 'notify' | 'reload'] as Handler<P>)(p, ctx);
      return OCF.SUCCESS;
    }
  }
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Anything that is not an OcfError is a bug: report it as a generic failure with its stack. */
function asOcfError(e: unknown, log: OcfLog): OcfError {
  if (e instanceof OcfError) return e;
  log.error(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return new OcfError(OCF.ERR_GENERIC, `internal error: ${errMessage(e)}`, { cause: e });
}

/** prepare() under the invalid-environment policy, then the action. */
async function execute<P extends ParamTable>(
  agent: OcfAgent<P>,
  name: string,
  ctx: OcfContext,
  log: OcfLog,
): Promise<Outcome> {
  let prepared: Prepared<P>;
  try {
    prepared = await prepare(agent, ctx);
  } catch (e) {
    const err = asOcfError(e, log);
    // validate-all reports the problem itself; bugs and timeouts are never "invalid environment"
    if (name === 'validate-all' || !(e instanceof OcfError) || e instanceof DeadlineError) {
      return { code: err.exitCode, reason: err.message };
    }
    return invalidEnvOutcome(name, ctx.isProbe, err, log);
  }
  try {
    if (prepared.unchecked.length > 0) return { code: await observeUnchecked(agent, prepared, ctx) };
    return { code: await perform(agent, name, prepared.p, ctx) };
  } catch (e) {
    const err = asOcfError(e, log);
    // stop never answers "not running": a failed stop must stay a failure
    const code = name === 'stop' && err.exitCode === OCF.NOT_RUNNING ? OCF.ERR_GENERIC : err.exitCode;
    return { code, reason: err.message };
  }
}

/**
 * Runs one action and returns the exit code; output goes through `io`.
 * Never throws.
 */
export async function runAction<P extends ParamTable>(
  agent: OcfAgent<P>,
  argv: readonly string[],
  env: Env,
  io: ActionIo,
  opts: RunActionOptions = {},
): Promise<number> {
  const oe = readOcfEnv(env, agent.spec.name);
  const action = argv[0];
  if (action === undefined || action === '') {
    io.err(usage(agent, oe.type));
    return OCF.ERR_ARGS;
  }
  if (action === 'meta-data') {
    io.out(await agent.metadata());
    return OCF.SUCCESS;
  }
  if (action === 'usage' || action === 'help' || action === '--help') {
    io.out(usage(agent, oe.type));
    return OCF.SUCCESS;
  }
  const name = resolveAction(agent, action);
  if (name === undefined) {
    io.err(`${oe.type}: action '${action}' is not supported by this agent\n${usage(agent, oe.type)}`);
    return OCF.ERR_UNIMPLEMENTED;
  }

  const log = createLog({
    type: oe.type,
    instance: oe.instance,
    debug: oe.debug,
    facility: oe.logFacility,
    write: io.err,
  });
  const c = clock(oe.timeoutMs, opts.startedAt ?? uptimeMs());
  const ctx = makeContext(action, oe, env, log, c);
  const timeout = c.expired(() => new DeadlineError(`${action} of ${oe.type} ${oe.instance}`, oe.timeoutMs));
  timeout.catch(() => {});

  let outcome: Outcome;
  try {
    outcome = await Promise.race([execute(agent, name, ctx, log), timeout]);
  } catch (e) {
    const err = asOcfError(e, log);
    outcome = { code: err.exitCode, reason: err.message };
  } finally {
    c.dispose();
  }
  if (outcome.reason !== undefined && outcome.code !== OCF.SUCCESS) {
    log.error(`${outcome.reason} (${ocfCodeName(outcome.code)})`);
    io.err(`${oe.exitReasonPrefix}${outcome.reason.replace(/\s*\n\s*/g, ' ')}\n`);
  }
  log.debug(`${action} -> ${ocfCodeName(outcome.code)}`);
  return outcome.code;
}

/** Entry point for an agent's main.js: runs the action from argv, prints, exits. */
export async function runAgent<P extends ParamTable>(
  agent: OcfAgent<P>,
  argv: readonly string[] = process.argv.slice(2),
  env: Env = process.env,
): Promise<never> {
  const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
  // the resource manager's clock started when it forked us
  const code = await runAction(agent, argv, env, io, { startedAt: 0 });
  process.exit(code);
}
