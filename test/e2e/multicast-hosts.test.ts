// Multicast fencing across several hypervisors, end to end, inside network
// namespaces: hv1 and hv2 each run a daemon with the multicast listener and
// a libvirt test-driver backend holding a DISJOINT set of domains; the real
// fence_xvm runs in a third namespace (guest) on the same bridge.
//
// With palisaded only the host that has the domain calls back, so every
// answer is the owner's. The same run with two real fence_virtd shows the
// reference behaviour: both hosts call back, and whichever is faster
// answers (a non-owner says "off" for a running guest). Which host wins
// depends on scheduling, so those counts are logged; asserted is only that
// both daemons take on every request.
//
// Upstream: fence-virt server/mcast.c and client/mcast.c (listener, fence_xvm's
// sends, TCP callback on the same port), server/libvirt.c (results).

import { mkdir, symlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterNet, type ClusterNet, type NsProcess, type NsRunResult } from '../helpers/cluster-net.js';
import { FENCE_PALISADE, FENCE_VIRT_MODULES, PALISADE_CLI, PALISADED, Workspace } from '../helpers/fence-daemons.js';
import { cmd } from '../helpers/netns.js';

const FENCE_XVM = '/usr/sbin/fence_xvm';
const FENCE_VIRTD = '/usr/sbin/fence_virtd';
const PORT = 1229;
/** palisaded also serves tcp on loopback inside its namespace: `palisade list` there is the host's ground truth. */
const TRUTH_PORT = 11229;
const LONG = 240_000;

type Family = 'ipv4' | 'ipv6';
const GROUP: Record<Family, string> = { ipv4: '225.0.0.12', ipv6: 'ff05::3:1' };
const OWNER: Record<string, 'hv1' | 'hv2'> = { 'node-a1': 'hv1', 'node-a2': 'hv1', 'node-b1': 'hv2', 'node-b2': 'hv2' };
const DOMAINS: Record<'hv1' | 'hv2', readonly string[]> = { hv1: ['node-a1', 'node-a2'], hv2: ['node-b1', 'node-b2'] };
const ALL = ['node-a1', 'node-a2', 'node-b1', 'node-b2'];
const other = (hv: 'hv1' | 'hv2'): 'hv1' | 'hv2' => (hv === 'hv1' ? 'hv2' : 'hv1');

let net: ClusterNet;
let ws: Workspace;
let key: string;
const xml: Record<string, string> = {};

/** libvirt test-driver XML (format of scripts/demo/domains.xml) for one host's domains. */
function domainsXml(names: readonly string[], uuidTag: string): string {
  const doms = names.map((n, i) => `  <domain type='test'>
    <name>${n}</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e${uuidTag}${String(i + 1).padStart(2, '0')}</uuid>
    <memory>262144</memory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
  </domain>`);
  return `<node>\n${doms.join('\n')}\n</node>\n`;
}

function multicastBlock(family: Family, ifname: string): string {
  return `multicast { key_file = "${key}"; interface = "${ifname}"; port = "${PORT}"; family = "${family}"; address = "${GROUP[family]}"; }`;
}

function palisadedConf(hv: string, family: Family): string {
  return `fence_virtd { listener = "multicast tcp"; backend = "libvirt"; }
listeners {
	${multicastBlock(family, net.host(hv).ifname)}
	tcp { key_file = "${key}"; address = "127.0.0.1"; port = "${TRUTH_PORT}"; family = "ipv4"; }
}
backends { libvirt { uri = "test://${xml[hv]}"; } }
`;
}

function fenceVirtdConf(hv: string, family: Family): string {
  return `fence_virtd { listener = "multicast"; backend = "libvirt"; module_path = "${FENCE_VIRT_MODULES}"; }
listeners { ${multicastBlock(family, net.host(hv).ifname)} }
backends { libvirt { uri = "test://${xml[hv]}"; } }
`;
}

const nodeEnv = (): NodeJS.ProcessEnv => { const e = { ...process.env }; delete e.NODE_EXTRA_CA_CERTS; return e; };

