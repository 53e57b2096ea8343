// Address arithmetic for IPaddr2: parsing and normalising the configured
// address, prefix length and broadcast. Pure functions, no I/O.

export type Family = 4 | 6;

export interface ParsedIp {
  family: Family;
  /** Canonical text: dotted quad, or RFC 5952 form for IPv6. */
  text: string;
  /** Fixed-width hex of the address bytes, for comparisons. */
  key: string;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function v4Key(s: string): string {
  return s.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
}

/** 32 hex digits for an IPv6 address in any valid notation, or undefined. */
export function v6Key(s: string): string | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!V4.test(tail)) return undefined;
    const k = v4Key(tail);
    text = `${text.slice(0, lastColon + 1)}${k.slice(0, 4)}:${k.slice(4)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (g: string) => (g === '' ? [] : g.split(':'));
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  if ([...h, ...r].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const missing = 8 - h.length - r.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...h, ...Array<string>(Math.max(0, missing)).fill('0'), ...r].map((g) => g.toLowerCase().padStart(4, '0')).join('');
}

/** RFC 5952 text from 32 hex digits: lower case, longest run of zero groups (>1) as "::". */
function v6Text(key: string): string {
  const g = key.match(/.{4}/g)!.map((x) => parseInt(x, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

export function parseIp(raw: string): ParsedIp | undefined {
  const s = raw.trim();
  if (V4.test(s)) return { family: 4, text: s, key: v4Key(s) };
  const key = s.includes(':') ? v6Key(s) : undefined;
  return key === undefined ? undefined : { family: 6, text: v6Text(key), key };
}

/** Key of an address as /proc/net/if_inet6 or `ip -j` print it, for comparing with ParsedIp.key. */
export function keyOf(family: Family, text: string): string | undefined {
  if (family === 4) return V4.test(text) ? v4Key(text) : undefined;
  return /^[0-9a-f]{32}$/.test(text) ? text : v6Key(text);
}

const MASK = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * A prefix length for `family`: "24", or for IPv4 a dotted netmask
 * ("255.255.255.0", as HEAD accepts with a warning). Returns the length or
 * a problem description.
 */
export function parsePrefix(raw: string, family: Family): { prefix: number; dotted: boolean } | { problem: string } {
  const s = raw.trim();
  const max = family === 4 ? 32 : 128;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n <= max ? { prefix: n, dotted: false } : { problem: `must be between 1 and ${max}` };
  }
  const m = family === 4 ? MASK.exec(s) : null;
  if (m) {
    const bits = m.slice(1).map(Number);
    if (bits.every((b) => b <= 255)) {
      const bin = bits.map((b) => b.toString(2).padStart(8, '0')).join('');
      if (/^1+0*$/.test(bin)) return { prefix: bin.indexOf('0') === -1 ? 32 : bin.indexOf('0'), dotted: true };
    }
    return { problem: 'not a contiguous netmask' };
  }
  return { problem: family === 4 ? 'expected a prefix length (1-32) or a dotted netmask' : 'expected a prefix length (1-128)' };
}

/** broadcast: "+" / "-" (let ip compute / none) or an IPv4 address. */
export function checkBroadcast(raw: string): string | undefined {
  return raw === '+' || raw === '-' || V4.test(raw) ? undefined : 'expected an IPv4 address, "+" or "-"';
}
