// The MariaDB service of the e2e lab: on every node's disk a datadir made
// by mariadb-install-db (accounts and schema in it) and /etc/mysql/my.cnf
// with the node's own server_id and binary logging; in the CIB each node's
// replication address and the pcs commands of a promotable
// ocf:palisade:mariadb clone with a VIP on the promoted instance.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { installDatadir, REPL_PASSWD, REPL_USER } from '../../helpers/mariadb.js';
import { cmd } from '../../helpers/netns.js';
import { fencedClusterCommands } from './fenced-cluster.js';
import type { Lab } from './lab.js';
import type { Machine } from './machine.js';

export const DB = 'db';
export const DB_CLONE = 'db-clone';
export const DB_VIP = 'db-vip';
export const PORT = 3306;
/** The application's account, reachable from the lab's network. */
export const APP_USER = 'app';
export const APP_PASSWD = 'L4b-app-pw';
/** Socket of each node's server (the agent's default; /run is per node). */
export const SOCKET = '/run/mysqld/mysqld.sock';

const NET = '192.0.2.%';

// Run in bootstrap mode on every datadir, so every node starts with the same
// accounts and schema and nothing in its binary log.
const SETUP_SQL = [
  'FLUSH PRIVILEGES;',
  // the agent's own login over the socket, and the replicas' login to the promoted node
  `CREATE USER '${REPL_USER}'@'localhost' IDENTIFIED BY '${REPL_PASSWD}';`,
  `GRANT ALL ON *.* TO '${REPL_USER}'@'localhost';`,
  `CREATE USER '${REPL_USER}'@'${NET}' IDENTIFIED BY '${REPL_PASSWD}';`,
  `GRANT REPLICATION SLAVE ON *.* TO '${REPL_USER}'@'${NET}';`,
  `CREATE USER '${APP_USER}'@'${NET}' IDENTIFIED BY '${APP_PASSWD}';`,
  'CREATE DATABASE palisade;',
  `GRANT ALL ON palisade.* TO '${APP_USER}'@'${NET}';`,
  'CREATE TABLE palisade.t (id INT PRIMARY KEY, v VARCHAR(64));',
].join('\n');

function myCnf(serverId: number): string {
  return `# lab node: the agent passes datadir, socket, pid file and error log
[mysqld]
server_id = ${serverId}
bind-address = 0.0.0.0
port = ${PORT}
skip-name-resolve
log_bin = mariadb-bin
log_slave_updates = ON
binlog_format = ROW
# temporary files are named after the pid: each node has its own PID namespace, so its own folder
tmpdir = /run/mysqld
`;
}

/** Writes each node's my.cnf and datadir (before the first boot). */
export async function mariadbService(lab: Lab): Promise<void> {
  // mariadb-install-db runs on the host, where /run/mysqld of a node does not exist
  const tmp = lab.path('mariadb-install-tmp');
  await mkdir(tmp);
  await chmod(tmp, 0o1777);
  const installCnf = lab.path('mariadb-install.cnf');
  await writeFile(installCnf, `[mysqld]\nskip-name-resolve\ntmpdir = ${tmp}\n`, { mode: 0o644 });
  for (const [i, m] of lab.nodes.entries()) {
    await writeFile(m.path('etc/mysql/my.cnf'), myCnf(i + 1), { mode: 0o644 });
    installDatadir({ config: installCnf, datadir: m.path('var/lib/mysql'), bootstrapLog: m.path('var/log/mysql/bootstrap.log'), sql: SETUP_SQL });
  }
  await setReplicationAddresses(lab);
}

/**
 * Each node's replication address as the permanent node attribute
 * db_mysql_master_IP, written into the offline CIB (pcs -f cannot: the
 * nodes are not in it yet). Node ids are corosync's nodeids.
 */
async function setReplicationAddresses(lab: Lab): Promise<void> {
  for (const [i, m] of lab.nodes.entries()) {
    const id = String(i + 1);
    const xml = `<node id="${id}" uname="${m.name}"><instance_attributes id="nodes-${id}">` +
      `<nvpair id="nodes-${id}-${DB}_mysql_master_IP" name="${DB}_mysql_master_IP" value="${m.host.v4}"/></instance_attributes></node>`;
    const r = await cmd('cibadmin', ['--create', '--scope', 'nodes', '--xml-text', xml], { ...process.env, CIB_file: lab.cibFile });
    if (r.code !== 0) throw new Error(`cibadmin --create ${m.name} in ${lab.cibFile} failed (${r.code}): ${r.stderr.trim()}`);
  }
}

