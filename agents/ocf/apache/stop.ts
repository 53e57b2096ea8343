// Stopping the server. Only processes of this instance are ever signalled:
// the main process serverState() identified, and the members of the session
// it leads (its workers, CGIs, piped loggers). Never a pattern match.

import { fs, uptimeMs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { gone, sessionMembers, signalProc, type ProcStat } from './proc.js';
import type { ServerRef, ServerState } from './server.js';

/** Time left for the framework, which observes once more after stop. */
const RESERVE_MS = 100;
const POLL_MS = 10;
const LEFTOVER_TERM_MS = 500;

async function waitGone(ps: readonly ProcStat[], ms: number, ctx: OcfContext): Promise<boolean> {
  const until = uptimeMs() + ms;
  for (;;) {
    if (ps.every(gone)) return true;
    const left = Math.min(until - uptimeMs(), ctx.remaining() - RESERVE_MS);
    if (left <= 0) return false;
    await ctx.sleep(Math.min(POLL_MS, left));
  }
}

/** TERM, then KILL what is left of a session; whatever we can see of it, since the leader is ours. */
async function endSession(sid: number, known: readonly ProcStat[], ctx: OcfContext): Promise<ProcStat[]> {
  const members = [...known, ...sessionMembers(sid).filter((m) => !known.some((k) => k.pid === m.pid))];
  const left = members.filter((m) => !gone(m));
  if (left.length === 0) return [];
  ctx.log.info(`sending SIGTERM to ${left.length} remaining process(es) of httpd session ${sid}: ${left.map((m) => m.pid).join(' ')}`);
  for (const m of left) signalProc(m, 'SIGTERM');
  // orphaned event-MPM workers ignore SIGTERM: do not wait long for them
  if (await waitGone(left, Math.min(LEFTOVER_TERM_MS, (ctx.remaining() - RESERVE_MS) / 2), ctx)) return [];
  const stubborn = left.filter((m) => !gone(m));
  ctx.log.warn(`sending SIGKILL to ${stubborn.map((m) => m.pid).join(' ')}`);
  for (const m of stubborn) signalProc(m, 'SIGKILL');
  await waitGone(stubborn, ctx.remaining(), ctx);
  return stubborn.filter((m) => !gone(m));
}

function removeStalePidFile(pidFile: string, pid: number): void {
  try {
    if (fs.readFileSync(pidFile, 'latin1').trim() === String(pid)) fs.rmSync(pidFile, { force: true });
  } catch {
    // already gone
  }
}

/**
 * Graceful stop (SIGWINCH) for half the time left, then SIGTERM for half of
 * the rest, then SIGKILL; then the session's leftovers. heartbeat slept whole
 * seconds between checks (3 s for an idle server); this polls every 10 ms.
 */
export async function stopServer(state: Exclude<ServerState, { kind: 'stopped' }>, s: ServerRef, ctx: OcfContext): Promise<void> {
  if (state.kind === 'orphaned') {
    ctx.log.warn(`httpd main process ${state.sid} is gone; stopping its ${state.workers.length} orphaned worker(s)`);
    const left = await endSession(state.sid, state.workers, ctx);
    if (left.length > 0) throw new OcfError(OCF.ERR_GENERIC, `httpd workers ${left.map((m) => m.pid).join(' ')} survived SIGKILL`);
    removeStalePidFile(s.pidFile, state.sid);
    return;
  }
  const main = state.main;
  const budget = ctx.remaining() - RESERVE_MS;
  ctx.log.info(`attempting graceful stop of httpd pid ${main.pid} (SIGWINCH)`);
  signalProc(main, 'SIGWINCH');
  let stopped = await waitGone([main], budget / 2, ctx);
  if (!stopped) {
    ctx.log.warn(`httpd pid ${main.pid} still running after ${Math.round(budget / 2)} ms of graceful stop; sending SIGTERM`);
    signalProc(main, 'SIGTERM');
    stopped = await waitGone([main], (ctx.remaining() - RESERVE_MS) / 2, ctx);
  }
  let killed = false;
  if (!stopped) {
    const members = sessionMembers(main.pid);
    ctx.log.warn(`httpd pid ${main.pid} ignored SIGTERM; sending SIGKILL to it and its ${members.length - 1} worker(s)`);
    for (const m of members) signalProc(m, 'SIGKILL');
    signalProc(main, 'SIGKILL');
    killed = true;
    stopped = await waitGone([main], ctx.remaining() - RESERVE_MS, ctx);
    if (!stopped) throw new OcfError(OCF.ERR_GENERIC, `httpd pid ${main.pid} still running after SIGKILL`);
  }
  const left = await endSession(main.pid, [], ctx);
  if (left.length > 0) throw new OcfError(OCF.ERR_GENERIC, `httpd processes ${left.map((m) => m.pid).join(' ')} survived SIGKILL`);
  if (killed) removeStalePidFile(s.pidFile, main.pid);
  ctx.log.info(`httpd pid ${main.pid} stopped`);
}
