#!/usr/bin/env node
// Soak: palisaded and the real fence_virtd side by side for a long run
// (default 10 minutes), each under the same honest workload and the same
// hostile clients ("attacked"), on loopback with the libvirt test driver.
// A second pair gets the same honest workload alone ("quiet"): fence_virtd's
// single loop stalls on every idle peer, so the quiet pair gives the
// baseline that each daemon's latency under attack is compared with.
//   node bench/soak.mjs [--minutes 10]        (or SOAK_MINUTES=10)
// Honest: sequential status and list requests over tcp (sha256 request hash
// and two-way sha256 auth, new connection per request), each answer checked;
// on the attacked palisaded also over an auth = "hmac-sha256" tcp listener.
// Hostile, from bounded loops: random bytes, mutated signed requests, signed
// requests followed by garbage authentication, requests signed with another
// key, and peers that send part of a request and stall; on palisaded also
// on its hmac-sha256 listener, and mutated and random datagrams to its
// multicast listener (group on lo).
// Reports per daemon: RSS at start (after warm-up), max and end; p50/p99
// latency of honest requests; honest errors by kind; hostile counts.
// Needs `npm run build` first. Not part of bench/run.sh (it takes minutes).
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeRequest, makeRequest, signRequest } from '../dist/protocol/fence-req.js';
import { challengeResponse, verifyChallengeResponse } from '../dist/protocol/legacy-auth.js';
import { decodeHostRecord, isTerminator } from '../dist/protocol/host-list.js';
import { clientProof, hmacKeys, openDaemonHello, sealRequest, verifyResultTag } from '../dist/protocol/hmac-auth.js';

const arg = (name) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
const MINUTES = Number(arg('minutes') ?? process.env.SOAK_MINUTES ?? 10);
if (!(MINUTES > 0)) throw new Error(`--minutes must be a positive number, got ${arg('minutes') ?? process.env.SOAK_MINUTES}`);
const ROOT = resolve(import.meta.dirname, '..');
const DOMAINS = join(ROOT, 'scripts/demo/domains.xml'); // web1, web2, db1, all running
const STATUS = 4, HOSTLIST = 6, SHA256 = 2;
const HONEST_WORKERS = 2;        // per daemon, sequential requests each
const HONEST_PAUSE_MS = 50;      // between one worker's requests
const HOSTILE_WORKERS = 3;       // per daemon, one hostile connection at a time each
const HOSTILE_PAUSE_MS = 10;
const STALLERS = 4;              // per daemon: peers holding part of a request
const STALL_MS = [2_000, 8_000];
const DATAGRAMS_PER_S = 200;     // palisaded's multicast listener only
const IO_MS = 30_000;            // fence_virt's default timeout per honest request

const dir = mkdtempSync(join(tmpdir(), 'palisade-soak-'));
const keyFile = join(dir, 'key');
writeFileSync(keyFile, randomBytes(256), { mode: 0o600 });
chmodSync(keyFile, 0o600);
const KEY = new Uint8Array(readFileSync(keyFile));
const OTHER_KEY = new Uint8Array(randomBytes(256));
const HMAC = hmacKeys(KEY);
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let running = true;

const freePort = () => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const freeUdpPort = () => new Promise((res) => { const s = createSocket('udp4'); s.bind(0, () => { const p = s.address().port; s.close(() => res(p)); }); });
const canConnect = (port) => new Promise((res) => { const s = connect({ host: '127.0.0.1', port }); s.once('connect', () => { s.destroy(); res(true); }); s.once('error', () => res(false)); });

function rssKiB(pid) {
  try { return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN); } catch { return NaN; }
}

async function start(name, cmd, args, ports) {
  const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
  let err = '';
  c.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  children.push(c);
  for (let i = 0; i < 300; i++) {
    if (c.exitCode !== null) throw new Error(`${name} exited ${c.exitCode}: ${err}`);
    if ((await Promise.all(ports.map(canConnect))).every(Boolean)) return { child: c, stderrTail: () => err };
    await sleep(50);
  }
  throw new Error(`${name} did not start: ${err}`);
}

/** Exact-length reads from a socket; rejects on close or when the request's deadline passes. */
function reader(sock, deadlineMs) {
  let buf = Buffer.alloc(0), ended = false, wake;
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); wake?.(); });
  const end = () => { ended = true; wake?.(); };
  sock.on('close', end); sock.on('error', end);
  const t0 = Date.now();
  return async (n) => {
    while (buf.length < n) {
      if (ended) throw new Error('closed');
      if (Date.now() - t0 > deadlineMs) throw new Error('timeout');
      await new Promise((r) => { const t = setTimeout(r, 200); wake = () => { clearTimeout(t); r(); }; });
    }
    const out = buf.subarray(0, n); buf = buf.subarray(n); return new Uint8Array(out);
  };
}

