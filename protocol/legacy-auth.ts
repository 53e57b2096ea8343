// The legacy fence-virt authentication (common/simple_auth.c): a plain keyed
// hash H(key || message), digest left-aligned in a zeroed 64-byte block.
// It is not an HMAC and has no role binding; kept
// only for interop with fence_virt, fence_xvm and fence_virtd.
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { CHALLENGE_SIZE, HASH_FIELD, HashType, type HashTypeValue } from './constants.js';
import { equalBytes } from './_bytes.js';

interface IncrementalHash {
  update(data: Uint8Array): IncrementalHash;
  digest(): Uint8Array;
  clone(): IncrementalHash;
}
const HASHES: Record<Exclude<HashTypeValue, 0>, () => IncrementalHash> = {
  [HashType.SHA1]: () => sha1.create(),
  [HashType.SHA256]: () => sha256.create(),
  [HashType.SHA512]: () => sha512.create(),
};

/** H(key || message) zero-padded to 64 bytes. `type` must not be NONE. */
export function keyedDigest(type: HashTypeValue, key: Uint8Array, message: Uint8Array): Uint8Array {
  if (type === HashType.NONE) throw new RangeError('keyedDigest: hash type none has no digest');
  const create = HASHES[type];
  if (!create) throw new RangeError(`keyedDigest: unknown hash type ${type as number}`);
  const out = new Uint8Array(HASH_FIELD);
  out.set(create().update(key).update(message).digest());
  return out;
}

/**
 * H(key || ·) with the key absorbed once: each digest clones that state
 * instead of hashing the (typically 256-byte) key again. For a daemon that
 * signs and answers with one key for every request.
 */
export interface KeyedHasher {
  readonly type: HashTypeValue;
  /** Same result as keyedDigest(type, key, message). */
  digest(message: Uint8Array): Uint8Array;
}

export function keyedHasher(type: HashTypeValue, key: Uint8Array): KeyedHasher {
  if (type === HashType.NONE) throw new RangeError('keyedHasher: hash type none has no digest');
  const create = HASHES[type];
  if (!create) throw new RangeError(`keyedHasher: unknown hash type ${type as number}`);
  const keyed = create().update(key);
  return {
    type,
    digest(message) {
      const out = new Uint8Array(HASH_FIELD);
      out.set(keyed.clone().update(message).digest());
      return out;
    },
  };
}

/** Challenge-response bound to one key and hash type (see KeyedHasher). */
export interface ChallengeAuth {
  respond(challenge: Uint8Array): Uint8Array;
  verify(challenge: Uint8Array, response: Uint8Array): boolean;
}

export function challengeAuth(type: HashTypeValue, key: Uint8Array): ChallengeAuth {
  const hasher = keyedHasher(type, key);
  const respond = (challenge: Uint8Array) => {
    if (challenge.length !== CHALLENGE_SIZE) {
      throw new RangeError(`challengeResponse: challenge must be ${CHALLENGE_SIZE} bytes, got ${challenge.length}`);
    }
    return hasher.digest(challenge);
  };
  return {
    respond,
    verify: (challenge, response) => response.length === HASH_FIELD && key.length > 0 && equalBytes(respond(challenge), response),
  };
}

/** The 64-byte answer to a challenge (sha_response). */
export function challengeResponse(type: HashTypeValue, key: Uint8Array, challenge: Uint8Array): Uint8Array {
  return challengeAuth(type, key).respond(challenge);
}

/** Checks a 64-byte answer (sha_challenge compares all 64 bytes, padding included). */
export function verifyChallengeResponse(
  type: HashTypeValue, key: Uint8Array, challenge: Uint8Array, response: Uint8Array,
): boolean {
  if (response.length !== HASH_FIELD || key.length === 0) return false;
  return challengeAuth(type, key).verify(challenge, response);
}
