// The `listeners { tcp { … } }` block: fence_virtd's keys (server/tcp.c)
// plus the connection limits, which are ours.
import { defineSection, key } from '../../config/schema.js';
import { AUTH_KEYS } from '../credentials.js';

export const tcpSchema = defineSection({
  path: 'listeners/tcp',
  doc: 'fence_virt -T, fence_palisade ipaddr=…: one connection per request.',
  keys: {
    address: key.string({ defaultText: '127.0.0.1, or ::1 with family ipv6', doc: 'the address to listen on, a literal of the family' }),
    port: key.port({ default: 1229, doc: 'the TCP port' }),
    family: key.choice({ choices: ['ipv4', 'ipv6'] as const, default: 'ipv4', doc: 'the address family' }),
    ...AUTH_KEYS,
    max_connections: key.integer({ default: 512, min: 1, max: 65_536, extension: true,
      doc: 'connections open at once; when full, the oldest one that has not sent a request is closed to admit a new one' }),
    max_per_source: key.integer({ default: 64, min: 1, max: 65_536, extension: true,
      doc: 'connections open at once from one address; past it, that address loses its own oldest idle connection' }),
  },
});
