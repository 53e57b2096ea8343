// fence_virt without -D: the serial framing over TCP to the guestfwd
// address, which QEMU forwards to the host's channel socket. The exchange
// is in exchange.ts.
import { hostPort } from '../../../../core/host-port.js';
import { ipLiteralProblems, portProblems } from '../_target-checks.js';
import type { TransportSpec } from '../types.js';
import type { VmchannelTarget } from './exchange.js';

export const vmchannel: TransportSpec<VmchannelTarget> = {
  name: 'vmchannel',
  description: "the serial framing over TCP to a guestfwd address, forwarded to the host's channel socket (fence_virt's default)",
  help: 'channel_address (-A) selects vmchannel',
  keyed: false,
  settings: ['channelAddress', 'ipport'],
  selectedBy: 'channelAddress',
  clients: ['fence_virt'],
  defaultFor: ['fence_virt'],
  fromSettings: (s) => ({ transport: 'vmchannel', host: s.channelAddress, port: s.ipport }),
  targetProblems: (t) => [...ipLiteralProblems('host', t.host, 'an IPv4 or IPv6 address'), ...portProblems(t.port, 'TCP')],
  describe: (t) => `vmchannel ${hostPort(t.host, t.port)}`,
  load: async () => (await import('./exchange.js')).fence,
};
