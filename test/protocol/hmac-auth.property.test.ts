// Properties of the hmac-sha256 messages (protocol/hmac-auth.md): each
// message verifies as built, no single-byte change to it (or to what it
// binds) verifies, another key never verifies, and bytes of any shape
// are refused without an exception other than ProtocolError.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { REQUEST_SIZE } from '../../protocol/constants.js';
import { makeRequest } from '../../protocol/fence-req.js';
import { encodeHostList } from '../../protocol/host-list.js';
import {
  HELLO_SIZE, NONCE_SIZE, TAG_SIZE, clientProof, daemonHello, hmacKeys, isHmacRequest, openDaemonHello, resultTag, sealRequest,
  verifyClientProof, verifyResultTag, verifySealedRequest, type HmacKeys,
} from '../../protocol/hmac-auth.js';
import { ProtocolError } from '../../protocol/errors.js';
import { anyBytes, applyMutation, decodeOrReject, mutated, singleByteMutation } from '../hostile.js';
import { cString } from './_arbitraries.js';
import { withDecodeWatchdog } from '../helpers/decode-watchdog.js';

const RUNS = { numRuns: 200 };
const nonce = fc.uint8Array({ minLength: NONCE_SIZE, maxLength: NONCE_SIZE });
const sharedKey = fc.uint8Array({ minLength: 1, maxLength: 256 });

