// A dedicated Apache httpd for tests: its own httpd.conf in a temp dir,
// Listen on a free loopback port, mod_status at /server-status, its own
// PidFile and ErrorLog; nothing from /etc/apache2 and never port 80.
//
//   const fx = await apacheFixture();
//   const s = await apacheScenario(fx, `ocf start start; kill -9 $(cat "$PIDFILE"); ocf mon monitor`);
//   expect(s.step('start').code).toBe(0);
//   expect(s.sentinelAlive).toBe(true);
//   await fx.cleanup();
//
// Scenarios run inside their own PID namespace (test/helpers/pidns.ts): the
// agent's signals can only reach that namespace, every httpd started there
// dies with it even when a test fails, and a sentinel must survive.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentPath, heartbeatAgent, ocfEnv } from './ocf.js';
import { scenarioFiles, type Step } from './scenario-files.js';
import { runInPidns, type PidnsResult } from './pidns.js';

export const HTTPD = '/usr/sbin/apache2';
export const MODULES = '/usr/lib/apache2/modules';
export const AGENT = agentPath('apache');
export const HEARTBEAT = heartbeatAgent('apache');

/** A port nobody listens on right now (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface FixtureOptions {
  /** Leave PidFile out (the agent then passes -c "PidFile <state dir>/..."). */
  noPidFile?: boolean;
  /** Where mod_status is mapped; null = not at all. */
  statusLocation?: string | null;
  /** More configuration lines, appended; @DIR@ stands for the fixture directory. */
  extra?: string;
  /** Extra modules to load (names without mod_/.so, e.g. 'cgid'). */
  modules?: readonly string[];
  /** The Listen argument; @PORT@ stands for the free port. Default 127.0.0.1:@PORT@. */
  listen?: string;
}

export interface ApacheFixture {
  readonly dir: string;
  readonly conf: string;
  readonly port: number;
  readonly pidFile: string;
  readonly errorLog: string;
  /** HA_RSCTMP for the agent. */
  readonly stateDir: string;
  readonly htdocs: string;
  readonly baseUrl: string;
  /** Writes `name` below the fixture dir (dirs created) and returns its path. */
  write(name: string, content: string, mode?: number): string;
  /** The OCF environment for this resource (configfile set, envfiles off unless given). */
  env(params?: Record<string, string>, opts?: { timeoutMs?: number; instance?: string }): Record<string, string>;
  errorLogText(): string;
  cleanup(): Promise<void>;
}

const BASE_MODULES = ['mpm_event', 'authz_core', 'authz_host', 'status', 'dir', 'mime', 'alias'];

