// STAND-IN for drbd-utils 9.22 (drbdadm/drbdsetup) on a kernel without DRBD.
// Test use only. A two-node, file-backed state machine following
// /work/shared/reference/drbd-utils.md §1-§4: both "nodes" share one JSON
// state file ($DRBD_STANDIN_DIR/state.json); which node a process plays comes
// from $DRBD_STANDIN_NODE. Output formats and exit codes are those of the
// reference; transient states are skipped (resync is instant) unless a test
// sets them. With a `lab` section in the state, the nodes are e2e lab
// machines (lab-machine.mjs: power, the shared device, mounts).

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { applyPower, labDevNode, mountedHere } from './lab-machine.mjs';

export const DISK_STATES = ['Diskless', 'Attaching', 'Detaching', 'Failed', 'Negotiating', 'Inconsistent', 'Outdated', 'DUnknown', 'Consistent', 'UpToDate'];

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`drbd stand-in: ${name} is not set\n`);
    process.exit(20);
  }
  return v;
}

/** The shared state folder. */
export const standInDir = () => requiredEnv('DRBD_STANDIN_DIR');
/** Which node this process plays. */
export const nodeName = () => requiredEnv('DRBD_STANDIN_NODE');

const statePath = () => path.join(standInDir(), 'state.json');

export function load() {
  return applyPower(JSON.parse(fs.readFileSync(statePath(), 'utf8')), standInDir(), process.env.DRBD_STANDIN_NODE);
}

