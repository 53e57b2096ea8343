// The e2e lab: three (or more) cluster nodes of Debian's corosync 3 and
// pacemaker 2.1, a "hypervisor" running palisaded over libvirt's test
// driver (one domain per node), and a client, all on one bridge
// (test/helpers/cluster-net.ts). The power of each node is wired to its
// domain through virsh-power.sh and the PowerSwitch, so a fence that
// palisaded carries out really kills the node.
//
//   const lab = await Lab.create({ tag: 'grp' });
//   afterAll(() => lab.cleanup());           // on success and on failure
//   await lab.configure([['resource', 'create', …], …]);   // pcs -f, offline
//   await lab.boot();                        // all nodes online, a DC elected
//
// Addresses: hv 192.0.2.1, client 192.0.2.2, node i 192.0.2.(2+i);
// VIPs from 192.0.2.100.
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterNet, type ClusterNet } from '../../helpers/cluster-net.js';
import { mustCmd } from '../../helpers/netns.js';
import { privateInstall, type PrivateInstall } from '../../helpers/private-install.js';
import { parseCrmMon, parseFenceHistory, type ClusterState, type FenceRecord } from './crm.js';
import { palisadedHost, type FenceHost, type FenceHostFactory } from './fence-host.js';
import { Machine } from './machine.js';
import { PowerSwitch } from './power-switch.js';

export interface LabOptions {
  /** Short tag in namespace names ([a-z0-9], ≤ 4 chars). */
  readonly tag: string;
  readonly nodeCount?: number;
  /** What answers the fence agents on the hypervisor; default palisaded. */
  readonly fenceHost?: FenceHostFactory;
  /** Nodes that are the drbd-utils stand-in's pair, and its shared folder (see drbd-standin.ts). */
  readonly drbdStandIn?: { readonly dir: string; readonly nodes: readonly string[] };
}

export class Lab {
  readonly dir: string;
  readonly net: ClusterNet;
  readonly nodes: readonly Machine[];
  readonly power: PowerSwitch;
  readonly keyFile: string;
  readonly cibFile: string;
  readonly fenceHost: FenceHost;
  readonly #inst: PrivateInstall;
  #cleanups: (() => Promise<void>)[] = [];
  #cleaned = false;

  private constructor(dir: string, net: ClusterNet, nodes: Machine[], power: PowerSwitch, inst: PrivateInstall, fenceHost: FenceHostFactory) {
    this.dir = dir;
    this.net = net;
    this.nodes = nodes;
    this.power = power;
    this.keyFile = join(dir, 'fence_xvm.key');
    this.cibFile = join(dir, 'cib.xml');
    this.#inst = inst;
    this.fenceHost = fenceHost({
      net, keyFile: this.keyFile, hvAddress: net.host('hv').v4, domainsXml: join(dir, 'domains.xml'),
      powerSocket: power.socketPath, path: (rel) => join(dir, rel),
    });
  }

