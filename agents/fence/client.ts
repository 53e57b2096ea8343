// The programmatic fence client: one call, one exchange with a fence-virt
// daemon (palisaded or fence_virtd). The agent's actions and the palisade
// CLI both go through here. Failures throw FenceError subclasses
// (ConnectError, FenceAuthError, PeerTimeoutError, ShortReadError,
// ReplyError, FenceAbortedError, UsageError); a daemon's refusal is not an
// exception but its result byte.
import { HashType, RF_UUID, parseHashName, type HashName, type HashTypeValue } from '../../protocol/constants.js';
import { UsageError } from './errors.js';
import { randomU32 } from './random.js';
import { loadTransport } from './transports/index.js';
import type { FenceReply, FenceTarget } from './transports/types.js';
import { checkDomain } from './values.js';

export type { FenceReply, FenceTarget, TcpTarget } from './transports/types.js';
export type { HostRecord } from '../../protocol/host-list.js';

export interface FenceAuth {
  /** Raw key bytes (a trailing newline is part of the key); required unless hash and auth are both none. */
  readonly key: Uint8Array | undefined;
  readonly hash: HashTypeValue | HashName;
  readonly auth: HashTypeValue | HashName;
}

export interface FenceCallOptions {
  /** Limit for each phase: connect, each read. Default 30 s, as fence_virt's -t. */
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
  const hash = hashOf(auth.hash, 'hash', problems);
  const authType = hashOf(auth.auth, 'auth', problems);
  const needsKey = hash !== HashType.NONE || authType !== HashType.NONE;
  if (needsKey && (!auth.key || auth.key.length === 0)) problems.push('key: required (non-empty) unless hash and auth are both none');
  if (!Number.isInteger(command) || command < 0 || command > 0xff) problems.push(`command: ${command} is not a byte`);
  if (domain !== '') {
    const p = checkDomain(domain);
    if (p) problems.push(`domain: ${p}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) problems.push(`timeoutMs: ${timeoutMs} must be a positive number`);
  const seqno = options.seqno ?? randomSeqno();
  if (!Number.isInteger(seqno) || seqno < 0 || seqno > 0xffffffff) problems.push(`seqno: ${seqno} is not a u32`);
  if (target.transport === 'tcp' && (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)) {
    problems.push(`port: ${target.port} is not a TCP port`);
  }
  if (problems.length) throw new UsageError(problems.map((p) => `fence(): ${p}`));

  const transport = await loadTransport(target.transport);
  if (!transport) throw new UsageError([`fence(): unknown transport '${String(target.transport)}'`]);
  return transport.fence(
    target,
    { command, domain, seqno, flags: options.useUuid ? RF_UUID : 0, hash, auth: authType, key: needsKey ? auth.key! : new Uint8Array(0) },
    { timeoutMs, ...(options.signal ? { signal: options.signal } : {}), ...(options.keyFile ? { keyFile: options.keyFile } : {}) },
  );
}
