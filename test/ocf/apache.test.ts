// ocf:palisade:apache against a real Apache httpd (Debian apache2) on a
// free loopback port, with a private httpd.conf (test/helpers/apache.ts).
// Everything that starts or stops a server runs in its own PID namespace
// with a sentinel that must survive; the namespace takes every httpd with it
// even when a test fails, and the fixture directories are removed afterwards.

import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { AGENT, apacheFixture, apacheScenario, HEARTBEAT, type ApacheFixture, type FixtureOptions } from '../helpers/apache.js';
import { ocfEnv, runOcf, spawnCollect, validateMetadata } from '../helpers/ocf.js';

const fixtures: ApacheFixture[] = [];

async function fixture(o: FixtureOptions = {}): Promise<ApacheFixture> {
  const fx = await apacheFixture(o);
  fixtures.push(fx);
  return fx;
}

afterAll(async () => {
  for (const fx of fixtures) await fx.cleanup();
});

const probe = 'OCF_RESKEY_CRM_meta_interval=0';
const recurring = 'OCF_RESKEY_CRM_meta_interval=10000';

describe('meta-data', () => {
  it('validates against ra-api-1.dtd and the RelaxNG schema, and keeps every heartbeat parameter', async () => {
    const r = await runOcf(AGENT, 'meta-data', ocfEnv({}));
    expect(r.code).toBe(OCF.SUCCESS);
    const v = await validateMetadata(r.stdout);
    expect(v.dtd.ok, v.dtd.output).toBe(true);
    expect(v.rng.ok, v.rng.output).toBe(true);
    const hb = await spawnCollect(HEARTBEAT, ['meta-data'], ocfEnv({}));
    const names = (xml: string) => [...xml.matchAll(/<parameter name="([^"]+)"/g)].map((m) => m[1]);
    expect(names(hb.stdout).length).toBeGreaterThan(10);
    for (const n of names(hb.stdout)) expect(names(r.stdout)).toContain(n);
    expect(r.stdout).toMatch(/<parameter name="configfile" unique="1"[^]*?default="\/etc\/apache2\/apache2.conf"/);
    expect(r.stdout).toMatch(/<parameter name="testregex"[^]*?default="&lt;\/ \*html \*&gt;"/);
    // status is advertised, and implemented (heartbeat advertises it and answers 3)
    expect(r.stdout).toMatch(/<action name="status" timeout="30s"\/>/);
    expect(r.stdout).toMatch(/<action name="monitor" timeout="20s" interval="10s" depth="0"\/>/);
  });

  it('works as user nobody (ocf-tester runs it so)', async () => {
    const r = await spawnCollect('su', ['nobody', '-s', '/bin/sh', '-c', `${AGENT} meta-data`], ocfEnv({}));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('<resource-agent name="apache"');
  });
});

