// ocf:palisade:drbd's pure parts: the events2 and 8.4 sh-status parsers (on
// text in drbd-utils 9.22's format, reference drbd-utils.md §1.3), the
// status flags, the score table, version parsing; and the stand-in's output
// against the same reference text.

import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events2FormatError, parseEvents2 } from '../../agents/ocf/drbd/events2.js';
import { flagsOf } from '../../agents/ocf/drbd/flags.js';
import { kernelCodeOf, modinfoCodeOf } from '../../agents/ocf/drbd/kernel.js';
import { decideScore, needsLocate, parseScale, type ScoreOptions } from '../../agents/ocf/drbd/score.js';
import { parseShStatus } from '../../agents/ocf/drbd/sh-status.js';
import { drbdStandIn, STANDIN_BIN, type DrbdStandIn } from '../stand-ins/drbd-utils/api.js';

const FRESH = `exists resource name:replicate role:Secondary suspended:no force-io-failures:no may_promote:no promotion_score:0
exists device name:replicate volume:0 minor:0 backing_dev:none disk:Diskless client:no quorum:yes
exists -
`;

const CONNECTING = `exists resource name:replicate role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:10101
exists connection name:replicate peer-node-id:1 conn-name:vprotect2 connection:Connecting role:Unknown
exists device name:replicate volume:0 minor:0 backing_dev:/dev/sdb disk:UpToDate client:no quorum:yes
exists peer-device name:replicate peer-node-id:1 conn-name:vprotect2 volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no
exists path name:replicate peer-node-id:1 conn-name:vprotect2 local:ipv4:10.40.1.50:7788 peer:ipv4:10.40.1.51:7788 established:no
exists -
`;

/** A reference row rendered: connected, values substituted. */
function connected(o: { role?: string; peerRole?: string; disk?: string; peerDisk?: string; repl?: string; extra?: string; quorum?: string; client?: string; peerClient?: string }): string {
  return [
    `exists resource name:replicate role:${o.role ?? 'Secondary'} suspended:no force-io-failures:no may_promote:no promotion_score:10102`,
    `exists connection name:replicate peer-node-id:1 conn-name:vprotect2 connection:Connected role:${o.peerRole ?? 'Secondary'}`,
    `exists device name:replicate volume:0 minor:0 backing_dev:/dev/sdb disk:${o.disk ?? 'UpToDate'} client:${o.client ?? 'no'}${o.extra ?? ''} quorum:${o.quorum ?? 'yes'}`,
    `exists peer-device name:replicate peer-node-id:1 conn-name:vprotect2 volume:0 replication:${o.repl ?? 'Established'} peer-disk:${o.peerDisk ?? 'UpToDate'} peer-client:${o.peerClient ?? 'no'} resync-suspended:no`,
    'exists path name:replicate peer-node-id:1 conn-name:vprotect2 local:ipv4:10.40.1.50:7788 peer:ipv4:10.40.1.51:7788 established:yes',
    'exists -',
    '',
  ].join('\n');
}

const opts: ScoreOptions = { scale: [0, 10, 1000, 10000], removeIfPeerPrimary: 'no', unfenceIfAllUpToDate: false };
const score = (text: string, o: Partial<ScoreOptions> = {}, unexpected = false) => {
  const d = decideScore(flagsOf(parseEvents2(text, 'replicate')), { ...opts, ...o }, unexpected);
  return d.kind === 'set' ? d.score : d.kind;
};

