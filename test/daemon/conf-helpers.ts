// Shared by the config tests: a printer and generator for property tests, a
// plain-object view of a parsed tree, and the real fence_virtd as an oracle.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ConfigSection } from '../../daemon/config/tree.js';

/** A config as generated: entries in file order. */
export interface SpecSection {
  name: string;
  label?: string;
  entries: Array<{ key: string; value: string } | SpecSection>;
}

/** What parseConfig should produce, without file/line: keys folded, values grouped in file order. */
export interface PlainSection {
  name: string;
  label: string | undefined;
  values: Record<string, string[]>;
  sections: PlainSection[];
}

const lower = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

export function plainOfSpec(spec: SpecSection): PlainSection {
  const values: Record<string, string[]> = {};
  const sections: PlainSection[] = [];
  for (const e of spec.entries) {
    if ('key' in e) (values[lower(e.key)] ??= []).push(e.value);
    else sections.push(plainOfSpec(e));
  }
  return { name: spec.name, label: spec.label, values, sections };
}

export function plain(sec: ConfigSection): PlainSection {
  const values: Record<string, string[]> = {};
  for (const [k, list] of sec.values) values[k] = list.map((v) => v.value);
  return { name: sec.name, label: sec.label, values, sections: sec.sections.map(plain) };
}

/** A seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
export function rng(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

type Rng = ReturnType<typeof rng>;

// Name bytes (exported for the fast-check properties): anything but blank, tab, newline, {};=" (and \r, NUL, which we refuse).
export const NAME_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@#!$%^&*()[]<>?,|~\'\f\vé中'];
export const VALUE_CHARS = [...'abcXYZ019 \t\n\r#{};=_-./:@é中\'\\'];

function word(r: Rng, chars: readonly string[], min: number, max: number): string {
  let s = '';
  const n = min + r.int(max - min + 1);
  for (let i = 0; i < n; i++) s += r.pick(chars);
  return s;
}

function name(r: Rng): string {
  let s = word(r, NAME_CHARS, 1, 8);
  if (s.startsWith('#')) s = `x${s}`; // a leading '#' starts a comment
  return s;
}

export function randomSpec(r: Rng, depth = 0, nameOf = ''): SpecSection {
  const entries: SpecSection['entries'] = [];
  const n = (depth === 0 ? 1 : 0) + r.int(depth === 0 ? 6 : 5);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    if (depth < 3 && r.chance(0.35)) {
      const child = randomSpec(r, depth + 1, name(r));
      if (r.chance(0.3)) child.label = word(r, VALUE_CHARS, 1, 6);
      entries.push(child);
    } else {
      // Reuse keys (in another case) now and then: repeated keys are kept in order.
      const key = keys.length && r.chance(0.25) ? r.pick(keys).toUpperCase() : name(r);
      keys.push(key);
      entries.push({ key, value: word(r, VALUE_CHARS, 1, 10) });
    }
  }
  return nameOf ? { name: nameOf, entries } : { name: '', entries };
}

/** Prints a spec with random (but valid) spacing and comments between tokens. */
export function printSpec(spec: SpecSection, r: Rng): string {
  const gap = () => {
    const opts = ['', ' ', '\t', '\n', ' \n\t', ' # a comment {;"\n', '\n#\n'];
    return r.pick(opts);
  };
  const tokenGap = () => { const g = gap(); return g === '' ? ' ' : g; };
  const body = (s: SpecSection): string => s.entries.map((e) => {
    if ('key' in e) return `${e.key}${gap()}=${gap()}"${e.value}"${gap()};${gap()}`;
    const head = e.label !== undefined ? `${e.name}${gap()}=${gap()}"${e.label}"${gap()}` : `${e.name}${gap()}`;
    return `${head}{${tokenGap()}${body(e)}}${gap()}`;
  }).join(r.chance(0.5) ? '\n' : '');
  return body(spec);
}

/** Formats a spec the way a person would, one entry per line. */
export function formatSpec(spec: SpecSection, indent = ''): string {
  return spec.entries.map((e) => {
    if ('key' in e) return `${indent}${e.key} = "${e.value}";\n`;
    const head = e.label !== undefined ? `${e.name} = "${e.label}"` : e.name;
    return `${indent}${head} {\n${formatSpec(e, `${indent}\t`)}${indent}}\n`;
  }).join('');
}

export type OracleVerdict =
  | { readonly ok: true; readonly dump: string }
  | { readonly ok: false; readonly line: number; readonly output: string };

/**
 * Runs the real fence_virtd on `text` with -d 99: it prints its parsed tree
 * (lists reversed, `debug = "99"` added to fence_virtd) or "syntax error on
 * line N", then stops for want of a backend or a key file.
 */
export async function fenceVirtdVerdict(text: string | Uint8Array): Promise<OracleVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'pal-oracle-'));
  try {
    const file = join(dir, 'fence_virt.conf');
    await writeFile(file, text, { mode: 0o600 });
    const r = await execa('fence_virtd', ['-F', '-f', file, '-d', '99', '-p', join(dir, 'pid')], {
      reject: false, timeout: 10_000, stdin: 'ignore', all: true, encoding: 'utf8',
    });
    const out = r.all ?? '';
    const m = /syntax error on line (\d+)/.exec(out);
    if (m || out.includes('Failed to parse')) return { ok: false, line: m ? Number(m[1]) : 0, output: out };
    const start = out.indexOf('Debugging threshold is now 99\n');
    const ends = ['Backend plugin:', 'Failed to determine backend.', 'Failed to determine listener.']
      .map((e) => out.indexOf(e, start)).filter((i) => i >= 0);
    if (start < 0 || ends.length === 0) throw new Error(`unexpected fence_virtd output:\n${out}`);
    return { ok: true, dump: out.slice(start + 'Debugging threshold is now 99\n'.length, Math.min(...ends)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * fence_virtd's dump, parsed by us, back in file order: its lists are built
 * by prepending, so sections and each key's values come out reversed. The
 * debug key it injects into (the last) fence_virtd section is removed, and
 * so is that section if the file had none.
 */
export function plainOfDump(dumpTree: PlainSection, fileHadFenceVirtd: boolean): PlainSection {
  const flip = (s: PlainSection): PlainSection => ({
    name: s.name,
    label: s.label,
    values: Object.fromEntries(Object.entries(s.values).map(([k, v]) => [k, [...v].reverse()])),
    sections: [...s.sections].reverse().map(flip),
  });
  const out = flip(dumpTree);
  const idx = out.sections.map((s) => lower(s.name)).lastIndexOf('fence_virtd');
  if (idx >= 0) {
    const fv = out.sections[idx]!;
    if (!fileHadFenceVirtd) out.sections.splice(idx, 1);
    else delete fv.values['debug'];
  }
  return out;
}

/** Our tree with any fence_virtd debug key removed, to compare with plainOfDump. */
export function withoutDebug(p: PlainSection): PlainSection {
  const idx = p.sections.map((s) => lower(s.name)).lastIndexOf('fence_virtd');
  if (idx < 0) return p;
  const sections = [...p.sections];
  const values = { ...sections[idx]!.values };
  delete values['debug'];
  sections[idx] = { ...sections[idx]!, values };
  return { ...p, sections };
}
