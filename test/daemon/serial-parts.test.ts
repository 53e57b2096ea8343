// The serial listener's pure parts: the domain XML scanner (against real
// `virsh dumpxml` output too), the frame cutter, the directory filter, the
// reply encoding and the option checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { DomainXmlError, findSocketDevices } from '../../daemon/listeners/serial/domain-xml.js';
import { SerialFramer } from '../../daemon/listeners/serial/framer.js';
import { inDirectory } from '../../daemon/listeners/serial/socket-dir.js';
import { encodeReply } from '../../daemon/listeners/serial/guest-channel.js';
import { parseSerialSection } from '../../daemon/listeners/serial/options.js';
import { serialListener } from '../../daemon/listeners/serial/index.js';
import { parseConfig } from '../../daemon/config/parse.js';
import { section } from '../../daemon/config/access.js';
import { ConfigError, PalisadeError } from '../../daemon/errors.js';
import { encodeSerialRequest } from '../../protocol/serial.js';
import { decodeHostRecord } from '../../protocol/host-list.js';
import type { LogFn } from '../../daemon/log.js';
import { Workspace } from '../helpers/fence-daemons.js';
import { hostileRequests, hostileSerial } from '../hostile.js';
import { rng } from './conf-helpers.js';

/** The shared hostile packets, plus seeded random bytes laced with magics, tags and entities. */
const HOSTILE_BYTES: Uint8Array[] = (() => {
  const r = rng(0x5e41a1);
  const atoms = ['abba', 'ab', '<', '>', '</', '/>', "'", '"', '&', '&amp;', '&#', '<!--', '-->', '<![CDATA[', ']]>', '<?', '<devices>', "<serial type='unix'>", "<source mode='bind' path='", '\0', 'x'];
  const random = Array.from({ length: 300 }, () => {
    const parts = Array.from({ length: 1 + r.int(40) }, () => (r.chance(0.3) ? String.fromCharCode(r.int(256)) : r.pick(atoms)));
    return new Uint8Array(Buffer.from(parts.join(''), 'latin1'));
  });
  return [...hostileRequests, ...hostileSerial].map(([, b]) => b).concat(random);
})();

const wrap = (devices: string) => `<domain type='kvm'>\n  <name>g</name>\n  <devices>\n${devices}\n  </devices>\n</domain>\n`;

