// palisaded under bad input and faults: each gets its specific result or
// log line, and the daemon keeps serving everyone else.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { execa } from 'execa';
import { FenceCommand, HashType, REQUEST_SIZE, Result } from '../../protocol/constants.js';
import { encodeRequest } from '../../protocol/fence-req.js';
import {
  PALISADED, ROOT, Workspace, daemonFixture, fenceVirt, fenceVirtConf, freePort, startPalisaded, stopChild, watchOutput, type RunningDaemon,
} from '../helpers/fence-daemons.js';
import { buildRequest, exchange, open, sendRaw } from '../helpers/raw-client.js';

describe('one daemon, many misbehaving clients', () => {
  let ws: Workspace;
  let keyPath: string;
  let key: Uint8Array;
  let port: number;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    ({ ws, key: keyPath, port, daemon } = await daemonFixture('palisaded'));
    key = new Uint8Array(await readFile(keyPath));
  });
  afterAll(async () => { await ws?.stop(); });

  const ok = async () => {
    const r = await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' });
    expect(r.result).toBe(Result.SUCCESS);
  };

  // What each sends, and the log line that shows the daemon judged it (none for the two
  // that only stall: the daemon's 5 s request timeout ends them, logged at debug level).
  it.each([
    ['truncated request', () => randomBytes(100), undefined],
    ['zero-length then nothing', () => Buffer.alloc(0), undefined],
    ['176 bytes with hash type 200', () => { const b = randomBytes(REQUEST_SIZE); b[1] = 200; return b; }, /malformed request: hashtype \(offset 1\): unknown hash type 200; dropping client/],
    ['request with hash type 9', () => { const b = Buffer.from(encodeRequest(buildRequest({ port, key, request: 4, domain: 'web1' }))); b[1] = 9; return b; },
      /malformed request: hashtype \(offset 1\): unknown hash type 9; dropping client/],
  ] as const)('%s: nothing sent back, connection closed, daemon keeps serving', async (_label, make, logged) => {
    // The wait ends when the daemon closes; 30 s only bounds a daemon that never does.
    const r = await sendRaw(port, make(), 30_000);
    expect(r.closed).toBe(true);
    expect(r.received).toHaveLength(0);
    if (logged) await daemon.waitFor(logged);
    await ok();
  });

  it('oversized request: the trailing bytes are taken as our challenge and a wrong response, never a result byte', async () => {
    const bytes = Buffer.concat([Buffer.from(encodeRequest(buildRequest({ port, key, request: 4, domain: 'web1' }))), randomBytes(300)]);
    const r = await sendRaw(port, bytes, 30_000);
    expect(r.closed).toBe(true);
    // Only whole 64-byte challenge messages (its response to bytes 176..240, then its own
    // challenge) may arrive before the close; a result byte would leave one over.
    expect(r.received.length % 64).toBe(0);
    expect(r.received.length).toBeLessThanOrEqual(128);
    await daemon.waitFor(/challenge response did not verify \(wrong key or auth hash\); dropping client/);
    await ok();
  });

  it('logs a malformed request with the field and offset', async () => {
    const b = Buffer.from(encodeRequest(buildRequest({ port, key, request: 4, domain: 'web1' })));
    b.fill(0x41, 4, 68);
    await sendRaw(port, b, 2_000);
    await daemon.waitFor(/malformed request: domain \(offset 4\): not NUL-terminated/);
  });

  it('drops a request signed with the wrong key and says so', async () => {
    const r = await exchange({ port, key, signKey: new Uint8Array(randomBytes(256)), request: FenceCommand.STATUS, domain: 'web1' });
    expect(r.result).toBeUndefined();
    expect(r.closedEarly).toBe(true);
    await daemon.waitFor(/key mismatch/);
    // The real client with another key is refused too; the same complaint from
    // the same source within the window is counted, not logged again (peer-text.test.ts).
    const c = await fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', await ws.key('other.key'), '-o', 'status', '-n', 'web1']);
    expect(c.exitCode).toBe(1);
    await ok();
  });

  it('drops a hash below the minimum', async () => {
    const r = await exchange({ port, key, hash: HashType.SHA1, request: FenceCommand.STATUS, domain: 'web1' });
    expect(r.closedEarly).toBe(true);
    await daemon.waitFor(/weaker than the configured minimum/);
  });

  it('drops an unsigned request (hash none) when sha256 is the minimum', async () => {
    const r = await exchange({ port, key, hash: HashType.NONE, request: FenceCommand.STATUS, domain: 'web1' });
    expect(r.closedEarly).toBe(true);
  });

  it('fails a wrong challenge response and keeps serving', async () => {
    const r = await exchange({ port, key, auth: HashType.SHA512, request: FenceCommand.STATUS, domain: 'web1' });
    expect(r.serverAuthOk).toBe(false);
    expect(r.result).toBeUndefined();
    await ok();
  });

  it('answers unknown domains like fence_virtd: status 2, off/on/reboot 1', async () => {
    const codes = [];
    for (const op of [FenceCommand.STATUS, FenceCommand.OFF, FenceCommand.ON, FenceCommand.REBOOT]) {
      codes.push((await exchange({ port, key, request: op, domain: 'no-such-guest' })).result);
    }
    expect(codes).toEqual([Result.OFF, Result.FAIL, Result.FAIL, Result.FAIL]);
  });

  it('answers unknown request codes with 1', async () => {
    expect((await exchange({ port, key, request: 9, domain: 'web1' })).result).toBe(Result.FAIL);
  });

  it('drops an exact duplicate (same op, seqno, domain) within 10 s, accepts a new seqno', async () => {
    const seqno = 424242;
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1', seqno })).result).toBe(0);
    const dup = await exchange({ port, key, request: FenceCommand.STATUS, domain: 'WEB1', seqno });
    expect(dup.result).toBeUndefined();
    await daemon.waitFor(/dropped: duplicate request/);
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1', seqno: seqno + 1 })).result).toBe(0);
  });

  it('serves a request while 20 idle connections sit on it', async () => {
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) idle.push(await open(port));
      const r = await fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', keyPath, '-o', 'status', '-n', 'web2']);
      expect(r.exitCode).toBe(0);
      // The idle peers are still connected: the answer did not wait for them to time out.
      expect(idle.every((s) => !s.destroyed && s.readyState === 'open')).toBe(true);
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  // Order and overlap are proved in dispatch-lock.test.ts with a backend the
  // test holds; here the real virsh serves concurrent operations correctly.
  it('serves concurrent operations on different domains, each with its own result', async () => {
    const results = await Promise.all([
      exchange({ port, key, request: FenceCommand.REBOOT, domain: 'web1', timeoutMs: 30_000 }),
      exchange({ port, key, request: FenceCommand.REBOOT, domain: 'web2', timeoutMs: 30_000 }),
      exchange({ port, key, request: FenceCommand.OFF, domain: 'db1', timeoutMs: 30_000 }),
    ]);
    expect(results.map((r) => r.result)).toEqual([0, 0, 0]);
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'db1' })).result).toBe(Result.OFF);
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
    expect((await exchange({ port, key, request: FenceCommand.ON, domain: 'db1' })).result).toBe(Result.SUCCESS);
  });
});

