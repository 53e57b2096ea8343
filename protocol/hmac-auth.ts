// Palisade's authenticated mode ("hmac-sha256"), specified in hmac-auth.md
// next to this file. Pure functions over bytes: the caller supplies the
// nonces and does the I/O.
//
//   C->S  request R (176 B): hashtype 0x48, hash = Nc(32) || HMAC(Kreq, R[0..144))
//   S->C  hello (64 B):      Nd(32) || HMAC(Kdaemon, R || Nd)
//   C->S  proof (32 B):      HMAC(Kclient, R || Nd)
//   S->C  body || HMAC(Kresult, R || Nd || body)
//
// Each role has its own key, derived from the shared key file with HKDF, so
// no answer from one role can be replayed as the other's.
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HMAC_SHA256_HASHTYPE, REQUEST_SIZE } from './constants.js';
import { equalBytes } from './_bytes.js';
import { expectLength } from './errors.js';
import { encodeRequest, type FenceRequest } from './fence-req.js';

export const NONCE_SIZE = 32;
export const TAG_SIZE = 32;
/** The daemon's first message: its nonce and its proof. */
export const HELLO_SIZE = NONCE_SIZE + TAG_SIZE;
/** Bytes of the request covered by its tag: everything before the tag itself. */
const SEALED_PREFIX = REQUEST_SIZE - TAG_SIZE;
const NONCE_OFFSET = SEALED_PREFIX - NONCE_SIZE;

const SALT = new TextEncoder().encode('palisade fence hmac-sha256 v1');
const LABELS = ['request', 'daemon', 'client', 'result'] as const;
type Role = (typeof LABELS)[number];

/** The four role keys derived from one shared key. Derive once per key file, reuse per request. */
export type HmacKeys = Readonly<Record<Role, Uint8Array>>;

export function hmacKeys(key: Uint8Array): HmacKeys {
  if (!(key instanceof Uint8Array) || key.length === 0) throw new RangeError('hmacKeys: the shared key is empty');
  const keys = Object.fromEntries(
    LABELS.map((role) => [role, hkdf(sha256, key, SALT, new TextEncoder().encode(role), 32)]),
  ) as Record<Role, Uint8Array>;
  return Object.freeze(keys);
}

function mac(keys: HmacKeys, role: Role, ...parts: Uint8Array[]): Uint8Array {
  const h = hmac.create(sha256, keys[role]);
  for (const p of parts) h.update(p);
  return h.digest();
}

function check(len: number, got: Uint8Array, what: string): void {
  if (!(got instanceof Uint8Array) || got.length !== len) {
    throw new RangeError(`${what}: expected ${len} bytes, got ${got instanceof Uint8Array ? got.length : typeof got}`);
  }
}

/** The 176 request bytes: hashtype set to 0x48, Nc and the request tag in the hash field. */
export function sealRequest(keys: HmacKeys, req: FenceRequest, clientNonce: Uint8Array): Uint8Array {
  check(NONCE_SIZE, clientNonce, 'clientNonce');
  const bytes = encodeRequest({ ...req, hashType: HMAC_SHA256_HASHTYPE, random: new Uint8Array(6), hash: new Uint8Array(64) });
  bytes.set(clientNonce, NONCE_OFFSET);
  bytes.set(mac(keys, 'request', bytes.subarray(0, SEALED_PREFIX)), SEALED_PREFIX);
  return bytes;
}

/** True when `bytes` is a request in this mode (whatever its tag). */
export function isHmacRequest(bytes: Uint8Array): boolean {
  return bytes.length === REQUEST_SIZE && bytes[1] === HMAC_SHA256_HASHTYPE;
}

/** Checks the request tag in constant time. */
export function verifySealedRequest(keys: HmacKeys, bytes: Uint8Array): boolean {
  if (!isHmacRequest(bytes)) return false;
  return equalBytes(mac(keys, 'request', bytes.subarray(0, SEALED_PREFIX)), bytes.subarray(SEALED_PREFIX));
}

/** Daemon -> client: Nd || HMAC(Kdaemon, R || Nd). */
export function daemonHello(keys: HmacKeys, request: Uint8Array, daemonNonce: Uint8Array): Uint8Array {
  check(REQUEST_SIZE, request, 'request');
  check(NONCE_SIZE, daemonNonce, 'daemonNonce');
  const out = new Uint8Array(HELLO_SIZE);
  out.set(daemonNonce);
  out.set(mac(keys, 'daemon', request, daemonNonce), NONCE_SIZE);
  return out;
}

/** Client side: the daemon nonce when the hello proves the daemon holds the key, else undefined. */
export function openDaemonHello(keys: HmacKeys, request: Uint8Array, hello: Uint8Array): Uint8Array | undefined {
  check(REQUEST_SIZE, request, 'request');
  // The hello comes off the wire: a wrong size is a malformed message, not a caller's mistake.
  expectLength(hello, HELLO_SIZE, 'hello');
  const nonce = hello.subarray(0, NONCE_SIZE);
  return equalBytes(mac(keys, 'daemon', request, nonce), hello.subarray(NONCE_SIZE)) ? nonce.slice() : undefined;
}

/** Client -> daemon: HMAC(Kclient, R || Nd). Proves the key and that this is not a replay. */
export function clientProof(keys: HmacKeys, request: Uint8Array, daemonNonce: Uint8Array): Uint8Array {
  check(REQUEST_SIZE, request, 'request');
  check(NONCE_SIZE, daemonNonce, 'daemonNonce');
  return mac(keys, 'client', request, daemonNonce);
}

export function verifyClientProof(keys: HmacKeys, request: Uint8Array, daemonNonce: Uint8Array, proof: Uint8Array): boolean {
  if (!(proof instanceof Uint8Array) || proof.length !== TAG_SIZE) return false;
  return equalBytes(clientProof(keys, request, daemonNonce), proof);
}

/** Daemon -> client, after the body (result byte, or host list with terminator and trailer). */
export function resultTag(keys: HmacKeys, request: Uint8Array, daemonNonce: Uint8Array, body: Uint8Array): Uint8Array {
  check(REQUEST_SIZE, request, 'request');
  check(NONCE_SIZE, daemonNonce, 'daemonNonce');
  return mac(keys, 'result', request, daemonNonce, body);
}

export function verifyResultTag(
  keys: HmacKeys, request: Uint8Array, daemonNonce: Uint8Array, body: Uint8Array, tag: Uint8Array,
): boolean {
  if (!(tag instanceof Uint8Array) || tag.length !== TAG_SIZE) return false;
  return equalBytes(resultTag(keys, request, daemonNonce, body), tag);
}
