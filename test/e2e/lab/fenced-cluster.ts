// The pcs commands every lab scenario starts from: fencing on, short
// timings, stickiness, and the fence_palisade device that reaches palisaded
// on the hypervisor (or, for the anchor comparison, fence_virt with the same
// parameters reaching fence_virtd).
import { FENCE_PORT } from './fence-host.js';
import type { Lab } from './lab.js';

export function fencedClusterCommands(lab: Lab, stonith: 'fence_palisade' | 'fence_virt' = 'fence_palisade'): string[][] {
  return [
    ['property', 'set', 'stonith-enabled=true', 'dc-deadtime=5s', 'cluster-recheck-interval=20s'],
    ['resource', 'defaults', 'update', 'resource-stickiness=100'],
    ['stonith', 'create', 'fence-vm', stonith, `ipaddr=${lab.hvAddress}`, `ipport=${FENCE_PORT}`, `key_file=${lab.keyFile}`,
      `pcmk_host_map=${lab.hostMap}`, 'op', 'monitor', 'interval=60s'],
  ];
}