function open(port) {
  return new Promise((res, rej) => { const s = connect({ host: '127.0.0.1', port, noDelay: true }); s.once('connect', () => res(s)); s.once('error', rej); });
}

const seqno = () => randomInt(0, 2 ** 32 - 1);
const legacyRequest = (op, domain, key = KEY) =>
  encodeRequest(signRequest(makeRequest({ request: op, hashType: SHA256, domain, seqno: seqno() }), key, new Uint8Array(randomBytes(6))));

/** Reads a result byte, or a host list (returning how many records), after the exchange. */
async function readAnswer(read, body) {
  const first = await read(1);
  body?.push(first);
  if (first[0] !== 253) return { result: first[0] };
  let hosts = 0;
  for (;;) {
    const rec = await read(130);
    body?.push(rec);
    if (isTerminator(decodeHostRecord(rec))) break;
    hosts++;
  }
  const trailer = await read(1);
  body?.push(trailer);
  return { result: trailer[0], hosts };
}

/** One honest legacy exchange, as fence_virt -T does it. */
async function legacyExchange(port, op, domain) {
  const s = await open(port);
  try {
    const read = reader(s, IO_MS);
    const mine = new Uint8Array(randomBytes(64));
    s.write(Buffer.concat([legacyRequest(op, domain), mine]));
    if (!verifyChallengeResponse(SHA256, KEY, mine, await read(64))) throw new Error('auth');
    s.write(challengeResponse(SHA256, KEY, await read(64)));
    return await readAnswer(read);
  } finally { s.destroy(); }
}

/** One honest hmac-sha256 exchange (protocol/hmac-auth.md). */
async function hmacExchange(port, op, domain) {
  const s = await open(port);
  try {
    const read = reader(s, IO_MS);
    const req = sealRequest(HMAC, makeRequest({ request: op, domain, seqno: seqno() }), new Uint8Array(randomBytes(32)));
    s.write(req);
    const nonce = openDaemonHello(HMAC, req, await read(64));
    if (!nonce) throw new Error('auth');
    s.write(clientProof(HMAC, req, nonce));
    const body = [];
    const answer = await readAnswer(read, body);
    if (!verifyResultTag(HMAC, req, nonce, Buffer.concat(body), await read(32))) throw new Error('auth');
    return answer;
  } finally { s.destroy(); }
}

/** Honest requests with the answer each must get: status of a running domain 0, of an unknown one 2, a list of 3. */
const HONEST = [
  { op: STATUS, domain: 'web1', ok: (a) => a.result === 0 },
  { op: STATUS, domain: 'nosuch', ok: (a) => a.result === 2 },
  { op: HOSTLIST, domain: '', ok: (a) => a.result === 0 && a.hosts === 3 },
];

function stats() {
  return { latencies: [], errors: {}, hostile: 0, stalled: 0, datagrams: 0 };
}

async function honestLoop(exchange, port, st) {
  for (let i = randomInt(0, HONEST.length); running; i++) {
    const h = HONEST[i % HONEST.length];
    const t0 = performance.now();
    try {
      const a = await exchange(port, h.op, h.domain);
      if (!h.ok(a)) throw new Error(`wrong answer ${JSON.stringify(a)}`);
      st.latencies.push(performance.now() - t0);
    } catch (e) {
      const kind = /^(auth|timeout|closed)$/.test(e.message) ? e.message : e.code ?? e.message.slice(0, 40);
      st.errors[kind] = (st.errors[kind] ?? 0) + 1;
    }
    await sleep(HONEST_PAUSE_MS);
  }
}

/** A damaged copy: 1-8 bytes flipped, cut short, extended, or a random run spliced in. */
function mutate(b) {
  const out = Buffer.from(b);
  switch (randomInt(0, 4)) {
    case 0: for (let n = randomInt(1, 9); n > 0; n--) out[randomInt(0, out.length)] ^= randomInt(1, 256); return out;
    case 1: return out.subarray(0, randomInt(0, out.length));
    case 2: return Buffer.concat([out, randomBytes(randomInt(1, 64))]);
    default: { const at = randomInt(0, out.length); return Buffer.concat([out.subarray(0, at), randomBytes(randomInt(0, 32)), out.subarray(at + randomInt(0, 32))]); }
  }
}

