// fence_virtd-style pid file: refuse to start while it names a live
// palisaded or fence_virtd, write ours, remove it on exit.
import { readFileSync, writeFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PalisadeError } from './errors.js';

/** `self` is our entry script: a node-run daemon's cmdline reads `node …/daemon/main.js`. */
export function claimPidFile(path: string, self: string = process.argv[1] ?? 'palisaded'): void {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new PalisadeError('PAL_ERR_CONFIG', `pid file ${path}: ${(e as Error).message}`);
  }
  const pid = Number.parseInt(text?.trim() ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* not running */ }
    const args = cmd.split('\0');
    if (args.some((a) => /(^|\/)(palisaded|fence_virtd)$/.test(a) || a === self)) {
      throw new PalisadeError('PAL_ERR_CONFIG', `pid file ${path} names running process ${pid} (${args.filter(Boolean).join(' ')}); stop it first or use -p to choose another pid file`);
    }
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
}

export function releasePidFile(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch { /* already gone */ }
}
