#!/usr/bin/env node
// Benchmark: palisaded against fence_virtd, side by side in one run, same
// fence_virt.conf (but the port), same clients, libvirt test driver.
//   node bench/fence-tcp.mjs [--seconds 5] [--idle 20] [--cli-runs 30]
// Prints medians and ratios:
//   1. daemon throughput: sequential status requests for N seconds from an
//      in-process client (sha256 request hash + two-way sha256 auth, new
//      connection per request, random seqno), i.e. what the daemon sustains;
//   2. the real fence_virt CLI, status, median of K runs (end to end), and
//      sequential CLI requests for N seconds: the baseline measure
//      of fence_virtd's own tcp listener ("sequential 10 s");
//   3. latency of one status request while 20 other connections sit idle.
// Needs `npm run build` first (bench/run.sh does it).
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { encodeRequest, makeRequest, signRequest } from '../dist/protocol/fence-req.js';
import { challengeResponse } from '../dist/protocol/legacy-auth.js';

const execFileP = promisify(execFile);
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const SECONDS = arg('seconds', 5), IDLE = arg('idle', 20), CLI_RUNS = arg('cli-runs', 30);
const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
const keyFile = join(dir, 'key');
writeFileSync(keyFile, randomBytes(256), { mode: 0o600 });
const KEY = new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(keyFile)));
const children = [];

const freePort = () => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const conf = (port) => `fence_virtd { listener = "tcp"; backend = "libvirt"; module_path = "/usr/lib/x86_64-linux-gnu/fence-virt"; }
listeners { tcp { key_file = "${keyFile}"; address = "127.0.0.1"; port = "${port}"; family = "ipv4"; } }
backends { libvirt { uri = "test:///default"; } }
`;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const canConnect = (port) => new Promise((res) => { const s = connect({ host: '127.0.0.1', port }); s.once('connect', () => { s.destroy(); res(true); }); s.once('error', () => res(false)); });

async function start(name, cmd, args, port) {
  const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
  children.push(c);
  for (let i = 0; i < 300; i++) { if (await canConnect(port)) return c; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error(`${name} did not start`);
}

/** One status exchange, the way fence_virt does it, on a fresh connection. */
function statusOnce(port) {
  return new Promise((resolveP, rejectP) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    let buf = Buffer.alloc(0), stage = 0;
    const mine = randomBytes(64);
    const t = setTimeout(() => { s.destroy(); rejectP(new Error('timeout')); }, 30_000);
    s.on('connect', () => {
      const req = signRequest(makeRequest({ request: 4, hashType: 2, domain: 'test', seqno: randomInt(0, 2 ** 32 - 1) }), KEY, new Uint8Array(randomBytes(6)));
      s.write(encodeRequest(req)); s.write(mine);
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (stage === 0 && buf.length >= 128) { s.write(challengeResponse(2, KEY, new Uint8Array(buf.subarray(64, 128)))); buf = buf.subarray(128); stage = 1; }
      if (stage === 1 && buf.length >= 1) { clearTimeout(t); const r = buf[0]; s.destroy(); r === 0 ? resolveP() : rejectP(new Error(`result ${r}`)); }
    });
    s.on('error', (e) => { clearTimeout(t); rejectP(e); });
  });
}

async function throughput(port) {
  let n = 0, fail = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) { try { await statusOnce(port); n++; } catch { fail++; } }
  return { rps: n / SECONDS, fail };
}

async function cliMedian(port) {
  const times = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t0 = performance.now();
    await execFileP('/usr/sbin/fence_virt', ['-T', '127.0.0.1', '-p', String(port), '-k', keyFile, '-o', 'status', '-H', 'test']).catch(() => {});
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function cliThroughput(port) {
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    await execFileP('/usr/sbin/fence_virt', ['-T', '127.0.0.1', '-p', String(port), '-k', keyFile, '-o', 'status', '-H', 'test']).then(() => n++, () => {});
  }
  return n / SECONDS;
}

