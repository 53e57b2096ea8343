// Finds the processes that use a mount, by walking /proc ourselves. Only
// readlink(2) on /proc/<pid>/{cwd,root,exe,fd/*} and reads of
// /proc/<pid>/maps are used: the kernel answers those from its own
// structures, so a dead NFS server cannot block the walk (fuser and lsof
// stat() every file and can; ClusterLabs/resource-agents#423). Matching is by
// path under the mount point, so a process is only ever chosen because it
// has something open, mapped or as its directory below that path; in
// another mount namespace the path must also lie on the same device there.
import { fs } from '../framework/_builtins.js';
import { readProcStat, type ProcessRef } from '../framework/processes.js';
import { mountAt, parseMountinfo, type MountEntry } from './mountinfo.js';

const { readdirSync, readFileSync, readlinkSync } = fs;
const { readFile } = fs.promises;

/** A process found using the mount; its start time keeps a later process with the same pid from being signalled. */
export interface ProcessUse extends ProcessRef {
  readonly comm: string;
  /** What ties it to the mount, e.g. "cwd", "fd 3 → /mnt/data/log". */
  readonly uses: readonly string[];
  /** pid 1, the agent or one of its ancestors: reported, never signalled. */
  readonly protected: boolean;
}

/** pid 1, this process and all its ancestors: never signalled, whatever they hold. */
export function protectedPids(procRoot = '/proc'): Set<number> {
  const pids = new Set<number>([1, process.pid]);
  for (let pid = process.ppid; pid > 1 && !pids.has(pid); ) {
    pids.add(pid);
    const st = readProcStat(pid, procRoot);
    if (!st) break;
    pid = st.ppid;
  }
  return pids;
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`) || path === `${dir} (deleted)`;
}

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // exited, kernel thread, or no permission
  }
}

/** The mapped files of a maps(5) listing that lie under `dir`. */
export function mappedUnder(maps: string, dir: string): string[] {
  const hits = new Set<string>();
  for (const line of maps.split('\n')) {
    // address perms offset dev inode pathname: the path starts after five fields.
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(.*)$/.exec(line);
    const path = m?.[1];
    if (path && under(path, dir)) hits.add(path);
  }
  return [...hits];
}

export interface FindUsersOptions {
  /** pids reported as protected (see protectedPids). */
  readonly protect: ReadonlySet<number>;
  /** Device number of the mount, to recognise it in other mount namespaces. */
  readonly device?: { readonly major: number; readonly minor: number };
  readonly procRoot?: string;
}

/** The device of the mount that holds `path` in a mount table (the visible one at the longest matching mount point). */
export function deviceHolding(mounts: readonly MountEntry[], path: string): { major: number; minor: number } | undefined {
  const clean = path.endsWith(' (deleted)') ? path.slice(0, -' (deleted)'.length) : path;
  let best: string | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    if ((clean === mp || clean.startsWith(mp === '/' ? '/' : `${mp}/`)) && (best === undefined || mp.length > best.length)) best = mp;
  }
  return best === undefined ? undefined : mountAt(mounts, best);
}

/**
 * Processes using anything at or below `dir` (an absolute, canonical mount
 * point, never "/"). Processes in other mount namespaces (systemd
 * PrivateTmp services, containers) count too, as their copy of a propagated
 * mount makes our umount fail with EBUSY; their paths are checked against
 * their own /proc/<pid>/mountinfo, so a path that merely looks the same but
 * lies on another filesystem there is not taken. Without `device` they are skipped.
 */
export async function findUsers(dir: string, opts: FindUsersOptions): Promise<ProcessUse[]> {
  if (!dir.startsWith('/') || dir === '/' || dir.endsWith('/')) {
    // Matching under "/" would select every process on the system.
    throw new Error(`refusing to look for users of '${dir}': not a canonical mount point below /`);
  }
  const proc = opts.procRoot ?? '/proc';
  const ourNs = link(`${proc}/self/ns/mnt`);
  const nsTables = new Map<string, MountEntry[] | undefined>();
  const tableOf = (pid: number, ns: string): MountEntry[] | undefined => {
    if (!nsTables.has(ns)) {
      let table: MountEntry[] | undefined;
      try {
        table = parseMountinfo(readFileSync(`${proc}/${pid}/mountinfo`, 'utf8'), `${proc}/${pid}/mountinfo`);
      } catch {
        table = undefined; // exited, or a table we cannot read: do not guess
      }
      nsTables.set(ns, table);
    }
    return nsTables.get(ns);
  };
  const found: ProcessUse[] = [];
  const pending: Promise<void>[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const base = `${proc}/${pid}`;
    const hits: { use: string; path: string }[] = [];
    for (const what of ['cwd', 'root', 'exe'] as const) {
      const target = link(`${base}/${what}`);
      if (target !== undefined && under(target, dir)) hits.push({ use: `${what} → ${target}`, path: target });
    }
    let fds: string[] = [];
    try {
      fds = readdirSync(`${base}/fd`);
    } catch {
      // exited or a kernel thread
    }
    for (const fd of fds) {
      const target = link(`${base}/fd/${fd}`);
      if (target !== undefined && under(target, dir)) hits.push({ use: `fd ${fd} → ${target}`, path: target });
    }
    pending.push(
      // maps is read asynchronously: it waits for the process's mm lock, and
      // a slow one must not stall the walk or the caller's deadline timer.
      readFile(`${base}/maps`, 'utf8').then(
        (maps) => {
          for (const path of mappedUnder(maps, dir)) hits.push({ use: `mmap → ${path}`, path });
        },
        () => undefined,
      ).then(() => {
        if (hits.length === 0) return;
        const ns = link(`${base}/ns/mnt`);
        let kept = hits;
        if (ns !== ourNs) {
          const table = ns === undefined || opts.device === undefined ? undefined : tableOf(pid, ns);
          const dev = opts.device;
          kept = table && dev
            ? hits.filter((h) => {
                const d = deviceHolding(table, h.path);
                return d !== undefined && d.major === dev.major && d.minor === dev.minor;
              })
            : [];
          if (kept.length === 0) return;
        }
        const st = readProcStat(pid, proc);
        if (st) {
          const uses = kept.map((h) => (ns === ourNs ? h.use : `${h.use} (mount namespace ${ns})`));
          found.push({ pid, comm: st.comm, startTime: st.startTime, uses, protected: opts.protect.has(pid) });
        }
      }),
    );
  }
  await Promise.all(pending);
  return found.sort((a, b) => a.pid - b.pid);
}

export function describeUse(p: ProcessUse): string {
  const uses = `${p.uses.slice(0, 3).join(', ')}${p.uses.length > 3 ? ', …' : ''}`;
  return `pid ${p.pid} (${p.comm}${p.protected ? ', protected: never signalled' : ''}: ${uses})`;
}
