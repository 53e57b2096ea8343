// A real three-node Pacemaker cluster (test/e2e/lab) running the group
// IPaddr2 + Filesystem + apache from Palisade's agents, fenced by
// fence_palisade through palisaded. Each scenario is asserted on the
// cluster's own state (crm_mon, stonith_admin --history), on the lab's
// power switch (a fence really cut the node's power) and on the page
// served through the VIP; each prints its failover timeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningOn, type ClusterState } from './lab/crm.js';
import { describe as show, Lab } from './lab/lab.js';
import { clusterTimeline, formatTimeline, type TimelineEvent } from './lab/timeline.js';
import { PAGE, webCommands, webService, type WebService } from './lab/web-service.js';

const MIN = 60_000;
const GROUP = ['web-ip', 'web-fs', 'web-server'];
let lab: Lab;
let web: WebService;

beforeAll(async () => {
  lab = await Lab.create({ tag: 'web' });
  web = await webService(lab);
  await lab.configure(webCommands(lab, web));
  await lab.boot();
  await lab.waitFor('the web group running', (s) => GROUP.every((r) => runningOn(s, r) !== undefined), MIN);
}, 3 * MIN);

afterAll(async () => {
  await lab?.cleanup();
}, MIN);

const active = async () => {
  const on = runningOn(await lab.state(), 'web-server');
  if (!on) throw new Error('the web group is not running');
  return on;
};

/** The group complete on one node other than `not`. */
const movedFrom = (not: string) => (s: ClusterState) => {
  const on = GROUP.map((r) => runningOn(s, r));
  return on.every((n) => n !== undefined && n !== not && n === on[0]);
};

