// The OCF framework's rules, on a small agent declared here and run
// in-process through runAction (the same code path main.js uses).

import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAgent, type Observed, type OcfAgent } from '../../agents/ocf/framework/agent.js';
import { runAction } from '../../agents/ocf/framework/run.js';
import { OCF, OcfError } from '../../agents/ocf/framework/exit.js';
import { param, parseParams, type ParamTable } from '../../agents/ocf/framework/params.js';
import { exitReasonOf, ocfEnv, probeEnv, recurringEnv, validateMetadata } from '../helpers/ocf.js';

const dir = mkdtempSync(join(tmpdir(), 'pal-ocf-fw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const params = {
  state: param.string({ shortdesc: 'State file', longdesc: 'Where the fake service keeps its state.', required: true, unique: true }),
  mode: param.select({ shortdesc: 'Mode', longdesc: 'How the fake service behaves <&> "quoted".', choices: ['normal', 'stuck', 'hang', 'crash'], default: 'normal' }),
  need: param.string({ shortdesc: 'Program', longdesc: 'A program that must be installed.' }),
  count: param.integer({ shortdesc: 'Count', longdesc: 'A bounded number.', min: 1, max: 10, default: 3 }),
  flag: param.boolean({ shortdesc: 'Flag', longdesc: 'A boolean.', default: false }),
  word: param.string({ shortdesc: 'Word', longdesc: 'Lower-case letters only.', check: (v) => (/^[a-z]+$/.test(v) ? undefined : 'only a-z allowed') }),
  broken_config: param.boolean({ shortdesc: 'Break validate', longdesc: 'Makes validate() fail.', default: false }),
  old: param.string({ shortdesc: 'Old knob', longdesc: 'Replaced by word.', deprecated: true, reloadable: true }),
} satisfies ParamTable;

const seen: { checkLevel?: number; probe?: boolean } = {};

function stateOf(file: string): Observed {
  if (!existsSync(file)) return 'stopped';
  const s = readFileSync(file, 'utf8').trim();
  if (s === 'running' || s === 'promoted') return s;
  throw new OcfError(OCF.ERR_GENERIC, `state file ${file} says '${s}'`);
}

const dummy = defineAgent({
  name: 'FwDummy',
  version: '0.9.1',
  shortdesc: 'Framework test agent',
  longdesc: 'A fake service whose state is a file.',
  params,
  actions: [
    { name: 'start', timeout: 20 },
    { name: 'stop', timeout: 20 },
    { name: 'monitor', timeout: 20, interval: 10, depth: 0 },
    { name: 'notify', timeout: 5 },
  ],
  binaries: (p) => (p.need ? [p.need] : []),
  async validate(p) {
    if (p.broken_config) throw new OcfError(OCF.ERR_CONFIGURED, 'broken_config is set');
  },
  async observe(p, ctx) {
    seen.checkLevel = ctx.checkLevel;
    seen.probe = ctx.isProbe;
    return stateOf(p.state);
  },
  async start(p, ctx) {
    if (p.mode === 'hang') await new Promise(() => {});
    if (p.mode === 'crash') throw new TypeError('boom');
    writeFileSync(p.state, 'running');
  },
  async stop(p) {
    if (p.mode !== 'stuck') rmSync(p.state, { force: true });
  },
  async notify(_p, ctx) {
    await ctx.mustRun('sh', ['-c', 'echo "line one" >&2; echo "line two" >&2; exit 3']);
  },
});

const promotable = defineAgent({
  name: 'FwStateful',
  version: '1.0',
  shortdesc: 'Promotable test agent',
  longdesc: 'Promotable fake service.',
  params: { state: params.state },
  actions: [
    { name: 'start', timeout: 20 },
    { name: 'stop', timeout: 20 },
    { name: 'monitor', timeout: 20, interval: 10, role: 'Promoted' },
    { name: 'monitor', timeout: 20, interval: 11, role: 'Unpromoted' },
    { name: 'promote', timeout: 20 },
    { name: 'demote', timeout: 20 },
  ],
  observe: async (p) => stateOf(p.state),
  start: async (p) => writeFileSync(p.state, 'running'),
  stop: async (p) => rmSync(p.state, { force: true }),
  promote: async (p) => writeFileSync(p.state, 'promoted'),
  demote: async (p) => writeFileSync(p.state, 'running'),
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  reason: string | undefined;
}

let n = 0;
function stateFile(): string {
  return join(dir, `state-${++n}`);
}

async function act<P extends ParamTable>(
  agent: OcfAgent<P>,
  argv: string[],
  p: Record<string, string>,
  extra: Record<string, string> = {},
  timeoutMs = 20000,
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const env = ocfEnv(p, { instance: 'fw1', timeoutMs, extra });
  const code = await runAction(agent, argv, env, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr, reason: exitReasonOf(stderr) };
}

describe('meta-data', () => {
  it('is valid against ra-api-1.dtd (as ocf-tester checks) and the shipped RelaxNG schema', async () => {
    for (const r of [await act(dummy, ['meta-data'], {}), await act(promotable, ['meta-data'], {})]) {
      expect(r.code).toBe(OCF.SUCCESS);
      const v = await validateMetadata(r.stdout);
      expect(v.dtd.output).toBe('');
      expect(v.dtd.ok).toBe(true);
      expect(v.rng.ok, v.rng.output).toBe(true);
    }
  });

  it('derives everything from the declaration and escapes text', async () => {
    const { stdout } = await act(dummy, ['meta-data'], {});
    expect(stdout).toContain('<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">');
    expect(stdout).toContain('<resource-agent name="FwDummy" version="0.9.1">');
    expect(stdout).toContain('<version>1.1</version>');
    expect(stdout).toContain('<parameter name="state" unique="1" required="1">');
    expect(stdout).toContain('How the fake service behaves &lt;&amp;&gt; "quoted". Allowed values: normal, stuck, hang, crash.');
    expect(stdout).toContain('<content type="string" default="normal"/>');
    expect(stdout).toContain('<content type="integer" default="3"/>');
    expect(stdout).toContain('<content type="boolean" default="false"/>');
    expect(stdout).toContain('<shortdesc lang="en">(deprecated) Old knob</shortdesc>');
    expect(stdout).toContain('<action name="monitor" timeout="20s" interval="10s" depth="0"/>');
    expect(stdout).toContain('<action name="validate-all" timeout="20s"/>');
    expect(stdout).toContain('<action name="meta-data" timeout="5s"/>');
    const prom = (await act(promotable, ['meta-data'], {})).stdout;
    expect(prom).toContain('role="Promoted"');
  });

  it('needs no parameters and no environment', async () => {
    let out = '';
    const code = await runAction(dummy, ['meta-data'], {}, { out: (s) => (out += s), err: () => {} });
    expect(code).toBe(0);
    expect(out).toContain('<resource-agent');
  });
});

describe('action dispatch', () => {
  it('no action: usage on stderr, OCF_ERR_ARGS', async () => {
    const r = await act(dummy, [], { state: stateFile() });
    expect(r.code).toBe(OCF.ERR_ARGS);
    expect(r.stderr).toMatch(/^usage: FwDummy \{start\|stop\|monitor\|notify\|validate-all\|meta-data\|usage\}/);
  });

  it('unknown or unimplemented action: OCF_ERR_UNIMPLEMENTED', async () => {
    for (const a of ['frobnicate', 'promote', 'migrate_to', 'reload']) {
      const r = await act(dummy, [a], { state: stateFile() });
      expect(r.code, a).toBe(OCF.ERR_UNIMPLEMENTED);
      expect(r.stderr).toContain(`action '${a}' is not supported by this agent`);
    }
  });

  it('usage goes to stdout with 0; extra arguments are ignored', async () => {
    expect((await act(dummy, ['usage'], {})).code).toBe(0);
    const s = stateFile();
    expect((await act(dummy, ['monitor', 'extra', 'args'], { state: s })).code).toBe(OCF.NOT_RUNNING);
  });
});

describe('lifecycle derived from observe()', () => {
  it('probe 7 without exit reason, start/start 0, monitor 0, stop/stop 0, monitor 7', async () => {
    const state = stateFile();
    const probe = await act(dummy, ['monitor'], { state }, probeEnv);
    expect([probe.code, probe.reason]).toEqual([OCF.NOT_RUNNING, undefined]);
    expect(seen.probe).toBe(true);
    expect((await act(dummy, ['start'], { state })).code).toBe(0);
    const again = await act(dummy, ['start'], { state });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already running');
    const mon = await act(dummy, ['monitor'], { state }, recurringEnv);
    expect(mon.code).toBe(0);
    expect(seen.probe).toBe(false);
    expect((await act(dummy, ['status'], { state })).code).toBe(0);
    expect((await act(dummy, ['stop'], { state })).code).toBe(0);
    expect((await act(dummy, ['stop'], { state })).code).toBe(0);
    expect((await act(dummy, ['monitor'], { state }, recurringEnv)).code).toBe(OCF.NOT_RUNNING);
  });

  it('a failed state is reported with its reason; stop still stops it', async () => {
    const state = stateFile();
    writeFileSync(state, 'garbage');
    const mon = await act(dummy, ['monitor'], { state }, recurringEnv);
    expect(mon.code).toBe(OCF.ERR_GENERIC);
    expect(mon.reason).toBe(`state file ${state} says 'garbage'`);
    const stop = await act(dummy, ['stop'], { state });
    expect(stop.code).toBe(0);
    expect(stop.stderr).toContain('stopping anyway');
  });

  it('a stop that leaves the service running fails with 1, never 7', async () => {
    const state = stateFile();
    writeFileSync(state, 'running');
    const r = await act(dummy, ['stop'], { state, mode: 'stuck' });
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.reason).toBe('FwDummy fw1 is still running after stop');
  });

  it('promote/demote confirm the role; monitor says 8 when promoted', async () => {
    const state = stateFile();
    expect((await act(promotable, ['demote'], { state })).code).toBe(OCF.NOT_RUNNING);
    const early = await act(promotable, ['promote'], { state });
    expect([early.code, early.reason]).toEqual([OCF.ERR_GENERIC, 'cannot promote FwStateful fw1: it is not running']);
    expect((await act(promotable, ['start'], { state })).code).toBe(0);
    expect((await act(promotable, ['monitor'], { state }, recurringEnv)).code).toBe(0);
    expect((await act(promotable, ['promote'], { state })).code).toBe(0);
    expect((await act(promotable, ['monitor'], { state }, recurringEnv)).code).toBe(OCF.RUNNING_PROMOTED);
    expect((await act(promotable, ['promote'], { state })).code).toBe(0);
    expect((await act(promotable, ['demote'], { state })).code).toBe(0);
    expect((await act(promotable, ['monitor'], { state }, recurringEnv)).code).toBe(0);
    expect((await act(promotable, ['stop'], { state })).code).toBe(0);
  });
});

describe('invalid environment policy', () => {
  const cases: { what: string; p: () => Record<string, string>; start: number; reason: RegExp }[] = [
    { what: 'missing required parameter', p: () => ({}), start: OCF.ERR_CONFIGURED, reason: /^Missing required parameter: state$/ },
    { what: 'invalid integer', p: () => ({ state: stateFile(), count: '11' }), start: OCF.ERR_CONFIGURED, reason: /^Invalid value for parameter count: '11': must be at most 10$/ },
    { what: 'non-numeric integer', p: () => ({ state: stateFile(), count: '3x' }), start: OCF.ERR_CONFIGURED, reason: /count: '3x': not an integer/ },
    { what: 'invalid boolean', p: () => ({ state: stateFile(), flag: 'maybe' }), start: OCF.ERR_CONFIGURED, reason: /flag: 'maybe': not a boolean/ },
    { what: 'invalid select', p: () => ({ state: stateFile(), mode: 'fast' }), start: OCF.ERR_CONFIGURED, reason: /mode: 'fast': must be one of normal, stuck, hang, crash/ },
    { what: 'string check', p: () => ({ state: stateFile(), word: 'A1' }), start: OCF.ERR_CONFIGURED, reason: /word: 'A1': only a-z allowed/ },
    { what: 'validate() failure', p: () => ({ state: stateFile(), broken_config: 'yes' }), start: OCF.ERR_CONFIGURED, reason: /^broken_config is set$/ },
    { what: 'missing binary', p: () => ({ state: stateFile(), need: 'no-such-program-pal' }), start: OCF.ERR_INSTALLED, reason: /^required program 'no-such-program-pal' not found in PATH$/ },
  ];
  for (const c of cases) {
    it(`${c.what}: start/validate-all ${c.start}, stop 0, probe 7|5, recurring monitor 1`, async () => {
      const start = await act(dummy, ['start'], c.p());
      expect(start.code).toBe(c.start);
      expect(start.reason).toMatch(c.reason);
      expect((await act(dummy, ['validate-all'], c.p())).code).toBe(c.start);
      const stop = await act(dummy, ['stop'], c.p());
      expect([stop.code, stop.reason]).toEqual([OCF.SUCCESS, undefined]);
      expect(stop.stderr).toMatch(/nothing to stop|using its default so that the stop still runs|no default; observing with what is known[^]*is already stopped/);
      const probe = await act(dummy, ['monitor'], c.p(), probeEnv);
      const probeCode = c.start === OCF.ERR_INSTALLED ? OCF.ERR_INSTALLED : OCF.NOT_RUNNING;
      expect([probe.code, probe.reason]).toEqual([probeCode, undefined]);
      const mon = await act(dummy, ['monitor'], c.p(), recurringEnv);
      expect(mon.code).toBe(OCF.ERR_GENERIC);
      expect(mon.reason).toMatch(c.reason);
    });
  }

  it('OCF_TESTER_FAIL_HAVE_BINARY=1 hides every program (ocf-tester probe check)', async () => {
    const r = await act(dummy, ['monitor'], { state: stateFile(), need: 'sh' }, { ...probeEnv, OCF_TESTER_FAIL_HAVE_BINARY: '1' });
    expect(r.code).toBe(OCF.ERR_INSTALLED);
  });

  it('OCF_CHECK_LEVEL: read from either variable; garbage is OCF_ERR_CONFIGURED', async () => {
    const state = stateFile();
    await act(dummy, ['monitor'], { state }, { OCF_RESKEY_OCF_CHECK_LEVEL: '10' });
    expect(seen.checkLevel).toBe(10);
    await act(dummy, ['monitor'], { state }, { OCF_CHECK_LEVEL: '20' });
    expect(seen.checkLevel).toBe(20);
    const bad = await act(dummy, ['validate-all'], { state }, { OCF_CHECK_LEVEL: 'deep' });
    expect(bad.code).toBe(OCF.ERR_CONFIGURED);
    expect(bad.reason).toContain("Invalid OCF_CHECK_LEVEL 'deep'");
  });

  it('Pacemaker mode (OCF_RA_VERSION_MAJOR) without an instance name: OCF_ERR_ARGS', async () => {
    let err = '';
    const env = { ...ocfEnv({ state: stateFile() }), OCF_RESOURCE_INSTANCE: '' };
    const code = await runAction(dummy, ['start'], env, { out: () => {}, err: (s) => (err += s) });
    expect(code).toBe(OCF.ERR_ARGS);
    expect(exitReasonOf(err)).toContain('OCF_RESOURCE_INSTANCE');
  });

  it('an empty value counts as unset (default applies)', async () => {
    const parsed = parseParams(params, { OCF_RESKEY_state: '/x', OCF_RESKEY_count: '' });
    expect(parsed.values.count).toBe(3);
    expect(parsed.missing).toEqual([]);
  });
});

describe('exit reasons and logging', () => {
  it('the last stderr line is the exit reason, single-line, with the configured prefix', async () => {
    const r = await act(dummy, ['notify'], { state: stateFile() }, { OCF_EXIT_REASON_PREFIX: 'REASON=' });
    expect(r.code).toBe(OCF.ERR_GENERIC);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe("REASON=sh -c 'echo \"line one\" >&2; echo \"line two\" >&2; exit 3' failed (exit code 3): line one; line two");
    expect(lines.at(-2)).toMatch(/^FwDummy\(fw1\)\[\d+\]: \d{4}\/\d\d\/\d\d_\d\d:\d\d:\d\d ERROR: sh -c .* \(OCF_ERR_GENERIC\)$/);
  });

  it('a bug in a handler is an internal error with code 1, not a crash', async () => {
    const r = await act(dummy, ['start'], { state: stateFile(), mode: 'crash' });
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.reason).toBe('internal error: boom');
    expect(r.stderr).toContain('TypeError: boom');
  });

  it('debug lines only with HA_debug=1', async () => {
    const s = stateFile();
    expect((await act(dummy, ['monitor'], { state: s })).stderr).not.toContain('DEBUG');
    expect((await act(dummy, ['monitor'], { state: s }, { HA_debug: '1' })).stderr).toContain('DEBUG: monitor -> OCF_NOT_RUNNING');
  });
});