  static async create(opts: LabOptions): Promise<Lab> {
    const n = opts.nodeCount ?? 3;
    const names = Array.from({ length: n }, (_, i) => `node${i + 1}`);
    const dir = await mkdtemp(join(tmpdir(), `pal-lab-${opts.tag}-`));
    await chmod(dir, 0o755); // daemons running as hacluster/www-data/mysql read below it
    let net: ClusterNet | undefined;
    let inst: PrivateInstall | undefined;
    try {
      inst = await privateInstall();
      net = await createClusterNet(['hv', 'client', ...names], { tag: opts.tag });
      const machines = names.map((name, i) => new Machine({
        name,
        host: net!.host(name),
        switchNs: net!.switchNs,
        stateDir: join(dir, name),
        domain: { name: `vm-${name}`, uuid: `6695eb01-f6a4-8304-79aa-97f2502ee${String(i + 1).padStart(3, '0')}` },
        stage: inst!.stage,
        ...(opts.drbdStandIn?.nodes.includes(name) ? { drbdStandIn: opts.drbdStandIn.dir } : {}),
      }));
      const lab = new Lab(dir, net, machines, new PowerSwitch(join(dir, 'power.sock'), machines), inst, opts.fenceHost ?? palisadedHost);
      await writeFile(lab.keyFile, randomBytes(256), { mode: 0o600 });
      await writeFile(lab.path('domains.xml'), domainsXml(machines));
      for (const m of machines) {
        await m.format();
        await writeFile(m.path('etc/corosync/corosync.conf'), corosyncConf(machines));
      }
      await mustCmd('sh', ['-c', `cibadmin --empty > '${lab.cibFile}'`]);
      await lab.power.listen();
      return lab;
    } catch (e) {
      await net?.cleanup().catch(() => undefined);
      await inst?.dispose().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  node(name: string): Machine {
    const m = this.nodes.find((x) => x.name === name);
    if (!m) throw new Error(`no node ${name} in the lab (${this.nodes.map((x) => x.name).join(', ')})`);
    return m;
  }

  get hvAddress(): string {
    return this.net.host('hv').v4;
  }

  vip(i = 0): string {
    return `192.0.2.${100 + i}`;
  }

  /** `node1:vm-node1;…`, the stonith device's pcmk_host_map. */
  get hostMap(): string {
    return this.nodes.map((m) => `${m.name}:${m.domain.name}`).join(';');
  }

  /** Registers teardown work (loop devices, …) run by cleanup() before the network goes. */
  onCleanup(fn: () => Promise<void>): void {
    this.#cleanups.push(fn);
  }

  /** Runs `pcs -f cib.xml …` for each command, with this checkout's agents installed; throws on the first failure. */
  async configure(commands: readonly (readonly string[])[]): Promise<void> {
    for (const c of commands) {
      if (c.includes('--force')) throw new Error(`pcs ${c.join(' ')}: the lab never uses --force`);
      const r = await this.#inst.run('pcs', ['-f', this.cibFile, ...c]);
      if (r.exitCode !== 0) throw new Error(`pcs -f ${this.cibFile} ${c.join(' ')} failed (${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
    }
  }

  /** Runs a program with this checkout's install visible (crm_verify on the offline CIB, …). */
  runInstalled(file: string, args: readonly string[]): ReturnType<PrivateInstall['run']> {
    return this.#inst.run(file, args);
  }

  /** Starts the fence host (palisaded unless the lab was made with another). */
  startFenceHost(): Promise<void> {
    return this.fenceHost.start();
  }

  stopFenceHost(): Promise<void> {
    return this.fenceHost.stop();
  }

  /** Copies the offline CIB onto every node's disk, starts palisaded, powers every node on, waits for the cluster. */
  async boot(timeoutMs = 90_000): Promise<ClusterState> {
    for (const m of this.nodes) {
      const cib = m.path('var/lib/pacemaker/cib/cib.xml');
      await copyFile(this.cibFile, cib);
      await mustCmd('chown', ['hacluster:haclient', cib]);
      await chmod(cib, 0o600);
    }
    await this.fenceHost.start();
    for (const m of this.nodes) await m.powerOn();
    try {
      return await this.waitFor('every node online with a DC', (s) => s.dc !== undefined && [...s.nodes.values()].every((n) => n.online && !n.pending), timeoutMs);
    } catch (e) {
      const consoles = await Promise.all(this.nodes.map(async (m) => `--- ${m.name} console (last lines):\n${(await m.log('console.log')).split('\n').slice(-8).join('\n')}`));
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${consoles.join('\n')}`, { cause: e });
    }
  }

  /**
   * crm_mon's view from `from`, or else from the quorate partition: the
   * first powered node whose view has quorum (an isolated node's view is
   * its own), or the first that answers when none has.
   */
  async state(from?: string): Promise<ClusterState> {
    return (await this.#view(from)).state;
  }

  /** The node answering for the cluster (see state()) and its view. */
  async #view(from?: string): Promise<{ node: Machine; state: ClusterState }> {
    if (from) return { node: this.node(from), state: await this.#stateOf(this.node(from)) };
    let fallback: { node: Machine; state: ClusterState } | undefined;
    const errors: string[] = [];
    for (const node of this.nodes.filter((x) => x.poweredOn)) {
      try {
        const state = await this.#stateOf(node);
        if (state.quorum) return { node, state };
        fallback ??= { node, state };
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    if (fallback) return fallback;
    throw new Error(`no node answered crm_mon: ${errors.join('; ') || 'none is powered on'}`);
  }

  async #stateOf(m: Machine): Promise<ClusterState> {
    const r = await m.exec('crm_mon', ['--one-shot', '--output-as=xml', '--inactive']);
    if (r.code !== 0) throw new Error(`${m.name}: crm_mon failed (${r.code}): ${r.stderr.trim()}`);
    return parseCrmMon(r.stdout);
  }

  /** Polls state(from) until `pred` holds. */
  async waitFor(what: string, pred: (s: ClusterState) => boolean, timeoutMs: number, from?: string): Promise<ClusterState> {
    const deadline = Date.now() + timeoutMs;
    let last: ClusterState | undefined;
    let lastErr = '';
    for (;;) {
      try {
        last = await this.state(from);
        if (pred(last)) return last;
      } catch (e) {
        lastErr = e instanceof Error ? e.message : String(e);
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last state: ${last ? describe(last) : `none (${lastErr})`}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The fence history as the quorate partition (or `from`) knows it. */
  async fenceHistory(from?: string): Promise<FenceRecord[]> {
    const { node: m, state } = await this.#view(from);
    if (!from && !state.quorum) throw new Error('no powered node is in a quorate partition');
    const r = await m.exec('stonith_admin', ['--history', '*', '--verbose', '--output-as=xml']);
    if (r.code !== 0) throw new Error(`${m.name}: stonith_admin --history failed (${r.code}): ${r.stderr.trim()}`);
    return parseFenceHistory(r.stdout);
  }

  /**
   * Waits for a fence of `target` with `state` (success, failed) completed
   * at or after `since`, as the quorate partition's history shows it. The
   * history is synchronised between the fencers a few seconds after a
   * membership change, so a single look could miss a fresh record.
   */
  async waitForFence(target: string, since: number, state: 'success' | 'failed', timeoutMs = 60_000): Promise<FenceRecord> {
    const deadline = Date.now() + timeoutMs;
    const floor = Math.floor(since / 1000) * 1000;
    let seen: FenceRecord[] = [];
    for (;;) {
      seen = await this.fenceHistory().catch(() => seen);
      const hit = seen.find((h) => h.target === target && h.state === state && (h.completedAt ?? 0) >= floor);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no ${state} fence of ${target} since ${new Date(since).toISOString()} within ${timeoutMs} ms; history: ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** An HTTP GET from the client namespace; never rejects. */
  async httpGet(url: string, timeoutS = 2): Promise<{ ok: boolean; body: string }> {
    const r = await this.net.run('client', 'curl', ['-sS', '--max-time', String(timeoutS), '-o', '-', '-w', '\n%{http_code}', url], { timeoutMs: (timeoutS + 2) * 1000 });
    const cut = r.stdout.lastIndexOf('\n');
    const code = r.stdout.slice(cut + 1).trim();
    return { ok: r.code === 0 && code === '200', body: r.stdout.slice(0, Math.max(0, cut)) };
  }

  /** Every node's pacemaker and corosync logs, for timelines and failure reports. */
  async logs(): Promise<Map<string, { pacemaker: string; corosync: string }>> {
    const out = new Map<string, { pacemaker: string; corosync: string }>();
    for (const m of this.nodes) out.set(m.name, { pacemaker: await m.log('var/log/pacemaker/pacemaker.log'), corosync: await m.log('var/log/corosync/corosync.log') });
    return out;
  }

  /** Powers everything off and removes it all; safe to call twice and after a failed create. */
  async cleanup(): Promise<void> {
    if (this.#cleaned) return;
    this.#cleaned = true;
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>) => { try { await fn(); } catch (e) { errors.push(e); } };
    await attempt(() => writeFile(this.path('fence-host.log'), this.fenceHost.output()));
    await attempt(() => writeFile(this.path('power.log'), this.power.events.map((e) => `${new Date(e.at).toISOString()} ${e.action} ${e.node} ${e.effect}\n`).join('')));
    for (const m of this.nodes) await attempt(() => m.powerOff());
    await attempt(() => this.fenceHost.stop());
    await attempt(() => this.power.close());
    for (const fn of this.#cleanups.splice(0).reverse()) await attempt(fn);
    await attempt(() => this.net.cleanup());
    await attempt(() => this.#inst.dispose());
    if (process.env.PAL_LAB_KEEP !== '1') await attempt(() => rm(this.dir, { recursive: true, force: true }));
    if (errors.length) throw new AggregateError(errors, `lab cleanup: ${errors.length} step(s) failed`);
  }
}

export function describe(s: ClusterState): string {
  const nodes = [...s.nodes.values()].map((n) => `${n.name}:${n.online ? 'online' : 'offline'}${n.unclean ? '/UNCLEAN' : ''}${n.standby ? '/standby' : ''}${n.pending ? '/pending' : ''}`);
  const res = s.resources.map((r) => `${r.id}[${r.role}${r.failed ? ',FAILED' : ''}]@${r.nodes.join('+') || '-'}`);
  return `dc=${s.dc ?? 'none'} quorum=${s.quorum} nodes={${nodes.join(' ')}} resources={${res.join(' ')}}`;
}

function domainsXml(machines: readonly Machine[]): string {
  const doms = machines.map((m) => `  <domain type='test'>
    <name>${m.domain.name}</name>
    <uuid>${m.domain.uuid}</uuid>
    <memory>262144</memory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
  </domain>`);
  return `<node>\n${doms.join('\n')}\n</node>\n`;
}

// token 1000 ms (corosync adds 650 ms per node beyond two): a lost node is
// noticed in about 2 s, which keeps each scenario short.
function corosyncConf(machines: readonly Machine[]): string {
  const nodes = machines.map((m, i) => `  node {
    ring0_addr: ${m.host.v4}
    name: ${m.name}
    nodeid: ${i + 1}
  }`);
  return `totem {
  version: 2
  cluster_name: palisade-lab
  transport: knet
  crypto_cipher: none
  crypto_hash: none
  token: 1000
}
nodelist {
${nodes.join('\n')}
}
quorum {
  provider: corosync_votequorum
}
logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_stderr: no
  timestamp: hires
}
`;
}
