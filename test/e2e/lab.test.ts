// The lab itself (test/e2e/lab): a fence through palisaded really cuts a
// node's power (every process of it dies, its mounts go, and a reboot
// brings up a new machine), and cleanup leaves nothing behind, also after a
// failed set-up.
import { access, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from '../helpers/netns.js';
import { fencedClusterCommands } from './lab/fenced-cluster.js';
import { Lab } from './lab/lab.js';

const MIN = 60_000;
let lab: Lab;

beforeAll(async () => {
  lab = await Lab.create({ tag: 'lab' });
  await lab.configure(fencedClusterCommands(lab));
  await lab.boot();
}, 3 * MIN);

afterAll(async () => {
  await lab?.cleanup();
}, MIN);

/** PIDs of every process in a network namespace. */
async function pidsIn(ns: string): Promise<number[]> {
  const r = await cmd('ip', ['netns', 'pids', ns]);
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it is gone. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const exists = (p: string) => access(p).then(() => true, () => false);
const nsList = async () => (await cmd('ip', ['netns', 'list'])).stdout;

describe('the e2e lab', () => {
  it('a fence through palisaded cuts the power: every process of the node dies, its mounts go, and the reboot starts a new machine', async () => {
    const victim = lab.node('node2');
    const oldInit = victim.initPid;
    // something only the running machine has: a mount and a process of its own
    await victim.mustExec('mkdir', ['-p', '/run/lab-marker']);
    await victim.mustExec('mount', ['-t', 'tmpfs', 'lab-marker', '/run/lab-marker']);
    await victim.mustExec('sh', ['-c', 'sleep 1000 >/dev/null 2>&1 &']);
    const before = await pidsIn(victim.host.ns);
    const started = new Map(await Promise.all(before.map(async (pid) => [pid, await startTime(pid)] as const)));
    expect(before).toContain(oldInit);
    expect((await readFile(`/proc/${oldInit}/comm`, 'utf8')).trim()).toBe('boot-node.sh');
    expect(before.length).toBeGreaterThan(8); // corosync, pacemakerd and its six daemons, sleep…
    expect(await victim.sentinelAlive()).toBe(true);

    const since = Date.now();
    const r = await lab.node('node1').exec('stonith_admin', ['--reboot', 'node2', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    expect(await lab.waitForFence('node2', since, 'success')).toMatchObject({ action: 'reboot', delegate: expect.stringMatching(/^node[13]$/) });
    expect(lab.power.events.filter((e) => e.at >= since).map((e) => `${e.action}:${e.node}:${e.effect}`)).toEqual(['off:node2:cut', 'on:node2:booted']);

    // none of the old machine's processes is left (a PID seen again belongs to a newer process)
    const survivors: number[] = [];
    for (const [pid, t] of started) if (t !== undefined && (await startTime(pid)) === t) survivors.push(pid);
    expect(survivors).toEqual([]);
    expect(victim.initPid).not.toBe(oldInit);
    expect(await victim.sentinelAlive()).toBe(true); // the new machine's
    const mounts = await victim.mustExec('cat', ['/proc/self/mounts']);
    expect(mounts).not.toContain('lab-marker');
    expect(mounts).toContain(' /var/lib/pacemaker ');
    // the rebooted node rejoins
    await lab.waitFor('node2 back online', (s) => s.nodes.get('node2')?.online === true, 2 * MIN);
  }, 3 * MIN);

  it('a node runs with its own name, its own /run and this checkout\'s agents at the installed paths', async () => {
    const m = lab.node('node3');
    expect((await m.mustExec('hostname', [])).trim()).toBe('node3');
    expect((await m.mustExec('crm_node', ['--name'])).trim()).toBe('node3');
    const agents = await m.mustExec('ls', ['/usr/lib/ocf/resource.d/palisade']);
    expect(agents.split(/\s+/)).toEqual(expect.arrayContaining(['IPaddr2', 'Filesystem', 'apache', 'drbd', 'mariadb', 'mysql']));
    const md = await m.mustExec('stonith_admin', ['--metadata', '--agent', 'fence_palisade']);
    expect(md).toContain('<resource-agent name="fence_palisade"');
    // the host's folders were never written
    expect(await exists('/usr/lib/ocf/resource.d/palisade')).toBe(false);
    expect(await exists('/usr/sbin/fence_palisade')).toBe(false);
  });

  it('a sentinel that an agent killed is noticed', async () => {
    const m = lab.node('node3');
    expect(await m.sentinelAlive()).toBe(true);
    await m.mustExec('pkill', ['-KILL', '-f', '^pal-lab-sentinel ']);
    expect(await m.sentinelAlive()).toBe(false);
  });

  it('cleanup removes every process, namespace and file of the lab', async () => {
    const namespaces = [lab.net.switchNs, ...[...lab.net.hosts.values()].map((h) => h.ns)];
    const inits = lab.nodes.map((m) => m.initPid);
    await lab.cleanup();
    const listed = await nsList();
    for (const ns of namespaces) expect(listed).not.toContain(ns);
    for (const pid of inits) expect(await exists(`/proc/${pid}`)).toBe(false);
    expect(await exists(lab.dir)).toBe(false);
    expect(await exists(lab.power.socketPath)).toBe(false);
  }, MIN);
});

describe('a lab whose set-up fails', () => {
  it('names the refused pcs command, and cleanup still removes everything', async () => {
    const bad = await Lab.create({ tag: 'labx' });
    try {
      await expect(bad.configure([['resource', 'create', 'vip', 'ocf:palisade:IPaddr2', 'address=192.0.2.100']]))
        .rejects.toThrow(/pcs -f .* resource create vip ocf:palisade:IPaddr2 address=192\.0\.2\.100 failed .*(address|ip)/s);
      await expect(bad.configure([['resource', 'create', 'vip', 'ocf:palisade:IPaddr2', 'ip=192.0.2.100', '--force']])).rejects.toThrow(/never uses --force/);
    } finally {
      await bad.cleanup();
    }
    const listed = await nsList();
    for (const ns of [bad.net.switchNs, ...[...bad.net.hosts.values()].map((h) => h.ns)]) expect(listed).not.toContain(ns);
    expect(await exists(bad.dir)).toBe(false);
  }, MIN);
});
