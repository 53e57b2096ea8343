// ocf:palisade:Filesystem on real loop-mounted ext4 images. Everything that
// mounts runs inside `unshare -pf --mount-proc` (test/helpers/pidns.ts):
// the mounts vanish with the namespace even when a test fails, and any
// signal the agent sends can only reach processes of that namespace, where a
// sentinel must survive. The loop devices are detached in afterAll.

import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { loopDisks, type LoopDisk, type LoopDisks } from '../helpers/loopdev.js';
import { agentPath, exitReasonOf, heartbeatAgent, ocfEnv, ocfTester, runOcf, spawnCollect, validateMetadata } from '../helpers/ocf.js';
import { runInPidns, type PidnsResult } from '../helpers/pidns.js';
import { defaults, envCases, rootSpellings } from './filesystem.cases.js';

const AGENT = agentPath('Filesystem');
const HEARTBEAT = heartbeatAgent('Filesystem');

let disks: LoopDisks;
let a: LoopDisk;
let b: LoopDisk;
let rootDev: string;
let caseCount = 0;

beforeAll(async () => {
  disks = await loopDisks('pal-fs-');
  a = await disks.create({ label: 'pal-fs-a' });
  b = await disks.create({ label: 'pal-fs-b' });
  const rootLine = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
  rootDev = rootLine!.split(' - ')[1]!.split(' ')[1]!;
});

afterAll(async () => {
  await disks?.cleanup();
});

/** A fresh, not yet existing mount point below the temp dir. */
function freshDir(name: string): string {
  return join(disks.dir, `${name}-${++caseCount}`);
}

interface Step {
  code: number;
  reason: string | undefined;
  stdout: string;
  stderr: string;
}

interface Scenario {
  ns: PidnsResult;
  step(label: string): Step;
  /** Contents written by `note LABEL text` in the script. */
  note(label: string): string;
  /** A file the script wrote to $OUT. */
  file(name: string): string;
}

/**
 * Runs `body` (sh) in a new PID and mount namespace. In it, `ocf LABEL
 * ACTION [VAR=value ...]` runs our agent (`hb` the heartbeat one) with the
 * resource's environment plus the assignments and records the result;
 * `state PID` prints alive/dead (a zombie counts as dead); `note LABEL TEXT`
 * records a value.
 */
async function scenario(
  body: string,
  params: Record<string, string>,
  opts: { timeoutMs?: number; sentinelCwd?: string; opTimeoutMs?: number } = {},
): Promise<Scenario> {
  const out = mkdtempSync(join(disks.dir, 'run-'));
  const env = {
    ...ocfEnv(params, { instance: 'fs1', timeoutMs: opts.opTimeoutMs ?? 20000 }),
    AGENT,
    HEARTBEAT,
    OUT: out,
  };
  const script = `
ocf() { l=$1; a=$2; shift 2; env "$@" "$AGENT" "$a" >"$OUT/$l.out" 2>"$OUT/$l.err"; echo $? >"$OUT/$l.rc"; }
hb() { l=$1; a=$2; shift 2; env "$@" "$HEARTBEAT" "$a" >"$OUT/$l.out" 2>"$OUT/$l.err"; echo $? >"$OUT/$l.rc"; }
state() { if [ -r /proc/$1/stat ] && ! sed 's/.*) //' /proc/$1/stat | grep -q '^Z'; then echo alive; else echo dead; fi; }
note() { l=$1; shift; echo "$*" >"$OUT/$l.note"; }
# waits for an event (no fixed sleeps): waitfor WHAT COMMAND...; gives up after ~10 s
waitfor() { w=$1; shift; i=0; until "$@"; do i=$((i+1)); [ $i -gt 1000 ] && { echo "waitfor: $w never happened" >&2; exit 90; }; sleep 0.01; done; }
is_sleep() { [ "$(cat /proc/$1/comm 2>/dev/null)" = sleep ]; }
cwd_is() { [ "$(readlink /proc/$1/cwd 2>/dev/null)" = "$2" ]; }
maps_has() { grep -q "$2" /proc/$1/maps 2>/dev/null; }
# the background users have done their cd/open and exec'd sleep
ready() { for p in "$@"; do waitfor "pid $p to exec sleep" is_sleep $p; done; }
${body}
`;
  const ns = await runInPidns(script, { env, timeoutMs: opts.timeoutMs ?? 50_000, sentinelCwd: opts.sentinelCwd ?? '/' });
  const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '');
  return {
    ns,
    step(label) {
      const rc = read(`${label}.rc`).trim();
      if (rc === '') throw new Error(`step ${label} did not run; script stderr: ${ns.stderr}`);
      const stderr = read(`${label}.err`);
      return { code: Number(rc), reason: exitReasonOf(stderr), stdout: read(`${label}.out`), stderr };
    },
    note: (label) => read(`${label}.note`).trim(),
    file: read,
  };
}

function fill(v: string, dir: string, file: string): string {
  return v.replace('$DEV', a.device).replace('$DIR', dir).replace('$FILE', file).replace('$ROOTDEV', rootDev);
}

describe('meta-data', () => {
  it('validates against ra-api-1.dtd and the OCF RelaxNG schema, and keeps heartbeat parameter names and defaults', async () => {
    const r = await runOcf(AGENT, 'meta-data', ocfEnv({}));
    expect(r.code).toBe(OCF.SUCCESS);
    const v = await validateMetadata(r.stdout);
    expect(v.dtd.output).toBe('');
    expect(v.dtd.ok).toBe(true);
    expect(v.rng.ok, v.rng.output).toBe(true);
    const hb = await spawnCollect(HEARTBEAT, ['meta-data'], { ...ocfEnv({}), OCF_ROOT: '/usr/lib/ocf' });
    const names = (xml: string) => [...xml.matchAll(/<parameter name="([^"]+)"/g)].map((m) => m[1]).sort();
    // every 4.12 parameter exists here too (HEAD adds term_signals, kill_signals, signal_delay)
    for (const n of names(hb.stdout)) expect(names(r.stdout)).toContain(n);
    for (const n of ['term_signals', 'kill_signals', 'signal_delay']) expect(names(r.stdout)).toContain(n);
    expect(r.stdout).toMatch(/<parameter name="statusfile_prefix"[^]*?default="\.Filesystem_status\/"/);
    expect(r.stdout).toMatch(/<parameter name="force_unmount"[^]*?default="true"/);
    expect(r.stdout).toMatch(/<action name="monitor" timeout="40s" interval="20s" depth="0"\/>/);
  });
});

