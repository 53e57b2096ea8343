// Benchmark: failover after a crash of the active node, Palisade's parts
// against the anchors', alternating in one run. Two labs (test/e2e/lab)
// are booted side by side with the web group of the e2e test (VIP +
// Filesystem on a shared loop image + apache):
//   palisade: ocf:palisade:{IPaddr2,Filesystem,apache} + stonith:fence_palisade + palisaded
//   anchor:   ocf:heartbeat:{IPaddr2,Filesystem,apache} + stonith:fence_virt + fence_virtd
// Round i crashes the active node of the palisade lab, waits until the page
// is served through the VIP again and the crashed node is back online,
// then does the same in the anchor lab. Each crash gives a timeline from
// the nodes' logs (timeline.ts); the phases' medians are compared at the end.
//   node_modules/.bin/vite-node bench/failover.ts [--rounds 5]   (as root; bash bench/failover.sh builds first)
import { Lab } from '../test/e2e/lab/lab.js';
import { runningOn, type ClusterState } from '../test/e2e/lab/crm.js';
import { palisadedHost } from '../test/e2e/lab/fence-host.js';
import { fenceVirtdHost, type FenceVirtdHost } from '../test/e2e/lab/fence-virtd-host.js';
import { clusterTimeline, formatTimeline, phases, type Phases } from '../test/e2e/lab/timeline.js';
import { PAGE, webCommands, webService, type WebAgents, type WebService } from '../test/e2e/lab/web-service.js';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const ROUNDS = Number(arg('--rounds') ?? 5);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new RangeError(`--rounds: a positive integer, not ${arg('--rounds')}`);

const MIN = 60_000;
const GROUP = ['web-ip', 'web-fs', 'web-server'];
const PHASES = ['detection', 'decision', 'fence', 'recovery', 'service', 'total', 'afterDecision'] as const;

/** timeline.ts's phases plus fence requested → served: the stretch where the two variants differ. */
type Run = Phases & { readonly afterDecision?: number };
const withAfterDecision = (p: Phases): Run => ({
  ...p,
  ...(p.fence !== undefined && p.recovery !== undefined && p.service !== undefined ? { afterDecision: p.fence + p.recovery + p.service } : {}),
});

interface Variant {
  readonly key: 'palisade' | 'anchor';
  readonly title: string;
  readonly tag: string;
  readonly agents: WebAgents;
  readonly expect: { readonly group: readonly string[]; readonly stonith: string };
  lab?: Lab;
  web?: WebService;
  virtd?: FenceVirtdHost;
  readonly runs: Run[];
}

const variants: Variant[] = [
  {
    key: 'palisade', title: 'Palisade (ocf:palisade + fence_palisade + palisaded)', tag: 'fbp', agents: {},
    expect: { group: GROUP.map((_, i) => `ocf:palisade:${['IPaddr2', 'Filesystem', 'apache'][i]}`), stonith: 'stonith:fence_palisade' }, runs: [],
  },
  {
    key: 'anchor', title: 'anchors (ocf:heartbeat + fence_virt + fence_virtd)', tag: 'fba', agents: { provider: 'heartbeat', stonith: 'fence_virt' },
    expect: { group: GROUP.map((_, i) => `ocf:heartbeat:${['IPaddr2', 'Filesystem', 'apache'][i]}`), stonith: 'stonith:fence_virt' }, runs: [],
  },
];

const labOf = (v: Variant) => { if (!v.lab || !v.web) throw new Error(`${v.key}: lab not booted`); return { lab: v.lab, web: v.web }; };

async function bootVariant(v: Variant): Promise<void> {
  v.lab = await Lab.create({
    tag: v.tag,
    fenceHost: v.key === 'anchor' ? (site) => (v.virtd = fenceVirtdHost(site)) : palisadedHost,
  });
  v.web = await webService(v.lab);
  await v.lab.configure(webCommands(v.lab, v.web, v.agents));
  await v.lab.boot();
  const s = await v.lab.waitFor('the web group running', (x) => GROUP.every((r) => runningOn(x, r) !== undefined), 2 * MIN);
  const agents = GROUP.map((r) => s.resources.find((x) => x.id === r)?.agent);
  const stonith = s.resources.find((x) => x.id === 'fence-vm')?.agent;
  if (JSON.stringify(agents) !== JSON.stringify(v.expect.group) || stonith !== v.expect.stonith) {
    throw new Error(`${v.key}: runs ${agents.join(', ')} + ${stonith}, expected ${v.expect.group.join(', ')} + ${v.expect.stonith}`);
  }
  await servedAt(v, 2 * MIN);
}

