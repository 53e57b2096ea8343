// Properties of the host-list records and stream (reference §3.5), on the
// protocol codec and on the agent's stream reader that all transports use.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { HOST_RECORD_SIZE, Result } from '../../protocol/constants.js';
import { decodeHostRecord, encodeHostList, encodeHostRecord, isTerminator, type HostRecord } from '../../protocol/host-list.js';
import { ProtocolError } from '../../protocol/errors.js';
import { readHostRecords } from '../../agents/fence/transports/_host-list.js';
import { ExactReader } from '../../core/exact-reader.js';
import { PalisadeError } from '../../agents/fence/errors.js';
import { anyBytes, decodeOrReject } from '../hostile.js';
import { cString } from './_arbitraries.js';
import { withDecodeWatchdog } from '../helpers/decode-watchdog.js';

const RUNS = { numRuns: 300 };
const record: fc.Arbitrary<HostRecord> = fc.record({ domain: cString(63), uuid: cString(63), state: fc.integer({ min: 0, max: 255 }) })
  .filter((r) => !isTerminator(r));
const records = fc.array(record, { maxLength: 6 });

/** Feeds `bytes` to the agent's reader in the given chunk sizes, then ends the stream. */
function streamOf(bytes: Uint8Array, cuts: number[]): ExactReader {
  const s = new PassThrough();
  const reader = new ExactReader(s, 'test peer');
  let at = 0;
  for (const n of cuts) { if (at >= bytes.length) break; s.write(bytes.subarray(at, at + n)); at += n; }
  if (at < bytes.length) s.write(bytes.subarray(at));
  s.end();
  return reader;
}
const cuts = fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 8 });

describe('host list: properties', () => {
  it('decodeHostRecord(encodeHostRecord(r)) is r', () => {
    fc.assert(fc.property(record, (r) => {
      expect(decodeHostRecord(encodeHostRecord(r))).toEqual(r);
    }), RUNS);
  });

  it('a record decodes the same whatever fence_virtd leaves in bytes 63, 127 and 129', () => {
    fc.assert(fc.property(record, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (r, a, b, c) => {
      const bytes = encodeHostRecord(r);
      bytes[63] = a; bytes[127] = b; bytes[129] = c;
      expect(decodeHostRecord(bytes)).toEqual(r);
    }), RUNS);
  });

  it('any 130 bytes decode to a record; any other length is a ProtocolError', () => {
    fc.assert(fc.property(fc.oneof(anyBytes(400), anyBytes(HOST_RECORD_SIZE, HOST_RECORD_SIZE)), (b) => {
      const out = decodeOrReject(() => decodeHostRecord(b), HOST_RECORD_SIZE);
      expect(out instanceof ProtocolError).toBe(b.length !== HOST_RECORD_SIZE);
    }), { numRuns: 1000 });
  });

  it('the encoded list, cut into any chunks, reads back as its records and trailer', async () => {
    await fc.assert(fc.asyncProperty(records, fc.integer({ min: 0, max: 255 }), cuts, async (rs, trailer, cut) => {
      const wire = encodeHostList(rs, trailer);
      expect(wire[0]).toBe(Result.HOSTLIST);
      const reader = streamOf(wire.subarray(1), cut);
      const { hosts, bytes } = await readHostRecords(reader, 'test peer', () => 1000, undefined);
      expect(hosts).toEqual(rs);
      expect(Buffer.concat(bytes).length).toBe((rs.length + 1) * HOST_RECORD_SIZE);
      expect((await reader.read(1, 'host-list', 1000))[0]).toBe(trailer);
    }), RUNS);
  });

  it('arbitrary or truncated streams end in records or a typed fence error, never another exception', async () => {
    const junk = fc.oneof(
      anyBytes(700),
      fc.tuple(records, fc.nat()).map(([rs, n]) => { const w = encodeHostList(rs).subarray(1); return w.subarray(0, n % (w.length + 1)); }),
    );
    await fc.assert(fc.asyncProperty(junk, cuts, async (b, cut) => {
      try {
        const { bytes } = await readHostRecords(streamOf(b, cut), 'test peer', () => 1000, undefined);
        expect(bytes.length * HOST_RECORD_SIZE).toBeLessThanOrEqual(b.length);
      } catch (e) {
        expect(e).toBeInstanceOf(PalisadeError);
        expect((e as PalisadeError).code).toBe('PAL_ERR_SHORT_READ');
      }
    }), RUNS);
  });

  it('never hangs: decoding hostile records returns (watchdog worker)', async () => {
    await withDecodeWatchdog(async (dog) => {
      await fc.assert(fc.asyncProperty(anyBytes(400), async (b) => {
        expect(await dog.returns('hostRecord', b)).toBe(true);
      }), { numRuns: 300, endOnFailure: true });
    });
  });
});
