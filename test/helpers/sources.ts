// The repository's TypeScript sources, for structural tests (layers, error codes, transports).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** Every .ts file below `dir` (repo-relative), recursively. */
export async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) out.push(...await sources(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}
