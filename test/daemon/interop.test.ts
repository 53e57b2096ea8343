// The real fence_virt (C client) against palisaded, and the same sequence
// against the real fence_virtd with the very same fence_virt.conf: exit
// codes and output must match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Workspace, daemonFixture, fenceVirt, fenceVirtConf, freePort, startFenceVirtd, startPalisaded, type DaemonFixture, type RunningDaemon,
} from '../helpers/fence-daemons.js';

const SEQUENCE: Array<[string, string | undefined]> = [
  ['list', undefined], ['status', 'web1'], ['off', 'web1'], ['status', 'web1'], ['off', 'web1'], ['on', 'web1'],
  ['on', 'web1'], ['status', 'web1'], ['reboot', 'web2'], ['status', 'web2'], ['monitor', undefined], ['null', 'web1'],
  ['status', 'nosuchvm'], ['off', 'nosuchvm'], ['on', 'nosuchvm'], ['reboot', 'nosuchvm'],
  ['status', '6695eb01-f6a4-8304-79aa-97f2502e1003'], ['off', '6695eb01-f6a4-8304-79aa-97f2502e1003'], ['status', 'db1'], ['on', 'DB1'],
];

describe('fence_virt (C) <-> palisaded and fence_virtd with one fence_virt.conf', () => {
  let ws: Workspace;
  let key: string;
  const ports = { palisaded: 0, fenceVirtd: 0 };
  let palisaded: RunningDaemon;

  beforeAll(async () => {
    ws = await Workspace.create();
    key = await ws.key();
    ports.palisaded = await freePort();
    ports.fenceVirtd = await freePort();
    // Identical text but the port: the same file works for both daemons.
    palisaded = await startPalisaded(ws, fenceVirtConf({ port: ports.palisaded, keyFile: key }));
    await startFenceVirtd(ws, fenceVirtConf({ port: ports.fenceVirtd, keyFile: key }), ports.fenceVirtd);
  });
  afterAll(async () => { await ws?.stop(); });

  const run = (port: number, op: string, dom?: string) =>
    fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', key, '-o', op, ...(dom ? ['-n', dom] : [])]);

  it('gives the same exit code and output for every operation', async () => {
    for (const [op, dom] of SEQUENCE) {
      const ours = await run(ports.palisaded, op, dom);
      const theirs = await run(ports.fenceVirtd, op, dom);
      expect({ op, dom, code: ours.exitCode }).toEqual({ op, dom, code: theirs.exitCode });
      expect(ours.stdout, `${op} ${dom}`).toBe(theirs.stdout);
    }
  });

  it('lists the three guests in fence_virt format', async () => {
    const r = await run(ports.palisaded, 'list');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^db1 {29} 6695eb01-f6a4-8304-79aa-97f2502e1003 (on|off)$/m);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('reads fence_virt arguments from stdin as Pacemaker sends them', async () => {
    const r = await fenceVirt([], `action=status\nipaddr=127.0.0.1\nipport=${ports.palisaded}\nkey_file=${key}\nport=web2\nnodename=node2\n`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Status: ON');
  });

  it.each(['sha1', 'sha512'])('accepts packet hash %s above the sha256 minimum only when strong enough', async (hash) => {
    const r = await fenceVirt(['-T', '127.0.0.1', '-p', String(ports.palisaded), '-k', key, '-c', hash, '-o', 'status', '-n', 'web1']);
    expect(r.exitCode).toBe(hash === 'sha512' ? 0 : 1);
    if (hash === 'sha512') expect(r.stdout).toContain('Status: ON');
    else await palisaded.waitFor(/request hash type 1 is weaker than the configured minimum 2; dropping client/);
  });
});

describe('auth selects the challenge-response hash (fence_virtd 4.12 bug not copied)', () => {
  let f: DaemonFixture;
  beforeAll(async () => { f = await daemonFixture('palisaded', { auth: 'sha1', hash: 'sha1' }); });
  afterAll(async () => { await f?.ws.stop(); });

  it('fence_virt -C sha1 succeeds and -C sha256 fails against auth = "sha1"', async () => {
    const base = ['-T', '127.0.0.1', '-p', String(f.port), '-k', f.key, '-o', 'status', '-n', 'web1'];
    expect((await fenceVirt([...base, '-C', 'sha1'])).exitCode).toBe(0);
    const wrong = await fenceVirt([...base, '-C', 'sha256']);
    expect(wrong.exitCode).toBe(1);
    // fence_virt rejects the daemon's answer: a sha1 response (20 bytes, zero padded), as auth = "sha1" asks.
    expect(wrong.stdout).toContain('Invalid response to challenge');
    expect(wrong.stdout).toMatch(/^R = [0-9a-f]{40}0{88}$/m);
  });
});

describe('IPv6 listener', () => {
  let f: DaemonFixture;
  beforeAll(async () => { f = await daemonFixture('palisaded', { family: 'ipv6', address: '::1' }); });
  afterAll(async () => { await f?.ws.stop(); });

  it('serves fence_virt over ::1', async () => {
    const r = await fenceVirt(['-T', '::1', '-p', String(f.port), '-k', f.key, '-o', 'status', '-n', 'db1']);
    expect(r.exitCode).toBe(0);
  });
});
