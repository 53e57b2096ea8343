// fence_palisade as Pacemaker and people run it (dist/bin/fence_palisade.cjs,
// built by scripts/build.sh), without a daemon: meta-data, help,
// validate-all, key files, argument errors, refused and stalled peers.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FENCE_PALISADE, Workspace, fencePalisade, freePort } from '../helpers/fence-daemons.js';
import { spawnSync } from 'node:child_process';

let ws: Workspace;
let key: string;
beforeAll(async () => {
  ws = await Workspace.create();
  key = await ws.key();
});
afterAll(() => ws?.stop());

const stdin = (lines: Record<string, string | number>): string =>
  `${Object.entries(lines).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;

describe('fence_palisade without a daemon', () => {
  it('prints meta-data for -o metadata and for action=meta-data on stdin', async () => {
    const a = await fencePalisade(['-o', 'metadata']);
    const b = await fencePalisade([], 'action=meta-data\nnodename=n1\n');
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const file = ws.path('meta.xml');
    await writeFile(file, a.stdout);
    const r = spawnSync('xmllint', ['--noout', '--relaxng', '/usr/share/cluster/relaxng/metadata.rng', file], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });

  it('prints help with -h and -? and the version with -V, exit 0', async () => {
    for (const f of ['-h', '-?']) {
      const r = await fencePalisade([f]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('Usage: fence_palisade');
    }
    const v = await fencePalisade(['-V']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/^fence_palisade \d+\.\d+\.\d+/);
  });

  describe('validate-all', () => {
    const base = () => ({ action: 'validate-all', ipaddr: '127.0.0.1', key_file: key });

    it('passes a good configuration without contacting anything', async () => {
      const r = await fencePalisade([], stdin(base()));
      expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    });

    it('fails on a missing, empty or directory key file, naming it', async () => {
      const empty = await ws.file('empty.key', '');
      const dir = ws.path('keydir');
      await mkdir(dir);
      for (const [path, why] of [[ws.path('nope.key'), 'does not exist'], [empty, 'is empty'], [dir, 'is a directory|is not a regular file']]) {
        const r = await fencePalisade([], stdin({ ...base(), key_file: path! }));
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`key file ${path}: (${why})`));
      }
    });

    it('warns about a key file readable by others but passes', async () => {
      const loose = await ws.key('loose.key');
      await chmod(loose, 0o644);
      const r = await fencePalisade([], stdin({ ...base(), key_file: loose }));
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toContain(`key file ${loose}: mode 0644 gives group or other users access to the key; run chmod 600 ${loose}`);
    });

    it('fails on bad parameters and on an unavailable transport', async () => {
      const bad = await fencePalisade([], stdin({ ...base(), ipport: 'x', hash: 'md5' }));
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toContain("stdin line 4 (ipport): 'x' is not a whole number");
      expect(bad.stderr).toContain("stdin line 5 (hash): 'md5' is not one of");
      const vs = await fencePalisade([], stdin({ action: 'validate-all', key_file: key, vsock: 3 }));
      expect(vs.exitCode).toBe(1);
      expect(vs.stderr).toContain("transport 'vsock' is not available in this version of fence_palisade");
      const mc = await fencePalisade([], stdin({ action: 'validate-all', key_file: key }));
      expect(mc).toMatchObject({ exitCode: 0, stderr: '' });
    });

    it('does not need a key file with hash and auth none', async () => {
      const r = await fencePalisade([], stdin({ action: 'validate-all', ipaddr: '127.0.0.1', hash: 'none', auth: 'none' }));
      expect(r.exitCode).toBe(0);
    });
  });

  it('fails on an unreadable key before connecting', async () => {
    const r = await fencePalisade(['-T', '127.0.0.1', '-p', '1', '-k', ws.path('missing.key'), '-o', 'status', '-n', 'vm']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`key file ${ws.path('missing.key')}: does not exist; copy the host daemon's key here or set key_file (-k)`);
  });

  it('says "No domain specified!" when an action needs one', async () => {
    const r = await fencePalisade([], stdin({ action: 'off', ipaddr: '127.0.0.1', key_file: key }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('No domain specified!');
  });

  it('rejects an unparsable stdin line loudly instead of guessing', async () => {
    const r = await fencePalisade([], 'action off\nplug=vm\n');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("stdin line 1: cannot parse 'action off': expected name=value");
  });

  it('rejects unknown flags with a pointer to -h', async () => {
    const r = await fencePalisade(['-M', '-o', 'status']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('unknown option -M');
    expect(r.stderr).toContain('Try fence_palisade -h');
  });

  it('reports a refused connection with host:port and what to check', async () => {
    const port = await freePort();
    const r = await fencePalisade(['-T', '127.0.0.1', '-p', String(port), '-k', key, '-o', 'status', '-n', 'vm']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `cannot connect to the fence daemon at 127.0.0.1:${port}: connection refused; check that palisaded or fence_virtd runs and listens there, and that no firewall blocks the port`,
    );
  });

  describe('against a stalled daemon (accepts, says nothing)', () => {
    let server: Server;
    let port: number;
    const sockets = new Set<Socket>();
    let accepted = 0;
    beforeAll(async () => {
      server = createServer((s) => { accepted++; sockets.add(s); s.on('close', () => sockets.delete(s)); });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });

    it('gives up after -t seconds, naming the phase', async () => {
      const r = await fencePalisade(['-T', '127.0.0.1', '-p', String(port), '-k', key, '-o', 'off', '-n', 'vm', '-t', '1']);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`timed out after 1 s waiting for the daemon's answer to our challenge (127.0.0.1:${port})`);
      // It did reach the stalled daemon: the timeout is not a connection failure in disguise.
      expect(accepted).toBeGreaterThan(0);
    });

    it('with auth none, times out waiting for the result byte', async () => {
      const r = await fencePalisade([], stdin({ action: 'status', plug: 'vm', ipaddr: '127.0.0.1', ipport: port, hash: 'none', auth: 'none', timeout: 1 }));
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('timed out after 1 s waiting for the result byte');
    });
  });

  it('applies -w delay before off but not before status, monitor or list (as fence_virt)', async () => {
    const port = await freePort();
    const run = (action: string, delay: string) =>
      fencePalisade(['-T', '127.0.0.1', '-p', String(port), '-k', key, '-o', action, '-n', 'vm', '-w', delay, '-d']);
    // A day's delay: these finish (connection refused) only because they do not wait.
    for (const a of ['status', 'monitor', 'list']) {
      const r = await run(a, '86400');
      expect(r.stderr, a).toContain('connection refused');
      expect(r.stderr, a).not.toContain('debug: waiting');
    }
    // off waits first, then connects: the order of its debug lines shows it.
    const off = await run('off', '1');
    expect(off.exitCode).toBe(1);
    const lines = off.stderr.split('\n');
    const waited = lines.findIndex((l) => l === 'debug: waiting 1 s before off (delay)');
    const called = lines.findIndex((l) => l.startsWith(`debug: tcp 127.0.0.1:${port} off domain='vm'`));
    expect(waited, off.stderr).toBeGreaterThanOrEqual(0);
    expect(called, off.stderr).toBeGreaterThan(waited);
    expect(off.stderr).toContain('connection refused');
  });

  it('is an executable with a node shebang', async () => {
    const { readFile, stat } = await import('node:fs/promises');
    expect((await readFile(FENCE_PALISADE, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect((await stat(FENCE_PALISADE)).mode & 0o111).not.toBe(0);
  });
});
