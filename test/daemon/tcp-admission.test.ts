// Stalled peers against the real daemon: hundreds of idle connections from
// several loopback addresses, then an honest fence_virt request must still
// be served. The oldest connection that has not sent a request makes room,
// and the eviction is logged once per interval, not once per connection.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { Admission } from '../../daemon/listeners/tcp/admission.js';
import { Workspace, fenceVirt, fenceVirtConf, freePort, startPalisaded, type RunningDaemon } from '../helpers/fence-daemons.js';


interface Idle {
  readonly sock: Socket;
  readonly source: string;
  closed: boolean;
}

/** Opens `n` connections from `source` (a 127.x address) that never send anything. */
async function idleFrom(port: number, source: string, n: number, into: Idle[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const sock = await new Promise<Socket>((res, rej) => {
      const s = connect({ host: '127.0.0.1', port, localAddress: source });
      s.once('connect', () => res(s));
      s.once('error', rej);
    });
    const idle: Idle = { sock, source, closed: false };
    sock.on('error', () => undefined);
    sock.on('close', () => { idle.closed = true; });
    into.push(idle);
  }
}

const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

describe('tcp listener under stalled connections', () => {
  let ws: Workspace;
  const idle: Idle[] = [];
  afterEach(async () => {
    for (const i of idle.splice(0)) i.sock.destroy();
    await ws?.stop();
  });

  const start = async (extra = ''): Promise<{ daemon: RunningDaemon; port: number; keyFile: string }> => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    const port = await freePort();
    const conf = fenceVirtConf({ port, keyFile }).replace('family = "ipv4";', `family = "ipv4";\n${extra}`);
    return { daemon: await startPalisaded(ws, conf), port, keyFile };
  };

  it('600 idle connections from ten addresses: the oldest idle ones make room and fence_virt is served', async () => {
    const { daemon, port, keyFile } = await start();
    for (let a = 10; a < 20; a++) await idleFrom(port, `127.0.0.${a}`, 60, idle);
    const r = await fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', keyFile, '-o', 'status', '-n', 'web1']);
    expect(r.exitCode, r.stderr).toBe(0);
    await daemon.waitFor(/512 connections open; closing the oldest that has not sent a request/);
    expect(count(daemon.output(), /closing the oldest that has not sent a request/)).toBe(1);
    expect(daemon.output()).not.toMatch(/refusing/);
  });

  it('a per-source limit: one address full of idle peers loses its own oldest, not the others\'', async () => {
    const { daemon, port, keyFile } = await start('\t\tmax_per_source = "16";');
    const others: Idle[] = [];
    await idleFrom(port, '127.0.0.3', 16, others);
    idle.push(...others);
    const mine: Idle[] = [];
    await idleFrom(port, '127.0.0.1', 40, mine);
    idle.push(...mine);
    await daemon.waitFor(/16 connections open from 127\.0\.0\.1; closing the oldest that has not sent a request \(from 127\.0\.0\.1\)/);

    const r = await fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', keyFile, '-o', 'status', '-n', 'web1']);
    expect(r.exitCode, r.stderr).toBe(0);
    // The 24 oldest of 127.0.0.1, and one more for fence_virt's connection, were closed: the oldest first.
    await waitUntil(() => mine.filter((i) => i.closed).length >= 25);
    expect(mine.slice(0, 25).every((i) => i.closed)).toBe(true);
    expect(others.some((i) => i.closed)).toBe(false);
    expect(count(daemon.output(), /connections open from 127\.0\.0\.1; closing the oldest/)).toBe(1);
  });
});

async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Admission', () => {
  it('evicts the oldest pending connection, never one being served, and refuses when all are served', () => {
    const a = new Admission<string>({ total: 3, perSource: 2 });
    expect(a.admit('c1', 'x')).toEqual({ ok: true, evicted: [] });
    expect(a.admit('c2', 'y')).toEqual({ ok: true, evicted: [] });
    a.requested('c1');
    expect(a.admit('c3', 'z')).toEqual({ ok: true, evicted: [] });
    // Full: c1 is being served, so c2 (the oldest pending) goes.
    expect(a.admit('c4', 'z')).toEqual({ ok: true, evicted: [{ conn: 'c2', source: 'y', why: 'total' }] });
    // z has two: its own oldest pending (c3) goes.
    expect(a.admit('c5', 'z')).toEqual({ ok: true, evicted: [{ conn: 'c3', source: 'z', why: 'per-source' }] });
    a.requested('c4');
    a.requested('c5');
    expect(a.admit('c6', 'z')).toEqual({ ok: false, why: 'per-source' });
    expect(a.admit('c7', 'w')).toEqual({ ok: false, why: 'total' });
    a.remove('c1');
    expect(a.admit('c7', 'w')).toEqual({ ok: true, evicted: [] });
    expect(a.size).toBe(3);
  });
});