describe('findSocketDevices', () => {
  it('finds bind-mode unix serial devices and ignores the rest', () => {
    const xml = wrap(`
    <serial type='unix'><source mode='bind' path='/run/a.sock'/><target port='0'/></serial>
    <serial type='unix'><source mode='connect' path='/run/client.sock'/></serial>
    <serial type='pty'><source path='/dev/pts/3'/></serial>
    <console type='unix'><source mode='bind' path='/run/console.sock'/></console>
    <channel type='unix'><source mode='bind' path='/run/chan.sock'/><target type='virtio' name='x'/></channel>
    <serial type="unix"><source path="/run/b&amp;c.sock" mode="bind"></source></serial>`);
    expect(findSocketDevices(xml, 'serial')).toEqual([{ kind: 'serial', path: '/run/a.sock' }, { kind: 'serial', path: '/run/b&c.sock' }]);
    expect(findSocketDevices(xml, 'channel')).toEqual([{ kind: 'channel', path: '/run/chan.sock' }]);
  });

  it('looks only at /domain/devices, skipping comments, CDATA and nested look-alikes', () => {
    const xml = `<?xml version='1.0'?>\n<!-- <devices><serial type='unix'><source mode='bind' path='/run/comment'/></serial></devices> -->
<domain type='kvm'><metadata><x:devices xmlns:x='urn:x'/><devices><serial type='unix'><source mode='bind' path='/run/meta'/></serial></devices></metadata>
<description><![CDATA[<serial type='unix'><source mode='bind' path='/run/cdata'/></serial>]]></description>
<devices><serial type='unix'><log file='/x'/><source mode='bind' path='/run/real'/></serial><serial type='unix'/></devices></domain>`;
    expect(findSocketDevices(xml, 'serial').map((d) => d.path)).toEqual(['/run/real']);
  });

  it('decodes numeric entities and keeps > inside quoted values', () => {
    const xml = wrap(`<serial type='unix'><source mode='bind' path='/run/&#x67;&#49;>x&apos;s'/></serial>`);
    expect(findSocketDevices(xml, 'serial')[0]!.path).toBe("/run/g1>x's");
  });

  it.each([
    ['unclosed element', `<domain><devices><serial type='unix'>`],
    ['mismatched close', `<domain><devices></serial></devices></domain>`],
    ['bare ampersand', `<domain><devices><serial type='unix'><source mode='bind' path='/a&b'/></serial></devices></domain>`],
    ['unknown entity', `<domain><devices><serial type='unix'><source mode='bind' path='/a&nbsp;'/></serial></devices></domain>`],
    ['wrong root', `<node><domain/></node>`],
    ['two roots', `<domain/><domain/>`],
    ['no element at all', `<!-- nothing -->`],
    ['unterminated comment', `<domain><!-- </domain>`],
    ['malformed tag', `<domain><devices><serial type=unix></serial></devices></domain>`],
    ['repeated attribute', `<domain><devices><serial type='unix' type='pty'></serial></devices></domain>`],
    ['empty input', ''],
  ])('rejects %s with an offset', (_what, xml) => {
    expect(() => findSocketDevices(xml, 'serial')).toThrow(DomainXmlError);
  });

  it('never throws anything but DomainXmlError on hostile text', () => {
    for (const bytes of HOSTILE_BYTES) {
      const text = Buffer.from(bytes).toString('latin1');
      for (const s of [text, wrap(text), `<domain>${text}`]) {
        try {
          findSocketDevices(s, 'serial');
        } catch (e) {
          expect(e).toBeInstanceOf(DomainXmlError);
        }
      }
    }
  });

  describe('on real virsh dumpxml output', () => {
    let ws: Workspace;
    beforeAll(async () => { ws = await Workspace.create(); });
    afterAll(async () => { await ws?.stop(); });

    it('finds the serial and channel sockets libvirt keeps in the definition', async () => {
      const node = await ws.file('node.xml', `<node>
  <domain type='test'>
    <name>g1</name>
    <uuid>5a5e0001-0000-4000-8000-0000000000aa</uuid>
    <memory>262144</memory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <serial type='unix'><source mode='bind' path='${ws.path('g1 & co.sock')}'/><target port='1'/></serial>
      <channel type='unix'><source mode='bind' path='${ws.path('g1.chan')}'/><target type='virtio' name='org.clusterlabs.fence'/></channel>
    </devices>
  </domain>
</node>
`.replace('g1 & co', 'g1 &amp; co'));
      const r = await execa('virsh', ['-q', '-c', `test://${node}`, 'dumpxml', 'g1']);
      // libvirt mirrors the first serial as a <console>: it must not count twice.
      expect(r.stdout).toContain('<console type=');
      expect(findSocketDevices(r.stdout, 'serial')).toEqual([{ kind: 'serial', path: ws.path('g1 & co.sock') }]);
      expect(findSocketDevices(r.stdout, 'channel')).toEqual([{ kind: 'channel', path: ws.path('g1.chan') }]);
    });
  });
});

describe('inDirectory (fence_virtd is_in_directory)', () => {
  it.each([
    ['/var/run/cluster', '/var/run/cluster/g1.sock', true],
    ['/var/run/cluster/', '/var/run/cluster/g1.sock', true],
    ['var/run/cluster', '/var/run/cluster/g1.sock', true],
    ['//var/run/cluster//', '/var/run/cluster//g1.sock', true],
    ['/var/run/cluster', '/var/run/cluster/sub/g1.sock', false],
    ['/var/run', '/var/run/cluster/g1.sock', false],
    ['/var/run/cluster', '/var/run/clusterx/g1.sock', false],
    ['/', '/g1.sock', false],
    ['/', '/var/g1.sock', false],
    ['/var', 'g1.sock', false],
  ])('%s contains %s: %s', (dir, p, want) => {
    expect(inDirectory(dir, p)).toBe(want);
  });
});

