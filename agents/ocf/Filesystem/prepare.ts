// The steps of start that touch the system: kernel support, device lookup,
// fsck, the mount point and buffer flushes. Each failure is an OcfError with
// the exit code heartbeat Filesystem uses for it.
import { dirname } from 'node:path';
import { fs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import type { OcfLog } from '../framework/log.js';
import { requireBinary, oneLine } from './binaries.js';
import { blockDeviceNumber, isMissing, type DeviceSpec } from './device.js';
import { kernelFsName } from './fstypes.js';
import { findByTag } from './tags.js';

const { mkdir, readFile, rmdir, stat } = fs.promises;

async function kernelSupports(name: string): Promise<boolean> {
  const text = await readFile('/proc/filesystems', 'utf8');
  return text.split('\n').some((line) => line.split('\t').pop() === name);
}

/** The fstype is in /proc/filesystems, after modprobe if need be; else OCF_ERR_INSTALLED. */
export async function supportFstype(ctx: OcfContext, fstype: string): Promise<void> {
  if (fstype === '' || fstype === 'none') return;
  const name = kernelFsName(fstype);
  if (await kernelSupports(name)) return;
  const modprobe = requireBinary(ctx, 'modprobe', `filesystem ${name} is not in /proc/filesystems and its module must be loaded`);
  const r = await ctx.run(modprobe, [name]);
  if (r.failed) {
    throw new OcfError(OCF.ERR_INSTALLED,
      `Couldn't find filesystem ${name} in /proc/filesystems and failed to load kernel module: ${oneLine(r.stderr || r.spawnError || `exit ${r.exitCode}`)}`);
  }
  // A freshly loaded module may register its filesystem a moment later.
  for (let waited = 0; waited < 5000 && ctx.remaining() > 0; waited += 100) {
    if (await kernelSupports(name)) return;
    await ctx.sleep(100);
  }
  throw new OcfError(OCF.ERR_INSTALLED, `Couldn't find filesystem ${name} in /proc/filesystems after loading its module`);
}

export interface LocatedDevice {
  /** What mount gets as its source. */
  readonly mountArg: string;
  /** The block device node, when there is one (fsck, buffer flush). */
  readonly blockDevice?: string;
}

/** Lets udev create a device node that shared storage just announced (heartbeat: trigger_udev_rules_if_needed). */
async function settleUdev(ctx: OcfContext, path: string): Promise<void> {
  const udevadm = ctx.findBinary('udevadm');
  if (udevadm === undefined) return;
  const secs = Math.max(1, Math.floor(Math.min(ctx.remaining(), 30_000) / 1000));
  await ctx.run(udevadm, ['settle', `--timeout=${secs}`, `--exit-if-exists=${path}`]);
}

async function kindOf(path: string): Promise<'missing' | 'block' | 'dir' | 'file' | 'other'> {
  try {
    const st = await stat(path);
    return st.isBlockDevice() ? 'block' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch (err) {
    if (isMissing(err)) return 'missing';
    throw err;
  }
}

/** Finds what the device parameter names on this node; OCF_ERR_INSTALLED when it is not here. */
export async function locateDevice(ctx: OcfContext, spec: DeviceSpec): Promise<LocatedDevice> {
  switch (spec.kind) {
    case 'block': {
      let kind = await kindOf(spec.path);
      if (kind === 'missing') {
        await settleUdev(ctx, spec.path);
        kind = await kindOf(spec.path);
      }
      if (kind === 'missing') throw new OcfError(OCF.ERR_INSTALLED, `Couldn't find device [${spec.path}]. Expected /dev/??? to exist`);
      if (kind !== 'block') {
        throw new OcfError(OCF.ERR_INSTALLED,
          `device ${spec.path} is not a block device${kind === 'file' ? ' (add options=loop to mount an image file)' : ''}`);
      }
      return { mountArg: spec.path, blockDevice: spec.path };
    }
    case 'tag': {
      let dev = await findByTag(ctx, spec.tag, spec.value);
      if (dev === undefined) {
        await settleUdev(ctx, `/dev/disk/by-${spec.tag.toLowerCase()}/${spec.value}`);
        dev = await findByTag(ctx, spec.tag, spec.value);
      }
      if (dev === undefined) throw new OcfError(OCF.ERR_INSTALLED, `Couldn't find a device with ${spec.tag}=${spec.value} (blkid found none)`);
      if (!(await blockDeviceNumber(dev))) throw new OcfError(OCF.ERR_INSTALLED, `${spec.tag}=${spec.value} resolves to ${dev}, which is not a block device`);
      return { mountArg: dev, blockDevice: dev };
    }
    case 'bind': {
      if ((await kindOf(spec.path)) === 'missing') throw new OcfError(OCF.ERR_INSTALLED, `bind mount source ${spec.path} does not exist`);
      return { mountArg: spec.path };
    }
    case 'loopfile': {
      const kind = await kindOf(spec.path);
      if (kind !== 'file' && kind !== 'block') {
        throw new OcfError(OCF.ERR_INSTALLED, `loop image ${spec.path} ${kind === 'missing' ? 'does not exist' : 'is not a file'}`);
      }
      return { mountArg: spec.path };
    }
    case 'source':
      return { mountArg: spec.source };
  }
}

/** fsck -p; exit codes 4 and up mean errors left uncorrected (fsck(8)). */
export async function fsckDevice(ctx: OcfContext, fstype: string, dev: string): Promise<void> {
  const fsck = requireBinary(ctx, 'fsck', 'run_fsck asks for a check before mounting');
  ctx.log.info(`Starting filesystem check on ${dev}`);
  const r = await ctx.run(fsck, [...(fstype ? ['-t', fstype] : []), '-p', dev]);
  if (r.timedOut) throw new OcfError(OCF.ERR_GENERIC, `${r.command} did not finish within the start timeout`);
  if (r.exitCode === undefined || r.exitCode >= 4) {
    const how = r.exitCode === undefined ? (r.spawnError ?? `signal ${r.signal}`) : `exit code ${r.exitCode}`;
    throw new OcfError(OCF.ERR_GENERIC, `Couldn't successfully fsck filesystem for ${dev} (${how}): ${oneLine(r.stdout + '\n' + r.stderr)}`);
  }
  if (r.exitCode !== 0) ctx.log.warn(`fsck of ${dev} corrected errors (exit code ${r.exitCode})`);
}

/**
 * Creates the mount point if missing and returns the top directory created
 * (for removal if start fails), or undefined when it existed.
 */
export async function makeMountPoint(dir: string): Promise<string | undefined> {
  const kind = await kindOf(dir);
  if (kind === 'dir') return undefined;
  if (kind !== 'missing') throw new OcfError(OCF.ERR_INSTALLED, `${dir} exists and is not a directory; it cannot be a mount point`);
  try {
    return await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new OcfError(OCF.ERR_INSTALLED, `Couldn't create directory [${dir}] to use as a mount point: ${(err as Error).message}`, { cause: err });
  }
}

/** Removes the directories makeMountPoint created, deepest first; only empty ones go. */
export async function removeMadeDirs(dir: string, made: string | undefined, log: OcfLog): Promise<void> {
  if (made === undefined) return;
  for (let d = dir; d.length >= made.length && d !== '/'; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch (err) {
      log.warn(`could not remove ${d}, created for the failed start: ${(err as Error).message}`);
      return;
    }
  }
}

/** blockdev --flushbufs: drops cached blocks another node may have overwritten. Best effort. */
export async function flushBuffers(ctx: OcfContext, dev: string | undefined): Promise<void> {
  if (dev === undefined || !(await blockDeviceNumber(dev))) return;
  const blockdev = ctx.findBinary('blockdev');
  if (blockdev === undefined) return;
  const r = await ctx.run(blockdev, ['--flushbufs', dev]);
  if (r.failed) ctx.log.warn(`${r.command} failed: ${oneLine(r.stderr || r.spawnError || '')}`);
}

