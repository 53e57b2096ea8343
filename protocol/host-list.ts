// host_state_t (xvm.h:104-109) and the host-list stream (server/tcp.c):
//   0xFD, one 130-byte record per domain, a 130-byte zero terminator,
//   then one trailing result byte (ignored by the C client).
// Record: domain[64] | uuid[64] | state u8 | pad u8. fence_virtd leaves
// stack garbage in domain[63], uuid[63] and pad; we write zeros and ignore
// those bytes when reading.
import { DOMAIN_FIELD, HOST_RECORD_SIZE, Result } from './constants.js';
import { readCString, writeCString } from './_bytes.js';
import { expectLength } from './errors.js';

export interface HostRecord {
  readonly domain: string;
  readonly uuid: string;
  /** Raw virDomainState; 1 (running) prints as "on", everything else "off". */
  readonly state: number;
}

export function encodeHostRecord(r: HostRecord): Uint8Array {
  const out = new Uint8Array(HOST_RECORD_SIZE);
  writeCString(out, 0, DOMAIN_FIELD, r.domain, 'host record domain');
  writeCString(out, 64, 64, r.uuid, 'host record uuid');
  if (!Number.isInteger(r.state) || r.state < 0 || r.state > 0xff) throw new RangeError(`host record state: ${r.state} is not a byte`);
  out[128] = r.state;
  return out;
}

export function decodeHostRecord(bytes: Uint8Array): HostRecord {
  expectLength(bytes, HOST_RECORD_SIZE, 'host record');
  // Read 63 bytes of each string: byte 63 may be garbage from the C daemon.
  return { domain: readCString(bytes, 0, 63), uuid: readCString(bytes, 64, 63), state: bytes[128]! };
}

/** The C client stops at a record whose domain and uuid are both empty. */
export function isTerminator(r: HostRecord): boolean {
  return r.domain === '' && r.uuid === '';
}

/** The whole reply: marker, records, terminator, trailing result byte. */
export function encodeHostList(records: readonly HostRecord[], trailer: number = Result.SUCCESS): Uint8Array {
  const out = new Uint8Array(1 + (records.length + 1) * HOST_RECORD_SIZE + 1);
  out[0] = Result.HOSTLIST;
  records.forEach((r, i) => out.set(encodeHostRecord(r), 1 + i * HOST_RECORD_SIZE));
  out[out.length - 1] = trailer;
  return out;
}

/** `%-32s uuid on|off`, the line fence_virt/fence_xvm print for `list`. */
export function formatHostLine(r: HostRecord): string {
  // printf("%-32s") pads by bytes, not characters.
  const pad = Math.max(0, 32 - new TextEncoder().encode(r.domain).length);
  return `${r.domain}${' '.repeat(pad)} ${r.uuid} ${r.state === 1 ? 'on' : 'off'}`;
}
