// Signalling the processes found by users.ts, with the checks that keep a
// signal from reaching anything but the process that was found.
import type { Signal } from './signals.js';
import { readProcStat, type ProcessUse } from './users.js';

/**
 * Sends `sig` to `p` if it is still the process we found (same start time),
 * so a pid reused since the /proc walk is never hit. Returns whether it was sent.
 */
export function signalProcess(p: ProcessUse, sig: Signal, procRoot = '/proc'): boolean {
  if (p.protected || p.pid <= 1 || p.pid === process.pid) return false;
  const now = readProcStat(p.pid, procRoot);
  if (!now || now.startTime !== p.startTime) return false;
  try {
    process.kill(p.pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Still running (not exited, not a zombie, not a reused pid)? */
export function isAlive(p: ProcessUse, procRoot = '/proc'): boolean {
  const now = readProcStat(p.pid, procRoot);
  return now !== undefined && now.startTime === p.startTime && now.state !== 'Z' && now.state !== 'X';
}
