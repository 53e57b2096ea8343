// fence_virt -S: a VM socket to the host. Declared so that -S and vsock=
// select it and are refused with a reason, as fence_virt's option set
// requires; there is no exchange: this host has no vsock support to test one.
import { portProblems } from '../_target-checks.js';
import type { TransportSpec } from '../types.js';

export interface VsockTarget {
  readonly transport: 'vsock';
  /** The host's context id (2 for the host). */
  readonly cid: number;
  readonly port: number;
}

export const vsock: TransportSpec<VsockTarget> = {
  name: 'vsock',
  description: 'a VM socket to the host (fence_virt -S); not available in this version',
  help: 'vsock (-S) is not available in this version',
  keyed: true,
  settings: ['vsock', 'ipport', 'auth', 'hash', 'keyFile'],
  selectedBy: 'vsock',
  clients: ['fence_virt'],
  fromSettings: (s) => ({ transport: 'vsock', cid: s.vsock ?? 2, port: s.ipport }),
  targetProblems: (t) => (Number.isInteger(t.cid) && t.cid >= 0 ? [] : [`cid: ${String(t.cid)} is not a context id`]).concat(portProblems(t.port, 'vsock')),
  describe: (t) => `vsock cid ${t.cid} port ${t.port}`,
  unavailable: 'this host has no vsock support to test it; use ipaddr (-T) for tcp, or serial_device (-D)',
};
