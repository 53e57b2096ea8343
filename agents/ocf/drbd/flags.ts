// What the score table asks of a resource state: the facts ocf:linbit:drbd
// derives in drbd.shellfuncs.sh (status_* variables), with one deliberate
// change: a local disk in a transitional state (Attaching, Negotiating) does
// not count as UpToDate. Pure.

import type { DrbdResourceState } from './state.js';

export interface StatusFlags {
  primary: boolean;
  somePeerPrimary: boolean;
  /** every local volume is an intentionally diskless client */
  disklessClient: boolean;
  haveQuorum: boolean;
  diskAllUpToDate: boolean;
  diskAllConsistent: boolean;
  diskTransitional: boolean;
  /** some (disk-bearing) peer has every volume UpToDate */
  somePeerAllUpToDate: boolean;
  /** every disk-bearing peer has every volume UpToDate */
  pdskAllUpToDate: boolean;
  /** some disk-bearing peer has a volume whose state is unknown (DUnknown) */
  pdskAnyUnknown: boolean;
}

const NOT_CONSISTENT = new Set(['Diskless', 'Failed', 'Inconsistent', 'Outdated', 'Detaching']);
const TRANSITIONAL = new Set(['Attaching', 'Negotiating']);

export function flagsOf(st: DrbdResourceState): StatusFlags {
  let diskAllUpToDate = true;
  let diskAllConsistent = true;
  let diskTransitional = false;
  let haveQuorum = true;
  let clients = 0;
  for (const d of st.devices) {
    if (!d.quorum) haveQuorum = false;
    if (d.disk === 'Diskless' && d.client) {
      clients++;
      continue;
    }
    if (d.disk === 'UpToDate') continue;
    diskAllUpToDate = false;
    if (NOT_CONSISTENT.has(d.disk)) diskAllConsistent = false;
    if (TRANSITIONAL.has(d.disk)) diskTransitional = true;
  }
  const volumes = st.devices.length;
  let somePeerAllUpToDate = false;
  let somePeerNotAllUpToDate = false;
  let pdskAnyUnknown = false;
  for (const c of st.connections) {
    const pds = st.peerDevices.filter((p) => p.peerNodeId === c.peerNodeId);
    const upToDate = pds.filter((p) => p.peerDisk === 'UpToDate').length;
    const known = pds.filter((p) => p.peerDisk !== 'DUnknown').length;
    const peerClients = pds.filter((p) => p.peerClient).length;
    // a diskless client peer says nothing about where good data is
    if (volumes === peerClients) continue;
    if (volumes === upToDate) somePeerAllUpToDate = true;
    else somePeerNotAllUpToDate = true;
    if (known !== volumes) pdskAnyUnknown = true;
  }
  return {
    primary: st.role === 'Primary',
    somePeerPrimary: st.connections.some((c) => c.peerRole === 'Primary'),
    disklessClient: volumes > 0 && clients === volumes,
    haveQuorum,
    diskAllUpToDate: volumes > 0 && diskAllUpToDate,
    diskAllConsistent,
    diskTransitional,
    somePeerAllUpToDate,
    pdskAllUpToDate: somePeerAllUpToDate && !somePeerNotAllUpToDate && !pdskAnyUnknown,
    pdskAnyUnknown,
  };
}
