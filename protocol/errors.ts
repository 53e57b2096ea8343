// Decoding errors: every one names the field and its byte offset, so a bad
// packet in a log says what was wrong and where.

export class ProtocolError extends Error {
  readonly code = 'PAL_ERR_PROTOCOL';
  readonly field: string;
  readonly offset: number;
  constructor(field: string, offset: number, problem: string) {
    super(`${field} (offset ${offset}): ${problem}`);
    this.name = 'ProtocolError';
    this.field = field;
    this.offset = offset;
  }
}

export function expectLength(bytes: Uint8Array, size: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: expected Uint8Array, got ${typeof bytes}`);
  if (bytes.length !== size) {
    throw new ProtocolError(what, 0, `expected ${size} bytes, got ${bytes.length}`);
  }
}
