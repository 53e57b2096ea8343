import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { buildAcl } from '../../daemon/acl.js';
import { parseConfig, readConfigFile } from '../../daemon/config/parse.js';
import { startFenceVirtd, type RunningFenceVirtd } from './real-fence-virtd.js';

const F = 'acl.conf';
const acl = (groups: string) => buildAcl(parseConfig(`fence_virtd { listener = "tcp"; }\n${groups}`, F));

const UUID_A = '6695eb01-f6a4-8304-79aa-97f2502e193f';
const UUID_B = 'a5c1f7d2-0c4e-4d2a-9f0b-3e2f1d6c7b8a';

describe('buildAcl', () => {
  it('is off without a groups section: everything is allowed', () => {
    const a = acl('');
    expect(a.enabled).toBe(false);
    expect(a.allows('10.0.0.9', 'anything')).toBe(true);
    expect(a.allowsDomain(UUID_A, { name: 'x', uuid: UUID_B })).toBe(true);
    expect(a.warnings).toEqual([]);
    expect(a.describe()).toBe('off (no groups section): every source may fence every domain');
  });

  it('allows a listed ip to act on its uuid entries, names or UUIDs, case-insensitively', () => {
    const a = acl(`groups {
      group { name = "web"; ip = "192.168.122.11"; uuid = "Web1"; uuid = "${UUID_A.toUpperCase()}"; }
      group { ip = "192.168.122.12"; uuid = "db1"; }
    }`);
    expect(a.enabled).toBe(true);
    expect(a.allows('192.168.122.11', 'web1')).toBe(true);
    expect(a.allows('192.168.122.11', 'WEB1')).toBe(true);
    expect(a.allows('192.168.122.11', UUID_A)).toBe(true);
    expect(a.allows('192.168.122.11', 'db1')).toBe(false);
    expect(a.allows('192.168.122.12', 'db1')).toBe(true);
    expect(a.allows('192.168.122.13', 'web1')).toBe(false);
    // Exact strings, no prefixes or CIDRs.
    expect(a.allows('192.168.122.1', 'web1')).toBe(false);
    expect(a.allows('192.168.122.11', 'web')).toBe(false);
    expect(a.warnings).toEqual([]);
  });

  it("does not treat a group's name as a target (it is only a label, fence_virt.conf(5))", () => {
    const a = acl('groups { group { name = "web1"; ip = "10.0.0.1"; uuid = "web2"; } }');
    expect(a.allows('10.0.0.1', 'web1')).toBe(false);
    expect(a.allows('10.0.0.1', 'web2')).toBe(true);
  });

  it('matches a UUID source (serial listener) against uuid entries, never ip entries', () => {
    const a = acl(`groups {
      group { uuid = "${UUID_A}"; uuid = "${UUID_B}"; uuid = "node2"; }
      group { ip = "${UUID_B}"; uuid = "other"; }
    }`);
    expect(a.allows(UUID_A, 'node2')).toBe(true);
    expect(a.allows(UUID_A.toUpperCase(), UUID_B)).toBe(true);
    expect(a.allows(UUID_B, 'other')).toBe(false);
    expect(a.allows('6695eb01', 'node2')).toBe(false);
    expect(a.warnings).toEqual([
      `${F}:4: groups/group[unnamed-2]/ip: '${UUID_B}' is a UUID; UUID sources (serial listener) are matched against uuid entries, so this never matches`,
    ]);
  });

  it('matches a vsock CID as an ip entry', () => {
    const a = acl('groups { group { ip = "3"; uuid = "vm"; } }');
    expect([a.allows('3', 'vm'), a.allows('4', 'vm')]).toEqual([true, false]);
  });

  it('normalises IPv4-mapped IPv6 and compares IPv6 in canonical form (fence_virtd does neither)', () => {
    const a = acl(`groups {
      group { ip = "192.168.1.5"; uuid = "v4"; }
      group { ip = "::ffff:10.1.1.1"; uuid = "mapped"; }
      group { ip = "2001:DB8:0:0::1"; ip = "fe80::1%virbr0"; uuid = "v6"; }
    }`);
    expect(a.allows('::ffff:192.168.1.5', 'v4')).toBe(true);
    expect(a.allows('::FFFF:192.168.1.5', 'v4')).toBe(true);
    expect(a.allows('::ffff:c0a8:105', 'v4')).toBe(true);
    expect(a.allows('10.1.1.1', 'mapped')).toBe(true);
    expect(a.allows('2001:db8::1', 'v6')).toBe(true);
    expect(a.allows('2001:0db8::0:1', 'v6')).toBe(true);
    expect(a.allows('FE80::1%VIRBR0', 'v6')).toBe(true);
    expect(a.allows('::ffff:192.168.1.6', 'v4')).toBe(false);
    expect(a.allows('::192.168.1.5', 'v4')).toBe(false);
  });

  it('skips a group without entries, with a warning, and keeps reading the rest', () => {
    const a = acl(`groups {
      group { name = "empty"; }
      group = "ok" { ip = "10.0.0.1"; uuid = "vm1"; }
      group { }
    }`);
    expect(a.enabled).toBe(true);
    expect(a.allows('10.0.0.1', 'vm1')).toBe(true);
    expect(a.allows('10.0.0.2', 'vm1')).toBe(false);
    expect(a.warnings).toEqual([
      `${F}:3: groups/group[empty]: has no uuid or ip entries; skipped (fence_virtd would stop reading groups here)`,
      `${F}:5: groups/group[unnamed-3]: has no uuid or ip entries; skipped (fence_virtd would stop reading groups here)`,
    ]);
  });

  it('is off, with a warning, when no group has entries (as in fence_virtd)', () => {
    const a = acl('groups {\n group { name = "x"; }\n}');
    expect(a.enabled).toBe(false);
    expect(a.allows('1.2.3.4', 'vm')).toBe(true);
    expect(a.warnings).toEqual([
      `${F}:3: groups/group[x]: has no uuid or ip entries; skipped (fence_virtd would stop reading groups here)`,
      `${F}:2: groups: no group has any uuid or ip entry, so access control is off: every source may fence every domain (as in fence_virtd)`,
    ]);
    expect(a.describe()).toBe('off (the groups section has no usable group): every source may fence every domain');
  });

  it('warns about groups that allow nothing, unknown keys and repeated groups sections', () => {
    const a = acl(`groups { group { ip = "10.0.0.1"; } }
groups {
  group { ip = "10.0.0.2"; uuid = "vm"; member = "x"; }
  other { }
}`);
    expect(a.allows('10.0.0.2', 'vm')).toBe(true);
    expect(a.allows('10.0.0.1', 'vm')).toBe(false);
    expect(a.warnings).toEqual([
      `${F}:3: groups: appears 2 times (lines 2, 3); only the last one is read, as fence_virtd does`,
      `${F}:5: groups/other: unknown section, ignored (known here: group)`,
      `${F}:4: groups/group/member: unknown key, ignored (known here: name, uuid, ip, key_file)`,
    ]);
    expect(acl('groups { group { ip = "1.1.1.1"; } }').warnings).toEqual([
      `${F}:2: groups/group[unnamed-1]: has ip entries but no uuid entries, so it allows nothing`,
    ]);
  });

  it('allowsDomain (host lists): by name or by UUID', () => {
    const a = acl(`groups { group { ip = "10.0.0.1"; uuid = "web1"; uuid = "${UUID_B}"; } }`);
    expect(a.allowsDomain('10.0.0.1', { name: 'web1', uuid: UUID_A })).toBe(true);
    expect(a.allowsDomain('10.0.0.1', { name: 'db1', uuid: UUID_B })).toBe(true);
    expect(a.allowsDomain('10.0.0.1', { name: 'db2', uuid: UUID_A })).toBe(false);
  });

  it('describes each group', () => {
    const a = acl('groups {\n group = "web" { ip = "10.0.0.1"; ip = "::FFFF:10.0.0.2"; uuid = "Web1"; }\n group { uuid = "x"; }\n}');
    expect(a.describe()).toBe([
      '2 groups',
      'group web (line 3): ip 10.0.0.1, 10.0.0.2; uuid web1',
      'group unnamed-2 (line 4): ip (none); uuid x',
    ].join('\n'));
  });

  it('reads the groups fixture', async () => {
    const a = buildAcl(await readConfigFile(new URL('../fixtures/conf/good/groups.conf', import.meta.url).pathname));
    expect(a.warnings).toEqual([]);
    expect(a.allows('192.168.122.12', '6695eb01-f6a4-8304-79aa-97f2502e193f')).toBe(true);
    expect(a.allows('a5c1f7d2-0c4e-4d2a-9f0b-3e2f1d6c7b8a', 'db1')).toBe(true);
    expect(a.allows('fe80::5054:ff:fe12:3456', 'db1')).toBe(true);
    expect(a.allows('192.168.122.12', 'db1')).toBe(false);
  });
});

