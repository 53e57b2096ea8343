// What `device` names, and whether a mount table entry is a mount of it.
// The spec forms follow heartbeat Filesystem and mount(8): a block device
// path, -U/-L/--uuid/--label, UUID=/LABEL=/PARTUUID=/PARTLABEL= tags, a bind
// source, a loop image, or a network/pseudo source such as host:/export.
import { fs } from '../framework/_builtins.js';
import { basename } from 'node:path';
import { isBlockType } from './fstypes.js';
import type { MountEntry } from './mountinfo.js';

const { readFile, realpath, stat } = fs.promises;

export type Tag = 'UUID' | 'LABEL' | 'PARTUUID' | 'PARTLABEL';

export const TAGS: readonly Tag[] = ['UUID', 'LABEL', 'PARTUUID', 'PARTLABEL'];

/** udev's /dev/disk/by-* link for a tag, if the value needs no escaping and the link is there. */
export async function tagLink(tag: Tag, value: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9._+:-]+$/.test(value)) return undefined;
  const link = `/dev/disk/by-${tag.toLowerCase()}/${value}`;
  return (await blockDeviceNumber(link)) ? link : undefined;
}

export type DeviceSpec =
  | { readonly kind: 'block'; readonly path: string }
  | { readonly kind: 'tag'; readonly tag: Tag; readonly value: string }
  | { readonly kind: 'bind'; readonly path: string }
  | { readonly kind: 'loopfile'; readonly path: string }
  | { readonly kind: 'source'; readonly source: string };

export function hasOption(options: string, name: string): boolean {
  return options.split(',').some((o) => o.trim() === name);
}

function unquote(v: string): string {
  const m = /^"(.*)"$/.exec(v) ?? /^'(.*)'$/.exec(v);
  return m ? m[1]! : v;
}

/** Parses a tag form, or returns undefined when `device` is not one. */
function parseTag(device: string): { tag: Tag; value: string } | undefined {
  const long = /^--(uuid|label)(?:=|\s+)(.*)$/.exec(device);
  if (long) return { tag: long[1] === 'uuid' ? 'UUID' : 'LABEL', value: unquote(long[2]!.trim()) };
  const short = /^-([UL])\s*(.*)$/.exec(device);
  if (short) return { tag: short[1] === 'U' ? 'UUID' : 'LABEL', value: unquote(short[2]!.trim()) };
  const eq = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.*)$/.exec(device);
  if (eq) return { tag: eq[1] as Tag, value: unquote(eq[2]!) };
  return undefined;
}

/**
 * Classifies `device` for `fstype` and `options`. Throws a plain message
 * (the caller maps it to OCF_ERR_CONFIGURED) for forms that cannot work.
 */
export function parseDeviceSpec(device: string, fstype: string, options: string): DeviceSpec {
  const tag = parseTag(device);
  if (tag) {
    if (tag.value === '') throw new Error(`device '${device}' names no ${tag.tag} value`);
    return { kind: 'tag', ...tag };
  }
  if (fstype === 'none' || hasOption(options, 'bind') || hasOption(options, 'rbind')) {
    return { kind: 'bind', path: device };
  }
  if (!isBlockType(fstype)) return { kind: 'source', source: device };
  if (hasOption(options, 'loop')) return { kind: 'loopfile', path: device };
  return { kind: 'block', path: device };
}

export function describeSpec(spec: DeviceSpec): string {
  switch (spec.kind) {
    case 'tag':
      return `${spec.tag}=${spec.value}`;
    case 'source':
      return spec.source;
    default:
      return spec.path;
  }
}

/** Linux dev_t split (glibc gnu_dev_major/minor). */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** Device number of a block special file, or undefined if `path` is missing or not a block device. */
export async function blockDeviceNumber(path: string): Promise<{ major: number; minor: number } | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return st.isBlockDevice() ? splitDev(st.rdev) : undefined;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if (isMissing(err)) return path;
    throw err;
  }
}

/** Strips trailing slashes but keeps a lone "/" and "host:/". */
export function trimSlashes(s: string): string {
  const t = s.replace(/\/+$/, '');
  return t === '' || t.endsWith(':') ? `${t}/` : t;
}

/** The image file behind /dev/loopN, from sysfs (no losetup needed). */
export async function loopBackingFile(loopDev: string): Promise<string | undefined> {
  if (!/^\/dev\/loop\d+$/.test(loopDev)) return undefined;
  try {
    const text = await readFile(`/sys/block/${basename(loopDev)}/loop/backing_file`, 'utf8');
    return text.replace(/\n$/, '');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

export type Ownership = { readonly ours: true } | { readonly ours: false; readonly why: string };

/** Looks tags up; injected so callers decide how (blkid) and tests can see the calls. */
export interface TagProbe {
  /** The tag values of one device, e.g. {UUID: '…', LABEL: 'data'}. */
  tagsOf(devicePath: string): Promise<Partial<Record<Tag, string>>>;
}

/**
 * Is `mount` a mount of `spec`? Compared by what identifies a filesystem
 * without touching it: device numbers for block devices (symlinks and
 * /dev/mapper aliases resolve to the same number), tags probed on the mounted
 * device, the loop backing file, or the source string for network mounts.
 */
export async function mountIsOurs(mount: MountEntry, spec: DeviceSpec, probe: TagProbe): Promise<Ownership> {
  const mounted = `${mount.source} (${mount.major}:${mount.minor}, ${mount.fstype})`;
  switch (spec.kind) {
    case 'block': {
      const num = await blockDeviceNumber(spec.path);
      if (num && num.major === mount.major && num.minor === mount.minor) return { ours: true };
      // btrfs and friends report an anonymous device number: fall back to the path.
      if ((await canonical(spec.path)) === (await canonical(mount.source))) return { ours: true };
      const want = num ? `${spec.path} (${num.major}:${num.minor})` : `${spec.path} (not present)`;
      return { ours: false, why: `${mounted} is mounted there, not ${want}` };
    }
    case 'tag': {
      if (!mount.source.startsWith('/dev/')) {
        return { ours: false, why: `${mounted} is mounted there, not a device with ${spec.tag}=${spec.value}` };
      }
      const link = await tagLink(spec.tag, spec.value);
      const num = link ? await blockDeviceNumber(link) : undefined;
      if (num && num.major === mount.major && num.minor === mount.minor) return { ours: true };
      const tags = await probe.tagsOf(mount.source);
      if (tags[spec.tag] === spec.value) return { ours: true };
      const has = tags[spec.tag] === undefined ? `no ${spec.tag}` : `${spec.tag}=${tags[spec.tag]}`;
      return { ours: false, why: `${mounted} is mounted there and has ${has}, not ${spec.tag}=${spec.value}` };
    }
    case 'loopfile': {
      const backing = await loopBackingFile(mount.source);
      if (backing !== undefined && backing === (await canonical(spec.path))) return { ours: true };
      return { ours: false, why: `${mounted} is mounted there, not a loop device of ${spec.path}` };
    }
    case 'bind': {
      // A bind of X shows X's filesystem: compare the mounted root with X itself.
      try {
        const [here, src] = await Promise.all([stat(mount.mountPoint, { bigint: true }), stat(spec.path, { bigint: true })]);
        if (here.dev === src.dev && here.ino === src.ino) return { ours: true };
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      return { ours: false, why: `${mounted} is mounted there, not a bind mount of ${spec.path}` };
    }
    case 'source': {
      if (trimSlashes(mount.source) === trimSlashes(spec.source)) return { ours: true };
      return { ours: false, why: `${mounted} is mounted there, not ${spec.source}` };
    }
  }
}
