// fence_virt's serial transport (-D, over a socat pty pair standing in for
// the guest's serial port) and vmchannel (the same framing over TCP, -A/-p),
// against scripted peers that answer 74-byte frames: plain answers, host
// lists, line noise before the magic, half frames, silence; plus devices
// that are missing, locked or not ttys.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FenceCommand, Result, SERIAL_REQUEST_SIZE } from '../../protocol/constants.js';
import { encodeHostRecord, type HostRecord } from '../../protocol/host-list.js';
import { decodeSerialRequest, encodeSerialResponse, type SerialRequest } from '../../protocol/serial.js';
import { fence } from '../../agents/fence/client.js';
import { Workspace, fencePalisade, freePort, stopChild } from '../helpers/fence-daemons.js';
import { startScriptedPeer, type ScriptedPeer } from './_scripted-peer.js';

const HOSTS: HostRecord[] = [
  { domain: 'guest1', uuid: 'aaaaaaaa-0000-0000-0000-000000000001', state: 1 },
  { domain: 'guest2', uuid: 'aaaaaaaa-0000-0000-0000-000000000002', state: 5 },
];
const resp = (b: number): Buffer => Buffer.from(encodeSerialResponse({ response: b }));
const hostListBytes = (hosts: readonly HostRecord[], trailer = 0): Buffer =>
  Buffer.concat([resp(Result.HOSTLIST), ...hosts.map((h) => Buffer.from(encodeHostRecord(h))), Buffer.alloc(130), resp(trailer)]);

/** What the host side sends back for one request; undefined: say nothing. */
type Script = (req: SerialRequest) => Buffer | undefined;

/** Reads 74-byte frames from a byte stream and answers them by `script`. */
function answerFrames(write: (b: Buffer) => void, script: () => Script, seen: SerialRequest[]): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= SERIAL_REQUEST_SIZE) {
      const req = decodeSerialRequest(buf.subarray(0, SERIAL_REQUEST_SIZE));
      buf = buf.subarray(SERIAL_REQUEST_SIZE);
      seen.push(req);
      const out = script()(req);
      if (out) write(out);
    }
  };
}

