// Replication over TLS: replication_require_ssl and replication_master_ssl_ca
// against two real mariadbd with certificates from a test CA (openssl), the
// replication account on the promoted node requiring SSL. A replica that
// connects without TLS is refused; with the agent's SSL options it
// replicates, and its IO thread reports the TLS connection.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { mariadbCluster, mariadbScenario, PROMOTABLE_SH, publishMasterIps, type MariadbCluster } from '../helpers/mariadb.js';

const M = 'OCF_RESKEY_CRM_meta';
const dirs: string[] = [];
const clusters: MariadbCluster[] = [];
afterAll(async () => {
  for (const c of clusters) await c.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A test CA and a server certificate for 127.0.0.2 and 127.0.0.3, readable by mysql. */
function certificates(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pal-mariadb-tls-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=palisade test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=palisade-db', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.2,IP:127.0.0.3\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem');
  const mysql = Number(execFileSync('id', ['-u', 'mysql'], { encoding: 'utf8' }).trim());
  chownSync(join(dir, 'server.key'), mysql, -1);
  chmodSync(join(dir, 'server.key'), 0o600);
  for (const f of ['ca.pem', 'server.pem']) chmodSync(join(dir, f), 0o644);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

describe('promotable clone, replication over TLS', () => {
  it('a replica without TLS is refused by an account that requires it; with replication_require_ssl and the CA it replicates over TLS', async () => {
    const tls = certificates();
    const c = await mariadbCluster([{ name: 'a', address: '127.0.0.2' }, { name: 'b', address: '127.0.0.3' }], {
      promotable: true,
      extraConfig: `ssl_ca=${tls.ca}\nssl_cert=${tls.cert}\nssl_key=${tls.key}`,
    });
    clusters.push(c);
    publishMasterIps(c);
    const s = await mariadbScenario(c, `${PROMOTABLE_SH}
ocf start_a a start
sql a "SET sql_log_bin=0; ALTER USER 'repl'@'127.0.0.%' REQUIRE SSL"
trans promote a ''
nocf promote_a a promote
trans start b a
nocf plain b start
nocf tls b start OCF_RESKEY_replication_require_ssl=true OCF_RESKEY_replication_master_ssl_ca=${tls.ca}
sql a "INSERT INTO palisade.t VALUES (1, 'over tls')"
wait_for 'over tls' row b 1
note row "$(row b 1)"
note slave "$(for f in Master_SSL_Allowed Master_SSL_CA_File Slave_IO_Running Slave_SQL_Running; do printf '%s: %s;' $f "$(slave_field b $f)"; done)"
note repl_sessions "$(sql a "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'repl'")"
nocf mon_b b monitor ${M}_interval=10000
ocf stop_b b stop
ocf stop_a a stop
`, { timeoutMs: 110_000 });
    expect(s.sentinelAlive, s.ns.stderr).toBe(true);
    const st = (l: string) => s.step(l);
    expect(st('start_a').code, st('start_a').stderr).toBe(OCF.SUCCESS);
    expect(st('promote_a').code, st('promote_a').stderr).toBe(OCF.SUCCESS);
    // without TLS the account refuses the replica, and the agent says why
    expect(st('plain').code).toBe(OCF.ERR_GENERIC);
    expect(st('plain').reason).toMatch(/IO thread error 1045: .*Access denied/);
    expect(st('tls').code, st('tls').stderr).toBe(OCF.SUCCESS);
    expect(s.note('row')).toBe('over tls');
    expect(s.note('slave')).toContain('Master_SSL_Allowed: Yes;');
    expect(s.note('slave')).toContain(`Master_SSL_CA_File: ${tls.ca};`);
    expect(s.note('slave')).toContain('Slave_IO_Running: Yes;');
    expect(s.note('repl_sessions')).toBe('1');
    expect(st('mon_b').code, st('mon_b').stderr).toBe(OCF.SUCCESS);
    expect(st('stop_b').code).toBe(OCF.SUCCESS);
    expect(st('stop_a').code).toBe(OCF.SUCCESS);
  }, 120_000);
});
