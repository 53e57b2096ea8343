// The `palisade` operator CLI, run as an operator would: the bundled
// executable, against palisaded and the real fence_virtd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  Workspace, fenceVirtConf, freePort, palisadeCli, startFenceVirtd, startPalisaded,
} from '../helpers/fence-daemons.js';
import { validateMetadata } from '../helpers/ocf.js';

describe('palisade keygen', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await Workspace.create(); });
  afterAll(async () => { await ws?.stop(); });

  it('writes 256 random bytes with mode 0600, creating the directory', async () => {
    const key = join(ws.dir, 'cluster', 'fence_xvm.key');
    const r = await palisadeCli(['keygen', key]);
    expect(r.exitCode).toBe(0);
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect((await readFile(key)).length).toBe(256);
  });

  it('refuses to overwrite an existing key and leaves it unchanged', async () => {
    const key = await ws.key('existing.key');
    const before = await readFile(key);
    const r = await palisadeCli(['keygen', key]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/already exists; refusing to overwrite/);
    expect(await readFile(key)).toEqual(before);
  });
});

describe('palisade config check', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await Workspace.create(); });
  afterAll(async () => { await ws?.stop(); });

  it('accepts a good file, connects to the backend and lists what it sees', async () => {
    const conf = await ws.file('good.conf', fenceVirtConf({ port: 1229, keyFile: await ws.key() }));
    const r = await palisadeCli(['config', 'check', conf]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/listener: tcp 127\.0\.0\.1:1229/);
    expect(r.stdout).toMatch(/backend libvirt reachable: 3 domain\(s\): db1, web1, web2/);
    expect(r.stdout).toContain(`${conf}: OK`);
  });

  it('reports FILE:LINE for a syntax error and exits 1', async () => {
    const conf = await ws.file('bad.conf', 'fence_virtd {\n\tlistener = tcp;\n}\n');
    const r = await palisadeCli(['config', 'check', conf]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${conf}:2:`);
  });

  it('reports a missing key file with the fix, without contacting anything (--offline)', async () => {
    const conf = await ws.file('nokey.conf', fenceVirtConf({ port: 1229, keyFile: join(ws.dir, 'none.key') }));
    const r = await palisadeCli(['config', 'check', '--offline', conf]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/none\.key.*keygen/s);
  });
});

describe('palisade install', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await Workspace.create(); });
  afterAll(async () => { await ws?.stop(); });

  it('links fence_palisade and every OCF agent, and the installed files run', async () => {
    const sbin = join(ws.dir, 'sbin');
    const ocf = join(ws.dir, 'ocf');
    const r = await palisadeCli(['install', '--sbin-dir', sbin, '--ocf-root', ocf]);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const name of ['IPaddr2', 'Filesystem', 'apache', 'mariadb', 'mysql']) {
      const link = join(ocf, 'resource.d/palisade', name);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      const md = await execa(link, ['meta-data'], { reject: false, env: { ...process.env, OCF_ROOT: ocf } });
      expect(md.exitCode, name).toBe(0);
      expect((await validateMetadata(String(md.stdout))).dtd.ok, name).toBe(true);
    }
    for (const name of ['palisaded', 'palisade']) expect(await readlink(join(sbin, name))).toMatch(new RegExp(`dist/bin/${name}\\.cjs$`));
    const fence = join(sbin, 'fence_palisade');
    expect(await readlink(fence)).toMatch(/dist\/bin\/fence_palisade\.cjs$/);
    const md = await execa(fence, ['-o', 'metadata'], { reject: false });
    expect(md.exitCode).toBe(0);
    const rng = await execa('xmllint', ['--noout', '--relaxng', '/usr/share/cluster/relaxng/metadata.rng', '-'], { input: String(md.stdout), reject: false });
    expect(rng.exitCode, String(rng.stderr)).toBe(0);
    // Pacemaker's way: no argv, parameters on stdin.
    const viaStdin = await execa(fence, [], { input: 'action=metadata\n', reject: false });
    expect(viaStdin.exitCode).toBe(0);
  });

  it('is idempotent, refuses to replace a foreign file, replaces it with --force', async () => {
    const sbin = join(ws.dir, 'sbin2');
    const ocf = join(ws.dir, 'ocf2');
    expect((await palisadeCli(['install', '--sbin-dir', sbin, '--ocf-root', ocf])).exitCode).toBe(0);
    const again = await palisadeCli(['install', '--sbin-dir', sbin, '--ocf-root', ocf]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/already installed/);
    const foreign = join(ocf, 'resource.d/palisade/apache');
    await execa('rm', [foreign]);
    await writeFile(foreign, '#!/bin/sh\n', { mode: 0o755 });
    const refused = await palisadeCli(['install', '--sbin-dir', sbin, '--ocf-root', ocf]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/already exists; pass --force/);
    expect(await readFile(foreign, 'utf8')).toBe('#!/bin/sh\n');
    expect((await palisadeCli(['install', '--sbin-dir', sbin, '--ocf-root', ocf, '--force'])).exitCode).toBe(0);
    expect((await lstat(foreign)).isSymbolicLink()).toBe(true);
  });
});

describe('palisade install --compat-names', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await Workspace.create(); });
  afterAll(async () => { await ws?.stop(); });
  const dirs = (name: string) => ['--sbin-dir', join(ws.dir, name, 'sbin'), '--ocf-root', join(ws.dir, name, 'ocf')];

  it('links fence_xvm and fence_virt next to fence_palisade, and each plays its C client', async () => {
    const r = await palisadeCli(['install', ...dirs('a'), '--compat-names']);
    expect(r.exitCode, r.stderr).toBe(0);
    const sbin = join(ws.dir, 'a', 'sbin');
    for (const name of ['fence_xvm', 'fence_virt']) {
      expect(await readlink(join(sbin, name))).toMatch(/dist\/bin\/fence_palisade\.cjs$/);
      const md = await execa(join(sbin, name), ['-o', 'metadata'], { reject: false });
      expect(md.exitCode).toBe(0);
      expect(String(md.stdout)).toContain(`<resource-agent name="${name}"`);
      const v = await execa(join(sbin, name), ['-V'], { reject: false });
      expect(String(v.stdout)).toContain(`${name} compatibility mode`);
    }
    expect((await palisadeCli(['install', ...dirs('a'), '--compat-names'])).stdout).toMatch(/fence_xvm -> .* \(already installed\)/);
  });

  it("refuses to replace fence-virt's binaries, changing nothing, and replaces them with --force-compat-names keeping .orig", async () => {
    const sbin = join(ws.dir, 'b', 'sbin');
    await execa('mkdir', ['-p', sbin]);
    await writeFile(join(sbin, 'fence_xvm'), '#!/bin/sh\necho the real fence_xvm\n', { mode: 0o755 });
    const refused = await palisadeCli(['install', ...dirs('b'), '--compat-names']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`${join(sbin, 'fence_xvm')} already exists and is a file, not palisade's link (probably fence-virt's fence_xvm client); ` +
      `pass --force-compat-names to replace it (the original is kept as ${join(sbin, 'fence_xvm')}.orig)`);
    // Checked before acting: nothing was linked.
    await expect(lstat(join(sbin, 'fence_palisade'))).rejects.toThrow();
    expect((await palisadeCli(['install', ...dirs('b'), '--compat-names', '--force'])).exitCode).toBe(1);
    expect(await readFile(join(sbin, 'fence_xvm'), 'utf8')).toContain('the real fence_xvm');

    const forced = await palisadeCli(['install', ...dirs('b'), '--force-compat-names']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`(the original is now ${join(sbin, 'fence_xvm')}.orig)`);
    expect(await readFile(join(sbin, 'fence_xvm.orig'), 'utf8')).toContain('the real fence_xvm');
    expect(await readlink(join(sbin, 'fence_xvm'))).toMatch(/fence_palisade\.cjs$/);

    // A second foreign file while .orig exists: refused, the backup is never overwritten.
    await execa('rm', [join(sbin, 'fence_xvm')]);
    await writeFile(join(sbin, 'fence_xvm'), '#!/bin/sh\n', { mode: 0o755 });
    const twice = await palisadeCli(['install', ...dirs('b'), '--force-compat-names']);
    expect(twice.exitCode).toBe(1);
    expect(twice.stderr).toContain(`${join(sbin, 'fence_xvm')} and ${join(sbin, 'fence_xvm')}.orig both exist`);
    expect(await readFile(join(sbin, 'fence_xvm.orig'), 'utf8')).toContain('the real fence_xvm');
  });
});

describe('palisade list/status/on/off/reboot against palisaded and fence_virtd', () => {
  let ws: Workspace;
  let key: string;
  const ports: Record<'palisaded' | 'fence_virtd', number> = { palisaded: 0, fence_virtd: 0 };
  beforeAll(async () => {
    ws = await Workspace.create();
    key = await ws.key();
    ports.palisaded = await freePort();
    ports.fence_virtd = await freePort();
    await startPalisaded(ws, fenceVirtConf({ port: ports.palisaded, keyFile: key }));
    await startFenceVirtd(ws, fenceVirtConf({ port: ports.fence_virtd, keyFile: key }), ports.fence_virtd);
  });
  afterAll(async () => { await ws?.stop(); });

  for (const daemon of ['palisaded', 'fence_virtd'] as const) {
    it(`${daemon}: manual fencing with human and JSON output and fence_virt exit codes`, async () => {
      const base = ['--port', String(ports[daemon]), '--key', key];
      const list = await palisadeCli(['list', ...base, '--json']);
      expect(list.exitCode).toBe(0);
      expect(JSON.parse(list.stdout).map((d: { domain: string }) => d.domain)).toEqual(['db1', 'web1', 'web2']);
      expect((await palisadeCli(['off', 'web2', ...base])).stdout).toBe('web2: off: success');
      const off = await palisadeCli(['status', 'web2', ...base, '--json']);
      expect([off.exitCode, JSON.parse(off.stdout).text]).toEqual([2, 'off']);
      expect((await palisadeCli(['on', 'web2', ...base])).exitCode).toBe(0);
      expect((await palisadeCli(['reboot', 'web2', ...base])).exitCode).toBe(0);
      const on = await palisadeCli(['status', 'web2', ...base]);
      expect([on.exitCode, on.stdout]).toEqual([0, 'web2: status: on']);
      expect(await palisadeCli(['off', 'no-such-vm', ...base])).toMatchObject({ exitCode: 1, stdout: 'no-such-vm: off: failed' });
    });
  }

  it('a wrong key is an authentication error naming the key file', async () => {
    const other = await ws.key('other.key');
    const r = await palisadeCli(['status', 'web1', '--port', String(ports.palisaded), '--key', other, '--timeout', '3']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(other);
  });

  it('a closed port names the address and what to check', async () => {
    const r = await palisadeCli(['status', 'web1', '--port', String(await freePort()), '--key', key]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+/);
  });

  it('diag reports the daemon port and configuration', async () => {
    const conf = await ws.file('diag.conf', fenceVirtConf({ port: ports.palisaded, keyFile: key }));
    const r = await palisadeCli(['diag', '-f', conf, '--port', String(ports.palisaded)]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/ok {3}virsh: \//);
    expect(r.stdout).toMatch(/accepts connections/);
  });
});
