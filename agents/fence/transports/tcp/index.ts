// fence_virt -T: TCP to one host daemon. The exchange is in exchange.ts.
import { hostPort } from '../../../../core/host-port.js';
import { portProblems, requiredText } from '../_target-checks.js';
import type { TransportSpec } from '../types.js';
import type { TcpTarget } from './exchange.js';

export const tcp: TransportSpec<TcpTarget> = {
  name: 'tcp',
  description: 'TCP to one host daemon (fence_virt -T)',
  help: 'ipaddr (-T) selects tcp',
  keyed: true,
  settings: ['ipaddr', 'ipport', 'auth', 'hash', 'keyFile'],
  selectedBy: 'ipaddr',
  clients: ['fence_virt'],
  // Selected only because ipaddr was given.
  fromSettings: (s) => ({ transport: 'tcp', host: s.ipaddr!, port: s.ipport }),
  targetProblems: (t) => [...requiredText('host', t.host, 'a host name or IP address'), ...portProblems(t.port, 'TCP')],
  describe: (t) => `tcp ${hostPort(t.host, t.port)}`,
  load: async () => (await import('./exchange.js')).fence,
};