const frame = (domain: string, seqno: number, request = 4) => encodeSerialRequest({ request, flags: 0, domain, seqno });

describe('SerialFramer', () => {
  it('cuts back-to-back frames and keeps a partial one', () => {
    const f = new SerialFramer();
    const two = Buffer.concat([frame('a', 1), frame('b', 2), frame('c', 3).subarray(0, 10)]);
    const out = f.push(two);
    expect(out.requests.map((r) => r.domain)).toEqual(['a', 'b']);
    expect(out.skipped).toBe(0);
    expect(f.pending).toBe(10);
    expect(f.push(frame('c', 3).subarray(10)).requests.map((r) => r.seqno)).toEqual([3]);
    expect(f.pending).toBe(0);
  });

  it('accepts a frame delivered one byte at a time', () => {
    const f = new SerialFramer();
    const got = [...frame('guest1', 77)].flatMap((b) => f.push(Uint8Array.of(b)).requests);
    expect(got).toEqual([{ request: 4, flags: 0, domain: 'guest1', seqno: 77 }]);
  });

  it('skips garbage before the magic, including a split magic', () => {
    const f = new SerialFramer();
    // "ab" at the end of a chunk may begin the magic; the "x" after it shows it did not.
    const bytes = Buffer.concat([Buffer.from('xxab'), Buffer.from('x'), frame('g', 5)]);
    const a = f.push(bytes.subarray(0, 4));
    expect(a.requests).toEqual([]);
    expect(f.pending).toBe(2); // "ab" may begin the magic
    const b = f.push(bytes.subarray(4));
    expect(b.requests.map((r) => r.domain)).toEqual(['g']);
    expect(a.skipped + b.skipped).toBe(5);
  });

  it('treats a magic whose frame does not decode as noise and resynchronises after it', () => {
    const f = new SerialFramer();
    const bad = Buffer.alloc(74, 0x41);
    bad.write('abba', 0, 'latin1'); // domain never NUL-terminated
    const out = f.push(Buffer.concat([bad, frame('ok', 9)]));
    expect(out.requests.map((r) => r.domain)).toEqual(['ok']);
    expect(out.rejected).toMatch(/domain/);
    expect(out.skipped).toBe(74);
  });

  it('discard() drops the partial frame', () => {
    const f = new SerialFramer();
    f.push(frame('g', 1).subarray(0, 30));
    expect(f.discard()).toBe(30);
    expect(f.push(frame('g', 2)).requests.map((r) => r.seqno)).toEqual([2]);
  });

  it('holds at most a frame of bytes whatever it is fed', () => {
    const f = new SerialFramer();
    for (const bytes of HOSTILE_BYTES) {
      f.push(bytes);
      expect(f.pending).toBeLessThan(74);
    }
  });
});

describe('encodeReply', () => {
  it('result: one 5-byte response; drop: nothing', () => {
    expect(Buffer.from(encodeReply({ kind: 'result', result: 2 })!).toString('hex')).toBe('6162626102');
    expect(encodeReply({ kind: 'drop', reason: 'dup' })).toBeUndefined();
  });

  it('host list: 0xFD response, records, zero record, 0 response', () => {
    const out = encodeReply({ kind: 'hostlist', hosts: [{ domain: 'g1', uuid: '5a5e0001-0000-4000-8000-000000000001', state: 1 }] })!;
    expect(out.length).toBe(5 + 130 * 2 + 5);
    expect(Buffer.from(out.subarray(0, 5)).toString('hex')).toBe('61626261fd');
    expect(decodeHostRecord(out.subarray(5, 135))).toEqual({ domain: 'g1', uuid: '5a5e0001-0000-4000-8000-000000000001', state: 1 });
    expect(out.subarray(135, 265).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(out.subarray(265)).toString('hex')).toBe('6162626100');
  });
});

