// fence_xvm: the request by UDP to a group (or one host), the daemons
// calling back on TCP. The exchange is in exchange.ts.
import { IPV4_MCAST_DEFAULT, IPV6_MCAST_DEFAULT } from '../../../../protocol/constants.js';
import { hostPort } from '../../../../core/host-port.js';
import { ipVersion } from '../../ip-literal.js';
import { portProblems } from '../_target-checks.js';
import type { TransportSpec } from '../types.js';
import type { MulticastTarget } from './exchange.js';

export const multicast: TransportSpec<MulticastTarget> = {
  name: 'multicast',
  description: 'UDP to a multicast group or one host, the daemons calling back on TCP (fence_xvm)',
  help: `multicast_address (-a, default ${IPV4_MCAST_DEFAULT}) selects multicast, where the hosts call back on TCP port ipport`,
  keyed: true,
  settings: ['multicastAddress', 'ipFamily', 'ipport', 'retrans', 'auth', 'hash', 'keyFile'],
  selectedBy: 'multicastAddress',
  clients: ['fence_xvm'],
  defaultFor: ['fence_palisade', 'fence_xvm'],
  settingsProblems(s) {
    if (s.multicastAddress === undefined || s.ipFamily === 'auto') return [];
    const v = ipVersion(s.multicastAddress);
    return `ipv${v}` === s.ipFamily ? [] : [
      `multicast_address ${s.multicastAddress} is IPv${v} but ip_family is ${s.ipFamily}; drop ip_family or give an ${s.ipFamily} address`,
    ];
  },
  fromSettings: (s) => ({
    transport: 'multicast',
    address: s.multicastAddress ?? (s.ipFamily === 'ipv6' ? IPV6_MCAST_DEFAULT : IPV4_MCAST_DEFAULT),
    port: s.ipport,
    retransMs: s.retrans * 100,
  }),
  targetProblems: (t) => [
    ...(typeof t.address === 'string' && ipVersion(t.address) !== 0 && !t.address.includes('%')
      ? [] : [`address: '${String(t.address)}' is not an IP address (no zone)`]),
    ...portProblems(t.port, 'UDP/TCP'),
    ...(t.retransMs === undefined || (Number.isFinite(t.retransMs) && t.retransMs > 0)
      ? [] : [`retransMs: ${String(t.retransMs)} must be a positive number`]),
  ],
  describe: (t) => `multicast ${hostPort(t.address, t.port)}${t.retransMs === undefined ? '' : ` retrans=${t.retransMs}ms`}`,
  load: async () => (await import('./exchange.js')).fence,
};
