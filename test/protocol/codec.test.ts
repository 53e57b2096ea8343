import { describe, expect, it } from 'vitest';
import { randomBytes, randomInt } from 'node:crypto';
import { HashType, HOST_RECORD_SIZE, REQUEST_SIZE, Result, type HashTypeValue } from '../../protocol/constants.js';
import { decodeRequest, encodeRequest, makeRequest, signRequest, verifyRequest } from '../../protocol/fence-req.js';
import { decodeHostRecord, encodeHostList, encodeHostRecord, formatHostLine, isTerminator } from '../../protocol/host-list.js';
import {
  decodeSerialRequest, decodeSerialResponse, encodeSerialRequest, encodeSerialResponse,
} from '../../protocol/serial.js';
import { ProtocolError } from '../../protocol/errors.js';
import { hostileRequests, hostileSerial } from '../hostile.js';
import { readFileSync } from 'node:fs';

const vectors = JSON.parse(readFileSync(new URL('../vectors/fence-virt.json', import.meta.url), 'utf8'));
const RUNS = 500;
const name = () => randomBytes(randomInt(0, 32)).toString('base64url').slice(0, randomInt(0, 63));

describe('fence request codec', () => {
  it('encode then decode is the identity (random requests)', () => {
    for (let i = 0; i < RUNS; i++) {
      const hashType = randomInt(0, 4) as HashTypeValue;
      const address = new Uint8Array(28);
      address.set(randomBytes(randomInt(0, 2) ? 4 : 16));
      const req = signRequest(makeRequest({
        request: randomInt(0, 256), hashType, addrLen: randomInt(0, 256), flags: randomInt(0, 256),
        domain: name(), address, port: randomInt(0, 65536), seqno: randomInt(0, 2 ** 32 - 1) >>> 0, family: randomInt(0, 11),
      }), Uint8Array.from(randomBytes(32)), Uint8Array.from(randomBytes(6)));
      const wire = encodeRequest(req);
      expect(wire.length).toBe(REQUEST_SIZE);
      const back = decodeRequest(wire);
      expect(back).toEqual(req);
      expect(encodeRequest(back)).toEqual(wire);
    }
  });

  it('signature round trip: signed with a key verifies with it, not with another', () => {
    for (let i = 0; i < 100; i++) {
      const key = randomBytes(randomInt(1, 4097));
      const hashType = randomInt(1, 4) as HashTypeValue;
      const wire = encodeRequest(signRequest(makeRequest({ request: 4, hashType, domain: name(), seqno: i }), key, randomBytes(6)));
      expect(verifyRequest(decodeRequest(wire), HashType.NONE, key).ok).toBe(true);
      expect(verifyRequest(decodeRequest(wire), HashType.NONE, randomBytes(key.length)).ok).toBe(false);
    }
  });

  it.each(hostileRequests)('rejects %s with a typed error naming field and offset', (_label, bytes) => {
    let err: unknown;
    try { decodeRequest(bytes); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).message).toMatch(/\(offset \d+\)/);
  });

  it('random bytes either decode or throw ProtocolError, nothing else', () => {
    for (let i = 0; i < RUNS; i++) {
      const b = randomBytes(randomInt(0, 2) ? REQUEST_SIZE : randomInt(0, 400));
      try { decodeRequest(b); } catch (e) { expect(e).toBeInstanceOf(ProtocolError); }
    }
  });

  it('refuses to encode what the C client would refuse', () => {
    expect(() => encodeRequest(makeRequest({ request: 4, domain: 'x'.repeat(64), seqno: 1 }))).toThrow(/at most 63/);
    expect(() => encodeRequest(makeRequest({ request: 4, domain: 'a\0b', seqno: 1 }))).toThrow(/NUL/);
    expect(() => encodeRequest(makeRequest({ request: 4, domain: 'x', seqno: 2 ** 32 }))).toThrow(/u32/);
  });
});

