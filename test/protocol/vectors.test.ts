import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FenceCommand, HashType, REQUEST_SIZE } from '../../protocol/constants.js';
import { decodeRequest, encodeRequest, makeRequest, signRequest, verifyRequest } from '../../protocol/fence-req.js';
import { challengeResponse, verifyChallengeResponse } from '../../protocol/legacy-auth.js';
import { hex } from '../../protocol/_bytes.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/fence-virt.json', import.meta.url), 'utf8'));
const key = Uint8Array.from({ length: 256 }, (_, i) => i);
const challenge = Uint8Array.from({ length: 64 }, (_, i) => i);
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('reference vectors (bytes fence_virtd accepted, test/vectors/fence-virt.json)', () => {
  const v = vectors.request;
  const signed = signRequest(
    makeRequest({ request: FenceCommand.STATUS, hashType: HashType.SHA256, domain: v.domain, seqno: v.seqno }),
    key, unhex(v.random),
  );
  const wire = encodeRequest(signed);

  it('lays out the first 112 bytes byte for byte', () => {
    expect(wire.length).toBe(REQUEST_SIZE);
    expect(hex(wire.subarray(0, 112))).toBe(v.prefixHex);
  });

  it('signs with the keyed SHA-256 digest, zero padded to 64 bytes', () => {
    expect(hex(wire.subarray(112))).toBe(v.hash);
  });

  it('verifies the vector and rejects a one-bit change anywhere', () => {
    expect(verifyRequest(decodeRequest(wire), HashType.SHA256, key)).toEqual({ ok: true });
    for (const off of [0, 4, 70, 96, 98, 104, 108, 112, 175]) {
      const bad = wire.slice();
      bad[off]! ^= 1;
      let res;
      try { res = verifyRequest(decodeRequest(bad), HashType.NONE, key); } catch { continue; }
      expect(res.ok, `flip at ${off}`).toBe(false);
    }
  });

  it('answers the challenge vector with SHA-256 and SHA-1', () => {
    expect(hex(challengeResponse(HashType.SHA256, key, challenge))).toBe(vectors.challenge.sha256);
    expect(hex(challengeResponse(HashType.SHA1, key, challenge))).toBe(vectors.challenge.sha1);
    expect(verifyChallengeResponse(HashType.SHA256, key, challenge, unhex(vectors.challenge.sha256))).toBe(true);
    expect(verifyChallengeResponse(HashType.SHA1, key, challenge, unhex(vectors.challenge.sha256))).toBe(false);
  });

  it('refuses hashes below the minimum and empty keys, accepts stronger ones', () => {
    const sha1 = decodeRequest(encodeRequest(signRequest(makeRequest({ request: 4, hashType: HashType.SHA1, domain: 'x', seqno: 1 }), key, new Uint8Array(6))));
    expect(verifyRequest(sha1, HashType.SHA256, key)).toEqual({ ok: false, reason: 'hash-too-weak' });
    expect(verifyRequest(sha1, HashType.SHA1, new Uint8Array(0))).toEqual({ ok: false, reason: 'empty-key' });
    const sha512 = decodeRequest(encodeRequest(signRequest(makeRequest({ request: 4, hashType: HashType.SHA512, domain: 'x', seqno: 1 }), key, new Uint8Array(6))));
    expect(verifyRequest(sha512, HashType.SHA256, key)).toEqual({ ok: true });
  });

  it('leaves random and hash zero for hash type none', () => {
    const r = signRequest(makeRequest({ request: 1, domain: 'd', seqno: 9 }), key, Uint8Array.of(1, 2, 3, 4, 5, 6));
    expect(r.random.every((b) => b === 0) && r.hash.every((b) => b === 0)).toBe(true);
    expect(verifyRequest(r, HashType.NONE, key)).toEqual({ ok: true });
  });
});