export function apacheConf(o: {
  dir: string;
  port: number;
  listen: string;
  pidFile: string | undefined;
  statusLocation: string | null;
  modules: readonly string[];
  extra: string;
}): string {
  const mods = [...BASE_MODULES, ...o.modules]
    .map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`)
    .join('\n');
  return `# test fixture: a private httpd, nothing from /etc/apache2
ServerRoot "${o.dir}"
ServerName localhost
DefaultRuntimeDir "${o.dir}/run"
Listen ${o.listen.replaceAll('@PORT@', String(o.port))}
${o.pidFile ? `PidFile "${o.pidFile}"` : '# no PidFile: the agent chooses one'}
ErrorLog "${o.dir}/error.log"
LogLevel warn
User www-data
Group www-data
${mods}
TypesConfig /etc/mime.types
DocumentRoot "${o.dir}/htdocs"
DirectoryIndex index.html
StartServers 1
<Directory "${o.dir}/htdocs">
  Require all granted
</Directory>
${
  o.statusLocation === null
    ? ''
    : `<IfModule mod_status.c>
<Location ${o.statusLocation}>
  SetHandler server-status
  Require local
</Location>
</IfModule>`
}
${o.extra}
`;
}

export async function apacheFixture(opts: FixtureOptions = {}): Promise<ApacheFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pal-apache-'));
  // workers run as www-data and must read htdocs
  chmodSync(dir, 0o755);
  const port = await freePort();
  const stateDir = join(dir, 'state');
  const htdocs = join(dir, 'htdocs');
  for (const d of [stateDir, htdocs, join(dir, 'run')]) mkdirSync(d, { recursive: true, mode: 0o755 });
  writeFileSync(join(htdocs, 'index.html'), '<html><body>palisade test page</body></html>\n', { mode: 0o644 });
  const pidFile = join(dir, 'httpd.pid');
  const conf = join(dir, 'httpd.conf');
  writeFileSync(
    conf,
    apacheConf({
      dir,
      port,
      listen: opts.listen ?? '127.0.0.1:@PORT@',
      pidFile: opts.noPidFile ? undefined : pidFile,
      statusLocation: opts.statusLocation === undefined ? '/server-status' : opts.statusLocation,
      modules: opts.modules ?? [],
      extra: (opts.extra ?? '').replaceAll('@DIR@', dir),
    }),
  );
  const fx: ApacheFixture = {
    dir,
    conf,
    port,
    pidFile: opts.noPidFile ? join(stateDir, `apache2-web1.pid`) : pidFile,
    errorLog: join(dir, 'error.log'),
    stateDir,
    htdocs,
    baseUrl: `http://127.0.0.1:${port}`,
    write(name, content, mode = 0o644) {
      const path = join(dir, name);
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o755 });
      writeFileSync(path, content, { mode });
      chmodSync(path, mode);
      return path;
    },
    env(params = {}, o = {}) {
      return {
        ...ocfEnv({ configfile: conf, httpd: HTTPD, envfiles: '', ...params }, { instance: o.instance ?? 'web1', timeoutMs: o.timeoutMs ?? 20000 }),
        HA_RSCTMP: stateDir,
      };
    },
    errorLogText() {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}

export type { Step } from './scenario-files.js';

export interface Scenario {
  readonly ns: PidnsResult;
  readonly sentinelAlive: boolean;
  step(label: string): Step;
  /** Text written by `note LABEL TEXT` in the script. */
  note(label: string): string;
}

/**
 * Runs `body` (sh) in a new PID namespace with the resource's environment.
 * Inside: `ocf LABEL ACTION [VAR=value ...]` runs our agent (`hb` the
 * heartbeat one) and records code, output and duration; `note LABEL TEXT`
 * records a value; `procs` prints the live httpd processes of the namespace;
 * $PIDFILE, $CONF, $PORT, $DIR are set.
 */
export async function apacheScenario(
  fx: ApacheFixture,
  body: string,
  opts: { params?: Record<string, string>; timeoutMs?: number; opTimeoutMs?: number } = {},
): Promise<Scenario> {
  const out = mkdtempSync(join(fx.dir, 'run-'));
  const env = {
    ...fx.env(opts.params ?? {}, { timeoutMs: opts.opTimeoutMs ?? 20000 }),
    AGENT,
    HEARTBEAT,
    OUT: out,
    PIDFILE: fx.pidFile,
    CONF: fx.conf,
    PORT: String(fx.port),
    DIR: fx.dir,
  };
  const script = `
now() { date +%s%N; }
run() { l=$1; a=$2; shift 2; t0=$(now); env "$@" "$RA" "$a" >"$OUT/$l.out" 2>"$OUT/$l.err"; echo $? >"$OUT/$l.rc"; echo $(( ($(now) - t0) / 1000000 )) >"$OUT/$l.ms"; }
ocf() { RA=$AGENT run "$@"; }
hb() { RA=$HEARTBEAT run "$@"; }
note() { l=$1; shift; echo "$*" >"$OUT/$l.note"; }
procs() { for p in /proc/[0-9]*; do s=$(cat $p/stat 2>/dev/null) || continue; case "$s" in *"(apache2)"*) st=\${s##*) }; [ "\${st%% *}" = Z ] || echo \${p#/proc/};; esac; done; }
${body}
`;
  // below vitest's 60 s test timeout, so a hung scenario fails with its own output
  const ns = await runInPidns(script, { env, timeoutMs: opts.timeoutMs ?? 50_000 });
  return { ns, sentinelAlive: ns.sentinelAlive, ...scenarioFiles(out, ns) };
}
