// Wire constants of fence-virt (agents/virt/include/xvm.h, simple_auth.h,
// mcast.h). Values are fixed by the C peers; names follow the operator's verbs.

export const FenceCommand = {
  NULL: 0, OFF: 1, REBOOT: 2, ON: 3, STATUS: 4, DEVSTATUS: 5, HOSTLIST: 6,
  /** Client-local; the C daemon answers 1 if it ever receives them. */
  METADATA: 7, VALIDATEALL: 8,
} as const;
export type FenceCommandValue = (typeof FenceCommand)[keyof typeof FenceCommand];

export const HashType = { NONE: 0, SHA1: 1, SHA256: 2, SHA512: 3 } as const;
export type HashTypeValue = (typeof HashType)[keyof typeof HashType];
/**
 * The `hashtype` byte of a request in palisade's authenticated mode
 * (protocol/hmac-auth.md). fence_virtd rejects any value above 3, so a
 * legacy daemon drops such a request at once instead of misreading it.
 */
export const HMAC_SHA256_HASHTYPE = 0x48;
/** Every hashtype byte a request may carry. */
export type WireHashType = HashTypeValue | typeof HMAC_SHA256_HASHTYPE;

export const Result = { SUCCESS: 0, FAIL: 1, OFF: 2, PERM: 3, HOSTLIST: 253 } as const;

export const REQUEST_SIZE = 176;
export const DOMAIN_FIELD = 64;
/** The C client copies at most 63 characters and rejects longer names. */
export const MAX_DOMAIN_BYTES = DOMAIN_FIELD - 1;
export const ADDRESS_FIELD = 28;
export const HASH_FIELD = 64;
export const RANDOM_FIELD = 6;
export const CHALLENGE_SIZE = 64;
export const MAX_KEY_LEN = 4096;
export const HOST_RECORD_SIZE = 130;
export const SERIAL_REQUEST_SIZE = 74;
export const SERIAL_RESPONSE_SIZE = 5;
export const SERIAL_MAGIC = 0x61626261;
export const RF_UUID = 0x1;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const DEFAULT_PORT = 1229;
export const DEFAULT_KEY_FILE = '/etc/cluster/fence_xvm.key';
export const IPV4_MCAST_DEFAULT = '225.0.0.12';
export const IPV6_MCAST_DEFAULT = 'ff05::3:1';

const HASH_NAMES = ['none', 'sha1', 'sha256', 'sha512'] as const;
export type HashName = (typeof HASH_NAMES)[number];

export function hashName(t: HashTypeValue): HashName {
  return HASH_NAMES[t];
}

/** Case-insensitive, as fence_virtd's config and the C client accept. */
export function parseHashName(s: string): HashTypeValue | undefined {
  const i = (HASH_NAMES as readonly string[]).indexOf(s.trim().toLowerCase());
  return i < 0 ? undefined : (i as HashTypeValue);
}

const COMMAND_NAMES: Record<number, string> = {
  0: 'null', 1: 'off', 2: 'reboot', 3: 'on', 4: 'status', 5: 'monitor', 6: 'list', 7: 'metadata', 8: 'validate-all',
};

export function commandName(c: number): string {
  return COMMAND_NAMES[c] ?? `unknown(${c})`;
}
