// STAND-IN (test use only): the machine side of the drbd-utils stand-in in
// the e2e lab, used when the shared state has a `lab` section (init.mjs).
// There the two "nodes" are lab machines (test/e2e/lab) and three things a
// real DRBD pair gets from its hardware come from here:
//  - power: a node is up while its boot holds $DRBD_STANDIN_DIR/alive-NODE
//    (flock, see lab-node.sh); a peer whose lock is free has crashed, so its
//    kernel state is gone (its meta-data stays as the crash left it);
//  - the device: /dev/drbdN (in the node's own /dev) is the shared block
//    device only while the node is Primary; new-minor and demote make it a
//    node of DRBD's major, which no driver serves, so a Secondary's device
//    refuses every open (DRBD refuses write opens on a Secondary);
//  - "held open": a mount of the shared device in the node's mount namespace
//    makes secondary and down fail with -12, as DRBD does.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const TRANSIENT = ['Attaching', 'Negotiating', 'Detaching', 'Failed'];

/** The lock a node's boot holds while it has power. */
export const aliveLock = (dir, node) => path.join(dir, `alive-${node}`);

/** true when `node`'s boot holds its lock (flock -n fails with 1 on a held lock). */
function poweredOn(dir, node) {
  const r = spawnSync('flock', ['--nonblock', '--exclusive', aliveLock(dir, node), 'true'], { stdio: 'ignore' });
  return r.status === 1;
}

/** A crash (or boot): the kernel's DRBD state is gone, the on-disk meta-data keeps the last disk state. */
export function loseKernelState(node) {
  const rt = node.rt;
  if (rt && rt.minor && !rt.client && rt.disk !== 'Diskless' && !TRANSIENT.includes(rt.disk)) node.md = rt.disk;
  node.rt = null;
}

/** Applies the peers' power to a freshly loaded state: every node other than `me` without power has no kernel state. */
export function applyPower(st, dir, me) {
  if (!st.lab) return st;
  for (const [name, node] of Object.entries(st.nodes)) {
    if (name !== me && node.rt && !poweredOn(dir, name)) loseKernelState(node);
  }
  return st;
}

function rdevOf(file) {
  const r = fs.statSync(file).rdev;
  return { major: Number((BigInt(r) >> 8n) & 0xfffn), minor: Number((BigInt(r) & 0xffn) | ((BigInt(r) >> 12n) & 0xfff00n)) };
}

/** The node's /dev/drbdN as its role makes it: the shared device when Primary, else DRBD's major (no driver). */
export function labDevNode(st, devDir, role) {
  const p = path.join(devDir, `drbd${st.minor}`);
  const tmp = `${p}.pal-${process.pid}`;
  const { major, minor } = role === 'Primary' ? rdevOf(st.lab.device) : { major: 147, minor: st.minor };
  fs.mkdirSync(devDir, { recursive: true });
  fs.rmSync(tmp, { force: true });
  const r = spawnSync('mknod', ['-m', '0660', tmp, 'b', String(major), String(minor)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`drbd stand-in: mknod ${tmp} failed: ${r.stderr}`);
  fs.renameSync(tmp, p);
}

/** Whether this mount namespace has the shared device mounted (DRBD: "held open by someone"). */
export function mountedHere(st) {
  if (!st.lab) return false;
  const { major, minor } = rdevOf(st.lab.device);
  const dev = `${major}:${minor}`;
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[2] === dev);
}
