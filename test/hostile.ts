// Hostile inputs for decoder tests: every entry must be rejected with a
// ProtocolError (or, for well-formed-but-wrong packets, fail verification).
import fc from 'fast-check';
import { REQUEST_SIZE, SERIAL_REQUEST_SIZE } from '../protocol/constants.js';
import { SERIAL_MAGIC_BYTES } from '../protocol/serial.js';
import { ProtocolError } from '../protocol/errors.js';

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
  ['domain without NUL', (() => { const b = bytes(SERIAL_REQUEST_SIZE, 0x41); b.set(SERIAL_MAGIC_BYTES); return b; })()],
];

/**
 * Bytes of any length up to `maxLength`. fast-check's default size keeps
 * arrays to about 10 elements, so most are drawn at full size; and some
 * without its bias towards small values: biased bytes are mostly zeros,
 * which end every string field and never reach a "not NUL-terminated" path.
 */
export function anyBytes(maxLength: number, minLength = 0): fc.Arbitrary<Uint8Array> {
  const full = fc.uint8Array({ minLength, maxLength, size: 'max' });
  return fc.oneof(fc.uint8Array({ minLength, maxLength }), full, fc.noBias(full));
}

// Generators for property tests and the live flood: well-formed bytes
// damaged the ways a line, a fuzzer or an attacker damages them.
/** The byte at `index` XORed with a non-zero `mask`: always a different value. */
export interface ByteMutation { readonly index: number; readonly mask: number }

export function singleByteMutation(length: number): fc.Arbitrary<ByteMutation> {
  return fc.record({ index: fc.integer({ min: 0, max: length - 1 }), mask: fc.integer({ min: 1, max: 255 }) });
}

export function applyMutation(bytes: Uint8Array, m: ByteMutation): Uint8Array {
  const out = bytes.slice();
  out[m.index] = out[m.index]! ^ m.mask;
  return out;
}

/**
 * Damaged copies of `base`: bit flips, overwritten bytes, truncation,
 * extension, a spliced run of random bytes, or one of the hostile samples.
 */
export function mutated(base: Uint8Array, samples: ReadonlyArray<readonly [string, Uint8Array]> = []): fc.Arbitrary<Uint8Array> {
  const len = Math.max(1, base.length);
  const kinds: Array<fc.Arbitrary<Uint8Array>> = [
    fc.array(singleByteMutation(len), { minLength: 1, maxLength: 8 })
      .map((ms) => ms.reduce((b, m) => (m.index < b.length ? applyMutation(b, m) : b), base)),
    fc.integer({ min: 0, max: Math.max(0, base.length - 1) }).map((n) => base.slice(0, n)),
    // A run overwritten with one non-zero byte: a string field that never ends.
    fc.record({ at: fc.nat(base.length), len: fc.integer({ min: 1, max: 80 }), fill: fc.integer({ min: 1, max: 255 }) })
      .map(({ at, len, fill }) => { const out = base.slice(); out.fill(fill, Math.min(at, out.length), Math.min(at + len, out.length)); return out; }),
    fc.uint8Array({ minLength: 1, maxLength: 64, size: 'max' }).map((tail) => concat(base, tail)),
    fc.record({ at: fc.integer({ min: 0, max: base.length }), junk: fc.uint8Array({ maxLength: 32, size: 'max' }), cut: fc.nat(32) })
      .map(({ at, junk, cut }) => concat(base.subarray(0, at), junk, base.subarray(Math.min(base.length, at + cut)))),
  ];
  if (samples.length) kinds.push(fc.constantFrom(...samples.map(([, b]) => b)));
  return fc.oneof(...kinds);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * Runs a decoder on hostile input: its value, or the ProtocolError it threw,
 * checked to name a field and an offset inside the `size`-byte structure.
 * Any other exception propagates and fails the property.
 */
export function decodeOrReject<T>(decode: () => T, size: number): T | ProtocolError {
  try {
    return decode();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    if (!e.field || !Number.isInteger(e.offset) || e.offset < 0 || e.offset >= size) {
      throw new Error(`ProtocolError without a usable field/offset: ${e.message}`);
    }
    return e;
  }
}
