// Starts the real fence_virtd (tcp listener, libvirt test:///default) on a
// loopback port with a temporary key, for behaviour cross-checks.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    }).on('error', reject);
  });
}

/** Polls /proc/net/tcp for a listening socket: connecting would stall fence_virtd for its 1 s read timeout. */
async function waitListening(port: number, alive: () => boolean, ms: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && alive()) {
    const table = await readFile('/proc/net/tcp', 'utf8');
    if (table.split('\n').some((l) => { const f = l.trim().split(/\s+/); return f[1]?.endsWith(hex) && f[3] === '0A'; })) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export interface RunningFenceVirtd {
  readonly port: number;
  readonly keyFile: string;
  readonly dir: string;
  output(): string;
  /** fence_virt -T against it; returns the exit code. */
  fenceVirt(op: string, domain?: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * `makeConf(keyFile, port)` returns the configuration text. Resolves once the
 * daemon listens; rejects (after stopping it) if it exits or does not listen.
 */
export async function startFenceVirtd(makeConf: (keyFile: string, port: number) => string): Promise<RunningFenceVirtd> {
  const dir = await mkdtemp(join(tmpdir(), 'pal-fv-'));
  const keyFile = join(dir, 'fence_xvm.key');
  await writeFile(keyFile, randomBytes(256), { mode: 0o600 });
  const port = await freePort();
  const conf = join(dir, 'fence_virt.conf');
  await writeFile(conf, makeConf(keyFile, port), { mode: 0o600 });
  const child: ResultPromise = execa('fence_virtd', ['-F', '-f', conf, '-p', join(dir, 'fence_virtd.pid')], {
    reject: false, all: true, stdin: 'ignore',
  });
  let out = '';
  child.all?.on('data', (d: Buffer) => { out += d.toString(); });
  const pid = child.pid!;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
    const t = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
    await child;
    clearTimeout(t);
    await rm(dir, { recursive: true, force: true });
  };
  if (!(await waitListening(port, () => child.exitCode === null, 10_000))) {
    await stop();
    throw new Error(`fence_virtd did not listen on 127.0.0.1:${port}:\n${out}`);
  }
  return {
    port, keyFile, dir, stop,
    output: () => out,
    async fenceVirt(op, domain) {
      const args = ['-T', '127.0.0.1', '-p', String(port), '-k', keyFile, '-o', op, ...(domain ? ['-H', domain] : [])];
      return (await execa('fence_virt', args, { reject: false, timeout: 30_000 })).exitCode;
    },
  };
}
