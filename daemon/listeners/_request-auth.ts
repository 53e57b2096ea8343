// Which credential, if any, vouches for a 176-byte request. Built once per
// listener: the key hash states and HMAC role keys are derived here, not
// per request.
import { HashType } from '../../protocol/constants.js';
import { requestVerifier, type VerifyResult } from '../../protocol/fence-req.js';
import { hmacKeys, isHmacRequest, verifySealedRequest, type HmacKeys } from '../../protocol/hmac-auth.js';
import type { Credential, ListenerAuth } from './credentials.js';

export type Refusal = Extract<VerifyResult, { ok: false }>['reason'] | 'legacy-request';

export type Verdict =
  | { readonly ok: true; readonly credential: Credential; readonly hmac: HmacKeys | undefined }
  | {
    readonly ok: false;
    readonly reason: Refusal;
    /** legacy-request only: the legacy signature verified with this credential (so the sender holds our key). */
    readonly legacySigner?: Credential;
  };

export function requestAuthenticator(auth: ListenerAuth): (raw: Uint8Array) => Verdict {
  const legacy = auth.credentials.map((c) => ({ c, verify: requestVerifier(c.key) }));
  const legacyCheck = (raw: Uint8Array, minimum: typeof auth.minimumHash): Verdict => {
    let last: Verdict = { ok: false, reason: 'mismatch' };
    for (const { c, verify } of legacy) {
      const v = verify(raw, minimum);
      if (v.ok) return { ok: true, credential: c, hmac: undefined };
      last = { ok: false, reason: v.reason };
      // These do not depend on the key: trying the next one cannot help.
      if (v.reason === 'hash-too-weak' || v.reason === 'hmac-request') return last;
    }
    return last;
  };
  if (auth.mode === 'legacy') return (raw) => legacyCheck(raw, auth.minimumHash);

  const sealed = auth.credentials.filter((c) => c.key.length > 0).map((c) => ({ c, keys: hmacKeys(c.key) }));
  return (raw) => {
    if (!isHmacRequest(raw)) {
      // Signed with some legacy hash: note whether it is from a key holder, so the listener can fail it fast.
      const v = raw[1] === HashType.NONE ? undefined : legacyCheck(raw, HashType.SHA1);
      return v?.ok ? { ok: false, reason: 'legacy-request', legacySigner: v.credential } : { ok: false, reason: 'legacy-request' };
    }
    for (const { c, keys } of sealed) {
      if (verifySealedRequest(keys, raw)) return { ok: true, credential: c, hmac: keys };
    }
    return { ok: false, reason: 'mismatch' };
  };
}

/** The log line for a refused request. */
export function refusalText(reason: Refusal, hashType: number, minimum: number): string {
  switch (reason) {
    case 'hmac-request':
      return 'request uses palisade\'s hmac-sha256 mode but this listener runs the legacy exchange; set auth = "hmac-sha256" on the listener, or a legacy auth on the client';
    case 'legacy-request':
      return 'legacy (fence_virt/fence_xvm) request on an auth = "hmac-sha256" listener; use fence_palisade with auth=hmac-sha256, or a legacy listener';
    case 'hash-too-weak':
      return `request hash type ${hashType} is weaker than the configured minimum ${minimum}`;
    case 'empty-key':
      return 'the key file is empty, so no signed request can verify';
    default:
      return 'request signature does not match our key (key mismatch)';
  }
}
