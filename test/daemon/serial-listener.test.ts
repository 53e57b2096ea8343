// The serial / vmchannel listener with real peers. Nobody runs QEMU here,
// so the test plays its part: socat listens on the guest's unix socket (as
// QEMU's chardev does) and hands the other end to the real fence_virt
// through a pty (-D, serial mode) or a TCP port (-A/-p, vmchannel mode,
// as QEMU's guestfwd would). palisaded and the real fence_virtd run the
// same sequences and must agree. Raw-byte tests replace socat with a unix
// server in this process, to send exactly the bytes they want.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { FenceCommand, HOST_RECORD_SIZE } from '../../protocol/constants.js';
import { encodeSerialRequest } from '../../protocol/serial.js';
import { decodeHostRecord, isTerminator, type HostRecord } from '../../protocol/host-list.js';
import { ExactReader } from '../../core/exact-reader.js';
import {
  FENCE_VIRT_MODULES, ROOT, Workspace, fencePalisade, fenceVirt, freePort, startPalisaded, stopChild, type RunningDaemon, type RunResult,
} from '../helpers/fence-daemons.js';
import type { ChildProcess } from 'node:child_process';
import { parseConfig } from '../../daemon/config/parse.js';
import { planDaemon } from '../../daemon/daemon-config.js';
import { accessModel } from '../../daemon/runtime.js';
import type { Peer, Service } from '../../daemon/dispatch.js';
import type { FenceRequest } from '../../protocol/fence-req.js';