describe('host list', () => {
  it('round-trips records and prints fence_virt\'s list line', () => {
    const r = { domain: 'test', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', state: 1 };
    expect(decodeHostRecord(encodeHostRecord(r))).toEqual(r);
    expect(formatHostLine(r)).toBe(vectors.hostRecord.line);
    expect(formatHostLine({ ...r, state: 3 })).toMatch(/ off$/);
  });

  it('ignores the garbage fence_virtd leaves in byte 63, 127 and 129', () => {
    const b = encodeHostRecord({ domain: 'guest1', uuid: 'u', state: 5 });
    b[63] = 51; b[127] = 83; b[129] = 237;
    expect(decodeHostRecord(b)).toEqual({ domain: 'guest1', uuid: 'u', state: 5 });
  });

  it('frames the list as 0xFD, records, zero terminator, trailing byte', () => {
    const out = encodeHostList([{ domain: 'a', uuid: 'u1', state: 1 }, { domain: 'b', uuid: 'u2', state: 5 }]);
    expect(out.length).toBe(1 + 3 * HOST_RECORD_SIZE + 1);
    expect(out[0]).toBe(Result.HOSTLIST);
    expect(isTerminator(decodeHostRecord(out.subarray(1 + 2 * HOST_RECORD_SIZE, 1 + 3 * HOST_RECORD_SIZE)))).toBe(true);
    expect(out[out.length - 1]).toBe(0);
  });
});

describe('serial frames', () => {
  it('matches the verified replies byte for byte', () => {
    expect(Buffer.from(encodeSerialResponse({ response: 0 })).toString('hex')).toBe(vectors.serial.statusGuest2Reply);
    expect(Buffer.from(encodeSerialResponse({ response: 2 })).toString('hex')).toBe(vectors.serial.statusUnknownReply);
    expect(Buffer.from(encodeSerialResponse({ response: 253 })).toString('hex')).toBe(vectors.serial.listBegin);
  });

  it('round-trips requests', () => {
    for (let i = 0; i < RUNS; i++) {
      const r = { request: randomInt(0, 256), flags: randomInt(0, 256), domain: name(), seqno: randomInt(0, 2 ** 32 - 1) };
      expect(decodeSerialRequest(encodeSerialRequest(r))).toEqual(r);
    }
    expect(decodeSerialResponse(encodeSerialResponse({ response: 3 }))).toEqual({ response: 3 });
  });

  it.each(hostileSerial)('rejects %s', (_l, bytes) => {
    expect(() => decodeSerialRequest(bytes)).toThrow(ProtocolError);
  });
});

describe('fixes over the C client', () => {
  it('pads list lines by bytes like printf("%-32s")', () => {
    const line = formatHostLine({ domain: 'gäst', uuid: 'u', state: 1 });
    expect(Buffer.byteLength(line.split(' u ')[0]!)).toBe(32);
  });

  it('keeps defaults for fields given as undefined', () => {
    expect(makeRequest({ request: 4, domain: 'x', seqno: 1, hashType: undefined }).hashType).toBe(HashType.NONE);
  });

  it('refuses an out-of-range serial seqno instead of wrapping it', () => {
    expect(() => encodeSerialRequest({ request: 4, flags: 0, domain: 'x', seqno: 2 ** 32 })).toThrow(/u32/);
    expect(() => encodeSerialRequest({ request: 256, flags: 0, domain: 'x', seqno: 1 })).toThrow(/byte/);
  });
});

describe('key-bound verification agrees with the reference functions', () => {
  it('requestVerifier(key)(bytes, min) === verifyRequest(decodeRequest(bytes), min, key) on canonical bytes', async () => {
    const { requestVerifier } = await import('../../protocol/fence-req.js');
    let altered = 0;
    for (let i = 0; i < 400; i++) {
      const key = Uint8Array.from(randomBytes(randomInt(1, 300)));
      const verify = requestVerifier(key);
      const signKey = i % 3 === 0 ? Uint8Array.from(randomBytes(key.length)) : key;
      const hashType = randomInt(1, 4) as HashTypeValue;
      const bytes = encodeRequest(signRequest(makeRequest({ request: randomInt(0, 9), hashType, domain: name(), seqno: i }), signKey, Uint8Array.from(randomBytes(6))));
      if (i % 4 === 0) bytes[randomInt(0, 112)]! ^= 1 << randomInt(0, 8);
      let decoded;
      try { decoded = decodeRequest(bytes); } catch { continue; }
      const canonical = Buffer.from(encodeRequest(decoded)).equals(Buffer.from(bytes));
      for (const min of [0, 1, 2, 3] as HashTypeValue[]) {
        if (canonical) expect(verify(bytes, min)).toEqual(verifyRequest(decoded, min, key));
        // Bytes after the domain's NUL are lost by decoding; fence_virtd hashes the
        // struct as received, and so does requestVerifier: a change there is a mismatch.
        else if (min <= hashType) { altered++; expect(verify(bytes, min).ok).toBe(false); }
      }
    }
    expect(altered).toBeGreaterThan(0);
  });

  it('requestVerifier leaves a Buffer it is given unchanged (Buffer.slice is a view)', async () => {
    const { requestVerifier } = await import('../../protocol/fence-req.js');
    const key = Uint8Array.from(randomBytes(32));
    const bytes = Buffer.from(encodeRequest(signRequest(makeRequest({ request: 2, hashType: 2, domain: 'web1', seqno: 7 }), key, Uint8Array.from(randomBytes(6)))));
    const before = Buffer.from(bytes);
    expect(requestVerifier(key)(bytes, 1).ok).toBe(true);
    expect(bytes.equals(before)).toBe(true);
    expect(requestVerifier(key)(bytes, 1).ok).toBe(true);
  });

  it('challengeAuth and keyedHasher give the legacy answers', async () => {
    const { challengeAuth, challengeResponse, keyedDigest, keyedHasher } = await import('../../protocol/legacy-auth.js');
    for (const type of [1, 2, 3] as HashTypeValue[]) {
      const key = Uint8Array.from(randomBytes(256));
      const auth = challengeAuth(type, key);
      const hasher = keyedHasher(type, key);
      for (let i = 0; i < 20; i++) {
        const ch = Uint8Array.from(randomBytes(64));
        expect(auth.respond(ch)).toEqual(challengeResponse(type, key, ch));
        expect(auth.verify(ch, challengeResponse(type, key, ch))).toBe(true);
        expect(auth.verify(ch, challengeResponse(type, Uint8Array.from(randomBytes(256)), ch))).toBe(false);
        const msg = Uint8Array.from(randomBytes(randomInt(0, 500)));
        expect(hasher.digest(msg)).toEqual(keyedDigest(type, key, msg));
      }
    }
  });
});
