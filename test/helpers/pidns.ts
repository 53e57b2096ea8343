// Runs a shell script inside its own PID namespace (`unshare -pf
// --mount-proc`) next to a sentinel process started first. Agents that
// signal processes (Filesystem stop, apache stop) are tested this way: /proc
// shows only the namespace, so a too-broad kill can only hit the sentinel,
// and the test asserts that the sentinel survived.
//
//   const r = await runInPidns(`exec node ${agent} stop`, { env });
//   expect(r.exitCode).toBe(0);
//   expect(r.sentinelAlive).toBe(true);
//
// Inside the script, $SENTINEL_PID is the sentinel's pid (namespace view);
// the sentinel is `sleep 3600`, started in `sentinelCwd`, with argv[0] set
// to `sentinelArgv0` if given (a stale pid file may point at a process
// whose command line looks like the one the agent started).
// When the namespace's init exits, the kernel kills everything left in it,
// so nothing outlives the call, not even on timeout.

import { spawn, type ChildProcess } from 'node:child_process';

export interface PidnsOptions {
  /** Environment of the script (the sentinel gets the same). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Working directory of the script. */
  cwd?: string;
  /** Working directory of the sentinel, e.g. outside a mount the script unmounts. */
  sentinelCwd?: string;
  /** argv[0] of the sentinel (its comm stays "sleep"). */
  sentinelArgv0?: string;
  /** Kill the namespace after this long (ms); default 60000. */
  timeoutMs?: number;
}

export interface PidnsResult {
  /** The script's exit status (128+n when killed by signal n); -1 on timeout. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Whether the sentinel was still alive when the script ended. */
  sentinelAlive: boolean;
  timedOut: boolean;
}

// fd 3 carries only the sentinel verdict; the script gets it closed. The
// script starts only once the sentinel really is \`sleep\` (not still the
// forked shell), so a kill in the script cannot race its exec.
const WRAPPER = `
(cd "$PIDNS_SENTINEL_CWD" && exec \${PIDNS_SENTINEL_ARGV0:+-a "$PIDNS_SENTINEL_ARGV0"} sleep 3600) &
SENTINEL_PID=$!
export SENTINEL_PID
while :; do
  read comm < /proc/$SENTINEL_PID/comm 2>/dev/null || { echo "pidns: sentinel did not start (sentinelCwd?)" >&2; exit 98; }
  [ "$comm" = sleep ] && break
done
cd "$PIDNS_CWD" || exit 97
sh -c "$PIDNS_SCRIPT" 3>&-
rc=$?
# alive = still there and not a zombie (state field after "(comm) ")
stat=; read stat < /proc/$SENTINEL_PID/stat 2>/dev/null
stat=\${stat#*) }
if [ -n "$stat" ] && [ "\${stat%% *}" != Z ]; then echo alive >&3; else echo dead >&3; fi
exit $rc
`;

// Namespaces still running when the test worker exits (vitest gave up on a
// test first) are killed with it: unshare --kill-child takes the whole
// namespace down, so nothing outlives the test file.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** `s` single-quoted for sh, to build scripts from argv. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Below vitest's 60 s testTimeout, so our own timeout reports first. */
export const DEFAULT_PIDNS_TIMEOUT_MS = 50_000;

export function runInPidns(script: string, opts: PidnsOptions = {}): Promise<PidnsResult> {
  const env: NodeJS.ProcessEnv = {
    ...(opts.env ?? process.env),
    PIDNS_SCRIPT: script,
    PIDNS_CWD: opts.cwd ?? process.cwd(),
    PIDNS_SENTINEL_CWD: opts.sentinelCwd ?? '/',
    PIDNS_SENTINEL_ARGV0: opts.sentinelArgv0 ?? '',
  };
  return new Promise((resolve, reject) => {
    // bash only for `exec -a` (the sentinel's argv[0]); sh otherwise, as before
    const shell = opts.sentinelArgv0 ? 'bash' : 'sh';
    const child = spawn('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', shell, '-c', WRAPPER], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const verdict: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => verdict.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_PIDNS_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: timedOut ? -1 : (code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        sentinelAlive: Buffer.concat(verdict).toString().trim() === 'alive',
        timedOut,
      });
    });
  });
}
