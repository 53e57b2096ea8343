// palisaded's multicast listener (fence_xvm's transport) on loopback: an
// in-process fence_xvm (test/helpers/mcast-client.ts) sends by unicast UDP
// or to the group over lo, and takes the TCP callback. The real fence_xvm
// runs in the network-namespace tests.
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FenceCommand, HashType, Result } from '../../protocol/constants.js';
import { readConfigFile } from '../../daemon/config/parse.js';
import { section } from '../../daemon/config/access.js';
import { ConfigError, PalisadeError } from '../../daemon/errors.js';
import { MAX_CALLBACKS, multicastListener } from '../../daemon/listeners/multicast/index.js';
import { callbackTarget } from '../../daemon/listeners/multicast/callback.js';
import { warnLimiter } from '../../daemon/listeners/_warn-limiter.js';
import { encodeRequest, makeRequest, signRequest } from '../../protocol/fence-req.js';
import type { Listener } from '../../daemon/listeners/types.js';
import type { Service } from '../../daemon/dispatch.js';
import { ROOT, Workspace, startPalisaded, type RunningDaemon } from '../helpers/fence-daemons.js';
import {
  freeUdpPort, mcastExchange, mcastRequest, multicastConf, requestBytes, startFenceVirtdMulticast, type McastOptions,
} from '../helpers/mcast-client.js';
import { hostileRequests } from '../hostile.js';

const sendUdp = (port: number, bytes: Uint8Array, host = '127.0.0.1') => new Promise<void>((res) => {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.send(bytes, port, host, () => { s.close(); res(); });
});

