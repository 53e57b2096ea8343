// The `listeners { multicast { … } }` block, as fence_virtd reads it
// (server/mcast.c).
import { IPV4_MCAST_DEFAULT, IPV6_MCAST_DEFAULT, DEFAULT_PORT } from '../../../protocol/constants.js';
import { defineSection, key } from '../../config/schema.js';
import { AUTH_KEYS } from '../credentials.js';

export const multicastSchema = defineSection({
  path: 'listeners/multicast',
  doc: 'fence_xvm: requests to a multicast group; the host that has the domain calls back over TCP.',
  keys: {
    address: key.string({ defaultText: `${IPV4_MCAST_DEFAULT}, or ${IPV6_MCAST_DEFAULT} with family ipv6`, doc: 'the multicast group to join' }),
    port: key.port({ default: DEFAULT_PORT, doc: 'the UDP port; unicast datagrams to it are served too' }),
    family: key.choice({ choices: ['ipv4', 'ipv6'] as const, default: 'ipv4', doc: 'the address family' }),
    interface: key.string({ defaultText: 'chosen by the kernel from the routing table', doc: 'the interface to join the group on. One that does not exist, or has no address of the family, stops start-up; fence_virtd silently listens on all of them' }),
    ...AUTH_KEYS,
  },
});
