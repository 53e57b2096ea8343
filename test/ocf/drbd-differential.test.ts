// ocf:palisade:drbd against LINBIT's ocf:linbit:drbd (Debian drbd-utils
// 9.22, /usr/lib/ocf/resource.d/linbit/drbd, run unmodified) on the same
// drbd-utils stand-in states: the monitor's exit code and the promotion
// score it leaves. Every state of the reference (drbd-utils.md §1.3, §5) is
// a row; where the agents differ, the row must match DIFFERENCES exactly,
// with the reason written there. Anything else is a bug in one of them.
//
// How LINBIT's agent runs here (least intrusive, host untouched): PATH puts
// the stand-ins first (drbdadm, drbdsetup, modinfo, modprobe, crm_attribute,
// crm_node, crm_resource; the real /usr/sbin/crm_master script then calls the
// crm_attribute stand-in), and test/stand-ins/drbd-utils/linbit-ns.sh runs
// it in a private mount namespace where /proc/drbd exists while the stand-in
// module is "loaded" and /dev/drbd0 is a block node while the minor exists
// (the two checks drbd.ocf makes that no stand-in binary can satisfy).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drbdStandIn, type DrbdStandIn, type NodeName, type Runtime, type StandInState } from '../stand-ins/drbd-utils/api.js';
import { runLinbit, runOurs } from '../helpers/drbd.js';

interface Case {
  name: string;
  setup(st: StandInState, rt: (r: Partial<Runtime>) => Runtime): void;
  probe?: boolean;
  params?: Record<string, string>;
  locate?: Partial<Record<NodeName, string>>;
  kernel?: string;
}

interface Outcome {
  rc: number;
  /** score after the monitor; '5' = untouched (every row starts from 5) */
  score: string | undefined;
}

const START_SCORE = '5';

const peerStates = {
  'peer UpToDate': (st: StandInState, rt: (r: Partial<Runtime>) => Runtime) => (st.nodes.beta.rt = rt({ disk: 'UpToDate' })),
  'peer Inconsistent': (st: StandInState, rt: (r: Partial<Runtime>) => Runtime) => (st.nodes.beta.rt = rt({ disk: 'Inconsistent' })),
  'peer Outdated': (st: StandInState, rt: (r: Partial<Runtime>) => Runtime) => (st.nodes.beta.rt = rt({ disk: 'Outdated' })),
  'not connected (peer DUnknown)': (st: StandInState) => (st.nodes.beta.rt = null),
} as const;

