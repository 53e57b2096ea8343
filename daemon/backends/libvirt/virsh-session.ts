// One long-lived interactive `virsh -c URI` process. It saves a fork and a
// connect per operation, and the test:/// driver keeps its state only
// within one connection. Commands run one batch at a time (a queue).
//
// Framing. Interactive virsh echoes each input line (readline), prints
// `echo` output without a newline, and reports failures only as `error: …`
// lines on stderr, with no exit status per command. A batch goes out as
// two lines:
//   echo M.A0.;CMD0;echo M.A1.;echo --err M.A1.;CMD1;…;echo M.E.
//   echo --err M.Z.;echo M.Z.
// where M is typed as '<token>'<seq> and printed as <token><seq>, so
// readline's echo of the input never contains a printed marker. The token
// is random per process, so domain names cannot forge one. Command i's
// output lies between its marker and the next on each stream. The second
// line runs even when virsh rejects the first while parsing it (then
// nothing of it ran, and stderr says why); once both streams show Z, the
// batch is complete. Readline costs about 3 µs per input character, which
// is why the markers are short and only the necessary ones are sent.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { BackendError, PeerTimeoutError } from '../../errors.js';
import type { PluginContext } from '../types.js';
import { formatCommand, type VirshCommand } from './command-line.js';

export interface VirshSessionOptions {
  readonly uri: string;
  /** virsh binary: a name looked up in PATH, or a path. */
  readonly virsh: string;
  /** Limit for one batch, from the moment it is sent. */
  readonly timeoutMs: number;
  readonly log: PluginContext['log'];
  /** Extra environment for virsh (tests point fake virsh scripts at a state directory). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long `quit` may take on close() before SIGKILL. */
  readonly closeGraceMs?: number;
}

export interface CommandOutput {
  /** The command as sent, e.g. `domstate --domain '…'`. */
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  /** virsh printed an `error: …` line for this command. */
  readonly failed: boolean;
}

interface ExitInfo {
  readonly errno: string | undefined;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
}

interface Child {
  readonly proc: ResultPromise<{ buffer: false; reject: false }>;
  readonly token: string;
  stdout: string;
  stderr: string;
  exit: ExitInfo | undefined;
  /** Set while a batch waits on this process: called on output and on exit. */
  wake: (() => void) | undefined;
}

interface Job {
  readonly commands: readonly string[];
  readonly resolve: (out: CommandOutput[]) => void;
  readonly reject: (e: unknown) => void;
  settled: boolean;
  detach: () => void;
}

const DEFAULT_CLOSE_GRACE_MS = 2_000;
const STDERR_REPORT_LIMIT = 4_096;

export class VirshSession {
  readonly uri: string;
  /** `virsh -c URI`: the peer named in timeouts and errors. */
  readonly peer: string;
  readonly #opts: VirshSessionOptions;
  readonly #queue: Job[] = [];
  #child: Child | undefined;
  #running = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => {};
  #seq = 0;
  #closed = false;
  /** XDG_CACHE_HOME for virsh, which saves its readline history there on exit. */
  #cacheDir: string | undefined;