// How soon an action ends is measured in bench/ocf-deadline.mjs; here only what happens.
describe('deadlines (OCF_RESKEY_CRM_meta_timeout)', () => {
  it('a hanging handler fails with 1 and the timeout in the reason', async () => {
    const r = await act(dummy, ['start'], { state: stateFile(), mode: 'hang' }, {}, 1000);
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.reason).toBe('start of FwDummy fw1 did not finish within the 1000 ms operation timeout');
  });

  it('the clock starts at the resource manager\'s fork (startedAt), not when the action is reached', async () => {
    // startedAt 20 s in the past with a 20 s timeout: the deadline has passed before the handler could finish
    let err = '';
    const env = ocfEnv({ state: stateFile(), mode: 'hang' }, { instance: 'fw1', timeoutMs: 20000 });
    const startedAt = process.uptime() * 1000 - 20000;
    const code = await runAction(dummy, ['start'], env, { out: () => {}, err: (s) => (err += s) }, { startedAt });
    expect(code).toBe(OCF.ERR_GENERIC);
    expect(exitReasonOf(err)).toBe('start of FwDummy fw1 did not finish within the 20000 ms operation timeout');
  });

  it('a child process is killed at the deadline', async () => {
    const pidFile = join(dir, `stuck-${++n}.pid`);
    const stuck = defineAgent({
      name: 'FwStuck',
      version: '1',
      shortdesc: 'stuck',
      longdesc: 'A start whose child never ends.',
      params: { pidfile: param.string({ shortdesc: 'pid file', longdesc: 'where the child writes its pid', required: true }) },
      actions: [{ name: 'start', timeout: 5 }, { name: 'stop', timeout: 5 }, { name: 'monitor', timeout: 5 }],
      observe: async () => 'stopped',
      start: async (p, ctx) => void (await ctx.mustRun('sh', ['-c', 'echo $$ > "$1"; exec sleep 30', 'sh', p.pidfile])),
      stop: async () => {},
    });
    const r = await act(stuck, ['start'], { pidfile: pidFile }, {}, 1500);
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.reason).toBe('start of FwStuck fw1 did not finish within the 1500 ms operation timeout');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // the kill is sent when the deadline fires; wait for the child to be reaped (or gone), not for a time
    for (;;) {
      const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] : 'gone';
      if (state === 'gone' || state === 'Z') break;
      await new Promise((res) => setTimeout(res, 10));
    }
  });
});

