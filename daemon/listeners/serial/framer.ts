// Cuts 74-byte serial requests out of a byte stream. fence_virtd reads 74
// bytes and trusts them, so one stray byte shifts every later frame; here a
// frame must start with the magic "abba" and decode, and anything else is
// skipped up to the next magic. Time is the caller's business: it calls
// discard() when a partial frame has waited too long.
import { SERIAL_REQUEST_SIZE } from '../../../protocol/constants.js';
import { ProtocolError } from '../../../protocol/errors.js';
import { SERIAL_MAGIC_BYTES, decodeSerialRequest, type SerialRequest } from '../../../protocol/serial.js';

const MAGIC = Buffer.from(SERIAL_MAGIC_BYTES);

export interface FramerOutput {
  readonly requests: SerialRequest[];
  /** Bytes dropped because they were not part of a request. */
  readonly skipped: number;
  /** Why the last candidate frame (it started with the magic) was rejected, if one was. */
  readonly rejected: string | undefined;
}

export class SerialFramer {
  #buf: Buffer = Buffer.alloc(0);

  /** Bytes held back: a partial frame, or a tail that may begin the magic. */
  get pending(): number {
    return this.#buf.length;
  }

  push(chunk: Uint8Array): FramerOutput {
    let buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : Buffer.from(chunk);
    const requests: SerialRequest[] = [];
    let skipped = 0;
    let rejected: string | undefined;
    for (;;) {
      const at = buf.indexOf(MAGIC);
      if (at < 0) {
        const keep = magicPrefixAtEnd(buf);
        skipped += buf.length - keep;
        buf = buf.subarray(buf.length - keep);
        break;
      }
      skipped += at;
      buf = buf.subarray(at);
      if (buf.length < SERIAL_REQUEST_SIZE) break;
      try {
        requests.push(decodeSerialRequest(buf.subarray(0, SERIAL_REQUEST_SIZE)));
        buf = buf.subarray(SERIAL_REQUEST_SIZE);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        // The magic was noise: look for the next one after it.
        rejected = e.message;
        skipped += 1;
        buf = buf.subarray(1);
      }
    }
    // Copy, so a small remainder does not pin a large chunk.
    this.#buf = Buffer.from(buf);
    return { requests, skipped, rejected };
  }

  /** Drops the partial frame; returns how many bytes it had. */
  discard(): number {
    const n = this.#buf.length;
    this.#buf = Buffer.alloc(0);
    return n;
  }
}

/** Length of the longest proper prefix of the magic that `buf` ends with. */
function magicPrefixAtEnd(buf: Buffer): number {
  for (let n = Math.min(MAGIC.length - 1, buf.length); n > 0; n--) {
    if (buf.subarray(buf.length - n).equals(MAGIC.subarray(0, n))) return n;
  }
  return 0;
}
