// One table per configuration section, like the OCF parameter table: each
// key's type, default and meaning are declared once, and that declaration
// reads the value, names the keys that are known (so typos and repeats are
// warned about with FILE:LINE), lists the effective settings for
// `palisade config check`, and renders the README's tables.
import { asciiLower } from '../_text.js';
import { allValues, choice, configError, indexed, int, port, repeatedKeys, unknownKeys } from './access.js';
import type { ConfigSection, ConfigValue } from './tree.js';

export type KeyKind = 'string' | 'integer' | 'port' | 'choice' | 'indexed' | 'repeated';

export interface KeySpec<T> {
  readonly kind: KeyKind;
  /** One sentence for the README and `config check`. */
  readonly doc: string;
  /** The default as a reader sees it ("127.0.0.1, or ::1 with family ipv6"); undefined when required or when absence has its own meaning. */
  readonly defaultText: string | undefined;
  /** Whether defaultText is the value itself (shown as code) or prose ("the first backend"). */
  readonly defaultIsValue: boolean;
  /** Allowed range, for the docs ("1..65536"). */
  readonly range: string | undefined;
  readonly required: boolean;
  readonly choices: readonly string[] | undefined;
  /** A palisade extension that fence_virtd does not read. */
  readonly extension: boolean;
  /** Reads the value of `key` in `sec`; a bad value is a ConfigError at its line. */
  read(sec: ConfigSection, key: string): T;
}

export type AnyKeySpec = KeySpec<unknown>;
export type KeyTable = Readonly<Record<string, AnyKeySpec>>;
export type KeyValues<K extends KeyTable> = { readonly [N in keyof K]: K[N] extends KeySpec<infer T> ? T : never };

interface Common {
  readonly doc: string;
  readonly extension?: boolean;
}

interface SpecOpts extends Common {
  readonly defaultText?: string;
  readonly defaultIsValue?: boolean;
  readonly range?: string;
  readonly required?: boolean;
  readonly choices?: readonly string[];
}

function spec<T>(kind: KeyKind, o: SpecOpts, read: (sec: ConfigSection, key: string) => T): KeySpec<T> {
  if (!o.doc) throw new TypeError('config key: doc is required');
  return Object.freeze({
    kind, doc: o.doc, defaultText: o.defaultText, defaultIsValue: o.defaultIsValue ?? true, range: o.range, required: o.required ?? false, choices: o.choices, extension: o.extension ?? false, read,
  });
}

function rangeText(min: number | undefined, max: number | undefined): string | undefined {
  if (min !== undefined && max !== undefined) return `${min}..${max}`;
  if (min !== undefined) return `at least ${min}`;
  return undefined;
}

export const key = {
  /** A string; with `default`, never undefined. `required` fails start-up with `hint` when absent. */
  string<D extends string | undefined = undefined, R extends boolean = false>(
    o: Common & { default?: D; defaultText?: string; required?: R; hint?: string },
  ): KeySpec<D extends string ? string : R extends true ? string : string | undefined> {
    type T = D extends string ? string : R extends true ? string : string | undefined;
    const dflt = o.default;
    return spec('string', { ...o, defaultText: o.defaultText ?? dflt, defaultIsValue: o.defaultText === undefined }, (sec, k) => {
      const v = allValues(sec, k).at(-1)?.value;
      if (v === undefined && o.required) throw configError(sec, k, o.hint ?? `required but not set; add ${k} = "…";`);
      return (v ?? dflt) as T;
    });
  },
  integer(o: Common & { default: number; min?: number; max?: number; unit?: string }): KeySpec<number> {
    return spec('integer', { ...o, defaultText: `${o.default}${o.unit ? ` ${o.unit}` : ''}`, range: rangeText(o.min, o.max) },
      (sec, k) => int(sec, k, o.default, { min: o.min, max: o.max }));
  },
  port(o: Common & { default: number }): KeySpec<number> {
    return spec('port', { ...o, defaultText: String(o.default) }, (sec, k) => port(sec, k, o.default));
  },
  choice<const C extends string>(o: Common & { choices: readonly C[]; default: NoInfer<C> }): KeySpec<C> {
    return spec('choice', { ...o, defaultText: o.default }, (sec, k) => choice(sec, k, o.choices, o.default));
  },
  /** `base`, `base1`, `base2`, … read up to the first missing one (libvirt's uri list). */
  indexed(o: Common & { required?: boolean; hint?: string }): KeySpec<readonly ConfigValue[]> {
    return spec('indexed', o, (sec, k) => {
      const all = indexed(sec, k);
      if (all.length === 0 && o.required) throw configError(sec, k, o.hint ?? `required but not set; add ${k} = "…";`);
      return all;
    });
  },
  /** A key that may appear many times, every value counting (`uuid`, `ip`). */
  repeated(o: Common): KeySpec<readonly ConfigValue[]> {
    return spec('repeated', o, (sec, k) => allValues(sec, k));
  },
};