/** pcs commands (for `pcs -f`): fencing, the promotable clone and its VIP. */
export function mariadbCommands(lab: Lab): string[][] {
  return [
    ...fencedClusterCommands(lab),
    ['resource', 'create', DB, 'ocf:palisade:mariadb', 'binary=/usr/sbin/mariadbd',
      `replication_user=${REPL_USER}`, `replication_passwd=${REPL_PASSWD}`, `replication_port=${PORT}`,
      'op', 'monitor', 'interval=10s', 'role=Promoted', 'timeout=30s',
      'op', 'monitor', 'interval=11s', 'role=Unpromoted', 'timeout=30s',
      'promotable', 'notify=true'],
    ['resource', 'create', DB_VIP, 'ocf:palisade:IPaddr2', `ip=${lab.vip()}`, 'cidr_netmask=24', 'op', 'monitor', 'interval=10s'],
    ['constraint', 'colocation', 'add', DB_VIP, 'with', 'Promoted', DB_CLONE, 'INFINITY'],
    ['constraint', 'order', 'promote', DB_CLONE, 'then', 'start', DB_VIP],
  ];
}

export interface SqlResult {
  readonly ok: boolean;
  /** Rows, tab-separated columns (mariadb -N -B). */
  readonly rows: string[][];
  readonly error: string;
}

function parse(r: { code: number; stdout: string; stderr: string }): SqlResult {
  const rows = r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  return { ok: r.code === 0, rows, error: r.stderr.trim() };
}

/** SQL as the application, from the client namespace, to `host` (the VIP or a node's address); never rejects. */
export async function clientSql(lab: Lab, host: string, statement: string): Promise<SqlResult> {
  const r = await lab.net.run('client', 'mariadb', ['-h', host, '-P', String(PORT), '-u', APP_USER, '--connect-timeout=3', '-N', '-B', '-D', 'palisade', '-e', statement],
    { env: { ...process.env, MYSQL_PWD: APP_PASSWD }, timeoutMs: 15_000 });
  return parse(r);
}

/** SQL as root on the node itself, over its socket (an administrator's session); never rejects. */
export async function adminSql(m: Machine, statement: string): Promise<SqlResult> {
  return parse(await m.exec('mariadb', ['-u', 'root', '-S', SOCKET, '-N', '-B', '-e', statement]));
}

export async function mustAdminSql(m: Machine, statement: string): Promise<string[][]> {
  const r = await adminSql(m, statement);
  if (!r.ok) throw new Error(`${m.name}: ${statement}: ${r.error}`);
  return r.rows;
}

/** The ids in palisade.t as `host` serves them, sorted; undefined when the query fails. */
export async function idsAt(lab: Lab, host: string): Promise<number[] | undefined> {
  const r = await clientSql(lab, host, 'SELECT id FROM t ORDER BY id');
  return r.ok ? r.rows.map((x) => Number(x[0])) : undefined;
}

/** Polls until `pred` holds for the ids `host` serves; returns the last ids seen. */
export async function waitForIds(lab: Lab, host: string, pred: (ids: number[]) => boolean, ms: number): Promise<number[] | undefined> {
  const until = Date.now() + ms;
  let ids: number[] | undefined;
  for (;;) {
    ids = await idsAt(lab, host);
    if ((ids && pred(ids)) || Date.now() > until) return ids;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** SHOW SLAVE STATUS on the node, column → value; empty when it replicates from nowhere. */
export async function slaveStatus(m: Machine): Promise<Record<string, string>> {
  const r = await m.exec('mariadb', ['-u', 'root', '-S', SOCKET, '-B', '-e', 'SHOW SLAVE STATUS']);
  if (r.code !== 0) throw new Error(`${m.name}: SHOW SLAVE STATUS: ${r.stderr.trim()}`);
  const [head, row] = r.stdout.split('\n');
  if (!head || !row) return {};
  const values = row.split('\t');
  return Object.fromEntries(head.split('\t').map((k, i) => [k, values[i] ?? '']));
}
