// Typed reads over a parsed fence_virt.conf. Lookups are case-insensitive
// and the last occurrence wins, for keys and for sections alike, because
// fence_virtd prepends to its lists and takes the head (config.y,
// simpleconfig.c _sc_get). Every failure is a ConfigError at the offending
// line, with the section path (`listeners/tcp/hash`) as the field.
import { ConfigError } from '../errors.js';
import { asciiLower, printable } from '../_text.js';
import type { ConfigSection, ConfigValue } from './tree.js';

const paths = new WeakMap<ConfigSection, string>();

/** `listeners/tcp` for a section reached through section() or sections(); otherwise its own name ('' for the root). */
export function pathOf(sec: ConfigSection): string {
  return paths.get(sec) ?? asciiLower(sec.name);
}

function fieldOf(sec: ConfigSection, key: string): string {
  const p = pathOf(sec);
  return p ? `${p}/${asciiLower(key)}` : asciiLower(key);
}

/** The root has no line of its own. */
function sectionLine(sec: ConfigSection): number | undefined {
  return pathOf(sec) === '' ? undefined : sec.line;
}

function last(sec: ConfigSection, key: string): ConfigValue | undefined {
  return sec.values.get(asciiLower(key))?.at(-1);
}

/** A ConfigError about `key` of `sec`: at its last value's line, or at the section when the key is absent. */
export function configError(sec: ConfigSection, key: string, problem: string): ConfigError {
  const v = last(sec, key);
  return new ConfigError(v?.file ?? sec.file, v ? v.line : sectionLine(sec), fieldOf(sec, key), problem);
}

function matching(parent: ConfigSection, name: string): ConfigSection[] {
  const want = asciiLower(name);
  const base = pathOf(parent);
  const found = parent.sections.filter((s) => asciiLower(s.name) === want);
  for (const s of found) paths.set(s, base ? `${base}/${want}` : want);
  return found;
}

/** The child section `name`; when repeated, the last one, which is the one fence_virtd reads. */
export function section(parent: ConfigSection, name: string): ConfigSection | undefined {
  return matching(parent, name).at(-1);
}

/** Every child section `name`, in file order (`groups { group {…} group {…} }`). */
export function sections(parent: ConfigSection, name: string): readonly ConfigSection[] {
  return matching(parent, name);
}

/** A required value. */
export function str(sec: ConfigSection, key: string): string {
  const v = last(sec, key);
  if (!v) throw configError(sec, key, `required but not set; add ${asciiLower(key)} = "…";`);
  return v.value;
}

export function strOr(sec: ConfigSection, key: string, dflt: string): string {
  return last(sec, key)?.value ?? dflt;
}

/** Every value of a repeatable key (`uuid`, `ip`), in file order. */
export function allValues(sec: ConfigSection, key: string): readonly ConfigValue[] {
  return sec.values.get(asciiLower(key)) ?? [];
}

function invalid(sec: ConfigSection, key: string, v: ConfigValue, why: string): ConfigError {
  return new ConfigError(v.file, v.line, fieldOf(sec, key), `'${printable(v.value)}' ${why}`);
}

/** A TCP/UDP port, 1..65535. fence_virtd uses atoi; trailing junk is an error here. */
export function port(sec: ConfigSection, key: string, dflt: number): number {
  const v = last(sec, key);
  if (!v) return dflt;
  const m = /^\s*(\d{1,5})\s*$/.exec(v.value);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= 65535)) throw invalid(sec, key, v, 'is not a port number; use an integer from 1 to 65535');
  return n;
}

/** One of `choices`, matched case-insensitively; returns the spelling from `choices`. */
export function choice<T extends string>(sec: ConfigSection, key: string, choices: readonly T[], dflt: T): T {
  const v = last(sec, key);
  if (!v) return dflt;
  const want = asciiLower(v.value);
  const hit = choices.find((c) => asciiLower(c) === want);
  if (hit === undefined) throw invalid(sec, key, v, `is not one of ${choices.join(', ')}`);
  return hit;
}

export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

