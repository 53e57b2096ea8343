// The promotion score table of ocf:linbit:drbd (drbd_update_master_score),
// first match wins. Pure: the caller asks Pacemaker whether a Primary peer is
// "unexpected" only when needsLocate() says the answer matters.

import type { StatusFlags } from './flags.js';

/** only Consistent, only remote UpToDate, local UpToDate with a peer unknown, as good as it gets */
export type ScoreScale = readonly [number, number, number, number];

export type RemoveIfPeerPrimary = 'no' | 'yes' | 'unexpected';

export interface ScoreOptions {
  scale: ScoreScale;
  removeIfPeerPrimary: RemoveIfPeerPrimary;
  unfenceIfAllUpToDate: boolean;
}

export type ScoreDecision =
  | { kind: 'set'; score: number; why: string; unfence?: boolean }
  | { kind: 'remove'; why: string }
  | { kind: 'keep'; why: string };

/** Whether rule 2 applies in a way that depends on crm_resource --locate. */
export function needsLocate(f: StatusFlags, o: ScoreOptions): boolean {
  return o.removeIfPeerPrimary === 'unexpected' && !f.primary && f.somePeerPrimary && f.somePeerAllUpToDate;
}

/**
 * `unexpectedPrimary`: a peer is Primary that Pacemaker does not know as
 * promoted, with promoted-max 1 (only consulted when needsLocate()).
 */
export function decideScore(f: StatusFlags, o: ScoreOptions, unexpectedPrimary = false): ScoreDecision {
  const [onlyConsistent, onlyRemote, localOk, best] = o.scale;
  const set = (score: number, why: string, unfence?: boolean): ScoreDecision =>
    score > 0 ? { kind: 'set', score, why, ...(unfence ? { unfence } : {}) } : { kind: 'remove', why };
  if (!f.haveQuorum) return { kind: 'remove', why: 'no quorum' };
  if (o.removeIfPeerPrimary !== 'no' && !f.primary && f.somePeerPrimary && f.somePeerAllUpToDate) {
    if (o.removeIfPeerPrimary === 'yes') return { kind: 'remove', why: 'connected to a Primary peer with good data' };
    if (unexpectedPrimary) return { kind: 'remove', why: 'connected to a Primary that Pacemaker does not know about' };
  }
  if (f.disklessClient) {
    if ((f.primary && f.somePeerAllUpToDate) || f.pdskAllUpToDate) return set(best - 1, 'diskless client, all peers UpToDate');
    if (f.somePeerAllUpToDate) return set(localOk - 1, 'diskless client, some peer UpToDate');
    return { kind: 'remove', why: 'diskless client without access to good data' };
  }
  if (f.diskAllUpToDate) {
    if (f.primary) return set(best, 'Primary, local disks UpToDate', o.unfenceIfAllUpToDate && f.pdskAllUpToDate);
    if (f.pdskAnyUnknown) return set(localOk, 'local disks UpToDate, a peer disk state unknown');
    return set(best, 'local disks UpToDate, peer disk states known');
  }
  if (f.somePeerAllUpToDate) return set(onlyRemote, 'only a peer has UpToDate data');
  if (f.diskTransitional) return { kind: 'keep', why: 'local disk in a transitional state' };
  if (f.diskAllConsistent) return set(onlyConsistent, 'local disks only Consistent');
  return { kind: 'remove', why: 'no access to good data' };
}

/** adjust_master_score: four non-decreasing non-negative integers, else undefined. */
export function parseScale(raw: string): ScoreScale | undefined {
  const parts = raw.trim().split(/\s+/);
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p))) return undefined;
  const n = parts.map(Number) as [number, number, number, number];
  for (let i = 1; i < 4; i++) if (n[i]! < n[i - 1]!) return undefined;
  return n;
}
