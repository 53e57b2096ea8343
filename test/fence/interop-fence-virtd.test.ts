// fence_palisade against the REAL fence_virtd (tcp listener, libvirt
// test:///default), side by side with the real fence_virt client: same
// sequence, same daemon, same output and exit codes. Also the failure
// modes: wrong key, hash/auth mismatches (including the tcp `auth` bug
// of fence-virt server/tcp.c), auth none against an authenticating daemon, IPv6.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FenceCommand, HashType } from '../../protocol/constants.js';
import { fence } from '../../agents/fence/client.js';
import { FenceAuthError } from '../../agents/fence/errors.js';
import {
  Workspace, daemonFixture, fencePalisade, fenceVirt, fenceVirtConf, freePort, startFenceVirtd, type RunResult,
} from '../helpers/fence-daemons.js';
import { readFile } from 'node:fs/promises';

const URI = 'test:///default';
let ws: Workspace;
let key: string;
let port: number;

beforeAll(async () => {
  ({ ws, key, port } = await daemonFixture('fence_virtd', { uri: URI }));
});
afterAll(() => ws?.stop());

type Step = readonly [action: string, domain?: string];
const SEQUENCE: readonly Step[] = [
  ['list'], ['list-status'], ['status', 'test'], ['off', 'test'], ['status', 'test'], ['on', 'test'], ['status', 'test'],
  ['reboot', 'test'], ['status', 'test'], ['monitor'], ['null', 'test'],
  ['off', 'nosuch'], ['on', 'nosuch'], ['reboot', 'nosuch'], ['status', 'nosuch'],
];

const argvFor = (p: number, [action, domain]: Step, extra: string[] = []): string[] =>
  ['-T', '127.0.0.1', '-p', String(p), '-k', key, '-o', action, ...(domain ? ['-n', domain] : []), ...extra];

const stdinFor = (p: number, [action, domain]: Step): string =>
  // Pacemaker's shape: nodename, the host argument as port, plus the device's parameters.
  [`action=${action}`, 'nodename=node1', ...(domain ? [`port=${domain}`] : []), 'ipaddr=127.0.0.1', `ipport=${p}`, `key_file=${key}`, ''].join('\n');

// fence_virt 4.12.1 prints "Operation failed" on stdout; fence-agents HEAD
// and we print messages on stderr. Data (list lines, Status:) is on stdout
// for both, so compare exit code, data, and the combined text.
const shape = (r: RunResult) => ({
  exitCode: r.exitCode,
  data: r.stdout.split('\n').filter((l) => l.startsWith('Status: ') || / (on|off)$/.test(l)).join('\n'),
  text: [r.stdout, r.stderr].map((t) => t.trim()).filter(Boolean).join('\n'),
});