async function startPalisaded(hv: string, family: Family): Promise<NsProcess> {
  const conf = await ws.file(`palisaded-${hv}-${family}.conf`, palisadedConf(hv, family));
  const p = net.spawn(hv, process.execPath, [PALISADED, '-F', '-f', conf, '-p', ws.path(`palisaded-${hv}-${family}.pid`)], nodeEnv());
  await p.waitFor(/palisaded ready/);
  await net.waitForMulticast(p, GROUP[family], PORT);
  return p;
}

/** Real fence_virtd, line-buffered (stdbuf exec()s it, so the PID stays the daemon's) with -d2 so each served request is logged. */
async function startFenceVirtd(hv: string, family: Family): Promise<NsProcess> {
  const conf = await ws.file(`fence_virtd-${hv}-${family}.conf`, fenceVirtdConf(hv, family));
  const p = net.spawn(hv, 'stdbuf', ['-oL', '-eL', FENCE_VIRTD, '-F', '-d2', '-f', conf, '-p', ws.path(`fence_virtd-${hv}-${family}.pid`)]);
  await net.waitForMulticast(p, GROUP[family], PORT);
  return p;
}

function groupArgs(family: Family): string[] {
  return family === 'ipv6' ? ['-i', 'ipv6', '-a', GROUP.ipv6] : ['-a', GROUP.ipv4];
}

/** The real fence_xvm in the guest namespace. */
function xvm(family: Family, op: string, domain?: string, timeoutS = 5): Promise<NsRunResult> {
  return net.run('guest', FENCE_XVM, [...groupArgs(family), '-k', key, '-o', op, ...(domain ? ['-H', domain] : []), '-t', String(timeoutS)],
    { timeoutMs: (timeoutS + 30) * 1000 });
}

/** fence_palisade in fence_xvm mode (selected by -a) in the guest namespace, or through a symlink named fence_xvm. */
function palisadeXvm(family: Family, op: string, domain?: string, opts: { asFenceXvm?: boolean; timeoutS?: number } = {}): Promise<NsRunResult> {
  const script = opts.asFenceXvm ? ws.path('bin/fence_xvm') : FENCE_PALISADE;
  const t = opts.timeoutS ?? 5;
  return net.run('guest', process.execPath, [script, ...groupArgs(family), '-k', key, '-o', op, ...(domain ? ['-H', domain] : []), '-t', String(t)],
    { timeoutMs: (t + 30) * 1000, env: nodeEnv() });
}

