// Starting httpd: with the envfiles' environment, detached from the agent's
// stdio (its start-up output goes to a file in the state directory), then
// polling until the monitor passes. A server that exits during start-up is
// classified with `httpd -t`: a configuration error is OCF_ERR_CONFIGURED
// with httpd's message, anything else (a busy port...) OCF_ERR_GENERIC. On
// any failure the server we launched is stopped again.

import { fs } from '../framework/_builtins.js';
import { dirname, join } from 'node:path';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { checkHealth } from './health.js';
import { HttpCheckError } from './http-check.js';
import type { Instance } from './instance.js';
import type { ApacheParams } from './params.js';
import { readProcStat, stillRunning, type ProcStat } from '../framework/processes.js';
import { serverState } from './server.js';
import { stopServer } from './stop.js';
import { ensureDir, startupLog, stateDir, writeRecord } from './state.js';

const POLL_MIN_MS = 10;
const POLL_MAX_MS = 100;
/** Time kept back from the start budget to stop a server that did not come up. */
const CLEANUP_MAX_MS = 3000;
/** One status request while starting; a hung one must not eat the cleanup time. */
const ATTEMPT_MAX_MS = 2000;

function ownerOf(user: string | undefined): { uid: number; gid: number } | undefined {
  if (!user) return undefined;
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no passwd file: leave ownership alone
  }
  return undefined;
}

/**
 * What apache2ctl prepares on Debian before httpd runs: APACHE_RUN_DIR,
 * its socks/ and APACHE_LOCK_DIR (the last two owned by APACHE_RUN_USER),
 * here only for a configuration that uses them.
 */
function prepareDebianDirs(inst: Instance, env: Readonly<Record<string, string>>, ctx: OcfContext): void {
  const owner = ownerOf(env.APACHE_RUN_USER);
  const dirs: [string, boolean][] = [];
  const used = (name: string) => inst.variables.has(name) && env[name];
  if (used('APACHE_RUN_DIR')) dirs.push([env.APACHE_RUN_DIR!, false], [join(env.APACHE_RUN_DIR!, 'socks'), true]);
  if (used('APACHE_LOCK_DIR')) dirs.push([env.APACHE_LOCK_DIR!, true]);
  for (const [dir, own] of dirs) {
    try {
      const made = fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      if (made !== undefined && own && owner) fs.chownSync(dir, owner.uid, owner.gid);
    } catch (e) {
      ctx.log.warn(`cannot create ${dir}: ${(e as Error).message}`);
    }
  }
}

function tail(text: string): string {
  const t = text.trim();
  return (t.length > 500 ? `...${t.slice(-500)}` : t).replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ');
}

/** `httpd -t` with the start arguments and environment: OCF_ERR_CONFIGURED with httpd's message when it fails. */
export async function configTest(inst: Instance, ctx: OcfContext): Promise<void> {
  const env = await inst.env();
  // as apache2ctl configtest: Debian's configuration refuses a missing run directory
  prepareDebianDirs(inst, env, ctx);
  const t = await ctx.run(inst.httpd, ['-t', ...inst.startArgs], { env: envDelta(ctx.env, env), timeoutMs: 10_000 });
  if (t.failed && !t.timedOut && t.spawnError === undefined) {
    throw new OcfError(OCF.ERR_CONFIGURED, `httpd configuration test failed: ${tail(t.stderr || t.stdout)}`);
  }
}

/** The launched server exited: a configuration error (httpd -t fails) or something else. */
async function exitedError(inst: Instance, log: string, ctx: OcfContext): Promise<OcfError> {
  let output = '';
  try {
    output = fs.readFileSync(log, 'utf8');
  } catch {
    // nothing written
  }
  try {
    await configTest(inst, ctx);
  } catch (e) {
    if (e instanceof OcfError) return e;
    throw e;
  }
  const detail = tail(output);
  return new OcfError(
    OCF.ERR_GENERIC,
    `httpd exited during start-up${detail ? `: ${detail}` : ''} (see the ErrorLog of ${inst.configFile})`,
  );
}

/** The environment for spawnDetached: the sourced one, and removals of what the envfiles unset. */
function envDelta(from: Readonly<Record<string, string | undefined>>, to: Readonly<Record<string, string>>): Record<string, string | undefined> {
  const delta: Record<string, string | undefined> = { ...to };
  for (const k of Object.keys(from)) if (!(k in to)) delta[k] = undefined;
  return delta;
}

/** Leaves nothing running: the server behind the pid file, else the process we launched (same start time). */
async function failStart(err: OcfError, launched: ProcStat | undefined, inst: Instance, ctx: OcfContext): Promise<never> {
  const st = serverState(inst, ctx);
  if (st.kind !== 'stopped') {
    ctx.log.warn(`start failed (${err.message}); stopping the server it launched`);
    await stopServer(st, inst, ctx);
  } else if (launched !== undefined) {
    if (stillRunning(launched)) {
      ctx.log.warn(`start failed (${err.message}); stopping launched pid ${launched.pid}`);
      await stopServer({ kind: 'running', main: launched }, inst, ctx);
    }
  }
  throw err;
}

export async function startServer(inst: Instance, p: ApacheParams, ctx: OcfContext): Promise<void> {
  const env = await inst.env();
  ensureDir(dirname(inst.pidFile));
  prepareDebianDirs(inst, env, ctx);
  ensureDir(stateDir(ctx.env));
  const log = startupLog(ctx.env, ctx.instance);
  fs.writeFileSync(log, '', { mode: 0o600 });
  writeRecord(ctx.env, ctx.instance, { configFile: inst.configFile, httpd: inst.httpd, pidFile: inst.pidFile });

  ctx.log.info(`starting ${inst.httpd} ${inst.startArgs.join(' ')}`);
  const pid = ctx.spawnDetached(inst.httpd, inst.startArgs, { logFile: log, env: envDelta(ctx.env, env) });
  const launched: ProcStat | undefined = readProcStat(pid);

  const cleanupMs = Math.min(CLEANUP_MAX_MS, ctx.timeoutMs / 4);
  let wait = POLL_MIN_MS;
  let last = 'no pid file yet';
  for (;;) {
    if (launched === undefined || !stillRunning(launched)) {
      // httpd -DFOREGROUND is the server itself: gone means it failed
      const err = await exitedError(inst, log, ctx);
      return failStart(err, launched, inst, ctx);
    }
    const st = serverState(inst, ctx);
    if (st.kind === 'running') {
      try {
        await checkHealth(inst, p, ctx, Math.min(ATTEMPT_MAX_MS, ctx.remaining() - cleanupMs));
        ctx.log.info(`httpd pid ${st.main.pid} is up`);
        return;
      } catch (e) {
        // not listening yet is worth waiting for; a wrong answer is final, as in heartbeat
        if (!(e instanceof HttpCheckError) || (e.problem !== 'connect' && e.problem !== 'timeout')) {
          const err = e instanceof OcfError ? e : new OcfError(OCF.ERR_GENERIC, `Failed to access httpd status page: ${(e as Error).message}`);
          return failStart(err, launched, inst, ctx);
        }
        last = e.message;
      }
    }
    if (ctx.remaining() < cleanupMs + wait) {
      const err = new OcfError(OCF.ERR_GENERIC, `httpd did not become healthy before the start timeout (last: ${last})`);
      return failStart(err, launched, inst, ctx);
    }
    await ctx.sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 2);
  }
}
