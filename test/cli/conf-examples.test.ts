// The shipped multi-cluster example passes `palisade config check`, with
// its key paths and interface pointed at this machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { Workspace, palisadeCli, ROOT } from '../helpers/fence-daemons.js';
import { join } from 'node:path';

describe('conf/palisaded-clusters.conf', () => {
  let ws: Workspace;
  let text: string;
  beforeAll(async () => {
    ws = await Workspace.create();
    const a = await ws.key('cluster-a.key');
    const b = await ws.key('cluster-b.key');
    text = (await readFile(join(ROOT, 'conf/palisaded-clusters.conf'), 'utf8'))
      .replaceAll('/etc/cluster/cluster-a.key', a)
      .replaceAll('/etc/cluster/cluster-b.key', b)
      .replace('interface = "virbr0"', 'interface = "lo"');
  });
  afterAll(async () => { await ws?.stop(); });

  it('checks clean offline and names both listeners and clusters', async () => {
    const file = await ws.file('clusters.conf', text);
    const r = await palisadeCli(['config', 'check', '--offline', file]);
    expect(r.stderr + r.stdout).not.toMatch(/warning/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/listener: multicast 225\.0\.0\.12:1229 on lo/);
    expect(r.stdout).toMatch(/listener: tcp:cluster-b 192\.168\.200\.1:1229 \(hmac-sha256\)/);
    expect(r.stdout).toMatch(/cluster cluster-a .*scope of a listener/);
    expect(r.stdout).toMatch(/cluster cluster-b .*scope of a listener/);
  });

  it('an interface that does not exist is an error at its line', async () => {
    const file = await ws.file('bad-if.conf', text.replace('interface = "lo"', 'interface = "nosuch0"'));
    const r = await palisadeCli(['config', 'check', '--offline', file]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/bad-if\.conf:\d+: listeners\/multicast\/interface: .*nosuch0/);
  });
});