describe('groups ACL', () => {
  let ws: Workspace;
  let keyPath: string;
  let port: number;
  beforeAll(async () => {
    ws = await Workspace.create();
    keyPath = await ws.key();
    port = await freePort();
    await startPalisaded(ws, fenceVirtConf({
      port, keyFile: keyPath,
      extra: 'groups {\n\tgroup {\n\t\tname = "cluster-a";\n\t\tip = "127.0.0.1";\n\t\tuuid = "web1";\n\t\tuuid = "6695eb01-f6a4-8304-79aa-97f2502e1001";\n\t}\n}\n',
    }));
  });
  afterAll(async () => { await ws?.stop(); });
  const cli = (op: string, dom?: string) => fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', keyPath, '-o', op, ...(dom ? ['-n', dom] : [])]);

  it('permits the group\'s domains, denies others with 3, filters the list', async () => {
    expect((await cli('status', 'web1')).exitCode).toBe(0);
    const denied = await cli('off', 'web2');
    expect(denied.exitCode).toBe(3);
    expect(denied.stdout + denied.stderr).toMatch(/Permission denied/);
    const list = await cli('list');
    expect(list.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['web1']);
  });
});

describe('start-up errors', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await Workspace.create(); });
  afterAll(async () => { await ws?.stop(); });

  const start = async (conf: string, env?: NodeJS.ProcessEnv) => {
    const f = await ws.file(`bad-${randomBytes(3).toString('hex')}.conf`, conf);
    const r = await execa(process.execPath, [PALISADED, '-F', '-f', f, '-p', ws.path('x.pid')], { reject: false, timeout: 20_000, env, stdin: 'ignore' });
    return { code: r.exitCode, err: String(r.stderr), file: f };
  };

  it('a syntax error stops start-up with FILE:LINE', async () => {
    const r = await start('fence_virtd {\n\tlistener = "tcp";\n\tbackend = ;\n}\n');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`${r.file}:3:`);
  });

  it('an empty value is an error, as in fence_virtd', async () => {
    const r = await start('fence_virtd {\n\tlistener = "";\n}\n');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`${r.file}:2:`);
  });

  it('an unknown listener names what is available', async () => {
    const r = await start('fence_virtd {\n listener = "vsock";\n backend = "libvirt";\n}\nbackends { libvirt { uri = "test:///default"; } }\n');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/:2: fence_virtd\/@listener: 'vsock' is not available; this palisaded provides: tcp/);
  });

  it('a bad hash value names the file, line and allowed values', async () => {
    const port = await freePort();
    const r = await start(fenceVirtConf({ port, keyFile: await ws.key(), hash: 'sha384' }));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/:\d+: .*hash.*sha384.*none, sha1, sha256, sha512/);
  });

  it('a missing key file is a clear error with the fix', async () => {
    const r = await start(fenceVirtConf({ port: await freePort(), keyFile: ws.path('absent.key') }));
    expect(r.code).toBe(1);
    expect(r.err).toContain(ws.path('absent.key'));
    expect(r.err).toMatch(/keygen/);
  });

  it('warns about a key readable by others, without changing its mode', async () => {
    const loose = await ws.key('loose.key');
    await import('node:fs/promises').then((fs) => fs.chmod(loose, 0o644));
    const port = await freePort();
    const d = await startPalisaded(ws, fenceVirtConf({ port, keyFile: loose }));
    expect(d.output()).toMatch(/0?644.*chmod 600/);
    expect((await stat(loose)).mode & 0o777).toBe(0o644);
    await stopChild(d.child);
  });

  it('a missing backend uri is an error', async () => {
    const r = await start(`fence_virtd { listener = "tcp"; backend = "libvirt"; }\nlisteners { tcp { key_file = "${await ws.key()}"; port = "${await freePort()}"; } }\nbackends { libvirt { } }\n`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/uri/);
  });

  it('refuses a pid file that names a running palisaded', async () => {
    const port = await freePort();
    const conf = await ws.file('pid.conf', fenceVirtConf({ port, keyFile: await ws.key() }));
    const first = ws.spawn(process.execPath, [PALISADED, '-F', '-f', conf, '-p', ws.path('shared.pid')]);
    await watchOutput(first).waitFor(/palisaded ready/, 30_000);
    const second = await execa(process.execPath, [PALISADED, '-F', '-f', conf, '-p', ws.path('shared.pid')], { reject: false, stdin: 'ignore', timeout: 20_000 });
    expect(second.exitCode).toBe(1);
    expect(String(second.stderr)).toMatch(/names running process/);
    expect(await stopChild(first)).toBe(0);
    await expect(stat(ws.path('shared.pid'))).rejects.toThrow();
  });
});

