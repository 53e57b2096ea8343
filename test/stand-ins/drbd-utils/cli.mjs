// STAND-IN command lines of drbdsetup and drbdadm (test use only); see model.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as m from './model.mjs';

const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

function noModule(tool) {
  err(`Could not connect to 'drbd' generic netlink family`);
  if (tool === 'drbdadm') err(`Command 'drbdsetup' terminated with exit code 20`);
  return 20;
}

/** drbdsetup's view of the wfc options: seconds, 0 = forever. */
function wfcSeconds(args) {
  for (const a of args) {
    const x = /^--wfc-timeout=(\d+)$/.exec(a);
    if (x) return Number(x[1]);
  }
  return 0;
}

/** wait-connect-*: 0 once connected (or StandAlone), 5 on timeout (reference §3.2). */
function waitConnect(me, args) {
  const secs = wfcSeconds(args);
  const until = secs === 0 ? Infinity : Date.now() + secs * 1000;
  for (;;) {
    const st = m.load();
    const cs = m.connState(st, me);
    if (cs === 'Connected' || cs === 'StandAlone') return 0;
    if (Date.now() >= until) return 5;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

function apply(op, res, extra) {
  try {
    m.update((st) => m.ops[op](st, m.nodeName(), res, extra));
    return 0;
  } catch (e) {
    if (!(e instanceof m.DrbdFailure)) throw e;
    err(e.message);
    return e.code;
  }
}

/** Every call, for tests to count (e.g. one `primary` after exit 17). */
function record(tool, argv) {
  fs.appendFileSync(`${m.standInDir()}/drbd-calls.log`, `${JSON.stringify({ node: m.nodeName(), tool, argv })}\n`);
}

export function drbdsetup(argv, nested = false) {
  if (!nested) record('drbdsetup', argv);
  const me = m.nodeName();
  const st = m.load();
  const [cmd, ...rest] = argv;
  if (m.maybeHang(st, me, `drbdsetup ${cmd}`)) return undefined;
  if (cmd === undefined) {
    err('USAGE: drbdsetup command {arguments} [options]');
    return 20;
  }
  if (!m.moduleLoaded(st)) return noModule('drbdsetup');
  const args = rest.filter((a) => !a.startsWith('--'));
  const opts = rest.filter((a) => a.startsWith('--'));
  const res = args[0];
  switch (cmd) {
    case 'events2':
      out(m.events2(st, me, res, opts.includes('--statistics')));
      return 0;
    case 'status': {
      const json = opts.includes('--json');
      if (!st.nodes[me].rt || res !== st.res) {
        // text mode says so when no resource exists at all (the stand-in knows only one)
        if (json) out('[\n]\n\n');
        else if (!st.nodes[me].rt) out('# No currently configured DRBD found.\n');
        err(`${res}: No such resource`);
        return 10;
      }
      if (!json) {
        out(m.statusText(st, me, res));
        return 0;
      }
      const text = m.statusJson(st, me, res);
      if (text === undefined) {
        err('drbd stand-in: status --json is reproduced only with a device and a connection and no resync (reference §2.3)');
        return 20;
      }
      out(text);
      return 0;
    }
    case 'sh-status':
      if (!m.is84(st)) {
        err(`drbdsetup: unknown command 'sh-status'`);
        return 20;
      }
      out(m.shStatus84(st, me, res));
      return 0;
    case 'wait-connect-resource':
    case 'wait-connect-connection':
    case 'wait-connect':
      return waitConnect(me, opts);
    case 'new-resource':
    case 'new-minor':
    case 'new-peer':
    case 'connect':
    case 'disconnect':
    case 'secondary':
    case 'down':
      return apply(cmd, res);
    case 'new-path':
    case 'resize':
    case 'check-resize':
      return 0;
    case 'primary':
      return apply('primary', res, opts.includes('--force'));
    case 'attach':
    case 'outdate':
      return apply(cmd, st.res);
    default:
      err(`drbdsetup: unknown command '${cmd}'`);
      return 20;
  }
}

const REAL_DRBDADM = '/usr/sbin/drbdadm';

/** Parse-only commands go to the real drbdadm, pretending to be this node (reference §7.1). */
function delegate(argv) {
  const st = m.load();
  // argv0 = this stand-in: drbdadm then names the drbdsetup beside it (the stand-in) in dry runs
  const r = spawnSync(REAL_DRBDADM, argv, {
    argv0: process.argv[1],
    env: { ...process.env, __DRBD_NODE__: m.nodeName(), DRBD_DRIVER_VERSION_OVERRIDE: st.kernel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  out(r.stdout.toString());
  process.stderr.write(r.stderr.toString());
  return r.status ?? 20;
}

/** drbdadm CMD RES runs these drbdsetup steps (reference §3.2 dry runs). */
function steps(st, me, cmd, opts) {
  const rt = st.nodes[me].rt;
  const have = (x) => rt && rt[x];
  switch (cmd) {
    case 'up':
    case 'adjust': {
      const s = [];
      if (!rt) s.push('new-resource');
      if (!have('minor')) s.push('new-minor');
      if (!rt || rt.disk === 'Diskless') s.push('attach');
      if (opts.includes('--skip-net')) return s;
      if (!have('peer')) s.push('new-peer');
      if (!rt || !rt.want || rt.sb || m.connState(st, me) === 'StandAlone') s.push('connect');
      return s;
    }
    case 'new-resource':
      return rt ? [] : ['new-resource'];
    case 'new-minor':
    case 'attach':
    case 'connect':
    case 'disconnect':
    case 'primary':
    case 'secondary':
    case 'down':
    case 'outdate':
      return [cmd];
    default:
      return undefined;
  }
}

export function drbdadm(argv) {
  record('drbdadm', argv);
  const me = m.nodeName();
  const st = m.load();
  let conf = '/etc/drbd.conf';
  let dry = false;
  let verbose = false;
  let i = 0;
  const global = [];
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '--config-file') { conf = argv[++i]; global.push(a, conf); }
    else if (a === '-d' || a === '--dry-run') dry = true;
    else if (a === '-v' || a === '--verbose') verbose = true;
    else if (a === '-S' || a === '--stacked') global.push(a);
    else if (a === '--peer' || a === '-P') {
      if (!m.is84(st)) {
        err(`drbdadm: unrecognized option '--peer'`);
        return 1;
      }
      i++;
    } else if (a === '--') continue;
    else break;
  }
  const cmd = argv[i];
  const tail = argv.slice(i + 1);
  if (m.maybeHang(st, me, `drbdadm ${cmd}`)) return undefined;
  if (cmd === '--version' || cmd === '-V') {
    out(m.versionText(st));
    return 0;
  }
  if (dry || cmd === undefined || cmd.startsWith('sh-') || cmd === 'dump') return delegate(argv);
  if (!fs.existsSync(conf)) {
    err(`Can not open '${conf}'.`);
    return 20;
  }
  const opts = tail.filter((a) => a.startsWith('-'));
  const target = tail.find((a) => !a.startsWith('-')) ?? '';
  const res = target.split(':')[0];
  if (res !== st.res) {
    err(`'${res}' not defined in your config (for this host).`);
    return 1;
  }
  if (cmd === 'unfence-peer' || cmd === 'check-resize') return 0;
  if (!m.moduleLoaded(st)) return noModule('drbdadm');
  if (cmd === 'status') return drbdsetup(['status', res, ...opts], true);
  if (cmd === 'role') {
    if (!st.nodes[me].rt) { err(`${res}: Unknown resource`); return 10; }
    out(`${st.nodes[me].rt.role}\n`);
    return 0;
  }
  if (cmd === 'cstate') {
    const cs = m.connState(st, me);
    if (!cs) { err(`${res}: No such connection`); return 10; }
    out(`${cs}\n`);
    return 0;
  }
  if (cmd === 'dstate') {
    const rt = st.nodes[me].rt;
    if (!rt || !rt.minor) { err(`${st.minor}: No such device`); return 10; }
    out(`${rt.disk}/${m.peerView(st, me).disk}\n`);
    return 0;
  }
  const todo = steps(st, me, cmd, opts);
  if (todo === undefined) {
    err(`drbdadm: Unknown command '${cmd}'`);
    return 1;
  }
  for (const op of todo) {
    const line = `drbdsetup ${op} ${op === 'attach' || op === 'outdate' ? st.minor : res}${op === 'primary' && opts.includes('--force') ? ' --force' : ''}`;
    if (verbose) out(`${line}\n`);
    const code = drbdsetup(line.split(' ').slice(1), true);
    if (code === undefined) return undefined;
    if (code !== 0) {
      if (code >= 10) err(`Command '${line}' terminated with exit code ${code}`);
      return code;
    }
  }
  return 0;
}

/** Exit with `code`, or stay alive (an injected hang) when it is undefined. */
export function finish(code) {
  if (code !== undefined) process.exitCode = code;
}
