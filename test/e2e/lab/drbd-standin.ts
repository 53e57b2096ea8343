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
//   const conf = await drbd.init(lab, '/dev/loopN');            // before lab.boot()
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
  /** For a failed Lab.create: the lab's cleanup removes the folder otherwise. */
  remove(): Promise<void>;
}

export async function drbdStandInFolder(): Promise<DrbdStandInFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'pal-lab-drbd-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  return {
    dir,
    remove,
    async init(lab, nodes, device) {
      lab.onCleanup(remove);
      const { conf } = initStandIn(dir, { names: nodes, lab: { device } });
      // only drbdadm and drbdsetup: the node's modprobe/modinfo stay the real ones (the module counts as built in)
      await mkdir(join(dir, 'bin'));
      for (const tool of ['drbdadm', 'drbdsetup']) await symlink(join(STANDIN_BIN, tool), join(dir, 'bin', tool));
      return conf;
    },
  };
}
