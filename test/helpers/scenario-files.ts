// What a shell scenario inside a PID namespace left in its output folder:
// per step LABEL.rc / .out / .err / .ms, per note LABEL.note. Shared by the
// apache and mariadb scenario helpers.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitReasonOf } from './ocf.js';
import type { PidnsResult } from './pidns.js';

export interface Step {
  readonly code: number;
  readonly reason: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function scenarioFiles(out: string, ns: PidnsResult): { step(label: string): Step; note(label: string): string } {
  const read = (f: string) => readText(join(out, f));
  return {
    step(label) {
      const rc = read(`${label}.rc`).trim();
      if (rc === '') throw new Error(`step ${label} did not run; script stderr: ${ns.stderr}`);
      const stderr = read(`${label}.err`);
      return { code: Number(rc), reason: exitReasonOf(stderr), stdout: read(`${label}.out`), stderr, ms: Number(read(`${label}.ms`).trim()) };
    },
    note(label) {
      return read(`${label}.note`).trim();
    },
  };
}