describe('backend faults', () => {
  let ws: Workspace;
  afterEach(async () => { await ws?.stop(); });
  const FAKE = join(ROOT, 'test/fixtures/fake-virsh');

  const confWith = async (backendExtra: string) => {
    ws = await Workspace.create();
    const keyPath = await ws.key();
    const port = await freePort();
    const conf = fenceVirtConf({ port, keyFile: keyPath }).replace(/uri = "([^"]+)";/, `uri = "$1";\n\t\t${backendExtra}`);
    return { conf: await ws.file('backend.conf', conf), keyPath, port };
  };
  const startOnce = async (conf: string, env: NodeJS.ProcessEnv = {}) => {
    const r = await execa(process.execPath, [PALISADED, '-F', '-f', conf, '-p', ws.path('b.pid')], { reject: false, timeout: 30_000, stdin: 'ignore', env: { ...process.env, ...env } });
    return { code: r.exitCode, err: String(r.stderr) };
  };

  it('virsh missing: start-up fails with what to install', async () => {
    const { conf } = await confWith('virsh = "/nonexistent/bin/virsh";');
    const r = await startOnce(conf);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/virsh binary \/nonexistent\/bin\/virsh not found; install libvirt-clients/);
  });

  it('virsh hanging: start-up fails after command_timeout naming the command', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'fake-virsh-'));
    try {
      const { conf } = await confWith(`virsh = "${FAKE}/hang-once"; command_timeout = "1";`);
      const r = await startOnce(conf, { PALISADE_FAKE_VIRSH_DIR: scratch });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no answer within 1000 ms to list/);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('virsh hanging with -w: the hung virsh is killed, start-up is retried and the daemon serves', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'fake-virsh-'));
    try {
      const { conf, keyPath, port } = await confWith(`virsh = "${FAKE}/hang-once"; command_timeout = "1";`);
      const child = ws.spawn(process.execPath, [PALISADED, '-F', '-w', '-f', conf, '-p', ws.path('w.pid')], { ...process.env, PALISADE_FAKE_VIRSH_DIR: scratch });
      const out = watchOutput(child);
      await out.waitFor(/palisaded ready/, 30_000);
      expect(out.output()).toMatch(/retrying in 5 s/);
      const r = await fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', keyPath, '-o', 'status', '-n', 'web1']);
      expect(r.exitCode).toBe(0);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('signals', () => {
  let ws: Workspace;
  afterEach(async () => { await ws?.stop(); });

  it('without -F: detaches, exits 0 once serving, and the detached daemon serves and stops on SIGTERM', async () => {
    ws = await Workspace.create();
    const keyPath = await ws.key();
    const port = await freePort();
    const conf = await ws.file('bg.conf', fenceVirtConf({ port, keyFile: keyPath }));
    const pidFile = ws.path('bg.pid');
    const r = await execa(process.execPath, [PALISADED, '-f', conf, '-p', pidFile], { reject: false, timeout: 30_000, stdin: 'ignore' });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    try {
      expect(pid).toBeGreaterThan(0);
      const s = await fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', keyPath, '-o', 'status', '-n', 'web1']);
      expect(s.exitCode).toBe(0);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
    // Not our child: poll for its exit (bounded by the test timeout).
    for (;;) {
      try { process.kill(pid, 0); } catch { break; }
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(stat(pidFile)).rejects.toThrow();
  });

  it('without -F: a configuration error is reported on the terminal before detaching', async () => {
    ws = await Workspace.create();
    const conf = await ws.file('bg-bad.conf', 'fence_virtd { listener = "tcp" }\n');
    const r = await execa(process.execPath, [PALISADED, '-f', conf, '-p', ws.path('x.pid')], { reject: false, timeout: 30_000, stdin: 'ignore' });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain(`${conf}:1:`);
  });

  it('without -F: a start-up failure after detaching (port in use) still reaches the terminal', async () => {
    ws = await Workspace.create();
    const keyPath = await ws.key();
    const port = await freePort();
    const blocker = await startPalisaded(ws, fenceVirtConf({ port, keyFile: keyPath }));
    const conf = await ws.file('bg-busy.conf', fenceVirtConf({ port, keyFile: keyPath }));
    const r = await execa(process.execPath, [PALISADED, '-f', conf, '-p', ws.path('busy.pid')], { reject: false, timeout: 30_000, stdin: 'ignore' });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/EADDRINUSE/);
    expect(blocker.child.exitCode).toBeNull();
  });

  it('SIGHUP reloads the configuration; a broken one keeps the old running', async () => {
    ws = await Workspace.create();
    const keyPath = await ws.key();
    const key = new Uint8Array(await readFile(keyPath));
    const port = await freePort();
    const conf = await ws.file('reload.conf', fenceVirtConf({ port, keyFile: keyPath }));
    const child = ws.spawn(process.execPath, [PALISADED, '-F', '-f', conf, '-p', ws.path('reload.pid')]);
    const watched = watchOutput(child);
    const waitFor = (s: string) => watched.waitFor(new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 30_000);
    await waitFor('palisaded ready');
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web2' })).result).toBe(0);

    await writeFile(conf, fenceVirtConf({ port, keyFile: keyPath, extra: 'groups { group { ip = "127.0.0.1"; uuid = "web1"; } }\n' }));
    child.kill('SIGHUP');
    await waitFor('reload complete');
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web2' })).result).toBe(Result.PERM);

    await writeFile(conf, 'fence_virtd { listener = "tcp" }\n');
    child.kill('SIGHUP');
    await waitFor('reload failed, keeping the running configuration');
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(0);

    expect(await stopChild(child)).toBe(0);
    await expect(stat(ws.path('reload.pid'))).rejects.toThrow();
  });
});
