// Pacemaker's own tools see what `palisade install` puts in place:
// crm_resource reads and validates ocf:palisade:*, stonith_admin reads
// fence_palisade's meta-data and validates a device. The install is this
// checkout's, shown at Pacemaker's paths inside a private mount namespace
// (test/helpers/private-install.ts): the host's folders are never written,
// and whatever is installed there cannot make this test skip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ocfAgents } from '../../agents/ocf/registry.js';
import { OCF_ALIASES } from '../../cli/install.js';
import { Workspace } from '../helpers/fence-daemons.js';
import { privateInstall, type PrivateInstall } from '../helpers/private-install.js';

describe('Pacemaker sees the installed agents', () => {
  let ws: Workspace;
  let inst: PrivateInstall;
  beforeAll(async () => {
    ws = await Workspace.create();
    inst = await privateInstall();
  });
  afterAll(async () => {
    await inst?.dispose();
    await ws?.stop();
  });

  it('crm_resource lists the palisade provider\'s agents and reads their meta-data', async () => {
    const list = await inst.run('crm_resource', ['--list-agents', 'ocf:palisade']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout.split('\n').filter(Boolean).sort()).toEqual([...ocfAgents, ...Object.keys(OCF_ALIASES)].sort());
    for (const agent of ocfAgents) {
      const md = await inst.run('crm_resource', ['--show-metadata', `ocf:palisade:${agent}`]);
      expect(md.exitCode, `${agent}: ${md.stderr}`).toBe(0);
      expect(md.stdout).toContain(`<resource-agent name="${agent}"`);
    }
  });

  it('crm_resource --validate runs validate-all and reports the exit reason', async () => {
    const good = await inst.run('crm_resource', ['--validate', '--class', 'ocf', '--provider', 'palisade', '--agent', 'IPaddr2',
      '--option', 'ip=192.0.2.10', '--option', 'cidr_netmask=24', '--option', 'nic=lo']);
    expect(good.exitCode, good.stdout + good.stderr).toBe(0);
    const bad = await inst.run('crm_resource', ['--validate', '--class', 'ocf', '--provider', 'palisade', '--agent', 'IPaddr2',
      '--option', 'ip=999.1.1.1']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/Invalid IP address '999\.1\.1\.1'/);
  });

  it('stonith_admin lists fence_palisade and reads its meta-data', async () => {
    const installed = await inst.run('stonith_admin', ['--list-installed']);
    expect(installed.stdout).toMatch(/^fence_palisade$/m);
    const md = await inst.run('stonith_admin', ['--metadata', '--agent', 'fence_palisade']);
    expect(md.exitCode, md.stderr).toBe(0);
    expect(md.stdout).toContain('<resource-agent name="fence_palisade"');
    expect(md.stdout).toMatch(/<parameter name="plug"/);
  });

  it('stonith_admin --validate runs validate-all on a device definition, naming a missing key file', async () => {
    const key = await ws.key();
    const good = await inst.run('stonith_admin', ['--validate', '--agent', 'fence_palisade', '--option', 'ipaddr=127.0.0.1', '--option', `key_file=${key}`]);
    expect(good.exitCode, good.stdout + good.stderr).toBe(0);
    const missing = ws.path('missing.key');
    const bad = await inst.run('stonith_admin', ['--validate', '--agent', 'fence_palisade', '--option', 'ipaddr=127.0.0.1', '--option', `key_file=${missing}`]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain(missing);
  });
});
