// ocf:palisade:IPaddr2 on a real veth pair between two network namespaces:
// ocf-tester for IPv4 and IPv6, then the edge cases with exact exit codes,
// side by side with ocf:heartbeat:IPaddr2 where the two should agree.
// Every run of an agent (ours, heartbeat's, ocf-tester) is in its own PID
// namespace with a sentinel: stop signals the background announcer.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { cmd, createVethPair, mustCmd, nsRun, type VethPair } from '../helpers/netns.js';
import {
  agentPath, exitReasonOf, heartbeatAgent, ocfEnv, probeEnv, recurringEnv, spawnCollect, validateMetadata,
  type OcfRunResult,
} from '../helpers/ocf.js';
import { runInPidns, shellQuote } from '../helpers/pidns.js';

const AGENT = agentPath('IPaddr2');
const HEARTBEAT = heartbeatAgent('IPaddr2');
const VIP4 = '192.0.2.10';
const VIP6 = '2001:db8::10';

let net: VethPair;
const rsctmp = mkdtempSync(join(tmpdir(), 'pal-ipaddr2-'));

beforeAll(async () => {
  if (!existsSync(AGENT)) throw new Error(`${AGENT} missing: run bash scripts/build.sh first`);
  net = await createVethPair({ tag: 'ip2' });
});

afterAll(async () => {
  await net?.cleanup();
  rmSync(rsctmp, { recursive: true, force: true });
});

interface Opts {
  probe?: boolean;
  recurring?: boolean;
  extra?: Record<string, string>;
  agent?: string;
  /** run in the root namespace (for network_namespace) instead of side a */
  rootNs?: boolean;
}

type Result = Omit<OcfRunResult, 'ms'>;

/**
 * Runs `argv` (inside side a unless rootNs) in its own PID namespace: stop
 * signals the background announcer, and nothing else may ever be hit.
 */
async function inPidns(argv: readonly string[], env: Record<string, string>, rootNs = false): Promise<Result> {
  const full = rootNs ? argv : ['ip', 'netns', 'exec', net.a.ns, ...argv];
  const r = await runInPidns(`exec ${full.map(shellQuote).join(' ')}`, { env, timeoutMs: 120_000 });
  if (!r.sentinelAlive) throw new Error(`${argv.join(' ')} killed the PID namespace's sentinel:\n${r.stderr}`);
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, exitReason: exitReasonOf(r.stderr) };
}

function run(action: string, params: Record<string, string>, o: Opts = {}): Promise<Result> {
  const extra = { HA_RSCTMP: rsctmp, ...(o.probe ? probeEnv : {}), ...(o.recurring ? recurringEnv : {}), ...o.extra };
  return inPidns([o.agent ?? AGENT, action], ocfEnv(params, { instance: 'vip', extra }), o.rootNs);
}

/** ocf-tester with only -n and -o, as in the field. */
async function tester(name: string, params: Record<string, string>): Promise<{ passed: boolean; output: string }> {
  const env: Record<string, string> = { HA_RSCTMP: rsctmp, HA_LOGFACILITY: 'none' };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OCF_') && k !== 'NODE_EXTRA_CA_CERTS') env[k] = v;
  const opts = Object.entries(params).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  const r = await inPidns(['ocf-tester', '-n', name, ...opts, AGENT], env);
  const output = r.stdout + r.stderr;
  return { passed: r.code === 0 && /passed all tests/.test(output), output };
}

async function addrsOn(ns: string, ifname: string): Promise<string> {
  return (await mustCmd('ip', ['-n', ns, '-o', 'addr', 'show', 'dev', ifname])).stdout;
}

