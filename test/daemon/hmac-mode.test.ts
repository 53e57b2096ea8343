// palisaded's authenticated mode (protocol/hmac-auth.md) on the TCP and
// multicast listeners, daemon side: scripted hmac clients, replays of
// recorded requests and proofs (inside and outside the 10 s history), and
// legacy clients (the real fence_virt, a scripted fence_xvm) turned away.
import { readFile } from 'node:fs/promises';
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { makeRequest } from '../../protocol/fence-req.js';
import {
  FENCE_VIRT_MODULES, DEMO_DOMAINS, Workspace, fenceVirt, freePort, startPalisaded, type RunningDaemon,
} from '../helpers/fence-daemons.js';
import { open } from '../helpers/raw-client.js';
import {
  StreamReader, freeUdpPort, hmacClientSide, mcastExchange, requestBytes, type ExchangeOutcome, type McastOptions,
} from '../helpers/mcast-client.js';

const IO_MS = 15_000;

function hmacConf(o: { keyFile: string; tcpPort: number; udpPort: number }): string {
  return `fence_virtd {
	listener = "tcp multicast";
	backend = "libvirt";
	module_path = "${FENCE_VIRT_MODULES}";
}
listeners {
	tcp {
		key_file = "${o.keyFile}";
		address = "127.0.0.1";
		port = "${o.tcpPort}";
		auth = "hmac-sha256";
	}
	multicast {
		key_file = "${o.keyFile}";
		address = "225.0.0.12";
		port = "${o.udpPort}";
		interface = "lo";
		auth = "hmac-sha256";
	}
}
backends {
	libvirt {
		uri = "test://${DEMO_DOMAINS}";
	}
}
`;
}

interface TcpHmacResult extends ExchangeOutcome {
  request: Uint8Array;
}

/** One hmac-sha256 exchange over TCP; `raw` and `proof` replay recorded bytes. */
async function tcpHmac(o: { port: number; key: Uint8Array; request?: number; domain?: string; raw?: Uint8Array; proof?: Uint8Array }): Promise<TcpHmacResult> {
  const request = o.raw ?? requestBytes(
    makeRequest({ request: o.request ?? FenceCommand.STATUS, domain: o.domain ?? '', seqno: randomInt(0, 2 ** 32 - 1) }), 'hmac-sha256', o.key,
  );
  const sock = await open(o.port);
  try {
    const r = new StreamReader(sock);
    sock.write(request);
    return { ...(await hmacClientSide(sock, r, o.key, [request], IO_MS, o.proof)), request };
  } finally {
    sock.destroy();
  }
}

