// fence_palisade's multicast transport (fence_xvm's): against the REAL
// fence_virtd multicast listener reached by unicast on loopback (it binds
// INADDR_ANY for UDP and connects back to the request's address over TCP),
// and against scripted daemons for what fence_virtd will not do on demand:
// several hosts answering a list, a late host, a callback with the wrong key.
import { readFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { fence } from '../../agents/fence/client.js';
import { CallbackListenError, CallbackTimeoutError } from '../../agents/fence/errors.js';
import { FENCE_PALISADE, FENCE_VIRT_MODULES, Workspace, fencePalisade, freePort } from '../helpers/fence-daemons.js';
import { startFakeMulticastDaemon, startUdpHub, type FakeMulticastDaemon } from './_fake-daemons.js';

const UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

function multicastConf(key: string, port: number): string {
  return `fence_virtd { listener = "multicast"; backend = "libvirt"; module_path = "${FENCE_VIRT_MODULES}"; }
listeners { multicast { key_file = "${key}"; address = "225.0.0.12"; port = "${port}"; family = "ipv4"; interface = "lo"; } }
backends { libvirt { uri = "test:///default"; } }
`;
}

/** True once something holds UDP `port` on the wildcard address (fence_virtd's multicast socket). */
function udpTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind({ address: '0.0.0.0', port, exclusive: true }, () => s.close(() => resolve(false)));
  });
}

/** A port free for TCP on the wildcard address and UDP on loopback (the callback listener and the daemon share the number). */
async function freeDualPort(): Promise<number> {
  for (;;) {
    const p = await freePort('0.0.0.0');
    if (!(await udpTaken(p))) return p;
  }
}

