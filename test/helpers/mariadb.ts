// Private MariaDB servers for tests: each "node" has its own datadir
// (mariadb-install-db), my.cnf, socket, pid file and error log under one
// temp dir, and listens only on its loopback address (127.0.0.2, 127.0.0.3)
// on a free port. Nothing from /etc/mysql, never the host's service.
//
//   const c = await mariadbCluster([{ name: 'a', address: '127.0.0.2' }], { promotable: true });
//   const s = await mariadbScenario(c, `ocf start a start; sql a "SELECT 1"`);
//   expect(s.step('start').code).toBe(0);
//   await c.cleanup();
//
// Scenarios run in their own PID namespace (test/helpers/pidns.ts): every
// mariadbd started there dies with it even when a test fails, and the
// agent's signals can reach nothing else; a sentinel must survive.
// crm_attribute, crm_master and crm_node are the recording stand-ins of
// test/stand-ins/crm (store and call log under <dir>/crm).

import { afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentPath, heartbeatAgent, ocfEnv, REPO_ROOT } from './ocf.js';
import { readText, scenarioFiles, type Step } from './scenario-files.js';
import { runInPidns, type PidnsResult } from './pidns.js';

export const MARIADBD = '/usr/sbin/mariadbd';
export const MYSQLD_SAFE = '/usr/bin/mysqld_safe';
export const AGENT = agentPath('mariadb');
export const HEARTBEAT = heartbeatAgent('mysql');
export const STAND_INS = join(REPO_ROOT, 'test/stand-ins/crm');
/** The replication (and agent) account the fixtures create on every node. */
export const REPL_USER = 'repl';
export const REPL_PASSWD = 'Pal1sade-s3cret';
/** The primitive's name; clone instances are db:0, db:1. */
export const RSC = 'db';

/** A port nobody listens on right now at `address` (bound, then released). */
export function freePortOn(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, address, () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** One port free on every address: replication_port is one value for the whole clone, as in Pacemaker. */
async function commonPort(addresses: readonly string[]): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePortOn(addresses[0]!);
    const free = await Promise.all(addresses.slice(1).map((a) => new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, a, () => s.close(() => resolve(true)));
    })));
    if (free.every(Boolean)) return port;
  }
  throw new Error(`no port free on all of ${addresses.join(' ')}`);
}

export interface NodeSpec {
  readonly name: string;
  readonly address: string;
}

export interface MariadbNode extends NodeSpec {
  readonly port: number;
  readonly dir: string;
  readonly config: string;
  readonly datadir: string;
  readonly socket: string;
  readonly pid: string;
  readonly log: string;
  /** The OCF parameters of this node's resource. */
  readonly params: Record<string, string>;
}

export interface ClusterOptions {
  /** Clone meta attributes (promotable=true notify=true clone_max=N) and binary logging. */
  promotable?: boolean;
  /** More lines for [mysqld]. */
  extraConfig?: string;
  /** Leave the datadir empty (for enable_creation). */
  noInstall?: boolean;
}

export interface MariadbCluster {
  readonly dir: string;
  readonly nodes: readonly MariadbNode[];
  readonly promotable: boolean;
  node(name: string): MariadbNode;
  /** The environment Pacemaker's execd would give `node`'s instance (without notify variables). */
  env(node: string, params?: Record<string, string>, opts?: { timeoutMs?: number }): Record<string, string>;
  cleanup(): Promise<void>;
}

const SETUP_SQL = [
  'FLUSH PRIVILEGES;',
  ...['localhost', '127.0.0.%'].flatMap((h) => [
    `CREATE USER IF NOT EXISTS '${REPL_USER}'@'${h}' IDENTIFIED BY '${REPL_PASSWD}';`,
    `GRANT ALL ON *.* TO '${REPL_USER}'@'${h}' WITH GRANT OPTION;`,
  ]),
  'CREATE DATABASE IF NOT EXISTS palisade;',
  'CREATE TABLE IF NOT EXISTS palisade.t (id INT PRIMARY KEY, v VARCHAR(64));',
].join('\n');