describe('hmac-sha256 on the tcp and multicast listeners', () => {
  let ws: Workspace;
  let key: Uint8Array;
  let keyFile: string;
  let tcpPort: number;
  let udpPort: number;
  let daemon: RunningDaemon;
  const mcast = (o: Omit<McastOptions, 'port' | 'key'>) => mcastExchange({ port: udpPort, key, mode: 'hmac-sha256', ...o });
  const tcpStatus = async (domain: string) => (await tcpHmac({ port: tcpPort, key, request: FenceCommand.STATUS, domain })).result;

  beforeAll(async () => {
    ws = await Workspace.create();
    keyFile = await ws.key();
    key = new Uint8Array(await readFile(keyFile));
    tcpPort = await freePort();
    udpPort = await freeUdpPort();
    daemon = await startPalisaded(ws, hmacConf({ keyFile, tcpPort, udpPort }), ['-d', '1']);
  });
  afterAll(async () => { await ws?.stop(); });

  it('names the mode in both listeners\' descriptions', () => {
    expect(daemon.output()).toContain(`listening: tcp 127.0.0.1:${tcpPort} (hmac-sha256)`);
    expect(daemon.output()).toContain(`listening: multicast 225.0.0.12:${udpPort} on lo (hmac-sha256)`);
  });

  it('round trips status, off, on and list over tcp, every answer tagged', async () => {
    const off = await tcpHmac({ port: tcpPort, key, request: FenceCommand.OFF, domain: 'db1' });
    expect(off).toMatchObject({ result: Result.SUCCESS, serverAuthOk: true, tagOk: true, closedEarly: false });
    expect(await tcpStatus('db1')).toBe(Result.OFF);
    expect((await tcpHmac({ port: tcpPort, key, request: FenceCommand.ON, domain: 'db1' })).result).toBe(Result.SUCCESS);
    const list = await tcpHmac({ port: tcpPort, key, request: FenceCommand.HOSTLIST });
    expect(list).toMatchObject({ result: Result.SUCCESS, tagOk: true });
    expect(list.hosts?.map((h) => [h.domain, h.state])).toEqual([['db1', 1], ['web1', 1], ['web2', 1]]);
  });

  it('round trips status, off, on and list over multicast, every answer tagged', async () => {
    const off = await mcast({ request: FenceCommand.OFF, domain: 'db1' });
    expect(off).toMatchObject({ callbacks: 1, result: Result.SUCCESS, serverAuthOk: true, tagOk: true });
    expect((await mcast({ request: FenceCommand.STATUS, domain: 'db1' })).result).toBe(Result.OFF);
    expect((await mcast({ request: FenceCommand.ON, domain: 'db1' })).result).toBe(Result.SUCCESS);
    const list = await mcast({ request: FenceCommand.HOSTLIST });
    expect(list).toMatchObject({ result: Result.SUCCESS, tagOk: true });
    expect(list.hosts?.map((h) => h.domain)).toEqual(['db1', 'web1', 'web2']);
  });

  it('multicast: a retransmission (fresh nonce, same seqno) gets no second callback', async () => {
    const r = await mcast({ request: FenceCommand.STATUS, domain: 'web2', sends: 4, resendMs: 250, holdMs: 1_500, lingerMs: 1_000 });
    expect(r).toMatchObject({ callbacks: 1, result: Result.SUCCESS, tagOk: true });
    // The copies did arrive, and were recognised as the same request.
    await daemon.waitFor(/multicast status 'web2' \(seqno \d+\) from .*: retransmission or duplicate/);
  });

  it('multicast: stays silent for a domain it does not have', async () => {
    expect((await mcast({ request: FenceCommand.OFF, domain: 'nosuchvm', waitMs: 3_000 })).callbacks).toBe(0);
    await daemon.waitFor(/off 'nosuchvm'.*not ours/);
  });

  it('refuses a request sealed with another key: tcp closes without a hello, multicast stays silent', async () => {
    const other = new Uint8Array(randomBytes(256));
    const sealed = requestBytes(makeRequest({ request: FenceCommand.STATUS, domain: 'web1', seqno: 5 }), 'hmac-sha256', other);
    const t = await tcpHmac({ port: tcpPort, key, raw: sealed });
    expect(t).toMatchObject({ closedEarly: true });
    expect(t.serverAuthOk).toBeUndefined();
    const m = await mcast({ request: FenceCommand.STATUS, domain: 'web1', signKey: other, waitMs: 3_000 });
    expect(m.callbacks).toBe(0);
    await daemon.waitFor(/tcp 127\.0\.0\.1:\d+: request signature does not match our key/);
    await daemon.waitFor(/multicast 127\.0\.0\.1:\d+: request signature does not match our key \(key mismatch\); dropping packet/);
  });

  it('refuses replayed requests and proofs, inside and after the 10 s history', async () => {
    // Record a real off on each listener, then power both guests back on.
    const tcpOff = await tcpHmac({ port: tcpPort, key, request: FenceCommand.OFF, domain: 'web1' });
    const mcOff = await mcast({ request: FenceCommand.OFF, domain: 'web2' });
    const recordedAt = Date.now();
    expect(tcpOff).toMatchObject({ result: Result.SUCCESS, tagOk: true });
    expect(mcOff).toMatchObject({ result: Result.SUCCESS, tagOk: true });
    expect((await tcpHmac({ port: tcpPort, key, request: FenceCommand.ON, domain: 'web1' })).result).toBe(Result.SUCCESS);
    expect((await tcpHmac({ port: tcpPort, key, request: FenceCommand.ON, domain: 'web2' })).result).toBe(Result.SUCCESS);

    const replayTcp = () => tcpHmac({ port: tcpPort, key, raw: tcpOff.request, proof: tcpOff.proof! });
    const replayMcast = (waitMs: number) => mcast({
      request: FenceCommand.OFF, raw: mcOff.request, proof: mcOff.proof!, callbackPort: mcOff.callbackPort, waitMs,
    });

    // Inside 10 s: tcp sends a new nonce, so the old proof fails; multicast's history drops the datagram.
    const tcpEarly = await replayTcp();
    expect(tcpEarly).toMatchObject({ serverAuthOk: true, closedEarly: true });
    expect(tcpEarly.result).toBeUndefined();
    const mcEarly = await replayMcast(2_000);
    expect(mcEarly.callbacks).toBe(0);
    await daemon.waitFor(/multicast off 'web2' \(seqno \d+\) from .*: retransmission or duplicate/);

    // After the history has let go: the request tag still verifies, the proof over the new nonce does not.
    const wait = recordedAt + 11_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const tcpLate = await replayTcp();
    expect(tcpLate).toMatchObject({ serverAuthOk: true, closedEarly: true });
    expect(tcpLate.result).toBeUndefined();
    const mcLate = await replayMcast(5_000);
    expect(mcLate).toMatchObject({ callbacks: 1, serverAuthOk: true, closedEarly: true });
    expect(mcLate.result).toBeUndefined();

    expect(await tcpStatus('web1')).toBe(Result.SUCCESS);
    expect(await tcpStatus('web2')).toBe(Result.SUCCESS);
    const refusals = daemon.output().match(/client proof did not verify \(replayed request, or a different key\); dropping client/g) ?? [];
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    await daemon.waitFor(/multicast \d+\.\d+\.\d+\.\d+:\d+: client proof did not verify/);
  }, 40_000);

  it('the real fence_virt (legacy) fails at once against the hmac tcp listener', async () => {
    // With a day's timeout it ends only because the connection was closed (how soon: bench/fence-timing.mjs).
    const r = await fenceVirt(['-T', '127.0.0.1', '-p', String(tcpPort), '-k', keyFile, '-t', '86400', '-o', 'status', '-n', 'web1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).not.toMatch(/Status: (ON|OFF)/);
    await daemon.waitFor(/tcp 127\.0\.0\.1:\d+: legacy \(fence_virt\/fence_xvm\) request on an auth = "hmac-sha256" listener/);
  });

  it('a legacy fence_xvm request signed with our key gets a callback that closes at once', async () => {
    const r = await mcastExchange({ port: udpPort, key, mode: 'legacy', request: FenceCommand.STATUS, domain: 'web1', waitMs: 5_000 });
    expect(r).toMatchObject({ callbacks: 1, closedEarly: true });
    expect(r.result).toBeUndefined();
    await daemon.waitFor(/multicast status 'web1' .*legacy \(fence_virt\/fence_xvm\) request.*closed the callback to 127\.0\.0\.1:\d+ at once/);
  });

  it('a legacy request signed with another key, or for a domain not here, gets no callback', async () => {
    const wrong = await mcastExchange({
      port: udpPort, key, signKey: new Uint8Array(256).fill(3), mode: 'legacy', request: FenceCommand.STATUS, domain: 'web1', waitMs: 3_000,
    });
    expect(wrong.callbacks).toBe(0);
    await daemon.waitFor(/multicast 127\.0\.0\.1:\d+: legacy \(fence_virt\/fence_xvm\) request on an auth = "hmac-sha256" listener.*; dropping packet/);
    const elsewhere = await mcastExchange({ port: udpPort, key, mode: 'legacy', request: FenceCommand.STATUS, domain: 'nosuchvm', waitMs: 3_000 });
    expect(elsewhere.callbacks).toBe(0);
    await daemon.waitFor(/status 'nosuchvm'.*not ours/);
  });
});
