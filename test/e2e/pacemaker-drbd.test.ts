// A real three-node Pacemaker cluster (test/e2e/lab) running DRBD as a
// promotable clone of ocf:palisade:drbd on node1 and node2, and on the
// Promoted one the group Filesystem (/dev/drbd0) + apache + IPaddr2 from
// Palisade's agents, fenced by fence_palisade through palisaded. The kernel
// has no DRBD: node1 and node2 run the drbd-utils stand-in
// (lab/drbd-standin.ts says what it models and what not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeState } from './lab/lab.js';
import { runningOn, withRole, type ClusterState } from './lab/crm.js';
import { drbdStandInFolder, type DrbdStandInFolder } from './lab/drbd-standin.js';
import { Lab } from './lab/lab.js';
import { clusterTimeline, formatTimeline } from './lab/timeline.js';
import { PAGE, webService, type WebService } from './lab/web-service.js';

const MIN = 60_000;
const PAIR = ['node1', 'node2'] as const;
let lab: Lab;
let web: WebService;
let drbd: DrbdStandInFolder;

/** pcs commands: fencing, the DRBD clone on the pair, the web group on its Promoted node. */
function drbdCommands(lab: Lab, web: WebService, drbdConf: string): string[][] {
  return [
    ['property', 'set', 'stonith-enabled=true', 'dc-deadtime=5s', 'cluster-recheck-interval=20s'],
    ['resource', 'defaults', 'update', 'resource-stickiness=100'],
    ['stonith', 'create', 'fence-vm', 'fence_palisade', `ipaddr=${lab.hvAddress}`, 'ipport=1229', `key_file=${lab.keyFile}`,
      `pcmk_host_map=${lab.hostMap}`, 'op', 'monitor', 'interval=60s'],
    ['resource', 'create', 'drbd-r0', 'ocf:palisade:drbd', 'drbd_resource=r0', `drbdconf=${drbdConf}`,
      'op', 'monitor', 'interval=10s', 'role=Promoted', 'op', 'monitor', 'interval=20s', 'role=Unpromoted',
      'promotable', 'promoted-max=1', 'promoted-node-max=1', 'clone-max=2', 'clone-node-max=1', 'notify=true'],
    // node3 has no DRBD at all: never run or even probe the clone there
    ['constraint', 'location', 'add', 'drbd-r0-not-node3', 'drbd-r0-clone', 'node3', '-INFINITY', 'resource-discovery=never'],
    ['resource', 'create', 'web-fs', 'ocf:palisade:Filesystem', 'device=/dev/drbd0', `directory=${web.docroot}`, 'fstype=ext4',
      'op', 'monitor', 'interval=20s', '--group', 'web'],
    ['resource', 'create', 'web-server', 'ocf:palisade:apache', `configfile=${web.confFile}`, 'statusurl=http://127.0.0.1/server-status',
      'op', 'monitor', 'interval=10s', '--group', 'web'],
    ['resource', 'create', 'web-ip', 'ocf:palisade:IPaddr2', `ip=${lab.vip()}`, 'cidr_netmask=24', 'op', 'monitor', 'interval=10s', '--group', 'web'],
    ['constraint', 'colocation', 'add', 'web', 'with', 'Promoted', 'drbd-r0-clone', 'INFINITY'],
    ['constraint', 'order', 'promote', 'drbd-r0-clone', 'then', 'start', 'web'],
  ];
}

/** The node where DRBD is Promoted and the whole group runs, or undefined. */
function serving(s: ClusterState): string | undefined {
  const promoted = withRole(s, 'drbd-r0', 'Promoted');
  if (promoted.length !== 1) return undefined;
  const on = ['web-fs', 'web-server', 'web-ip'].map((id) => runningOn(s, id));
  return on.every((n) => n === promoted[0]) ? promoted[0] : undefined;
}