describe('cross-check with the real fence_virtd (tcp from 127.0.0.1, domain "test")', () => {
  let daemon: RunningFenceVirtd | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  const conf = (groups: string) => (key: string, port: number) => `fence_virtd { listener = "tcp"; backend = "libvirt"; }
listeners { tcp { key_file = "${key}"; address = "127.0.0.1"; port = "${port}"; } }
backends { libvirt { uri = "test:///default"; } }
${groups}`;

  // fence_virt exits 0 for "Status: ON" and 3 for "Permission denied".
  const cases: Array<[string, string, number, number]> = [
    ['no groups', '', 0, 0],
    ['listed by name', 'groups { group { ip = "127.0.0.1"; uuid = "test"; } }', 0, 0],
    ['listed by UUID only, fenced by name (fence-agents#515)', 'groups { group { ip = "127.0.0.1"; uuid = "6695eb01-f6a4-8304-79aa-97f2502e193f"; } }', 3, 3],
    ['other source', 'groups { group { ip = "127.0.0.2"; uuid = "test"; } }', 3, 3],
    ['group name is not a target', 'groups { group { name = "test"; ip = "127.0.0.1"; uuid = "other"; } }', 3, 3],
    // fence_virtd reads groups last-first and stops at the empty one: nothing is loaded, everything allowed.
    ['an empty last group (fence_virtd bug, fixed)', 'groups { group { ip = "127.0.0.1"; uuid = "other"; } group { name = "empty"; } }', 0, 3],
  ];

  it.each(cases)('%s', async (_name, groups, fenceVirtdExit, ourExit) => {
    daemon = await startFenceVirtd(conf(groups));
    expect(await daemon.fenceVirt('status', 'test'), daemon.output()).toBe(fenceVirtdExit);
    const ours = buildAcl(parseConfig(await readFile(`${daemon.dir}/fence_virt.conf`, 'utf8'), 'x')).allows('127.0.0.1', 'test');
    expect(ours ? 0 : 3).toBe(ourExit);
  });
});
