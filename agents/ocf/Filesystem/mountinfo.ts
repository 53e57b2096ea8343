// The mount table, read from /proc/self/mountinfo (proc(5)). Unlike
// /proc/mounts it carries mount and parent IDs (stacking and submounts) and
// the device number, so "is our device mounted here" needs no stat() of a
// possibly hung filesystem.
import { fs } from '../framework/_builtins.js';


export interface MountEntry {
  readonly id: number;
  readonly parentId: number;
  readonly major: number;
  readonly minor: number;
  /** Path inside the filesystem that is mounted here ("/" unless a bind of a subtree). */
  readonly root: string;
  readonly mountPoint: string;
  readonly options: string;
  readonly fstype: string;
  readonly source: string;
  readonly superOptions: string;
}

export class MountTableError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'MountTableError';
    this.file = file;
    this.line = line;
  }
}

export const MOUNTINFO = '/proc/self/mountinfo';

/** Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string, file = MOUNTINFO): MountEntry[] {
  const entries: MountEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0 || f.length < sep + 4) {
      throw new MountTableError(file, i + 1, `expected "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - TYPE SOURCE SUPEROPTS", got ${JSON.stringify(line)}`);
    }
    const dev = /^(\d+):(\d+)$/.exec(f[2]!);
    const id = Number(f[0]);
    const parentId = Number(f[1]);
    if (!dev || !Number.isInteger(id) || !Number.isInteger(parentId)) {
      throw new MountTableError(file, i + 1, `bad mount ID, parent ID or MAJ:MIN in ${JSON.stringify(line)}`);
    }
    entries.push({
      id,
      parentId,
      major: Number(dev[1]),
      minor: Number(dev[2]),
      root: unescapeMountField(f[3]!),
      mountPoint: unescapeMountField(f[4]!),
      options: f[5]!,
      fstype: unescapeMountField(f[sep + 1]!),
      source: unescapeMountField(f[sep + 2]!),
      superOptions: f[sep + 3]!,
    });
  }
  return entries;
}

/**
 * Reads the table until two reads agree: the kernel builds the file in pages,
 * so a read racing a mount or umount can be torn (ClusterLabs/resource-agents#1337).
 * Synchronous on purpose: the kernel answers from memory, never from a
 * filesystem, and a thread-pool round trip per read costs more than the read.
 */
export function readMounts(file = MOUNTINFO, maxReads = 10): MountEntry[] {
  let previous = fs.readFileSync(file, 'utf8');
  for (let n = 1; n < maxReads; n++) {
    const current = fs.readFileSync(file, 'utf8');
    if (current === previous) return parseMountinfo(current, file);
    previous = current;
  }
  throw new MountTableError(file, 0, `the mount table kept changing over ${maxReads} reads; retry when mounts settle`);
}

/** The visible mount at `dir`: of stacked mounts there, the one no other mount at `dir` sits on. */
export function mountAt(mounts: readonly MountEntry[], dir: string): MountEntry | undefined {
  const here = mounts.filter((m) => m.mountPoint === dir);
  return here.find((m) => !here.some((o) => o.parentId === m.id));
}

export function isBelow(path: string, dir: string): boolean {
  return path.startsWith(dir === '/' ? '/' : `${dir}/`) && path !== dir;
}

function depth(path: string): number {
  return path.split('/').filter(Boolean).length;
}

/** Deepest paths first; at one path, the mount stacked last goes first. */
function unmountOrder(list: MountEntry[], mounts: readonly MountEntry[]): MountEntry[] {
  const pos = new Map(mounts.map((m, i) => [m.id, i]));
  return list.sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint) || pos.get(b.id)! - pos.get(a.id)!);
}

/** Every mount attached (directly or not) to `top`, in unmount order. */
export function descendantsOf(mounts: readonly MountEntry[], top: MountEntry): MountEntry[] {
  const ids = new Set([top.id]);
  const found: MountEntry[] = [];
  // mountinfo lists parents before children, but a remount can reorder: iterate to a fixed point.
  for (let grew = true; grew; ) {
    grew = false;
    for (const m of mounts) {
      if (!ids.has(m.id) && ids.has(m.parentId) && m.id !== m.parentId) {
        ids.add(m.id);
        found.push(m);
        grew = true;
      }
    }
  }
  return unmountOrder(found, mounts);
}

/** Mounts visible under `dir` (not at it): what a new mount on `dir` would hide. */
export function mountsBelow(mounts: readonly MountEntry[], dir: string): MountEntry[] {
  return unmountOrder(mounts.filter((m) => isBelow(m.mountPoint, dir)), mounts);
}

/** The mount of "/" in this namespace. */
export function rootMount(mounts: readonly MountEntry[]): MountEntry | undefined {
  return mountAt(mounts, '/');
}

/**
 * Other mounts of the same block device as `top` (bind mounts, second
 * mounts), deepest first. Never "/" or a mount that holds `top` itself:
 * unmounting those would take the system or our own mount point with them.
 */
export function otherMountsOfDevice(mounts: readonly MountEntry[], top: MountEntry): MountEntry[] {
  const under = new Set([top.id, ...descendantsOf(mounts, top).map((m) => m.id)]);
  const list = mounts.filter(
    (m) =>
      !under.has(m.id) &&
      m.major === top.major &&
      m.minor === top.minor &&
      m.mountPoint !== '/' &&
      !isBelow(top.mountPoint, m.mountPoint),
  );
  return unmountOrder(list, mounts);
}
