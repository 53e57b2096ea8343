// The announcement programs IPaddr2 can use and where they are installed.
// Loaded only by start and by validation of an explicit arp_sender.

import { join } from 'node:path';
import type { Env } from '../framework/env.js';
import { findBinary } from '../framework/exec.js';

/** arp_sender values, in order of preference when unset. */
export const ARP_SENDERS = ['iputils_arping', 'send_arp'] as const;
export type ArpSender = (typeof ARP_SENDERS)[number];

/** Where resource-agents installs send_arp and send_ua ($HA_BIN on Debian, Red Hat, SUSE). */
export function haHelper(name: string, env: Env): string | undefined {
  const dirs = [env.HA_BIN, '/usr/libexec/heartbeat', '/usr/lib/heartbeat', '/usr/lib64/heartbeat'];
  for (const d of dirs) {
    if (!d) continue;
    const path = findBinary(join(d, name), env);
    if (path) return path;
  }
  return undefined;
}

/** The program behind an arp_sender value, or undefined when not installed. */
export function senderBinary(sender: ArpSender, env: Env): string | undefined {
  return sender === 'iputils_arping' ? findBinary('arping', env) : haHelper('send_arp', env);
}