export interface DatadirSpec {
  /** --defaults-file for mariadb-install-db and the bootstrap server. */
  readonly config: string;
  readonly datadir: string;
  /** Error log of the bootstrap server. */
  readonly bootstrapLog: string;
  /** Statements run in bootstrap mode (accounts, schema): no binary log, no server left running. */
  readonly sql: string;
}

/** A datadir made by mariadb-install-db (owned by mysql), then `sql` applied by a bootstrap server. */
export function installDatadir(d: DatadirSpec): void {
  // --skip-name-resolve: without it the script resolves the host name, which fails now and then on a loaded machine
  const r = spawnSync('mariadb-install-db', [`--defaults-file=${d.config}`, `--datadir=${d.datadir}`, '--user=mysql', '--skip-test-db', '--skip-name-resolve'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mariadb-install-db for ${d.datadir} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).slice(-1500)}`);
  execFileSync(MARIADBD, [`--defaults-file=${d.config}`, `--datadir=${d.datadir}`, '--user=mysql', '--bootstrap', `--log-error=${d.bootstrapLog}`], {
    input: d.sql,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function install(n: Omit<MariadbNode, 'params'>): void {
  installDatadir({ config: n.config, datadir: n.datadir, bootstrapLog: join(n.dir, 'bootstrap.log'), sql: SETUP_SQL });
}

export async function mariadbCluster(specs: readonly NodeSpec[], opts: ClusterOptions = {}): Promise<MariadbCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pal-mariadb-'));
  try {
    return await makeCluster(dir, specs, opts);
  } catch (e) {
    // a failed set-up (mariadb-install-db) leaves nothing behind either
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function makeCluster(dir: string, specs: readonly NodeSpec[], opts: ClusterOptions): Promise<MariadbCluster> {
  chmodSync(dir, 0o755);
  const nodes: MariadbNode[] = [];
  const promotable = opts.promotable ?? false;
  const shared = promotable ? await commonPort(specs.map((s) => s.address)) : undefined;
  for (const s of specs) {
    const nd = join(dir, s.name);
    for (const d of ['', 'run', 'log', 'binlog', 'tmp']) mkdirSync(join(nd, d), { recursive: true, mode: 0o755 });
    for (const d of ['run', 'log', 'binlog', 'tmp']) chownSync(join(nd, d), uid('mysql'), gid('mysql'));
    const port = shared ?? (await freePortOn(s.address));
    const config = join(nd, 'my.cnf');
    writeFileSync(
      config,
      [
        '# test fixture: a private server, nothing from /etc/mysql',
        '[mysqld]',
        `bind-address=${s.address}`,
        `port=${port}`,
        'skip-name-resolve',
        // temporary tables are named after the server's pid: servers in other PID namespaces may share it
        `tmpdir=${join(nd, 'tmp')}`,
        ...(promotable ? [`log_bin=${join(nd, 'binlog', 'mariadb-bin')}`, 'log_slave_updates=ON', 'binlog_format=ROW'] : []),
        opts.extraConfig ?? '',
        '',
      ].join('\n'),
    );
    const base = { ...s, port, dir: nd, config, datadir: join(nd, 'data'), socket: join(nd, 'run', 'mysqld.sock'), pid: join(nd, 'run', 'mysqld.pid'), log: join(nd, 'log', 'error.log') };
    if (!opts.noInstall) install(base);
    nodes.push({
      ...base,
      params: {
        binary: MARIADBD,
        config,
        datadir: base.datadir,
        socket: base.socket,
        pid: base.pid,
        log: base.log,
        replication_port: String(port),
        ...(promotable ? { replication_user: REPL_USER, replication_passwd: REPL_PASSWD } : {}),
      },
    });
  }
  const crm = join(dir, 'crm');
  mkdirSync(crm);
  const cluster: MariadbCluster = {
    dir,
    nodes,
    promotable,
    node(name) {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no node ${name}`);
      return n;
    },
    env(name, params = {}, o = {}) {
      const n = cluster.node(name);
      const index = nodes.indexOf(n);
      const meta: Record<string, string> = promotable
        ? {
            OCF_RESKEY_CRM_meta_promotable: 'true',
            OCF_RESKEY_CRM_meta_notify: 'true',
            OCF_RESKEY_CRM_meta_clone: String(index),
            OCF_RESKEY_CRM_meta_clone_max: String(nodes.length),
            OCF_RESKEY_CRM_meta_clone_node_max: '1',
            OCF_RESKEY_CRM_meta_promoted_max: '1',
            OCF_RESKEY_CRM_meta_promoted_node_max: '1',
            OCF_RESKEY_CRM_meta_on_node: name,
          }
        : {};
      return {
        ...ocfEnv({ ...n.params, ...params }, { instance: promotable ? `${RSC}:${index}` : RSC, timeoutMs: o.timeoutMs ?? 60_000, extra: meta }),
        PATH: `${STAND_INS}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
        CRM_STANDIN_DIR: crm,
        CRM_STANDIN_NODE: name,
        CRM_STANDIN_NODES: nodes.map((x) => x.name).join(' '),
      };
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

function idOf(db: 'passwd' | 'group', name: string): number {
  const line = readFileSync(`/etc/${db}`, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`${name} missing from /etc/${db} (Debian package mariadb-server creates it)`);
  return Number(line.split(':')[2]);
}
const uid = (n: string) => idOf('passwd', n);
const gid = (n: string) => idOf('group', n);

const M = 'OCF_RESKEY_CRM_meta';

/** The node attribute <rsc>_mysql_master_IP of every node, as an administrator sets it (the crm stand-ins' store). */
export function publishMasterIps(c: MariadbCluster): void {
  for (const n of c.nodes) {
    const d = join(c.dir, 'crm', 'attrs', n.name, 'forever');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `${RSC}_mysql_master_IP`), `${n.address}\n`);
  }
}

/** Shell helpers for promotable-clone scenarios (on top of mariadbScenario's ocf, nocf, sql, note, slave_field). */
export const PROMOTABLE_SH = `
# trans OP NODE PROMOTED: the notify_* variables of a transition doing OP on NODE while PROMOTED is promoted;
# nocf passes them (Pacemaker gives them to the clone's actions and notifications alike)
trans() {
  op=$1; on=$2; promoted=$3; unp=; for n in \${NODES:-a b}; do [ "$n" = "$promoted" ] || unp="$unp $n"; done; unp=\${unp# }
  cat >"$OUT/notify.env" <<EOF
${M}_notify_\${op}_uname='$on'
${M}_notify_\${op}_resource='${RSC}:x'
${M}_notify_promoted_uname='$promoted'
${M}_notify_master_uname='$promoted'
${M}_notify_unpromoted_uname='$unp'
${M}_notify_slave_uname='$unp'
${M}_notify_active_uname='\${NODES:-a b}'
${M}_notify_all_uname='\${NODES:-a b}'
EOF
}
notify() { l=$1; n=$2; type=$3; nocf "$l" "$n" notify ${M}_notify_type=$type ${M}_notify_operation=$op; }
# wait_for WANT CMD...: until CMD prints WANT (bounded; the scenario's own timeout is the backstop)
wait_for() { want=$1; shift; i=0; while [ "$("$@" 2>/dev/null)" != "$want" ] && [ $i -lt 2000 ]; do i=$((i+1)); sleep 0.01; done; }
row() { sql $1 "SELECT v FROM palisade.t WHERE id=$2"; }
sql_errno() { slave_field $1 Last_SQL_Errno; }
io_pos() { slave_field $1 Gtid_IO_Pos; }
score() { cat "$CRM/attrs/$1/reboot/master-${RSC}" 2>/dev/null || echo none; }
`;

export type { Step } from './scenario-files.js';

export interface Scenario {
  readonly ns: PidnsResult;
  readonly sentinelAlive: boolean;
  step(label: string): Step;
  note(label: string): string;
  /** crm_* calls recorded since the cluster was made, one `<node> <program> <args>` per line. */
  calls(): string[];
  /** A node attribute from the stand-ins' store (undefined when unset). */
  attr(node: string, name: string, lifetime?: string): string | undefined;
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `body` (sh) in a new PID namespace. Inside:
 * - `ocf LABEL NODE ACTION [VAR=value ...]` runs our agent with NODE's
 *   environment (`hb` the heartbeat agent) and records code, output, time;
 *   `nocf` also passes the variables in $OUT/notify.env (notify_* lists);
 * - `sql NODE STATEMENT` runs the mariadb client as root over NODE's socket
 *   (the test's own check; the agent never runs a client), `-N -B` output;
 * - `slave_field NODE COLUMN`: one column of NODE's SHOW SLAVE STATUS;
 * - `note LABEL TEXT`; `$CRM` is the stand-ins' folder; `$DIR` the cluster's.
 */
export async function mariadbScenario(
  c: MariadbCluster,
  body: string,
  opts: { params?: Record<string, string>; timeoutMs?: number; opTimeoutMs?: number; envExtra?: Record<string, string> } = {},
): Promise<Scenario> {
  const out = mkdtempSync(join(c.dir, 'run-'));
  const envFiles: string[] = [];
  for (const n of c.nodes) {
    const env = c.env(n.name, opts.params ?? {}, { timeoutMs: opts.opTimeoutMs ?? 60_000 });
    const f = join(out, `env.${n.name}`);
    writeFileSync(f, Object.entries(env).filter(([k]) => /^(OCF_|HA_|CRM_STANDIN_|PATH$)/.test(k)).map(([k, v]) => `${k}=${shellQuote(v)}`).join('\n') + '\n');
    envFiles.push(f);
  }
  const script = `
now() { date +%s%N; }
run() { l=$1; n=$2; a=$3; shift 3; t0=$(now); ( set -a; . "$OUT/env.$n"; [ -z "$NOTIFY_ENV" ] || . "$NOTIFY_ENV"; set +a; exec env "$@" "$RA" "$a" ) >"$OUT/$l.out" 2>"$OUT/$l.err"; echo $? >"$OUT/$l.rc"; echo $(( ($(now) - t0) / 1000000 )) >"$OUT/$l.ms"; }
ocf() { RA=$AGENT NOTIFY_ENV= run "$@"; }
nocf() { RA=$AGENT NOTIFY_ENV=$OUT/notify.env run "$@"; }
hb() { RA=$HEARTBEAT run "$@"; }
sql() { n=$1; shift; ( set -a; . "$OUT/env.$n"; mariadb -N -B -u root -S "$OCF_RESKEY_socket" -e "$*" ); }
note() { l=$1; shift; echo "$*" >"$OUT/$l.note"; }
slave_field() { ( . "$OUT/env.$1"; mariadb -u root -S "$OCF_RESKEY_socket" -e 'SHOW SLAVE STATUS\\G' ) | sed -n "s/^ *$2: //p"; }
${body}
`;
  const ns = await runInPidns(script, {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: undefined, HA_LOGFACILITY: 'none', AGENT, HEARTBEAT, OUT: out, DIR: c.dir, CRM: join(c.dir, 'crm'), ...opts.envExtra },
    timeoutMs: opts.timeoutMs ?? 55_000,
  });
  return {
    ns,
    sentinelAlive: ns.sentinelAlive,
    ...scenarioFiles(out, ns),
    calls() {
      return readText(join(c.dir, 'crm', 'calls.log')).split('\n').filter(Boolean);
    },
    attr(node, name, lifetime = 'reboot') {
      const v = readText(join(c.dir, 'crm', 'attrs', node, lifetime, name)).trim();
      return v === '' ? undefined : v;
    },
  };
}

/** `single(options)` makes a one-node cluster ("a" on 127.0.0.2); all are removed after the test file. */
export function singleNodeClusters(): (o?: ClusterOptions) => Promise<MariadbCluster> {
  const made: MariadbCluster[] = [];
  afterAll(async () => {
    for (const c of made) await c.cleanup();
  });
  return async (o = {}) => {
    const c = await mariadbCluster([{ name: 'a', address: '127.0.0.2' }], o);
    made.push(c);
    return c;
  };
}