describe('fence_palisade vs fence_virt against fence_virtd (tcp, IPv4)', () => {
  it('gives the same output and exit codes for the whole sequence, via argv and via stdin', async () => {
    const real: ReturnType<typeof shape>[] = [];
    const viaArgv: ReturnType<typeof shape>[] = [];
    const viaStdin: ReturnType<typeof shape>[] = [];
    for (const step of SEQUENCE) real.push(shape(await fenceVirt(argvFor(port, step))));
    for (const step of SEQUENCE) viaArgv.push(shape(await fencePalisade(argvFor(port, step))));
    for (const step of SEQUENCE) {
      const r = await fencePalisade([], stdinFor(port, step));
      expect(r.stdout.trim(), 'stdout holds data only').toBe(shape(r).data);
      viaStdin.push(shape(r));
    }
    // The daemon's answers (fence-virt server/libvirt.c): list, status on, off, status off, on, ...
    expect(real.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2]);
    expect(real[0]!.data).toMatch(/^test {29}[0-9a-f-]{36} on$/);
    expect(viaArgv).toEqual(real);
    expect(viaStdin).toEqual(real);
  }, 60_000);

  it('fails with the auth message when the key differs', async () => {
    const wrong = await ws.key('wrong.key');
    const ours = await fencePalisade(argvFor(port, ['status', 'test']).map((a) => (a === key ? wrong : a)));
    const theirs = await fenceVirt(argvFor(port, ['status', 'test']).map((a) => (a === key ? wrong : a)));
    expect(theirs.exitCode).toBe(1);
    expect(ours.exitCode).toBe(1);
    expect(ours.stdout).toBe('');
    expect(ours.stderr).toContain(`authentication with 127.0.0.1:${port} failed`);
    expect(ours.stderr).toContain(`the daemon's key differs from ${wrong} or its auth/hash setting differs`);
  });

  it('keeps a trailing newline as part of the key (no trimming)', async () => {
    const bytes = await readFile(key);
    const withNewline = await ws.key('nl.key', Buffer.concat([bytes, Buffer.from('\n')]));
    const r = await fencePalisade(argvFor(port, ['status', 'test']).map((a) => (a === key ? withNewline : a)));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('authentication with');
  });

  it('matches fence_virt for packet hash sha1 (below the daemon minimum) and sha512, and auth sha1/sha512 (tcp auth is always sha256)', async () => {
    for (const [flag, value, expected] of [['-c', 'sha1', 1], ['-c', 'sha512', 0], ['-c', 'SHA256', 0], ['-C', 'sha1', 1], ['-C', 'sha512', 1]] as const) {
      const args = argvFor(port, ['status', 'test'], [flag, value]);
      const theirs = await fenceVirt(args);
      const ours = await fencePalisade(args);
      expect(theirs.exitCode, `fence_virt ${flag} ${value}`).toBe(expected);
      expect(ours.exitCode, `fence_palisade ${flag} ${value}: ${ours.stderr}`).toBe(expected);
      if (expected === 0) expect(ours.stdout).toBe(theirs.stdout);
      else expect(ours.stderr).toMatch(/authentication with .* failed/);
    }
  }, 30_000);

  it('avoids the 10 s replay history with random seqnos; a reused seqno is dropped and explained', async () => {
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port };
    const keyBytes = new Uint8Array(await readFile(key));
    const auth = { key: keyBytes, hash: HashType.SHA256, auth: HashType.SHA256 };
    for (let i = 0; i < 20; i++) expect((await fence(target, auth, FenceCommand.STATUS, 'test')).result).toBe(0);
    const seqno = 0x5eed;
    expect((await fence(target, auth, FenceCommand.STATUS, 'test', { seqno })).result).toBe(0);
    const again = await fence(target, auth, FenceCommand.STATUS, 'test', { seqno }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(FenceAuthError);
    expect((again as Error).message).toContain('replay of a request seen in the last 10 s');
  });

  it('returns host records and the trailing byte to programmatic callers', async () => {
    const r = await fence({ transport: 'tcp', host: '127.0.0.1', port }, { key: new Uint8Array(await readFile(key)), hash: 'sha256', auth: 'sha256' },
      FenceCommand.HOSTLIST, '');
    expect(r).toEqual({ result: 0, trailer: 0, hosts: [{ domain: 'test', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', state: 1 }] });
  });
});

describe('against a fence_virtd whose tcp block says auth = "sha1"', () => {
  let p: number;
  beforeAll(async () => {
    p = await freePort();
    await startFenceVirtd(ws, fenceVirtConf({ port: p, keyFile: key, uri: URI, auth: 'sha1' }), p);
  });

  it('behaves like fence_virt: defaults work, -c sha1 is accepted, -C sha1 fails (the setting lands in the minimum hash)', async () => {
    for (const [extra, expected] of [[[], 0], [['-c', 'sha1'], 0], [['-C', 'sha1'], 1]] as const) {
      const args = argvFor(p, ['status', 'test'], [...extra]);
      expect((await fenceVirt(args)).exitCode, `fence_virt ${extra.join(' ')}`).toBe(expected);
      expect((await fencePalisade(args)).exitCode, `fence_palisade ${extra.join(' ')}`).toBe(expected);
    }
  }, 30_000);
});

describe('auth none against a sha256 fence_virtd', () => {
  let p: number;
  beforeAll(async () => {
    p = await freePort();
    await startFenceVirtd(ws, fenceVirtConf({ port: p, keyFile: key, uri: URI }), p);
  });

  it('fails like fence_virt when the daemon gives up (10 s), then within our own -t, with a clear message', async () => {
    const args = argvFor(p, ['status', 'test'], ['-C', 'none']);
    const ours = await fencePalisade(args);
    expect(ours.exitCode).toBe(1);
    expect(ours.stderr).toContain(`the daemon at 127.0.0.1:${p} closed the connection waiting for the result byte`);
    expect(ours.stderr).toContain('auth=none here');
    expect((await fenceVirt(args)).exitCode).toBe(1);
    // Our own -t ends it first, and says so (the time it takes is in bench/fence-timing.mjs).
    const quick = await fencePalisade([...args, '-t', '2']);
    expect(quick.exitCode).toBe(1);
    expect(quick.stderr).toContain('timed out after 2 s waiting for the result byte');
    expect(quick.stderr).toContain('set auth to match the daemon');
  }, 60_000);
});

describe('IPv6: fence_virtd on ::1', () => {
  let p: number;
  beforeAll(async () => {
    p = await freePort('::1');
    await startFenceVirtd(ws, fenceVirtConf({ port: p, keyFile: key, uri: URI, address: '::1', family: 'ipv6' }), p, '::1');
  });

  it('gives the same list and status as fence_virt', async () => {
    for (const step of [['list'], ['status', 'test'], ['status', 'nosuch']] as const) {
      const args = argvFor(p, step).map((a) => (a === '127.0.0.1' ? '::1' : a));
      const theirs = shape(await fenceVirt(args));
      expect(shape(await fencePalisade(args))).toEqual(theirs);
    }
  });

  it('names the bracketed peer in errors', async () => {
    const wrong = await ws.key('wrong6.key');
    const r = await fencePalisade(['-T', '::1', '-p', String(p), '-k', wrong, '-o', 'status', '-n', 'test']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`authentication with [::1]:${p} failed`);
  });
});
