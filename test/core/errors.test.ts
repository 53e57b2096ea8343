import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import * as core from '../../core/errors.js';
import * as daemonErrors from '../../daemon/errors.js';
import * as fenceErrors from '../../agents/fence/errors.js';
import { ExactReader } from '../../core/exact-reader.js';
import { decodeRequest } from '../../protocol/fence-req.js';
import { ROOT, sources } from '../helpers/sources.js';



describe('one error root', () => {
  it('the daemon and the agent share one PeerTimeoutError, built from named fields', () => {
    expect(daemonErrors.PeerTimeoutError).toBe(core.PeerTimeoutError);
    expect(fenceErrors.PeerTimeoutError).toBe(core.PeerTimeoutError);
    const e = new core.PeerTimeoutError({ peer: 'virsh -c test:///default', phase: 'backend', ms: 1500 });
    expect([e.peer, e.phase, e.ms, e.code, e.name]).toEqual(['virsh -c test:///default', 'backend', 1500, 'PAL_ERR_PEER_TIMEOUT', 'PeerTimeoutError']);
    expect(e.message).toBe('timed out after 1500 ms waiting for the backend (virsh -c test:///default)');
    expect(e).toBeInstanceOf(core.PalisadeError);
  });

  it('every class in core/errors.ts derives from PalisadeError, with a code from the catalog', () => {
    const classes = Object.entries(core).filter(([, v]) => typeof v === 'function' && /^class /.test(String(v)));
    expect(classes.length).toBeGreaterThan(15);
    for (const [name, cls] of classes) {
      expect(cls === core.PalisadeError || (cls as { prototype: object }).prototype instanceof core.PalisadeError, name).toBe(true);
    }
    expect(() => decodeRequest(new Uint8Array(3))).toThrow(core.PalisadeError);
    expect(() => decodeRequest(new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'PAL_ERR_PROTOCOL' }));
  });

  it('every PAL_ERR_ code written in the sources is in ERROR_CODES, and every listed code is used', async () => {
    const files = (await Promise.all(['protocol', 'core', 'daemon', 'agents', 'cli'].map(sources))).flat();
    const used = new Set<string>();
    for (const f of files) {
      if (f === join('core', 'errors.ts')) continue;
      for (const m of (await readFile(join(ROOT, f), 'utf8')).matchAll(/'(PAL_ERR_[A-Z_]+)'/g)) used.add(m[1]!);
    }
    const listed = Object.keys(core.ERROR_CODES);
    expect([...used].filter((c) => !listed.includes(c))).toEqual([]);
    const coreText = await readFile(join(ROOT, 'core', 'errors.ts'), 'utf8');
    const raised = new Set([...used, ...[...coreText.matchAll(/super\(\s*'(PAL_ERR_[A-Z_]+)'/g)].map((m) => m[1]!)]);
    expect(listed.filter((c) => !raised.has(c))).toEqual([]);
  });
});

describe('ExactReader, for daemon and agent alike', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function pair(): Promise<{ ours: Socket; theirs: Socket }> {
    const accepted = new Promise<Socket>((resolve) => {
      server = createServer((s) => { sockets.push(s); resolve(s); });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server!.address() as { port: number }).port;
    const ours = connect(port, '127.0.0.1');
    sockets.push(ours);
    await new Promise<void>((r) => ours.once('connect', () => r()));
    return { ours, theirs: await accepted };
  }

  it('a silent peer: PeerTimeoutError naming peer, phase and limit', async () => {
    const { ours } = await pair();
    const e = await new ExactReader(ours, '127.0.0.1:1229').read(4, 'request', 50).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(core.PeerTimeoutError);
    expect(e).toMatchObject({ peer: '127.0.0.1:1229', phase: 'request', ms: 50 });
    expect(ours.destroyed).toBe(true);
  });

  it('a peer that closes early: ShortReadError with what arrived', async () => {
    const { ours, theirs } = await pair();
    theirs.end(Buffer.from([1, 2]));
    const e = await new ExactReader(ours, 'guest').read(4, 'request', 10_000).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(core.ShortReadError);
    expect(e).toMatchObject({ expected: 4, received: 2, code: 'PAL_ERR_SHORT_READ' });
    expect((e as Error).message).toBe('the client at guest closed the connection waiting for the request (got 2 of 4 bytes)');
  });

  it('exact reads across chunk boundaries', async () => {
    const { ours, theirs } = await pair();
    const reader = new ExactReader(ours, 'peer');
    theirs.write(Buffer.from([1, 2, 3]));
    theirs.write(Buffer.from([4, 5]));
    expect([...await reader.read(4, 'request', 10_000)]).toEqual([1, 2, 3, 4]);
    theirs.write(Buffer.from([6]));
    expect([...await reader.read(2, 'response', 10_000)]).toEqual([5, 6]);
  });
});
