// httpd's pid file: one decimal pid and a newline. An empty file is one
// being written (httpd creates, then writes), so it reads as "no pid yet".

import { fs } from '../framework/_builtins.js';

export type PidFileState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'pid'; readonly pid: number }
  | { readonly kind: 'garbage'; readonly text: string };

export function readPidFile(path: string): PidFileState {
  let text: string;
  try {
    text = fs.readFileSync(path, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw e;
  }
  const t = text.trim();
  if (t === '') return { kind: 'absent' };
  if (!/^\d{1,10}$/.test(t) || Number(t) < 2 || Number(t) > 4194304) return { kind: 'garbage', text: t.slice(0, 40) };
  return { kind: 'pid', pid: Number(t) };
}