describe('context helpers', () => {
  const probe = defineAgent({
    name: 'FwCtx',
    version: '1',
    shortdesc: 'ctx',
    longdesc: 'ctx helpers',
    params: { out: param.string({ shortdesc: 'out', longdesc: 'result file', required: true }) },
    actions: [{ name: 'start', timeout: 5 }, { name: 'stop', timeout: 5 }, { name: 'monitor', timeout: 5 }],
    async observe() {
      return 'stopped';
    },
    async start(p, ctx) {
      const r = await ctx.run('sh', ['-c', 'echo "$LC_ALL"; cat; echo done'], { env: { LC_ALL: 'de_DE.UTF-8' } });
      // sleep(100) returns after a 50 ms timer set before it: it does not return early (ordering, not a stopwatch)
      let earlier = false;
      setTimeout(() => (earlier = true), 50);
      await ctx.sleep(100);
      const slept = earlier;
      const pid = ctx.spawnDetached('sleep', ['30']);
      const fds = ['0', '1', '2'].map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
      process.kill(pid, 'SIGKILL');
      const missing = await ctx.run('no-such-program-pal', []);
      writeFileSync(p.out, JSON.stringify({ stdout: r.stdout, exitCode: r.exitCode, slept, fds, missing }));
      // the deadline ends the action; sleep() itself returns then, not after 60 s
      await ctx.sleep(60_000);
      writeFileSync(`${p.out}.late`, String(ctx.remaining()));
    },
    async stop() {},
  });

  it('run(): LC_ALL=C, stdin closed; sleep() never passes the deadline; spawnDetached() keeps off our stdio', async () => {
    const out = join(dir, 'ctx.json');
    const r = await act(probe, ['start'], { out }, {}, 2000);
    expect(r.reason).toBe('start of FwCtx fw1 did not finish within the 2000 ms operation timeout');
    // the handler goes on after the action ended at the deadline: wait for what it writes
    while (!existsSync(`${out}.late`)) await new Promise((res) => setTimeout(res, 10));
    expect(readFileSync(`${out}.late`, 'utf8')).toBe('0');
    const got = JSON.parse(readFileSync(out, 'utf8'));
    expect(got.stdout).toBe('C\ndone');
    expect(got.exitCode).toBe(0);
    expect(got.slept).toBe(true);
    expect(got.fds).toEqual(['/dev/null', '/dev/null', '/dev/null']);
    expect(got.missing.exitCode).toBeUndefined();
    expect(got.missing).toMatchObject({ failed: true, spawnError: 'no-such-program-pal: command not found' });
  });
});

