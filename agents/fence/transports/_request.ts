// The 176-byte request of one send: signed (legacy, fresh 6 random bytes)
// or sealed (hmac-sha256, fresh 32-byte client nonce). Multicast passes the
// callback address; tcp leaves it zero.
import { ADDRESS_FIELD, RANDOM_FIELD } from '../../../protocol/constants.js';
import { encodeRequest, makeRequest, signRequest } from '../../../protocol/fence-req.js';
import { NONCE_SIZE, sealRequest } from '../../../protocol/hmac-auth.js';
import { randomBytes } from '../random.js';
import type { FenceCall } from './types.js';

export interface Callback {
  /** Raw in_addr (4 bytes) or in6_addr (16 bytes). */
  readonly address: Uint8Array;
  /** AF_INET / AF_INET6. */
  readonly family: number;
  readonly port: number;
}

export function requestBytes(call: FenceCall, callback?: Callback): Uint8Array {
  const address = new Uint8Array(ADDRESS_FIELD);
  if (callback) address.set(callback.address);
  const req = makeRequest({
    request: call.command, domain: call.domain, seqno: call.seqno, flags: call.flags, address,
    addrLen: callback?.address.length ?? 0, family: callback?.family ?? 0, port: callback?.port ?? 0,
  });
  if (call.auth.mode === 'hmac-sha256') return sealRequest(call.auth.keys, req, randomBytes(NONCE_SIZE));
  return encodeRequest(signRequest({ ...req, hashType: call.auth.hash }, call.auth.key, randomBytes(RANDOM_FIELD)));
}