describe('multicast listener, legacy sha256', () => {
  let ws: Workspace;
  let key: Uint8Array;
  let port: number;
  let daemon: RunningDaemon;
  const ask = (o: Omit<McastOptions, 'port' | 'key'>) => mcastExchange({ port, key, ...o });

  beforeAll(async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    key = new Uint8Array(await readFile(keyFile));
    port = await freeUdpPort();
    daemon = await startPalisaded(ws, multicastConf({ port, keyFile }), ['-d', '1']);
  });
  afterAll(async () => { await ws?.stop(); });

  it('describes itself with group, port and interface', () => {
    expect(daemon.output()).toContain(`listening: multicast 225.0.0.12:${port} on lo`);
  });

  it('answers status, off, on, reboot and list through the callback', async () => {
    const status = async (domain: string) => (await ask({ request: FenceCommand.STATUS, domain })).result;
    expect(await status('web1')).toBe(Result.SUCCESS);
    const off = await ask({ request: FenceCommand.OFF, domain: 'web1' });
    expect(off).toMatchObject({ callbacks: 1, result: Result.SUCCESS, serverAuthOk: true });
    expect(await status('web1')).toBe(Result.OFF);
    expect((await ask({ request: FenceCommand.ON, domain: 'web1' })).result).toBe(Result.SUCCESS);
    expect(await status('web1')).toBe(Result.SUCCESS);
    expect((await ask({ request: FenceCommand.REBOOT, domain: 'web2' })).result).toBe(Result.SUCCESS);
    expect(await status('web2')).toBe(Result.SUCCESS);
    const list = await ask({ request: FenceCommand.HOSTLIST });
    expect(list.result).toBe(Result.SUCCESS);
    expect(list.hosts?.map((h) => h.domain)).toEqual(['db1', 'web1', 'web2']);
    expect(list.hosts?.every((h) => h.state === 1)).toBe(true);
  });

  it('answers a request sent to the group over lo, as fence_xvm sends it', async () => {
    const r = await ask({ request: FenceCommand.STATUS, domain: 'db1', group: '225.0.0.12' });
    expect(r).toMatchObject({ callbacks: 1, result: Result.SUCCESS });
  });

  it('does not call back for a domain it does not have', async () => {
    const r = await ask({ request: FenceCommand.STATUS, domain: 'nosuchvm', waitMs: 3_000 });
    expect(r.callbacks).toBe(0);
    await daemon.waitFor(/'nosuchvm'.*not ours/);
  });

  it('ignores a request signed with another key, and logs why', async () => {
    const r = await ask({ request: FenceCommand.STATUS, domain: 'web1', signKey: new Uint8Array(256).fill(7), waitMs: 3_000 });
    expect(r.callbacks).toBe(0);
    await daemon.waitFor(/key mismatch\); dropping packet/);
  });

  it('refuses a hash below the minimum without calling back', async () => {
    const r = await ask({ request: FenceCommand.STATUS, domain: 'web1', hash: HashType.SHA1, waitMs: 3_000 });
    expect(r.callbacks).toBe(0);
    await daemon.waitFor(/hash type 1 is weaker than the configured minimum 2/);
  });

  it('keeps serving after short, long, malformed and hostile datagrams', async () => {
    await sendUdp(port, new Uint8Array(0));
    await sendUdp(port, new Uint8Array(12));
    await sendUdp(port, new Uint8Array(175));
    await sendUdp(port, new Uint8Array(177));
    await sendUdp(port, new Uint8Array(4000).fill(0xff));
    for (const [, bytes] of hostileRequests) await sendUdp(port, bytes);
    // One warning per kind and source per 10 s: the first one is logged.
    await daemon.waitFor(/0-byte datagram; a request is 176 bytes; dropping packet/);
    await daemon.waitFor(/malformed request: hashtype \(offset 1\): unknown hash type 4; dropping packet/);
    expect((await ask({ request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
  });

  it('drops a request whose family names no callback address', async () => {
    // A tcp-style request (family 0), correctly signed.
    const req = signRequest(makeRequest({ request: FenceCommand.STATUS, domain: 'web1', seqno: 42, hashType: HashType.SHA256 }), key, new Uint8Array(6));
    await sendUdp(port, encodeRequest(req));
    await daemon.waitFor(/family 0 is neither 2 \(IPv4\) nor 10 \(IPv6\)/);
    expect((await ask({ request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
  });

  it('a refused callback does not stop the next request, and its retransmission is served', async () => {
    const refused = await ask({ request: FenceCommand.STATUS, domain: 'web1', seqno: 777_001, misbehave: 'never-accept', waitMs: 2_000 });
    expect(refused.callbacks).toBe(0);
    await daemon.waitFor(/seqno 777001.*ECONNREFUSED/);
    // Same op, seqno and domain: not recorded after the failed callback, so served now.
    const again = await ask({ request: FenceCommand.STATUS, domain: 'web1', seqno: 777_001 });
    expect(again).toMatchObject({ callbacks: 1, result: Result.SUCCESS });
  });

  it('serves others while a callback peer stays silent', async () => {
    // The others are asked once the silent peer holds its callback, and answered before it ends.
    let calledBack!: () => void;
    const held = new Promise<void>((r) => { calledBack = r; });
    let silentEnded = false;
    const silent = ask({ request: FenceCommand.STATUS, domain: 'web1', misbehave: 'silent', waitMs: 12_000, onCallback: calledBack })
      .finally(() => { silentEnded = true; });
    await held;
    for (const domain of ['web1', 'web2', 'db1']) {
      expect((await ask({ request: FenceCommand.STATUS, domain })).result).toBe(Result.SUCCESS);
    }
    expect(silentEnded).toBe(false);
    const s = await silent;
    expect(s.callbacks).toBe(1);
  });

  it.each(['garbage', 'close-early', 'half-close'] as const)('keeps serving after a callback peer that sends %s', async (misbehave) => {
    const bad = await ask({ request: FenceCommand.STATUS, domain: 'web2', misbehave, waitMs: 3_000 });
    expect(bad.callbacks).toBe(1);
    expect((await ask({ request: FenceCommand.STATUS, domain: 'web2' })).result).toBe(Result.SUCCESS);
  });

  it('calls back once for a request retransmitted while its callback is in flight', async () => {
    const r = await ask({
      request: FenceCommand.STATUS, domain: 'db1', sends: 4, resendMs: 250, holdMs: 1_500, lingerMs: 1_000,
    });
    expect(r).toMatchObject({ callbacks: 1, result: Result.SUCCESS });
    await daemon.waitFor(/status 'db1' \(seqno \d+\).*retransmission or duplicate/);
  });

  it('a silent callback address does not starve a copy of the request sent from another address', async () => {
    // fence_xvm sends each round from every local address, same seqno: one
    // unreachable address must not block the others.
    let calledBack!: () => void;
    const held = new Promise<void>((r) => { calledBack = r; });
    let silentEnded = false;
    const silent = ask({ request: FenceCommand.STATUS, domain: 'web2', seqno: 777_003, misbehave: 'silent', waitMs: 12_000, onCallback: calledBack })
      .finally(() => { silentEnded = true; });
    await held;
    const other = await ask({ request: FenceCommand.STATUS, domain: 'web2', seqno: 777_003 });
    expect(other).toMatchObject({ callbacks: 1, result: Result.SUCCESS });
    expect(silentEnded).toBe(false);
    expect((await silent).callbacks).toBe(1);
  });

  it('drops a retransmission of a request it answered', async () => {
    const first = await ask({ request: FenceCommand.STATUS, domain: 'web1', seqno: 777_002 });
    expect(first.result).toBe(Result.SUCCESS);
    const again = await ask({ request: FenceCommand.STATUS, domain: 'WEB1', seqno: 777_002, waitMs: 2_000 });
    expect(again.callbacks).toBe(0);
    // It arrived and was recognised, not lost.
    await daemon.waitFor(/status 'WEB1' \(seqno 777002\).*retransmission or duplicate/);
  });
});

describe('multicast listener, IPv6', () => {
  let ws: Workspace;
  let key: Uint8Array;
  let port: number;

  beforeAll(async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    key = new Uint8Array(await readFile(keyFile));
    port = await freeUdpPort('udp6');
    const d = await startPalisaded(ws, multicastConf({ port, keyFile, family: 'ipv6' }));
    expect(d.output()).toContain(`listening: multicast [ff05::3:1]:${port} on lo`);
  });
  afterAll(async () => { await ws?.stop(); });

  it('serves a family-10 request and calls back to ::1', async () => {
    const r = await mcastExchange({ port, key, host: '::1', request: FenceCommand.STATUS, domain: 'web1' });
    expect(r).toMatchObject({ callbacks: 1, result: Result.SUCCESS });
  });
});

describe('several hypervisors on one group', () => {
  let ws: Workspace;
  let key: Uint8Array;
  let port: number;
  let a: RunningDaemon;
  let b: RunningDaemon;
  const hv = (name: string) => `test://${join(ROOT, 'test/fixtures/libvirt', name)}`;

  beforeAll(async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    key = new Uint8Array(await readFile(keyFile));
    port = await freeUdpPort();
    // Same group and port, as two hosts on one bridge; each joins on lo.
    a = await startPalisaded(ws, multicastConf({ port, keyFile, uri: hv('hv-a.xml') }), ['-d', '1']);
    b = await startPalisaded(ws, multicastConf({ port, keyFile, uri: hv('hv-b.xml') }), ['-d', '1']);
  });
  afterAll(async () => { await ws?.stop(); });

  it('only the host that has the domain calls back', async () => {
    const ask = (domain: string) => mcastExchange({ port, key, group: '225.0.0.12', request: FenceCommand.STATUS, domain, lingerMs: 1_500 });
    // The other host saw each request and chose silence: its log says so.
    expect(await ask('a-run')).toMatchObject({ callbacks: 1, result: Result.SUCCESS });
    await b.waitFor(/status 'a-run' .*not ours/);
    expect(await ask('b-off')).toMatchObject({ callbacks: 1, result: Result.OFF });
    await a.waitFor(/status 'b-off' .*not ours/);
    expect((await mcastExchange({ port, key, group: '225.0.0.12', request: FenceCommand.STATUS, domain: 'nowhere', waitMs: 3_000 })).callbacks).toBe(0);
    await a.waitFor(/status 'nowhere' .*not ours/);
    await b.waitFor(/status 'nowhere' .*not ours/);
  });

  it('each host lists its own domains', async () => {
    const r = await mcastExchange({ port, key, group: '225.0.0.12', request: FenceCommand.HOSTLIST, lingerMs: 1_500 });
    // Both have domains to show, so both call back, as fence_virtd hosts do;
    // the client takes the first, whose list is its own.
    expect(r).toMatchObject({ callbacks: 2, result: Result.SUCCESS });
    const names = r.hosts?.map((h) => h.domain) ?? [];
    expect([['a-off', 'a-run', 'Dup'], ['b-off', 'B-run']]).toContainEqual(names);
  });
});

describe('groups ACL on the multicast listener', () => {
  let ws: Workspace;
  let key: Uint8Array;
  let port: number;

  beforeAll(async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    key = new Uint8Array(await readFile(keyFile));
    port = await freeUdpPort();
    await startPalisaded(ws, multicastConf({
      port, keyFile, extra: 'groups {\n\tgroup {\n\t\tname = "g";\n\t\tip = "127.0.0.1";\n\t\tuuid = "web1";\n\t}\n}\n',
    }));
  });
  afterAll(async () => { await ws?.stop(); });

  it('takes the callback address as the source', async () => {
    expect((await mcastExchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
    expect((await mcastExchange({ port, key, request: FenceCommand.STATUS, domain: 'web2' })).result).toBe(Result.PERM);
    const list = await mcastExchange({ port, key, request: FenceCommand.HOSTLIST });
    expect(list.hosts?.map((h) => h.domain)).toEqual(['web1']);
  });
});

describe('same answers as the real fence_virtd multicast listener', () => {
  let ws: Workspace;
  let key: Uint8Array;
  const ports = { palisaded: 0, fenceVirtd: 0 };

  beforeAll(async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    key = new Uint8Array(await readFile(keyFile));
    ports.palisaded = await freeUdpPort();
    ports.fenceVirtd = await freeUdpPort();
    await startPalisaded(ws, multicastConf({ port: ports.palisaded, keyFile }));
    await startFenceVirtdMulticast(ws, multicastConf({ port: ports.fenceVirtd, keyFile }), ports.fenceVirtd);
  });
  afterAll(async () => { await ws?.stop(); });

  const SEQUENCE: Array<[number, string]> = [
    [FenceCommand.HOSTLIST, ''], [FenceCommand.STATUS, 'web1'], [FenceCommand.OFF, 'web1'], [FenceCommand.STATUS, 'web1'],
    [FenceCommand.OFF, 'web1'], [FenceCommand.ON, 'web1'], [FenceCommand.STATUS, 'web1'], [FenceCommand.REBOOT, 'web2'],
    [FenceCommand.STATUS, 'web2'], [FenceCommand.STATUS, '6695eb01-f6a4-8304-79aa-97f2502e1003'],
    [FenceCommand.OFF, '6695eb01-f6a4-8304-79aa-97f2502e1003'], [FenceCommand.STATUS, 'db1'], [FenceCommand.ON, 'db1'],
    [FenceCommand.HOSTLIST, ''],
  ];

  it('gives the same result for every operation', async () => {
    for (const [request, domain] of SEQUENCE) {
      const ours = await mcastExchange({ port: ports.palisaded, key, request, domain });
      const theirs = await mcastExchange({ port: ports.fenceVirtd, key, request, domain });
      const view = (r: typeof ours) => ({ request, domain, callbacks: r.callbacks, result: r.result, hosts: r.hosts?.map((h) => [h.domain, h.uuid, h.state]) });
      expect(view(ours)).toEqual(view(theirs));
      expect(ours.result).toBeDefined();
    }
  });

  it.each([
    [FenceCommand.STATUS, 'nosuchvm', Result.OFF], [FenceCommand.OFF, 'nosuchvm', Result.FAIL], [FenceCommand.ON, 'DB1', Result.FAIL],
  ])('differs on purpose for a domain it does not have (%i %s): fence_virtd answers, palisaded stays silent', async (request, domain, answer) => {
    const theirs = await mcastExchange({ port: ports.fenceVirtd, key, request, domain });
    expect(theirs.result).toBe(answer);
    const ours = await mcastExchange({ port: ports.palisaded, key, request, domain, waitMs: 3_000 });
    expect(ours.callbacks).toBe(0);
  });
});

describe('multicast listener options and start-up', () => {
  let ws: Workspace;
  let keyFile: string;
  const started: Listener[] = [];
  const warnings: string[] = [];
  const ctx = (name = 'multicast') => ({
    log: (level: string, m: string) => { if (level === 'warn') warnings.push(m); },
    name, backends: [], clusters: new Map(),
  });
  const create = async (block: string) => {
    const file = await ws.file('m.conf', `listeners {\n\tmulticast {\n\t\tkey_file = "${keyFile}";\n${block}\t}\n}\n`);
    const root = await readConfigFile(file);
    const sec = section(section(root, 'listeners')!, 'multicast')!;
    return multicastListener.create(sec, ctx());
  };
  const service: Service = { handle: async () => ({ kind: 'result', result: 0 }), owns: async () => false };

  beforeAll(async () => {
    ws = await Workspace.create();
    keyFile = await ws.key();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((l) => l.close()));
    warnings.length = 0;
  });
  afterAll(async () => { await ws?.stop(); });

  it.each([
    ['\t\taddress = "10.0.0.1";\n', /m\.conf:4: listeners\/multicast\/address: '10\.0\.0\.1' is not an ipv4 multicast address/],
    ['\t\taddress = "ff05::3:1";\n', /is not an ipv4 multicast address \(family = "ipv4"\)/],
    ['\t\tfamily = "ipv6";\n\t\taddress = "225.0.0.12";\n', /m\.conf:5: .*'225\.0\.0\.12' is not an ipv6 multicast address/],
    ['\t\tfamily = "ipv6";\n\t\taddress = "fe80::1";\n', /not an ipv6 multicast address/],
    ['\t\tinterface = "nosuch0";\n', /m\.conf:4: listeners\/multicast\/interface: 'nosuch0': no such interface .*interfaces with an IPv4 address here: .*lo/],
    ['\t\tport = "70000";\n', /m\.conf:4: listeners\/multicast\/port: '70000' is not a port number/],
    ['\t\tfamily = "ipv5";\n', /m\.conf:4: listeners\/multicast\/family: 'ipv5' is not one of ipv4, ipv6/],
  ])('rejects %j at its line', async (block, message) => {
    const err = await create(block).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });

  it('accepts the defaults and warns about unknown keys', async () => {
    const l = await create('\t\tinterface = "lo";\n\t\tcolour = "blue";\n');
    expect(l.description).toBe('multicast 225.0.0.12:1229 on lo');
    expect(warnings.join('\n')).toMatch(/m\.conf:5: listeners\/multicast\/colour: unknown key, ignored/);
  });

  it('names hmac-sha256 in its description', async () => {
    const l = await create('\t\tinterface = "lo";\n\t\tauth = "hmac-sha256";\n\t\tport = "1300";\n');
    expect(l.description).toBe('multicast 225.0.0.12:1300 on lo (hmac-sha256)');
  });

  it('fails start() clearly when the port is taken', async () => {
    const port = await freeUdpPort();
    // Bound without SO_REUSEADDR, so ours cannot share it.
    const blocker = createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(port, '0.0.0.0', () => r()));
    try {
      const l = await create(`\t\tinterface = "lo";\n\t\tport = "${port}";\n`);
      const err = await l.start(service).then(() => { started.push(l); }, (e: unknown) => e);
      expect(err).toBeInstanceOf(PalisadeError);
      expect((err as Error).message).toMatch(new RegExp(`multicast 225\\.0\\.0\\.12:${port} on lo: cannot bind UDP port ${port}: EADDRINUSE \\(another fence_virtd/palisaded running\\?\\)`));
    } finally {
      blocker.close();
    }
  });

  const until = async (cond: () => boolean, what: string, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; warnings: ${warnings.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it(`caps callbacks in progress at ${MAX_CALLBACKS} and says so`, async () => {
    const port = await freeUdpPort();
    const l = await create(`\t\tinterface = "lo";\n\t\tport = "${port}";\n`);
    const pending: Array<(mine: boolean) => void> = [];
    await l.start({ handle: service.handle, owns: () => new Promise<boolean>((r) => pending.push(r)) });
    started.push(l);
    const key = new Uint8Array(await readFile(keyFile));
    try {
      for (let seqno = 1; seqno <= MAX_CALLBACKS + 1; seqno++) {
        const req = mcastRequest({ request: FenceCommand.STATUS, domain: 'web1', seqno, host: '127.0.0.1', callbackPort: 9 });
        await sendUdp(port, requestBytes(req, 'legacy', key));
      }
      await until(() => warnings.some((w) => w.includes(`${MAX_CALLBACKS} callbacks in progress; dropping status 'web1'`)), 'the cap warning');
      expect(pending).toHaveLength(MAX_CALLBACKS);
    } finally {
      for (const r of pending) r(false);
    }
  });

  it('close() lets a callback in progress finish', async () => {
    const port = await freeUdpPort();
    const l = await create(`\t\tinterface = "lo";\n\t\tport = "${port}";\n`);
    let entered!: () => void;
    const inHandle = new Promise<void>((r) => { entered = r; });
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const events: string[] = [];
    await l.start({
      owns: async () => true,
      handle: async () => {
        entered();
        await gate;
        events.push('handled');
        return { kind: 'result', result: Result.OFF };
      },
    });
    const key = new Uint8Array(await readFile(keyFile));
    const answer = mcastExchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' });
    await inHandle;
    const closing = l.close().then(() => { events.push('closed'); });
    // Let close() run as far as it goes on its own before the handler may finish.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    open();
    await closing;
    expect(events).toEqual(['handled', 'closed']);
    expect(await answer).toMatchObject({ callbacks: 1, result: Result.OFF });
  });

  it('starts and closes promptly with nothing in flight', async () => {
    const port = await freeUdpPort();
    const l = await create(`\t\tinterface = "lo";\n\t\tport = "${port}";\n`);
    await l.start(service);
    await l.close();
    // The port is free again.
    const again = await create(`\t\tinterface = "lo";\n\t\tport = "${port}";\n`);
    await again.start(service);
    started.push(again);
  });
});

describe('callback address and warning limiter (pure parts)', () => {
  const req = (family: number, address: number[], port = 1229, addrLen = 0) =>
    makeRequest({ request: FenceCommand.STATUS, domain: 'x', seqno: 1, family, address: Uint8Array.from(address), port, addrLen });
  const v6 = (...groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);

  it.each([
    ['IPv4, addrlen ignored', req(2, [10, 1, 2, 3]), undefined, { ip: '10.1.2.3', host: '10.1.2.3', label: '10.1.2.3:1229', family: 4 }],
    ['IPv6 loopback', req(10, v6(0, 0, 0, 0, 0, 0, 0, 1), 4000, 16), undefined, { ip: '::1', label: '[::1]:4000', family: 6 }],
    ['IPv4-mapped, as inet_ntop prints it', req(10, v6(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304)), undefined, { ip: '::ffff:1.2.3.4' }],
    ['IPv6 global', req(10, v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)), 'virbr0', { ip: '2001:db8::1:0:0:1', host: '2001:db8::1:0:0:1' }],
    ['link-local with the interface as scope', req(10, v6(0xfe80, 0, 0, 0, 0, 0, 0, 1)), 'virbr0', { ip: 'fe80::1', host: 'fe80::1%virbr0', label: '[fe80::1%virbr0]:1229' }],
  ])('%s', (_what, r, iface, want) => {
    const t = callbackTarget(r, iface);
    expect(t.ok && t.target).toMatchObject(want);
  });

  it.each([
    ['family 0 (a tcp request)', req(0, [127, 0, 0, 1]), /family 0 is neither 2 \(IPv4\) nor 10 \(IPv6\)/],
    ['family 23', req(23, [127, 0, 0, 1]), /family 23/],
    ['port 0', req(2, [127, 0, 0, 1], 0), /callback port 0/],
  ])('refuses %s', (_what, r, problem) => {
    const t = callbackTarget(r, undefined);
    expect(t.ok).toBe(false);
    expect(!t.ok && t.problem).toMatch(problem);
  });

  it('logs one warning per key and window, then says how many it held back', () => {
    let now = 0;
    const lines: string[] = [];
    const warn = warnLimiter((_l, m) => lines.push(m), 10_000, 2, () => now);
    warn('a', 'first a');
    warn('a', 'second a');
    warn('b', 'first b');
    now = 10_001;
    warn('a', 'third a');
    expect(lines).toEqual(['first a', 'first b', 'third a (1 similar warnings not logged since the previous one)']);
    // Past the key cap (quiet keys are dropped first), new keys share one slot instead of growing the table.
    now = 10_002;
    warn('c', 'first c');
    warn('d', 'first d');
    warn('e', 'first e');
    expect(lines.slice(3)).toEqual(['first c', 'first d']);
  });
});