describe('serial options', () => {
  const warnings: string[] = [];
  const log: LogFn = (level, m) => { if (level === 'warn') warnings.push(m); };
  const conf = (body: string) => {
    const root = parseConfig(`fence_virtd { listener = "serial"; backend = "libvirt"; }\nlisteners {\n\tserial {\n${body}\n\t}\n}\n`, '/etc/fence_virt.conf');
    return section(section(root, 'listeners')!, 'serial')!;
  };
  const ctx = { log, name: 'serial', backends: [], clusters: new Map() };

  it.each([
    ['mode = "serial";', 'serial'], ['mode = "VMChannel";', 'vmchannel'], ['mode = "0";', 'serial'],
    ['mode = "1";', 'vmchannel'], ['mode = "7";', 'vmchannel'], ['mode = "-1";', 'serial'], ['', 'serial'],
  ])('%s → %s', (body, mode) => {
    expect(parseSerialSection(conf(body), ctx).mode).toBe(mode);
  });

  it.each([
    ['mode = "uart";', /:4: listeners\/serial\/mode: 'uart' is not serial, vmchannel or an integer/],
    ['poll_ms = "10";', /:4: listeners\/serial\/poll_ms: '10' is out of range/],
    ['poll_ms = "soon";', /:4: listeners\/serial\/poll_ms: 'soon' is not an integer/],
    ['group = "nope";', /:4: listeners\/serial\/group: no group named 'nope'/],
  ])('%s is a ConfigError at its line', (body, re) => {
    expect(() => parseSerialSection(conf(body), ctx)).toThrow(ConfigError);
    expect(() => parseSerialSection(conf(body), ctx)).toThrow(re);
  });

  it('warns about unknown keys and a path that matches nothing, accepts key_file', () => {
    warnings.length = 0;
    const o = parseSerialSection(conf('path = "/";\n\t\tkey_file = "/etc/cluster/fence_xvm.key";\n\t\tspeed = "9600";'), ctx);
    expect(o.path).toBe('/');
    expect(warnings.join('\n')).toMatch(/:4: listeners\/serial\/path: '\/' matches no socket/);
    expect(warnings.join('\n')).toMatch(/:6: listeners\/serial\/speed: unknown key/);
    expect(warnings.join('\n')).not.toMatch(/serial\/key_file/);
  });

  it('create() validates without a backend; start() then refuses clearly', async () => {
    const l = await serialListener.create(conf('uri = "qemu:///system";\n\t\tpath = "/run/fence";\n\t\tmode = "vmchannel";'), ctx);
    expect(l.description).toBe('serial (vmchannel) via qemu:///system, path /run/fence');
    const service = { handle: async () => ({ kind: 'drop', reason: 'x' }) as const, owns: async () => false };
    await expect(l.start(service)).rejects.toThrow(PalisadeError);
    await expect(l.start(service)).rejects.toThrow(/no backend to watch domains/);
    await l.close();
  });

  it('picks a backend by the guest-socket capability it declares, whatever its class', async () => {
    const xmlAsked: string[] = [];
    const declaring = {
      lookup: async () => undefined, off: async () => {}, on: async () => {}, reboot: async () => 'rebooted' as const,
      list: async () => [], close: async () => {},
      capabilities: { guestSockets: { uris: ['qemu+ssh://hv2/system'], domainXml: async (d: string) => { xmlAsked.push(d); return '<domain/>'; } } },
    };
    const without = { ...declaring, capabilities: {} };
    const backends = [{ name: 'plain', backend: without }, { name: 'other:b', backend: declaring }];
    const l = await serialListener.create(conf('uri = "qemu+ssh://hv2/system";'), { ...ctx, backends });
    expect(l.description).toBe('serial (serial) via other:b qemu+ssh://hv2/system');
    const first = await serialListener.create(conf('mode = "serial";'), { ...ctx, backends });
    expect(first.description).toBe('serial (serial) via other:b qemu+ssh://hv2/system');
    const none = await serialListener.create(conf('mode = "serial";'), { ...ctx, backends: [{ name: 'plain', backend: without }] });
    const service = { handle: async () => ({ kind: 'drop', reason: 'x' }) as const, owns: async () => false };
    await expect(none.start(service)).rejects.toThrow(/none of the backends \(plain\) offers guest sockets/);
  });
});
