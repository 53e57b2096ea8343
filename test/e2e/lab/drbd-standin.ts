// The drbd-utils stand-in (test/stand-ins/drbd-utils) as the DRBD of two lab
// nodes: one shared state folder, read and written by the stand-in's
// drbdadm/drbdsetup on both nodes (each plays the node named by its host
// name), and one shared block device behind /dev/drbd0 of whichever node is
// Primary. DRBD's replication is modelled by the sharing: both disks hold the
// same data, which is honest only because the stand-in refuses a second
// Primary while the peer is up and connected, and a Secondary's /dev/drbd0
// refuses every open. What it does not model: network partitions (the
// cable) and resync traffic; a node's power it does (lab-machine.mjs).
//
//   const drbd = await drbdStandInFolder();                     // before Lab.create
//   const lab = await Lab.create({ tag, drbdStandIn: { dir: drbd.dir, nodes: ['node1', 'node2'] } });
//   const conf = await drbd.init(lab, ['node1', 'node2'], '/dev/loopN'); // before lab.boot()
//   await lab.node('node1').exec('drbdadm', ['role', 'r0'], drbd.env('node1'));
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STANDIN_BIN } from '../../stand-ins/drbd-utils/api.js';
import { initStandIn } from '../../stand-ins/drbd-utils/init.mjs';
import type { Lab } from './lab.js';

export interface DrbdStandInFolder {
  readonly dir: string;
  /** Writes the pair's state and drbd.conf, for lab.drbdStandIn's nodes; returns the drbd.conf path. */
  init(lab: Lab, nodes: readonly [string, string], device: string): Promise<string>;
  /** For a failed Lab.create: the lab's cleanup removes the folder otherwise (kept with PAL_LAB_KEEP=1). */
  remove(): Promise<void>;
  /** The environment lab-node.sh gives pacemaker on `node`, for commands run there with Machine.exec. */
  env(node: string): NodeJS.ProcessEnv;
}

export async function drbdStandInFolder(): Promise<DrbdStandInFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'pal-drbd-standin-lab-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  return {
    dir,
    remove,
    env: (node) => ({ PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, DRBD_STANDIN_DIR: dir, DRBD_STANDIN_NODE: node, DRBD_STANDIN_DEVDIR: '/dev' }),
    async init(lab, nodes, device) {
      lab.onCleanup(() => (process.env.PAL_LAB_KEEP === '1' ? Promise.resolve() : remove()));
      const { conf } = initStandIn(dir, { names: nodes, lab: { device } });
      // only drbdadm and drbdsetup: the node's modprobe/modinfo stay the real ones (the module counts as built in)
      await mkdir(join(dir, 'bin'));
      for (const tool of ['drbdadm', 'drbdsetup']) await symlink(join(STANDIN_BIN, tool), join(dir, 'bin', tool));
      return conf;
    },
  };
}
