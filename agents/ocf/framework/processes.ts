// Processes as /proc shows them, and signals that reach only the process
// meant (the idea of ocf-shellfuncs' ocf_stop_processes, made safe against
// reused pids). A pid alone may name a later process once the first has
// exited; a pid with its start time (field 22 of /proc/<pid>/stat, clock
// ticks since boot) names one process for the life of the boot. Agents keep
// that pair (ProcessRef) for anything they may signal later, and record it
// in their pid files, so a stale file never sends a signal astray.

import { fs } from './_builtins.js';

/** One process: its pid and start time. */
export interface ProcessRef {
  readonly pid: number;
  /** clock ticks since boot at which it started */
  readonly startTime: number;
}

export interface ProcStat extends ProcessRef {
  readonly comm: string;
  /** R, S, D, Z, ... (proc(5)); a zombie holds no files and runs nothing. */
  readonly state: string;
  readonly ppid: number;
  readonly session: number;
}

/** Parses the text of /proc/<pid>/stat; comm may hold blanks and ')', so fields are counted after the last ')'. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // f[0] is field 3 (state): ppid field 4, session field 6, starttime field 22
  const f = text.slice(close + 2).split(' ');
  const ppid = Number(f[1]);
  const session = Number(f[3]);
  const startTime = Number(f[19]);
  if (!Number.isInteger(ppid) || !Number.isInteger(session) || !Number.isSafeInteger(startTime) || f[19] === '') return undefined;
  return { pid, comm: text.slice(open + 1, close), state: f[0] ?? '?', ppid, session, startTime };
}

/** undefined once the process has exited (or /proc cannot be read for it). */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseProcStat(pid, fs.readFileSync(`${procRoot}/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

/** Exists and is not a zombie. */
export function isLive(s: ProcStat | undefined): s is ProcStat {
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/**
 * The same process as `p` is still running (not exited, not a reused pid).
 * A killed multi-threaded process's leader turns zombie before its other
 * threads have exited and let go of its files: it runs while any thread does.
 */
export function stillRunning(p: ProcessRef, procRoot = '/proc'): boolean {
  const now = readProcStat(p.pid, procRoot);
  if (!now || now.startTime !== p.startTime) return false;
  if (isLive(now)) return true;
  try {
    return fs.readdirSync(`${procRoot}/${p.pid}/task`).some((tid) => isLive(readProcStat(Number(tid), procRoot)));
  } catch {
    return false;
  }
}

/** The live process with this pid, as a reference to signal later. */
export function processRef(pid: number, procRoot = '/proc'): ProcessRef | undefined {
  const s = readProcStat(pid, procRoot);
  return isLive(s) ? { pid: s.pid, startTime: s.startTime } : undefined;
}

/**
 * Sends `sig` to `p` only if it is still that process (same start time).
 * pid 1 and the agent itself are never signalled. Returns whether it was sent.
 */
export function signalIfSame(p: ProcessRef, sig: NodeJS.Signals | number, procRoot = '/proc'): boolean {
  if (p.pid <= 1 || p.pid === process.pid) return false;
  if (!stillRunning(p, procRoot)) return false;
  try {
    process.kill(p.pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** Live processes of session `sid` (its leader included when alive). */
export function sessionMembers(sid: number, procRoot = '/proc'): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name), procRoot);
    if (isLive(s) && s.session === sid) out.push(s);
  }
  return out;
}

/** The pid-file line for `p`: "<pid> <start time>". */
export function formatPidRecord(p: ProcessRef): string {
  return `${p.pid} ${p.startTime}\n`;
}

/**
 * Reads a pid file written with formatPidRecord. A file holding only a pid
 * (an older agent's, or anybody's) gives no start time to check, so it
 * names no process we may signal: undefined, as for a missing file.
 */
export function readPidRecord(file: string): ProcessRef | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  const m = /^(\d+) (\d+)\n?$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  const startTime = Number(m[2]);
  return Number.isSafeInteger(pid) && Number.isSafeInteger(startTime) ? { pid, startTime } : undefined;
}

/** The program a process runs; undefined when it is gone or we may not look. */
export function exePath(pid: number, procRoot = '/proc'): string | undefined {
  try {
    return fs.readlinkSync(`${procRoot}/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}
