// Loads the mariadb connector. The build makes it a bundle of its own next
// to the agent's (scripts/bundle.mjs), with a V8 code cache: compiling its
// 1 MB of JavaScript is most of what loading it costs, and every depth-10 or
// promotable monitor pays that. Without the cache file, or when this Node's
// V8 rejects it, the bundle compiles as usual.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fs } from '../framework/_builtins.js';

export type Connector = typeof import('mariadb');

const builtin = createRequire(process.execPath);

export async function loadConnector(): Promise<Connector> {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'mariadb-connector.cjs');
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return import('mariadb'); // not bundled (tsc output): from node_modules
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(`${file}.v8cache`);
  } catch {
    // no cache: compile
  }
  const vm = builtin('node:vm') as typeof import('node:vm');
  const { wrap } = builtin('node:module') as { wrap(code: string): string };
  const script = new vm.Script(wrap(source), { filename: file, cachedData });
  const init = script.runInThisContext() as (e: object, r: NodeRequire, m: { exports: object }, f: string, d: string) => void;
  const mod = { exports: {} };
  init.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  return mod.exports as Connector;
}
