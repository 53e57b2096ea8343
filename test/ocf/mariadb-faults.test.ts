// ocf:palisade:mariadb on bad input and faults: each gives its exit code and
// a reason naming the problem, and nothing is left half-started. Real
// mariadbd servers in PID namespaces (test/helpers/mariadb.ts).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { mariadbScenario, type Scenario, singleNodeClusters } from '../helpers/mariadb.js';

const single = singleNodeClusters();

const probe = 'OCF_RESKEY_CRM_meta_interval=0';
const PROCS = `nprocs() { n=0; for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null) || continue; case "$c" in mariadbd|mysqld_safe) s=$(cat $p/stat 2>/dev/null) || continue; st=\${s##*) }; case "\${st%% *}" in Z|X) continue;; esac; n=$((n+1));; esac; done; echo $n; }`;

function expectStep(s: Scenario, label: string, code: number, reason?: RegExp): void {
  const st = s.step(label);
  expect(st.code, `${label}: ${st.stderr}`).toBe(code);
  if (reason) expect(st.reason, label).toMatch(reason);
}

describe('bad input', () => {
  it('missing binary, config, datadir, user or group: 5 (probe 7, stop 0); invalid values: 6', async () => {
    const c = await single();
    const s = await mariadbScenario(
      c,
      `${PROCS}
ocf bin_start a start OCF_RESKEY_binary=/nonexistent/mariadbd
ocf bin_probe a monitor ${probe} OCF_RESKEY_binary=/nonexistent/mariadbd
ocf bin_stop a stop OCF_RESKEY_binary=/nonexistent/mariadbd
ocf conf_start a start OCF_RESKEY_config=$DIR/none.cnf
ocf conf_probe a monitor ${probe} OCF_RESKEY_config=$DIR/none.cnf
ocf conf_validate a validate-all OCF_RESKEY_config=$DIR/none.cnf
ocf dd_start a start OCF_RESKEY_datadir=$DIR/nodata
ocf dd_probe a monitor ${probe} OCF_RESKEY_datadir=$DIR/nodata
ocf user_start a start OCF_RESKEY_user=nosuchuser
ocf user_probe a monitor ${probe} OCF_RESKEY_user=nosuchuser
ocf group_start a start OCF_RESKEY_group=nosuchgroup
ocf lag a start OCF_RESKEY_max_slave_lag=soon
ocf port a start OCF_RESKEY_replication_port=99999
ocf table a start "OCF_RESKEY_test_table=mysql.user; DROP TABLE x"
ocf creation a start OCF_RESKEY_enable_creation=maybe
ocf relpid a start OCF_RESKEY_pid=run/mysqld.pid
ocf ssl a start OCF_RESKEY_replication_require_ssl=perhaps
ocf quote a start "OCF_RESKEY_additional_parameters=--x='unbalanced"
ocf reader a start "OCF_RESKEY_reader_attribute=read able"
ocf depth a validate-all OCF_CHECK_LEVEL=deep
ocf no_notify a start OCF_RESKEY_CRM_meta_promotable=true OCF_RESKEY_CRM_meta_notify=false
note procs "$(nprocs)"
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expectStep(s, 'bin_start', OCF.ERR_INSTALLED, /server binary \/nonexistent\/mariadbd not found or not executable \(parameter binary\)/);
    expectStep(s, 'bin_probe', OCF.NOT_RUNNING);
    expectStep(s, 'bin_stop', OCF.SUCCESS);
    expectStep(s, 'conf_start', OCF.ERR_INSTALLED, /config file .*none\.cnf does not exist \(parameter config\)/);
    expectStep(s, 'conf_probe', OCF.NOT_RUNNING);
    expectStep(s, 'conf_validate', OCF.ERR_INSTALLED, /none\.cnf/);
    expectStep(s, 'dd_start', OCF.ERR_INSTALLED, /datadir .*nodata does not exist \(parameter datadir\); create it or set enable_creation=1/);
    expectStep(s, 'dd_probe', OCF.NOT_RUNNING);
    expectStep(s, 'user_start', OCF.ERR_INSTALLED, /user nosuchuser does not exist \(parameter user\)/);
    expectStep(s, 'user_probe', OCF.NOT_RUNNING);
    expectStep(s, 'group_start', OCF.ERR_INSTALLED, /group nosuchgroup does not exist \(parameter group\)/);
    expectStep(s, 'lag', OCF.ERR_CONFIGURED, /Invalid value for parameter max_slave_lag: 'soon': not an integer/);
    expectStep(s, 'port', OCF.ERR_CONFIGURED, /replication_port '99999' is not a port number/);
    expectStep(s, 'table', OCF.ERR_CONFIGURED, /test_table 'mysql\.user; DROP TABLE x' is not of the form db\.table/);
    expectStep(s, 'creation', OCF.ERR_CONFIGURED, /parameter enable_creation: 'maybe': not a boolean/);
    expectStep(s, 'relpid', OCF.ERR_CONFIGURED, /pid must be an absolute path/);
    expectStep(s, 'ssl', OCF.ERR_CONFIGURED, /replication_require_ssl: 'perhaps'/);
    expectStep(s, 'quote', OCF.ERR_CONFIGURED, /additional_parameters/);
    expectStep(s, 'reader', OCF.ERR_CONFIGURED, /reader_attribute 'read able' is not a valid attribute name/);
    expectStep(s, 'depth', OCF.ERR_CONFIGURED, /OCF_CHECK_LEVEL 'deep'/);
    expectStep(s, 'no_notify', OCF.ERR_CONFIGURED, /needs notify=true/);
    expect(s.note('procs')).toBe('0');
  });
});

describe('faults at start', () => {
  it('port in use, socket or pid directory not writable, server dying at start, datadir of another server: codes, reasons, nothing left', async () => {
    const c = await single();
    const a = c.node('a');
    const rootOnly = join(c.dir, 'root-only');
    mkdirSync(rootOnly, { mode: 0o755 });
    const s = await mariadbScenario(
      c,
      `${PROCS}
# another program holds the server's address and port
node -e "require('net').createServer().listen(${a.port}, '${a.address}', () => console.log('ready'))" >"$OUT/blocker" &
blocker=$!
while [ "$(cat "$OUT/blocker")" != ready ]; do sleep 0.01; done
ocf port_in_use a start
note procs1 "$(nprocs) $(ls $DIR/a/run)"
kill $blocker; wait $blocker
ocf sockdir a start OCF_RESKEY_socket=${rootOnly}/mysqld.sock
ocf piddir a start OCF_RESKEY_pid=${rootOnly}/mysqld.pid
ocf bad_option a start OCF_RESKEY_additional_parameters=--no-such-option
note procs2 "$(nprocs)"
ocf start a start
ocf second a start OCF_RESOURCE_INSTANCE=db2 OCF_RESKEY_pid=$DIR/a/run/other.pid OCF_RESKEY_socket=$DIR/a/run/other.sock
ocf mon a monitor OCF_RESKEY_CRM_meta_interval=10000 OCF_CHECK_LEVEL=10
ocf stop a stop
note procs3 "$(nprocs)"
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expectStep(s, 'port_in_use', OCF.ERR_GENERIC, new RegExp(`exited during start, its port is already in use: .*Address already in use.*${a.port}`));
    expect(s.note('procs1')).toBe('0');
    expectStep(s, 'sockdir', OCF.ERR_PERM, /directory .*root-only of the socket is not writable by user mysql/);
    expectStep(s, 'piddir', OCF.ERR_PERM, /directory .*root-only of the pid file is not writable by user mysql/);
    expectStep(s, 'bad_option', OCF.ERR_GENERIC, /exited during start, .*unknown option '--no-such-option'/);
    expect(s.note('procs2')).toBe('0');
    expectStep(s, 'start', OCF.SUCCESS);
    expectStep(s, 'second', OCF.ERR_GENERIC, /datadir .*\/a\/data is in use by another server \(pid \d+\), not the one in .*other\.pid: stop it first/);
    // the first server is untouched
    expectStep(s, 'mon', OCF.SUCCESS);
    expectStep(s, 'stop', OCF.SUCCESS);
    expect(s.note('procs3')).toBe('0');
  });

  it('enable_creation initialises an empty datadir; without it the start says what to do', async () => {
    const c = await single({ noInstall: true });
    const s = await mariadbScenario(
      c,
      `${PROCS}
mkdir -p $DIR/a/data; chown mysql:mysql $DIR/a/data
ocf plain a start
ocf create a start OCF_RESKEY_enable_creation=1
ocf d10 a monitor OCF_RESKEY_CRM_meta_interval=10000 OCF_CHECK_LEVEL=10
ocf stop a stop
note procs "$(nprocs)"
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expectStep(s, 'plain', OCF.ERR_INSTALLED, /datadir .*a\/data has no mysql system database: initialise it with mariadb-install-db, or set enable_creation=1/);
    expectStep(s, 'create', OCF.SUCCESS);
    expectStep(s, 'd10', OCF.SUCCESS);
    expectStep(s, 'stop', OCF.SUCCESS);
    expect(s.note('procs')).toBe('0');
  });
});
