// Whether an address literal is a multicast group: the daemon's `address`
// option must be one; the client sends to a group from every local address,
// but to a unicast address only once.
import { isIPv4, isIPv6 } from 'node:net';

/** 224.0.0.0/4 or ff00::/8 (the first group written in full, so `ff::1`, which is 00ff::1, is not). */
export function isMulticastAddress(s: string): boolean {
  if (isIPv4(s)) {
    const first = Number(s.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return isIPv6(s) && /^ff[0-9a-f]{2}:/i.test(s);
}