/** Operstate changes go through the kernel's linkwatch, which may lag up to a second. */
async function waitOperstate(ns: string, ifname: string, state: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const l = JSON.parse((await mustCmd('ip', ['-n', ns, '-j', 'link', 'show', ifname])).stdout)[0];
    if (l.operstate === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${ifname} in ${ns} did not reach operstate ${state}`);
}

/** Leaves side a with only its base addresses and the link up, whatever a test did. */
async function reset(): Promise<void> {
  for (const vip of [`${VIP4}/24`, `${VIP6}/64`, '2001:db8::20/64', '192.0.2.11/24', '192.0.2.12/24']) {
    await cmd('ip', ['-n', net.a.ns, 'addr', 'del', vip, 'dev', net.a.ifname]);
  }
  await cmd('ip', ['-n', net.b.ns, 'addr', 'del', '2001:db8::20/64', 'dev', net.b.ifname]);
  for (const end of [net.a, net.b]) {
    await cmd('ip', ['-n', end.ns, 'link', 'set', end.ifname, 'up']);
    // an administratively downed link loses its IPv6 addresses
    await mustCmd('ip', ['-n', end.ns, '-6', 'addr', 'replace', end.v6, 'dev', end.ifname, 'nodad']);
  }
  await waitOperstate(net.a.ns, net.a.ifname, 'UP');
  await waitOperstate(net.b.ns, net.b.ifname, 'UP');
}

describe('IPaddr2 meta-data', () => {
  it('validates against ra-api-1.dtd and the RelaxNG schema; works as nobody', async () => {
    const r = await run('meta-data', {});
    expect(r.code).toBe(0);
    const v = await validateMetadata(r.stdout);
    expect(v.dtd.ok, v.dtd.output).toBe(true);
    expect(v.rng.ok, v.rng.output).toBe(true);
    for (const name of ['ip', 'nic', 'cidr_netmask', 'broadcast', 'iflabel', 'arp_count', 'arp_interval', 'arp_bg', 'arp_sender',
      'run_arping', 'nodad', 'noprefixroute', 'preferred_lft', 'flush_routes', 'network_namespace', 'check_link_status']) {
      expect(r.stdout).toContain(`<parameter name="${name}"`);
    }
    const nobody = await cmd('su', ['nobody', '-s', '/bin/sh', '-c', `${AGENT} meta-data`]);
    expect(nobody.code, nobody.stderr).toBe(0);
    expect(nobody.stdout).toBe(r.stdout);
  });
});

describe('IPaddr2 under ocf-tester', () => {
  afterEach(reset);

  it('IPv4 with nic and netmask', async () => {
    const t = await tester('vip4', { ip: VIP4, cidr_netmask: '24', nic: net.a.ifname });
    expect(t.passed, t.output).toBe(true);
  });

  it('IPv4 with nic and netmask found in the routing table', async () => {
    const t = await tester('vip4auto', { ip: VIP4 });
    expect(t.passed, t.output).toBe(true);
  });

  it('IPv6 (duplicate address detection on every start)', async () => {
    const t = await tester('vip6', { ip: VIP6, cidr_netmask: '64', nic: net.a.ifname });
    expect(t.passed, t.output).toBe(true);
  });
});

describe('IPaddr2 lifecycle and state', () => {
  afterEach(reset);
  const p4 = () => ({ ip: VIP4, cidr_netmask: '24', nic: net.a.ifname });

  it('probe 7 without exit reason, start 0 (twice), monitor 0, stop 0 (twice), monitor 7', async () => {
    const probe = await run('monitor', p4(), { probe: true });
    expect([probe.code, probe.exitReason]).toEqual([OCF.NOT_RUNNING, undefined]);
    expect((await run('start', p4())).code).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).toContain(`inet ${VIP4}/24 brd 192.0.2.255`);
    expect((await run('start', p4())).code).toBe(0);
    expect((await run('monitor', p4(), { recurring: true })).code).toBe(0);
    expect((await run('status', p4())).code).toBe(0);
    expect((await run('stop', p4())).code).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).not.toContain(VIP4);
    expect((await run('stop', p4())).code).toBe(0);
    expect((await run('monitor', p4(), { recurring: true })).code).toBe(OCF.NOT_RUNNING);
  });

  it('flags and options reach ip: broadcast, noprefixroute, flush_routes; IPv6 preferred_lft', async () => {
    const p = { ...p4(), broadcast: '192.0.2.200', noprefixroute: 'true', flush_routes: 'true' };
    expect((await run('start', p)).code).toBe(0);
    const line = await addrsOn(net.a.ns, net.a.ifname);
    expect(line).toMatch(new RegExp(`inet ${VIP4}/24 brd 192.0.2.200 .*noprefixroute`));
    expect((await run('stop', p)).code).toBe(0);
    const p6 = { ip: VIP6, cidr_netmask: '64', nic: net.a.ifname, nodad: 'true', preferred_lft: '0' };
    expect((await run('start', p6)).code).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).toMatch(new RegExp(`${VIP6}/64 .*preferred_lft 0sec`));
    expect((await run('stop', p6)).code).toBe(0);
  });

  it('as an unprivileged user: start 4, monitor still tells the truth, stop of a running address 4', async () => {
    const asNobody = async (action: string, extra: Record<string, string> = {}) => {
      const env = ocfEnv(p4(), { instance: 'vip', extra: { HA_RSCTMP: rsctmp, ...extra } });
      const r = await spawnCollect('ip', ['netns', 'exec', net.a.ns, 'su', 'nobody', '-s', '/bin/sh', '-c', `${AGENT} ${action}`], env);
      return { ...r, exitReason: exitReasonOf(r.stderr) };
    };
    const start = await asNobody('start');
    expect([start.code, start.exitReason]).toEqual([OCF.ERR_PERM, 'You must be root for the start operation']);
    expect((await asNobody('monitor', probeEnv)).code).toBe(OCF.NOT_RUNNING);
    expect((await asNobody('stop')).code).toBe(0);
    expect((await run('start', p4())).code).toBe(0);
    expect((await asNobody('monitor', recurringEnv)).code).toBe(0);
    expect((await asNobody('stop')).code).toBe(OCF.ERR_PERM);
    expect((await run('stop', p4())).code).toBe(0);
  });

  it('address removed by hand: monitor 7', async () => {
    expect((await run('start', p4())).code).toBe(0);
    await mustCmd('ip', ['-n', net.a.ns, 'addr', 'del', `${VIP4}/24`, 'dev', net.a.ifname]);
    const r = await run('monitor', p4(), { recurring: true });
    expect(r.code).toBe(OCF.NOT_RUNNING);
  });

  it('link down (peer down, no carrier): monitor 7, start 5; check_link_status=false: 0; stop still removes the address', async () => {
    expect((await run('start', p4())).code).toBe(0);
    await mustCmd('ip', ['-n', net.b.ns, 'link', 'set', net.b.ifname, 'down']);
    await waitOperstate(net.a.ns, net.a.ifname, 'DOWN');
    const mon = await run('monitor', p4(), { recurring: true });
    expect([mon.code, mon.exitReason]).toEqual([OCF.NOT_RUNNING, undefined]);
    const start = await run('start', p4());
    expect(start.code).toBe(OCF.ERR_INSTALLED);
    expect(start.exitReason).toBe(`Interface ${net.a.ifname} is DOWN: not adding ${VIP4}`);
    expect((await run('monitor', { ...p4(), check_link_status: 'false' }, { recurring: true })).code).toBe(0);
    // resource-agents 4.12 predates check_link_status and still says "running"
    expect((await run('monitor', p4(), { recurring: true, agent: HEARTBEAT })).code).toBe(0);
    expect((await run('stop', p4())).code).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).not.toContain(VIP4);
  });

  it('link administratively down with check_link_status=false: start adds the address and sets the link up', async () => {
    await mustCmd('ip', ['-n', net.a.ns, 'link', 'set', net.a.ifname, 'down']);
    expect((await run('start', { ...p4(), check_link_status: 'false', arp_bg: 'false', arp_count: '1' })).code).toBe(0);
    expect((await mustCmd('ip', ['-n', net.a.ns, '-o', 'link', 'show', net.a.ifname])).stdout).toMatch(/<[^>]*\bUP\b/);
  });

  it('iflabel: address carries nic:label; a wrong label is a failed monitor (1); too long is 6', async () => {
    expect((await run('start', { ...p4(), iflabel: 'vip' })).code).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).toContain(`${net.a.ifname}:vip`);
    expect((await run('monitor', { ...p4(), iflabel: 'vip' }, { recurring: true })).code).toBe(0);
    // without nic, the label is checked on whichever interface carries the address
    expect((await run('monitor', { ip: VIP4, iflabel: 'vip' }, { recurring: true })).code).toBe(0);
    const nope = await run('monitor', { ip: VIP4, iflabel: 'nope' }, { recurring: true });
    expect([nope.code, nope.exitReason]).toEqual([OCF.ERR_GENERIC, `${VIP4} is on ${net.a.ifname} but without the label ${net.a.ifname}:nope`]);
    const other = await run('monitor', { ...p4(), iflabel: 'other' }, { recurring: true });
    expect(other.code).toBe(OCF.ERR_GENERIC);
    expect(other.exitReason).toBe(`${VIP4} is on ${net.a.ifname} but without the label ${net.a.ifname}:other`);
    const long = await run('start', { ...p4(), iflabel: 'waytoolong' });
    expect([long.code, long.exitReason]).toEqual([OCF.ERR_CONFIGURED, `Interface label [${net.a.ifname}:waytoolong] exceeds the maximum of 15 characters`]);
    expect((await run('stop', { ...p4(), iflabel: 'vip' })).code).toBe(0);
  });

  // stop signals the announcer named by a pid file: in a PID namespace, whose
  // sentinel has the address as argv[0], as a process that reused the pid might
  it('background announcer: stop ends the one start launched, and never a process a stale pid file names', async () => {
    const pidFile = join(rsctmp, `IPaddr2-announce-${VIP4}.pid`);
    const env = ocfEnv(p4(), { instance: 'vip', extra: { HA_RSCTMP: rsctmp, OCF_RESKEY_arp_sender: 'iputils_arping' } });
    const script = `
      A="ip netns exec ${net.a.ns} ${AGENT}"
      state() { s=; read s 2>/dev/null < /proc/$1/stat || { echo gone; return; }; s=\${s#*) }; echo \${s%% *}; }
      # 1. stale: the address is up without an announcer, and the pid file names the sentinel
      OCF_RESKEY_arp_bg=false OCF_RESKEY_arp_count=1 $A start || exit 11
      echo "$SENTINEL_PID" > ${pidFile}
      $A stop || exit 12
      [ -e ${pidFile} ] && exit 13
      [ "$(state $SENTINEL_PID)" = S ] || exit 14
      # the same with a start time that is not the sentinel's
      OCF_RESKEY_arp_bg=false OCF_RESKEY_arp_count=1 $A start || exit 15
      echo "$SENTINEL_PID 1" > ${pidFile}
      $A stop || exit 16
      [ "$(state $SENTINEL_PID)" = S ] || exit 17
      # 2. the announcer start launched (5 ARPs, 1 s apart) is ended by stop
      OCF_RESKEY_arp_bg=true OCF_RESKEY_arp_count=5 $A start || exit 21
      read pid rest < ${pidFile} || exit 22
      tr '\\0' ' ' < /proc/$pid/cmdline | grep -q "arping .*${VIP4}" || exit 23
      echo "announcer $pid"
      $A stop || exit 24
      [ -e ${pidFile} ] && exit 25
      i=0
      while :; do
        st=$(state $pid)
        [ "$st" = gone ] || [ "$st" = Z ] && break
        i=$((i+1)); [ $i -gt 200 ] && exit 26
        sleep 0.05
      done
      echo "announcer $st"
    `;
    const r = await runInPidns(script, { env, sentinelArgv0: VIP4 });
    expect(r.stderr).not.toContain('ocf-exit-reason');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.sentinelAlive).toBe(true);
    expect(r.stdout).toMatch(/^announcer \d+\nannouncer (gone|Z)\n$/);
  });

  it.each(['iputils_arping', 'send_arp'])('gratuitous ARP with %s reaches the peer', async (sender) => {
    await mustCmd('ip', ['netns', 'exec', net.b.ns, 'sysctl', '-qw', `net.ipv4.conf.${net.b.ifname}.arp_accept=1`]);
    await cmd('ip', ['-n', net.b.ns, 'neigh', 'flush', 'dev', net.b.ifname]);
    const r = await run('start', { ...p4(), arp_sender: sender, arp_bg: 'false', arp_count: '1' });
    expect(r.code, r.stderr).toBe(0);
    const mac = JSON.parse((await mustCmd('ip', ['-n', net.a.ns, '-j', 'link', 'show', net.a.ifname])).stdout)[0].address;
    const neigh = (await mustCmd('ip', ['-n', net.b.ns, 'neigh', 'show', VIP4])).stdout;
    expect(neigh).toContain(mac);
  });

  it('run_arping: an address another host answers for is a collision (1) and is not added', async () => {
    const r = await run('start', { ip: '192.0.2.2', cidr_netmask: '24', nic: net.a.ifname, run_arping: 'true' });
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.exitReason).toBe(`IPv4 address collision: another host on ${net.a.ifname} answers for 192.0.2.2`);
    expect(await addrsOn(net.a.ns, net.a.ifname)).not.toContain('192.0.2.2/');
  });

  it('interchangeable with ocf:heartbeat:IPaddr2 on the same resource', async () => {
    expect((await run('monitor', p4(), { probe: true, agent: HEARTBEAT })).code).toBe(OCF.NOT_RUNNING);
    expect((await run('start', p4(), { agent: HEARTBEAT })).code).toBe(0);
    expect((await run('monitor', p4(), { recurring: true })).code).toBe(0);
    expect((await run('stop', p4())).code).toBe(0);
    expect((await run('monitor', p4(), { recurring: true, agent: HEARTBEAT })).code).toBe(OCF.NOT_RUNNING);
    expect((await run('start', p4())).code).toBe(0);
    expect((await run('monitor', p4(), { recurring: true, agent: HEARTBEAT })).code).toBe(0);
    expect((await run('stop', p4(), { agent: HEARTBEAT })).code).toBe(0);
    expect((await run('monitor', p4(), { recurring: true })).code).toBe(OCF.NOT_RUNNING);
  });
});

describe('IPaddr2 IPv6', () => {
  afterEach(reset);
  const p6 = () => ({ ip: VIP6, cidr_netmask: '64', nic: net.a.ifname });

  it('start waits for DAD; the address is usable (not tentative) afterwards', async () => {
    expect((await run('start', p6())).code).toBe(0);
    const line = (await mustCmd('ip', ['-n', net.a.ns, '-o', '-6', 'addr', 'show', 'to', VIP6])).stdout;
    expect(line).toContain(`${VIP6}/64`);
    expect(line).not.toContain('tentative');
    expect((await run('monitor', p6(), { recurring: true })).code).toBe(0);
    expect((await run('stop', p6())).code).toBe(0);
  });

  it('non-canonical notation is the same address', async () => {
    const p = { ip: '2001:DB8:0:0:0:0:0:10', cidr_netmask: '64', nic: net.a.ifname, nodad: 'true' };
    expect((await run('start', p)).code).toBe(0);
    expect((await run('monitor', p6(), { recurring: true })).code).toBe(0);
    expect((await run('stop', p)).code).toBe(0);
  });

  it('DAD failure (the peer already has the address): start 1, address removed', async () => {
    await mustCmd('ip', ['-n', net.b.ns, '-6', 'addr', 'add', '2001:db8::20/64', 'dev', net.b.ifname, 'nodad']);
    const p = { ip: '2001:db8::20', cidr_netmask: '64', nic: net.a.ifname };
    const r = await run('start', p);
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.exitReason).toBe(
      `IPv6 address collision: 2001:db8::20 failed duplicate address detection on ${net.a.ifname} (another host uses it); address removed`,
    );
    expect(await addrsOn(net.a.ns, net.a.ifname)).not.toContain('2001:db8::20/');
    expect((await run('monitor', p, { probe: true })).code).toBe(OCF.NOT_RUNNING);
  });

  it('iflabel is refused for IPv6 (6)', async () => {
    const r = await run('validate-all', { ...p6(), iflabel: 'x' });
    expect([r.code, r.exitReason]).toEqual([OCF.ERR_CONFIGURED, "iflabel 'x' is only supported for IPv4 addresses"]);
  });
});

describe('IPaddr2 invalid configuration', () => {
  afterEach(reset);

  it('invalid IP: validate-all/start 6, probe 7, stop 0, recurring monitor 1', async () => {
    const p = { ip: '300.1.1.1', nic: net.a.ifname };
    for (const [action, o, code] of [
      ['validate-all', {}, OCF.ERR_CONFIGURED], ['start', {}, OCF.ERR_CONFIGURED], ['monitor', { probe: true }, OCF.NOT_RUNNING],
      ['stop', {}, OCF.SUCCESS], ['monitor', { recurring: true }, OCF.ERR_GENERIC],
    ] as const) {
      const r = await run(action, p, o);
      expect(r.code, `${action} ${JSON.stringify(o)}: ${r.stderr}`).toBe(code);
      if (code !== 0 && code !== 7) expect(r.exitReason).toBe("Invalid IP address '300.1.1.1'");
    }
    const v6 = await run('start', { ip: '2001:db8::zz' });
    expect([v6.code, v6.exitReason]).toEqual([OCF.ERR_CONFIGURED, "Invalid IP address '2001:db8::zz'"]);
  });

  it('netmask out of range: 6 naming the value', async () => {
    const r = await run('start', { ip: VIP4, cidr_netmask: '33', nic: net.a.ifname });
    expect([r.code, r.exitReason]).toEqual([OCF.ERR_CONFIGURED, `Invalid cidr_netmask '33' for ${VIP4}: must be between 1 and 32`]);
    const v6 = await run('validate-all', { ip: VIP6, cidr_netmask: '129' });
    expect([v6.code, v6.exitReason]).toEqual([OCF.ERR_CONFIGURED, `Invalid cidr_netmask '129' for ${VIP6}: must be between 1 and 128`]);
    const holes = await run('start', { ip: VIP4, cidr_netmask: '255.255.0.255' });
    expect([holes.code, holes.exitReason]).toEqual([OCF.ERR_CONFIGURED, `Invalid cidr_netmask '255.255.0.255' for ${VIP4}: not a contiguous netmask`]);
  });

  it('dotted netmask is converted (with a warning)', async () => {
    const p = { ip: VIP4, cidr_netmask: '255.255.255.0', nic: net.a.ifname, arp_bg: 'false', arp_count: '1', arp_sender: 'send_arp' };
    const r = await run('start', p);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('converted to prefix length 24');
    expect(await addrsOn(net.a.ns, net.a.ifname)).toContain(`${VIP4}/24`);
  });

  it('missing nic: start 5 (as HEAD; 4.12 said 6), validate-all 6, probe 7, stop 0, recurring monitor 1', async () => {
    const p = { ip: VIP4, cidr_netmask: '24', nic: 'nonexist0' };
    const start = await run('start', p);
    expect([start.code, start.exitReason]).toEqual([OCF.ERR_INSTALLED, 'Interface nonexist0 does not exist']);
    const v = await run('validate-all', p);
    expect([v.code, v.exitReason]).toEqual([OCF.ERR_CONFIGURED, 'Interface nonexist0 does not exist']);
    expect((await run('monitor', p, { probe: true })).code).toBe(OCF.NOT_RUNNING);
    expect((await run('stop', p)).code).toBe(OCF.SUCCESS);
    const mon = await run('monitor', p, { recurring: true });
    expect([mon.code, mon.exitReason]).toEqual([OCF.ERR_GENERIC, 'Interface nonexist0 does not exist']);
    expect((await run('start', p, { agent: HEARTBEAT })).code).toBe(OCF.ERR_CONFIGURED);
  });

  it('no directly connected route for the address: start 5, validate-all 1, probe 7', async () => {
    const p = { ip: '203.0.113.5' };
    const start = await run('start', p);
    expect(start.code).toBe(OCF.ERR_INSTALLED);
    expect(start.exitReason).toBe('Unable to find nic or netmask for 203.0.113.5: no directly connected route covers it; set nic and cidr_netmask');
    const v = await run('validate-all', p);
    expect([v.code, v.exitReason]).toEqual([OCF.ERR_GENERIC, start.exitReason]);
    expect((await run('monitor', p, { probe: true })).code).toBe(OCF.NOT_RUNNING);
  });

  it('missing ip: start 6, stop 0; bad booleans and integers: 6', async () => {
    expect((await run('start', {})).exitReason).toBe('Missing required parameter: ip');
    expect((await run('stop', {})).code).toBe(0);
    const bad = await run('start', { ip: VIP4, arp_count: '0' });
    expect([bad.code, bad.exitReason]).toEqual([OCF.ERR_CONFIGURED, "Invalid value for parameter arp_count: '0': must be at least 1"]);
    for (const [p, reason] of [
      [{ ip: VIP4, nodad: 'perhaps' }, "Invalid value for parameter nodad: 'perhaps': not a boolean (use yes/no, true/false, on/off or 1/0)"],
      [{ ip: VIP4, arp_sender: 'libnet_arping' }, "Invalid value for parameter arp_sender: 'libnet_arping': must be one of iputils_arping, send_arp"],
      [{ ip: VIP6, preferred_lft: 'soon' }, "Invalid value for parameter preferred_lft: 'soon': expected \"forever\" or a number of seconds"],
    ] as const) {
      const r = await run('start', p);
      expect([r.code, r.exitReason]).toEqual([OCF.ERR_CONFIGURED, reason]);
    }
  });

  it('upstream modes this agent does not implement are refused, not ignored (6)', async () => {
    const r = await run('start', { ip: VIP4, lvs_support: 'true' });
    expect([r.code, r.exitReason]).toEqual([
      OCF.ERR_CONFIGURED, "Parameter lvs_support='true' is not supported by this IPaddr2 (no LVS or CLUSTERIP modes); remove it",
    ]);
    const clone = await run('start', { ip: VIP4 }, { extra: { OCF_RESKEY_CRM_meta_clone_max: '2' } });
    expect([clone.code, clone.exitReason]).toEqual([OCF.ERR_CONFIGURED, 'IPaddr2 cannot be cloned (clone-max=2): CLUSTERIP load sharing is not supported']);
    expect((await run('start', { ip: VIP4, lvs_support: 'false' }, { extra: { OCF_RESKEY_CRM_meta_clone_max: '1' } })).code).toBe(0);
  });

  it('unknown action 3; no action 2', async () => {
    expect((await run('frobnicate', { ip: VIP4 })).code).toBe(OCF.ERR_UNIMPLEMENTED);
    expect((await run('migrate_to', { ip: VIP4 })).code).toBe(OCF.ERR_UNIMPLEMENTED);
    const none = await inPidns([AGENT, ''], ocfEnv({ ip: VIP4 }));
    expect(none.code).toBe(OCF.ERR_ARGS);
  });

  it('probe with OCF_TESTER_FAIL_HAVE_BINARY=1 (no programs): 5', async () => {
    const r = await run('monitor', { ip: VIP4 }, { probe: true, extra: { OCF_TESTER_FAIL_HAVE_BINARY: '1' } });
    expect(r.code).toBe(OCF.ERR_INSTALLED);
  });
});

describe('IPaddr2 network_namespace', () => {
  afterEach(reset);

  it('manages the address inside the namespace from outside it', async () => {
    const p = { ip: VIP4, cidr_netmask: '24', nic: net.a.ifname, network_namespace: net.a.ns, arp_bg: 'false', arp_count: '1' };
    expect((await run('monitor', p, { probe: true, rootNs: true })).code).toBe(OCF.NOT_RUNNING);
    expect((await run('start', p, { rootNs: true })).code).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).toContain(`${VIP4}/24`);
    expect((await run('monitor', p, { recurring: true, rootNs: true })).code).toBe(0);
    await mustCmd('ip', ['-n', net.b.ns, 'link', 'set', net.b.ifname, 'down']);
    await waitOperstate(net.a.ns, net.a.ifname, 'DOWN');
    expect((await run('monitor', p, { recurring: true, rootNs: true })).code).toBe(OCF.NOT_RUNNING);
    await mustCmd('ip', ['-n', net.b.ns, 'link', 'set', net.b.ifname, 'up']);
    await waitOperstate(net.a.ns, net.a.ifname, 'UP');
    expect((await run('stop', p, { rootNs: true })).code).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).not.toContain(VIP4);
  });

  it('auto-detects nic and netmask inside the namespace (IPv6 too)', async () => {
    const p = { ip: VIP6, network_namespace: net.a.ns };
    const start = await run('start', p, { rootNs: true });
    expect(start.code, start.stderr).toBe(0);
    expect(await addrsOn(net.a.ns, net.a.ifname)).toContain(`${VIP6}/64`);
    expect((await run('monitor', p, { recurring: true, rootNs: true })).code).toBe(0);
    expect((await run('stop', p, { rootNs: true })).code).toBe(0);
  });

  it('a namespace that does not exist: start 5, probe 7, stop 0', async () => {
    const p = { ip: VIP4, network_namespace: 'pal-no-such-ns' };
    const start = await run('start', p, { rootNs: true });
    expect([start.code, start.exitReason]).toEqual([OCF.ERR_INSTALLED, "network namespace 'pal-no-such-ns' does not exist on this node (see ip netns list)"]);
    expect((await run('monitor', p, { probe: true, rootNs: true })).code).toBe(OCF.NOT_RUNNING);
    expect((await run('stop', p, { rootNs: true })).code).toBe(0);
  });
});

describe('IPaddr2 in the helper namespace only', () => {
  it('never touches the root namespace', async () => {
    const root = (await cmd('ip', ['-o', 'addr'])).stdout;
    expect(root).not.toContain(VIP4);
    expect(root).not.toContain(VIP6);
  });
});

// nsRun is part of the helper API used by other agent tests; keep it exercised here.
describe('netns helper', () => {
  it('runs commands inside a namespace', async () => {
    const r = await nsRun(net.a.ns, 'ip', ['-o', 'link', 'show', net.a.ifname]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(net.a.ifname);
  });
});