/** Bytes of one hostile connection. */
function hostileBytes(hmac) {
  const base = hmac ? sealRequest(HMAC, makeRequest({ request: STATUS, domain: 'web1', seqno: seqno() }), new Uint8Array(randomBytes(32))) : legacyRequest(STATUS, 'web1');
  switch (randomInt(0, 4)) {
    case 0: return randomBytes(randomInt(0, 400));
    case 1: return mutate(base);
    case 2: return Buffer.concat([base, randomBytes(randomInt(32, 200))]); // garbage challenge, response or proof
    default: return Buffer.concat([legacyRequest(STATUS, 'web1', OTHER_KEY), randomBytes(64)]);
  }
}

async function hostileLoop(port, hmac, st) {
  while (running) {
    await new Promise((res) => {
      const s = connect({ host: '127.0.0.1', port });
      const t = setTimeout(() => s.destroy(), 1_000);
      s.on('error', () => {}); s.on('data', () => {});
      s.once('close', () => { clearTimeout(t); res(); });
      s.once('connect', () => { s.end(hostileBytes(hmac)); });
    });
    st.hostile++;
    await sleep(HOSTILE_PAUSE_MS);
  }
}

async function stallLoop(port, st) {
  while (running) {
    await new Promise((res) => {
      const s = connect({ host: '127.0.0.1', port });
      const t = setTimeout(() => s.destroy(), randomInt(...STALL_MS));
      s.on('error', () => {}); s.on('data', () => {});
      s.once('close', () => { clearTimeout(t); res(); });
      s.once('connect', () => s.write(legacyRequest(STATUS, 'web1').subarray(0, randomInt(0, 176))));
    });
    st.stalled++;
  }
}

async function datagramLoop(port, st) {
  const udp = createSocket('udp4');
  await new Promise((r) => udp.bind(0, '127.0.0.1', r));
  udp.setMulticastInterface('127.0.0.1');
  // Callbacks go to a port nobody listens on; the datagrams are damaged anyway.
  const base = () => encodeRequest(signRequest(makeRequest({
    request: STATUS, hashType: SHA256, domain: 'web1', seqno: seqno(), family: 2, addrLen: 4, address: Uint8Array.of(127, 0, 0, 1), port: 9,
  }), KEY, new Uint8Array(randomBytes(6))));
  while (running) {
    for (let i = 0; i < DATAGRAMS_PER_S / 10 && running; i++) {
      const bytes = randomInt(0, 3) ? mutate(base()) : randomBytes(randomInt(0, 300));
      await new Promise((r) => udp.send(bytes, port, i % 2 ? '225.0.0.12' : '127.0.0.1', r));
      st.datagrams++;
    }
    await sleep(100);
  }
  udp.close();
}

const pct = (xs, p) => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]; };
const mib = (k) => (k / 1024).toFixed(1);

/** A daemon under test: palisaded (tcp, plus hmac and multicast when attacked) or fence_virtd (tcp). */
async function startDaemon(kind, name, attacked) {
  const tcp = await freePort();
  const hmac = kind === 'palisaded' && attacked ? await freePort() : undefined;
  const udp = kind === 'palisaded' && attacked ? await freeUdpPort() : undefined;
  const conf = join(dir, `${name}.conf`);
  const extra = hmac ? ['tcp:hmac', 'multicast'] : [];
  writeFileSync(conf, `fence_virtd { listener = "${['tcp', ...extra].join(' ')}"; backend = "libvirt"; module_path = "/usr/lib/x86_64-linux-gnu/fence-virt"; }
listeners {
  tcp { key_file = "${keyFile}"; address = "127.0.0.1"; port = "${tcp}"; family = "ipv4"; }
${hmac ? `  tcp = "hmac" { key_file = "${keyFile}"; address = "127.0.0.1"; port = "${hmac}"; auth = "hmac-sha256"; }
  multicast { key_file = "${keyFile}"; address = "225.0.0.12"; port = "${udp}"; interface = "lo"; }
` : ''}}
backends { libvirt { uri = "test://${DOMAINS}"; } }
`, { mode: 0o600 });
  const pid = join(dir, `${name}.pid`);
  const proc = kind === 'palisaded'
    ? await start(name, process.execPath, [join(ROOT, 'dist/bin/palisaded.cjs'), '-F', '-f', conf, '-p', pid], hmac ? [tcp, hmac] : [tcp])
    : await start(name, '/usr/sbin/fence_virtd', ['-F', '-f', conf, '-p', pid], [tcp]);
  return { name, attacked, ports: { tcp, hmac, udp }, proc, st: stats(), hmac: hmac ? stats() : undefined, rss: { start: 0, max: 0, end: 0 } };
}

