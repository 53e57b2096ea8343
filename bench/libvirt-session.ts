// Benchmark: a status lookup through palisaded's long-lived virsh session
// against one `virsh domstate` process per lookup (what a per-call backend
// would cost), side by side in one run, libvirt test driver.
//   node_modules/.bin/vite-node bench/libvirt-session.ts [--runs 100]
// Prints the median per lookup and the ratio.
import { execa } from 'execa';
import { LibvirtBackend } from '../daemon/backends/libvirt/backend.js';
import { VirshSession } from '../daemon/backends/libvirt/virsh-session.js';
import { Virsh } from '../daemon/backends/libvirt/virsh.js';

const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 100;
const URI = 'test:///default';
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const signal = () => AbortSignal.timeout(30_000);

// statusCacheMs 0: every lookup goes to virsh, so the session itself is what is measured.
const backend = new LibvirtBackend(
  [new Virsh(new VirshSession({ uri: URI, virsh: 'virsh', timeoutMs: 10_000, log: () => undefined }))],
  { log: () => undefined, statusCacheMs: 0 },
);
try {
  const session: number[] = [];
  const spawned: number[] = [];
  await backend.lookup('test', signal());
  for (let r = 0; r < RUNS; r++) {
    let t0 = performance.now();
    await backend.lookup('test', signal());
    session.push(performance.now() - t0);
    t0 = performance.now();
    await execa('virsh', ['-c', URI, 'domstate', 'test'], { env: { LC_ALL: 'C' } });
    spawned.push(performance.now() - t0);
  }
  const a = median(session);
  const b = median(spawned);
  console.log(`\nlibvirt status lookup, median of ${RUNS}, ms`);
  console.log(`${'session (ours)'.padEnd(26)} ${a.toFixed(2).padStart(8)}`);
  console.log(`${'virsh per call'.padEnd(26)} ${b.toFixed(2).padStart(8)}`);
  console.log(`${'ratio ours/per-call'.padEnd(26)} ${(a / b).toFixed(3).padStart(8)}`);
} finally {
  await backend.close();
}
