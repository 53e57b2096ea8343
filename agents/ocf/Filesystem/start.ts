// start: refuse to hide mounts below the directory, make sure the kernel
// knows the fstype, find the device, fsck if asked, create the mount point,
// mount and verify that OUR device is what got mounted. A failure after the
// mount point was created or the mount ran takes both back.
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { requireBinary } from './binaries.js';
import { mountIsOurs } from './device.js';
import { fsckWanted } from './fstypes.js';
import { mountAt, mountsBelow } from './mountinfo.js';
import type { FilesystemParams } from './params.js';
import { flushBuffers, fsckDevice, locateDevice, makeMountPoint, removeMadeDirs, supportFstype } from './prepare.js';
import { lazyTagProbe, readTable, resourceOf } from './resource.js';

export async function start(p: FilesystemParams, ctx: OcfContext): Promise<void> {
  const mounts = readTable();
  const res = await resourceOf(p, mounts);
  const hidden = mountsBelow(mounts, res.dir);
  if (hidden.length > 0) {
    // Upstream answers 6 (stopped everywhere); this is a state of this node, so 1.
    const many = hidden.length > 1;
    throw new OcfError(OCF.ERR_GENERIC,
      `${hidden.map((m) => m.mountPoint).join(', ')} ${many ? 'are' : 'is'} mounted below ${res.dir}; mounting on ${res.dir} would hide ${many ? 'them' : 'it'}: unmount first`);
  }
  await supportFstype(ctx, res.fstype);
  const dev = await locateDevice(ctx, res.spec);
  if (dev.blockDevice && fsckWanted(p.run_fsck, res.fstype)) await fsckDevice(ctx, res.fstype, dev.blockDevice);
  const made = await makeMountPoint(res.dir);
  const before = new Set(mounts.map((m) => m.id));
  try {
    await flushBuffers(ctx, dev.blockDevice);
    const args = [
      ...(res.fstype && res.fstype !== 'none' ? ['-t', res.fstype] : []),
      ...(res.options ? ['-o', res.options] : []),
      dev.mountArg,
      res.dir,
    ];
    const r = await ctx.run(requireBinary(ctx, 'mount'), args);
    if (r.failed) {
      const why = r.timedOut ? 'timed out' : (r.stderr || r.spawnError || `exit code ${r.exitCode}`).replace(/\s*\n\s*/g, '; ');
      throw new OcfError(OCF.ERR_GENERIC, `Couldn't mount ${dev.mountArg} on ${res.dir}: ${why}`);
    }
    const top = mountAt(readTable(), res.dir);
    if (!top) throw new OcfError(OCF.ERR_GENERIC, `${r.command} succeeded but nothing is mounted on ${res.dir}`);
    const own = await mountIsOurs(top, res.spec, lazyTagProbe(ctx));
    if (!own.ours) throw new OcfError(OCF.ERR_GENERIC, `after ${r.command}: ${own.why}`);
    ctx.log.info(`mounted ${dev.mountArg} on ${res.dir}`);
  } catch (err) {
    await undoMount(ctx, res.dir, before);
    await removeMadeDirs(res.dir, made, ctx.log);
    throw err;
  }
}

/** Start failed after mount may have run: take off any mount it left, without signalling. */
async function undoMount(ctx: OcfContext, dir: string, before: ReadonlySet<number>): Promise<void> {
  for (let left = 3; left > 0; left--) {
    const top = mountAt(readTable(), dir);
    if (!top || before.has(top.id)) return;
    ctx.log.warn(`start failed: unmounting ${top.source} from ${dir} again`);
    const r = await ctx.run(requireBinary(ctx, 'umount'), [dir]);
    if (r.failed) {
      ctx.log.error(`could not undo the mount on ${dir}: ${r.stderr || r.spawnError}`);
      return;
    }
  }
}
