// The client side of auth=hmac-sha256 (protocol/hmac-auth.md): round trips
// against a scripted hmac daemon over tcp and the multicast callback, every
// tampered answer refused as an authentication failure (never a power
// state), and a legacy daemon (the real fence_virtd, a legacy palisaded
// listener) recognised at once by its close without a hello.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FenceCommand, HOST_RECORD_SIZE, Result } from '../../protocol/constants.js';
import { fence } from '../../agents/fence/client.js';
import { AuthModeError, FenceAuthError } from '../../agents/fence/errors.js';
import { Workspace, daemonFixture, fencePalisade, fenceVirtConf, freePort, startPalisaded, type DaemonFixture } from '../helpers/fence-daemons.js';
import { startFakeMulticastDaemon, startHmacTcpDaemon, startUdpHub, type FakeMulticastDaemon } from './_fake-daemons.js';
import { startScriptedPeer, type ScriptedPeer } from './_scripted-peer.js';

const key = new Uint8Array(Buffer.from('hmac test key, as raw bytes\n'));
const auth = { key, hash: 'sha256', auth: 'hmac-sha256' } as const;
const HOSTS = [
  { domain: 'vm1', uuid: '11111111-1111-1111-1111-111111111111', state: 1 },
  { domain: 'vm2', uuid: '22222222-2222-2222-2222-222222222222', state: 5 },
];

let ws: Workspace;
let keyFile: string;
beforeAll(async () => {
  ws = await Workspace.create();
  keyFile = await ws.key('hmac.key', key);
});
afterAll(() => ws?.stop());

