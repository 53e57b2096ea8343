// Starting the server: directories and log prepared for `user`, mariadbd
// (or mysqld_safe) launched detached, readiness polled every 20 ms on the
// socket (heartbeat polls every 2 s). A server that dies during start
// fails the start with the tail of its error log.

import { fs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { isLive, readProcStat } from '../framework/processes.js';
import { splitWords } from '../apache/words.js';
import { writableBy, type Account } from './account.js';
import type { MariadbParams } from './params.js';
import { serverState, serversUsing } from './server.js';
import { agentLogin, answers } from './sql.js';

const POLL_MS = 20;

export interface Owner {
  readonly user: Account;
  readonly group: Account;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** Creates `dir` for the server's user, or checks that user may write it (4 otherwise). */
function prepareDir(dir: string, what: string, o: Owner): void {
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.chownSync(dir, o.user.id, o.group.id);
    return;
  }
  if (!writableBy(dir, o.user.id, o.user.gid ?? o.group.id)) {
    throw new OcfError(OCF.ERR_PERM, `directory ${dir} of the ${what} is not writable by user ${o.user.name}: give ${o.user.name} write access or choose another ${what} path`);
  }
}

function prepareLog(log: string, o: Owner): void {
  fs.mkdirSync(dirOf(log), { recursive: true, mode: 0o755 });
  fs.closeSync(fs.openSync(log, 'a', 0o640));
  fs.chownSync(log, o.user.id, o.group.id);
}

function logSize(log: string): number {
  try {
    return fs.statSync(log).size;
  } catch {
    return 0;
  }
}

/** The error log written since `from`: its last lines, for an exit reason. */
export function logTail(log: string, from: number): string {
  let text = '';
  try {
    const fd = fs.openSync(log, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(from, size - 4096);
      const buf = Buffer.alloc(Math.max(0, size - start));
      fs.readSync(fd, buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return `(error log ${log} unreadable)`;
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/\[Note\]/.test(l));
  const tail = lines.slice(-4).join('; ');
  return tail === '' ? `(nothing in ${log})` : tail.length > 600 ? `...${tail.slice(-600)}` : tail;
}

export function isMysqldSafe(binary: string): boolean {
  return /(^|\/)(mysqld_safe|mariadbd-safe|safe_mysqld)$/.test(binary);
}

function serverArgs(p: MariadbParams, promotable: boolean): string[] {
  const extra = splitWords(p.additional_parameters);
  return [
    `--defaults-file=${p.config}`,
    `--pid-file=${p.pid}`,
    `--socket=${p.socket}`,
    `--datadir=${p.datadir}`,
    `--log-error=${p.log}`,
    `--user=${p.user}`,
    // a promotable instance starts unpromoted: no writes, no replication from a stale primary
    ...(promotable ? ['--read-only', '--skip-slave-start'] : []),
    ...(extra.ok ? extra.words : []),
  ];
}

async function initialise(p: MariadbParams, o: Owner, ctx: OcfContext): Promise<void> {
  const tool = ctx.findBinary('mariadb-install-db') ?? ctx.findBinary('mysql_install_db');
  if (!tool) throw new OcfError(OCF.ERR_INSTALLED, 'enable_creation is set but neither mariadb-install-db nor mysql_install_db is installed');
  fs.mkdirSync(p.datadir, { recursive: true, mode: 0o750 });
  fs.chownSync(p.datadir, o.user.id, o.group.id);
  ctx.log.info(`initialising ${p.datadir} with ${tool}`);
  // --skip-name-resolve: no accounts tied to this host's name, and no failure when it does not resolve
  await ctx.mustRun(tool, [`--defaults-file=${p.config}`, `--datadir=${p.datadir}`, `--user=${p.user}`, '--skip-test-db', '--skip-name-resolve']);
}

export async function startServer(p: MariadbParams, o: Owner, promotable: boolean, ctx: OcfContext): Promise<void> {
  const others = serversUsing(p.datadir);
  if (others.length > 0) {
    throw new OcfError(OCF.ERR_GENERIC, `datadir ${p.datadir} is in use by another server (pid ${others.join(' ')}), not the one in ${p.pid}: stop it first`);
  }
  prepareLog(p.log, o);
  prepareDir(dirOf(p.pid), 'pid file', o);
  prepareDir(dirOf(p.socket), 'socket', o);
  if (!fs.existsSync(`${p.datadir}/mysql`)) {
    if (!p.enable_creation) {
      throw new OcfError(OCF.ERR_INSTALLED, `datadir ${p.datadir} has no mysql system database: initialise it with mariadb-install-db, or set enable_creation=1`);
    }
    await initialise(p, o, ctx);
  }
  fs.rmSync(p.pid, { force: true });
  const from = logSize(p.log);
  const args = serverArgs(p, promotable);
  ctx.log.info(`starting ${p.binary} ${args.join(' ')}`);
  const launcher = ctx.spawnDetached(p.binary, args, { cwd: p.datadir });
  const launcherTime = readProcStat(launcher)?.startTime;
  for (;;) {
    const st = serverState(p.pid);
    if (st.kind === 'running' && fs.existsSync(p.socket)) {
      if (await answers(agentLogin(p), ctx, Math.max(50, Math.min(1000, ctx.remaining() - 200)))) return;
    }
    const l = readProcStat(launcher);
    const launcherAlive = isLive(l) && l.startTime === launcherTime;
    if (!launcherAlive && serverState(p.pid).kind !== 'running') {
      const tail = logTail(p.log, from);
      const inUse = /Address already in use/i.test(tail) ? 'its port is already in use: ' : '';
      throw new OcfError(OCF.ERR_GENERIC, `${p.binary} exited during start, ${inUse}${tail}`);
    }
    if (ctx.remaining() < 300) {
      throw new OcfError(OCF.ERR_GENERIC, `server did not accept connections on ${p.socket} within the start timeout; error log: ${logTail(p.log, from)}`);
    }
    await ctx.sleep(POLL_MS);
  }
}
