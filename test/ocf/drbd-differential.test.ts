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

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { drbdStandIn, type DrbdStandIn, type NodeName, type Runtime, type StandInState } from '../stand-ins/drbd-utils/api.js';
import { runLinbit, runOurs } from '../helpers/drbd.js';

interface Case {
  name: string;
  /** default: monitor */
  action?: string;
  timeoutMs?: number;
  extra?: Record<string, string>;
  setup(st: StandInState, rt: (r: Partial<Runtime>) => Runtime): void;
  probe?: boolean;
  params?: Record<string, string>;
  locate?: Partial<Record<NodeName, string>>;
  kernel?: string;
}

interface Outcome {
  rc: number;
  /** score afterwards; '5' = untouched (every row starts from 5) */
  score: string | undefined;
  /** alpha's role in the stand-in afterwards, 'down' when unconfigured */
  role: string;
}

const START_SCORE = '5';
/** Stands for a drbd.conf that defines only another resource (written in beforeAll). */
const OTHER_CONF = '@other.conf';

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
  // actions
  const up = (st: StandInState, rt: (r: Partial<Runtime>) => Runtime, a: Partial<Runtime> = {}) => connected(st, rt, a, {});
  out.push(
    { name: 'start from unconfigured, peer down', action: 'start', setup: () => {} },
    { name: 'start from unconfigured, peer up', action: 'start', setup: (st, rt) => { st.nodes.beta.rt = rt({}); } },
    { name: 'start, already Secondary', action: 'start', setup: up },
    { name: 'start, already Primary (is demoted)', action: 'start', setup: (st, rt) => up(st, rt, { role: 'Primary' }) },
    { name: 'start, module installed but not loaded', action: 'start', setup: (st) => { st.module = 'available'; } },
    { name: 'start, module missing', action: 'start', setup: (st) => { st.module = 'missing'; } },
    { name: 'start, notify=false', action: 'start', setup: () => {}, extra: { OCF_RESKEY_CRM_meta_notify: 'false' } },
    { name: 'start, clone-node-max=2', action: 'start', setup: () => {}, extra: { OCF_RESKEY_CRM_meta_clone_node_max: '2' } },
    { name: 'start, promoted-max=2 without allow-two-primaries', action: 'start', setup: () => {}, extra: { OCF_RESKEY_CRM_meta_promoted_max: '2', OCF_RESKEY_CRM_meta_master_max: '2' } },
    { name: 'start, DRBD 8.4', action: 'start', kernel: '8.4.11', setup: (st, rt) => { st.nodes.beta.rt = rt({}); } },
    { name: 'validate-all, notify=false', action: 'validate-all', setup: () => {}, extra: { OCF_RESKEY_CRM_meta_notify: 'false' } },
    { name: 'promote, Secondary UpToDate', action: 'promote', setup: up },
    { name: 'promote, already Primary', action: 'promote', setup: (st, rt) => up(st, rt, { role: 'Primary' }) },
    { name: 'promote, SyncTarget (peer UpToDate)', action: 'promote', setup: (st, rt) => connected(st, rt, { disk: 'Inconsistent', replication: 'SyncTarget', done: 37.5 }, {}) },
    { name: 'promote refused: exit 17 (Inconsistent, peer down)', action: 'promote', timeoutMs: 60_000, setup: (st, rt) => { st.nodes.alpha.rt = rt({ disk: 'Inconsistent' }); } },
    { name: 'promote refused: exit 11 (peer Primary), 5 s timeout', action: 'promote', timeoutMs: 5000, setup: (st, rt) => connected(st, rt, {}, { role: 'Primary' }) },
    { name: 'promote, not started', action: 'promote', setup: () => {} },
    { name: 'demote, Primary', action: 'demote', setup: (st, rt) => up(st, rt, { role: 'Primary' }) },
    { name: 'demote, Secondary', action: 'demote', setup: up },
    { name: 'demote, not started', action: 'demote', setup: () => {} },
    { name: 'stop, Secondary', action: 'stop', setup: up },
    { name: 'stop, Primary', action: 'stop', setup: (st, rt) => up(st, rt, { role: 'Primary' }) },
    { name: 'stop, not started', action: 'stop', setup: () => {} },
    { name: 'stop, module missing', action: 'stop', setup: (st) => { st.module = 'missing'; } },
    { name: 'stop, running but missing from drbdconf', action: 'stop', params: { drbdconf: OTHER_CONF }, setup: up },
    { name: 'stop, running, drbdconf unreadable', action: 'stop', params: { drbdconf: '/nonexistent/drbd.conf' }, setup: up },
    { name: 'recurring monitor, running but missing from drbdconf', params: { drbdconf: OTHER_CONF }, setup: up },
    { name: 'stop, device held open (down refused with 11), 5 s timeout', action: 'stop', timeoutMs: 5000, setup: (st, rt) => up(st, rt, { open: true }) },
    { name: 'notify post-promote, peer disk unknown, stop_outdates_secondary', action: 'notify', params: { stop_outdates_secondary: 'true' }, extra: { OCF_RESKEY_CRM_meta_notify_type: 'post', OCF_RESKEY_CRM_meta_notify_operation: 'promote', OCF_RESKEY_CRM_meta_notify_master_uname: 'beta', OCF_RESKEY_CRM_meta_notify_promote_uname: 'beta' }, setup: (st, rt) => { st.nodes.alpha.rt = rt({}); } },
    { name: 'reload, Secondary StandAlone', action: 'reload', setup: (st, rt) => up(st, rt, { want: false }) },
    { name: 'notify pre-start of the peer, this instance stopped', action: 'notify', extra: { OCF_RESKEY_CRM_meta_notify_type: 'pre', OCF_RESKEY_CRM_meta_notify_operation: 'start', OCF_RESKEY_CRM_meta_notify_start_uname: 'beta' }, setup: () => {} },
    { name: 'notify pre-start of the peer, StandAlone', action: 'notify', extra: { OCF_RESKEY_CRM_meta_notify_type: 'pre', OCF_RESKEY_CRM_meta_notify_operation: 'start', OCF_RESKEY_CRM_meta_notify_start_uname: 'beta' }, setup: (st, rt) => up(st, rt, { want: false }) },
  );
  return out;
}