interface TruthEntry { domain: string; state: 'on' | 'off' }
/** What the hypervisor's own palisaded says, over tcp on its loopback: the ground truth for that host. */
async function truth(hv: string): Promise<Map<string, 'on' | 'off'>> {
  const r = await net.run(hv, process.execPath, [PALISADE_CLI, 'list', '-H', '127.0.0.1', '-p', String(TRUTH_PORT), '-k', key, '--json', '-t', '10'],
    { timeoutMs: 30_000, env: nodeEnv() });
  if (r.code !== 0) throw new Error(`palisade list on ${hv} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return new Map((JSON.parse(r.stdout) as TruthEntry[]).map((e) => [e.domain, e.state]));
}

/** Names in a fence_xvm-style list (first column). */
const listedNames = (stdout: string): string[] => stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean).sort();

interface Served { op: string; domain: string; result: string }
/** palisaded's audit lines for the multicast listener: one per request it called back for and served. */
function served(p: NsProcess): Served[] {
  const re = /: info: multicast\S* \S+ (\S+) '([^']*)': (result \d+|list of \d+ domains)/g;
  return [...p.output().matchAll(re)].map((m) => ({ op: m[1]!, domain: m[2]!, result: m[3]! }));
}

/** fence_virtd -d2 prints "Request N seqno S domain D" (S as a signed int) for each verified datagram it takes on. */
function virtdReceived(p: NsProcess): number {
  return [...p.output().matchAll(/^Request \d+ seqno -?\d+ domain /gm)].length;
}

/** …and "Request N seqno S src ADDR target DOMAIN" once it has connected back (whether or not the client then completes the exchange). */
function virtdServed(p: NsProcess): { op: number; domain: string }[] {
  return [...p.output().matchAll(/^Request (\d+) seqno -?\d+ src \S+ target (.*)$/gm)].map((m) => ({ op: Number(m[1]), domain: m[2]! }));
}

beforeAll(async () => {
  ws = await Workspace.create();
  net = await createClusterNet(['hv1', 'hv2', 'guest'], { tag: 'mc' });
  key = await ws.key();
  xml.hv1 = await ws.file('hv1.xml', domainsXml(DOMAINS.hv1, 'a0'), 0o644);
  xml.hv2 = await ws.file('hv2.xml', domainsXml(DOMAINS.hv2, 'b0'), 0o644);
  await mkdir(ws.path('bin'));
  await symlink(FENCE_PALISADE, ws.path('bin/fence_xvm'));
});

afterAll(async () => {
  await net?.cleanup();
  await ws?.stop();
});

describe('cluster topology', () => {
  it('runs programs inside the host namespace under their own PID; the bridge does no multicast snooping', async () => {
    const p = net.spawn('hv1', 'sleep', ['60']);
    try {
      // ip netns exec exec()s: the PID we hold (and kill) is sleep's own, in hv1's namespace.
      expect(await net.inNamespace(p, 'sleep')).toBe(true);
    } finally {
      await p.stop();
    }
    const br = JSON.parse((await cmd('ip', ['-n', net.switchNs, '-d', '-j', 'link', 'show', net.bridge])).stdout) as
      { linkinfo: { info_data: { mcast_snooping: number } } }[];
    expect(br[0]!.linkinfo.info_data.mcast_snooping).toBe(0);
    const addrs = (await net.run('guest', 'ip', ['-o', 'addr', 'show', 'dev', net.host('guest').ifname])).stdout;
    expect(addrs).toContain(`${net.host('guest').v4}/24`);
    expect(addrs).toContain(`${net.host('guest').v6}/64`);
  });
});

describe('two real fence_virtd with disjoint domains (reference behaviour)', () => {
  const d: Partial<Record<'hv1' | 'hv2', NsProcess>> = {};
  beforeAll(async () => {
    d.hv1 = await startFenceVirtd('hv1', 'ipv4');
    d.hv2 = await startFenceVirtd('hv2', 'ipv4');
  });
  afterAll(async () => {
    await Promise.all([d.hv1?.stop(), d.hv2?.stop()]);
  });

  it('both hosts take every request; whichever calls back first answers (observed counts logged)', async () => {
    expect(await net.inNamespace(d.hv1!, 'fence_virtd')).toBe(true);
    const before = { hv1: virtdReceived(d.hv1!), hv2: virtdReceived(d.hv2!), done1: virtdServed(d.hv1!).length, done2: virtdServed(d.hv2!).length };
    let ownerAnswered = 0, nonOwnerAnswered = 0, unexpected = 0;
    const N = 20;
    for (let i = 0; i < N; i++) {
      const dom = i % 2 === 0 ? 'node-a1' : 'node-b1';
      const r = await xvm('ipv4', 'status', dom);
      // Both domains run: "ON" can only come from the owner; "OFF" is the other host's "not found".
      if (r.code === 0 && /Status: ON/.test(r.stdout)) ownerAnswered++;
      else if (r.code === 2 && /Status: OFF/.test(r.stdout)) nonOwnerAnswered++;
      else unexpected++;
    }
    // The slower daemon logs its copy after fence_xvm has already exited: let the logs settle.
    const received = { hv1: 0, hv2: 0 };
    // Poll the logs until both copies are in; 60 s only bounds a daemon that never logs (a loaded machine takes seconds).
    for (let t = 0; t < 600; t++) {
      received.hv1 = virtdReceived(d.hv1!) - before.hv1;
      received.hv2 = virtdReceived(d.hv2!) - before.hv2;
      if (received.hv1 >= N && received.hv2 >= N) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const completed = { hv1: virtdServed(d.hv1!).length - before.done1, hv2: virtdServed(d.hv2!).length - before.done2 };
    console.log(`[fence_virtd x2] ${N} status requests alternating node-a1 (hv1) / node-b1 (hv2): ` +
      `answered by owner ${ownerAnswered}, by non-owner (wrong "off") ${nonOwnerAnswered}, other ${unexpected}; ` +
      `received: hv1 ${received.hv1}, hv2 ${received.hv2}; callbacks connected: hv1 ${completed.hv1}, hv2 ${completed.hv2}`);
    expect(ownerAnswered + nonOwnerAnswered + unexpected).toBe(N);
    // The deterministic part of the defect: both daemons accept and act on every request, owner or not.
    expect(received.hv1).toBeGreaterThanOrEqual(N);
    expect(received.hv2).toBeGreaterThanOrEqual(N);
  }, LONG);

  it('an unknown domain gets an answer ("off") instead of a timeout', async () => {
    const r = await xvm('ipv4', 'status', 'node-zz', 3);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/Status: OFF/);
  }, LONG);

  it('off/on and list: observed answers logged', async () => {
    const rows: string[] = [];
    for (const dom of ['node-a2', 'node-b2']) {
      for (let i = 0; i < 3; i++) {
        const off = await xvm('ipv4', 'off', dom);
        const on = await xvm('ipv4', 'on', dom);
        rows.push(`${dom}: off exit ${off.code}, on exit ${on.code}`);
      }
    }
    const lists: string[] = [];
    for (let i = 0; i < 4; i++) lists.push(listedNames((await xvm('ipv4', 'list')).stdout).join(','));
    console.log(`[fence_virtd x2] off/on pairs (exit 1 = a non-owner answered "not found"): ${rows.join('; ')}`);
    console.log(`[fence_virtd x2] fence_xvm list shows one host's domains, whichever called back first: ${lists.join(' | ')}`);
    for (const l of lists) expect([DOMAINS.hv1.join(','), DOMAINS.hv2.join(','), '']).toContain(l);
  }, LONG);
});