const FIXTURE = join(ROOT, 'test/fixtures/libvirt/serial-guests.xml');
const UUID = {
  guest1: '5a5e0001-0000-4000-8000-000000000001',
  guest2: '5a5e0001-0000-4000-8000-000000000002',
  guest3: '5a5e0001-0000-4000-8000-000000000003',
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

/** Writes the guests' XML with socket paths under `dir`; returns the test:/// URI. */
async function guestsUri(dir: string): Promise<string> {
  await mkdir(join(dir, 'other'), { recursive: true });
  const file = join(dir, 'guests.xml');
  await writeFile(file, readFileSync(FIXTURE, 'utf8').replaceAll('@DIR@', dir));
  return `test://${file}`;
}

interface SerialConfOptions {
  uri: string;
  dir: string;
  key: string;
  mode?: string;
  pollMs?: number;
  /** Adds a tcp listener on this port: `listener = "serial tcp"`. */
  tcpPort?: number;
  extra?: string;
}

/** fence_virtd reads it too: it ignores poll_ms, and insists that key_file exists even for serial. */
function serialConf(o: SerialConfOptions): string {
  return `fence_virtd {
	listener = "${o.tcpPort ? 'serial tcp' : 'serial'}";
	backend = "libvirt";
	module_path = "${FENCE_VIRT_MODULES}";
}
listeners {
	serial {
		uri = "${o.uri}";
		path = "${o.dir}";
		mode = "${o.mode ?? 'serial'}";
		key_file = "${o.key}";
${o.pollMs ? `\t\tpoll_ms = "${o.pollMs}";\n` : ''}	}
${o.tcpPort ? `\ttcp {\n\t\tkey_file = "${o.key}";\n\t\taddress = "127.0.0.1";\n\t\tport = "${o.tcpPort}";\n\t}\n` : ''}}
backends {
	libvirt {
		uri = "${o.uri}";
	}
}
${o.extra ?? ''}`;
}

/** What a test needs of a guest: QEMU's socket, and the real fence_virt inside. */
interface Guest {
  start(): Promise<void>;
  /** Resolves once a daemon is connected to the socket. */
  connected(): Promise<void>;
  /** fence_virt by default; fence_palisade takes the same flags. */
  run(op: string, domain?: string, client?: Client): Promise<RunResult>;
}

type Client = 'fence_virt' | 'fence_palisade';
const runClient = (client: Client, args: string[]): Promise<RunResult> => (client === 'fence_virt' ? fenceVirt(args) : fencePalisade(args));

/**
 * Serial mode: socat listens on the socket as QEMU's chardev does and
 * hands the other end to fence_virt -D as a pty.
 */
class SerialGuest implements Guest {
  readonly socket: string;
  readonly pty: string;
  #qemu: ChildProcess | undefined;

  constructor(private readonly ws: Workspace, socket: string) {
    this.socket = socket;
    this.pty = `${socket}.pty`;
  }

  /** Starts listening on the socket; the pty appears once a daemon connects. */
  async start(): Promise<void> {
    this.#qemu = this.ws.spawn('socat', [`UNIX-LISTEN:${this.socket}`, `PTY,link=${this.pty},raw,echo=0`]);
    await waitUntil(() => existsSync(this.socket), `socat listening on ${this.socket}`);
  }

  connected(): Promise<void> {
    return waitUntil(() => existsSync(this.pty), `a daemon connecting to ${this.socket}`);
  }

  /** Resolves when socat exits: its one connection was closed by the daemon. */
  async exited(): Promise<void> {
    const q = this.#qemu;
    if (q && q.exitCode === null && q.signalCode === null) await new Promise((r) => q.once('exit', r));
  }

  /** The socket goes away (QEMU exited). */
  async stop(): Promise<void> {
    if (this.#qemu) await stopChild(this.#qemu);
    await waitUntil(() => !existsSync(this.pty) && !existsSync(this.socket), `socat removing ${this.socket}`);
  }

  run(op: string, domain?: string, client: Client = 'fence_virt'): Promise<RunResult> {
    return runClient(client, ['-D', this.pty, '-t', '10', '-o', op, ...(domain ? ['-n', domain] : [])]);
  }
}

/**
 * Vmchannel mode as QEMU's guestfwd does it: the daemon's one connection to
 * the channel socket carries the bytes of each guest TCP connection in turn
 * (fence_virt -A 127.0.0.1 -p PORT). A pty in between would not do: a
 * forwarder that still holds it while the next client starts steals replies.
 */
class ChannelGuest implements Guest {
  readonly socket: string;
  #unix: Server | undefined;
  #tcp: Server | undefined;
  #port = 0;
  #daemon: Socket | undefined;
  #client: Socket | undefined;

  constructor(socket: string) {
    this.socket = socket;
  }

  async start(): Promise<void> {
    this.#unix = createServer((s) => {
      this.#daemon = s;
      s.on('data', (d) => this.#client?.write(d));
      s.on('error', () => {});
      s.once('close', () => { if (this.#daemon === s) this.#daemon = undefined; });
    });
    this.#tcp = createServer((c) => {
      this.#client?.destroy();
      this.#client = c;
      c.on('data', (d) => this.#daemon?.write(d));
      c.on('error', () => {});
      c.once('close', () => { if (this.#client === c) this.#client = undefined; });
    });
    await new Promise<void>((r) => this.#unix!.listen(this.socket, r));
    await new Promise<void>((r) => this.#tcp!.listen(0, '127.0.0.1', r));
    this.#port = (this.#tcp.address() as { port: number }).port;
  }

  connected(): Promise<void> {
    return waitUntil(() => this.#daemon !== undefined, `a daemon connecting to ${this.socket}`);
  }

  run(op: string, domain?: string, client: Client = 'fence_virt'): Promise<RunResult> {
    return runClient(client, ['-A', '127.0.0.1', '-p', String(this.#port), '-t', '10', '-o', op, ...(domain ? ['-n', domain] : [])]);
  }

  async close(): Promise<void> {
    this.#daemon?.destroy();
    this.#client?.destroy();
    await Promise.all([this.#unix, this.#tcp].map((s) => s && new Promise((r) => s.close(r))));
  }
}

/** fence_virtd has no "ready" line for serial: wait until it has connected to every device. */
async function startFenceVirtd(ws: Workspace, conf: string, devices: readonly Guest[]): Promise<ChildProcess> {
  const file = await ws.file(`fence_virtd-${randomInt(1e9)}.conf`, conf);
  const child = ws.spawn('/usr/sbin/fence_virtd', ['-F', '-f', file, '-p', ws.path(`fence_virtd-${randomInt(1e9)}.pid`)]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    for (const d of devices) await d.connected();
  } catch (e) {
    throw new Error(`${(e as Error).message}; fence_virtd (exit ${child.exitCode}) said: ${out}`);
  }
  return child;
}

/** The sequence both daemons must answer alike; guest1 is the guest asking, so it is not turned off. */
const SEQUENCE: Array<[string, string | undefined]> = [
  ['list', undefined], ['status', 'guest2'], ['off', 'guest2'], ['status', 'guest2'], ['off', 'guest2'], ['on', 'guest2'],
  ['on', 'guest2'], ['status', 'guest2'], ['reboot', 'guest2'], ['status', 'guest2'], ['status', 'guest4'], ['reboot', 'guest4'],
  ['on', 'guest4'], ['status', 'guest4'], ['list', undefined], ['monitor', undefined], ['null', 'guest2'],
  ['status', 'nosuchvm'], ['off', 'nosuchvm'], ['on', 'nosuchvm'], ['reboot', 'nosuchvm'],
  ['status', UUID.guest3], ['off', UUID.guest3], ['status', 'guest3'], ['status', 'GUEST3'], ['status', 'guest1'],
];

describe.each(['serial', 'vmchannel'] as const)('fence_virt (C) over %s: palisaded and fence_virtd agree', (mode) => {
  let ws: Workspace;
  const devices: { palisaded?: Guest; fenceVirtd?: Guest } = {};
  const channels: ChannelGuest[] = [];

  beforeAll(async () => {
    ws = await Workspace.create();
    const key = await ws.key();
    const file = mode === 'serial' ? 'guest1.sock' : 'guest1.chan';
    for (const who of ['palisaded', 'fenceVirtd'] as const) {
      const dir = ws.path(who);
      const uri = await guestsUri(dir);
      const device = mode === 'serial' ? new SerialGuest(ws, join(dir, file)) : new ChannelGuest(join(dir, file));
      if (device instanceof ChannelGuest) channels.push(device);
      await device.start();
      devices[who] = device;
      const conf = serialConf({ uri, dir, key, mode });
      if (who === 'palisaded') await startPalisaded(ws, conf);
      else await startFenceVirtd(ws, conf, [device]);
      await device.connected();
    }
  });
  afterAll(async () => {
    await ws?.stop();
    await Promise.all(channels.map((c) => c.close()));
  });

  it('gives the same exit code and output for every operation', async () => {
    for (const [op, dom] of SEQUENCE) {
      const ours = await devices.palisaded!.run(op, dom);
      const theirs = await devices.fenceVirtd!.run(op, dom);
      expect({ op, dom, code: ours.exitCode }).toEqual({ op, dom, code: theirs.exitCode });
      expect(ours.stdout, `${op} ${dom}`).toBe(theirs.stdout);
    }
  });
});

// fence_virt 4.12.1 prints "Operation failed" on stdout; we print messages
// on stderr. The data lines (list records, Status:) must be identical.
const dataLines = (r: RunResult) => r.stdout.split('\n').filter((l) => l.startsWith('Status: ') || / (on|off)$/.test(l)).join('\n');

describe.each(['serial', 'vmchannel'] as const)('fence_palisade over %s against the real fence_virtd', (mode) => {
  let ws: Workspace;
  const devices: Guest[] = [];
  const channels: ChannelGuest[] = [];

  beforeAll(async () => {
    ws = await Workspace.create();
    const key = await ws.key();
    const file = mode === 'serial' ? 'guest1.sock' : 'guest1.chan';
    // Two identical fence_virtd: one driven by the C client, one by ours.
    for (const who of ['c', 'ours']) {
      const dir = ws.path(who);
      const uri = await guestsUri(dir);
      const device = mode === 'serial' ? new SerialGuest(ws, join(dir, file)) : new ChannelGuest(join(dir, file));
      if (device instanceof ChannelGuest) channels.push(device);
      await device.start();
      devices.push(device);
      await startFenceVirtd(ws, serialConf({ uri, dir, key, mode }), [device]);
    }
  });
  afterAll(async () => {
    await ws?.stop();
    await Promise.all(channels.map((c) => c.close()));
  });

  it('gives fence_virt\'s exit code and data for every operation', async () => {
    const [c, ours] = devices;
    for (const [op, dom] of SEQUENCE) {
      const theirs = await c!.run(op, dom, 'fence_virt');
      const mine = await ours!.run(op, dom, 'fence_palisade');
      expect({ op, dom, code: mine.exitCode }, mine.stderr).toEqual({ op, dom, code: theirs.exitCode });
      expect(dataLines(mine), `${op} ${dom}`).toBe(dataLines(theirs));
      expect(mine.stdout.trim(), 'stdout holds data only').toBe(dataLines(mine));
    }
  });
});

describe('groups ACL: the serial source is the guest\'s UUID', () => {
  let ws: Workspace;
  const devices: SerialGuest[] = [];
  // guest1 may act on itself (by UUID) and on guest2 by name only, as fence_virtd's uuid entries work.
  const groups = `groups {\n\tgroup {\n\t\tname = "g1";\n\t\tuuid = "${UUID.guest1}";\n\t\tuuid = "guest2";\n\t}\n}\n`;

  beforeAll(async () => {
    ws = await Workspace.create();
    const key = await ws.key();
    for (const who of ['palisaded', 'fenceVirtd'] as const) {
      const dir = ws.path(who);
      const uri = await guestsUri(dir);
      const device = new SerialGuest(ws, join(dir, 'guest1.sock'));
      await device.start();
      devices.push(device);
      const conf = serialConf({ uri, dir, key, extra: groups });
      if (who === 'palisaded') await startPalisaded(ws, conf);
      else await startFenceVirtd(ws, conf, [device]);
      await device.connected();
    }
  });
  afterAll(async () => { await ws?.stop(); });

  it('allows and denies as fence_virtd does', async () => {
    const ops: Array<[string, string | undefined]> = [
      ['list', undefined], ['status', 'guest2'], ['status', UUID.guest2], ['status', 'guest3'], ['off', 'guest3'],
      ['status', UUID.guest1], ['status', 'guest1'], ['reboot', 'guest2'],
    ];
    const [ours, theirs] = devices;
    const results: Array<[string, number]> = [];
    for (const [op, dom] of ops) {
      const a = await ours!.run(op, dom);
      const b = await theirs!.run(op, dom);
      expect({ op, dom, code: a.exitCode }).toEqual({ op, dom, code: b.exitCode });
      expect(a.stdout, `${op} ${dom}`).toBe(b.stdout);
      results.push([`${op} ${dom ?? ''}`.trim(), a.exitCode]);
    }
    // And the denials are really there: guest3 is out of reach, guest2 by UUID is not listed.
    expect(results).toContainEqual(['off guest3', 3]); // fence_virt exits 3 on "Permission denied"
    expect(results).toContainEqual(['status guest2', 0]);
    const list = await ours!.run('list');
    expect(list.stdout).toMatch(/^guest1 +5a5e0001-0000-4000-8000-000000000001 on$/m);
    expect(list.stdout).toMatch(/^guest2 +/m);
    expect(list.stdout).not.toMatch(/guest3/);
  });
});

describe('sockets and domains that come and go', () => {
  let ws: Workspace;
  let d: RunningDaemon;
  let key: string;
  let tcpPort: number;
  let guest1: SerialGuest;
  const connects = /connected to domain guest1 \(5a5e0001-0000-4000-8000-000000000001\) via \S+guest1\.sock/;

  beforeAll(async () => {
    ws = await Workspace.create();
    key = await ws.key();
    tcpPort = await freePort();
    const uri = await guestsUri(ws.dir);
    guest1 = new SerialGuest(ws, ws.path('guest1.sock'));
    // No socket yet: the daemon starts anyway and keeps looking.
    d = await startPalisaded(ws, serialConf({ uri, dir: ws.dir, key, pollMs: 200, tcpPort }));
  });
  afterAll(async () => { await ws?.stop(); });

  const overTcp = (op: string, dom: string) => fenceVirt(['-T', '127.0.0.1', '-p', String(tcpPort), '-k', key, '-o', op, '-n', dom]);

  it('connects to a socket that appears after start', async () => {
    await d.waitFor(/cannot connect to \S+guest1\.sock of domain guest1 \(5a5e0001-0000-4000-8000-000000000001\): ENOENT/);
    await guest1.start();
    await d.waitFor(connects);
    await guest1.connected();
    const r = await guest1.run('status', 'guest2');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Status: ON');
  });

  it('reconnects when the socket goes away and comes back', async () => {
    await guest1.stop();
    await waitUntil(() => count(d.output(), /guest side closed the socket; reconnecting/) >= 1, 'the daemon noticing the closed socket');
    await guest1.start();
    await waitUntil(() => count(d.output(), connects) >= 2, 'a second connection');
    await guest1.connected();
    expect((await guest1.run('status', 'guest3')).exitCode).toBe(0);
  });

  it('closes the channel when the domain stops, and reconnects when it runs again', async () => {
    expect((await overTcp('off', 'guest1')).exitCode).toBe(0);
    await d.waitFor(/domain guest1 \(\S+guest1\.sock\): domain stopped or no longer uses this socket; closing/);
    await guest1.exited(); // socat's only connection was closed by the daemon
    await guest1.start();
    expect((await overTcp('on', 'guest1')).exitCode).toBe(0);
    await waitUntil(() => count(d.output(), connects) >= 3, 'the connection after the domain started again');
    await guest1.connected();
    expect((await guest1.run('status', 'guest1')).exitCode).toBe(0);
  });

  it('a socket file removed under a live channel: the channel keeps serving, then the missing socket is reported and a new one used', async () => {
    const missing = /cannot connect to \S+guest1\.sock of domain guest1 \(5a5e0001-0000-4000-8000-000000000001\): ENOENT/;
    const missingBefore = count(d.output(), missing);
    const connectsBefore = count(d.output(), connects);
    await rm(guest1.socket);
    // The connection outlives its path, as QEMU's does.
    expect((await guest1.run('status', 'guest2')).exitCode).toBe(0);
    await guest1.stop();
    await waitUntil(() => count(d.output(), missing) > missingBefore, 'the daemon reporting the socket gone');
    expect((await overTcp('status', 'guest1')).exitCode).toBe(0);
    await guest1.start();
    await waitUntil(() => count(d.output(), connects) > connectsBefore, 'a connection to the new socket');
    await guest1.connected();
    expect((await guest1.run('status', 'guest3')).exitCode).toBe(0);
    expect(d.child.exitCode).toBeNull();
  });
});

/** A QEMU-side socket served by this process, to send raw bytes to the daemon's connection. */
class RawGuest {
  readonly #server: Server;
  readonly #accepted: RawPeer[] = [];

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (s) => { this.#accepted.push(new RawPeer(s)); });
  }

  static listen(path: string): Promise<RawGuest> {
    return new Promise((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true });
      server.once('error', reject);
      server.listen(path, () => resolve(new RawGuest(server)));
    });
  }

  get connections(): number {
    return this.#accepted.length;
  }

  /** The n-th connection the daemon made (1-based), once it exists. */
  async connection(n: number): Promise<RawPeer> {
    await waitUntil(() => this.#accepted.length >= n, `daemon connection #${n}`);
    return this.#accepted[n - 1]!;
  }

  /** The daemon's latest connection. */
  latest(): Promise<RawPeer> {
    return this.connection(Math.max(1, this.#accepted.length));
  }

  close(): Promise<void> {
    for (const p of this.#accepted) p.sock.destroy();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

class RawPeer {
  readonly sock: Socket;
  #reader: ExactReader | undefined;
  constructor(sock: Socket) { this.sock = sock; }

  write(...frames: Uint8Array[]): void {
    this.sock.write(Buffer.concat(frames));
  }

  /** From now on nothing is read: the daemon's replies pile up in the socket buffers. */
  stopReading(): void {
    this.sock.pause();
  }

  /** Reading starts only when asked (the server pauses new connections), so a peer that never asks never reads. */
  read(n: number): Promise<Uint8Array> {
    if (!this.#reader) {
      this.#reader = new ExactReader(this.sock, 'daemon');
      this.sock.resume();
    }
    return this.#reader.read(n, 'result', 15_000);
  }

  async response(): Promise<string> {
    return Buffer.from(await this.read(5)).toString('hex');
  }

  async hostList(): Promise<HostRecord[]> {
    expect(await this.response()).toBe('61626261fd');
    const out: HostRecord[] = [];
    for (;;) {
      const r = decodeHostRecord(await this.read(HOST_RECORD_SIZE));
      if (isTerminator(r)) break;
      out.push(r);
    }
    expect(await this.response()).toBe('6162626100');
    return out;
  }
}

let seq = randomInt(1, 1e9);
const frame = (request: number, domain = '') => encodeSerialRequest({ request, flags: 0, domain, seqno: seq++ });
const STATUS_ON = '6162626100';
const STATUS_OFF = '6162626102';

describe('bad input on the guest side', () => {
  let ws: Workspace;
  let d: RunningDaemon;
  let guest1: RawGuest;
  let guest3: RawGuest;

  beforeAll(async () => {
    ws = await Workspace.create();
    const uri = await guestsUri(ws.dir);
    guest1 = await RawGuest.listen(ws.path('guest1.sock'));
    guest3 = await RawGuest.listen(ws.path('guest3.sock'));
    // guest4 is shut off and other/guest3.sock is outside `path`: neither may be touched.
    d = await startPalisaded(ws, serialConf({ uri, dir: ws.dir, key: await ws.key(), pollMs: 200 }));
  });
  afterAll(async () => {
    await guest1?.close();
    await guest3?.close();
    await ws?.stop();
  });

  it('serves each running guest\'s socket in `path`, and only those', async () => {
    const p1 = await guest1.connection(1);
    const p3 = await guest3.connection(1);
    p1.write(frame(FenceCommand.STATUS, 'guest2'));
    p3.write(frame(FenceCommand.STATUS, 'guest4'));
    expect(await p1.response()).toBe(STATUS_ON);
    expect(await p3.response()).toBe(STATUS_OFF);
    expect(d.output()).not.toMatch(/guest4\.sock|other\/guest3\.sock/);
  });

  it('answers list with the framed host list', async () => {
    const p1 = await guest1.latest();
    p1.write(frame(FenceCommand.HOSTLIST));
    const hosts = await p1.hostList();
    expect(hosts.map((h) => [h.domain, h.uuid, h.state])).toEqual([
      ['guest1', UUID.guest1, 1], ['guest2', UUID.guest2, 1], ['guest3', UUID.guest3, 1], ['guest4', '5a5e0001-0000-4000-8000-000000000004', 5],
    ]);
  });

  it('drops half a frame after a silence, and answers the next full frame; another guest is not held up', async () => {
    const p1 = await guest1.latest();
    const p3 = await guest3.latest();
    const before = count(d.output(), /discarded 30 bytes of an incomplete request/);
    p1.write(frame(FenceCommand.STATUS, 'guest2').subarray(0, 30));
    p3.write(frame(FenceCommand.STATUS, 'guest2'));
    expect(await p3.response()).toBe(STATUS_ON);
    await waitUntil(() => count(d.output(), /discarded 30 bytes of an incomplete request/) > before, 'the partial frame being discarded');
    p1.write(frame(FenceCommand.STATUS, 'nosuchvm'));
    expect(await p1.response()).toBe(STATUS_OFF);
  });

  it('skips garbage up to the magic, and logs it once per connection', async () => {
    const p3 = await guest3.latest();
    p3.write(Buffer.from('login: \r\n\x00\xff', 'latin1'), frame(FenceCommand.STATUS, 'guest2'));
    expect(await p3.response()).toBe(STATUS_ON);
    p3.write(Buffer.from('ab'), frame(FenceCommand.STATUS, 'nosuchvm'));
    expect(await p3.response()).toBe(STATUS_OFF);
    expect(count(d.output(), /skipped \d+ bytes that are not a serial request/)).toBe(1);
    expect(d.output()).toMatch(/skipped 11 bytes that are not a serial request/);
  });

  it('sends nothing for a duplicate, as fence_virtd', async () => {
    const p3 = await guest3.latest();
    const dup = frame(FenceCommand.STATUS, 'guest2');
    p3.write(dup, dup, frame(FenceCommand.STATUS, 'nosuchvm'));
    expect(await p3.response()).toBe(STATUS_ON);
    // Had the duplicate been answered, this would be its "on".
    expect(await p3.response()).toBe(STATUS_OFF);
  });

  it('closes the channel of a guest that never reads, without holding up another, and reconnects', async () => {
    const n = guest1.connections;
    const p1 = await guest1.connection(n);
    p1.stopReading();
    const p3 = await guest3.latest();
    // Host lists, paced under the queue limit, until the socket buffers are full and a reply cannot be written.
    const stalled = () => /did not take a reply within \d+ ms; closing the channel/.test(d.output());
    let answeredMeanwhile = 0;
    for (let i = 0; !stalled() && i < 3_000; i++) {
      if (!p1.sock.destroyed) p1.write(...Array.from({ length: 8 }, () => frame(FenceCommand.HOSTLIST)));
      if (i % 50 === 49) {
        p3.write(frame(FenceCommand.STATUS, 'guest2'));
        expect(await p3.response()).toBe(STATUS_ON);
        answeredMeanwhile++;
      }
      await sleep(10);
    }
    expect(stalled()).toBe(true);
    expect(answeredMeanwhile).toBeGreaterThan(0);
    const again = await guest1.connection(n + 1);
    again.write(frame(FenceCommand.STATUS, 'guest2'));
    expect(await again.response()).toBe(STATUS_ON);
  });

  it('on SIGHUP closes its channels and serves the guests again through new ones', async () => {
    const old = await guest3.latest();
    const n = guest3.connections;
    const closed = new Promise((r) => old.sock.once('close', r));
    old.sock.resume();
    d.child.kill('SIGHUP');
    await d.waitFor(/reload complete/);
    await closed;
    const fresh = await guest3.connection(n + 1);
    fresh.write(frame(FenceCommand.STATUS, 'guest2'));
    expect(await fresh.response()).toBe(STATUS_ON);
  });

  it('on SIGTERM closes every channel and exits 0', async () => {
    const peers = [await guest1.latest(), await guest3.latest()];
    const closed = peers.map((p) => new Promise((r) => { p.sock.resume(); p.sock.once('close', r); }));
    // A partial frame in progress must not hold the shutdown.
    peers[0]!.write(frame(FenceCommand.STATUS, 'guest2').subarray(0, 20));
    expect(await stopChild(d.child)).toBe(0);
    await Promise.all(closed);
  });
});

describe('in process: what the listener hands to the Service', () => {
  let ws: Workspace;
  let guest1: RawGuest | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await guest1?.close();
    await ws?.stop();
  });

  it('a request with hash type none, and a Peer whose source is the UUID and whose scope is the listener group', async () => {
    ws = await Workspace.create();
    const uri = await guestsUri(ws.dir);
    guest1 = await RawGuest.listen(ws.path('guest1.sock'));
    const plan = planDaemon(parseConfig(`fence_virtd { listener = "serial"; backend = "libvirt"; }
listeners { serial { uri = "${uri}"; path = "${ws.dir}"; group = "scoped"; poll_ms = "100"; } }
backends { libvirt { uri = "${uri}"; } }
groups { group { name = "scoped"; uuid = "guest2"; } }
`, ws.path('inline.conf')));
    const log = () => {};
    const backend = await plan.backends[0]!.spec.create(plan.backends[0]!.section, { log });
    closers.push(() => backend.close());
    const listener = await plan.listeners[0]!.spec.create(plan.listeners[0]!.section, {
      log, name: 'serial', backends: [{ name: 'libvirt', backend }], clusters: accessModel(plan).clusters,
    });
    closers.push(() => listener.close());
    expect(listener.description).toBe(`serial (serial) via libvirt ${uri}, path ${ws.dir}`);

    const seen: Array<{ req: FenceRequest; peer: Peer }> = [];
    const service: Service = {
      handle: async (req, peer) => { seen.push({ req, peer }); return { kind: 'result', result: 0 }; },
      owns: async () => true,
    };
    await listener.start(service);
    const p = await guest1.connection(1);
    p.write(encodeSerialRequest({ request: FenceCommand.REBOOT, flags: 0, domain: 'guest2', seqno: 4242 }));
    expect(await p.response()).toBe('6162626100');
    expect(seen).toHaveLength(1);
    const { req, peer } = seen[0]!;
    expect({ request: req.request, domain: req.domain, seqno: req.seqno, hashType: req.hashType })
      .toEqual({ request: FenceCommand.REBOOT, domain: 'guest2', seqno: 4242, hashType: 0 });
    expect({ listener: peer.listener, source: peer.source, address: peer.address, scope: peer.scope?.name })
      .toEqual({ listener: 'serial', source: UUID.guest1, address: `domain guest1 (${ws.path('guest1.sock')})`, scope: 'scoped' });

    const closed = new Promise((r) => p.sock.once('close', r));
    await listener.close();
    await closed;
  });
});