function cases(): Case[] {
  const out: Case[] = [];
  for (const role of ['Primary', 'Secondary'] as const) {
    for (const disk of ['UpToDate', 'Consistent', 'Outdated', 'Inconsistent']) {
      for (const [peer, setPeer] of Object.entries(peerStates)) {
        out.push({
          name: `${role} ${disk}, ${peer}`,
          setup: (st, rt) => {
            st.nodes.alpha.rt = rt({ role, disk });
            setPeer(st, rt);
          },
        });
      }
    }
  }
  const connected = (st: StandInState, rt: (r: Partial<Runtime>) => Runtime, a: Partial<Runtime>, b: Partial<Runtime>) => {
    st.nodes.alpha.rt = rt(a);
    st.nodes.beta.rt = rt(b);
  };
  out.push(
    { name: 'unconfigured, probe', setup: () => {}, probe: true },
    { name: 'unconfigured, recurring monitor', setup: () => {} },
    { name: 'Secondary UpToDate, peer UpToDate, probe', setup: (st, rt) => connected(st, rt, {}, {}), probe: true },
    { name: 'Primary UpToDate, peer UpToDate, probe', setup: (st, rt) => connected(st, rt, { role: 'Primary' }, {}), probe: true },
    { name: 'peer Primary, local UpToDate', setup: (st, rt) => connected(st, rt, {}, { role: 'Primary' }) },
    { name: 'peer Primary, remove_master_score_if_peer_primary=true', setup: (st, rt) => connected(st, rt, {}, { role: 'Primary' }), params: { remove_master_score_if_peer_primary: 'true' } },
    { name: 'peer Primary unknown to Pacemaker, remove_master_score_if_peer_primary=unexpected', setup: (st, rt) => connected(st, rt, {}, { role: 'Primary' }), params: { remove_master_score_if_peer_primary: 'unexpected' }, locate: {} },
    { name: 'peer Primary known to Pacemaker, remove_master_score_if_peer_primary=unexpected', setup: (st, rt) => connected(st, rt, {}, { role: 'Primary' }), params: { remove_master_score_if_peer_primary: 'unexpected' }, locate: { beta: 'Master' } },
    { name: 'StandAlone (disconnected by hand)', setup: (st, rt) => connected(st, rt, { want: false }, {}) },
    { name: 'SyncTarget 37.5%', setup: (st, rt) => connected(st, rt, { disk: 'Inconsistent', replication: 'SyncTarget', done: 37.5 }, { replication: 'SyncSource', done: 37.5 }) },
    { name: 'SyncSource 37.5%', setup: (st, rt) => connected(st, rt, { replication: 'SyncSource', done: 37.5 }, { disk: 'Inconsistent', replication: 'SyncTarget', done: 37.5 }) },
    { name: 'quorum lost, Secondary', setup: (st, rt) => connected(st, rt, { quorumLost: true }, {}) },
    { name: 'quorum lost, Primary (suspended)', setup: (st, rt) => { st.nodes.alpha.rt = rt({ role: 'Primary', quorumLost: true }); } },
    { name: 'diskless client, peer UpToDate', setup: (st, rt) => connected(st, rt, { disk: 'Diskless', client: true }, {}) },
    { name: 'diskless client Primary, peer UpToDate', setup: (st, rt) => connected(st, rt, { role: 'Primary', disk: 'Diskless', client: true }, {}) },
    { name: 'diskless client, peer Inconsistent', setup: (st, rt) => connected(st, rt, { disk: 'Diskless', client: true }, { disk: 'Inconsistent' }) },
    { name: 'diskless client, not connected', setup: (st, rt) => { st.nodes.alpha.rt = rt({ disk: 'Diskless', client: true }); } },
    { name: 'peer is a diskless client, local UpToDate', setup: (st, rt) => connected(st, rt, {}, { disk: 'Diskless', client: true }) },
    { name: 'minor without disk (attach failed), not connected', setup: (st, rt) => { st.nodes.alpha.rt = rt({ disk: 'Diskless' }); } },
    { name: 'Attaching, not connected', setup: (st, rt) => { st.nodes.alpha.rt = rt({ disk: 'Attaching' }); } },
    { name: 'Negotiating, peer UpToDate', setup: (st, rt) => connected(st, rt, { disk: 'Negotiating' }, {}) },
    { name: 'resource without a minor (new-resource only)', setup: (st, rt) => { st.nodes.alpha.rt = rt({ minor: false, disk: 'Diskless', peer: false, want: false }); } },
    { name: 'module installed, not loaded, probe', setup: (st) => { st.module = 'available'; }, probe: true },
    { name: 'module missing, probe', setup: (st) => { st.module = 'missing'; }, probe: true },
    { name: 'module missing, recurring monitor', setup: (st) => { st.module = 'missing'; } },
    { name: 'DRBD 8.4: Secondary UpToDate, peer UpToDate', kernel: '8.4.11', setup: (st, rt) => connected(st, rt, {}, {}) },
    { name: 'DRBD 8.4: Primary UpToDate, peer UpToDate', kernel: '8.4.11', setup: (st, rt) => connected(st, rt, { role: 'Primary' }, {}) },
    { name: 'DRBD 8.4: Secondary UpToDate, not connected', kernel: '8.4.11', setup: (st, rt) => { st.nodes.alpha.rt = rt({}); } },
    { name: 'DRBD 8.4: Inconsistent, peer UpToDate', kernel: '8.4.11', setup: (st, rt) => connected(st, rt, { disk: 'Inconsistent' }, {}) },
    { name: 'DRBD 8.4: unconfigured, probe', kernel: '8.4.11', setup: () => {}, probe: true },
  );
  return out;
}

