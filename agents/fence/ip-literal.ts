// IP literal recognition without loading node:net, which costs a few
// milliseconds of start-up on the meta-data path (checked against
// net.isIP in test/fence/values.test.ts).

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const GROUP = /^[0-9A-Fa-f]{1,4}$/;

function isIpv6(s: string): boolean {
  const zone = s.indexOf('%');
  const addr = zone < 0 ? s : s.slice(0, zone);
  if (zone >= 0 && !/^%[0-9A-Za-z_.-]+$/.test(s.slice(zone))) return false;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string): string[] | undefined => (half === '' ? [] : half.split(':'));
  const parts = halves.flatMap((h) => groups(h) ?? []);
  let count = parts.length;
  // An embedded IPv4 address may end the literal and counts as two groups.
  const last = parts[parts.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!IPV4.test(last)) return false;
    parts.pop();
    count++;
  }
  if (!parts.every((p) => GROUP.test(p))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** 4, 6, or 0 for anything that is not an IP literal (like net.isIP). */
export function ipVersion(s: string): 0 | 4 | 6 {
  if (IPV4.test(s)) return 4;
  return s.includes(':') && isIpv6(s) ? 6 : 0;
}

/** The raw in_addr / in6_addr of an IP literal (a zone is dropped), for the request's callback address. */
export function ipBytes(s: string): Uint8Array {
  const v = ipVersion(s);
  if (v === 4) return Uint8Array.from(s.split('.').map(Number));
  if (v !== 6) throw new RangeError(`ipBytes: '${s}' is not an IP address`);
  const zone = s.indexOf('%');
  const addr = zone < 0 ? s : s.slice(0, zone);
  const groups = (half: string): number[] => {
    if (half === '') return [];
    return half.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