describe('life cycle on a real httpd', () => {
  it('probe, start, monitor (depth 0/10), status, stop: exit codes as OCF and heartbeat', async () => {
    const fx = await fixture();
    const s = await apacheScenario(
      fx,
      `
ocf probe0 monitor ${probe}
ocf mon_stopped monitor ${recurring}
ocf status_stopped status
ocf validate validate-all
ocf start start
note pid "$(cat "$PIDFILE")"
note sid "$(cut -d' ' -f6 /proc/$(cat "$PIDFILE")/stat)"
ocf start_again start
ocf mon monitor ${recurring}
ocf probe1 monitor ${probe}
ocf status status
ocf d10_unset monitor OCF_CHECK_LEVEL=10
ocf d10 monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testurl=/index.html "OCF_RESKEY_testregex10=palisade TEST page"
ocf d20 monitor OCF_CHECK_LEVEL=20 "OCF_RESKEY_testurl=http://127.0.0.1:$PORT/" OCF_RESKEY_testregex10=palisade
ocf d10_mismatch monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testurl=/index.html OCF_RESKEY_testregex10=nomatch
ocf d10_noregex monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testurl=/index.html
ocf wrong_url monitor "OCF_RESKEY_statusurl=http://127.0.0.1:$PORT/nope"
ocf regex_mismatch monitor OCF_RESKEY_testregex=no-such-text
note running "$(procs | wc -l)"
ocf stop stop
note after_stop "$(procs | wc -l)"
ocf stop_again stop
ocf mon_after monitor ${recurring}
ocf status_after status
ocf unknown frobnicate
`,
    );
    expect(s.sentinelAlive).toBe(true);
    const code = (l: string) => s.step(l).code;
    expect(code('probe0')).toBe(OCF.NOT_RUNNING);
    expect(s.step('probe0').reason).toBeUndefined();
    expect(code('mon_stopped')).toBe(OCF.NOT_RUNNING);
    expect(code('status_stopped')).toBe(OCF.NOT_RUNNING);
    expect(code('validate')).toBe(OCF.SUCCESS);
    expect(code('start'), s.step('start').stderr).toBe(OCF.SUCCESS);
    // the server leads its own session, detached from the agent
    expect(s.note('sid')).toBe(s.note('pid'));
    expect(code('start_again')).toBe(OCF.SUCCESS);
    expect(code('mon'), s.step('mon').stderr).toBe(OCF.SUCCESS);
    expect(code('probe1')).toBe(OCF.SUCCESS);
    expect(code('status')).toBe(OCF.SUCCESS);
    expect(code('d10_unset')).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('d10_unset').reason).toMatch(/testurl and testregex10/);
    expect(code('d10'), s.step('d10').stderr).toBe(OCF.SUCCESS);
    expect(code('d20'), s.step('d20').stderr).toBe(OCF.SUCCESS);
    expect(code('d10_mismatch')).toBe(OCF.ERR_GENERIC);
    expect(s.step('d10_mismatch').reason).toMatch(/index\.html does not match \/nomatch\/i/);
    expect(code('d10_noregex')).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('d10_noregex').reason).toBe('OCF_CHECK_LEVEL=10 needs a test URL and regular expression: set testurl and testregex10, or testconffile');
    expect(code('wrong_url')).toBe(OCF.ERR_GENERIC);
    expect(s.step('wrong_url').reason).toBe(`Failed to access httpd status page: http://127.0.0.1:${fx.port}/nope answered 404 Not Found`);
    expect(code('regex_mismatch')).toBe(OCF.ERR_GENERIC);
    expect(s.step('regex_mismatch').reason).toMatch(/^Failed to access httpd status page: .*\/server-status does not match \/no-such-text\/i$/);
    expect(Number(s.note('running'))).toBeGreaterThan(1);
    expect(code('stop'), s.step('stop').stderr).toBe(OCF.SUCCESS);
    expect(s.step('stop').stderr).toMatch(/graceful stop .*SIGWINCH/);
    expect(s.note('after_stop')).toBe('0');
    expect(code('stop_again')).toBe(OCF.SUCCESS);
    expect(code('mon_after')).toBe(OCF.NOT_RUNNING);
    expect(code('status_after')).toBe(OCF.NOT_RUNNING);
    expect(code('unknown')).toBe(OCF.ERR_UNIMPLEMENTED);
  });

  it('depth 10 from a testconffile: the named test, or OCF_ERR_CONFIGURED for a missing one', async () => {
    const fx = await fixture();
    const client = fx.write('myclient.sh', '#!/bin/sh\necho "client $1 says: $(cat "$0".ok)"\n', 0o755);
    fx.write('myclient.sh.ok', 'fine\n');
    const cf = fx.write(
      'webmon.cf',
      [
        'test a1', 'url /nothing-here', 'match never', 'end',
        'test b1', 'url /index.html', 'match palisade test', 'client curl', 'end',
        '# curl itself runs when client_opts are given',
        'test c1', 'url /index.html', 'match palisade test', 'client curl', "client_opts --header 'X-Test: yes' --max-time 5", 'end',
        'test d1', 'url /x', `client ${client}`, 'match says: fine', 'end',
        'test e1', 'url /index.html', 'match palisade', 'user someone', 'end',
      ].join('\n'),
    );
    const s = await apacheScenario(
      fx,
      `
ocf start start
ocf first monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testconffile=${cf}
ocf named monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testconffile=${cf} OCF_RESKEY_testname=b1
ocf curl_opts monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testconffile=${cf} OCF_RESKEY_testname=c1
ocf own_client monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testconffile=${cf} OCF_RESKEY_testname=d1
ocf half_auth monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testconffile=${cf} OCF_RESKEY_testname=e1
ocf unknown_test monitor OCF_CHECK_LEVEL=10 OCF_RESKEY_testconffile=${cf} OCF_RESKEY_testname=zz
ocf missing_file monitor ${recurring} OCF_CHECK_LEVEL=10 OCF_RESKEY_testconffile=${fx.dir}/absent.cf
ocf stop stop
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code).toBe(OCF.SUCCESS);
    expect(s.step('first').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('named').code, s.step('named').stderr).toBe(OCF.SUCCESS);
    expect(s.step('curl_opts').code, s.step('curl_opts').stderr).toBe(OCF.SUCCESS);
    expect(s.step('own_client').code, s.step('own_client').stderr).toBe(OCF.SUCCESS);
    expect(s.step('half_auth').code).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('half_auth').reason).toMatch(/set both user and password/);
    expect(s.step('unknown_test').code).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('unknown_test').reason).toMatch(/no test named 'zz'/);
    // testconffile missing is an invalid environment: a recurring monitor fails (never 7)
    expect(s.step('missing_file').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('missing_file').reason).toMatch(/absent\.cf not found/);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
  });

  it('finds PidFile and the status page through Include, ServerRoot and ${VAR} from envfiles', async () => {
    const fx = await fixture({ statusLocation: null, noPidFile: true, extra: 'Include conf.d/*.conf\nIncludeOptional optional.d/*.conf\n' });
    fx.write('conf.d/10-pid.conf', 'PidFile ${PAL_RUN_DIR}/httpd.pid\n');
    fx.write('conf.d/20-status.conf', '<IfDefine STATUS>\n<Location /st>\n  SetHandler server-status\n  Require local\n</Location>\n</IfDefine>\n');
    const envfile = fx.write('envvars', `if true; then export PAL_RUN_DIR=${fx.dir}/rundir; fi\n`);
    const s = await apacheScenario(
      fx,
      `
ocf start start OCF_RESKEY_envfiles=${envfile}
note pidfile "$(cat ${fx.dir}/rundir/httpd.pid)"
ocf mon monitor OCF_RESKEY_envfiles=${envfile}
ocf mon_404 monitor OCF_RESKEY_envfiles=${envfile} "OCF_RESKEY_statusurl=http://127.0.0.1:$PORT/server-status"
ocf no_env_validate validate-all
ocf no_env_probe monitor ${probe}
ocf stop stop OCF_RESKEY_envfiles=${envfile}
note left "$(procs | wc -l)"
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(s.note('pidfile')).toMatch(/^\d+$/);
    expect(s.step('mon').code, s.step('mon').stderr).toBe(OCF.SUCCESS);
    expect(s.step('mon_404').code).toBe(OCF.ERR_GENERIC);
    // envfiles='' (the fixture's default): ${PAL_RUN_DIR} is undefined
    expect(s.step('no_env_validate').code).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('no_env_validate').reason).toMatch(/10-pid\.conf:1: \$\{PAL_RUN_DIR\} is not defined/);
    expect(s.step('no_env_probe').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
    expect(s.note('left')).toBe('0');
  });

  it('serves and monitors on IPv6 loopback ([::1] from Listen)', async () => {
    const fx = await fixture({ listen: '[::1]:@PORT@' });
    const s = await apacheScenario(fx, `ocf start start\nocf mon monitor ${recurring}\nocf stop stop\n`);
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(s.step('mon').code, s.step('mon').stderr).toBe(OCF.SUCCESS);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
  });

  it('without PidFile in the configuration, passes -c "PidFile <state dir>/apache2-<instance>.pid"', async () => {
    const fx = await fixture({ noPidFile: true });
    const s = await apacheScenario(
      fx,
      `
ocf start start
note cmdline "$(tr '\\0' ' ' </proc/$(cat "$PIDFILE")/cmdline)"
ocf mon monitor
ocf stop stop
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(s.note('cmdline')).toBe(`/usr/sbin/apache2 -DSTATUS -f ${fx.conf} -c PidFile ${fx.pidFile} -DFOREGROUND`);
    expect(s.step('mon').code).toBe(OCF.SUCCESS);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
  });

  it('without a server-status location and monitor parameters, falls back to the index page', async () => {
    const fx = await fixture({ statusLocation: null });
    const s = await apacheScenario(fx, `ocf start start\nocf mon monitor\nocf mon_set monitor OCF_RESKEY_testregex=nomatch\nocf stop stop\n`);
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(s.step('mon').code).toBe(OCF.SUCCESS);
    expect(s.step('mon_set').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
  });
});

describe('faults', () => {
  it('broken configuration: start 6 with httpd\'s message, nothing left running', async () => {
    const fx = await fixture({ extra: 'BogusDirective on\n' });
    const s = await apacheScenario(fx, `ocf validate validate-all\nocf start start\nnote left "$(procs | wc -l)"\nocf probe monitor ${probe}\nocf stop stop\n`);
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('validate').code).toBe(OCF.ERR_CONFIGURED);
    const start = s.step('start');
    expect(start.code).toBe(OCF.ERR_CONFIGURED);
    expect(start.reason).toMatch(/^httpd configuration test failed: AH00526: Syntax error on line \d+ of .*httpd\.conf: Invalid command 'BogusDirective'/);
    expect(s.note('left')).toBe('0');
    expect(s.step('probe').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
  });

  it('configuration file missing: start 5, probe 7, recurring monitor 1, stop 0', async () => {
    const fx = await fixture();
    const s = await apacheScenario(
      fx,
      `
ocf start start
ocf probe monitor ${probe}
ocf mon monitor ${recurring}
ocf stop stop
ocf validate validate-all
`,
      { params: { configfile: `${fx.dir}/absent.conf` } },
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code).toBe(OCF.ERR_INSTALLED);
    expect(s.step('start').reason).toBe(`Configuration file ${fx.dir}/absent.conf not found or not readable`);
    expect(s.step('probe').code).toBe(OCF.NOT_RUNNING);
    // a recurring monitor never says 7 for a broken configuration, and says why
    expect([s.step('mon').code, s.step('mon').reason]).toEqual([OCF.ERR_GENERIC, s.step('start').reason]);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
    expect([s.step('validate').code, s.step('validate').reason]).toEqual([OCF.ERR_INSTALLED, s.step('start').reason]);
  });

  it('stop still stops the server it started after the configuration was removed or broken (heartbeat would report 0 and leave it running)', async () => {
    const fx = await fixture();
    const s = await apacheScenario(
      fx,
      `
ocf start1 start
mv "$CONF" "$CONF.away"
ocf gone_mon monitor ${recurring}
ocf gone_stop stop
note left1 "$(procs | wc -l)"
mv "$CONF.away" "$CONF"
ocf start2 start
echo 'Include /nonexistent/*.conf' >>"$CONF"
ocf broken_stop stop
note left2 "$(procs | wc -l)"
ocf broken_again stop
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start1').code).toBe(OCF.SUCCESS);
    expect(s.step('gone_mon').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('gone_stop').code).toBe(OCF.SUCCESS);
    expect(s.step('gone_stop').stderr).toMatch(/stopping the server recorded at start/);
    expect(s.note('left1')).toBe('0');
    expect(s.step('start2').code).toBe(OCF.SUCCESS);
    expect(s.step('broken_stop').code).toBe(OCF.SUCCESS);
    expect(s.note('left2')).toBe('0');
    // nothing recorded any more: the broken configuration is an invalid environment, nothing to stop
    expect(s.step('broken_again').code).toBe(OCF.SUCCESS);
  });

  it('httpd binary missing: start 5, probe 7, recurring monitor 1, stop 0', async () => {
    const fx = await fixture();
    const s = await apacheScenario(
      fx,
      `ocf start start\nocf probe monitor ${probe}\nocf mon monitor ${recurring}\nocf stop stop\n`,
      { params: { httpd: '/nonexistent/httpd' } },
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code).toBe(OCF.ERR_INSTALLED);
    expect(s.step('start').reason).toMatch(/httpd \/nonexistent\/httpd not found/);
    expect(s.step('probe').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('mon').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
  });

  it('port already in use: start 1 with the bind error, nothing left running', async () => {
    const fx = await fixture();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(fx.port, '127.0.0.1', r));
    try {
      const s = await apacheScenario(fx, `ocf start start\nnote left "$(procs | wc -l)"\nocf mon monitor ${recurring}\n`);
      expect(s.sentinelAlive).toBe(true);
      expect(s.step('start').code).toBe(OCF.ERR_GENERIC);
      expect(s.step('start').reason).toMatch(/httpd exited during start-up: \(98\)Address already in use/);
      expect(s.note('left')).toBe('0');
      expect(s.step('mon').code).toBe(OCF.NOT_RUNNING);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('killed by hand: whole server -> monitor 7; main process only -> monitor 1 (orphaned workers), stop cleans up', async () => {
    const fx = await fixture();
    const s = await apacheScenario(
      fx,
      `
ocf start1 start
P=$(cat "$PIDFILE"); kill -9 -$P
i=0; while [ "$(procs | wc -l)" != 0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
ocf all_mon monitor ${recurring}
ocf all_probe monitor ${probe}
ocf all_stop stop
ocf start2 start
P=$(cat "$PIDFILE"); kill -9 $P
i=0; while procs | grep -qx $P && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
note workers "$(procs | wc -l)"
ocf main_mon monitor ${recurring}
ocf main_probe monitor ${probe}
ocf main_start start
ocf main_stop stop
note left "$(procs | wc -l)"
ocf main_after monitor ${recurring}
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start1').code).toBe(OCF.SUCCESS);
    expect(s.step('all_mon').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('all_probe').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('all_stop').code).toBe(OCF.SUCCESS);
    expect(s.step('start2').code).toBe(OCF.SUCCESS);
    expect(Number(s.note('workers'))).toBeGreaterThan(0);
    expect(s.step('main_mon').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('main_mon').reason).toMatch(/httpd main process \d+ is gone, but its workers \(pid [\d ]+\) still run/);
    expect(s.step('main_probe').code).toBe(OCF.ERR_GENERIC);
    // start does not pile a new server on top of the orphans
    expect(s.step('main_start').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('main_stop').code, s.step('main_stop').stderr).toBe(OCF.SUCCESS);
    expect(s.note('left')).toBe('0');
    expect(s.step('main_after').code).toBe(OCF.NOT_RUNNING);
  });

  it('stale pid file naming another process (here: the sentinel) is "not running" and never signalled', async () => {
    const fx = await fixture();
    const s = await apacheScenario(
      fx,
      `
echo $SENTINEL_PID >"$PIDFILE"
ocf mon monitor ${recurring}
ocf stop stop
echo garbage >"$PIDFILE"
ocf garbage monitor ${recurring}
rm -f "$PIDFILE"
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('mon').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('mon').stderr).toMatch(/stale pid file .*: pid \d+ is not this server/);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
    expect(s.step('garbage').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('garbage').reason).toMatch(/holds 'garbage', not a process id/);
  });

  it('graceful stop that does not finish in half the timeout escalates to SIGTERM, then cleans the session', async () => {
    const fx = await fixture({
      modules: ['cgid'],
      extra: 'ScriptSock "@DIR@/run/cgisock"\nScriptAlias /slow "@DIR@/cgi/slow.cgi"\n',
    });
    fx.write('cgi/slow.cgi', '#!/bin/sh\necho "Content-Type: text/plain"\necho\nexec sleep 60\n', 0o755);
    const s = await apacheScenario(
      fx,
      `
ocf start start
curl -s -m 30 -o /dev/null "http://127.0.0.1:$PORT/slow" &
i=0; until pgrep -fx 'sleep 60' >/dev/null || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done
note cgi "$(pgrep -fxc 'sleep 60')"
ocf stop stop OCF_RESKEY_CRM_meta_timeout=4000
note left "$(procs | wc -l)"
note cgi_left "$(pgrep -fxc 'sleep 60')"
`,
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(Number(s.note('cgi'))).toBe(1);
    const stop = s.step('stop');
    expect(stop.code, stop.stderr).toBe(OCF.SUCCESS);
    expect(stop.stderr).toMatch(/sending SIGTERM/);
    expect(s.note('left')).toBe('0');
    expect(s.note('cgi_left')).toBe('0');
  });
});

describe('ocf-tester', () => {
  it('passes all tests (without -v: no child may hold the agent\'s stdout)', async () => {
    const fx = await fixture();
    const s = await apacheScenario(
      fx,
      `
# only what ocf-tester itself passes: -o configfile (httpd and envfiles at their defaults)
for v in $(env | grep -o '^OCF_[A-Za-z0-9_]*'); do unset $v; done
ocf-tester -n web1 -o configfile="$CONF" "$AGENT" >"$OUT/tester.txt" 2>&1
note rc $?
note tester "$(cat "$OUT/tester.txt")"
note left "$(procs | wc -l)"
`,
      { timeoutMs: 120_000 },
    );
    expect(s.sentinelAlive).toBe(true);
    expect(s.note('tester')).toMatch(/passed all tests/);
    expect(s.note('rc')).toBe('0');
    expect(s.note('left')).toBe('0');
  }, 150_000);
});