describe('hmac-sha256 over tcp (scripted daemon)', () => {
  let peer: ScriptedPeer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });
  const target = () => ({ transport: 'tcp' as const, host: '127.0.0.1', port: peer!.port });

  it('round-trips a status and a host list, seeing the sealed request', async () => {
    const seen: { hashType: number; domain: string }[] = [];
    peer = await startHmacTcpDaemon({
      key,
      answer: (req) => {
        seen.push({ hashType: req.hashType, domain: req.domain });
        return req.request === FenceCommand.HOSTLIST ? HOSTS : Result.OFF;
      },
    });
    expect(await fence(target(), auth, FenceCommand.STATUS, 'vm2')).toEqual({ result: Result.OFF });
    expect(await fence(target(), auth, FenceCommand.HOSTLIST, '')).toEqual({ result: 0, hosts: HOSTS, trailer: 0 });
    expect(seen).toEqual([{ hashType: 0x48, domain: 'vm2' }, { hashType: 0x48, domain: '' }]);
  });

  it('refuses a tampered result byte as an authentication failure', async () => {
    peer = await startHmacTcpDaemon({ key, answer: () => Result.OFF, tamper: (b) => Uint8Array.of(b[0]! ^ 2) });
    const e = await fence(target(), auth, FenceCommand.STATUS, 'vm1', { keyFile: '/k' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FenceAuthError);
    expect((e as Error).message).toMatch(/authentication with 127\.0\.0\.1:\d+ failed: the answer's authentication tag does not verify; .*no power state is reported/);
  });

  it('refuses a tampered host list (a state flipped inside a record)', async () => {
    peer = await startHmacTcpDaemon({
      key, answer: () => HOSTS, tamper: (b) => { b[1 + HOST_RECORD_SIZE + 128] = 1; return b; },
    });
    const e = await fence(target(), auth, FenceCommand.HOSTLIST, '').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FenceAuthError);
    expect((e as Error).message).toContain("the answer's authentication tag does not verify");
  });

  it('refuses a hello made with another key', async () => {
    peer = await startHmacTcpDaemon({ key, helloKey: new Uint8Array(Buffer.from('not our key')), answer: () => Result.SUCCESS });
    const e = await fence(target(), auth, FenceCommand.STATUS, 'vm1', { keyFile: '/k' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FenceAuthError);
    expect((e as Error).message).toMatch(/the daemon's hello does not prove our key; the daemon's key differs from \/k/);
  });

  it('says at once that a daemon closing without a hello does not speak hmac-sha256', async () => {
    peer = await startScriptedPeer(async (c) => {
      await c.read(176);
      c.socket.destroy();
    });
    const e = await fence(target(), auth, FenceCommand.STATUS, 'vm1', { timeoutMs: 20_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AuthModeError);
    expect((e as Error).message).toBe(
      `127.0.0.1:${peer.port}: the daemon does not speak hmac-sha256 (fence_virtd, or a palisaded listener without auth = "hmac-sha256"): ` +
      "it closed the connection without a hello; set auth to the daemon's setting",
    );
  });

  it('fence_palisade -C hmac-sha256: exit codes as usual, and a tampered answer is exit 1 with nothing on stdout', async () => {
    peer = await startHmacTcpDaemon({ key, answer: (req) => (req.domain === 'off-vm' ? Result.OFF : Result.SUCCESS) });
    const base = ['-T', '127.0.0.1', '-p', String(peer.port), '-k', keyFile, '-C', 'hmac-sha256', '-o', 'status'];
    expect(await fencePalisade([...base, '-n', 'vm1'])).toMatchObject({ exitCode: 0, stdout: 'Status: ON' });
    expect(await fencePalisade([...base, '-n', 'off-vm'])).toMatchObject({ exitCode: 2, stdout: 'Status: OFF' });
    const viaStdin = await fencePalisade([], `action=status\nplug=off-vm\nipaddr=127.0.0.1\nipport=${peer.port}\nkey_file=${keyFile}\nauth=hmac-sha256\n`);
    expect(viaStdin).toMatchObject({ exitCode: 2, stdout: 'Status: OFF' });
    await peer.close();
    peer = await startHmacTcpDaemon({ key, answer: () => Result.SUCCESS, tamper: () => Uint8Array.of(Result.OFF) });
    const r = await fencePalisade(['-T', '127.0.0.1', '-p', String(peer.port), '-k', keyFile, '-C', 'hmac-sha256', '-o', 'status', '-n', 'vm1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("the answer's authentication tag does not verify");
  });

  it('warns that hash is ignored beside hmac-sha256, and refuses hmac-sha256 on serial', async () => {
    peer = await startHmacTcpDaemon({ key, answer: () => Result.SUCCESS });
    const r = await fencePalisade(['-T', '127.0.0.1', '-p', String(peer.port), '-k', keyFile, '-C', 'hmac-sha256', '-c', 'sha1', '-o', 'status', '-n', 'vm1']);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'Status: ON' });
    expect(r.stderr).toContain('hash is ignored with auth=hmac-sha256');
    const s = await fencePalisade(['-D', '/dev/ttyS1', '-C', 'hmac-sha256', '-o', 'status', '-n', 'vm1']);
    expect(s.exitCode).toBe(1);
    expect(s.stderr).toContain('auth=hmac-sha256 needs the tcp or multicast transport; serial carries no authentication at all');
  });
});

describe('hmac-sha256 over the multicast callback (scripted daemons)', () => {
  let daemons: FakeMulticastDaemon[] = [];
  let hub: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    await hub?.close();
    for (const d of daemons) await d.close();
    daemons = [];
    hub = undefined;
  });
  async function group(...members: Parameters<typeof startFakeMulticastDaemon>[0][]): Promise<number> {
    const port = await freePort('0.0.0.0');
    for (const m of members) daemons.push(await startFakeMulticastDaemon(m));
    hub = await startUdpHub(port, () => daemons.map((d) => d.port));
    return port;
  }

  it('round-trips after several retransmissions (the hello names which request it answers)', async () => {
    const port = await group({ key, mode: 'hmac', answer: () => Result.OFF, delayMs: 700 });
    const r = await fence({ transport: 'multicast', address: '127.0.0.1', port, retransMs: 200 }, auth, FenceCommand.STATUS, 'vm1', { timeoutMs: 5000 });
    expect(r.result).toBe(Result.OFF);
  });

  it('gathers hmac host lists from two daemons', async () => {
    const port = await group({ key, mode: 'hmac', answer: () => [HOSTS[0]!] }, { key, mode: 'hmac', answer: () => [HOSTS[1]!], delayMs: 50 });
    const r = await fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', keyFile, '-C', 'hmac-sha256', '-o', 'list', '-r', '5']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'vm1                              11111111-1111-1111-1111-111111111111 on',
      'vm2                              22222222-2222-2222-2222-222222222222 off',
    ]);
  });

  it('a tampered answer from the daemon that authenticated is an authentication failure, exit 1', async () => {
    const port = await group({ key, mode: 'hmac', answer: () => Result.SUCCESS, tamper: () => Uint8Array.of(Result.OFF) });
    const r = await fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', keyFile, '-C', 'hmac-sha256', '-o', 'status', '-n', 'vm1', '-r', '5']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("the answer's authentication tag does not verify");
  });
});

describe('hmac-sha256 against legacy daemons', () => {
  let fv: DaemonFixture;
  beforeAll(async () => { fv = await daemonFixture('fence_virtd', { uri: 'test:///default' }); });
  afterAll(() => fv?.ws.stop());

  it('the real fence_virtd (tcp listener): a clean failure naming the cause, not a timeout', async () => {
    const r = await fencePalisade(['-T', '127.0.0.1', '-p', String(fv.port), '-k', fv.key, '-C', 'hmac-sha256', '-o', 'status', '-n', 'test', '-t', '20']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`127.0.0.1:${fv.port}: the daemon does not speak hmac-sha256 (fence_virtd, or a palisaded listener ` +
      'without auth = "hmac-sha256"): it closed the connection without a hello; set auth to the daemon\'s setting');
  });

  it('a palisaded tcp listener in the legacy mode: the same message', async () => {
    const port = await freePort();
    await startPalisaded(ws, fenceVirtConf({ port, keyFile, uri: 'test:///default' }));
    const r = await fencePalisade(['-T', '127.0.0.1', '-p', String(port), '-k', keyFile, '-C', 'hmac-sha256', '-o', 'status', '-n', 'test', '-t', '20']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('the daemon does not speak hmac-sha256');
  });
});
