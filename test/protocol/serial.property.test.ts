// Properties of the serial/vmchannel frames (reference §3.3), of the
// daemon's framer that cuts them out of a noisy byte stream, and of the
// agent's reader of the answers.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashType, SERIAL_REQUEST_SIZE, SERIAL_RESPONSE_SIZE } from '../../protocol/constants.js';
import {
  SERIAL_MAGIC_BYTES, decodeSerialRequest, decodeSerialResponse, encodeSerialRequest, encodeSerialResponse, type SerialRequest,
} from '../../protocol/serial.js';
import { ProtocolError } from '../../protocol/errors.js';
import { SerialFramer } from '../../daemon/listeners/serial/framer.js';
import { serialExchange } from '../../agents/fence/transports/_serial-exchange.js';
import { PalisadeError } from '../../agents/fence/errors.js';
import { encodeHostList, encodeHostRecord, isTerminator, type HostRecord } from '../../protocol/host-list.js';
import { Duplex } from 'node:stream';
import { anyBytes, decodeOrReject, hostileSerial, mutated } from '../hostile.js';
import { cString } from './_arbitraries.js';
import { withDecodeWatchdog } from '../helpers/decode-watchdog.js';

const RUNS = { numRuns: 300 };
const frame: fc.Arbitrary<SerialRequest> = fc.record({
  request: fc.integer({ min: 0, max: 255 }), flags: fc.integer({ min: 0, max: 255 }), domain: cString(63), seqno: fc.integer({ min: 0, max: 0xffffffff }),
});
/** Line noise that cannot start the magic ("abba" begins with 0x61). */
const noise = fc.uint8Array({ maxLength: 40 }).map((b) => b.map((x) => (x === SERIAL_MAGIC_BYTES[0] ? 0x62 : x)));

/** Pushes `bytes` through a framer in chunks of the given sizes; returns everything it produced. */
function frameAll(bytes: Uint8Array, sizes: number[]): { requests: SerialRequest[]; skipped: number; pending: number; maxPending: number } {
  const f = new SerialFramer();
  const requests: SerialRequest[] = [];
  let skipped = 0;
  let maxPending = 0;
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = sizes.length ? sizes[i++ % sizes.length]! : bytes.length;
    const out = f.push(bytes.subarray(at, at + n));
    at += n;
    requests.push(...out.requests);
    skipped += out.skipped;
    maxPending = Math.max(maxPending, f.pending);
  }
  return { requests, skipped, pending: f.pending, maxPending };
}

/** The agent's side of a serial line: what it writes is dropped, `bytes` is what it reads, then the line ends. */
function agentOverLine(bytes: Uint8Array): ReturnType<typeof serialExchange> {
  const line = new Duplex({ read() {}, write(_chunk, _enc, done) { done(); } });
  const call = { command: 4, domain: 'vm', seqno: 1, flags: 0, auth: { mode: 'legacy' as const, hash: HashType.NONE, auth: HashType.NONE, key: new Uint8Array() } };
  const reply = serialExchange(line, 'test line', call, { timeoutMs: 5_000, timeoutHint: 'test' });
  line.push(Buffer.from(bytes));
  line.push(null);
  return reply;
}
const hostRecord: fc.Arbitrary<HostRecord> = fc.record({ domain: cString(63), uuid: cString(63), state: fc.integer({ min: 0, max: 255 }) })
  .filter((r) => !isTerminator(r));
const chunkSizes = fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 10 });

