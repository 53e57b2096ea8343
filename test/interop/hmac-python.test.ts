// palisaded's hmac-sha256 tcp listener against an independent client
// (hmac_client.py, written from protocol/hmac-auth.md with the Python
// standard library only). A byte-flipping proxy between them proves the
// Python client refuses a tampered hello, result byte and host list.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, fenceVirtConf, freePort, startPalisaded, type RunningDaemon } from '../helpers/fence-daemons.js';

const CLIENT = fileURLToPath(new URL('./hmac_client.py', import.meta.url));
const HELLO = 64;

interface Answer { ok: boolean; error?: string; message?: string; result?: number; hosts?: { domain: string; uuid: string; state: number }[] }

/** Forwards to `upstream`; flips one bit of byte `flipAt` (when set) of what the daemon sends. */
class FlippingProxy {
  flipAt: number | undefined;
  /** Bytes the daemon sent through the proxy, per connection, in order. */
  readonly forwarded: number[] = [];
  readonly #sockets = new Set<Socket>();
  private constructor(readonly server: Server, readonly port: number) {}

  static async start(upstream: number): Promise<FlippingProxy> {
    const server = createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const proxy = new FlippingProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.#relay(client, upstream));
    return proxy;
  }

  #relay(client: Socket, upstream: number): void {
    const daemon = connect(upstream, '127.0.0.1');
    for (const s of [client, daemon]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      // A reset on one side ends the other; the exchange's outcome is what the client reports.
      s.on('error', () => { client.destroy(); daemon.destroy(); });
    }
    const flipAt = this.flipAt;
    let offset = 0;
    const index = this.forwarded.push(0) - 1;
    client.pipe(daemon);
    daemon.on('data', (chunk: Buffer) => {
      const out = Buffer.from(chunk);
      if (flipAt !== undefined && flipAt >= offset && flipAt < offset + out.length) out[flipAt - offset]! ^= 0x01;
      offset += out.length;
      this.forwarded[index] = offset;
      client.write(out);
    });
    daemon.on('end', () => client.end());
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
  }
}

async function python(port: number, keyFile: string, op: string, domain = ''): Promise<Answer> {
  const r = await execa('python3', [CLIENT, 'fence', '--port', String(port), '--key', keyFile, '--op', op, '--domain', domain], {
    reject: false, timeout: 30_000,
  });
  if (r.stderr !== '' || !/^\{.*\}$/.test(String(r.stdout))) throw new Error(`hmac_client.py exited ${r.exitCode}: ${r.stdout}\n${r.stderr}`);
  const answer = JSON.parse(String(r.stdout)) as Answer;
  expect(r.exitCode, String(r.stdout)).toBe(answer.ok ? 0 : 1);
  return answer;
}

describe('hmac-sha256: an independent Python client against palisaded', () => {
  let ws: Workspace;
  let keyFile: string;
  let daemon: RunningDaemon;
  let port: number;
  let proxy: FlippingProxy;

  beforeAll(async () => {
    ws = await Workspace.create();
    keyFile = await ws.key();
    port = await freePort();
    daemon = await startPalisaded(ws, fenceVirtConf({ port, keyFile, auth: 'hmac-sha256' }), ['-d', '1']);
    await daemon.waitFor(new RegExp(`listening: tcp 127\\.0\\.0\\.1:${port} \\(hmac-sha256\\)`));
    proxy = await FlippingProxy.start(port);
  });
  afterAll(async () => {
    await proxy?.close();
    await ws?.stop();
  });

  it('status, off, on, reboot, monitor and list round trip, each answer verified by the Python client', async () => {
    expect(await python(port, keyFile, 'status', 'db1')).toEqual({ ok: true, result: 0 });
    expect(await python(port, keyFile, 'off', 'db1')).toEqual({ ok: true, result: 0 });
    expect(await python(port, keyFile, 'status', 'db1')).toEqual({ ok: true, result: 2 });
    expect(await python(port, keyFile, 'on', 'db1')).toEqual({ ok: true, result: 0 });
    expect(await python(port, keyFile, 'status', 'db1')).toEqual({ ok: true, result: 0 });
    expect(await python(port, keyFile, 'reboot', 'web2')).toEqual({ ok: true, result: 0 });
    expect(await python(port, keyFile, 'monitor')).toEqual({ ok: true, result: 0 });
    const list = await python(port, keyFile, 'list');
    expect(list).toMatchObject({ ok: true, result: 0, trailer: 0 });
    expect(list.hosts).toEqual([
      { domain: 'db1', uuid: '6695eb01-f6a4-8304-79aa-97f2502e1003', state: 1 },
      { domain: 'web1', uuid: '6695eb01-f6a4-8304-79aa-97f2502e1001', state: 1 },
      { domain: 'web2', uuid: '6695eb01-f6a4-8304-79aa-97f2502e1002', state: 1 },
    ]);
  });

  it('an unchanged relay through the proxy still verifies (the proxy itself changes nothing)', async () => {
    proxy.flipAt = undefined;
    expect(await python(proxy.port, keyFile, 'status', 'web1')).toEqual({ ok: true, result: 0 });
    expect(proxy.forwarded.at(-1)).toBe(HELLO + 1 + 32);
  });

  it('refuses a result byte flipped on the way', async () => {
    proxy.flipAt = HELLO;
    expect(await python(proxy.port, keyFile, 'status', 'web1')).toEqual({
      ok: false, error: 'tag', message: "the answer's authentication tag does not verify",
    });
    // The daemon did send its whole answer: the flip, not a short read, is what failed.
    expect(proxy.forwarded.at(-1)).toBe(HELLO + 1 + 32);
  });

  it('refuses a host list with one state byte flipped', async () => {
    proxy.flipAt = HELLO + 1 + 128; // state of the first record
    const r = await python(proxy.port, keyFile, 'list');
    expect(r).toEqual({ ok: false, error: 'tag', message: "the answer's authentication tag does not verify" });
    expect(proxy.forwarded.at(-1)).toBe(HELLO + 1 + 4 * 130 + 1 + 32);
  });

  it('refuses a host list with one byte of a domain name flipped', async () => {
    proxy.flipAt = HELLO + 1 + 130 + 2; // third letter of the second record's name
    expect(await python(proxy.port, keyFile, 'list')).toMatchObject({ ok: false, error: 'tag' });
  });

  it('refuses a hello flipped on the way, and sends no proof (the daemon does not act)', async () => {
    proxy.flipAt = 40; // inside the daemon's tag
    expect(await python(proxy.port, keyFile, 'off', 'web2')).toEqual({
      ok: false, error: 'hello', message: "the daemon's hello does not prove our key",
    });
    proxy.flipAt = undefined;
    expect(await python(port, keyFile, 'status', 'web2')).toEqual({ ok: true, result: 0 });
  });

  it('a key the daemon does not hold: the daemon closes without a hello', async () => {
    const other = await ws.key('other.key');
    expect(await python(port, other, 'status', 'web1')).toMatchObject({ ok: false, error: 'closed' });
    await daemon.waitFor(/tcp 127\.0\.0\.1:\d+: request signature does not match our key/);
  });
});
