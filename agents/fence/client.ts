// The programmatic fence client: one call, one exchange with fence-virt
// daemons (palisaded or fence_virtd) over any transport. The agent's
// actions and the palisade CLI both go through here. Failures throw
// PalisadeError subclasses (ConnectError, FenceAuthError, AuthModeError,
// PeerTimeoutError, CallbackTimeoutError, CallbackListenError,
// SerialDeviceError, ShortReadError, ReplyError, AbortedError,
// UsageError); a daemon's refusal is not an exception but its result byte.
import { HashType, RF_UUID, parseHashName, type HashName, type HashTypeValue } from '../../protocol/constants.js';
import { hmacKeys } from '../../protocol/hmac-auth.js';
import { UsageError } from './errors.js';
import { randomU32 } from './random.js';
import { TRANSPORTS, keyedNames, loadExchange, transportSpec, type FenceTarget } from './transports/index.js';
import type { CallAuth, FenceReply } from './transports/types.js';
import { HMAC_AUTH, checkDomain } from './values.js';

export type { FenceTarget } from './transports/index.js';
export type { FenceReply } from './transports/types.js';
export type { HostRecord } from '../../protocol/host-list.js';

export interface FenceAuth {
  /** Raw key bytes (a trailing newline is part of the key); required unless hash and auth are both none. */
  readonly key: Uint8Array | undefined;
  /** Request signature hash (ignored with auth hmac-sha256, which seals the request itself). */
  readonly hash: HashTypeValue | HashName;
  /** Challenge-response hash, or 'hmac-sha256' for palisade's authenticated mode (tcp and multicast). */
  readonly auth: HashTypeValue | HashName | typeof HMAC_AUTH;
}

export interface FenceCallOptions {
  /**
   * Default 30 s, as fence_virt's -t. tcp, vmchannel: the limit for each
   * phase; multicast: for a daemon to call back, then for each phase;
   * serial: for the whole exchange.
   */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Default: a random 32-bit value, so fence_virtd's 10 s replay history never drops a fresh request. */
  readonly seqno?: number;
  /** Sets RF_UUID (fence_xvm -u); current daemons ignore it. */
  readonly useUuid?: boolean;
  /** Named in authentication errors. */
  readonly keyFile?: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** A uniformly random u32. fence_virt uses the microseconds of the clock, which collide. */
export function randomSeqno(): number {
  return randomU32();
}

function hashOf(v: HashTypeValue | HashName, what: string, problems: string[]): HashTypeValue {
  const t = typeof v === 'number' ? (v >= HashType.NONE && v <= HashType.SHA512 ? v : undefined) : parseHashName(v);
  if (t === undefined) problems.push(`${what}: '${String(v)}' is not one of none, sha1, sha256, sha512`);
  return t ?? HashType.NONE;
}

/**
 * Sends `command` (a FenceCommand value) for `domain` ('' for list and
 * monitor) and resolves with the daemon's result byte and, for a host list,
 * its records.
 */
export async function fence(
  target: FenceTarget, auth: FenceAuth, command: number, domain: string, options: FenceCallOptions = {},
): Promise<FenceReply> {
  const problems: string[] = [];
  const spec = transportSpec(String((target as { transport?: unknown }).transport));
  const keyed = spec?.keyed ?? false;
  const hmac = auth.auth === HMAC_AUTH;
  const hash = hashOf(auth.hash, 'hash', problems);
  const authType = hmac ? HashType.NONE : hashOf(auth.auth as HashTypeValue | HashName, 'auth', problems);
  if (hmac && spec && !keyed) {
    problems.push(`auth: hmac-sha256 needs the ${keyedNames()} transport; ${spec.name} carries no authentication`);
  }
  const needsKey = keyed && (hmac || hash !== HashType.NONE || authType !== HashType.NONE);
  if (needsKey && (!auth.key || auth.key.length === 0)) {
    problems.push(`key: required (non-empty) ${hmac ? 'for hmac-sha256' : 'unless hash and auth are both none'}`);
  }
  if (!Number.isInteger(command) || command < 0 || command > 0xff) problems.push(`command: ${command} is not a byte`);
  if (domain !== '') {
    const p = checkDomain(domain);
    if (p) problems.push(`domain: ${p}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) problems.push(`timeoutMs: ${timeoutMs} must be a positive number`);
  const seqno = options.seqno ?? randomSeqno();
  if (!Number.isInteger(seqno) || seqno < 0 || seqno > 0xffffffff) problems.push(`seqno: ${seqno} is not a u32`);
  problems.push(...(spec ? spec.targetProblems(target) : [
    `transport: '${String((target as { transport?: unknown }).transport)}' is not one of ${TRANSPORTS.map((t) => t.name).join(', ')}`,
  ]));
  if (problems.length || !spec) throw new UsageError(problems.map((p) => `fence(): ${p}`));

  const exchange = await loadExchange(spec);
  if (!exchange) throw new UsageError([`fence(): transport '${spec.name}' is not available: ${spec.unavailable ?? 'not in this build'}`]);
  const callAuth: CallAuth = hmac
    ? { mode: 'hmac-sha256', keys: hmacKeys(auth.key!) }
    : { mode: 'legacy', hash, auth: authType, key: needsKey ? auth.key! : new Uint8Array(0) };
  return exchange(
    target,
    { command, domain, seqno, flags: options.useUuid ? RF_UUID : 0, auth: callAuth },
    { timeoutMs, ...(options.signal ? { signal: options.signal } : {}), ...(options.keyFile ? { keyFile: options.keyFile } : {}) },
  );
}