export interface ChildSection {
  readonly name: string;
  /** May appear more than once (`group`), or once per label (`tcp = "b" { }`). */
  readonly repeatable?: 'yes' | 'per-label';
}

export interface SectionSchema<K extends KeyTable = KeyTable> {
  /** `listeners/tcp`, `fence_virtd`, '' for the file's top level. */
  readonly path: string;
  readonly doc: string;
  readonly keys: K;
  readonly sections: readonly ChildSection[];
}

export function defineSection<K extends KeyTable>(s: { path: string; doc: string; keys: K; sections?: readonly ChildSection[] }): SectionSchema<K> {
  for (const k of Object.keys(s.keys)) {
    if (k !== asciiLower(k)) throw new TypeError(`config schema ${s.path}: key ${k} must be lower-case`);
  }
  return Object.freeze({ path: s.path, doc: s.doc, keys: Object.freeze(s.keys), sections: Object.freeze(s.sections ?? []) });
}

/** Every key of `schema` read from `sec`, typed. */
export function readSection<K extends KeyTable>(sec: ConfigSection, schema: SectionSchema<K>): KeyValues<K> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(schema.keys)) out[k] = s.read(sec, k);
  return Object.freeze(out) as KeyValues<K>;
}

/** `FILE:LINE: path/key: …` warnings for keys and sections the schema does not know, and for keys and sections given twice. */
export function sectionWarnings(sec: ConfigSection, schema: SectionSchema): string[] {
  const names = Object.keys(schema.keys);
  const indexedBases = names.filter((k) => schema.keys[k]!.kind === 'indexed');
  const repeatable = [
    ...names.filter((k) => schema.keys[k]!.kind === 'repeated'),
    ...schema.sections.filter((c) => c.repeatable === 'yes').map((c) => c.name),
  ];
  const perLabel = schema.sections.filter((c) => c.repeatable === 'per-label').map((c) => c.name);
  return [
    ...unknownKeys(sec, [...names.filter((k) => !indexedBases.includes(k)), ...schema.sections.map((c) => c.name)], indexedBases),
    ...repeatedKeys(sec, repeatable, perLabel),
  ];
}

/** One line per key, `key = value` or `key = default (…)`: what `palisade config check` shows. */
export function effectiveSettings(sec: ConfigSection, schema: SectionSchema): string[] {
  const out: string[] = [];
  for (const [k, s] of Object.entries(schema.keys)) {
    if (s.kind === 'indexed') {
      indexed(sec, k).forEach((v, i) => out.push(`${i === 0 ? k : `${k}${i}`} = ${v.value}`));
      continue;
    }
    if (s.kind === 'repeated') {
      for (const v of allValues(sec, k)) out.push(`${k} = ${v.value}`);
      continue;
    }
    const v = allValues(sec, k).at(-1)?.value;
    if (v !== undefined) out.push(`${k} = ${v}`);
    else if (s.defaultText !== undefined) out.push(`${k} = default (${s.defaultText})`);
  }
  return out;
}

/** The README's table for one section. */
export function markdownTable(schema: SectionSchema): string {
  const rows = Object.entries(schema.keys).map(([k, s]) => {
    const name = s.kind === 'indexed' ? `\`${k}\`, \`${k}1\`, …` : `\`${k}\``;
    const dflt = s.required ? 'required' : s.defaultText === undefined ? '(none)' : s.defaultIsValue ? `\`${s.defaultText}\`` : s.defaultText;
    const sentences = [s.doc.replace(/\.?$/, '.')];
    if (s.choices && s.kind === 'choice') sentences.push(`One of ${s.choices.map((c) => `\`${c}\``).join(', ')}.`);
    if (s.range) sentences.push(`Range ${s.range}.`);
    if (s.extension) sentences.push('*(palisaded only)*');
    return `| ${name} | ${dflt.replace(/\|/g, '\\|')} | ${sentences.join(' ').replace(/\|/g, '\\|')} |`;
  });
  return ['| key | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