describe('declaration checks', () => {
  const base = {
    name: 'Bad',
    version: '1',
    shortdesc: 's',
    longdesc: 'l',
    params: { x: param.string({ shortdesc: 'x', longdesc: 'x' }) },
    observe: async () => 'stopped' as const,
    start: async () => {},
    stop: async () => {},
  };
  const std = [{ name: 'start', timeout: 1 }, { name: 'stop', timeout: 1 }, { name: 'monitor', timeout: 1 }];
  it('rejects advertised actions without handlers, DTD-invalid names and missing timeouts', () => {
    expect(() => defineAgent({ ...base, actions: [...std, { name: 'promote', timeout: 1 }] })).toThrow(/promote/);
    expect(() => defineAgent({ ...base, actions: [...std, { name: 'reload-agent', timeout: 1 }] })).toThrow(/ra-api-1.dtd/);
    expect(() => defineAgent({ ...base, actions: [...std, { name: 'status', timeout: 0 }] })).toThrow(/timeout/);
    expect(() => defineAgent({ ...base, actions: std.slice(1) })).toThrow(/'start' must be advertised/);
    expect(() => param.integer({ shortdesc: 'i', longdesc: 'i', required: true, default: 1 } as never)).toThrow(/required/);
    expect(() => param.integer({ shortdesc: 'i', longdesc: 'i', min: 5, default: 1 })).toThrow(/default 1 is invalid/);
  });
});

