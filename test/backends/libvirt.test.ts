// The libvirt backend against the real virsh and libvirt's test driver
// (test:///default and test:///ABS/PATH.xml node files), plus fake virsh
// scripts for the faults a real one cannot be made to show on demand.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { BackendError, ConfigError, DomainNotFoundError, PeerTimeoutError } from '../../daemon/errors.js';
import { section } from '../../daemon/config/access.js';
import { parseConfig } from '../../daemon/config/parse.js';
import { backends, findBackend } from '../../daemon/backends/index.js';
import { libvirtBackend } from '../../daemon/backends/libvirt/index.js';
import { LibvirtBackend } from '../../daemon/backends/libvirt/backend.js';
import { quoteValue } from '../../daemon/backends/libvirt/command-line.js';
import { isUuid } from '../../daemon/backends/libvirt/is-uuid.js';
import { VirshSession, type VirshSessionOptions } from '../../daemon/backends/libvirt/virsh-session.js';
import { Virsh, parseList, parseState } from '../../daemon/backends/libvirt/virsh.js';
import { DomainState, type Backend, type PluginContext } from '../../daemon/backends/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/libvirt/', import.meta.url));
const FAKES = fileURLToPath(new URL('../fixtures/fake-virsh/', import.meta.url));
const xmlUri = (name: string) => `test://${join(FIXTURES, name)}`;
const DEFAULT_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f'; // the test driver's built-in domain "test"

// ---- bookkeeping: every session and temp dir is closed/removed after each test ----
const open: { close(): Promise<void> }[] = [];
const tempDirs: string[] = [];
let logs: { level: string; message: string }[] = [];
const log: PluginContext['log'] = (level, message) => void logs.push({ level, message });

afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close().catch(() => undefined)));
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  logs = [];
});

function session(uri: string, extra: Partial<VirshSessionOptions> = {}): VirshSession {
  const s = new VirshSession({ uri, virsh: 'virsh', timeoutMs: 10_000, log, ...extra });
  open.push(s);
  return s;
}

function backend(uris: readonly string[], extra: Partial<VirshSessionOptions> = {}): LibvirtBackend {
  const b = new LibvirtBackend(uris.map((u) => new Virsh(session(u, extra))), { log });
  open.push(b);
  return b;
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'palisade-libvirt-test-'));
  tempDirs.push(d);
  return d;
}

