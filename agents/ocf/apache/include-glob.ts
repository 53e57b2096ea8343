// Which files an Include/IncludeOptional path names, as httpd 2.4 reads
// them: fnmatch wildcards in any path segment (a leading dot only matches a
// literal dot), matches in alphabetical order, and a directory stands for
// every file below it, recursively.

import { fs } from '../framework/_builtins.js';
import type { Stats } from 'node:fs';
import { join } from 'node:path';

export type Expansion = { ok: true; files: string[] } | { ok: false; problem: string };

const WILDCARD = /[*?[]/;

function statOf(path: string): Stats | undefined {
  try {
    return fs.statSync(path);
  } catch {
    return undefined;
  }
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One path segment's fnmatch pattern as a RegExp (no '/' inside a segment). */
export function segmentPattern(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) re += escape(glob[++i]!);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else re += escape(c);
  }
  return new RegExp(`${re}$`);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort(byName);
}

/** Every file at or below `path` (a file is itself), alphabetically per directory. */
function filesBelow(path: string, st: Stats, out: string[], seen: Set<string>): void {
  if (!st.isDirectory()) {
    out.push(path);
    return;
  }
  if (seen.has(path)) return;
  seen.add(path);
  for (const name of listDir(path)) {
    const child = join(path, name);
    const cst = statOf(child);
    if (cst) filesBelow(child, cst, out, seen);
  }
}

/** Expands an absolute Include path; `problem` says what httpd would refuse. */
export function expandInclude(path: string): Expansion {
  if (!WILDCARD.test(path)) {
    const st = statOf(path);
    if (!st) return { ok: false, problem: `${path} does not exist` };
    const files: string[] = [];
    filesBelow(path, st, files, new Set());
    return { ok: true, files };
  }
  const segments = path.split('/').filter((s) => s !== '');
  let bases = ['/'];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!WILDCARD.test(seg)) {
        const p = join(base, seg);
        const st = statOf(p);
        if (st && (last || st.isDirectory())) next.push(p);
        continue;
      }
      const re = segmentPattern(seg);
      let names: string[];
      try {
        names = listDir(base);
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.') && !seg.startsWith('.')) continue;
        if (!re.test(name)) continue;
        const p = join(base, name);
        const st = statOf(p);
        if (st && (last || st.isDirectory())) next.push(p);
      }
    }
    bases = next;
    if (bases.length === 0) return { ok: false, problem: `no file matches ${path}` };
  }
  const files: string[] = [];
  const seen = new Set<string>();
  for (const p of bases) {
    const st = statOf(p);
    if (st) filesBelow(p, st, files, seen);
  }
  return { ok: true, files };
}
