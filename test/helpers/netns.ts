// Network namespaces and veth pairs for agent tests. Addresses live only
// inside the namespaces (192.0.2.0/24 and 2001:db8::/64, documentation
// ranges), so nothing reaches the host's networks.
//
//   const net = await createVethPair();          // in beforeAll
//   afterAll(() => net.cleanup());               // idempotent, also after failures
//   await nsRun(net.a.ns, 'ip', ['-o', 'addr']);
//
// Side a is where the agent runs; side b is the peer (e.g. to provoke IPv6
// duplicate address detection by adding the same address there first).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (argv, no shell) and collects its output; never rejects for a non-zero exit. */
export function cmd(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

/** Like cmd() but throws with the command and stderr unless it exits 0. */
export async function mustCmd(file: string, args: readonly string[]): Promise<CmdResult> {
  const r = await cmd(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r;
}

/** Runs a command inside network namespace `ns`. */
export function nsRun(ns: string, file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CmdResult> {
  return cmd('ip', ['netns', 'exec', ns, file, ...args], env);
}

/** A unique namespace name: pal-<tag>-<pid>-<random>. */
export function uniqueNetnsName(tag: string): string {
  return `pal-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export async function createNetns(name: string): Promise<string> {
  await mustCmd('ip', ['netns', 'add', name]);
  await mustCmd('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Deletes a namespace (and with it its veth ends); missing is fine. */
export async function removeNetns(name: string): Promise<void> {
  const r = await cmd('ip', ['netns', 'delete', name]);
  if (r.code !== 0 && !/No such file|not found|Invalid/i.test(r.stderr)) {
    throw new Error(`ip netns delete ${name}: ${r.stderr.trim()}`);
  }
}

export interface VethEnd {
  ns: string;
  ifname: string;
  /** IPv4 address with prefix, e.g. 192.0.2.1/24 */
  v4: string;
  /** IPv6 address with prefix, e.g. 2001:db8::1/64 */
  v6: string;
}

export interface VethPair {
  a: VethEnd;
  b: VethEnd;
  /** Removes both namespaces; safe to call twice and after a failed setup. */
  cleanup(): Promise<void>;
}

export interface VethOptions {
  /** Included in the namespace names (helps when a test leaks). Default 'veth'. */
  tag?: string;
  ifA?: string;
  ifB?: string;
}

/**
 * Two namespaces joined by a veth pair, both ends up, with 192.0.2.1/24 +
 * 2001:db8::1/64 on side a and .2 / ::2 on side b (added with nodad so they
 * are usable at once).
 */
export async function createVethPair(opts: VethOptions = {}): Promise<VethPair> {
  const tag = opts.tag ?? 'veth';
  const a: VethEnd = { ns: uniqueNetnsName(`${tag}a`), ifname: opts.ifA ?? 'veth-a', v4: '192.0.2.1/24', v6: '2001:db8::1/64' };
  const b: VethEnd = { ns: uniqueNetnsName(`${tag}b`), ifname: opts.ifB ?? 'veth-b', v4: '192.0.2.2/24', v6: '2001:db8::2/64' };
  const created: string[] = [];
  const cleanup = async () => {
    for (const ns of created.splice(0)) await removeNetns(ns);
  };
  try {
    for (const end of [a, b]) {
      await createNetns(end.ns);
      created.push(end.ns);
    }
    await mustCmd('ip', ['-n', a.ns, 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
    for (const end of [a, b]) {
      await mustCmd('ip', ['-n', end.ns, 'addr', 'add', end.v4, 'dev', end.ifname]);
      await mustCmd('ip', ['-n', end.ns, '-6', 'addr', 'add', end.v6, 'dev', end.ifname, 'nodad']);
      await mustCmd('ip', ['-n', end.ns, 'link', 'set', end.ifname, 'up']);
    }
    return { a, b, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