/** Polls the page through the VIP until it is served; returns when it first was. */
async function servedAt(timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await lab.httpGet(web.url, 1);
    if (r.ok && r.body === PAGE) return Date.now();
    if (Date.now() > deadline) throw new Error(`${web.url} not served within ${timeoutMs} ms; last body: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const powerOf = (node: string, since: number) => lab.power.events.filter((e) => e.node === node && e.at >= since);
const rejoined = (node: string) => lab.waitFor(`${node} back online`, (s) => s.nodes.get(node)?.online === true && s.dc !== undefined, 2 * MIN);

async function printTimeline(title: string, since: number, fault: { at: number; what: string }, target: string, served: number, extra: TimelineEvent[] = []): Promise<void> {
  const ev = await clusterTimeline(lab, { since, fault, target, resources: GROUP, service: { at: served, what: 'page served through the VIP' }, extra });
  console.log(formatTimeline(title, ev));
}

describe('web group in a three-node cluster', () => {
  it('serves the page through the VIP, with every agent run by Pacemaker from the palisade provider', async () => {
    const s = await lab.state();
    expect(s.resources.filter((r) => GROUP.includes(r.id)).map((r) => r.agent)).toEqual(['ocf:palisade:IPaddr2', 'ocf:palisade:Filesystem', 'ocf:palisade:apache']);
    expect(s.resources.find((r) => r.id === 'fence-vm')?.agent).toBe('stonith:fence_palisade');
    await servedAt(30_000);
  });

  it('crash of the active node: it is fenced through palisaded, and the group runs elsewhere', async () => {
    const victim = await active();
    const since = Date.now();
    const fault = { at: since, what: `crash: ${victim} loses power` };
    await lab.node(victim).powerOff();
    const served = await servedAt(2 * MIN);
    const s = await lab.waitFor('the group on another node', movedFrom(victim), MIN);
    expect(await lab.waitForFence(victim, since, 'success')).toMatchObject({ action: 'reboot', target: victim });
    // palisaded's reboot: destroy (the node was already off) then start (it boots)
    expect(powerOf(victim, since).map((e) => `${e.action}:${e.effect}`)).toEqual(['off:already-off', 'on:booted']);
    expect(show(s)).toMatch(/web-server\[Started\]@node\d/);
    await printTimeline(`Failover timeline: crash of ${victim} (web group)`, since, fault, victim, served);
    await rejoined(victim);
  }, 4 * MIN);

  it('graceful standby: the group moves and nobody is fenced', async () => {
    const from = await active();
    const fencesBefore = (await lab.fenceHistory()).length; // settled: the last fence was seen in the history before this test
    const since = Date.now();
    const other = lab.nodes.find((m) => m.name !== from)!;
    await other.mustExec('crm_attribute', ['--node', from, '--name', 'standby', '--update', 'on', '--lifetime', 'forever']);
    await lab.waitFor(`the group off ${from}`, movedFrom(from), MIN);
    const served = await servedAt(MIN);
    expect(served).toBeGreaterThan(since);
    expect((await lab.fenceHistory()).length).toBe(fencesBefore);
    expect(lab.power.events.filter((e) => e.at >= since)).toEqual([]);
    const s = await lab.state();
    expect(s.nodes.get(from)).toMatchObject({ online: true, standby: true, unclean: false });
    // the agents' stops (apache, the unmount, the address) signalled nothing else on the node
    expect(await lab.node(from).sentinelAlive()).toBe(true);
    await printTimeline(`Move timeline: ${from} put in standby (web group)`, since, { at: since, what: `standby on ${from}` }, from, served);
    await other.mustExec('crm_attribute', ['--node', from, '--name', 'standby', '--delete']);
    await lab.waitFor(`${from} out of standby`, (x) => x.nodes.get(from)?.standby === false, MIN);
  }, 3 * MIN);

  it('network isolation of the active node (its link cut): it is fenced, and the group moves', async () => {
    const victim = await active();
    const since = Date.now();
    const fault = { at: since, what: `link of ${victim} cut at the switch` };
    await lab.node(victim).setLink(false);
    try {
      const served = await servedAt(2 * MIN);
      await lab.waitFor('the group on another node', movedFrom(victim), MIN);
      expect(await lab.waitForFence(victim, since, 'success')).toMatchObject({ action: 'reboot', target: victim });
      // still running when fenced: the power was really cut, then restored
      expect(powerOf(victim, since).map((e) => `${e.action}:${e.effect}`)).toEqual(['off:cut', 'on:booted']);
      await printTimeline(`Failover timeline: ${victim} isolated (web group)`, since, fault, victim, served);
    } finally {
      await lab.node(victim).setLink(true);
    }
    await rejoined(victim);
  }, 4 * MIN);

  it('palisaded down during a crash: the node stays UNCLEAN and nothing moves until palisaded is back, then fencing and failover complete', async () => {
    await lab.waitFor('all three nodes online', (s) => [...s.nodes.values()].every((n) => n.online), 2 * MIN);
    const victim = await active();
    await lab.stopFenceHost();
    const since = Date.now();
    const crash = { at: since, what: `crash: ${victim} loses power, palisaded is down` };
    await lab.node(victim).powerOff();
    // The survivors see the node lost, try to fence it, and fail: it stays UNCLEAN, the group stays where it was.
    const stuck = await lab.waitFor(`${victim} UNCLEAN after failed fencing`, (s) => s.nodes.get(victim)?.unclean === true, MIN);
    await lab.waitForFence(victim, since, 'failed');
    for (let i = 0; i < 3; i++) {
      const s = await lab.state();
      expect(s.nodes.get(victim)).toMatchObject({ online: false, unclean: true });
      expect(GROUP.map((r) => s.resources.find((x) => x.id === r)?.nodes)).toEqual(GROUP.map(() => [victim]));
      expect((await lab.httpGet(web.url, 1)).ok).toBe(false);
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(show(stuck)).toContain(`${victim}:offline/UNCLEAN`);
    const restart = { at: Date.now(), what: 'palisaded started again', node: 'hv' };
    await lab.startFenceHost();
    const served = await servedAt(3 * MIN);
    await lab.waitFor('the group on another node', movedFrom(victim), MIN);
    expect(await lab.waitForFence(victim, restart.at, 'success')).toMatchObject({ action: 'reboot', target: victim });
    expect(powerOf(victim, since).map((e) => `${e.action}:${e.effect}`)).toEqual(['off:already-off', 'on:booted']);
    await printTimeline(`Failover timeline: ${victim} crashed while palisaded was down`, since, crash, victim, served, [restart]);
    await rejoined(victim);
  }, 5 * MIN);
});
