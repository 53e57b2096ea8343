// One parameter table per agent drives meta-data, OCF_RESKEY_* parsing and
// value checks (as fence-agents' all_opt): each fact lives once.

import { OCF, OcfError } from './exit.js';

export interface ParamOpts<T> {
  shortdesc: string;
  longdesc: string;
  required?: boolean;
  unique?: boolean;
  default?: T;
  reloadable?: boolean;
  deprecated?: boolean;
}

export type ParamKind = 'string' | 'integer' | 'boolean' | 'select';

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * A declared parameter. `T` is the parsed type, `V` what handlers receive:
 * `T` when required or defaulted, else `T | undefined`.
 */
export interface ParamSpec<T, V = T | undefined> {
  readonly kind: ParamKind;
  readonly shortdesc: string;
  readonly longdesc: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly reloadable: boolean;
  readonly deprecated: boolean;
  readonly default: T | undefined;
  readonly choices: readonly string[] | undefined;
  parse(raw: string): Parsed<T>;
  format(value: T): string;
  /** Type-level marker only; never set. */
  readonly __value?: V;
}

export type AnyParamSpec = ParamSpec<unknown, unknown>;
export type ParamTable = Readonly<Record<string, AnyParamSpec>>;

/** The typed, frozen object handed to handlers. */
export type ParamValues<P extends ParamTable> = {
  readonly [K in keyof P]: P[K] extends ParamSpec<unknown, infer V> ? V : never;
};

type WithValue<T> = { required: true } | { default: T };
type StringOpts = ParamOpts<string> & { check?: (v: string) => string | undefined };
type IntegerOpts = ParamOpts<number> & { min?: number; max?: number };
type SelectOpts<C extends string> = ParamOpts<C> & { choices: readonly C[] };

function spec<T>(
  kind: ParamKind,
  o: ParamOpts<T>,
  parse: (raw: string) => Parsed<T>,
  choices?: readonly string[],
): ParamSpec<T, T> {
  if (!o.shortdesc || !o.longdesc) throw new TypeError('param: shortdesc and longdesc are required');
  if (o.required && o.default !== undefined) {
    throw new TypeError(`param: a required parameter cannot have a default (shortdesc "${o.shortdesc}")`);
  }
  if (o.default !== undefined) {
    const back = parse(String(o.default));
    if (!back.ok) throw new TypeError(`param "${o.shortdesc}": default ${String(o.default)} is invalid: ${back.problem}`);
  }
  return Object.freeze({
    kind,
    shortdesc: o.shortdesc,
    longdesc: o.longdesc,
    required: o.required ?? false,
    unique: o.unique ?? false,
    reloadable: o.reloadable ?? false,
    deprecated: o.deprecated ?? false,
    default: o.default,
    choices,
    parse,
    format: (v: T) => String(v),
  });
}

const TRUE = new Set(['yes', 'true', '1', 'on', 'ja', 'y']);
const FALSE = new Set(['no', 'false', '0', 'off', 'nein', 'n']);

function stringParam(o: StringOpts & WithValue<string>): ParamSpec<string, string>;
function stringParam(o: StringOpts): ParamSpec<string, string | undefined>;
function stringParam(o: StringOpts): ParamSpec<string, string | undefined> {
  const check = o.check;
  return spec<string>('string', o, (raw) => {
    const problem = check?.(raw);
    return problem === undefined ? { ok: true, value: raw } : { ok: false, problem };
  });
}

function integerParam(o: IntegerOpts & WithValue<number>): ParamSpec<number, number>;
function integerParam(o: IntegerOpts): ParamSpec<number, number | undefined>;
function integerParam(o: IntegerOpts): ParamSpec<number, number | undefined> {
  const { min, max } = o;
  return spec<number>('integer', o, (raw) => {
    const t = raw.trim();
    const n = Number(t);
    if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(n)) return { ok: false, problem: 'not an integer' };
    if (min !== undefined && n < min) return { ok: false, problem: `must be at least ${min}` };
    if (max !== undefined && n > max) return { ok: false, problem: `must be at most ${max}` };
    return { ok: true, value: n };
  });
}

function booleanParam(o: ParamOpts<boolean> & WithValue<boolean>): ParamSpec<boolean, boolean>;
function booleanParam(o: ParamOpts<boolean>): ParamSpec<boolean, boolean | undefined>;
function booleanParam(o: ParamOpts<boolean>): ParamSpec<boolean, boolean | undefined> {
  return spec<boolean>('boolean', o, (raw) => {
    const t = raw.trim().toLowerCase();
    if (TRUE.has(t)) return { ok: true, value: true };
    if (FALSE.has(t)) return { ok: true, value: false };
    return { ok: false, problem: 'not a boolean (use true/false, yes/no, on/off or 1/0)' };
  });
}

function selectParam<const C extends string>(o: SelectOpts<C> & WithValue<C>): ParamSpec<C, C>;
function selectParam<const C extends string>(o: SelectOpts<C>): ParamSpec<C, C | undefined>;
function selectParam<const C extends string>(o: SelectOpts<C>): ParamSpec<C, C | undefined> {
  if (o.choices.length === 0) throw new TypeError(`param "${o.shortdesc}": select needs at least one choice`);
  const choices: readonly string[] = o.choices;
  return spec<C>(
    'select',
    o,
    (raw) =>
      choices.includes(raw)
        ? { ok: true, value: raw as C }
        : { ok: false, problem: `must be one of ${choices.join(', ')}` },
    o.choices,
  );
}

export const param = {
  string: stringParam,
  integer: integerParam,
  boolean: booleanParam,
  select: selectParam,
} as const;

export interface ParsedParams<P extends ParamTable> {
  values: ParamValues<P>;
  /** Names of required parameters that were not set. */
  missing: readonly string[];
  /** Deprecated parameters that were set. */
  deprecatedSet: readonly string[];
}

/**
 * Reads `OCF_RESKEY_<name>` for every declared parameter. An empty value
 * counts as unset. An invalid value throws OCF_ERR_CONFIGURED naming the
 * parameter and the value; missing required ones are returned, not thrown,
 * so the caller applies its order and policy.
 */
/**
 * `lenient` (used by stop): an invalid value falls back to the parameter's
 * default, reported through `onInvalid`, instead of failing. A stop that
 * refused to run over, say, `fast_stop=perhaps` would answer "stopped" while
 * the resource is still up, and Pacemaker could start it on a second node.
 */
export interface ParseOptions {
  readonly lenient?: { onInvalid(name: string, raw: string, problem: string): void };
}

export function parseParams<P extends ParamTable>(
  table: P,
  env: Readonly<Record<string, string | undefined>>,
  options: ParseOptions = {},
): ParsedParams<P> {
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  const deprecatedSet: string[] = [];
  for (const [name, p] of Object.entries(table)) {
    const raw = env[`OCF_RESKEY_${name}`];
    if (raw === undefined || raw === '') {
      if (p.required) missing.push(name);
      values[name] = p.default;
      continue;
    }
    if (p.deprecated) deprecatedSet.push(name);
    const r = p.parse(raw);
    if (!r.ok) {
      if (options.lenient && p.default !== undefined) {
        options.lenient.onInvalid(name, raw, r.problem);
        values[name] = p.default;
        continue;
      }
      throw new OcfError(OCF.ERR_CONFIGURED, `Invalid value for parameter ${name}: '${raw}': ${r.problem}`);
    }
    values[name] = r.value;
  }
  return { values: Object.freeze(values) as ParamValues<P>, missing, deprecatedSet };
}
