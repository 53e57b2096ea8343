// Byte helpers shared by the wire modules. The C structs are packed and
// little-endian on every platform fence-virt ships on (xvm.h:91 swaps only
// on big-endian hosts, and swaps the 16-bit port wrongly), so LE it is.

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Writes `s` NUL-padded into `field` bytes at `off`; at most `field - 1` bytes of text. */
export function writeCString(out: Uint8Array, off: number, field: number, s: string, what: string): void {
  const enc = utf8.encode(s);
  if (enc.length > field - 1) throw new RangeError(`${what}: ${enc.length} bytes, at most ${field - 1} allowed`);
  if (enc.includes(0)) throw new RangeError(`${what}: contains a NUL byte`);
  out.fill(0, off, off + field);
  out.set(enc, off);
}

/** Reads a C string from a fixed field: up to the first NUL, or the whole field. */
export function readCString(b: Uint8Array, off: number, field: number): string {
  const slice = b.subarray(off, off + field);
  const nul = slice.indexOf(0);
  return utf8d.decode(nul < 0 ? slice : slice.subarray(0, nul));
}

/** Constant-time equality: the C code uses memcmp, which leaks the match length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
