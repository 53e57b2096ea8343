// fence_virt -D: the serial framing over a tty to the host. The exchange
// (and serialport) is in exchange.ts.
import { parseSerialParams } from '../../values.js';
import { requiredText } from '../_target-checks.js';
import type { TransportSpec } from '../types.js';
import type { SerialTarget } from './exchange.js';

export const serial: TransportSpec<SerialTarget> = {
  name: 'serial',
  description: "the serial framing over a tty to the host's serial listener (fence_virt -D)",
  help: 'serial_device (-D) selects serial',
  keyed: false,
  settings: ['serialDevice', 'serialParams'],
  selectedBy: 'serialDevice',
  clients: ['fence_virt'],
  // Selected only because serial_device was given.
  fromSettings: (s) => ({ transport: 'serial', device: s.serialDevice!, params: s.serialParams }),
  targetProblems: (t) => [
    ...requiredText('device', t.device, 'a serial device path'),
    ...(typeof t.params === 'string' && parseSerialParams(t.params) ? [] : [`params: '${String(t.params)}' is not SPEED,BITS PARITY STOP like 115200,8N1`]),
  ],
  describe: (t) => `serial ${t.device} ${t.params}`,
  load: async () => (await import('./exchange.js')).fence,
};
