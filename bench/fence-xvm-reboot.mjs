#!/usr/bin/env node
// Benchmark: the real fence_xvm, multicast, from a guest namespace to a
// hypervisor namespace: time from the request to the reboot done (fence_xvm
// exits), palisaded against fence_virtd, in one run. Also `status`.
//   node bench/fence-xvm-reboot.mjs [--runs 15] [--warmup 2]
//
// Two identical, separate segments (so each daemon sees only its own
// requests), each: switch namespace with a bridge (multicast snooping off),
// a hypervisor namespace running the daemon (multicast listener, 225.0.0.12,
// port 1229, libvirt test driver with the same domain XML) and a guest
// namespace running fence_xvm. Requests alternate between the two daemons.
// Both sides pay the same `ip netns exec` and fence_xvm start cost.
// fence_virtd's reboot polls with sleep(1), so it takes at least a second.
// Needs root, iproute2, fence_xvm and fence_virtd 4.12, and a build.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const RUNS = arg('runs', 15), WARMUP = arg('warmup', 2);
const ROOT = resolve(import.meta.dirname, '..');
const PALISADED = join(ROOT, 'dist/bin/palisaded.cjs');
const FENCE_XVM = '/usr/sbin/fence_xvm', FENCE_VIRTD = '/usr/sbin/fence_virtd';
const GROUP = '225.0.0.12', PORT = 1229, DOMAIN = 'node-1', IF = 'eth0';
const TAG = `pal-xb-${process.pid}-${randomBytes(2).toString('hex')}`;

for (const f of [PALISADED, FENCE_XVM, FENCE_VIRTD]) if (!existsSync(f)) { console.error(`fence-xvm-reboot: ${f} missing`); process.exit(1); }
if (process.getuid?.() !== 0) { console.error('fence-xvm-reboot: needs root (network namespaces)'); process.exit(1); }

const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-xvm-'));
const keyFile = join(dir, 'key');
writeFileSync(keyFile, randomBytes(256), { mode: 0o600 });
const xml = join(dir, 'domains.xml');
writeFileSync(xml, `<node>\n${[1, 2, 3].map((i) => `  <domain type='test'><name>node-${i}</name><uuid>6695eb01-f6a4-8304-79aa-97f2502ec00${i}</uuid><memory>262144</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`).join('\n')}\n</node>\n`);

const namespaces = [];
const children = [];
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // as in bench/run.sh: it adds tens of ms to every node start

/** One segment: switch (bridge), hypervisor and guest namespaces; hv gets .1, guest .2. */
function segment(name) {
  const sw = `${TAG}-${name}sw`, hv = `${TAG}-${name}hv`, guest = `${TAG}-${name}g`;
  for (const ns of [sw, hv, guest]) { ip('netns', 'add', ns); namespaces.push(ns); ip('-n', ns, 'link', 'set', 'lo', 'up'); }
  ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0');
  ip('-n', sw, 'link', 'set', 'br0', 'up');
  [hv, guest].forEach((ns, i) => {
    const port = `p${i}`;
    ip('-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', IF, 'netns', ns);
    ip('-n', sw, 'link', 'set', port, 'master', 'br0');
    ip('-n', sw, 'link', 'set', port, 'up');
    ip('-n', ns, 'addr', 'add', `192.0.2.${i + 1}/24`, 'dev', IF);
    ip('-n', ns, 'link', 'set', IF, 'up');
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', IF);
  });
  return { hv, guest };
}

