// Running programs from agents. Argv arrays only, LC_ALL=C, stdin closed,
// stdout/stderr always piped (Pacemaker and ocf-tester read the agent's own
// stdio to EOF, so no child may inherit it), every run bounded by the
// operation deadline. The result has execa's `reject: false` shape.
//
// Built on node:child_process rather than execa: importing execa 9.6 costs
// ~100 ms on the target machine (4x a bare `node -e 0`), which would make
// every start/stop slower than the shell agents we replace.

import { childProcess, fs } from './_builtins.js';
import { delimiter, join } from 'node:path';
import { DeadlineError, MissingBinaryError, OCF, OcfError } from './exit.js';
import type { Env } from './env.js';

export interface RunOptions {
  /** Upper bound for this command; the operation deadline always applies too. */
  timeoutMs?: number;
  /** Added to the agent's environment (LC_ALL=C always wins). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, which is otherwise closed. */
  input?: string;
  cwd?: string;
}

export interface RunResult {
  /** The command line, shell-quoted, for messages. */
  command: string;
  /** undefined when killed by a signal or when it could not be started. */
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Non-zero exit, signal, timeout or spawn failure. */
  failed: boolean;
  /** Set when the program could not be started (e.g. ENOENT). */
  spawnError: string | undefined;
}

export interface Deadline {
  readonly signal: AbortSignal;
  remaining(): number;
}

const MAX_OUTPUT = 16 * 1024 * 1024;
/** After exit, how long to wait for a grandchild that kept our pipes open. */
const PIPE_GRACE_MS = 200;
const KILL_GRACE_MS = 2000;

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map(quote).join(' ');
}

function childEnv(base: Env, extra: RunOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  if (extra) for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k]; else env[k] = v;
  env.LC_ALL = 'C';
  return env;
}

function collect(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on('data', (c: Buffer) => {
    if (size < MAX_OUTPUT) chunks.push(c);
    size += c.length;
  });
  return () => Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function run(
  file: string,
  args: readonly string[],
  opts: RunOptions,
  deadline: Deadline,
  baseEnv: Env,
): Promise<RunResult> {
  const command = commandLine(file, args);
  const budget = Math.min(opts.timeoutMs ?? Infinity, deadline.remaining());
  if (budget <= 0 || deadline.signal.aborted) {
    return Promise.resolve({
      command, exitCode: undefined, signal: undefined, stdout: '', stderr: '',
      timedOut: true, failed: true, spawnError: undefined,
    });
  }
  return new Promise((resolve) => {
    const child = childProcess().spawn(file, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: childEnv(baseEnv, opts.env),
      cwd: opts.cwd,
    });
    const out = collect(child.stdout);
    const err = collect(child.stderr);
    let timedOut = false;
    let spawnError: string | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(graceTimer);
      deadline.signal.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const exitCode = exit?.code ?? undefined;
      const signal = exit?.signal ?? undefined;
      resolve({
        command, exitCode, signal, stdout: out(), stderr: spawnError ?? err(), timedOut,
        failed: timedOut || spawnError !== undefined || exitCode !== 0, spawnError,
      });
    };
    const kill = () => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => kill();
    const timer = setTimeout(kill, budget);
    deadline.signal.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e.code === 'ENOENT' ? `${file}: command not found` : `${file}: ${e.message}`;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      graceTimer = setTimeout(finish, PIPE_GRACE_MS);
    });
    child.on('close', finish);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The last lines of a command's stderr (or stdout), for an exit reason. */
function tail(r: RunResult): string {
  const text = (r.stderr || r.stdout).trim();
  const short = text.length > 400 ? `...${text.slice(-400)}` : text;
  return short.replace(/\s*\n\s*/g, '; ');
}

/** Throws OcfError(ERR_GENERIC) naming the command and its stderr unless it exited 0. */
export function checkResult(r: RunResult, timeoutMs: number): RunResult {
  if (!r.failed) return r;
  if (r.timedOut) throw new DeadlineError(r.command, timeoutMs);
  if (r.spawnError !== undefined) {
    throw new OcfError(OCF.ERR_GENERIC, `${r.command}: could not run: ${r.spawnError}`);
  }
  const how = r.exitCode !== undefined ? `exit code ${r.exitCode}` : `signal ${r.signal ?? 'unknown'}`;
  const detail = tail(r);
  throw new OcfError(OCF.ERR_GENERIC, `${r.command} failed (${how})${detail ? `: ${detail}` : ''}`);
}

export interface DetachOptions {
  /** stdout and stderr go here (appended); /dev/null when unset. */
  logFile?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

/**
 * Starts a program that outlives the agent: own session, stdin closed,
 * stdout/stderr to `logFile` or /dev/null, never to the agent's stdio.
 * Returns its pid.
 */
export function spawnDetached(
  file: string,
  args: readonly string[],
  opts: DetachOptions,
  baseEnv: Env,
): number {
  const fd = fs.openSync(opts.logFile ?? '/dev/null', 'a');
  try {
    const child = childProcess().spawn(file, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: childEnv(baseEnv, opts.env),
      cwd: opts.cwd,
    });
    child.on('error', () => {});
    if (child.pid === undefined) {
      throw new OcfError(OCF.ERR_GENERIC, `${commandLine(file, args)}: could not be started`);
    }
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

function executable(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves a program name (or absolute path) to an executable file, like
 * ocf-shellfuncs' have_binary; OCF_TESTER_FAIL_HAVE_BINARY=1 makes every
 * lookup fail so ocf-tester can check probe behaviour.
 */
export function findBinary(name: string, env: Env): string | undefined {
  if (env.OCF_TESTER_FAIL_HAVE_BINARY === '1') return undefined;
  if (name.includes('/')) return executable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** findBinary or MissingBinaryError (OCF_ERR_INSTALLED). */
export function requireBinary(name: string, env: Env): string {
  const path = findBinary(name, env);
  if (path === undefined) throw new MissingBinaryError(name);
  return path;
}
