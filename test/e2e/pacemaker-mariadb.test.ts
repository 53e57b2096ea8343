// A real three-node Pacemaker cluster (test/e2e/lab) running a promotable
// ocf:palisade:mariadb clone with GTID replication and a VIP on the
// promoted instance, fenced by fence_palisade through palisaded. The
// promoted node crashes while one replica lags: the node is fenced, the
// replica with the most data is promoted, no committed row is lost, and the
// fenced node comes back as a replica.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningOn, withRole, type ClusterState } from './lab/crm.js';
import { Lab } from './lab/lab.js';
import { clusterTimeline, formatTimeline } from './lab/timeline.js';
import { clientSql, DB, DB_VIP, idsAt, mariadbCommands, mariadbService, mustAdminSql, slaveStatus, waitForIds } from './lab/mariadb-service.js';

const MIN = 60_000;
let lab: Lab;
let vip: string;

const promoted = (s: ClusterState) => withRole(s, DB, 'Promoted');
const unpromoted = (s: ClusterState) => withRole(s, DB, 'Unpromoted');

/** The one promoted node, with the VIP on it, and `replicas` unpromoted instances. */
function settled(s: ClusterState, replicas: number): boolean {
  const p = promoted(s);
  return p.length === 1 && runningOn(s, DB_VIP) === p[0] && unpromoted(s).length === replicas;
}

function address(node: string): string {
  return lab.node(node).host.v4;
}

async function mustClientSql(host: string, statement: string): Promise<string[][]> {
  const r = await clientSql(lab, host, statement);
  if (!r.ok) throw new Error(`${host}: ${statement}: ${r.error}`);
  return r.rows;
}

/** The sum of a GTID position's sequence numbers, as the agent ranks replicas. */
function seq(pos: string): number {
  return pos.split(',').filter(Boolean).reduce((n, g) => n + Number(g.split('-')[2] ?? 0), 0);
}

async function gtidPos(node: string): Promise<number> {
  return seq((await mustAdminSql(lab.node(node), 'SELECT @@global.gtid_current_pos'))[0]?.[0] ?? '');
}

/** The replica crm_simulate promotes if `failing` failed now, with the current scores. */
async function wouldPromote(failing: string): Promise<string> {
  const r = await lab.node(failing).exec('crm_simulate', ['--live-check', `--node-fail=${failing}`, '--simulate']);
  const m = /Promote\s+\S+\s+\(\s*\S+\s*->\s*Promoted\s+(\S+)\s*\)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`crm_simulate --node-fail=${failing}: no promotion in (${r.code}) ${r.stdout}${r.stderr}`);
  return m[1]!;
}

