// The `listeners { multicast { … } }` block (keys in schema.ts; fence-virt server/mcast.c), checked
// beyond their types: key_file / hash / auth / group through
// readListenerAuth.
// Fixed, not copied: fence_virtd turns an unknown `interface` into ifindex 0
// and silently joins on any interface (mcast.c:503-512); here it is an
// error at its line, as is a group address that is not multicast.
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { IPV4_MCAST_DEFAULT, IPV6_MCAST_DEFAULT } from '../../../protocol/constants.js';
import { configError } from '../../config/access.js';
import { readSection, sectionWarnings } from '../../config/schema.js';
import { multicastSchema } from './schema.js';
import type { ConfigSection } from '../../config/tree.js';
import { printable } from '../../_text.js';
import { readListenerAuth, type ListenerAuth } from '../credentials.js';
import { isMulticastAddress } from '../../../core/multicast-address.js';
import type { ListenerContext } from '../types.js';

export type Family = 'ipv4' | 'ipv6';

export interface MulticastInterface {
  readonly name: string;
  /**
   * What dgram's addMembership takes as the interface: the interface's
   * IPv4 address, or `::%name` (libuv turns the scope into the ifindex).
   */
  readonly membership: string;
}

export interface MulticastOptions {
  readonly auth: ListenerAuth;
  readonly family: Family;
  /** The group to join. */
  readonly address: string;
  readonly port: number;
  /** Undefined: the kernel picks the interface from the routing table, as fence_virtd does. */
  readonly iface: MulticastInterface | undefined;
}

export async function parseMulticastSection(section: ConfigSection, ctx: ListenerContext): Promise<MulticastOptions> {
  const v = readSection(section, multicastSchema);
  const family = v.family;
  const address = v.address ?? (family === 'ipv6' ? IPV6_MCAST_DEFAULT : IPV4_MCAST_DEFAULT);
  if (!isMulticast(address, family)) {
    const range = family === 'ipv4' ? '224.0.0.0/4, e.g. 225.0.0.12' : 'ff00::/8, e.g. ff05::3:1';
    throw configError(section, 'address', `'${printable(address)}' is not an ${family} multicast address (family = "${family}"); use one in ${range}`);
  }
  const iface = v.interface === undefined ? undefined : findInterface(section, v.interface, family);
  const auth = await readListenerAuth(section, ctx);
  for (const w of sectionWarnings(section, multicastSchema)) ctx.log('warn', w);
  return { auth, family, address, port: v.port, iface };
}

/** A multicast group of `family`. */
export function isMulticast(address: string, family: Family): boolean {
  return isMulticastAddress(address) && (family === 'ipv4' ? isIPv4(address) : isIPv6(address));
}

function findInterface(section: ConfigSection, name: string, family: Family): MulticastInterface {
  const all = networkInterfaces();
  const want = family === 'ipv4' ? 'IPv4' : 'IPv6';
  const addrs = (all[name] ?? []).filter((a) => a.family === want);
  if (addrs.length === 0) {
    const usable = Object.entries(all).filter(([, list]) => list?.some((a) => a.family === want)).map(([n]) => n);
    const problem = all[name] ? `has no ${want} address` : 'no such interface (or it has no address)';
    throw configError(section, 'interface', `'${printable(name)}': ${problem}; interfaces with an ${want} address here: ${usable.join(', ') || 'none'}`);
  }
  return { name, membership: family === 'ipv4' ? addrs[0]!.address : `::%${name}` };
}
