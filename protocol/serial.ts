// Serial/vmchannel frames (xvm.h:115-139): no key, no hash, no auth.
//   serial_req_t  (74 B): magic u32 LE | request u8 | flags u8 | domain[64] | seqno u32 LE
//   serial_resp_t  (5 B): magic u32 LE | response u8
// On the wire the magic reads "abba" (61 62 62 61).
import { DOMAIN_FIELD, SERIAL_MAGIC, SERIAL_REQUEST_SIZE, SERIAL_RESPONSE_SIZE } from './constants.js';
import { readCString, view, writeCString } from './_bytes.js';
import { ProtocolError, expectLength } from './errors.js';

/** The magic as it appears on the wire, for scanning a byte stream for the start of a frame. */
export const SERIAL_MAGIC_BYTES: Uint8Array = magicBytes();

function magicBytes(): Uint8Array {
  const b = new Uint8Array(4);
  view(b).setUint32(0, SERIAL_MAGIC, true);
  return b;
}

export interface SerialRequest {
  readonly request: number;
  readonly flags: number;
  readonly domain: string;
  readonly seqno: number;
}

export interface SerialResponse {
  readonly response: number;
}

export function encodeSerialRequest(r: SerialRequest): Uint8Array {
  const out = new Uint8Array(SERIAL_REQUEST_SIZE);
  const dv = view(out);
  dv.setUint32(0, SERIAL_MAGIC, true);
  for (const [v, what] of [[r.request, 'request'], [r.flags, 'flags']] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`serial ${what}: ${v} is not a byte`);
  }
  if (!Number.isInteger(r.seqno) || r.seqno < 0 || r.seqno > 0xffffffff) throw new RangeError(`serial seqno: ${r.seqno} is not a u32`);
  out[4] = r.request;
  out[5] = r.flags;
  writeCString(out, 6, DOMAIN_FIELD, r.domain, 'serial request domain');
  dv.setUint32(70, r.seqno, true);
  return out;
}

/** fence_virtd does not check the request magic; we do, so line noise is not obeyed. */
export function decodeSerialRequest(bytes: Uint8Array): SerialRequest {
  expectLength(bytes, SERIAL_REQUEST_SIZE, 'serial request');
  const dv = view(bytes);
  const magic = dv.getUint32(0, true);
  if (magic !== SERIAL_MAGIC) throw new ProtocolError('magic', 0, `expected 0x${SERIAL_MAGIC.toString(16)}, got 0x${magic.toString(16)}`);
  if (!bytes.subarray(6, 6 + DOMAIN_FIELD).includes(0)) throw new ProtocolError('domain', 6, 'not NUL-terminated within 64 bytes');
  return { request: bytes[4]!, flags: bytes[5]!, domain: readCString(bytes, 6, DOMAIN_FIELD), seqno: dv.getUint32(70, true) };
}

export function encodeSerialResponse(r: SerialResponse): Uint8Array {
  const out = new Uint8Array(SERIAL_RESPONSE_SIZE);
  view(out).setUint32(0, SERIAL_MAGIC, true);
  out[4] = r.response;
  return out;
}

export function decodeSerialResponse(bytes: Uint8Array): SerialResponse {
  expectLength(bytes, SERIAL_RESPONSE_SIZE, 'serial response');
  const magic = view(bytes).getUint32(0, true);
  if (magic !== SERIAL_MAGIC) throw new ProtocolError('magic', 0, `expected 0x${SERIAL_MAGIC.toString(16)}, got 0x${magic.toString(16)}`);
  return { response: bytes[4]! };
}
