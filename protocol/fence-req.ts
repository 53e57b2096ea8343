// fence_req_t (xvm.h:75-89): the 176-byte packed request, and its signature.
//
//  off size field            off size field
//    0    1 request            96    2 port (u16 LE)
//    1    1 hashtype           98    6 random
//    2    1 addrlen           104    4 seqno (u32 LE)
//    3    1 flags             108    4 family (u32 LE)
//    4   64 domain            112   64 hash
//   68   28 address
import {
  ADDRESS_FIELD, DOMAIN_FIELD, HASH_FIELD, HMAC_SHA256_HASHTYPE, HashType, RANDOM_FIELD, REQUEST_SIZE,
  type HashTypeValue, type WireHashType,
} from './constants.js';
import { equalBytes, readCString, view, writeCString } from './_bytes.js';
import { ProtocolError, expectLength } from './errors.js';
import { keyedDigest, keyedHasher, type KeyedHasher } from './legacy-auth.js';

export interface FenceRequest {
  /** FenceCommand value; unknown codes decode and are answered with FAIL, as fence_virtd does. */
  readonly request: number;
  /** 0-3 (legacy keyed hash), or HMAC_SHA256_HASHTYPE for the authenticated mode. */
  readonly hashType: WireHashType;
  /** 4 or 16 for multicast; 0 otherwise. fence_virtd ignores it. */
  readonly addrLen: number;
  /** RF_UUID; fence_virtd never reads it. */
  readonly flags: number;
  readonly domain: string;
  /** Raw in_addr / in6_addr, zero padded to 28 bytes. */
  readonly address: Uint8Array;
  readonly port: number;
  readonly random: Uint8Array;
  readonly seqno: number;
  /** AF_INET (2) / AF_INET6 (10) for multicast; 0 otherwise. */
  readonly family: number;
  /** 64 bytes; zero when unsigned. */
  readonly hash: Uint8Array;
}

export type FenceRequestInit = Partial<FenceRequest> & Pick<FenceRequest, 'request' | 'domain' | 'seqno'>;

const OFF = { request: 0, hashtype: 1, addrlen: 2, flags: 3, domain: 4, address: 68, port: 96, random: 98, seqno: 104, family: 108, hash: 112 } as const;

/** Fills defaults (hash type none, zero address/random/hash). */
export function makeRequest(init: FenceRequestInit): FenceRequest {
  // Drop undefined fields so that `{ hashType: undefined }` keeps the default.
  const given = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as FenceRequestInit;
  return {
    hashType: HashType.NONE, addrLen: 0, flags: 0, address: new Uint8Array(ADDRESS_FIELD), port: 0,
    random: new Uint8Array(RANDOM_FIELD), family: 0, hash: new Uint8Array(HASH_FIELD),
    ...given,
  };
}

export function encodeRequest(req: FenceRequest): Uint8Array {
  const out = new Uint8Array(REQUEST_SIZE);
  const dv = view(out);
  byte(out, OFF.request, req.request, 'request');
  byte(out, OFF.hashtype, req.hashType, 'hashtype');
  byte(out, OFF.addrlen, req.addrLen, 'addrlen');
  byte(out, OFF.flags, req.flags, 'flags');
  writeCString(out, OFF.domain, DOMAIN_FIELD, req.domain, 'domain');
  fixed(out, OFF.address, req.address, ADDRESS_FIELD, 'address', true);
  if (!Number.isInteger(req.port) || req.port < 0 || req.port > 0xffff) throw new RangeError(`port: ${req.port} is not a u16`);
  dv.setUint16(OFF.port, req.port, true);
  fixed(out, OFF.random, req.random, RANDOM_FIELD, 'random', false);
  dv.setUint32(OFF.seqno, u32(req.seqno, 'seqno'), true);
  dv.setUint32(OFF.family, u32(req.family, 'family'), true);
  fixed(out, OFF.hash, req.hash, HASH_FIELD, 'hash', false);
  return out;
}