/** A signal that only ends a test that would otherwise hang. */
const sig = () => AbortSignal.timeout(30_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const state = async (b: Backend, dom: string) => (await b.lookup(dom, sig()))?.state;

describe('virsh session framing and quoting (real virsh)', () => {
  it('keeps each command of a batch apart, stdout and stderr', async () => {
    const s = session('test:///default');
    const out = await s.run([
      { verb: 'domstate', options: [['--domain', 'test']] },
      { verb: 'domstate', options: [['--domain', 'no-such-domain']] },
      { verb: 'domname', options: [['--domain', DEFAULT_UUID]] },
    ]);
    expect(out.map((o) => [o.stdout.trim(), o.stderr.trim(), o.failed])).toEqual([
      ['running', '', false],
      ['', "error: failed to get domain 'no-such-domain'", true],
      ['test', '', false],
    ]);
  });

  it('uses one virsh process for many commands', async () => {
    const s = session('test:///default');
    await s.run([{ verb: 'uri' }]);
    const pid = s.pid;
    for (let i = 0; i < 20; i++) await s.run([{ verb: 'domstate', options: [['--domain', 'test']] }]);
    expect(pid).toBeTypeOf('number');
    expect(s.pid).toBe(pid);
  });

  const hostile = [
    'web server', `it's "quoted"`, 'evil; destroy test', 'back\\slash', '--reason', 'gäst', '$(touch /tmp/palisade-pwned)',
    '#not a comment', "''", ' leading and trailing ', 'a;b;c', '"', "'", '\\', 'echo PALISADE',
  ];
  it.each(hostile)('passes %j to virsh verbatim, as one argument', async (value) => {
    const s = session('test:///default');
    const [out] = await s.run([{ verb: 'domstate', options: [['--domain', value]] }]);
    // virsh names the domain it looked for: exactly our value, so nothing was split, unquoted or run.
    expect(out!.stderr).toBe(`error: failed to get domain '${value}'\n`);
    const [still] = await s.run([{ verb: 'domstate', options: [['--domain', 'test']] }]);
    expect(still!.stdout.trim()).toBe('running');
  });

  it.each(['a\nb', 'tab\there', 'cr\r', 'nul\0', 'del\x7f', '\x1b[A'])('refuses %j before sending anything', async (value) => {
    expect(() => quoteValue(value)).toThrow(BackendError);
    const s = session('test:///default');
    await expect(s.run([{ verb: 'domstate', options: [['--domain', value]] }])).rejects.toThrow(/control character/);
    expect(s.pid).toBeUndefined(); // nothing was started for it
    const [out] = await s.run([{ verb: 'domstate', options: [['--domain', 'test']] }]);
    expect(out!.stdout.trim()).toBe('running');
  });

  it('reports a line virsh refuses to parse, and keeps working', async () => {
    const s = session('test:///default');
    const err = await s.run([{ verb: 'domstate', flags: ['--bogus'] }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/rejected the command line: error: command 'domstate' doesn't support option --bogus/);
    const [out] = await s.run([{ verb: 'domstate', options: [['--domain', 'test']] }]);
    expect(out!.stdout.trim()).toBe('running');
  });

  it('serializes concurrent callers and gives each its own answer', async () => {
    const s = session(xmlUri('demo.xml'));
    const names = Array.from({ length: 30 }, (_, i) => `guest${(i % 3) + 1}`);
    const outs = await Promise.all(names.map((n) => s.run([{ verb: 'domuuid', options: [['--domain', n]] }])));
    expect(outs.map(([o]) => o!.stdout.trim())).toEqual(names.map((n) => `a1b2c3d4-000${n.slice(-1)}-4000-8000-00000000000${n.slice(-1)}`));
  });
});

describe.each([
  { label: 'test:///default', uri: 'test:///default', running: 'test', uuid: DEFAULT_UUID, off: undefined },
  { label: 'custom XML (demo.xml)', uri: xmlUri('demo.xml'), running: 'guest1', uuid: 'a1b2c3d4-0001-4000-8000-000000000001', off: 'guest3' },
])('backend operations on $label', ({ uri, running, uuid, off }) => {
  it('looks up by name and by UUID (either case); unknown is undefined', async () => {
    const b = backend([uri]);
    const byName = await b.lookup(running, sig());
    expect(byName).toEqual({ name: running, uuid, state: DomainState.RUNNING });
    expect(await b.lookup(uuid, sig())).toEqual(byName);
    expect(await b.lookup(uuid.toUpperCase(), sig())).toEqual(byName);
    expect(await b.lookup('no-such-domain', sig())).toBeUndefined();
    expect(await b.lookup('00000000-0000-4000-8000-00000000dead', sig())).toBeUndefined();
    expect(await b.lookup(running.toUpperCase(), sig())).toBeUndefined(); // names are exact, as virDomainLookupByName
  });

  it('off and on are idempotent', async () => {
    const b = backend([uri]);
    await b.off(running, sig());
    expect(await state(b, running)).toBe(DomainState.SHUTOFF);
    await b.off(running, sig());
    expect(await state(b, running)).toBe(DomainState.SHUTOFF);
    await b.on(running, sig());
    expect(await state(b, running)).toBe(DomainState.RUNNING);
    await b.on(running, sig());
    expect(await state(b, running)).toBe(DomainState.RUNNING);
  });

  it('reboots a running domain back to running, and leaves a shut-off one off (was-off)', async () => {
    const b = backend([uri]);
    expect(await b.reboot(running, sig())).toBe('rebooted');
    expect(await state(b, running)).toBe(DomainState.RUNNING);
    const target = off ?? running;
    if (!off) await b.off(running, sig());
    expect(await b.reboot(target, sig())).toBe('was-off');
    expect(await state(b, target)).toBe(DomainState.SHUTOFF);
  });

  it('reboot through the UUID works the same', async () => {
    const b = backend([uri]);
    expect(await b.reboot(uuid, sig())).toBe('rebooted');
    expect(await state(b, uuid)).toBe(DomainState.RUNNING);
  });

  it.each(['off', 'on', 'reboot'] as const)('%s of an unknown domain is DomainNotFoundError', async (op) => {
    const b = backend([uri]);
    const err = await b[op]('no-such-domain', sig()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainNotFoundError);
    expect((err as DomainNotFoundError).domain).toBe('no-such-domain');
  });

  it('lists every domain with its state, sorted by name', async () => {
    const b = backend([uri]);
    const all = await b.list(sig());
    if (off) {
      expect(all).toEqual([
        { name: 'guest1', uuid: 'a1b2c3d4-0001-4000-8000-000000000001', state: DomainState.RUNNING },
        { name: 'guest2', uuid: 'a1b2c3d4-0002-4000-8000-000000000002', state: DomainState.RUNNING },
        { name: 'guest3', uuid: 'a1b2c3d4-0003-4000-8000-000000000003', state: DomainState.SHUTOFF },
      ]);
    } else {
      expect(all).toEqual([{ name: 'test', uuid: DEFAULT_UUID, state: DomainState.RUNNING }]);
    }
  });
});

describe('backend with hostile and unusual domains (odd-names.xml)', () => {
  const uri = xmlUri('odd-names.xml');
  const names: ReadonlyArray<readonly [string, string]> = [
    ['alpha', 'b0000000-0000-4000-8000-00000000000a'],
    ['web server', 'b0000000-0000-4000-8000-000000000001'],
    [`it's "quoted"`, 'b0000000-0000-4000-8000-000000000002'],
    ['evil; destroy alpha', 'b0000000-0000-4000-8000-000000000003'],
    ['back\\slash', 'b0000000-0000-4000-8000-000000000004'],
    ['--reason', 'b0000000-0000-4000-8000-000000000005'],
    ['gäst', 'b0000000-0000-4000-8000-000000000006'],
  ];

  it('finds each one by name and by UUID', async () => {
    const b = backend([uri]);
    for (const [name, uuid] of names) {
      expect(await b.lookup(name, sig())).toEqual({ name, uuid, state: DomainState.RUNNING });
      expect((await b.lookup(uuid, sig()))?.name).toBe(name);
    }
  });

  it('powers off only the named domain, whatever the name contains', async () => {
    const b = backend([uri]);
    await b.off('evil; destroy alpha', sig());
    await b.off(`it's "quoted"`, sig());
    await b.reboot('web server', sig());
    expect(await state(b, 'evil; destroy alpha')).toBe(DomainState.SHUTOFF);
    expect(await state(b, `it's "quoted"`)).toBe(DomainState.SHUTOFF);
    expect(await state(b, 'alpha')).toBe(DomainState.RUNNING);
    expect(await state(b, 'web server')).toBe(DomainState.RUNNING);
  });

  it('a numeric name means that name, never the domain with that ID', async () => {
    const s = session(uri);
    const b = new LibvirtBackend([new Virsh(s)], { log });
    // virsh itself resolves "1" as ID 1 first, which is alpha:
    const [naive] = await s.run([{ verb: 'domstate', options: [['--domain', '1']] }]);
    expect(naive!.stdout.trim()).toBe('running');
    expect(await b.lookup('1', sig())).toEqual({ name: '1', uuid: 'b0000000-0000-4000-8000-000000000007', state: DomainState.SHUTOFF });
    expect(await b.reboot('1', sig())).toBe('was-off');
    await b.off('1', sig());
    expect(await state(b, 'alpha')).toBe(DomainState.RUNNING);
  });

  it('reboots a transient domain by re-creating it from its XML', async () => {
    const b = backend([uri]);
    const before = await b.lookup('ephemeral', sig());
    expect(before?.state).toBe(DomainState.RUNNING);
    expect(await b.reboot('ephemeral', sig())).toBe('rebooted');
    expect(await b.lookup('ephemeral', sig())).toEqual(before);
    // off: a transient domain disappears when destroyed.
    await b.off('ephemeral', sig());
    expect(await b.lookup('ephemeral', sig())).toBeUndefined();
    await expect(b.on('ephemeral', sig())).rejects.toBeInstanceOf(DomainNotFoundError);
  });

  it('on leaves a paused domain alone (fence_virtd starts only SHUTOFF); off destroys it', async () => {
    const b = backend([uri]);
    await b.on('frozen', sig());
    expect(await state(b, 'frozen')).toBe(DomainState.PAUSED);
    await b.off('frozen', sig());
    expect(await state(b, 'frozen')).toBe(DomainState.SHUTOFF);
  });

  it('names with newlines or control characters are simply not found, and nothing reaches virsh', async () => {
    const b = backend([uri]);
    expect(await b.lookup('alpha\n', sig())).toBeUndefined();
    await expect(b.off('alpha\ndestroy alpha', sig())).rejects.toBeInstanceOf(DomainNotFoundError);
    await expect(b.reboot('alpha\t', sig())).rejects.toBeInstanceOf(DomainNotFoundError);
    expect(await state(b, 'alpha')).toBe(DomainState.RUNNING);
  });
});

describe('state mapping (states.xml: one domain per virDomainState)', () => {
  it('reports the raw virDomainState number for every state virsh prints', async () => {
    const b = backend([xmlUri('states.xml')]);
    for (let n = 0; n <= 7; n++) expect(await state(b, `s${n}`)).toBe(n);
    expect((await b.list(sig())).map((d) => [d.name, d.state])).toEqual(
      Array.from({ length: 8 }, (_, n) => [`s${n}`, n]),
    );
  });

  it('rejects words it does not know rather than guessing', () => {
    expect(parseState('running\n\n', 'x')).toBe(DomainState.RUNNING);
    expect(parseState('in shutdown\n', 'x')).toBe(DomainState.SHUTDOWN);
    for (const junk of ['', 'off', 'Running', 'shut  off', 'running\nshut off', 'sprinting']) {
      expect(() => parseState(junk, 'virsh domstate')).toThrow(BackendError);
    }
  });

  it('rejects list lines that are not UUID NAME', () => {
    expect(parseList(`${DEFAULT_UUID} test\n\n`, 'x')).toEqual([{ uuid: DEFAULT_UUID, name: 'test' }]);
    expect(parseList(`${DEFAULT_UUID} two words\n`, 'x')).toEqual([{ uuid: DEFAULT_UUID, name: 'two words' }]);
    for (const junk of ['test\n', ` Id   Name   State\n`, `${DEFAULT_UUID}\n`, `${DEFAULT_UUID.toUpperCase()} test\n`, `${DEFAULT_UUID}\ttest\n`]) {
      expect(() => parseList(junk, 'virsh list')).toThrow(BackendError);
    }
  });

  it('detects UUIDs as fence_virtd does', () => {
    expect(isUuid(DEFAULT_UUID)).toBe(true);
    expect(isUuid(DEFAULT_UUID.toUpperCase())).toBe(true);
    for (const s of ['test', DEFAULT_UUID.replaceAll('-', ''), `${DEFAULT_UUID} `, `{${DEFAULT_UUID}}`, DEFAULT_UUID.slice(1), DEFAULT_UUID.replace('6', 'g')]) {
      expect(isUuid(s)).toBe(false);
    }
  });
});

describe('several hypervisors (uri, uri1, …)', () => {
  it('merges the lists of all URIs, sorted case-insensitively', async () => {
    const b = backend([xmlUri('hv-a.xml'), xmlUri('hv-b.xml')]);
    expect((await b.list(sig())).map((d) => [d.name, d.state])).toEqual([
      ['a-off', DomainState.SHUTOFF],
      ['a-run', DomainState.RUNNING],
      ['b-off', DomainState.SHUTOFF],
      ['B-run', DomainState.RUNNING],
      ['Dup', DomainState.RUNNING],
    ]);
  });

  it('acts on the hypervisor that has the domain', async () => {
    const b = backend([xmlUri('hv-a.xml'), xmlUri('hv-b.xml')]);
    await b.off('B-run', sig());
    await b.on('b-off', sig());
    expect(await b.reboot('a-run', sig())).toBe('rebooted');
    const all = Object.fromEntries((await b.list(sig())).map((d) => [d.name, d.state]));
    expect(all).toEqual({ 'a-off': 5, 'a-run': 1, 'b-off': 1, 'B-run': 5, Dup: 1 });
  });

  it('the first URI that has a name wins; the list shows both', async () => {
    const ac = backend([xmlUri('hv-a.xml'), xmlUri('hv-c.xml')]);
    expect((await ac.lookup('Dup', sig()))?.uuid).toBe('d0000000-000a-4000-8000-000000000003');
    const ca = backend([xmlUri('hv-c.xml'), xmlUri('hv-a.xml')]);
    expect((await ca.lookup('Dup', sig()))?.uuid).toBe('d0000000-000c-4000-8000-000000000003');
    expect((await ca.list(sig())).filter((d) => d.name === 'Dup').map((d) => d.uuid)).toEqual([
      'd0000000-000a-4000-8000-000000000003',
      'd0000000-000c-4000-8000-000000000003',
    ]);
    // Each one by UUID, on whichever hypervisor holds it.
    await ca.off('d0000000-000a-4000-8000-000000000003', sig());
    expect(await state(ca, 'd0000000-000a-4000-8000-000000000003')).toBe(DomainState.SHUTOFF);
  });

  it('fails rather than fall through when an earlier URI cannot answer', async () => {
    const b = backend([xmlUri('missing.xml'), xmlUri('hv-b.xml')]);
    const err = await b.lookup('B-run', sig()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/missing\.xml exited with code 1: .*error: failed to connect to the hypervisor/);
    await expect(b.list(sig())).rejects.toBeInstanceOf(BackendError);
  });

  it('serves concurrent operations on different domains correctly', async () => {
    const b = backend([xmlUri('hv-a.xml'), xmlUri('hv-b.xml')]);
    const results = await Promise.all([
      b.off('a-run', sig()),
      b.on('a-off', sig()),
      b.reboot('B-run', sig()),
      b.reboot('b-off', sig()),
      ...Array.from({ length: 20 }, (_, i) => b.lookup(['a-run', 'B-run', 'Dup', 'nope'][i % 4]!, sig())),
      b.list(sig()),
    ]);
    expect(results[3]).toBe('was-off');
    expect(results[2]).toBe('rebooted');
    const after = Object.fromEntries((await b.list(sig())).map((d) => [d.name, d.state]));
    expect(after).toEqual({ 'a-off': 1, 'a-run': 5, 'b-off': 5, 'B-run': 1, Dup: 1 });
  });
});

describe('faults', () => {
  it('virsh missing from PATH', async () => {
    const empty = await tempDir();
    const s = session('test:///default', { env: { PATH: empty } });
    const err = await s.run([{ verb: 'uri' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toBe('virsh not found in PATH; install libvirt-clients');
  });

  it('a configured virsh path that does not exist, or is not executable', async () => {
    const missing = session('test:///default', { virsh: '/nonexistent/virsh' });
    await expect(missing.run([{ verb: 'uri' }])).rejects.toThrow(/virsh binary \/nonexistent\/virsh not found/);
    const dir = await tempDir();
    const plain = join(dir, 'virsh');
    await writeFile(plain, '#!/bin/sh\nexit 0\n');
    await chmod(plain, 0o644);
    const noexec = session('test:///default', { virsh: plain });
    await expect(noexec.run([{ verb: 'uri' }])).rejects.toThrow(/is not executable/);
  });

  it('a virsh that cannot connect reports libvirt\'s own error', async () => {
    const s = session(xmlUri('missing.xml'));
    const err = (await s.run([{ verb: 'uri' }]).catch((e: unknown) => e)) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.exitCode).toBe(1);
    expect(err.stderr).toMatch(/failed to connect to the hypervisor/);
    expect(err.message).toMatch(/failed to parse xml document/);
  });

  it('a hanging virsh: PeerTimeoutError, its process killed, the next command runs on a new one', async () => {
    const dir = await tempDir();
    const s = session('test:///default', { virsh: join(FAKES, 'hang-once'), env: { PALISADE_FAKE_VIRSH_DIR: dir }, timeoutMs: 400 });
    const pending = s.run([{ verb: 'domstate', options: [['--domain', 'test']] }]);
    await until(() => existsSync(join(dir, 'hung')), 'the fake virsh to hang');
    const hungPid = s.pid!;
    const err = (await pending.catch((e: unknown) => e)) as PeerTimeoutError;
    expect(err).toBeInstanceOf(PeerTimeoutError);
    expect([err.phase, err.ms, err.peer]).toEqual(['backend', 400, 'virsh -c test:///default']);
    await until(() => !alive(hungPid), 'the hung virsh to be killed');
    const [out] = await s.run([{ verb: 'domstate', options: [['--domain', 'test']] }]);
    expect(out!.stdout.trim()).toBe('running');
    expect(s.pid).not.toBe(hungPid);
    expect(logs.some((l) => l.level === 'warn' && l.message.includes(`killing pid ${hungPid}`))).toBe(true);
  });

  it('virsh killed between commands: the next command starts a new one', async () => {
    const s = session('test:///default');
    const b = new LibvirtBackend([new Virsh(s)], { log });
    await b.off('test', sig());
    const pid = s.pid!;
    process.kill(pid, 'SIGKILL');
    await until(() => s.pid === undefined, 'the session to notice');
    expect(logs.some((l) => l.level === 'warn' && /^virsh -c test:\/\/\/default was killed by SIGKILL \(while idle/.test(l.message))).toBe(true);
    // A new connection: the test driver starts from its initial state again.
    expect(await state(b, 'test')).toBe(DomainState.RUNNING);
    expect(s.pid).not.toBe(pid);
  });

  it('virsh killed during a command: that command fails with the death, the next one works', async () => {
    const dir = await tempDir();
    const s = session('test:///default', { virsh: join(FAKES, 'hang-once'), env: { PALISADE_FAKE_VIRSH_DIR: dir } });
    const pending = s.run([{ verb: 'uri' }]);
    await until(() => existsSync(join(dir, 'hung')), 'the fake virsh to hang');
    process.kill(s.pid!, 'SIGKILL');
    const err = (await pending.catch((e: unknown) => e)) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/^virsh -c test:\/\/\/default was killed by SIGKILL/);
    const [out] = await s.run([{ verb: 'uri' }]);
    expect(out!.stdout.trim()).toBe('test:///default');
  });

  it('virsh dying mid-session reports its exit code and stderr', async () => {
    const s = session('test:///default', { virsh: join(FAKES, 'die-on-first-command') });
    const err = (await s.run([{ verb: 'uri' }]).catch((e: unknown) => e)) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toBe('virsh -c test:///default exited with code 3: error: simulated virsh crash');
    expect(err.exitCode).toBe(3);
    expect(err.stderr).toBe('error: simulated virsh crash\n');
    expect(err.command).toMatch(/^virsh -c test:\/\/\/default: uri$/);
  });

  it('output it cannot parse is a BackendError, never a state', async () => {
    const b = backend(['test:///default'], { virsh: join(FAKES, 'garbage-states') });
    await expect(b.lookup('test', sig())).rejects.toThrow(/unknown domain state "sprinting"/);
    await expect(b.off('test', sig())).rejects.toThrow(BackendError);
    await expect(b.list(sig())).rejects.toThrow(/unknown domain state "sprinting"/);
  });

  it('reboot whose restart fails still reports the reset, as fence_virtd does, and logs it', async () => {
    const b = backend([xmlUri('demo.xml')], { virsh: join(FAKES, 'start-fails') });
    expect(await b.reboot('guest1', sig())).toBe('rebooted');
    expect(await state(b, 'guest1')).toBe(DomainState.SHUTOFF);
    const line = logs.find((l) => l.level === 'error')?.message ?? '';
    expect(line).toMatch(/^reboot guest1 \(a1b2c3d4-0001-4000-8000-000000000001\) on test:\/\/\/.*demo\.xml: destroyed, but starting it again failed: /);
    expect(line).toMatch(/failed to get domain 'no-such-domain'/);
    // on, unlike reboot, reports the failure.
    await expect(b.on('guest1', sig())).rejects.toThrow(/start --domain/);
  });

  it('a domain still running after destroy fails off, after the shut-off wait', async () => {
    const s = session(xmlUri('demo.xml'), { virsh: join(FAKES, 'destroy-ignored') });
    const b = new LibvirtBackend([new Virsh(s)], { log, shutoffWaitMs: 300, pollMs: 50 });
    const err = (await b.off('guest2', sig()).catch((e: unknown) => e)) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/guest2 \(a1b2c3d4-0002-4000-8000-000000000002\) is still RUNNING 300 ms after destroy/);
    await expect(b.reboot('guest2', sig())).rejects.toThrow(/still RUNNING/);
  });

  it('an aborted caller leaves the queue; the commands ahead of it are not disturbed', async () => {
    const dir = await tempDir();
    const s = session('test:///default', { virsh: join(FAKES, 'hang-once'), env: { PALISADE_FAKE_VIRSH_DIR: dir }, timeoutMs: 600 });
    const first = s.run([{ verb: 'uri' }]);
    const ac = new AbortController();
    const queued = s.run([{ verb: 'uri' }], ac.signal);
    ac.abort(new Error('caller gave up'));
    await expect(queued).rejects.toThrow('caller gave up');
    await expect(first).rejects.toBeInstanceOf(PeerTimeoutError);
    const [out] = await s.run([{ verb: 'uri' }]);
    expect(out!.stdout.trim()).toBe('test:///default');
  });

  it('an aborted running command answers its caller at once; the session recovers', async () => {
    const dir = await tempDir();
    const s = session('test:///default', { virsh: join(FAKES, 'hang-once'), env: { PALISADE_FAKE_VIRSH_DIR: dir }, timeoutMs: 600 });
    const ac = new AbortController();
    const running = s.run([{ verb: 'uri' }], ac.signal);
    await until(() => existsSync(join(dir, 'hung')), 'the fake virsh to hang');
    ac.abort(new Error('request deadline'));
    await expect(running).rejects.toThrow('request deadline');
    const [out] = await s.run([{ verb: 'uri' }]);
    expect(out!.stdout.trim()).toBe('test:///default');
  });

  it('an already-aborted signal starts nothing', async () => {
    const s = session('test:///default');
    await expect(s.run([{ verb: 'uri' }], AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    expect(s.pid).toBeUndefined();
  });

  it('backend calls honour the caller\'s signal', async () => {
    const b = backend(['test:///default']);
    await expect(b.lookup('test', AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    await expect(b.reboot('test', AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(await state(b, 'test')).toBe(DomainState.RUNNING);
  });

  it('close quits virsh and removes its scratch directory', async () => {
    const s = session('test:///default');
    await s.run([{ verb: 'uri' }]);
    const pid = s.pid!;
    const cacheDir = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').find((e) => e.startsWith('XDG_CACHE_HOME='))!.slice(15);
    expect(existsSync(cacheDir)).toBe(true);
    await s.close();
    expect(alive(pid)).toBe(false);
    expect(existsSync(cacheDir)).toBe(false);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
    await expect(s.run([{ verb: 'uri' }])).rejects.toThrow(/session is closed/);
  });

  it('close kills a virsh that ignores quit, and what it started goes too', async () => {
    const s = session('test:///default', { virsh: join(FAKES, 'ignore-quit'), closeGraceMs: 200 });
    const [out] = await s.run([{ verb: 'uri' }]);
    expect(out!.stdout.trim()).toBe('test:///default');
    const relay = s.pid!;
    const { stdout } = await execa('pgrep', ['-P', String(relay)]);
    const realVirsh = Number(stdout.trim());
    expect(alive(realVirsh)).toBe(true);
    await s.close();
    expect(logs.some((l) => l.level === 'warn' && l.message.includes(`did not quit within 200 ms; killing pid ${relay}`))).toBe(true);
    expect(alive(relay)).toBe(false);
    await until(() => !alive(realVirsh), 'the real virsh behind the relay to exit');
  });

  it('close rejects queued commands and waits for the running one', async () => {
    const dir = await tempDir();
    const s = session('test:///default', { virsh: join(FAKES, 'hang-once'), env: { PALISADE_FAKE_VIRSH_DIR: dir }, timeoutMs: 300 });
    const running = s.run([{ verb: 'uri' }]).catch((e: unknown) => e);
    const queued = s.run([{ verb: 'uri' }]).catch((e: unknown) => e);
    await until(() => existsSync(join(dir, 'hung')), 'the fake virsh to hang');
    await s.close();
    expect(await running).toBeInstanceOf(PeerTimeoutError);
    expect(String(await queued)).toMatch(/session closed before the command ran/);
    expect(s.pid).toBeUndefined();
  });
});

describe('configuration (backends { libvirt { … } })', () => {
  const conf = (body: string) => {
    const root = parseConfig(`fence_virtd {\n  backend = "libvirt";\n}\nbackends {\n  libvirt {\n${body}\n  }\n}\n`, '/etc/fence_virt.conf');
    return section(section(root, 'backends')!, 'libvirt')!;
  };
  const create = async (body: string) => {
    const b = await libvirtBackend.create(conf(body), { log });
    open.push(b);
    return b;
  };

  it('is registered as "libvirt"', () => {
    expect(backends).toContain(libvirtBackend);
    expect(findBackend('libvirt')).toBe(libvirtBackend);
    expect(findBackend('LibVirt')).toBe(libvirtBackend);
    expect(findBackend('cpg')).toBeUndefined();
  });

  it('requires uri, naming the file and line', async () => {
    const err = (await libvirtBackend.create(conf('    uri1 = "test:///default";'), { log }).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect([err.file, err.line, err.field]).toEqual(['/etc/fence_virt.conf', 5, 'backends/libvirt/uri']);
    expect(err.message).toMatch(/^\/etc\/fence_virt\.conf:5: backends\/libvirt\/uri: required/);
  });

  it.each([
    ['command_timeout = "soon";', 'backends/libvirt/command_timeout', /not an integer/],
    ['command_timeout = "0";', 'backends/libvirt/command_timeout', /out of range/],
    ['virsh = "bin/virsh";', 'backends/libvirt/virsh', /absolute path/],
    ['virsh = "vir sh";', 'backends/libvirt/virsh', /absolute path/],
    ['uri1 = " test:///default";', 'backends/libvirt/uri1', /not a libvirt URI/],
  ])('rejects %s', async (line, field, problem) => {
    const err = (await libvirtBackend.create(conf(`    uri = "test:///default";\n    ${line}`), { log }).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.field).toBe(field);
    expect(err.line).toBe(7);
    expect(err.message).toMatch(problem);
  });

  it('reads uri, uri1, … up to the first gap, warning about the rest', async () => {
    const b = await create(`    uri = "${xmlUri('hv-a.xml')}";\n    uri1 = "${xmlUri('hv-b.xml')}";\n    uri3 = "${xmlUri('hv-c.xml')}";\n    colour = "blue";`);
    expect((await b.list(sig())).map((d) => d.name)).toEqual(['a-off', 'a-run', 'b-off', 'B-run', 'Dup']);
    const warnings = logs.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toContainEqual(expect.stringMatching(/:8: backends\/libvirt\/uri3: ignored: uri2 is not set/));
    expect(warnings).toContainEqual(expect.stringMatching(/:9: backends\/libvirt\/colour: unknown key/));
  });

  it('uses the configured virsh and command_timeout', async () => {
    const dir = await tempDir();
    // The fake hangs on its first start only: the start-up probe times out after 1 s...
    process.env.PALISADE_FAKE_VIRSH_DIR = dir;
    try {
      const err = await libvirtBackend
        .create(conf(`    uri = "test:///default";\n    virsh = "${join(FAKES, 'hang-once')}";\n    command_timeout = "1";`), { log })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PeerTimeoutError);
      expect((err as PeerTimeoutError).ms).toBe(1000);
      // ...and the next start is the real virsh.
      const b = await create(`    uri = "test:///default";\n    virsh = "${join(FAKES, 'hang-once')}";\n    command_timeout = "1";`);
      expect(await state(b, 'test')).toBe(DomainState.RUNNING);
    } finally {
      delete process.env.PALISADE_FAKE_VIRSH_DIR;
    }
  });

  it('fails to start when no hypervisor answers, and starts when one does', async () => {
    const err = await libvirtBackend.create(conf(`    uri = "${xmlUri('missing.xml')}";`), { log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/failed to connect to the hypervisor/);
    const empty = await tempDir();
    const savedPath = process.env.PATH;
    process.env.PATH = empty;
    try {
      const noVirsh = await libvirtBackend.create(conf('    uri = "test:///default";'), { log }).catch((e: unknown) => e);
      expect((noVirsh as Error).message).toBe('virsh not found in PATH; install libvirt-clients');
    } finally {
      process.env.PATH = savedPath;
    }
    const b = await create(`    uri = "${xmlUri('missing.xml')}";\n    uri1 = "${xmlUri('demo.xml')}";`);
    expect(logs.some((l) => l.level === 'warn' && l.message.includes('missing.xml is not answering yet'))).toBe(true);
    // The first URI is down, so lookups fail instead of guessing (see backend.ts).
    await expect(b.lookup('guest1', sig())).rejects.toBeInstanceOf(BackendError);
  });
});