/** Polls the VIP until a writable server other than `gone` answers; returns when it first did. */
async function writableAt(gone: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await clientSql(lab, vip, 'SELECT @@hostname, @@global.read_only');
    if (r.ok && r.rows[0]?.[0] !== gone && r.rows[0]?.[1] === '0') return Date.now();
    if (Date.now() > deadline) throw new Error(`no writable server behind ${vip} within ${timeoutMs} ms; last: ${r.error || JSON.stringify(r.rows)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Until `replica` replicates from `source` with both threads running. */
async function following(replica: string, source: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let st: Record<string, string> = {};
  while (Date.now() < deadline) {
    st = await slaveStatus(lab.node(replica));
    if (st.Master_Host === address(source) && st.Slave_IO_Running === 'Yes' && st.Slave_SQL_Running === 'Yes') return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`${replica} does not replicate from ${source}: ${JSON.stringify({ host: st.Master_Host, io: st.Slave_IO_Running, sql: st.Slave_SQL_Running, ioError: st.Last_IO_Error, sqlError: st.Last_SQL_Error })}`);
}

beforeAll(async () => {
  lab = await Lab.create({ tag: 'mdb' });
  vip = lab.vip();
  await mariadbService(lab);
  await lab.configure(mariadbCommands(lab));
  await lab.boot();
  await lab.waitFor('one promoted instance with the VIP, two replicas', (s) => settled(s, 2), 90_000);
}, 3 * MIN);

afterAll(async () => {
  await lab?.cleanup();
}, MIN);

describe('promotable MariaDB clone in a three-node cluster', () => {
  let primary: string;
  let lagging: string;
  let best: string;

  it('promotes one node; rows written through the VIP reach both replicas', async () => {
    const s = await lab.state();
    expect(new Set(s.resources.filter((r) => r.id === DB).map((r) => r.agent))).toEqual(new Set(['ocf:palisade:mariadb']));
    expect(s.resources.find((r) => r.id === 'fence-vm')?.agent).toBe('stonith:fence_palisade');
    primary = promoted(s)[0]!;
    const replicas = unpromoted(s).sort();
    expect(replicas).toHaveLength(2);
    expect(replicas).not.toContain(primary);
    expect(await mustClientSql(vip, 'SELECT @@hostname, @@global.read_only')).toEqual([[primary, '0']]);
    await mustClientSql(vip, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    for (const r of replicas) {
      expect(await waitForIds(lab, address(r), (ids) => ids.length === 2, 30_000)).toEqual([1, 2]);
      expect(await mustClientSql(address(r), 'SELECT @@global.read_only')).toEqual([['1']]);
    }
    // the replica Pacemaker would promote on equal scores lags: only the agent's ranking can prefer the other
    lagging = await wouldPromote(primary);
    best = replicas.find((r) => r !== lagging)!;
    expect(replicas).toContain(lagging);
  }, 2 * MIN);

  it('crash of the promoted node: it is fenced, the replica with the most data is promoted, no committed row is lost', async () => {
    // the lagging replica receives but applies nothing for an hour: its replication still looks healthy
    await mustAdminSql(lab.node(lagging), 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 3600; START SLAVE');
    for (const id of [3, 4, 5]) await mustClientSql(vip, `INSERT INTO t VALUES (${id}, 'row ${id}')`);
    expect(await waitForIds(lab, address(best), (ids) => ids.length === 5, 30_000)).toEqual([1, 2, 3, 4, 5]);
    expect(await idsAt(lab, address(lagging))).toEqual([1, 2]);
    expect(await gtidPos(best)).toBeGreaterThan(await gtidPos(lagging));

    const since = Date.now();
    const fault = { at: since, what: `crash: ${primary} (promoted) loses power` };
    await lab.node(primary).powerOff();
    const served = await writableAt(primary, 2 * MIN);
    const s = await lab.waitFor('another node promoted, with the VIP', (x) => promoted(x).length === 1 && promoted(x)[0] !== primary && runningOn(x, DB_VIP) === promoted(x)[0], MIN);
    expect(promoted(s)).toEqual([best]);
    expect(await lab.waitForFence(primary, since, 'success')).toMatchObject({ action: 'reboot', target: primary });
    // palisaded's reboot: destroy (the node was already off) then start (it boots)
    expect(lab.power.events.filter((e) => e.node === primary && e.at >= since).map((e) => `${e.action}:${e.effect}`)).toEqual(['off:already-off', 'on:booted']);
    const ev = await clusterTimeline(lab, { since, fault, target: primary, resources: [DB, DB_VIP], service: { at: served, what: `writes accepted through the VIP (by ${best})` } });
    console.log(formatTimeline(`Failover timeline: crash of ${primary}, the promoted MariaDB (${lagging} lagging, ${best} ahead)`, ev));
    expect(await mustClientSql(vip, 'SELECT @@hostname, @@global.read_only')).toEqual([[best, '0']]);
    expect(await idsAt(lab, vip)).toEqual([1, 2, 3, 4, 5]);

    // the lagging replica follows the new promoted node; without its delay it catches up
    expect(unpromoted(await lab.state())).toContain(lagging);
    await following(lagging, best);
    await mustAdminSql(lab.node(lagging), 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE');
    expect(await waitForIds(lab, address(lagging), (ids) => ids.length === 5, 30_000)).toEqual([1, 2, 3, 4, 5]);
  }, 4 * MIN);

  it('the fenced node boots again and rejoins as a replica that catches up', async () => {
    await lab.waitFor('the fenced node back as a replica', (x) => x.nodes.get(primary)?.online === true && unpromoted(x).includes(primary) && settled(x, 2), 2 * MIN);
    for (const id of [6, 7]) await mustClientSql(vip, `INSERT INTO t VALUES (${id}, 'row ${id}')`);
    expect(await waitForIds(lab, address(primary), (ids) => ids.length === 7, 30_000)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await mustClientSql(address(primary), 'SELECT @@global.read_only')).toEqual([['1']]);
    await following(primary, best);
    expect(promoted(await lab.state())).toEqual([best]);
    // every agent action on the nodes (promote, demote, starts, stops) signalled only its own processes
    for (const m of lab.nodes) expect(await m.sentinelAlive(), m.name).toBe(true);
  }, 3 * MIN);
});