/** Polls `url` through the VIP until it serves `body`; returns when it first did. */
async function servedAt(url: string, body: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await lab.httpGet(url, 1);
    if (r.ok && r.body === body) return Date.now();
    if (Date.now() > deadline) throw new Error(`${url} did not serve ${JSON.stringify(body)} within ${timeoutMs} ms; last: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The stand-in's view on `node`: `drbdadm role r0`, `drbdadm cstate r0`, `drbdadm dstate r0`. */
async function drbdView(node: string): Promise<string> {
  const m = lab.node(node);
  const parts = [];
  for (const q of ['role', 'cstate', 'dstate']) parts.push((await m.exec('drbdadm', [q, 'r0'], drbd.env(node))).stdout.trim());
  return parts.join(' ');
}

beforeAll(async () => {
  drbd = await drbdStandInFolder();
  try {
    lab = await Lab.create({ tag: 'drbd', drbdStandIn: { dir: drbd.dir, nodes: PAIR } });
  } catch (e) {
    await drbd.remove();
    throw e;
  }
  web = await webService(lab);
  const conf = await drbd.init(lab, PAIR, web.disk.device);
  await lab.configure(drbdCommands(lab, web, conf));
  await lab.boot();
  await lab.waitFor('DRBD promoted and the web group running with it', (s) => serving(s) !== undefined, 90_000);
}, 4 * MIN);

afterAll(async () => {
  await lab?.cleanup();
}, MIN);

describe('DRBD promotable clone + Filesystem + apache in a three-node cluster', () => {
  let primary = '';
  const DATA = `written on the Primary before the crash ${Date.now()}\n`;

  it('promotes one of the pair, mounts /dev/drbd0 there and serves the page through the VIP', async () => {
    const s = await lab.state();
    primary = serving(s)!;
    expect(PAIR).toContain(primary);
    const secondary = PAIR.find((n) => n !== primary)!;
    expect(withRole(s, 'drbd-r0', 'Unpromoted')).toEqual([secondary]);
    expect(await drbdView(primary)).toBe('Primary Connected UpToDate/UpToDate');
    expect(await drbdView(secondary)).toBe('Secondary Connected UpToDate/UpToDate');
    const mounts = await lab.node(primary).mustExec('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', web.docroot]);
    expect(mounts.trim()).toBe('/dev/drbd0 ext4');
    const r = await lab.httpGet(web.url);
    expect(r.ok).toBe(true);
    expect(r.body).toBe(PAGE);
    console.log(`promoted on ${primary}: ${describeState(s)}`);
  }, MIN);

  it('a Secondary cannot be made Primary beside the Primary, and its /dev/drbd0 opens nothing', async () => {
    const secondary = PAIR.find((n) => n !== primary)!;
    const p = await lab.node(secondary).exec('drbdadm', ['primary', 'r0'], drbd.env(secondary));
    expect(p.code).toBe(11);
    expect(p.stderr).toMatch(/Multiple primaries not allowed/);
    const open = await lab.node(secondary).exec('dd', ['if=/dev/drbd0', 'of=/dev/null', 'bs=4096', 'count=1']);
    expect(open.code).not.toBe(0);
    expect(await drbdView(secondary)).toBe('Secondary Connected UpToDate/UpToDate');
  }, MIN);

  it('data written on the Primary is served through the VIP', async () => {
    await lab.node(primary).mustExec('sh', ['-c', `printf '%s' '${DATA}' > '${web.docroot}/data.txt' && chmod 644 '${web.docroot}/data.txt' && sync`]);
    const r = await lab.httpGet(`${web.url}data.txt`);
    expect(r.ok).toBe(true);
    expect(r.body).toBe(DATA);
  }, MIN);

  it('crash of the Primary: it is fenced through palisaded, the other node is promoted and serves the data', async () => {
    const before = primary;
    const survivor = PAIR.find((n) => n !== before)!;
    const since = Date.now();
    await lab.node(before).powerOff();
    const served = await servedAt(`${web.url}data.txt`, DATA, 2 * MIN);
    const s = await lab.waitFor('DRBD promoted and the group running on the survivor', (x) => serving(x) === survivor, MIN, survivor);
    expect(await lab.waitForFence(before, since, 'success')).toMatchObject({ action: 'reboot', target: before });
    // palisaded's reboot: destroy (the node was already off) then start (it boots)
    expect(lab.power.events.filter((e) => e.node === before && e.at >= since).map((e) => `${e.action}:${e.effect}`)).toEqual(['off:already-off', 'on:booted']);
    expect((await drbdView(survivor)).split(' ')[0]).toBe('Primary');
    const mounts = await lab.node(survivor).mustExec('findmnt', ['-n', '-o', 'SOURCE', web.docroot]);
    expect(mounts.trim()).toBe('/dev/drbd0');
    console.log(`failed over to ${survivor}: ${describeState(s)}`);
    const ev = await clusterTimeline(lab, {
      since, fault: { at: since, what: `crash: ${before} (DRBD Primary) loses power` }, target: before,
      resources: ['drbd-r0', 'web-fs', 'web-server', 'web-ip'], service: { at: served, what: 'data written before the crash served through the VIP' },
    });
    console.log(formatTimeline(`Failover timeline: crash of the DRBD Primary ${before}`, ev));
    primary = survivor;
  }, 2 * MIN);

  it('the fenced node boots, rejoins DRBD as Unpromoted and the Primary stays', async () => {
    const back = PAIR.find((n) => n !== primary)!;
    const s = await lab.waitFor(`${back} back as Unpromoted`, (x) => withRole(x, 'drbd-r0', 'Unpromoted').includes(back), 90_000, primary);
    expect(serving(s)).toBe(primary);
    expect(await drbdView(back)).toBe('Secondary Connected UpToDate/UpToDate');
    expect(await drbdView(primary)).toBe('Primary Connected UpToDate/UpToDate');
    // every agent action on the nodes (promote, demote, starts, stops) signalled only its own processes
    for (const m of lab.nodes) expect(await m.sentinelAlive(), m.name).toBe(true);
  }, 2 * MIN);
});