/** The fence really works the power: a node without the group, fenced while it runs, loses power and boots. */
async function checkFence(v: Variant): Promise<string> {
  const { lab } = labOf(v);
  const s = await lab.state();
  const busy = runningOn(s, 'web-server');
  const target = lab.nodes.find((m) => m.name !== busy)!.name;
  const caller = lab.nodes.find((m) => m.name !== busy && m.name !== target) ?? lab.nodes.find((m) => m.name !== target)!;
  const since = Date.now();
  await caller.mustExec('stonith_admin', ['--reboot', target, '--timeout', '60']);
  await lab.waitForFence(target, since, 'success');
  const power = lab.power.events.filter((e) => e.node === target && e.at >= since).map((e) => `${e.action}:${e.effect}`);
  if (power.join(' ') !== 'off:cut on:booted') throw new Error(`${v.key}: fencing live ${target} worked the power as [${power.join(' ')}], expected off:cut on:booted`);
  await rejoined(v, target);
  return `${v.key}: stonith_admin --reboot ${target} (running): power ${power.join(', ')}`;
}

/**
 * When the page was first served through the VIP. A probe starts every
 * 100 ms without waiting for the one before: a probe sent while the VIP is
 * still nowhere hangs until its timeout, and waiting for it would blur the
 * moment by up to that timeout.
 */
function servedAt(v: Variant, timeoutMs: number): Promise<number> {
  const { lab, web } = labOf(v);
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let done = false;
    let last = '';
    const probe = () => {
      if (done) return;
      if (Date.now() > deadline) {
        done = true;
        reject(new Error(`${v.key}: ${web.url} not served within ${timeoutMs} ms; last body: ${JSON.stringify(last)}`));
        return;
      }
      void lab.httpGet(web.url, 2).then((r) => {
        if (done) return;
        if (r.ok && r.body === PAGE) { done = true; resolve(Date.now()); } else last = r.body;
      });
      setTimeout(probe, 100);
    };
    probe();
  });
}

/** The group started (not starting: its start results are then in the logs) on one node other than `not`. */
const movedFrom = (not: string) => (s: ClusterState) => {
  const on = GROUP.map((r) => runningOn(s, r));
  const started = GROUP.every((r) => s.resources.find((x) => x.id === r)?.role === 'Started');
  return started && on.every((n) => n !== undefined && n !== not && n === on[0]);
};

const rejoined = (v: Variant, node: string) =>
  labOf(v).lab.waitFor(`${node} back online`, (s) => s.nodes.get(node)?.online === true && s.dc !== undefined && [...s.nodes.values()].every((n) => n.online), 3 * MIN);

