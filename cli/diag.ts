// `palisade diag`: what an operator checks first when fencing fails.
import { access, constants } from 'node:fs/promises';
import { connect } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { checkConfig } from './config-check.js';

const run = promisify(execFile);

async function which(bin: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try { await access(`${dir}/${bin}`, constants.X_OK); return `${dir}/${bin}`; } catch { /* next */ }
  }
  return undefined;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port, timeout: 2_000 });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
    s.once('timeout', () => { s.destroy(); res(false); });
  });
}

export async function diagnose(opts: { config: string; host: string; port: number }): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  const check = (good: boolean, what: string, fix?: string) => {
    lines.push(`${good ? 'ok  ' : 'FAIL'} ${what}${!good && fix ? `\n     fix: ${fix}` : ''}`);
    if (!good) ok = false;
  };
  lines.push(`node ${process.version}`);
  const virsh = await which('virsh');
  check(!!virsh, `virsh: ${virsh ?? 'not found in PATH'}`, 'apt-get install libvirt-clients');
  if (virsh) {
    const v = await run(virsh, ['--version'], { timeout: 5_000 }).catch(() => undefined);
    if (v) lines.push(`     virsh ${v.stdout.trim()}`);
  }
  const peers = ['fence_virtd', 'fence_virt', 'fence_xvm'];
  for (const p of peers) {
    const at = await which(p);
    lines.push(`info ${p}: ${at ?? 'not installed (only needed for interop)'}`);
  }
  try {
    await access(opts.config, constants.R_OK);
    const r = await checkConfig(opts.config, { offline: false });
    for (const l of r.lines) lines.push(`     ${l}`);
    check(r.ok, `configuration ${opts.config}`, `correct the line named above, then: palisade config check ${opts.config}`);
  } catch {
    check(false, `configuration ${opts.config}: not readable`, 'create it from conf/fence_virt.conf');
  }
  const up = await reachable(opts.host, opts.port);
  check(up, `daemon at ${opts.host}:${opts.port} ${up ? 'accepts connections' : 'does not accept connections'}`,
    'start palisaded (systemctl start palisaded) and check the firewall allows TCP to that port');
  return { ok, lines };
}