function rangeText({ min, max }: IntRange): string {
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer of at least ${min}`;
  if (max !== undefined) return `an integer of at most ${max}`;
  return 'an integer';
}

/** A decimal integer (surrounding blanks allowed, as atoi skips them) within `range`. */
export function int(sec: ConfigSection, key: string, dflt: number, range: IntRange = {}): number {
  const v = last(sec, key);
  if (!v) return dflt;
  const m = /^\s*([+-]?\d+)\s*$/.exec(v.value);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(sec, key, v, `is not an integer; use ${rangeText(range)}`);
  if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
    throw invalid(sec, key, v, `is out of range; use ${rangeText(range)}`);
  }
  return n;
}

/** `base`, `base1`, `base2`, … up to the first one missing, as fence_virtd reads libvirt URIs. */
export function indexed(sec: ConfigSection, base: string): readonly ConfigValue[] {
  const out: ConfigValue[] = [];
  for (let i = 0; ; i++) {
    const v = last(sec, i === 0 ? base : `${base}${i}`);
    if (!v) return out;
    out.push(v);
  }
}

function warning(file: string, line: number | undefined, field: string, problem: string): string {
  return new ConfigError(file, line, field, problem).message;
}

/**
 * Warnings (in ConfigError's `FILE:LINE: field: problem` form) for keys and
 * child sections of `sec` not named in `known`, and for `base<N>` keys of
 * `indexedBases` that indexed() would not reach.
 */
export function unknownKeys(sec: ConfigSection, known: readonly string[], indexedBases: readonly string[] = []): string[] {
  const knownSet = new Set([...known, ...indexedBases].map(asciiLower));
  const list = knownSet.size ? [...knownSet].join(', ') : 'none';
  const out: string[] = [];
  for (const [key, values] of sec.values) {
    if (knownSet.has(key)) continue;
    const first = values[0]!;
    const base = indexedBases.map(asciiLower).find((b) => new RegExp(`^${escapeRegExp(b)}[1-9]\\d*$`).test(key));
    if (base !== undefined) {
      const reached = indexed(sec, base).length;
      const n = Number(key.slice(base.length));
      if (n < reached) continue;
      out.push(warning(first.file, first.line, fieldOf(sec, key),
        `ignored: ${n === 1 ? base : `${base}${n - 1}`} is not set, and ${base}, ${base}1, ${base}2, … are read only up to the first missing one`));
      continue;
    }
    out.push(warning(first.file, first.line, fieldOf(sec, key), `unknown key, ignored (known here: ${list})`));
  }
  for (const child of sec.sections) {
    if (knownSet.has(asciiLower(child.name))) continue;
    out.push(warning(child.file, child.line, fieldOf(sec, child.name), `unknown section, ignored (known here: ${list})`));
  }
  return out;
}

/**
 * Warnings for keys set more than once and sections that appear more than
 * once in `sec`, except the names in `repeatable` (`uuid`, `ip`, `group`).
 * Sections named in `perLabel` may repeat with different labels
 * (`tcp { } tcp = "b" { }`). Only the last one counts, in fence_virtd as here.
 */
export function repeatedKeys(sec: ConfigSection, repeatable: readonly string[] = [], perLabel: readonly string[] = []): string[] {
  const allowed = new Set(repeatable.map(asciiLower));
  const labelled = new Set(perLabel.map(asciiLower));
  const out: string[] = [];
  for (const [key, values] of sec.values) {
    if (values.length < 2 || allowed.has(key)) continue;
    const lastV = values.at(-1)!;
    out.push(warning(lastV.file, lastV.line, fieldOf(sec, key),
      `set ${values.length} times (lines ${values.map((v) => v.line).join(', ')}); the last one wins`));
  }
  const byName = new Map<string, ConfigSection[]>();
  for (const child of sec.sections) {
    const name = asciiLower(child.name);
    if (allowed.has(name)) continue;
    const k = labelled.has(name) && child.label !== undefined ? `${name}\0${child.label}` : name;
    byName.set(k, [...(byName.get(k) ?? []), child]);
  }
  for (const list of byName.values()) {
    if (list.length < 2) continue;
    const lastS = list.at(-1)!;
    const name = lastS.label === undefined || !labelled.has(asciiLower(lastS.name)) ? asciiLower(lastS.name) : `${asciiLower(lastS.name)} = "${lastS.label}"`;
    out.push(warning(lastS.file, lastS.line, fieldOf(sec, name),
      `section appears ${list.length} times (lines ${list.map((s) => s.line).join(', ')}); only the last one is read, as fence_virtd does`));
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