/** One crash of the active node: its timeline (printed) and phases. */
async function crashRound(v: Variant, round: number): Promise<void> {
  const { lab } = labOf(v);
  const victim = runningOn(await lab.state(), 'web-server');
  if (!victim) throw new Error(`${v.key}: the web group is not running`);
  const since = Date.now();
  await lab.node(victim).powerOff();
  const served = await servedAt(v, 3 * MIN);
  const s = await lab.waitFor('the group on another node', movedFrom(victim), MIN);
  const fence = await lab.waitForFence(victim, since, 'success');
  const power = lab.power.events.filter((e) => e.node === victim && e.at >= since).map((e) => `${e.action}:${e.effect}`);
  if (power.join(' ') !== 'off:already-off on:booted') throw new Error(`${v.key}: the fence of ${victim} worked the power as [${power.join(' ')}]`);
  const ev = await clusterTimeline(lab, {
    since, fault: { at: since, what: `crash: ${victim} loses power` }, target: victim, resources: GROUP,
    service: { at: served, what: 'page served through the VIP' },
  });
  console.log(`\n${formatTimeline(`[round ${round}] ${v.title}: crash of ${victim} (${fence.action} by ${fence.delegate ?? '?'}; group now on ${runningOn(s, 'web-server') ?? '?'})`, ev)}`);
  v.runs.push(withAfterDecision(phases(ev)));
  await rejoined(v, victim);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function medians(runs: readonly Run[]): Partial<Record<keyof Run, number>> {
  const out: Partial<Record<keyof Run, number>> = {};
  for (const p of PHASES) {
    const xs = runs.map((r) => r[p]).filter((x): x is number => x !== undefined);
    if (xs.length) out[p] = median(xs);
  }
  return out;
}

function report(): void {
  const [pal, anc] = variants as [Variant, Variant];
  const a = medians(pal.runs);
  const b = medians(anc.runs);
  const ms = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(0)).padStart(10);
  const pct = (x: number | undefined, t: number | undefined) => (x === undefined || !t ? '-' : `${((100 * x) / t).toFixed(1)} %`).padStart(10);
  const label = (p: (typeof PHASES)[number]) => (p === 'afterDecision' ? 'fence→srv' : p);
  const counts = PHASES.map((p) => `${label(p)} ${pal.runs.filter((r) => r[p] !== undefined).length}/${anc.runs.filter((r) => r[p] !== undefined).length}`);
  console.log(`\nFailover after a crash of the active node, web group (VIP + Filesystem + apache), 3 nodes, median of ${ROUNDS} rounds, ms`);
  console.log(`palisade = ${pal.title}\nanchor   = ${anc.title}`);
  console.log(`${'phase'.padEnd(11)}${'palisade'.padStart(10)}${'anchor'.padStart(10)}${'pal/anc'.padStart(10)}${'share pal'.padStart(11)}${'share anc'.padStart(11)}`);
  for (const p of PHASES) {
    const x = a[p];
    const y = b[p];
    const ratio = x !== undefined && y !== undefined && x > 0 && y > 0 ? (x / y).toFixed(3) : '-';
    console.log(`${label(p).padEnd(11)}${ms(x)}${ms(y)}${ratio.padStart(10)} ${pct(x, a.total)} ${pct(y, b.total)}`);
  }
  console.log(`(rounds with each phase, palisade/anchor: ${counts.join(', ')}; shares are of the median total, so they need not add up to 100 %)`);
  console.log(`detection = crash → corosync's new membership: the same corosync (token 1000 ms) in both; not Palisade's or the anchors' doing.
decision  = membership → pacemaker wants to fence: the same pacemaker in both (about 0.05 s or about 1.05 s, either variant; see the timelines).
fence     = fence requested → fence done: stonith agent + fence daemon + power switch (fence_palisade + palisaded vs fence_virt + fence_virtd).
recovery  = fence done → last group member's start reported ok: the resource agents (ocf:palisade vs ocf:heartbeat) under the same pacemaker.
service   = last start result → page served through the VIP (a probe from the client every 100 ms, overlapping);
            negative when the page is served before the agent reports its start done.
total     = crash → page served; fence→srv = fence requested → page served (fence + recovery + service): Palisade's or the anchors' part.`);
  const hooks = anc.virtd?.hooks ?? [];
  const offs = hooks.filter((h) => h.action === 'off');
  if (offs.length) {
    const lag = offs.map((h) => h.doneAt - h.lineAt);
    // virt.so logs the create only after its post-destroy wait, and answers the agent after that:
    // an off done before the next create line was done before fence_virtd reported the fence.
    const beforeCreate = offs.filter((o) => hooks.some((h) => h.action === 'on' && h.domain === o.domain && h.lineAt >= o.lineAt && o.doneAt <= h.lineAt)).length;
    console.log(`fence_virtd power hook: "Calling virDomainDestroy" line → power switch done: median ${median(lag).toFixed(0)} ms, max ${Math.max(...lag)} ms over ${lag.length} destroys; done before fence_virtd's create line (so before its answer) in ${beforeCreate}/${lag.length}; failed: ${hooks.filter((h) => h.answer !== 'ok').length}`);
  }
}

async function cleanup(): Promise<void> {
  for (const v of variants) {
    await v.lab?.cleanup().catch((e: unknown) => console.error(`${v.key}: cleanup: ${e instanceof Error ? e.message : String(e)}`));
  }
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${sig}: cleaning up the labs`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  console.log(`Booting two labs side by side (${variants.map((v) => v.key).join(', ')}) …`);
  await Promise.all(variants.map((v) => bootVariant(v)));
  for (const v of variants) console.log(await checkFence(v));
  for (let r = 1; r <= ROUNDS; r++) {
    for (const v of variants) await crashRound(v, r);
  }
  report();
} finally {
  await cleanup();
}
