// ocf:palisade:Filesystem — mounts a filesystem on one node at a time,
// parameter-compatible with ocf:heartbeat:Filesystem. The agent observes
// (is OUR device mounted on the directory?) and the framework derives the
// exit codes. start (start.ts) mounts and verifies; stop (stop.ts) unmounts
// submounts and other mounts of the device first and escalates signals only
// to processes that use the mount. Those modules, the deep monitors and
// blkid are loaded only by the actions that use them: a depth-0 monitor runs
// every 20 s and should load no more than it needs.
import { defineAgent, type Observed, type OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { hasOption, mountIsOurs } from './device.js';
import { cloneSafety } from './fstypes.js';
import { mountAt } from './mountinfo.js';
import { filesystemParams, type FilesystemParams } from './params.js';
import { lazyTagProbe, readTable, resourceOf, systemWideHazard } from './resource.js';

async function validate(p: FilesystemParams, ctx: OcfContext): Promise<void> {
  const mounts = readTable();
  const res = await resourceOf(p, mounts);
  const hazard = await systemWideHazard(res, mounts);
  if (hazard) throw new OcfError(OCF.ERR_CONFIGURED, hazard);
  if ((ctx.action === 'start' || ctx.action === 'validate-all') && ctx.meta.clone_max) {
    // ocf_is_clone: clone_max is set for every clone instance.
    const safety = cloneSafety(res.fstype, hasOption(res.options, 'ro'), p.force_clones);
    if (safety === 'unsafe') {
      throw new OcfError(OCF.ERR_CONFIGURED,
        `DANGER! ${res.fstype} on ${p.device} is NOT cluster-aware; refusing to run it as a clone (set force_clones=true only if every node mounts its own device)`);
    }
    if (safety !== 'cluster-aware') {
      ctx.log.warn(`${res.fstype} on ${p.device} is not cluster-aware; running as a clone because ${safety === 'forced' ? 'force_clones=true' : 'it is mounted read-only'}`);
    }
  }
  if (ctx.action === 'validate-all' && ctx.checkLevel >= 10) await (await import('./prepare.js')).locateDevice(ctx, res.spec);
}

async function observe(p: FilesystemParams, ctx: OcfContext): Promise<Observed> {
  const mounts = readTable();
  const res = await resourceOf(p, mounts);
  const top = mountAt(mounts, res.dir);
  if (!top) return 'stopped';
  const own = await mountIsOurs(top, res.spec, lazyTagProbe(ctx));
  if (!own.ours) {
    // Not ours: a probe or stop sees this resource as stopped and leaves the
    // mount alone; a monitor or start fails (node-local, so 1, not 6:
    // ClusterLabs/resource-agents#2138).
    if (ctx.isProbe || ctx.action === 'stop') {
      ctx.log.info(`${res.dir}: ${own.why}; that is not this resource`);
      return 'stopped';
    }
    throw new OcfError(OCF.ERR_GENERIC, `Another device is mounted on ${res.dir}: ${own.why}`);
  }
  if ((ctx.action !== 'monitor' && ctx.action !== 'status') || ctx.checkLevel === 0) return 'running';
  if (ctx.checkLevel === 10) await (await import('./deep.js')).readDevice(ctx, res, top);
  else if (ctx.checkLevel === 20) await (await import('./deep.js')).statusCheck(ctx, res, p.statusfile_prefix);
  else throw new OcfError(OCF.ERR_CONFIGURED, `unsupported monitor level ${ctx.checkLevel} (supported: 0, 10, 20)`);
  return 'running';
}

export const filesystem = defineAgent({
  name: 'Filesystem',
  version: '1.0.0',
  shortdesc: 'Manages filesystem mounts',
  longdesc:
    'Mounts a filesystem (block device, UUID/LABEL, NFS/CIFS export, bind mount or loop image) on one node, ' +
    'compatible with ocf:heartbeat:Filesystem. monitor checks that this resource\'s device, and no other, is ' +
    'mounted on the directory (depth 0); reads a block from the device with O_DIRECT (OCF_CHECK_LEVEL=10); or ' +
    'writes, syncs and reads back a status file on it (OCF_CHECK_LEVEL=20). stop unmounts submounts and other ' +
    'mounts of the device first; when a mount is busy it signals only the processes that have their directory, ' +
    'an open file or a mapping below it (never pid 1 or the agent\'s own ancestors), first with term_signals, ' +
    'then with kill_signals, within the stop timeout. "/" and mounts of the root filesystem are refused.',
  params: filesystemParams,
  actions: [
    { name: 'start', timeout: 60 },
    { name: 'stop', timeout: 60 },
    { name: 'monitor', timeout: 40, interval: 20, depth: 0 },
    { name: 'validate-all', timeout: 5 },
    { name: 'meta-data', timeout: 5 },
  ],
  validate,
  observe,
  start: async (p, ctx) => (await import('./start.js')).start(p, ctx),
  stop: async (p, ctx) => (await import('./stop.js')).stop(p, ctx),
});
