// The root of every Palisade error, and the decoders' error. The root lives
// here, with no Node imports, so protocol/ (pure) can derive from it;
// core/errors.ts holds the catalog of codes and every other error class.

/** A stable error code; core/errors.ts lists every one (ERROR_CODES). */
export type ErrorCode = `PAL_ERR_${string}`;

export class PalisadeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A decoding error: names the field and its byte offset, so a bad packet in a log says what was wrong and where. */
export class ProtocolError extends PalisadeError {
  declare readonly code: 'PAL_ERR_PROTOCOL';
  readonly field: string;
  readonly offset: number;
  constructor(field: string, offset: number, problem: string) {
    super('PAL_ERR_PROTOCOL', `${field} (offset ${offset}): ${problem}`);
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
