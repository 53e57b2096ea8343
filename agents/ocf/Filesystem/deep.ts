// The deep monitors: depth 10 reads a block of the device, depth 20 writes,
// syncs and reads back a status file on the mount; stop removes that file.
import { hostname } from 'node:os';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { oneLine, requireBinary } from './binaries.js';
import { blockDeviceNumber, describeSpec } from './device.js';
import type { MountEntry } from './mountinfo.js';
import type { Resource } from './resource.js';
import { removeStatusFile, statusFileInside, statusFilePath, writeAndVerify } from './statusfile.js';

/** The block device behind a mount, for the depth-10 read. */
async function mountedBlockDevice(res: Resource, top: MountEntry): Promise<string | undefined> {
  if (res.spec.kind === 'block' && (await blockDeviceNumber(res.spec.path))) return res.spec.path;
  if ((res.spec.kind === 'block' || res.spec.kind === 'tag' || res.spec.kind === 'loopfile') && (await blockDeviceNumber(top.source))) {
    return top.source;
  }
  return undefined;
}

/** Depth 10: one 4 KiB block read with O_DIRECT, so the device answers and not the page cache. */
export async function readDevice(ctx: OcfContext, res: Resource, top: MountEntry): Promise<void> {
  const dev = await mountedBlockDevice(res, top);
  if (dev === undefined) {
    ctx.log.warn(`${describeSpec(res.spec)} is not a block device, monitor 10 is noop`);
    return;
  }
  const dd = requireBinary(ctx, 'dd', 'the depth-10 monitor reads the device with it');
  const r = await ctx.run(dd, [`if=${dev}`, 'of=/dev/null', 'iflag=direct', 'bs=4096', 'count=1']);
  if (r.failed) {
    throw new OcfError(OCF.ERR_GENERIC, `Failed to read device ${dev}: ${r.timedOut ? 'timed out' : oneLine(r.stderr || r.spawnError || `exit ${r.exitCode}`)}`);
  }
}

const STATUS_REMOVE_MS = 2000;

function statusFileOf(ctx: OcfContext, res: Resource, prefix: string): string {
  const file = statusFilePath(res.dir, prefix, ctx.instance, ctx.meta.clone, hostname());
  if (!statusFileInside(res.dir, file)) {
    throw new OcfError(OCF.ERR_CONFIGURED, `statusfile_prefix '${prefix}' puts the status file ${file} outside ${res.dir}`);
  }
  return file;
}

/** Depth 20: write, sync and read back the status file. */
export async function statusCheck(ctx: OcfContext, res: Resource, prefix: string): Promise<void> {
  const file = statusFileOf(ctx, res, prefix);
  try {
    await writeAndVerify(file, `${ctx.instance}\n`);
  } catch (err) {
    throw new OcfError(OCF.ERR_GENERIC, (err as Error).message, { cause: err });
  }
}

/** Stop removes the status file so it does not travel with the filesystem; failure only warns (read-only fs). */
export async function removeStatus(ctx: OcfContext, res: Resource, prefix: string): Promise<void> {
  let file: string;
  try {
    file = statusFileOf(ctx, res, prefix);
  } catch {
    return; // a prefix outside the mount was never written to
  }
  // Bounded: on a dead NFS server the unlink may hang, and stop must go on to umount -f.
  const removal = removeStatusFile(file).then(
    () => true,
    (err: Error) => {
      ctx.log.warn(`Failed to remove status file ${file}: ${err.message}`);
      return true;
    },
  );
  const done = await Promise.race([removal, ctx.sleep(STATUS_REMOVE_MS).then(() => false)]);
  if (!done) ctx.log.warn(`removing status file ${file} did not finish within ${STATUS_REMOVE_MS} ms; unmounting anyway`);
}
