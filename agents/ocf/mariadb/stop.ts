// Stopping the server within the stop timeout: SQL SHUTDOWN (a clean
// shutdown; a promotable instance waits for its replicas to receive
// everything), then SIGTERM, then SIGKILL. Only the process named by the pid
// file (and the mysqld_safe that started it) is ever signalled. A server
// that survives SIGKILL fails the stop, so that Pacemaker fences the node
// (ClusterLabs/resource-agents#1823).

import { fs, uptimeMs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { readProcStat, signalIfSame, stillRunning, type ProcStat } from '../framework/processes.js';
import type { MariadbParams } from './params.js';
import { agentLogin, withSql } from './sql.js';

const gone = (p: ProcStat): boolean => !stillRunning(p);

const POLL_MS = 10;
/** Left for the framework's last look after stop. */
const RESERVE_MS = 150;

async function waitGone(p: ProcStat, ms: number, ctx: OcfContext): Promise<boolean> {
  const until = uptimeMs() + ms;
  for (;;) {
    if (gone(p)) return true;
    const left = Math.min(until - uptimeMs(), ctx.remaining() - RESERVE_MS);
    if (left <= 0) return false;
    await ctx.sleep(Math.min(POLL_MS, left));
  }
}

/**
 * mysqld_safe restarts a server that died of a signal, so it goes first. Its
 * shell may run the server from a subshell (also named mysqld_safe): every
 * mysqld_safe above the server counts, outermost first.
 */
function safeAncestors(p: ProcStat): ProcStat[] {
  const out: ProcStat[] = [];
  for (let pid = p.ppid; pid > 1 && out.length < 8; ) {
    let comm: string;
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      break;
    }
    if (!/^(mysqld_safe|mariadbd-safe)$/.test(comm)) break;
    const st = readProcStat(pid);
    if (!st) break;
    out.unshift(st);
    pid = st.ppid;
  }
  return out;
}

function removeLeftovers(p: MariadbParams, pid: number): void {
  try {
    if (fs.readFileSync(p.pid, 'latin1').trim() === String(pid)) fs.rmSync(p.pid, { force: true });
  } catch {
    // already gone
  }
  fs.rmSync(p.socket, { force: true });
}

export async function stopServer(p: MariadbParams, proc: ProcStat, promotable: boolean, ctx: OcfContext): Promise<void> {
  const safe = safeAncestors(proc);
  await stopMain(p, proc, safe, promotable, ctx);
  // mysqld_safe exits by itself once its server ended cleanly; nothing may be left behind
  for (const parent of safe) {
    if (await waitGone(parent, 2000, ctx)) continue;
    ctx.log.warn(`mysqld_safe pid ${parent.pid} did not exit after its server; sending SIGKILL`);
    signalIfSame(parent, 'SIGKILL');
    if (!(await waitGone(parent, ctx.remaining() - RESERVE_MS, ctx))) {
      throw new OcfError(OCF.ERR_GENERIC, `mysqld_safe pid ${parent.pid} is still running after SIGKILL: the node needs fencing`);
    }
  }
}

async function stopMain(p: MariadbParams, proc: ProcStat, safe: readonly ProcStat[], promotable: boolean, ctx: OcfContext): Promise<void> {
  const budget = () => ctx.remaining() - RESERVE_MS;
  const half = budget() / 2;
  const asked = await withSql(agentLogin(p), ctx, async (sql) => {
    await sql.query(promotable ? 'SHUTDOWN WAIT FOR ALL SLAVES' : 'SHUTDOWN');
  }, Math.min(2000, half)).then(
    () => true,
    (e: unknown) => {
      ctx.log.warn(`SQL SHUTDOWN failed (${e instanceof Error ? e.message : String(e)}); sending SIGTERM`);
      return false;
    },
  );
  if (asked && (await waitGone(proc, half, ctx))) {
    ctx.log.info(`server pid ${proc.pid} shut down`);
    return;
  }
  ctx.log.warn(`server pid ${proc.pid} still running; sending SIGTERM`);
  signalIfSame(proc, 'SIGTERM');
  if (await waitGone(proc, budget() / 2, ctx)) {
    ctx.log.info(`server pid ${proc.pid} stopped after SIGTERM`);
    return;
  }
  ctx.log.warn(`server pid ${proc.pid} ignored SIGTERM; sending SIGKILL${safe.length ? ` (and to mysqld_safe pid ${safe.map((a) => a.pid).join(' ')})` : ''}`);
  for (const a of safe) signalIfSame(a, 'SIGKILL');
  signalIfSame(proc, 'SIGKILL');
  if (!(await waitGone(proc, budget(), ctx))) {
    throw new OcfError(OCF.ERR_GENERIC, `server pid ${proc.pid} is still running after SIGKILL: the node needs fencing`);
  }
  removeLeftovers(p, proc.pid);
}
