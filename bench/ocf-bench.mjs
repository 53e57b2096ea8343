#!/usr/bin/env node
// OCF agent benchmark: our agent against the heartbeat shell agent, same
// resource, same environment, one action cycle at a time, alternating.
//
//   node bench/ocf-bench.mjs [-n 11] [-e K=V]... --ours PATH [--theirs PATH] [--json] ACTION...
//
//   ACTION   [label=]action[:K=V[,K=V...]][@rc]
//            label  name in the table (default: the action)
//            K=V    environment only for this action (e.g. OCF_RESKEY_CRM_meta_interval=0)
//            rc     expected exit code (default 0)
//   -n N     cycles per agent (default 11); each cycle runs every ACTION in order
//   -e K=V   environment for every action (OCF_RESKEY_*, OCF_RESOURCE_INSTANCE ...);
//            OCF_ROOT=/usr/lib/ocf, OCF_RA_VERSION_MAJOR/MINOR=1/1, OCF_EXIT_REASON_PREFIX,
//            OCF_RESKEY_CRM_meta_timeout=20000 and HA_LOGFACILITY=none are preset
//   --json   print the result as JSON instead of a table
//
// Example (inside the namespace that holds the interface):
//   ip netns exec ns1 node bench/ocf-bench.mjs --ours dist/bin/ocf/IPaddr2.cjs \
//     --theirs /usr/lib/ocf/resource.d/heartbeat/IPaddr2 -e OCF_RESOURCE_INSTANCE=vip1 \
//     -e OCF_RESKEY_ip=192.0.2.10 probe=monitor:OCF_RESKEY_CRM_meta_interval=0@7 start \
//     monitor:OCF_RESKEY_CRM_meta_interval=10000 stop
//
// Cycles alternate ours/theirs so drift in machine load hits both. Agents
// run with stdin, stdout and stderr on /dev/null and NODE_EXTRA_CA_CERTS
// unset (Pacemaker does not set it). Prints the median wall time per action
// and the ratio ours/theirs; exits 1 if any run returned an unexpected code.

import { spawn } from 'node:child_process';

function usage(msg) {
  process.stderr.write(`ocf-bench: ${msg}\nusage: node bench/ocf-bench.mjs [-n N] [-e K=V]... --ours PATH [--theirs PATH] [--json] ACTION...\n`);
  process.exit(2);
}

function parseKv(s, where) {
  const i = s.indexOf('=');
  if (i <= 0) usage(`${where}: expected K=V, got '${s}'`);
  return [s.slice(0, i), s.slice(i + 1)];
}

/** label=action:K=V,K=V@rc */
function parseAction(spec) {
  let rest = spec;
  let rc = 0;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    rc = Number(rest.slice(at + 1));
    if (!Number.isInteger(rc)) usage(`${spec}: bad expected exit code`);
    rest = rest.slice(0, at);
  }
  const colon = rest.indexOf(':');
  const head = colon >= 0 ? rest.slice(0, colon) : rest;
  const env = colon >= 0 ? Object.fromEntries(rest.slice(colon + 1).split(',').filter(Boolean).map((kv) => parseKv(kv, spec))) : {};
  const eq = head.indexOf('=');
  const [label, action] = eq >= 0 ? [head.slice(0, eq), head.slice(eq + 1)] : [head, head];
  if (!action) usage(`${spec}: no action`);
  return { label, action, env, rc };
}

function parseArgs(argv) {
  const o = { n: 11, env: {}, ours: undefined, theirs: undefined, json: false, actions: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '-n') o.n = Number(next());
    else if (a === '-e') Object.assign(o.env, Object.fromEntries([parseKv(next(), '-e')]));
    else if (a === '--ours') o.ours = next();
    else if (a === '--theirs') o.theirs = next();
    else if (a === '--json') o.json = true;
    else if (a === '-h' || a === '--help') usage('help');
    else o.actions.push(parseAction(a));
  }
  if (!o.ours) usage('--ours is required');
  if (!Number.isInteger(o.n) || o.n < 1) usage('-n must be a positive integer');
  if (o.actions.length === 0) usage('no actions given');
  return o;
}

function baseEnv(extra) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  for (const k of Object.keys(env)) if (k.startsWith('OCF_')) delete env[k];
  return {
    ...env,
    OCF_ROOT: '/usr/lib/ocf',
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_EXIT_REASON_PREFIX: 'ocf-exit-reason:',
    OCF_RESKEY_CRM_meta_timeout: '20000',
    HA_LOGFACILITY: 'none',
    ...extra,
  };
}

/** One run: wall time from spawn to exit, in ms. */
function timed(file, action, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, [action], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? `signal ${signal}` }));
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const env = baseEnv(o.env);
  const agents = [['ours', o.ours], ...(o.theirs ? [['theirs', o.theirs]] : [])];
  const times = new Map(agents.map(([who]) => [who, o.actions.map(() => [])]));
  const failures = [];
  for (let round = 0; round < o.n; round++) {
    for (const [who, file] of agents) {
      for (const [i, a] of o.actions.entries()) {
        const r = await timed(file, a.action, { ...env, ...a.env });
        times.get(who)[i].push(r.ms);
        if (r.code !== a.rc) failures.push(`${who} ${a.label} (round ${round + 1}): exit ${r.code}, expected ${a.rc}`);
      }
    }
  }
  const rows = o.actions.map((a, i) => {
    const ours = median(times.get('ours')[i]);
    const theirs = o.theirs ? median(times.get('theirs')[i]) : undefined;
    return { action: a.label, ours, theirs, ratio: theirs ? ours / theirs : undefined };
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ runs: o.n, ours: o.ours, theirs: o.theirs, rows, failures }, null, 2)}\n`);
  } else {
    const f = (x) => (x === undefined ? '-' : x.toFixed(1));
    const w = Math.max(6, ...rows.map((r) => r.action.length));
    process.stdout.write(`median of ${o.n} runs, ms (ours: ${o.ours}${o.theirs ? `; theirs: ${o.theirs}` : ''})\n`);
    process.stdout.write(`${'action'.padEnd(w)}  ${'ours'.padStart(8)}  ${'theirs'.padStart(8)}  ${'ours/theirs'.padStart(11)}\n`);
    for (const r of rows) {
      process.stdout.write(`${r.action.padEnd(w)}  ${f(r.ours).padStart(8)}  ${f(r.theirs).padStart(8)}  ${(r.ratio === undefined ? '-' : r.ratio.toFixed(2)).padStart(11)}\n`);
    }
    for (const msg of failures) process.stderr.write(`unexpected exit code: ${msg}\n`);
  }
  process.exit(failures.length ? 1 : 0);
}

await main();
