// fast-check arbitraries shared by the protocol property tests.
import fc from 'fast-check';

const utf8 = new TextEncoder();

/** Text that fits a C string field: no NUL, at most `maxBytes` bytes of UTF-8. */
export function cString(maxBytes: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0', '-', '.', ' '), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: maxBytes })
    .map((s) => s.replaceAll('\0', ''))
    .filter((s) => utf8.encode(s).length <= maxBytes);
}
