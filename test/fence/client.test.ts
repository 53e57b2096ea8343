// The programmatic client against scripted peers: every phase can stall or
// break, and each failure is a typed error naming the peer and the phase.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FenceCommand, HashType } from '../../protocol/constants.js';
import { encodeHostList, encodeHostRecord } from '../../protocol/host-list.js';
import { challengeResponse } from '../../protocol/legacy-auth.js';
import { fence } from '../../agents/fence/client.js';
import { ConnectError, AbortedError, FenceAuthError, PeerTimeoutError, ShortReadError, UsageError } from '../../agents/fence/errors.js';
import { freePort } from '../helpers/fence-daemons.js';
import { startScriptedPeer, type ScriptedPeer } from './_scripted-peer.js';

const key = randomBytes(64);
const auth = { key, hash: 'sha256', auth: 'sha256' } as const;
let peer: ScriptedPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});
const target = () => ({ transport: 'tcp' as const, host: '127.0.0.1', port: peer!.port });

describe('fence() client', () => {
  it('completes a status exchange and sends a random seqno', async () => {
    const seqnos: number[] = [];
    peer = await startScriptedPeer(async (c) => {
      const req = await c.handshake(key);
      seqnos.push(req.seqno);
      expect(req.domain).toBe('vm1');
      expect(req.request).toBe(FenceCommand.STATUS);
      c.write(Uint8Array.of(2));
      c.socket.end();
    });
    for (let i = 0; i < 3; i++) expect(await fence(target(), auth, FenceCommand.STATUS, 'vm1')).toEqual({ result: 2 });
    expect(new Set(seqnos).size).toBe(3);
  });

  it('reads a host list, ignoring fence_virtd garbage at bytes 63, 127 and 129, and keeps the trailer', async () => {
    peer = await startScriptedPeer(async (c) => {
      await c.handshake(key);
      const rec = encodeHostRecord({ domain: 'vm1', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', state: 1 });
      rec[63] = 51; rec[127] = 83; rec[129] = 237;
      const list = encodeHostList([{ domain: 'vm0', uuid: '00000000-0000-0000-0000-000000000000', state: 5 }], 1);
      c.write(list.subarray(0, 1 + 130));
      c.write(rec);
      c.write(list.subarray(1 + 130));
      c.socket.end();
    });
    const r = await fence(target(), auth, FenceCommand.HOSTLIST, '');
    expect(r.result).toBe(0);
    expect(r.trailer).toBe(1);
    expect(r.hosts).toEqual([
      { domain: 'vm0', uuid: '00000000-0000-0000-0000-000000000000', state: 5 },
      { domain: 'vm1', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', state: 1 },
    ]);
  });

  it('tolerates a host list that ends without the trailing byte', async () => {
    peer = await startScriptedPeer(async (c) => {
      await c.handshake(key);
      const list = encodeHostList([]);
      c.write(list.subarray(0, list.length - 1));
      c.socket.end();
    });
    expect(await fence(target(), auth, FenceCommand.HOSTLIST, '')).toEqual({ result: 0, hosts: [] });
  });

  it('refuses a daemon whose answer to our challenge is wrong', async () => {
    peer = await startScriptedPeer(async (c) => {
      await c.read(176 + 64);
      c.write(new Uint8Array(64));
      await c.closed;
    });
    const e = await fence(target(), auth, FenceCommand.OFF, 'vm1', { keyFile: '/etc/k' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FenceAuthError);
    expect((e as Error).message).toMatch(/answer to our challenge is wrong; the daemon's key differs from \/etc\/k or its auth\/hash setting differs/);
  });

  it('explains a daemon that dropped the request (wrong key, weak hash, replay)', async () => {
    peer = await startScriptedPeer(async (c) => {
      await c.read(176);
      c.socket.destroy();
    });
    const e = await fence(target(), auth, FenceCommand.OFF, 'vm1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FenceAuthError);
    expect((e as Error).message).toMatch(/dropped the request without answering our challenge/);
  });

  it('recognises a daemon without challenge-response (auth none) by its bare result byte', async () => {
    peer = await startScriptedPeer(async (c) => {
      await c.read(176);
      c.write(Uint8Array.of(0));
      c.socket.end();
    });
    const e = await fence(target(), auth, FenceCommand.STATUS, 'vm1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShortReadError);
    expect((e as Error).message).toMatch(/set auth=none \(-C none\)/);
  });

  const stalls = [
    ['challenge-response', "waiting for the daemon's answer to our challenge"],
    ['daemon-challenge', "waiting for the daemon's challenge"],
    ['result', 'waiting for the result byte'],
    ['host-list', 'reading the host list'],
  ] as const;
  for (const [phase, text] of stalls) {
    it(`times out in phase ${phase}, naming it`, async () => {
      peer = await startScriptedPeer(async (c) => {
        // Each stall holds the connection open until the client gives up and closes it.
        if (phase === 'challenge-response') return c.closed;
        await c.read(176);
        c.write(challengeResponse(HashType.SHA256, key, await c.read(64)));
        if (phase === 'daemon-challenge') return c.closed;
        const mine = randomBytes(64);
        c.write(mine);
        await c.read(64);
        if (phase === 'result') return c.closed;
        c.write(Uint8Array.of(0xfd));
        return c.closed;
      });
      const e = await fence(target(), auth, phase === 'host-list' ? FenceCommand.HOSTLIST : FenceCommand.STATUS, phase === 'host-list' ? '' : 'vm1', { timeoutMs: 300 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PeerTimeoutError);
      expect((e as PeerTimeoutError).phase).toBe(phase);
      expect((e as Error).message).toContain(`timed out after 300 ms ${text} (127.0.0.1:${peer!.port})`);
    });
  }

  it('reports a refused connection naming host:port', async () => {
    const port = await freePort();
    const e = await fence({ transport: 'tcp', host: '127.0.0.1', port }, auth, FenceCommand.STATUS, 'vm1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as Error).message).toBe(
      `cannot connect to the fence daemon at 127.0.0.1:${port}: connection refused; check that palisaded or fence_virtd runs and listens there, and that no firewall blocks the port`,
    );
  });

  it('stops when the caller aborts', async () => {
    const ac = new AbortController();
    // Abort once the request has arrived: the client is then mid-exchange, waiting for our answer.
    peer = await startScriptedPeer(async (c) => {
      await c.read(176);
      ac.abort(new Error('shutdown'));
      await c.closed;
    });
    const e = await fence(target(), auth, FenceCommand.STATUS, 'vm1', { signal: ac.signal }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortedError);
    expect((e as Error).message).toBe(`aborted while waiting for the daemon's answer to our challenge (127.0.0.1:${peer.port})`);
  });

  it('checks its arguments before connecting', async () => {
    const e = await fence({ transport: 'tcp', host: '127.0.0.1', port: 0 }, { key: undefined, hash: 'sha256', auth: 'md5' as never }, 300, 'x'.repeat(70))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).problems).toEqual([
      "fence(): auth: 'md5' is not one of none, sha1, sha256, sha512",
      'fence(): key: required (non-empty) unless hash and auth are both none',
      'fence(): command: 300 is not a byte',
      expect.stringContaining('fence(): domain:'),
      'fence(): port: 0 is not a TCP port',
    ]);
  });

  it('needs no key with hash and auth none', async () => {
    peer = await startScriptedPeer(async (c) => {
      const req = await c.read(176);
      expect(req[1]).toBe(HashType.NONE);
      c.write(Uint8Array.of(0));
      c.socket.end();
    });
    expect(await fence(target(), { key: undefined, hash: 'none', auth: 'none' }, FenceCommand.DEVSTATUS, '')).toEqual({ result: 0 });
  });
});
