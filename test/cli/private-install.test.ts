// The private-install helper shows this checkout's agents at the real paths
// inside its own mount namespace, and leaves the host's folders alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat } from 'node:fs/promises';
import { ocfAgents } from '../../agents/ocf/registry.js';
import { OCF_ALIASES } from '../../cli/install.js';
import { privateInstall, type PrivateInstall } from '../helpers/private-install.js';

describe('privateInstall', () => {
  let inst: PrivateInstall;
  const hostHadProvider = lstat('/usr/lib/ocf/resource.d/palisade').then(() => true, () => false);
  beforeAll(async () => { inst = await privateInstall(); });
  afterAll(async () => { await inst?.dispose(); });

  it('Pacemaker lists every registered agent and the fence agent inside the namespace', async () => {
    const ocf = await inst.run('crm_resource', ['--list-agents', 'ocf:palisade']);
    expect(ocf.exitCode, ocf.stderr).toBe(0);
    expect(ocf.stdout.split('\n').filter(Boolean).sort()).toEqual([...ocfAgents, ...Object.keys(OCF_ALIASES)].sort());
    const fence = await inst.run('stonith_admin', ['--list-installed']);
    expect(fence.stdout).toMatch(/^fence_palisade$/m);
  });

  it('leaves the host folders as they were', async () => {
    const now = await lstat('/usr/lib/ocf/resource.d/palisade').then(() => true, () => false);
    expect(now).toBe(await hostHadProvider);
    expect(await lstat('/usr/sbin/fence_palisade').then(() => true, () => false)).toBe(false);
  });
});
