// Starts palisaded and the real fence_virtd on free loopback ports with a
// shared fence_virt.conf, and runs the real fence_virt client against them.
// Everything started here is stopped by PID in stop(); temp dirs removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PALISADED = join(ROOT, 'dist/bin/palisaded.cjs');
export const FENCE_PALISADE = join(ROOT, 'dist/bin/fence_palisade.cjs');
export const PALISADE_CLI = join(ROOT, 'dist/bin/palisade.cjs');
export const DEMO_DOMAINS = join(ROOT, 'scripts/demo/domains.xml');
export const FENCE_VIRT_MODULES = '/usr/lib/x86_64-linux-gnu/fence-virt';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface ConfOptions {
  port: number;
  keyFile: string;
  uri?: string;
  address?: string;
  family?: 'ipv4' | 'ipv6';
  hash?: string;
  auth?: string;
  extra?: string;
}

export function fenceVirtConf(o: ConfOptions): string {
  return `fence_virtd {
	listener = "tcp";
	backend = "libvirt";
	module_path = "${FENCE_VIRT_MODULES}";
}
listeners {
	tcp {
		key_file = "${o.keyFile}";
		address = "${o.address ?? '127.0.0.1'}";
		port = "${o.port}";
		family = "${o.family ?? 'ipv4'}";
${o.hash ? `\t\thash = "${o.hash}";\n` : ''}${o.auth ? `\t\tauth = "${o.auth}";\n` : ''}	}
}
backends {
	libvirt {
		uri = "${o.uri ?? `test://${DEMO_DOMAINS}`}";
	}
}
${o.extra ?? ''}`;
}

export class Workspace {
  readonly dir: string;
  readonly #children = new Set<ChildProcess>();
  private constructor(dir: string) { this.dir = dir; }

  static async create(): Promise<Workspace> {
    return new Workspace(await mkdtemp(join(tmpdir(), 'palisade-test-')));
  }

  path(name: string): string { return join(this.dir, name); }

  async key(name = 'fence_xvm.key', bytes: Uint8Array = randomBytes(256)): Promise<string> {
    const p = this.path(name);
    await writeFile(p, bytes, { mode: 0o600 });
    await chmod(p, 0o600);
    return p;
  }

  async file(name: string, text: string, mode = 0o600): Promise<string> {
    const p = this.path(name);
    await writeFile(p, text, { mode });
    await chmod(p, mode);
    return p;
  }

  /** Spawns a child that is killed by PID in stop(). */
  spawn(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#children].map((c) => stopChild(c)));
    await rm(this.dir, { recursive: true, force: true });
  }
}

export async function stopChild(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return c.exitCode;
  const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  c.kill(signal);
  const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

export interface RunningDaemon {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

/** Gathers a child's stdout and stderr; waitFor() settles on the first match (or the child's exit, or `ms`). */
export function watchOutput(child: ChildProcess): { output: () => string; waitFor: (re: RegExp, ms?: number) => Promise<void> } {
  let out = '';
  const waiters = new Set<() => void>();
  const on = (d: Buffer) => { out += d.toString(); for (const w of waiters) w(); };
  child.stdout?.on('data', on);
  child.stderr?.on('data', on);
  return {
    output: () => out,
    waitFor: (re, ms = 30_000) => new Promise((res, rej) => {
      const check = () => {
        if (re.test(out)) { cleanup(); res(); }
        else if (child.exitCode !== null) { cleanup(); rej(new Error(`process exited (${child.exitCode}) before ${re}: ${out}`)); }
      };
      const t = setTimeout(() => { cleanup(); rej(new Error(`timed out waiting for ${re}; output so far:\n${out}`)); }, ms);
      const cleanup = () => { clearTimeout(t); waiters.delete(check); child.off('exit', check); };
      waiters.add(check);
      child.on('exit', check);
      check();
    }),
  };
}

export async function startPalisaded(ws: Workspace, conf: string, extraArgs: string[] = [], port = 0, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  const confFile = await ws.file(`palisaded-${randomBytes(3).toString('hex')}.conf`, conf);
  const env = { ...process.env, ...extraEnv };
  const child = ws.spawn(process.execPath, [PALISADED, '-F', '-f', confFile, '-p', ws.path(`palisaded-${child_id++}.pid`), ...extraArgs], env);
  const c = watchOutput(child);
  await c.waitFor(/palisaded ready/);
  return { child, port, ...c };
}
let child_id = 0;

/** Starts the real fence_virtd and waits until its port accepts connections. */
export async function startFenceVirtd(ws: Workspace, conf: string, port: number, host = '127.0.0.1'): Promise<RunningDaemon> {
  const confFile = await ws.file(`fence_virtd-${randomBytes(3).toString('hex')}.conf`, conf);
  const child = ws.spawn('/usr/sbin/fence_virtd', ['-F', '-f', confFile, '-p', ws.path(`fence_virtd-${child_id++}.pid`)]);
  const c = watchOutput(child);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fence_virtd exited ${child.exitCode}: ${c.output()}`);
    if (await canConnect(host, port)) break;
    if (Date.now() > deadline) throw new Error(`fence_virtd not listening on ${port}: ${c.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, ...c };
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}

export interface RunResult { exitCode: number; stdout: string; stderr: string }

/** The real C client. */
export async function fenceVirt(args: string[], input?: string): Promise<RunResult> {
  const r = await execa('/usr/sbin/fence_virt', args, { reject: false, timeout: 60_000, ...(input !== undefined ? { input } : { stdin: 'ignore' }) });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function fencePalisade(args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const r = await execa(process.execPath, [FENCE_PALISADE, ...args], { reject: false, timeout: 60_000, env, ...(input !== undefined ? { input } : { stdin: 'ignore' }) });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function palisadeCli(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const r = await execa(process.execPath, [PALISADE_CLI, ...args], { reject: false, timeout: 60_000, stdin: 'ignore', env });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export interface DaemonFixture {
  readonly ws: Workspace;
  /** Path of the shared key file. */
  readonly key: string;
  readonly port: number;
  readonly daemon: RunningDaemon;
}

/** A workspace with a fresh key and one daemon on a free loopback port; `ws.stop()` tears it all down. */
export async function daemonFixture(
  kind: 'palisaded' | 'fence_virtd', conf: Partial<Omit<ConfOptions, 'port' | 'keyFile'>> = {},
): Promise<DaemonFixture> {
  const ws = await Workspace.create();
  try {
    const key = await ws.key();
    const host = conf.address ?? '127.0.0.1';
    const port = await freePort(host);
    const text = fenceVirtConf({ ...conf, port, keyFile: key });
    const daemon = kind === 'palisaded' ? await startPalisaded(ws, text) : await startFenceVirtd(ws, text, port, host);
    return { ws, key, port, daemon };
  } catch (e) {
    await ws.stop();
    throw e;
  }
}
