// fence_palisade started as fence_xvm or fence_virt (symlinks to the bundle,
// as `palisade install --compat-names` makes them): the C client's meta-data
// (names, getopt letters, defaults, required/deprecated/obsoletes), its flag
// set (compared flag by flag with the real /usr/sbin binaries), its stdin
// names, its transport rules, and a version line that says what it is.
import { symlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Result, SERIAL_REQUEST_SIZE } from '../../protocol/constants.js';
import { decodeSerialRequest, encodeSerialResponse } from '../../protocol/serial.js';
import { FENCE_PALISADE, Workspace, daemonFixture, fenceVirt, freePort, type DaemonFixture, type RunResult } from '../helpers/fence-daemons.js';
import { startFakeMulticastDaemon, type FakeMulticastDaemon } from './_fake-daemons.js';
import { startScriptedPeer, type ScriptedPeer } from './_scripted-peer.js';

type Client = 'fence_xvm' | 'fence_virt';
const CLIENTS: readonly Client[] = ['fence_xvm', 'fence_virt'];
const RNG = '/usr/share/cluster/relaxng/metadata.rng';

let ws: Workspace;
const link: Record<Client, string> = { fence_xvm: '', fence_virt: '' };
beforeAll(async () => {
  ws = await Workspace.create();
  for (const c of CLIENTS) {
    link[c] = ws.path(c);
    await symlink(FENCE_PALISADE, link[c]);
  }
});
afterAll(() => ws?.stop());

async function ours(c: Client, args: string[], input?: string): Promise<RunResult> {
  const r = await execa(link[c], args, { reject: false, timeout: 60_000, ...(input !== undefined ? { input } : { stdin: 'ignore' }) });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function theirs(c: Client, args: string[], input?: string): Promise<RunResult> {
  const r = await execa(`/usr/sbin/${c}`, args, { reject: false, timeout: 60_000, ...(input !== undefined ? { input } : { stdin: 'ignore' }) });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface Param { name: string; required: string; deprecated?: string; obsoletes?: string; getopt: string; default?: string }
function params(xml: string): Param[] {
  return [...xml.matchAll(/<parameter ([^>]*)>\s*<getopt mixed="([^"]*)" \/>\s*<content ([^>]*?)\/?>/g)].map((m) => {
    const attr = (s: string, n: string) => new RegExp(`${n}="([^"]*)"`).exec(s)?.[1];
    const p: Param = { name: attr(m[1]!, 'name')!, required: attr(m[1]!, 'required')!, getopt: m[2]! };
    const dep = attr(m[1]!, 'deprecated');
    const obs = attr(m[1]!, 'obsoletes');
    const def = attr(m[3]!, 'default');
    if (dep) p.deprecated = dep;
    if (obs) p.obsoletes = obs;
    if (def !== undefined) p.default = def;
    return p;
  });
}
const byName = (ps: Param[]) => Object.fromEntries(ps.map((p) => [p.name, p]));
const actions = (xml: string): string[] => [...xml.matchAll(/<action name="([^"]+)"/g)].map((m) => m[1]!);

describe('meta-data under the C client names', () => {
  for (const c of CLIENTS) {
    it(`${c}: same parameters, getopt letters, defaults and attributes as /usr/sbin/${c}, and valid for metadata.rng`, async () => {
      const mine = await ours(c, ['-o', 'metadata']);
      const real = await theirs(c, ['-o', 'metadata']);
      expect(mine.exitCode).toBe(0);
      expect(mine.stdout).toContain(`<resource-agent name="${c}"`);
      expect(byName(params(mine.stdout))).toEqual(byName(params(real.stdout)));
      expect(actions(mine.stdout)).toEqual(actions(real.stdout));
      // Pacemaker's way: no argv, action on stdin.
      expect((await ours(c, [], 'action=metadata\n')).stdout).toBe(mine.stdout);
      const file = ws.path(`${c}.xml`);
      await writeFile(file, mine.stdout);
      const v = spawnSync('xmllint', ['--noout', '--relaxng', RNG, file], { encoding: 'utf8' });
      expect(v.stderr).toContain('validates');
      expect(v.status).toBe(0);
    });
  }
});

