// fence_virtd's command line (server/main.c): -F -f FILE -d LEVEL -p PIDFILE
// -w -l -c -h. Parsed getopt-style so `-d5` and `-d 5` both work.
export interface DaemonFlags {
  readonly foreground: boolean;
  readonly configFile: string;
  readonly debug: number | undefined;
  readonly pidFile: string;
  readonly waitForInit: boolean;
  readonly listPlugins: boolean;
  readonly configure: boolean;
  readonly help: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_CONFIG = '/etc/fence_virt.conf';
export const DEFAULT_PIDFILE = '/run/palisaded.pid';

const WITH_ARG = new Set(['f', 'd', 'p']);
const FLAGS = new Set(['F', 'w', 'l', 'c', 'h', '?']);

export function parseDaemonFlags(argv: readonly string[]): DaemonFlags {
  const out = { foreground: false, configFile: DEFAULT_CONFIG, debug: undefined as number | undefined, pidFile: DEFAULT_PIDFILE,
    waitForInit: false, listPlugins: false, configure: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') throw new UsageError(`unexpected argument '${a}'`);
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (WITH_ARG.has(c)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (value === undefined) throw new UsageError(`option -${c} needs a value`);
        if (c === 'f') out.configFile = value;
        else if (c === 'p') out.pidFile = value;
        else {
          const n = Number(value);
          if (!Number.isInteger(n) || n < 0) throw new UsageError(`-d takes a debug level (0 or more), got '${value}'`);
          out.debug = n;
        }
        break;
      }
      if (!FLAGS.has(c)) throw new UsageError(`unknown option -${c}`);
      if (c === 'F') out.foreground = true;
      else if (c === 'w') out.waitForInit = true;
      else if (c === 'l') out.listPlugins = true;
      else if (c === 'c') out.configure = true;
      else out.help = true;
    }
  }
  return out;
}

export const USAGE = `Usage: palisaded [options]
  -F            Do not daemonize (log to stderr)
  -f <file>     Use <file> as configuration file (default ${DEFAULT_CONFIG})
  -d <level>    Debug level (0: one line per request; 1 or more: debug)
  -p <file>     Pid file (default ${DEFAULT_PIDFILE})
  -w            Wait for the backend and listener to initialise (retry every 5 s)
  -l            List the available listener and backend plug-ins
  -c            (fence_virtd's interactive configurator; use conf/fence_virt.conf and 'palisade config check')
  -h            This help
The configuration grammar is fence_virtd's fence_virt.conf; SIGHUP reloads it, SIGTERM stops.`;