describe('events2 parser', () => {
  it('reads resource, connection, device and peer-device lines; path lines and unknown keys are ignored', () => {
    const st = parseEvents2(CONNECTING, 'replicate');
    expect(st).toEqual({
      configured: true,
      role: 'Secondary',
      suspended: 'no',
      devices: [{ volume: 0, minor: 0, disk: 'UpToDate', client: false, quorum: true }],
      connections: [{ peerNodeId: 1, name: 'vprotect2', state: 'Connecting', peerRole: 'Unknown' }],
      peerDevices: [{ peerNodeId: 1, volume: 0, replication: 'Off', peerDisk: 'DUnknown', peerClient: false, done: undefined }],
    });
    // HEAD's open:yes between client and quorum, statistics keys
    const head = connected({ extra: ' open:yes size:1048508 read:0' });
    expect(parseEvents2(head, 'replicate').devices[0]).toEqual({ volume: 0, minor: 0, disk: 'UpToDate', client: false, quorum: true });
  });

  it('unconfigured: only `exists -`; other resources, change events and lines after `exists -` do not count', () => {
    expect(parseEvents2('exists -\n', 'replicate').configured).toBe(false);
    const other = FRESH.replaceAll('replicate', 'other');
    expect(parseEvents2(other, 'replicate').configured).toBe(false);
    const later = `exists -\nchange resource name:replicate role:Primary\n`;
    expect(parseEvents2(later, 'replicate').configured).toBe(false);
    const mixed = `${FRESH.replace('exists -\n', '')}${CONNECTING.replaceAll('replicate', 'other')}`;
    const st = parseEvents2(mixed, 'replicate');
    expect(st.devices).toHaveLength(1);
    expect(st.connections).toHaveLength(0);
  });

  it('values may contain colons and done: appears during resync', () => {
    const sync = connected({ repl: 'SyncSource', peerDisk: 'Inconsistent' }).replace('resync-suspended:no', 'resync-suspended:no done:37.50');
    expect(parseEvents2(sync, 'replicate').peerDevices[0]).toMatchObject({ replication: 'SyncSource', peerDisk: 'Inconsistent', done: 37.5 });
  });

  it('a malformed number names the line and the field', () => {
    expect(() => parseEvents2('exists device name:r volume:x minor:0 disk:UpToDate\n', 'r')).toThrow(Events2FormatError);
    expect(() => parseEvents2('exists device name:r volume:x minor:0 disk:UpToDate\n', 'r')).toThrow(/line 1 .*volume is 'x', not a number/);
  });
});

describe('score table (reference §5, measured LINBIT values)', () => {
  it('matches drbd.ocf on the reference states', () => {
    expect(score(connected({ role: 'Primary' }))).toBe(10000);
    expect(score(connected({}))).toBe(10000);
    expect(score(CONNECTING)).toBe(1000);
    expect(score(connected({ disk: 'Inconsistent', repl: 'SyncTarget' }))).toBe(10);
    expect(score(CONNECTING.replace('disk:UpToDate', 'disk:Consistent'))).toBe('remove');
    expect(score(CONNECTING.replace('disk:UpToDate', 'disk:Outdated'))).toBe('remove');
    expect(score(CONNECTING.replace('quorum:yes', 'quorum:no'))).toBe('remove');
    expect(score(connected({ disk: 'Diskless', client: 'yes' }).replace('backing_dev:/dev/sdb', 'backing_dev:none'))).toBe(9999);
    expect(score(FRESH)).toBe('remove');
    expect(score(connected({ peerRole: 'Primary' }), { removeIfPeerPrimary: 'yes' })).toBe('remove');
    expect(score(connected({ peerRole: 'Primary' }), { removeIfPeerPrimary: 'unexpected' }, true)).toBe('remove');
    expect(score(connected({ peerRole: 'Primary' }), { removeIfPeerPrimary: 'unexpected' }, false)).toBe(10000);
  });

  it('transitional states keep the score; custom scales apply; 0 removes', () => {
    expect(score(CONNECTING.replace('disk:UpToDate', 'disk:Attaching'))).toBe('keep');
    expect(score(CONNECTING.replace('disk:UpToDate', 'disk:Consistent'), { scale: [5, 10, 1000, 10000] })).toBe(5);
    expect(score(CONNECTING, { scale: [0, 20, 2000, 20000] })).toBe(2000);
  });

  it('asks Pacemaker only when the answer matters, and unfences only as Primary with all peers UpToDate', () => {
    const peerPrimary = flagsOf(parseEvents2(connected({ peerRole: 'Primary' }), 'replicate'));
    expect(needsLocate(peerPrimary, { ...opts, removeIfPeerPrimary: 'unexpected' })).toBe(true);
    expect(needsLocate(peerPrimary, opts)).toBe(false);
    const d = decideScore(flagsOf(parseEvents2(connected({ role: 'Primary' }), 'replicate')), { ...opts, unfenceIfAllUpToDate: true });
    expect(d).toMatchObject({ kind: 'set', score: 10000, unfence: true });
    const d2 = decideScore(flagsOf(parseEvents2(CONNECTING.replace('role:Secondary', 'role:Primary'), 'replicate')), { ...opts, unfenceIfAllUpToDate: true });
    expect(d2).toMatchObject({ kind: 'set', score: 10000 });
    expect(d2).not.toHaveProperty('unfence');
  });

  it('adjust_master_score: four non-decreasing integers', () => {
    expect(parseScale('0 10 1000 10000')).toEqual([0, 10, 1000, 10000]);
    expect(parseScale(' 1  2 3 4 ')).toEqual([1, 2, 3, 4]);
    expect(parseScale('0 10 1000')).toBeUndefined();
    expect(parseScale('0 10 5 10000')).toBeUndefined();
    expect(parseScale('0 10 x 10000')).toBeUndefined();
  });
});

