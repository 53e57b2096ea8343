import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../daemon/config/parse.js';
import {
  allValues, choice, configError, indexed, int, pathOf, port, repeatedKeys, section, sections, str, strOr, unknownKeys,
} from '../../daemon/config/access.js';
import { ConfigError } from '../../daemon/errors.js';
import type { ConfigSection } from '../../daemon/config/tree.js';

const FILE = '/etc/fence_virt.conf';

const CONF = `fence_virtd {
	listener = "tcp";
	backend = "libvirt";
	debug = "3";
}
listeners {
	TCP {
		hash = "sha384";
		auth = "SHA512";
		port = "1229";
		port = "70000";
		family = "ipv4";
		retries = "-1";
		spaces = " 42 ";
	}
}
backends {
	libvirt {
		uri = "qemu:///system";
		URI1 = "test:///default";
		uri2 = "qemu+ssh://h/system";
		uri4 = "skipped";
		uri01 = "not an index";
	}
}
`;

const root = parseConfig(CONF, FILE);
const tcp = () => section(section(root, 'listeners')!, 'tcp')!;
const libvirt = () => section(section(root, 'backends')!, 'libvirt')!;
const fv = () => section(root, 'fence_virtd')!;

function thrown(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('section lookup', () => {
  it('is case-insensitive and records the path', () => {
    const t = tcp();
    expect(t.name).toBe('TCP');
    expect(pathOf(t)).toBe('listeners/tcp');
    expect(pathOf(root)).toBe('');
    expect(section(root, 'nope')).toBeUndefined();
  });

  it('returns the last of repeated sections, as fence_virtd does; sections() returns all in order', () => {
    const r = parseConfig('listeners { tcp { port = "1"; } }\nlisteners { tcp { port = "2"; } }\nLISTENERS { }', FILE);
    expect(section(r, 'listeners')!.line).toBe(3);
    expect(sections(r, 'listeners').map((s) => s.line)).toEqual([1, 2, 3]);
    expect(sections(r, 'none')).toEqual([]);
  });
});

describe('scalar values', () => {
  it('str and strOr: the last value wins; missing required keys name the section line', () => {
    expect(str(fv(), 'LISTENER')).toBe('tcp');
    expect(strOr(fv(), 'missing', 'dflt')).toBe('dflt');
    const e = thrown(() => str(libvirt(), 'path'));
    expect(e.message).toBe(`${FILE}:18: backends/libvirt/path: required but not set; add path = "…";`);
    expect([e.file, e.line, e.field]).toEqual([FILE, 18, 'backends/libvirt/path']);
  });

  it('a missing top-level key has no line', () => {
    expect(thrown(() => str(root, 'top')).message).toBe(`${FILE}: top: required but not set; add top = "…";`);
  });

  it('choice: case-insensitive, returns the canonical spelling, lists what is allowed', () => {
    const hashes = ['none', 'sha1', 'sha256', 'sha512'] as const;
    expect(choice(tcp(), 'auth', hashes, 'sha256')).toBe('sha512');
    expect(choice(tcp(), 'family', ['ipv4', 'ipv6'] as const, 'ipv6')).toBe('ipv4');
    expect(choice(tcp(), 'absent', hashes, 'sha1')).toBe('sha1');
    expect(thrown(() => choice(tcp(), 'hash', hashes, 'sha256')).message)
      .toBe(`${FILE}:8: listeners/tcp/hash: 'sha384' is not one of none, sha1, sha256, sha512`);
  });

  it('port: 1..65535, the last value, the line of that value', () => {
    const e = thrown(() => port(tcp(), 'port', 1229));
    expect(e.message).toBe(`${FILE}:11: listeners/tcp/port: '70000' is not a port number; use an integer from 1 to 65535`);
    const p = (v: string) => port(parseConfig(`port = "${v}";`, FILE), 'port', 9);
    expect([p('1'), p('65535'), p(' 1229 '), p('01229')]).toEqual([1, 65535, 1229, 1229]);
    for (const bad of ['0', '65536', '1229abc', '-1', '+5', '1e3', '0x10', 'tcp', '123456']) {
      expect(thrown(() => p(bad)).message).toBe(`${FILE}:1: port: '${bad}' is not a port number; use an integer from 1 to 65535`);
    }
    expect(port(fv(), 'port', 1229)).toBe(1229);
  });

  it('int: decimal with sign and surrounding blanks, range in the message', () => {
    expect(int(fv(), 'debug', 0, { min: 0 })).toBe(3);
    expect(int(tcp(), 'spaces', 0)).toBe(42);
    expect(int(fv(), 'absent', 7)).toBe(7);
    expect(thrown(() => int(tcp(), 'retries', 0, { min: 0, max: 10 })).message)
      .toBe(`${FILE}:13: listeners/tcp/retries: '-1' is out of range; use an integer from 0 to 10`);
    expect(thrown(() => int(tcp(), 'retries', 0, { min: 0 })).message)
      .toBe(`${FILE}:13: listeners/tcp/retries: '-1' is out of range; use an integer of at least 0`);
    expect(thrown(() => int(fv(), 'debug', 0, { max: 2 })).message)
      .toBe(`${FILE}:4: fence_virtd/debug: '3' is out of range; use an integer of at most 2`);
    expect(thrown(() => int(fv(), 'listener', 0)).message)
      .toBe(`${FILE}:2: fence_virtd/listener: 'tcp' is not an integer; use an integer`);
    expect(thrown(() => int(parseConfig('n = "99999999999999999999";', FILE), 'n', 0)).message)
      .toBe(`${FILE}:1: n: '99999999999999999999' is not an integer; use an integer`);
  });

  it('values in messages are escaped and cut', () => {
    const r = parseConfig('listeners { tcp { port = "12\n34"; } }', FILE);
    expect(thrown(() => port(section(section(r, 'listeners')!, 'tcp')!, 'port', 1)).message)
      .toBe(`${FILE}:1: listeners/tcp/port: '12\\n34' is not a port number; use an integer from 1 to 65535`);
  });
});

describe('lists', () => {
  it('allValues: every value in file order, with lines', () => {
    expect(allValues(tcp(), 'PORT').map((v) => [v.value, v.line])).toEqual([['1229', 10], ['70000', 11]]);
    expect(allValues(tcp(), 'none')).toEqual([]);
  });

  it('indexed: uri, uri1, uri2 … up to the first missing one', () => {
    expect(indexed(libvirt(), 'uri').map((v) => v.value)).toEqual(['qemu:///system', 'test:///default', 'qemu+ssh://h/system']);
    expect(indexed(parseConfig('uri1 = "x";', FILE), 'uri')).toEqual([]);
  });
});

describe('warnings', () => {
  it('unknownKeys: unknown keys and sections, and indexed keys past a gap', () => {
    const w = unknownKeys(libvirt(), ['foo'], ['uri']);
    expect(w).toEqual([
      `${FILE}:22: backends/libvirt/uri4: ignored: uri3 is not set, and uri, uri1, uri2, … are read only up to the first missing one`,
      `${FILE}:23: backends/libvirt/uri01: unknown key, ignored (known here: foo, uri)`,
    ]);
    expect(unknownKeys(root, ['fence_virtd', 'listeners'])).toEqual([
      `${FILE}:17: backends: unknown section, ignored (known here: fence_virtd, listeners)`,
    ]);
    expect(unknownKeys(parseConfig('uri1 = "a";', FILE), [], ['uri'])).toEqual([
      `${FILE}:1: uri1: ignored: uri is not set, and uri, uri1, uri2, … are read only up to the first missing one`,
    ]);
    expect(unknownKeys(fv(), ['listener', 'backend', 'debug'])).toEqual([]);
  });

  it('repeatedKeys: keys and sections given twice, except the repeatable ones', () => {
    const r = parseConfig('a { k = "1"; K = "2"; uuid = "x"; uuid = "y"; }\nb { }\nb { }\ngroup { }\ngroup { }', FILE);
    expect(repeatedKeys(section(r, 'a')!, ['uuid'])).toEqual([
      `${FILE}:1: a/k: set 2 times (lines 1, 1); the last one wins`,
    ]);
    expect(repeatedKeys(r, ['group'])).toEqual([
      `${FILE}:3: b: section appears 2 times (lines 2, 3); only the last one is read, as fence_virtd does`,
    ]);
    expect(repeatedKeys(tcp())).toEqual([`${FILE}:11: listeners/tcp/port: set 2 times (lines 10, 11); the last one wins`]);
  });
});

describe('configError', () => {
  it('locates a problem at the key, or at the section when the key is absent', () => {
    const e = configError(tcp(), 'family', "'ipv4' does not match address '::1'");
    expect(e.message).toBe(`${FILE}:12: listeners/tcp/family: 'ipv4' does not match address '::1'`);
    expect(configError(tcp(), 'address', 'x').message).toBe(`${FILE}:7: listeners/tcp/address: x`);
  });

  it('a section not reached through section() is named by itself', () => {
    const loose: ConfigSection = root.sections[1]!.sections[0]!;
    const fresh = parseConfig(CONF, 'other.conf').sections[1]!.sections[0]!;
    expect(pathOf(loose)).toBe('listeners/tcp'); // reached above
    expect(pathOf(fresh)).toBe('tcp');
  });
});