/** One whole exchange's messages, from a generated key, request, nonces and answer. */
const exchange = fc.record({
  key: sharedKey,
  command: fc.integer({ min: 0, max: 255 }),
  domain: cString(63),
  seqno: fc.integer({ min: 0, max: 0xffffffff }),
  clientNonce: nonce,
  daemonNonce: nonce,
  body: fc.oneof(
    fc.integer({ min: 0, max: 255 }).map((r) => Uint8Array.of(r)),
    fc.array(fc.record({ domain: cString(63).filter((d) => d !== ''), uuid: cString(63), state: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 })
      .map((hosts) => encodeHostList(hosts)),
  ),
}).map((x) => {
  const keys = hmacKeys(x.key);
  const request = sealRequest(keys, makeRequest({ request: x.command, domain: x.domain, seqno: x.seqno }), x.clientNonce);
  const hello = daemonHello(keys, request, x.daemonNonce);
  const proof = clientProof(keys, request, x.daemonNonce);
  const tag = resultTag(keys, request, x.daemonNonce, x.body);
  return { ...x, keys, request, hello, proof, tag };
});

const keysOf = new Map<string, HmacKeys>();
/** Keys derived from another shared key (memoized: HKDF per run would dominate). */
function otherKeys(k: Uint8Array): HmacKeys {
  const id = Buffer.from(k).toString('hex');
  let keys = keysOf.get(id);
  if (!keys) keysOf.set(id, (keys = hmacKeys(k)));
  return keys;
}

describe('hmac-sha256 messages: properties', () => {
  it('every message verifies as built', () => {
    fc.assert(fc.property(exchange, (x) => {
      expect(isHmacRequest(x.request)).toBe(true);
      expect(verifySealedRequest(x.keys, x.request)).toBe(true);
      expect(openDaemonHello(x.keys, x.request, x.hello)).toEqual(x.daemonNonce);
      expect(verifyClientProof(x.keys, x.request, x.daemonNonce, x.proof)).toBe(true);
      expect(verifyResultTag(x.keys, x.request, x.daemonNonce, x.body, x.tag)).toBe(true);
    }), RUNS);
  });

  it('no single-byte change to the sealed request verifies, nor anything bound to it', () => {
    fc.assert(fc.property(exchange, singleByteMutation(REQUEST_SIZE), (x, m) => {
      const r = applyMutation(x.request, m);
      expect(verifySealedRequest(x.keys, r)).toBe(false);
      expect(openDaemonHello(x.keys, r, x.hello)).toBeUndefined();
      expect(verifyClientProof(x.keys, r, x.daemonNonce, x.proof)).toBe(false);
      expect(verifyResultTag(x.keys, r, x.daemonNonce, x.body, x.tag)).toBe(false);
    }), RUNS);
  });

  it('no single-byte change to the hello, the proof, the nonce, the body or the tag verifies', () => {
    fc.assert(fc.property(
      exchange, singleByteMutation(HELLO_SIZE), singleByteMutation(TAG_SIZE), singleByteMutation(NONCE_SIZE), fc.nat(),
      (x, mh, mt, mn, at) => {
        expect(openDaemonHello(x.keys, x.request, applyMutation(x.hello, mh))).toBeUndefined();
        expect(verifyClientProof(x.keys, x.request, x.daemonNonce, applyMutation(x.proof, mt))).toBe(false);
        const n = applyMutation(x.daemonNonce, mn);
        expect(verifyClientProof(x.keys, x.request, n, x.proof)).toBe(false);
        expect(verifyResultTag(x.keys, x.request, n, x.body, x.tag)).toBe(false);
        expect(verifyResultTag(x.keys, x.request, x.daemonNonce, x.body, applyMutation(x.tag, mt))).toBe(false);
        const mb = { index: at % x.body.length, mask: mt.mask };
        expect(verifyResultTag(x.keys, x.request, x.daemonNonce, applyMutation(x.body, mb), x.tag)).toBe(false);
      },
    ), RUNS);
  });

  it('one role\'s message never passes as another\'s, and another key verifies nothing', () => {
    fc.assert(fc.property(exchange, sharedKey, (x, k) => {
      // The daemon's proof is not a client proof, and the reverse (the roles have their own keys).
      expect(verifyClientProof(x.keys, x.request, x.daemonNonce, x.hello.subarray(NONCE_SIZE))).toBe(false);
      fc.pre(!Buffer.from(k).equals(Buffer.from(x.key)));
      const other = otherKeys(k);
      expect(verifySealedRequest(other, x.request)).toBe(false);
      expect(openDaemonHello(other, x.request, x.hello)).toBeUndefined();
      expect(verifyClientProof(other, x.request, x.daemonNonce, x.proof)).toBe(false);
      expect(verifyResultTag(other, x.request, x.daemonNonce, x.body, x.tag)).toBe(false);
    }), RUNS);
  });

  it('bytes of any length are refused: false, undefined, or a ProtocolError naming the field', () => {
    const junk = anyBytes(300);
    fc.assert(fc.property(exchange, junk, (x, b) => {
      expect(verifySealedRequest(x.keys, b)).toBe(false);
      const hello = decodeOrReject(() => openDaemonHello(x.keys, x.request, b), HELLO_SIZE);
      if (!(hello instanceof ProtocolError)) expect(hello).toBeUndefined();
      expect(b.length === HELLO_SIZE || hello instanceof ProtocolError).toBe(true);
      expect(verifyClientProof(x.keys, x.request, x.daemonNonce, b)).toBe(false);
      expect(verifyResultTag(x.keys, x.request, x.daemonNonce, x.body, b)).toBe(false);
    }), RUNS);
  });

  it('mutated sealed requests of any shape are refused without throwing', () => {
    fc.assert(fc.property(exchange.chain((x) => mutated(x.request).map((m) => ({ x, m }))), ({ x, m }) => {
      fc.pre(!Buffer.from(m).equals(Buffer.from(x.request)));
      expect(verifySealedRequest(x.keys, m)).toBe(false);
    }), RUNS);
  });

  it('never hangs: opening a hostile hello returns (watchdog worker)', async () => {
    await withDecodeWatchdog(async (dog) => {
      await fc.assert(fc.asyncProperty(anyBytes(300), async (b) => {
        expect(await dog.returns('hello', b)).toBe(true);
      }), { numRuns: 300, endOnFailure: true });
    });
  });
});