describe('multicast against the real fence_virtd (unicast to 127.0.0.1)', () => {
  let ws: Workspace;
  let key: string;
  let port: number;
  beforeAll(async () => {
    ws = await Workspace.create();
    key = await ws.key();
    port = await freeDualPort();
    const conf = await ws.file('fence_virtd-mcast.conf', multicastConf(key, port));
    const child = ws.spawn('/usr/sbin/fence_virtd', ['-F', '-f', conf, '-p', ws.path('fence_virtd.pid')]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const deadline = Date.now() + 15_000;
    while (!(await udpTaken(port))) {
      if (child.exitCode !== null) throw new Error(`fence_virtd exited ${child.exitCode}: ${out}`);
      if (Date.now() > deadline) throw new Error(`fence_virtd did not bind UDP ${port}: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(() => ws?.stop());

  const run = (action: string, extra: string[] = []) =>
    fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', key, '-o', action, '-r', '5', ...extra]);

  it('runs status, off, on, reboot, list and monitor with fence_xvm output and exit codes', async () => {
    const steps: [string, string[], number, string][] = [
      ['status', ['-n', 'test'], 0, 'Status: ON'],
      ['off', ['-n', 'test'], 0, ''],
      ['status', ['-n', 'test'], 2, 'Status: OFF'],
      ['on', ['-n', 'test'], 0, ''],
      ['reboot', ['-n', 'test'], 0, ''],
      ['status', ['-n', 'test'], 0, 'Status: ON'],
      ['list', [], 0, `test                             ${UUID} on`],
      ['monitor', [], 0, ''],
      ['off', ['-n', 'nosuch'], 1, ''],
    ];
    for (const [action, extra, code, out] of steps) {
      const r = await run(action, extra);
      expect([r.exitCode, r.stdout], `${action} ${extra.join(' ')}: ${r.stderr}`).toEqual([code, out]);
    }
  }, 60_000);

  it('answers a programmatic call with the host records and who answered', async () => {
    const r = await fence({ transport: 'multicast', address: '127.0.0.1', port, retransMs: 500 },
      { key: new Uint8Array(await readFile(key)), hash: 'sha256', auth: 'sha256' }, FenceCommand.HOSTLIST, '');
    expect(r.hosts).toEqual([{ domain: 'test', uuid: UUID, state: 1 }]);
    expect(r.answeredBy).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
  });

  it('times out like fence_xvm with a wrong key (the daemon drops the request silently), saying what to check', async () => {
    const wrong = await ws.key('wrong.key');
    const r = await fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', wrong, '-o', 'status', '-n', 'test', '-t', '2', '-r', '5']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Timed out waiting for response: no fence daemon called back within 2 s');
    expect(r.stderr).toContain(`accepts UDP port ${port} from this machine`);
    expect(r.stderr).toContain(`this machine accepts TCP port ${port} from it`);
    expect(r.stderr).toContain('same key file');
  });

  it('ends within the timeout when retrans > 10 x timeout (fence_xvm retransmits forever there)', async () => {
    const wrong = await ws.key('wrong2.key');
    const r = await execa(process.execPath, [FENCE_PALISADE, '-a', '127.0.0.1', '-p', String(port), '-k', wrong, '-o', 'status', '-n', 'test',
      '-t', '1', '-r', '20'], { reject: false, timeout: 20_000, stdin: 'ignore' });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('no fence daemon called back within 1 s');
  });

  it('with auth=hmac-sha256 fails at the timeout and says fence_virtd does not speak it', async () => {
    const r = await run('status', ['-n', 'test', '-C', 'hmac-sha256', '-t', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('with auth=hmac-sha256: fence_virtd, and palisaded listeners without auth = "hmac-sha256", drop the request');
  });
});

describe('multicast client errors', () => {
  let ws: Workspace;
  let key: string;
  let holder: Server | undefined;
  beforeAll(async () => {
    ws = await Workspace.create();
    key = await ws.key();
  });
  afterAll(() => ws?.stop());
  afterEach(async () => {
    await new Promise((r) => (holder ? holder.close(r) : r(undefined)));
    holder = undefined;
  });

  it('fails with a clear message when the callback port stays in use', async () => {
    const port = await freeDualPort();
    holder = createServer();
    await new Promise<void>((r) => holder!.listen(port, '127.0.0.1', r));
    const r = await fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', key, '-o', 'status', '-n', 'vm', '-t', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^cannot listen on TCP port ${port} for the fence daemon's callback: the port stayed in use`));
    expect(r.stderr).toContain('use another ipport (-p)');
    const e = await fence({ transport: 'multicast', address: '127.0.0.1', port }, { key: new Uint8Array(64), hash: 'sha256', auth: 'sha256' },
      FenceCommand.STATUS, 'vm', { timeoutMs: 300 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CallbackListenError);
  });

  it('says so at once when nothing listens on the unicast UDP port', async () => {
    const port = await freeDualPort();
    const r = await fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', key, '-o', 'status', '-n', 'vm', '-t', '20', '-r', '2']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toBe(`cannot connect to the fence daemon at 127.0.0.1:${port} (UDP): nothing listens on that UDP port ` +
      '(the host answered ICMP port unreachable); check that palisaded or fence_virtd runs there with the multicast listener on that port');
  });
});

describe('multicast list from several hosts (scripted daemons behind a UDP hub standing in for the group)', () => {
  const keyBytes = new Uint8Array(Buffer.from('shared multicast test key\n'));
  let ws: Workspace;
  let keyFile: string;
  let daemons: FakeMulticastDaemon[] = [];
  let hub: { close(): Promise<void> } | undefined;
  let port: number;
  beforeAll(async () => {
    ws = await Workspace.create();
    keyFile = await ws.key('k', keyBytes);
  });
  afterAll(() => ws?.stop());
  afterEach(async () => {
    await hub?.close();
    for (const d of daemons) await d.close();
    daemons = [];
    hub = undefined;
  });

  async function group(...members: Parameters<typeof startFakeMulticastDaemon>[0][]): Promise<void> {
    port = await freeDualPort();
    for (const m of members) daemons.push(await startFakeMulticastDaemon(m));
    hub = await startUdpHub(port, () => daemons.map((d) => d.port));
  }

  const hostA = [
    { domain: 'web1', uuid: '00000000-0000-0000-0000-0000000000a1', state: 1 },
    { domain: 'db1', uuid: '00000000-0000-0000-0000-0000000000a2', state: 5 },
    // Migrated: off here, running on host B.
    { domain: 'mover', uuid: '00000000-0000-0000-0000-0000000000cc', state: 5 },
  ];
  const hostB = [
    { domain: 'web2', uuid: '00000000-0000-0000-0000-0000000000b1', state: 1 },
    { domain: 'mover', uuid: '00000000-0000-0000-0000-0000000000cc', state: 1 },
    { domain: 'app', uuid: '00000000-0000-0000-0000-0000000000b2', state: 3 },
  ];

  it('prints the union of both host lists, sorted by name, one line per UUID (a running report wins)', async () => {
    await group({ key: keyBytes, answer: () => hostA }, { key: keyBytes, answer: () => hostB, delayMs: 50 });
    const r = await fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', keyFile, '-o', 'list', '-r', '10', '-t', '10']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'app                              00000000-0000-0000-0000-0000000000b2 off',
      'db1                              00000000-0000-0000-0000-0000000000a2 off',
      'mover                            00000000-0000-0000-0000-0000000000cc on',
      'web1                             00000000-0000-0000-0000-0000000000a1 on',
      'web2                             00000000-0000-0000-0000-0000000000b1 on',
    ]);
    expect(daemons.map((d) => d.served)).toEqual([1, 1]);
  });

  it('closes the list at the end of the retransmit window of the first answer: a later host is left out', async () => {
    await group({ key: keyBytes, answer: () => hostA }, { key: keyBytes, answer: () => hostB, delayMs: 3000 });
    const r = await fence({ transport: 'multicast', address: '127.0.0.1', port, retransMs: 300 }, { key: keyBytes, hash: 'sha256', auth: 'sha256' },
      FenceCommand.HOSTLIST, '', { timeoutMs: 10_000 });
    expect(r.hosts!.map((h) => h.domain)).toEqual(['db1', 'mover', 'web1']);
    expect(r.answeredBy).toHaveLength(1);
  });

  it('for other operations takes the first daemon that authenticates and ignores one with another key', async () => {
    const otherKey = new Uint8Array(Buffer.from('a different key'));
    // The impostor calls back first but cannot answer our challenge; the real daemon answers after it.
    await group({ key: otherKey, acceptAny: true, answer: () => Result.SUCCESS }, { key: keyBytes, answer: () => Result.OFF, delayMs: 300 });
    const r = await fencePalisade(['-a', '127.0.0.1', '-p', String(port), '-k', keyFile, '-o', 'status', '-n', 'vm1', '-r', '10', '-t', '10', '-d']);
    expect([r.exitCode, r.stdout]).toEqual([2, 'Status: OFF']);
    expect(daemons.map((d) => d.requests.length)).toEqual([1, 1]);
    expect(daemons[0]!.served).toBe(0);
  });

  it('sends one seqno for all retransmissions, a fresh signature each, and the callback address and port', async () => {
    await group({ key: keyBytes, answer: () => Result.SUCCESS, delayMs: 1000 });
    const seen: Buffer[] = [];
    const tap = createSocket('udp4');
    await new Promise<void>((r) => tap.bind({ address: '127.0.0.1', port: 0 }, r));
    tap.on('message', (m) => seen.push(m));
    const tapPort = tap.address().port;
    await hub!.close();
    hub = await startUdpHub(port, () => [...daemons.map((d) => d.port), tapPort]);
    try {
      const r = await fence({ transport: 'multicast', address: '127.0.0.1', port, retransMs: 200 }, { key: keyBytes, hash: 'sha256', auth: 'sha256' },
        FenceCommand.ON, 'vm1', { timeoutMs: 5000 });
      expect(r.result).toBe(0);
    } finally {
      await new Promise<void>((r) => tap.close(() => r()));
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    const seqnos = new Set(seen.map((b) => b.readUInt32LE(104)));
    const hashes = new Set(seen.map((b) => b.subarray(112).toString('hex')));
    expect(seqnos.size).toBe(1);
    expect(hashes.size).toBe(seen.length);
    for (const b of seen) {
      expect([b[2], b.readUInt32LE(108), b.readUInt16LE(96), [...b.subarray(68, 72)]]).toEqual([4, 2, port, [127, 0, 0, 1]]);
    }
    // The daemon's history keeps it to one answer.
    expect(daemons[0]!.served).toBe(1);
  });

  it('times out naming callbacks that failed authentication', async () => {
    // A daemon that verifies our request (same key) but answers the challenges with garbage.
    await group({ key: keyBytes, answer: () => Result.SUCCESS });
    const e = await fence({ transport: 'multicast', address: '127.0.0.1', port, retransMs: 300 }, { key: keyBytes, hash: 'sha256', auth: 'sha512' },
      FenceCommand.STATUS, 'vm1', { timeoutMs: 1000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CallbackTimeoutError);
    expect((e as Error).message).toMatch(/callbacks that failed: authentication with 127\.0\.0\.1:\d+ failed: the daemon's answer to our challenge is wrong/);
  });
});