/** Where the agents differ on purpose: [LINBIT, ours, reason]. */
const DIFFERENCES: Record<string, { linbit: Outcome; ours: Outcome; reason: string }> = {
  'unconfigured, recurring monitor': {
    linbit: { rc: 7, score: '9999', role: 'down' },
    ours: { rc: 7, score: undefined, role: 'down' },
    reason:
      'drbd.ocf returns from drbd_status before reading any state (no /dev/drbd0), then scores with the status_* ' +
      'variables unset; bash runs an empty `if $status_diskless_client` as true, so a stopped resource advertises ' +
      '9999 (diskless client with good peers). Ours scores the state it read: nothing configured, no score.',
  },
  'resource without a minor (new-resource only)': {
    linbit: { rc: 7, score: '9999', role: 'Secondary' },
    ours: { rc: 0, score: undefined, role: 'Secondary' },
    reason:
      'The kernel knows the resource (events2 prints its resource line), so it is not stopped: ours says 0 and ' +
      'stop will take it down. drbd.ocf only looks for /dev/drbd0, says 7, and scores with unset variables (9999, ' +
      'as above). Without a disk there is no data, so no score.',
  },
  'Attaching, not connected': {
    linbit: { rc: 0, score: '1000', role: 'Secondary' },
    ours: { rc: 0, score: '5', role: 'Secondary' },
    reason:
      'A transitional disk state leaves the score unchanged (drbd.ocf\'s own rule 6). drbd.ocf\'s events2 parser ' +
      'never clears "all disks UpToDate" for Attaching/Negotiating, so rule 4 fires first and a disk whose state ' +
      'is not yet known is advertised as good local data.',
  },
  'Negotiating, peer UpToDate': {
    linbit: { rc: 0, score: '10000', role: 'Secondary' },
    ours: { rc: 0, score: '10', role: 'Secondary' },
    reason:
      'Same parser quirk: drbd.ocf counts the Negotiating disk as UpToDate (10000, "as good as it gets"). Ours ' +
      'does not; the peer has UpToDate data, so rule 5 gives 10 ("only remote UpToDate").',
  },
  'promote refused: exit 11 (peer Primary), 5 s timeout': {
    linbit: { rc: 137, score: '5', role: 'Secondary' },
    ours: { rc: 1, score: '5', role: 'Secondary' },
    reason:
      'drbd.ocf retries every second until the resource manager kills it at the operation timeout (137 here, a ' +
      'timeout in Pacemaker, with no reason). Ours retries with back-off and gives up just before the deadline ' +
      'with 1 and the last refusal as the exit reason ("(-1) Multiple primaries not allowed by config").',
  },
  'stop, device held open (down refused with 11), 5 s timeout': {
    linbit: { rc: 137, score: '5', role: 'Secondary' },
    ours: { rc: 1, score: '5', role: 'Secondary' },
    reason:
      'Same: drbd.ocf loops on `drbdadm down` until killed; ours ends before the deadline with 1 and the reason ' +
      '"(-12) Device is held open by someone". Either way the stop failed (Pacemaker fences).',
  },
  'demote, not started': {
    linbit: { rc: 1, score: '5', role: 'down' },
    ours: { rc: 7, score: '5', role: 'down' },
    reason:
      'drbd-utils 9.22\'s drbd_demote logs "not started" and keeps its initial rc (1); drbd-utils HEAD returns 7 ' +
      '(reference §5 "Demote": 7 => 7). Ours answers 7, the precise "not running", as HEAD does.',
  },
  'stop, module missing': {
    linbit: { rc: 5, score: '5', role: 'down' },
    ours: { rc: 0, score: '5', role: 'down' },
    reason:
      'drbd.ocf\'s validation fails on stop, it tries `drbdsetup down`, which fails without the module, sleeps 5 s ' +
      'and returns 5: a failed stop, so Pacemaker fences the node. Without a DRBD module nothing can be ' +
      'configured, so ours reports the stop as done (the framework\'s invalid-environment policy for stop).',
  },
  'reload, Secondary StandAlone': {
    linbit: { rc: 0, score: '1000', role: 'Secondary' },
    ours: { rc: 0, score: '10000', role: 'Secondary' },
    reason:
      'drbd.ocf scores with the state read before its `drbdadm adjust` (still StandAlone, peer disk unknown: ' +
      '1000). Ours reads the state again after the adjust reconnected the peer: both UpToDate, 10000.',
  },
  'notify pre-start of the peer, this instance stopped': {
    linbit: { rc: 0, score: '5', role: 'Secondary' },
    ours: { rc: 0, score: '5', role: 'down' },
    reason:
      'drbd.ocf runs `drbdadm -v adjust` on every start notification, which on a stopped instance is a full ' +
      '`up`: DRBD runs on a node where Pacemaker believes the clone instance is stopped. Ours only re-adjusts an ' +
      'instance that is running.',
  },
  'recurring monitor, running but missing from drbdconf': {
    linbit: { rc: 5, score: undefined, role: 'Secondary' },
    ours: { rc: 1, score: undefined, role: 'Secondary' },
    reason:
      'Both remove the score (the node cannot find its resource). The exit code follows the framework\'s policy ' +
      'for a broken environment, as in the row "module missing, recurring monitor": 1 with the reason ' +
      '"DRBD resource r0 not found in configuration file ..."; 5 for start, promote and validate-all.',
  },
  'module missing, recurring monitor': {
    linbit: { rc: 5, score: '5', role: 'down' },
    ours: { rc: 1, score: '5', role: 'down' },
    reason:
      'The framework\'s single policy for a broken environment (ocf-rarun): a recurring monitor reports a failure ' +
      '(1) with the reason "DRBD kernel (module) not available?"; 5 is kept for probes, start and validate-all, ' +
      'where it means "cannot run on this node".',
  },
};

