// The layers point one way: protocol/ (pure) <- core/ <- daemon/, agents/ <- cli/,
// and no module imports itself back through a chain, not even for a type.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { ROOT, sources } from '../helpers/sources.js';

const TOP = ['protocol', 'core', 'daemon', 'agents', 'cli'] as const;


/** Every module each source imports or re-exports (value or type), repo-relative, plus bare specifiers. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of (await Promise.all(TOP.map(sources))).flat()) {
    const text = await readFile(join(ROOT, file), 'utf8');
    const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms), ...text.matchAll(/\bimport\('([^']+)'\)/g)].map((m) => m[1]!);
    graph.set(file, specs.map((s) => (s.startsWith('.') ? normalize(join(dirname(file), s)).replace(/\.js$/, '.ts') : s)));
  }
  return graph;
}

const layer = (file: string): string => file.split('/')[0]!;

describe('layers', () => {
  it('protocol/ imports only protocol/ (no Node, no I/O); core/ only protocol/, core/ and Node', async () => {
    const bad: string[] = [];
    for (const [file, deps] of await importGraph()) {
      for (const d of deps) {
        if (layer(file) === 'protocol' && !(d.startsWith('protocol/') || d.startsWith('@noble/'))) bad.push(`${file} -> ${d}`);
        if (layer(file) === 'core' && !(d.startsWith('protocol/') || d.startsWith('core/') || d.startsWith('node:'))) bad.push(`${file} -> ${d}`);
        if (layer(file) === 'daemon' && (d.startsWith('agents/') || d.startsWith('cli/'))) bad.push(`${file} -> ${d}`);
        if (layer(file) === 'agents' && (d.startsWith('daemon/') || d.startsWith('cli/'))) bad.push(`${file} -> ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no import cycles, type imports included', async () => {
    const graph = await importGraph();
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const d of graph.get(file) ?? []) if (graph.has(d)) visit(d, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
