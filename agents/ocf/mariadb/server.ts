// Is this instance's server running? The pid file names the process, /proc
// confirms it is a MariaDB/MySQL server and not a reused pid, and the
// socket file shows where it listens. (Connecting without logging in would
// put an "Aborted connection" warning into the error log on every monitor.)

import { fs } from '../framework/_builtins.js';
import { exePath, isLive, readProcStat, type ProcStat } from '../framework/processes.js';
import { readPidFile } from '../apache/pidfile.js';

export const SERVER_PROGRAMS: ReadonlySet<string> = new Set(['mariadbd', 'mysqld']);

export type ServerState =
  | { readonly kind: 'stopped'; readonly why: 'no-pid-file' | 'no-process' | 'not-a-server'; readonly pid?: number }
  | { readonly kind: 'running'; readonly pid: number; readonly proc: ProcStat };

function programName(path: string | undefined): string | undefined {
  return path?.slice(path.lastIndexOf('/') + 1);
}

export function serverState(pidFile: string): ServerState {
  const f = readPidFile(pidFile);
  if (f.kind !== 'pid') return { kind: 'stopped', why: 'no-pid-file' };
  const proc = readProcStat(f.pid);
  if (!isLive(proc)) return { kind: 'stopped', why: 'no-process', pid: f.pid };
  // unreadable exe (another user's process, no privilege) is not proof of absence: trust the pid
  const name = programName(exePath(f.pid));
  if (name !== undefined && !SERVER_PROGRAMS.has(name)) return { kind: 'stopped', why: 'not-a-server', pid: f.pid };
  return { kind: 'running', pid: f.pid, proc };
}

/** Live server processes whose working directory is `datadir` (mariadbd chdirs there). */
export function serversUsing(datadir: string): number[] {
  let want: string;
  try {
    want = fs.realpathSync(datadir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (!SERVER_PROGRAMS.has(programName(exePath(pid)) ?? '')) continue;
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`) === want && isLive(readProcStat(pid))) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Undefined when `socket` is a listening unix socket's file, else what is wrong. */
export function socketProblem(socket: string): string | undefined {
  try {
    return fs.statSync(socket).isSocket() ? undefined : `${socket} is not a socket`;
  } catch (e) {
    return `its socket ${socket} is missing (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}
