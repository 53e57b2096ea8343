// The `listeners { serial { … } }` block. fence_virtd reads uri, path and
// mode (server/serial.c); poll_ms and group are ours, and key_file is
// accepted because fence_virtd insists that the file exists even here.
import { defineSection, key } from '../../config/schema.js';

export const serialSchema = defineSection({
  path: 'listeners/serial',
  doc: 'fence_virt -D in the guest: 74-byte frames over a serial port or virtio channel whose host end is a unix socket.',
  keys: {
    uri: key.string({ defaultText: 'the first backend', doc: 'which configured backend\'s domains to watch, by its hypervisor uri' }),
    path: key.string({ defaultText: 'any directory', doc: 'only sockets whose parent directory is this one are used' }),
    mode: key.string({ default: 'serial', doc: '`serial` (`<serial type=\'unix\'>`), `vmchannel` (`<channel type=\'unix\'>`), or fence_virtd\'s integer: 0 serial, anything else vmchannel' }),
    poll_ms: key.integer({ default: 1_000, min: 100, max: 60_000, unit: 'ms', extension: true, doc: 'how often the domain list is read to find sockets that appeared or went away' }),
    group: key.string({ extension: true, doc: 'a group of the groups section: guests on this listener may act only on its domains' }),
    key_file: key.string({ doc: 'accepted and ignored: the serial listener uses no key' }),
  },
});
