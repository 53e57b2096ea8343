// Pacemaker's own tools read ocf:palisade:mariadb (and its mysql alias)
// through the private install view (test/helpers/private-install.ts): the
// host's /usr/lib/ocf is never written.

import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateInstall, type PrivateInstall } from '../helpers/private-install.js';

describe('Pacemaker tools and ocf:palisade:mariadb', () => {
  let inst: PrivateInstall;
  let dir: string;
  beforeAll(async () => {
    inst = await privateInstall();
    dir = await mkdtemp(join(tmpdir(), 'pal-mariadb-pcs-'));
  });
  afterAll(async () => {
    await inst?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('crm_resource --show-metadata reads the agent under both names', async () => {
    for (const name of ['mariadb', 'mysql']) {
      const md = await inst.run('crm_resource', ['--show-metadata', `ocf:palisade:${name}`]);
      expect(md.exitCode, md.stderr).toBe(0);
      expect(md.stdout).toContain('<resource-agent name="mariadb"');
      expect(md.stdout).toContain('<parameter name="replication_user"');
    }
  });

  it('pcs -f creates a promotable clone with notify=true, and a VIP that follows the promoted instance, without --force', async () => {
    const cib = join(dir, 'cib.xml');
    const empty = await inst.run('cibadmin', ['--empty']);
    expect(empty.exitCode, empty.stderr).toBe(0);
    await writeFile(cib, empty.stdout);
    const pcs = (args: readonly string[]) => inst.run('pcs', ['-f', cib, ...args]);
    const create = await pcs(['resource', 'create', 'db', 'ocf:palisade:mariadb', 'binary=/usr/sbin/mariadbd', 'config=/etc/mysql/my.cnf',
      'replication_user=repl', 'replication_passwd=secret', 'op', 'monitor', 'interval=20s', 'timeout=30s',
      'op', 'monitor', 'interval=10s', 'role=Promoted', 'timeout=30s', 'promotable', 'notify=true']);
    expect(create.exitCode, create.stdout + create.stderr).toBe(0);
    const vip = await pcs(['resource', 'create', 'db-vip', 'ocf:heartbeat:IPaddr2', 'ip=192.0.2.10', 'cidr_netmask=24']);
    expect(vip.exitCode, vip.stdout + vip.stderr).toBe(0);
    const colo = await pcs(['constraint', 'colocation', 'add', 'db-vip', 'with', 'Promoted', 'db-clone', 'INFINITY']);
    expect(colo.exitCode, colo.stdout + colo.stderr).toBe(0);
    const order = await pcs(['constraint', 'order', 'promote', 'db-clone', 'then', 'start', 'db-vip']);
    expect(order.exitCode, order.stdout + order.stderr).toBe(0);
    const xml = await readFile(cib, 'utf8');
    expect(xml).toMatch(/<clone id="db-clone">/);
    expect(xml).toMatch(/<primitive id="db" class="ocf" type="mariadb" provider="palisade">/);
    expect(xml).toMatch(/name="promotable" value="true"/);
    expect(xml).toMatch(/name="notify" value="true"/);
    // the alias is accepted the same way: switching from heartbeat changes only the provider
    const alias = await pcs(['resource', 'create', 'db2', 'ocf:palisade:mysql', 'config=/etc/mysql/my.cnf']);
    expect(alias.exitCode, alias.stdout + alias.stderr).toBe(0);
  });
});
