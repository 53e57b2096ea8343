// Properties of the 176-byte request codec and its legacy signature:
// encode/decode round trip, hostile bytes rejected only with a typed
// ProtocolError, and no single-byte change to a signed request verifying.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ADDRESS_FIELD, CHALLENGE_SIZE, HASH_FIELD, HashType, RANDOM_FIELD, REQUEST_SIZE, type HashTypeValue } from '../../protocol/constants.js';
import { decodeRequest, encodeRequest, makeRequest, requestVerifier, signRequest, type FenceRequest } from '../../protocol/fence-req.js';
import { ProtocolError } from '../../protocol/errors.js';
import { challengeAuth } from '../../protocol/legacy-auth.js';
import { anyBytes, applyMutation, decodeOrReject, hostileRequests, mutated, singleByteMutation } from '../hostile.js';
import { cString } from './_arbitraries.js';
import { withDecodeWatchdog } from '../helpers/decode-watchdog.js';
import { callbackTarget } from '../../daemon/listeners/multicast/callback.js';
import { isIP } from 'node:net';

const RUNS = { numRuns: 300 };
const byte = fc.integer({ min: 0, max: 255 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const legacyHash = fc.constantFrom<HashTypeValue>(HashType.SHA1, HashType.SHA256, HashType.SHA512);

const request: fc.Arbitrary<FenceRequest> = fc.record({
  request: byte, hashType: fc.constantFrom<HashTypeValue>(0, 1, 2, 3), addrLen: byte, flags: byte,
  domain: cString(63),
  address: fc.uint8Array({ maxLength: ADDRESS_FIELD, size: 'max' }).map((a) => { const out = new Uint8Array(ADDRESS_FIELD); out.set(a); return out; }),
  port: fc.integer({ min: 0, max: 0xffff }),
  random: fc.uint8Array({ minLength: RANDOM_FIELD, maxLength: RANDOM_FIELD }),
  seqno: u32, family: u32,
  hash: fc.uint8Array({ minLength: HASH_FIELD, maxLength: HASH_FIELD }),
});
const key = fc.uint8Array({ minLength: 1, maxLength: 512 });

/** A request as a legacy client signs it, with its key and minimum hash. */
const signed = fc.record({ req: request, key, hashType: legacyHash, random: fc.uint8Array({ minLength: 6, maxLength: 6 }) })
  .map(({ req, key, hashType, random }) => ({ key, hashType, bytes: encodeRequest(signRequest({ ...req, hashType }, key, random)) }));

describe('fence request: properties', () => {
  it('decode(encode(r)) is r, and encode(decode(b)) is b', () => {
    fc.assert(fc.property(request, (r) => {
      const wire = encodeRequest(r);
      expect(wire.length).toBe(REQUEST_SIZE);
      expect(decodeRequest(wire)).toEqual(r);
      expect(encodeRequest(decodeRequest(wire))).toEqual(wire);
    }), RUNS);
  });

  it('arbitrary bytes of any length decode or fail with a ProtocolError naming field and offset', () => {
    const bytes = fc.oneof(anyBytes(400), anyBytes(REQUEST_SIZE, REQUEST_SIZE));
    fc.assert(fc.property(bytes, (b) => {
      const out = decodeOrReject(() => decodeRequest(b), REQUEST_SIZE);
      if (b.length !== REQUEST_SIZE) expect(out).toBeInstanceOf(ProtocolError);
    }), { numRuns: 1000 });
  });

  it('mutated signed requests decode or are refused, and the key-bound verifier never throws anything else', () => {
    const hostile = signed.chain(({ key, bytes }) => mutated(bytes, hostileRequests).map((m) => ({ key, m })));
    fc.assert(fc.property(hostile, fc.constantFrom<HashTypeValue>(0, 1, 2, 3), ({ key, m }, minimum) => {
      decodeOrReject(() => decodeRequest(m), REQUEST_SIZE);
      decodeOrReject(() => requestVerifier(key)(m, minimum), REQUEST_SIZE);
    }), { numRuns: 1000 });
  });

  it('a signed request verifies, and no single-byte change of it does (minimum = its hash)', () => {
    fc.assert(fc.property(signed, singleByteMutation(REQUEST_SIZE), ({ key, hashType, bytes }, m) => {
      const verify = requestVerifier(key);
      expect(verify(bytes, hashType)).toEqual({ ok: true });
      const v = decodeOrReject(() => verify(applyMutation(bytes, m), hashType), REQUEST_SIZE);
      if (!(v instanceof ProtocolError)) expect(v.ok).toBe(false);
    }), RUNS);
  });

  it('a signed request never verifies with another key', () => {
    fc.assert(fc.property(signed, key, ({ key: k, hashType, bytes }, other) => {
      fc.pre(!Buffer.from(other).equals(Buffer.from(k)));
      expect(requestVerifier(other)(bytes, hashType).ok).toBe(false);
    }), RUNS);
  });

  it('a challenge response verifies, and no single-byte change of it does', () => {
    const challenge = fc.uint8Array({ minLength: CHALLENGE_SIZE, maxLength: CHALLENGE_SIZE });
    fc.assert(fc.property(key, legacyHash, challenge, singleByteMutation(HASH_FIELD), (k, type, c, m) => {
      const auth = challengeAuth(type, k);
      const answer = auth.respond(c);
      expect(auth.verify(c, answer)).toBe(true);
      expect(auth.verify(c, applyMutation(answer, m))).toBe(false);
    }), RUNS);
  });

  it('makeRequest defaults encode: a request built from required fields alone round-trips', () => {
    fc.assert(fc.property(byte, cString(63), u32, (r, domain, seqno) => {
      const req = makeRequest({ request: r, domain, seqno });
      expect(decodeRequest(encodeRequest(req))).toEqual(req);
    }), RUNS);
  });

  it('any decodable request yields a multicast callback target or a reason, never an exception', () => {
    const withCallback = fc.record({ req: request, family: fc.oneof(fc.constantFrom(2, 10), u32) }).map(({ req, family }) => ({ ...req, family }));
    fc.assert(fc.property(withCallback, fc.constantFrom(undefined, 'lo'), (req, iface) => {
      const t = callbackTarget(decodeRequest(encodeRequest(req)), iface);
      expect(t.ok).toBe((req.family === 2 || req.family === 10) && req.port !== 0);
      if (t.ok) {
        expect(isIP(t.target.ip)).toBe(req.family === 2 ? 4 : 6);
        expect(t.target.port).toBe(req.port);
      }
    }), { numRuns: 1000 });
  });

  it('never hangs: decoding and verifying hostile bytes returns (watchdog worker)', async () => {
    await withDecodeWatchdog(async (dog) => {
      const hostile = fc.oneof(anyBytes(400), signed.chain(({ bytes }) => mutated(bytes, hostileRequests)));
      await fc.assert(fc.asyncProperty(hostile, async (b) => {
        expect(await dog.returns('request', b)).toBe(true);
        expect(await dog.returns('verify', b)).toBe(true);
      }), { numRuns: 300, endOnFailure: true });
    });
  });
});
