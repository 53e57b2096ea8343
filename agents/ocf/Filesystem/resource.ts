// The managed mount, worked out from the parameters: the canonical mount
// point, what the device names, and the checks that keep a stop from ever
// reaching the root filesystem (resource-agents 4.12 signalled every process
// on the machine for directory=/; ClusterLabs/resource-agents#1304).
import { fs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { basename, dirname, posix } from 'node:path';
import { blockDeviceNumber, canonical, describeSpec, isMissing, parseDeviceSpec, type DeviceSpec, type TagProbe } from './device.js';
import { mountAt, MountTableError, readMounts, rootMount, type MountEntry } from './mountinfo.js';
import type { FilesystemParams } from './params.js';

const { lstat, realpath } = fs.promises;

export interface Resource {
  /** Canonical absolute mount point, no trailing slash. */
  readonly dir: string;
  readonly spec: DeviceSpec;
  readonly fstype: string;
  readonly options: string;
}

/**
 * Cleans the directory parameter: absolute, no surrounding blanks, no
 * trailing slashes, "." and ".." folded. Returns a problem text instead of throwing.
 */
export function normalizeDirectory(raw: string): { dir: string } | { problem: string } {
  if (raw.trim() !== raw) return { problem: `directory '${raw}' has leading or trailing blanks` };
  if (!raw.startsWith('/')) return { problem: `directory '${raw}' is not an absolute path` };
  const dir = posix.normalize(raw).replace(/\/+$/, '');
  return { dir: dir === '' ? '/' : dir };
}

/**
 * Resolves symlinks in the mount point without touching the mounted
 * filesystem: the parent is resolved, and a path that already is a mount
 * point is taken as is (mount points are never symlinks), so a hung NFS
 * mount cannot block monitor or stop (ClusterLabs/resource-agents#1370).
 */
export async function canonicalDirectory(dir: string, mounts: readonly MountEntry[]): Promise<string> {
  if (dir === '/') return dir;
  const parent = await canonical(dirname(dir));
  const candidate = parent === '/' ? `/${basename(dir)}` : `${parent}/${basename(dir)}`;
  if (mounts.some((m) => m.mountPoint === candidate)) return candidate;
  try {
    if ((await lstat(candidate)).isSymbolicLink()) return await realpath(candidate);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  return candidate;
}

export async function resolveResource(
  p: { readonly device: string; readonly directory: string; readonly fstype: string; readonly options: string },
  mounts: readonly MountEntry[],
): Promise<Resource | { problem: string }> {
  if (p.device.trim() !== p.device) return { problem: `device '${p.device}' has leading or trailing blanks` };
  const norm = normalizeDirectory(p.directory);
  if ('problem' in norm) return norm;
  let spec: DeviceSpec;
  try {
    spec = parseDeviceSpec(p.device, p.fstype, p.options);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  return { dir: await canonicalDirectory(norm.dir, mounts), spec, fstype: p.fstype, options: p.options };
}

/**
 * Why managing `res` could unmount "/" or signal processes all over the
 * system, or undefined when it cannot.
 */
export async function systemWideHazard(res: Resource, mounts: readonly MountEntry[]): Promise<string | undefined> {
  if (res.dir === '/') {
    return `directory resolves to '/': the root filesystem cannot be managed in a cluster (stopping it would unmount / and signal every process)`;
  }
  const root = rootMount(mounts);
  if (!root) return undefined;
  const rootDev = `${root.major}:${root.minor}`;
  if (res.spec.kind === 'block') {
    const num = await blockDeviceNumber(res.spec.path);
    if (num && `${num.major}:${num.minor}` === rootDev) {
      return `device ${res.spec.path} (${rootDev}) holds the root filesystem; it cannot be managed in a cluster`;
    }
  }
  if (res.spec.kind === 'bind' && (await canonical(res.spec.path)) === '/') {
    return `device ${res.spec.path} is '/': a bind mount of the root filesystem cannot be managed in a cluster`;
  }
  const here = mountAt(mounts, res.dir);
  if (here && here.root === '/' && `${here.major}:${here.minor}` === rootDev) {
    return `${res.dir} is a mount of the root filesystem (${here.source}, ${rootDev}), not of ${describeSpec(res.spec)}; refusing to manage it`;
  }
  return undefined;
}

/** The mount table, or OCF_ERR_GENERIC naming what could not be read. */
export function readTable(): MountEntry[] {
  try {
    return readMounts();
  } catch (err) {
    if (err instanceof MountTableError) throw new OcfError(OCF.ERR_GENERIC, `cannot read the mount table: ${err.message}`, { cause: err });
    throw err;
  }
}

const resolved = new WeakMap<FilesystemParams, Resource>();

/** The resource for these parameters, resolved once per process; OCF_ERR_CONFIGURED if it cannot be. */
export async function resourceOf(p: FilesystemParams, mounts: readonly MountEntry[]): Promise<Resource> {
  const known = resolved.get(p);
  if (known) return known;
  const r = await resolveResource(p, mounts);
  if ('problem' in r) throw new OcfError(OCF.ERR_CONFIGURED, r.problem);
  resolved.set(p, r);
  return r;
}

/** blkid, loaded on first use (only UUID=/LABEL= devices need it). */
export function lazyTagProbe(ctx: OcfContext): TagProbe {
  return { tagsOf: async (dev) => (await import('./tags.js')).blkidProbe(ctx).tagsOf(dev) };
}