describe('exit codes without a mount (case table)', () => {
  for (const c of envCases) {
    it(`${c.name}: ${c.action || '(none)'} -> ${c.code}`, async () => {
      const dir = freshDir('case');
      const file = join(disks.dir, `file-${caseCount}`);
      writeFileSync(file, 'not a device\n');
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...defaults, ...c.params })) if (v !== undefined) params[k] = fill(v, dir, file);
      const r = await runOcf(AGENT, c.action, ocfEnv(params, { instance: 'fs1', extra: { ...c.extra } }));
      expect(r.code, r.stderr).toBe(c.code);
      if (c.reason) expect(r.exitReason).toMatch(c.reason);
      if (c.noReason) expect(r.exitReason, r.stderr).toBeUndefined();
      // nothing here may leave a mount or a mount point behind
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
      if (c.action === 'start' && c.code !== OCF.SUCCESS) expect(existsSync(dir)).toBe(false);
    });
  }
});

describe('ocf-tester', () => {
  it('passes on our agent with a loop-mounted ext4 image', async () => {
    // ocf-tester mounts: run it inside a private mount namespace too.
    const dir = freshDir('tester');
    const s = await scenario(
      `ocf-tester -v -n fs1 -o device=${a.device} -o directory=${dir} -o fstype=ext4 "$AGENT" >"$OUT/tester.log" 2>&1; note tester $?`,
      {},
      { timeoutMs: 120_000 },
    );
    const log = s.file('tester.log');
    expect(s.note('tester'), log).toBe('0');
    expect(log).toMatch(/passed all tests/);
    expect(s.ns.sentinelAlive).toBe(true);
  }, 130_000);
});


describe('same answers as heartbeat Filesystem where both agree on the rules', () => {
  const shared: { name: string; action: string; params: Record<string, string | undefined>; extra?: Record<string, string> }[] = [
    { name: 'unknown action', action: 'frobnicate', params: {} },
    { name: 'start with a missing device', action: 'start', params: { device: '/dev/palisade-nonexistent' } },
    { name: 'probe with a missing device', action: 'monitor', params: { device: '/dev/palisade-nonexistent' }, extra: { OCF_RESKEY_CRM_meta_interval: '0' } },
    { name: 'stop with a missing device', action: 'stop', params: { device: '/dev/palisade-nonexistent' } },
    { name: 'start without device', action: 'start', params: { device: undefined } },
    { name: 'validate-all', action: 'validate-all', params: {} },
    { name: 'start with an unsupported fstype', action: 'start', params: { fstype: 'palisadefs' } },
  ];
  for (const c of shared) {
    it(c.name, async () => {
      const dir = freshDir('cmp');
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...defaults, ...c.params })) if (v !== undefined) params[k] = fill(v, dir, '');
      const env = ocfEnv(params, { instance: 'fs1', extra: { ...c.extra } });
      const [ours, theirs] = [await runOcf(AGENT, c.action, env), await runOcf(HEARTBEAT, c.action, env)];
      expect(ours.code, `ours: ${ours.stderr}\nheartbeat: ${theirs.stderr}`).toBe(theirs.code);
    });
  }
});

