// Pacemaker's own tools see what `palisade install` puts in place:
// crm_resource reads and validates ocf:palisade:*, stonith_admin reads
// fence_palisade's meta-data and validates a device. Installs into the real
// /usr/sbin and /usr/lib/ocf (where Pacemaker looks) and removes what it
// created; skipped if something not ours is already there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, readlink, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { ROOT, Workspace, palisadeCli } from '../helpers/fence-daemons.js';

const FENCE = '/usr/sbin/fence_palisade';
const PROVIDER = '/usr/lib/ocf/resource.d/palisade';

async function ours(path: string): Promise<boolean | undefined> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return undefined;
  return st.isSymbolicLink() && (await readlink(path)).startsWith(`${ROOT}/`);
}

const blocked = (await ours(FENCE)) === false || (await ours('/usr/sbin/palisaded')) === false || (await ours('/usr/sbin/palisade')) === false || (await lstat(PROVIDER).catch(() => undefined)) !== undefined && (await ours(`${PROVIDER}/IPaddr2`)) === false;

describe.skipIf(blocked)('Pacemaker sees the installed agents', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    const r = await palisadeCli(['install', '--force']);
    expect(r.exitCode, r.stderr).toBe(0);
  });
  afterAll(async () => {
    for (const f of [FENCE, '/usr/sbin/palisaded', '/usr/sbin/palisade']) await rm(f, { force: true });
    await rm(PROVIDER, { recursive: true, force: true });
    await ws?.stop();
  });

  it('crm_resource lists the palisade provider\'s agents and reads their meta-data', async () => {
    const list = await execa('crm_resource', ['--list-agents', 'ocf:palisade'], { reject: false });
    expect(String(list.stdout).split('\n').sort()).toEqual(['Filesystem', 'IPaddr2', 'apache', 'mariadb', 'mysql']);
    for (const agent of ['IPaddr2', 'Filesystem', 'apache', 'mariadb']) {
      const md = await execa('crm_resource', ['--show-metadata', `ocf:palisade:${agent}`], { reject: false });
      expect(md.exitCode, agent).toBe(0);
      expect(String(md.stdout)).toContain(`<resource-agent name="${agent}"`);
    }
  });

  it('crm_resource --validate runs validate-all and reports the exit reason', async () => {
    const good = await execa('crm_resource', ['--validate', '--class', 'ocf', '--provider', 'palisade', '--agent', 'IPaddr2',
      '--option', 'ip=192.0.2.10', '--option', 'cidr_netmask=24', '--option', 'nic=lo'], { reject: false });
    expect(good.exitCode, String(good.stdout) + String(good.stderr)).toBe(0);
    const bad = await execa('crm_resource', ['--validate', '--class', 'ocf', '--provider', 'palisade', '--agent', 'IPaddr2',
      '--option', 'ip=999.1.1.1'], { reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(String(bad.stdout) + String(bad.stderr)).toMatch(/Invalid IP address '999\.1\.1\.1'/);
  });

  it('stonith_admin lists fence_palisade and reads its meta-data', async () => {
    const installed = await execa('stonith_admin', ['--list-installed'], { reject: false });
    expect(String(installed.stdout)).toMatch(/^fence_palisade$/m);
    const md = await execa('stonith_admin', ['--metadata', '--agent', 'fence_palisade'], { reject: false });
    expect(md.exitCode).toBe(0);
    expect(String(md.stdout)).toContain('<resource-agent name="fence_palisade"');
    expect(String(md.stdout)).toMatch(/<parameter name="plug"/);
  });

  it('stonith_admin --validate runs validate-all on a device definition', async () => {
    const key = await ws.key();
    const good = await execa('stonith_admin', ['--validate', '--agent', 'fence_palisade', '--option', 'ipaddr=127.0.0.1', '--option', `key_file=${key}`], { reject: false });
    expect(good.exitCode, String(good.stdout) + String(good.stderr)).toBe(0);
    const bad = await execa('stonith_admin', ['--validate', '--agent', 'fence_palisade', '--option', 'ipaddr=127.0.0.1', '--option', `key_file=${ws.path('missing.key')}`], { reject: false });
    expect(bad.exitCode).not.toBe(0);
  });
});
