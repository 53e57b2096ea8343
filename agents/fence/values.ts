// Value types of the option table: how a raw string from argv or stdin
// becomes a typed value, and how a default prints in help and meta-data.
// Each parse says what was wrong with the value, never which option it was:
// the caller adds the option and where it came from.
import { ipVersion } from './ip-literal.js';
import { MAX_DOMAIN_BYTES, parseHashName, hashName, type HashTypeValue } from '../../protocol/constants.js';
import { parseBoolean as parseBooleanWord } from '../../core/booleans.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Content types of fence-agents' metadata.rng. */
export type ContentKind = 'boolean' | 'string' | 'integer' | 'second' | 'select';

export interface ValueType<T> {
  readonly kind: ContentKind;
  /** For `select`: the allowed values, as printed in meta-data. */
  readonly choices?: readonly string[];
  parse(raw: string): Parsed<T>;
  format(value: T): string | undefined;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (problem: string): Parsed<never> => ({ ok: false, problem });

export const booleanValue: ValueType<boolean> = {
  kind: 'boolean',
  parse(raw) {
    const b = parseBooleanWord(raw);
    return b === undefined ? bad(`'${raw}' is not a boolean (use yes/no, true/false, on/off or 1/0)`) : ok(b);
  },
  format: (v) => (v ? '1' : '0'),
};

/** Debug level: a count, or a boolean word (fence_virt's stdin `debug=1`). */
export const debugLevel: ValueType<number> = {
  kind: 'boolean',
  parse(raw) {
    if (/^\d+$/.test(raw.trim())) return ok(Number(raw.trim()));
    const b = parseBooleanWord(raw);
    return b === undefined ? bad(`'${raw}' is not a debug level (a number, or yes/no)`) : ok(b ? 1 : 0);
  },
  format: () => undefined,
};

/** Decimal integer in [min, max]. fence_virt's strtol also took hex/octal; nobody configures a port in hex. */
export function integerValue(min: number, max: number, kind: 'integer' | 'second' = 'integer'): ValueType<number> {
  return {
    kind,
    parse(raw) {
      const s = raw.trim();
      if (!/^\d+$/.test(s)) return bad(`'${raw}' is not a whole number`);
      const n = Number(s);
      if (n < min || n > max) return bad(`${n} is out of range (${min}..${max})`);
      return ok(n);
    },
    format: (v) => String(v),
  };
}

export function selectValue<T extends string>(choices: readonly T[], aliases: Readonly<Record<string, T>> = {}): ValueType<T> {
  return {
    kind: 'select',
    choices,
    parse(raw) {
      const w = raw.trim().toLowerCase();
      const hit = (choices as readonly string[]).includes(w) ? (w as T) : aliases[w];
      return hit === undefined ? bad(`'${raw}' is not one of ${choices.join(', ')}`) : ok(hit);
    },
    format: (v) => v,
  };
}

/** The challenge-response setting: a legacy hash, or palisade's authenticated mode (protocol/hmac-auth.md). */
export const HMAC_AUTH = 'hmac-sha256';
export type AuthMode = HashTypeValue | typeof HMAC_AUTH;

/** `auth`: the legacy hashes plus hmac-sha256. */
export const authValue: ValueType<AuthMode> = {
  kind: 'select',
  choices: ['none', 'sha1', 'sha256', 'sha512', HMAC_AUTH],
  parse(raw) {
    if (raw.trim().toLowerCase() === HMAC_AUTH) return ok(HMAC_AUTH);
    const t = parseHashName(raw);
    return t === undefined ? bad(`'${raw}' is not one of none, sha1, sha256, sha512, ${HMAC_AUTH}`) : ok(t);
  },
  format: (v) => (v === HMAC_AUTH ? v : hashName(v)),
};

export const hashValue: ValueType<HashTypeValue> = {
  kind: 'select',
  choices: ['none', 'sha1', 'sha256', 'sha512'],
  parse(raw) {
    const t = parseHashName(raw);
    return t === undefined ? bad(`'${raw}' is not one of none, sha1, sha256, sha512`) : ok(t);
  },
  format: (v) => hashName(v),
};

export function stringValue(check?: (s: string) => string | undefined): ValueType<string> {
  return {
    kind: 'string',
    parse(raw) {
      if (raw === '') return bad('empty value');
      if (raw.includes('\0')) return bad('contains a NUL byte');
      const problem = check?.(raw);
      return problem === undefined ? ok(raw) : bad(problem);
    },
    format: (v) => v,
  };
}

export function optional<T>(t: ValueType<T>): ValueType<T | undefined> {
  return {
    kind: t.kind,
    ...(t.choices ? { choices: t.choices } : {}),
    parse: (raw) => t.parse(raw),
    format: (v) => (v === undefined ? undefined : t.format(v)),
  };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** An IPv4/IPv6 literal or a DNS name. */
export function checkHost(s: string): string | undefined {
  if (ipVersion(s) !== 0 || HOSTNAME.test(s)) return undefined;
  return `'${s}' is neither an IP address nor a host name`;
}

export function checkIpLiteral(s: string): string | undefined {
  return ipVersion(s) !== 0 ? undefined : `'${s}' is not an IPv4 or IPv6 address`;
}

/**
 * multicast_address: a group, or one host's unicast address (then a single
 * datagram goes straight there). A zone is refused: the request carries no
 * scope, so a daemon could not call a link-local address back.
 */
export function checkMulticastTarget(s: string): string | undefined {
  const v = ipVersion(s);
  if (v === 0) return `'${s}' is not an IPv4 or IPv6 address`;
  if (s.includes('%')) return `'${s}': a zone (%interface) cannot be used; the daemon calls back the address without one`;
  return undefined;
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A domain name or UUID: the wire field holds 63 bytes plus a NUL (xvm.h MAX_DOMAINNAME_LENGTH). */
export function checkDomain(s: string): string | undefined {
  if (s.trim() === '') return 'empty domain name';
  const n = utf8Length(s);
  return n > MAX_DOMAIN_BYTES ? `'${s}' is ${n} bytes long; at most ${MAX_DOMAIN_BYTES} fit the request` : undefined;
}

export interface SerialLine {
  readonly baudRate: number;
  readonly dataBits: 5 | 6 | 7 | 8;
  readonly parity: 'none' | 'even' | 'odd';
  readonly stopBits: 1 | 2;
}

const SERIAL_PARAMS = /^(2400|4800|9600|19200|38400|57600|115200),([5-8])([NEOneo])([12])$/;
const PARITY = { n: 'none', e: 'even', o: 'odd' } as const;

/** fence_virt's serial parameters: speed,<bits><parity><stop> as in 115200,8N1; undefined when malformed. */
export function parseSerialParams(s: string): SerialLine | undefined {
  const m = SERIAL_PARAMS.exec(s);
  if (!m) return undefined;
  return {
    baudRate: Number(m[1]),
    dataBits: Number(m[2]) as SerialLine['dataBits'],
    parity: PARITY[m[3]!.toLowerCase() as keyof typeof PARITY],
    stopBits: Number(m[4]) as SerialLine['stopBits'],
  };
}

export function checkSerialParams(s: string): string | undefined {
  return parseSerialParams(s)
    ? undefined
    : `'${s}' is not SPEED,BITS PARITY STOP like 115200,8N1 (speeds 2400, 4800, 9600, 19200, 38400, 57600, 115200; bits 5-8; parity N, E or O; stop bits 1 or 2)`;
}
