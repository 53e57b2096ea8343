#!/usr/bin/env node
// How long before the operation timeout (OCF_RESKEY_CRM_meta_timeout) an
// agent whose start hangs reports its failure, counted from the fork as the
// resource manager counts it. The framework aims at the timeout minus a
// margin (5 %, 50..1000 ms), so the exit reason reaches Pacemaker before it
// kills the agent. Counterpart: a shell agent has no deadline of its own; it
// hangs until Pacemaker kills it at the timeout and leaves no exit reason,
// so there is no ratio to print.
//
//   node bench/ocf-deadline.mjs [-n 7] [TIMEOUT_MS...]   (default 1000 5000 20000)
//
// Needs `npm run build` (uses dist/agents/ocf/framework).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let n = 7;
if (args[0] === '-n') {
  n = Number(args[1]);
  args.splice(0, 2);
}
const timeouts = args.length ? args.map(Number) : [1000, 5000, 20000];

const dir = mkdtempSync(join(tmpdir(), 'pal-bench-deadline-'));
const agent = join(dir, 'hang.mjs');
const framework = pathToFileURL(join(root, 'dist/agents/ocf/framework/agent.js')).href;
const params = pathToFileURL(join(root, 'dist/agents/ocf/framework/params.js')).href;
writeFileSync(
  agent,
  `import { defineAgent, runAgent } from '${framework}';
import { param } from '${params}';
void runAgent(defineAgent({
  name: 'Hang', version: '1', shortdesc: 'hangs', longdesc: 'A start that never ends.',
  params: { x: param.string({ shortdesc: 'x', longdesc: 'unused' }) },
  actions: [{ name: 'start', timeout: 20 }, { name: 'stop', timeout: 20 }, { name: 'monitor', timeout: 20 }],
  observe: async () => 'stopped', start: () => new Promise(() => {}), stop: async () => {},
}));
`,
);

function once(timeoutMs) {
  return new Promise((done, fail) => {
    const env = { ...process.env, OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'h1', HA_LOGFACILITY: 'none', OCF_RESKEY_CRM_meta_timeout: String(timeoutMs) };
    delete env.NODE_EXTRA_CA_CERTS;
    const t0 = performance.now();
    const child = spawn(process.execPath, [agent, 'start'], { env, stdio: 'ignore' });
    child.on('error', fail);
    child.on('exit', (code) => (code === 1 ? done(performance.now() - t0) : fail(new Error(`start exited ${code}, expected 1`))));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  console.log(`ocf-deadline: hanging start, ${n} runs each; elapsed from fork to exit (median), and lead before the timeout`);
  console.log('timeout ms   elapsed ms   lead ms');
  for (const t of timeouts) {
    const xs = [];
    for (let i = 0; i < n; i++) xs.push(await once(t));
    const m = median(xs);
    console.log(`${String(t).padStart(10)}   ${m.toFixed(1).padStart(10)}   ${(t - m).toFixed(1).padStart(7)}`);
  }
  console.log('counterpart (shell agent): hangs until killed at the timeout, no exit reason (lead 0, no ratio)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