describe('test helper: runInPidns', () => {
  it('reports exit code, output and whether the sentinel survived; kills stay inside the namespace', async () => {
    const { runInPidns } = await import('../helpers/pidns.js');
    const { spawn } = await import('node:child_process');
    const host = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const ok = await runInPidns('echo "pid $$"; echo oops >&2; pkill -x sleep-nothing; exit 3');
      expect(ok).toMatchObject({ exitCode: 3, stderr: 'oops\n', sentinelAlive: true, timedOut: false });
      // the namespace's own ps sees only its processes: an agent's "kill all sleeps" cannot reach the host
      const killer = await runInPidns('pkill -x sleep; sleep 0.1; exit 0');
      expect(killer.sentinelAlive).toBe(false);
      expect(host.exitCode).toBeNull();
      expect(host.signalCode).toBeNull();
      const bad = await runInPidns('exit 0', { sentinelCwd: '/nonexistent-pal' });
      expect(bad.exitCode).toBe(98);
      expect(bad.stderr).toContain("can't cd to /nonexistent-pal");
      expect(bad.stderr).toContain('pidns: sentinel did not start (sentinelCwd?)');
      const slow = await runInPidns('sleep 30', { timeoutMs: 300 });
      expect(slow.timedOut).toBe(true);
      expect(slow.exitCode).toBe(-1);
    } finally {
      host.kill('SIGKILL');
    }
  });
});

