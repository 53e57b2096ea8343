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
import { ipVersion } from './ip-literal.js';
import { randomU32 } from './random.js';
import { loadTransport } from './transports/index.js';
import type { CallAuth, FenceReply, FenceTarget } from './transports/types.js';
import { HMAC_AUTH, checkDomain, parseSerialParams } from './values.js';

export type { FenceReply, FenceTarget, MulticastTarget, SerialTarget, TcpTarget, VmchannelTarget } from './transports/types.js';
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

/** Transports that carry a key; serial and vmchannel have no authentication at all. */
const KEYED = new Set<FenceTarget['transport']>(['tcp', 'multicast']);

function hashOf(v: HashTypeValue | HashName, what: string, problems: string[]): HashTypeValue {
  const t = typeof v === 'number' ? (v >= HashType.NONE && v <= HashType.SHA512 ? v : undefined) : parseHashName(v);
  if (t === undefined) problems.push(`${what}: '${String(v)}' is not one of none, sha1, sha256, sha512`);
  return t ?? HashType.NONE;
}

const isPort = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;

function targetProblems(target: FenceTarget): string[] {
  const t = target as unknown as Record<string, unknown>;
  switch (target.transport) {
    case 'tcp':
      return [
        ...(typeof target.host === 'string' && target.host !== '' ? [] : ['host: a host name or IP address is required']),
        ...(isPort(target.port) ? [] : [`port: ${String(t.port)} is not a TCP port`]),
      ];
    case 'vmchannel':
      return [
        ...(typeof target.host === 'string' && ipVersion(target.host) !== 0 ? [] : [`host: '${String(t.host)}' is not an IPv4 or IPv6 address`]),
        ...(isPort(target.port) ? [] : [`port: ${String(t.port)} is not a TCP port`]),
      ];
    case 'multicast':
      return [
        ...(typeof target.address === 'string' && ipVersion(target.address) !== 0 && !target.address.includes('%')
          ? [] : [`address: '${String(t.address)}' is not an IP address (no zone)`]),
        ...(isPort(target.port) ? [] : [`port: ${String(t.port)} is not a UDP/TCP port`]),
        ...(target.retransMs === undefined || (Number.isFinite(target.retransMs) && target.retransMs > 0)
          ? [] : [`retransMs: ${String(t.retransMs)} must be a positive number`]),
      ];
    case 'serial':
      return [
        ...(typeof target.device === 'string' && target.device !== '' ? [] : ['device: a serial device path is required']),
        ...(typeof target.params === 'string' && parseSerialParams(target.params)
          ? [] : [`params: '${String(t.params)}' is not SPEED,BITS PARITY STOP like 115200,8N1`]),
      ];
    default:
      return [`transport: '${String(t.transport)}' is not one of tcp, multicast, serial, vmchannel (vsock is not available)`];
  }
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
  const keyed = KEYED.has(target.transport);
  const hmac = auth.auth === HMAC_AUTH;
  const hash = hashOf(auth.hash, 'hash', problems);
  const authType = hmac ? HashType.NONE : hashOf(auth.auth as HashTypeValue | HashName, 'auth', problems);
  if (hmac && !keyed && (target.transport === 'serial' || target.transport === 'vmchannel')) {
    problems.push(`auth: hmac-sha256 needs the tcp or multicast transport; ${target.transport} carries no authentication`);
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
  problems.push(...targetProblems(target));
  if (problems.length) throw new UsageError(problems.map((p) => `fence(): ${p}`));

  const transport = await loadTransport(target.transport);
  if (!transport) throw new UsageError([`fence(): transport '${target.transport}' is not available`]);
  const callAuth: CallAuth = hmac
    ? { mode: 'hmac-sha256', keys: hmacKeys(auth.key!) }
    : { mode: 'legacy', hash, auth: authType, key: needsKey ? auth.key! : new Uint8Array(0) };
  return transport.fence(
    target,
    { command, domain, seqno, flags: options.useUuid ? RF_UUID : 0, auth: callAuth },
    { timeoutMs, ...(options.signal ? { signal: options.signal } : {}), ...(options.keyFile ? { keyFile: options.keyFile } : {}) },
  );
}