function startIn(ns, file, args) {
  // ip netns exec exec()s the program: this child's PID is the daemon's.
  const c = spawn('ip', ['netns', 'exec', ns, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  c.stdout.on('data', (d) => { out += d; });
  c.stderr.on('data', (d) => { out += d; });
  children.push(c);
  c.output = () => out;
  return c;
}

/** Until the daemon has joined GROUP on IF and bound UDP PORT (read from its own /proc view of the namespace). */
async function waitListening(c, what) {
  const groupHex = Buffer.from(GROUP.split('.').map(Number)).readUInt32LE(0).toString(16).toUpperCase().padStart(8, '0');
  const portHex = `:${PORT.toString(16).toUpperCase().padStart(4, '0')}`;
  for (let i = 0; i < 300; i++) {
    if (c.exitCode !== null) throw new Error(`${what} exited ${c.exitCode}: ${c.output()}`);
    try {
      const igmp = readFileSync(`/proc/${c.pid}/net/igmp`, 'utf8');
      const udp = readFileSync(`/proc/${c.pid}/net/udp`, 'utf8');
      const joined = igmp.split(/\n(?=\d)/).some((blk) => new RegExp(`^\\d+\\s+${IF}\\s*:`).test(blk) && blk.includes(groupHex));
      if (joined && udp.split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(portHex))) return;
    } catch { /* not exec()d yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not join ${GROUP} on ${IF}: ${c.output()}`);
}

function conf(kind) {
  const mcast = `multicast { key_file = "${keyFile}"; interface = "${IF}"; port = "${PORT}"; family = "ipv4"; address = "${GROUP}"; }`;
  const text = `fence_virtd { listener = "multicast"; backend = "libvirt";${kind === 'fence_virtd' ? ' module_path = "/usr/lib/x86_64-linux-gnu/fence-virt";' : ''} }
listeners { ${mcast} }
backends { libvirt { uri = "test://${xml}"; } }
`;
  const f = join(dir, `${kind}.conf`);
  writeFileSync(f, text, { mode: 0o600 });
  chmodSync(f, 0o600);
  return f;
}

/** One real fence_xvm run from the guest; wall time in ms and exit code. */
function xvm(guest, op) {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const c = spawn('ip', ['netns', 'exec', guest, FENCE_XVM, '-a', GROUP, '-p', String(PORT), '-k', keyFile, '-o', op, '-H', DOMAIN, '-t', '30'],
      { stdio: 'ignore' });
    const kill = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.once('error', (e) => { clearTimeout(kill); rej(e); });
    c.once('exit', (code) => { clearTimeout(kill); res({ ms: performance.now() - t0, code: code ?? -1 }); });
  });
}

let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } }
  for (const ns of namespaces.reverse()) { try { ip('netns', 'delete', ns); } catch { /* gone */ } }
  rmSync(dir, { recursive: true, force: true });
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });
process.on('SIGTERM', () => { cleanup(); process.exit(143); });
process.on('exit', cleanup);

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.max(0, Math.ceil(p * s.length) - 1)]; };

try {
  const seg = { palisaded: segment('p'), fence_virtd: segment('f') };
  const pd = startIn(seg.palisaded.hv, process.execPath, [PALISADED, '-F', '-f', conf('palisaded'), '-p', join(dir, 'p.pid')]);
  const fd = startIn(seg.fence_virtd.hv, FENCE_VIRTD, ['-F', '-f', conf('fence_virtd'), '-p', join(dir, 'f.pid')]);
  await waitListening(pd, 'palisaded');
  await waitListening(fd, 'fence_virtd');

  const results = {};
  for (const op of ['status', 'reboot']) {
    const times = { palisaded: [], fence_virtd: [] }, fails = { palisaded: 0, fence_virtd: 0 };
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const name of i % 2 === 0 ? ['palisaded', 'fence_virtd'] : ['fence_virtd', 'palisaded']) {
        const r = await xvm(seg[name].guest, op);
        if (i < WARMUP) continue;
        if (r.code !== 0) fails[name]++;
        times[name].push(r.ms);
      }
    }
    results[op] = { times, fails };
  }

  console.log(`\nfence_xvm (multicast ${GROUP}, guest namespace -> hypervisor namespace): palisaded vs fence_virtd, ${RUNS} runs each after ${WARMUP} warm-ups, alternating`);
  console.log(`${'operation'.padEnd(10)} ${'daemon'.padEnd(12)} ${'median ms'.padStart(10)} ${'p10'.padStart(9)} ${'p90'.padStart(9)} ${'fails'.padStart(6)}`);
  for (const [op, { times, fails }] of Object.entries(results)) {
    for (const name of ['palisaded', 'fence_virtd']) {
      const t = times[name];
      console.log(`${op.padEnd(10)} ${name.padEnd(12)} ${pct(t, 0.5).toFixed(1).padStart(10)} ${pct(t, 0.1).toFixed(1).padStart(9)} ${pct(t, 0.9).toFixed(1).padStart(9)} ${String(fails[name]).padStart(6)}`);
    }
    console.log(`${op.padEnd(10)} ratio fence_virtd/palisaded (medians): ${(pct(times.fence_virtd, 0.5) / pct(times.palisaded, 0.5)).toFixed(2)}`);
  }
  const after = {};
  for (const name of ['palisaded', 'fence_virtd']) after[name] = (await xvm(seg[name].guest, 'status')).code === 0 ? 'running' : 'NOT running';
  console.log(`${DOMAIN} after the reboots: palisaded side ${after.palisaded}, fence_virtd side ${after.fence_virtd}`);
  console.log('times are fence_xvm wall time, request to exit (reboot: the domain is running again); includes `ip netns exec` and fence_xvm start-up on both sides');
} finally {
  cleanup();
}
