// A multicast list gathers the host lists of several daemons: one line per
// virtual machine, whoever reported it. Records with the same UUID are one
// machine (several daemons see it, or it migrated): a running report wins,
// since the machine runs somewhere. Sorted by name, then UUID, so the output
// does not depend on which daemon answered first.
import type { HostRecord } from '../../../protocol/host-list.js';

const RUNNING = 1;

export function unionOfHosts(lists: readonly (readonly HostRecord[])[]): HostRecord[] {
  const byKey = new Map<string, HostRecord>();
  for (const list of lists) {
    for (const h of list) {
      // A record without a UUID (a foreign daemon) is keyed by its name.
      const key = h.uuid !== '' ? `uuid:${h.uuid.toLowerCase()}` : `name:${h.domain}`;
      const seen = byKey.get(key);
      if (!seen || (seen.state !== RUNNING && h.state === RUNNING)) byKey.set(key, h);
    }
  }
  return [...byKey.values()].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
}
