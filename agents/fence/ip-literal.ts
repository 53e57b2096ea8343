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
