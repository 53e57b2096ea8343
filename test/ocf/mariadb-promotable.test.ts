// ocf:palisade:mariadb as a promotable clone on two real mariadbd "nodes"
// (a on 127.0.0.2, b on 127.0.0.3, one port), driven only through the agent
// with the environment pacemaker-execd gives a promotable clone with
// notify=true: CRM_meta_* on every action, notify_* on notifications and on
// the actions. crm_attribute and crm_node are the recording stand-ins of
// test/stand-ins/crm; the node attribute db_mysql_master_IP maps node names
// to addresses, as an administrator would set it.

import { afterAll, describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { mariadbCluster, mariadbScenario, PROMOTABLE_SH, publishMasterIps, REPL_PASSWD, RSC, type MariadbCluster } from '../helpers/mariadb.js';

const clusters: MariadbCluster[] = [];
afterAll(async () => {
  for (const c of clusters) await c.cleanup();
});

async function twoNodes(): Promise<MariadbCluster> {
  return nodes([{ name: 'a', address: '127.0.0.2' }, { name: 'b', address: '127.0.0.3' }]);
}

async function nodes(specs: { name: string; address: string }[]): Promise<MariadbCluster> {
  const c = await mariadbCluster(specs, { promotable: true });
  clusters.push(c);
  publishMasterIps(c);
  return c;
}

const M = 'OCF_RESKEY_CRM_meta';
const mon = `${M}_interval=10000`;


describe('promotable clone, GTID replication', () => {
  it('start both, promote a, a row reaches b, b restarts and follows, switchover, a broken replica loses its score, stop', async () => {
    const c = await twoNodes();
    const s = await mariadbScenario(
      c,
      `${PROMOTABLE_SH}
ocf start_a a start
ocf start_b b start
note id_a "$(sql a 'SELECT @@server_id, @@read_only')"
note id_b "$(sql b 'SELECT @@server_id, @@read_only')"
ocf mon_a0 a monitor ${mon}
ocf mon_b0 b monitor ${mon}
note score0 "$(score a) $(score b)"

# promote a: pre-promote on both, promote a, post-promote on both (as Pacemaker orders it)
trans promote a ''
notify pre_a a pre; notify pre_b b pre
nocf promote_a a promote
notify post_a a post; notify post_b b post
ocf mon_a1 a monitor ${mon} ${M}_role=Promoted
ocf mon_b1 b monitor ${mon}
ocf mon_b1_again b monitor ${mon}
note score1 "$(score a) $(score b)"
note readable1 "$(cat $CRM/attrs/a/reboot/readable) $(cat $CRM/attrs/b/reboot/readable)"
sql a "INSERT INTO palisade.t VALUES (1, 'written on a')"
wait_for 'written on a' row b 1
note row1_b "$(row b 1)"
note pw_on_cmdline "$(grep -l "$PW_RE" /proc/[0-9]*/cmdline 2>/dev/null | wc -l)"

# b reboots: stop, a row written meanwhile, start with the notify variables of its start
trans start b a
nocf stop_b b stop
sql a "INSERT INTO palisade.t VALUES (2, 'while b was down')"
nocf restart_b b start
notify post_start_a a post; notify post_start_b b post
wait_for 'while b was down' row b 2
note row2_b "$(row b 2)"
ocf mon_b2 b monitor ${mon}

# switchover to b: pre-demote, demote a, post-demote, pre-promote, promote b, post-promote
trans demote a a
notify pre_dem_a a pre; notify pre_dem_b b pre
nocf demote_a a demote
note ro_a "$(sql a 'SELECT @@read_only')"
notify post_dem_a a post; notify post_dem_b b post
trans promote b ''
notify pre_pro_a a pre; notify pre_pro_b b pre
nocf promote_b b promote
notify post_pro_a a post; notify post_pro_b b post
ocf mon_b3 b monitor ${mon} ${M}_role=Promoted
ocf mon_a3 a monitor ${mon}
note score3 "$(score a) $(score b)"
sql b "INSERT INTO palisade.t VALUES (3, 'written on b')"
wait_for 'written on b' row a 3
note row3_a "$(row a 3)"
note rows_a "$(sql a 'SELECT COUNT(*) FROM palisade.t')"

# a restarts with no promoted node named (as at a cold start): an idle candidate, not broken replication;
# the post-start notification then names b, and a follows it again
ocf stop_a2 a stop
ocf start_a2 a start
ocf mon_a_cold a monitor ${mon}
note score_cold "$(score a)"
trans start a b
notify post_start2_a a post; notify post_start2_b b post
sql b "INSERT INTO palisade.t VALUES (5, 'after the cold start')"
wait_for 'after the cold start' row a 5
note row5_a "$(row a 5)"

# break a: a row only a has (not logged), then the same key written on b
sql a "SET sql_log_bin=0; INSERT INTO palisade.t VALUES (4, 'only on a')"
sql b "INSERT INTO palisade.t VALUES (4, 'written on b')"
wait_for 1062 sql_errno a
ocf mon_a4 a monitor ${mon}
note score4 "$(score a) $(score b)"
ocf mon_a5 a monitor ${mon}
ocf mon_b4 b monitor ${mon} ${M}_role=Promoted

ocf stop_a a stop
ocf stop_b b stop
note score5 "$(score a) $(score b)"
ocf mon_a6 a monitor ${mon}
ocf mon_b6 b monitor ${mon}
`,
      // the pattern does not match its own grep's command line
      // generous backstops: 25 s on an idle machine, much more when other suites load both cores
      { envExtra: { PW_RE: `[${REPL_PASSWD[0]}]${REPL_PASSWD.slice(1)}`, RSC }, timeoutMs: 170_000 },
    );
    expect(s.sentinelAlive, s.ns.stderr).toBe(true);
    const ok = (l: string, code: number = OCF.SUCCESS) => expect(s.step(l).code, `${l}: ${s.step(l).stderr}`).toBe(code);
    ok('start_a');
    ok('start_b');
    // started unpromoted (read_only), server_id derived from the node name, distinct
    const [idA, roA] = s.note('id_a').split('\t');
    const [idB, roB] = s.note('id_b').split('\t');
    expect([roA, roB]).toEqual(['1', '1']);
    expect(idA).not.toBe(idB);
    expect(idA).not.toBe('1');
    ok('mon_a0');
    ok('mon_b0');
    expect(s.note('score0')).toBe('1 1');
    for (const l of ['pre_a', 'pre_b', 'promote_a', 'post_a', 'post_b']) ok(l);
    ok('mon_a1', OCF.RUNNING_PROMOTED);
    ok('mon_b1');
    ok('mon_b1_again');
    expect(s.note('score1')).toBe('3601 1');
    expect(s.note('readable1')).toBe('1 1');
    expect(s.note('row1_b')).toBe('written on a');
    // the replication password went over sockets only
    expect(s.note('pw_on_cmdline')).toBe('0');

    ok('stop_b');
    ok('restart_b');
    ok('post_start_a');
    ok('post_start_b');
    expect(s.note('row2_b')).toBe('while b was down');
    ok('mon_b2');

    for (const l of ['pre_dem_a', 'pre_dem_b', 'demote_a', 'post_dem_a', 'post_dem_b', 'pre_pro_a', 'pre_pro_b', 'promote_b', 'post_pro_a', 'post_pro_b']) ok(l);
    expect(s.note('ro_a')).toBe('1');
    ok('mon_b3', OCF.RUNNING_PROMOTED);
    ok('mon_a3');
    expect(s.note('score3')).toBe('1 3601');
    expect(s.note('row3_a')).toBe('written on b');
    expect(s.note('rows_a')).toBe('3');
    for (const l of ['stop_a2', 'start_a2', 'mon_a_cold', 'post_start2_a', 'post_start2_b']) ok(l);
    expect(s.note('score_cold')).toBe('1');
    expect(s.note('row5_a')).toBe('after the cold start');

    // the broken replica fails its monitor with a reason and loses its score; the promoted node is unaffected
    ok('mon_a4', OCF.ERR_GENERIC);
    expect(s.step('mon_a4').reason).toMatch(/replication from 127\.0\.0\.3:\d+ stopped: SQL thread error 1062: .*Duplicate entry '4'.*; promotion score removed/);
    expect(s.note('score4')).toBe('none 3601');
    ok('mon_a5', OCF.ERR_GENERIC);
    ok('mon_b4', OCF.RUNNING_PROMOTED);

    ok('stop_a');
    ok('stop_b');
    expect(s.note('score5')).toBe('none none');
    ok('mon_a6', OCF.NOT_RUNNING);
    ok('mon_b6', OCF.NOT_RUNNING);

    // scores were written only on change (no bouncing, ClusterLabs/resource-agents#1850), always with crm_attribute -p;
    // a 2 is the ranking of a notification with no promoted node left (before a's promotion, after its demotion)
    const writes = (node: string) =>
      s.calls().filter((l) => l.startsWith(`${node} crm_attribute -p ${RSC} -l reboot`) && !/ -G /.test(l)).map((l) => l.replace(/^.* -l reboot /, ''));
    expect(writes('a')).toEqual(['-v 1', '-v 2', '-v 3601', '-v 1', '-v 2', '-v 1', '-D', '-v 1', '-D']);
    expect(writes('b')).toEqual(['-v 1', '-v 2', '-v 1', '-D', '-v 1', '-v 2', '-v 3601', '-D']);
    expect(s.calls().some((l) => / crm_master /.test(l))).toBe(false);
  }, 180_000);
  it('faults: no binary log, promoted node unreachable, wrong local or remote replication credentials: start 6/1 with a reason, nothing left running', async () => {
    const c = await twoNodes();
    const port = c.node('a').port;
    const s = await mariadbScenario(
      c,
      `${PROMOTABLE_SH}
nprocs() { n=0; for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = mariadbd ] && n=$((n+1)); done; echo $n; }
ocf no_binlog b start OCF_RESKEY_additional_parameters=--skip-log-bin
note procs0 "$(nprocs)"
# a is down: b cannot follow it
trans start b a
nocf unreachable b start
note procs1 "$(nprocs)"
nocf wrong_local b start OCF_RESKEY_replication_passwd=wrong
note procs2 "$(nprocs)"
# a promoted, but its account for replicas has another password
ocf start_a a start
sql a "SET sql_log_bin=0; ALTER USER 'repl'@'127.0.0.%' IDENTIFIED BY 'another-one'"
trans promote a ''
nocf promote_a a promote
trans start b a
nocf wrong_remote b start
note procs3 "$(nprocs)"
ocf stop_a a stop
note procs4 "$(nprocs)"
`,
      { timeoutMs: 110_000 },
    );
    expect(s.sentinelAlive, s.ns.stderr).toBe(true);
    const st = (l: string) => s.step(l);
    expect(st('no_binlog').code, st('no_binlog').stderr).toBe(OCF.ERR_CONFIGURED);
    expect(st('no_binlog').reason).toMatch(/a promotable clone needs binary logging: set log_bin \(and log_slave_updates\) in .*b\/my\.cnf/);
    expect(s.note('procs0')).toBe('0');
    expect(st('unreachable').code, st('unreachable').stderr).toBe(OCF.ERR_GENERIC);
    expect(st('unreachable').reason).toMatch(new RegExp(`promoted node 127\\.0\\.0\\.2:${port} unreachable: .*Can't connect`));
    expect(s.note('procs1')).toBe('0');
    expect(st('wrong_local').code).toBe(OCF.ERR_GENERIC);
    expect(st('wrong_local').reason).toMatch(/access denied for user 'repl' on socket .*b\/run\/mysqld\.sock: check replication_user and replication_passwd/);
    expect(s.note('procs2')).toBe('0');
    expect(st('start_a').code).toBe(OCF.SUCCESS);
    expect(st('promote_a').code, st('promote_a').stderr).toBe(OCF.SUCCESS);
    expect(st('wrong_remote').code).toBe(OCF.ERR_GENERIC);
    expect(st('wrong_remote').reason).toMatch(new RegExp(`replication from 127\\.0\\.0\\.2:${port} stopped: IO thread error 1045: .*Access denied.*\\(check replication_user and replication_passwd\\)`));
    // only a's server is left, then none
    expect(s.note('procs3')).toBe('1');
    expect(st('stop_a').code).toBe(OCF.SUCCESS);
    expect(s.note('procs4')).toBe('0');
  }, 120_000);
  it('beyond heartbeat: with the promoted node gone, the replica with the most data gets the highest score, and the scores hold', async () => {
    const c = await nodes([{ name: 'a', address: '127.0.0.2' }, { name: 'b', address: '127.0.0.3' }, { name: 'c', address: '127.0.0.4' }]);
    const s = await mariadbScenario(
      c,
      `${PROMOTABLE_SH}
io_down() { slave_field $1 Last_IO_Errno | grep -qv '^0$' && echo down; }
ocf start_a a start; ocf start_b b start; ocf start_c c start
trans promote a ''
nocf promote_a a promote
notify post_b b post; notify post_c c post
# c applies what it receives an hour late: it holds less data than b
sql c "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=3600; START SLAVE"
sql a "INSERT INTO palisade.t VALUES (1, 'b has it, c not yet')"
wait_for 'b has it, c not yet' row b 1
pos=$(sql a 'SELECT @@gtid_binlog_pos')
wait_for "$pos" io_pos c
ocf mon_b0 b monitor ${mon}
ocf mon_c0 c monitor ${mon}
note score0 "$(score b) $(score c)"
# the promoted node dies
kill -KILL $(cat "$DIR/a/run/mysqld.pid")
wait_for down io_down b; wait_for down io_down c
ocf mon_b1 b monitor ${mon}
ocf mon_c1 c monitor ${mon}
ocf mon_b2 b monitor ${mon}
note score1 "$(score b) $(score c)"
note rows "$(sql b 'SELECT COUNT(*) FROM palisade.t') $(sql c 'SELECT COUNT(*) FROM palisade.t')"
ocf mon_b3 b monitor ${mon}
ocf mon_c2 c monitor ${mon}
note score2 "$(score b) $(score c)"
ocf stop_b b stop; ocf stop_c c stop; ocf stop_a a stop
note score3 "$(score a) $(score b) $(score c)"
note gtid_attrs "$(ls $CRM/attrs/*/reboot | grep -c gtid_seq)"
`,
      { envExtra: { RSC, NODES: 'a b c' }, timeoutMs: 170_000 },
    );
    expect(s.sentinelAlive, s.ns.stderr).toBe(true);
    for (const l of ['start_a', 'start_b', 'start_c', 'promote_a', 'post_b', 'post_c', 'mon_b0', 'mon_c0', 'mon_b1', 'mon_c1', 'mon_b2', 'mon_b3', 'mon_c2', 'stop_a', 'stop_b', 'stop_c']) {
      expect(s.step(l).code, `${l}: ${s.step(l).stderr}`).toBe(OCF.SUCCESS);
    }
    // while the primary runs, both are plain candidates (heartbeat's 1)
    expect(s.note('score0')).toBe('1 1');
    expect(s.step('mon_b1').stderr).toMatch(/promoted node 127\.0\.0\.2:\d+ unreachable/);
    expect(s.note('rows')).toBe('1 0');
    expect(s.note('score1')).toBe('3 2');
    expect(s.note('score2')).toBe('3 2');
    const writes = (node: string) => s.calls().filter((l) => l.startsWith(`${node} crm_attribute -p ${RSC} -l reboot -v`)).map((l) => l.replace(/^.* -v /, ''));
    // b: 1 at start, 2 ranked alone, 3 once c published; c: 1, then 2; nothing more on the later monitors
    expect(writes('b')).toEqual(['1', '2', '3']);
    expect(writes('c')).toEqual(['1', '2']);
    // stop withdraws every instance, a's (already dead) too, and removes the published positions
    expect(s.note('score3')).toBe('none none none');
    expect(s.note('gtid_attrs')).toBe('0');
  }, 180_000);

  it('a crash of the promoted node: the replicas rank themselves in the failover\'s notifications, before any monitor', async () => {
    const c = await nodes([{ name: 'a', address: '127.0.0.2' }, { name: 'b', address: '127.0.0.3' }, { name: 'c', address: '127.0.0.4' }]);
    const s = await mariadbScenario(
      c,
      `${PROMOTABLE_SH}
ocf start_a a start; ocf start_b b start; ocf start_c c start
trans promote a ''
nocf promote_a a promote
notify post_b b post; notify post_c c post
sql c "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=3600; START SLAVE"
sql a "INSERT INTO palisade.t VALUES (1, 'b has it, c not yet')"
wait_for 'b has it, c not yet' row b 1
pos=$(sql a 'SELECT @@gtid_binlog_pos')
wait_for "$pos" io_pos c
note score0 "$(score b) $(score c)"
# power cut on a: no monitor of b or c runs before Pacemaker plans the failover, whose notifications
# (demote and stop of a, promote of one replica) tell the replicas that no promoted node is left
kill -KILL $(cat "$DIR/a/run/mysqld.pid")
trans demote a a
notify pre_dem_b b pre; notify pre_dem_c c pre
notify post_dem_b b post; notify post_dem_c c post
note score1 "$(score b) $(score c)"
trans promote b ''
notify pre_pro_b b pre; notify pre_pro_c c pre
note score2 "$(score b) $(score c)"
# had Pacemaker picked c before the ranking reached it: c refuses, and b is promoted with every row
trans promote c ''
nocf promote_c c promote
note score3 "$(score b) $(score c) $(sql c 'SELECT @@read_only')"
trans promote b ''
nocf promote_b b promote
note rows_b "$(sql b 'SELECT COUNT(*) FROM palisade.t') $(sql b 'SELECT @@read_only')"
ocf stop_b b stop; ocf stop_c c stop; ocf stop_a a stop
`,
      { envExtra: { RSC, NODES: 'a b c' }, timeoutMs: 120_000 },
    );
    expect(s.sentinelAlive, s.ns.stderr).toBe(true);
    for (const l of ['start_a', 'start_b', 'start_c', 'promote_a', 'pre_dem_b', 'pre_dem_c', 'post_dem_b', 'post_dem_c', 'pre_pro_b', 'pre_pro_c', 'promote_b', 'stop_a', 'stop_b', 'stop_c']) {
      expect(s.step(l).code, `${l}: ${s.step(l).stderr}`).toBe(OCF.SUCCESS);
    }
    expect(s.note('score0')).toBe('1 1');
    // after the first round every replica has published its position; b holds more data than c
    expect(s.note('score1')).toBe('3 2');
    expect(s.note('score2')).toBe('3 2');
    expect(s.step('promote_c').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('promote_c').reason).toMatch(/^b holds more data \(GTID sequence \d+, here \d+\): not promoting this node/);
    expect(s.note('score3')).toBe('3 1 1');
    expect(s.note('rows_b')).toBe('1 0');
  }, 150_000);
});
