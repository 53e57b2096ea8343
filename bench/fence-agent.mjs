#!/usr/bin/env node
// Benchmark: fence_palisade against the C fence_virt, side by side in one
// run, as Pacemaker runs them: one process per action, against the same
// daemon (fence_virtd, so the daemon is not what is measured).
//   node bench/fence-agent.mjs [--runs 31]
// Prints the median wall time per action and the ratio ours/theirs.
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const RUNS = arg('runs', 31);
const ROOT = resolve(import.meta.dirname, '..');
const OURS = join(ROOT, 'dist/bin/fence_palisade.cjs');
const THEIRS = '/usr/sbin/fence_virt';
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // Pacemaker does not set it
const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-agent-'));
const key = join(dir, 'key');
writeFileSync(key, randomBytes(256), { mode: 0o600 });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const freePort = () => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const canConnect = (port) => new Promise((res) => { const s = connect({ host: '127.0.0.1', port }); s.once('connect', () => { s.destroy(); res(true); }); s.once('error', () => res(false)); });

let daemon;
try {
  const port = await freePort();
  writeFileSync(join(dir, 'conf'), `fence_virtd { listener = "tcp"; backend = "libvirt"; module_path = "/usr/lib/x86_64-linux-gnu/fence-virt"; }
listeners { tcp { key_file = "${key}"; address = "127.0.0.1"; port = "${port}"; } }
backends { libvirt { uri = "test:///default"; } }
`, { mode: 0o600 });
  daemon = spawn('/usr/sbin/fence_virtd', ['-F', '-f', join(dir, 'conf'), '-p', join(dir, 'pid')], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(await canConnect(port)); i++) await new Promise((r) => setTimeout(r, 50));

  const net = ['-T', '127.0.0.1', '-p', String(port), '-k', key];
  const actions = [
    ['metadata', ['-o', 'metadata']],
    ['status', [...net, '-o', 'status', '-n', 'test']],
    ['list', [...net, '-o', 'list']],
    ['monitor', [...net, '-o', 'monitor']],
  ];
  const run = (file, args) => {
    const t0 = performance.now();
    const r = file === OURS ? spawnSync(process.execPath, [file, ...args], { env, stdio: 'ignore' }) : spawnSync(file, args, { env, stdio: 'ignore' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}`);
    return ms;
  };
  console.log(`\nfence agent start-to-exit: fence_palisade vs fence_virt (C), median of ${RUNS}, ms`);
  console.log(`${'action'.padEnd(10)} ${'ours'.padStart(8)} ${'theirs'.padStart(8)} ${'ratio'.padStart(7)}`);
  for (const [name, args] of actions) {
    const ours = [], theirs = [];
    for (let i = 0; i < 3; i++) { run(OURS, args); run(THEIRS, args); }
    for (let i = 0; i < RUNS; i++) { ours.push(run(OURS, args)); theirs.push(run(THEIRS, args)); }
    const a = median(ours), b = median(theirs);
    console.log(`${name.padEnd(10)} ${a.toFixed(1).padStart(8)} ${b.toFixed(1).padStart(8)} ${(a / b).toFixed(2).padStart(7)}`);
  }
  const floor = [];
  for (let i = 0; i < RUNS; i++) { const t0 = performance.now(); spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' }); floor.push(performance.now() - t0); }
  console.log(`(node -e 0 alone: ${median(floor).toFixed(1)} ms, the floor for any Node agent)`);
} finally {
  daemon?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