describe('8.4 sh-status parser', () => {
  const block = (role: string, peer: string, disk: string, pdsk: string, cstate: string) =>
    `_minor=0\n_res_name=r0\n_volume=0\n_known=Configured\n\n_cstate=${cstate}\n_role=${role}\n_peer=${peer}\n_disk=${disk}\n_pdsk=${pdsk}\n\n_flags_susp=\n_flags_aftr_isp=\n_flags_peer_isp=\n_flags_user_isp=\n_resynced_percent=\n\n_sh_status_process\n`;
  it('maps roles, disks and the connection; scores like the events2 path', () => {
    const st = parseShStatus(block('Primary', 'Secondary', 'UpToDate', 'UpToDate', 'Connected'), 'r0');
    expect(st).toMatchObject({ configured: true, role: 'Primary', connections: [{ state: 'Connected', peerRole: 'Secondary' }] });
    const d = (t: string) => decideScore(flagsOf(parseShStatus(t, 'r0')), opts);
    expect(d(block('Secondary', 'Unknown', 'UpToDate', 'DUnknown', 'WFConnection'))).toMatchObject({ kind: 'set', score: 1000 });
    expect(d(block('Secondary', 'Primary', 'Inconsistent', 'UpToDate', 'SyncTarget'))).toMatchObject({ kind: 'set', score: 10 });
    expect(parseShStatus('', 'r0').configured).toBe(false);
    expect(parseShStatus(block('Secondary', 'Unknown', 'UpToDate', 'DUnknown', 'StandAlone').replace('r0', 'r1'), 'r0').configured).toBe(false);
  });
});

describe('version parsing', () => {
  it('reads drbdadm --version and modinfo', () => {
    expect(kernelCodeOf('DRBDADM_API_VERSION=2\nDRBD_KERNEL_VERSION_CODE=0x09020c\nDRBD_KERNEL_VERSION=9.2.12\n')).toBe(0x09020c);
    expect(kernelCodeOf('DRBD_KERNEL_VERSION_CODE=0x000000\n')).toBe(0);
    expect(modinfoCodeOf('8.4.11-1\n')).toBe(0x08040b);
    expect(modinfoCodeOf('')).toBe(0);
  });
});

