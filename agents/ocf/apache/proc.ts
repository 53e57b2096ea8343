// Which processes are this server's. httpd's main process leads its own
// session (it calls setsid when it detaches; we start it with setsid), so
// "the processes of this instance" are exactly those whose session id is
// the pid in the pid file, even after the main process died and its
// workers were orphaned (framework/processes.ts reads /proc/<pid>/stat).

import { fs } from '../framework/_builtins.js';

import { exePath } from '../framework/processes.js';

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
