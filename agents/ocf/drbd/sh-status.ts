// Parser for DRBD 8.4's `drbdsetup sh-status RES`: per minor, shell
// assignments (_minor=, _res_name=, _volume=, _cstate=, _role=, _peer=,
// _disk=, _pdsk=, _resynced_percent= ...) closed by `_sh_status_process`.
// Read as data, never evaluated. Pure.

import { unconfigured, type DrbdResourceState } from './state.js';

/** 8.4 connection states that carry replication (the connection is up). */
const UP = /^(Connected|StartingSync[ST]|WFBitMap[ST]|WFSyncUUID|Sync(Source|Target)|PausedSync[ST]|Verify[ST]|Ahead|Behind)$/;

export function parseShStatus(text: string, res: string): DrbdResourceState {
  const st = unconfigured();
  let cur = new Map<string, string>();
  const roles: string[] = [];
  const peerRoles: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '_sh_status_process') {
      if ((cur.get('_res_name') ?? res) === res) {
        const volume = Number(cur.get('_volume') ?? '0');
        const cstate = cur.get('_cstate') ?? 'Unconfigured';
        const role = cur.get('_role') || 'Unconfigured';
        roles.push(role);
        peerRoles.push(cur.get('_peer') || 'Unknown');
        if (role === 'Primary' || role === 'Secondary') {
          const pct = cur.get('_resynced_percent');
          st.devices.push({ volume, minor: Number(cur.get('_minor') ?? '-1'), disk: cur.get('_disk') || 'Unconfigured', client: false, quorum: true });
          if (!st.connections.some((c) => c.peerNodeId === 1)) {
            st.connections.push({ peerNodeId: 1, name: '', state: UP.test(cstate) ? 'Connected' : cstate, peerRole: cur.get('_peer') || 'Unknown' });
          }
          st.peerDevices.push({
            peerNodeId: 1,
            volume,
            replication: UP.test(cstate) ? (cstate === 'Connected' ? 'Established' : cstate) : 'Off',
            peerDisk: cur.get('_pdsk') || 'DUnknown',
            peerClient: false,
            done: pct ? Number(pct) : undefined,
          });
        }
      }
      cur = new Map();
      continue;
    }
    const m = /^(_[a-z_]+)=(.*)$/.exec(t);
    if (m) cur.set(m[1]!, m[2]!.replace(/^'(.*)'$/, '$1'));
  }
  // roles are per volume in 8.4: any Primary makes the resource Primary
  if (roles.includes('Primary')) st.role = 'Primary';
  else if (roles.includes('Secondary')) st.role = 'Secondary';
  st.configured = st.role !== 'Unconfigured';
  if (st.connections[0] && peerRoles.includes('Primary')) st.connections[0].peerRole = 'Primary';
  return st;
}
