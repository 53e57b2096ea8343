// ocf:palisade:drbd through its life cycle as a promotable clone's two
// instances ("alpha" and "beta") on the drbd-utils stand-in
// (test/stand-ins/drbd-utils; this kernel has no DRBD), its meta-data
// (DTD, RelaxNG, ocf-tester, pcs without --force) and bad input. The agent
// signals no processes, so no PID namespace is needed; hung stand-in commands
// are ended by the agent itself (that is what is tested) and anything left
// would die with the state folder's removal at the latest.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { drbdStandIn, LINBIT_AGENT, type DrbdStandIn, type NodeName } from '../stand-ins/drbd-utils/api.js';
import { CLONE_META, OURS, drbdEnv, runOurs, type DrbdRunOptions } from '../helpers/drbd.js';
import { runInPidns } from '../helpers/pidns.js';
import { exitReasonOf, ocfEnv, ocfTester, spawnCollect, validateMetadata } from '../helpers/ocf.js';
import { privateInstall } from '../helpers/private-install.js';

// each test runs dozens of agent calls, slow on a loaded two-core machine
vi.setConfig({ testTimeout: 240_000 });

let s: DrbdStandIn;
beforeEach(async () => {
  s = await drbdStandIn();
});
afterEach(async () => {
  await s?.cleanup();
});

const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };
const probe = { OCF_RESKEY_CRM_meta_interval: '0' };
const fast = { wfc_timeout: '1' };

function run(n: NodeName, action: string, o: DrbdRunOptions = {}) {
  return runOurs(s, n, action, { ...o, params: { ...fast, ...o.params } });
}

/** Notification variables for `type-op` on both nodes. */
function notifyEnv(type: 'pre' | 'post', op: string, opNodes: NodeName[], promoted: NodeName[]): Record<string, string> {
  return {
    OCF_RESKEY_CRM_meta_notify_type: type,
    OCF_RESKEY_CRM_meta_notify_operation: op,
    [`OCF_RESKEY_CRM_meta_notify_${op}_uname`]: opNodes.join(' '),
    OCF_RESKEY_CRM_meta_notify_master_uname: promoted.join(' '),
    OCF_RESKEY_CRM_meta_notify_promoted_uname: promoted.join(' '),
  };
}

const primaryCalls = (n: NodeName) => s.drbdCalls(n).filter((c) => c.tool === 'drbdadm' && c.argv.includes('primary')).length;