describe('lifecycle on a loop device', () => {
  it('probe, start, monitor at depth 0/10/20, status, stop: each exit code, and heartbeat gives the same sequence', async () => {
    const dir = freshDir('life');
    const hbDir = freshDir('life-hb');
    const check = `${dir}-check`;
    const i20 = 'OCF_RESKEY_CRM_meta_interval=20000';
    const s = await scenario(`
ocf probe1 monitor OCF_RESKEY_CRM_meta_interval=0
ocf start1 start
ocf start2 start
ocf mon0 monitor ${i20}
ocf mon10 monitor ${i20} OCF_CHECK_LEVEL=10
ocf mon20 monitor ${i20} OCF_CHECK_LEVEL=20
note statusfile "$(cat ${dir}/.Filesystem_status/fs1_$(uname -n))"
ocf mon30 monitor ${i20} OCF_CHECK_LEVEL=30
ocf escape monitor ${i20} OCF_CHECK_LEVEL=20 OCF_RESKEY_statusfile_prefix=../../escape-
ocf probe2 monitor OCF_RESKEY_CRM_meta_interval=0
ocf status status
ocf stop1 stop
mkdir -p ${check} && mount -o ro ${a.device} ${check} && note statusgone "[$(ls -A ${check}/.Filesystem_status)]" && umount ${check}
ocf stop2 stop
ocf mon7 monitor ${i20}
ocf probe3 monitor OCF_RESKEY_CRM_meta_interval=0
note mounted "$(grep -c ' ${dir} ' /proc/self/mountinfo)"
ocf startro start OCF_RESKEY_options=ro
ocf mon20ro monitor ${i20} OCF_CHECK_LEVEL=20
ocf stopro stop
for x in probe1:monitor:0 start1:start start2:start mon0:monitor:20000 mon10:monitor:20000:10 mon20:monitor:20000:20 probe2:monitor:0 stop1:stop stop2:stop mon7:monitor:20000; do
  IFS=: read l act iv lvl <<-X
	$x
	X
  hb hb-$l $act OCF_RESKEY_device=${b.device} OCF_RESKEY_directory=${hbDir} \${iv:+OCF_RESKEY_CRM_meta_interval=$iv} \${lvl:+OCF_CHECK_LEVEL=$lvl}
done
`, { device: a.device, directory: dir, fstype: 'ext4' });
    const code = (l: string) => s.step(l).code;
    expect(code('probe1')).toBe(OCF.NOT_RUNNING);
    expect(s.step('probe1').reason).toBeUndefined();
    expect(code('start1'), s.step('start1').stderr).toBe(OCF.SUCCESS);
    expect(code('start2')).toBe(OCF.SUCCESS);
    expect(code('mon0')).toBe(OCF.SUCCESS);
    expect(code('mon10'), s.step('mon10').stderr).toBe(OCF.SUCCESS);
    expect(code('mon20'), s.step('mon20').stderr).toBe(OCF.SUCCESS);
    expect(s.note('statusfile')).toBe('fs1');
    expect(code('mon30')).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('mon30').reason).toMatch(/unsupported monitor level 30/);
    expect(code('escape')).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('escape').reason).toMatch(/statusfile_prefix '\.\.\/\.\.\/escape-' puts the status file .* outside/);
    expect(code('probe2')).toBe(OCF.SUCCESS);
    expect(code('status')).toBe(OCF.SUCCESS);
    expect(code('stop1'), s.step('stop1').stderr).toBe(OCF.SUCCESS);
    expect(s.note('statusgone')).toBe('[]');
    expect(code('stop2')).toBe(OCF.SUCCESS);
    expect(code('mon7')).toBe(OCF.NOT_RUNNING);
    expect(code('probe3')).toBe(OCF.NOT_RUNNING);
    expect(s.note('mounted')).toBe('0');
    expect(code('startro'), s.step('startro').stderr).toBe(OCF.SUCCESS);
    expect(code('mon20ro')).toBe(OCF.ERR_GENERIC);
    expect(s.step('mon20ro').reason).toMatch(/status file .*fs1_.*(read-only|EROFS)/i);
    expect(code('stopro')).toBe(OCF.SUCCESS);

    const labels = ['probe1', 'start1', 'start2', 'mon0', 'mon10', 'mon20', 'probe2', 'stop1', 'stop2', 'mon7'];
    expect(labels.map((l) => code(`hb-${l}`))).toEqual(labels.map(code));
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('UUID=, LABEL=, -U, -L, --uuid= and --label forms mount the same device and monitor it', async () => {
    const forms = [`UUID=${a.uuid}`, `LABEL=${a.label}`, `-U ${a.uuid}`, `-L ${a.label}`, `--uuid=${a.uuid}`, `--label ${a.label}`];
    const dir = freshDir('tags');
    const body = forms
      .map((f, i) => `
ocf start${i} start "OCF_RESKEY_device=${f}"
note src${i} "$(awk '$5 == "${dir}" { for (i = 7; $i != "-"; i++); print $(i + 2) }' /proc/self/mountinfo)"
ocf mon${i} monitor "OCF_RESKEY_device=${f}" OCF_RESKEY_CRM_meta_interval=20000
ocf other${i} monitor "OCF_RESKEY_device=${f.replace(a.uuid, b.uuid).replace(a.label, b.label)}" OCF_RESKEY_CRM_meta_interval=20000
ocf stop${i} stop "OCF_RESKEY_device=${f}"
`)
      .join('');
    const s = await scenario(body, { directory: dir, fstype: 'ext4' });
    forms.forEach((f, i) => {
      expect(s.step(`start${i}`).code, `${f}: ${s.step(`start${i}`).stderr}`).toBe(OCF.SUCCESS);
      expect(s.note(`src${i}`), f).toBe(a.device);
      expect(s.step(`mon${i}`).code, f).toBe(OCF.SUCCESS);
      // the same form naming disk b: a is mounted there, which is not b
      expect(s.step(`other${i}`).code, f).toBe(OCF.ERR_GENERIC);
      expect(s.step(`other${i}`).reason, f).toMatch(/Another device is mounted/);
      expect(s.step(`stop${i}`).code, f).toBe(OCF.SUCCESS);
    });
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('bind mounts (bind and bind,ro) and loop images', async () => {
    const src = freshDir('bindsrc');
    mkdirSync(src);
    writeFileSync(join(src, 'hello'), 'hi\n');
    const dir = freshDir('bind');
    const image = join(disks.dir, `loop-${caseCount}.img`);
    const loopDir = freshDir('loopimg');
    const i = 'OCF_RESKEY_CRM_meta_interval=20000';
    const s = await scenario(`
truncate -s 16M ${image} && mkfs.ext4 -q -F ${image}
ocf bstart start
note bcontent "$(cat ${dir}/hello)"
ocf bmon monitor ${i}
ocf bmon10 monitor ${i} OCF_CHECK_LEVEL=10
ocf bmon20 monitor ${i} OCF_CHECK_LEVEL=20
ocf bstop stop
ocf rostart start OCF_RESKEY_options=bind,ro
note roopts "$(awk '$5 == "${dir}" { print $6 }' /proc/self/mountinfo)"
note srcopts "$(touch ${src}/still-writable && echo rw)"
ocf rostop stop OCF_RESKEY_options=bind,ro
ocf lstart start OCF_RESKEY_device=${image} OCF_RESKEY_directory=${loopDir} OCF_RESKEY_fstype=ext4 OCF_RESKEY_options=loop
ocf lmon monitor ${i} OCF_RESKEY_device=${image} OCF_RESKEY_directory=${loopDir} OCF_RESKEY_fstype=ext4 OCF_RESKEY_options=loop
ocf lstop stop OCF_RESKEY_device=${image} OCF_RESKEY_directory=${loopDir} OCF_RESKEY_fstype=ext4 OCF_RESKEY_options=loop
note lmounted "$(grep -c ' ${loopDir} ' /proc/self/mountinfo)"
`, { device: src, directory: dir, fstype: 'none', options: 'bind' });
    for (const l of ['bstart', 'bmon', 'bmon10', 'bmon20', 'bstop', 'rostart', 'rostop', 'lstart', 'lmon', 'lstop']) {
      expect(s.step(l).code, `${l}: ${s.step(l).stderr}`).toBe(OCF.SUCCESS);
    }
    expect(s.note('bcontent')).toBe('hi');
    expect(s.step('bmon10').stderr).toMatch(/not a block device, monitor 10 is noop/);
    expect(s.note('roopts')).toMatch(/^ro,/);
    expect(s.note('srcopts')).toBe('rw');
    expect(s.note('lmounted')).toBe('0');
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('run_fsck: auto checks ext2 before mounting, no skips it, auto skips ext4', async () => {
    const e2 = await disks.create({ fstype: 'ext2', label: 'pal-fs-e2' });
    const dir = freshDir('fsck');
    const s = await scenario(`
ocf auto start
ocf stop1 stop
ocf no start OCF_RESKEY_run_fsck=no
ocf stop2 stop
ocf ext4 start OCF_RESKEY_device=${a.device} OCF_RESKEY_fstype=ext4
ocf stop3 stop OCF_RESKEY_device=${a.device} OCF_RESKEY_fstype=ext4
ocf force start OCF_RESKEY_device=${a.device} OCF_RESKEY_fstype=ext4 OCF_RESKEY_run_fsck=force
ocf stop4 stop OCF_RESKEY_device=${a.device} OCF_RESKEY_fstype=ext4
`, { device: e2.device, directory: dir, fstype: 'ext2' });
    for (const l of ['auto', 'stop1', 'no', 'stop2', 'ext4', 'stop3', 'force', 'stop4']) {
      expect(s.step(l).code, `${l}: ${s.step(l).stderr}`).toBe(OCF.SUCCESS);
    }
    expect(s.step('auto').stderr).toMatch(/Starting filesystem check on/);
    expect(s.step('no').stderr).not.toMatch(/filesystem check/);
    expect(s.step('ext4').stderr).not.toMatch(/filesystem check/);
    expect(s.step('force').stderr).toMatch(/Starting filesystem check on/);
  });

  it('a failed mount leaves nothing behind: no mount, no created mount point', async () => {
    const dir = join(freshDir('failed'), 'deeper');
    const s = await scenario(`
ocf xfs start OCF_RESKEY_fstype=xfs
note exists "$(test -e ${dir} && echo yes || echo no)"
note parent "$(test -e ${dir}/.. && echo yes || echo no)"
note mounted "$(grep -c ' ${dir} ' /proc/self/mountinfo)"
`, { device: a.device, directory: dir, fstype: 'ext4' });
    expect(s.step('xfs').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('xfs').reason).toMatch(/Couldn't mount .* on .*deeper: .*/);
    expect(s.note('exists')).toBe('no');
    expect(s.note('parent')).toBe('no');
    expect(s.note('mounted')).toBe('0');
  });

  it('force_clones=true lets an ext4 clone start, with a warning', async () => {
    const dir = freshDir('clone');
    const meta = 'OCF_RESKEY_CRM_meta_clone_max=2 OCF_RESKEY_CRM_meta_clone=0';
    const s = await scenario(`
ocf start start ${meta} OCF_RESKEY_force_clones=true
ocf mon20 monitor ${meta} OCF_RESKEY_CRM_meta_interval=20000 OCF_CHECK_LEVEL=20
note statusfile "$(ls ${dir}/.Filesystem_status/)"
ocf stop stop ${meta}
`, { device: a.device, directory: dir, fstype: 'ext4' });
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(s.step('start').stderr).toMatch(/not cluster-aware; running as a clone because force_clones=true/);
    expect(s.step('mon20').code).toBe(OCF.SUCCESS);
    expect(s.note('statusfile')).toMatch(/^fs1_0_/);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
  });
});

describe('whose mount is it', () => {
  it('another device on the directory: probe 7, monitor 1, start 1, stop 0 and nobody signalled', async () => {
    const dir = freshDir('foreign');
    const i = 'OCF_RESKEY_CRM_meta_interval=20000';
    const s = await scenario(`
mkdir -p ${dir} && mount ${b.device} ${dir}
(cd ${dir} && exec sleep 1000) & U=$!
ready $U
ocf probe monitor OCF_RESKEY_CRM_meta_interval=0
ocf mon monitor ${i}
ocf start start
ocf stop stop
note user "$(state $U)"
note still "$(grep -c ' ${dir} ' /proc/self/mountinfo)"
hb hbmon monitor ${i}
kill $U
`, { device: a.device, directory: dir, fstype: 'ext4' });
    expect(s.step('probe').code).toBe(OCF.NOT_RUNNING);
    expect(s.step('mon').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('mon').reason).toMatch(new RegExp(`Another device is mounted on ${dir}: ${b.device} \\(7:\\d+, ext4\\) is mounted there, not ${a.device} \\(7:\\d+\\)`));
    expect(s.step('start').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('start').reason).toMatch(/Another device is mounted/);
    expect(s.step('stop').code).toBe(OCF.SUCCESS);
    expect(s.note('user')).toBe('alive');
    expect(s.note('still')).toBe('1');
    // resource-agents 4.12 takes any mount on the directory for its own
    expect(s.step('hbmon').code).toBe(OCF.SUCCESS);
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('directory=/ in any spelling, a symlink to /, a bind of / and the root device: refused, nothing signalled', async () => {
    const link = freshDir('rootlink');
    symlinkSync('/', link);
    const bindOfRoot = freshDir('bindroot');
    const spellings = [...rootSpellings, link];
    const body = spellings
      .map((d, i) => `
ocf start${i} start OCF_RESKEY_directory=${d}
ocf probe${i} monitor OCF_RESKEY_directory=${d} OCF_RESKEY_CRM_meta_interval=0
ocf mon${i} monitor OCF_RESKEY_directory=${d} OCF_RESKEY_CRM_meta_interval=20000
ocf stop${i} stop OCF_RESKEY_directory=${d}
`)
      .join('');
    const s = await scenario(`
(cd / && exec sleep 1000) & ROOTUSER=$!
(cd /tmp && exec sleep 1000) & TMPUSER=$!
${body}
mkdir -p ${bindOfRoot} && mount --bind / ${bindOfRoot}
(cd ${bindOfRoot}/tmp && exec sleep 1000) & BINDUSER=$!
ready $ROOTUSER $TMPUSER $BINDUSER
ocf bstart start OCF_RESKEY_directory=${bindOfRoot}
ocf bstop stop OCF_RESKEY_directory=${bindOfRoot}
ocf rstart start OCF_RESKEY_device=${rootDev} OCF_RESKEY_directory=${bindOfRoot}
ocf rstop stop OCF_RESKEY_device=${rootDev} OCF_RESKEY_directory=${bindOfRoot}
note still "$(grep -c ' ${bindOfRoot} ' /proc/self/mountinfo)"
note rootuser "$(state $ROOTUSER)"
note tmpuser "$(state $TMPUSER)"
note binduser "$(state $BINDUSER)"
kill $ROOTUSER $TMPUSER $BINDUSER
`, { device: a.device, directory: '/', fstype: 'ext4' });
    spellings.forEach((d, i) => {
      expect(s.step(`start${i}`).code, d).toBe(OCF.ERR_CONFIGURED);
      expect(s.step(`start${i}`).reason, d).toMatch(/directory resolves to '\/': the root filesystem cannot be managed/);
      expect(s.step(`probe${i}`).code, d).toBe(OCF.NOT_RUNNING);
      expect(s.step(`mon${i}`).code, d).toBe(OCF.ERR_GENERIC);
      expect(s.step(`mon${i}`).reason, d).toMatch(/directory resolves to '\/': the root filesystem cannot be managed/);
      expect(s.step(`stop${i}`).code, d).toBe(OCF.SUCCESS);
      expect(s.step(`stop${i}`).stderr, d).not.toMatch(/sent SIG|unmounting|unmounted/);
    });
    expect(s.step('bstart').code).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('bstart').reason).toMatch(/is a mount of the root filesystem/);
    expect(s.step('bstop').code).toBe(OCF.SUCCESS);
    expect(s.step('rstart').code).toBe(OCF.ERR_CONFIGURED);
    expect(s.step('rstart').reason).toMatch(/holds the root filesystem/);
    expect(s.step('rstop').code).toBe(OCF.SUCCESS);
    for (const l of ['bstop', 'rstop']) expect(s.step(l).stderr).not.toMatch(/sent SIG|unmounting/);
    expect(s.note('still')).toBe('1');
    expect(s.note('rootuser')).toBe('alive');
    expect(s.note('tmpuser')).toBe('alive');
    expect(s.note('binduser')).toBe('alive');
    expect(s.ns.sentinelAlive).toBe(true);
  });
});

describe('busy stop', () => {
  it('signals only processes using the mount (cwd, open file, mapped library, TERM-ignoring shell) and unmounts', async () => {
    const dir = freshDir('busy');
    const s = await scenario(`
ocf start start
mkdir ${dir}/d
(cd ${dir}/d && exec sleep 1000) & CWD=$!
(exec 7>${dir}/held; cd /; exec sleep 1000) & FD=$!
# a library preloaded from the mount: mapped, no fd, cwd and exe elsewhere
cp "$(ls /lib/*/libz.so.1 /usr/lib/*/libz.so.1 2>/dev/null | head -n 1)" ${dir}/libmapped.so
(cd / && LD_PRELOAD=${dir}/libmapped.so exec sleep 1000) & MM=$!
(trap '' TERM; cd ${dir}; while :; do sleep 0.05; done) & STUBBORN=$!
(cd ${dir}/.. && exec sleep 1000) & NEXTDOOR=$!
(cd / && exec sleep 1000) & OUTSIDE=$!
ready $CWD $FD $MM $NEXTDOOR $OUTSIDE
waitfor "libmapped.so mapped" maps_has $MM libmapped.so
waitfor "the TERM-ignoring shell in ${dir}" cwd_is $STUBBORN ${dir}
note mmonly "$(ls -l /proc/$MM/fd | grep -c ${dir}) $(readlink /proc/$MM/cwd)"
ocf stop stop OCF_RESKEY_CRM_meta_timeout=8000 OCF_RESKEY_signal_delay=0.5
for p in CWD FD MM STUBBORN NEXTDOOR OUTSIDE; do eval "note $p \\"\\$(state \\$$p)\\""; done
note mounted "$(grep -c ' ${dir} ' /proc/self/mountinfo)"
kill $NEXTDOOR $OUTSIDE
`, { device: a.device, directory: dir, fstype: 'ext4' });
    expect(s.step('start').code, s.step('start').stderr).toBe(OCF.SUCCESS);
    expect(s.note('mmonly')).toBe('0 /');
    const stop = s.step('stop');
    expect(stop.code, stop.stderr).toBe(OCF.SUCCESS);
    expect(stop.reason).toBeUndefined();
    for (const p of ['CWD', 'FD', 'MM', 'STUBBORN']) expect(s.note(p), p).toBe('dead');
    expect(s.note('NEXTDOOR')).toBe('alive');
    expect(s.note('OUTSIDE')).toBe('alive');
    expect(s.note('mounted')).toBe('0');
    expect(stop.stderr).toMatch(/sent SIGTERM to pid \d+ \(sleep: cwd → .*\/d\)/);
    expect(stop.stderr).toMatch(/sent SIGTERM to pid \d+ \(sleep: fd 7 → .*\/held\)/);
    expect(stop.stderr).toMatch(/sent SIGTERM to pid \d+ \(sleep: mmap → .*\/libmapped\.so\)/);
    expect(stop.stderr).toMatch(/sent SIGKILL to pid \d+ \(sh: cwd/);
    expect(stop.stderr).not.toMatch(/sent SIG\w+ to pid 1 /);
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('finds users in other mount namespaces by device: a slave copy (systemd PrivateTmp) yes, a look-alike path no', async () => {
    const dir = freshDir('otherns');
    const s = await scenario(`
mount --make-rshared /
ocf start start
unshare -m --propagation slave sh -c 'cd ${dir} && exec sleep 1000' & SLAVE=$!
unshare -m --propagation private sh -c 'mount -t tmpfs decoy ${dir} && cd ${dir} && exec sleep 1000' & DECOY=$!
ready $SLAVE $DECOY
note paths "$(readlink /proc/$SLAVE/cwd) $(readlink /proc/$DECOY/cwd)"
ocf stop stop
note slave "$(state $SLAVE)"
note decoy "$(state $DECOY)"
kill $DECOY
`, { device: a.device, directory: dir, fstype: 'ext4' });
    expect(s.note('paths')).toBe(`${dir} ${dir}`);
    const stop = s.step('stop');
    expect(stop.code, stop.stderr).toBe(OCF.SUCCESS);
    expect(stop.stderr).toMatch(/sent SIGTERM to pid \d+ \(sleep: cwd → .* \(mount namespace mnt:\[\d+\]\)\)/);
    expect(s.note('slave')).toBe('dead');
    expect(s.note('decoy')).toBe('alive');
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('unmounts submounts (deepest first) and other mounts of the device, signalling their users', async () => {
    const dir = freshDir('sub');
    const elsewhere = freshDir('elsewhere');
    const s = await scenario(`
ocf start start
mkdir -p ${dir}/sub ${dir}/data ${elsewhere} && mount ${b.device} ${dir}/sub && mkdir -p ${dir}/sub/deeper && mount -t tmpfs tmp ${dir}/sub/deeper
mount --bind ${dir}/data ${elsewhere}
(cd ${dir}/sub/deeper && exec sleep 1000) & DEEP=$!
(cd ${dir}/sub && exec sleep 1000) & SUB=$!
(cd ${elsewhere} && exec sleep 1000) & ELSE=$!
(cd / && exec sleep 1000) & OUTSIDE=$!
ready $DEEP $SUB $ELSE $OUTSIDE
ocf mon monitor OCF_RESKEY_CRM_meta_interval=20000
ocf stop stop
for p in DEEP SUB ELSE OUTSIDE; do eval "note $p \\"\\$(state \\$$p)\\""; done
note left "$(grep -c -e ' ${dir}' -e ' ${elsewhere} ' /proc/self/mountinfo)"
mkdir -p ${dir}/below && mount -t tmpfs tmp ${dir}/below
ocf below start
note belowdir "$(grep -c ' ${dir} ' /proc/self/mountinfo)"
kill $OUTSIDE
`, { device: a.device, directory: dir, fstype: 'ext4' });
    expect(s.step('start').code).toBe(OCF.SUCCESS);
    expect(s.step('mon').code).toBe(OCF.SUCCESS);
    const stop = s.step('stop');
    expect(stop.code, stop.stderr).toBe(OCF.SUCCESS);
    const order = [...stop.stderr.matchAll(/INFO: unmounted (\S+)/g)].map((m) => m[1]);
    expect(order).toEqual([elsewhere, `${dir}/sub/deeper`, `${dir}/sub`, dir]);
    for (const p of ['DEEP', 'SUB', 'ELSE']) expect(s.note(p), p).toBe('dead');
    expect(s.note('OUTSIDE')).toBe('alive');
    expect(s.note('left')).toBe('0');
    // something mounted below the directory: start refuses instead of hiding it
    expect(s.step('below').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('below').reason).toMatch(/is mounted below .*; mounting on .* would hide it/);
    expect(s.note('belowdir')).toBe('0');
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('force_unmount=false signals nothing and fails with the users named; safe unmounts', async () => {
    const dir = freshDir('nokill');
    const s = await scenario(`
ocf start start
(cd ${dir} && exec sleep 1000) & U=$!
ready $U
ocf stop stop OCF_RESKEY_force_unmount=false OCF_RESKEY_CRM_meta_timeout=3000
note user "$(state $U)"
note mounted "$(grep -c ' ${dir} ' /proc/self/mountinfo)"
note pid "$U"
ocf safe stop OCF_RESKEY_force_unmount=safe
note user2 "$(state $U)"
`, { device: a.device, directory: dir, fstype: 'ext4' });
    const stop = s.step('stop');
    expect(stop.code).toBe(OCF.ERR_GENERIC);
    expect(stop.reason).toMatch(new RegExp(`Couldn't unmount ${dir} within [\\d.]+ s \\(force_unmount=false, nothing signalled\\): still used by pid ${s.note('pid')} \\(sleep: cwd`));
    expect(stop.stderr).not.toMatch(/sent SIG/);
    expect(s.note('user')).toBe('alive');
    expect(s.note('mounted')).toBe('1');
    expect(s.step('safe').code, s.step('safe').stderr).toBe(OCF.SUCCESS);
    expect(s.note('user2')).toBe('dead');
    expect(s.ns.sentinelAlive).toBe(true);
  });

  it('fast_stop=true gives up after 6 s even with a 60 s operation timeout', async () => {
    const dir = freshDir('fast');
    const s = await scenario(`
ocf start start
(trap '' TERM; cd ${dir}; while :; do sleep 0.05; done) & U=$!
waitfor "the TERM-ignoring shell in ${dir}" cwd_is $U ${dir}
ocf stop stop OCF_RESKEY_fast_stop=true OCF_RESKEY_kill_signals=TERM OCF_RESKEY_CRM_meta_timeout=60000
note user "$(state $U)"
kill -9 $U
ocf stop2 stop
`, { device: a.device, directory: dir, fstype: 'ext4' });
    expect(s.step('stop').code).toBe(OCF.ERR_GENERIC);
    expect(s.step('stop').reason).toMatch(/Couldn't unmount .* within 5\.\d s: still used by pid \d+ \(sh: cwd/);
    expect(s.note('user')).toBe('alive');
    expect(s.step('stop2').code).toBe(OCF.SUCCESS);
    expect(s.ns.sentinelAlive).toBe(true);
  });
});

describe('building blocks', () => {
  const table = [
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '60 27 7:0 / /srv/data rw,relatime shared:1 - ext4 /dev/loop0 rw',
    '61 60 7:1 / /srv/data/sub rw - ext4 /dev/loop1 rw',
    '62 61 0:50 / /srv/data/sub/deep rw - tmpfs tmp rw',
    '63 27 7:0 /export /mnt/bind\\040point rw - ext4 /dev/loop0 rw',
    '64 60 7:2 / /srv/data rw - ext4 /dev/loop2 rw',
    '65 27 7:0 / /mnt/again rw - ext4 /dev/loop0 rw',
  ].join('\n');

  it('parses mountinfo, undoes octal escapes and names the line of a bad entry', async () => {
    const { parseMountinfo, MountTableError } = await import('../../agents/ocf/Filesystem/mountinfo.js');
    const m = parseMountinfo(table);
    expect(m[4]).toMatchObject({ id: 63, parentId: 27, major: 7, minor: 0, root: '/export', mountPoint: '/mnt/bind point', fstype: 'ext4', source: '/dev/loop0' });
    expect(m[1]!.options).toBe('rw,relatime');
    expect(() => parseMountinfo(`${table}\n12 garbage`, '/proc/self/mountinfo')).toThrow(MountTableError);
    expect(() => parseMountinfo(`${table}\n12 garbage`, '/proc/self/mountinfo')).toThrow(/mountinfo:8: expected/);
    expect(() => parseMountinfo('1 2 x:y / / rw - ext4 /dev/a rw')).toThrow(/:1: bad mount ID, parent ID or MAJ:MIN/);
  });

  it('finds the visible mount, what is below it and other mounts of its device, never "/"', async () => {
    const mi = await import('../../agents/ocf/Filesystem/mountinfo.js');
    const { unmountTargets } = await import('../../agents/ocf/Filesystem/stop.js');
    const m = mi.parseMountinfo(table);
    // 64 is stacked on 60 at /srv/data: it is the visible one
    expect(mi.mountAt(m, '/srv/data')?.id).toBe(64);
    const top60 = m.find((x) => x.id === 60)!;
    expect(mi.descendantsOf(m, top60).map((x) => x.id)).toEqual([62, 61, 64]);
    expect(mi.otherMountsOfDevice(m, top60).map((x) => x.mountPoint)).toEqual(['/mnt/again', '/mnt/bind point']);
    expect(unmountTargets(m, top60, { kind: 'block', path: '/dev/loop0' }).map((x) => x.id)).toEqual([65, 63, 62, 61, 64, 60]);
    // a bind resource never takes other mounts of the source filesystem along
    expect(unmountTargets(m, top60, { kind: 'bind', path: '/x' }).map((x) => x.id)).toEqual([62, 61, 64, 60]);
    const rootEntry = m.find((x) => x.id === 27)!;
    expect(mi.otherMountsOfDevice([...m, { ...rootEntry, id: 99, parentId: 60, mountPoint: '/srv/data/x' }], m[1]!)).not.toContainEqual(
      expect.objectContaining({ mountPoint: '/' }),
    );
    expect(mi.mountsBelow(m, '/srv').map((x) => x.id)).toEqual([62, 61, 64, 60]);
  });

  it('finds the device holding a path in another namespace\'s table', async () => {
    const mi = await import('../../agents/ocf/Filesystem/mountinfo.js');
    const { deviceHolding } = await import('../../agents/ocf/Filesystem/users.js');
    const m = mi.parseMountinfo(table);
    expect(deviceHolding(m, '/srv/data/sub/file')).toMatchObject({ major: 7, minor: 1 });
    expect(deviceHolding(m, '/srv/data/x (deleted)')).toMatchObject({ major: 7, minor: 2 });
    expect(deviceHolding(m, '/srv/database')).toMatchObject({ major: 254, minor: 0 });
  });

  it('classifies device forms the way heartbeat and mount(8) do', async () => {
    const { parseDeviceSpec, splitDev, trimSlashes } = await import('../../agents/ocf/Filesystem/device.js');
    expect(parseDeviceSpec('-U 1234-abcd', 'ext4', '')).toEqual({ kind: 'tag', tag: 'UUID', value: '1234-abcd' });
    expect(parseDeviceSpec('-Ldata', 'ext4', '')).toEqual({ kind: 'tag', tag: 'LABEL', value: 'data' });
    expect(parseDeviceSpec('--label=my data', 'ext4', '')).toEqual({ kind: 'tag', tag: 'LABEL', value: 'my data' });
    expect(parseDeviceSpec('--uuid 1234', 'xfs', '')).toEqual({ kind: 'tag', tag: 'UUID', value: '1234' });
    expect(parseDeviceSpec('LABEL="x y"', 'ext4', '')).toEqual({ kind: 'tag', tag: 'LABEL', value: 'x y' });
    expect(parseDeviceSpec('PARTUUID=ab-01', 'ext4', '')).toEqual({ kind: 'tag', tag: 'PARTUUID', value: 'ab-01' });
    expect(parseDeviceSpec('/srv/x', 'none', 'bind')).toEqual({ kind: 'bind', path: '/srv/x' });
    expect(parseDeviceSpec('/srv/x', '', 'rbind,ro')).toEqual({ kind: 'bind', path: '/srv/x' });
    expect(parseDeviceSpec('nas:/export/', 'nfs4', '')).toEqual({ kind: 'source', source: 'nas:/export/' });
    expect(parseDeviceSpec('/img/disk.img', 'ext4', 'loop,ro')).toEqual({ kind: 'loopfile', path: '/img/disk.img' });
    expect(parseDeviceSpec('/dev/sdb1', 'ext4', 'noatime')).toEqual({ kind: 'block', path: '/dev/sdb1' });
    expect(() => parseDeviceSpec('LABEL=', 'ext4', '')).toThrow(/names no LABEL value/);
    expect(splitDev(0x0701n)).toEqual({ major: 7, minor: 1 });
    expect(splitDev((259n << 8n) | 0x10n | (0x123n << 12n) << 8n)).toEqual({ major: 259, minor: 0x12310 });
    expect([trimSlashes('nas:/'), trimSlashes('nas:/export//'), trimSlashes('/')]).toEqual(['nas:/', 'nas:/export', '/']);
  });

  it('normalizes the directory and resolves a symlinked parent without touching the mount', async () => {
    const { normalizeDirectory, canonicalDirectory } = await import('../../agents/ocf/Filesystem/resource.js');
    expect(normalizeDirectory('/srv/data///')).toEqual({ dir: '/srv/data' });
    expect(normalizeDirectory('/srv/./x/../data')).toEqual({ dir: '/srv/data' });
    expect(normalizeDirectory('//')).toEqual({ dir: '/' });
    expect(normalizeDirectory('srv')).toMatchObject({ problem: expect.stringMatching(/not an absolute path/) });
    expect(normalizeDirectory(' /srv')).toMatchObject({ problem: expect.stringMatching(/blanks/) });
    const real = freshDir('real');
    mkdirSync(join(real, 'mnt'), { recursive: true });
    const link = freshDir('link');
    symlinkSync(real, link);
    expect(await canonicalDirectory(join(link, 'mnt'), [])).toBe(join(real, 'mnt'));
    expect(await canonicalDirectory(join(link, 'missing'), [])).toBe(join(real, 'missing'));
  });

  it('parses maps lines and signal lists', async () => {
    const { mappedUnder, findUsers } = await import('../../agents/ocf/Filesystem/users.js');
    const { parseSignals } = await import('../../agents/ocf/Filesystem/signals.js');
    const { parseForceUnmount, parseDelayMs } = await import('../../agents/ocf/Filesystem/params.js');
    const maps = [
      '7f00-7f01 r--s 00000000 07:00 12 /srv/data/mapped file',
      '7f01-7f02 r-xp 00000000 fe:00 13 /usr/lib/libc.so.6',
      '7f02-7f03 rw-p 00000000 00:00 0 ',
      '7f03-7f04 r--p 00000000 07:00 14 /srv/database/other',
    ].join('\n');
    expect(mappedUnder(maps, '/srv/data')).toEqual(['/srv/data/mapped file']);
    expect(parseSignals(' TERM  sighup 9 ')).toEqual(['SIGTERM', 'SIGHUP', 9]);
    expect(parseSignals('')).toEqual([]);
    expect(parseSignals('TERM FOO')).toMatch(/unknown signal 'FOO'/);
    expect(parseSignals('0')).toMatch(/outside 1-64/);
    expect(['yes', 'TRUE', 'safe', 'off', 'maybe'].map(parseForceUnmount)).toEqual(['true', 'true', 'safe', 'false', undefined]);
    expect(['1', '0.25', '0', '-1', 'x', '7200'].map(parseDelayMs)).toEqual([1000, 250, 0, undefined, undefined, undefined]);
    // the last line of defence against signalling the whole system
    await expect(findUsers('/', { protect: new Set() })).rejects.toThrow(/refusing to look for users of '\/'/);
    await expect(findUsers('relative', { protect: new Set() })).rejects.toThrow(/refusing/);
  });

  it('escalation policy: TERM for the first half, KILL (and -f on network fs) for the second, never protected pids', async () => {
    const { unmountWithEscalation, UnmountError } = await import('../../agents/ocf/Filesystem/unmount.js');
    type Use = import('../../agents/ocf/Filesystem/users.js').ProcessUse;
    const user: Use = { pid: 50, comm: 'app', startTime: 1, uses: ['cwd → /m'], protected: false };
    const guard: Use = { pid: 1, comm: 'init', startTime: 1, uses: ['fd 3 → /m/x'], protected: true };
    const run = async (mode: 'true' | 'false', dieOn: string | undefined, network = false) => {
      let now = 0;
      const log: string[] = [];
      let alive = true;
      const io = {
        umount: async (_mp: string, force: boolean) => {
          log.push(force ? 'umount -f' : 'umount');
          return alive ? 'target is busy' : undefined;
        },
        findUsers: async () => (alive ? [user, guard] : [guard]),
        signal: (p: Use, sig: unknown) => {
          log.push(`${String(sig)}→${p.pid}`);
          if (sig === dieOn) alive = false;
          return true;
        },
        alive: () => alive,
        sleep: async (ms: number) => {
          now += ms;
        },
        now: () => now,
        log: { info: () => {}, warn: () => {} },
      };
      const policy = { mode, termSignals: ['SIGTERM' as const], killSignals: ['SIGKILL' as const], signalDelayMs: 1000, forceInKillPhase: network, deadline: 10_000 };
      const result = await unmountWithEscalation('/m', policy, io).then(() => 'ok', (e: Error) => e);
      return { result, log, now };
    };
    const term = await run('true', 'SIGTERM');
    expect(term.result).toBe('ok');
    expect(term.log).toEqual(['umount', 'SIGTERM→50', 'umount']);

    const kill = await run('true', 'SIGKILL', true);
    expect(kill.result).toBe('ok');
    expect(kill.log.filter((l) => l.startsWith('SIGTERM')).length).toBeGreaterThan(1);
    const firstKill = kill.log.indexOf('SIGKILL→50');
    expect(firstKill).toBeGreaterThan(0);
    expect(kill.log.slice(0, firstKill)).not.toContain('umount -f');
    expect(kill.log.at(-1)).toBe('umount -f');
    expect(kill.log.join(' ')).not.toMatch(/→1\b/);

    const never = await run('false', undefined);
    expect(never.result).toBeInstanceOf(UnmountError);
    expect(String(never.result)).toMatch(/force_unmount=false, nothing signalled\): still used by pid 50 \(app: cwd → \/m\); pid 1 \(init, protected: never signalled/);
    expect(never.log.every((l) => l === 'umount')).toBe(true);
    expect(never.now).toBeGreaterThanOrEqual(10_000);
  });
});
