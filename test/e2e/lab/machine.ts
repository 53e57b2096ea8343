// One cluster node of the e2e lab, as a machine with a power button. Its
// "hardware" is a network namespace with one NIC on the lab's switch and a
// state folder (its disk). Powered on, boot-node.sh runs as PID 1 of new PID,
// UTS and mount namespaces inside it; powered off, that PID 1 is SIGKILLed
// (the kernel then kills every process of the node), the mounts go with the
// mount namespace, and the NIC loses its addresses and carrier, as a
// machine without power does.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ClusterHost } from '../../helpers/cluster-net.js';
import { cmd, mustCmd, type CmdResult } from '../../helpers/netns.js';

export const BOOT_SCRIPT = resolve(import.meta.dirname, 'boot-node.sh');

/** Folders of a node's disk, bound over the real paths by boot-node.sh. */
const DISK_DIRS = ['etc/corosync', 'etc/mysql', 'var/lib/corosync', 'var/log/corosync', 'var/log/apache2'] as const;
const PACEMAKER_DIRS = ['var/lib/pacemaker/cib', 'var/lib/pacemaker/pengine', 'var/lib/pacemaker/blackbox', 'var/lib/pacemaker/cores', 'var/log/pacemaker'] as const;
const MYSQL_DIRS = ['var/lib/mysql', 'var/log/mysql'] as const;

export interface Domain {
  readonly name: string;
  readonly uuid: string;
}

export interface MachineSpec {
  readonly name: string;
  readonly host: ClusterHost;
  readonly switchNs: string;
  readonly stateDir: string;
  readonly domain: Domain;
  /** `palisade install` staging folder (sbin/, ocf/resource.d/). */
  readonly stage: string;
  /** The drbd-utils stand-in's shared folder when this node is one of its pair (boot-node.sh). */
  readonly drbdStandIn?: string;
}

export class Machine {
  readonly name: string;
  readonly host: ClusterHost;
  readonly stateDir: string;
  readonly domain: Domain;
  readonly #switchNs: string;
  readonly #stage: string;
  readonly #drbdStandIn: string | undefined;
  #unshare: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #init: number | undefined;
  /** Boot count, for logs: boot N's console goes to console.log with a header. */
  #boots = 0;

  constructor(s: MachineSpec) {
    this.name = s.name;
    this.host = s.host;
    this.stateDir = s.stateDir;
    this.domain = s.domain;
    this.#switchNs = s.switchNs;
    this.#stage = s.stage;
    this.#drbdStandIn = s.drbdStandIn;
  }

  get poweredOn(): boolean {
    return this.#init !== undefined;
  }

  /** Host PID of the node's PID 1 (for nsenter); throws when powered off. */
  get initPid(): number {
    if (this.#init === undefined) throw new Error(`${this.name} is powered off`);
    return this.#init;
  }

  path(rel: string): string {
    return join(this.stateDir, rel);
  }

  /** Creates the node's disk folders with the owners the daemons expect. */
  async format(): Promise<void> {
    for (const d of [...DISK_DIRS, ...PACEMAKER_DIRS, ...MYSQL_DIRS]) await mkdir(this.path(d), { recursive: true });
    for (const d of PACEMAKER_DIRS) await chownTree(this.path(d), 'hacluster', 'haclient');
    for (const d of MYSQL_DIRS) await chownTree(this.path(d), 'mysql', 'mysql');
  }

  async powerOn(): Promise<void> {
    if (this.#init !== undefined) return;
    const ns = this.host.ns;
    await mustCmd('ip', ['-n', ns, 'addr', 'replace', `${this.host.v4}/24`, 'dev', this.host.ifname]);
    await mustCmd('ip', ['-n', ns, 'link', 'set', this.host.ifname, 'up']);
    this.#boots += 1;
    const consoleLog = this.path('console.log');
    appendFileSync(consoleLog, `\n=== boot ${this.#boots} at ${new Date().toISOString()} ===\n`);
    const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--uts', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc',
      '--propagation', 'private', BOOT_SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', PAL_NODE: this.name, PAL_STATE: this.stateDir, PAL_STAGE: this.#stage,
        ...(this.#drbdStandIn ? { PAL_DRBD_STANDIN: this.#drbdStandIn } : {}) },
    });
    const log = (d: Buffer) => appendFileSync(consoleLog, d);
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    this.#unshare = child;
    this.#exited = new Promise((r) => child.once('close', () => r()));
    child.once('exit', () => {
      if (this.#unshare === child) { this.#unshare = undefined; this.#init = undefined; }
    });
    if (child.pid === undefined) throw new Error(`${this.name}: could not start unshare in ${ns}`);
    this.#init = await initOf(child, this.name);
  }

  /** Cuts the power: every process of the node dies at once. Resolves when none is left. */
  async powerOff(): Promise<void> {
    const init = this.#init;
    const exited = this.#exited;
    if (init !== undefined) {
      try { process.kill(init, 'SIGKILL'); } catch { /* already gone */ }
      // unshare returns once its child, the namespace's init, is reaped, and
      // the kernel reaps that init only after every other process of it.
      await exited;
    }
    this.#init = undefined;
    this.#unshare = undefined;
    await cmd('ip', ['-n', this.host.ns, 'addr', 'flush', 'dev', this.host.ifname]);
    await cmd('ip', ['-n', this.host.ns, 'link', 'set', this.host.ifname, 'down']);
  }

  /** Pulls (or puts back) the node's cable at the switch; the node keeps running. */
  async setLink(up: boolean): Promise<void> {
    await mustCmd('ip', ['-n', this.#switchNs, 'link', 'set', this.host.switchPort, up ? 'up' : 'down']);
  }

  /** Runs a program inside the node (all its namespaces); never rejects for a non-zero exit. */
  exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CmdResult> {
    return cmd('nsenter', ['-t', String(this.initPid), '-a', file, ...args], { PATH: process.env.PATH, ...env });
  }

  async mustExec(file: string, args: readonly string[]): Promise<string> {
    const r = await this.exec(file, args);
    if (r.code !== 0) throw new Error(`${this.name}: ${file} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /** The sentinel boot-node.sh starts is still running: no agent signalled what was not its own. */
  async sentinelAlive(): Promise<boolean> {
    return (await this.exec('pgrep', ['-f', '^pal-lab-sentinel '])).code === 0;
  }

  async log(rel: string): Promise<string> {
    return readFile(this.path(rel), 'utf8').catch(() => '');
  }
}

async function chownTree(dir: string, user: string, group: string): Promise<void> {
  await mustCmd('chown', ['-R', `${user}:${group}`, dir]);
}

/** The PID of unshare's child, the new namespace's PID 1. */
async function initOf(unshare: ChildProcess, name: string): Promise<number> {
  const pid = unshare.pid!;
  for (let i = 0; i < 500; i++) {
    if (unshare.exitCode !== null || unshare.signalCode !== null) throw new Error(`${name}: unshare exited (${unshare.exitCode ?? unshare.signalCode}) while booting`);
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    const first = Number(children.trim().split(/\s+/)[0]);
    // ip netns exec exec()s unshare; until then the child list is ip's own.
    if (comm.trim() === 'unshare' && Number.isInteger(first) && first > 0) return first;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${name}: no namespace init appeared under unshare ${pid}`);
}