// a LINBIT promote refusal alone sleeps 15 s; the machine is shared
vi.setConfig({ testTimeout: 120_000 });

let s: DrbdStandIn;
let otherConf: string;
beforeAll(async () => {
  s = await drbdStandIn();
  otherConf = join(s.dir, 'other.conf');
  await writeFile(otherConf, (await readFile(s.conf, 'utf8')).replace('resource r0 {', 'resource r9 {'));
});
afterAll(async () => {
  await s?.cleanup();
});

async function outcome(run: typeof runOurs, c: Case): Promise<Outcome> {
  s.set((st) => {
    st.kernel = c.kernel ?? '9.2.12';
    st.module = 'loaded';
    st.link = true;
    st.faults = {};
    st.syncGen = 1;
    for (const n of [st.nodes.alpha, st.nodes.beta]) {
      n.md = 'UpToDate';
      n.gen = 1;
    }
    st.nodes.alpha.rt = null;
    st.nodes.beta.rt = null;
    c.setup(st, s.runtime);
  });
  s.locate(c.locate ?? {});
  s.setScore('alpha', START_SCORE);
  const action = c.action ?? 'monitor';
  const interval: Record<string, string> = action === 'monitor' ? { OCF_RESKEY_CRM_meta_interval: c.probe ? '0' : '10000' } : {};
  const timeoutMs = c.timeoutMs ?? 20_000;
  // Pacemaker kills an agent at the operation timeout: so does this harness (LINBIT relies on it)
  const params = Object.fromEntries(Object.entries(c.params ?? {}).map(([k, v]) => [k, v === OTHER_CONF ? otherConf : v]));
  const r = await run(s, 'alpha', action, { params: { wfc_timeout: '1', ...params }, extra: { ...interval, ...c.extra }, timeoutMs, killAfterMs: timeoutMs + 2000 });
  return { rc: r.code, score: s.score('alpha'), role: s.state().nodes.alpha.rt?.role ?? 'down' };
}

describe('exit code, promotion score and resulting role, LINBIT vs ours, same stand-in state', () => {
  const rows: string[] = [];
  afterAll(() => {
    console.log(`| state | LINBIT rc/score | ours rc/score |\n|---|---|---|\n${rows.join('\n')}`);
  });
  for (const c of cases()) {
    it(c.name, async () => {
      const linbit = await outcome(runLinbit, c);
      const ours = await outcome(runOurs, c);
      rows.push(`| ${c.name} | ${linbit.rc}/${linbit.score ?? '-'}/${linbit.role} | ${ours.rc}/${ours.score ?? '-'}/${ours.role} |`);
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