  constructor(opts: VirshSessionOptions) {
    if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${opts.timeoutMs}`);
    }
    this.#opts = opts;
    this.uri = opts.uri;
    this.peer = `virsh -c ${opts.uri}`;
  }

  /** PID of the running virsh, if one is running. */
  get pid(): number | undefined {
    return this.#child && !this.#child.exit ? this.#child.proc.pid : undefined;
  }

  /** Runs the commands as one batch; one output per command, in order. */
  run(commands: readonly VirshCommand[], signal?: AbortSignal): Promise<CommandOutput[]> {
    return new Promise<CommandOutput[]>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (this.#closed) return reject(new BackendError(`${this.peer}: session is closed`, { command: this.peer }));
      let lines: string[];
      try {
        lines = commands.map(formatCommand);
      } catch (e) {
        return reject(e);
      }
      if (lines.length === 0) return resolve([]);
      const job: Job = { commands: lines, resolve, reject, settled: false, detach: () => {} };
      if (signal) {
        // Queued: drop it. Running: answer the caller now; the batch still
        // completes (or times out) before the next one is sent.
        const onAbort = () => {
          const i = this.#queue.indexOf(job);
          if (i >= 0) this.#queue.splice(i, 1);
          settle(job, () => reject(signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Rejects queued batches, lets the running one finish, then `quit`s virsh (SIGKILL after a grace period). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      settle(job, () => job.reject(new BackendError(`${this.peer}: session closed before the command ran`, { command: this.peer })));
    }
    await this.#idle;
    try {
      await this.#quit();
    } finally {
      if (this.#cacheDir) await rm(this.#cacheDir, { recursive: true, force: true });
    }
  }

  async #quit(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exit) return;
    const exited = child.proc.then(() => true as const);
    const grace = this.#opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    child.proc.stdin?.end('quit\n');
    if (await within(exited, grace)) return;
    this.#opts.log('warn', `${this.peer}: did not quit within ${grace} ms; killing pid ${child.proc.pid}`);
    child.proc.kill('SIGKILL');
    // A descendant may hold its stdout or stderr open; do not wait for it forever.
    if (!(await within(exited, grace))) {
      this.#opts.log('warn', `${this.peer}: pid ${child.proc.pid} killed, but its output pipes are still open`);
    }
  }

  #pump(): void {
    if (this.#running) return;
    const job = this.#queue.shift();
    if (!job) return;
    this.#running = true;
    this.#idle = new Promise((r) => (this.#markIdle = r));
    this.#execute(job)
      .then(
        (out) => settle(job, () => job.resolve(out)),
        (e: unknown) => settle(job, () => job.reject(e)),
      )
      .finally(() => {
        this.#running = false;
        this.#markIdle();
        this.#pump();
      });
  }

  async #execute(job: Job): Promise<CommandOutput[]> {
    const child = this.#spawnIfNeeded();
    const seq = ++this.#seq;
    const typed = (tag: string) => `'${child.token}'${seq}.${tag}.`;
    const printed = (tag: string) => `${child.token}${seq}.${tag}.`;
    // Stderr needs no marker before the first command: the previous batch ended with Z on both streams.
    const parts = job.commands.flatMap((cmd, i) =>
      i === 0 ? [`echo ${typed('A0')}`, cmd] : [`echo ${typed(`A${i}`)}`, `echo --err ${typed(`A${i}`)}`, cmd],
    );
    parts.push(`echo ${typed('E')}`);
    const input = `${parts.join(';')}\necho --err ${typed('Z')};echo ${typed('Z')}\n`;
    const endOut = printed('Z');
    const endErr = `error: ${printed('Z')}\n`;
    const description = `${this.peer}: ${job.commands.join('; ')}`;

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.wake = undefined;
        this.#kill(child, `no answer within ${this.#opts.timeoutMs} ms to ${job.commands.join('; ')}`);
        reject(new PeerTimeoutError({ peer: this.peer, phase: 'backend', ms: this.#opts.timeoutMs }));
      }, this.#opts.timeoutMs);
      child.wake = () => {
        if (child.stdout.includes(endOut) && child.stderr.includes(endErr)) {
          clearTimeout(timer);
          child.wake = undefined;
          resolve();
        } else if (child.exit) {
          clearTimeout(timer);
          child.wake = undefined;
          reject(this.#deathError(child, description));
        }
      };
      child.proc.stdin?.write(input);
      child.wake();
    });

    const outCut = child.stdout.indexOf(endOut) + endOut.length;
    const errCut = child.stderr.indexOf(endErr) + endErr.length;
    const stdout = child.stdout.slice(0, outCut);
    const stderr = child.stderr.slice(0, errCut - endErr.length);
    child.stdout = child.stdout.slice(outCut);
    child.stderr = child.stderr.slice(errCut);
    return this.#split(job, stdout, stderr, printed, description);
  }

  #split(
    job: Job,
    stdout: string,
    stderr: string,
    printed: (tag: string) => string,
    description: string,
  ): CommandOutput[] {
    const n = job.commands.length;
    const outAt = positions(stdout, [...job.commands.map((_, i) => printed(`A${i}`)), printed('E')]);
    if (!outAt) {
      // virsh refused the whole line while parsing it; stderr says why.
      throw new BackendError(`${this.peer} rejected the command line: ${summarize(stderr) || 'no error text'}`, {
        command: description,
        stderr,
      });
    }
    const errMarks = job.commands.slice(1).map((_, i) => `error: ${printed(`A${i + 1}`)}\n`);
    const errAt = positions(stderr, errMarks);
    if (!errAt) {
      throw new BackendError(`${this.peer}: stderr markers missing or out of order`, { command: description, stderr });
    }
    const errBounds = [{ start: 0, end: 0 }, ...errAt, { start: stderr.length, end: stderr.length }];
    const out: CommandOutput[] = [];
    for (let i = 0; i < n; i++) {
      const cmdErr = stderr.slice(errBounds[i]!.end, errBounds[i + 1]!.start);
      out.push({
        command: job.commands[i]!,
        stdout: stdout.slice(outAt[i]!.end, outAt[i + 1]!.start),
        stderr: cmdErr,
        failed: /^error: /m.test(cmdErr),
      });
    }
    return out;
  }

  #spawnIfNeeded(): Child {
    if (this.#child && !this.#child.exit) return this.#child;
    // Keeps our command lines out of the user's ~/.cache/libvirt/virsh/history.
    try {
      this.#cacheDir ??= mkdtempSync(join(tmpdir(), 'palisade-virsh-'));
    } catch (e) {
      throw new BackendError(`${this.peer}: cannot create a scratch directory for virsh in ${tmpdir()}: ${String(e)}`, {
        command: this.peer,
        cause: e,
      });
    }
    const proc = execa(this.#opts.virsh, ['-q', '-c', this.#opts.uri], {
      // C messages for parsing; a dumb terminal and no inputrc, so readline only echoes.
      env: { ...this.#opts.env, LC_ALL: 'C', TERM: 'dumb', INPUTRC: '/dev/null', XDG_CACHE_HOME: this.#cacheDir },
      extendEnv: true,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
    });
    const child: Child = { proc, token: randomBytes(4).toString('hex'), stdout: '', stderr: '', exit: undefined, wake: undefined };
    proc.stdin?.on('error', () => {}); // EPIPE after a death; the exit handler reports it
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => {
      child.stdout += d;
      child.wake?.();
    });
    proc.stderr?.on('data', (d: string) => {
      child.stderr += d;
      child.wake?.();
    });
    void proc.then((r) => {
      const info = r as { code?: unknown; exitCode?: number; signal?: string };
      child.exit = {
        errno: typeof info.code === 'string' ? info.code : undefined,
        exitCode: info.exitCode,
        signal: info.signal,
      };
      if (child.wake) child.wake();
      else if (this.#child === child) {
        // Died between commands: the next command starts a new virsh.
        this.#opts.log('warn', `${this.#deathError(child, this.peer).message} (while idle; the next command starts a new virsh)`);
      }
      if (this.#child === child) this.#child = undefined;
    });
    this.#child = child;
    return child;
  }

  #kill(child: Child, why: string): void {
    if (this.#child === child) this.#child = undefined;
    if (child.exit) return;
    this.#opts.log('warn', `${this.peer}: ${why}; killing pid ${child.proc.pid} and restarting on the next command`);
    child.proc.kill('SIGKILL');
    child.proc.stdin?.destroy();
  }

  #deathError(child: Child, description: string): BackendError {
    const exit = child.exit!;
    const stderr = stripMarkers(child.stderr, child.token).slice(-STDERR_REPORT_LIMIT);
    const base = { command: description, stderr, ...(exit.exitCode !== undefined ? { exitCode: exit.exitCode } : {}) };
    if (exit.errno === 'ENOENT') {
      const msg = this.#opts.virsh.includes('/')
        ? `virsh binary ${this.#opts.virsh} not found; install libvirt-clients or fix the backend's virsh setting`
        : `${this.#opts.virsh} not found in PATH; install libvirt-clients`;
      return new BackendError(msg, base);
    }
    if (exit.errno === 'EACCES') {
      return new BackendError(`virsh binary ${this.#opts.virsh} is not executable (EACCES)`, base);
    }
    if (exit.errno) return new BackendError(`${this.peer}: could not start virsh (${exit.errno})`, base);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    const text = summarize(stderr);
    return new BackendError(`${this.peer} ${how}${text ? `: ${text}` : ''}`, base);
  }
}

/** True if `p` settles within `ms`. */
async function within(p: Promise<true>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function settle(job: Job, fn: () => void): void {
  if (job.settled) return;
  job.settled = true;
  job.detach();
  fn();
}

/** Start/end offsets of each needle, searched in order; undefined if one is missing. */
function positions(text: string, needles: readonly string[]): { start: number; end: number }[] | undefined {
  const found: { start: number; end: number }[] = [];
  let from = 0;
  for (const needle of needles) {
    const start = text.indexOf(needle, from);
    if (start < 0) return undefined;
    from = start + needle.length;
    found.push({ start, end: from });
  }
  return found;
}

function stripMarkers(stderr: string, token: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith(`error: ${token}`))
    .join('\n');
}

/** Stderr as one line for a message: `error: a; error: b`. */
function summarize(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
}