describe('the stand-in reproduces drbd-utils 9.22 output (reference §1.3, §2.2, §3.1)', () => {
  let s: DrbdStandIn;
  beforeAll(async () => {
    s = await drbdStandIn();
  });
  afterAll(async () => s?.cleanup());
  const run = (tool: string, args: string[]) => spawnSync(`${STANDIN_BIN}/${tool}`, args, { env: { ...process.env, ...s.env('alpha') }, encoding: 'utf8' });
  /** The reference's names for the stand-in's. */
  const asReference = (t: string) =>
    t.replaceAll('r0', 'replicate').replaceAll('beta', 'vprotect2').replaceAll(`${s.dir}/alpha-disk`, '/dev/sdb')
      .replaceAll('peer-node-id:0', 'peer-node-id:1').replaceAll('127.0.0.1:7788', '10.40.1.50:7788').replaceAll('127.0.0.2:7788', '10.40.1.51:7788');

  it('events2 after new-resource + new-minor, after attach with the peer down, and unconfigured', () => {
    expect(run('drbdsetup', ['events2', '--now', 'r0'])).toMatchObject({ status: 0, stdout: 'exists -\n' });
    expect(run('drbdadm', ['-c', s.conf, 'new-resource', 'r0']).status).toBe(0);
    expect(run('drbdadm', ['-c', s.conf, 'new-minor', 'r0']).status).toBe(0);
    expect(asReference(run('drbdsetup', ['events2', '--now', 'r0']).stdout)).toBe(FRESH);
    expect(run('drbdadm', ['-c', s.conf, 'adjust', 'r0']).status).toBe(0);
    expect(asReference(run('drbdsetup', ['events2', '--now', 'r0']).stdout)).toBe(CONNECTING);
    expect(asReference(run('drbdsetup', ['status', 'r0']).stdout)).toBe('replicate role:Secondary\n  disk:UpToDate\n  vprotect2 connection:Connecting\n\n');
  });

  it('primary: 17 without reachable UpToDate data, 11 with the peer Primary; messages as drbdadm prints them', () => {
    s.set((st) => {
      st.nodes.alpha.rt = s.runtime({ disk: 'Inconsistent' });
      st.nodes.beta.rt = null;
    });
    const r17 = run('drbdadm', ['-c', s.conf, 'primary', 'r0']);
    expect(r17.status).toBe(17);
    expect(r17.stderr).toBe("r0: State change failed: (-2) Need access to UpToDate data\nCommand 'drbdsetup primary r0' terminated with exit code 17\n");
    s.set((st) => {
      st.nodes.alpha.rt = s.runtime({});
      st.nodes.beta.rt = s.runtime({ role: 'Primary' });
    });
    const r11 = run('drbdadm', ['-c', s.conf, 'primary', 'r0']);
    expect(r11.status).toBe(11);
    expect(r11.stderr).toBe("r0: State change failed: (-1) Multiple primaries not allowed by config\nCommand 'drbdsetup primary r0' terminated with exit code 11\n");
    expect(asReference(run('drbdsetup', ['events2', '--now', 'r0']).stdout)).toBe(connected({ peerRole: 'Primary' }));
  });

  it('status --json: the connected Secondary of the reference, and the unknown-resource answer', () => {
    s.set((st) => {
      st.nodes.alpha.rt = s.runtime({});
      st.nodes.beta.rt = s.runtime({});
    });
    const j = run('drbdsetup', ['status', 'r0', '--json']);
    expect(j.status).toBe(0);
    // alpha is node-id 1 here, its peer 0 (the reference's vprotect1 is 0)
    const ref = asReference(j.stdout).replace('"node-id": 1', '"node-id": 0').replace('"peer-node-id": 0', '"peer-node-id": 1');
    expect(ref).toContain('"connection-state": "Connected", \n');
    expect(ref.startsWith('[\n{\n  "name": "replicate",\n  "node-id": 0,\n  "role": "Secondary",\n')).toBe(true);
    expect(ref.endsWith('          "percent-in-sync": 100.00\n        } ]\n    } ]\n}\n]\n\n')).toBe(true);
    expect(JSON.parse(j.stdout)[0].connections[0]['peer_devices'][0]['peer-disk-state']).toBe('UpToDate');
    const none = run('drbdsetup', ['status', 'r9', '--json']);
    expect(none).toMatchObject({ status: 10, stdout: '[\n]\n\n', stderr: 'r9: No such resource\n' });
  });

  it('--version, parse-only commands through the real drbdadm, down idempotent, no module: 20', () => {
    expect(run('drbdadm', ['--version']).stdout).toMatch(/^DRBD_KERNEL_VERSION_CODE=0x09020c$/m);
    expect(run('drbdadm', ['-c', s.conf, 'sh-dev', 'r0']).stdout).toBe('/dev/drbd0\n');
    const dry = execFileSync(`${STANDIN_BIN}/drbdadm`, ['-c', s.conf, '-d', 'connect', 'r0:beta'], { env: { ...process.env, ...s.env('alpha') }, encoding: 'utf8' });
    expect(dry).toBe(`${STANDIN_BIN}/drbdsetup connect r0 0\n`);
    expect(run('drbdadm', ['-c', s.conf, 'down', 'r0']).status).toBe(0);
    expect(run('drbdadm', ['-c', s.conf, 'down', 'r0']).status).toBe(0);
    s.set((st) => {
      st.module = 'missing';
    });
    expect(run('drbdsetup', ['events2', '--now', 'r0']).status).toBe(20);
    expect(run('drbdadm', ['--version']).stdout).toMatch(/^DRBD_KERNEL_VERSION_CODE=0x000000$/m);
    expect(run('modinfo', ['-F', 'version', 'drbd']).status).toBe(1);
  });
});