describe.each(['ipv4', 'ipv6'] as const)('two palisaded with disjoint domains, %s', (family) => {
  const d: Partial<Record<'hv1' | 'hv2', NsProcess>> = {};
  beforeAll(async () => {
    d.hv1 = await startPalisaded('hv1', family);
    d.hv2 = await startPalisaded('hv2', family);
  });
  afterAll(async () => {
    await Promise.all([d.hv1?.stop(), d.hv2?.stop()]);
  });

  /** Runs `step`, then checks that only the owner of `domain` logged it as served (`op`), and the other host said nothing about it. */
  async function onlyOwnerServes<T>(domain: string, op: string, step: () => Promise<T>): Promise<T> {
    const owner = OWNER[domain]!;
    const n = { hv1: served(d.hv1!).length, hv2: served(d.hv2!).length };
    const quietBefore = d[other(owner)]!.output().length;
    const out = await step();
    const mine = served(d[owner]!).slice(n[owner]);
    expect(mine.map((s) => `${s.op} ${s.domain}`), d[owner]!.output()).toEqual([`${op} ${domain}`]);
    expect(served(d[other(owner)]!).slice(n[other(owner)])).toEqual([]);
    expect(d[other(owner)]!.output().slice(quietBefore)).not.toContain(domain);
    return out;
  }

  it('20 status requests alternating hosts: every answer comes from the owner', async () => {
    for (let i = 0; i < 20; i++) {
      const dom = ALL[i % 4]!;
      const r = await onlyOwnerServes(dom, 'status', () => xvm(family, 'status', dom));
      expect(r.code, `${dom}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/Status: ON/);
    }
  }, LONG);

  it('off/on pairs act on the owner only', async () => {
    for (const dom of ['node-a2', 'node-b2']) {
      const owner = OWNER[dom]!;
      const otherBefore = await truth(other(owner));
      for (let i = 0; i < 3; i++) {
        const off = await onlyOwnerServes(dom, 'off', () => xvm(family, 'off', dom));
        expect(off.code, off.stderr).toBe(0);
        expect((await truth(owner)).get(dom)).toBe('off');
        const st = await onlyOwnerServes(dom, 'status', () => xvm(family, 'status', dom));
        expect(st.code).toBe(2);
        expect(st.stdout).toMatch(/Status: OFF/);
        const on = await onlyOwnerServes(dom, 'on', () => xvm(family, 'on', dom));
        expect(on.code, on.stderr).toBe(0);
        expect((await truth(owner)).get(dom)).toBe('on');
      }
      expect(await truth(other(owner))).toEqual(otherBefore);
    }
  }, LONG);

  it('reboot is done by the owner and leaves the domain running', async () => {
    for (const dom of ['node-a1', 'node-b1']) {
      const r = await onlyOwnerServes(dom, 'reboot', () => xvm(family, 'reboot', dom));
      expect(r.code, r.stderr).toBe(0);
      expect((await truth(OWNER[dom]!)).get(dom)).toBe('on');
    }
  }, LONG);

  it('fence_xvm list shows the domains of the host that called back first, never a mix', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await xvm(family, 'list');
      expect(r.code, r.stderr).toBe(0);
      expect([DOMAINS.hv1.join(','), DOMAINS.hv2.join(',')]).toContain(listedNames(r.stdout).join(','));
    }
  }, LONG);

  it('an unknown domain: no host answers, fence_xvm times out', async () => {
    const n = { hv1: d.hv1!.output().length, hv2: d.hv2!.output().length };
    const r = await xvm(family, 'status', 'node-zz', 2);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/Timed out waiting for response/);
    for (const hv of ['hv1', 'hv2'] as const) expect(d[hv]!.output().slice(n[hv])).not.toMatch(/'node-zz': result/);
  }, LONG);

  it('fence_palisade list in fence_xvm mode prints the union of both hosts', async () => {
    const r = await palisadeXvm(family, 'list');
    expect(r.code, r.stderr).toBe(0);
    expect(listedNames(r.stdout)).toEqual(ALL);
  }, LONG);

  it('fence_palisade status in fence_xvm mode reaches the owner of each domain', async () => {
    for (const dom of ALL) {
      const r = await onlyOwnerServes(dom, 'status', () => palisadeXvm(family, 'status', dom, { asFenceXvm: true }));
      expect(r.code, `${dom}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  }, LONG);
});

describe.each(['ipv4', 'ipv6'] as const)('fence_palisade (fence_xvm mode) through the real fence_virtd multicast listener, %s', (family) => {
  let d: NsProcess | undefined;
  beforeAll(async () => {
    d = await startFenceVirtd('hv1', family);
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('status, off, on, reboot and list', async () => {
    const asXvm = { asFenceXvm: true };
    let r = await palisadeXvm(family, 'status', 'node-a1', asXvm);
    expect(r.code, r.stderr).toBe(0);
    r = await palisadeXvm(family, 'off', 'node-a2', asXvm);
    expect(r.code, r.stderr).toBe(0);
    r = await palisadeXvm(family, 'status', 'node-a2', asXvm);
    expect(r.code, r.stderr).toBe(2);
    r = await palisadeXvm(family, 'on', 'node-a2', asXvm);
    expect(r.code, r.stderr).toBe(0);
    r = await palisadeXvm(family, 'status', 'node-a2', asXvm);
    expect(r.code, r.stderr).toBe(0);
    r = await palisadeXvm(family, 'reboot', 'node-a1', asXvm);
    expect(r.code, r.stderr).toBe(0);
    r = await palisadeXvm(family, 'list');
    expect(r.code, r.stderr).toBe(0);
    expect(listedNames(r.stdout)).toEqual([...DOMAINS.hv1]);
    const seen = virtdServed(d!).map((s) => `${s.op} ${s.domain}`);
    expect(seen).toEqual(['4 node-a1', '1 node-a2', '4 node-a2', '3 node-a2', '4 node-a2', '2 node-a1', '6 ']);
  }, LONG);
});
