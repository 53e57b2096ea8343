#!/usr/bin/env node
// Benchmark: the timing claims the tests no longer assert, fence_palisade
// (and palisaded) side by side with the C fence_virt (and fence_virtd):
//   1. -t 1 against a daemon that accepts and says nothing: time to give up;
//   2. -w 2: off waits before connecting, status does not (port refused);
//   3. a client and a daemon that disagree on the mode fail at once:
//      fence_virt against palisaded's hmac-sha256 listener (ours refusing)
//      vs fence_virt with a wrong key against fence_virtd (theirs refusing),
//      and fence_palisade -C hmac-sha256 against fence_virtd;
//   4. auth none against a sha256 fence_virtd with -t 2: our -t ends it.
//   node bench/fence-timing.mjs [--runs 5]
// Prints the median wall time of each and the ratio ours/theirs.
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const RUNS = arg('runs', 5);
const ROOT = resolve(import.meta.dirname, '..');
const OURS = join(ROOT, 'dist/bin/fence_palisade.cjs');
const PALISADED = join(ROOT, 'dist/bin/palisaded.cjs');
const THEIRS = '/usr/sbin/fence_virt';
const MODULES = '/usr/lib/x86_64-linux-gnu/fence-virt';
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // Pacemaker does not set it
const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-timing-'));
const key = join(dir, 'key');
const otherKey = join(dir, 'other.key');
writeFileSync(key, randomBytes(256), { mode: 0o600 });
writeFileSync(otherKey, randomBytes(256), { mode: 0o600 });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const freePort = () => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const canConnect = (port) => new Promise((res) => { const s = connect({ host: '127.0.0.1', port }); s.once('connect', () => { s.destroy(); res(true); }); s.once('error', () => res(false)); });
const waitPort = async (port, what) => {
  for (let i = 0; i < 300; i++) { if (await canConnect(port)) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error(`${what} is not listening on ${port}`);
};
const conf = (port, keyFile, auth) => `fence_virtd { listener = "tcp"; backend = "libvirt"; module_path = "${MODULES}"; }
listeners { tcp { key_file = "${keyFile}"; address = "127.0.0.1"; port = "${port}";${auth ? ` auth = "${auth}";` : ''} } }
backends { libvirt { uri = "test:///default"; } }
`;

/** Wall time of one run, ms; `expect` 0 for success, else any failure (fence_virt exits 1 or 255). */
function run(file, args, expect) {
  const t0 = performance.now();
  const r = file === OURS ? spawnSync(process.execPath, [file, ...args], { env, stdio: 'ignore' }) : spawnSync(file, args, { env, stdio: 'ignore' });
  const ms = performance.now() - t0;
  if ((r.status === 0) !== (expect === 0)) throw new Error(`${file} ${args.join(' ')} exited ${r.status}, expected ${expect === 0 ? 'success' : 'a failure'}`);
  return ms;
}

function row(name, ours, theirs) {
  const a = median(ours), b = median(theirs);
  console.log(`${name.padEnd(50)} ${a.toFixed(0).padStart(7)} ${b.toFixed(0).padStart(7)} ${(a / b).toFixed(2).padStart(6)}`);
}

const children = [];
const stalled = new Set();
const server = createServer((s) => { stalled.add(s); s.on('close', () => stalled.delete(s)); s.on('error', () => undefined); });
try {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const stallPort = server.address().port;
  const refused = await freePort();
  const fvPort = await freePort();
  const hmacPort = await freePort();
  writeFileSync(join(dir, 'fv.conf'), conf(fvPort, key), { mode: 0o600 });
  writeFileSync(join(dir, 'hmac.conf'), conf(hmacPort, key, 'hmac-sha256'), { mode: 0o600 });
  children.push(spawn('/usr/sbin/fence_virtd', ['-F', '-f', join(dir, 'fv.conf'), '-p', join(dir, 'fv.pid')], { stdio: 'ignore' }));
  children.push(spawn(process.execPath, [PALISADED, '-F', '-f', join(dir, 'hmac.conf'), '-p', join(dir, 'hmac.pid')], { stdio: 'ignore', env }));
  await waitPort(fvPort, 'fence_virtd');
  await waitPort(hmacPort, 'palisaded');

  const tcp = (port, k = key) => ['-T', '127.0.0.1', '-p', String(port), '-k', k];
  const scenarios = [
    ['-t 1, stalled daemon (give up)', [...tcp(stallPort), '-o', 'status', '-n', 'test', '-t', '1'], 1],
    ['-w 2, off (waits, then refused)', [...tcp(refused), '-o', 'off', '-n', 'test', '-w', '2'], 1],
    ['-w 2, status (no wait, refused)', [...tcp(refused), '-o', 'status', '-n', 'test', '-w', '2'], 1],
  ];
  console.log(`\nfence timing: fence_palisade vs fence_virt (C), median of ${RUNS}, ms`);
  console.log(`${'scenario'.padEnd(50)} ${'ours'.padStart(7)} ${'theirs'.padStart(7)} ${'ratio'.padStart(6)}`);
  for (const [name, args, code] of scenarios) {
    const ours = [], theirs = [];
    for (let i = 0; i < RUNS; i++) { ours.push(run(OURS, args, code)); theirs.push(run(THEIRS, args, code)); }
    row(name, ours, theirs);
  }
  // Mode mismatches: each side's daemon refusing the other's request.
  const refuseOurs = [], refuseTheirs = [], hmacVsC = [], noneOurs = [], noneTheirs = [];
  for (let i = 0; i < RUNS; i++) {
    refuseOurs.push(run(THEIRS, [...tcp(hmacPort), '-o', 'status', '-n', 'test', '-t', '30'], 1));
    refuseTheirs.push(run(THEIRS, [...tcp(fvPort, otherKey), '-o', 'status', '-n', 'test', '-t', '30'], 1));
    hmacVsC.push(run(OURS, [...tcp(fvPort), '-C', 'hmac-sha256', '-o', 'status', '-n', 'test', '-t', '30'], 1));
  }
  row('fence_virt refused: palisaded hmac / wrong key', refuseOurs, refuseTheirs);
  row('-C hmac-sha256 vs fence_virtd / fence_virt bad key', hmacVsC, refuseTheirs);
  for (let i = 0; i < RUNS; i++) {
    noneOurs.push(run(OURS, [...tcp(fvPort), '-C', 'none', '-o', 'status', '-n', 'test', '-t', '2'], 1));
    noneTheirs.push(run(THEIRS, [...tcp(fvPort), '-C', 'none', '-o', 'status', '-n', 'test', '-t', '2'], 1));
  }
  row('auth none vs sha256 fence_virtd, -t 2', noneOurs, noneTheirs);
} finally {
  for (const s of stalled) s.destroy();
  server.close();
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
