// stop: remove the status file, then unmount other mounts of the device,
// the submounts (deepest first) and the mount itself, each with the
// escalation of unmount.ts, all within one budget: the operation timeout,
// or 6 s with fast_stop.
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { requireBinary } from './binaries.js';
import { removeStatus } from './deep.js';
import { mountIsOurs, type DeviceSpec } from './device.js';
import { isNetworkType } from './fstypes.js';
import { descendantsOf, mountAt, otherMountsOfDevice, type MountEntry } from './mountinfo.js';
import { parseDelayMs, parseForceUnmount, type FilesystemParams } from './params.js';
import { flushBuffers } from './prepare.js';
import { lazyTagProbe, readTable, resourceOf } from './resource.js';
import { parseSignals, type Signal } from './signals.js';
import { UnmountError, unmountWithEscalation, type UnmountIo, type UnmountPolicy } from './unmount.js';
import { findUsers, protectedPids } from './users.js';
import { signalIfSame, stillRunning } from '../framework/processes.js';

/** Budget of a busy stop with fast_stop=true (heartbeat: 6 s). */
const FAST_STOP_MS = 6000;
/** Kept back from the stop budget for the final check and the exit reason. */
const STOP_SLACK_MS = 200;

/** What stop unmounts, in order: other mounts of the device, submounts, the mount itself. */
export function unmountTargets(mounts: readonly MountEntry[], top: MountEntry, spec: DeviceSpec): MountEntry[] {
  const list: MountEntry[] = [];
  const add = (m: MountEntry) => {
    if (!list.some((x) => x.id === m.id)) list.push(m);
  };
  // Only a block device has other mounts worth taking along; a bind
  // resource must never unmount the filesystem it binds from.
  const block = spec.kind === 'block' || spec.kind === 'tag' || spec.kind === 'loopfile';
  if (block && top.major !== 0) {
    for (const other of otherMountsOfDevice(mounts, top)) {
      descendantsOf(mounts, other).forEach(add);
      add(other);
    }
  }
  descendantsOf(mounts, top).forEach(add);
  add(top);
  return list;
}

function signalsOr(raw: string, fallback: Signal[]): Signal[] {
  const r = parseSignals(raw);
  return typeof r === 'string' ? fallback : r;
}

export async function stop(p: FilesystemParams, ctx: OcfContext): Promise<void> {
  const mounts = readTable();
  const res = await resourceOf(p, mounts);
  const top = mountAt(mounts, res.dir);
  if (!top) return;
  const own = await mountIsOurs(top, res.spec, lazyTagProbe(ctx));
  if (!own.ours) {
    ctx.log.info(`${res.dir}: ${own.why}; leaving it alone`);
    return;
  }
  await removeStatus(ctx, res, p.statusfile_prefix);

  const targets = unmountTargets(mounts, top, res.spec);
  const root = targets.find((m) => m.mountPoint === '/');
  if (root) throw new OcfError(OCF.ERR_CONFIGURED, `refusing to unmount / (mount ${root.id} of ${root.source})`);
  const budget = p.fast_stop ? Math.min(FAST_STOP_MS, ctx.remaining()) : ctx.remaining();
  const policy: UnmountPolicy = {
    mode: parseForceUnmount(p.force_unmount) ?? 'true',
    termSignals: signalsOr(p.term_signals, ['SIGTERM']),
    killSignals: signalsOr(p.kill_signals, ['SIGKILL']),
    signalDelayMs: parseDelayMs(p.signal_delay) ?? 1000,
    forceInKillPhase: isNetworkType(res.fstype),
    deadline: performance.now() + Math.max(0, budget - STOP_SLACK_MS),
  };
  const protect = protectedPids();
  const umount = requireBinary(ctx, 'umount');
  for (const target of targets) {
    ctx.log.info(`unmounting ${target.mountPoint} (${target.source})`);
    try {
      await unmountWithEscalation(target.mountPoint, policy, unmountIo(ctx, umount, target, protect));
    } catch (err) {
      if (err instanceof UnmountError) throw new OcfError(OCF.ERR_GENERIC, err.message, { cause: err });
      throw err;
    }
  }
  await flushBuffers(ctx, top.source.startsWith('/dev/') ? top.source : undefined);
}

function unmountIo(ctx: OcfContext, umount: string, target: MountEntry, protect: ReadonlySet<number>): UnmountIo {
  const device = { major: target.major, minor: target.minor };
  return {
    async umount(mountPoint, force, deadline) {
      const r = await ctx.run(umount, force ? ['-f', mountPoint] : [mountPoint], {
        timeoutMs: Math.max(1, deadline - performance.now()),
      });
      // Gone means this mount ID is gone, not merely "umount exited 0".
      if (!readTable().some((m) => m.id === target.id)) {
        ctx.log.info(`unmounted ${mountPoint}`);
        return undefined;
      }
      if (r.timedOut) return 'umount timed out';
      return (r.stderr || r.spawnError || 'still mounted after umount').replace(/\s*\n\s*/g, '; ');
    },
    findUsers: (mountPoint) => findUsers(mountPoint, { protect, device }),
    // protected: pid 1, the agent and its ancestors; reported, never signalled
    signal: (proc, sig) => !proc.protected && signalIfSame(proc, sig),
    alive: (proc) => stillRunning(proc),
    sleep: (ms) => ctx.sleep(ms),
    now: () => performance.now(),
    log: ctx.log,
  };
}
