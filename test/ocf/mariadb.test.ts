// ocf:palisade:mariadb, standalone, against real mariadbd servers (Debian
// mariadb-server), each with its own datadir, socket and loopback address
// (test/helpers/mariadb.ts). Everything that starts or stops a server runs
// in its own PID namespace with a sentinel that must survive.

import { describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { AGENT, HEARTBEAT, MYSQLD_SAFE, mariadbScenario, singleNodeClusters } from '../helpers/mariadb.js';
import { ocfEnv, runOcf, spawnCollect, validateMetadata } from '../helpers/ocf.js';

const single = singleNodeClusters();

const probe = 'OCF_RESKEY_CRM_meta_interval=0';
const recurring = 'OCF_RESKEY_CRM_meta_interval=20000';
/** Live mariadbd/mysqld_safe processes of the namespace. */
const PROCS = `procs() { for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null) || continue; case "$c" in mariadbd|mysqld_safe) s=$(cat $p/stat 2>/dev/null) || continue; st=\${s##*) }; case "\${st%% *}" in Z|X) continue;; esac; echo "\${p#/proc/} $c";; esac; done; }`;

describe('meta-data', () => {
  it('validates against ra-api-1.dtd and the RelaxNG schema, with every heartbeat mysql parameter and default', async () => {
    const r = await runOcf(AGENT, 'meta-data', ocfEnv({}));
    expect(r.code).toBe(OCF.SUCCESS);
    const v = await validateMetadata(r.stdout);
    expect(v.dtd.ok, v.dtd.output).toBe(true);
    expect(v.rng.ok, v.rng.output).toBe(true);
    const hb = await spawnCollect(HEARTBEAT, ['meta-data'], ocfEnv({}));
    const defaults = (xml: string) =>
      new Map([...xml.matchAll(/<parameter name="([^"]+)"[^]*?<content type="[^"]+"(?: default="([^"]*)")?/g)].map((m) => [m[1]!, m[2] ?? '']));
    const theirs = defaults(hb.stdout);
    const ours = defaults(r.stdout);
    expect(theirs.size).toBeGreaterThan(20);
    for (const [name, def] of theirs) {
      expect(ours.has(name), name).toBe(true);
      // heartbeat writes booleans as 0/false; ours as false
      const norm = (d: string) => (d === '0' ? 'false' : d);
      expect(norm(ours.get(name)!), name).toBe(norm(def));
    }
    expect(r.stdout).toMatch(/<action name="monitor" timeout="30s" interval="10s" depth="0" role="Promoted"\/>/);
    expect(r.stdout).toMatch(/<action name="promote" timeout="120s"\/>/);
    expect(r.stdout).toMatch(/<action name="notify" timeout="90s"\/>/);
  });

  it('works as user nobody (ocf-tester runs it so)', async () => {
    const r = await spawnCollect('su', ['nobody', '-s', '/bin/sh', '-c', `${AGENT} meta-data`], ocfEnv({}));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('<resource-agent name="mariadb"');
  });
});

describe('life cycle on a real mariadbd', () => {
  it('probe, start, monitor depth 0/10, status, stop: exit codes as OCF and heartbeat', async () => {
    const c = await single();
    const s = await mariadbScenario(
      c,
      `${PROCS}
ocf probe0 a monitor ${probe}
ocf mon_stopped a monitor ${recurring}
ocf status_stopped a status
ocf validate a validate-all
ocf start a start
pid=$(cat "$OCF_PID")
note sid "$(cut -d' ' -f6 /proc/$pid/stat) $pid"
note bind "$(sql a 'SELECT @@bind_address, @@port')"
ocf start_again a start
ocf mon a monitor ${recurring}
ocf probe1 a monitor ${probe}
ocf status a status
ocf d10 a monitor ${recurring} OCF_CHECK_LEVEL=10
ocf d10_table a monitor ${recurring} OCF_CHECK_LEVEL=10 OCF_RESKEY_test_table=palisade.t
ocf d10_missing a monitor ${recurring} OCF_CHECK_LEVEL=10 OCF_RESKEY_test_table=nosuch.table
ocf d10_user a monitor ${recurring} OCF_CHECK_LEVEL=10 OCF_RESKEY_test_user=nobody OCF_RESKEY_test_passwd=wrong
ocf d0_wrong_socket a monitor ${recurring} OCF_RESKEY_socket=$DIR/a/run/other.sock
note running "$(procs | wc -l)"
ocf stop a stop
note after_stop "$(procs | wc -l) $(ls $DIR/a/run)"
ocf stop_again a stop
ocf mon_after a monitor ${recurring}
ocf status_after a status
ocf unknown a frobnicate
`,
      { params: {}, envExtra: { OCF_PID: c.node('a').pid } },
    );
    expect(s.sentinelAlive).toBe(true);
    const code = (l: string) => s.step(l).code;
    expect(code('probe0')).toBe(OCF.NOT_RUNNING);
    expect(s.step('probe0').reason).toBeUndefined();
    expect(code('mon_stopped')).toBe(OCF.NOT_RUNNING);
    expect(code('status_stopped')).toBe(OCF.NOT_RUNNING);
    expect(code('validate'), s.step('validate').stderr).toBe(OCF.SUCCESS);
    expect(code('start'), s.step('start').stderr).toBe(OCF.SUCCESS);
    // the server leads its own session, detached from the agent, and listens only where its config says
    const [sid, pid] = s.note('sid').split(' ');
    expect(sid).toBe(pid);
    expect(s.note('bind')).toBe(`127.0.0.2\t${c.node('a').port}`);
    expect(code('start_again')).toBe(OCF.SUCCESS);
    expect(code('mon'), s.step('mon').stderr).toBe(OCF.SUCCESS);
    expect(code('probe1')).toBe(OCF.SUCCESS);
    expect(code('status')).toBe(OCF.SUCCESS);
    expect(code('d10'), s.step('d10').stderr).toBe(OCF.SUCCESS);
    expect(code('d10_table'), s.step('d10_table').stderr).toBe(OCF.SUCCESS);
    expect(code('d10_missing')).toBe(OCF.ERR_GENERIC);
    expect(s.step('d10_missing').reason).toMatch(/SELECT COUNT\(\*\) AS.*Table 'nosuch\.table' doesn't exist/);
    expect(code('d10_user')).toBe(OCF.ERR_GENERIC);
    expect(s.step('d10_user').reason).toMatch(/access denied for user 'nobody'.*check test_user and test_passwd/);
    expect(code('d0_wrong_socket')).toBe(OCF.ERR_GENERIC);
    expect(s.step('d0_wrong_socket').reason).toMatch(/runs, but its socket .*other\.sock is missing \(ENOENT\)/);
    expect(s.note('running')).toBe('1');
    expect(code('stop'), s.step('stop').stderr).toBe(OCF.SUCCESS);
    expect(s.step('stop').stderr).toMatch(/shut down/);
    expect(s.step('stop').stderr).not.toMatch(/SIGTERM|SIGKILL/);
    // nothing left: no process, no pid file, no socket
    expect(s.note('after_stop')).toBe('0');
    expect(code('stop_again')).toBe(OCF.SUCCESS);
    expect(code('mon_after')).toBe(OCF.NOT_RUNNING);
    expect(code('status_after')).toBe(OCF.NOT_RUNNING);
    expect(code('unknown')).toBe(OCF.ERR_UNIMPLEMENTED);
  });

  it('starts through mysqld_safe when binary names it, and stops both', async () => {
    const c = await single();
    const s = await mariadbScenario(
      c,
      `${PROCS}
ocf start a start
note procs "$(procs | awk '{print $2}' | sort | tr '\\n' ' ')"
ocf mon a monitor ${recurring} OCF_CHECK_LEVEL=10
ocf stop a stop
note after "$(procs | wc -l)"
`,
      { params: { binary: MYSQLD_SAFE } },
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(s.note('procs')).toBe('mariadbd mysqld_safe');
    expect(s.step('mon').code, s.step('mon').stderr).toBe(OCF.SUCCESS);
    expect(s.step('stop').code, s.step('stop').stderr).toBe(OCF.SUCCESS);
    expect(s.note('after')).toBe('0');
  });

  it('stop escalates to SIGTERM and SIGKILL within the stop timeout when the server does not answer', async () => {
    const c = await single();
    const s = await mariadbScenario(
      c,
      `${PROCS}
ocf start a start
pid=$(cat "$OCF_PID")
kill -STOP $pid
ocf stop a stop OCF_RESKEY_CRM_meta_timeout=8000
note after "$(procs | wc -l) $(ls $DIR/a/run)"
ocf mon a monitor ${recurring}
ocf start2 a start
ocf stop2 a stop
`,
      { envExtra: { OCF_PID: c.node('a').pid } },
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code).toBe(OCF.SUCCESS);
    const stop = s.step('stop');
    expect(stop.code, stop.stderr).toBe(OCF.SUCCESS);
    expect(stop.stderr).toMatch(/SQL SHUTDOWN failed/);
    expect(stop.stderr).toMatch(/sending SIGTERM/);
    expect(stop.stderr).toMatch(/sending SIGKILL/);
    expect(s.note('after')).toBe('0');
    expect(s.step('mon').code).toBe(OCF.NOT_RUNNING);
    // a KILLed server leaves InnoDB to recover: the next start still works
    expect(s.step('start2').code, s.step('start2').stderr).toBe(OCF.SUCCESS);
    expect(s.step('stop2').code).toBe(OCF.SUCCESS);
  });

  it('a server killed by hand: monitor 7 with a reason, probe 7 without, stop cleans up, start again', async () => {
    const c = await single();
    const s = await mariadbScenario(
      c,
      `${PROCS}
ocf start a start
kill -KILL $(cat "$OCF_PID")
while [ -n "$(procs)" ]; do :; done
ocf mon a monitor ${recurring}
ocf probe a monitor ${probe}
ocf stop a stop
note files "$(ls $DIR/a/run)"
ocf start2 a start
ocf stop2 a stop
`,
      { envExtra: { OCF_PID: c.node('a').pid } },
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('mon').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('mon').reason).toMatch(/server pid \d+ from .*mysqld\.pid is gone \(killed or crashed\); see .*error\.log/);
    expect(s.step('probe').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('probe').reason).toBeUndefined();
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
    expect(s.note('files')).toBe('');
    expect(s.step('start2').code, s.step('start2').stderr).toBe(OCF.SUCCESS);
    expect(s.step('stop2').code).toBe(OCF.SUCCESS);
  });

  it('the real ocf-tester passes (without -v: no child keeps the agent\'s stdio)', async () => {
    const c = await single();
    const n = c.node('a');
    const opts = Object.entries(n.params).map(([k, v]) => `-o ${k}=${v}`).join(' ');
    const s = await mariadbScenario(c, `ocf-tester -n db1 ${opts} "$AGENT" >"$OUT/tester.note" 2>&1; echo $? >"$OUT/tester_rc.note"`, { timeoutMs: 85_000 });
    expect(s.sentinelAlive).toBe(true);
    expect(s.note('tester'), s.note('tester')).toMatch(/passed all tests/);
    expect(s.note('tester_rc')).toBe('0');
  }, 90_000);
});
