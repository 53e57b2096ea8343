// A small L2 network of network namespaces for multicast tests: one switch
// namespace holding a Linux bridge, and N host namespaces (hv1, hv2, guest…)
// each joined to the bridge by a veth pair. Addresses come from the
// documentation ranges (192.0.2.0/24, 2001:db8::/64), so nothing leaves the
// namespaces.
//
//   const net = await createClusterNet(['hv1', 'hv2', 'guest'], { tag: 'mc' });
//   afterAll(() => net.cleanup());                   // idempotent, also after failures
//   const d = net.spawn('hv1', 'fence_virtd', ['-F', '-f', conf]);
//   await net.waitForMulticast(d, '225.0.0.12', 1229);
//   const r = await net.run('guest', 'fence_xvm', ['-o', 'list', ...]);
//
// The bridge has multicast snooping off: with no IGMP/MLD querier on the
// segment, a snooping bridge could drop groups it has not seen reports
// for; off, it floods multicast to every port, like a plain hub.
//
// Processes are started with `ip netns exec NS PROGRAM …`. ip enters the
// namespace and then exec()s PROGRAM, so the child's PID is the program's
// PID (checked by inNamespace()) and killing it by PID stops the program.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { cmd, createNetns, mustCmd, removeNetns, uniqueNetnsName, type CmdResult } from './netns.js';

export interface ClusterHost {
  /** Logical name given to createClusterNet, e.g. 'hv1'. */
  readonly name: string;
  /** Namespace name (unique per run). */
  readonly ns: string;
  /** The host's interface inside its namespace (same name on every host). */
  readonly ifname: string;
  /** The veth end inside the switch namespace, enslaved to the bridge. */
  readonly switchPort: string;
  /** IPv4 address, no prefix (192.0.2.N). */
  readonly v4: string;
  /** IPv6 address, no prefix (2001:db8::N). */
  readonly v6: string;
}

export interface NsProcess {
  readonly host: ClusterHost;
  readonly child: ChildProcess;
  /** PID of the program itself (ip netns exec exec()s it). */
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches `re`; rejects on exit or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  /** SIGTERM by PID, SIGKILL after 5 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill the program (by PID) after this long; default 60 s. The result then has timedOut set. */
  timeoutMs?: number;
  input?: string;
}

export interface NsRunResult extends CmdResult {
  /** Wall time from spawn to exit, ms. */
  ms: number;
  timedOut: boolean;
}

export interface ClusterNet {
  readonly switchNs: string;
  readonly bridge: string;
  readonly hosts: ReadonlyMap<string, ClusterHost>;
  host(name: string): ClusterHost;
  /** Runs a program in a host's namespace and collects its output; never rejects for a non-zero exit. */
  run(host: string, file: string, args: readonly string[], opts?: RunOptions): Promise<NsRunResult>;
  /** Starts a long-running program in a host's namespace; stopped by cleanup() if still running. */
  spawn(host: string, file: string, args: readonly string[], env?: NodeJS.ProcessEnv): NsProcess;
  /**
   * Waits until, in the process's namespace, a UDP socket is bound to `port`
   * and `group` is joined on the host's interface: the daemon can then
   * receive requests sent to the group.
   */
  waitForMulticast(p: NsProcess, group: string, port: number, ms?: number): Promise<void>;
  /** True when `p` runs the program itself (not ip) inside its host's namespace. */
  inNamespace(p: NsProcess, program: string): Promise<boolean>;
  /** Stops every process started here (by PID), then removes the host and switch namespaces. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface ClusterNetOptions {
  /** Part of the namespace names, so a leak shows who made it. Default 'cl'. */
  tag?: string;
  /** Interface name inside each host namespace. Default 'eth0'. */
  ifname?: string;
}

const HOST_NAME = /^[a-z][a-z0-9]{0,9}$/;
const DEFAULT_RUN_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/**
 * Creates the switch and one namespace per name in `hostNames`; host i (from
 * 1) gets 192.0.2.i/24 and 2001:db8::i/64 (nodad, usable at once), lo up,
 * and multicast routes through its interface.
 */