/** Where the agents differ on purpose: [LINBIT, ours, reason]. */
const DIFFERENCES: Record<string, { linbit: Outcome; ours: Outcome; reason: string }> = {
  'unconfigured, recurring monitor': {
    linbit: { rc: 7, score: '9999' },
    ours: { rc: 7, score: undefined },
    reason:
      'drbd.ocf returns from drbd_status before reading any state (no /dev/drbd0), then scores with the status_* ' +
      'variables unset; bash runs an empty `if $status_diskless_client` as true, so a stopped resource advertises ' +
      '9999 (diskless client with good peers). Ours scores the state it read: nothing configured, no score.',
  },
  'resource without a minor (new-resource only)': {
    linbit: { rc: 7, score: '9999' },
    ours: { rc: 0, score: undefined },
    reason:
      'The kernel knows the resource (events2 prints its resource line), so it is not stopped: ours says 0 and ' +
      'stop will take it down. drbd.ocf only looks for /dev/drbd0, says 7, and scores with unset variables (9999, ' +
      'as above). Without a disk there is no data, so no score.',
  },
  'Attaching, not connected': {
    linbit: { rc: 0, score: '1000' },
    ours: { rc: 0, score: '5' },
    reason:
      'A transitional disk state leaves the score unchanged (drbd.ocf\'s own rule 6). drbd.ocf\'s events2 parser ' +
      'never clears "all disks UpToDate" for Attaching/Negotiating, so rule 4 fires first and a disk whose state ' +
      'is not yet known is advertised as good local data.',
  },
  'Negotiating, peer UpToDate': {
    linbit: { rc: 0, score: '10000' },
    ours: { rc: 0, score: '10' },
    reason:
      'Same parser quirk: drbd.ocf counts the Negotiating disk as UpToDate (10000, "as good as it gets"). Ours ' +
      'does not; the peer has UpToDate data, so rule 5 gives 10 ("only remote UpToDate").',
  },
  'module missing, recurring monitor': {
    linbit: { rc: 5, score: '5' },
    ours: { rc: 1, score: '5' },
    reason:
      'The framework\'s single policy for a broken environment (ocf-rarun): a recurring monitor reports a failure ' +
      '(1) with the reason "DRBD kernel (module) not available?"; 5 is kept for probes, start and validate-all, ' +
      'where it means "cannot run on this node".',
  },
};

let s: DrbdStandIn;
beforeAll(async () => {
  s = await drbdStandIn();
});
afterAll(async () => {
  await s?.cleanup();
});

async function outcome(run: typeof runOurs, c: Case): Promise<Outcome> {
  s.set((st) => {
    st.kernel = c.kernel ?? '9.2.12';
    st.module = 'loaded';
    st.nodes.alpha.rt = null;
    st.nodes.beta.rt = null;
    c.setup(st, s.runtime);
  });
  s.locate(c.locate ?? {});
  s.setScore('alpha', START_SCORE);
  const r = await run(s, 'alpha', 'monitor', { params: c.params, extra: { OCF_RESKEY_CRM_meta_interval: c.probe ? '0' : '10000' } });
  return { rc: r.code, score: s.score('alpha') };
}

describe('monitor: exit code and promotion score, LINBIT vs ours, same stand-in state', () => {
  const rows: string[] = [];
  afterAll(() => {
    console.log(`| state | LINBIT rc/score | ours rc/score |\n|---|---|---|\n${rows.join('\n')}`);
  });
  for (const c of cases()) {
    it(c.name, async () => {
      const linbit = await outcome(runLinbit, c);
      const ours = await outcome(runOurs, c);
      rows.push(`| ${c.name} | ${linbit.rc}/${linbit.score ?? '-'} | ${ours.rc}/${ours.score ?? '-'} |`);
      const d = DIFFERENCES[c.name];
      if (d) {
        expect({ linbit, ours }, d.reason).toEqual({ linbit: d.linbit, ours: d.ours });
        expect(linbit).not.toEqual(ours);
      } else {
        expect(ours, `LINBIT: rc ${linbit.rc}, score ${linbit.score}`).toEqual(linbit);
      }
    });
  }
});