describe('meta-data', () => {
  it('validates against ra-api-1.dtd and metadata.rng, works as nobody, and has every LINBIT parameter with its default', async () => {
    const r = await spawnCollect(OURS, ['meta-data'], ocfEnv({}));
    expect(r.code).toBe(0);
    const v = await validateMetadata(r.stdout);
    expect(v.dtd.ok, v.dtd.output).toBe(true);
    expect(v.rng.ok, v.rng.output).toBe(true);
    const nobody = await spawnCollect('su', ['nobody', '-s', '/bin/sh', '-c', `${OURS} meta-data`], ocfEnv({}));
    expect(nobody.stdout).toBe(r.stdout);
    const linbit = await spawnCollect(LINBIT_AGENT, ['meta-data'], ocfEnv({}));
    const defaults = (xml: string) =>
      Object.fromEntries([...xml.matchAll(/<parameter name="([^"]+)"[^]*?<content type="[^"]+"(?: default="([^"]*)")?/g)].map((m) => [m[1], m[2] ?? '']));
    const theirs = defaults(linbit.stdout);
    const ours = defaults(r.stdout);
    expect(Object.keys(theirs).length).toBeGreaterThanOrEqual(13);
    for (const [name, def] of Object.entries(theirs)) {
      expect(ours, name).toHaveProperty(name);
      // LINBIT's meta-data lists no defaults for some; where it does, ours are the same
      if (def !== '') expect(ours[name], name).toBe(def);
    }
    expect(r.stdout).toMatch(/<action name="monitor" timeout="20s" interval="20s" role="Unpromoted"\/>/);
    expect(r.stdout).toMatch(/<action name="monitor" timeout="20s" interval="10s" role="Promoted"\/>/);
  });

  it('pcs -f creates the promotable clone without --force', async () => {
    const inst = await privateInstall();
    const dir = await mkdtemp(join(tmpdir(), 'pal-drbd-pcs-'));
    try {
      const cib = join(dir, 'cib.xml');
      const empty = await inst.run('cibadmin', ['--empty']);
      await writeFile(cib, empty.stdout);
      const r = await inst.run('pcs', ['-f', cib, 'resource', 'create', 'd', 'ocf:palisade:drbd', 'drbd_resource=r0', 'promotable', 'notify=true']);
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      const show = await inst.run('pcs', ['-f', cib, 'resource', 'config']);
      expect(show.stdout).toMatch(/Clone: d-clone/);
      expect(show.stdout).toMatch(/promotable=true/);
      expect(show.stdout).toMatch(/Resource: d \(class=ocf provider=palisade type=drbd\)/);
    } finally {
      await inst.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes the real ocf-tester (start, promote/demote sequence, stop) on the stand-in', async () => {
    const t = await ocfTester(OURS, 'd', { drbd_resource: 'r0', drbdconf: s.conf, wfc_timeout: '0', CRM_meta_notify: 'true' }, { env: s.env('alpha') });
    expect(t.passed, t.output).toBe(true);
    expect(s.state().nodes.alpha.rt).toBeNull();
  });
});

describe('life cycle as a promotable clone', () => {
  it('start both, promote one, switchover, peer lost, failover, stop', async () => {
    for (const n of ['alpha', 'beta'] as const) expect((await run(n, 'monitor', { extra: probe })).code).toBe(OCF.NOT_RUNNING);
    expect(s.score('alpha')).toBeUndefined();

    // start both: alpha waits wfc_timeout for beta, beta connects
    expect((await run('alpha', 'start')).code).toBe(0);
    expect(s.score('alpha')).toBe('1000');
    expect((await run('beta', 'start')).code).toBe(0);
    expect(s.state().nodes.beta.rt).toMatchObject({ role: 'Secondary', disk: 'UpToDate', want: true });
    for (const n of ['alpha', 'beta'] as const) {
      expect((await run(n, 'notify', { extra: notifyEnv('post', 'start', ['alpha', 'beta'], []) })).code).toBe(0);
      expect(s.score(n)).toBe('10000');
    }
    // started instances are unpromoted and the scores stay put (no write on an unchanged score)
    s.clearCalls();
    expect((await run('alpha', 'monitor', { extra: recurring })).code).toBe(0);
    expect(s.calls().filter((c) => c.argv.includes('-v') || c.argv.includes('-D'))).toEqual([]);

    expect((await run('alpha', 'promote')).code).toBe(0);
    expect((await run('alpha', 'monitor', { extra: recurring })).code).toBe(OCF.RUNNING_PROMOTED);
    expect((await run('beta', 'monitor', { extra: recurring })).code).toBe(0);
    s.locate({ alpha: 'Master', beta: 'Slave' });

    // switchover
    expect((await run('alpha', 'demote')).code).toBe(0);
    expect((await run('beta', 'promote')).code).toBe(0);
    s.locate({ alpha: 'Slave', beta: 'Master' });
    expect((await run('alpha', 'monitor', { extra: recurring })).code).toBe(0);
    expect((await run('beta', 'monitor', { extra: recurring })).code).toBe(OCF.RUNNING_PROMOTED);
    expect(s.score('beta')).toBe('10000');

    // the peer is lost: the link breaks, then beta's node dies
    s.set((st) => {
      st.link = false;
    });
    expect((await run('alpha', 'monitor', { extra: recurring })).code).toBe(0);
    expect(s.score('alpha')).toBe('1000');
    s.set((st) => {
      st.nodes.beta.rt = null;
    });
    s.locate({ alpha: 'Slave' });
    expect((await run('alpha', 'promote')).code).toBe(0);
    expect((await run('alpha', 'monitor', { extra: recurring })).code).toBe(OCF.RUNNING_PROMOTED);
    expect(s.score('alpha')).toBe('10000');

    // beta returns and resyncs from alpha, whose data is newer
    s.set((st) => {
      st.link = true;
    });
    expect((await run('beta', 'start')).code).toBe(0);
    expect(s.state().nodes.beta.gen).toBe(s.state().nodes.alpha.gen);
    expect((await run('beta', 'monitor', { extra: recurring })).code).toBe(0);
    expect(s.score('beta')).toBe('10000');

    // stop both (the Primary is demoted on the way); scores are removed
    expect((await run('alpha', 'stop')).code).toBe(0);
    expect((await run('beta', 'stop')).code).toBe(0);
    expect((await run('beta', 'stop')).code).toBe(0);
    expect(s.state().nodes.alpha.rt).toBeNull();
    expect(s.state().nodes.beta.rt).toBeNull();
    expect(s.score('alpha')).toBeUndefined();
    expect(s.score('beta')).toBeUndefined();
    expect((await run('alpha', 'monitor', { extra: recurring })).code).toBe(OCF.NOT_RUNNING);
  });

  it('promote refused with 17 fails at once with the reason; other refusals are retried until the timeout', async () => {
    s.set((st) => {
      st.nodes.alpha.rt = s.runtime({ disk: 'Inconsistent' });
    });
    const r = await run('alpha', 'promote', { timeoutMs: 90_000 });
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.exitReason).toMatch(/Refusing to be promoted to Primary without access to UpToDate data \(r0: State change failed: \(-2\) Need access to UpToDate data\)/);
    expect(primaryCalls('alpha')).toBe(1);

    // injected: DRBD refuses with 17 although the data looks good
    s.set((st) => {
      st.nodes.alpha.rt = s.runtime({});
      st.faults.alpha = { primary: 17 };
    });
    s.clearCalls();
    expect((await run('alpha', 'promote', { timeoutMs: 90_000 })).code).toBe(OCF.ERR_GENERIC);
    expect(primaryCalls('alpha')).toBe(1);

    // the peer is Primary: 11, retried with back-off until the promote timeout, then the last refusal as reason
    s.set((st) => {
      st.faults = {};
      st.nodes.beta.rt = s.runtime({ role: 'Primary' });
    });
    s.clearCalls();
    const busy = await run('alpha', 'promote', { timeoutMs: 8000 });
    expect(busy.code).toBe(OCF.ERR_GENERIC);
    expect(busy.exitReason).toMatch(/promote of DRBD resource r0 did not succeed within the 8000 ms operation timeout: r0: State change failed: \(-1\) Multiple primaries not allowed by config/);
    expect(primaryCalls('alpha')).toBeGreaterThan(1);

    // fail_promote_early_if_peer_primary: a Primary Pacemaker does not know ends it after the first retry
    s.clearCalls();
    s.setScore('alpha', '10000');
    const early = await run('alpha', 'promote', { timeoutMs: 60_000, params: { fail_promote_early_if_peer_primary: 'true' } });
    expect(early.code).toBe(OCF.ERR_GENERIC);
    expect(early.exitReason).toMatch(/Peer node already\/still Primary/);
    expect(primaryCalls('alpha')).toBe(1);
    expect(s.score('alpha')).toBeUndefined();

    // promote of a stopped instance, demote of a stopped one (7, as drbd.ocf)
    s.set((st) => {
      st.nodes.alpha.rt = null;
    });
    const stopped = await run('alpha', 'promote');
    expect(stopped.code).toBe(OCF.ERR_GENERIC);
    expect((await run('alpha', 'demote')).code).toBe(OCF.NOT_RUNNING);
  });

  it('stop_outdates_secondary outdates a Secondary when another node is promoted; reload adjusts; notify reconnects', async () => {
    s.set((st) => {
      st.nodes.alpha.rt = s.runtime({ want: false });
      st.nodes.beta.rt = s.runtime({ role: 'Primary' });
    });
    // pre-start notification: adjust reconnects the StandAlone connection
    expect((await run('alpha', 'notify', { extra: notifyEnv('pre', 'start', ['beta'], ['beta']) })).code).toBe(0);
    expect(s.state().nodes.alpha.rt?.want).toBe(true);
    s.set((st) => {
      st.nodes.alpha.rt!.want = false;
    });
    expect((await run('alpha', 'reload')).code).toBe(0);
    expect(s.state().nodes.alpha.rt?.want).toBe(true);
    const r = await run('alpha', 'stop', { params: { stop_outdates_secondary: 'true' }, extra: notifyEnv('post', 'stop', ['alpha'], ['beta']) });
    expect(r.code).toBe(0);
    expect(s.state().nodes.alpha.md).toBe('Outdated');
    expect(s.score('alpha')).toBeUndefined();
  });

  it('DRBD 8.4 (sh-status): start, promote, monitor, stop', async () => {
    s.set((st) => {
      st.kernel = '8.4.11';
    });
    expect((await run('alpha', 'start')).code).toBe(0);
    expect(s.drbdCalls('alpha').some((c) => c.tool === 'drbdsetup' && c.argv[0] === 'wait-connect' && c.argv[1] === '/dev/drbd0')).toBe(true);
    expect(s.drbdCalls('alpha').some((c) => c.argv[0] === 'events2')).toBe(false);
    expect((await run('alpha', 'promote')).code).toBe(0);
    expect((await run('alpha', 'monitor', { extra: recurring })).code).toBe(OCF.RUNNING_PROMOTED);
    expect(s.score('alpha')).toBe('10000');
    expect((await run('alpha', 'stop')).code).toBe(0);
    expect(s.state().nodes.alpha.rt).toBeNull();
  });

  it('loads an installed module on start; fails with 5 when it cannot', async () => {
    s.set((st) => {
      st.module = 'available';
    });
    expect((await run('alpha', 'start')).code).toBe(0);
    expect(s.state().module).toBe('loaded');
    expect(s.drbdCalls('alpha').some((c) => c.tool === 'drbdadm' && c.argv.includes('sh-mod-parms'))).toBe(true);
    expect((await run('alpha', 'stop')).code).toBe(0);
    s.set((st) => {
      st.module = 'available';
      st.faults.alpha = { modprobe: 'fail' };
    });
    const r = await run('alpha', 'start');
    expect(r.code).toBe(OCF.ERR_INSTALLED);
    expect(r.exitReason).toMatch(/Cannot load the drbd module: modprobe: FATAL/);
  });
});

describe('bad input', () => {
  it('missing or unsafe resource name (6), unreadable drbdconf (5), notify off (6), module missing (5)', async () => {
    const noName = await runOurs(s, 'alpha', 'start', { params: { drbd_resource: '' } });
    expect(noName.code).toBe(OCF.ERR_CONFIGURED);
    expect(noName.exitReason).toMatch(/drbd_resource/);
    const unsafe = await run('alpha', 'validate-all', { params: { drbd_resource: 'r0;reboot' } });
    expect(unsafe.code).toBe(OCF.ERR_CONFIGURED);
    expect(unsafe.exitReason).toMatch(/drbd_resource must only contain/);
    const dir = await mkdtemp(join(tmpdir(), 'pal-drbd-bad-'));
    try {
      // the tests run as root, who reads any file: a missing file is the unreadable case
      const missing = join(dir, 'nope.conf');
      for (const conf of [missing]) {
        const r = await run('alpha', 'start', { params: { drbdconf: conf } });
        expect(r.code).toBe(OCF.ERR_INSTALLED);
        expect(r.exitReason).toMatch(new RegExp(`Configuration file ${conf} does not exist or is not readable`));
        expect((await run('alpha', 'monitor', { params: { drbdconf: conf }, extra: probe })).code).toBe(OCF.ERR_INSTALLED);
      }
      const badConf = await run('alpha', 'validate-all', { params: { drbdconf: `${dir}/a b.conf` } });
      expect(badConf.code).toBe(OCF.ERR_CONFIGURED);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const notify = await run('alpha', 'start', { extra: { OCF_RESKEY_CRM_meta_notify: 'false' } });
    expect(notify.code).toBe(OCF.ERR_CONFIGURED);
    expect(notify.exitReason).toMatch(/enable notify/);
    expect((await run('alpha', 'start', { extra: { OCF_RESKEY_CRM_meta_notify: 'false' }, params: { ignore_missing_notifications: 'true' } })).code).toBe(0);
    expect((await run('alpha', 'stop')).code).toBe(0);
    s.set((st) => {
      st.module = 'missing';
    });
    const noTool = await run('alpha', 'validate-all', { extra: { OCF_TESTER_FAIL_HAVE_BINARY: '1' } });
    expect(noTool.code).toBe(OCF.ERR_INSTALLED);
    expect(noTool.exitReason).toMatch(/required program 'drbdadm' not found/);
    const mod = await run('alpha', 'start');
    expect(mod.code).toBe(OCF.ERR_INSTALLED);
    expect(mod.exitReason).toMatch(/DRBD kernel \(module\) not available\?/);
    expect((await run('alpha', 'stop')).code).toBe(0);
  });

  it('clone meta attributes as drbd.ocf checks them', async () => {
    const c = async (extra: Record<string, string>, action = 'start') => (await run('alpha', action, { extra })).code;
    expect(await c({ OCF_RESKEY_CRM_meta_clone_node_max: '2' })).toBe(OCF.ERR_CONFIGURED);
    expect(await c({ OCF_RESKEY_CRM_meta_promoted_node_max: '2', OCF_RESKEY_CRM_meta_master_node_max: '2' })).toBe(OCF.ERR_CONFIGURED);
    expect(await c({ OCF_RESKEY_CRM_meta_promoted_max: '3', OCF_RESKEY_CRM_meta_master_max: '3' })).toBe(OCF.ERR_CONFIGURED);
    const two = { OCF_RESKEY_CRM_meta_promoted_max: '2', OCF_RESKEY_CRM_meta_master_max: '2' };
    const r = await run('alpha', 'start', { extra: two });
    expect(r.code).toBe(OCF.ERR_CONFIGURED);
    expect(r.exitReason).toMatch(/does not allow-two-primaries/);
    expect(await c({ ...two, OCF_RESKEY_CRM_meta_clone_max: '3' }, 'validate-all')).toBe(OCF.ERR_CONFIGURED);
    // stop never refuses over meta attributes
    expect(await c({ OCF_RESKEY_CRM_meta_clone_node_max: '2' }, 'stop')).toBe(0);
    const ok = await drbdStandIn({ allowTwoPrimaries: true });
    try {
      const r2 = await runOurs(ok, 'alpha', 'start', { extra: two, params: fast });
      expect(r2.code, r2.stderr).toBe(0);
    } finally {
      await ok.cleanup();
    }
    expect(CLONE_META.OCF_RESKEY_CRM_meta_notify).toBe('true');
  });

  it('a hung drbdadm or drbdsetup ends within the operation timeout, with a reason (PID namespace, sentinel survives)', async () => {
    // the agent ends its hung child itself: in a PID namespace, so that nothing else can be hit
    const hung = async (hang: string, action: string, extra: Record<string, string> = {}) => {
      s.set((st) => {
        st.nodes.alpha.rt = s.runtime({});
        st.faults.alpha = { hang };
      });
      const env = { ...drbdEnv(s, 'alpha', { timeoutMs: 3000, params: fast, extra }) };
      const r = await runInPidns(`exec ${OURS} ${action}`, { env, timeoutMs: 30_000 });
      expect(r.timedOut).toBe(false);
      expect(r.sentinelAlive).toBe(true);
      return { code: r.exitCode, reason: exitReasonOf(r.stderr) ?? '' };
    };
    const p = await hung('drbdadm primary', 'promote');
    expect(p.code).toBe(OCF.ERR_GENERIC);
    expect(p.reason).toMatch(/operation timeout/);
    const m = await hung('drbdsetup events2', 'monitor', recurring);
    expect(m.code).toBe(OCF.ERR_GENERIC);
    expect(m.reason).toMatch(/events2/);
    const stop = await hung('drbdsetup down', 'stop');
    expect(stop.code).toBe(OCF.ERR_GENERIC);
    expect(stop.reason).toMatch(/stop of DRBD resource r0 did not succeed|timeout/);
  });
});