function save(st) {
  const tmp = `${statePath()}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(st, null, 1));
  fs.renameSync(tmp, statePath());
}

/** Read-modify-write under an exclusive lock file (both nodes share the state). */
export function update(fn) {
  const lock = `${statePath()}.lock`;
  for (let i = 0; ; i++) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      break;
    } catch {
      if (i > 2000) fs.rmSync(lock, { force: true }); // stale after ~10 s
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    const st = load();
    const r = fn(st);
    save(st);
    return r;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

export function peerOf(st, me) {
  return Object.keys(st.nodes).find((n) => n !== me);
}

export function moduleLoaded(st) {
  return st.module === 'loaded';
}

export function is84(st) {
  return st.kernel.startsWith('8.');
}

/** Connection state of `me` towards its peer (reference §4 "Derived view"). */
export function connState(st, me) {
  const a = st.nodes[me].rt;
  const peer = peerOf(st, me);
  const b = st.nodes[peer].rt;
  if (!a || !a.peer) return undefined;
  if (a.connOverride) return a.connOverride;
  if (!a.want || a.sb) return 'StandAlone';
  if (!b || !b.peer || !b.want || b.sb || !st.link) return 'Connecting';
  return 'Connected';
}

/** The peer-device view of `me`: replication, peer disk, peer client, done%. */
export function peerView(st, me) {
  const peer = peerOf(st, me);
  const b = st.nodes[peer].rt;
  const a = st.nodes[me].rt;
  if (connState(st, me) !== 'Connected') return { role: 'Unknown', replication: 'Off', disk: 'DUnknown', client: 'no' };
  return {
    role: b.role,
    replication: a.replication ?? 'Established',
    disk: a.peerDiskOverride ?? b.disk,
    client: b.client ? 'yes' : 'no',
    done: a.done,
  };
}

export function quorumOk(st, me) {
  const a = st.nodes[me].rt;
  return !(a && a.quorumLost);
}

/** drbdsetup's compute_promotion_info (§1.2) for one volume, two nodes. */
function promotionInfo(st, me) {
  const a = st.nodes[me].rt;
  if (!a || !a.minor) return { may: 'no', score: 0 };
  if (!quorumOk(st, me)) return { may: 'no', score: 0 };
  const pv = peerView(st, me);
  const localUtd = a.disk === 'UpToDate';
  const replicas = (localUtd ? 1 : 0) + (pv.disk === 'UpToDate' ? 1 : 0);
  if (replicas === 0) return { may: 'no', score: 0 };
  const attached = ['UpToDate', 'Consistent', 'Inconsistent'].includes(a.disk);
  const score = (attached ? 10000 : 0) + 100 * (localUtd ? 1 : 0) + replicas;
  const anyPrimary = a.role === 'Primary' || pv.role === 'Primary';
  return { may: anyPrimary ? 'no' : 'yes', score };
}

const suspendedOf = (st, me) => {
  const a = st.nodes[me].rt;
  return a.role === 'Primary' && !quorumOk(st, me) ? 'quorum' : 'no';
};

/** `drbdsetup events2 --now RES` (§1). */
export function events2(st, me, res, statistics) {
  const lines = [];
  const a = st.nodes[me].rt;
  if (a && res === st.res) {
    const pi = promotionInfo(st, me);
    const peer = peerOf(st, me);
    const pid = st.nodes[peer].id;
    const cs = connState(st, me);
    const pv = peerView(st, me);
    lines.push(`exists resource name:${res} role:${a.role} suspended:${suspendedOf(st, me)} force-io-failures:no${statistics ? ' write-ordering:flush' : ''} may_promote:${pi.may} promotion_score:${pi.score}`);
    if (cs) {
      lines.push(`exists connection name:${res} peer-node-id:${pid} conn-name:${peer} connection:${cs} role:${pv.role}${statistics ? ' congested:no ap-in-flight:0 rs-in-flight:0' : ''}`);
    }
    if (a.minor) {
      const backing = a.disk === 'Diskless' ? 'none' : st.nodes[me].backing;
      lines.push(`exists device name:${res} volume:0 minor:${st.minor} backing_dev:${backing} disk:${a.disk} client:${a.client ? 'yes' : 'no'} quorum:${quorumOk(st, me) ? 'yes' : 'no'}${statistics ? ' size:1048508 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no' : ''}`);
    }
    if (cs && a.minor) {
      const done = pv.done !== undefined ? ` done:${pv.done.toFixed(2)}` : '';
      lines.push(`exists peer-device name:${res} peer-node-id:${pid} conn-name:${peer} volume:0 replication:${pv.replication} peer-disk:${pv.disk} peer-client:${pv.client} resync-suspended:no${done}${statistics ? ' received:0 sent:0 out-of-sync:0 pending:0 unacked:0' : ''}`);
    }
    if (cs) {
      lines.push(`exists path name:${res} peer-node-id:${pid} conn-name:${peer} local:ipv4:${st.nodes[me].addr} peer:ipv4:${st.nodes[peer].addr} established:${cs === 'Connected' ? 'yes' : 'no'}`);
    }
  }
  lines.push('exists -');
  return `${lines.join('\n')}\n`;
}

/** `drbdsetup status RES` text, not a terminal (§2.1), without wrapping (lines stay short). */
export function statusText(st, me, res) {
  const a = st.nodes[me].rt;
  const peer = peerOf(st, me);
  const out = [];
  const susp = suspendedOf(st, me);
  out.push(`${res} role:${a.role}${susp !== 'no' ? ` suspended:${susp}` : ''}`);
  if (a.minor) {
    const client = a.disk === 'Diskless' ? ` client:${a.client ? 'yes' : 'no'}` : '';
    out.push(`  disk:${a.disk}${client}${quorumOk(st, me) ? '' : ' quorum:no'}`);
  }
  const cs = connState(st, me);
  if (cs) {
    const pv = peerView(st, me);
    out.push(cs === 'Connected' ? `  ${peer} role:${pv.role}` : `  ${peer} connection:${cs}`);
    if (cs === 'Connected' && a.minor) {
      const repl = pv.replication !== 'Established' ? `replication:${pv.replication} ` : '';
      const pc = pv.disk === 'Diskless' ? ` peer-client:${pv.client}` : '';
      const done = pv.done !== undefined ? ` done:${pv.done.toFixed(2)}` : '';
      out.push(`    ${repl}peer-disk:${pv.disk}${pc}${done}`);
    }
  }
  return `${out.join('\n')}\n\n`;
}

/**
 * `drbdsetup status RES --json` (§2.3), for the shapes the reference shows:
 * a device and a connection, no resync in progress. Other shapes return
 * undefined (the stand-in then refuses rather than guess a format).
 */
export function statusJson(st, me, res) {
  const a = st.nodes[me].rt;
  const peer = peerOf(st, me);
  const cs = connState(st, me);
  const pv = peerView(st, me);
  if (!a.minor || !cs || pv.done !== undefined || !['Established', 'Off'].includes(pv.replication)) return undefined;
  const q = !quorumOk(st, me);
  const susp = suspendedOf(st, me) !== 'no';
  return `[
{
  "name": "${res}",
  "node-id": ${st.nodes[me].id},
  "role": "${a.role}",
  "suspended": ${susp},
  "suspended-user": false,
  "suspended-no-data": false,
  "suspended-fencing": false,
  "suspended-quorum": ${susp && q},
  "force-io-failures": false,
  "write-ordering": "flush",
  "devices": [
    {
      "volume": 0,
      "minor": ${st.minor},
      "disk-state": "${a.disk}",
      "client": ${a.client},
      "quorum": ${!q},
      "size": 1048508,
      "read": 0,
      "written": 0,
      "al-writes": 0,
      "bm-writes": 0,
      "upper-pending": 0,
      "lower-pending": 0
    } ],
  "connections": [
    {
      "peer-node-id": ${st.nodes[peer].id},
      "name": "${peer}",
      "connection-state": "${cs}", 
      "congested": false,
      "peer-role": "${pv.role}",
      "ap-in-flight": 0,
      "rs-in-flight": 0,
      "peer_devices": [
        {
          "volume": 0,
          "replication-state": "${pv.replication}",
          "peer-disk-state": "${pv.disk}",
          "peer-client": ${pv.client === 'yes'},
          "resync-suspended": "no",
          "received": 0,
          "sent": 0,
          "out-of-sync": 0,
          "pending": 0,
          "unacked": 0,
          "has-sync-details": false,
          "has-online-verify-details": false,
          "percent-in-sync": 100.00
        } ]
    } ]
}
]

`;
}

/** drbdsetup-84 `sh-status RES`: one shell-assignment block per minor. */
export function shStatus84(st, me, res) {
  const a = st.nodes[me].rt;
  if (!a || res !== st.res || !a.minor) return '';
  const cs = connState(st, me) ?? 'StandAlone';
  const cstate = cs === 'Connected' ? (st.nodes[me].rt.replication84 ?? 'Connected') : cs === 'Connecting' ? 'WFConnection' : cs;
  const pv = peerView(st, me);
  return [
    `_minor=${st.minor}`, `_res_name=${res}`, '_volume=0', '_known=Configured', '',
    `_cstate=${cstate}`, `_role=${a.role}`, `_peer=${pv.role}`, `_disk=${a.disk}`, `_pdsk=${pv.disk}`, '',
    `_flags_susp=`, `_flags_aftr_isp=`, `_flags_peer_isp=`, `_flags_user_isp=`,
    `_resynced_percent=${pv.done !== undefined ? pv.done.toFixed(1) : ''}`, '', '_sh_status_process', '',
  ].join('\n');
}

/** `drbdadm --version` (§3.2). */
export function versionText(st) {
  const loaded = moduleLoaded(st);
  const [x, y, z] = st.kernel.split('.').map(Number);
  const code = loaded ? `0x${[x, y, z].map((n) => n.toString(16).padStart(2, '0')).join('')}` : '0x000000';
  return [
    'DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe02187f83790b88ac3e0d94f3c167adab\\ reproducible\\ build\\,\\ 2023-01-09\\ 14:51:18',
    'DRBDADM_API_VERSION=2',
    `DRBD_KERNEL_VERSION_CODE=${code}`,
    `DRBD_KERNEL_VERSION=${loaded ? st.kernel : '0'}`,
    'DRBDADM_VERSION_CODE=0x091600',
    'DRBDADM_VERSION=9.22.0',
    '',
  ].join('\n');
}

/** Failure of a drbdsetup call, as drbdsetup prints it and drbdadm adds to it. */
export class DrbdFailure extends Error {
  constructor(code, text) {
    super(text);
    this.code = code;
  }
}

const stateFail = (res, n, text, code) => new DrbdFailure(code, `${res}: State change failed: (${n}) ${text}`);
const cfgFail = (res, n, text) => new DrbdFailure(10, `${res}: Failure: (${n}) ${text}\nadditional info from kernel:\n${n === 158 ? 'unknown resource' : text}`);

function devNode(st, me, create) {
  const dir = process.env.DRBD_STANDIN_DEVDIR;
  if (!dir) return;
  if (st.lab && create) return labDevNode(st, dir, st.nodes[me].rt.role);
  const p = path.join(dir, `drbd${st.minor}`);
  try {
    if (create) fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(p, { force: true });
  } catch {
    /* best effort */
  }
  if (!create) return;
  // a block device node, as udev creates one after new-minor; falls back to a file
  const mk = spawnSyncSafe('mknod', [p, 'b', '147', String(st.minor)]);
  if (!mk) fs.writeFileSync(p, '');
}

function spawnSyncSafe(cmd, args) {
  try {
    return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
}

/** disk_state_from_md (§4 attach). */
function diskFromMd(st, me) {
  const md = st.nodes[me].md;
  if (md === 'UpToDate' || md === 'Consistent') return st.fencing !== 'dont-care' ? 'Consistent' : 'UpToDate';
  return md;
}

/** What happens when both sides want a connection: handshake and instant resync (§4 connect). */
export function handshake(st) {
  const [n1, n2] = Object.keys(st.nodes);
  if (connState(st, n1) !== 'Connected') return;
  const A = st.nodes[n1];
  const B = st.nodes[n2];
  if (!A.rt.minor || !B.rt.minor || A.rt.client || B.rt.client) return;
  if (A.rt.disk === 'Diskless' || B.rt.disk === 'Diskless') return;
  const aNew = A.gen > st.syncGen;
  const bNew = B.gen > st.syncGen;
  if (aNew && bNew && A.rt.disk === 'UpToDate' && B.rt.disk === 'UpToDate') {
    A.rt.sb = true;
    B.rt.sb = true;
    return;
  }
  const good = (x) => x.rt.disk === 'UpToDate' || x.rt.disk === 'Consistent';
  const rank = (x) => (x.rt.disk === 'UpToDate' ? 3 : x.rt.disk === 'Consistent' ? 2 : x.rt.disk === 'Outdated' ? 1 : 0);
  let src;
  if (good(A) && good(B)) src = A.gen >= B.gen ? A : B;
  else if (rank(A) !== rank(B)) src = rank(A) > rank(B) ? A : B;
  if (!src || !good(src) && src.rt.disk !== 'Outdated') return;
  if (src.rt.disk === 'Outdated') return; // Outdated against Inconsistent: no sync source with good data
  for (const x of [A, B]) {
    x.rt.disk = 'UpToDate';
    x.md = 'UpToDate';
    x.gen = src.gen;
  }
  st.syncGen = src.gen;
}

function needRes(st, me, res) {
  if (res !== st.res || !st.nodes[me].rt) throw cfgFail(res, 158, 'Unknown resource');
  return st.nodes[me].rt;
}

/** The state-changing drbdsetup commands; each mutates `st` or throws DrbdFailure. */
export const ops = {
  'new-resource'(st, me, res) {
    if (res !== st.res) throw cfgFail(res, 158, 'Unknown resource');
    st.nodes[me].rt ??= { role: 'Secondary', minor: false, disk: 'Diskless', client: false, peer: false, want: false, open: false, sb: false };
  },
  'new-minor'(st, me, res) {
    const rt = needRes(st, me, res);
    if (rt.minor) throw cfgFail(res, 161, 'Minor or volume exists already (delete it first)');
    rt.minor = true;
    rt.disk = 'Diskless';
    devNode(st, me, true);
  },
  attach(st, me, res) {
    const rt = needRes(st, me, res);
    if (!rt.minor) throw cfgFail(res, 127, 'Device minor not allocated');
    if (rt.disk !== 'Diskless' || rt.client) return;
    if (st.nodes[me].md === 'none') throw cfgFail(res, 119, 'No valid meta-data signature found.');
    rt.disk = diskFromMd(st, me);
    handshake(st);
  },
  'new-peer'(st, me, res) {
    needRes(st, me, res).peer = true;
  },
  connect(st, me, res) {
    const rt = needRes(st, me, res);
    rt.peer = true;
    rt.want = true;
    rt.sb = false;
    handshake(st);
  },
  disconnect(st, me, res) {
    const rt = needRes(st, me, res);
    rt.want = false;
  },
  primary(st, me, res, force) {
    const rt = needRes(st, me, res);
    const fault = st.faults?.[me]?.primary;
    if (fault === 17) throw stateFail(res, -2, 'Need access to UpToDate data', 17);
    if (fault === 11) throw stateFail(res, -1, 'Multiple primaries not allowed by config', 11);
    if (rt.role === 'Primary') return;
    const pv = peerView(st, me);
    if (pv.role === 'Primary' && !st.allowTwoPrimaries) throw stateFail(res, -1, 'Multiple primaries not allowed by config', 11);
    if (!quorumOk(st, me)) throw stateFail(res, -25, 'No quorum', 11);
    if (force) {
      if (rt.disk !== 'UpToDate' && pv.disk !== 'UpToDate') {
        rt.disk = 'UpToDate';
        st.nodes[me].md = 'UpToDate';
        st.nodes[me].gen = Math.max(st.nodes[me].gen, st.syncGen) + 1;
        if (connState(st, me) === 'Connected') {
          st.syncGen = st.nodes[me].gen;
          handshake(st);
        }
      }
    } else if (rt.disk !== 'UpToDate' && pv.disk !== 'UpToDate') {
      throw stateFail(res, -2, 'Need access to UpToDate data', 17);
    }
    rt.role = 'Primary';
    if (st.lab) devNode(st, me, true);
    // writes while the peer cannot see them make this side's data newer
    if (connState(st, me) !== 'Connected' && rt.disk === 'UpToDate') st.nodes[me].gen += 1;
  },
  secondary(st, me, res) {
    const rt = needRes(st, me, res);
    if (rt.open || mountedHere(st)) throw stateFail(res, -12, 'Device is held open by someone', 11);
    if (rt.role === 'Secondary') return;
    rt.role = 'Secondary';
    if (st.lab && rt.minor) devNode(st, me, true);
  },
  down(st, me, res) {
    const node = st.nodes[me];
    const rt = node.rt;
    if (!rt || res !== st.res) return;
    if (rt.open || mountedHere(st)) throw stateFail(res, -12, 'Device is held open by someone', 11);
    if (rt.minor && !rt.client && rt.disk !== 'Diskless') {
      node.md = ['Attaching', 'Negotiating', 'Detaching', 'Failed'].includes(rt.disk) ? node.md : rt.disk;
    }
    node.rt = null;
    devNode(st, me, false);
  },
  outdate(st, me, res) {
    const node = st.nodes[me];
    const rt = node.rt;
    if (rt && rt.minor && rt.disk !== 'Diskless') {
      if (rt.role === 'Primary') throw stateFail(res, -2, 'Need access to UpToDate data', 17);
      if (connState(st, me) === 'Connected') throw stateFail(res, -6, 'Refusing to be Outdated while Connected', 11);
      if (rt.disk === 'Inconsistent') throw stateFail(res, -16, 'Disk state is lower than outdated', 5);
      rt.disk = 'Outdated';
      node.md = 'Outdated';
      return;
    }
    // not attached: drbdmeta's outdate on the meta-data
    if (node.md === 'Inconsistent' || node.md === 'none') throw new DrbdFailure(5, 'Device is inconsistent, refusing to outdate');
    node.md = 'Outdated';
  },
};

/** Sleeps forever when the test injected a hang for this command on this node. */
export function maybeHang(st, me, cmd) {
  const h = st.faults?.[me]?.hang;
  if (h && (h === cmd || (Array.isArray(h) && h.includes(cmd)))) {
    setInterval(() => {}, 1 << 30);
    return true;
  }
  return false;
}