try {
  const daemons = [
    await startDaemon('palisaded', 'palisaded', true),
    await startDaemon('fence_virtd', 'fence_virtd', true),
    await startDaemon('palisaded', 'palisaded-quiet', false),
    await startDaemon('fence_virtd', 'fence_virtd-quiet', false),
  ];
  for (let i = 0; i < 20; i++) {
    for (const h of HONEST) {
      for (const d of daemons) {
        await legacyExchange(d.ports.tcp, h.op, h.domain);
        if (d.ports.hmac) await hmacExchange(d.ports.hmac, h.op, h.domain);
      }
    }
  }
  for (const d of daemons) d.rss.start = rssKiB(d.proc.child.pid);
  const sample = () => { for (const d of daemons) { const k = rssKiB(d.proc.child.pid); if (k > d.rss.max) d.rss.max = k; } };
  const sampler = setInterval(sample, 1_000);
  const t0 = Date.now();
  const errorCount = (st) => Object.values(st.errors).reduce((a, b) => a + b, 0);
  const progress = setInterval(() => {
    const line = daemons.map((d) => `${d.name} rss ${mib(rssKiB(d.proc.child.pid))} MiB honest ${d.st.latencies.length} errors ${errorCount(d.st)} hostile ${d.st.hostile}`).join(' | ');
    console.error(`[${((Date.now() - t0) / 60_000).toFixed(1)} min] ${line}`);
  }, 60_000);
  console.error(`soak: ${MINUTES} min; ${daemons.map((d) => `${d.name} ${JSON.stringify(d.ports)}`).join(', ')}`);

  const loops = [];
  for (const d of daemons) {
    for (let i = 0; i < HONEST_WORKERS; i++) loops.push(honestLoop(legacyExchange, d.ports.tcp, d.st));
    if (!d.attacked) continue;
    for (let i = 0; i < HOSTILE_WORKERS; i++) loops.push(hostileLoop(d.ports.tcp, false, d.st));
    for (let i = 0; i < STALLERS; i++) loops.push(stallLoop(d.ports.tcp, d.st));
    if (d.hmac) loops.push(honestLoop(hmacExchange, d.ports.hmac, d.hmac), hostileLoop(d.ports.hmac, true, d.hmac), datagramLoop(d.ports.udp, d.st));
  }

  await sleep(MINUTES * 60_000);
  running = false;
  await Promise.all(loops);
  clearInterval(sampler);
  clearInterval(progress);
  sample();
  for (const d of daemons) d.rss.end = rssKiB(d.proc.child.pid);

  const row = (label, st) =>
    `${label.padEnd(34)} ${String(st.latencies.length).padStart(7)} ${pct(st.latencies, 0.5).toFixed(2).padStart(8)} ${pct(st.latencies, 0.99).toFixed(2).padStart(9)} ${String(errorCount(st)).padStart(7)}  ${JSON.stringify(st.errors)}`;
  console.log(`\nsoak: ${MINUTES} min on loopback, libvirt test driver. "attacked": honest and hostile clients; "quiet": the same honest clients alone.`);
  console.log(`${'honest requests'.padEnd(34)} ${'n'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(7)}`);
  for (const d of daemons) {
    console.log(row(`${d.name}${d.attacked ? ' (attacked)' : ''} tcp`, d.st));
    if (d.hmac) console.log(row(`${d.name} (attacked) hmac-sha256`, d.hmac));
  }
  const lat = Object.fromEntries(daemons.map((d) => [d.name, d.st.latencies]));
  for (const [a, b] of [['palisaded', 'fence_virtd'], ['palisaded-quiet', 'fence_virtd-quiet'], ['palisaded', 'fence_virtd-quiet']]) {
    const r = (q) => (pct(lat[a], q) / pct(lat[b], q)).toPrecision(3);
    console.log(`ratio ${a} / ${b}: p50 ${r(0.5)}, p99 ${r(0.99)} (lower is better)`);
  }
  for (const d of daemons) {
    const alive = d.proc.child.exitCode === null && d.proc.child.signalCode === null;
    console.log(`${d.name.padEnd(17)} RSS start ${mib(d.rss.start)} MiB, max ${mib(d.rss.max)} MiB, end ${mib(d.rss.end)} MiB (growth ${mib(d.rss.end - d.rss.start)} MiB)` +
      (d.attacked ? `; hostile connections ${d.st.hostile + (d.hmac?.hostile ?? 0)}, stalled peers ${d.st.stalled}${d.st.datagrams ? `, datagrams ${d.st.datagrams}` : ''}` : '') +
      `; ${alive ? 'alive at end' : `DIED (exit ${d.proc.child.exitCode ?? d.proc.child.signalCode}): ${d.proc.stderrTail()}`}`);
  }
} finally {
  running = false;
  for (const c of children) c.kill('SIGTERM');
  await sleep(300);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