describe('serial (-D) over a pty pair', () => {
  let ws: Workspace;
  let socat: ChildProcess;
  let guest: string;
  let host: SerialPort;
  let script: Script = () => undefined;
  const seen: SerialRequest[] = [];

  beforeAll(async () => {
    ws = await Workspace.create();
    guest = ws.path('ttyGuest');
    const hostSide = ws.path('ttyHost');
    socat = spawn('socat', [`PTY,link=${guest},raw,echo=0`, `PTY,link=${hostSide},raw,echo=0`], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(existsSync(guest) && existsSync(hostSide))) {
      if (Date.now() > deadline || socat.exitCode !== null) throw new Error('socat did not create the pty pair');
      await new Promise((r) => setTimeout(r, 20));
    }
    host = new SerialPort({ path: hostSide, baudRate: 115200, lock: false, autoOpen: false });
    await new Promise<void>((res, rej) => host.open((e) => (e ? rej(e) : res())));
    host.on('data', answerFrames((b) => host.write(b), () => script, seen));
  });
  afterAll(async () => {
    if (host?.isOpen) await new Promise((r) => host.close(r));
    if (socat) await stopChild(socat);
    await ws?.stop();
  });
  afterEach(() => {
    script = () => undefined;
    seen.length = 0;
  });

  const run = (args: string[]) => fencePalisade(['-D', guest, '-t', '2', ...args]);

  it('sends a 74-byte frame and maps the response byte like fence_virt', async () => {
    script = (req) => resp(req.domain === 'guest2' ? Result.OFF : Result.SUCCESS);
    expect(await run(['-o', 'status', '-n', 'guest1'])).toMatchObject({ exitCode: 0, stdout: 'Status: ON' });
    expect(await run(['-o', 'status', '-n', 'guest2'])).toMatchObject({ exitCode: 2, stdout: 'Status: OFF' });
    expect(await run(['-o', 'off', '-n', 'guest1', '-P', '9600,7E2'])).toMatchObject({ exitCode: 0, stdout: '' });
    expect(seen.map((r) => [r.request, r.domain, r.flags])).toEqual([
      [FenceCommand.STATUS, 'guest1', 0], [FenceCommand.STATUS, 'guest2', 0], [FenceCommand.OFF, 'guest1', 0],
    ]);
    expect(new Set(seen.map((r) => r.seqno)).size).toBe(3);
  });

  it('needs no key file (serial carries no authentication)', async () => {
    script = () => resp(Result.SUCCESS);
    const r = await run(['-o', 'monitor']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
  });

  it('reads a host list: records, the zero terminator, then the closing response', async () => {
    script = () => hostListBytes(HOSTS);
    const r = await run(['-o', 'list']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'guest1                           aaaaaaaa-0000-0000-0000-000000000001 on',
      'guest2                           aaaaaaaa-0000-0000-0000-000000000002 off',
    ]);
    const api = await fence({ transport: 'serial', device: guest, params: '115200,8N1' }, { key: undefined, hash: 'sha256', auth: 'sha256' },
      FenceCommand.HOSTLIST, '', { timeoutMs: 2000 });
    expect(api).toEqual({ result: 0, hosts: HOSTS, trailer: 0 });
  });

  it('skips line noise before the magic, including a false start ("aabba")', async () => {
    script = () => Buffer.concat([Buffer.from('login: \r\n\x00\xffaab'), resp(Result.OFF)]);
    expect(await run(['-o', 'status', '-n', 'guest1'])).toMatchObject({ exitCode: 2, stdout: 'Status: OFF' });
    // "a" then "abba": fence_virt's matcher drops the second "a" on the mismatch and misses the frame.
    script = () => Buffer.concat([Buffer.from('a'), resp(Result.SUCCESS)]);
    expect(await run(['-o', 'status', '-n', 'guest1'])).toMatchObject({ exitCode: 0, stdout: 'Status: ON' });
  });

  it('times out on a half frame and on a silent line, naming the device and what to check', async () => {
    script = () => resp(Result.SUCCESS).subarray(0, 3);
    const half = await run(['-o', 'status', '-n', 'guest1', '-t', '1']);
    expect(half.exitCode).toBe(1);
    expect(half.stderr).toContain(`timed out after 1 s waiting for the response (${guest}); no answer on ${guest}: check that fence_virtd's serial listener serves this guest`);
    script = () => undefined;
    const silent = await run(['-o', 'off', '-n', 'guest1', '-t', '1']);
    expect(silent.exitCode).toBe(1);
    expect(silent.stdout).toBe('');
    expect(silent.stderr).toContain(`timed out after 1 s waiting for the response (${guest})`);
  });

  it('times out inside a host list that stops half way', async () => {
    script = () => hostListBytes(HOSTS).subarray(0, 5 + 130 + 40);
    const r = await run(['-o', 'list', '-t', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('timed out after 1 s reading the host list');
  });

  it('refuses a device held by another process', async () => {
    const holder = new SerialPort({ path: guest, baudRate: 115200, lock: true, autoOpen: false });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    try {
      const r = await run(['-o', 'status', '-n', 'guest1']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trim()).toBe(`serial device ${guest}: is in use by another process (it holds the lock); wait for it, or find it with fuser`);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('names a missing device, a file that is not a tty, and refuses bad -P before opening anything', async () => {
    const missing = await fencePalisade(['-D', ws.path('nope'), '-o', 'status', '-n', 'g']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(`serial device ${ws.path('nope')}: does not exist; check serial_device (-D)`);
    const file = await ws.file('plain', 'x');
    const notTty = await fencePalisade(['-D', file, '-o', 'status', '-n', 'g']);
    expect(notTty.stderr.trim()).toBe(`serial device ${file}: is not a character device (a serial port)`);
    for (const p of ['115200', '300,8N1', '9600,8X1', '9600,9N1', '9600,8N3']) {
      const bad = await fencePalisade(['-D', guest, '-P', p, '-o', 'status', '-n', 'g']);
      expect(bad.exitCode, p).toBe(1);
      expect(bad.stderr, p).toContain(`-P: '${p}' is not SPEED,BITS PARITY STOP like 115200,8N1`);
    }
  });
});

describe('vmchannel (-A, -p) against a scripted TCP peer', () => {
  let peer: ScriptedPeer | undefined;
  let script: Script = () => undefined;
  const seen: SerialRequest[] = [];
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
    seen.length = 0;
  });
  async function start(s: Script, closeAfter = false): Promise<number> {
    script = s;
    peer = await startScriptedPeer(async (c) => {
      const frame = await c.read(SERIAL_REQUEST_SIZE);
      answerFrames((b) => c.write(b), () => script, seen)(frame);
      if (closeAfter) c.socket.end();
      else await c.closed; // a silent peer holds the line until the client gives up
    });
    return peer.port;
  }

  it('answers status and list with the serial framing over TCP', async () => {
    const port = await start((req) => (req.request === FenceCommand.HOSTLIST ? hostListBytes(HOSTS, 0) : resp(Result.OFF)));
    expect(await fencePalisade(['-A', '127.0.0.1', '-p', String(port), '-o', 'status', '-n', 'guest2']))
      .toMatchObject({ exitCode: 2, stdout: 'Status: OFF' });
    const list = await fencePalisade(['-A', '127.0.0.1', '-p', String(port), '-o', 'list']);
    expect(list.stdout.split('\n')).toHaveLength(2);
    expect(seen.map((r) => r.domain)).toEqual(['guest2', '']);
  });

  it('skips noise before the magic over TCP too', async () => {
    const port = await start(() => Buffer.concat([Buffer.from('noise'), resp(Result.SUCCESS)]));
    expect(await fencePalisade(['-A', '127.0.0.1', '-p', String(port), '-o', 'status', '-n', 'g'])).toMatchObject({ exitCode: 0, stdout: 'Status: ON' });
  });

  it('reports a peer that closes mid-frame, a silent peer, and a closed port', async () => {
    let port = await start(() => resp(0).subarray(0, 2), true);
    const closed = await fencePalisade(['-A', '127.0.0.1', '-p', String(port), '-o', 'status', '-n', 'g']);
    expect(closed.exitCode).toBe(1);
    expect(closed.stderr).toContain(`the daemon at 127.0.0.1:${port} closed the connection waiting for the response`);
    await peer!.close();
    port = await start(() => undefined);
    const silent = await fencePalisade(['-A', '127.0.0.1', '-p', String(port), '-o', 'status', '-n', 'g', '-t', '1']);
    expect(silent.stderr).toContain(`timed out after 1 s waiting for the response (127.0.0.1:${port}); no answer through the channel`);
    const free = await freePort();
    const refused = await fencePalisade(['-A', '127.0.0.1', '-p', String(free), '-o', 'status', '-n', 'g']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`cannot connect to the fence daemon at 127.0.0.1:${free}: connection refused; check that the guest has the guestfwd channel`);
  });
});