export function decodeRequest(bytes: Uint8Array): FenceRequest {
  expectLength(bytes, REQUEST_SIZE, 'fence request');
  const dv = view(bytes);
  const hashType = bytes[OFF.hashtype]!;
  if (hashType > HashType.SHA512 && hashType !== HMAC_SHA256_HASHTYPE) {
    throw new ProtocolError('hashtype', OFF.hashtype, `unknown hash type ${hashType}`);
  }
  const domainField = bytes.subarray(OFF.domain, OFF.domain + DOMAIN_FIELD);
  if (!domainField.includes(0)) throw new ProtocolError('domain', OFF.domain, 'not NUL-terminated within 64 bytes');
  return {
    request: bytes[OFF.request]!,
    hashType: hashType as WireHashType,
    addrLen: bytes[OFF.addrlen]!,
    flags: bytes[OFF.flags]!,
    domain: readCString(bytes, OFF.domain, DOMAIN_FIELD),
    address: bytes.slice(OFF.address, OFF.address + ADDRESS_FIELD),
    port: dv.getUint16(OFF.port, true),
    random: bytes.slice(OFF.random, OFF.random + RANDOM_FIELD),
    seqno: dv.getUint32(OFF.seqno, true),
    family: dv.getUint32(OFF.family, true),
    hash: bytes.slice(OFF.hash, OFF.hash + HASH_FIELD),
  };
}

/**
 * Signs as sign_request does: hash zeroed, then H(key || 176 bytes) into it.
 * `random` (6 bytes) is the caller's, so this stays pure; with hash type
 * none, random and hash stay zero.
 */
export function signRequest(req: FenceRequest, key: Uint8Array, random: Uint8Array): FenceRequest {
  const zero = new Uint8Array(HASH_FIELD);
  if (req.hashType === HashType.NONE) return { ...req, random: new Uint8Array(RANDOM_FIELD), hash: zero };
  if (req.hashType === HMAC_SHA256_HASHTYPE) throw new RangeError('signRequest: hmac-sha256 requests are sealed by hmac-auth.ts sealRequest');
  if (random.length !== RANDOM_FIELD) throw new RangeError(`random: expected ${RANDOM_FIELD} bytes, got ${random.length}`);
  const unsigned = { ...req, random: random.slice(), hash: zero };
  return { ...unsigned, hash: keyedDigest(req.hashType, key, encodeRequest(unsigned)) };
}

export type VerifyResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'hash-too-weak' | 'empty-key' | 'mismatch' | 'hmac-request' };

/**
 * verify_request: a hash weaker than `minimum` is refused; none passes when
 * allowed; otherwise all 64 bytes (zero padding included) must match.
 * Compared in constant time, unlike the C memcmp.
 */
export function verifyRequest(req: FenceRequest, minimum: HashTypeValue, key: Uint8Array): VerifyResult {
  return requestVerifier(key)(encodeRequest(req), minimum);
}

/**
 * verifyRequest bound to one key, for a daemon checking every request with
 * the same key: it works on the bytes as received (no decode/encode round
 * trip) and absorbs the key into each hash state once, not per request.
 * Same verdicts as verifyRequest(decodeRequest(bytes), minimum, key) for
 * canonical bytes. It hashes the struct exactly as received, as fence_virtd
 * does, so a change in the bytes after the domain's NUL (which decoding
 * drops) is a mismatch here.
 */
export function requestVerifier(key: Uint8Array): (bytes: Uint8Array, minimum: HashTypeValue) => VerifyResult {
  const hashers = new Map<HashTypeValue, KeyedHasher>();
  return (bytes, minimum) => {
    expectLength(bytes, REQUEST_SIZE, 'fence request');
    const hashType = bytes[OFF.hashtype]! as HashTypeValue;
    // An authenticated-mode request on a legacy listener: a verdict, not a malformed packet.
    if ((hashType as number) === HMAC_SHA256_HASHTYPE) return { ok: false, reason: 'hmac-request' };
    if (hashType > HashType.SHA512) throw new ProtocolError('hashtype', OFF.hashtype, `unknown hash type ${hashType}`);
    if (hashType < minimum) return { ok: false, reason: 'hash-too-weak' };
    if (hashType === HashType.NONE) return { ok: true };
    if (key.length === 0) return { ok: false, reason: 'empty-key' };
    let hasher = hashers.get(hashType);
    if (!hasher) hashers.set(hashType, (hasher = keyedHasher(hashType, key)));
    // A copy even when `bytes` is a Buffer, whose slice() is a view.
    const unsigned = new Uint8Array(bytes);
    unsigned.fill(0, OFF.hash);
    return equalBytes(hasher.digest(unsigned), bytes.subarray(OFF.hash)) ? { ok: true } : { ok: false, reason: 'mismatch' };
  };
}

function byte(out: Uint8Array, off: number, v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${what}: ${v} is not a byte`);
  out[off] = v;
}

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what}: ${v} is not a u32`);
  return v;
}

function fixed(out: Uint8Array, off: number, v: Uint8Array, size: number, what: string, shorterOk: boolean): void {
  if (v.length > size || (!shorterOk && v.length !== size)) {
    throw new RangeError(`${what}: expected ${shorterOk ? 'at most ' : ''}${size} bytes, got ${v.length}`);
  }
  out.set(v, off);
}
