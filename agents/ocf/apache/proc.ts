// What /proc says about the server's processes. httpd's main process
// leads its own session (it calls setsid when it detaches; we start it with
// setsid), so "the processes of this instance" are exactly those whose
// session id is the pid in the pid file, even after the main process died
// and its workers were orphaned. Zombies count as gone.

import { fs } from '../framework/_builtins.js';

export interface ProcStat {
  readonly pid: number;
  /** R, S, D, Z, ... */
  readonly state: string;
  readonly ppid: number;
  readonly session: number;
  /** clock ticks since boot; tells a reused pid apart */
  readonly startTime: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm may contain blanks and parentheses: fields start after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: f[0]!, ppid: Number(f[1]), session: Number(f[3]), startTime: Number(f[19]) };
}

export function isLive(s: ProcStat | undefined): s is ProcStat {
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** The process `p` names has exited (or its pid now belongs to another process). */
export function gone(p: ProcStat): boolean {
  const now = readProcStat(p.pid);
  return !isLive(now) || now.startTime !== p.startTime;
}

/** Signals `p` unless it is gone: never a reused pid. */
export function signalProc(p: ProcStat, sig: NodeJS.Signals): void {
  if (gone(p)) return;
  try {
    process.kill(p.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Live processes of session `sid` (its leader included when alive). */
export function sessionMembers(sid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name));
    if (isLive(s) && s.session === sid) out.push(s);
  }
  return out;
}

/** The program a process runs; undefined when it is gone or we may not look. */
export function exePath(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

export function cmdline(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((w, i, a) => w !== '' || i < a.length - 1);
  } catch {
    return undefined;
  }
}

export function realPath(path: string): string {
  try {
    return fs.realpathSync(path);
  } catch {
    return path;
  }
}

/** The -f argument of an httpd command line (-f file or -ffile). */
export function configArg(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-f') return argv[i + 1];
    if (a.startsWith('-f')) return a.slice(2);
  }
  return undefined;
}

export type Identity = { ours: true } | { ours: false; why: string };

/**
 * Is live process `pid` an httpd of this resource? It must run the httpd
 * binary (by path or name), and if its command line names a config file
 * with -f, that must be ours. A pid file that points elsewhere is stale.
 */
export function identify(pid: number, httpd: string, configFile: string): Identity {
  const argv = cmdline(pid);
  const exe = exePath(pid);
  if (argv === undefined && exe === undefined) return { ours: false, why: 'the process is gone' };
  const want = realPath(httpd);
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const runsHttpd =
    (exe !== undefined && (exe === want || base(exe) === base(want))) ||
    (argv?.[0] !== undefined && (argv[0] === httpd || base(argv[0]) === base(httpd)));
  if (!runsHttpd) return { ours: false, why: `it runs ${exe ?? argv?.[0] ?? 'something else'}, not ${httpd}` };
  const conf = argv ? configArg(argv) : undefined;
  // a relative -f is relative to a ServerRoot we do not know here: no verdict
  if (conf !== undefined && conf.startsWith('/') && realPath(conf) !== realPath(configFile)) {
    return { ours: false, why: `it serves ${conf}, not ${configFile}` };
  }
  return { ours: true };
}