async function withIdle(port, idle) {
  const socks = await Promise.all(Array.from({ length: idle }, () => new Promise((res) => { const s = connect({ host: '127.0.0.1', port }); s.on('connect', () => res(s)); s.on('error', () => res(s)); })));
  const t0 = performance.now();
  await statusOnce(port).catch(() => {});
  const ms = performance.now() - t0;
  socks.forEach((s) => s.destroy());
  return ms;
}

try {
  const ports = { palisaded: await freePort(), fence_virtd: await freePort() };
  for (const [name, port] of Object.entries(ports)) writeFileSync(join(dir, `${name}.conf`), conf(port), { mode: 0o600 });
  await start('palisaded', process.execPath, [join(ROOT, 'dist/bin/palisaded.cjs'), '-F', '-f', join(dir, 'palisaded.conf'), '-p', join(dir, 'p.pid')], ports.palisaded);
  await start('fence_virtd', '/usr/sbin/fence_virtd', ['-F', '-f', join(dir, 'fence_virtd.conf'), '-p', join(dir, 'f.pid')], ports.fence_virtd);
  for (const p of Object.values(ports)) for (let i = 0; i < 20; i++) await statusOnce(p).catch(() => {}); // warm up

  const rows = [];
  const rounds = 3;
  const tp = { palisaded: [], fence_virtd: [] };
  for (let r = 0; r < rounds; r++) for (const name of ['palisaded', 'fence_virtd']) tp[name].push(await throughput(ports[name]));
  const rps = (n) => median(tp[n].map((x) => x.rps));
  rows.push(['sequential status, daemon throughput (req/s, median of 3 x ' + SECONDS + ' s)', rps('palisaded'), rps('fence_virtd'), rps('palisaded') / rps('fence_virtd')]);
  const cli = { palisaded: await cliMedian(ports.palisaded), fence_virtd: await cliMedian(ports.fence_virtd) };
  rows.push([`fence_virt CLI status, median ms of ${CLI_RUNS}`, cli.palisaded, cli.fence_virtd, cli.palisaded / cli.fence_virtd]);
  const cliRps = { palisaded: [], fence_virtd: [] };
  for (let r = 0; r < 3; r++) for (const name of ['palisaded', 'fence_virtd']) cliRps[name].push(await cliThroughput(ports[name]));
  const crps = (n) => median(cliRps[n]);
  rows.push([`sequential fence_virt CLI status (req/s, median of 3 x ${SECONDS} s)`, crps('palisaded'), crps('fence_virtd'), crps('palisaded') / crps('fence_virtd')]);
  const idle0 = { palisaded: await withIdle(ports.palisaded, 0), fence_virtd: await withIdle(ports.fence_virtd, 0) };
  rows.push(['one status, no idle peers (ms)', idle0.palisaded, idle0.fence_virtd, idle0.palisaded / idle0.fence_virtd]);
  const idleN = { palisaded: await withIdle(ports.palisaded, IDLE), fence_virtd: await withIdle(ports.fence_virtd, IDLE) };
  rows.push([`one status while ${IDLE} connections sit idle (ms)`, idleN.palisaded, idleN.fence_virtd, idleN.palisaded / idleN.fence_virtd]);

  console.log('\nfence-virt TCP: palisaded vs fence_virtd (same conf, same clients, test:///default)');
  console.log(`${'measure'.padEnd(62)} ${'palisaded'.padStart(10)} ${'fence_virtd'.padStart(12)} ${'ratio'.padStart(7)}`);
  for (const [m, a, b, r] of rows) console.log(`${m.padEnd(62)} ${a.toFixed(2).padStart(10)} ${b.toFixed(2).padStart(12)} ${r.toFixed(2).padStart(7)}`);
  console.log(`failures: palisaded ${tp.palisaded.reduce((s, x) => s + x.fail, 0)}, fence_virtd ${tp.fence_virtd.reduce((s, x) => s + x.fail, 0)}`);
  console.log('ratio = palisaded / fence_virtd (throughput: higher is better; latency: lower is better)');
} finally {
  for (const c of children) { c.kill('SIGTERM'); }
  await new Promise((r) => setTimeout(r, 300));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