describe('serial frames: properties', () => {
  it('requests and responses round-trip', () => {
    fc.assert(fc.property(frame, fc.integer({ min: 0, max: 255 }), (r, response) => {
      expect(decodeSerialRequest(encodeSerialRequest(r))).toEqual(r);
      expect(decodeSerialResponse(encodeSerialResponse({ response }))).toEqual({ response });
    }), RUNS);
  });

  it('arbitrary and mutated bytes decode or fail with a ProtocolError naming field and offset', () => {
    const input = fc.oneof(
      anyBytes(200),
      anyBytes(SERIAL_REQUEST_SIZE, SERIAL_REQUEST_SIZE),
      frame.chain((r) => mutated(encodeSerialRequest(r), hostileSerial)),
    );
    fc.assert(fc.property(input, (b) => {
      const req = decodeOrReject(() => decodeSerialRequest(b), SERIAL_REQUEST_SIZE);
      if (b.length !== SERIAL_REQUEST_SIZE) expect(req).toBeInstanceOf(ProtocolError);
      const resp = decodeOrReject(() => decodeSerialResponse(b), SERIAL_RESPONSE_SIZE);
      if (b.length !== SERIAL_RESPONSE_SIZE) expect(resp).toBeInstanceOf(ProtocolError);
    }), { numRuns: 1000 });
  });

  it('the framer finds every frame between bursts of noise, however the stream is cut', () => {
    const stream = fc.array(fc.tuple(noise, frame), { maxLength: 6 });
    fc.assert(fc.property(stream, noise, chunkSizes, (parts, tail, sizes) => {
      const bytes = Buffer.concat([...parts.flatMap(([n, r]) => [n, encodeSerialRequest(r)]), tail]);
      const out = frameAll(bytes, sizes);
      expect(out.requests).toEqual(parts.map(([, r]) => r));
      expect(out.skipped).toBe(parts.reduce((n, [b]) => n + b.length, 0) + tail.length);
      expect(out.pending).toBe(0);
    }), RUNS);
  });

  it('on arbitrary bytes the framer never throws, accounts for every byte and holds less than one frame', () => {
    const junk = fc.oneof(
      anyBytes(600),
      // Dense in magic bytes, so that false starts and half frames are common.
      fc.array(fc.oneof(fc.constant(SERIAL_MAGIC_BYTES), anyBytes(80)), { maxLength: 12 }).map((xs) => Buffer.concat(xs)),
    );
    fc.assert(fc.property(junk, chunkSizes, (bytes, sizes) => {
      const out = frameAll(bytes, sizes);
      expect(out.skipped + out.requests.length * SERIAL_REQUEST_SIZE + out.pending).toBe(bytes.length);
      expect(out.maxPending).toBeLessThan(SERIAL_REQUEST_SIZE);
    }), { numRuns: 500 });
  });

  it('the agent reads an answer, or a host list, after any noise that cannot start the magic', async () => {
    await fc.assert(fc.asyncProperty(noise, fc.integer({ min: 0, max: 255 }), fc.array(hostRecord, { maxLength: 4 }), fc.integer({ min: 0, max: 255 }), async (junk, result, hosts, trailer) => {
      const magic = Buffer.from(SERIAL_MAGIC_BYTES);
      if (result !== 0xfd) {
        expect(await agentOverLine(Buffer.concat([junk, magic, Uint8Array.of(result)]))).toEqual({ result });
        return;
      }
      const list = encodeHostList(hosts).subarray(0, -1); // 0xFD, records, terminator: the trailer comes framed
      const bytes = Buffer.concat([junk, magic, list, junk, magic, Uint8Array.of(trailer)]);
      expect(await agentOverLine(bytes)).toEqual({ result: 0, hosts, trailer });
    }), RUNS);
  });

  it('on arbitrary bytes the agent resolves with an answer or fails with a typed fence error', async () => {
    const lines = fc.oneof(anyBytes(400), fc.array(fc.oneof(fc.constant(SERIAL_MAGIC_BYTES), anyBytes(140), fc.constant(encodeHostRecord({ domain: 'd', uuid: 'u', state: 1 }))), { maxLength: 8 })
      .map((xs) => Buffer.concat(xs)));
    await fc.assert(fc.asyncProperty(lines, async (bytes) => {
      try {
        const reply = await agentOverLine(bytes);
        expect(Number.isInteger(reply.result)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(PalisadeError);
        expect((e as PalisadeError).code).toBe('PAL_ERR_SHORT_READ');
      }
    }), RUNS);
  });

  it('never hangs: frames and framer on hostile bytes return (watchdog worker)', async () => {
    await withDecodeWatchdog(async (dog) => {
      const bytes = fc.oneof(anyBytes(200), frame.chain((r) => mutated(encodeSerialRequest(r), hostileSerial)));
      const chunks = fc.array(fc.oneof(bytes, fc.constant(SERIAL_MAGIC_BYTES)), { maxLength: 12 });
      await fc.assert(fc.asyncProperty(bytes, chunks, async (b, cs) => {
        expect(await dog.returns('serialRequest', b)).toBe(true);
        expect(await dog.returns('serialResponse', b)).toBe(true);
        expect(await dog.returns('framer', cs)).toBe(true);
      }), { numRuns: 300, endOnFailure: true });
    });
  });
});