describe('flags accepted and refused as the C clients do', () => {
  // Every letter either client knows, plus -M (declared in both optstrings, defined nowhere) and -I (no optstring).
  const probes: [string, string[]][] = [
    ['d', ['-d']], ['i', ['-i', 'ipv4']], ['a', ['-a', '225.0.0.12']], ['p', ['-p', '1229']], ['r', ['-r', '20']],
    ['C', ['-C', 'sha256']], ['c', ['-c', 'sha256']], ['n', ['-n', 'vm']], ['H', ['-H', 'vm']], ['u', ['-u']],
    ['t', ['-t', '30']], ['w', ['-w', '0']], ['T', ['-T', '127.0.0.1']], ['S', ['-S3']], ['D', ['-D', '/dev/ttyS1']],
    ['P', ['-P', '115200,8N1']], ['A', ['-A', '10.0.2.179']], ['M', ['-M', 'x']], ['I', ['-I', 'lo']],
  ];
  for (const c of CLIENTS) {
    it(`${c}: each flag is accepted or refused exactly as /usr/sbin/${c} does (which prints help and exits 0 on a bad flag; we exit 1)`, async () => {
      const verdicts: Record<string, [boolean, boolean]> = {};
      for (const [letter, args] of probes) {
        const real = await theirs(c, [...args, '-o', 'metadata']);
        // fence_xvm/fence_virt: getopt complains, or an optstring letter with no definition (-M) is an argument error.
        const realRefused = /invalid option|usage:/.test(real.stdout + real.stderr) || real.exitCode !== 0;
        const mine = await ours(c, [...args, '-o', 'metadata']);
        const mineRefused = mine.exitCode !== 0;
        if (mineRefused) expect(mine.stderr, `${c} -${letter}`).toContain(`unknown option -${letter}`);
        verdicts[letter] = [realRefused, mineRefused];
      }
      for (const [letter, [real, mine]] of Object.entries(verdicts)) expect(mine, `${c} -${letter}: refused by ${c}? ${real}`).toBe(real);
      expect(Object.values(verdicts).filter(([r]) => r).length).toBeGreaterThanOrEqual(5);
    }, 60_000);

    it(`${c}: long options are fence_palisade's only`, async () => {
      const r = await ours(c, ['--plug=vm', '-o', 'metadata']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`unknown option --plug (${c} takes single-letter flags only, as the C ${c} does)`);
    });
  }

  it("stdin names of the other client are ignored with fence_virt's warning", async () => {
    const real = await theirs('fence_xvm', [], 'ipaddr=127.0.0.1\naction=metadata\n');
    const mine = await ours('fence_xvm', [], 'ipaddr=127.0.0.1\naction=metadata\n');
    expect(real.stderr).toContain("Parse error: Ignoring unknown option 'ipaddr'");
    expect(mine.stderr).toContain("Parse error: Ignoring unknown option 'ipaddr' (stdin line 1; not a fence_xvm parameter)");
    expect(mine.exitCode).toBe(0);
    const virt = await ours('fence_virt', [], 'multicast_address=225.0.0.12\nretrans=5\naction=metadata\n');
    expect(virt.stderr).toContain("Parse error: Ignoring unknown option 'multicast_address'");
    expect(virt.stderr).toContain("Parse error: Ignoring unknown option 'retrans'");
  });
});

describe('version and help under the C client names', () => {
  for (const c of CLIENTS) {
    it(`${c} -V says it is palisade in ${c} compatibility mode; -h lists only ${c}'s options`, async () => {
      const v = await ours(c, ['-V']);
      expect(v.exitCode).toBe(0);
      expect(v.stdout).toMatch(new RegExp(`^${c}: palisade's fence_palisade \\d+\\.\\d+\\.\\d+ in ${c} compatibility mode`));
      const h = await ours(c, ['-h']);
      expect(h.stdout).toContain(`Usage: ${c} [OPTION]...`);
      expect(h.stdout).toContain(`${c} compatibility mode`);
      const foreign = c === 'fence_xvm' ? ['-T ADDRESS', '-D DEVICE'] : ['-a ADDRESS', '-r RETRANS', '-u,'];
      for (const f of foreign) expect(h.stdout, f).not.toContain(f);
    });
  }
});

describe('transports under the C client names', () => {
  let fake: FakeMulticastDaemon | undefined;
  let peer: ScriptedPeer | undefined;
  let fv: DaemonFixture | undefined;
  afterEach(async () => {
    await fake?.close();
    await peer?.close();
    fake = undefined;
    peer = undefined;
  });
  afterAll(() => fv?.ws.stop());

  it('fence_xvm is multicast (here: unicast to a scripted daemon on loopback)', async () => {
    const keyBytes = new Uint8Array(Buffer.from('compat key'));
    const key = await ws.key('compat.key', keyBytes);
    const port = await freePort('0.0.0.0');
    fake = await startFakeMulticastDaemon({ key: keyBytes, port, answer: () => Result.OFF });
    const r = await ours('fence_xvm', ['-a', '127.0.0.1', '-p', String(port), '-k', key, '-o', 'status', '-n', 'vm1', '-r', '5']);
    expect([r.exitCode, r.stdout]).toEqual([2, 'Status: OFF']);
    expect(fake.requests.map((q) => [q.domain, q.family, q.port])).toEqual([['vm1', 2, port]]);
  });

  it('fence_virt without -D, -T or -S is vmchannel (to channel_address:ipport)', async () => {
    peer = await startScriptedPeer(async (c) => {
      const req = decodeSerialRequest(await c.read(SERIAL_REQUEST_SIZE));
      c.write(encodeSerialResponse({ response: req.domain === 'vm1' ? Result.SUCCESS : Result.OFF }));
      c.socket.end();
    });
    const r = await ours('fence_virt', ['-A', '127.0.0.1', '-p', String(peer.port), '-o', 'status', '-n', 'vm1']);
    expect([r.exitCode, r.stdout]).toEqual([0, 'Status: ON']);
  });

  it('fence_virt -T speaks tcp, with the same output as /usr/sbin/fence_virt against fence_virtd', async () => {
    fv = await daemonFixture('fence_virtd', { uri: 'test:///default' });
    for (const step of [['-o', 'list'], ['-o', 'status', '-n', 'test'], ['-o', 'status', '-n', 'nosuch']]) {
      const args = ['-T', '127.0.0.1', '-p', String(fv.port), '-k', fv.key, ...step];
      const real = await fenceVirt(args);
      const mine = await ours('fence_virt', args);
      expect([mine.exitCode, mine.stdout], step.join(' ')).toEqual([real.exitCode, real.stdout.trim()]);
    }
  });
});
