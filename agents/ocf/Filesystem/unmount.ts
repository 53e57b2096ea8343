// Unmounting one mount point, escalating when it is busy: plain umount;
// then, for the first half of the time left, term_signals to its users and
// umount again; for the second half kill_signals (and `umount -f` on network
// filesystems). force_unmount=false only retries umount. The I/O is
// injected so the policy reads as one function.
import type { Signal } from './signals.js';
import { signalName } from './signals.js';
import type { ProcessUse } from './users.js';
import { describeUse } from './users.js';

export type ForceUnmount = 'true' | 'safe' | 'false';

export interface UnmountPolicy {
  readonly mode: ForceUnmount;
  readonly termSignals: readonly Signal[];
  readonly killSignals: readonly Signal[];
  readonly signalDelayMs: number;
  /** `umount -f` in the kill phase (network filesystems). */
  readonly forceInKillPhase: boolean;
  /** Absolute time (same clock as io.now) by which this mount must be gone. */
  readonly deadline: number;
}

export interface UnmountIo {
  /** Runs umount once; resolves to undefined when the mount is gone, else umount's complaint. */
  umount(mountPoint: string, force: boolean, deadline: number): Promise<string | undefined>;
  findUsers(mountPoint: string): Promise<ProcessUse[]>;
  /** Sends sig if the process is still the one found; returns whether it was sent. */
  signal(p: ProcessUse, sig: Signal): boolean;
  alive(p: ProcessUse): boolean;
  sleep(ms: number): Promise<void>;
  now(): number;
  log: { info(msg: string): void; warn(msg: string): void };
}

export class UnmountError extends Error {
  readonly mountPoint: string;
  readonly users: readonly ProcessUse[];
  constructor(mountPoint: string, message: string, users: readonly ProcessUse[]) {
    super(message);
    this.name = 'UnmountError';
    this.mountPoint = mountPoint;
    this.users = users;
  }
}

/** Poll interval while waiting for signalled processes to exit. */
const EXIT_POLL_MS = 25;
/** Pause before retrying when umount fails and nobody we can signal holds the mount. */
const IDLE_RETRY_MS = 250;

function usersText(users: readonly ProcessUse[]): string {
  if (users.length === 0) return 'no process found using it';
  const shown = users.slice(0, 5).map(describeUse).join('; ');
  return `still used by ${shown}${users.length > 5 ? ` and ${users.length - 5} more` : ''}`;
}

export async function unmountWithEscalation(mountPoint: string, policy: UnmountPolicy, io: UnmountIo): Promise<void> {
  const first = await io.umount(mountPoint, false, policy.deadline);
  if (first === undefined) return;
  io.log.info(`${mountPoint} is busy (${first}); force_unmount=${policy.mode}`);
  const budgetMs = Math.max(0, policy.deadline - io.now());

  if (policy.mode === 'false') {
    while (io.now() < policy.deadline) {
      await io.sleep(Math.min(Math.max(policy.signalDelayMs, IDLE_RETRY_MS), policy.deadline - io.now()));
      if ((await io.umount(mountPoint, false, policy.deadline)) === undefined) return;
    }
    const users = await io.findUsers(mountPoint);
    throw new UnmountError(mountPoint,
      `Couldn't unmount ${mountPoint} within ${(budgetMs / 1000).toFixed(1)} s (force_unmount=false, nothing signalled): ${usersText(users)}`, users);
  }

  const half = io.now() + budgetMs / 2;
  if (await phase(mountPoint, policy.termSignals, half, false, policy, io)) return;
  if (await phase(mountPoint, policy.killSignals, policy.deadline, policy.forceInKillPhase, policy, io)) return;
  const users = await io.findUsers(mountPoint);
  throw new UnmountError(mountPoint, `Couldn't unmount ${mountPoint} within ${(budgetMs / 1000).toFixed(1)} s: ${usersText(users)}`, users);
}

/** One signalling phase; true once the mount is gone. */
async function phase(mountPoint: string, signals: readonly Signal[], end: number, force: boolean,
  policy: UnmountPolicy, io: UnmountIo): Promise<boolean> {
  while (io.now() < end) {
    const users = await io.findUsers(mountPoint);
    const hit: ProcessUse[] = [];
    for (const sig of signals) {
      for (const p of users) {
        if (p.protected) continue;
        if (io.signal(p, sig)) {
          io.log.info(`sent ${signalName(sig)} to ${describeUse(p)}`);
          if (!hit.includes(p)) hit.push(p);
        }
      }
    }
    if (hit.length > 0) {
      // Wait up to signal_delay, but no longer than the signalled processes take to exit.
      const until = Math.min(io.now() + policy.signalDelayMs, end);
      while (io.now() < until && hit.some((p) => io.alive(p))) await io.sleep(Math.min(EXIT_POLL_MS, until - io.now()));
    } else {
      await io.sleep(Math.min(Math.max(policy.signalDelayMs, IDLE_RETRY_MS), Math.max(0, end - io.now())));
    }
    if ((await io.umount(mountPoint, force, policy.deadline)) === undefined) return true;
  }
  return false;
}
