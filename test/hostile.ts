// Hostile inputs for decoder tests: every entry must be rejected with a
// ProtocolError (or, for well-formed-but-wrong packets, fail verification).
import { REQUEST_SIZE, SERIAL_REQUEST_SIZE } from '../protocol/constants.js';

function bytes(n: number, fill = 0): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

export const hostileRequests: ReadonlyArray<readonly [string, Uint8Array]> = [
  ['empty', bytes(0)],
  ['one byte', bytes(1)],
  ['truncated by one', bytes(REQUEST_SIZE - 1)],
  ['oversized by one', bytes(REQUEST_SIZE + 1)],
  ['serial frame instead of request', bytes(SERIAL_REQUEST_SIZE)],
  ['hash type 4', (() => { const b = bytes(REQUEST_SIZE); b[1] = 4; return b; })()],
  ['hash type 255', (() => { const b = bytes(REQUEST_SIZE); b[1] = 255; return b; })()],
  ['domain without NUL', (() => { const b = bytes(REQUEST_SIZE); b.fill(0x41, 4, 68); return b; })()],
  ['all 0xff', bytes(REQUEST_SIZE, 0xff)],
];

export const hostileSerial: ReadonlyArray<readonly [string, Uint8Array]> = [
  ['empty', bytes(0)],
  ['half a frame', bytes(37)],
  ['bad magic', bytes(SERIAL_REQUEST_SIZE)],
  ['oversized', bytes(SERIAL_REQUEST_SIZE + 1)],
];