describe('stop with an invalid parameter value', () => {
  it('falls back to the default and really stops a running instance', async () => {
    const s = stateFile();
    expect((await act(dummy, ['start'], { state: s })).code).toBe(OCF.SUCCESS);
    const r = await act(dummy, ['stop'], { state: s, count: 'many', flag: 'perhaps' });
    expect(r.code).toBe(OCF.SUCCESS);
    expect(existsSync(s)).toBe(false);
    expect(r.stderr).toMatch(/invalid count='many'.*using its default so that the stop still runs/);
  });

  it('still refuses the same value for start (6)', async () => {
    const r = await act(dummy, ['start'], { state: stateFile(), count: 'many' });
    expect(r.code).toBe(OCF.ERR_CONFIGURED);
    expect(r.reason).toMatch(/count/);
  });

  // word has no default: stop cannot use it, so it looks before it answers
  it('with no default to fall back on, a running instance is never reported stopped', async () => {
    const s = stateFile();
    expect((await act(dummy, ['start'], { state: s })).code).toBe(OCF.SUCCESS);
    const r = await act(dummy, ['stop'], { state: s, word: 'NOT-LOWER' });
    expect(r.code).toBe(OCF.ERR_CONFIGURED);
    expect(r.reason).toBe(
      "cannot stop FwDummy fw1: it is running, and parameter word='NOT-LOWER' is invalid (only a-z allowed) with no default to fall back on; fix the value, then stop again",
    );
    expect(stateOf(s)).toBe('running');
    expect((await act(dummy, ['stop'], { state: s })).code).toBe(OCF.SUCCESS);
  });

  it('with no default to fall back on, a stopped instance is observed and stop says 0', async () => {
    const r = await act(dummy, ['stop'], { state: stateFile(), word: 'NOT-LOWER' });
    expect([r.code, r.reason]).toEqual([OCF.SUCCESS, undefined]);
    expect(r.stderr).toContain("stop: invalid word='NOT-LOWER' (only a-z allowed) and no default; observing with what is known");
    expect(r.stderr).toContain('FwDummy fw1 is already stopped');
  });

  it('with no default and a state that cannot be read, stop fails instead of guessing', async () => {
    const s = stateFile();
    writeFileSync(s, 'garbage');
    const r = await act(dummy, ['stop'], { state: s, word: 'NOT-LOWER' });
    expect(r.code).toBe(OCF.ERR_CONFIGURED);
    expect(r.reason).toBe(
      `cannot stop FwDummy fw1: its state is unknown (state file ${s} says 'garbage'), and parameter word='NOT-LOWER' is invalid (only a-z allowed) with no default to fall back on; fix the value, then stop again`,
    );
  });

  it('a string parameter without default is observed through its raw value', async () => {
    // where= names the state file and refuses upper case; an instance
    // started before that rule (written here by hand) must still be seen
    const byPath = defineAgent({
      name: 'FwPath',
      version: '1',
      shortdesc: 'path',
      longdesc: 'State file named by a checked parameter.',
      params: {
        where: param.string({ shortdesc: 'where', longdesc: 'state file', required: true, check: (v) => (/[A-Z]/.test(v) ? 'no upper case' : undefined) }),
      },
      actions: [{ name: 'start', timeout: 5 }, { name: 'stop', timeout: 5 }, { name: 'monitor', timeout: 5 }],
      observe: async (p) => stateOf(p.where),
      start: async (p) => writeFileSync(p.where, 'running'),
      stop: async (p) => rmSync(p.where, { force: true }),
    });
    const where = join(dir, `UPPER-${++n}`);
    writeFileSync(where, 'running');
    const r = await act(byPath, ['stop'], { where });
    expect(r.code).toBe(OCF.ERR_CONFIGURED);
    expect(r.reason).toMatch(/^cannot stop FwPath fw1: it is running, and parameter where='.*UPPER-\d+' is invalid \(no upper case\)/);
    expect(stateOf(where)).toBe('running');
    rmSync(where);
    const gone = await act(byPath, ['stop'], { where });
    expect([gone.code, gone.reason]).toEqual([OCF.SUCCESS, undefined]);
  });

  it('other kinds without default: an optional one is left unset to look, a required one leaves nothing to look with', async () => {
    const byPort = defineAgent({
      name: 'FwPort',
      version: '1',
      shortdesc: 'port',
      longdesc: 'State file plus numbers.',
      params: {
        state: params.state,
        port: param.integer({ shortdesc: 'port', longdesc: 'a port', required: true, min: 1 }),
        retries: param.integer({ shortdesc: 'retries', longdesc: 'optional, no default', min: 0 }),
      },
      actions: [{ name: 'start', timeout: 5 }, { name: 'stop', timeout: 5 }, { name: 'monitor', timeout: 5 }],
      observe: async (p) => stateOf(p.state),
      start: async (p) => writeFileSync(p.state, 'running'),
      stop: async (p) => rmSync(p.state, { force: true }),
    });
    const state = stateFile();
    expect((await act(byPort, ['start'], { state, port: '80' })).code).toBe(OCF.SUCCESS);
    const optional = await act(byPort, ['stop'], { state, port: '80', retries: 'many' });
    expect([optional.code, optional.reason]).toEqual([
      OCF.ERR_CONFIGURED,
      "cannot stop FwPort fw1: it is running, and parameter retries='many' is invalid (not an integer) with no default to fall back on; fix the value, then stop again",
    ]);
    const required = await act(byPort, ['stop'], { state, port: 'http' });
    expect([required.code, required.reason]).toEqual([
      OCF.ERR_CONFIGURED,
      "cannot stop FwPort fw1: its state cannot be observed, and parameter port='http' is invalid (not an integer) with no default to fall back on; fix the value, then stop again",
    ]);
    expect(stateOf(state)).toBe('running');
    expect((await act(byPort, ['stop'], { state, port: '80' })).code).toBe(OCF.SUCCESS);
  });
});
