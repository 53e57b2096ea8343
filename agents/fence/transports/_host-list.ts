// The records of a host list (fence-virt client/tcp.c, server/tcp.c): 130-byte host_state_t until
// the all-zero terminator. Shared by every transport; what follows the
// terminator differs (a trailing byte, a tag, a serial response).
import { HOST_RECORD_SIZE } from '../../../protocol/constants.js';
import { decodeHostRecord, isTerminator, type HostRecord } from '../../../protocol/host-list.js';
import { ReplyError } from '../errors.js';
import type { ExactReader } from '../../../core/exact-reader.js';

/** More records than any hypervisor holds: a peer streaming forever is cut off. */
const MAX_HOSTS = 65536;

export interface HostRecords {
  readonly hosts: HostRecord[];
  /** The bytes read, terminator included (hmac-sha256 tags them). */
  readonly bytes: Buffer[];
}

/** `limitMs` is asked before each read: a per-phase limit, or what is left of an overall one. */
export async function readHostRecords(
  reader: ExactReader, peer: string, limitMs: () => number, signal: AbortSignal | undefined,
): Promise<HostRecords> {
  const hosts: HostRecord[] = [];
  const bytes: Buffer[] = [];
  for (;;) {
    const raw = await reader.read(HOST_RECORD_SIZE, 'host-list', limitMs(), signal);
    bytes.push(raw);
    const record = decodeHostRecord(raw);
    if (isTerminator(record)) return { hosts, bytes };
    if (hosts.length >= MAX_HOSTS) throw new ReplyError(peer, `host list longer than ${MAX_HOSTS} records`);
    hosts.push(record);
  }
}
