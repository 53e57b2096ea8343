// fast-check arbitraries shared by the protocol property tests.
import fc from 'fast-check';

const utf8 = new TextEncoder();

/** Drops code points from the end until the UTF-8 form fits `maxBytes`. */
function fit(s: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const p of s) {
    bytes += utf8.encode(p).length;
    if (bytes > maxBytes) break;
    out += p;
  }
  return out;
}

/**
 * Text that fits a C string field: no NUL, at most `maxBytes` bytes of
 * UTF-8, of any length up to that (fast-check's default size would keep it
 * to about 10 characters).
 */
export function cString(maxBytes: number): fc.Arbitrary<string> {
  const unit = fc.oneof(fc.constantFrom('a', 'Z', '0', '-', '.', ' '), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
  return fc.oneof(fc.string({ unit, maxLength: maxBytes }), fc.string({ unit, maxLength: maxBytes, size: 'max' }))
    .map((s) => fit(s.replaceAll('\0', ''), maxBytes));
}