export async function createClusterNet(hostNames: readonly string[], opts: ClusterNetOptions = {}): Promise<ClusterNet> {
  const tag = opts.tag ?? 'cl';
  const ifname = opts.ifname ?? 'eth0';
  if (hostNames.length === 0 || hostNames.length > 200) throw new RangeError(`createClusterNet: need 1..200 hosts, got ${hostNames.length}`);
  for (const n of hostNames) {
    if (!HOST_NAME.test(n)) throw new RangeError(`createClusterNet: host name '${n}' must match ${HOST_NAME} (it becomes part of an interface name)`);
  }
  if (new Set(hostNames).size !== hostNames.length) throw new RangeError(`createClusterNet: duplicate host names in ${hostNames.join(', ')}`);

  const switchNs = uniqueNetnsName(`${tag}sw`);
  const bridge = 'br0';
  const hosts = new Map<string, ClusterHost>();
  hostNames.forEach((name, i) => {
    hosts.set(name, {
      name, ifname, ns: uniqueNetnsName(`${tag}${name}`), switchPort: `p-${name}`,
      v4: `192.0.2.${i + 1}`, v6: `2001:db8::${(i + 1).toString(16)}`,
    });
  });

  const created: string[] = [];
  const procs = new Set<NsProcess>();
  let cleaned: Promise<void> | undefined;

  const cleanup = (): Promise<void> => {
    cleaned ??= (async () => {
      await Promise.all([...procs].map((p) => p.stop()));
      // Hosts first (their veth ends go with them), then the switch and its bridge.
      for (const ns of created.splice(0).reverse()) {
        await killLeftovers(ns);
        await removeNetns(ns);
      }
    })();
    return cleaned;
  };

  const host = (name: string): ClusterHost => {
    const h = hosts.get(name);
    if (!h) throw new RangeError(`no host '${name}' in this cluster net (hosts: ${[...hosts.keys()].join(', ')})`);
    return h;
  };

  try {
    await createNetns(switchNs);
    created.push(switchNs);
    await mustCmd('ip', ['-n', switchNs, 'link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0']);
    await mustCmd('ip', ['-n', switchNs, 'link', 'set', bridge, 'up']);
    for (const h of hosts.values()) {
      await createNetns(h.ns);
      created.push(h.ns);
      await mustCmd('ip', ['-n', switchNs, 'link', 'add', h.switchPort, 'type', 'veth', 'peer', 'name', h.ifname, 'netns', h.ns]);
      await mustCmd('ip', ['-n', switchNs, 'link', 'set', h.switchPort, 'master', bridge]);
      await mustCmd('ip', ['-n', switchNs, 'link', 'set', h.switchPort, 'up']);
      await mustCmd('ip', ['-n', h.ns, 'addr', 'add', `${h.v4}/24`, 'dev', h.ifname]);
      await mustCmd('ip', ['-n', h.ns, '-6', 'addr', 'add', `${h.v6}/64`, 'dev', h.ifname, 'nodad']);
      await mustCmd('ip', ['-n', h.ns, 'link', 'set', h.ifname, 'up']);
      // fence_xvm picks the IPv4 interface itself (IP_MULTICAST_IF); other
      // senders, and IPv6 sends without IPV6_MULTICAST_IF, follow the route.
      await mustCmd('ip', ['-n', h.ns, 'route', 'add', '224.0.0.0/4', 'dev', h.ifname]);
      await mustCmd('ip', ['-n', h.ns, '-6', 'route', 'add', 'ff00::/8', 'dev', h.ifname, 'table', 'main']);
    }
  } catch (e) {
    await cleanup();
    throw e;
  }

  const run = async (name: string, file: string, args: readonly string[], o: RunOptions = {}): Promise<NsRunResult> => {
    const h = host(name);
    const t0 = performance.now();
    const child = spawn('ip', ['netns', 'exec', h.ns, file, ...args], {
      stdio: [o.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: o.env ?? process.env,
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const limit = o.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limit);
    return new Promise((resolve, reject) => {
      child.once('error', (e) => { clearTimeout(timer); reject(new Error(`ip netns exec ${h.ns} ${file}: ${e.message}`)); });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({
          code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString() + (timedOut ? `\n[killed after ${limit} ms]` : ''),
          ms: performance.now() - t0,
          timedOut,
        });
      });
    });
  };

  const spawnIn = (name: string, file: string, args: readonly string[], env?: NodeJS.ProcessEnv): NsProcess => {
    const h = host(name);
    if (cleaned) throw new Error(`cluster net ${switchNs} is cleaned up; cannot start ${file}`);
    const child = spawn('ip', ['netns', 'exec', h.ns, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ip netns exec ${h.ns} ${file}`);
    const p = nsProcess(h, child, child.pid);
    procs.add(p);
    child.once('exit', () => procs.delete(p));
    return p;
  };

  return {
    switchNs, bridge, hosts, host, run, spawn: spawnIn, cleanup,
    waitForMulticast: (p, group, port, ms = 15_000) => waitForMulticast(p, group, port, ms),
    inNamespace,
  };
}

function nsProcess(host: ClusterHost, child: ChildProcess, pid: number): NsProcess {
  let out = '';
  const waiters = new Set<() => void>();
  const on = (d: Buffer) => { out += d.toString(); for (const w of [...waiters]) w(); };
  child.stdout?.on('data', on);
  child.stderr?.on('data', on);
  child.on('error', (e) => { out += `\n[spawn error: ${e.message}]`; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    host, child, pid,
    output: () => out,
    waitFor: (re, ms = 15_000) => new Promise((resolve, reject) => {
      const check = () => {
        if (re.test(out)) { done(); resolve(); } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`process ${pid} in ${host.ns} exited (${child.exitCode ?? child.signalCode}) before printing ${re}; output:\n${out}`));
        }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`timed out after ${ms} ms waiting for ${re} from process ${pid} in ${host.ns}; output:\n${out}`)); }, ms);
      const done = () => { clearTimeout(timer); waiters.delete(check); child.off('exit', check); };
      waiters.add(check);
      child.on('exit', check);
      check();
    }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      signal(pid, 'SIGTERM');
      const t = setTimeout(() => signal(pid, 'SIGKILL'), STOP_GRACE_MS);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** SIGKILLs, by PID, whatever still runs in a namespace this run created (a test that forgot one); else the namespace outlives its name. */
async function killLeftovers(ns: string): Promise<void> {
  const r = await cmd('ip', ['netns', 'pids', ns]);
  if (r.code !== 0) return;
  for (const pid of r.stdout.split(/\s+/).filter(Boolean).map(Number)) signal(pid, 'SIGKILL');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* already gone */ }
}

async function inNamespace(p: NsProcess, program: string): Promise<boolean> {
  // Until ip has exec()d, /proc/PID/comm is "ip"; give it a moment.
  for (let i = 0; i < 100; i++) {
    try {
      const comm = (await readFile(`/proc/${p.pid}/comm`, 'utf8')).trim();
      if (comm === program.slice(0, 15)) {
        const [mine, theirs] = await Promise.all([stat(`/proc/${p.pid}/ns/net`), stat(`/run/netns/${p.host.ns}`)]);
        return mine.ino === theirs.ino && mine.dev === theirs.dev;
      }
    } catch {
      return false;
    }
    await sleep(20);
  }
  return false;
}

async function waitForMulticast(p: NsProcess, group: string, port: number, ms: number): Promise<void> {
  const v6 = isIPv6(group);
  if (!v6 && !isIPv4(group)) throw new RangeError(`waitForMulticast: '${group}' is not an IP address literal`);
  const want = v6 ? groupHex6(group) : groupHex4(group);
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + ms;
  for (;;) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`process ${p.pid} in ${p.host.ns} exited (${p.child.exitCode ?? p.child.signalCode}) before joining ${group}; output:\n${p.output()}`);
    }
    try {
      const [groups, udp] = await Promise.all([
        readFile(`/proc/${p.pid}/net/${v6 ? 'igmp6' : 'igmp'}`, 'utf8'),
        readFile(`/proc/${p.pid}/net/${v6 ? 'udp6' : 'udp'}`, 'utf8'),
      ]);
      const joined = v6 ? joinedV6(groups, p.host.ifname, want) : joinedV4(groups, p.host.ifname, want);
      const bound = udp.split('\n').slice(1).some((l) => l.trim().split(/\s+/)[1]?.endsWith(`:${portHex}`));
      if (joined && bound) return;
    } catch {
      // /proc entry gone between checks: the exit check above reports it.
    }
    if (Date.now() > deadline) {
      throw new Error(`process ${p.pid} in ${p.host.ns} did not bind UDP port ${port} and join ${group} on ${p.host.ifname} within ${ms} ms; output:\n${p.output()}`);
    }
    await sleep(50);
  }
}

/** /proc/net/igmp prints a group as the in-memory u32 of its network-order bytes, so little-endian hosts show 225.0.0.12 as 0C0000E1. */
function groupHex4(group: string): string {
  const b = group.split('.').map(Number);
  const be = Buffer.from(b);
  const word = be.readUInt32LE(0);
  return word.toString(16).toUpperCase().padStart(8, '0');
}

function groupHex6(group: string): string {
  // Expand "::" and print 32 hex digits, as /proc/net/igmp6 does.
  const [head, tail] = group.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

function joinedV4(text: string, ifname: string, hex: string): boolean {
  let inDev = false;
  for (const line of text.split('\n').slice(1)) {
    const dev = /^\d+\s+(\S+)\s*:/.exec(line);
    if (dev) { inDev = dev[1] === ifname; continue; }
    if (inDev && line.trim().split(/\s+/)[0]?.toUpperCase() === hex) return true;
  }
  return false;
}

function joinedV6(text: string, ifname: string, hex: string): boolean {
  return text.split('\n').some((l) => { const f = l.trim().split(/\s+/); return f[1] === ifname && f[2] === hex; });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
